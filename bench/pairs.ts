// The ratio targets measured in alternated passes. The throughput rows take each engine's
// benchmark.js samples in a stretch of time of its own, up to a minute or so from the figure a
// target divides it by, and this machine's speed drifts by 1.5-3x over minutes; a ratio of two
// such medians moves with the neighbours' load. Here the two sides of each pair run one timed
// pass each of the same stream commands from the same state, in rounds, the order swapped every
// round, each pass timed by its process's main thread's time on a core (its wall time less its
// waits for a core, so time another process holds the core counts for neither; pair-sessions.ts
// says why not its CPU time or the whole process's), and the ratio is taken round by round: two
// passes moments apart.
// Across engines the two sides are in the engines' own processes (engine-process.ts), driven one
// step at a time (pair-sessions.ts); wide / steady has both sessions in one engine's process.
import type { EngineRunner } from './engine-runs.js';
import type { EngineId } from './engines/engine.js';
import type { SessionKey } from './pair-sessions.js';
import type { Progress } from './progress.js';
import { comparable } from './report.js';
import type { Measurement, PairedRatio, PairsReport } from './report.js';
import { spread } from './stats.js';
import { pairText, ratioTargets, samePair } from './target-pairs.js';
import type { TargetPair } from './target-pairs.js';
import type { Workload, WorkloadName } from './workloads/workload.js';

export interface PairSettings {
  chunk: number;
  /** Timed rounds per pair, after one untimed. */
  rounds: number;
  /** The slower side's pass, in seconds on a core at its throughput row's median rate. */
  passSeconds: number;
  /**
   * The CPUs the rounds run on, two rounds on each in turn (cpu-pinning.ts): both sides' main
   * threads held to the round's CPU. Empty: left where Linux puts them.
   */
  cpus?: readonly number[];
}

/** One side of a pair: what runs its passes. */
export interface PairSide {
  rewind(): Promise<void>;
  /** seconds on a core of one pass. */
  pass(): Promise<number>;
}

/**
 * One round: both sides rewound (at once where they are in two processes), then one pass of
 * each, b's first when `bFirst`. Returns the two passes' seconds on a core, a's then b's.
 */
export async function round(a: PairSide, b: PairSide, apart: boolean, bFirst: boolean): Promise<[number, number]> {
  if (apart) await Promise.all([a.rewind(), b.rewind()]);
  else {
    await a.rewind();
    await b.rewind();
  }
  if (bFirst) {
    const secondsB = await b.pass();
    return [await a.pass(), secondsB];
  }
  const secondsA = await a.pass();
  return [secondsA, await b.pass()];
}

/**
 * The CPU of timed round `r`: two rounds on each CPU in turn, so that each CPU's two rounds have
 * each side first once (the order swaps every round), not a first on one CPU and b first on the
 * other. An odd count gives the first CPU one round more.
 */
export function roundCpu(cpus: readonly number[], r: number): number | undefined {
  return cpus.length === 0 ? undefined : cpus[Math.floor(r / 2) % cpus.length];
}

/**
 * Timed rounds, b first every other round, so that neither side always runs just after the
 * untimed rewinds or just after the other; `pin` (when given) holds both sides to round `r`'s
 * CPU first. Returns each side's seconds on a core, round by round.
 */
export async function alternate(
  a: PairSide, b: PairSide, rounds: number, apart: boolean, pin?: (r: number) => Promise<void>,
): Promise<{ a: number[]; b: number[] }> {
  const seconds = { a: [] as number[], b: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    await pin?.(r);
    const [secondsA, secondsB] = await round(a, b, apart, r % 2 === 1);
    seconds.a.push(secondsA);
    seconds.b.push(secondsB);
  }
  return seconds;
}

/**
 * The round-by-round figures of `commands` a pass: each side's rate and a's over b's (b's seconds
 * over a's); with `cpus` (each round's CPU), the ratio of each CPU's rounds as well.
 */
export function roundFigures(
  commands: number, seconds: { a: readonly number[]; b: readonly number[] }, cpus: readonly number[] = [],
): Pick<PairedRatio, 'rateA' | 'rateB' | 'ratio' | 'rounds' | 'byCpu'> {
  const ratios = seconds.a.map((s, i) => seconds.b[i] / s);
  const figures = {
    rounds: seconds.a.length,
    rateA: spread(seconds.a.map((s) => commands / s)),
    rateB: spread(seconds.b.map((s) => commands / s)),
    ratio: spread(ratios),
  };
  if (cpus.length === 0) return figures;
  const byCpu = [...new Set(cpus)].sort((x, y) => x - y).map((cpu) => {
    const rounds = ratios.filter((_, r) => cpus[r] === cpu);
    return { cpu, rounds: rounds.length, ratio: spread(rounds) };
  });
  return { ...figures, byCpu };
}

