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

/**
 * A commit's operations, and its openings and closings, are kept in chunks of this many slots
 * (1,024 operations, 40 KiB; the first one smaller, below), taken from and given back to the spares: never grown by copying,
 * never refitted. A commit's array used to be sized before it was known how many commands the
 * commit would take, doubled (a copy) when it did not fit and refitted (another copy) when it was
 * mostly empty, and the refitted arrays came back to the spares in sizes no later commit asked for:
 * so commits kept making new arrays, fresh memory at a page fault per 4 KiB. Those copies and faults
 * were about 60% of the main thread's page faults under group commit (docs/storage.md, round 30).
 */
export const CHUNK_SLOTS = 1024 * INDEX_OP_SLOTS;
/**
 * A commit's first chunk, of operations and of open-order changes, is this small (64 operations,
 * 2.5 KiB): a flow of tiny commits far behind the index writer holds a chunk a commit.
 */
export const FIRST_CHUNK_SLOTS = 64 * INDEX_OP_SLOTS;

/**
 * An opening or closing of an order: its id, its trader, the sequence that placed it (CLOSED for a
 * closing) and its pairing (open-orders.ts: PAIRED for an OCO limit leg, else UNPAIRED; 0 for a closing).
 */
export const OPEN_CHANGE_SLOTS = 4;
export const CLOSED = -1;

const NO_OPS = new Float64Array(0);

export class IndexOps {
  /** The operations, INDEX_OP_SLOTS each, in chunks: every chunk full but the last, which holds `at` slots. */
  readonly chunks: Float64Array[] = [];
  private chunk: Float64Array = NO_OPS;
  private at = 0;
  /** Operations written. */
  count = 0;
  /** The last journal sequence of the commit the operations come from. */
  lastSeq = 0;
  /** The commit's openings and closings of orders, OPEN_CHANGE_SLOTS each, in the order they happened: in chunks, every one full but the last. */
  readonly openChangeChunks: Float64Array[] = [];
  private changeChunk: Float64Array = NO_OPS;
  private changeAt = 0;
  openChangeCount = 0;

  /**
   * `capacity`: the operations the first chunk holds when there are no spares (a test's small
   * commit). `spares`: where chunks come from and go back to (null: plain arrays).
   */
  constructor(private readonly capacity = 256, private readonly spares: SpareOps | null = null) {}

  /** A put of a key with 1-3 integer fields; value NO_VALUE for the empty frame. Returns its index. */
  put(prefix: number, fields: number, a: number, b: number, c: number, value: number): number {
    return this.add(indexOpHead(INDEX_PUT, prefix, fields), a, b, c, value);
  }

  /** A delete; returns its index. */
  del(prefix: number, fields: number, a: number, b: number, c: number): number {
    return this.add(indexOpHead(INDEX_DEL, prefix, fields), a, b, c, NO_VALUE);
  }

  /** Every operation, in one array of exactly their slots (a copy): for tests and small uses. */
  get ops(): Float64Array {
    const out = new Float64Array(this.count * INDEX_OP_SLOTS);
    this.copyInto(out, 0);
    return out;
  }

  /** Copies every operation into `target` from slot `at` on; returns the slot after them. */
  copyInto(target: Float64Array, at: number): number {
    const last = this.chunks.length - 1;
    for (let c = 0; c < last; c++) {
      target.set(this.chunks[c], at);
      at += this.chunks[c].length;
    }
    if (last >= 0) {
      target.set(this.chunk.subarray(0, this.at), at);
      at += this.at;
    }
    return at;
  }

  /** An order opens (it rests, or waits as a pending stop), placed by command `placedSeq`, with its pairing. */
  opened(orderId: number, trader: number, placedSeq: number, pairing: number): void {
    this.openChange(orderId, trader, placedSeq, pairing);
  }

  /** An order closes (it filled, left the book, or its stop left without resting). */
  closed(orderId: number, trader: number): void {
    this.openChange(orderId, trader, CLOSED, 0);
  }

  /** The openings and closings in one array (a copy): for tests. */
  get openChanges(): Float64Array {
    const out = new Float64Array(this.openChangeCount * OPEN_CHANGE_SLOTS);
    let at = 0;
    for (const chunk of this.openChangeChunks) {
      const slots = Math.min(chunk.length, out.length - at);
      out.set(chunk.subarray(0, slots), at);
      at += slots;
    }
    return out;
  }

  /**
   * Done with the openings and closings (the open-order set has applied them): their chunks go
   * to the spares. Under group commit a commit lists tens of thousands, and new arrays for them
   * cost a page fault per 4 KiB (SpareOps says why that counts).
   */
  releaseOpenChanges(): void {
    for (const chunk of this.openChangeChunks) this.spares?.keep(chunk);
    this.openChangeChunks.length = 0;
    this.changeChunk = NO_OPS;
    this.changeAt = 0;
    this.openChangeCount = 0;
  }

  /** The operations are written and nothing reads them any more: their chunks go to the spares, and they are left empty. */
  clear(): void {
    for (const chunk of this.chunks) this.spares?.keep(chunk);
    this.chunks.length = 0;
    this.chunk = NO_OPS;
    this.at = 0;
    this.count = 0;
  }

