// Progress bars for long phases, on stderr so stdout stays clean for pipes. A bar appears only
// once a phase has run for a second: short phases stay silent instead of flickering.
import cliProgress from 'cli-progress';

const SHOW_AFTER_MS = 1000;

export interface PhaseProgress {
  /** Sets the amount done so far (out of the total given at start). */
  update(done: number): void;
  /** Ends the phase and removes its bar. */
  finish(): void;
}

const SILENT: PhaseProgress = { update() {}, finish() {} };

/** Bars only make sense for a person at a terminal, and never mixed into JSON output. */
export function progressEnabled(json: boolean): boolean {
  return !json && process.stderr.isTTY === true;
}

export function startPhase(label: string, total: number, enabled: boolean): PhaseProgress {
  if (!enabled) return SILENT;
  const startedAt = performance.now();
  let bar: cliProgress.SingleBar | null = null;
  let done = 0;
  let finished = false;

  const show = () => {
    if (bar !== null || finished) return;
    bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label.padEnd(18)} {bar} {percentage}% | {value}/{total} | {duration_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        barsize: 30,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, done);
  };
  // The timer covers phases that wait on I/O without calling update(); update() covers busy
  // synchronous loops during which the timer cannot fire.
  const timer = setTimeout(show, SHOW_AFTER_MS);
  timer.unref();

  return {
    update(value: number) {
      done = value;
      if (bar === null && performance.now() - startedAt >= SHOW_AFTER_MS) show();
      bar?.update(value);
    },
    finish() {
      finished = true;
      clearTimeout(timer);
      bar?.stop();
    },
  };
}
