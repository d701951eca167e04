// Two builds' cores alone, side by side in one process: for deciding whether a change to a core
// pays, on a machine too busy for wall-clock comparisons. Each build (a checkout with its dist/
// and build/ made by `npm run build`) gets its own engine on the same workload, its prelude
// applied; then runs alternate A, B, A, B..., each the whole stream from the state after the
// prelude, commands already in the core's memory (the bench's core-alone path), timed by the
// process's CPU time. Alternating in one process puts both builds under the same load; the
// ratio B/A is taken per pair.
// Hold it to one CPU (`taskset -c 1 node ...`): Linux may move an unpinned process between CPUs,
// and this machine's two vCPUs ran the same code at speeds up to 1.5x apart for minutes at a time
// (bench/README.md, "The two speeds are the two vCPUs (stop 57)").
//
//   node dist/bench/core-ab.js <checkout A> <checkout B> <wasm|js> <workload,...> [runs]
//
// Prints per workload the best and median commands/s of each and the median B/A with its
// interquartile range. The first quarter of the runs is warm-up and left out.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MatchingCore } from '../src/core.js';
import { quantileOfSorted as quantile } from './stats.js';
import type { Workload, WorkloadName } from './workloads/workload.js';

const PRELUDE_BATCH = 10_000;
const CHUNK = 1_000;

/** One build's core on the workload: a function that runs the stream once and returns commands/s of CPU time. */
async function coreRunner(checkout: string, backend: string, workload: Workload): Promise<() => number> {
  const load = <T>(path: string): Promise<T> => import(pathToFileURL(resolve(checkout, 'dist', path)).href) as Promise<T>;
  const { MatchingEngine } = await load<typeof import('../src/engine-host.js')>('src/engine-host.js');
  const { encodeBatch } = await load<typeof import('./batch-encoding.js')>('bench/batch-encoding.js');
  const { CommandBatch, COMMAND_SLOTS } = await load<typeof import('../src/batch.js')>('src/batch.js');
  let core: MatchingCore;
  if (backend === 'wasm') {
    const { WasmCore } = await load<typeof import('../src/wasm-core.js')>('src/wasm-core.js');
    core = await WasmCore.create({});
  } else {
    const { JsCore } = await load<typeof import('../src/js-core/index.js')>('src/js-core/index.js');
    core = new JsCore({});
  }
  const engine = new MatchingEngine(core);
  const prelude = workload.prelude;
  const batch = new CommandBatch(PRELUDE_BATCH);
  for (let from = 0; from < prelude.count; from += PRELUDE_BATCH) {
    engine.submitBatch(encodeBatch(batch, prelude, from, Math.min(prelude.count, from + PRELUDE_BATCH), 1));
  }
  const afterPrelude = engine.snapshot();
  const count = workload.stream.count;
  const stream = encodeBatch(engine.createBatch(count), workload.stream, 0, count, prelude.count + 1);
  return () => {
    engine.restore(afterPrelude);
    const start = process.cpuUsage();
    for (let from = 0; from < count; from += CHUNK) {
      const to = Math.min(count, from + CHUNK);
      // view() each time: memory growth or the restore may move the records.
      const fills = core.runBatch(stream.view().subarray(from * COMMAND_SLOTS, to * COMMAND_SLOTS), to - from);
      if (fills < 0) throw new Error(`${checkout}: the core refused commands ${from}..${to} (fault ${fills})`);
    }
    const used = process.cpuUsage(start);
    return count / ((used.user + used.system) / 1e6);
  };
}

async function main(): Promise<void> {
  const [a, b, backend, workloads, runsArg] = process.argv.slice(2);
  if (a === undefined || b === undefined || (backend !== 'wasm' && backend !== 'js') || workloads === undefined) {
    console.error('usage: node dist/bench/core-ab.js <checkout A> <checkout B> <wasm|js> <workload,...> [runs]');
    process.exit(2);
  }
  const runs = Number(runsArg ?? 30);
  // Workloads come from A's build, so both cores run the very same commands.
  const { SCALES } = await import(pathToFileURL(resolve(a, 'dist/bench/options.js')).href) as typeof import('./options.js');
  const { buildWorkload } = await import(pathToFileURL(resolve(a, 'dist/bench/workloads/index.js')).href) as
    typeof import('./workloads/index.js');
  for (const name of workloads.split(',')) {
    const workload = buildWorkload(name as WorkloadName, SCALES.quick, 20120621);
    if (typeof workload === 'string') throw new Error(`${name}: ${workload}`);
    const runA = await coreRunner(a, backend, workload);
    const runB = await coreRunner(b, backend, workload);
    const ratesA: number[] = [];
    const ratesB: number[] = [];
    for (let i = 0; i < runs; i++) {
      ratesA.push(runA());
      ratesB.push(runB());
    }
    const kept = Math.floor(runs / 4);
    const ratios = ratesA.map((rate, i) => ratesB[i] / rate).slice(kept).sort((x, y) => x - y);
    const summary = (rates: number[]): string => {
      const sorted = rates.slice(kept).sort((x, y) => x - y);
      return `best ${(sorted[sorted.length - 1] / 1e6).toFixed(2)}M median ${(quantile(sorted, 0.5) / 1e6).toFixed(2)}M`;
    };
    console.log(`${backend} ${name}: A ${summary(ratesA)} | B ${summary(ratesB)} | B/A ${quantile(ratios, 0.5).toFixed(3)} ` +
      `[${quantile(ratios, 0.25).toFixed(3)}-${quantile(ratios, 0.75).toFixed(3)}]`);
  }
}

await main();
