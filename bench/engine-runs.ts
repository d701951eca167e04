// One engine measured on one workload (throughput, verification against the reference book,
// latency, memory), and the `EngineRunner` interface that runs a group of engines: in the
// bench's own process (`localRunner`, below) or in a child process of their own
// (engine-process.ts). Both run exactly this code; only where it runs differs.
import type { BenchEngine, EngineId, EngineSession } from './engines/index.js';
import { emptyTally } from './engines/engine.js';
import { exposeGc, fullGc } from './gc.js';
import { measureLatency } from './latency.js';
import type { Scale } from './options.js';
import type { Progress } from './progress.js';
import type { Measurement, MemoryMeasurement, PendingStopsCost, Verification } from './report.js';
import { measurePendingStopsCost } from './stops-cost.js';
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
  /** The pending-stops cost rows of the group's engines (stops-cost.ts), after they measured steady. */
  pendingStopsCost(steady: Workload, steadyStops: Workload): Promise<PendingStopsCost['engines']>;
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
  const measured: Measurement[] = [];
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
      measured.push(...results.measurements);
      return results;
    },
    async pendingStopsCost(steady, steadyStops) {
      const runnable = engines.filter((e) => unavailable[e.id] === undefined);
      return measurePendingStopsCost(runnable, measured, steady, steadyStops, { chunk: scale.chunk, rounds: scale.minSamples });
    },
    close() {},
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
    const throughput = measureThroughput(session, workload, {
      chunk: scale.chunk, minSamples: scale.minSamples, maxTimeSeconds: scale.maxTimeSeconds, minTimeSeconds: scale.minTimeSeconds,
      onCycle: () => progress.tick(),
    }, estimate);

    const readsVolume = engine.readsVolume?.(workload) ?? true;
    let verification: Verification;
    if (workload.whenExhausted === 'stop') {
      // The measurement itself applied the stream exactly once.
      verification = verify(session, workload, workload.stream.count, readsVolume);
      if (workload.name === 'growing') memory.push(probeMemory(engine.id, session, before, engineBytesBefore));
    } else {
      // A fresh pass over a prefix (the whole stream at most), checked against the reference there.
      const upTo = Math.min(workload.stream.count, scale.verifyCommands);
      session.rewind();
      Object.assign(session.tally, emptyTally());
      for (let from = 0; from < upTo; from += scale.chunk) session.run(from, Math.min(upTo, from + scale.chunk));
      verification = verify(session, workload, upTo, readsVolume);
    }
    const latencyNs = engine.perCall ? measureLatency(session, workload, scale.latencyCommands) : undefined;
    return {
      ...base, status: 'ok', ...(caveat ? { caveat } : {}),
      throughput: { opsPerSec: throughput.opsPerSec, samples: throughput.samples, minTimeSeconds: throughput.minTimeSeconds },
      ...(latencyNs ? { latencyNs } : {}),
      verification,
    };
  } catch (error) {
    return { ...base, status: 'failed', reason: (error as Error).stack ?? String(error) };
  } finally {
    session?.close();
  }
}

/** Compares a pass over the first `commands` of the stream with what the generator's reference book saw there. */
function verify(session: EngineSession, workload: Workload, commands: number, volumeChecked: boolean): Verification {
  const t = session.tally;
  const restingOrders = session.restingOrders();
  const pendingStops = session.pendingStops();
  const expectedResting = commands === 0 ? workload.restingAfterPrelude : workload.restingAfter[commands - 1];
  const stops = workload.stops;
  const expectedPending = stops === undefined ? 0 : commands === 0 ? stops.pendingAfterPrelude : stops.pendingAfter[commands - 1];
  const expectedFilledVolume = commands === 0 ? 0 : workload.filledAfter[commands - 1];
  return {
    ok: restingOrders === expectedResting && pendingStops === expectedPending && (!volumeChecked || t.filledVolume === expectedFilledVolume)
      && t.idMismatches === 0 && t.rejected === 0,
    commands, restingOrders, expectedResting, pendingStops, expectedPending, volumeChecked,
    filledVolume: t.filledVolume, expectedFilledVolume,
    idMismatches: t.idMismatches, rejected: t.rejected,
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
