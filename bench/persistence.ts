// Persistence figures through the CoreStateMachine (src/state/), all in one run and beside the
// in-memory rates of the same flow:
// Each batch of the stream is a block at a height of its own, as a state machine under a chain
// moves it (the demo does the same): the indexes group a trader's postings across heights.
//   - durable throughput with group commit: batches submitted continuously, each batch's
//     acknowledgement the flush() issued right after it, resolved once durable; ack latency
//     p50/p99/max; sync on and off; and sustained, over a flow four times as long: a database
//     of a million commands has not yet paid for the compactions its writes will cost;
//   - the same flow awaiting a flush after every 1,000 commands;
//   - how far the indexes lag when the flow ends, and how fast they catch up;
//   - main-thread and other-thread CPU per command (steadier than wall time on a shared machine);
//   - bytes on disk per command;
//   - for books of 100,000 and 1,000,000 resting orders: a checkpoint taken while orders keep
//     flowing (its duration, the synchronous pause it causes, the longest gap between batches
//     while it runs), then recovery on reopen, split into its phases, and bytes on disk per order.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { CommandBatch } from '../src/batch.js';
import { directoryBytes } from '../src/directories.js';
import { createEngine } from '../src/engine.js';
import { CoreStateMachine } from '../src/state/index.js';
import type { FlushReport } from '../src/state/index.js';
import { CopyRaced, copyDatabase, type DatabaseCopy } from '../src/state/read-only-copy.js';
import type { BackendName } from '../src/types.js';
import { encodeBatch } from './batch-encoding.js';
import { compiledBenchScript } from './child-script.js';
import type { CommandColumns } from './commands.js';
import { SideCode } from './commands.js';
import { Prng } from '../src/prng.js';
import { freshMemoryMsPerMiB, minorFaults } from './page-faults.js';
import type { ReopenTiming } from './reopen-child.js';
import { quantileOfSorted } from './stats.js';
import { type BatchGap, GapClock, mainThreadRunDelayMs, summarizeGaps } from './batch-gaps.js';
import { FlowBuilder } from './workloads/flow-builder.js';
import { steadyWorkload } from './workloads/synthetic.js';

export const BATCH = 1000;

const execFileAsync = promisify(execFile);

/** Commands per second of the same flow without a disk. */
export interface InMemoryRate {
  path: 'engine.submitBatch' | 'state machine in memory';
  opsPerSec: number;
  /** The state machine: its indexes follow behind in a worker, as on disk. */
  index?: IndexCatchUp;
}

/** How far a run's indexes were behind when its last command was durable, and what catching up cost. */
export interface IndexCatchUp {
  /** Journal entries the indexes were behind when the last command was durable, and how long they took to catch up. */
  indexLagAtEnd: number;
  indexCatchUpSeconds: number;
  /**
   * Commands a second until the last one is durable AND indexed (the catch-up included): what a
   * flow can sustain without the index lag, and the memory it holds, growing without bound.
   */
  indexedOpsPerSec: number;
}

/**
 * Offered loads of the paced runs, commands a second. The highest, the one the target judges, is
 * about 40% of what group commit sustains on the 2-core machine, so acknowledgements show the
 * commit path's latency rather than a queue's; the lower ones show whether the tail shrinks with
 * the load, that is, whether it comes from the threads sharing two cores or from the commit itself.
 */
export const TARGET_PACED_PER_SEC = 200_000;
export const PACED_PER_SEC = [50_000, 100_000, TARGET_PACED_PER_SEC] as const;
/** A paced run lasts about this long (at most the whole flow): the same number of acknowledgements a second at every load. */
const PACED_SECONDS = 5;

