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
import { SideCode, StpCode, TifCode } from './codes.js';

const SIDE_NAMES = ['bid', 'ask'];
const STOP_SIDE_NAMES = ['buy stop', 'sell stop'];

export const SNAPSHOT_MAGIC = [0x4c, 0x4f, 0x42, 0x53, 0x4e, 0x41, 0x50]; // "LOBSNAP"
export const SNAPSHOT_VERSION = 2;
export const SNAPSHOT_HEADER_SLOTS = 3; // magic+version word, nextOrderId, bookCount
export const SNAPSHOT_BOOK_SLOTS = 6;
export const SNAPSHOT_LEVEL_SLOTS = 2;
export const SNAPSHOT_ORDER_SLOTS = 5;
export const SNAPSHOT_STOP_SLOTS = 8;
/** flags: stp in the low bits, then this, then a stop's time in force. */
export const SNAPSHOT_OCO_LEG = 4;
const TIF_SHIFT = 3;

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
    let end = from;
    for (let l = 0; l < levels && end + SNAPSHOT_LEVEL_SLOTS <= v1.length; l++) end += SNAPSHOT_LEVEL_SLOTS + v1[end + 1] * SNAPSHOT_ORDER_SLOTS;
    if (!(end <= v1.length)) throw corrupt(`book ${b} claims more levels and orders than fit in the snapshot`);
    v2.set(v1.subarray(from, end), to);
    to += end - from;
    from = end;
  }
  if (from !== v1.length) throw corrupt(`${v1.length - from} slots left over after the last book: the counts do not match the length`);
  return v2;
}

function corrupt(message: string): LobError {
  return new LobError('CORRUPTION', `snapshot: ${message}`);
}

function isNonNegativeInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
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

export interface SnapshotCounts {
  /** Resting orders. */
  orders: number;
  levels: number;
  /** Pending stops. */
  stops: number;
}

/** An OCO leg seen while checking: its book, side and whether it is the resting (limit) leg. */
interface OcoLeg {
  book: number;
  side: number;
  resting: boolean;
}

