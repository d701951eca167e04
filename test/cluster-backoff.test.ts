// The pauses between attempts at something that keeps failing (src/cluster/backoff.ts), and what
// the log hears of a run of failures: one line when it starts or changes kind, one when it ends.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/cluster/backoff.js';

describe('Backoff', () => {
  it('pauses firstMs, then twice as long after each failure, up to maxMs', () => {
    const backoff = new Backoff('reading', { firstMs: 100, maxMs: 5_000 });
    const pauses = Array.from({ length: 10 }, () => backoff.failed('missing', 'gone'));
    expect(pauses).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000]);
    expect([backoff.failures, backoff.pauseMs]).toEqual([10, 5_000]);
  });

  it('starts again from firstMs after a success', () => {
    const backoff = new Backoff('reading', { firstMs: 100, maxMs: 1_000 });
    for (let i = 0; i < 6; i++) backoff.failed('failing', 'timeout');
    expect(backoff.pauseMs).toBe(1_000);
    backoff.succeeded();
    expect([backoff.failures, backoff.pauseMs]).toEqual([0, 0]);
    expect([backoff.failed('failing', 'timeout'), backoff.failed('failing', 'timeout')]).toEqual([100, 200]);
  });

  it('a cap below twice the first pause holds from the second failure on', () => {
    const backoff = new Backoff('reading', { firstMs: 300, maxMs: 400 });
    expect([1, 2, 3].map(() => backoff.failed('failing', 'timeout'))).toEqual([300, 400, 400]);
  });

  it('logs a run of failures when it starts and when its kind changes, and once when it ends, with how long and how many', () => {
    const lines: string[] = [];
    const backoff = new Backoff("stream S's consumer", { firstMs: 100, maxMs: 5_000, log: (line) => lines.push(line) });
    for (let i = 0; i < 50; i++) backoff.failed('missing', 'the stream does not exist');
    expect(lines).toEqual([
      "stream S's consumer: the stream does not exist; trying again after 100 ms, then twice as long after each failure (at most 5000 ms), logged again once it succeeds",
    ]);
    backoff.failed('failing', 'timeout');
    backoff.failed('failing', 'timeout');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^stream S's consumer: timeout; trying again after 5000 ms/);
    backoff.succeeded();
    backoff.succeeded();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^stream S's consumer: succeeded again after \d+ ms and 52 failed attempts \(last: failing\)$/);
    // A new run is a new story: its first failure is logged again.
    backoff.failed('failing', 'timeout');
    expect(lines).toHaveLength(4);
  });
});
