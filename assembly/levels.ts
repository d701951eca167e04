// Price levels, and the sides of a book that order them.
//
// Level record (40 bytes, pooled):
//   0 price f64 | 8 total f64 (sum of remaining) | 16 head u32 | 20 tail u32 | 24 count u32 | 28 side u32
//   32 the ladder's leaf holding the level (ladder.ts VALUE_LEAF, kept by the ladder)
//   36 its place in `parked` + 1 while parked, else 0
//
// Side struct (embedded in the book record, books.ts):
//   0 ladder header (ladder.ts: key -> level, best first) | 32 orders u32 | 36 side code u32
//   40 touch key f64 (-Infinity when none) | 48 touch level u32 (0 when none) | 52 levels u32
// A level's key is its price for bids and -price for asks, so on either side a larger key is a
// better price. The touch is the best level with orders: the ladder's best entry may be parked.
//
// A level emptied at the touch is parked, not removed: it keeps its record, its ladder entry and
// its map slot, with no orders (count 0), and an order arriving at its price takes it back
// (addLevel) with no ladder insert and no hashing. A sweep empties the levels at the touch and
// the flow after it usually refills the same prices (docs/levels.md). Nothing outside this file
// sees a parked level: findLevel does not find it, the walks skip it, the side's touch and
// length count only levels with orders. At most PARKED_LEVELS are parked over all books; the
// oldest goes when one more comes, removed as any other level. Parking pays only where prices
// come back, so it runs on credit (parkingCredit), as in the JS core (whose file says why): each
// level parked takes one, each taken back gives CREDIT_TAKEN_BACK; at none every parked level is
// removed and parking stops, an emptied touch is removed as before and its price noted in a small
// filter, and a new level at a noted price gives the credit back.
//
// Finding the level of a price (every resting order needs it) does not search the ladder: one
// hash map over all levels of all books, keyed by (side, price), answers in one probe, where the
// ladder costs a search from the touch (on the steady benchmark half the commands look a level
// up, and one lookup in four lands beyond the rightmost leaf). It is open addressing over 4-byte
// level pointers (the key read from the level record), linear probing, at most a quarter full,
// backward-shift deletion; 16 to 32 bytes per level. A probe or a deletion reads the level record
// of every entry it passes, a cache miss on a sparse book: kept at most half full, the map left
// the WASM core alone 3% slower on `wide` (and 5% on LOBSTER and many-assets), the JS core 5%;
// at most 5/8 full it was 12% slower still on `wide` (docs/levels.md).
import { poolReset, poolReserve, poolTake, poolGive, POOL_DESCRIPTOR_BYTES } from './pool';
import {
  LADDER_BYTES, beginLadderBuild, buildNextWorse, endLadderBuild, initLadder, ladderBest, ladderBestKey,
  ladderInsert, ladderRemove, positionOf, reserveLadderNodes, resetLadders, valueAt, keyAt, VALUE_LEAF,
  NO_POSITION, bestPosition as ladderBestPosition, worsePosition as ladderWorsePosition,
} from './ladder';
import { newSlotTable, moveEntries } from './slot-table';
import { SIDE_BID } from './codes';

export const LEVEL_BYTES: u32 = <u32>VALUE_LEAF + 8;
const levelPool: usize = memory.data(POOL_DESCRIPTOR_BYTES, 8);

export const SIDE_BYTES: usize = LADDER_BYTES + 24;
const ORDERS: usize = LADDER_BYTES;
const CODE: usize = LADDER_BYTES + 4;
const TOUCH_KEY: usize = LADDER_BYTES + 8;
const TOUCH: usize = LADDER_BYTES + 16;
const LEVELS: usize = LADDER_BYTES + 20;
/** Levels with orders on the side. */
@inline export function sideLength(s: usize): u32 { return load<u32>(s, LEVELS); }
@inline export function sideOrders(s: usize): u32 { return load<u32>(s, ORDERS); }
@inline export function addSideOrders(s: usize, delta: i32): void { store<u32>(s, load<u32>(s, ORDERS) + delta, ORDERS); }
@inline export function sideCode(s: usize): u32 { return load<u32>(s, CODE); }

export function initSide(s: usize, code: u32): void {
  initLadder(s);
  store<u32>(s, 0, ORDERS);
  store<u32>(s, code, CODE);
  setTouch(s, 0, -Infinity);
  store<u32>(s, 0, LEVELS);
}

