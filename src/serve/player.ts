// The loop behind the sources that play a flow (a replay, the demo): steps at the chosen speed,
// pause and resume, with each step's commands flushed before the next. Steps are short and
// separate macrotasks, so the server's frames and the pages' requests interleave with them.
import type { MarketMachine } from './feed.js';
import type { Playback, PlaybackStatus, Speed } from './source.js';

export abstract class Player implements Playback {
  protected speed: Speed;
  protected paused: boolean;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private stepping: Promise<void> | null = null;
  private fail!: (error: unknown) => void;
  /** Rejects with the error of a step that failed, which stops the playing. */
  readonly failed = new Promise<never>((_, reject) => {
    this.fail = reject;
  });

  constructor(protected readonly machine: MarketMachine, speed: Speed, paused: boolean) {
    this.speed = speed;
    this.paused = paused;
    // Whoever serves the source hears of a failure through `failed`; unheard, it must not end the process.
    this.failed.catch(() => undefined);
  }

  /** Applies the commands that are due now (a bounded number); synchronous. */
  protected abstract advance(): void;
  /** Milliseconds until the next step at the current speed (0: at once). */
  protected abstract delayMs(): number;
  protected abstract get finished(): boolean;
  /** The clock is about to run at a new rate or stop: fix where it is. */
  protected abstract retime(): void;
  abstract status(): PlaybackStatus;

  startPlaying(): void {
    this.stopped = false;
    this.schedule();
  }

  async stopPlaying(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    await this.stepping;
  }

  pause(): void {
    if (this.paused) return;
    this.retime();
    this.paused = true;
    this.cancelTimer();
  }

  resume(): void {
    if (!this.paused) return;
    this.retime();
    this.paused = false;
    this.schedule();
  }

  setSpeed(speed: Speed): void {
    this.retime();
    this.speed = speed;
    this.retime();
    this.cancelTimer();
    this.schedule();
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped || this.paused || this.finished || this.timer !== null || this.stepping !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.stepping = this.step().then(() => {
        this.stepping = null;
        this.schedule();
      }, (error: unknown) => {
        this.stepping = null;
        this.stopped = true;
        this.fail(error);
      });
    }, this.delayMs());
  }

  private async step(): Promise<void> {
    this.advance();
    await this.machine.flush();
  }
}
