// The results document (bench/results/latest.json) and the targets it is judged against.
import type { MachineInfo } from './machine.js';
import type { BookDigest, FillDigest } from './book-check.js';
import type { Spread } from './stats.js';
import type { WholeStreamThread } from './throughput.js';
import { GROWTH_PAUSE_GOAL, pauseRatio, type GrowthReport } from './growth.js';
import { latencyCalls } from './latency.js';
import type { LatencyResult } from './latency.js';
import type { EngineId } from './engines/engine.js';
import type { WorkloadName } from './workloads/workload.js';
import type { ScaleName } from './options.js';
import { TARGET_PACED_PER_SEC, checkpointPauseText, longestGapSplitText } from './persistence.js';
import type { BookRun, PersistenceReport } from './persistence.js';
import type { ClusterBenchReport } from './cluster.js';
import type { EventsReport } from './events.js';
import type { ReferenceCheck } from './engine-runs.js';
import { pairText, ratioTargets } from './target-pairs.js';
import type { RatioTarget, TargetPair } from './target-pairs.js';

/** 2: the paired ratios (`pairs`) and the targets' `paired` figures; a file of schema 1 has neither, and reads as "pairs not run". */
export const REPORT_SCHEMA = 'lobcore-bench/2';

export interface WorkloadInfo {
  name: WorkloadName;
  description: string;
  preludeCommands: number;
  streamCommands: number;
  restingAfterPrelude: number;
  restingAtEnd: number;
  /** Shares of the stream: resting (GTC) limits, marketable orders (market and IOC), cancels, reduces, stops. */
  mix: { limit: number; marketable: number; cancel: number; reduce: number; stop: number };
  /** Workloads with stops: per the reference book, in one pass of the stream. */
  stops?: { placed: number; triggered: number; longestCascade: number; pendingAfterPrelude: number; pendingAtEnd: number };
}

export interface EngineInfo {
  id: EngineId;
  label: string;
  perCall: boolean;
  /** Why it did not run at all, if it did not. */
  unavailable?: string;
}

/** One engine on one workload. `status` 'n/a': the engine cannot express the workload. */
export interface Measurement {
  workload: WorkloadName;
  engine: EngineId;
  status: 'ok' | 'n/a' | 'unavailable' | 'failed';
  reason?: string;
  caveat?: string;
  /** Wall time of this engine's whole task on the workload (warm-up, throughput, verification, latency). */
  seconds?: number;
  /** The CPU its process's main thread was held to, as every engine's on this workload (bench/cpu-pinning.ts); absent: not held. */
  cpu?: number;
  throughput?: {
    opsPerSec: Spread;
    samples: number;
    minTimeSeconds: number;
    /** A stream applied once (growing): commands/s over its whole stream, the row's figure (rowRate; bench/throughput.ts). */
    wholeStream?: number;
    /** A stream applied once: its main thread's timed seconds, waits for a core and minor faults (bench/throughput.ts). */
    wholeStreamThread?: WholeStreamThread;
    /** The row's figure over the JS engine's same path (per call or batched), and over nodejs-order-book's. */
    vsJs?: number;
    vsNodejsOrderBook?: number;
  };
  /** Nanoseconds per call (per-call paths), hrtime overhead included. */
  latencyNs?: LatencyResult;
  /** One whole pass of the stream, untimed, checked against the generator's reference book. */
  verification?: Verification;
}

