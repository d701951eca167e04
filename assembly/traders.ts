// Trader interning: an order stores a 29-bit trader index instead of an 8-byte trader, which is
// what keeps the order record at 40 bytes. Indices are never recycled (a trader costs 16 bytes
// for the life of the core), so an order's index stays valid without reference counting.
//
// `values` maps index -> trader, in segments of 8,192 (64 KiB) reached through a directory, so
// that it grows without a copy: a doubled array copied at 1,048,576 traders, with the map's
// rebuild, held that command 303 ms. The first segment starts small and doubles up to a whole one
// (a copy of 64 KiB at most). `slots` is an open-addressing map trader -> index + 1 (0 = empty),
// linear probing, at most half full, never deleted from; once large it doubles by readying and
// migration (slot-table.ts), and while its old table empties a lookup that misses in the current
// table looks in the old one.
import { alloc, free } from './allocator';
import { newSlotTable, moveEntries, takeSlotTable, zeroShare, firstEmptySlot, migrateRuns } from './slot-table';
import { spread } from './hashing';

export const NO_TRADER: u32 = 0xffffffff;
const INITIAL_BITS: u32 = 6;
const SEGMENT_BITS: u32 = 13;
const SEGMENT_VALUES: u32 = 1 << SEGMENT_BITS;
const SEGMENT_MASK: u32 = SEGMENT_VALUES - 1;
const INITIAL_VALUES: u32 = 16;
/** Tables of 2^READY_FROM_BITS slots and more double by readying and migration. */
const READY_FROM_BITS: u32 = 16;

/** Segment addresses (u32 each). */
let directory: usize = 0;
let directoryLength: u32 = 0;
let count: u32 = 0;
let capacity: u32 = 0; // of `values`
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
  directory = 0;
  directoryLength = 0;
  count = 0;
  capacity = 0;
  slots = 0;
  slotBits = 0;
  checkAt = 0;
  mapGrowing = false;
  oldSlots = 0;
  nextSlots = 0;
}

@inline export function traderValue(index: u32): f64 {
  return load<f64>(valueAddress(index));
}

@inline function valueAddress(index: u32): usize {
  return <usize>load<u32>(directory + (<usize>(index >> SEGMENT_BITS) << 2)) + (<usize>(index & SEGMENT_MASK) << 3);
}

/** The trader's index in one table of 2^bits slots, or NO_TRADER. */
@inline function probeTrader(table: usize, bits: u32, trader: f64): u32 {
  const mask = (<u32>1 << bits) - 1;
  let i = spread(trader, bits);
  while (true) {
    const entry = load<u32>(table + (<usize>i << 2));
    if (entry == 0) return NO_TRADER;
    if (traderValue(entry - 1) == trader) return entry - 1;
    i = (i + 1) & mask;
  }
}

/** The trader's index, or NO_TRADER if it has no resting order and never had one. */
export function lookupTrader(trader: f64): u32 {
  if (slots == 0) return NO_TRADER;
  const index = probeTrader(slots, slotBits, trader);
  // Not in the current table: while the map grows, the trader may not have been moved yet.
  return index != NO_TRADER || oldSlots == 0 ? index : probeTrader(oldSlots, oldSlotBits, trader);
}

/** The trader's index, adding it if new; NO_TRADER only when memory cannot grow (nothing changed then). */
export function internTrader(trader: f64): u32 {
  const known = lookupTrader(trader);
  if (known != NO_TRADER) return known;
  if (count == capacity && !growValues()) return NO_TRADER;
  if (count >= checkAt && !slotRoom()) return NO_TRADER;
  const index = count++;
  store<f64>(valueAddress(index), trader);
  place(index + 1);
  if (mapGrowing) mapStep();
  return index;
}

/** Puts an entry (index + 1) in the current table (which has room). */
function place(entry: u32): void {
  const mask = (<u32>1 << slotBits) - 1;
  let i = spread(traderValue(entry - 1), slotBits);
  while (load<u32>(slots + (<usize>i << 2)) != 0) i = (i + 1) & mask;
  store<u32>(slots + (<usize>i << 2), entry);
}

/** Room for one more value: the first segment doubled up to a whole one, then a segment more. */
function growValues(): bool {
  if (capacity < SEGMENT_VALUES) {
    const next = capacity == 0 ? INITIAL_VALUES : capacity * 2;
    const block = alloc(<usize>next << 3);
    if (block == 0) return false;
    if (directory == 0) {
      directory = alloc(<usize>INITIAL_VALUES << 2);
      if (directory == 0) {
        free(block, <usize>next << 3);
        return false;
      }
      directoryLength = INITIAL_VALUES;
    } else {
      const first = <usize>load<u32>(directory);
      memory.copy(block, first, <usize>count << 3);
      free(first, <usize>capacity << 3);
    }
    store<u32>(directory, <u32>block);
    capacity = next;
    return true;
  }
  const segments = capacity >> SEGMENT_BITS;
  if (segments == directoryLength) {
    const grown = alloc(<usize>directoryLength << 3);
    if (grown == 0) return false;
    memory.copy(grown, directory, <usize>directoryLength << 2);
    free(directory, <usize>directoryLength << 2);
    directory = grown;
    directoryLength <<= 1;
  }
  const segment = alloc(<usize>SEGMENT_VALUES << 3);
  if (segment == 0) return false;
  store<u32>(directory + (<usize>segments << 2), <u32>segment);
  capacity += SEGMENT_VALUES;
  return true;
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
  const bytes = <usize>4 << bits;
  let table = nextSlots;
  if (table == 0) {
    table = newSlotTable(bits);
    if (table == 0) return false;
  } else if (nextBytesZeroed < bytes) {
    memory.fill(table + nextBytesZeroed, 0, bytes - nextBytesZeroed);
  }
  nextSlots = 0;
  const old = slots;
  const oldBits = slotBits;
  slots = table;
  slotBits = bits;
  const most = growAt();
  checkAt = bits >= READY_FROM_BITS ? most - (most >> 3) : most;
  mapGrowing = false;
  if (old == 0) return true;
  if (oldBits < READY_FROM_BITS) {
    moveEntries(old, <usize>1 << oldBits, (entry: u32): void => place(entry));
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
  const walked = migrateRuns(oldSlots, mask, migrationCursor, slotsToMigrate, (entry: u32): void => place(entry));
  migrationCursor = (migrationCursor + walked) & mask;
  slotsToMigrate -= walked;
  if (slotsToMigrate == 0) {
    free(oldSlots, (<usize>mask + 1) << 2);
    oldSlots = 0;
    mapGrowing = false;
  }
}
