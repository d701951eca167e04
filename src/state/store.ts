// The RocksDB wrapper: open with a lock and a format check, one write batch per call to
// write(), range reads, and every storage failure turned into a LobError with a code.
// It knows keys and values only as bytes (plus the format marker it checks on open).
//
// The database lives in a worker thread (store-worker.mjs): the binding writes a batch on the
// calling thread, and a synced flush of a few thousand keys held matching up for milliseconds.
// Here a flush costs the main thread one pack into an ArrayBuffer and one postMessage; the
// worker writes it as one RocksDB batch and replies. Reads go through the same worker, since
// RocksDB's LOCK allows one handle per process.
//
// The indexes (keys 08-0e, keys.ts) live in a RocksDB database of their own, in `index/` under the
// database's directory, with a worker of its own, opened on first use. They are most of the keys
// written, and a database's open replays every key written since its last memtable flush: apart,
// an open of the main database replays only commits, and the index database opens after the book
// is recovered, while the state machine already matches (indexer.ts). The two need no common
// atomicity: the indexes are derived from the commits and carry their own watermark.
//
// Opened read-only, the store reads a private copy of the database (read-only-copy.ts) and
// refuses every write: the database itself is never written, and may be held by a writer.
import * as nodePath from 'node:path';
import { LobError } from '../errors.js';
import { makeDirectory } from '../directories.js';
import { DATABASE_FORMAT_VERSION, decodeFormat, encodeFormat } from './codecs.js';
import { refuseUnopenableDirectory } from './database-directory.js';
import { readFormatFile, refuseUnreadableFormat, writeFormatFile } from './format-file.js';
import { INDEX_DIRECTORY, INDEX_KEYS, formatKey, isIndexRange } from './keys.js';
import { CopyRaced, copyDatabase, type DatabaseCopy } from './read-only-copy.js';
import { BOTH_DATABASES, INDEX_DATABASE, StoreBatch, packByteList, pairs, rangeMessage, readEachDatabase, transferableOps, unpackByteList } from './store-wire.js';
import { WorkerCalls } from './worker-calls.js';
import type { JoinedValues, KeyRange, KeyValueStore, WriteOptions } from './memory-store.js';

export { StoreBatch } from './store-wire.js';
export type { KeyRange } from './memory-store.js';

export interface StoreOptions {
  /** fsync the write-ahead log before a write resolves (survives a machine crash, not just a process kill). */
  sync: boolean;
  /** Read a copy of the database as it is now; never create, write or lock the original. */
  readOnly?: boolean;
}

/** Copies taken before giving up, when the database keeps changing under the copy. */
const READ_ONLY_COPY_ATTEMPTS = 5;

/** Plain-data error from the worker: the binding's code and RocksDB's cause. */
interface LevelError {
  code?: string;
  message?: string;
  cause?: LevelError;
  /** A worker's death (WORKER_DIED): the uncaught error it died of, or its exit code. */
  died?: Error;
  exitCode?: number;
}

/** The code WorkerCalls rejects with once a store worker is gone (its thread died, or was terminated). */
const WORKER_DIED = 'LOBCORE_STORE_WORKER_DIED';

/** The worker file sits next to this module in src/ (vitest) and in dist/ (copied by the build). */
const WORKER_URL = new URL('./store-worker.mjs', import.meta.url);

/**
 * The index worker's nice value. The indexes follow behind by design (their lag is bounded by
 * `maxIndexLag`): on a busy machine their writes yield the cores to matching, the commits and a
 * checkpoint's snapshot. Measured on the 2-core machine (docs/storage.md, round 8): without it, a
 * checkpoint of a million orders took 0.23-0.73 s and group commit ran at 186-333k/s; with it,
 * 0.17-0.29 s and 370-449k/s (four persistence-only runs each).
 */
const INDEX_WORKER_NICE = 10;
/** A written batch's buffer is kept for the next batch up to this size (a checkpoint's chunks are not). */
const SPARE_BATCH_BYTES = 16 * 1024 * 1024;

/** The store worker's code for a write-ahead log that RocksDB would open past silently (log-check.mjs). */
const LOG_DAMAGED = 'LOBCORE_LOG_DAMAGED';

/** How RocksDB is tuned for this workload (Store.open says why). */
const ROCKSDB_OPTIONS = { walCompression: false, compaction: 'level', compression: false, memtableMemoryBudget: 16 * 1024 * 1024 };

