// Price levels and the per-side ladder that orders them.
//
// Level record (32 bytes, pooled):
//   0 price f64 | 8 total f64 (sum of remaining) | 16 head u32 | 20 tail u32 | 24 count u32 | 28 side u32
//
// A side is a sorted array of level keys (f64) with a parallel array of level pointers, kept
// so that the BEST LEVEL IS AT THE END: key = price for bids, -price for asks, ascending.
// Why this and not a tree or a tick-indexed array: any price 1..2^53-1 must work (no tick
// window), the touch is where nearly all flow lands, and there the array is O(1): best price
// is the last element, a new best is an append, an emptied best is a pop. Deeper inserts and
// removals binary-search (keys are 8-byte contiguous floats: cache-friendly) and shift the
// worse-priced tail with one memory.copy; at 100,000 levels that is a 1.2 MB move for an
// order deep behind the touch, against a tree's pointer chase on every touch update.
//
// Finding the level of a price (every resting order needs it) does not search the ladder: one
// hash map over all levels of all books, keyed by (side, price), answers in one probe. It is
// open addressing over 4-byte level pointers (the key read from the level record), linear
// probing, at most half full, backward-shift deletion; about 8 bytes per level.
import { alloc, free } from './allocator';
import { newSlotTable, moveEntries } from './slot-table';
import { poolReset, poolReserve, poolTake, poolGive, POOL_DESCRIPTOR_BYTES } from './pool';
import { SIDE_BID } from './codes';

export const LEVEL_BYTES: u32 = 32;
const levelPool: usize = memory.data(POOL_DESCRIPTOR_BYTES, 8);

// Side struct, embedded in the book record (books.ts).
export const SIDE_BYTES: usize = 24;
@inline export function sideKeys(s: usize): usize { return <usize>load<u32>(s, 0); }
@inline export function sideLevels(s: usize): usize { return <usize>load<u32>(s, 4); }
@inline export function sideLength(s: usize): u32 { return load<u32>(s, 8); }
@inline function setSideLength(s: usize, v: u32): void { store<u32>(s, v, 8); }
@inline function sideCapacity(s: usize): u32 { return load<u32>(s, 12); }
@inline export function sideOrders(s: usize): u32 { return load<u32>(s, 16); }
@inline export function addSideOrders(s: usize, delta: i32): void { store<u32>(s, load<u32>(s, 16) + delta, 16); }
@inline export function sideCode(s: usize): u32 { return load<u32>(s, 20); }

export function initSide(s: usize, code: u32): void {
  memory.fill(s, 0, SIDE_BYTES);
  store<u32>(s, code, 20);
}

@inline export function levelPrice(l: usize): f64 { return load<f64>(l, 0); }
@inline export function levelTotal(l: usize): f64 { return load<f64>(l, 8); }
@inline export function setLevelTotal(l: usize, v: f64): void { store<f64>(l, v, 8); }
@inline export function levelHead(l: usize): usize { return <usize>load<u32>(l, 16); }
@inline export function setLevelHead(l: usize, v: usize): void { store<u32>(l, <u32>v, 16); }
@inline export function levelTail(l: usize): usize { return <usize>load<u32>(l, 20); }
@inline export function setLevelTail(l: usize, v: usize): void { store<u32>(l, <u32>v, 20); }
@inline export function levelCount(l: usize): u32 { return load<u32>(l, 24); }
@inline export function setLevelCount(l: usize, v: u32): void { store<u32>(l, v, 24); }
@inline export function levelSide(l: usize): usize { return <usize>load<u32>(l, 28); }

/** The sort key of a price on a side: larger is better. */
@inline export function keyOf(sideCodeValue: u32, price: f64): f64 {
  return sideCodeValue == SIDE_BID ? price : -price;
}

let levelSlots: usize = 0;
let levelSlotBits: u32 = 0;
let levelSlotMask: u32 = 0;
let hashedLevels: u32 = 0;

export function resetLevels(): void {
  poolReset(levelPool, LEVEL_BYTES);
  levelSlots = 0;
  levelSlotBits = 0;
  levelSlotMask = 0;
  hashedLevels = 0;
}