export interface Verification {
  ok: boolean;
  /**
   * True for the naive engine: it is the reference book's own code (NaiveStopBook extends
   * NaiveOrderBook), so agreeing with it proves nothing; the reference is checked instead against
   * lobcore's JS engine (BenchReport.referenceChecks).
   */
  reference?: boolean;
  /** Stream commands in the checked pass: always the whole stream. */
  commands: number;
  /** Wall time of the untimed verification pass (rewind, whole stream, comparison). */
  seconds?: number;
  restingOrders: number;
  expectedResting: number;
  pendingStops: number;
  expectedPending: number;
  /** False where the engine's results do not tell the lots filled (then filledVolume is not compared). */
  volumeChecked: boolean;
  filledVolume: number;
  expectedFilledVolume: number;
  idMismatches: number;
  rejected: number;
  /** The final book, digested (book-check.ts), and the reference book's. */
  book: BookDigest;
  expectedBook: BookDigest;
  /** False where the engine's results carry no fill records (the cores alone, nodejs-order-book). */
  fillsChecked: boolean;
  fills?: FillDigest;
  expectedFills: FillDigest;
  /** What differs from the reference, in words; empty when ok. */
  differences: string[];
}

export interface MemoryMeasurement {
  engine: EngineId;
  restingOrders: number;
  /** Growth of engine.memoryBytes() (lobcore engines: WASM linear memory / JS typed arrays). */
  engineBytesPerOrder?: number;
  /** JS heap growth (after gc) per resting order. */
  heapBytesPerOrder?: number;
  /** ArrayBuffer (incl. WASM memory) growth per resting order. */
  arrayBufferBytesPerOrder?: number;
  gcExposed: boolean;
}

/**
 * What a population of pending stops costs the steady flow: steady-stops (steady's commands over
 * its book plus parked stops) against steady, per engine, in alternating passes (bench/stops-cost.ts).
 */
export interface PendingStopsCost {
  /** Stops pending in steady-stops' book at the start of a pass. */
  pendingStops: number;
  /** Pairs of passes per engine. */
  rounds: number;
  engines: {
    engine: EngineId;
    /** Commands in one pass (a prefix of both streams), and the stops such a pass triggers. */
    commands: number;
    triggered: number;
    /** Commands per CPU second over the rounds, and steady-stops over steady round by round. */
    steady: Spread;
    steadyStops: Spread;
    ratio: Spread;
  }[];
}

/**
 * One pair a ratio target compares, measured in alternated passes (bench/pairs.ts): rounds in
 * which each side runs one timed pass of the same stream commands from the same state, in its
 * process's main thread's time on a core, the order swapped every round; the ratio taken round by round.
 */
export interface PairedRatio {
  /** Side a's rate over side b's. */
  workloadA: WorkloadName;
  engineA: EngineId;
  workloadB: WorkloadName;
  engineB: EngineId;
  /** The stream commands [from, to) each pass runs, from the state after the stream's first `from`. */
  from: number;
  to: number;
  rounds: number;
  /** Commands per second on a core of each side over the rounds, and a over b round by round. */
  rateA: Spread;
  rateB: Spread;
  ratio: Spread;
  /** Where both sides' main threads were held to one CPU a round (bench/cpu-pinning.ts): each CPU's rounds' ratio. */
  byCpu?: { cpu: number; rounds: number; ratio: Spread }[];
  /** Wall time of the pair's whole task: the sessions opened, the untimed round, the rounds. */
  seconds: number;
}

export type PairsReport =
  | {
    /** Timed rounds per pair (after one untimed), and the slower side's pass length aimed at, in seconds on a core. */
    rounds: number;
    passSeconds: number;
    /** Wall time of the whole section. */
    seconds: number;
    pairs: PairedRatio[];
    /** Pairs a target compares that have no paired figure, and why. */
    notMeasured: { workloadA: WorkloadName; engineA: EngineId; workloadB: WorkloadName; engineB: EngineId; reason: string }[];
  }
  | { status: 'not run'; reason: string };

export interface Target {
  name: string;
  goal: string;
  actual: string;
  /** null: not measured in this run. */
  met: boolean | null;
  /** Ratio targets: the worst pair's paired figure (bench/pairs.ts), printed beside the verdict, which is on the ratio of medians. */
  paired?: { at: string; ratio: Spread; rounds: number; pairsMeasured: number; pairs: number };
  /** Ratio targets: the worst of the throughput rows' median over median. */
  ratioOfMedians?: { at: string; ratio: number };
}

