// The RocksDB wrapper: open with a lock and a format check, one write batch per call to
// write(), range reads, and every storage failure turned into a LobError with a code.
// It knows keys and values only as bytes (plus the format marker it checks on open).
import * as fs from 'node:fs';
import { RocksLevel } from '@nxtedition/rocksdb';
import type { RangeOptions, RocksChainedBatch } from '@nxtedition/rocksdb';
import { LobError } from '../errors.js';
import { DATABASE_FORMAT_VERSION, decodeFormat, encodeFormat } from './codecs.js';
import { formatKey } from './keys.js';

export interface StoreOptions {
  /** fsync the write-ahead log before a write resolves (survives a machine crash, not just a process kill). */
  sync: boolean;
}

export interface KeyRange {
  gte?: Uint8Array;
  gt?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

/** A write batch being built; nothing reaches the database until Store.write(). */
export class StoreBatch {
  private readonly ops: Array<Uint8Array | null> = [];

  put(key: Uint8Array, value: Uint8Array): void {
    this.ops.push(key, value);
  }

  del(key: Uint8Array): void {
    this.ops.push(key, null);
  }

  get length(): number {
    return this.ops.length / 2;
  }

  /**
   * Copies the operations into a native batch; RocksDB sees them only at write time. Uses the
   * binding's _put/_del (abstract-level's implementation hooks): the public put() validates,
   * re-encodes and keeps a copy of every operation for a 'batch' event we never listen to,
   * which cost more than the native write itself for a flush of small fill and index keys.
   */
  fill(target: RocksChainedBatch): void {
    const ops = this.ops;
    for (let i = 0; i < ops.length; i += 2) {
      const value = ops[i + 1];
      if (value === null) target._del(ops[i] as Uint8Array, NO_OPTIONS);
      else target._put(ops[i] as Uint8Array, value, NO_OPTIONS);
    }
  }
}

const NO_OPTIONS = {};

export class Store {
  private constructor(
    private readonly db: RocksLevel,
    readonly path: string,
    private readonly options: StoreOptions,
  ) {}

  /**
   * Opens (creating if missing) the database at `path`. Refuses a directory holding something
   * else (NOT_A_DATABASE), one held open elsewhere (LOCKED), a newer format (UNSUPPORTED_VERSION).
   */
  static async open(path: string, options: StoreOptions): Promise<Store> {
    refuseForeignDirectory(path);
    const db = new RocksLevel(path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open({ createIfMissing: true });
    } catch (error) {
      throw openError(path, error);
    }
    const store = new Store(db, path, options);
    try {
      await store.checkFormat();
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  get isOpen(): boolean {
    return this.db.status === 'open';
  }

  /** The binding's handle, for tests that need to pull the database out from under a state machine. */
  get underlying(): RocksLevel {
    return this.db;
  }

  batch(): StoreBatch {
    return new StoreBatch();
  }

  /**
   * Writes the whole batch atomically (synced when the store is). The binding performs the write
   * on the calling thread, so the data is in RocksDB when this returns its promise; errors arrive
   * through the promise.
   */
  async write(batch: StoreBatch, options: { sync?: boolean } = {}): Promise<void> {
    if (batch.length === 0) return;
    try {
      const native = this.db.batch();
      batch.fill(native);
      await native.write({ sync: options.sync ?? this.options.sync });
    } catch (error) {
      throw storageError(`writing a batch of ${batch.length} operations to ${this.path}`, error);
    }
  }

  async get(key: Uint8Array): Promise<Buffer | undefined> {
    return (await this.getMany([key]))[0];
  }

  async getMany(keys: Uint8Array[]): Promise<Array<Buffer | undefined>> {
    if (keys.length === 0) return [];
    try {
      return await this.db.getMany(keys);
    } catch (error) {
      throw storageError(`reading ${keys.length} keys from ${this.path}`, error);
    }
  }

  /** Key-value pairs in a key range, in key order (or reverse). */
  async entries(range: KeyRange): Promise<Array<[Buffer, Buffer]>> {
    try {
      return await this.db.iterator(range as RangeOptions).all();
    } catch (error) {
      throw storageError(`reading a key range from ${this.path}`, error);
    }
  }

  /** Keys only, in a key range. */
  async keys(range: KeyRange): Promise<Buffer[]> {
    try {
      return await this.db.keys(range as RangeOptions).all();
    } catch (error) {
      throw storageError(`reading keys from ${this.path}`, error);
    }
  }

  /** Streams a key range in pages, so a large range never sits in memory at once. */
  async *pages(range: KeyRange, pageSize = 1024): AsyncGenerator<Array<[Buffer, Buffer]>> {
    let iterator;
    try {
      iterator = this.db.iterator(range as RangeOptions);
    } catch (error) {
      throw storageError(`reading a key range from ${this.path}`, error);
    }
    try {
      for (;;) {
        let page: Array<[Buffer, Buffer]>;
        try {
          page = await iterator.nextv(pageSize);
        } catch (error) {
          throw storageError(`reading a key range from ${this.path}`, error);
        }
        if (page.length === 0) return;
        yield page;
      }
    } finally {
      await iterator.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.db.status === 'closed') return;
    try {
      await this.db.close();
    } catch (error) {
      throw storageError(`closing ${this.path}`, error);
    }
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
      throw new LobError(
        'UNSUPPORTED_VERSION',
        `${this.path} has database format version ${version}; this build reads version ${DATABASE_FORMAT_VERSION}`,
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

interface LevelError {
  code?: string;
  message?: string;
  cause?: LevelError;
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
