// The index operations derived from one commit's events, packed as they are derived: no key or
// value object per operation, just bytes in the write-batch layout the store worker reads
// (store-wire.ts), so handing a slice of them to a write is a copy of byte ranges. Until written
// they are also what queries read past the index watermark (overlay.ts scans them).
//
// An operation here is a put or a delete of one index key (keys.ts, "derived"): a prefix byte
// and one to three big-endian u64 fields; a put's value is a framed uint or the empty frame
// (codecs.ts). A put that the index writer never needs to write (an order that rested and closed
// before its TRADER_OPEN entry was written) is dropped in place: its kind byte becomes
// OP_DROPPED and every reader skips it.
import { FRAME_BYTES, UINT_VERSION } from './codecs.js';
import { crc32Portable } from './crc32.js';
import { writeU64BE } from './keys.js';
import { compareBytes, type KeyRange } from './memory-store.js';
import { OP_DEL, OP_PUT, type StoreBatch } from './store-wire.js';

/** Kind of an operation dropped after it was derived. */
export const OP_DROPPED = 0;

/** No value: a put of the empty frame (the key says everything). */
export const NO_VALUE = -1;

/** Longest operation: kind, two lengths, a 25-byte key, a framed 8-byte varint. */
const MAX_OP_BYTES = 9 + 25 + FRAME_BYTES + 8;

/** A key and its newest value in the overlay (undefined: deleted), with where it was derived. */
export type OverlayEntry = [Uint8Array, Uint8Array | undefined];

export class IndexOps {
  bytes: Uint8Array;
  length = 0;
  /** Operations written, dropped ones included. */
  count = 0;
  /** The last journal sequence of the commit the operations come from (0 until it is cut). */
  lastSeq = 0;
  /** Operations before this offset have been sent to the store (they can no longer be dropped). */
  handedTo = 0;
  /** Operations before this offset are in the store. */
  writtenTo = 0;
  /** Droppable TRADER_OPEN puts still unsent: orderId -> offset (DroppablePuts keeps the other side). */
  droppable: Map<number, number> | null = null;
  /**
   * Deletes of TRADER_OPEN entries whose put sits in an earlier commit's operations, as
   * (orderId, offset) pairs: once this commit is durable, each pair whose put is still unsent
   * drops both.
   */
  readonly closes: number[] = [];
  private view: DataView;