export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  machine: MachineInfo;
  run: {
    scale: ScaleName; seed: number; chunk: number; minSamples: number; timerFloorNs: number; seconds: number; command: string;
    /** Where the engines ran: each in a child process of its own (suite.ts engineGroups), or all in the bench's process. */
    engineProcesses: 'one per engine' | 'one for all';
  };
  workloads: WorkloadInfo[];
  /** The reference book checked against lobcore's JS engine, per workload (engine-runs.ts checkReference). */
  referenceChecks?: ReferenceCheck[];
  /** Every failed check in words (failedChecks): engine runs that did not end where the reference did, and reference checks; empty when all passed. */
  checksFailed?: string[];
  engines: EngineInfo[];
  measurements: Measurement[];
  memory: { workload: 'growing'; results: MemoryMeasurement[] } | { status: 'not run'; reason: string };
  pendingStopsCost: PendingStopsCost | { status: 'not run'; reason: string };
  persistence: PersistenceReport;
  cluster?: ClusterBenchReport;
  events?: EventsReport;
  /** Absent from files written before stop 61. */
  growth?: GrowthReport;
  /** Absent from files of schema 1. */
  pairs?: PairsReport;
  targets: Target[];
}

/** Measured, and its verification passed: only such a figure feeds a ratio or a target. */
export function comparable(m: Measurement): boolean {
  return m.status === 'ok' && m.verification?.ok === true;
}

/**
 * An engine's figure on a workload: the median of its samples, or for a stream applied once
 * (growing) its rate over the whole stream (bench/throughput.ts, wholeStream).
 */
export function rowRate(throughput: NonNullable<Measurement['throughput']>): number {
  return throughput.wholeStream ?? throughput.opsPerSec.median;
}

/** The figure (rowRate) of an engine on a workload among `measurements`, if one that `accept` takes has throughput. */
export function rowFigure(
  measurements: readonly Measurement[], workload: string, engine: string, accept: (m: Measurement) => boolean = () => true,
): number | undefined {
  const throughput = measurements.find((m) => m.workload === workload && m.engine === engine && accept(m))?.throughput;
  return throughput === undefined ? undefined : rowRate(throughput);
}

function find(report: BenchReport, workload: WorkloadName, engine: EngineId): Measurement | undefined {
  return report.measurements.find((m) => m.workload === workload && m.engine === engine && comparable(m));
}

/** Engine runs whose verification failed (their figures feed no ratio or target), and reference checks that failed. */
export function failedChecks(report: BenchReport): string[] {
  const out: string[] = [];
  for (const c of report.referenceChecks ?? []) {
    if (!c.ok) out.push(`REFERENCE CHECK FAILED on ${c.workload}: the reference book and lobcore's JS engine disagree: ${c.differences.join('; ')}`);
  }
  for (const m of report.measurements) {
    if (m.status === 'ok' && m.verification?.ok !== true) {
      out.push(`MISMATCH ${m.workload} / ${m.engine}: ${(m.verification?.differences ?? ['not verified']).join('; ')}`);
    }
  }
  return out;
}

/** The lowest of the median ratios a/b over the pairs measured in this run, and where it was. */
function worstRatio(report: BenchReport, pairs: readonly TargetPair[]): { ratio: number; at: string } | undefined {
  let worst: { ratio: number; at: string } | undefined;
  for (const pair of pairs) {
    const [wa, ea, wb, eb] = pair;
    const a = find(report, wa, ea)?.throughput;
    const b = find(report, wb, eb)?.throughput;
    if (a === undefined || b === undefined) continue;
    const ratio = rowRate(a) / rowRate(b);
    if (worst === undefined || ratio < worst.ratio) worst = { ratio, at: pairText(pair) };
  }
  return worst;
}