/**
 * Checks a snapshot body completely (counts against the length, every value's kind, levels
 * strictly best first, books uncrossed, stops in trigger order and not already triggered by the
 * book's last price, OCO legs in pairs, ids unique and below nextOrderId) and counts what it
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
  let stopTotal = 0;
  let previousAsset = -1;
  const ocoLegs = new Map<number, OcoLeg>();
  for (let b = 0; b < bookCount; b++) {
    if (p + SNAPSHOT_BOOK_SLOTS > end) throw corrupt(`book ${b} is cut off at slot ${p} of ${end}`);
    const asset = slots[p];
    const where = `book ${b} (asset ${asset})`;
    if (!isNonNegativeInteger(asset)) corruptValue(`book ${b} asset`, asset, 'a non-negative safe integer');
    if (asset <= previousAsset) throw corrupt(`${where} is not after asset ${previousAsset}: books must be in ascending asset order`);
    previousAsset = asset;
    const lastPrice = slots[p + 1];
    if (!isNonNegativeInteger(lastPrice)) corruptValue(`${where} last price`, lastPrice, 'a non-negative safe integer (0: none)');
    const depths = [slots[p + 2], slots[p + 3]];
    const stopCounts = [slots[p + 4], slots[p + 5]];
    for (let side = 0; side < 2; side++) {
      if (!isNonNegativeInteger(depths[side])) corruptValue(`${where} ${SIDE_NAMES[side]} level count`, depths[side], 'a non-negative safe integer');
      if (!isNonNegativeInteger(stopCounts[side])) corruptValue(`${where} ${STOP_SIDE_NAMES[side]} count`, stopCounts[side], 'a non-negative safe integer');
    }
    if (depths[0] + depths[1] + stopCounts[0] + stopCounts[1] === 0 && lastPrice === 0) {
      throw corrupt(`${where} has no levels, no stops and no last price (books without state are not listed)`);
    }
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
        // Named only on a failure (see checkOrder).
        const level = (): string => `${where} ${SIDE_NAMES[side]} level ${l}`;
        if (!(isNonNegativeInteger(price) && price > 0)) corruptValue(`${level()} price`, price, 'a positive safe integer');
        if (!(isNonNegativeInteger(count) && count > 0)) corruptValue(`${level()} order count`, count, 'a positive safe integer');
        if (l > 0 && (side === SideCode.BID ? price >= previousPrice : price <= previousPrice)) {
          throw corrupt(`${level()} price ${price} is not ${side === SideCode.BID ? 'below' : 'above'} the previous level's ${previousPrice}: levels must be best first`);
        }
        if (side === SideCode.BID && l === 0) bestBid = price;
        if (side === SideCode.ASK && l === 0 && depths[0] > 0 && price <= bestBid) {
          throw corrupt(`${where} best ask ${price} is not above best bid ${bestBid}`);
        }
        previousPrice = price;
        p += SNAPSHOT_LEVEL_SLOTS;
        if (p + count * SNAPSHOT_ORDER_SLOTS > end) throw corrupt(`${level()} claims ${count} orders, more than fit in the snapshot`);
        const unsound = firstUnsoundOrder(slots, p, count, nextOrderId);
        if (unsound >= 0) failOrder(slots, p + unsound * SNAPSHOT_ORDER_SLOTS, nextOrderId, `${level()} order ${unsound}`);
        noteOcoLegs(slots, p, count, ocoLegs, b, side);
        p += count * SNAPSHOT_ORDER_SLOTS;
        orderTotal += count;
      }
      levelTotal += depth;
    }
    for (let side = 0; side < 2; side++) {
      const count = stopCounts[side];
      const list = `${where} ${STOP_SIDE_NAMES[side]}s`;
      if (p + count * SNAPSHOT_STOP_SLOTS > end) throw corrupt(`${list} claim ${count} stops, more than fit in the snapshot`);
      for (let k = 0; k < count; k++, p += SNAPSHOT_STOP_SLOTS) {
        const stop = (): string => `${list} ${k}`;
        checkStop(slots, p, nextOrderId, side, lastPrice, stop);
        if (k > 0 && !triggersAfter(side, slots[p - SNAPSHOT_STOP_SLOTS + 5], slots[p - SNAPSHOT_STOP_SLOTS], slots[p + 5], slots[p])) {
          throw corrupt(`${stop()} (id ${slots[p]}) is not after the stop before it: stops must be in trigger order`);
        }
        if ((slots[p + 4] & SNAPSHOT_OCO_LEG) !== 0) ocoLegs.set(slots[p], { book: b, side, resting: false });
      }
      stopTotal += count;
    }
  }
  if (p !== end) throw corrupt(`${end - p} slots left over after the last book: the counts do not match the length`);
  checkOcoPairs(ocoLegs);
  checkUniqueIds(slots, orderTotal + stopTotal);
  if (orderTotal + stopTotal > maxOrders || levelTotal > maxLevels) {
    // Not damage: the snapshot is sound, this engine was configured too small to hold it.
    throw new LobError('INVALID_ARGUMENT', `snapshot holds ${orderTotal} resting orders and ${stopTotal} pending stops in ${levelTotal} levels, beyond this engine's maxOrders ${maxOrders} / maxLevels ${maxLevels}`);
  }
  return { orders: orderTotal, levels: levelTotal, stops: stopTotal };
}

/** Whether a stop (stop price, id) comes after the one before it in its side's trigger order. */
function triggersAfter(side: number, previousStop: number, previousId: number, stop: number, id: number): boolean {
  if (stop === previousStop) return id > previousId;
  return side === SideCode.BID ? stop > previousStop : stop < previousStop;
}

/** Every OCO leg has its other leg: the limit leg N resting, the stop leg N + 1 pending, in one book and side. */
function checkOcoPairs(legs: Map<number, OcoLeg>): void {
  for (const [id, leg] of legs) {
    const otherId = leg.resting ? id + 1 : id - 1;
    const other = legs.get(otherId);
    if (other === undefined || other.resting === leg.resting || other.book !== leg.book || other.side !== leg.side) {
      throw corrupt(`OCO ${leg.resting ? 'limit' : 'stop'} leg ${id} has no ${leg.resting ? 'pending stop' : 'resting limit'} leg ${otherId} beside it`);
    }
  }
}

