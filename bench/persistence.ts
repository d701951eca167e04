// Persistence figures through the CoreStateMachine (src/state/): throughput with RocksDB
// journaling (sync on and off, a flush every 1,000 commands), checkpoint and recovery time
// for large books, and bytes on disk per resting order.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandBatch } from '../src/batch.js';
import { StatusCode } from '../src/codes.js';
import { encodeBatch } from './batch-encoding.js';
import type { BackendName } from '../src/types.js';
import type { CommandColumns } from './commands.js';
import { Prng } from '../src/prng.js';
import { FlowBuilder } from './workloads/flow-builder.js';
import { steadyWorkload } from './workloads/synthetic.js';
import { SideCode } from './commands.js';

export const FLUSH_EVERY = 1000;

export interface PersistedThroughput {
  sync: boolean;
  flushEvery: number;
  commands: number;
  seconds: number;
  opsPerSec: number;
  /** Read from the batch results (result handling is part of the timed loop). */
  filledVolume: number;
}

export interface PersistedBook {
  restingOrders: number;
  checkpointSeconds: number;
  /** CoreStateMachine.open() on the closed database: loads the checkpoint, replays the journal after it. */
  recoverySeconds: number;
  /** What the state machine says it did when reopening (its RecoveryReport), if it says. */
  recovery?: { checkpointSequence: number | null; replayedCommands: number; durationMs: number };
  checkpointBytes: number;
  bytesOnDisk: number;
  bytesOnDiskPerOrder: number;
}

export type PersistenceReport =
  | { status: 'pending' | 'skipped' | 'failed'; reason: string }
  | { status: 'ok'; backend: BackendName; workload: string; throughput: PersistedThroughput[]; books: PersistedBook[] };

/** The slice of CoreStateMachine this section uses (typed here so the bench builds before src/state lands). */
interface StateMachine {
  submitBatch(batch: CommandBatch): { results: { count: number; statusCode(i: number): number; filled(i: number): number; fillCount: number } };
  flush(): Promise<unknown>;
  checkpoint(): Promise<{ bytes: number } | undefined>;
  close(): Promise<void>;
  readonly nextOrderId: number;
  readonly recovery?: { checkpointSequence: number | null; replayedCommands: number; durationMs: number } | null;
}
interface StateMachineClass {
  open(options: { path?: string; sync?: boolean; backend?: BackendName; checkpointInterval?: number }): Promise<StateMachine>;
}

async function loadStateMachine(): Promise<StateMachineClass | string> {
  try {
    const module = (await import('../src/state/index.js')) as { CoreStateMachine?: StateMachineClass };
    return module.CoreStateMachine ?? 'src/state does not export CoreStateMachine yet';
  } catch (error) {
    return `src/state not built yet (${(error as Error).message.split('\n')[0]})`;
  }
}