/** The paired figure of each of the target's pairs that has one. */
export function pairedFigures(report: BenchReport, pairs: readonly TargetPair[]): PairedRatio[] {
  const measured = report.pairs !== undefined && 'pairs' in report.pairs ? report.pairs.pairs : [];
  return pairs.flatMap(([wa, ea, wb, eb]) =>
    measured.filter((p) => p.workloadA === wa && p.engineA === ea && p.workloadB === wb && p.engineB === eb));
}

/** Why a target has no paired figure: the section not run, or each pair's reason. */
function whyNotPaired(report: BenchReport, pairs: readonly TargetPair[]): string {
  if (report.pairs === undefined) return 'not in this results file (schema 1)';
  if (!('pairs' in report.pairs)) return report.pairs.reason;
  const reasons = new Set(report.pairs.notMeasured
    .filter((n) => pairs.some(([wa, ea, wb, eb]) => n.workloadA === wa && n.engineA === ea && n.workloadB === wb && n.engineB === eb))
    .map((n) => n.reason));
  return reasons.size === 0 ? 'no pair of it was measured' : [...reasons].join('; ');
}

const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/**
 * What the ratio targets' verdicts are taken on: the ratio of the throughput rows' medians, or the
 * worst pair's paired median where every pair of the target has one (else the medians still).
 * Both figures are printed either way. On the paired figure since stop 57: its outlying readings
 * are explained (a CPU-time clock in 4 ms ticks, a released session's heap, each side's process on
 * a vCPU of its own speed; bench/README.md, stops 55-57) and removed, and its two sides now run
 * each round on one CPU, where the two medians are taken minutes apart.
 */
export const RATIO_VERDICTS_ON: 'medians' | 'paired' = 'paired';

