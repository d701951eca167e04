// The canonical snapshot: every resting order of every book, in one binary layout that both
// engines write byte for byte the same. Checkpoints store it; stateHash() hashes it.
//
// Layout (little-endian). Bytes 0..6 are the magic "LOBSNAP", byte 7 the format version. Then
// float64 slots only, so the body reads as one Float64Array:
//   header:  nextOrderId, bookCount
//   per non-empty book, assets ascending:   asset, bidLevelCount, askLevelCount
//     per level, bids best (highest) first, then asks best (lowest) first:  price, orderCount
//       per order, in queue (time priority) order:  orderId, trader, remaining, timestamp, stp
import { createHash } from 'node:crypto';
import { LobError } from './errors.js';
import { SideCode, StpCode } from './codes.js';

const SIDE_NAMES = ['bid', 'ask'];

export const SNAPSHOT_MAGIC = [0x4c, 0x4f, 0x42, 0x53, 0x4e, 0x41, 0x50]; // "LOBSNAP"
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_HEADER_SLOTS = 3; // magic+version word, nextOrderId, bookCount
export const SNAPSHOT_BOOK_SLOTS = 3;
export const SNAPSHOT_LEVEL_SLOTS = 2;
export const SNAPSHOT_ORDER_SLOTS = 5;

/** Writes the magic and version into the first 8 bytes of a snapshot buffer. */
export function writeSnapshotMagic(bytes: Uint8Array): void {
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) bytes[i] = SNAPSHOT_MAGIC[i];
  bytes[7] = SNAPSHOT_VERSION;
}

/** Checks magic, version and length; returns the body as float64 slots (slot 0 is the magic word). */
export function openSnapshot(bytes: Uint8Array): Float64Array {
  if (bytes.byteLength < SNAPSHOT_HEADER_SLOTS * 8 || bytes.byteLength % 8 !== 0) {
    throw new LobError('CORRUPTION', `snapshot is ${bytes.byteLength} bytes long, not a whole number of 8-byte slots with a header`);
  }
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw new LobError('CORRUPTION', 'snapshot does not start with LOBSNAP');
  }
  if (bytes[7] !== SNAPSHOT_VERSION) {
    throw new LobError('UNSUPPORTED_VERSION', `snapshot format version ${bytes[7]} is not supported (this build reads ${SNAPSHOT_VERSION})`);
  }
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  return new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8);
}