async function pickBackend(): Promise<BackendName | string> {
  const { createEngine } = await import('../src/engine.js');
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

export interface PersistenceScale {
  orders: number;
  bookSizes: number[];
}

export async function measurePersistence(scale: PersistenceScale, seed: number, onStep: (label: string) => void): Promise<PersistenceReport> {
  const StateMachine = await loadStateMachine();
  if (typeof StateMachine === 'string') return { status: 'pending', reason: StateMachine };
  const backend = await pickBackend();
  if (backend !== 'wasm' && backend !== 'js') return { status: 'pending', reason: backend };
  const root = mkdtempSync(join(tmpdir(), 'lobcore-bench-'));
  try {
    const flow = steadyWorkload({ resting: 10_000, commands: scale.orders }, seed + 10);
    const throughput: PersistedThroughput[] = [];
    for (const sync of [true, false]) {
      onStep(`persistence: sync ${sync ? 'on' : 'off'}`);
      throughput.push(await persistedThroughput(StateMachine, backend, join(root, `flow-${sync}`), flow.prelude, flow.stream, sync));
    }
    const books: PersistedBook[] = [];
    for (const size of scale.bookSizes) {
      onStep(`persistence: checkpoint + recovery, ${size.toLocaleString('en-US')} orders`);
      books.push(await checkpointAndRecover(StateMachine, backend, join(root, `book-${size}`), size, seed + 11));
    }
    return { status: 'ok', backend, workload: `steady flow, ${scale.orders.toLocaleString('en-US')} commands, batches of ${FLUSH_EVERY}`, throughput, books };
  } catch (error) {
    return { status: 'failed', reason: (error as Error).stack ?? String(error) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** submitBatch of 1,000 commands, results read, then an awaited flush: one RocksDB write batch per 1,000. */
async function persistedThroughput(
  StateMachine: StateMachineClass, backend: BackendName, path: string, prelude: CommandColumns, stream: CommandColumns, sync: boolean,
): Promise<PersistedThroughput> {
  const sm = await StateMachine.open({ path, sync, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
  const batch = new CommandBatch(FLUSH_EVERY);
  try {
    for (let from = 0; from < prelude.count; from += FLUSH_EVERY) {
      sm.submitBatch(encodeBatch(batch, prelude, from, Math.min(prelude.count, from + FLUSH_EVERY), 1));
      await sm.flush();
    }
    let volume = 0;
    const firstTimestamp = prelude.count + 1;
    const t0 = process.hrtime.bigint();
    for (let from = 0; from < stream.count; from += FLUSH_EVERY) {
      const { results } = sm.submitBatch(encodeBatch(batch, stream, from, Math.min(stream.count, from + FLUSH_EVERY), firstTimestamp));
      for (let k = 0; k < results.count; k++) if (results.statusCode(k) !== StatusCode.REJECTED) volume += results.filled(k);
      await sm.flush();
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { sync, flushEvery: FLUSH_EVERY, commands: stream.count, seconds, opsPerSec: stream.count / seconds, filledVolume: volume };
  } finally {
    await sm.close();
  }
}

/** Builds a book of `size` resting orders, times a checkpoint, closes, and times reopening (recovery). */
async function checkpointAndRecover(StateMachine: StateMachineClass, backend: BackendName, path: string, size: number, seed: number): Promise<PersistedBook> {
  const book = restingBook(size, seed);
  const sm = await StateMachine.open({ path, sync: true, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
  const batch = new CommandBatch(10_000);
  for (let from = 0; from < book.count; from += 10_000) {
    sm.submitBatch(encodeBatch(batch, book, from, Math.min(book.count, from + 10_000), 1));
    await sm.flush();
  }
  let t0 = process.hrtime.bigint();
  const checkpoint = await sm.checkpoint();
  const checkpointSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await sm.close();
  t0 = process.hrtime.bigint();
  const reopened = await StateMachine.open({ path, sync: true, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
  const recoverySeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const recovered = reopened.nextOrderId - 1;
  const report = reopened.recovery ?? undefined;
  const recovery = report ? { checkpointSequence: report.checkpointSequence, replayedCommands: report.replayedCommands, durationMs: report.durationMs } : undefined;
  await reopened.close();
  if (recovered !== size) throw new Error(`recovery gave next order id ${recovered + 1}, expected ${size + 1}`);
  const bytesOnDisk = directoryBytes(path);
  return { restingOrders: size, checkpointSeconds, recoverySeconds, ...(recovery ? { recovery } : {}), checkpointBytes: checkpoint?.bytes ?? 0, bytesOnDisk, bytesOnDiskPerOrder: bytesOnDisk / size };
}

/** `size` GTC limits that all rest: bids below 1,000,000 and asks above, over a few thousand levels. */
function restingBook(size: number, seed: number): CommandColumns {
  const prng = new Prng(seed);
  const flow = new FlowBuilder();
  for (let i = 0; i < size; i++) {
    const bid = prng.chance(0.5);
    const price = bid ? 1_000_000 - 1 - prng.below(5_000) : 1_000_000 + 1 + prng.below(5_000);
    flow.limit(1 + prng.below(1000), 1, bid ? SideCode.BID : SideCode.ASK, price, prng.between(1, 100));
  }
  return flow.preludeCommands();
}

function directoryBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? directoryBytes(full) : statSync(full).size;
  }
  return total;
}