@inline function setTouch(s: usize, level: usize, key: f64): void {
  store<f64>(s, key, TOUCH_KEY);
  store<u32>(s, <u32>level, TOUCH);
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
const PARKED_AT: usize = 36;
@inline function parkedAt(l: usize): u32 { return load<u32>(l, PARKED_AT); }

/** The sort key of a price on a side: larger is better. */
@inline export function keyOf(sideCodeValue: u32, price: f64): f64 {
  return sideCodeValue == SIDE_BID ? price : -price;
}

let levelSlots: usize = 0;
let levelSlotBits: u32 = 0;
let levelSlotMask: u32 = 0;
let hashedLevels: u32 = 0;

/** Levels parked at once, over all books (a power of two): a sweep empties up to 60 on the bench. */
const PARKED_LEVELS: u32 = 128;
/** Parked levels, oldest first from parkNext round: 0 where a level was taken back. */
const parked: usize = memory.data(<i32>PARKED_LEVELS * 4, 4);
let parkNext: u32 = 0;
/** parkingCredit's ceiling, and what a level taken back adds (a level parked takes one). */
const CREDIT_MAX: u32 = 256;
const CREDIT_TAKEN_BACK: u32 = 8;
/** 0: parking off, nothing parked. */
let parkingCredit: u32 = CREDIT_MAX;
/** Prices of touches removed while parking is off, by (side, price) hash: price f64 | side u32 | - (16 bytes). */
const DROPPED_FILTER: u32 = 64;
const dropped: usize = memory.data(<i32>DROPPED_FILTER * 16, 8);
// What the last findLevel that found no level with orders met at its price: the parked level, or
// 0 for none; for the addLevel that follows it. Cleared when the map changes.
let parkedFoundSide: usize = 0;
let parkedFoundPrice: f64 = NaN;
let parkedFound: usize = 0;

export function resetLevels(): void {
  poolReset(levelPool, LEVEL_BYTES);
  resetLadders();
  levelSlots = 0;
  levelSlotBits = 0;
  levelSlotMask = 0;
  hashedLevels = 0;
  memory.fill(parked, 0, <usize>PARKED_LEVELS * 4);
  parkNext = 0;
  parkingCredit = CREDIT_MAX;
  memory.fill(dropped, 0, <usize>DROPPED_FILTER * 16);
  parkedFoundSide = 0;
}

@inline function levelHome(s: usize, price: f64): u32 {
  return <u32>(((reinterpret<u64>(price) + <u64>s) * 0x9E3779B97F4A7C15) >> (64 - <u64>levelSlotBits));
}
@inline function levelSlot(i: u32): usize {
  return levelSlots + (<usize>i << 2);
}

/** Room in the level map for one more level (a quarter full at most); false (nothing changed) when memory cannot grow. */
@inline function reserveLevelSlot(): bool {
  return (hashedLevels + 1) * 4 <= levelSlotMask + 1 && levelSlots != 0 || growLevelSlots();
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
  parkedFoundSide = 0;
}

/** The best level with orders, or 0 for an empty side. */
@inline export function bestLevel(s: usize): usize {
  return <usize>load<u32>(s, TOUCH);
}

/** The best key with orders, or -Infinity for an empty side. */
@inline export function bestKey(s: usize): f64 {
  return load<f64>(s, TOUCH_KEY);
}

/** The level at this price on the side, or 0 (also for a parked level, which addLevel takes back). */
@inline export function findLevel(s: usize, price: f64): usize {
  if (levelSlots == 0) return 0;
  let i = levelHome(s, price);
  while (true) {
    const level = <usize>load<u32>(levelSlot(i));
    if (level == 0) {
      parkedFoundSide = s;
      parkedFoundPrice = price;
      parkedFound = 0;
      return 0;
    }
    if (levelPrice(level) == price && levelSide(level) == s) {
      if (parkedAt(level) == 0) return level;
      parkedFoundSide = s;
      parkedFoundPrice = price;
      parkedFound = level;
      return 0;
    }
    i = (i + 1) & levelSlotMask;
  }
}

/** The level parked at this price on the side, or 0. */
function findParked(s: usize, price: f64): usize {
  if (findLevel(s, price) != 0 || parkedFoundSide != s || parkedFoundPrice != price) return 0;
  return parkedFound;
}

/** Makes sure addLevel on this side needs no memory; false (nothing changed) when it cannot grow. */
export function reserveLevel(s: usize): bool {
  return poolReserve(levelPool) && reserveLevelSlot() && reserveLadderNodes(s);
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
  store<u32>(level, 0, PARKED_AT);
  return level;
}

/**
 * A new empty level at `price`, in its place on the side: the level parked at that price if
 * there is one (findLevel, just before, met it), else a new record; only after reserveLevel(s).
 */
export function addLevel(s: usize, price: f64): usize {
  const key = keyOf(sideCode(s), price);
  // What findLevel, just before, met is used without probing again.
  let level = parkedFoundSide == s && parkedFoundPrice == price ? parkedFound : parkingCredit == 0 ? 0 : findParked(s, price);
  parkedFoundSide = 0;
  if (level != 0) {
    store<u32>(parked + (<usize>parkedAt(level) - 1 << 2), 0);
    store<u32>(level, 0, PARKED_AT);
    parkingCredit = min(parkingCredit + CREDIT_TAKEN_BACK, CREDIT_MAX);
  } else {
    // Only a touch is parked, so only a new touch asks the filter.
    if (parkingCredit == 0 && key > bestKey(s) && wasDropped(s, price)) parkingCredit = CREDIT_TAKEN_BACK;
    level = takeLevel(s, price);
    ladderInsert(s, key, level);
    hashLevel(level);
    hashedLevels++;
  }
  store<u32>(s, sideLength(s) + 1, LEVELS);
  if (key > bestKey(s)) setTouch(s, level, key);
  return level;
}

/** Takes an emptied level off its side: parked if it was the touch, else back to the pool. */
export function removeLevel(level: usize): void {
  const s = levelSide(level);
  store<u32>(s, sideLength(s) - 1, LEVELS);
  if (level != bestLevel(s)) {
    dropLevel(level);
  } else if (parkingCredit != 0) {
    parkTouch(s, level);
  } else {
    // Nothing is parked: the ladder's best after the removal is the touch.
    noteDropped(s, levelPrice(level));
    dropLevel(level);
    setTouch(s, ladderBest(s), ladderBestKey(s));
  }
}

/** Parks the emptied touch of side `s`; the next level with orders below it is the touch. */
function parkTouch(s: usize, level: usize): void {
  const at = liveFrom(ladderWorsePosition(positionOf(s, keyOf(sideCode(s), levelPrice(level)), level)));
  if (at == NO_POSITION) setTouch(s, 0, -Infinity);
  else setTouch(s, valueAt(at), keyAt(at));
  park(level);
}

/** Keeps an emptied level (no longer the touch) in the ladder and the map, oldest parked out. */
function park(level: usize): void {
  store<u32>(level, 0, 16);
  store<u32>(level, 0, 20);
  store<u32>(level, 0, 24);
  store<f64>(level, 0, 8);
  const at = parkNext;
  parkNext = (at + 1) & (PARKED_LEVELS - 1);
  const slot = parked + (<usize>at << 2);
  const oldest = <usize>load<u32>(slot);
  if (oldest != 0) {
    store<u32>(oldest, 0, PARKED_AT);
    dropLevel(oldest);
  }
  store<u32>(slot, <u32>level);
  store<u32>(level, at + 1, PARKED_AT);
  if (--parkingCredit == 0) dropParked();
}

/** Parking stops: every parked level leaves the ladder and the map. */
function dropParked(): void {
  for (let at: u32 = 0; at < PARKED_LEVELS; at++) {
    const slot = parked + (<usize>at << 2);
    const level = <usize>load<u32>(slot);
    if (level == 0) continue;
    store<u32>(slot, 0);
    store<u32>(level, 0, PARKED_AT);
    dropLevel(level);
  }
}

/** The filter's entry for (side, price): any bits of the price will do, a hit is checked whole. */
@inline function droppedEntry(s: usize, price: f64): usize {
  const h = <u32>reinterpret<u64>(price) ^ <u32>(reinterpret<u64>(price) >> 32) ^ (<u32>s * 0x9E3779B1);
  return dropped + (<usize>(h & (DROPPED_FILTER - 1)) << 4);
}

function noteDropped(s: usize, price: f64): void {
  const entry = droppedEntry(s, price);
  store<f64>(entry, price);
  store<u32>(entry, <u32>s, 8);
}

@inline function wasDropped(s: usize, price: f64): bool {
  const entry = droppedEntry(s, price);
  return <usize>load<u32>(entry, 8) == s && load<f64>(entry) == price;
}

/** Takes a level with no orders out of the ladder and the map, and back to the pool. */
function dropLevel(level: usize): void {
  const s = levelSide(level);
  ladderRemove(s, keyOf(sideCode(s), levelPrice(level)), level);
  unhashLevel(level);
  poolGive(levelPool, level);
}

// Walking a side best-first: positions from ladder.ts, parked levels passed over.
export { keyAt, NO_POSITION } from './ladder';
@inline export function bestPosition(s: usize): u64 {
  return liveFrom(ladderBestPosition(s));
}
@inline export function worsePosition(at: u64): u64 {
  return liveFrom(ladderWorsePosition(at));
}
/** The first position from `at` on, worse first, whose level has orders. */
@inline function liveFrom(at: u64): u64 {
  while (at != NO_POSITION && levelCount(valueAt(at)) == 0) at = ladderWorsePosition(at);
  return at;
}

/** The level at a position of a walk. */
@inline export function levelAt(at: u64): usize {
  return valueAt(at);
}

// Restore builds each side in one pass, its levels best first (snapshot order):
// beginSideBuild, then per level reserveLevelRecord and buildNextWorseLevel, then endSideBuild.

/** Prepares an empty side for `levels` levels; false when memory cannot grow. */
export function beginSideBuild(s: usize, levels: u32): bool {
  return beginLadderBuild(s, levels);
}

/** For restore: room for one more level record (and its map entry). */
@inline export function reserveLevelRecord(): bool {
  return poolReserve(levelPool) && reserveLevelSlot();
}

/** A fresh level at `price`, worse than every level built on the side before it. */
export function buildNextWorseLevel(s: usize, price: f64): usize {
  const level = takeLevel(s, price);
  buildNextWorse(s, keyOf(sideCode(s), price), level);
  hashLevel(level);
  hashedLevels++;
  return level;
}

export function endSideBuild(s: usize, levels: u32): void {
  endLadderBuild(s, levels);
  store<u32>(s, levels, LEVELS);
  setTouch(s, ladderBest(s), ladderBestKey(s));
}
