// Trader interning: an order stores a 29-bit trader index instead of an 8-byte trader, which is
// what keeps the order record at 40 bytes. A trader below DIRECT_TRADERS (2^28) is its own index,
// doubled (an even index): most venues number their traders so, and their orders then rest with no
// probe of the map, whose dependent loads were the resting path's costliest step (bench/README.md,
// "Trader ids kept in the order (stop 66)"). A larger trader is interned: its index is its place
// in `values`, doubled, plus one (odd). Each trader has exactly one index, so indices compare as
// the traders do. Places are never recycled (an interned trader costs 16 bytes for the life of
// the core), so an order's index stays valid without reference counting.
//
// `values` maps place -> trader, contiguous (an interned order's trader is one load away on the
// fill path) and doubling; its values never change once written, so that a doubling's copy is
// spread: from the last eighth of the way to full, the doubled array is taken and each insert
// copies its share of the values into it (copyValues). `slots` is an open-addressing map
// trader -> place + 1 (0 = empty), linear probing, at most half full, never deleted from; once
// large it doubles by readying and migration (slot-table.ts), and while its old table empties a
// lookup that misses in the current table looks in the old one. Doubled in one go, the values and
// the map held the command that added the 1,048,576th trader 119-122 ms of CPU (bench/README.md,
// stop 62).
import { alloc, free } from './allocator';
import { moveEntries, takeSlotTable, zeroShare, firstEmptySlot, migrateRuns, grownSlotTable, readyAt, READY_FROM_BITS } from './slot-table';
import { spread } from './hashing';

export const NO_TRADER: u32 = 0xffffffff;
/** Traders below this are their own index (doubled); the rest are interned. */
const DIRECT_TRADERS: f64 = 268435456;
const INITIAL_BITS: u32 = 6;
const INITIAL_VALUES: u32 = 16;
/** Arrays of values this long and more double by a spread copy (copyValues). */
const SPREAD_COPY_FROM: u32 = 8192;

let values: usize = 0;
let count: u32 = 0;
let capacity: u32 = 0; // of `values`
// The doubled values being filled ahead of the doubling (0 when none), and the values copied so far.
let nextValues: usize = 0;
let valuesCopied: u32 = 0;
let slots: usize = 0;
let slotBits: u32 = 0;
/** The count from which an insert leaves internTrader's fast path: the next table is due, or the doubling. */
let checkAt: u32 = 0;
/** Inserts take a step of a growth: zeroing the next table, or emptying the old one. */
let mapGrowing = false;
// The table being emptied after a doubling (0 when none), and where its emptying stands.
let oldSlots: usize = 0;
let oldSlotBits: u32 = 0;
let migrationCursor: u32 = 0;
let slotsToMigrate: u32 = 0;
// The table being readied for the next doubling (0 when none), and its bytes zeroed so far.
let nextSlots: usize = 0;
let nextBytesZeroed: usize = 0;

export function resetTraders(): void {
  values = 0;
  nextValues = 0;
  count = 0;
  capacity = 0;
  slots = 0;
  slotBits = 0;
  checkAt = 0;
  mapGrowing = false;
  oldSlots = 0;
  nextSlots = 0;
}

/** The trader an index stands for. */
@inline export function traderValue(index: u32): f64 {
  return (index & 1) == 0 ? <f64>(index >> 1) : valueAt(index >> 1);
}

/** The interned trader at a place of `values`. */
@inline function valueAt(place: u32): f64 {
  return load<f64>(values + (<usize>place << 3));
}

/** The index of the interned trader at a place of `values`. */
@inline function internedIndex(place: u32): u32 {
  return (place << 1) | 1;
}

/** The trader's index, or NO_TRADER for a trader past DIRECT_TRADERS never interned. */
export function lookupTrader(trader: f64): u32 {
  return findTrader(trader);
}

/**
 * lookupTrader inlined, for the one caller on every call's path (restWithoutCrossing): the call's
 * frame, spills and reloads cost a placeLimit about 7 instructions net of the probe's.
 */
@inline export function findTrader(trader: f64): u32 {
  if (trader < DIRECT_TRADERS) return <u32>trader << 1;
  return probeTrader(trader);
}

/** The map's lookup of a trader past DIRECT_TRADERS: a call of its own, off the resting path. */
function probeTrader(trader: f64): u32 {
  if (slots == 0) return NO_TRADER;
  const mask = (<u32>1 << slotBits) - 1;
  let i = spread(trader, slotBits);
  while (true) {
    const entry = load<u32>(slots + (<usize>i << 2));
    // Not in the current table: while the map grows, the trader may not have been moved yet.
    if (entry == 0) return oldSlots == 0 ? NO_TRADER : lookupOldTrader(trader);
    if (valueAt(entry - 1) == trader) return internedIndex(entry - 1);
    i = (i + 1) & mask;
  }
}

/** lookupTrader in the table being emptied: a call of its own, off the lookups' path. */
function lookupOldTrader(trader: f64): u32 {
  const mask = (<u32>1 << oldSlotBits) - 1;
  let i = spread(trader, oldSlotBits);
  while (true) {
    const entry = load<u32>(oldSlots + (<usize>i << 2));
    if (entry == 0) return NO_TRADER;
    if (valueAt(entry - 1) == trader) return internedIndex(entry - 1);
    i = (i + 1) & mask;
  }
}