/**
 * The store worker: replies come back in request order, matched by id. Its death (an uncaught
 * error, which then exits it, or an exit) is not the database's NOT_OPEN, which an attach ends:
 * the handle died with the thread, and nothing brings it back short of a reopen.
 */
function startWorker(): WorkerCalls<LevelError> {
  return new WorkerCalls<LevelError>(WORKER_URL, {
    error: (error) => ({ code: WORKER_DIED, message: `the store worker failed: ${String(error)}`, died: error }),
    exit: (code) => ({ code: WORKER_DIED, message: `the store worker exited (code ${code})`, exitCode: code }),
  });
}

export class Store implements KeyValueStore {
  private state: 'open' | 'detached' | 'closed' = 'open';
  /** The index database's worker, once its open has started (indexes()). */
  private indexWorker: WorkerCalls<LevelError> | null = null;
  /** The last written batch's buffer, back from the worker, for the next batch to fill (fresh memory costs a page fault per 4 KiB). */
  private spareBatch: ArrayBuffer | null = null;
  private indexOpening: Promise<WorkerCalls<LevelError>> | null = null;
  /** Why the store can never serve again: a worker of its died (null: none did, or only by close()). */
  private failure: LobError | null = null;
  private readonly failureListeners: Array<(failure: LobError) => void> = [];

  private constructor(
    /** The main database's worker. */
    private readonly worker: WorkerCalls<LevelError>,
    readonly path: string,
    private readonly options: StoreOptions,
    /** The private copy a read-only store reads; null for a writable one. */
    private readonly copy: DatabaseCopy | null,
  ) {
    worker.onFailure = (died) => this.died(path, died);
  }