/**
 * The stream commands [from, to) a pass of the pair runs: whole chunks, as many as the slower
 * side runs in `passSeconds` at `slowerRate`. A stream rewound when used up (steady and the like)
 * gives its first commands; growing, applied once, its last ones, where the book is near its
 * full size (the passes start from a state reached untimed, EngineSession.startAt); LOBSTER, run
 * in whole passes by its throughput rows, the whole stream. A pair across two workloads
 * (wide / steady) runs as many commands of each.
 */
export function passStretch(a: Workload, b: Workload, slowerRate: number, settings: Pick<PairSettings, 'chunk' | 'passSeconds'>): { from: number; to: number } {
  const { chunk } = settings;
  if (a.whenExhausted === 'passes' && a === b) return { from: 0, to: a.stream.count };
  const available = Math.min(a.stream.count, b.stream.count);
  const whole = Math.max(chunk, available - (available % chunk));
  const wanted = Math.max(1, Math.round((slowerRate * settings.passSeconds) / chunk)) * chunk;
  const commands = Math.min(whole, wanted);
  if (a.whenExhausted === 'stop') return { from: whole - commands, to: whole };
  return { from: 0, to: Math.min(commands, available) };
}

/**
 * The stretch cut (or, on a stream that rewinds, lengthened) to what the slower side runs in
 * `passSeconds` on a core, at the rate its untimed pass over `stretch` took `slowerSeconds` for. The
 * throughput rows' rates are wall-clock rates, and on a busy machine they can read a tenth of the
 * rate on a core, which made passes of a few milliseconds. LOBSTER keeps its whole stream, and
 * growing's stretch keeps its start (the state its sessions were opened at) and cannot pass the
 * stream's end.
 */
export function fitStretch(
  stretch: { from: number; to: number }, slowerSeconds: number, a: Workload, b: Workload, settings: Pick<PairSettings, 'chunk' | 'passSeconds'>,
): { from: number; to: number } {
  if (a.whenExhausted === 'passes' && a === b) return stretch;
  const { chunk } = settings;
  const rate = (stretch.to - stretch.from) / slowerSeconds;
  const wanted = Math.max(1, Math.round((rate * settings.passSeconds) / chunk)) * chunk;
  const available = Math.min(a.stream.count, b.stream.count);
  const end = a.whenExhausted === 'stop' ? stretch.to : Math.max(chunk, available - (available % chunk));
  return { from: stretch.from, to: Math.min(available, end, stretch.from + wanted) };
}

/** The sessions the pairs still to come open in `runner`'s process. */
export function laterSessions(later: readonly TargetPair[], runnerOf: (engine: EngineId) => EngineRunner, runner: EngineRunner): SessionKey[] {
  const out: SessionKey[] = [];
  for (const [wa, ea, wb, eb] of later) {
    for (const [workload, engine] of [[wa, ea], [wb, eb]] as const) {
      if (runnerOf(engine) === runner && !out.some((k) => k.engine === engine && k.workload === workload)) out.push({ engine, workload });
    }
  }
  return out;
}

/** Every pair the ratio targets compare, once each, in the targets' order. */
export function targetPairs(workloads: readonly WorkloadName[]): TargetPair[] {
  const out: TargetPair[] = [];
  for (const target of Object.values(ratioTargets(workloads))) {
    for (const pair of target.pairs) if (!out.some((p) => samePair(p, pair))) out.push(pair);
  }
  return out;
}

/**
 * The workload whose engine processes measure a pair (workload-processes.ts): its own, or for a
 * pair across two workloads (wide / steady) the later of the two in `order`, when both rows exist.
 */
export function pairWorkload([wa, , wb]: TargetPair, order: readonly WorkloadName[]): WorkloadName {
  return order.indexOf(wb) > order.indexOf(wa) ? wb : wa;
}

