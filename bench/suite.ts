// The benchmark suite: builds the workloads, runs every selected engine on each, and writes
// the report (stdout tables, results/latest.json, results/*.svg). `runBenchmarks` is what
// both `npm run bench` and the `lobcore bench` command call.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory } from '../src/directories.js';
import { Op, TifCode } from '../src/codes.js';
import { formatCount, formatNs, groupedBarChartSvg, PALETTE } from './charts.js';
import { benchCpus } from './cpu-pinning.js';
import { checkReference, localRunner } from './engine-runs.js';
import type { EngineRunner, ReferenceCheck } from './engine-runs.js';
import { processRunner } from './engine-process.js';
import { ENGINES, engineById } from './engines/index.js';
import type { BenchEngine, EngineId } from './engines/index.js';
import { exposeGc } from './gc.js';
import { timerFloorNs } from './latency.js';
import { machineInfo } from './machine.js';
import { defaultOptions, recordedCommand, SCALES } from './options.js';
import type { BenchOptions } from './options.js';
import { measurePersistence, PACED_PER_SEC } from './persistence.js';
import type { PersistenceReport } from './persistence.js';
import { createProgress } from './progress.js';
import { targetPairs } from './pairs.js';
import { measureWorkloads, withNewRunners } from './workload-processes.js';
import { comparable, evaluateTargets, failedChecks, REPORT_SCHEMA, rowFigure, rowRate } from './report.js';
import type { BenchReport, EngineInfo, Measurement, MemoryMeasurement, WorkloadInfo } from './report.js';
import { renderReport } from './table.js';
import { measureCluster, renderClusterSection } from './cluster.js';
import { measureEvents, renderEventsSection, type EventsReport } from './events.js';
import { GROWTH_BACKENDS, GROWTH_PASSES, measureGrowth, renderGrowthSection, type GrowthReport } from './growth.js';
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
  const groups = engineGroups(engines, options.oneProcess);
  const stopsCostSteps = options.workloads.includes('steady') && options.workloads.includes('steady-stops') ? groups.length : 0;
  const pairSteps = options.pairs ? targetPairs(options.workloads).length : 0;
  const steps = options.workloads.length * (2 + engines.length) + stopsCostSteps + pairSteps + (options.persistence ? 5 + PACED_PER_SEC.length + scale.persistence.bookSizes.length : 0)
    + (options.cluster ? 1 : 0) + (options.events ? 15 : 0) + (options.growth ? GROWTH_BACKENDS.length * GROWTH_PASSES : 0);
  const progress = createProgress(options.progress, steps);
  const timerFloor = timerFloorNs();

  const workloadInfos: WorkloadInfo[] = [];
  const measurements: Measurement[] = [];
  const memory: MemoryMeasurement[] = [];
  try {
    const built: Workload[] = [];
    for (const name of options.workloads) {
      progress.step(`generating ${name}`);
      const workload = buildWorkload(name, scale, options.seed);
      progress.done();
      if (typeof workload === 'string') {
        for (const engine of engines) measurements.push({ workload: name, engine: engine.id, status: 'n/a', reason: workload });
        progress.done(engines.length);
        continue;
      }
      workloadInfos.push(describeWorkload(workload));
      built.push(workload);
    }
    // The reference book itself, against lobcore's JS engine, before any engine is judged by it.
    const referenceChecks: ReferenceCheck[] = [];
    for (const workload of built) {
      progress.step(`checking the reference book on ${workload.name} against lobcore JS`);
      try {
        referenceChecks.push(await checkReference(workload, scale.chunk));
      } catch (error) {
        referenceChecks.push({ workload: workload.name, ok: false, differences: [`lobcore JS failed: ${(error as Error).message.split('\n')[0]}`] });
      }
      progress.done();
    }
    for (const c of referenceChecks.filter((r) => !r.ok)) {
      process.stderr.write(`lobcore bench: REFERENCE CHECK FAILED on ${c.workload}: the reference book and lobcore's JS engine disagree (${c.differences.join('; ')}); no engine's verification on it can be trusted\n`);
    }
    const steady = built.find((w) => w.name === 'steady');
    const steadyStops = built.find((w) => w.name === 'steady-stops');
    let pendingStopsCost: BenchReport['pendingStopsCost'] = { status: 'not run', reason: 'needs the steady and steady-stops workloads' };
    if (steady !== undefined && steadyStops !== undefined) pendingStopsCost = { pendingStops: steadyStops.stops!.pendingAfterPrelude, rounds: scale.minSamples, engines: [] };
    const settings = { scale, unavailable: Object.fromEntries(engineInfos.filter((e) => e.unavailable).map((e) => [e.id, e.unavailable])) };
    // Each workload goes through every engine before the next: the figures a target compares (an
    // engine against another on one workload) are then taken a minute or so apart, not the length
    // of a whole pass, on a machine whose speed drifts over minutes. Each engine runs in a process
    // of its own, and each workload in new ones, its pairs right after its rows
    // (workload-processes.ts says why).
    let pairs: BenchReport['pairs'] = { status: 'not run', reason: 'not selected (--no-pairs, or --persistence-only)' };
    const makeRunner = (group: readonly BenchEngine[]): EngineRunner => (options.oneProcess ? localRunner(group, settings, progress) : processRunner(group.map((e) => e.id), settings, progress));
    // Each engine process's main thread held to a CPU the bench chooses (cpu-pinning.ts says why);
    // --one-process runs everything on its own thread, wherever that is.
    const cpus = options.oneProcess ? [] : benchCpus();
    const measured = await measureWorkloads(built, groups, makeRunner, options.pairs ? { chunk: scale.chunk, ...scale.pairs, cpus } : undefined, progress, cpus[0]);
    measurements.push(...measured.measurements);
    memory.push(...measured.memory);
    if (measured.pairs !== undefined) pairs = measured.pairs;
    if ('engines' in pendingStopsCost) {
      const cost = pendingStopsCost;
      // New processes of their own too, the steady rows' rates passed in to size the passes.
      await withNewRunners(groups, makeRunner, async (runners) => {
        for (const { group, runner } of runners) {
          progress.step(`pending stops: steady-stops against steady (${group.map((e) => e.id).join(', ')})`);
          try {
            cost.engines.push(...await runner.pendingStopsCost(steady!, steadyStops!, measurements));
          } catch (error) {
            // The other groups' rows stand; this group's are missing from the report, and stderr says why.
            process.stderr.write(`lobcore bench: pending stops not measured for ${group.map((e) => e.id).join(', ')}: ${(error as Error).message.split('\n')[0]}\n`);
          }
          progress.done();
        }
      });
    }
    measurements.sort(inReportOrder(options.workloads));
    addRatios(measurements);
    const growth: GrowthReport = options.growth
      ? await measureGrowth(scale.growth.orders, scale.chunk, cpus[0], progress)
      : { status: 'skipped', reason: 'not selected (--no-growth)' };
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
        seconds: (Date.now() - started) / 1000, command: recordedCommand(process.argv.slice(2)),
        engineProcesses: options.oneProcess ? 'one for all' : 'one per engine',
      },
      workloads: workloadInfos,
      referenceChecks,
      engines: engineInfos,
      measurements,
      memory: options.workloads.includes('growing')
        ? { workload: 'growing', results: memory }
        : { status: 'not run', reason: 'the growing workload was not selected' },
      pendingStopsCost,
      persistence,
      cluster,
      events,
      growth,
      pairs,
      targets: [],
    };
    report.targets = evaluateTargets(report);
    report.checksFailed = failedChecks(report);
    const outDir = writeResults(report, options.outDir);
    if (options.print) process.stdout.write(`${renderAll(report)}
results in ${outDir}: latest.json, report.txt (these tables) and the charts (*.svg)
`);
    return report;
  } finally {
    progress.stop();
  }
}

