// Open-addressing tables of u32 entries in linear memory (0 marks an empty slot). The order
// index, the level map, the book map and the trader map probe in their own ways, but grow the
// same way: a new zeroed table twice the size, every old entry placed again, the old one freed.
import { alloc, free } from './allocator';

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
