// One engine measured on one workload (throughput, verification against the reference book,
// latency, memory), and the `EngineRunner` interface that runs a group of engines: in the
// bench's own process (`localRunner`, below) or in a child process of their own
// (engine-process.ts). Both run exactly this code; only where it runs differs.
import type { BenchEngine, EngineId, EngineSession } from './engines/index.js';
import { emptyTally } from './engines/engine.js';
import { exposeGc, fullGc } from './gc.js';
import { lobcoreEngine } from './engines/lobcore.js';
import { bookDifferences, FillChecksum, fillDifferences } from './book-check.js';
import { streamTotals, TimedCycleCheck } from './cycle-check.js';
import { measureLatency } from './latency.js';
import type { Scale } from './options.js';
import type { Progress } from './progress.js';
import type { Measurement, MemoryMeasurement, PendingStopsCost, Verification } from './report.js';
import { measurePendingStopsCost } from './stops-cost.js';
import { PairSessions } from './pair-sessions.js';
import type { PairRequest } from './pair-sessions.js';
import { measureThroughput, warmUp } from './throughput.js';
import type { Workload } from './workloads/index.js';

/** What one workload's pass over a group of engines gave: a measurement per engine, and the memory probes (growing only). */
export interface WorkloadResults {
  measurements: Measurement[];
  memory: MemoryMeasurement[];
}

export interface EngineRunner {
  /** Runs every engine of the group on the workload, one after another. */
  measure(workload: Workload): Promise<WorkloadResults>;
  /**
   * The pending-stops cost rows of the group's engines (stops-cost.ts); `measured`: the run's
   * throughput rows, whose steady rates size the passes (taken in other processes: each workload
   * has processes of its own, workload-processes.ts).
   */
  pendingStopsCost(steady: Workload, steadyStops: Workload, measured: readonly Measurement[]): Promise<PendingStopsCost['engines']>;
  /** One step of the paired passes (pair-sessions.ts): CPU seconds for a pass, 0 for the rest. */
  pair(request: PairRequest): Promise<number>;
  /** Holds the main thread that runs the engines to `cpu` (cpu-pinning.ts), until asked again. */
  pinMainThread(cpu: number): Promise<void>;
  close(): void;
}

export interface RunnerSettings {
  scale: Scale;
  /** Why an engine cannot run here (not built), by id; absent: it can. */
  unavailable: Partial<Record<EngineId, string>>;
}

/** Runs the engines in this process. */
export function localRunner(engines: readonly BenchEngine[], settings: RunnerSettings, progress: Progress): EngineRunner {
  const { scale, unavailable } = settings;
  const pairs = new PairSessions(engines, scale.chunk);
  return {
    async measure(workload) {
      const results: WorkloadResults = { measurements: [], memory: [] };
      for (const engine of engines) {
        progress.step(`${workload.name} / ${engine.id}`);
        const started = Date.now();
        const measurement = await measureEngine(engine, unavailable[engine.id], workload, scale, progress, results.memory);
        measurement.seconds = (Date.now() - started) / 1000;
        results.measurements.push(measurement);
        progress.done();
      }
      return results;
    },
    async pendingStopsCost(steady, steadyStops, measured) {
      const runnable = engines.filter((e) => unavailable[e.id] === undefined);
      return measurePendingStopsCost(runnable, measured, steady, steadyStops, { chunk: scale.chunk, rounds: scale.minSamples });
    },
    pair: (request) => pairs.handle(request),
    // The bench's own thread runs every engine of the group and both sides of its pairs: whatever
    // CPU it is on, they share it. Pinning it would fork this process (cpu-pinning.ts says why not).
    pinMainThread: async () => {},
    close() {
      void pairs.handle({ op: 'close' });
    },
  };
}