/**
 * The groups of engines that share a process: each engine alone (engine-process.ts says why), or
 * all of them. The WASM engine's three paths shared one until 2026-12-05, and in one process the
 * engine session opened later ran faster whichever path it was, so the core alone, opened last,
 * was favoured over submitBatch (bench/README.md, "Which session opens first").
 */
export function engineGroups(engines: readonly BenchEngine[], oneProcess: boolean): BenchEngine[][] {
  return oneProcess ? [[...engines]] : engines.map((engine) => [engine]);
}

/** Workload by workload as selected, and in each the engines in ENGINES' order, whichever process measured them first. */
function inReportOrder(workloads: readonly string[]): (a: Measurement, b: Measurement) => number {
  const engineRank = (id: EngineId): number => ENGINES.findIndex((e) => e.id === id);
  return (a, b) => workloads.indexOf(a.workload) - workloads.indexOf(b.workload) || engineRank(a.engine) - engineRank(b.engine);
}

/**
 * The JS engine on the same path (per call, batched or the core alone) and nodejs-order-book are
 * the yardsticks. A ratio needs both figures from runs whose verification passed: an engine that
 * did not end where the reference did ran other work, and its rate compares with nothing.
 */
function addRatios(measurements: Measurement[]): void {
  const figure = (workload: string, engine: EngineId): number | undefined => rowFigure(measurements, workload, engine, comparable);
  for (const m of measurements) {
    if (!m.throughput || !comparable(m)) continue;
    const perCall = engineById(m.engine).perCall;
    const js = figure(m.workload, m.engine.endsWith('-core') ? 'js-core' : perCall ? 'js' : 'js-batch');
    const nob = figure(m.workload, 'nodejs-order-book');
    if (js !== undefined) m.throughput.vsJs = rowRate(m.throughput) / js;
    if (nob !== undefined) m.throughput.vsNodejsOrderBook = rowRate(m.throughput) / nob;
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

/** Every table the run prints. */
function renderAll(report: BenchReport): string {
  return `${renderReport(report)}${renderClusterSection(report.cluster)}${renderEventsSection(report.events)}${renderGrowthSection(report.growth)}\n`;
}

/**
 * Writes latest.json, the tables as report.txt (so that a stored run can be read as printed,
 * beside the data it came from) and the charts; returns the directory they went to.
 */
function writeResults(report: BenchReport, requestedDir: string | undefined): string {
  const outDir = requestedDir ?? mkdtempSync(join(tmpdir(), 'lobcore-bench-results-'));
  makeDirectory(outDir);
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'report.txt'), renderAll(report));
  const engines = report.engines.filter((e) => !e.unavailable);
  const color = (id: EngineId): string => PALETTE[ENGINES.findIndex((e) => e.id === id) % PALETTE.length];
  writeFileSync(join(outDir, 'throughput.svg'), groupedBarChartSvg({
    title: `Throughput per engine and workload (${report.run.scale} run, ${report.machine.cpu}, Node ${report.machine.node})`,
    unit: 'commands / s, median of benchmark.js samples (growing: over its whole stream)',
    groups: report.workloads.map((w) => w.name),
    series: engines.map((e) => ({ name: e.label, color: color(e.id) })),
    values: report.workloads.map((w) => engines.map((e) => rowFigure(report.measurements, w.name, e.id))),
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