/** sha256 of the canonical snapshot, hex: equal on both backends after the same commands. */
export function hashSnapshot(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function corrupt(message: string): LobError {
  return new LobError('CORRUPTION', `snapshot: ${message}`);
}

function isNonNegativeInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

export interface SnapshotCounts {
  orders: number;
  levels: number;
}

/**
 * Checks a snapshot body completely (counts against the length, every value's kind, levels
 * strictly best first, books uncrossed, ids unique and below nextOrderId) and counts what it
 * holds, so a core can size itself once and rebuild without a failure half way. Both cores call
 * it before touching their state. Throws CORRUPTION naming the place and the value, and
 * INVALID_ARGUMENT when a sound snapshot holds more than the engine's limits allow.
 */
export function checkSnapshot(slots: Float64Array, maxOrders = Infinity, maxLevels = Infinity): SnapshotCounts {
  const end = slots.length;
  const nextOrderId = slots[1];
  const bookCount = slots[2];
  if (!(isNonNegativeInteger(nextOrderId) && nextOrderId >= 1)) corruptValue('nextOrderId', nextOrderId, 'a positive safe integer');
  if (!isNonNegativeInteger(bookCount)) corruptValue('bookCount', bookCount, 'a non-negative safe integer');
  if (SNAPSHOT_HEADER_SLOTS + bookCount * SNAPSHOT_BOOK_SLOTS > end) {
    throw corrupt(`bookCount ${bookCount} does not fit in ${end} slots`);
  }
  let p = SNAPSHOT_HEADER_SLOTS;
  let orderTotal = 0;
  let levelTotal = 0;
  let previousAsset = -1;
  for (let b = 0; b < bookCount; b++) {
    if (p + SNAPSHOT_BOOK_SLOTS > end) throw corrupt(`book ${b} is cut off at slot ${p} of ${end}`);
    const asset = slots[p];
    const where = `book ${b} (asset ${asset})`;
    if (!isNonNegativeInteger(asset)) corruptValue(`book ${b} asset`, asset, 'a non-negative safe integer');
    if (asset <= previousAsset) throw corrupt(`${where} is not after asset ${previousAsset}: books must be in ascending asset order`);
    previousAsset = asset;
    const depths = [slots[p + 1], slots[p + 2]];
    for (let side = 0; side < 2; side++) {
      if (!isNonNegativeInteger(depths[side])) corruptValue(`${where} ${SIDE_NAMES[side]} level count`, depths[side], 'a non-negative safe integer');
    }
    if (depths[0] + depths[1] === 0) throw corrupt(`${where} has no levels (empty books are not listed)`);
    p += SNAPSHOT_BOOK_SLOTS;
    let bestBid = 0;
    for (let side = 0; side < 2; side++) {
      const depth = depths[side];
      if (p + depth * SNAPSHOT_LEVEL_SLOTS > end) throw corrupt(`${where} claims ${depth} ${SIDE_NAMES[side]} levels, more than fit`);
      let previousPrice = 0;
      for (let l = 0; l < depth; l++) {
        if (p + SNAPSHOT_LEVEL_SLOTS > end) throw corrupt(`${where} ${SIDE_NAMES[side]} level ${l} is cut off`);
        const price = slots[p];
        const count = slots[p + 1];
        const level = `${where} ${SIDE_NAMES[side]} level ${l}`;
        if (!(isNonNegativeInteger(price) && price > 0)) corruptValue(`${level} price`, price, 'a positive safe integer');
        if (!(isNonNegativeInteger(count) && count > 0)) corruptValue(`${level} order count`, count, 'a positive safe integer');
        if (l > 0 && (side === SideCode.BID ? price >= previousPrice : price <= previousPrice)) {
          throw corrupt(`${level} price ${price} is not ${side === SideCode.BID ? 'below' : 'above'} the previous level's ${previousPrice}: levels must be best first`);
        }
        if (side === SideCode.BID && l === 0) bestBid = price;
        if (side === SideCode.ASK && l === 0 && depths[0] > 0 && price <= bestBid) {
          throw corrupt(`${where} best ask ${price} is not above best bid ${bestBid}`);
        }
        previousPrice = price;
        p += SNAPSHOT_LEVEL_SLOTS;
        if (p + count * SNAPSHOT_ORDER_SLOTS > end) throw corrupt(`${level} claims ${count} orders, more than fit in the snapshot`);
        for (let k = 0; k < count; k++, p += SNAPSHOT_ORDER_SLOTS) checkOrder(slots, p, nextOrderId, `${level} order ${k}`);
        orderTotal += count;
      }
      levelTotal += depth;
    }
  }
  if (p !== end) throw corrupt(`${end - p} slots left over after the last book: the counts do not match the length`);
  checkUniqueIds(slots, orderTotal);
  if (orderTotal > maxOrders || levelTotal > maxLevels) {
    // Not damage: the snapshot is sound, this engine was configured too small to hold it.
    throw new LobError('INVALID_ARGUMENT', `snapshot holds ${orderTotal} orders in ${levelTotal} levels, beyond this engine's maxOrders ${maxOrders} / maxLevels ${maxLevels}`);
  }
  return { orders: orderTotal, levels: levelTotal };
}

function checkOrder(slots: Float64Array, p: number, nextOrderId: number, where: string): void {
  const id = slots[p];
  if (!(isNonNegativeInteger(id) && id > 0)) corruptValue(`${where} id`, id, 'a positive safe integer');
  if (id >= nextOrderId) throw corrupt(`${where} id ${id} is not below nextOrderId ${nextOrderId}`);
  if (!isNonNegativeInteger(slots[p + 1])) corruptValue(`${where} (id ${id}) trader`, slots[p + 1], 'a non-negative safe integer');
  const remaining = slots[p + 2];
  if (!(isNonNegativeInteger(remaining) && remaining > 0)) corruptValue(`${where} (id ${id}) remaining`, remaining, 'a positive safe integer');
  if (!isNonNegativeInteger(slots[p + 3])) corruptValue(`${where} (id ${id}) timestamp`, slots[p + 3], 'a non-negative safe integer');
  const stp = slots[p + 4];
  if (!(isNonNegativeInteger(stp) && stp <= StpCode.CANCEL_BOTH)) corruptValue(`${where} (id ${id}) stp`, stp, 'a code 0..3');
}

function corruptValue(field: string, value: number, expected: string): never {
  throw corrupt(`${field} is ${value}, expected ${expected}`);
}

/**
 * Finds a repeated order id. Ids are below nextOrderId, so when that bound is within a small
 * multiple of the order count a bitmap does it in one pass (a million orders: ~15 ms); ids spread
 * far wider are sorted instead (~120 ms for a million). A Set of a million takes longer than both.
 */
function checkUniqueIds(slots: Float64Array, orderTotal: number): void {
  const nextOrderId = slots[1];
  const useBitmap = nextOrderId <= 64 * Math.max(orderTotal, 65_536) && nextOrderId <= 2 ** 32;
  const seen = useBitmap ? new Uint32Array(Math.ceil(nextOrderId / 32)) : null;
  const ids = useBitmap ? null : new Float64Array(orderTotal);
  let k = 0;
  const bookCount = slots[2];
  let p = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    const levelCount = slots[p + 1] + slots[p + 2];
    p += SNAPSHOT_BOOK_SLOTS;
    for (let l = 0; l < levelCount; l++) {
      const count = slots[p + 1];
      p += SNAPSHOT_LEVEL_SLOTS;
      for (let o = 0; o < count; o++, p += SNAPSHOT_ORDER_SLOTS) {
        const id = slots[p];
        if (seen === null) {
          (ids as Float64Array)[k++] = id;
          continue;
        }
        const word = id >>> 5;
        const bit = 1 << (id & 31);
        if ((seen[word] & bit) !== 0) throw corrupt(`order id ${id} appears more than once`);
        seen[word] |= bit;
      }
    }
  }
  if (ids === null) return;
  ids.sort();
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] === ids[i - 1]) throw corrupt(`order id ${ids[i]} appears more than once`);
  }
}