export interface DurableRun extends IndexCatchUp {
  /** paced: batches submitted on a clock (pacedPerSec), not as fast as the loop turns. */
  mode: 'group commit' | 'sustained group commit' | 'paced group commit' | 'await every 1,000';
  sync: boolean;
  /** Paced runs: the offered load, commands a second. */
  pacedPerSec?: number;
  commands: number;
  /** From the first submit until the last command is durable. */
  seconds: number;
  opsPerSec: number;
  /**
   * Group commit: each batch's acknowledgement latency, in ms. Paced runs: from when the batch was
   * due on the clock (t0 + b x the pacing interval) until durable, so a producer that fell behind
   * counts its lateness too (no coordinated omission; before 2026-12-04 it was timed from the
   * flush() call, which is flushToDurableMs now). Unpaced runs have no schedule: from the flush() call.
   */
  ackMs?: { p50: number; p99: number; max: number };
  /** Group commit: each batch's time from its flush() call until durable, in ms (what ackMs was before 2026-12-04). */
  flushToDurableMs?: { p50: number; p99: number; max: number };
  /** Paced runs: how late each batch's submit and flush() were against the clock, in ms. */
  sendLatenessMs?: { p50: number; p99: number; max: number };
  /** Flushes that wrote something (each one RocksDB write batch). */
  commits: number;
  /**
   * Those writes' own time in RocksDB, in ms, timed on the store's worker (FlushReport.writeMs):
   * the part of an ack that is the database's write and its fsync, apart from the queueing,
   * the message passing and the main thread's turn.
   */
  writeMs: { p50: number; p99: number; max: number };
  /**
   * Sustained runs: RocksDB's own threads' CPU (memtable flushes, compactions) from the first
   * submit until they fell idle after the run, per command: what the flow's writes cost RocksDB
   * in the end, the compactions that ran after the last ack included; how long after the run
   * they fell idle (idle false: still busy when the wait gave up, counted that far). null off
   * Linux. The run's bytes on disk are counted after that wait, once compaction is done.
   */
  rocksdbUntilIdle?: { cpuNsPerCommand: number; seconds: number; idle: boolean } | null;
  /** CPU over the timed region, per command: the main thread, and every other thread (store worker, RocksDB's own). */
  mainCpuNsPerCommand: number;
  otherCpuNsPerCommand: number;
  /** Minor page faults over the timed region per 1,000 commands (fresh memory, 4 KiB each): the main thread, and every other; null off Linux. */
  faultsPerThousand: { main: number; other: number } | null;
  bytesOnDiskPerCommand: number;
}

export interface BookRun {
  restingOrders: number;
  /** checkpoint() called to resolved, while orders keep flowing. */
  checkpointSeconds: number;
  /** How long the checkpoint() call itself held the main thread (matching waits for it). */
  checkpointPauseMs: number;
  /**
   * Of that pause, how long the main thread was ready to run but waited for a core (Linux's
   * schedstat run delay; null elsewhere): on two cores the store worker, RocksDB's threads and the
   * checkpoint worker, which the call wakes to snapshot, can all want one at that moment.
   */
  checkpointPauseWaitingMs: number | null;
  /** The longest gap between two batches while the checkpoint ran, and the median gap around it. */
  longestGapMs: number;
  medianGapMs: number;
  /**
   * Of that longest gap, the part in submitBatch (the engine matching: at a million orders the
   * flow takes the book past 1,114,112, where the WASM order index grows in one go, 70 ms or
   * more, checkpoint or not), and the part the main thread waited for a core (null off Linux).
   */
  longestGapInSubmitMs: number;
  longestGapWaitingMs: number | null;
  /**
   * The longest time between two batches outside submitBatch while the checkpoint ran, and over
   * the baseline below: where a checkpoint's own work on the main thread would show.
   */
  longestOutsideSubmitMs: number;
  longestOutsideSubmitWithoutCheckpointMs: number;
  /**
   * The baseline of the same run: the longest gap over as many batches of the same flow (another
   * asset's resting orders, submitted and flushed the same way) with no checkpoint running, taken
   * right after it; and the batches that covered.
   */
  longestGapWithoutCheckpointMs: number;
  baselineBatches: number;
  checkpointBytes: number;
  /**
   * CoreStateMachine.open() on the closed database, timed in a fresh child process of its own
   * (reopen-child.ts: modules loaded first, then the open, engine creation included), as a
   * restarted process recovers; the page cache holds what the build just wrote. Until 2026-12-04
   * this was timed in the bench's own warm process after many opens (now openInProcessSeconds).
   * indexesReadySeconds, recoveryMs, phases, restoredAhead, reopenFreshMiB and replayedCommands
   * are the child's.
   */
  openSeconds: number;
  /** The same open in the bench's own process, warm from every open before it, right after the child's. */
  openInProcessSeconds: number;
  /**
   * How long close() took: its checkpoint (checkpointOnClose, by default at 10,000 commands after
   * the newest checkpoint), the indexes catching up, and the store's settling close (store-worker.mjs).
   */
  closeSeconds: number;
  /**
   * The same database as a kill instead of the close would have left it (its files copied at one
   * instant after the last flush, as a read-only open copies them: read-only-copy.ts), reopened
   * in a fresh child: RocksDB replays its log, recovery replays the journal after the checkpoint.
   */
  afterKill: ReopenTiming;
  /**
   * From the same open's start until its indexes were ready (indexesReady(): the index database
   * opened, and what the last run left unindexed derived), which the open does not wait for.
   */
  indexesReadySeconds: number;
  /**
   * The recovery report's own total and phases, in ms, after `opening`: the open before recovery
   * proper (RocksDB replaying its log, the checkpoint worker starting, and the newest snapshot
   * file read and restored ahead, side by side), with when each of the two side-by-side parts
   * ended (`rocksdb`, `ahead`: the recovery report's `opening`).
   */
  recoveryMs: number;
  phases: Record<string, number>;
  /** Whether the checkpoint recovery used was the one restored ahead. */
  restoredAhead: boolean;
  /** Fresh memory the open wrote for the first time (the process's minor page faults, 4 KiB each), MiB; null off Linux. */
  reopenFreshMiB: number | null;
  replayedCommands: number;
  bytesOnDisk: number;
  bytesOnDiskPerOrder: number;
}