/**
 * The index of the first of a level's `count` orders (from slot p) that is not sound, or -1. Its
 * own small function, and nothing named unless one fails: a recovery checks a million orders once,
 * and V8 optimises a function called once per level long before it would the whole check's loop
 * (cold, the check of a 1M-order snapshot took 83-130 ms, warm 23-35 ms); a place named for every
 * order, as a string, had cost as much again.
 */
function firstUnsoundOrder(slots: Float64Array, p: number, count: number, nextOrderId: number): number {
  for (let k = 0; k < count; k++, p += SNAPSHOT_ORDER_SLOTS) {
    const id = slots[p];
    const flags = slots[p + 4];
    // nextOrderId is a safe integer, so an integer id in [1, nextOrderId) is one too.
    const sound = id >= 1 && id < nextOrderId && Math.floor(id) === id && isCount(slots[p + 1]) && slots[p + 2] >= 1
      && isCount(slots[p + 2]) && isCount(slots[p + 3]) && isCount(flags) && flags < 2 ** TIF_SHIFT;
    if (!sound) return k;
  }
  return -1;
}

/** Notes the OCO limit legs among a level's orders (small and on its own for the reason firstUnsoundOrder is). */
function noteOcoLegs(slots: Float64Array, p: number, count: number, legs: Map<number, OcoLeg>, book: number, side: number): void {
  for (let k = 0; k < count; k++, p += SNAPSHOT_ORDER_SLOTS) {
    if ((slots[p + 4] & SNAPSHOT_OCO_LEG) !== 0) legs.set(slots[p], { book, side, resting: true });
  }
}

/** A non-negative safe integer (NaN fails the first comparison). */
function isCount(value: number): boolean {
  return value >= 0 && value <= Number.MAX_SAFE_INTEGER && Math.floor(value) === value;
}

/** Says what is wrong with an order firstUnsoundOrder found unsound. */
function failOrder(slots: Float64Array, p: number, nextOrderId: number, where: string): never {
  const id = slots[p];
  if (!(isNonNegativeInteger(id) && id > 0)) corruptValue(`${where} id`, id, 'a positive safe integer');
  if (id >= nextOrderId) throw corrupt(`${where} id ${id} is not below nextOrderId ${nextOrderId}`);
  if (!isNonNegativeInteger(slots[p + 1])) corruptValue(`${where} (id ${id}) trader`, slots[p + 1], 'a non-negative safe integer');
  const remaining = slots[p + 2];
  if (!(isNonNegativeInteger(remaining) && remaining > 0)) corruptValue(`${where} (id ${id}) remaining`, remaining, 'a positive safe integer');
  if (!isNonNegativeInteger(slots[p + 3])) corruptValue(`${where} (id ${id}) timestamp`, slots[p + 3], 'a non-negative safe integer');
  corruptValue(`${where} (id ${id}) flags`, slots[p + 4], 'stp 0..3 | OCO_LEG 4');
}