@inline function levelHome(s: usize, price: f64): u32 {
  return <u32>(((reinterpret<u64>(price) + <u64>s) * 0x9E3779B97F4A7C15) >> (64 - <u64>levelSlotBits));
}
@inline function levelSlot(i: u32): usize {
  return levelSlots + (<usize>i << 2);
}

/** Room in the level map for one more level; false (nothing changed) when memory cannot grow. */
@inline function reserveLevelSlot(): bool {
  return (hashedLevels + 1) * 2 <= levelSlotMask + 1 && levelSlots != 0 || growLevelSlots();
}

function growLevelSlots(): bool {
  const bits = levelSlotBits == 0 ? <u32>4 : levelSlotBits + 1;
  const table = newSlotTable(bits);
  if (table == 0) return false;
  const old = levelSlots;
  const oldCapacity: usize = old == 0 ? 0 : <usize>levelSlotMask + 1;
  levelSlots = table;
  levelSlotBits = bits;
  levelSlotMask = (<u32>1 << bits) - 1;
  moveEntries(old, oldCapacity, (level: u32): void => hashLevel(<usize>level));
  return true;
}

function hashLevel(level: usize): void {
  let i = levelHome(levelSide(level), levelPrice(level));
  while (load<u32>(levelSlot(i)) != 0) i = (i + 1) & levelSlotMask;
  store<u32>(levelSlot(i), <u32>level);
}

function unhashLevel(level: usize): void {
  let i = levelHome(levelSide(level), levelPrice(level));
  while (<usize>load<u32>(levelSlot(i)) != level) i = (i + 1) & levelSlotMask;
  // Backward-shift deletion: pull back every later entry of the run whose home is not in (i, j].
  let j = i;
  while (true) {
    j = (j + 1) & levelSlotMask;
    const other = <usize>load<u32>(levelSlot(j));
    if (other == 0) break;
    const k = levelHome(levelSide(other), levelPrice(other));
    if (((j - k) & levelSlotMask) >= ((j - i) & levelSlotMask)) {
      store<u32>(levelSlot(i), <u32>other);
      i = j;
    }
  }
  store<u32>(levelSlot(i), 0);
  hashedLevels--;
}

/** The best level, or 0 for an empty side. */
@inline export function bestLevel(s: usize): usize {
  const n = sideLength(s);
  return n == 0 ? 0 : <usize>load<u32>(sideLevels(s) + ((<usize>n - 1) << 2));
}

/** The best key, or -Infinity for an empty side. */
@inline export function bestKey(s: usize): f64 {
  const n = sideLength(s);
  return n == 0 ? -Infinity : load<f64>(sideKeys(s) + ((<usize>n - 1) << 3));
}

/**
 * Index of the first key >= key (n when all are smaller). The touch is checked first (a new
 * best, or the best itself, is most of the flow); the rest is a branchless binary search, whose
 * `select`s compile to conditional moves: no mispredicted branches whatever the depth.
 */
function lowerBound(s: usize, key: f64): u32 {
  const keys = sideKeys(s);
  const n = sideLength(s);
  if (n == 0 || load<f64>(keys + ((<usize>n - 1) << 3)) < key) return n;
  let base: u32 = 0;
  let size = n;
  while (size > 1) {
    const half = size >> 1;
    base = select<u32>(base + half, base, load<f64>(keys + ((<usize>base + half - 1) << 3)) < key);
    size -= half;
  }
  return select<u32>(base + 1, base, load<f64>(keys + (<usize>base << 3)) < key);
}

/** The level at this price on the side, or 0. */
@inline export function findLevel(s: usize, price: f64): usize {
  if (levelSlots == 0) return 0;
  let i = levelHome(s, price);
  while (true) {
    const level = <usize>load<u32>(levelSlot(i));
    if (level == 0 || (levelPrice(level) == price && levelSide(level) == s)) return level;
    i = (i + 1) & levelSlotMask;
  }
}

