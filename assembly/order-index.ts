// Order id -> order record, for O(1) cancel, reduce, modify and findOrder.
//
// An open-addressing table of 4-byte entries: an order record's address (records are 8-byte
// aligned) with, in its low 3 bits, the entry's distance from its home slot (7: "7 or more",
// then the distance is worked out from the record's id). The key is read from the record itself
// (its id), so an entry costs 4 bytes; the distance tags let probes pass over entries of other
// homes without touching their records, so a lookup reads one record (the hit) and inserts and
// deletions read none in the usual case.
// The home slot is a permutation of `id & mask` (home()): ids are handed out 1, 2, 3..., so live
// orders placed close together never collide, and the table can run dense.
// Robin Hood linear probing bounds every probe sequence (a lookup stops as soon as it meets an
// entry closer to its home than the key would be) and backward-shift deletion keeps it so
// without tombstones.
//
// Growth: at 31/32 full, or earlier (once a quarter full) when an insert had to probe far,
// which is what scattered long-lived ids do. Dense sequential tables stay at ~4 bytes an order;
// adversarial ones fall back to the usual <= 1/2 load.
import { newSlotTable, moveEntries } from './slot-table';
import { orderId, setOrderId, setOrderOwner, setOrderRemaining, setOrderTimestamp, takeOrder } from './orders';
import { low32 } from './hashing';

const INITIAL_BITS: u32 = 10;
// An insert that probes further than this asks for growth, granted once the table is half full.
// On the mixed benchmark flow a threshold of 16 let clusters reach 7 probes an insert; 6 keeps
// it under one. The half-full floor (a quarter before) keeps a million scattered live ids in
// 8 MB instead of 16 MB (60.9 -> 50.9 bytes a resting order at the end of the growing
// benchmark) with no change in steady throughput that repeated runs could tell apart.
const FAR_PROBE: u32 = 6;
/** An insert that probes further than this switches to scrambled homes (see home()). */
const CLUSTER_PROBE: u32 = 100;
const TAG: u32 = 7;
const POINTER: u32 = ~TAG;

let table: usize = 0;
let bits: u32 = 0;
let mask: u32 = 0;
let runMask: u32 = 0;
let scrambled = false;
let scrambleSoon = false;
let count: u32 = 0;
let growSoon = false;
/** The slot where findOrderRecord found its order (valid until the table changes). */
export let foundSlot: u32 = 0;

