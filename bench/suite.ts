// The benchmark suite: builds the workloads, runs every selected engine on each, and writes
// the report (stdout tables, results/latest.json, results/*.svg). `runBenchmarks` is what
// both `npm run bench` and the `lobcore bench` command call.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory } from '../src/directories.js';
import { Op, TifCode } from '../src/codes.js';
import { formatCount, formatNs, groupedBarChartSvg, PALETTE } from './charts.js';
import { ENGINES, engineById } from './engines/index.js';
import type { BenchEngine, EngineId, EngineSession } from './engines/index.js';
import { emptyTally } from './engines/engine.js';
import { exposeGc, fullGc } from './gc.js';
import { measureLatency, timerFloorNs } from './latency.js';
import { machineInfo } from './machine.js';
import { defaultOptions, SCALES } from './options.js';
import type { BenchOptions, Scale } from './options.js';
import { measurePersistence } from './persistence.js';
import type { PersistenceReport } from './persistence.js';
import { createProgress } from './progress.js';
import type { Progress } from './progress.js';
import { evaluateTargets, REPORT_SCHEMA } from './report.js';
import type { BenchReport, EngineInfo, Measurement, MemoryMeasurement, Verification, WorkloadInfo } from './report.js';
import { renderReport } from './table.js';
import { measureCluster, renderClusterSection } from './cluster.js';
import { measurePendingStopsCost } from './stops-cost.js';
import { measureEvents, renderEventsSection, type EventsReport } from './events.js';
import { measureThroughput, warmUp } from './throughput.js';
import { buildWorkload } from './workloads/index.js';
import type { Workload } from './workloads/index.js';

export { defaultOptions, parseArgs, SCALES, USAGE } from './options.js';
export type { BenchOptions } from './options.js';
export type { BenchReport } from './report.js';

/**
 * Commands per row of the events section: its state-machine rows hold every command's index keys,
 * and at the persistence section's million (x 5 rows x 3 repeats) the full run took over 28 minutes.
 */
const EVENTS_COMMANDS = 200_000;

export async function runBenchmarks(overrides: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const options: BenchOptions = { ...defaultOptions(), ...overrides };
  const scale = SCALES[options.scale];
  const started = Date.now();
  const gcExposed = exposeGc();
  const machine = { ...machineInfo(), gcExposed };
  const engines = options.engines.map(engineById);
  const engineInfos: EngineInfo[] = [];
  for (const engine of engines) {
    const unavailable = await engine.unavailable();
    engineInfos.push({ id: engine.id, label: engine.label, perCall: engine.perCall, ...(unavailable ? { unavailable } : {}) });
  }
  const stopsCostStep = options.workloads.includes('steady') && options.workloads.includes('steady-stops') ? 1 : 0;
  const steps = options.workloads.length * (1 + engines.length) + stopsCostStep + (options.persistence ? 4 + scale.persistence.bookSizes.length : 0)
    + (options.cluster ? 1 : 0) + (options.events ? 15 : 0);
  const progress = createProgress(options.progress, steps);
  const timerFloor = timerFloorNs();

  const workloadInfos: WorkloadInfo[] = [];
  const measurements: Measurement[] = [];
  const memory: MemoryMeasurement[] = [];
  try {
    const built = new Map<string, Workload>();
    for (const name of options.workloads) {
      progress.step(`generating ${name}`);
      const workload = buildWorkload(name, scale, options.seed);
      progress.done();
      if (typeof workload === 'string') {
        for (const engine of engines) measurements.push({ workload: name, engine: engine.id, status: 'n/a', reason: workload });
        progress.done();
        continue;
      }
      workloadInfos.push(describeWorkload(workload));
      built.set(name, workload);
      for (const engine of engines) {
        progress.step(`${name} / ${engine.id}`);
        const unavailable = engineInfos.find((e) => e.id === engine.id)!.unavailable;
        const taskStarted = Date.now();
        const measurement = await measureOne(engine, unavailable, workload, scale, progress, memory);
        measurement.seconds = (Date.now() - taskStarted) / 1000;
        measurements.push(measurement);
        progress.done();
      }
    }
    addRatios(measurements);
    const steady = built.get('steady');
    const steadyStops = built.get('steady-stops');
    let pendingStopsCost: BenchReport['pendingStopsCost'] = { status: 'not run', reason: 'needs the steady and steady-stops workloads' };
    if (steady !== undefined && steadyStops !== undefined) {
      progress.step('pending stops: steady-stops against steady');
      const unavailable = new Set(engineInfos.filter((e) => e.unavailable !== undefined).map((e) => e.id));
      pendingStopsCost = await measurePendingStopsCost(engines, unavailable, measurements, steady, steadyStops, { chunk: scale.chunk, rounds: scale.minSamples });
      progress.done();
    }
    let persistence: PersistenceReport = { status: 'skipped', reason: 'not selected (--no-persistence)' };
    if (options.persistence) {
      persistence = await measurePersistence(scale.persistence, options.seed, (label) => {
        progress.done();
        progress.step(label);
      });
    }
    const cluster = options.cluster
      ? await measureCluster(options.scale, options.seed, (label) => progress.step(label))
      : { status: 'skipped' as const, reason: 'not selected (--no-cluster)' };
    const events: EventsReport = options.events
      ? await measureEvents(Math.min(scale.persistence.orders, EVENTS_COMMANDS), options.seed, 'wasm', (label) => progress.step(label))
      : { status: 'skipped', reason: 'not selected (--no-events)' };
    progress.stop();

    const report: BenchReport = {
      schema: REPORT_SCHEMA,
      machine,
      run: {
        scale: options.scale, seed: options.seed, chunk: scale.chunk, minSamples: scale.minSamples, timerFloorNs: timerFloor,
        seconds: (Date.now() - started) / 1000, command: ['npm run bench --', ...process.argv.slice(2)].join(' '),
      },
      workloads: workloadInfos,
      engines: engineInfos,
      measurements,
      memory: options.workloads.includes('growing')
        ? { workload: 'growing', results: memory }
        : { status: 'not run', reason: 'the growing workload was not selected' },
      pendingStopsCost,
      persistence,
      cluster,
      events,
      targets: [],
    };
    report.targets = evaluateTargets(report);
    const outDir = writeResults(report, options.outDir);
    if (options.print) process.stdout.write(`${renderReport(report)}${renderClusterSection(report.cluster)}${renderEventsSection(report.events)}

results in ${outDir}: latest.json and the charts (*.svg)
`);
    return report;
  } finally {
    progress.stop();
  }
}

