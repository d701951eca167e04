// The index operations derived from one commit's events, kept compact (index-wire.mjs: a few
// numbers each, no key or value bytes, no object per operation) until the store expands them
// for a write. Until written they are also what queries read past the index watermark
// (overlay.ts scans them).
//
// A put that the index writer never needs to write (an order that rested and closed before its
// TRADER_OPEN entry was written) is dropped in place: its kind becomes INDEX_DROPPED and every
// reader skips it.
import { encodeUint, EMPTY_VALUE } from './codecs.js';
import {
  INDEX_DEL, INDEX_DROPPED, INDEX_OP_SLOTS, INDEX_PUT, NO_VALUE, indexKeyInto, indexOpHead,
} from './index-wire.mjs';
import { compareBytes, type KeyRange } from './memory-store.js';

export { NO_VALUE } from './index-wire.mjs';

/** A key and its newest value in the overlay (undefined: deleted). */
export type OverlayEntry = [Uint8Array, Uint8Array | undefined];

/** Arrays below this many slots (32 KiB) are never refitted: the copy would cost more than the slack. */
const FIT_MIN_SLOTS = 4096;

export class IndexOps {
  ops: Float64Array;
  /** Operations written, dropped ones included. */
  count = 0;
  /** The last journal sequence of the commit the operations come from. */
  lastSeq = 0;
  /** Operations before this one have been sent to the store (they can no longer be dropped). */
  handedTo = 0;
  /** Its number in DroppablePuts (0: puts in it are never dropped). */
  serial = 0;
  /**
   * Deletes of TRADER_OPEN entries whose put sits in an earlier commit's operations, as
   * (orderId, operation) pairs: once this commit is durable, each pair whose put is still unsent
   * drops both.
   */
  readonly closes: number[] = [];

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

  /** Drops operation `i` (it must not have been handed to a write). */
  drop(i: number): void {
    const o = i * INDEX_OP_SLOTS;
    // A head is a small integer (indexOpHead): its kind bits are cleared with a mask, not a
    // float64 remainder, which V8 compiles to a call (half of settle()'s time under group commit).
    this.ops[o] = (this.ops[o] & ~3) | INDEX_DROPPED;
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
      if (prefix < lowPrefix || prefix > highPrefix || (head & 3) === INDEX_DROPPED) continue;
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

  private add(head: number, a: number, b: number, c: number, value: number): number {
    if ((this.count + 1) * INDEX_OP_SLOTS > this.ops.length) {
      const slots = Math.max(this.ops.length * 2, 256 * INDEX_OP_SLOTS);
      const grown = this.spares?.array(slots) ?? new Float64Array(slots);
      grown.set(this.ops.subarray(0, this.count * INDEX_OP_SLOTS));
      // Nothing else reads a commit's operations before it is durable: the old array is free.
      this.spares?.keep(this.ops);
      this.ops = grown;
    }
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
const NO_OPS = new Float64Array(0);

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
    ops.handedTo = 0;
  }
}

export function inRange(key: Uint8Array, range: KeyRange): boolean {
  return (range.gte === undefined || compareBytes(key, range.gte) >= 0) && (range.gt === undefined || compareBytes(key, range.gt) > 0) &&
    (range.lt === undefined || compareBytes(key, range.lt) < 0) && (range.lte === undefined || compareBytes(key, range.lte) <= 0);
}

/** Registry slots: orders this many ids apart compete for a slot (the loser's put is just written). */
const DROP_SLOTS = 1 << 16;

/**
 * An order id's registry slot. Ids are float64 integers: `% DROP_SLOTS` would be a float64
 * remainder, which V8 compiles to a call (11-25 ns against 3-13 for the mask, a scratch loop over
 * a million ids); the mask is the same remainder for every id below 2^53 (ToInt32 keeps the low
 * 32 bits, and the slot is the low 16).
 */
function dropSlot(orderId: number): number {
  return orderId & (DROP_SLOTS - 1);
}

/**
 * The TRADER_OPEN puts that could still be dropped, by order id: an order that closes while its
 * put is unsent costs no key at all instead of a put and a delete. A lagging index skips most of
 * the churn of orders that rest briefly. Kept in typed arrays by order id (ids are dense), so
 * registering a put allocates nothing; two orders that share a slot just cost the older one its
 * drop (dropping is only ever an optimisation).
 *
 * A close may only drop a put once the commit that closes the order is durable: dropped earlier,
 * the put's commit could be indexed without it and a crash lose the close, leaving an open order
 * without its entry. So a close in the same commit as the put drops it at once (they become
 * durable together); a later one writes its delete and settle() drops the pair when its commit
 * is durable, if the put is still unsent.
 */
export class DroppablePuts {
  private readonly orderIds = new Float64Array(DROP_SLOTS);
  private readonly serials = new Float64Array(DROP_SLOTS);
  private readonly indexes = new Uint32Array(DROP_SLOTS);
  /** Operations that may hold droppable puts, by serial: from open() until all are sent. */
  private readonly buffers = new Map<number, IndexOps>();
  private nextSerial = 1;

  /** A commit's operations begin: puts registered in them can be found by serial. */
  open(ops: IndexOps): void {
    ops.serial = this.nextSerial++;
    this.buffers.set(ops.serial, ops);
  }

  register(orderId: number, ops: IndexOps, i: number): void {
    const slot = dropSlot(orderId);
    this.orderIds[slot] = orderId;
    this.serials[slot] = ops.serial;
    this.indexes[slot] = i;
  }

  /** Whether the order may have an unsent put. */
  has(orderId: number): boolean {
    const slot = dropSlot(orderId);
    return this.orderIds[slot] === orderId && this.buffers.has(this.serials[slot]);
  }

  /** Drops the order's put if it is in `ops` (the commit being built, nothing of it sent); false otherwise. */
  dropIn(orderId: number, ops: IndexOps): boolean {
    const slot = dropSlot(orderId);
    if (this.orderIds[slot] !== orderId || this.serials[slot] !== ops.serial) return false;
    this.orderIds[slot] = 0;
    ops.drop(this.indexes[slot]);
    return true;
  }

  /** `ops`' commit is durable: drop each of its deletes together with its still unsent put. */
  settle(ops: IndexOps): void {
    const closes = ops.closes;
    for (let c = 0; c < closes.length; c += 2) {
      const orderId = closes[c];
      const slot = dropSlot(orderId);
      if (this.orderIds[slot] !== orderId) continue;
      this.orderIds[slot] = 0;
      const holder = this.buffers.get(this.serials[slot]);
      if (holder === undefined || this.indexes[slot] < holder.handedTo) continue;
      holder.drop(this.indexes[slot]);
      ops.drop(closes[c + 1]);
    }
    closes.length = 0;
  }

  /** `ops` has been sent up to its handedTo: once all of it is, none of its puts can be dropped. */
  handed(ops: IndexOps): void {
    if (ops.handedTo >= ops.count) this.buffers.delete(ops.serial);
  }
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
