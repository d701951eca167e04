import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediansTable, targetsTable } from '../bench/markdown.js';
import type { BenchReport } from '../bench/report.js';

const ROOT = join(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'dist/bench/markdown.js');

function run(date: string, steadyWasm: number, met: boolean): BenchReport {
  const ok = (engine: string, median: number) => ({
    workload: 'steady', engine, status: 'ok', throughput: { opsPerSec: { median, min: median, max: median }, samples: 5, minTimeSeconds: 0 },
  });
  return {
    machine: { date },
    workloads: [{ name: 'steady' }],
    measurements: [
      ok('wasm', steadyWasm), ok('js', 7_870_000),
      { workload: 'steady', engine: 'nodejs-order-book', status: 'failed', reason: 'threw' },
    ],
    targets: [{ name: 'WASM per call vs JS per call: steady, lobster', goal: '>= 1.5x', actual: `${(steadyWasm / 7_870_000).toFixed(2)}x`, met }],
  } as unknown as BenchReport;
}

describe('the README\'s benchmark tables', () => {
  const first = run('2026-12-06T05:49:06.633Z', 12_000_000, true);
  const second = run('2026-12-06T06:03:59.000Z', 9_520_000, false);

  it('give each run\'s targets a column, marking the met ones', () => {
    expect(targetsTable([first, second])).toBe([
      '| target | goal | 2026-12-06 05:49 UTC | 2026-12-06 06:03 UTC |',
      '| --- | --- | --- | --- |',
      '| WASM per call vs JS per call: steady, lobster | >= 1.5x | 1.52x, **met** | 1.21x |',
    ].join('\n'));
  });

  it('give the first run\'s medians with the later runs\' below each, and n/a where an engine did not run or failed', () => {
    const lines = mediansTable([first, second]).split('\n');
    expect(lines[0]).toBe('| workload | WASM per call | WASM submitBatch | WASM core alone | JS per call | JS submitBatch | JS core alone | naive JS book | nodejs-order-book |');
    expect(lines[2]).toBe('| steady | 12.0M <sub>9.52M</sub> | n/a | n/a | 7.87M <sub>7.87M</sub> | n/a | n/a | n/a | n/a |');
    expect(mediansTable([first]).split('\n')[2]).toBe('| steady | 12.0M | n/a | n/a | 7.87M | n/a | n/a | n/a | n/a |');
  });

  it('give a later run\'s median below the cell even where the first run has none', () => {
    // The first run's JS engine failed, the second's ran: its figure is still the spread a reader looks for.
    const failedFirst = { ...first, measurements: first.measurements.map((m) => (m.engine === 'js' ? { ...m, status: 'failed', throughput: undefined } : m)) } as BenchReport;
    expect(mediansTable([failedFirst, second]).split('\n')[2]).toBe('| steady | 12.0M <sub>9.52M</sub> | n/a | n/a | n/a <sub>7.87M</sub> | n/a | n/a | n/a | n/a |');
  });

  it('are the committed run\'s, as `node dist/bench/markdown.js bench/results/latest.json` prints them', () => {
    const printed = execFileSync(process.execPath, [SCRIPT, join(ROOT, 'bench/results/latest.json')], { encoding: 'utf8' });
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme.includes(printed.trimEnd()), 'README.md\'s Benchmarks section is not what `node dist/bench/markdown.js bench/results/latest.json` prints').toBe(true);
  });

  // Made in beforeAll: made where the suite is declared, a run that skipped it (vitest -t) left it behind.
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lobcore-markdown-'));
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('refuse a file that is not a bench report in one line, and no file at all with the usage', () => {
    const notReport = join(dir, 'other.json');
    writeFileSync(notReport, '{"schema": 2}');
    const bad = spawnSync(process.execPath, [SCRIPT, notReport], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(`markdown: ${notReport}: not a bench report (no targets, measurements or workloads)\n`);
    // JSON that is no object, and a report without the date its column is headed by: named as such, not a TypeError.
    const nothing = join(dir, 'null.json');
    writeFileSync(nothing, 'null');
    expect(spawnSync(process.execPath, [SCRIPT, nothing], { encoding: 'utf8' }).stderr).toBe(`markdown: ${nothing}: not a bench report (no targets, measurements or workloads)\n`);
    const undated = join(dir, 'undated.json');
    writeFileSync(undated, '{"targets": [], "measurements": [], "workloads": []}');
    const noDate = spawnSync(process.execPath, [SCRIPT, undated], { encoding: 'utf8' });
    expect(noDate.status).toBe(1);
    expect(noDate.stderr).toBe(`markdown: ${undated}: not a bench report (no machine.date)\n`);
    const none = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^usage: node dist\/bench\/markdown\.js/);
  });
});
