// A progress bar on stderr (stdout carries the report), or nothing when it is off.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Starts a step: `label` shows beside the bar. */
  step(label: string): void;
  /** Marks the current step done (or that many steps, skipped). */
  done(steps?: number): void;
  /** Redraws (benchmark.js cycles run synchronously, so the bar's own timer never fires). */
  tick(): void;
  stop(): void;
}

export function createProgress(enabled: boolean, totalSteps: number): Progress {
  if (!enabled) return { step() {}, done() {}, tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    format: 'bench {bar} {value}/{total} | {secs}s | {label}',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
    fps: 10,
    synchronousUpdate: true,
    // Asked for explicitly (--progress) on a pipe: draw anyway, a line every few seconds.
    noTTYOutput: true,
    notTTYSchedule: 5000,
  }, cliProgress.Presets.shades_classic);
  const started = Date.now();
  let value = 0;
  let label = '';
  bar.start(totalSteps, 0, { label, secs: 0 });
  const payload = () => ({ label, secs: Math.round((Date.now() - started) / 1000) });
  return {
    step(next) {
      label = next;
      bar.update(value, payload());
    },
    done(steps = 1) {
      value += steps;
      bar.update(value, payload());
    },
    tick() {
      bar.update(value, payload());
    },
    stop() {
      bar.stop();
    },
  };
}
