// Run options, the three scale presets, and the command-line parser.
import type { GrowingScale, ManyAssetsScale, SteadyScale, SweepScale } from './workloads/synthetic.js';
import type { LobsterScale } from './workloads/lobster.js';
import type { SteadyStopsScale, StopsScale } from './workloads/stops.js';
import { statSync } from 'node:fs';
import { parseDecimalInteger } from '../src/decimal-integer.js';
import { MAX_SEED } from '../src/prng.js';
import { WORKLOAD_NAMES } from './workloads/workload.js';
import type { WorkloadName } from './workloads/workload.js';
import { ENGINE_IDS } from './engines/engine.js';
import type { EngineId } from './engines/engine.js';

export type ScaleName = 'full' | 'quick' | 'tiny';

export interface Scale {
  steady: SteadyScale;
  growing: GrowingScale;
  sweep: SweepScale;
  wide: SteadyScale;
  manyAssets: ManyAssetsScale;
  lobster: LobsterScale;
  stops: StopsScale;
  /** steady-stops is steady's flow (its scale) with this many pending stops. */
  steadyStops: SteadyStopsScale;
  /** benchmark.js: the least samples per engine and workload, and the time budget for each. */
  minSamples: number;
  maxTimeSeconds: number;
  /** benchmark.js cycle length: long enough for the timer, short enough to need few commands. */
  minTimeSeconds: number;
  /** Commands per benchmark.js operation (and per batch for the batched paths). */
  chunk: number;
  /** Untimed commands each engine runs before it is measured (the same ones for every engine). */
  warmupCommands: number;
  /** Most per-call commands timed one by one per engine and workload, in each latency pass. */
  latencyCommands: number;
  /** Latency passes over those commands, pooled (latency.ts says why more than one). */
  latencyPasses: number;
  /** The paired passes of the ratio targets (bench/pairs.ts): timed rounds per pair, and the slower side's pass in CPU seconds. */
  pairs: { rounds: number; passSeconds: number };
  /** sustainedOrders: the flow of the sustained group-commit run, long enough for RocksDB's compaction to be part of what it pays. */
  persistence: { orders: number; sustainedOrders: number; bookSizes: number[] };
  /** The growth section (growth.ts): the book it builds, past a million so both cores grow at a million-order size. */
  growth: { orders: number };
}

export const SCALES: Record<ScaleName, Scale> = {
  full: {
    steady: { resting: 10_000, commands: 400_000 },
    growing: { resting: 1_000_000 },
    sweep: { levels: 100, ordersPerLevel: 2, commands: 300_000 },
    wide: { resting: 10_000, commands: 300_000 },
    manyAssets: { assets: 10_000, ordersPerAsset: 4, commands: 300_000 },
    lobster: { messages: 0 },
    stops: { resting: 2_000, commands: 300_000 },
    steadyStops: { pending: 10_000 },
    minSamples: 7, maxTimeSeconds: 1.2, minTimeSeconds: 0.025, chunk: 1000,
    warmupCommands: 50_000, latencyCommands: 100_000, latencyPasses: 5,
    pairs: { rounds: 5, passSeconds: 0.1 },
    persistence: { orders: 1_000_000, sustainedOrders: 4_000_000, bookSizes: [100_000, 1_000_000] },
    growth: { orders: 1_300_000 },
  },
  quick: {
    steady: { resting: 10_000, commands: 150_000 },
    growing: { resting: 100_000 },
    sweep: { levels: 100, ordersPerLevel: 2, commands: 100_000 },
    wide: { resting: 10_000, commands: 100_000 },
    manyAssets: { assets: 10_000, ordersPerAsset: 4, commands: 100_000 },
    lobster: { messages: 60_000 },
    stops: { resting: 2_000, commands: 100_000 },
    steadyStops: { pending: 10_000 },
    minSamples: 5, maxTimeSeconds: 0.35, minTimeSeconds: 0.02, chunk: 1000,
    warmupCommands: 30_000, latencyCommands: 50_000, latencyPasses: 3,
    pairs: { rounds: 4, passSeconds: 0.05 },
    persistence: { orders: 200_000, sustainedOrders: 800_000, bookSizes: [100_000] },
    growth: { orders: 300_000 },
  },
  tiny: {
    steady: { resting: 1_000, commands: 6_000 },
    // Past the WASM core's first allocation, so its memory grows and the growth is measured.
    growing: { resting: 40_000 },
    sweep: { levels: 20, ordersPerLevel: 2, commands: 6_000 },
    wide: { resting: 1_000, commands: 6_000 },
    manyAssets: { assets: 300, ordersPerAsset: 3, commands: 6_000 },
    lobster: { messages: 6_000 },
    stops: { resting: 500, commands: 6_000 },
    steadyStops: { pending: 1_000 },
    minSamples: 5, maxTimeSeconds: 0.05, minTimeSeconds: 0.002, chunk: 250,
    warmupCommands: 1_000, latencyCommands: 2_000, latencyPasses: 2,
    pairs: { rounds: 2, passSeconds: 0.005 },
    persistence: { orders: 5_000, sustainedOrders: 20_000, bookSizes: [2_000] },
    growth: { orders: 40_000 },
  },
};

