// The key-value store a state machine runs on, and its in-memory implementation. RocksDB in a
// worker (store.ts) is the durable one; MemoryStore has the same interface, so a state machine
// without a path runs the very same pipeline (journal, event blocks, indexes, feed) with "durable"
// meaning "in this process". Keys sort bytewise, as RocksDB sorts them (sorted-bytes-map.mjs).
// As in the durable store, the index entries are kept apart, in a worker thread (memory-index.ts).
import { createHash } from 'node:crypto';
import { LobError } from '../errors.js';
import { MemoryIndex, notOpen } from './memory-index.js';
import { INDEX_DATABASE, OP_DEL, OP_PUT, StoreBatch, readEachDatabase } from './store-wire.js';
import { SortedBytesMap, type ByteRange as KeyRange } from './sorted-bytes-map.mjs';
import { isIndexRange } from './keys.js';

export type { KeyRange };

/** A read of no keys, already answered: for the side of a pair of reads that has nothing to ask. */
export const NO_ENTRIES: Promise<Array<[Uint8Array, Uint8Array]>> = Promise.resolve([]);
export { compareBytes } from './sorted-bytes-map.mjs';

export interface WriteOptions {
  /** fsync before resolving (RocksDB; meaningless in memory). */
  sync?: boolean;
}

/** What the state machine needs from a store: atomic batches, point reads, ordered range reads. */
export interface KeyValueStore {
  /** The directory the database's files are in (a read-only view's private copy); null in memory. */
  readonly location: string | null;
  /** A new empty write batch. */
  batch(capacity?: number): StoreBatch;
  /**
   * Writes the batch atomically and empties it; resolves with how long the database's own write
   * took, in ms (the fsync included when synced; 0 where there is no database). Index keys come
   * through writeIndex: the durable store writes a batch of only index keys to its index
   * database, and the in-memory one refuses them here.
   */
  write(batch: StoreBatch, options?: WriteOptions): Promise<number>;
  /**
   * Writes the first `count` index operations of `ops` (index-wire.mjs, compact; the store expands
   * them), unsynced and behind other writes, in one or more writes with the window's INDEX_HEAD in
   * the last. Takes ownership of `ops`, and resolves with it (its contents undefined) once written,
   * for the next window to reuse.
   */
  writeIndex(ops: Float64Array, count: number): Promise<Float64Array>;
  /**
   * Writes slice i of `bytes` (sliceBytes each, the last maybe shorter) under keys[i], one write
   * per slice, unsynced and behind other writes; resolves once all are written. Takes ownership of
   * `bytes` (a checkpoint's snapshot: its chunks).
   */
  writeSlices(keys: Uint8Array[], bytes: Uint8Array, sliceBytes: number): Promise<void>;
  /**
   * Deletes every index entry, the index head with them, so that the indexes are derived again
   * from the first journal entry (indexer.ts: an index found ahead of the commits). Allowed on a
   * read-only store: it clears the store's private copy.
   */
  clearIndexes(): Promise<void>;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  getMany(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  /** Key-value pairs in a key range, in key order (or reverse). */
  entries(range: KeyRange): Promise<Array<[Uint8Array, Uint8Array]>>;
  /**
   * A store that keeps its index entries as numbers (the in-memory one, memory-index-worker.mjs):
   * the index entries of a key range of three-field keys, in key order (or reverse), each as its
   * three key fields and its value, four numbers an entry, with no key or value bytes made.
   * The durable store keeps postings in lists of bytes and has none (posting-lists.ts).
   */
  indexNumbers?(range: KeyRange): Promise<Float64Array>;
  keys(range: KeyRange): Promise<Uint8Array[]>;
  /**
   * The values of a key range joined into one buffer of `byteLength` bytes (shared, so another
   * thread can read it without a copy), with their sha256; for reading a checkpoint's chunks.
   * `count` values were read; `length` bytes of them (more than byteLength: the rest were left out).
   */
  readJoined(range: KeyRange, byteLength: number): Promise<JoinedValues>;
  /**
   * Hears the store fail for good, at once, or now if it has (the durable store: a worker thread
   * of its died, its RocksDB handle with it). Its calls then reject with that failure
   * (ENGINE_FAILED); any other failure may pass (a write is tried again).
   */
  onFailure?(listener: (failure: LobError) => void): void;
  close(): Promise<void>;
}

export interface JoinedValues {
  bytes: Uint8Array;
  count: number;
  length: number;
  sha256: Buffer;
}

/** Joins values into a shared buffer of byteLength bytes, hashing them as they go. */
export function joinValues(values: Iterable<Uint8Array>, byteLength: number): JoinedValues {
  const bytes = new Uint8Array(new SharedArrayBuffer(byteLength));
  const hash = createHash('sha256');
  let count = 0;
  let length = 0;
  for (const value of values) {
    if (length + value.length <= byteLength) bytes.set(value, length);
    hash.update(value);
    length += value.length;
    count++;
  }
  return { bytes, count, length, sha256: hash.digest() };
}

/** Applies a packed write batch (store-wire.ts layout) to a sorted map. */
export function applyBatch(map: SortedBytesMap, packed: Uint8Array): void {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  let o = 0;
  while (o < packed.length) {
    const kind = packed[o];
    const keyLength = view.getUint32(o + 1, true);
    if (kind === OP_PUT) {
      const valueLength = view.getUint32(o + 5, true);
      // Copies: the batch's buffer is reused.
      const key = packed.slice(o + 9, o + 9 + keyLength);
      map.set(key, packed.slice(o + 9 + keyLength, o + 9 + keyLength + valueLength));
      o += 9 + keyLength + valueLength;
    } else if (kind === OP_DEL) {
      map.delete(packed.subarray(o + 5, o + 5 + keyLength));
      o += 5 + keyLength;
    } else {
      throw new Error(`lobcore bug: malformed write batch at byte ${o}`);
    }
  }
}

/** A store that lives in this process: what a state machine without a path runs on. */
export class MemoryStore implements KeyValueStore {
  readonly location = null;
  private readonly map = new SortedBytesMap();
  private readonly index = new MemoryIndex();
  private closed = false;

