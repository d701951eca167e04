// The index half of an in-memory store (memory-store.ts): its entries live in a worker thread
// (memory-index-worker.mjs), shared by every in-memory store of the process and started when the
// first of them writes an index entry. Like the durable store's index database, it is written
// behind the commits, and what is not written yet is read through the indexer's overlay.
import { LobError } from '../errors.js';
import { packByteList, unpackByteList } from './byte-list.mjs';
import type { ByteRange } from './sorted-bytes-map.mjs';
import { WorkerCalls } from './worker-calls.js';
import { pairs, rangeMessage, transferableOps } from './store-wire.js';

const WORKER_URL = new URL('./memory-index-worker.mjs', import.meta.url);

interface WorkerFailure {
  message: string;
}

/** The process's index worker; a new one once it has failed. Idle, it does not keep the process alive (worker-calls.ts). */
let worker: WorkerCalls<WorkerFailure> | null = null;
let storesMade = 0;

function sharedWorker(): WorkerCalls<WorkerFailure> {
  if (worker === null || worker.failure !== null) {
    try {
      worker = new WorkerCalls<WorkerFailure>(WORKER_URL, {
        error: (error) => ({ message: `the in-memory index worker failed: ${error.message}` }),
        exit: (code) => ({ message: `the in-memory index worker has exited (${code})` }),
      });
    } catch (error) {
      throw new LobError('NOT_OPEN', `the in-memory index worker could not start: ${(error as Error).message}`, { cause: error });
    }
  }
  return worker;
}

/** A store collected without being closed gives its entries back. */
const collected = new FinalizationRegistry<{ calls: WorkerCalls<WorkerFailure>; store: number }>(({ calls, store }) => calls.post({ op: 'drop', store }));

export class MemoryIndex {
  private readonly store = ++storesMade;
  /** The worker that holds the entries, once one was written; until then every read is empty. */
  private calls: WorkerCalls<WorkerFailure> | null = null;
  private closed = false;

  /** Takes ownership of `ops` and resolves with it once its first `count` operations are in. */
  async writeIndex(ops: Float64Array, count: number): Promise<Float64Array> {
    const what = `writing ${count} index operations`;
    if (this.closed) throw notOpen(what);
    if (this.calls === null) {
      this.calls = sharedWorker();
      collected.register(this, { calls: this.calls, store: this.store }, this);
    }
    const owned = transferableOps(ops, count);
    return new Float64Array(await this.call<ArrayBuffer>(what, { op: 'writeIndex', ops: owned, count }, [owned]));
  }

  async getMany(keys: Uint8Array[]): Promise<Array<Buffer | undefined>> {
    const what = `reading ${keys.length} index keys`;
    if (this.nothingWritten(what)) return keys.map(() => undefined);
    const packed = packByteList(keys);
    return unpackByteList(await this.call<ArrayBuffer>(what, { op: 'getMany', keys: packed }, [packed]));
  }

  async entries(range: ByteRange): Promise<Array<[Buffer, Buffer]>> {
    const what = 'reading an index range';
    if (this.nothingWritten(what)) return [];
    return pairs(unpackByteList(await this.call<ArrayBuffer>(what, { op: 'entries', range: rangeMessage(range) })));
  }

  /** The entries of a range of three-field keys as numbers, four an entry (memory-store.ts, indexNumbers). */
  async numbers(range: ByteRange): Promise<Float64Array> {
    const what = 'reading an index range';
    if (this.nothingWritten(what)) return new Float64Array(0);
    return new Float64Array(await this.call<ArrayBuffer>(what, { op: 'numbers', range: rangeMessage(range) }));
  }

  async keys(range: ByteRange): Promise<Buffer[]> {
    const what = 'reading an index range';
    if (this.nothingWritten(what)) return [];
    return unpackByteList(await this.call<ArrayBuffer>(what, { op: 'keys', range: rangeMessage(range) })) as Buffer[];
  }

  async clear(): Promise<void> {
    if (!this.nothingWritten('clearing the indexes')) await this.call('clearing the indexes', { op: 'clear' });
  }

  /**
   * The entries go; the worker stays for the process's other stores. Every later call is refused
   * (NOT_OPEN): an index write that a closing state machine still had queued stops there.
   */
  close(): void {
    this.closed = true;
    if (this.calls === null) return;
    this.calls.post({ op: 'drop', store: this.store });
    collected.unregister(this);
    this.calls = null;
  }

  /** True while no entry was ever written: nothing to ask the worker. Throws once closed. */
  private nothingWritten(what: string): boolean {
    if (this.closed) throw notOpen(what);
    return this.calls === null;
  }

  private async call<T>(what: string, request: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<T> {
    if (this.calls === null) throw notOpen(what);
    try {
      return await this.calls.call<T>({ ...request, store: this.store }, transfer);
    } catch (error) {
      // The worker is gone, and this store's index entries with it: as a durable store whose worker has exited, it is not open.
      throw new LobError('NOT_OPEN', `${what} in memory failed: ${(error as WorkerFailure).message}`, { cause: error });
    }
  }
}

/** What an in-memory store answers once closed. */
export function notOpen(what: string): LobError {
  return new LobError('NOT_OPEN', `${what} failed: the in-memory store is closed`);
}