export interface BenchOptions {
  scale: ScaleName;
  workloads: WorkloadName[];
  engines: EngineId[];
  /**
   * Where latest.json and the charts go; undefined: a new directory under the system temp dir,
   * never a directory of the package itself (`npm run bench` passes --default-out bench/results).
   */
  outDir: string | undefined;
  seed: number;
  /** Draw a progress bar on stderr. */
  progress: boolean;
  /** Print the tables on stdout. */
  print: boolean;
  /** Run the persistence section (when src/state is built). */
  persistence: boolean;
  /** Run the cluster section (where nats-server is installed). */
  cluster: boolean;
  /** Run the events section (what events, the state machine and a feed subscriber cost). */
  events: boolean;
  /** Run the growth section (growth.ts: how long a batch waits when a core grows inside it). */
  growth: boolean;
  /** Measure every engine in the bench's own process, not each engine in a child process of its own. */
  oneProcess: boolean;
  /** Measure the ratio targets' pairs in alternated passes (bench/pairs.ts). */
  pairs: boolean;
}

export function defaultOptions(): BenchOptions {
  return {
    scale: 'full', workloads: [...WORKLOAD_NAMES], engines: [...ENGINE_IDS], outDir: undefined,
    seed: 20120621, progress: process.stderr.isTTY === true, print: true, persistence: true, cluster: true,
    events: true, growth: true, oneProcess: false, pairs: true,
  };
}

export const USAGE = `usage: npm run bench -- [options]
  --full               every workload at full size, the default: 15-17 minutes on 2
                       cores with everything (889-1,030 s in stops 57-60's runs)
  --quick              smaller workloads, fewer samples: minutes (199 and 210 s on
                       2 cores without persistence, cluster and events, 2026-12-06)
  --tiny               a smoke test of the whole pipeline: about a minute (64 and
                       62 s on 2 cores without the cluster, 2026-12-06)
  --workload a,b       workloads: ${WORKLOAD_NAMES.join(', ')}
  --engine a,b         engines: ${ENGINE_IDS.join(', ')}
  --out DIR            results directory (default: a new directory under the system temp dir)
  --default-out DIR    the results directory when --out is not given (npm run bench
                       passes bench/results)
  --seed N             workload seed (default 20120621)
  --no-persistence     skip the persistence section
  --persistence-only   only the persistence section (no engine workloads, cluster, events
                       or growth)
  --no-cluster         skip the cluster section (it runs only where nats-server is installed)
  --no-events          skip the events section (events read, state machine, feed subscriber)
  --no-growth          skip the growth section (the longest batch while a book grows from
                       empty, against the median batch)
  --no-pairs           skip the paired passes of the ratio targets (their verdicts then
                       rest on the throughput rows' ratio of medians)
  --one-process        measure every engine in this process, not each in its own
                       (shows what one engine's effect on V8 costs the others, and
                       favours an engine opened after another: bench/README.md)
  --progress / --no-progress   force the progress bar on or off`;

/** Plural spellings of a flag: giving both is giving it twice. */
const SAME_FLAG_AS: Readonly<Record<string, string>> = { '--workloads': '--workload', '--engines': '--engine' };

