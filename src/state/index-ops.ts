// The index operations derived from one commit's events, kept compact (index-wire.mjs: a few
// numbers each, no key or value bytes, no object per operation) until the store expands them
// for a write. Until written they are also what queries read past the index watermark
// (overlay.ts scans them).
//
// Beside them, the commit's openings and closings of orders, which go to the open-order set in
// memory (open-orders.ts) and never to the index database.
import { encodeUint, EMPTY_VALUE } from './codecs.js';
import {
  INDEX_DEL, INDEX_OP_SLOTS, INDEX_PUT, NO_VALUE, indexKeyInto, indexOpHead,
} from './index-wire.mjs';
import { compareBytes, type KeyRange } from './memory-store.js';

export { NO_VALUE } from './index-wire.mjs';

/** A key and its newest value in the overlay (undefined: deleted). */
export type OverlayEntry = [Uint8Array, Uint8Array | undefined];

/** Arrays below this many slots (32 KiB) are never refitted: the copy would cost more than the slack. */
const FIT_MIN_SLOTS = 4096;

/**
 * An opening or closing of an order: its id, its trader, the sequence that placed it (CLOSED for a
 * closing) and its pairing (open-orders.ts: PAIRED for an OCO limit leg, else UNPAIRED; 0 for a closing).
 */
export const OPEN_CHANGE_SLOTS = 4;
export const CLOSED = -1;

const NO_OPS = new Float64Array(0);

export class IndexOps {
  ops: Float64Array;
  /** Operations written. */
  count = 0;
  /** The last journal sequence of the commit the operations come from. */
  lastSeq = 0;
  /** The commit's openings and closings of orders, OPEN_CHANGE_SLOTS each, in the order they happened. */
  openChanges: Float64Array = NO_OPS;
  openChangeCount = 0;

  /**
   * `ops`: an array to fill (its old contents are ignored), or one of `capacity` operations is
   * allocated. `spares`: where it grows from and leaves its outgrown arrays (null: plain arrays).
   */
  constructor(capacity = 256, ops: Float64Array = new Float64Array(capacity * INDEX_OP_SLOTS), private readonly spares: SpareOps | null = null) {
    this.ops = ops;
  }

  /** A put of a key with 1-3 integer fields; value NO_VALUE for the empty frame. Returns its index. */
  put(prefix: number, fields: number, a: number, b: number, c: number, value: number): number {
    return this.add(indexOpHead(INDEX_PUT, prefix, fields), a, b, c, value);
  }

  /** A delete; returns its index. */
  del(prefix: number, fields: number, a: number, b: number, c: number): number {
    return this.add(indexOpHead(INDEX_DEL, prefix, fields), a, b, c, NO_VALUE);
  }

  /** An order opens (it rests, or waits as a pending stop), placed by command `placedSeq`, with its pairing. */
  opened(orderId: number, trader: number, placedSeq: number, pairing: number): void {
    this.openChange(orderId, trader, placedSeq, pairing);
  }

  /** An order closes (it filled, left the book, or its stop left without resting). */
  closed(orderId: number, trader: number): void {
    this.openChange(orderId, trader, CLOSED, 0);
  }

  /**
   * Done with the openings and closings (the open-order set has applied them): their array goes
   * to the spares. Under group commit a commit lists tens of thousands, and a new array for each
   * cost a page fault per 4 KiB (SpareOps says why that counts).
   */
  releaseOpenChanges(): void {
    this.spares?.keep(this.openChanges);
    this.openChanges = NO_OPS;
    this.openChangeCount = 0;
  }

  private openChange(orderId: number, trader: number, placedSeq: number, pairing: number): void {
    const o = this.openChangeCount * OPEN_CHANGE_SLOTS;
    if (o + OPEN_CHANGE_SLOTS > this.openChanges.length) this.openChanges = this.grown(this.openChanges, o, 256 * OPEN_CHANGE_SLOTS);
    const changes = this.openChanges;
    changes[o] = orderId;
    changes[o + 1] = trader;
    changes[o + 2] = placedSeq;
    changes[o + 3] = pairing;
    this.openChangeCount++;
  }

  /** Every live operation whose key is in `range` (ignoring reverse and limit), oldest first, into `out`. */
  collect(range: KeyRange, out: OverlayEntry[]): void {
    const ops = this.ops;
    const low = range.gte ?? range.gt;
    const high = range.lt ?? range.lte;
    const lowPrefix = low === undefined ? 0 : low[0];
    const highPrefix = high === undefined ? 255 : high[0];
    const key = new Uint8Array(25);
    for (let i = 0; i < this.count; i++) {
      const head = ops[i * INDEX_OP_SLOTS];
      const prefix = head >> 4;
      if (prefix < lowPrefix || prefix > highPrefix) continue;
      const length = indexKeyInto(ops, i, key);
      const candidate = key.subarray(0, length);
      if (!inRange(candidate, range)) continue;
      const value = ops[i * INDEX_OP_SLOTS + 4];
      out.push([candidate.slice(), (head & 3) === INDEX_DEL ? undefined : value === NO_VALUE ? EMPTY_VALUE : encodeUint(value)]);
    }
  }