export function resetOrderIndex(): bool {
  table = 0;
  bits = 0;
  mask = 0;
  runMask = 0;
  scrambled = false;
  scrambleSoon = false;
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

/**
 * `id & mask` (exact for ids below 2^52): ids are handed out in order, so new orders land in
 * consecutive slots of a line that is already cached, and ids placed close together never
 * collide. One pattern defeats it: a block of long-lived ids holds a dense run of slots that
 * new ids must probe through each time the id counter wraps the table (a book holding 5,000 old
 * orders under a churning touch took ~400 probes an insert). An insert that probes that far
 * switches the table, for good, to `scrambled` homes: the same permutation of `id & mask` except
 * that each run of 16 ids goes to a scattered run of slots (an odd multiply of the run number,
 * a bijection), which brings that case down to ~2 probes. It stays a permutation, so a dense
 * table still has no collisions; it is not the default because it is ~25% slower on ordinary
 * flows (new ids no longer land next to each other).
 */
@inline function home(id: f64): u32 {
  const low = low32(id);
  if (!scrambled) return low & mask;
  return ((((low >> 4) * 0x9E3779B1) & runMask) << 4) | (low & 15);
}
@inline function entry(slot: u32): u32 {
  return load<u32>(table + (<usize>slot << 2));
}
@inline function setEntry(slot: u32, value: u32): void {
  store<u32>(table + (<usize>slot << 2), value);
}
@inline function tagged(order: usize, distance: u32): u32 {
  return <u32>order | min<u32>(distance, TAG);
}
/** The distance from its home of the entry `e` found at `slot`. */
@inline function distanceOf(e: u32, slot: u32): u32 {
  const tag = e & TAG;
  return tag < TAG ? tag : (slot - home(orderId(<usize>(e & POINTER)))) & mask;
}

/** The resting order with this id, or 0; sets foundSlot. */
@inline export function findOrderRecord(id: f64): usize {
  let slot = home(id);
  let distance: u32 = 0;
  while (true) {
    const e = entry(slot);
    if (e == 0) return 0;
    const tag = e & TAG;
    if (tag == distance || tag == TAG) {
      const order = <usize>(e & POINTER);
      if (orderId(order) == id) {
        foundSlot = slot;
        return order;
      }
    } else if (tag < distance) {
      return 0;
    }
    slot = (slot + 1) & mask;
    distance++;
  }
}

/**
 * Sizes the table for `orders` entries at most half full. A restore inserts in snapshot order
 * (by level), not id order, so ids scatter over the table: without room up front, every
 * doubling point would be reached through long probe runs (1M orders took ~15 s).
 */
export function presizeOrderIndex(orders: u32): bool {
  let newBits = bits;
  while ((<u64>1 << newBits) < <u64>orders * 2) newBits++;
  return newBits == bits || resize(newBits);
}

/** Makes sure the next insert needs no memory; false (nothing changed) when it cannot grow. */
@inline export function reserveIndexEntry(): bool {
  const capacity = mask + 1;
  if (count + 1 <= capacity - (capacity >> 5) && !growSoon) return true;
  return reserveIndexEntrySlow();
}

function reserveIndexEntrySlow(): bool {
  const capacity = mask + 1;
  if (scrambleSoon) {
    scrambleSoon = false;
    // Best effort, like early growth: rebuilt with scrambled homes (and grown if due).
    const grow = count + 1 > capacity - (capacity >> 5) || count * 2 >= capacity;
    if (resize(grow ? bits + 1 : bits, true)) {
      growSoon = false;
      return true;
    }
  }
  if (count + 1 > capacity - (capacity >> 5)) return resize(bits + 1);
  if (growSoon) {
    growSoon = false;
    // Best effort: a failed early growth still leaves room for the insert.
    if (count * 2 >= capacity) resize(bits + 1);
  }
  return true;
}

/** Adds an order whose id is not in the table; only after reserveIndexEntry. */
@inline export function insertOrderRecord(order: usize): void {
  // Most inserts find their home slot free: store the entry (distance 0) without the probe loop.
  const slot = home(orderId(order));
  if (entry(slot) == 0) setEntry(slot, <u32>order);
  else place(order);
  count++;
}

function place(order: usize): void {
  let carried = order;
  let slot = home(orderId(order));
  let distance: u32 = 0;
  // Slots walked, which is what the insert costs: a Robin Hood insert into a dense run shifts
  // every entry up to the run's end, each by one slot, so no entry's distance grows far while
  // the walk does (ids that wrap the table onto a run of long-lived ones, at 90% load, walked
  // thousands of slots an insert with every distance under FAR_PROBE).
  let walked: u32 = 0;
  while (true) {
    const resident = entry(slot);
    if (resident == 0) {
      setEntry(slot, tagged(carried, distance));
      break;
    }
    const residentDistance = distanceOf(resident, slot);
    if (residentDistance < distance) {
      setEntry(slot, tagged(carried, distance));
      carried = <usize>(resident & POINTER);
      distance = residentDistance;
    }
    slot = (slot + 1) & mask;
    distance++;
    walked++;
  }
  if (walked > FAR_PROBE || distance > FAR_PROBE) growSoon = true;
  if (distance > CLUSTER_PROBE && !scrambled) scrambleSoon = true;
}

/**
 * A new order record with its fields set (flags: stp | OCO_LEG), entered in the index: how every
 * order comes to rest or to wait as a stop, new or restored. Only after reserveOrder() and
 * reserveIndexEntry().
 */
@inline export function createIndexedOrder(id: f64, remaining: f64, timestamp: f64, traderIndex: u32, flags: u32): usize {
  const order = takeOrder();
  setOrderId(order, id);
  setOrderRemaining(order, remaining);
  setOrderTimestamp(order, timestamp);
  setOrderOwner(order, traderIndex, flags);
  insertOrderRecord(order);
  return order;
}

/** Removes the entry at `slot` (backward-shift deletion). */
@inline export function removeSlot(slot: u32): void {
  const next = entry((slot + 1) & mask);
  if (next == 0 || (next & TAG) == 0) {
    // Nothing to shift back (the usual case).
    setEntry(slot, 0);
    count--;
  } else {
    shiftBack(slot);
  }
}

function shiftBack(slot: u32): void {
  while (true) {
    const nextSlot = (slot + 1) & mask;
    const next = entry(nextSlot);
    if (next == 0 || (next & TAG) == 0) break;
    const distance = distanceOf(next, nextSlot);
    setEntry(slot, tagged(<usize>(next & POINTER), distance - 1));
    slot = nextSlot;
  }
  setEntry(slot, 0);
  count--;
}

/** Removes a record that is in the table. */
@inline export function removeOrderRecord(order: usize): void {
  let slot = home(orderId(order));
  while ((entry(slot) & POINTER) != <u32>order) slot = (slot + 1) & mask;
  removeSlot(slot);
}

function resize(newBits: u32, newScrambled: bool = scrambled): bool {
  const block = newSlotTable(newBits);
  if (block == 0) return false;
  const old = table;
  const oldCapacity: usize = old == 0 ? 0 : <usize>mask + 1;
  table = block;
  bits = newBits;
  mask = (<u32>1 << newBits) - 1;
  runMask = mask >> 4;
  scrambled = newScrambled;
  growSoon = false;
  moveEntries(old, oldCapacity, (e: u32): void => place(<usize>(e & POINTER)));
  return true;
}