export function parseArgs(argv: string[]): BenchOptions {
  const options = defaultOptions();
  // Flags that cancel each other would leave the last one to win silently, and a run measuring nothing.
  let persistenceOnly = false;
  let noPersistence = false;
  // A value given twice is a typing mistake the last one would win silently (as lobcore's other
  // commands refuse it). npm run bench names its directory with --default-out, so that a user's
  // --out is the only --out and a second one is refused like any other flag.
  let defaultOut: string | undefined;
  let scaleFlag: string | undefined;
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      const flag = SAME_FLAG_AS[arg] ?? arg;
      const first = given.get(flag);
      if (first !== undefined) throw new Error(`${arg} given twice ("${first}", then "${v}"): give it once`);
      given.set(flag, v);
      return v;
    };
    switch (arg) {
      case '--quick': case '--tiny': case '--full': {
        // Two scales would leave the last to win silently: a --tiny typed after --full is a mistake.
        if (scaleFlag !== undefined && scaleFlag !== arg) throw new Error(`${scaleFlag} and ${arg} together: give one scale`);
        scaleFlag = arg;
        options.scale = arg.slice(2) as ScaleName;
        break;
      }
      case '--workload': case '--workloads': options.workloads = pickList(arg, value(), WORKLOAD_NAMES, 'workload'); break;
      case '--engine': case '--engines': options.engines = pickList(arg, value(), ENGINE_IDS, 'engine'); break;
      case '--out': options.outDir = resultsDirectory(arg, value()); break;
      case '--default-out': defaultOut = resultsDirectory(arg, value()); break;
      case '--seed': options.seed = seedOf(value()); break;
      case '--no-persistence': options.persistence = false; noPersistence = true; break;
      case '--persistence-only': persistenceOnly = true; options.workloads = []; options.persistence = true; options.cluster = false; options.events = false; options.growth = false; options.pairs = false; break;
      case '--no-cluster': options.cluster = false; break;
      case '--no-events': options.events = false; break;
      case '--no-growth': options.growth = false; break;
      case '--no-pairs': options.pairs = false; break;
      case '--one-process': options.oneProcess = true; break;
      case '--progress': options.progress = true; break;
      case '--no-progress': options.progress = false; break;
      case '-h': case '--help': throw new Error(USAGE);
      default: throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (persistenceOnly && noPersistence) throw new Error('--persistence-only and --no-persistence together would measure nothing: give one of them');
  // --persistence-only empties the workloads and a --workload after it filled them again, so what
  // ran hung on the order the two were typed in; an --engine beside it was ignored without a word.
  for (const flag of ['--workload', '--engine']) {
    if (persistenceOnly && given.has(flag)) throw new Error(`--persistence-only and ${flag} together: the persistence section runs no engine workloads; give one of them`);
  }
  options.outDir ??= defaultOut;
  return options;
}

/**
 * The results are written after the whole run, minutes later: a directory they cannot go to is
 * refused now. An empty value would resolve to the current directory, and a flag taken for the
 * value (`--out --tiny`) would make a directory of that name, both without a word.
 */
function resultsDirectory(flag: string, text: string): string {
  if (text === '') throw new Error(`${flag} needs a directory, not an empty string`);
  if (text.startsWith('-')) throw new Error(`${flag} needs a directory, not the flag ${text} (./${text} names a directory that starts with -)`);
  if (statSync(text, { throwIfNoEntry: false })?.isDirectory() === false) throw new Error(`${flag} ${text} is a file; the results need a directory`);
  return text;
}

/**
 * The command a results file records: `npm run bench --` and the flags given, less the
 * `--default-out` that `npm run bench` adds itself, and with `--out`'s directory written DIR. The
 * file lives in that directory, and its path (an absolute one names one machine) would be
 * committed with bench/results.
 */
export function recordedCommand(argv: readonly string[]): string {
  const words = ['npm run bench --'];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--default-out') i++;
    else if (argv[i] === '--out') words.push(argv[i], argv[++i] === undefined ? '' : 'DIR');
    else words.push(argv[i]);
  }
  return words.join(' ').trimEnd();
}

/**
 * Number() took '0x10' for 16 and '' for 0: a seed is typed as decimal digits. The generators keep
 * 32 bits of it, so a larger one would run a smaller one's commands under its own name.
 */
function seedOf(text: string): number {
  const seed = parseDecimalInteger(text);
  if (seed === undefined) throw new Error(`--seed must be a whole number in decimal digits, got "${text}"`);
  if (seed > MAX_SEED) throw new Error(`--seed ${text} is past ${MAX_SEED}: the workloads' generator keeps 32 bits of a seed, so it would run seed ${seed % 2 ** 32}'s commands`);
  return seed;
}

function pickList<T extends string>(flag: string, text: string, known: readonly T[], what: string): T[] {
  const picked = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  // An empty list ran a bench of nothing: every section skipped or not measured, exit 0.
  if (picked.length === 0) throw new Error(`${flag} needs at least one ${what}, got "${text}"; one of ${known.join(', ')}`);
  for (const name of picked) {
    if (!(known as readonly string[]).includes(name)) throw new Error(`unknown ${what} "${name}"; one of ${known.join(', ')}`);
  }
  return picked as T[];
}
