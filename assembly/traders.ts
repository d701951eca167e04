// Trader interning: an order stores a 29-bit trader index instead of an 8-byte trader, which is
// what keeps the order record at 40 bytes. Indices are never recycled (a trader costs 16 bytes
// for the life of the core), so an order's index stays valid without reference counting.
//
// `values` maps index -> trader; `slots` is an open-addressing map trader -> index + 1
// (0 = empty), linear probing, at most half full, never deleted from.
import { alloc, free } from './allocator';
import { newSlotTable, moveEntries } from './slot-table';
import { spread } from './hashing';

export const NO_TRADER: u32 = 0xffffffff;
const INITIAL_BITS: u32 = 6;

let values: usize = 0;
let count: u32 = 0;
let capacity: u32 = 0; // of `values`
let slots: usize = 0;
let slotBits: u32 = 0;

export function resetTraders(): void {
  values = 0;
  count = 0;
  capacity = 0;
  slots = 0;
  slotBits = 0;
}

@inline export function traderValue(index: u32): f64 {
  return load<f64>(values + (<usize>index << 3));
}

/** The trader's index, or NO_TRADER if it has no resting order and never had one. */
export function lookupTrader(trader: f64): u32 {
  if (slots == 0) return NO_TRADER;
  const mask = (<u32>1 << slotBits) - 1;
  let i = spread(trader, slotBits);
  while (true) {
    const entry = load<u32>(slots + (<usize>i << 2));
    if (entry == 0) return NO_TRADER;
    if (traderValue(entry - 1) == trader) return entry - 1;
    i = (i + 1) & mask;
  }
}

/** The trader's index, adding it if new; NO_TRADER only when memory cannot grow (nothing changed then). */
export function internTrader(trader: f64): u32 {
  const known = lookupTrader(trader);
  if (known != NO_TRADER) return known;
  if (count == capacity && !growValues()) return NO_TRADER;
  if ((count + 1) * 2 > (<u32>1 << slotBits) && !growSlots()) return NO_TRADER;
  const index = count++;
  store<f64>(values + (<usize>index << 3), trader);
  place(index);
  return index;
}

function place(index: u32): void {
  const mask = (<u32>1 << slotBits) - 1;
  let i = spread(traderValue(index), slotBits);
  while (load<u32>(slots + (<usize>i << 2)) != 0) i = (i + 1) & mask;
  store<u32>(slots + (<usize>i << 2), index + 1);
}

function growValues(): bool {
  const next = capacity == 0 ? <u32>16 : capacity * 2;
  const block = alloc(<usize>next << 3);
  if (block == 0) return false;
  if (values != 0) {
    memory.copy(block, values, <usize>count << 3);
    free(values, <usize>capacity << 3);
  }
  values = block;
  capacity = next;
  return true;
}

function growSlots(): bool {
  const bits = slotBits == 0 ? INITIAL_BITS : slotBits + 1;
  const table = newSlotTable(bits);
  if (table == 0) return false;
  const old = slots;
  const oldCapacity: usize = old == 0 ? 0 : <usize>1 << slotBits;
  slots = table;
  slotBits = bits;
  moveEntries(old, oldCapacity, (entry: u32): void => place(entry - 1));
  return true;
}
