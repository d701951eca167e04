// The RocksDB wrapper: open with a lock and a format check, one write batch per call to
// write(), range reads, and every storage failure turned into a LobError with a code.
// It knows keys and values only as bytes (plus the format marker it checks on open).
//
// The database lives in a worker thread (store-worker.mjs): the binding writes a batch on the
// calling thread, and a synced flush of a few thousand keys held matching up for milliseconds.
// Here a flush costs the main thread one pack into an ArrayBuffer and one postMessage; the
// worker writes it as one RocksDB batch and replies. Reads go through the same worker, since
// RocksDB's LOCK allows one handle per process.
import * as fs from 'node:fs';
import { LobError } from '../errors.js';
import { DATABASE_FORMAT_VERSION, decodeFormat, encodeFormat } from './codecs.js';
import { formatKey } from './keys.js';
import { StoreBatch, packByteList, unpackByteList } from './store-wire.js';
import { INDEX_OP_SLOTS } from './index-wire.mjs';
import { WorkerCalls } from './worker-calls.js';
import type { JoinedValues, KeyRange, KeyValueStore, WriteOptions } from './memory-store.js';

export { StoreBatch } from './store-wire.js';
export type { KeyRange } from './memory-store.js';

export interface StoreOptions {
  /** fsync the write-ahead log before a write resolves (survives a machine crash, not just a process kill). */
  sync: boolean;
}

/** Plain-data error from the worker: the binding's code and RocksDB's cause. */
interface LevelError {
  code?: string;
  message?: string;
  cause?: LevelError;
}

/** The worker file sits next to this module in src/ (vitest) and in dist/ (copied by the build). */
const WORKER_URL = new URL('./store-worker.mjs', import.meta.url);

/** The store worker: replies come back in request order, matched by id. */
function startWorker(): WorkerCalls<LevelError> {
  return new WorkerCalls<LevelError>(WORKER_URL, {
    error: (error) => ({ code: 'STORE_WORKER_FAILED', message: `the store worker failed: ${error.message}` }),
    exit: (code) => ({ code: 'LEVEL_DATABASE_NOT_OPEN', message: `the store worker has exited (${code})` }),
  });
}

/** Range bounds are copied: a pooled Buffer would otherwise clone its whole 8 KB pool slab. */
function rangeMessage(range: KeyRange): Record<string, unknown> {
  const copy = (bound: Uint8Array | undefined): Uint8Array | undefined => (bound === undefined ? undefined : Uint8Array.from(bound));
  return { gt: copy(range.gt), gte: copy(range.gte), lt: copy(range.lt), lte: copy(range.lte), reverse: range.reverse, limit: range.limit };
}

