// The bench measures each engine in a process of its own, and this asserts on V8 itself one thing
// that separation was for: run under --trace-protector-invalidation, V8 prints a line when a
// process withdraws its guarantee that no ArrayBuffer was ever detached (after which every
// optimised typed-array access also checks for detachment). A growing WebAssembly memory used to
// detach its buffer, so the WASM engine withdrew it; the core's memory is now shared, which grows
// in place, and no engine or group of engines withdraws it, even with every engine in one process. Every
// engine is still verified against the reference book.
import { execFileSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { engineGroups, parseArgs } from '../bench/suite.js';
import { ENGINES, engineById } from '../bench/engines/index.js';
import type { BenchEngine } from '../bench/engines/index.js';
import type { EngineRunner } from '../bench/engine-runs.js';
import { SCALES } from '../bench/options.js';
import type { PairRequest } from '../bench/pair-sessions.js';
import { pairText } from '../bench/target-pairs.js';
import type { Measurement, Verification } from '../bench/report.js';
import { measureWorkloads } from '../bench/workload-processes.js';
import { targetPairs } from '../bench/pairs.js';
import { buildWorkload } from '../bench/workloads/index.js';
import type { Workload, WorkloadName } from '../bench/workloads/workload.js';

const FIXTURE = new URL('./fixtures/bench-engines.mjs', import.meta.url).pathname;

/** What the fixture printed: V8's protector lines and its own "measured ok/all" line. */
function measure(where: 'process' | 'here', engines: readonly string[]): string {
  return execFileSync(process.execPath, ['--trace-protector-invalidation', FIXTURE, where, engines.join(',')], { encoding: 'utf8' });
}

describe('engines, each in a process of its own', () => {
  it('cover every engine exactly once, one to a process, or all in one with --one-process', () => {
    expect(engineGroups(ENGINES, false)).toEqual(ENGINES.map((engine) => [engine]));
    expect(engineGroups(ENGINES, true)).toEqual([[...ENGINES]]);
  });

  it('leave the guarantee in place in the WASM and JS families\' processes: the WASM core\'s memory grows without detaching', () => {
    for (const family of [['wasm', 'wasm-batch', 'wasm-core'], ['js', 'js-batch', 'js-core']]) {
      const out = measure('process', family);
      expect(out).toContain('measured 6/6');
      expect(out).not.toContain('Invalidating protector cell');
    }
  });

  it('leave the baselines\' processes untouched too', () => {
    for (const engine of ['naive', 'nodejs-order-book']) {
      const out = measure('process', [engine]);
      expect(out).toContain('measured 2/2');
      expect(out).not.toContain('Invalidating protector cell');
    }
  });

  it('are what --one-process turns off, and there too the JS engine runs with the guarantee in place', () => {
    expect(parseArgs([]).oneProcess).toBe(false);
    expect(parseArgs(['--one-process']).oneProcess).toBe(true);
    const out = measure('here', ['wasm', 'js']);
    expect(out).toContain('measured 4/4');
    expect(out).not.toContain('Invalidating protector cell ArrayBufferDetaching');
  });
});

// A process kept for the whole run carried one workload's state in V8 into the next workload's
// figures (growing's pairs slowed the naive book's sweep passes 1.2-1.3x; README, stop 56). Each
// workload now has new processes: what each runner was asked tells which workloads it served.
describe('each workload, in engine processes of its own', () => {
  it('has new runners, closed after it, for its rows and then its pairs (wide / steady on wide\'s)', async () => {
    const built = (['steady', 'sweep', 'wide'] as const).map((name) => buildWorkload(name, SCALES.tiny, 20120621) as Workload);
    const groups = [[engineById('js')], [engineById('naive')]];
    const made: { engines: string; asked: string[]; closed: boolean }[] = [];
    const make = (group: readonly BenchEngine[]): EngineRunner => {
      const runner = { engines: group.map((e) => e.id).join(','), asked: [] as string[], closed: false };
      made.push(runner);
      const ask = (what: string): void => {
        if (runner.closed) throw new Error(`${runner.engines}: ${what} after close`);
        if (!runner.asked.includes(what)) runner.asked.push(what);
      };
      return {
        async measure(workload) {
          ask(`rows ${workload.name}`);
          return {
            measurements: group.map((e): Measurement => ({
              workload: workload.name, engine: e.id, status: 'ok',
              throughput: { opsPerSec: { median: 1e6, min: 1e6, max: 1e6 }, samples: 5, minTimeSeconds: 0.01 },
              verification: { ok: true } as Verification,
            })),
            memory: [],
          };
        },
        pendingStopsCost: () => Promise.reject(new Error('not here')),
        async pinMainThread(cpu) {
          ask(`cpu ${cpu}`);
        },
        async pair(request: PairRequest) {
          if (request.op === 'open') ask(`pairs ${request.workload.name}`);
          return request.op === 'pass' ? 0.01 : 0;
        },
        close() {
          runner.closed = true;
        },
      };
    };
    let done = 0;
    const progress = { step() {}, done(steps = 1) { done += steps; }, tick() {}, stop() {} };
    const measured = await measureWorkloads(built, groups, make, { chunk: SCALES.tiny.chunk, rounds: 2, passSeconds: 0.01 }, progress);
    expect(made.map((r) => [r.engines, r.asked])).toEqual([
      ['js', ['rows steady', 'pairs steady']], ['naive', ['rows steady', 'pairs steady']],
      ['js', ['rows sweep', 'pairs sweep']], ['naive', ['rows sweep', 'pairs sweep']],
      ['js', ['rows wide', 'pairs wide', 'pairs steady']], ['naive', ['rows wide', 'pairs wide']],
    ]);
    expect(made.every((r) => r.closed)).toBe(true);
    expect(measured.measurements.map((m) => `${m.workload} ${m.engine}`)).toEqual(['steady js', 'steady naive', 'sweep js', 'sweep naive', 'wide js', 'wide naive']);
    // Every pair these rows allow, in the targets' order, as one section at the end gave them.
    const pairOf = (p: { workloadA: WorkloadName; engineA: Measurement['engine']; workloadB: WorkloadName; engineB: Measurement['engine'] }): string =>
      pairText([p.workloadA, p.engineA, p.workloadB, p.engineB]);
    expect(measured.pairs!.pairs.map(pairOf)).toEqual(['js, wide / steady', 'steady, js / naive', 'sweep, js / naive', 'wide, js / naive']);
    // The pairs on workloads this run left out are reported not measured, each with why, and counted done.
    expect(measured.pairs!.notMeasured.map((p) => `${pairOf(p)}: ${p.reason}`)).toContain('growing, wasm-batch / js-batch: growing not in this run');
    expect(measured.pairs!.pairs.length + measured.pairs!.notMeasured.length).toBe(targetPairs(['steady', 'sweep', 'wide']).length);
    expect(done).toBe(targetPairs(['steady', 'sweep', 'wide']).length);
  });
  it('hold every process to one CPU for the rows, every workload\'s on the same one, and say which; a pin refused leaves the rest unpinned, not failed', async () => {
    const built = (['steady', 'sweep', 'wide'] as const).map((name) => buildWorkload(name, SCALES.tiny, 20120621) as Workload);
    const asked: string[] = [];
    const make = (refuse = false) => (group: readonly BenchEngine[]): EngineRunner => {
      let cpu: number | undefined;
      return {
        async measure(workload) {
          asked.push(`${group[0].id} rows ${workload.name} on ${cpu}`);
          return { measurements: [{ workload: workload.name, engine: group[0].id, status: 'ok' }], memory: [] };
        },
        pendingStopsCost: () => Promise.reject(new Error('not here')),
        async pinMainThread(to) {
          if (refuse) throw new Error('taskset could not hold thread 1 to CPU 1: refused');
          cpu = to;
        },
        pair: () => Promise.reject(new Error('not here')),
        close() {},
      };
    };
    const progress = { step() {}, done() {}, tick() {}, stop() {} };
    const groups = [[engineById('js')], [engineById('naive')]];
    const measured = await measureWorkloads(built, groups, make(), undefined, progress, 1);
    expect(asked).toEqual([
      'js rows steady on 1', 'naive rows steady on 1', 'js rows sweep on 1', 'naive rows sweep on 1', 'js rows wide on 1', 'naive rows wide on 1',
    ]);
    expect(measured.measurements.map((m) => `${m.workload} ${m.engine} ${m.cpu}`)).toEqual([
      'steady js 1', 'steady naive 1', 'sweep js 1', 'sweep naive 1', 'wide js 1', 'wide naive 1',
    ]);
    // The first refusal (the first workload's first runner) leaves every row after it unpinned, and says so once.
    const said: unknown[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((text) => said.push(text) > 0);
    let unpinned;
    try {
      unpinned = await measureWorkloads(built, groups, make(true), undefined, progress, 1);
    } finally {
      spy.mockRestore();
    }
    expect(unpinned.measurements.map((m) => `${m.workload} ${m.engine} ${m.status} ${m.cpu}`)).toEqual([
      'steady js ok undefined', 'steady naive ok undefined', 'sweep js ok undefined', 'sweep naive ok undefined', 'wide js ok undefined', 'wide naive ok undefined',
    ]);
    expect(said).toEqual(['lobcore bench: rows left unpinned from steady on: taskset could not hold thread 1 to CPU 1: refused\n']);
  });
});