  batch(capacity?: number): StoreBatch {
    return new StoreBatch(capacity);
  }

  async write(batch: StoreBatch): Promise<number> {
    this.writeNow(batch);
    return 0;
  }

  /** Every call on a closed store is refused, as the durable store's are. */
  private assertOpen(what: string): void {
    if (this.closed) throw notOpen(what);
  }

  writeIndex(ops: Float64Array, count: number): Promise<Float64Array> {
    return count === 0 ? Promise.resolve(ops) : this.index.writeIndex(ops, count);
  }

  async writeSlices(keys: Uint8Array[], bytes: Uint8Array, sliceBytes: number): Promise<void> {
    this.assertOpen(`writing ${keys.length} checkpoint chunks`);
    for (let i = 0; i < keys.length; i++) {
      this.map.set(keys[i].slice(), bytes.slice(i * sliceBytes, Math.min(bytes.length, (i + 1) * sliceBytes)));
    }
  }

  /** The write, synchronously (memory mode commits inside the caller's turn). Index entries come only through writeIndex. */
  writeNow(batch: StoreBatch): void {
    if (batch.length === 0) return;
    this.assertOpen(`writing a batch of ${batch.length} operations`);
    if ((batch.databases & INDEX_DATABASE) !== 0) throw new LobError('INVALID_ARGUMENT', `a batch of ${batch.length} operations holds index keys: in memory they are written by writeIndex only`);
    const packed = batch.take();
    applyBatch(this.map, new Uint8Array(packed.buffer, 0, packed.byteLength));
  }

  clearIndexes(): Promise<void> {
    return this.index.clear();
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.getMany([key]))[0];
  }

  getMany(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    return readEachDatabase<Uint8Array | undefined>(keys, (indexed) => this.index.getMany(indexed), async (main) => {
      this.assertOpen(`reading ${main.length} keys`);
      return main.map((key) => this.map.get(key));
    });
  }

  async entries(range: KeyRange): Promise<Array<[Uint8Array, Uint8Array]>> {
    this.assertOpen('reading a key range');
    return isIndexRange(range) ? this.index.entries(range) : this.map.range(range);
  }

  async indexNumbers(range: KeyRange): Promise<Float64Array> {
    this.assertOpen('reading a key range');
    if (!isIndexRange(range)) throw new Error('lobcore bug: a read of index entries as numbers outside the indexes');
    return this.index.numbers(range);
  }

  async keys(range: KeyRange): Promise<Uint8Array[]> {
    this.assertOpen('reading keys');
    return isIndexRange(range) ? this.index.keys(range) : this.map.range(range).map(([key]) => key);
  }

  async readJoined(range: KeyRange, byteLength: number): Promise<JoinedValues> {
    this.assertOpen('reading a key range');
    return joinValues(this.map.range(range).map(([, value]) => value), byteLength);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.index.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }
}
