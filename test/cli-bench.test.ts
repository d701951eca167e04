// `lobcore bench`'s exit code follows the suite's checks as `npm run bench`'s does: a run whose
// verification found a MISMATCH, or whose reference check failed, exits 1. The suite itself is
// replaced by one that returns such a report at once (the test is about the exit code only).
import { describe, expect, it, vi } from 'vitest';
import type { BenchReport } from '../bench/suite.js';
import type { Measurement } from '../bench/report.js';
import { defineBenchCommand } from '../src/cli/bench.js';
import { ExitStatus } from '../src/cli/program.js';

const next = vi.hoisted(() => ({ report: undefined as unknown }));

vi.mock('../bench/run.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../bench/run.js')>()),
  runBenchmarks: async () => next.report,
}));

const measured = (ok: boolean): Measurement => ({
  workload: 'steady', engine: 'js', status: 'ok',
  throughput: { opsPerSec: { median: 1, min: 1, max: 1 }, samples: 1, minTimeSeconds: 0 },
  verification: { ok, differences: ok ? [] : ['fills: 1, sum of price x size 107 (hash 0), reference 1, 100 (hash 1)'] },
} as unknown as Measurement);

async function benchExit(report: Partial<BenchReport>): Promise<number> {
  next.report = { measurements: [], referenceChecks: [], ...report };
  const status = new ExitStatus();
  await defineBenchCommand(status).parseAsync(['--tiny'], { from: 'user' });
  return status.code;
}

describe('lobcore bench exit code', () => {
  it('0 when every engine ran and verified, and the reference checks passed', async () => {
    expect(await benchExit({ measurements: [measured(true)], referenceChecks: [{ workload: 'steady', ok: true, differences: [] }] })).toBe(0);
  });

  it('1 when an engine\'s verification found a MISMATCH', async () => {
    expect(await benchExit({ measurements: [measured(true), measured(false)] })).toBe(1);
  });

  it('1 when the reference book disagrees with lobcore JS', async () => {
    expect(await benchExit({ referenceChecks: [{ workload: 'steady', ok: false, differences: ['levels: ...'] }] })).toBe(1);
  });

  it('1 when an engine failed', async () => {
    expect(await benchExit({ measurements: [{ workload: 'steady', engine: 'js', status: 'failed', reason: 'thrown' } as Measurement] })).toBe(1);
  });
});