/** The trader's index, adding it if new; NO_TRADER only when memory cannot grow (nothing changed then). */
export function internTrader(trader: f64): u32 {
  const known = lookupTrader(trader);
  if (known != NO_TRADER) return known;
  if (count == capacity && !growValues()) return NO_TRADER;
  if (count >= checkAt && !slotRoom()) return NO_TRADER;
  const place = count++;
  store<f64>(values + (<usize>place << 3), trader);
  placeEntry(place + 1);
  if (mapGrowing) mapStep();
  if (count >= capacity - (capacity >> 3) && capacity >= SPREAD_COPY_FROM) copyValues();
  return internedIndex(place);
}

/** Puts an entry (place + 1) in the current table (which has room). */
function placeEntry(entry: u32): void {
  const mask = (<u32>1 << slotBits) - 1;
  let i = spread(valueAt(entry - 1), slotBits);
  while (load<u32>(slots + (<usize>i << 2)) != 0) i = (i + 1) & mask;
  store<u32>(slots + (<usize>i << 2), entry);
}

/** Room for one more value: the values doubled, into the array copyValues filled if there is one. */
function growValues(): bool {
  const next = capacity == 0 ? INITIAL_VALUES : capacity * 2;
  let block = nextValues;
  if (block == 0) {
    block = alloc(<usize>next << 3);
    if (block == 0) return false;
    valuesCopied = 0;
  }
  memory.copy(block + (<usize>valuesCopied << 3), values + (<usize>valuesCopied << 3), <usize>(count - valuesCopied) << 3);
  if (values != 0) free(values, <usize>capacity << 3);
  values = block;
  capacity = next;
  nextValues = 0;
  return true;
}

/**
 * In the last eighth of the way to full: the doubled array taken, and the insert's share of the
 * values copied into it, what is left over the inserts left (values are never changed once
 * written, so a copied one stays true). Without memory for it, growValues tries again when full.
 */
function copyValues(): void {
  if (nextValues == 0) {
    nextValues = alloc(<usize>capacity << 4);
    if (nextValues == 0) return;
    valuesCopied = 0;
  }
  const left = count - valuesCopied;
  const share = min<u32>(left, left / max<u32>(capacity - count, 1) + 1);
  memory.copy(nextValues + (<usize>valuesCopied << 3), values + (<usize>valuesCopied << 3), <usize>share << 3);
  valuesCopied += share;
}

/** The trader map's current table's slots (for the tests). */
export function traderMapSlots(): u32 {
  return slots == 0 ? 0 : <u32>1 << slotBits;
}
/** The trader map's bytes: its current table, and one being emptied or readied (for the tests). */
export function traderMapBytes(): usize {
  let total: usize = traderMapSlots();
  if (oldSlots != 0) total += <usize>1 << oldSlotBits;
  if (nextSlots != 0) total += <usize>2 << slotBits;
  return total << 2;
}

/** The most traders the current table holds: half its slots (0 with no table). */
@inline function growAt(): u32 {
  return slots == 0 ? 0 : <u32>1 << (slotBits - 1);
}

/** internTrader past checkAt: the next table taken, or the doubling. */
function slotRoom(): bool {
  const most = growAt();
  if (count >= most) return growSlots();
  // The last quarter of the way to the doubling: the next table is taken now. Without memory for
  // it, there is still room in this one: the next insert asks again.
  if (nextSlots == 0) {
    const table = takeSlotTable(slotBits + 1);
    if (table == 0) return true;
    nextSlots = table;
    nextBytesZeroed = 0;
    mapGrowing = true;
  }
  checkAt = most;
  return true;
}

function growSlots(): bool {
  // Never while an old table empties (each insert walks MIGRATION_SLOTS of its slots, so it is
  // empty an eighth of the way to this doubling): a guard, so that one old table is all there is.
  while (oldSlots != 0) migrateTraders();
  const bits = slotBits == 0 ? INITIAL_BITS : slotBits + 1;
  const table = grownSlotTable(nextSlots, nextBytesZeroed, bits);
  if (table == 0) return false;
  nextSlots = 0;
  const old = slots;
  const oldBits = slotBits;
  slots = table;
  slotBits = bits;
  checkAt = readyAt(growAt(), bits);
  mapGrowing = false;
  if (old == 0) return true;
  if (oldBits < READY_FROM_BITS) {
    moveEntries(old, <usize>1 << oldBits, (entry: u32): void => placeEntry(entry));
    return true;
  }
  oldSlots = old;
  oldSlotBits = oldBits;
  migrationCursor = firstEmptySlot(old);
  slotsToMigrate = <u32>1 << oldBits;
  mapGrowing = true;
  return true;
}

/** A step of the growth under way, taken by each insert. */
function mapStep(): void {
  if (oldSlots != 0) {
    migrateTraders();
    return;
  }
  const most = growAt();
  nextBytesZeroed = zeroShare(nextSlots, nextBytesZeroed, (<usize>8) << slotBits, count < most ? most - count : 1);
}

/** Empties the insert's runs of the old table into the current one (slot-table.ts). */
function migrateTraders(): void {
  const mask = (<u32>1 << oldSlotBits) - 1;
  const walked = migrateRuns(oldSlots, mask, migrationCursor, slotsToMigrate, (entry: u32): void => placeEntry(entry));
  migrationCursor = (migrationCursor + walked) & mask;
  slotsToMigrate -= walked;
  if (slotsToMigrate == 0) {
    free(oldSlots, (<usize>mask + 1) << 2);
    oldSlots = 0;
    mapGrowing = false;
  }
}
