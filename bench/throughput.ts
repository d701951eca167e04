// Throughput with benchmark.js. One benchmark operation applies the next `chunk` commands of
// the workload's stream (one submitBatch for the batched paths), so ops/s x chunk is commands/s.
//
// The engine's state moves forward with the stream, so the runner keeps a cursor. For a
// stationary stream, when the next cycle could run past the end, the engine rewinds to its
// state after the prelude *between* cycles (benchmark.js's cycle event), never inside a timed
// loop; a growing stream is applied once, start to end, and the run stops when it is used up.
// Samples are benchmark.js's clocked cycles; one that had to rewind inside its timed loop, or
// ran out of stream, is discarded. Every cycle, kept or not, is checked against the reference
// between cycles when the settings carry a check (cycle-check.ts).
import Benchmark from 'benchmark';
import type { EngineSession } from './engines/engine.js';
import type { Workload } from './workloads/workload.js';
import type { TimedCycleCheck } from './cycle-check.js';
import { spread } from './stats.js';
import type { Spread } from './stats.js';
import { minorFaults } from './page-faults.js';
import { threadWaitedSeconds } from './pair-sessions.js';

export interface ThroughputSettings {
  chunk: number;
  minSamples: number;
  maxTimeSeconds: number;
  minTimeSeconds: number;
  /** Called after every benchmark.js cycle (progress display). */
  onCycle?: () => void;
  /** Checks each timed cycle's tally against the reference, between cycles (cycle-check.ts). */
  check?: TimedCycleCheck;
}

export interface ThroughputResult {
  /** Commands per second. */
  opsPerSec: Spread;
  samples: number;
  /** Cycle length benchmark.js was given. */
  minTimeSeconds: number;
  /** Commands applied during the measurement (untimed pretest operations included). */
  commandsRun: number;
  /**
   * A stream applied once (growing): commands/s over all its timed cycles, which is what building
   * the book costs. Its row's figure (rowRate) rather than a median: each cycle times a different
   * stretch of a book that grows, a faster engine covers the stream in fewer of them, and the
   * median of 18-47 such cycles swung 2x between builds whose whole streams ran 5-13% apart
   * (bench/README.md, "What is measured" and "The order index's growth rule (stop 59)").
   */
  wholeStream?: number;
  /**
   * A stream applied once, where Linux tells: what its main thread went through while it was
   * measured. Its figure is one pass, taken in one stretch of a machine whose CPUs change speed
   * and are shared: the seconds of its timed cycles, how long the thread waited, ready, for a core
   * meanwhile (another process held it), and the pages it touched for the first time (minor
   * faults: a fresh engine's growth, each a trip to the hypervisor here). bench/README.md, "Growing's
   * whole stream from run to run (stop 60)".
   */
  wholeStreamThread?: WholeStreamThread;
}

export interface WholeStreamThread {
  seconds: number;
  waitedSeconds: number;
  faults: number;
}

/**
 * Untimed warm-up: the same first commands for every engine, then back to the start, then the
 * first half once more from there and back again. Returns commands/s of the first round's second half.
 *
 * The second round is there because a rewind is not free of surprises for a JIT: a restored
 * engine's first lookups miss its caches and its first orders grow freshly sized arrays, paths
 * the optimized code never saw in the first round. Met in the timed run, each sent its functions
 * back to the interpreter for the first cycles (issue 9: the JS engine's lowest growing samples).
 */
export function warmUp(session: EngineSession, workload: Workload, chunk: number, commands: number): number {
  const n = Math.min(commands, workload.stream.count) - (Math.min(commands, workload.stream.count) % chunk);
  const half = Math.max(chunk, (n / 2) - ((n / 2) % chunk));
  for (let at = 0; at < half; at += chunk) session.run(at, at + chunk);
  const t0 = process.hrtime.bigint();
  for (let at = half; at < n; at += chunk) session.run(at, at + chunk);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  session.rewind();
  for (let at = 0; at < half; at += chunk) session.run(at, at + chunk);
  session.rewind();
  return seconds > 0 ? (n - half) / seconds : Infinity;
}

export function measureThroughput(
  session: EngineSession, workload: Workload, settings: ThroughputSettings, estimatedOpsPerSec: number,
): ThroughputResult {
  if (workload.whenExhausted === 'passes') return measurePasses(session, workload, settings);
  const length = workload.stream.count - (workload.stream.count % settings.chunk);
  const once = workload.whenExhausted === 'stop';
  // Keep a cycle short enough that the stream covers it (rewinding) or many of them (growing).
  const streamSeconds = length / estimatedOpsPerSec;
  const bound = once ? streamSeconds / (2 * settings.minSamples + 4) : streamSeconds / 3;
  let minTime = Math.max(0.001, Math.min(settings.minTimeSeconds, bound));
  // The warm-up estimate can be low (a cold engine, a busy machine): cycles then come out too
  // long for a short stationary stream, and most of them have to rewind inside their timed loop
  // and are discarded, which leaves the fastest engines with a handful of samples. Try shorter
  // cycles while most were discarded, and keep the attempt with the most clean samples.
  let best: CycleOutcome | null = null;
  for (let attempt = 0; attempt <= 3; attempt++) {
    const outcome = measureWithCycle(session, workload, settings, minTime);
    if (outcome.result !== null && (best?.result == null || outcome.result.samples > best.result.samples)) best = outcome;
    if (outcome.result !== null && outcome.discarded <= outcome.result.samples) break;
    minTime /= 3;
    session.rewind();
  }
  if (best?.result == null) throw new Error(`no clean benchmark.js sample for ${workload.name}: the stream is too short for a cycle`);
  return best.result;
}