async function measureEngine(
  engine: BenchEngine, unavailable: string | undefined, workload: Workload, scale: Scale, progress: Progress, memory: MemoryMeasurement[],
): Promise<Measurement> {
  const base = { workload: workload.name, engine: engine.id };
  if (unavailable) return { ...base, status: 'unavailable', reason: unavailable };
  const notApplicable = engine.cannotRun(workload);
  if (notApplicable) return { ...base, status: 'n/a', reason: notApplicable };
  const caveat = engine.caveat?.(workload);

  fullGc();
  const before = process.memoryUsage();
  let session: EngineSession | undefined;
  try {
    session = await engine.open(workload, scale.chunk);
    const engineBytesBefore = session.memoryBytes?.();
    const estimate = warmUp(session, workload, scale.chunk, scale.warmupCommands);
    Object.assign(session.tally, emptyTally());
    const readsVolume = engine.readsVolume?.(workload) ?? true;
    const countsFills = engine.countsFills ?? true;
    const timedCycles = new TimedCycleCheck(session.tally, streamTotals(workload, scale.chunk), { fills: countsFills, lots: readsVolume });
    const throughput = measureThroughput(session, workload, {
      chunk: scale.chunk, minSamples: scale.minSamples, maxTimeSeconds: scale.maxTimeSeconds, minTimeSeconds: scale.minTimeSeconds,
      onCycle: () => progress.tick(), check: timedCycles,
    }, estimate);

    let measured: Verification | undefined;
    if (workload.whenExhausted === 'stop') {
      // The memory first: the check reads the whole book through the engine's queries, whose
      // answers take room in the WASM core's memory (a million orders' worth on growing).
      if (workload.name === 'growing') memory.push(probeMemory(engine.id, session, before, engineBytesBefore));
      // The measurement itself applied the stream exactly once: its end state is checked too.
      measured = compare(session, workload, readsVolume, undefined, countsFills);
    }
    // A fresh, untimed pass over the whole stream (every workload, at every scale), its fills
    // summed as they come and its end state compared with the reference book's; skipped only
    // where the measured pass was already the whole stream and the engine reports no fills.
    // What it costs, measured on a --quick run (steady, growing, lobster; 2026-12-04): 0.01-0.36 s
    // per lobcore engine and the naive book, and 5.4 s (steady, 150,000 commands) for
    // nodejs-order-book, about half of its whole task there; a full run's streams are 2.7x
    // (steady) to 5x longer, so expect a minute or two more for it over the eight workloads.
    // Latency before the check: after the check's untimed pass of the whole stream (and its
    // queries of the whole book), the WASM engine's per-call p99 on steady read 10-14 us in the
    // bench's engine process instead of 0.35-0.55 us (2026-12-04; not reproduced in a process of
    // its own, not yet understood).
    const latencyPasses = new TimedCycleCheck(session.tally, streamTotals(workload, scale.chunk), { fills: countsFills, lots: readsVolume }, 'latency passes');
    const latencyNs = engine.perCall ? measureLatency(session, workload, scale.latencyCommands, scale.latencyPasses, latencyPasses, scale.chunk) : undefined;
    const verifyStarted = process.hrtime.bigint();
    let verification: Verification;
    if (measured !== undefined && session.runChecked === undefined) {
      verification = measured;
    } else {
      session.rewind();
      Object.assign(session.tally, emptyTally());
      const fills = session.runChecked === undefined ? undefined : new FillChecksum();
      const count = workload.stream.count;
      for (let from = 0; from < count; from += scale.chunk) {
        const to = Math.min(count, from + scale.chunk);
        if (fills === undefined) session.run(from, to);
        else session.runChecked!(from, to, fills);
      }
      verification = compare(session, workload, readsVolume, fills, countsFills);
      if (measured !== undefined && !measured.ok) {
        verification.ok = false;
        verification.differences.unshift(...measured.differences.map((d) => `measured pass: ${d}`));
      }
    }
    // The timed cycles and latency passes, each checked after it ran: a mismatch there fails the run like any other.
    const timedDifferences = [...timedCycles.differences(), ...latencyPasses.differences()];
    if (timedDifferences.length > 0) {
      verification.ok = false;
      verification.differences.push(...timedDifferences);
    }
    if (engine.isReference) verification.reference = true;
    verification.seconds = Number(process.hrtime.bigint() - verifyStarted) / 1e9;
    return {
      ...base, status: 'ok', ...(caveat ? { caveat } : {}),
      throughput: {
        opsPerSec: throughput.opsPerSec, samples: throughput.samples, minTimeSeconds: throughput.minTimeSeconds,
        ...(throughput.wholeStream === undefined ? {} : { wholeStream: throughput.wholeStream }),
        ...(throughput.wholeStreamThread === undefined ? {} : { wholeStreamThread: throughput.wholeStreamThread }),
      },
      ...(latencyNs ? { latencyNs } : {}),
      verification,
    };
  } catch (error) {
    return { ...base, status: 'failed', reason: (error as Error).stack ?? String(error) };
  } finally {
    session?.close();
  }
}