  private openChange(orderId: number, trader: number, placedSeq: number, pairing: number): void {
    if (this.changeAt === this.changeChunk.length) {
      const slots = this.openChangeChunks.length === 0 ? FIRST_CHUNK_SLOTS : CHUNK_SLOTS;
      this.changeChunk = this.spares?.chunk(slots) ?? new Float64Array(slots);
      this.openChangeChunks.push(this.changeChunk);
      this.changeAt = 0;
    }
    const changes = this.changeChunk;
    const o = this.changeAt;
    changes[o] = orderId;
    changes[o + 1] = trader;
    changes[o + 2] = placedSeq;
    changes[o + 3] = pairing;
    this.changeAt = o + OPEN_CHANGE_SLOTS;
    this.openChangeCount++;
  }

  /** Every live operation whose key is in `range` (ignoring reverse and limit), oldest first, into `out`. */
  collect(range: KeyRange, out: OverlayEntry[]): void {
    const low = range.gte ?? range.gt;
    const high = range.lt ?? range.lte;
    const lowPrefix = low === undefined ? 0 : low[0];
    const highPrefix = high === undefined ? 255 : high[0];
    const key = new Uint8Array(25);
    const last = this.chunks.length - 1;
    for (let c = 0; c <= last; c++) {
      const ops = this.chunks[c];
      const n = (c === last ? this.at : ops.length) / INDEX_OP_SLOTS;
      for (let i = 0; i < n; i++) {
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
  }

  /**
   * Every put of a three-field `prefix` key, oldest first, as its fields and value: what collect
   * gives for postings, without a key copied or a value framed for each (a closed page passes
   * over every queued placing of its trader, posting-lists.ts readTraderPlacings).
   */
  eachPut(prefix: number, visit: (a: number, b: number, c: number, value: number) => void): void {
    const head = indexOpHead(INDEX_PUT, prefix, 3);
    const last = this.chunks.length - 1;
    for (let c = 0; c <= last; c++) {
      const ops = this.chunks[c];
      const end = c === last ? this.at : ops.length;
      for (let o = 0; o < end; o += INDEX_OP_SLOTS) {
        if (ops[o] === head) visit(ops[o + 1], ops[o + 2], ops[o + 3], ops[o + 4]);
      }
    }
  }

  /** A chunk of operations to fill: the spares', or without spares (a test's commit) the first of `capacity` operations. */
  private newChunk(): Float64Array {
    if (this.spares !== null) return this.spares.chunk(this.chunks.length === 0 ? FIRST_CHUNK_SLOTS : CHUNK_SLOTS);
    return new Float64Array(this.chunks.length === 0 ? Math.max(1, this.capacity) * INDEX_OP_SLOTS : CHUNK_SLOTS);
  }

  private add(head: number, a: number, b: number, c: number, value: number): number {
    if (this.at === this.chunk.length) {
      this.chunk = this.newChunk();
      this.chunks.push(this.chunk);
      this.at = 0;
    }
    const o = this.at;
    const ops = this.chunk;
    ops[o] = head;
    ops[o + 1] = a;
    ops[o + 2] = b;
    ops[o + 3] = c;
    ops[o + 4] = value;
    this.at = o + INDEX_OP_SLOTS;
    return this.count++;
  }
}

/** Spare chunks kept at most, in bytes: a window's worth of commits, with room to spare. */
const SPARE_BYTES = 16 * 1024 * 1024;
/** Spare first chunks kept at most, in bytes (a few thousand commits' worth). */
const FIRST_SPARE_BYTES = 8 * 1024 * 1024;

/**
 * The chunks of commits whose index window has landed, and of open-order changes applied, for the
 * next commits to fill. Fresh memory is not free: each 4 KiB page costs a fault when first
 * written, which on a VM costs microseconds; new arrays made two thirds of the main thread's page
 * faults under group commit (docs/storage.md, rounds 9 and 30).
 */
export class SpareOps {
  private readonly spare: Float64Array[] = [];
  private readonly firstSpare: Float64Array[] = [];

  /** A chunk of `slots` slots (CHUNK_SLOTS or FIRST_CHUNK_SLOTS): a spare one, or a new one. */
  chunk(slots = CHUNK_SLOTS): Float64Array {
    return (slots === FIRST_CHUNK_SLOTS ? this.firstSpare.pop() : this.spare.pop()) ?? new Float64Array(slots);
  }

  /** A chunk nothing reads any more, kept while the spares stay under their cap (other arrays are left to the collector). */
  keep(array: Float64Array): void {
    if (array.length === FIRST_CHUNK_SLOTS) {
      if ((this.firstSpare.length + 1) * FIRST_CHUNK_SLOTS * 8 <= FIRST_SPARE_BYTES) this.firstSpare.push(array);
      return;
    }
    if (array.length !== CHUNK_SLOTS || (this.spare.length + 1) * CHUNK_SLOTS * 8 > SPARE_BYTES) return;
    this.spare.push(array);
  }

  /** Spare chunks held (both sizes). */
  get size(): number {
    return this.spare.length + this.firstSpare.length;
  }

  /** Operations for a commit, filling spare chunks. */
  take(): IndexOps {
    return new IndexOps(1024, this);
  }

  /** `ops` has been written and nothing reads it any more: its chunks are kept, and it is left empty. */
  give(ops: IndexOps): void {
    ops.clear();
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
