// Price levels, and the sides of a book that order them.
//
// Level record (40 bytes, pooled):
//   0 price f64 | 8 total f64 (sum of remaining) | 16 head u32 | 20 tail u32 | 24 count u32 | 28 side u32
//   32 the ladder's leaf holding the level (ladder.ts VALUE_LEAF, kept by the ladder) | 36 -
//
// Side struct (embedded in the book record, books.ts):
//   0 ladder header (ladder.ts: key -> level, best first) | 32 orders u32 | 36 side code u32
// A level's key is its price for bids and -price for asks, so on either side a larger key is a
// better price and the ladder's best entry is the touch.
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
  ladderInsert, ladderLength, ladderRemove, reserveLadderNodes, resetLadders, valueAt, VALUE_LEAF,
} from './ladder';
import { moveEntries, takeSlotTable, zeroShare, firstEmptySlot, migrateRuns, grownSlotTable, readyAt, READY_FROM_BITS } from './slot-table';
import { free } from './allocator';
import { SIDE_BID } from './codes';

export const LEVEL_BYTES: u32 = <u32>VALUE_LEAF + 8;
const levelPool: usize = memory.data(POOL_DESCRIPTOR_BYTES, 8);

export const SIDE_BYTES: usize = LADDER_BYTES + 8;
const ORDERS: usize = LADDER_BYTES;
const CODE: usize = LADDER_BYTES + 4;
@inline export function sideLength(s: usize): u32 { return ladderLength(s); }
@inline export function sideOrders(s: usize): u32 { return load<u32>(s, ORDERS); }
@inline export function addSideOrders(s: usize, delta: i32): void { store<u32>(s, load<u32>(s, ORDERS) + delta, ORDERS); }
@inline export function sideCode(s: usize): u32 { return load<u32>(s, CODE); }

