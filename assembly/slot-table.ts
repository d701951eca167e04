// Open-addressing tables of u32 entries in linear memory (0 marks an empty slot). The order
// index, the level map, the book map and the trader map probe in their own ways. A small table
// grows in one go: a new zeroed table twice the size, every old entry placed again, the old one
// freed (moveEntries). The level map and the trader map, which a venue can grow to millions of
// entries, double by readying and migration once large, as the order index grows (order-index.ts,
// over segments of its own): built in one go, their doublings held a command 96-112 ms of CPU (the
// level map at 524,288 levels) and 119-122 ms (the trader map and its values at 1,048,576
// traders), most of it first touches of fresh pages and random reads of every entry's record.
//   - In the last quarter of the way to the doubling, the next table is taken (takeSlotTable), and
//     each insert zeroes its share of it (zeroShare), so that its pages are first touched a few at
//     a time.
//   - At the doubling it becomes the current table. Inserts go there, and each insert also empties
//     MIGRATION_SLOTS of the old table's slots, and on to the end of the run it stopped in
//     (migrateRuns). A run (the entries between two empty slots) holds every entry whose home is in
//     it, so that emptying whole runs leaves every lookup in the old table as it was. Until the old
//     table is empty, a lookup that misses in the current table looks in the old one.
import { alloc, free } from './allocator';

/** Old slots an insert walks while a table empties (then on to the end of the run it stopped in). */
export const MIGRATION_SLOTS: u32 = 16;
/** Tables of 2^READY_FROM_BITS slots and more double by readying and migration; smaller ones in one go, which a constant bounds. */
export const READY_FROM_BITS: u32 = 16;

/** A zeroed table of 2^bits slots, or 0 (nothing allocated) when memory cannot grow. */
export function newSlotTable(bits: u32): usize {
  const bytes = (<usize>1 << bits) << 2;
  const table = alloc(bytes);
  if (table != 0) memory.fill(table, 0, bytes);
  return table;
}

/**
 * Hands every non-empty entry of `old` (`capacity` slots; 0 for no table) to `place`, which
 * writes it into the table that replaced it, then frees `old`. Runs only while a table grows,
 * so the indirect call costs nothing on the hot path.
 */
export function moveEntries(old: usize, capacity: usize, place: (entry: u32) => void): void {
  if (old == 0) return;
  for (let i: usize = 0; i < capacity; i++) {
    const entry = load<u32>(old + (i << 2));
    if (entry != 0) place(entry);
  }
  free(old, capacity << 2);
}

/**
 * The count from which a table of 2^bits slots that holds `most` entries readies its successor:
 * the last quarter of the way from its own doubling (at most / 2) to the next; `most` itself for a
 * table that doubles in one go.
 */
export function readyAt(most: u32, bits: u32): u32 {
  return bits >= READY_FROM_BITS ? most - (most >> 3) : most;
}

/**
 * The table a doubling to 2^bits slots moves into, all zeroed: the readied one (`next`, of which
 * `zeroed` bytes are), its rest zeroed now, or a new one without; 0 when memory cannot grow.
 */
export function grownSlotTable(next: usize, zeroed: usize, bits: u32): usize {
  if (next == 0) return newSlotTable(bits);
  const bytes = <usize>4 << bits;
  if (zeroed < bytes) memory.fill(next + zeroed, 0, bytes - zeroed);
  return next;
}

/** A table of 2^bits slots to be readied (zeroShare), not zeroed yet; 0 when memory cannot grow. */
export function takeSlotTable(bits: u32): usize {
  return alloc((<usize>1 << bits) << 2);
}

/**
 * Zeroes an insert's share of a table being readied: what is left of its `bytes` over the
 * `insertsLeft` before the doubling, in whole cache lines. Returns the bytes zeroed so far.
 */
export function zeroShare(table: usize, zeroed: usize, bytes: usize, insertsLeft: u32): usize {
  const left = bytes - zeroed;
  if (left == 0) return zeroed;
  const inserts = <usize>max<u32>(insertsLeft, 1);
  const share = min<usize>(left, ((left + inserts - 1) / inserts + 63) & ~<usize>63);
  memory.fill(table + zeroed, 0, share);
  return zeroed + share;
}

/** The first empty slot of a table that has one: where its migration starts, at a run's edge. */
export function firstEmptySlot(table: usize): u32 {
  let slot: u32 = 0;
  while (load<u32>(table + (<usize>slot << 2)) != 0) slot++;
  return slot;
}

/**
 * Empties at most `left` slots of an old table (`mask` its slots - 1) from `cursor`: at least
 * MIGRATION_SLOTS, then on to the end of the run, each entry handed to `place`, which puts it in
 * the table that replaced this one. Returns the slots walked. An indirect call an entry, on the
 * growth's path only.
 */
export function migrateRuns(old: usize, mask: u32, cursor: u32, left: u32, place: (entry: u32) => void): u32 {
  let walked: u32 = 0;
  while (walked < left) {
    const at = old + (<usize>cursor << 2);
    const entry = load<u32>(at);
    if (entry == 0) {
      if (walked >= MIGRATION_SLOTS) break;
    } else {
      store<u32>(at, 0);
      place(entry);
    }
    cursor = (cursor + 1) & mask;
    walked++;
  }
  return walked;
}
