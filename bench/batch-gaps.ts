// The gaps between the batches of a flow, each split into the time its submitBatch took (the
// engine matching) and the rest (the main thread away from matching: the flush, whatever else ran
// in the turn, such as a checkpoint's callbacks), with how long the main thread waited for a core.
// A long gap is not the checkpoint's because it fell while one ran: growing the order index at
// 1,114,112 resting orders takes 70-160 ms of submitBatch on the main thread with or without a
// checkpoint (docs/storage.md, round 48), and a loaded machine parks the main thread anywhere.
import { threadWaitedSeconds } from './pair-sessions.js';

export interface BatchGap {
  ms: number;
  /** The part in submitBatch. */
  submitMs: number;
  /** The part the main thread was ready to run but waited for a core (null off Linux). */
  waitingMs: number | null;
}

export interface GapSummary {
  /** The longest gap (all zero when there were none). */
  longest: BatchGap;
  /** The longest time between two batches outside submitBatch: not always the longest gap's. */
  longestOutsideSubmitMs: number;
}

export function summarizeGaps(gaps: readonly BatchGap[]): GapSummary {
  let longest: BatchGap = { ms: 0, submitMs: 0, waitingMs: null };
  let longestOutsideSubmitMs = 0;
  for (const gap of gaps) {
    if (gap.ms > longest.ms) longest = gap;
    longestOutsideSubmitMs = Math.max(longestOutsideSubmitMs, gap.ms - gap.submitMs);
  }
  return { longest, longestOutsideSubmitMs };
}

/** Times the gaps of a flow: lap() after each batch's turn, restart() after what must not count. */
export class GapClock {
  private previous = performance.now();
  private waited = mainThreadRunDelayMs();

  restart(): void {
    this.previous = performance.now();
    this.waited = mainThreadRunDelayMs();
  }

  /** The gap since the last lap (or restart), whose batch's submitBatch took `submitMs`. */
  lap(submitMs: number): BatchGap {
    const now = performance.now();
    const waited = mainThreadRunDelayMs();
    const gap = { ms: now - this.previous, submitMs, waitingMs: waited === null || this.waited === null ? null : waited - this.waited };
    this.previous = now;
    this.waited = waited;
    return gap;
  }
}

/** How long, in all, the main thread has waited for a core while ready to run (Linux: its schedstat), or null; called on it. */
export function mainThreadRunDelayMs(): number | null {
  const seconds = threadWaitedSeconds();
  return seconds === null ? null : seconds * 1000;
}