/** The headline targets, each met, missed, or not measured in this run. */
export function evaluateTargets(report: BenchReport, ratioVerdictsOn: 'medians' | 'paired' = RATIO_VERDICTS_ON): Target[] {
  const targets: Target[] = [];
  const ratios = ratioTargets(report.workloads.map((w) => w.name));
  const ratioTarget = ({ name, goal, pairs }: RatioTarget): Target => {
    const worst = worstRatio(report, pairs);
    const medians = worst === undefined ? 'ratio of medians not measured' : `ratio of medians ${fmt(worst.ratio)}x at worst (${worst.at})`;
    // The ratio of medians judges where a pair has no paired figure (--no-pairs, a pair that failed,
    // an older results file), or where RATIO_VERDICTS_ON says so.
    const verdict = { met: worst === undefined ? null : worst.ratio >= goal, ...(worst === undefined ? {} : { ratioOfMedians: worst }) };
    const paired = pairedFigures(report, pairs);
    if (paired.length === 0) {
      return {
        name, goal: `>= ${goal}x`,
        actual: worst === undefined ? `not measured (paired: ${whyNotPaired(report, pairs)})` : `${medians} (no paired figure: ${whyNotPaired(report, pairs)})`,
        ...verdict,
      };
    }
    const p = paired.reduce((w, x) => (x.ratio.median < w.ratio.median ? x : w));
    const at = pairText([p.workloadA, p.engineA, p.workloadB, p.engineB]);
    const coverage = paired.length === pairs.length ? '' : `, ${paired.length} of ${pairs.length} pairs`;
    const onPaired = ratioVerdictsOn === 'paired' && paired.length === pairs.length;
    return {
      name, goal: `>= ${goal}x`,
      actual: `${medians}; paired ${fmt(p.ratio.median)}x at worst (${at}; rounds ${fmt(p.ratio.min)}-${fmt(p.ratio.max)}, ${p.rounds} rounds${coverage})${onPaired ? ' (verdict on the paired figure)' : ''}`,
      ...verdict,
      ...(onPaired ? { met: p.ratio.median >= goal } : {}),
      paired: { at, ratio: p.ratio, rounds: p.rounds, pairsMeasured: paired.length, pairs: pairs.length },
    };
  };
  targets.push(ratioTarget(ratios['wasm-vs-js-batched']));
  targets.push(ratioTarget(ratios['wasm-vs-js-per-call']));
  targets.push(ratioTarget(ratios['submit-batch-vs-core']));
  targets.push(ratioTarget(ratios['wide-vs-steady']));
  const wasmCall = find(report, 'steady', 'wasm');
  const latency = wasmCall?.latencyNs;
  targets.push({
    name: 'WASM per-call p99 latency, steady', goal: '< 0.5 us',
    actual: latency === undefined ? 'not measured'
      : `${fmt(latency.p99 / 1000, 3)} us over ${latencyCalls(latency)} (each pass's own ${fmt(latency.passP99.min / 1000, 3)}-`
        + `${fmt(latency.passP99.max / 1000, 3)} us; timer floor ${report.run.timerFloorNs} ns included)`,
    met: latency === undefined ? null : latency.p99 < 500,
  });
  const nob = find(report, 'steady', 'nodejs-order-book');
  const best = ['wasm-batch', 'wasm'].map((e) => find(report, 'steady', e as EngineId)).find((m) => m?.throughput);
  const vsNob = best?.throughput && nob?.throughput ? rowRate(best.throughput) / rowRate(nob.throughput) : undefined;
  targets.push({
    name: `WASM (${best?.engine ?? 'n/a'}) vs nodejs-order-book, steady`, goal: '>= 100x',
    actual: vsNob === undefined ? 'not measured' : `${fmt(vsNob, 1)}x`, met: vsNob === undefined ? null : vsNob >= 100,
  });
  targets.push(ratioTarget(ratios['js-vs-naive']));
  const wasmMemory = 'results' in report.memory ? report.memory.results.find((m) => m.engine === 'wasm' || m.engine === 'wasm-batch') : undefined;
  // The goal is set at a million orders: a smaller book's growth is mostly the step in which
  // memory grows (none at all while it fits the core's first allocation), not its cost per order.
  const perOrder = wasmMemory !== undefined && wasmMemory.restingOrders >= 1_000_000 ? wasmMemory.engineBytesPerOrder : undefined;
  targets.push({
    name: 'WASM memory per resting order (growing, 1M)', goal: '<= 48 bytes',
    actual: perOrder === undefined ? 'not measured (needs the full run)' : `${fmt(perOrder, 1)} bytes at ${wasmMemory!.restingOrders.toLocaleString('en-US')} orders`,
    met: perOrder === undefined ? null : perOrder <= 48,
  });
  targets.push(growthTarget(report.growth));
  const persistence = report.persistence.status === 'ok' ? report.persistence : undefined;
  const group = persistence?.durable.find((d) => d.mode === 'group commit' && d.sync);
  const sustained = persistence?.durable.find((d) => d.mode === 'sustained group commit');
  targets.push({
    name: 'Durable commands/s, group commit, sync on, ack when durable', goal: '>= 2,000,000/s',
    actual: group === undefined ? 'not measured' : `${Math.round(group.opsPerSec).toLocaleString('en-US')}/s (ack p99 ${fmt(group.ackMs!.p99, 1)} ms)`
      + (sustained === undefined ? '' : `; sustained over ${sustained.commands.toLocaleString('en-US')} commands ${Math.round(sustained.opsPerSec).toLocaleString('en-US')}/s`),
    met: group === undefined ? null : group.opsPerSec >= 2_000_000 && (sustained === undefined || sustained.opsPerSec >= 2_000_000),
  });
  const paced = persistence?.durable.find((d) => d.pacedPerSec === TARGET_PACED_PER_SEC);
  targets.push({
    name: `Ack p99, group commit paced at ${TARGET_PACED_PER_SEC.toLocaleString('en-US')}/s, sync on`, goal: '<= 5 ms',
    actual: paced === undefined ? 'not measured'
      : `${fmt(paced.ackMs!.p99, 1)} ms from when each batch was due (p50 ${fmt(paced.ackMs!.p50, 1)}, max ${fmt(paced.ackMs!.max, 1)}; `
        + `flush-to-durable p99 ${fmt(paced.flushToDurableMs!.p99, 1)} ms; sending late p99 ${fmt(paced.sendLatenessMs!.p99, 1)} ms; RocksDB's write p99 ${fmt(paced.writeMs.p99, 1)} ms)`,
    met: paced === undefined ? null : paced.ackMs!.p99 <= 5,
  });
  const awaited = persistence?.durable.find((d) => d.mode === 'await every 1,000');
  targets.push({
    name: 'Durable commands/s, sync on, awaiting a flush every 1,000', goal: '>= 1,000,000/s',
    actual: awaited === undefined ? 'not measured' : `${Math.round(awaited.opsPerSec).toLocaleString('en-US')}/s`,
    met: awaited === undefined ? null : awaited.opsPerSec >= 1_000_000,
  });
  const million = persistence?.books.find((b) => b.restingOrders >= 1_000_000);
  targets.push({
    name: 'Recovery (reopen) of 1M resting orders', goal: '< 0.5 s',
    actual: million === undefined ? 'not measured (needs the full run)'
      : `${fmt(million.openSeconds, 3)} s in a fresh process after a close${freshMemoryText(million, persistence!.freshMemoryMsPerMiB)}; `
        + `${fmt(million.openInProcessSeconds, 3)} s in the bench's warm process; after a kill instead ${fmt(million.afterKill.openSeconds, 3)} s in a fresh process, `
        + `replaying ${million.afterKill.replayedCommands.toLocaleString('en-US')} commands`,
    met: million === undefined ? null : million.openSeconds < 0.5,
  });
  targets.push({
    name: 'Checkpoint of 1M resting orders: matching held up by the call / done', goal: '< 5 ms / < 0.3 s',
    actual: million === undefined ? 'not measured (needs the full run)'
      : `${checkpointPauseText(million)} (the checkpoint() call alone) / ${fmt(million.checkpointSeconds, 3)} s; longest gap between batches during it `
        + `${fmt(million.longestGapMs, 1)} ms (${longestGapSplitText(million)}), the same flow's longest without a checkpoint ${fmt(million.longestGapWithoutCheckpointMs, 1)} ms; `
        + `outside submitBatch the longest gap was ${fmt(million.longestOutsideSubmitMs, 1)} ms during it, ${fmt(million.longestOutsideSubmitWithoutCheckpointMs, 1)} ms without`,
    met: million === undefined ? null : million.checkpointPauseMs < 5 && million.checkpointSeconds < 0.3,
  });
  return targets;
}