/** Makes sure addLevel on this side needs no memory; false (nothing changed) when it cannot grow. */
export function reserveLevel(s: usize): bool {
  if (!poolReserve(levelPool) || !reserveLevelSlot()) return false;
  const n = sideLength(s);
  const capacity = sideCapacity(s);
  if (n < capacity) return true;
  return growSide(s, capacity == 0 ? 4 : capacity * 2);
}

/** Grows a side's arrays to hold at least `wanted` levels. */
export function growSide(s: usize, wanted: u32): bool {
  const capacity = sideCapacity(s);
  if (wanted <= capacity) return true;
  const keys = alloc(<usize>wanted << 3);
  if (keys == 0) return false;
  const levels = alloc(<usize>wanted << 2);
  if (levels == 0) {
    free(keys, <usize>wanted << 3);
    return false;
  }
  const n = <usize>sideLength(s);
  if (capacity != 0) {
    memory.copy(keys, sideKeys(s), n << 3);
    memory.copy(levels, sideLevels(s), n << 2);
    free(sideKeys(s), <usize>capacity << 3);
    free(sideLevels(s), <usize>capacity << 2);
  }
  store<u32>(s, <u32>keys, 0);
  store<u32>(s, <u32>levels, 4);
  store<u32>(s, wanted, 12);
  return true;
}

/** An empty level record of side `s` at `price`, from the pool (reserved beforehand). */
@inline function takeLevel(s: usize, price: f64): usize {
  const level = poolTake(levelPool);
  store<f64>(level, price, 0);
  store<f64>(level, 0, 8);
  store<u32>(level, 0, 16);
  store<u32>(level, 0, 20);
  store<u32>(level, 0, 24);
  store<u32>(level, <u32>s, 28);
  return level;
}

/** A new empty level at `price`, inserted in order; only after reserveLevel(s). */
export function addLevel(s: usize, price: f64): usize {
  const level = takeLevel(s, price);
  const key = keyOf(sideCode(s), price);
  const n = sideLength(s);
  const i = lowerBound(s, key);
  const keys = sideKeys(s);
  const levels = sideLevels(s);
  if (i < n) {
    memory.copy(keys + ((<usize>i + 1) << 3), keys + (<usize>i << 3), <usize>(n - i) << 3);
    memory.copy(levels + ((<usize>i + 1) << 2), levels + (<usize>i << 2), <usize>(n - i) << 2);
  }
  store<f64>(keys + (<usize>i << 3), key);
  store<u32>(levels + (<usize>i << 2), <u32>level);
  setSideLength(s, n + 1);
  hashLevel(level);
  hashedLevels++;
  return level;
}

/** Takes an emptied level off its side and back to the pool. */
export function removeLevel(level: usize): void {
  const s = levelSide(level);
  const n = sideLength(s);
  const levels = sideLevels(s);
  if (<usize>load<u32>(levels + ((<usize>n - 1) << 2)) != level) {
    const keys = sideKeys(s);
    const i = lowerBound(s, keyOf(sideCode(s), levelPrice(level)));
    memory.copy(keys + (<usize>i << 3), keys + ((<usize>i + 1) << 3), <usize>(n - 1 - i) << 3);
    memory.copy(levels + (<usize>i << 2), levels + ((<usize>i + 1) << 2), <usize>(n - 1 - i) << 2);
  }
  setSideLength(s, n - 1);
  unhashLevel(level);
  poolGive(levelPool, level);
}

/** For restore: a fresh level at a known position i of a side already sized to hold it. */
export function placeLevelAt(s: usize, i: u32, price: f64): usize {
  const level = takeLevel(s, price);
  store<f64>(sideKeys(s) + (<usize>i << 3), keyOf(sideCode(s), price));
  store<u32>(sideLevels(s) + (<usize>i << 2), <u32>level);
  hashLevel(level);
  hashedLevels++;
  return level;
}
/** For restore: room for one more level record (and its map entry). */
@inline export function reserveLevelRecord(): bool {
  return poolReserve(levelPool) && reserveLevelSlot();
}
export function setSideLengthForRestore(s: usize, n: u32): void {
  setSideLength(s, n);
}
