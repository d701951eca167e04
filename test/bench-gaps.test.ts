import { describe, expect, it } from 'vitest';
import { summarizeGaps } from '../bench/batch-gaps.js';

describe('the gaps between a flow\'s batches', () => {
  it('keeps the longest gap whole, with its submitBatch and waiting parts', () => {
    const growth = { ms: 74.8, submitMs: 71.2, waitingMs: 2.1 };
    const summary = summarizeGaps([{ ms: 0.7, submitMs: 0.3, waitingMs: 0 }, growth, { ms: 9.5, submitMs: 0.4, waitingMs: 8.0 }]);
    expect(summary.longest).toEqual(growth);
  });

  it('finds the longest time outside submitBatch in a gap other than the longest', () => {
    // The order index growing fills the longest gap with matching; a flush behind a checkpoint's
    // callbacks is a shorter gap that matching had no part in.
    const summary = summarizeGaps([{ ms: 74.8, submitMs: 71.2, waitingMs: null }, { ms: 9.5, submitMs: 0.4, waitingMs: null }]);
    expect(summary.longest.ms).toBe(74.8);
    expect(summary.longestOutsideSubmitMs).toBeCloseTo(9.1, 10);
  });

  it('says zero for a flow with no gaps', () => {
    expect(summarizeGaps([])).toEqual({ longest: { ms: 0, submitMs: 0, waitingMs: null }, longestOutsideSubmitMs: 0 });
  });
});
