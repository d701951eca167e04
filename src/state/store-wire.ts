// The bytes that cross between the main thread and the store worker (store-worker.mjs reads and
// writes the same layouts; change both together). Everything travels as one transferable
// ArrayBuffer per message, so posting a flush costs one memcpy of its bytes and no per-key
// structured cloning, and the worker turns it into one RocksDB write batch.
//
//   write batch   repeated: kind:u8 (1 put, 2 del), keyLength:u32, valueLength:u32 (puts only),
//                 key bytes, value bytes
//   byte list     see byte-list.mjs
//
// Lengths are little-endian.

import { INDEX_OP_SLOTS } from './index-wire.mjs';
import { isIndexKey } from './keys.js';
import type { ByteRange } from './sorted-bytes-map.mjs';

export const OP_PUT = 1;
export const OP_DEL = 2;
export { packByteList, unpackByteList } from './byte-list.mjs';

/** Which databases a batch's keys belong to (keys.ts: isIndexKey). */
export const MAIN_DATABASE = 1;
export const INDEX_DATABASE = 2;
export const BOTH_DATABASES = MAIN_DATABASE | INDEX_DATABASE;

/** The bytes a put takes in a write batch. */
export const putWireBytes = (key: Uint8Array, value: Uint8Array): number => 9 + key.length + value.length;

/** A write batch being built; nothing reaches the database until Store.write(). */
export class StoreBatch {
  private bytes: Uint8Array;
  private view: DataView;
  private end = 0;
  private count = 0;
  /** The databases its keys go to: MAIN_DATABASE, INDEX_DATABASE, both, or 0 while empty. */
  databases = 0;

  /**
   * `capacity`: the bytes expected, so a checkpoint's tens of MB are copied in once, not regrown.
   * `spare`: a buffer to fill instead of a new one, if it holds that much (its contents are ignored).
   */
  constructor(capacity = 64 * 1024, spare: ArrayBuffer | null = null) {
    this.bytes = spare !== null && spare.byteLength >= capacity ? new Uint8Array(spare) : new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  put(key: Uint8Array, value: Uint8Array): void {
    const o = this.reserve(putWireBytes(key, value));
    this.bytes[o] = OP_PUT;
    this.view.setUint32(o + 1, key.length, true);
    this.view.setUint32(o + 5, value.length, true);
    this.bytes.set(key, o + 9);
    this.bytes.set(value, o + 9 + key.length);
    this.count++;
    this.databases |= isIndexKey(key) ? INDEX_DATABASE : MAIN_DATABASE;
  }

  del(key: Uint8Array): void {
    const o = this.reserve(5 + key.length);
    this.bytes[o] = OP_DEL;
    this.view.setUint32(o + 1, key.length, true);
    this.bytes.set(key, o + 5);
    this.count++;
    this.databases |= isIndexKey(key) ? INDEX_DATABASE : MAIN_DATABASE;
  }

  get length(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.end;
  }

  /**
   * Hands the packed bytes over (the buffer is transferred to the worker, spare capacity and all:
   * cheaper than copying out the used part) and leaves the batch empty.
   */
  take(): { buffer: ArrayBuffer; byteLength: number } {
    const packed = { buffer: this.bytes.buffer as ArrayBuffer, byteLength: this.end };
    // Most batches are written once: a new buffer is allocated only if this one is used again.
    this.bytes = new Uint8Array(0);
    this.view = new DataView(this.bytes.buffer);
    this.end = 0;
    this.count = 0;
    this.databases = 0;
    return packed;
  }

  private reserve(bytes: number): number {
    const offset = this.end;
    if (offset + bytes > this.bytes.length) {
      const grown = new Uint8Array(Math.max(offset + bytes, this.bytes.length * 2, 4096));
      grown.set(this.bytes.subarray(0, offset));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.end = offset + bytes;
    return offset;
  }
}

/** Range bounds are copied: a pooled Buffer would otherwise clone its whole 8 KB pool slab. */
export function rangeMessage(range: ByteRange): Record<string, unknown> {
  const copy = (bound: Uint8Array | undefined): Uint8Array | undefined => (bound === undefined ? undefined : Uint8Array.from(bound));
  return { gt: copy(range.gt), gte: copy(range.gte), lt: copy(range.lt), lte: copy(range.lte), reverse: range.reverse, limit: range.limit };
}

export function pairs(items: Array<Buffer | undefined>): Array<[Buffer, Buffer]> {
  const out: Array<[Buffer, Buffer]> = new Array(items.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = [items[2 * i] as Buffer, items[2 * i + 1] as Buffer];
  return out;
}

/** The buffer of index operations to transfer to a worker: `ops`'s own if they fill it, else a copy of the first `count`. */
export function transferableOps(ops: Float64Array, count: number): ArrayBuffer {
  const owned = ops.byteOffset === 0 && ops.byteLength === ops.buffer.byteLength ? ops : ops.slice(0, count * INDEX_OP_SLOTS);
  return owned.buffer as ArrayBuffer;
}

/**
 * Reads keys of both databases, each from its own: the index keys with `fromIndexes`, the others
 * with `fromMain`, in one call each at most; the values come back in the keys' order.
 */
export async function readEachDatabase<V>(
  keys: Uint8Array[], fromIndexes: (keys: Uint8Array[]) => Promise<V[]>, fromMain: (keys: Uint8Array[]) => Promise<V[]>,
): Promise<V[]> {
  const indexed = keys.filter(isIndexKey);
  if (indexed.length === keys.length) return indexed.length === 0 ? [] : fromIndexes(keys);
  if (indexed.length === 0) return fromMain(keys);
  const [indexValues, mainValues] = await Promise.all([fromIndexes(indexed), fromMain(keys.filter((key) => !isIndexKey(key)))]);
  let i = 0;
  let m = 0;
  return keys.map((key) => (isIndexKey(key) ? indexValues[i++] : mainValues[m++]));
}
