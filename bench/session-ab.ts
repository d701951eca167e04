// Two builds' WASM paths side by side in one process, through the bench's own sessions (the
// encoding, submitBatch and result reading the bench times; bench/engines/lobcore.ts): for deciding
// whether a change to the host pays, on a machine too busy for wall-clock comparisons. Each build
// (a checkout with its dist/ and build/ made by `npm run build`) opens a session per path on the
// same workload; then whole passes of the stream, each from the state after the prelude, alternate
// between them (the order reversed every round), timed by the process's CPU time. The ratios are
// taken pass by pass.
// Hold it to one CPU (`taskset -c 1 node ...`): Linux may move an unpinned process between CPUs,
// and this machine's two vCPUs ran the same code at speeds up to 1.5x apart for minutes at a time
// (bench/README.md, "The two speeds are the two vCPUs (stop 57)").
//
//   node dist/bench/session-ab.js <checkout A> <checkout B | -> <workload,...> <batch,core,call> [runs] [scale]
//
// With `-` for B, one build's paths against each other (batch/core is the bench's target ratio).
// In one process the WebAssembly instance made last runs faster than those made before it, by up
// to 26% for the core alone (bench/README.md, "Which session opens first"), so once every session
// is open a core nobody uses is made after them: then no measured session is the last. Still run
// it both ways round (A B, then B A); the figure for a change is the geometric mean of the two
// orders.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { quantileOfSorted as quantile } from './stats.js';
import type { EngineSession } from './engines/engine.js';
import type { LobcorePath } from './engines/lobcore.js';
import type { ScaleName } from './options.js';
import type { WorkloadName } from './workloads/workload.js';

const madeLast: unknown[] = [];

interface Entry {
  label: string;
  session: EngineSession;
  rates: number[];
}

async function main(): Promise<void> {
  const [a, b, workloads, pathsArg, runsArg, scaleArg] = process.argv.slice(2);
  if (a === undefined || b === undefined || workloads === undefined || pathsArg === undefined) {
    console.error('usage: node dist/bench/session-ab.js <checkout A> <checkout B | -> <workload,...> <batch,core,call> [runs] [scale]');
    process.exit(2);
  }
  const runs = Number(runsArg ?? 12);
  const scaleName = (scaleArg ?? 'full') as ScaleName;
  const paths = pathsArg.split(',') as LobcorePath[];
  const load = <T>(checkout: string, path: string): Promise<T> =>
    import(pathToFileURL(resolve(checkout, 'dist', path)).href) as Promise<T>;
  // Workloads come from A's build, so both builds run the very same commands.
  const { SCALES } = await load<typeof import('./options.js')>(a, 'bench/options.js');
  const { buildWorkload } = await load<typeof import('./workloads/index.js')>(a, 'bench/workloads/index.js');
  const checkouts = b === '-' ? [a] : [a, b];
  const scale = SCALES[scaleName];
  for (const name of workloads.split(',')) {
    const workload = buildWorkload(name as WorkloadName, scale, 20120621);
    if (typeof workload === 'string') throw new Error(`${name}: ${workload}`);
    const entries: Entry[] = [];
    for (const [k, checkout] of checkouts.entries()) {
      const { lobcoreEngine } = await load<typeof import('./engines/lobcore.js')>(checkout, 'bench/engines/lobcore.js');
      for (const path of paths) {
        entries.push({ label: `${k === 0 ? 'A' : 'B'} ${path}`, session: await lobcoreEngine('wasm', path).open(workload, scale.chunk), rates: [] });
      }
    }
    const { WasmCore } = await load<typeof import('../src/wasm-core.js')>(a, 'src/wasm-core.js');
    // Held for the process's life: dropped at once, it could be collected while the passes run.
    madeLast.push(await WasmCore.create({ events: false }));
    const count = workload.stream.count - (workload.stream.count % scale.chunk);
    const pass = (entry: Entry): number => {
      entry.session.rewind();
      const start = process.cpuUsage();
      for (let at = 0; at < count; at += scale.chunk) entry.session.run(at, at + scale.chunk);
      const used = process.cpuUsage(start);
      return count / ((used.user + used.system) / 1e6);
    };
    // Two untimed rounds: every session's code optimized and its engine warm.
    for (let round = 0; round < 2; round++) for (const entry of entries) pass(entry);
    for (let round = 0; round < runs; round++) {
      for (const entry of round % 2 === 0 ? entries : [...entries].reverse()) entry.rates.push(pass(entry));
    }
    const summary = (rates: number[]): string => {
      const sorted = [...rates].sort((x, y) => x - y);
      return `${(quantile(sorted, 0.5) / 1e6).toFixed(2)}M [${(sorted[0] / 1e6).toFixed(2)}-${(sorted[sorted.length - 1] / 1e6).toFixed(2)}]`;
    };
    console.log(`${name}: ${entries.map((e) => `${e.label} ${summary(e.rates)}`).join(' | ')}`);
    const ratio = (over: Entry, under: Entry): void => {
      const r = over.rates.map((rate, i) => rate / under.rates[i]).sort((x, y) => x - y);
      console.log(`  ${over.label} / ${under.label}: ${quantile(r, 0.5).toFixed(3)} [${quantile(r, 0.25).toFixed(3)}-${quantile(r, 0.75).toFixed(3)}]`);
    };
    const batch = paths.indexOf('batch');
    const core = paths.indexOf('core');
    for (let k = 0; k < checkouts.length; k++) {
      if (batch >= 0 && core >= 0) ratio(entries[k * paths.length + batch], entries[k * paths.length + core]);
    }
    if (checkouts.length === 2) for (let p = 0; p < paths.length; p++) ratio(entries[paths.length + p], entries[p]);
    for (const entry of entries) entry.session.close();
  }
}

await main();
