// The canonical snapshot: every resting order and pending stop of every book, and each book's
// last trade price, in one binary layout that both engines write byte for byte the same.
// Checkpoints store it; stateHash() hashes it (sha256: equal on both backends after the same commands).
//
// Layout (little-endian). Bytes 0..6 are the magic "LOBSNAP", byte 7 the format version. Then
// float64 slots only, so the body reads as one Float64Array:
//   header:  nextOrderId, bookCount
//   per book with state (orders resting or pending, or a trade), assets ascending:
//            asset, lastPrice (0: none), bidLevelCount, askLevelCount, buyStopCount, sellStopCount
//     per level, bids best (highest) first, then asks best (lowest) first:  price, orderCount
//       per order, in queue (time priority) order:  orderId, trader, remaining, timestamp, flags
//     per pending stop, buys then sells, each in trigger order (buys by ascending stop price,
//     sells by descending, at equal stop price by id):
//       orderId, trader, size, timestamp, flags, stopPrice, price (0: stop-market), protectionPrice
//   flags: stp | OCO_LEG (4: a leg of an OCO pair, ids N and N + 1) | a stop's timeInForce << 3
//
// Version 1 (no last prices, no stops, flags only stp) is read by upgrading it to version 2.
import { LobError } from './errors.js';

export const SNAPSHOT_MAGIC = [0x4c, 0x4f, 0x42, 0x53, 0x4e, 0x41, 0x50]; // "LOBSNAP"
export const SNAPSHOT_VERSION = 2;
export const SNAPSHOT_HEADER_SLOTS = 3; // magic+version word, nextOrderId, bookCount
export const SNAPSHOT_BOOK_SLOTS = 6;
export const SNAPSHOT_LEVEL_SLOTS = 2;
export const SNAPSHOT_ORDER_SLOTS = 5;
export const SNAPSHOT_STOP_SLOTS = 8;
/** flags: stp in the low bits, then this, then a stop's time in force. */
export const SNAPSHOT_OCO_LEG = 4;
/** Where a stop's time in force starts in its flags. */
export const SNAPSHOT_TIF_SHIFT = 3;

/** The most resting orders and pending stops a snapshot of `byteLength` bytes can hold (an order takes the fewest slots). */
export function mostOrdersIn(byteLength: number): number {
  return Math.max(0, Math.floor(byteLength / (SNAPSHOT_ORDER_SLOTS * 8)));
}

/** Writes the magic and version into the first 8 bytes of a snapshot buffer. */
export function writeSnapshotMagic(bytes: Uint8Array): void {
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) bytes[i] = SNAPSHOT_MAGIC[i];
  bytes[7] = SNAPSHOT_VERSION;
}

/**
 * Checks magic, version and length; returns the body as float64 slots of the current version
 * (slot 0 is the magic word): an older version is upgraded into a copy.
 */
export function openSnapshot(bytes: Uint8Array): Float64Array {
  if (bytes.byteLength < SNAPSHOT_HEADER_SLOTS * 8 || bytes.byteLength % 8 !== 0) {
    throw new LobError('CORRUPTION', `snapshot is ${bytes.byteLength} bytes long, not a whole number of 8-byte slots with a header`);
  }
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw new LobError('CORRUPTION', 'snapshot does not start with LOBSNAP');
  }
  if (bytes[7] !== SNAPSHOT_VERSION && bytes[7] !== 1) {
    throw new LobError('UNSUPPORTED_VERSION', `snapshot format version ${bytes[7]} is not supported (this build reads 1 and ${SNAPSHOT_VERSION})`);
  }
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const slots = new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8);
  return bytes[7] === 1 ? upgradeFromVersion1(slots) : slots;
}

/** The bytes of snapshot slots (what a core restores from). */
export function snapshotBytes(slots: Float64Array): Uint8Array {
  return new Uint8Array(slots.buffer, slots.byteOffset, slots.byteLength);
}

/**
 * Version 1 as version 2: each book header gains a last price and stop counts (0: version 1
 * knew neither), each order's stp is already its flags. Structure is checked as far as the walk
 * needs; checkSnapshot checks the rest.
 */