  /**
   * Moves the operations into an array of about their size when theirs is mostly empty, and gives
   * the large one back to the spares for the next commit. A commit's array is sized before it is
   * known how many commands it will take (like the last commit's), and under group commit one
   * commit takes a batch and the next twenty: commits waiting behind the index writer held 2.6
   * times their operations' bytes, and each outsized array a commit kept was one more array the
   * next commits made new (docs/storage.md, round 16).
   */
  fit(): void {
    const used = this.count * INDEX_OP_SLOTS;
    if (this.spares === null || this.ops.length < FIT_MIN_SLOTS || this.ops.length < 2 * used) return;
    const fitted = this.spares.array(used, 2 * used);
    fitted.set(this.ops.subarray(0, used));
    this.spares.keep(this.ops);
    this.ops = fitted;
  }

  /** Twice `array` (at least `least` slots), from the spares, its first `used` slots copied; `array` goes to the spares. */
  private grown(array: Float64Array, used: number, least: number): Float64Array {
    const slots = Math.max(array.length * 2, least);
    const grown = this.spares?.array(slots) ?? new Float64Array(slots);
    grown.set(array.subarray(0, used));
    this.spares?.keep(array);
    return grown;
  }

  private add(head: number, a: number, b: number, c: number, value: number): number {
    // Nothing else reads a commit's operations before it is durable: the old array is free.
    if ((this.count + 1) * INDEX_OP_SLOTS > this.ops.length) this.ops = this.grown(this.ops, this.count * INDEX_OP_SLOTS, 256 * INDEX_OP_SLOTS);
    const o = this.count * INDEX_OP_SLOTS;
    const ops = this.ops;
    ops[o] = head;
    ops[o + 1] = a;
    ops[o + 2] = b;
    ops[o + 3] = c;
    ops[o + 4] = value;
    return this.count++;
  }
}

/** Spare arrays kept at most, in bytes: a window's worth of commits, with room to spare. */
const SPARE_BYTES = 16 * 1024 * 1024;

/**
 * The operation arrays of commits whose index window has landed, those a growing commit left
 * behind and written windows' (the store gives them back), for the next commits and windows to fill. Fresh memory is not free: each 4 KiB page costs a fault
 * when first written, which on a VM costs microseconds; new arrays made two thirds of the main
 * thread's page faults under group commit (docs/storage.md, round 9).
 */
export class SpareOps {
  private readonly arrays: Float64Array[] = [];
  private bytes = 0;

  /** Room for `slots` slots: the smallest spare array that holds them (and has at most `atMost`), or a new one. */
  array(slots: number, atMost = Infinity): Float64Array {
    let best = -1;
    for (let i = 0; i < this.arrays.length; i++) {
      const length = this.arrays[i].length;
      if (length >= slots && length <= atMost && (best < 0 || length < this.arrays[best].length)) best = i;
    }
    if (best < 0) return new Float64Array(slots);
    const array = this.arrays[best];
    this.arrays[best] = this.arrays[this.arrays.length - 1];
    this.arrays.pop();
    this.bytes -= array.byteLength;
    return array;
  }

  /** An array nothing reads any more, kept while the spares stay under their cap. */
  keep(array: Float64Array): void {
    if (array.length === 0 || this.bytes + array.byteLength > SPARE_BYTES) return;
    this.arrays.push(array);
    this.bytes += array.byteLength;
  }

  /** Operations for at least `capacity` operations, filling a spare array if one is big enough. */
  take(capacity: number): IndexOps {
    return new IndexOps(capacity, this.array(capacity * INDEX_OP_SLOTS), this);
  }

  /** `ops` has been written and nothing reads it any more: its array is kept, and it is left empty. */
  give(ops: IndexOps): void {
    this.keep(ops.ops);
    ops.ops = NO_OPS;
    ops.count = 0;
  }
}

export function inRange(key: Uint8Array, range: KeyRange): boolean {
  return (range.gte === undefined || compareBytes(key, range.gte) >= 0) && (range.gt === undefined || compareBytes(key, range.gt) > 0) &&
    (range.lt === undefined || compareBytes(key, range.lt) < 0) && (range.lte === undefined || compareBytes(key, range.lte) <= 0);
}

/** Sorts overlay entries by key in `direction`, keeping only the newest entry of each key (entries arrive oldest first). */
export function newestByKey(entries: OverlayEntry[], reverse: boolean): OverlayEntry[] {
  const order = entries.map((_, i) => i);
  order.sort((i, j) => compareBytes(entries[i][0], entries[j][0]) || i - j);
  const out: OverlayEntry[] = [];
  for (let n = 0; n < order.length; n++) {
    const next = order[n + 1];
    if (next !== undefined && compareBytes(entries[order[n]][0], entries[next][0]) === 0) continue;
    out.push(entries[order[n]]);
  }
  if (reverse) out.reverse();
  return out;
}