export type PersistenceReport =
  | { status: 'pending' | 'skipped' | 'failed'; reason: string }
  | {
    status: 'ok'; backend: BackendName; workload: string; inMemory: InMemoryRate[]; durable: DurableRun[]; books: BookRun[];
    /** What writing fresh memory the first time costs on this machine (page-faults.ts), ms per MiB. */
    freshMemoryMsPerMiB: number;
  };

export interface PersistenceScale {
  orders: number;
  sustainedOrders: number;
  bookSizes: number[];
}

async function pickBackend(): Promise<BackendName | string> {
  for (const backend of ['wasm', 'js'] as const) {
    try {
      await createEngine({ backend });
      return backend;
    } catch {
      // try the next backend
    }
  }
  return 'no engine backend is available';
}

/**
 * The flow's commands. Each run encodes them into batches of BATCH commands made by its own engine
 * or state machine (createBatch(): in the WASM core's memory, which it reads in place), before it
 * is timed: encoding is not what is measured here.
 */
interface Flow {
  prelude: CommandColumns;
  stream: CommandColumns;
  /** The stream's first timestamp (the prelude's is 1). */
  streamFirstTimestamp: number;
  /** How many of the stream's commands the flow takes: a prefix of them. */
  commands: number;
}

/** The flow's first `batches` batches (all of it, if it has fewer). */
function prefixOf(flow: Flow, batches: number): Flow {
  return { ...flow, commands: Math.min(flow.stream.count, batches * BATCH) };
}

/** What makes a run's batches: an engine or a state machine, each in its own memory. */
interface BatchMaker {
  createBatch(commands?: number): CommandBatch;
}

/** The first `count` commands of `columns` in batches of BATCH made by `maker`; command i gets timestamp firstTimestamp + i. */
function encodeAll(maker: BatchMaker, columns: CommandColumns, firstTimestamp: number, count = columns.count): CommandBatch[] {
  const out: CommandBatch[] = [];
  for (let from = 0; from < count; from += BATCH) {
    out.push(encodeBatch(maker.createBatch(BATCH), columns, from, Math.min(count, from + BATCH), firstTimestamp));
  }
  return out;
}