/** One measurement at a given cycle length: its result (null if no cycle was clean), and how many cycles were discarded. */
interface CycleOutcome {
  result: ThroughputResult | null;
  discarded: number;
}

function measureWithCycle(
  session: EngineSession, workload: Workload, settings: ThroughputSettings, minTime: number,
): CycleOutcome {
  const { chunk } = settings;
  const length = workload.stream.count - (workload.stream.count % chunk);
  const once = workload.whenExhausted === 'stop';

  let cursor = 0;
  let commandsRun = 0;
  let dirty = false;
  let exhausted = false;
  const samples: number[] = [];
  let discarded = 0;
  // A stream applied once may be too short for any single cycle to reach minTime (the tiny
  // scale on a fast core): then the whole stream's rate is the one honest sample.
  let timedSeconds = 0;
  let timedCommands = 0;
  const check = settings.check;
  check?.start(0, 0);

  const step = (): void => {
    if (cursor + chunk > length) {
      if (once) {
        exhausted = true;
        return;
      }
      session.rewind();
      cursor = 0;
      dirty = true;
    }
    session.run(cursor, cursor + chunk);
    cursor += chunk;
    commandsRun += chunk;
  };

  const bench = new Benchmark(`${workload.name}`, step, {
    minSamples: settings.minSamples,
    maxTime: once ? 1e6 : settings.maxTimeSeconds,
    minTime,
    initCount: 1,
    onCycle(event: Benchmark.Event) {
      const clone = event.target as unknown as Benchmark & { times: Benchmark.Times; count: number };
      const seconds = clone.times.cycle;
      check?.cycle(commandsRun, length);
      if (!dirty && !exhausted && seconds >= minTime) samples.push((clone.count * chunk) / seconds);
      else if (dirty) discarded++;
      if (!exhausted) {
        timedSeconds += seconds;
        timedCommands += clone.count * chunk;
      }
      dirty = false;
      settings.onCycle?.();
      if (exhausted) {
        (event as Benchmark.Event & { aborted: boolean }).aborted = true;
        bench.abort();
        return;
      }
      if (!once) {
        // Rewind now, untimed, if the next cycle (its count may grow towards minTime) could reach the end.
        const perOp = seconds / Math.max(1, clone.count);
        const nextCount = Math.max(clone.count, perOp > 0 ? Math.ceil((minTime / perOp) * 1.25) : clone.count) + 2;
        if (cursor + nextCount * chunk > length) {
          session.rewind();
          cursor = 0;
          check?.start(0, commandsRun);
        }
      }
    },
  });
  const threadBefore = once ? threadNow() : null;
  bench.run({ async: false });
  const threadAfter = once ? threadNow() : null;
  if (once && !exhausted) {
    // benchmark.js stopped early (its own limits): finish the stream so the end state is the same for all.
    for (; cursor + chunk <= length; cursor += chunk) session.run(cursor, cursor + chunk);
  }
  if (once && length < workload.stream.count) session.run(length, workload.stream.count);
  if (bench.error) throw bench.error;
  if (samples.length === 0 && !once) return { result: null, discarded };
  if (samples.length === 0 && timedSeconds > 0) samples.push(timedCommands / timedSeconds);
  if (samples.length === 0) throw new Error(`no clean benchmark.js sample for ${workload.name}`);
  const wholeStream = once && timedSeconds > 0 ? { wholeStream: timedCommands / timedSeconds } : {};
  const wholeStreamThread = once && timedSeconds > 0 && threadBefore !== null && threadAfter !== null
    ? { wholeStreamThread: { seconds: timedSeconds, waitedSeconds: threadAfter.waited - threadBefore.waited, faults: threadAfter.faults - threadBefore.faults } }
    : {};
  return {
    result: { opsPerSec: spread(samples), samples: samples.length, minTimeSeconds: minTime, commandsRun, ...wholeStream, ...wholeStreamThread },
    discarded,
  };
}

/**
 * Samples that are whole passes over the stream, each from the state after the prelude (the
 * rewind untimed): at least minSamples of them, and as many more as fit in maxTimeSeconds.
 */
function measurePasses(session: EngineSession, workload: Workload, settings: ThroughputSettings): ThroughputResult {
  const { chunk } = settings;
  const count = workload.stream.count;
  const hrtime = process.hrtime.bigint;
  const samples: number[] = [];
  let shortestPass = Infinity;
  const started = hrtime();
  while (samples.length < settings.minSamples || Number(hrtime() - started) / 1e9 < settings.maxTimeSeconds) {
    session.rewind();
    settings.check?.start(0, 0);
    const t0 = hrtime();
    for (let at = 0; at < count; at += chunk) session.run(at, Math.min(count, at + chunk));
    const seconds = Number(hrtime() - t0) / 1e9;
    settings.check?.cycle(count, count);
    samples.push(count / seconds);
    shortestPass = Math.min(shortestPass, seconds);
    settings.onCycle?.();
  }
  return { opsPerSec: spread(samples), samples: samples.length, minTimeSeconds: shortestPass, commandsRun: samples.length * count };
}

/**
 * The main thread's waits for a core and minor faults so far, or null off Linux. Read around the
 * whole of benchmark.js's run: its untimed moments between cycles (the cycle checks, a few
 * hundred microseconds each) count too, so the waits are an upper bound on the timed cycles'.
 */
function threadNow(): { waited: number; faults: number } | null {
  const waited = threadWaitedSeconds();
  const faults = minorFaults()?.main;
  return waited === null || faults === undefined ? null : { waited, faults };
}