async function measureOne(
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

/** The JS engine on the same path (per call, batched or the core alone) and nodejs-order-book are the yardsticks. */
function addRatios(measurements: Measurement[]): void {
  const median = (workload: string, engine: EngineId): number | undefined =>
    measurements.find((m) => m.workload === workload && m.engine === engine && m.status === 'ok')?.throughput?.opsPerSec.median;
  for (const m of measurements) {
    if (!m.throughput) continue;
    const perCall = engineById(m.engine).perCall;
    const js = median(m.workload, m.engine.endsWith('-core') ? 'js-core' : perCall ? 'js' : 'js-batch');
    const nob = median(m.workload, 'nodejs-order-book');
    if (js !== undefined) m.throughput.vsJs = m.throughput.opsPerSec.median / js;
    if (nob !== undefined) m.throughput.vsNodejsOrderBook = m.throughput.opsPerSec.median / nob;
  }
}

function describeWorkload(w: Workload): WorkloadInfo {
  const counts = { limit: 0, marketable: 0, cancel: 0, reduce: 0, stop: 0 };
  const s = w.stream;
  for (let i = 0; i < s.count; i++) {
    const op = s.op[i];
    if (op === Op.LIMIT && s.tif[i] === TifCode.GTC) counts.limit++;
    else if (op === Op.LIMIT || op === Op.MARKET) counts.marketable++;
    else if (op === Op.CANCEL) counts.cancel++;
    else if (op === Op.REDUCE) counts.reduce++;
    else if (op === Op.STOP) counts.stop++;
  }
  const n = Math.max(1, s.count);
  const stops = w.stops;
  return {
    name: w.name, description: w.description, preludeCommands: w.prelude.count, streamCommands: s.count,
    restingAfterPrelude: w.restingAfterPrelude, restingAtEnd: w.restingAtEnd,
    mix: { limit: counts.limit / n, marketable: counts.marketable / n, cancel: counts.cancel / n, reduce: counts.reduce / n, stop: counts.stop / n },
    ...(stops === undefined ? {} : {
      stops: {
        placed: stops.placed, triggered: stops.triggered, longestCascade: stops.longestCascade,
        pendingAfterPrelude: stops.pendingAfterPrelude, pendingAtEnd: stops.pendingAtEnd,
      },
    }),
  };
}

/** Writes latest.json and the charts; returns the directory they went to. */
function writeResults(report: BenchReport, requestedDir: string | undefined): string {
  const outDir = requestedDir ?? mkdtempSync(join(tmpdir(), 'lobcore-bench-results-'));
  makeDirectory(outDir);
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const engines = report.engines.filter((e) => !e.unavailable);
  const color = (id: EngineId): string => PALETTE[ENGINES.findIndex((e) => e.id === id) % PALETTE.length];
  writeFileSync(join(outDir, 'throughput.svg'), groupedBarChartSvg({
    title: `Throughput per engine and workload (${report.run.scale} run, ${report.machine.cpu}, Node ${report.machine.node})`,
    unit: 'commands / s, median of benchmark.js samples',
    groups: report.workloads.map((w) => w.name),
    series: engines.map((e) => ({ name: e.label, color: color(e.id) })),
    values: report.workloads.map((w) => engines.map((e) => report.measurements.find((m) => m.workload === w.name && m.engine === e.id)?.throughput?.opsPerSec.median)),
    format: formatCount,
  }));
  const perCall = engines.filter((e) => e.perCall);
  const percentiles = [
    { name: 'p50', key: 'p50', color: '#3fb950' },
    { name: 'p99', key: 'p99', color: '#d29922' },
    { name: 'p99.9', key: 'p999', color: '#da3633' },
  ] as const;
  for (const w of report.workloads) {
    writeFileSync(join(outDir, `latency-${w.name}.svg`), groupedBarChartSvg({
      title: `Per-call latency, ${w.name} workload (${report.run.scale} run)`,
      unit: `nanoseconds per call, hrtime.bigint() around each (timer floor ${report.run.timerFloorNs} ns included)`,
      groups: perCall.map((e) => e.id),
      series: percentiles.map((p) => ({ name: p.name, color: p.color })),
      values: perCall.map((e) => {
        const l = report.measurements.find((m) => m.workload === w.name && m.engine === e.id)?.latencyNs;
        return percentiles.map((p) => l?.[p.key]);
      }),
      format: formatNs,
    }));
  }
  return outDir;
}
