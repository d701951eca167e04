// Pauses between attempts at something that keeps failing, and what the log says about it. A
// condition that may last (a deleted stream, a stream without a leader) met every 100 ms for good
// was a JetStream request and a log line every 100 ms from every member: 864,000 lines a night,
// against a cluster already in trouble. So the pause doubles after every failure up to a cap, the
// log gets one line when the failing starts (and one more if its kind changes) and one when an
// attempt succeeds again, saying how long it lasted and how many attempts it took.

export interface BackoffOptions {
  /** The pause after the first failure (ms). */
  firstMs: number;
  /** The longest pause (ms): what a recovery may wait before it is noticed. */
  maxMs: number;
  /** Where the start and the end of a run of failures are reported; none: silent. */
  log?: (line: string) => void;
}

export class Backoff {
  /** Failed attempts since the last success. */
  failures = 0;
  /** The pause chosen after the last failure; 0 once an attempt succeeded. */
  pauseMs = 0;
  private failingSince = 0;
  private failingAs: string | undefined = undefined;

  /** `what` names the thing attempted in the log lines, e.g. "stream X's consumer". */
  constructor(private readonly what: string, private readonly options: BackoffOptions) {}

  /**
   * Counts a failed attempt and returns the pause before the next: `firstMs`, then twice the last,
   * at most `maxMs`. `kind` sorts problems ("missing", "timeout"): the log hears of a run of
   * failures when it starts and when its kind changes, not on every attempt.
   */
  failed(kind: string, detail: string): number {
    if (this.failures === 0) this.failingSince = Date.now();
    this.failures++;
    this.pauseMs = this.failures === 1 ? this.options.firstMs : Math.min(2 * this.pauseMs, this.options.maxMs);
    if (kind !== this.failingAs) {
      this.failingAs = kind;
      this.options.log?.(`${this.what}: ${detail}; trying again after ${this.pauseMs} ms, then twice as long after each failure (at most ${this.options.maxMs} ms), logged again once it succeeds`);
    }
    return this.pauseMs;
  }

  /** An attempt succeeded: the next failure starts from `firstMs` again. */
  succeeded(): void {
    if (this.failures > 0) {
      this.options.log?.(`${this.what}: succeeded again after ${Date.now() - this.failingSince} ms and ${this.failures} failed attempts (last: ${this.failingAs})`);
    }
    this.failures = 0;
    this.pauseMs = 0;
    this.failingAs = undefined;
  }

  /** Waits out `pauseMs` (resolves at once after a success). */
  pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.pauseMs));
  }
}
