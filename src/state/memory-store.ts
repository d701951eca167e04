// The key-value store a state machine runs on, and its in-memory implementation. RocksDB in a
// worker (store.ts) is the durable one; MemoryStore has the same interface, so a state machine
// without a path runs the very same pipeline (journal, event blocks, indexes, feed) with "durable"
// meaning "in this process", and the index writer uses one as its overlay of not-yet-written
// entries. Keys sort bytewise, as RocksDB sorts them.
import { createHash } from 'node:crypto';
import { StoreBatch } from './store-wire.js';
import { OP_DEL, OP_PUT } from './store-wire.js';
import { INDEX_OP_SLOTS, packIndexOps } from './index-wire.mjs';

export interface KeyRange {
  gte?: Uint8Array;
  gt?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

export interface WriteOptions {
  /** fsync before resolving (RocksDB; meaningless in memory). */
  sync?: boolean;
  /** Yield to other writes (RocksDB's low-priority writes): the index writer's. */
  lowPriority?: boolean;
}

/** What the state machine needs from a store: atomic batches, point reads, ordered range reads. */
export interface KeyValueStore {
  /** A new empty write batch. */
  batch(capacity?: number): StoreBatch;
  /** Writes the batch atomically and empties it. */
  write(batch: StoreBatch, options?: WriteOptions): Promise<void>;
  /**
   * Writes index operations (index-wire.mjs, compact; the store expands them) atomically, unsynced
   * and behind other writes. Takes ownership of `ops`.
   */
  writeIndex(ops: Float64Array): Promise<void>;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  getMany(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  /** Key-value pairs in a key range, in key order (or reverse). */
  entries(range: KeyRange): Promise<Array<[Uint8Array, Uint8Array]>>;
  keys(range: KeyRange): Promise<Uint8Array[]>;
  /**
   * The values of a key range joined into one buffer of `byteLength` bytes (shared, so another
   * thread can read it without a copy), with their sha256; for reading a checkpoint's chunks.
   * `count` values were read; `length` bytes of them (more than byteLength: the rest were left out).
   */
  readJoined(range: KeyRange, byteLength: number): Promise<JoinedValues>;
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

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/** Most runs are appended in key order (journal, blocks, postings keyed by sequence): split big chunks only. */
const CHUNK = 512;

/**
 * A sorted map of byte keys in chunks of up to CHUNK entries, each chunk sorted, chunks in key
 * order: a lookup is two binary searches, an insert shifts at most one chunk. `undefined` as a
 * value is a tombstone (an overlay's pending delete), kept until removed with `forget`.
 */
export class SortedBytesMap {
  private keys: Uint8Array[][] = [[]];
  private values: Array<Array<Uint8Array | undefined>> = [[]];
  size = 0;

  set(key: Uint8Array, value: Uint8Array | undefined): void {
    const c = this.chunkFor(key);
    const keys = this.keys[c];
    const at = lowerBound(keys, key);
    if (at < keys.length && compareBytes(keys[at], key) === 0) {
      this.values[c][at] = value;
      return;
    }
    keys.splice(at, 0, key);
    this.values[c].splice(at, 0, value);
    this.size++;
    if (keys.length > CHUNK * 2) this.split(c);
  }

  /** The value (or tombstone) of a key, and whether the key is present. */
  lookup(key: Uint8Array): { present: boolean; value: Uint8Array | undefined } {
    const c = this.chunkFor(key);
    const keys = this.keys[c];
    const at = lowerBound(keys, key);
    if (at < keys.length && compareBytes(keys[at], key) === 0) return { present: true, value: this.values[c][at] };
    return { present: false, value: undefined };
  }

  /** Removes a key entirely (not a tombstone). */
  forget(key: Uint8Array): void {
    const c = this.chunkFor(key);
    const keys = this.keys[c];
    const at = lowerBound(keys, key);
    if (at < keys.length && compareBytes(keys[at], key) === 0) {
      keys.splice(at, 1);
      this.values[c].splice(at, 1);
      this.size--;
      if (keys.length === 0 && this.keys.length > 1) {
        this.keys.splice(c, 1);
        this.values.splice(c, 1);
      }
    }
  }

  /** Entries (tombstones included) in a range, in key order or reverse, up to `limit`. */
  range(range: KeyRange): Array<[Uint8Array, Uint8Array | undefined]> {
    const out: Array<[Uint8Array, Uint8Array | undefined]> = [];
    const limit = range.limit ?? Infinity;
    const aboveLow = (key: Uint8Array): boolean =>
      (range.gte === undefined || compareBytes(key, range.gte) >= 0) && (range.gt === undefined || compareBytes(key, range.gt) > 0);
    const belowHigh = (key: Uint8Array): boolean =>
      (range.lt === undefined || compareBytes(key, range.lt) < 0) && (range.lte === undefined || compareBytes(key, range.lte) <= 0);
    if (range.reverse !== true) {
      const low = range.gte ?? range.gt;
      let c = low === undefined ? 0 : this.chunkFor(low);
      let i = low === undefined ? 0 : lowerBound(this.keys[c], low);
      for (; c < this.keys.length; c++, i = 0) {
        const keys = this.keys[c];
        for (; i < keys.length; i++) {
          if (out.length >= limit || !belowHigh(keys[i])) return out;
          if (aboveLow(keys[i])) out.push([keys[i], this.values[c][i]]);
        }
      }
    } else {
      const high = range.lt ?? range.lte;
      let c = high === undefined ? this.keys.length - 1 : this.chunkFor(high);
      let i = high === undefined ? this.keys[c].length - 1 : upperBound(this.keys[c], high) - 1;
      for (; c >= 0; c--, i = c >= 0 ? this.keys[c].length - 1 : -1) {
        const keys = this.keys[c];
        for (; i >= 0; i--) {
          if (out.length >= limit || !aboveLow(keys[i])) return out;
          if (belowHigh(keys[i])) out.push([keys[i], this.values[c][i]]);
        }
      }
    }
    return out;
  }

  /** The chunk whose range holds `key`: the last chunk whose first key is <= key. */
  private chunkFor(key: Uint8Array): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const first = this.keys[mid][0];
      if (first !== undefined && compareBytes(first, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private split(c: number): void {
    const keys = this.keys[c];
    const values = this.values[c];
    this.keys.splice(c + 1, 0, keys.splice(CHUNK));
    this.values.splice(c + 1, 0, values.splice(CHUNK));
  }
}

function lowerBound(keys: Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(keys[mid], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(keys: Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(keys[mid], key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Applies a packed write batch (store-wire.ts layout) to a sorted map; deletes become tombstones or vanish. */
export function applyBatch(map: SortedBytesMap, packed: Uint8Array, tombstones: boolean): void {
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
      const key = packed.slice(o + 5, o + 5 + keyLength);
      if (tombstones) map.set(key, undefined);
      else map.forget(key);
      o += 5 + keyLength;
    } else {
      throw new Error(`lobcore bug: malformed write batch at byte ${o}`);
    }
  }
}

/** A store that lives in this process: what a state machine without a path runs on. */
export class MemoryStore implements KeyValueStore {
  private readonly map = new SortedBytesMap();
  private closed = false;

  batch(capacity?: number): StoreBatch {
    return new StoreBatch(capacity);
  }

  async write(batch: StoreBatch): Promise<void> {
    this.writeNow(batch);
  }

  async writeIndex(ops: Float64Array): Promise<void> {
    const packed = packIndexOps(ops, 0, ops.length / INDEX_OP_SLOTS);
    applyBatch(this.map, packed.bytes, false);
  }

  /** The write, synchronously (memory mode commits inside the caller's turn). */
  writeNow(batch: StoreBatch): void {
    if (batch.length === 0) return;
    const packed = batch.take();
    applyBatch(this.map, new Uint8Array(packed.buffer, 0, packed.byteLength), false);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.map.lookup(key).value;
  }

  async getMany(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    return keys.map((key) => this.map.lookup(key).value);
  }

  async entries(range: KeyRange): Promise<Array<[Uint8Array, Uint8Array]>> {
    return this.map.range(range) as Array<[Uint8Array, Uint8Array]>;
  }

  async keys(range: KeyRange): Promise<Uint8Array[]> {
    return this.map.range(range).map(([key]) => key);
  }

  async readJoined(range: KeyRange, byteLength: number): Promise<JoinedValues> {
    return joinValues(this.map.range(range).map(([, value]) => value as Uint8Array), byteLength);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  get isOpen(): boolean {
    return !this.closed;
  }
}