/**
 * Judged at a million orders and more, as the memory target is: a smaller book's growths are a
 * smaller book's, not the ones a venue's command would wait on.
 */
function growthTarget(growth: GrowthReport | undefined): Target {
  const name = 'Longest batch while a book grows from empty to 1.3M, both cores';
  const goal = `<= ${GROWTH_PAUSE_GOAL}x the median batch`;
  if (growth === undefined || growth.status !== 'ok' || growth.orders < 1_000_000) {
    return { name, goal, actual: growth?.status === 'failed' ? `failed: ${growth.reason}` : 'not measured (needs the full run)', met: null };
  }
  const actual = growth.rows.map((row) => `${row.backend} ${fmt(pauseRatio(row), 1)}x (${fmt(row.slowest[0].ms, 1)} ms at `
    + `${row.slowest[0].resting.toLocaleString('en-US')}, median ${fmt(row.medianMs, 2)} ms)`).join('; ');
  return { name, goal, actual, met: growth.rows.every((row) => pauseRatio(row) <= GROWTH_PAUSE_GOAL) };
}

/** `, 180 MiB fresh (0.47 s of page faults)`: what the open wrote for the first time, at what this machine charges for it. */
function freshMemoryText(book: BookRun, msPerMiB: number): string {
  if (book.reopenFreshMiB === null) return '';
  return `, ${book.reopenFreshMiB.toFixed(0)} MiB fresh (${fmt((book.reopenFreshMiB * msPerMiB) / 1000, 2)} s of page faults)`;
}