function pairs(items: Array<Buffer | undefined>): Array<[Buffer, Buffer]> {
  const out: Array<[Buffer, Buffer]> = new Array(items.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = [items[2 * i] as Buffer, items[2 * i + 1] as Buffer];
  return out;
}

export class Store implements KeyValueStore {
  private state: 'open' | 'detached' | 'closed' = 'open';

  private constructor(
    private readonly worker: WorkerCalls<LevelError>,
    readonly path: string,
    private readonly options: StoreOptions,
  ) {}

  /**
   * Opens (creating if missing) the database at `path`. Refuses a directory holding something
   * else (NOT_A_DATABASE), one held open elsewhere (LOCKED), a newer format (UNSUPPORTED_VERSION).
   */
  static async open(path: string, options: StoreOptions): Promise<Store> {
    refuseForeignDirectory(path);
    const worker = startWorker();
    try {
      // No WAL compression: ZSTD on every commit cost the store thread more than the bytes it
      // saved the disk, and a checkpoint's chunks wrote three times faster without it. Level
      // compaction leaves levels 0 and 1 uncompressed: opening after a kill replays the log into
      // level 0, and compressing 40 MB of it there took seconds (1.9-3.9 s against 0.4 s). Memtables
      // of 8 MB (a 32 MB budget, against 256) bound the log an open must replay: after a 100,000-order
      // book and a checkpoint, 1.7 MB instead of 14 MB.
      await worker.call({
        op: 'open', path, options: { createIfMissing: true, walCompression: false, compaction: 'level', memtableMemoryBudget: 32 * 1024 * 1024 },
      });
    } catch (error) {
      await worker.terminate();
      throw openError(path, error);
    }
    const store = new Store(worker, path, options);
    try {
      await store.checkFormat();
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * For tests that pull the database out from under a state machine: closes and reopens the
   * RocksDB handle inside the worker, leaving the store (and its worker) in place.
   */
  get underlying(): { close(): Promise<void>; open(): Promise<void> } {
    return {
      close: async () => {
        await this.worker.call({ op: 'detach' });
        this.state = 'detached';
      },
      open: async () => {
        await this.worker.call({ op: 'attach' });
        this.state = 'open';
      },
    };
  }

  batch(capacity?: number): StoreBatch {
    return new StoreBatch(capacity);
  }

  /**
   * Writes the whole batch atomically (synced when the store is): its bytes move to the worker
   * (the batch is left empty) and the promise settles when RocksDB has them.
   */
  async write(batch: StoreBatch, options: WriteOptions = {}): Promise<void> {
    const count = batch.length;
    if (count === 0) return;
    const packed = batch.take();
    try {
      await this.worker.call({
        op: 'write', batch: packed.buffer, byteLength: packed.byteLength, sync: options.sync ?? this.options.sync,
        lowPriority: options.lowPriority === true,
      }, [packed.buffer]);
    } catch (error) {
      throw storageError(`writing a batch of ${count} operations to ${this.path}`, error);
    }
  }

  async writeIndex(ops: Float64Array): Promise<void> {
    const count = ops.length / INDEX_OP_SLOTS;
    const owned = ops.byteOffset === 0 && ops.byteLength === ops.buffer.byteLength ? ops : ops.slice();
    try {
      await this.worker.call({ op: 'writeIndex', ops: owned.buffer, count }, [owned.buffer as ArrayBuffer]);
    } catch (error) {
      throw storageError(`writing ${count} index operations to ${this.path}`, error);
    }
  }

  async get(key: Uint8Array): Promise<Buffer | undefined> {
    return (await this.getMany([key]))[0];
  }

  async getMany(keys: Uint8Array[]): Promise<Array<Buffer | undefined>> {
    if (keys.length === 0) return [];
    const packed = packByteList(keys);
    try {
      return unpackByteList(await this.worker.call<ArrayBuffer>({ op: 'getMany', keys: packed }, [packed]));
    } catch (error) {
      throw storageError(`reading ${keys.length} keys from ${this.path}`, error);
    }
  }

  /** Key-value pairs in a key range, in key order (or reverse). */
  async entries(range: KeyRange): Promise<Array<[Buffer, Buffer]>> {
    try {
      return pairs(unpackByteList(await this.worker.call<ArrayBuffer>({ op: 'entries', range: rangeMessage(range) })));
    } catch (error) {
      throw storageError(`reading a key range from ${this.path}`, error);
    }
  }

  async readJoined(range: KeyRange, byteLength: number): Promise<JoinedValues> {
    const shared = new SharedArrayBuffer(byteLength);
    try {
      const read = await this.worker.call<{ count: number; length: number; sha256: ArrayBuffer }>({ op: 'readJoined', range: rangeMessage(range), into: shared });
      return { bytes: new Uint8Array(shared), count: read.count, length: read.length, sha256: Buffer.from(read.sha256) };
    } catch (error) {
      throw storageError(`reading a key range from ${this.path}`, error);
    }
  }

  /** Keys only, in a key range. */
  async keys(range: KeyRange): Promise<Buffer[]> {
    try {
      return unpackByteList(await this.worker.call<ArrayBuffer>({ op: 'keys', range: rangeMessage(range) })) as Buffer[];
    } catch (error) {
      throw storageError(`reading keys from ${this.path}`, error);
    }
  }

  /** Streams a key range in pages, so a large range never sits in memory at once. */
  async *pages(range: KeyRange, pageSize = 1024): AsyncGenerator<Array<[Buffer, Buffer]>> {
    let iterator: number;
    try {
      iterator = await this.worker.call<number>({ op: 'iteratorOpen', range: rangeMessage(range) });
    } catch (error) {
      throw storageError(`reading a key range from ${this.path}`, error);
    }
    try {
      for (;;) {
        let page: Array<[Buffer, Buffer]>;
        try {
          page = pairs(unpackByteList(await this.worker.call<ArrayBuffer>({ op: 'iteratorNext', iterator, size: pageSize })));
        } catch (error) {
          throw storageError(`reading a key range from ${this.path}`, error);
        }
        if (page.length === 0) return;
        yield page;
      }
    } finally {
      await this.worker.call({ op: 'iteratorClose', iterator }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    try {
      await this.worker.call({ op: 'close' });
    } catch (error) {
      throw storageError(`closing ${this.path}`, error);
    }
    this.state = 'closed';
    await this.worker.terminate();
  }

  /** A new database gets the format marker; an existing one must carry a version we read. */
  private async checkFormat(): Promise<void> {
    const key = formatKey();
    const stored = await this.get(key);
    if (stored === undefined) {
      const anyKey = await this.keys({ limit: 1 });
      if (anyKey.length > 0) {
        throw new LobError('NOT_A_DATABASE', `${this.path} is a RocksDB database without a lobcore format marker`);
      }
      const batch = this.batch();
      batch.put(key, encodeFormat());
      await this.write(batch, { sync: true });
      return;
    }
    const version = decodeFormat(key, stored);
    if (version !== DATABASE_FORMAT_VERSION) {
      // An older layout is refused rather than upgraded in place: rewriting every fill of a
      // large history on open would be a long, unannounced write.
      const which = version < DATABASE_FORMAT_VERSION ? 'an older lobcore' : 'a newer lobcore';
      throw new LobError(
        'UNSUPPORTED_VERSION',
        `${this.path} has database format version ${version}, written by ${which}; this build reads version ${DATABASE_FORMAT_VERSION} only`,
      );
    }
  }
}

/** RocksDB would happily create its files inside any directory: refuse one that holds other things. */
function refuseForeignDirectory(path: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch {
    return; // missing: RocksDB creates it
  }
  if (!stat.isDirectory()) {
    throw new LobError('NOT_A_DATABASE', `${path} is a file, not a lobcore database directory`);
  }
  const entries = fs.readdirSync(path);
  if (entries.length > 0 && !entries.includes('CURRENT')) {
    throw new LobError('NOT_A_DATABASE', `${path} is a non-empty directory without a database in it`);
  }
}

function openError(path: string, error: unknown): LobError {
  const cause = (error as LevelError).cause ?? (error as LevelError);
  const text = `${cause.code ?? ''} ${cause.message ?? ''}`;
  if (cause.code === 'LEVEL_LOCKED' || /\block\b/i.test(text)) {
    return new LobError('LOCKED', `${path} is held open by another process or instance (${cause.message ?? 'lock taken'})`, { cause: error });
  }
  if (/corrupt/i.test(text)) {
    return new LobError('CORRUPTION', `RocksDB at ${path} is damaged: ${cause.message}`, { cause: error });
  }
  return new LobError('IO_ERROR', `opening ${path} failed: ${cause.message ?? String(error)}`, { cause: error });
}

function storageError(what: string, error: unknown): LobError {
  if (error instanceof LobError) return error;
  const e = error as LevelError;
  const code = e.code ?? e.cause?.code;
  if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_BATCH_NOT_OPEN') {
    return new LobError('NOT_OPEN', `${what} failed: the database is not open`, { cause: error });
  }
  const message = e.cause?.message ?? e.message ?? String(error);
  if (/corrupt/i.test(message)) return new LobError('CORRUPTION', `${what} failed: ${message}`, { cause: error });
  return new LobError('IO_ERROR', `${what} failed: ${message}`, { cause: error });
}