function upgradeFromVersion1(v1: Float64Array): Float64Array {
  const bookCount = v1[2];
  if (!(Number.isSafeInteger(bookCount) && bookCount >= 0 && SNAPSHOT_HEADER_SLOTS + bookCount * 3 <= v1.length)) {
    throw corrupt(`bookCount ${bookCount} does not fit in ${v1.length} slots`);
  }
  const v2 = new Float64Array(v1.length + bookCount * 3);
  v2.set(v1.subarray(0, SNAPSHOT_HEADER_SLOTS));
  const magic = new Uint8Array(v2.buffer, 0, 8);
  writeSnapshotMagic(magic);
  let from = SNAPSHOT_HEADER_SLOTS;
  let to = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    if (from + 3 > v1.length) throw corrupt(`book ${b} is cut off at slot ${from} of ${v1.length}`);
    const levels = v1[from + 1] + v1[from + 2];
    v2[to] = v1[from];
    v2[to + 2] = v1[from + 1];
    v2[to + 3] = v1[from + 2];
    from += 3;
    to += SNAPSHOT_BOOK_SLOTS;
    // Counts checked before they move the walk: a fraction, a negative or an endless count would
    // let it stand still or go back, forever.
    if (!(isNonNegativeInteger(v1[from - 2]) && isNonNegativeInteger(v1[from - 1]))) {
      throw corrupt(`book ${b} level counts ${v1[from - 2]} and ${v1[from - 1]}, expected non-negative safe integers`);
    }
    let end = from;
    for (let l = 0; l < levels && end + SNAPSHOT_LEVEL_SLOTS <= v1.length; l++) {
      const orders = v1[end + 1];
      if (!(isNonNegativeInteger(orders) && orders > 0)) throw corrupt(`book ${b} level ${l} order count ${orders}, expected a positive safe integer`);
      end += SNAPSHOT_LEVEL_SLOTS + orders * SNAPSHOT_ORDER_SLOTS;
    }
    if (!(end <= v1.length)) throw corrupt(`book ${b} claims more levels and orders than fit in the snapshot`);
    v2.set(v1.subarray(from, end), to);
    to += end - from;
    from = end;
  }
  if (from !== v1.length) throw corrupt(`${v1.length - from} slots left over after the last book: the counts do not match the length`);
  return v2;
}

/** @internal a snapshot that is not sound (snapshot-check.ts reports through it too). */
export function corrupt(message: string): LobError {
  return new LobError('CORRUPTION', `snapshot: ${message}`);
}

/** @internal */
export function isNonNegativeInteger(value: number): boolean {
  return Number.isSafeInteger(value) && (value > 0 || Object.is(value, 0));
}

/** One book of a snapshot, as tools read it. */
export interface SnapshotBook {
  asset: number;
  lastPrice: number;
  bidLevels: number;
  askLevels: number;
  bidOrders: number;
  askOrders: number;
  buyStops: number;
  sellStops: number;
}

/** The books of a (checked or trusted) snapshot, ascending by asset: one pass over the slots. */
export function snapshotBooks(slots: Float64Array): SnapshotBook[] {
  const bookCount = slots[2];
  const books: SnapshotBook[] = [];
  let p = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    const book: SnapshotBook = {
      asset: slots[p], lastPrice: slots[p + 1], bidLevels: slots[p + 2], askLevels: slots[p + 3], bidOrders: 0, askOrders: 0,
      buyStops: slots[p + 4], sellStops: slots[p + 5],
    };
    p += SNAPSHOT_BOOK_SLOTS;
    for (let level = 0; level < book.bidLevels + book.askLevels; level++) {
      const orders = slots[p + 1];
      if (level < book.bidLevels) book.bidOrders += orders;
      else book.askOrders += orders;
      // Levels have variable length (their order count), so each is stepped over.
      p += SNAPSHOT_LEVEL_SLOTS + orders * SNAPSHOT_ORDER_SLOTS;
    }
    p += (book.buyStops + book.sellStops) * SNAPSHOT_STOP_SLOTS;
    books.push(book);
  }
  return books;
}

/** Calls `visit` with the id, trader, OCO flag and whether it is a pending stop of every resting order and pending stop of a (checked or trusted) snapshot. */
export function forEachSnapshotOrder(slots: Float64Array, visit: (orderId: number, trader: number, ocoLeg: boolean, pending: boolean) => void): void {
  const bookCount = slots[2];
  let p = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    const levels = slots[p + 2] + slots[p + 3];
    const stops = slots[p + 4] + slots[p + 5];
    p += SNAPSHOT_BOOK_SLOTS;
    for (let level = 0; level < levels; level++) {
      const end = p + SNAPSHOT_LEVEL_SLOTS + slots[p + 1] * SNAPSHOT_ORDER_SLOTS;
      for (p += SNAPSHOT_LEVEL_SLOTS; p < end; p += SNAPSHOT_ORDER_SLOTS) visit(slots[p], slots[p + 1], (slots[p + 4] & SNAPSHOT_OCO_LEG) !== 0, false);
    }
    for (let s = 0; s < stops; s++, p += SNAPSHOT_STOP_SLOTS) visit(slots[p], slots[p + 1], (slots[p + 4] & SNAPSHOT_OCO_LEG) !== 0, true);
  }
}