export function initSide(s: usize, code: u32): void {
  initLadder(s);
  store<u32>(s, 0, ORDERS);
  store<u32>(s, code, CODE);
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

// The level map (see the header) doubles at a quarter full: a small table (under
// READY_FROM_BITS) in one go, which a constant bounds; a larger one by readying and migration
// (slot-table.ts says how, and what it spares a command). While an old table empties, a lookup
// that misses in the current table looks in the old one, and a removal that does not find its
// level in the current table takes it from the old one.
let levelSlots: usize = 0;
let levelSlotBits: u32 = 0;
let levelSlotMask: u32 = 0;
let hashedLevels: u32 = 0;
/** The count from which an insert leaves reserveLevelSlot's fast path: the next table is due, or the doubling. */
let levelCheckAt: u32 = 0;
/** Inserts take a step of a growth: zeroing the next table, or emptying the old one. */
let levelMapGrowing = false;
// The table being emptied after a doubling (0 when none), and where its emptying stands.
let oldLevelSlots: usize = 0;
let oldLevelSlotBits: u32 = 0;
let oldLevelSlotMask: u32 = 0;
let migrationCursor: u32 = 0;
let slotsToMigrate: u32 = 0;
// The table being readied for the next doubling (0 when none), and its bytes zeroed so far.
let nextLevelSlots: usize = 0;
let nextLevelBytesZeroed: usize = 0;

export function resetLevels(): void {
  poolReset(levelPool, LEVEL_BYTES);
  resetLadders();
  levelSlots = 0;
  levelSlotBits = 0;
  levelSlotMask = 0;
  hashedLevels = 0;
  levelCheckAt = 0;
  levelMapGrowing = false;
  oldLevelSlots = 0;
  nextLevelSlots = 0;
}

@inline function levelHome(s: usize, price: f64, bits: u32): u32 {
  return <u32>(((reinterpret<u64>(price) + <u64>s) * 0x9E3779B97F4A7C15) >> (64 - <u64>bits));
}
@inline function levelEntry(table: usize, i: u32): usize {
  return <usize>load<u32>(table + (<usize>i << 2));
}
@inline function setLevelEntry(table: usize, i: u32, level: usize): void {
  store<u32>(table + (<usize>i << 2), <u32>level);
}

/** The level map's current table's slots. */
export function levelMapSlots(): u32 {
  return levelSlots == 0 ? 0 : levelSlotMask + 1;
}
/** The level map's bytes: its current table, and one being emptied or readied. */
export function levelMapBytes(): usize {
  let slots: usize = levelMapSlots();
  if (oldLevelSlots != 0) slots += <usize>oldLevelSlotMask + 1;
  if (nextLevelSlots != 0) slots += (<usize>levelSlotMask + 1) << 1;
  return slots << 2;
}

/** The level map's entries, in its current table and one being emptied: one a level, no more (for the tests). */
export function levelMapEntries(): u32 {
  return tableEntries(levelSlots, levelMapSlots()) + tableEntries(oldLevelSlots, oldLevelSlots == 0 ? 0 : oldLevelSlotMask + 1);
}
function tableEntries(table: usize, slots: u32): u32 {
  let entries: u32 = 0;
  for (let i: u32 = 0; i < slots; i++) if (levelEntry(table, i) != 0) entries++;
  return entries;
}

/** The most levels the current table holds: a quarter of its slots (0 with no table). */
@inline function levelGrowAt(): u32 {
  return levelSlots == 0 ? 0 : (levelSlotMask + 1) >> 2;
}

/** Room in the level map for one more level; false (nothing changed) when memory cannot grow. */
@inline function reserveLevelSlot(): bool {
  return hashedLevels < levelCheckAt || levelSlotRoom();
}

/** reserveLevelSlot past levelCheckAt: the next table taken, or the doubling. */
function levelSlotRoom(): bool {
  const growAt = levelGrowAt();
  if (hashedLevels >= growAt) return growLevelSlots();
  // The last quarter of the way to the doubling: the next table is taken now. Without memory for
  // it, there is still room in this one: the next insert asks again.
  if (nextLevelSlots == 0) {
    const table = takeSlotTable(levelSlotBits + 1);
    if (table == 0) return true;
    nextLevelSlots = table;
    nextLevelBytesZeroed = 0;
    levelMapGrowing = true;
  }
  levelCheckAt = growAt;
  return true;
}

function growLevelSlots(): bool {
  // Never while an old table empties (each insert walks MIGRATION_SLOTS of its slots, so it is
  // empty a quarter of the way to this doubling): a guard, so that one old table is all there is.
  while (oldLevelSlots != 0) migrateLevels();
  const bits = levelSlotBits == 0 ? <u32>4 : levelSlotBits + 1;
  const table = grownSlotTable(nextLevelSlots, nextLevelBytesZeroed, bits);
  if (table == 0) return false;
  nextLevelSlots = 0;
  const old = levelSlots;
  const oldBits = levelSlotBits;
  const oldMask = levelSlotMask;
  levelSlots = table;
  levelSlotBits = bits;
  levelSlotMask = (<u32>1 << bits) - 1;
  levelCheckAt = readyAt(levelGrowAt(), bits);
  if (old == 0) {
    levelMapGrowing = false;
  } else if (oldBits < READY_FROM_BITS) {
    moveEntries(old, <usize>oldMask + 1, (level: u32): void => hashLevel(<usize>level));
    levelMapGrowing = false;
  } else {
    oldLevelSlots = old;
    oldLevelSlotBits = oldBits;
    oldLevelSlotMask = oldMask;
    migrationCursor = firstEmptySlot(old);
    slotsToMigrate = oldMask + 1;
    levelMapGrowing = true;
  }
  return true;
}

/** A step of the growth under way, taken by each insert. */
@inline function levelMapStep(): void {
  if (levelMapGrowing) {
    if (oldLevelSlots != 0) migrateLevels();
    else zeroNextLevelSlots();
  }
}

/** Zeroes the insert's share of the next table (slot-table.ts). */
function zeroNextLevelSlots(): void {
  const growAt = levelGrowAt();
  const bytes = (<usize>levelSlotMask + 1) << 3;
  nextLevelBytesZeroed = zeroShare(nextLevelSlots, nextLevelBytesZeroed, bytes, hashedLevels < growAt ? growAt - hashedLevels : 1);
}

/** Empties the insert's runs of the old table into the current one (slot-table.ts). */
function migrateLevels(): void {
  const mask = oldLevelSlotMask;
  const walked = migrateRuns(oldLevelSlots, mask, migrationCursor, slotsToMigrate, (level: u32): void => hashLevel(<usize>level));
  migrationCursor = (migrationCursor + walked) & mask;
  slotsToMigrate -= walked;
  if (slotsToMigrate == 0) {
    free(oldLevelSlots, (<usize>mask + 1) << 2);
    oldLevelSlots = 0;
    levelMapGrowing = false;
  }
}

/** Puts a level in the current table (which has room). */
function hashLevel(level: usize): void {
  let i = levelHome(levelSide(level), levelPrice(level), levelSlotBits);
  while (levelEntry(levelSlots, i) != 0) i = (i + 1) & levelSlotMask;
  setLevelEntry(levelSlots, i, level);
}

/** Takes level `level` of side `s` at `price` out of the map (the caller has read both from its record). */
@inline function unhashLevel(level: usize, s: usize, price: f64): void {
  if (!unhashLevelIn(levelSlots, levelSlotBits, level, s, price)) unhashLevelIn(oldLevelSlots, oldLevelSlotBits, level, s, price);
  hashedLevels--;
}

/** Takes a level out of one table; false when it is not there (it is in the other, while the map grows). */
@inline function unhashLevelIn(table: usize, bits: u32, level: usize, s: usize, price: f64): bool {
  const mask = (<u32>1 << bits) - 1;
  let i = levelHome(s, price, bits);
  while (true) {
    const entry = levelEntry(table, i);
    if (entry == level) break;
    if (entry == 0) return false;
    i = (i + 1) & mask;
  }
  // Backward-shift deletion: pull back every later entry of the run whose home is not in (i, j].
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    const other = levelEntry(table, j);
    if (other == 0) break;
    const k = levelHome(levelSide(other), levelPrice(other), bits);
    if (((j - k) & mask) >= ((j - i) & mask)) {
      setLevelEntry(table, i, other);
      i = j;
    }
  }
  setLevelEntry(table, i, 0);
  return true;
}