function checkStop(slots: Float64Array, p: number, nextOrderId: number, side: number, lastPrice: number, where: () => string): void {
  const id = slots[p];
  if (!(isNonNegativeInteger(id) && id > 0)) corruptValue(`${where()} id`, id, 'a positive safe integer');
  if (id >= nextOrderId) throw corrupt(`${where()} id ${id} is not below nextOrderId ${nextOrderId}`);
  if (!isNonNegativeInteger(slots[p + 1])) corruptValue(`${where()} (id ${id}) trader`, slots[p + 1], 'a non-negative safe integer');
  const size = slots[p + 2];
  if (!(isNonNegativeInteger(size) && size > 0)) corruptValue(`${where()} (id ${id}) size`, size, 'a positive safe integer');
  if (!isNonNegativeInteger(slots[p + 3])) corruptValue(`${where()} (id ${id}) timestamp`, slots[p + 3], 'a non-negative safe integer');
  const flags = slots[p + 4];
  const price = slots[p + 6];
  const protectionPrice = slots[p + 7];
  if (!(isNonNegativeInteger(flags) && (flags & 3) <= StpCode.CANCEL_BOTH && flags >> TIF_SHIFT <= TifCode.POST_ONLY)) {
    corruptValue(`${where()} (id ${id}) flags`, flags, 'stp 0..3 | OCO_LEG 4 | timeInForce 0..3 << 3');
  }
  const stop = slots[p + 5];
  if (!(isNonNegativeInteger(stop) && stop > 0)) corruptValue(`${where()} (id ${id}) stop price`, stop, 'a positive safe integer');
  if (!isNonNegativeInteger(price)) corruptValue(`${where()} (id ${id}) price`, price, 'a non-negative safe integer (0: a stop-market)');
  if (!isNonNegativeInteger(protectionPrice)) corruptValue(`${where()} (id ${id}) protection price`, protectionPrice, 'a non-negative safe integer');
  if (price !== 0 && protectionPrice !== 0) throw corrupt(`${where()} (id ${id}) is a stop-limit with a protection price`);
  if (price === 0 && flags >> TIF_SHIFT !== 0) throw corrupt(`${where()} (id ${id}) is a stop-market with a time in force`);
  if (lastPrice !== 0 && (side === SideCode.BID ? lastPrice >= stop : lastPrice <= stop)) {
    throw corrupt(`${where()} (id ${id}) at stop price ${stop} should have triggered at the last price ${lastPrice}`);
  }
}

function corruptValue(field: string, value: number, expected: string): never {
  throw corrupt(`${field} is ${value}, expected ${expected}`);
}

/**
 * Finds a repeated order id. Ids are below nextOrderId, so when that bound is within a small
 * multiple of the order count a bitmap does it in one pass (a million orders: ~15 ms); ids spread
 * far wider are sorted instead (~120 ms for a million). A Set of a million takes longer than both.
 * Each level's and stop list's ids are taken by a small function of their own (see firstUnsoundOrder).
 */
function checkUniqueIds(slots: Float64Array, orderTotal: number): void {
  const nextOrderId = slots[1];
  const useBitmap = nextOrderId <= 64 * Math.max(orderTotal, 65_536) && nextOrderId <= 2 ** 32;
  const seen = useBitmap ? new Uint32Array(Math.ceil(nextOrderId / 32)) : null;
  const ids = useBitmap ? null : new Float64Array(orderTotal);
  let k = 0;
  const take = (p: number, count: number, stride: number): void => {
    if (seen === null) {
      k = copyIds(slots, p, count, stride, ids!, k);
      return;
    }
    const repeated = markIds(slots, p, count, stride, seen);
    if (repeated >= 0) throw corrupt(`order id ${repeated} appears more than once`);
  };
  const bookCount = slots[2];
  let p = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    const levelCount = slots[p + 2] + slots[p + 3];
    const stopCount = slots[p + 4] + slots[p + 5];
    p += SNAPSHOT_BOOK_SLOTS;
    for (let l = 0; l < levelCount; l++) {
      const count = slots[p + 1];
      p += SNAPSHOT_LEVEL_SLOTS;
      take(p, count, SNAPSHOT_ORDER_SLOTS);
      p += count * SNAPSHOT_ORDER_SLOTS;
    }
    take(p, stopCount, SNAPSHOT_STOP_SLOTS);
    p += stopCount * SNAPSHOT_STOP_SLOTS;
  }
  if (ids === null) return;
  ids.sort();
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] === ids[i - 1]) throw corrupt(`order id ${ids[i]} appears more than once`);
  }
}

/** Sets the bits of `count` ids (every `stride` slots from p); returns the first already set, or -1. */
function markIds(slots: Float64Array, p: number, count: number, stride: number, seen: Uint32Array): number {
  for (let i = 0; i < count; i++, p += stride) {
    const id = slots[p];
    const word = id >>> 5;
    const bit = 1 << (id & 31);
    if ((seen[word] & bit) !== 0) return id;
    seen[word] |= bit;
  }
  return -1;
}

function copyIds(slots: Float64Array, p: number, count: number, stride: number, into: Float64Array, k: number): number {
  for (let i = 0; i < count; i++, p += stride) into[k++] = slots[p];
  return k;
}
