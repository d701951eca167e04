// Each workload measured in engine processes of its own: its throughput rows, then its paired
// passes (pairs.ts), in processes made for it and closed after it, one per engine as before. A
// process kept for the whole run carried what one workload left in V8 into the next workload's
// figures: growing's pairs left the naive book's shared hidden classes with boxed double fields,
// and every later naive pair of the run allocated a box per number field (bench/README.md, stop
// 56; that cause is fixed in naive-book.ts, but a JIT keeps more than hidden classes). Now a figure
// depends only on what its own workload ran before it in that process, the rows' warm-up and
// benchmark.js cycles, as in an application's process that runs that one kind of flow.
import type { BenchEngine, EngineId } from './engines/index.js';
import type { EngineRunner } from './engine-runs.js';
import { measurePairs, pairWorkload, targetPairs } from './pairs.js';
import type { PairSettings } from './pairs.js';
import type { Progress } from './progress.js';
import type { Measurement, MemoryMeasurement, PairedRatio, PairsReport } from './report.js';
import { samePair } from './target-pairs.js';
import type { Workload, WorkloadName } from './workloads/index.js';

/** A new runner for a group of engines: a new child process (engine-process.ts), or --one-process's local one. */
export type MakeRunner = (group: readonly BenchEngine[]) => EngineRunner;

export interface GroupRunner {
  group: readonly BenchEngine[];
  runner: EngineRunner;
}

/** `body` with a new runner for each group, every one closed after it, whatever it threw. */
export async function withNewRunners<T>(groups: readonly (readonly BenchEngine[])[], make: MakeRunner, body: (runners: GroupRunner[]) => Promise<T>): Promise<T> {
  const runners = groups.map((group) => ({ group, runner: make(group) }));
  try {
    return await body(runners);
  } finally {
    for (const { runner } of runners) runner.close();
  }
}

/** The pairs section when it ran. */
export type MeasuredPairs = Extract<PairsReport, { pairs: PairedRatio[] }>;

export interface WorkloadsMeasured {
  measurements: Measurement[];
  memory: MemoryMeasurement[];
  /** Undefined where no pairs were asked for (no `pairSettings`). */
  pairs: MeasuredPairs | undefined;
}

/**
 * Every workload in turn, in new runners: every group's rows, then the pairs measured on that
 * workload (a pair across two, wide / steady, on the later one, both its sessions in one engine's
 * process as before). The pairs come back in the targets' order, as when they all ran at the end.
 * With `rowsCpu` (cpu-pinning.ts), every runner holds its main thread to that one CPU for the
 * rows, so that every row, of every engine and workload (wide / steady is a ratio of two
 * workloads' rows), ran on the same CPU; the pairs then choose a CPU round by round
 * (`pairSettings.cpus`). A pin that fails leaves the rows unpinned, said on stderr, not failed.
 */
export async function measureWorkloads(
  built: readonly Workload[], groups: readonly (readonly BenchEngine[])[], make: MakeRunner, pairSettings: PairSettings | undefined, progress: Progress,
  rowsCpu?: number,
): Promise<WorkloadsMeasured> {
  const measurements: Measurement[] = [];
  const memory: MemoryMeasurement[] = [];
  const order = built.map((w) => w.name);
  const every = targetPairs(order);
  const pairs: MeasuredPairs | undefined = pairSettings === undefined
    ? undefined
    : { rounds: pairSettings.rounds, passSeconds: pairSettings.passSeconds, seconds: 0, pairs: [], notMeasured: [] };
  let cpu = rowsCpu;
  for (const workload of built) {
    await withNewRunners(groups, make, async (runners) => {
      for (const { group, runner } of runners) {
        try {
          if (cpu !== undefined) {
            await runner.pinMainThread(cpu).catch((error: Error) => {
              process.stderr.write(`lobcore bench: rows left unpinned from ${workload.name} on: ${error.message.split('\n')[0]}\n`);
              cpu = undefined;
            });
          }
          const results = await runner.measure(workload);
          if (cpu !== undefined) for (const m of results.measurements) m.cpu = cpu;
          measurements.push(...results.measurements);
          memory.push(...results.memory);
        } catch (error) {
          for (const engine of group) measurements.push({ workload: workload.name, engine: engine.id, status: 'failed', reason: (error as Error).message });
          progress.done(group.length);
        }
      }
      const here = every.filter((pair) => pairWorkload(pair, order) === workload.name);
      if (pairs === undefined || here.length === 0) return;
      const runnerOf = (engine: EngineId): EngineRunner => runners.find(({ group }) => group.some((e) => e.id === engine))!.runner;
      const part = await measurePairs(runnerOf, built, measurements, pairSettings!, progress, here);
      if (!('pairs' in part)) return;
      pairs.seconds += part.seconds;
      pairs.pairs.push(...part.pairs);
      pairs.notMeasured.push(...part.notMeasured);
    });
  }
  if (pairs !== undefined) {
    // A pair on a workload not in this run: measurePairs reports it not measured, and why, without a runner.
    const unclaimed = every.filter((pair) => !order.includes(pairWorkload(pair, order)));
    if (unclaimed.length > 0) {
      const part = await measurePairs(() => { throw new Error('no runner for a pair not in this run'); }, built, measurements, pairSettings!, progress, unclaimed);
      if ('pairs' in part) pairs.notMeasured.push(...part.notMeasured);
    }
    const rank = (p: { workloadA: WorkloadName; engineA: EngineId; workloadB: WorkloadName; engineB: EngineId }): number =>
      every.findIndex((q) => samePair(q, [p.workloadA, p.engineA, p.workloadB, p.engineB]));
    pairs.pairs.sort((x, y) => rank(x) - rank(y));
    pairs.notMeasured.sort((x, y) => rank(x) - rank(y));
  }
  return { measurements, memory, pairs };
}