  constructor(capacity = 4096) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  /** A put (value >= 0: that uint; NO_VALUE: the empty frame) of a key with 1-3 integer fields; returns its offset. */
  put(prefix: number, fields: number, a: number, b: number, c: number, value: number): number {
    const at = this.begin(OP_PUT, prefix, fields, a, b, c);
    const valueAt = at + 9 + 1 + fields * 8;
    const bytes = this.bytes;
    bytes[valueAt] = UINT_VERSION;
    let end = valueAt + 1;
    if (value !== NO_VALUE) {
      let v = value;
      while (v >= 0x80) {
        bytes[end++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      bytes[end++] = v;
    }
    const crc = crc32Portable(bytes, valueAt, end);
    this.view.setUint32(end, crc, true);
    end += 4;
    this.view.setUint32(at + 5, end - valueAt, true);
    this.length = end;
    this.count++;
    return at;
  }

  /** A delete; returns its offset. */
  del(prefix: number, fields: number, a: number, b: number, c: number): number {
    const at = this.begin(OP_DEL, prefix, fields, a, b, c);
    this.length = at + 5 + 1 + fields * 8;
    this.count++;
    return at;
  }

  /** Drops the put at `offset` (it must not have been handed to a write). */
  drop(offset: number): void {
    this.bytes[offset] = OP_DROPPED;
  }

  /** The byte length of the operation at `offset`. */
  opLength(offset: number): number {
    const keyLength = this.view.getUint32(offset + 1, true);
    return this.bytes[offset] === OP_DEL ? 5 + keyLength : 9 + keyLength + this.view.getUint32(offset + 5, true);
  }

  /**
   * Appends the live operations of [from, ...) to `batch`, at most `most` of them (dropped ones do
   * not count); returns where it stopped and how many it appended.
   */
  copyTo(batch: StoreBatch, from: number, most: number): { end: number; ops: number } {
    let o = from;
    let ops = 0;
    let runStart = o;
    let runOps = 0;
    while (o < this.length && ops < most) {
      const length = this.opLength(o);
      if (this.bytes[o] === OP_DROPPED) {
        if (runOps > 0) batch.appendPacked(this.bytes.subarray(runStart, o), runOps);
        runStart = o + length;
        runOps = 0;
      } else {
        runOps++;
        ops++;
      }
      o += length;
    }
    if (runOps > 0) batch.appendPacked(this.bytes.subarray(runStart, o), runOps);
    return { end: o, ops };
  }

  /** Every live operation whose key is in `range` (ignoring reverse and limit), oldest first, into `out`. */
  collect(range: KeyRange, out: OverlayEntry[]): void {
    const bytes = this.bytes;
    for (let o = 0; o < this.length; o += this.opLength(o)) {
      const kind = bytes[o];
      if (kind === OP_DROPPED) continue;
      const keyLength = this.view.getUint32(o + 1, true);
      const keyAt = o + (kind === OP_DEL ? 5 : 9);
      const key = bytes.subarray(keyAt, keyAt + keyLength);
      if (!inRange(key, range)) continue;
      out.push([key, kind === OP_DEL ? undefined : bytes.subarray(keyAt + keyLength, keyAt + keyLength + this.view.getUint32(o + 5, true))]);
    }
  }

  private begin(kind: number, prefix: number, fields: number, a: number, b: number, c: number): number {
    if (this.length + MAX_OP_BYTES > this.bytes.length) this.grow();
    const at = this.length;
    const bytes = this.bytes;
    const keyLength = 1 + fields * 8;
    bytes[at] = kind;
    this.view.setUint32(at + 1, keyLength, true);
    const keyAt = at + (kind === OP_DEL ? 5 : 9);
    bytes[keyAt] = prefix;
    writeU64BE(bytes, keyAt + 1, a);
    if (fields > 1) writeU64BE(bytes, keyAt + 9, b);
    if (fields > 2) writeU64BE(bytes, keyAt + 17, c);
    return at;
  }

  private grow(): void {
    const grown = new Uint8Array(this.bytes.length * 2);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

export function inRange(key: Uint8Array, range: KeyRange): boolean {
  return (range.gte === undefined || compareBytes(key, range.gte) >= 0) && (range.gt === undefined || compareBytes(key, range.gt) > 0) &&
    (range.lt === undefined || compareBytes(key, range.lt) < 0) && (range.lte === undefined || compareBytes(key, range.lte) <= 0);
}

/**
 * The TRADER_OPEN puts that could still be dropped, by order id: an order that closes while its
 * put is unsent costs no key at all instead of a put and a delete. A lagging index skips most of
 * the churn of orders that rest briefly.
 *
 * A close may only drop a put once the commit that closes the order is durable: dropped earlier,
 * the put's commit could be indexed without it and a crash lose the close, leaving an open order
 * without its entry. So a close in the same commit as the put drops it at once (they become
 * durable together); a later one writes its delete and settle() drops the pair when its commit
 * is durable, if the put is still unsent.
 */
export class DroppablePuts {
  private readonly where = new Map<number, IndexOps>();

  register(orderId: number, ops: IndexOps, offset: number): void {
    this.where.set(orderId, ops);
    (ops.droppable ??= new Map()).set(orderId, offset);
  }

  /** Whether the order has a put that may still be unsent. */
  has(orderId: number): boolean {
    return this.where.has(orderId);
  }

  /** Drops the order's put if it is in `ops` (the commit being built); false otherwise. */
  dropIn(orderId: number, ops: IndexOps): boolean {
    return this.where.get(orderId) === ops && this.drop(orderId);
  }

  /** `ops`' commit is durable: drop each of its deletes together with its still unsent put. */
  settle(ops: IndexOps): void {
    const closes = ops.closes;
    for (let i = 0; i < closes.length; i += 2) if (this.drop(closes[i])) ops.drop(closes[i + 1]);
    closes.length = 0;
  }

  /** Drops the order's unsent put; false when there is none (it was sent, or never registered). */
  private drop(orderId: number): boolean {
    const ops = this.where.get(orderId);
    if (ops === undefined) return false;
    this.where.delete(orderId);
    const offset = ops.droppable?.get(orderId);
    if (offset === undefined) return false;
    ops.droppable!.delete(orderId);
    if (offset < ops.handedTo) return false;
    ops.drop(offset);
    return true;
  }

  /** Forgets the puts of `ops` before its handedTo (they are being written). */
  handed(ops: IndexOps): void {
    const droppable = ops.droppable;
    if (droppable === null) return;
    for (const [orderId, offset] of droppable) {
      if (offset >= ops.handedTo) continue;
      droppable.delete(orderId);
      if (this.where.get(orderId) === ops) this.where.delete(orderId);
    }
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
