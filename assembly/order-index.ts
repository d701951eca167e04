// Order id -> order record, for O(1) cancel, reduce, modify and findOrder.
//
// An open-addressing table of 4-byte record pointers; the key is read from the record itself
// (its id), so an entry costs 4 bytes and a hit costs the record load the caller needs anyway.
// The home slot is `id & mask`: ids are handed out 1, 2, 3..., so live orders placed close
// together sit in consecutive slots with no collisions at all, and the table can run dense.
// Robin Hood linear probing bounds every probe sequence (a lookup stops as soon as it meets an
// entry closer to its home than the key would be) and backward-shift deletion keeps it so
// without tombstones.
//
// Growth: at 31/32 full, or earlier (once a quarter full) when an insert had to probe far,
// which is what scattered long-lived ids do. Dense sequential tables stay at ~4 bytes an order;
// adversarial ones fall back to the usual <= 1/2 load.
import { alloc, free } from './allocator';
import { orderId } from './orders';

const INITIAL_BITS: u32 = 10;
const FAR_PROBE: u32 = 16;

let table: usize = 0;
let bits: u32 = 0;
let mask: u32 = 0;
let count: u32 = 0;
let growSoon = false;

export function resetOrderIndex(): bool {
  table = 0;
  bits = 0;
  mask = 0;
  count = 0;
  growSoon = false;
  return resize(INITIAL_BITS);
}

export function indexedOrders(): u32 {
  return count;
}
export function indexBytes(): usize {
  return (<usize>1 << bits) << 2;
}

@inline function home(id: f64): u32 {
  return <u32>(<u64>id) & mask;
}
@inline function entry(slot: u32): usize {
  return <usize>load<u32>(table + (<usize>slot << 2));
}
@inline function setEntry(slot: u32, order: usize): void {
  store<u32>(table + (<usize>slot << 2), <u32>order);
}

/** The resting order with this id, or 0. */
export function findOrderRecord(id: f64): usize {
  let slot = home(id);
  let distance: u32 = 0;
  while (true) {
    const order = entry(slot);
    if (order == 0) return 0;
    const key = orderId(order);
    if (key == id) return order;
    if (((slot - home(key)) & mask) < distance) return 0;
    slot = (slot + 1) & mask;
    distance++;
  }
}

/** Makes sure the next insert needs no memory; false (nothing changed) when it cannot grow. */
export function reserveIndexEntry(): bool {
  const capacity = mask + 1;
  if (count + 1 > capacity - (capacity >> 5)) return resize(bits + 1);
  if (growSoon) {
    growSoon = false;
    // Best effort: a failed early growth still leaves room for the insert.
    if (count * 4 >= capacity) resize(bits + 1);
  }
  return true;
}

/** Adds an order whose id is not in the table; only after reserveIndexEntry. */
export function insertOrderRecord(order: usize): void {
  place(order);
  count++;
}

function place(order: usize): void {
  let carried = order;
  let slot = home(orderId(order));
  let distance: u32 = 0;
  while (true) {
    const resident = entry(slot);
    if (resident == 0) {
      setEntry(slot, carried);
      break;
    }
    const residentDistance = (slot - home(orderId(resident))) & mask;
    if (residentDistance < distance) {
      setEntry(slot, carried);
      carried = resident;
      distance = residentDistance;
    }
    slot = (slot + 1) & mask;
    distance++;
  }
  if (distance > FAR_PROBE) growSoon = true;
}

/** Removes a record that is in the table. */
export function removeOrderRecord(order: usize): void {
  let slot = home(orderId(order));
  while (entry(slot) != order) slot = (slot + 1) & mask;
  while (true) {
    const nextSlot = (slot + 1) & mask;
    const next = entry(nextSlot);
    if (next == 0 || home(orderId(next)) == nextSlot) break;
    setEntry(slot, next);
    slot = nextSlot;
  }
  setEntry(slot, 0);
  count--;
}

function resize(newBits: u32): bool {
  const bytes = (<usize>1 << newBits) << 2;
  const block = alloc(bytes);
  if (block == 0) return false;
  memory.fill(block, 0, bytes);
  const old = table;
  const oldCapacity: u32 = old == 0 ? 0 : mask + 1;
  table = block;
  bits = newBits;
  mask = (<u32>1 << newBits) - 1;
  growSoon = false;
  for (let slot: u32 = 0; slot < oldCapacity; slot++) {
    const order = <usize>load<u32>(old + (<usize>slot << 2));
    if (order != 0) place(order);
  }
  if (old != 0) free(old, <usize>oldCapacity << 2);
  return true;
}