/** The best level, or 0 for an empty side. */
@inline export function bestLevel(s: usize): usize {
  return ladderBest(s);
}

/** The best key, or -Infinity for an empty side. */
@inline export function bestKey(s: usize): f64 {
  return ladderBestKey(s);
}

/** The level at this price on the side, or 0. */
@inline export function findLevel(s: usize, price: f64): usize {
  if (levelSlots == 0) return 0;
  const level = probeLevel(levelSlots, levelSlotBits, s, price);
  // Not in the current table: while the map grows, the level may not have been moved yet.
  return level != 0 || oldLevelSlots == 0 ? level : findOldLevel(s, price);
}

/** findLevel in the table being emptied: a call of its own, off the lookups' inlined path. */
function findOldLevel(s: usize, price: f64): usize {
  return probeLevel(oldLevelSlots, oldLevelSlotBits, s, price);
}

@inline function probeLevel(table: usize, bits: u32, s: usize, price: f64): usize {
  const mask = (<u32>1 << bits) - 1;
  let i = levelHome(s, price, bits);
  while (true) {
    const level = levelEntry(table, i);
    if (level == 0 || (levelPrice(level) == price && levelSide(level) == s)) return level;
    i = (i + 1) & mask;
  }
}

/**
 * Makes sure addLevel on this side needs no memory; false (nothing changed) when it cannot grow.
 * Inlined: for a new level, three tests that pass, which as a call cost 12.8 instructions a
 * `wide` command (the ladder's own inlining, ladder.ts, says what a call costs).
 */
@inline export function reserveLevel(s: usize): bool {
  return poolReserve(levelPool) && reserveLevelSlot() && reserveLadderNodes(s);
}

/** An empty level record of side `s` at `price`, from the pool (reserved beforehand). */
/** A level record of side `s` at `price`, its queue `head` alone (0: empty) with `count` orders of `total` lots. */
@inline function takeLevel(s: usize, price: f64, head: usize, count: u32, total: f64): usize {
  const level = poolTake(levelPool);
  store<f64>(level, price, 0);
  store<f64>(level, total, 8);
  store<u32>(level, <u32>head, 16);
  store<u32>(level, <u32>head, 20);
  store<u32>(level, count, 24);
  store<u32>(level, <u32>s, 28);
  return level;
}

/**
 * A new level at `price` whose queue is the one order `first` of `size` lots (its queue links are
 * the caller's), put in its place on the side; only after reserveLevel(s).
 */
export function addLevel(s: usize, price: f64, first: usize, size: f64): usize {
  const level = takeLevel(s, price, first, 1, size);
  ladderInsert(s, keyOf(sideCode(s), price), level);
  hashLevel(level);
  hashedLevels++;
  levelMapStep();
  return level;
}

/** Takes an emptied level off its side and back to the pool. */
export function removeLevel(level: usize): void {
  const s = levelSide(level);
  const price = levelPrice(level);
  ladderRemove(s, keyOf(sideCode(s), price), level);
  unhashLevel(level, s, price);
  poolGive(levelPool, level);
}

// Walking a side best-first: positions from ladder.ts (bestPosition, worsePosition, keyAt).
export { bestPosition, worsePosition, keyAt, NO_POSITION } from './ladder';

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
  const level = takeLevel(s, price, 0, 0, 0);
  buildNextWorse(s, keyOf(sideCode(s), price), level);
  hashLevel(level);
  hashedLevels++;
  levelMapStep();
  return level;
}

export function endSideBuild(s: usize, levels: u32): void {
  endLadderBuild(s, levels);
}