/**
 * Compares the session's state after one whole pass of the stream with the reference book's:
 * resting orders and pending stops, the book itself (every level's price, total size and order
 * count; every resting order's id and remaining size, in queue order; every pending stop's id,
 * side, stop price, size and limit price), the lots filled, the fills (count, sum of price x size,
 * and each fill's maker, taker and taker side, in order) where the engine reports them, else the
 * number of fills where it counts them (the cores alone), predicted ids and rejections.
 */
export function compare(
  session: EngineSession, workload: Workload, volumeChecked: boolean, fills: FillChecksum | undefined, fillsCounted = true,
): Verification {
  const t = session.tally;
  const restingOrders = session.restingOrders();
  const pendingStops = session.pendingStops();
  const expectedResting = workload.restingAtEnd;
  const expectedPending = workload.stops?.pendingAtEnd ?? 0;
  const expectedFilledVolume = workload.streamFilledVolume;
  const book = session.bookDigest();
  const differences: string[] = [];
  if (restingOrders !== expectedResting) differences.push(`resting orders: ${restingOrders}, reference ${expectedResting}`);
  if (pendingStops !== expectedPending) differences.push(`pending stops: ${pendingStops}, reference ${expectedPending}`);
  differences.push(...bookDifferences(book, workload.bookAtEnd));
  if (volumeChecked && t.filledVolume !== expectedFilledVolume) differences.push(`lots filled: ${t.filledVolume}, reference ${expectedFilledVolume}`);
  const fillDigest = fills?.result();
  if (fillDigest !== undefined) differences.push(...fillDifferences(fillDigest, workload.streamFills));
  else if (fillsCounted && t.fills !== workload.streamFills.fills) differences.push(`fills counted: ${t.fills}, reference ${workload.streamFills.fills}`);
  if (t.idMismatches !== 0) differences.push(`order ids other than predicted: ${t.idMismatches}`);
  if (t.rejected !== 0) differences.push(`commands rejected: ${t.rejected} (the reference rejected none)`);
  return {
    ok: differences.length === 0,
    commands: workload.stream.count, restingOrders, expectedResting, pendingStops, expectedPending, volumeChecked,
    filledVolume: t.filledVolume, expectedFilledVolume,
    idMismatches: t.idMismatches, rejected: t.rejected,
    book, expectedBook: workload.bookAtEnd,
    fillsChecked: fillDigest !== undefined, ...(fillDigest === undefined ? {} : { fills: fillDigest }), expectedFills: workload.streamFills,
    differences,
  };
}

function probeMemory(engine: EngineId, session: EngineSession, before: NodeJS.MemoryUsage, engineBytesBefore: number | undefined): MemoryMeasurement {
  fullGc();
  const after = process.memoryUsage();
  const resting = Math.max(1, session.restingOrders());
  const engineBytesAfter = session.memoryBytes?.();
  return {
    engine,
    restingOrders: resting,
    ...(engineBytesBefore !== undefined && engineBytesAfter !== undefined ? { engineBytesPerOrder: (engineBytesAfter - engineBytesBefore) / resting } : {}),
    heapBytesPerOrder: (after.heapUsed - before.heapUsed) / resting,
    arrayBufferBytesPerOrder: (after.arrayBuffers - before.arrayBuffers) / resting,
    gcExposed: typeof globalThis.gc === 'function' || exposeGc(),
  };
}

/** The reference book checked against lobcore's JS engine on one workload (BenchReport.referenceChecks). */
export interface ReferenceCheck {
  workload: string;
  ok: boolean;
  /** What lobcore's JS engine (submitBatch) ends with where the reference differs; empty when they agree. */
  differences: string[];
}

/**
 * The reference book (the generator's NaiveStopBook, the naive engine's own code) is itself
 * checked once per workload, untimed, against lobcore's JS engine: a whole pass through
 * submitBatch, its book, fills, lots, ids and rejections compared with what the reference
 * recorded. A disagreement means either may be wrong, so the run fails loudly instead of
 * blaming the engines that disagree with the reference.
 */
export async function checkReference(workload: Workload, chunk: number): Promise<ReferenceCheck> {
  const session = await lobcoreEngine('js', 'batch').open(workload, chunk);
  try {
    const fills = new FillChecksum();
    for (let from = 0; from < workload.stream.count; from += chunk) session.runChecked!(from, Math.min(workload.stream.count, from + chunk), fills);
    const v = compare(session, workload, true, fills);
    return { workload: workload.name, ok: v.ok, differences: v.differences.map((d) => d.replace(/reference/g, 'reference book')) };
  } finally {
    session.close();
  }
}