/** `pairs`: the pairs to measure (one workload's, in its processes); by default every target pair of `built`. */
export async function measurePairs(
  runnerOf: (engine: EngineId) => EngineRunner, built: readonly Workload[], measurements: readonly Measurement[],
  settings: PairSettings, progress: Progress, pairs: readonly TargetPair[] = targetPairs(built.map((w) => w.name)),
): Promise<PairsReport> {
  const started = Date.now();
  const report: PairsReport = { rounds: settings.rounds, passSeconds: settings.passSeconds, seconds: 0, pairs: [], notMeasured: [] };
  // The fastest sample: the rate least slowed by whatever else shares the machine.
  const rate = (workload: WorkloadName, engine: EngineId): number | undefined => {
    const m = measurements.find((x) => x.workload === workload && x.engine === engine);
    return m !== undefined && comparable(m) ? m.throughput?.opsPerSec.max : undefined;
  };
  /** Why a pair cannot be measured in this run, if it cannot. */
  const skipped = ([wa, ea, wb, eb]: TargetPair): string | undefined => {
    const missing = [wa, wb].find((w) => !built.some((b) => b.name === w));
    if (missing !== undefined) return `${missing} not in this run`;
    if (rate(wa, ea) === undefined) return `no verified throughput row for ${wa} / ${ea}`;
    if (rate(wb, eb) === undefined) return `no verified throughput row for ${wb} / ${eb}`;
    return undefined;
  };
  // The sessions each engine process holds, by `engine workload start`: a later pair on the same
  // engine, workload and start reuses one (a rewind before every pass returns it to its start)
  // instead of opening it again; growing's naive book took seconds to reach its start.
  const held = new Map<EngineRunner, Set<string>>();
  const heldBy = (runner: EngineRunner): Set<string> => {
    let keys = held.get(runner);
    if (keys === undefined) held.set(runner, keys = new Set());
    return keys;
  };
  for (const [index, pair] of pairs.entries()) {
    const [wa, ea, wb, eb] = pair;
    const sides = { workloadA: wa, engineA: ea, workloadB: wb, engineB: eb };
    const reason = skipped(pair);
    if (reason !== undefined) {
      report.notMeasured.push({ ...sides, reason });
      progress.done();
      continue;
    }
    const rateA = rate(wa, ea)!;
    const rateB = rate(wb, eb)!;
    progress.step(`paired passes: ${pairText(pair)}`);
    const pairStarted = Date.now();
    const workloadA = built.find((w) => w.name === wa)!;
    const workloadB = built.find((w) => w.name === wb)!;
    // Twice the length aimed at, so that the untimed round's time can cut it to size where
    // it cannot grow (growing's last stretch, whose start the sessions open at).
    let { from, to } = passStretch(workloadA, workloadB, Math.min(rateA, rateB), { ...settings, passSeconds: 2 * settings.passSeconds });
    const runnerA = runnerOf(ea);
    const runnerB = runnerOf(eb);
    const apart = runnerA !== runnerB;
    const side = (runner: EngineRunner, engine: EngineId, workload: WorkloadName): PairSide => ({
      rewind: async () => {
        await runner.pair({ op: 'rewind', engine, workload });
      },
      pass: () => runner.pair({ op: 'pass', engine, workload, from, to }),
    });
    try {
      const open = async (runner: EngineRunner, engine: EngineId, workload: Workload): Promise<void> => {
        const keys = heldBy(runner);
        const key = `${engine} ${workload.name} ${from}`;
        if (keys.has(key)) return;
        for (const k of keys) if (k.startsWith(`${engine} ${workload.name} `)) keys.delete(k);
        await runner.pair({ op: 'open', engine, workload, start: from });
        keys.add(key);
      };
      if (apart) await Promise.all([open(runnerA, ea, workloadA), open(runnerB, eb, workloadB)]);
      else {
        await open(runnerA, ea, workloadA);
        await open(runnerB, eb, workloadB);
      }
      const a = side(runnerA, ea, wa);
      const b = side(runnerB, eb, wb);
      const cpus = settings.cpus ?? [];
      const pin = async (r: number): Promise<void> => {
        const cpu = roundCpu(cpus, r);
        if (cpu === undefined) return;
        await runnerA.pinMainThread(cpu);
        if (apart) await runnerB.pinMainThread(cpu);
      };
      // One untimed round (on the first timed round's CPU): both sides' code warm, and the stretch
      // fitted to the time it took.
      await pin(0);
      ({ from, to } = fitStretch({ from, to }, Math.max(...await round(a, b, apart, true)), workloadA, workloadB, settings));
      const seconds = await alternate(a, b, settings.rounds, apart, pin);
      const roundCpus = cpus.length === 0 ? [] : seconds.a.map((_, r) => roundCpu(cpus, r)!);
      report.pairs.push({ ...sides, from, to, ...roundFigures(to - from, seconds, roundCpus), seconds: (Date.now() - pairStarted) / 1000 });
    } catch (error) {
      report.notMeasured.push({ ...sides, reason: `failed: ${(error as Error).message.split('\n')[0]}` });
      // Whatever the failed pair left open is not trusted for another.
      for (const runner of [runnerA, runnerB]) heldBy(runner).clear();
    } finally {
      // Each process keeps only what a later pair runs there: growing's sessions (its core alone's
      // whole encoded stream among them) go once its last pair is done.
      await Promise.allSettled([runnerA, ...(apart ? [runnerB] : [])].map((runner) => {
        const needed = laterSessions(pairs.slice(index + 1).filter((p) => skipped(p) === undefined), runnerOf, runner);
        const keys = heldBy(runner);
        for (const k of keys) if (!needed.some((n) => k.startsWith(`${n.engine} ${n.workload} `))) keys.delete(k);
        return runner.pair({ op: 'release', needed });
      }));
    }
    progress.done();
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}
