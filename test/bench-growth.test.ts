// The growth section's arithmetic (bench/growth.ts): the lower of the passes batch by batch, the
// slowest batches with where the book stood, and the target's verdict, on figures given here. The
// section itself runs in test/bench.test.ts's tiny run.
import { describe, expect, it } from 'vitest';
import { growthRow, lowerOfPasses, pauseRatio, type GrowthReport } from '../bench/growth.js';
import { evaluateTargets, type BenchReport } from '../bench/report.js';

const TARGET = 'Longest batch while a book grows from empty to 1.3M, both cores';

function growthTarget(growth: GrowthReport): BenchReport['targets'][number] {
  const report = {
    workloads: [], measurements: [], memory: { status: 'not run', reason: '' }, persistence: { status: 'skipped', reason: '' },
    run: { timerFloorNs: 30 }, growth,
  } as unknown as BenchReport;
  return evaluateTargets(report).find((t) => t.name === TARGET)!;
}

describe('the growth section', () => {
  it('keeps, batch by batch, the lower of the passes: a pause the code makes is in both, the machine\'s in one', () => {
    expect(lowerOfPasses([[1, 9, 1, 50], [8, 1, 1, 52]])).toEqual([1, 1, 1, 50]);
  });

  it('names the slowest batches by the resting orders they ended at, the last batch by the book\'s size', () => {
    const row = growthRow('wasm', [[1, 1, 30, 1, 2], [1, 1, 31, 1, 2]], 4_500, 1_000);
    expect(row.medianMs).toBe(1);
    expect(row.slowest).toEqual([{ ms: 30, resting: 3_000 }, { ms: 2, resting: 4_500 }, { ms: 1, resting: 1_000 }]);
    expect(row.passLongestMs).toEqual([30, 31]);
    expect(pauseRatio(row)).toBe(30);
  });

  it('judges the target on both cores, only at a million orders and more', () => {
    const rows = [growthRow('wasm', [[1, 1, 9]], 3_000_000, 1_000_000), growthRow('js', [[1, 1, 11]], 3_000_000, 1_000_000)];
    const ok = { status: 'ok', orders: 1_300_000, batchSize: 1_000, passes: 1, cpu: 1 } as const;
    expect(growthTarget({ ...ok, rows }).met).toBe(false);
    expect(growthTarget({ ...ok, rows: [rows[0]] })).toMatchObject({ met: true, actual: 'wasm 9.0x (9.0 ms at 3,000,000, median 1.00 ms)' });
    expect(growthTarget({ ...ok, orders: 40_000, rows: [rows[0]] })).toMatchObject({ met: null, actual: 'not measured (needs the full run)' });
    expect(growthTarget({ status: 'failed', reason: 'the child died' })).toMatchObject({ met: null, actual: 'failed: the child died' });
  });
});