/** The flow's prelude and stream, in batches `maker` made. */
function batchesFor(maker: BatchMaker, flow: Flow): { prelude: CommandBatch[]; stream: CommandBatch[] } {
  return { prelude: encodeAll(maker, flow.prelude, 1), stream: encodeAll(maker, flow.stream, flow.streamFirstTimestamp, flow.commands) };
}

export async function measurePersistence(scale: PersistenceScale, seed: number, onStep: (label: string) => void): Promise<PersistenceReport> {
  const backend = await pickBackend();
  if (backend !== 'wasm' && backend !== 'js') return { status: 'pending', reason: backend };
  const root = mkdtempSync(join(tmpdir(), 'lobcore-bench-'));
  try {
    // One flow, generated once: the sustained run takes all of it, every other run its first
    // scale.orders commands (a steady flow's prefix is the shorter flow of the same seed).
    const steady = steadyWorkload({ resting: 10_000, commands: Math.max(scale.orders, scale.sustainedOrders) }, seed + 10);
    const whole: Flow = { prelude: steady.prelude, stream: steady.stream, streamFirstTimestamp: steady.prelude.count + 1, commands: steady.stream.count };
    const flow = prefixOf(whole, Math.ceil(scale.orders / BATCH));
    onStep('persistence: the same flow in memory');
    const inMemory = [await engineRate(backend, flow), await inMemoryStateMachineRate(backend, flow)];
    const durable: DurableRun[] = [];
    for (const sync of [true, false]) {
      onStep(`persistence: group commit, sync ${sync ? 'on' : 'off'}`);
      durable.push(await durableRun(backend, join(root, `group-${sync}`), flow, sync, 'group commit'));
    }
    onStep(`persistence: group commit sustained over ${scale.sustainedOrders.toLocaleString('en-US')} commands, sync on`);
    durable.push(await durableRun(backend, join(root, 'sustained'), prefixOf(whole, Math.ceil(scale.sustainedOrders / BATCH)), true, 'sustained group commit'));
    for (const perSec of PACED_PER_SEC) {
      onStep(`persistence: group commit paced at ${perSec.toLocaleString('en-US')}/s, sync on`);
      const prefix = prefixOf(flow, Math.ceil((perSec * PACED_SECONDS) / BATCH));
      durable.push(await durableRun(backend, join(root, `paced-${perSec}`), prefix, true, 'paced group commit', perSec));
    }
    onStep('persistence: await every 1,000, sync on');
    durable.push(await durableRun(backend, join(root, 'await'), flow, true, 'await every 1,000'));
    const books: BookRun[] = [];
    for (const size of scale.bookSizes) {
      onStep(`persistence: checkpoint + recovery, ${size.toLocaleString('en-US')} orders`);
      books.push(await bookRun(backend, join(root, `book-${size}`), size, seed + 11));
    }
    return {
      status: 'ok', backend, inMemory, durable, books, freshMemoryMsPerMiB: freshMemoryMsPerMiB(),
      workload: `steady flow, ${flow.commands.toLocaleString('en-US')} commands in batches of ${BATCH}, after a ${steady.prelude.count.toLocaleString('en-US')}-command prelude`
        + ` (sustained: ${scale.sustainedOrders.toLocaleString('en-US')} commands)`,
    };
  } catch (error) {
    return { status: 'failed', reason: (error as Error).stack ?? String(error) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function engineRate(backend: BackendName, flow: Flow): Promise<InMemoryRate> {
  const engine = await createEngine({ backend });
  const batches = batchesFor(engine, flow);
  for (const batch of batches.prelude) engine.submitBatch(batch);
  const t0 = performance.now();
  for (const batch of batches.stream) engine.submitBatch(batch);
  return { path: 'engine.submitBatch', opsPerSec: flow.commands / ((performance.now() - t0) / 1000) };
}

/** The state machine without a path: the same pipeline on its in-memory store, committed every batch. */
async function inMemoryStateMachineRate(backend: BackendName, flow: Flow): Promise<InMemoryRate> {
  const sm = await CoreStateMachine.open({ backend });
  const batches = batchesFor(sm, flow);
  for (const batch of batches.prelude) sm.submitBatch(batch);
  await sm.flush();
  await sm.getTraderOrders(1, { status: 'open', limit: 1 }); // as durableRun: the open-order set kept
  const t0 = performance.now();
  for (const batch of batches.stream) {
    sm.setHeight(sm.height + 1);
    sm.submitBatch(batch);
    await sm.flush();
  }
  const seconds = (performance.now() - t0) / 1000;
  const index = await catchUp(sm, flow.commands, seconds);
  await sm.close();
  return { path: 'state machine in memory', opsPerSec: flow.commands / seconds, index };
}

async function durableRun(backend: BackendName, path: string, flow: Flow, sync: boolean, mode: DurableRun['mode'], pacedPerSec?: number): Promise<DurableRun> {
  const sm = await CoreStateMachine.open({ path, sync, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
  const batches = batchesFor(sm, flow);
  for (const batch of batches.prelude) sm.submitBatch(batch);
  await sm.flush();
  await indexCaughtUp(sm);
  // A trader's open orders are kept in memory once anyone asks (src/state/open-orders.ts): ask
  // before timing, so the rates include that upkeep, as a machine serving queries pays it.
  await sm.getTraderOrders(1, { status: 'open', limit: 1 });
  const stream = batches.stream;
  const acks = new Float64Array(stream.length);
  const flushToDurable = new Float64Array(stream.length);
  const lateness = new Float64Array(stream.length);
  // One entry per write: every flush a write answers gets the same report object.
  const writes: number[] = [];
  let lastReport: FlushReport | null = null;
  const tally = (report: FlushReport): void => {
    if (report === lastReport || report.entries === 0) return;
    lastReport = report;
    writes.push(report.writeMs);
  };
  const cpu = cpuNow();
  const rocksdbBefore = mode === 'sustained group commit' ? rocksdbThreadsCpuMs() : null;
  const faultsBefore = minorFaults();
  const t0 = performance.now();
  if (mode === 'await every 1,000') {
    for (const batch of stream) {
      sm.setHeight(sm.height + 1);
      sm.submitBatch(batch);
      tally(await sm.flush());
    }
  } else {
    // A producer that never waits for the disk: one batch a turn of the event loop (or, paced,
    // when the clock says), so writes land and acknowledgements arrive while it goes on.
    const msPerBatch = pacedPerSec === undefined ? 0 : (BATCH * 1000) / pacedPerSec;
    let last: Promise<unknown> = Promise.resolve();
    for (let b = 0; b < stream.length; b++) {
      sm.setHeight(sm.height + 1);
      sm.submitBatch(stream[b]);
      const issued = performance.now();
      // When this batch was due: paced, on the clock, however late the loop got to it; unpaced, no
      // schedule, so when it was flushed. A batch sent early (the wait below ends on the timer's
      // clock, or is skipped under a millisecond) counts from when it was sent, never from a due
      // time after its flush() call.
      const due = pacedPerSec === undefined ? issued : Math.min(issued, t0 + b * msPerBatch);
      lateness[b] = Math.max(0, issued - due);
      last = sm.flush().then((report) => {
        const durable = performance.now();
        acks[b] = durable - due;
        flushToDurable[b] = durable - issued;
        tally(report);
      });
      const early = pacedPerSec === undefined ? 0 : t0 + (b + 1) * msPerBatch - performance.now();
      await (early >= 1 ? sleep(early) : nextTurn());
    }
    await last;
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = cpuSince(cpu);
  const faultsAfter = minorFaults();
  const index = await catchUp(sm, flow.commands, seconds);
  const rocksdbUntilIdle = rocksdbBefore === null ? null : await rocksdbCostUntilIdle(rocksdbBefore, flow.commands);
  await sm.close();
  acks.sort();
  flushToDurable.sort();
  lateness.sort();
  const spread = (sorted: Float64Array): { p50: number; p99: number; max: number } =>
    ({ p50: quantileOfSorted(sorted, 0.5), p99: quantileOfSorted(sorted, 0.99), max: sorted[sorted.length - 1] });
  const writeTimes = Float64Array.from(writes).sort();
  return {
    mode, sync, ...(pacedPerSec === undefined ? {} : { pacedPerSec }), commands: flow.commands, seconds, opsPerSec: flow.commands / seconds,
    commits: writes.length,
    writeMs: { p50: quantileOfSorted(writeTimes, 0.5), p99: quantileOfSorted(writeTimes, 0.99), max: writeTimes[writeTimes.length - 1] },
    ...(mode !== 'await every 1,000' ? { ackMs: spread(acks), flushToDurableMs: spread(flushToDurable) } : {}),
    ...(pacedPerSec !== undefined ? { sendLatenessMs: spread(lateness) } : {}),
    ...index,
    ...(mode === 'sustained group commit' ? { rocksdbUntilIdle } : {}),
    mainCpuNsPerCommand: (used.mainMs * 1e6) / flow.commands, otherCpuNsPerCommand: (used.otherMs * 1e6) / flow.commands,
    faultsPerThousand: faultsBefore === null || faultsAfter === null ? null : {
      main: ((faultsAfter.main - faultsBefore.main) * 1000) / flow.commands,
      other: ((faultsAfter.process - faultsBefore.process - (faultsAfter.main - faultsBefore.main)) * 1000) / flow.commands,
    },
    bytesOnDiskPerCommand: directoryBytes(path) / (flow.commands + batches.prelude.length * BATCH),
  };
}

/** The checkpoint pause as the report prints it: `1.21 ms`, with the wait for a core when known (`10.48 ms (9.02 waiting)`). */
export function checkpointPauseText(b: BookRun): string {
  const waiting = b.checkpointPauseWaitingMs;
  return `${b.checkpointPauseMs.toFixed(2)} ms${waiting === null ? '' : ` (${waiting.toFixed(2)} waiting)`}`;
}

/** The longest gap during a checkpoint, split as the report prints it: `1.3 in submitBatch, 33.9 waiting for a core`. */
export function longestGapSplitText(b: BookRun): string {
  const waiting = b.longestGapWaitingMs;
  return `${b.longestGapInSubmitMs.toFixed(1)} in submitBatch${waiting === null ? '' : `, ${waiting.toFixed(1)} waiting for a core`}`;
}

/** Builds a book of `size` resting orders, checkpoints it while new orders keep arriving, closes, and times reopening (exported for scratch drivers that time this part alone). */
export async function bookRun(backend: BackendName, path: string, size: number, seed: number): Promise<BookRun> {
  const sm = await CoreStateMachine.open({ path, sync: true, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
  const build = restingBook(size, 1, seed);
  const building = sm.createBatch(10_000);
  for (let from = 0; from < build.count; from += 10_000) {
    sm.submitBatch(encodeBatch(building, build, from, Math.min(build.count, from + 10_000), 1));
    await sm.flush();
  }
  await indexCaughtUp(sm);
  // The orders that keep flowing: another asset's, so they neither trade with the book nor need its ids.
  const during = encodeAll(sm, restingBook(200 * BATCH, 2, seed + 1), size + 1);
  const gaps: BatchGap[] = [];
  let gapsBefore = 0;
  let gapsAfter = 0;
  let checkpointing: Promise<unknown> | null = null;
  let done = false;
  let pauseMs = 0;
  let pauseWaitingMs: number | null = null;
  let checkpointSeconds = 0;
  let checkpointBytes = 0;
  const clock = new GapClock();
  for (let b = 0; b < during.length && !(done && gapsAfter >= 10); b++) {
    const submitted = performance.now();
    sm.submitBatch(during[b]);
    const submitMs = performance.now() - submitted;
    void sm.flush();
    await nextTurn();
    gaps.push(clock.lap(submitMs));
    if (checkpointing === null && b === 20) {
      gapsBefore = gaps.length;
      const waitedBefore = mainThreadRunDelayMs();
      const started = performance.now();
      checkpointing = sm.checkpoint().then((info) => {
        checkpointSeconds = (performance.now() - started) / 1000;
        checkpointBytes = info?.bytes ?? 0;
        done = true;
      });
      pauseMs = performance.now() - started;
      const waitedAfter = mainThreadRunDelayMs();
      pauseWaitingMs = waitedBefore === null || waitedAfter === null ? null : waitedAfter - waitedBefore;
      clock.restart();
    } else if (done) {
      gapsAfter++;
    }
  }
  await checkpointing;
  const whileCheckpointing = summarizeGaps(gaps.slice(gapsBefore, gaps.length - gapsAfter));
  const around = [...gaps.slice(0, gapsBefore), ...gaps.slice(gaps.length - gapsAfter)].map((g) => g.ms).sort((a, b) => a - b);
  // The baseline: the same flow (a third asset's resting orders) for as many batches, at least
  // 20, with no checkpoint running, in the same run right after it.
  const baselineBatches = Math.max(20, gaps.length - gapsAfter - gapsBefore);
  const baseline = encodeAll(sm, restingBook(baselineBatches * BATCH, 3, seed + 2), size + during.length * BATCH + 1);
  const baselineGaps: BatchGap[] = [];
  clock.restart();
  for (const batch of baseline) {
    const submitted = performance.now();
    sm.submitBatch(batch);
    const submitMs = performance.now() - submitted;
    void sm.flush();
    await nextTurn();
    baselineGaps.push(clock.lap(submitMs));
  }
  const withoutCheckpoint = summarizeGaps(baselineGaps);
  await sm.flush();
  const asKilled = copyAsAKillLeavesIt(path);
  const closing = performance.now();
  await sm.close();
  const closeSeconds = (performance.now() - closing) / 1000;
  const fresh = await reopenInChild(path, backend);
  if (fresh.restingOrders < size) throw new Error(`recovery gave ${fresh.restingOrders} resting orders, expected at least ${size}`);
  let afterKill: ReopenTiming;
  try {
    afterKill = await reopenInChild(asKilled.location, backend);
  } finally {
    asKilled.remove();
  }
  if (afterKill.restingOrders !== fresh.restingOrders) throw new Error(`after a kill recovery gave ${afterKill.restingOrders} resting orders, after the close ${fresh.restingOrders}`);
  const opened = performance.now();
  const reopened = await CoreStateMachine.open({ path, sync: true, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
  const openInProcessSeconds = (performance.now() - opened) / 1000;
  await reopened.indexesReady();
  await reopened.close();
  const bytesOnDisk = directoryBytes(path);
  return {
    restingOrders: size, checkpointSeconds, checkpointPauseMs: pauseMs, checkpointPauseWaitingMs: pauseWaitingMs,
    longestGapMs: whileCheckpointing.longest.ms, longestGapInSubmitMs: whileCheckpointing.longest.submitMs, longestGapWaitingMs: whileCheckpointing.longest.waitingMs,
    longestOutsideSubmitMs: whileCheckpointing.longestOutsideSubmitMs, medianGapMs: quantileOfSorted(around, 0.5),
    longestGapWithoutCheckpointMs: withoutCheckpoint.longest.ms, longestOutsideSubmitWithoutCheckpointMs: withoutCheckpoint.longestOutsideSubmitMs, baselineBatches, checkpointBytes,
    openSeconds: fresh.openSeconds, openInProcessSeconds, closeSeconds, afterKill, indexesReadySeconds: fresh.indexesReadySeconds, recoveryMs: fresh.recoveryMs,
    phases: fresh.phases, restoredAhead: fresh.restoredAhead,
    reopenFreshMiB: fresh.reopenFreshMiB, replayedCommands: fresh.replayedCommands, bytesOnDisk, bytesOnDiskPerOrder: bytesOnDisk / size,
  };
}

/** The files of the open database at `path` as a kill now would leave them, copied as a read-only open copies them. */
function copyAsAKillLeavesIt(path: string): DatabaseCopy {
  for (let attempt = 1; ; attempt++) {
    try {
      return copyDatabase(path);
    } catch (error) {
      // A memtable flush or a compaction moved RocksDB's files during the copy: take it again.
      if (!(error instanceof CopyRaced) || attempt === 5) throw error;
    }
  }
}

/** Reopens the closed database at `path` in a fresh node process (reopen-child.ts) and returns what it timed. */
async function reopenInChild(path: string, backend: BackendName): Promise<ReopenTiming> {
  const { stdout } = await execFileAsync(process.execPath, [compiledBenchScript('reopen-child.js'), path, backend], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ReopenTiming;
}

/** Resolves once the indexes have caught up with every durable commit. */
async function indexCaughtUp(sm: CoreStateMachine): Promise<void> {
  while (sm.indexLag > 0) await sleep(1);
}

/** Waits for the indexes of a run of `commands` that took `seconds` to catch up, and says what that took. */
async function catchUp(sm: CoreStateMachine, commands: number, seconds: number): Promise<IndexCatchUp> {
  const indexLagAtEnd = sm.indexLag;
  const start = performance.now();
  await indexCaughtUp(sm);
  const indexCatchUpSeconds = (performance.now() - start) / 1000;
  return { indexLagAtEnd, indexCatchUpSeconds, indexedOpsPerSec: commands / (seconds + indexCatchUpSeconds) };
}

/** `size` GTC limits on `asset` that all rest: bids below 1,000,000 and asks above, over a few thousand levels. */
function restingBook(size: number, asset: number, seed: number): CommandColumns {
  const prng = new Prng(seed);
  const flow = new FlowBuilder();
  for (let i = 0; i < size; i++) {
    const bid = prng.chance(0.5);
    const price = bid ? 1_000_000 - 1 - prng.below(5_000) : 1_000_000 + 1 + prng.below(5_000);
    flow.limit(1 + prng.below(1000), asset, bid ? SideCode.BID : SideCode.ASK, price, prng.between(1, 100));
  }
  return flow.preludeCommands();
}

/** CPU time so far: the whole process, and the main thread alone (Linux: its /proc task entry; elsewhere unknown, counted as 0). */
function cpuNow(): { totalMs: number; mainMs: number } {
  const usage = process.cpuUsage();
  return { totalMs: (usage.user + usage.system) / 1000, mainMs: mainThreadCpuMs() };
}

function cpuSince(start: { totalMs: number; mainMs: number }): { mainMs: number; otherMs: number } {
  const now = cpuNow();
  const mainMs = now.mainMs - start.mainMs;
  return { mainMs, otherMs: now.totalMs - start.totalMs - mainMs };
}

function mainThreadCpuMs(): number {
  try {
    return threadCpuMs(String(process.pid));
  } catch {
    return 0;
  }
}

/** A thread's CPU so far, in ms, from its /proc task entry (throws where there is none). */
function threadCpuMs(task: string): number {
  const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU so far of RocksDB's own threads (named `rocksdb:low`, `rocksdb:high`, ...), in ms; null off Linux. */
function rocksdbThreadsCpuMs(): number | null {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  let ms = 0;
  for (const task of tasks) {
    try {
      if (readFileSync(`/proc/self/task/${task}/comm`, 'utf8').startsWith('rocksdb:')) ms += threadCpuMs(task);
    } catch {
      // A thread that ended since the listing: RocksDB's pool threads live as long as the process.
    }
  }
  return ms;
}

/** Most seconds to wait for RocksDB's threads to fall idle. */
const IDLE_WAIT_SECONDS = 60;

/**
 * Waits until RocksDB's threads use under 20 ms of CPU in a second, or IDLE_WAIT_SECONDS have
 * passed: their CPU since `startMs` per command, how long the wait took, and whether they fell idle.
 */
async function rocksdbCostUntilIdle(startMs: number, commands: number): Promise<NonNullable<DurableRun['rocksdbUntilIdle']>> {
  let last = rocksdbThreadsCpuMs() ?? startMs;
  let seconds = 0;
  let idle = false;
  while (!idle && seconds < IDLE_WAIT_SECONDS) {
    await sleep(1000);
    seconds++;
    const now = rocksdbThreadsCpuMs() ?? last;
    idle = now - last < 20;
    last = now;
  }
  return { cpuNsPerCommand: ((last - startMs) * 1e6) / commands, seconds, idle };
}