  /**
   * Opens (creating if missing, unless read-only) the database at `path`. Refuses a path that
   * holds something else (NOT_A_DATABASE), one held open elsewhere (LOCKED; a read-only store is
   * never refused for that), a newer format (UNSUPPORTED_VERSION), a damaged one (CORRUPTION).
   */
  static async open(path: string, options: StoreOptions): Promise<Store> {
    const readOnly = options.readOnly === true;
    refuseUnopenableDirectory(path, !readOnly);
    // A format this build does not read is refused before RocksDB opens the database: a writable
    // open rewrites its log, MANIFEST and OPTIONS files first (format-file.ts).
    const filedFormat = readFormatFile(path);
    if (filedFormat !== undefined) refuseUnreadableFormat(path, filedFormat);
    if (!readOnly) createDatabaseDirectory(path);
    const worker = startWorker();
    let copy: DatabaseCopy | null = null;
    try {
      // No WAL compression: ZSTD on every commit cost the store thread more than the bytes it
      // saved the disk, and a checkpoint's chunks wrote three times faster without it. Level
      // compaction compresses every level past the first two with ZSTD whatever `compression`
      // says; `false` only stops it training a dictionary for each file it compresses: RocksDB's
      // threads took 983-1,650 ns a command of group commit with it and 345-485 without, for the
      // same bytes. Universal compaction without compression saved more CPU, but rewrote the
      // whole database at once each time it tripled, and acks stalled behind those writes
      // (docs/storage.md, round 25). The first two levels stay uncompressed: opening after a kill
      // replays the log into level 0, and compressing 40 MB of it there took seconds (1.9-3.9 s
      // against 0.4 s). Memtables of 4 MB (a 16 MB budget) bound the log an open must replay,
      // whose every key is an insert into a skip list (most of them index postings): after a
      // 1M-order book and 179,000 commands, 0.3-2.3 MB of log and an open of 51-227 ms, against
      // 3.6-4.7 MB and 265-608 ms with 8 MB memtables (docs/storage.md, round 4).
      if (readOnly) copy = await openCopy(worker, path);
      else await worker.call({ op: 'open', path, options: { createIfMissing: true, ...ROCKSDB_OPTIONS }, checkLogs: true });
    } catch (error) {
      await worker.terminate();
      throw error instanceof LobError ? error : openError(path, error);
    }
    const store = new Store(worker, path, options, copy);
    try {
      await store.checkFormat(filedFormat);
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  get readOnly(): boolean {
    return this.copy !== null;
  }

  /** Where RocksDB's files are: the database's directory, or a read-only view's private copy of it. */
  get location(): string {
    return this.copy?.location ?? this.path;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * Hears the store fail for good, at once (or now, if it has): a worker thread of its died, and
   * with it a RocksDB handle that nothing short of a reopen brings back. From then on every call
   * to that database rejects with the failure (ENGINE_FAILED), and close() still closes the rest.
   */
  onFailure(listener: (failure: LobError) => void): void {
    if (this.failure !== null) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  /** A worker died (not by close()): the store fails for good, naming what the worker died of. */
  private died(database: string, died: LevelError): void {
    if (this.failure !== null || this.state === 'closed') return;
    const cause = died.died ?? new Error(`the store worker of ${database} exited with code ${died.exitCode}`);
    const what = died.died !== undefined ? `failed (${String(died.died)})` : `exited (code ${died.exitCode}), its RocksDB handle with it`;
    this.failure = new LobError('ENGINE_FAILED', `the store worker of ${database} ${what}; nothing more is written: close and reopen the database`, { cause });
    for (const listener of this.failureListeners.splice(0)) listener(this.failure);
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

  /** The same for the index database, opened first if it was not yet; the store stays open. */
  get underlyingIndexes(): { close(): Promise<void>; open(): Promise<void> } {
    return {
      close: async () => {
        await (await this.indexes()).call({ op: 'detach' });
      },
      open: async () => {
        await (await this.indexes()).call({ op: 'attach' });
      },
    };
  }

  batch(capacity?: number): StoreBatch {
    const spare = this.spareBatch;
    this.spareBatch = null;
    // A commit's batch that outgrows the spare gets a power of two: the kept spare then grows a few
    // times, not at every larger commit (each new buffer is fresh memory, a fault per 4 KiB page).
    if (capacity !== undefined && capacity > (spare?.byteLength ?? 0) && capacity <= SPARE_BATCH_BYTES) {
      return new StoreBatch(capacity, new ArrayBuffer(2 ** Math.ceil(Math.log2(capacity))));
    }
    return new StoreBatch(capacity, spare);
  }

  /**
   * Writes the whole batch atomically (synced when the store is): its bytes move to the worker
   * (the batch is left empty) and the promise settles when RocksDB has them, with how long
   * RocksDB's write took on the worker.
   */
  async write(batch: StoreBatch, options: WriteOptions = {}): Promise<number> {
    const count = batch.length;
    if (count === 0) return 0;
    if (this.readOnly) throw new LobError('READ_ONLY', `${this.path} was opened read-only: a batch of ${count} operations was refused`);
    const databases = batch.databases;
    if (databases === BOTH_DATABASES) {
      throw new LobError('INVALID_ARGUMENT', `a batch of ${count} operations mixes index keys with others: they are in two databases, and no write is atomic across both`);
    }
    const packed = batch.take();
    try {
      const { batch: back, ms } = await this.call<{ batch: ArrayBuffer; ms: number }>(databases === INDEX_DATABASE, {
        op: 'write', batch: packed.buffer, byteLength: packed.byteLength, sync: options.sync ?? this.options.sync,
      }, [packed.buffer]);
      if (back.byteLength <= SPARE_BATCH_BYTES && back.byteLength > (this.spareBatch?.byteLength ?? 0)) this.spareBatch = back;
      return ms;
    } catch (error) {
      throw this.storageError(`writing a batch of ${count} operations`, error);
    }
  }

  async writeIndex(ops: Float64Array, count: number): Promise<Float64Array> {
    if (count === 0) return ops;
    if (this.readOnly) throw new LobError('READ_ONLY', `${this.path} was opened read-only: ${count} index operations were refused`);
    const owned = transferableOps(ops, count);
    try {
      const back = await (await this.indexes()).call<ArrayBuffer>({ op: 'writeIndex', ops: owned, count }, [owned]);
      return new Float64Array(back);
    } catch (error) {
      throw this.storageError(`writing ${count} index operations`, error);
    }
  }

  async writeSlices(keys: Uint8Array[], bytes: Uint8Array, sliceBytes: number): Promise<void> {
    if (keys.length === 0) return;
    if (this.readOnly) throw new LobError('READ_ONLY', `${this.path} was opened read-only: ${keys.length} writes were refused`);
    // A copy where the bytes share their buffer (new Uint8Array, not slice(): a Buffer's slice is a view of its pool).
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer) ? bytes : new Uint8Array(bytes);
    const packedKeys = packByteList(keys);
    try {
      await this.worker.call({ op: 'writeSlices', keys: packedKeys, bytes: owned.buffer, byteLength: owned.byteLength, sliceBytes }, [packedKeys, owned.buffer as ArrayBuffer]);
    } catch (error) {
      throw this.storageError(`writing ${keys.length} checkpoint chunks`, error);
    }
  }

  async clearIndexes(): Promise<void> {
    try {
      await (await this.indexes()).call({ op: 'clear', range: rangeMessage(INDEX_KEYS) });
    } catch (error) {
      throw this.storageError('clearing the indexes', error);
    }
  }

  async get(key: Uint8Array): Promise<Buffer | undefined> {
    return (await this.getMany([key]))[0];
  }

  /** Keys of both databases may be asked for at once: each database is asked for its own. */
  getMany(keys: Uint8Array[]): Promise<Array<Buffer | undefined>> {
    return readEachDatabase(keys, (indexed) => this.getManyIn(true, indexed), (main) => this.getManyIn(false, main));
  }

  private async getManyIn(index: boolean, keys: Uint8Array[]): Promise<Array<Buffer | undefined>> {
    const packed = packByteList(keys);
    try {
      return unpackByteList(await this.call<ArrayBuffer>(index, { op: 'getMany', keys: packed }, [packed]));
    } catch (error) {
      throw this.storageError(`reading ${keys.length === 1 ? 'a key' : `${keys.length} keys`}`, error);
    }
  }

  /** Key-value pairs in a key range, in key order (or reverse). */
  async entries(range: KeyRange): Promise<Array<[Buffer, Buffer]>> {
    try {
      return pairs(unpackByteList(await this.call<ArrayBuffer>(isIndexRange(range), { op: 'entries', range: rangeMessage(range) })));
    } catch (error) {
      throw this.storageError('reading a key range', error);
    }
  }

  async readJoined(range: KeyRange, byteLength: number): Promise<JoinedValues> {
    const shared = new SharedArrayBuffer(byteLength);
    try {
      const read = await this.worker.call<{ count: number; length: number; sha256: ArrayBuffer }>({ op: 'readJoined', range: rangeMessage(range), into: shared });
      return { bytes: new Uint8Array(shared), count: read.count, length: read.length, sha256: Buffer.from(read.sha256) };
    } catch (error) {
      throw this.storageError('reading a key range', error);
    }
  }

  /** Keys only, in a key range. */
  async keys(range: KeyRange): Promise<Buffer[]> {
    try {
      return unpackByteList(await this.call<ArrayBuffer>(isIndexRange(range), { op: 'keys', range: rangeMessage(range) })) as Buffer[];
    } catch (error) {
      throw this.storageError('reading keys', error);
    }
  }

  /**
   * Closes both databases and ends their workers. A worker that already died has nothing left to
   * close (its handle, and the lock, went with its thread): the failure is not repeated here. A
   * database whose close fails does not keep the other open: both workers end, and the first
   * error is thrown after.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    let failed: LobError | null = null;
    try {
      await this.closeIndexes();
    } catch (error) {
      failed = error as LobError;
    }
    if (this.worker.failure === null) {
      try {
        // A writable database is left with its log replayed into a table file, so that the next
        // open need not (the worker's settle(), docs/storage.md round 33); a read-only copy is
        // removed anyway.
        await this.worker.call({ op: 'close', settle: !this.readOnly });
      } catch (error) {
        failed ??= this.storageError('closing the database', error);
      }
    }
    this.state = 'closed';
    await this.worker.terminate();
    this.copy?.remove();
    if (failed !== null) throw failed;
  }

  /**
   * A call to the main database's worker, or to the index database's (opened on first use). One
   * to the main database is posted before this returns: awaited from an async caller, it would be
   * posted only once the caller's turn ended, and recovery asks for the journal's first values
   * just before it spends 35 ms hashing (recovery.ts).
   */
  private call<T>(index: boolean, request: Record<string, unknown>, transfer?: Array<ArrayBuffer | SharedArrayBuffer>): Promise<T> {
    return index ? this.indexes().then((worker) => worker.call<T>(request, transfer)) : this.worker.call<T>(request, transfer);
  }

  /**
   * The index database's worker, its open started on first use: a state machine first asks once
   * its book is recovered. Created when missing, in a read-only store's private copy too: the
   * indexes are derived, and a missing database is derived again from the journal.
   */
  private indexes(): Promise<WorkerCalls<LevelError>> {
    if (this.indexOpening === null) {
      const worker = startWorker();
      this.indexWorker = worker;
      const location = nodePath.join(this.location, INDEX_DIRECTORY);
      const named = nodePath.join(this.path, INDEX_DIRECTORY);
      worker.onFailure = (died) => this.died(named, died);
      this.indexOpening = (async () => {
        try {
          createDatabaseDirectory(location);
          await worker.call({ op: 'open', path: location, options: { createIfMissing: true, ...ROCKSDB_OPTIONS }, nice: INDEX_WORKER_NICE });
        } catch (error) {
          if (error instanceof LobError) throw error;
          throw (error as LevelError).code === WORKER_DIED ? this.storageError(`opening ${named}`, error) : openError(named, error, this.copy);
        }
        return worker;
      })();
    }
    return this.indexOpening;
  }

  private async closeIndexes(): Promise<void> {
    const worker = this.indexWorker;
    if (worker === null) return;
    const opened = await this.indexOpening!.then(() => true, () => false);
    this.indexWorker = null;
    try {
      if (opened && worker.failure === null) await worker.call({ op: 'close' });
    } catch (error) {
      throw this.storageError('closing the indexes', error);
    } finally {
      await worker.terminate();
    }
  }

  /**
   * A storage failure as a one-line LobError that names the database (never the private copy a
   * read-only store reads): NOT_OPEN, CORRUPTION for bytes RocksDB finds damaged, else IO_ERROR.
   */
  private storageError(what: string, error: unknown): LobError {
    if (error instanceof LobError) return error;
    const e = error as LevelError;
    const code = e.code ?? e.cause?.code;
    // The worker died (the failure for good), or close() ended it.
    if (code === WORKER_DIED) return this.failure ?? new LobError('NOT_OPEN', `${what} in ${this.path} failed: the database is closed`, { cause: error });
    if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_BATCH_NOT_OPEN') {
      return new LobError('NOT_OPEN', `${what} in ${this.path} failed: the database is not open`, { cause: error });
    }
    const message = rocksText(e.cause?.message ?? e.message ?? String(error), this.copy, this.path);
    if (/corrupt/i.test(message)) return new LobError('CORRUPTION', `${this.path} is damaged: ${what} failed: ${message}`, { cause: error });
    return new LobError('IO_ERROR', `${what} in ${this.path} failed: ${message}`, { cause: error });
  }

  /**
   * A new database gets the format marker; an existing one must carry a version we read. A writable
   * one gets the format file too; filedFormat is what that file said before the open (undefined:
   * nothing readable).
   */
  private async checkFormat(filedFormat: number | undefined): Promise<void> {
    const key = formatKey();
    const stored = await this.get(key);
    if (stored === undefined) {
      const anyKey = await this.keys({ limit: 1 });
      if (anyKey.length > 0) {
        throw new LobError('NOT_A_DATABASE', `${this.path} is a RocksDB database without a lobcore format marker`);
      }
      // Every lobcore database has the marker from its first open on; a copy cannot be given one.
      if (this.readOnly) throw new LobError('NOT_A_DATABASE', `${this.path} is an empty RocksDB database, not a lobcore one`);
      const batch = this.batch();
      batch.put(key, encodeFormat());
      await this.write(batch, { sync: true });
      this.fileFormat(filedFormat);
      return;
    }
    const version = decodeFormat(key, stored);
    refuseUnreadableFormat(this.path, version);
    if (!this.readOnly) this.fileFormat(filedFormat);
    // An older format's indexes are deleted, in both databases, and derived again whole from the
    // event blocks into the index database, once: before the marker is raised, so that a crash in
    // between repeats it. Versions 4 to 6 kept them in the main database (one range deletion,
    // which finds nothing in a later one). Versions 4 to 9 listed a trader's postings a height at a
    // time: a window a crash cut short (or that a recovery then wrote again only in part) left
    // lists past the index head, each keyed by its height's first posting; the window derived
    // again lists a trader's postings in one key, which would overwrite only the first of them,
    // and a reader would take a later one for the list that reaches into its range (which keys lie
    // past the head is not known without reading them all). Versions 4 and 5 are also without
    // snapshot files (codecs.ts). The marker is raised before anything new is written, so an older
    // build refuses the database from then on; the format file was raised before it (above), so it
    // is never behind the marker.
    if (version < DATABASE_FORMAT_VERSION && !this.readOnly) {
      try {
        await this.worker.call({ op: 'clear', range: rangeMessage(INDEX_KEYS) });
      } catch (error) {
        throw this.storageError('deleting the indexes an older format kept in the main database', error);
      }
      await this.clearIndexes();
      const batch = this.batch();
      batch.put(key, encodeFormat());
      await this.write(batch, { sync: true });
    }
  }

  /**
   * Writes the format file beside a writable database, once it has opened at a format this build
   * reads, unless it says this build's format already (a reopen reads 13 bytes and writes nothing).
   * Called before the marker is raised, so that the file is never behind it.
   */
  private fileFormat(filedFormat: number | undefined): void {
    if (filedFormat === DATABASE_FORMAT_VERSION) return;
    try {
      writeFormatFile(this.path);
    } catch (error) {
      throw new LobError('IO_ERROR', `${this.path}: writing its format file failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** The directory RocksDB will open, made here: the binding's own recursive mkdir never ends on some paths. */
function createDatabaseDirectory(path: string): void {
  try {
    makeDirectory(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const where = e.path === undefined || e.path === path ? '' : ` (at ${e.path})`;
    throw new LobError('INVALID_ARGUMENT', `path ${path} cannot be created: ${e.code ?? e.message}${where}`, { cause: error });
  }
}

/**
 * Copies the database and opens the copy in the worker. A copy that raced with the writer, or
 * that RocksDB cannot open (a file retired between two steps of the copy), is taken again.
 */
async function openCopy(worker: WorkerCalls<LevelError>, path: string): Promise<DatabaseCopy> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= READ_ONLY_COPY_ATTEMPTS; attempt++) {
    let copy: DatabaseCopy;
    try {
      copy = copyDatabase(path);
    } catch (error) {
      if (error instanceof LobError) throw error;
      if (!(error instanceof CopyRaced)) throw new LobError('IO_ERROR', `copying ${path} for a read-only open failed: ${(error as Error).message}`, { cause: error });
      lastError = error;
      continue;
    }
    try {
      await worker.call({ op: 'open', path: copy.location, options: { createIfMissing: false, ...ROCKSDB_OPTIONS }, checkLogs: true });
      return copy;
    } catch (error) {
      copy.remove();
      lastError = openError(path, error, copy);
      // A copy of a log being written ends at worst in a cut-off record, which the check accepts:
      // a damaged one is in the original too.
      if ((error as LevelError).code === LOG_DAMAGED) throw lastError;
    }
  }
  throw lastError instanceof LobError ? lastError
    : new LobError('IO_ERROR', `${path} kept changing while it was copied for a read-only open: ${(lastError as Error).message}`, { cause: lastError });
}

/**
 * RocksDB's text as one line, about the database the caller named: its messages can span lines
 * ("... may be corrupted.\n  The file ...") and, for a read-only store, name the private copy.
 */
function rocksText(message: string, copy: DatabaseCopy | null, path: string): string {
  const named = copy === null ? message : message.split(copy.location).join(path);
  return named.replace(/\s+/g, ' ').trim();
}

function openError(path: string, error: unknown, copy: DatabaseCopy | null = null): LobError {
  const cause = (error as LevelError).cause ?? (error as LevelError);
  const message = rocksText(cause.message ?? String(error), copy, path);
  const text = `${cause.code ?? ''} ${message}`;
  if (cause.code === LOG_DAMAGED) return new LobError('CORRUPTION', `${path} is damaged: ${message}`, { cause: error });
  // RocksDB names its LOCK file in any failure to open it ("while open a file for lock: …/LOCK:
  // Read-only file system"): only a lock another holder has is LOCKED; the rest are the I/O errors they say.
  if (cause.code === 'LEVEL_LOCKED' || /Resource temporarily unavailable|lock hold by current process/i.test(message)) {
    return new LobError('LOCKED', `${path} is held open by another process or instance (${message || 'lock taken'})`, { cause: error });
  }
  // The directory held a database (the store checked for CURRENT): a file missing from it is damage too.
  if (/corrupt/i.test(text) || /No such file or directory/.test(message)) {
    return new LobError('CORRUPTION', `${path} is damaged: RocksDB cannot open it: ${message}`, { cause: error });
  }
  return new LobError('IO_ERROR', `opening ${path} failed: ${message}`, { cause: error });
}
