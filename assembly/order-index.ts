// Order id -> order record, for O(1) cancel, reduce, modify and findOrder.
//
// An open-addressing table of 4-byte entries: an order record's address (records are 8-byte
// aligned) with, in its low 3 bits, the entry's distance from its home slot (7: "7 or more",
// then the distance is worked out from the record's id). The key is read from the record itself
// (its id), so an entry costs 4 bytes; the distance tags let probes pass over entries of other
// homes without touching their records, so a lookup reads one record (the hit) and inserts and
// deletions read none in the usual case.
// The home slot is a permutation of `id mod capacity` (home()): ids are handed out 1, 2, 3...,
// so live orders placed close together never collide, and the table can run dense.
// Robin Hood linear probing bounds every probe sequence (a lookup stops as soon as it meets an
// entry closer to its home than the key would be) and backward-shift deletion keeps it so
// without tombstones.
//
// Size and growth. The table is made of 64 KiB segments (16,384 slots) reached through a small
// directory, so its capacity can be any multiple of a segment rather than a power of two (only
// compact tables, whose homes are hashed, use that: below COMPACT_FROM a home is `id mod capacity`
// by a mask).
//   - It starts at one segment, however few orders there are: sized to a small book (1,024
//     slots doubling at half full) it kept a few hundred long-lived orders dense enough for new
//     ids, wrapping it, to probe through them; one segment made the core alone 1.48x as fast on
//     sweep, 1.32x on LOBSTER, 1.84x on the stop cascades (bench/core-ab.ts, stop 57).
//   - Below COMPACT_FROM slots it doubles, at 31/32 full or, once half full, after an insert
//     had to probe far (which is what scattered long-lived ids do), in place: the segments stay,
//     new ones join them, and the entries are placed again from the order records (orders.ts
//     walks its pool). Under 32K entries this is bounded by a constant: the insert holding the
//     last doubling (15,873 orders) took 0.7-5.8 ms, the one making the table compact (31,745,
//     its next table zeroed in one go) 0.7-0.9 ms (per call, 3 runs, stop 61).
//   - From COMPACT_FROM on, where the index shows in the bytes of a resting order, it grows to
//     3/5 full once 17/20 full (growAt): scattered ids cost 4.7 to 6.7 bytes an order, where a
//     power-of-two table doubling to 1/2 full cost 8 to 16 (8.4 at a million scattered ids,
//     which with the 40-byte record passed 48). That dense, `id mod capacity` homes crawl (new
//     ids probe through the packed runs of long-lived ones: growing ran 25x slower), so a
//     compact table spreads its homes (`spread`: a Fibonacci hash scaled to the capacity).
//     Growing at 17/20 rather than on a far probe (stop 59) made the core alone 1.05-1.2x as
//     fast on growing and ends at 1,310,720 slots at a million orders (5.2 bytes an order);
//     4/5 and 13/16 end larger, 7/8 was slower. A compact table that cannot get memory still
//     takes inserts to 31/32 full (hardLimit).
// A compact growth is not done in one go: rebuilt inside whichever command filled the table, it
// held that command 54-91 ms at 0.78M-1.1M orders (stop 60, bench/growth-pauses.ts), most of it
// this VM's price for pages touched the first time (20-67 us each). Instead it is spread over
// the inserts between one growth point and the next, in two stretches of a quarter each:
//   - From prepareAt, the next table's segments are taken and each insert zeroes a few dozen
//     of their bytes (zeroBytes), so their pages are first touched one every hundred inserts or
//     so. Left to the inserts themselves, new ids (hashed over the whole table) touched nearly
//     every page in the first batch after the growth (18 ms at 1.1M orders).
//   - At growAt the next table becomes the current one; new entries go there, and each insert
//     migrates the old table's entries of migrationRate slots, then on to the end of the run it
//     stopped in (migrateSome), so that the old table is empty a quarter of the way to the next
//     growth and its segments go back to the allocator, where the order chunks that follow
//     (64 KiB, as a segment) reuse them: spread over the whole way, the old table was still held
//     at a million orders, 50.5 bytes an order against the 48 allowed. A run (from an empty slot
//     or an entry at its home to the next) holds every entry whose home is in it, so emptying a
//     whole run leaves every lookup in the old table as it was; homes are monotonic in the hash,
//     so walked in slot order the entries land in the new table in order too.
//   While migrating, a lookup that misses in the current table looks in the old one (swapTables
//   lends it the current table's fields and code), and a foundSlot there carries OLD_SLOT so
//   that removeSlot knows which table it points into. Outside a growth an insert, a lookup and
//   a removal each pay one predictable branch: the WASM code's instructions on LOBSTER (never
//   compact) +0.57%, on the quick growing stream +0.76% (callgrind, stop 61); growing's wall
//   clock lost more (0.90-0.94x, bench/core-ab.ts): a migrated entry's record is read at random
//   to hash its id, where the rebuild walked the records in order.
import { orderId, forEachOrder, setOrderId, setOrderOwner, setOrderRemaining, setOrderTimestamp, takeOrder } from './orders';
import { alloc, allocZeroed, free } from './allocator';
import { low32 } from './hashing';

const SEGMENT_BITS: u32 = 14;
const SEGMENT_SLOTS: u32 = 1 << SEGMENT_BITS;
const SEGMENT_MASK: u32 = SEGMENT_SLOTS - 1;
/** The smallest table: one segment (see the header). */
const INITIAL_SLOTS: u32 = SEGMENT_SLOTS;
/** From this capacity on the table grows by fractions, not doublings (see the header). */
const COMPACT_FROM: u32 = 4 * SEGMENT_SLOTS;
// An insert into a table below COMPACT_FROM that probes further than this asks for growth,
// granted once the table is half full. On the mixed benchmark flow a threshold of 16 let clusters
// reach 7 probes an insert; 6 keeps it under one.
const FAR_PROBE: u32 = 6;
/** A compact table grows once this many twentieths full (see the header). */
const COMPACT_GROWTH_TWENTIETHS: u64 = 17;
/**
 * An insert that probes further than this switches to scrambled homes (see home()). At 100 the
 * sweep benchmark never switched, though its deep levels hold long-lived ids that new ids probe
 * through: place() and shiftBack() took a fifth of the core's time there. At 64 it switches
 * (WASM core alone on sweep +19%, 20 alternated pairs; steady, lobster, wide and growing within
 * their noise, so none of them switches).
 */
const CLUSTER_PROBE: u32 = 64;
const TAG: u32 = 7;
const POINTER: u32 = ~TAG;
const INITIAL_DIRECTORY: u32 = 16;
const SEGMENT_BYTES: usize = <usize>SEGMENT_SLOTS << 2;
/**
 * A growth spans the inserts from one growth point to the next: the old table is emptied in the
 * first GROWTH_SHARE-th of them (so its memory serves the orders that follow), and the next
 * table's pages are written in the last (see the header).
 */
const GROWTH_SHARE: u32 = 4;
/** Marks a foundSlot in the old table (capacities stay under 2^31 slots). */
const OLD_SLOT: u32 = 0x80000000;

/** Segment addresses (u32 each): the capacity is always a whole number of segments. */
let directory: usize = 0;
let directoryLength: u32 = 0;
/**
 * The segment's address when the table is one segment (LOBSTER's and most books' whole life),
 * else 0: a slot's address is then one add away from its home, where the directory put a load of
 * its own on the chain from an id to its record (stop 67).
 */
let singleSegment: usize = 0;
let capacity: u32 = 0;
let runs: u32 = 0;
let scrambled = false;
/** Homes spread by a multiplicative hash (compact tables, see the header), not `id mod capacity`. */
let spread = false;
let scrambleSoon = false;
let count: u32 = 0;
let growSoon = false;
/** The count past which an insert asks the table to grow (set by resize; see the header). */
let growAt: u32 = 0;
/** The count past which a compact table makes its successor ready (prepareNextTable). */
let prepareAt: u32 = 0;
/** The count past which reserveIndexEntry leaves its fast path: prepareAt or growAt. */
let checkAt: u32 = 0;
/** Inserts take a step of the growth: zeroing the next table's pages, or migrating. */
let growing = false;
/** The slot where findOrderRecord found its order (valid until the table changes), OLD_SLOT set in the old table. */
export let foundSlot: u32 = 0;

// While a compact table grows, the table it outgrew (see the header): the same fields as the
// current table's above, exchanged with them (swapTables) to look up or remove in it.
let migrating = false;
let oldDirectory: usize = 0;
let oldDirectoryLength: u32 = 0;
let oldSingleSegment: usize = 0;
let oldCapacity: u32 = 0;
let oldRuns: u32 = 0;
let oldScrambled = false;
let oldSpread = false;
/** The next old slot to migrate, and how many are left to walk. */
let migrationCursor: u32 = 0;
let slotsToMigrate: u32 = 0;
/** Old slots walked by each insert (then on to the end of the run): enough to empty the old table before growAt. */
let migrationRate: u32 = 0;
/** The most old entries one insert has moved since the index was reset (the tests read it). */
let mostMigrated: u32 = 0;
// The table the current one will grow into, while its pages are written ahead of the growth.
let nextDirectory: usize = 0;
let nextDirectoryLength: u32 = 0;
let nextCapacity: u32 = 0;
/** The next table's bytes zeroed so far, and how many each insert zeroes. */
let bytesZeroed: u32 = 0;
let zeroRate: u32 = 0;

export function resetOrderIndex(): bool {
  directory = alloc(<usize>INITIAL_DIRECTORY << 2);
  if (directory == 0) return false;
  directoryLength = INITIAL_DIRECTORY;
  memory.fill(directory, 0, <usize>INITIAL_DIRECTORY << 2);
  capacity = 0;
  scrambled = false;
  spread = false;
  scrambleSoon = false;
  count = 0;
  growSoon = false;
  growing = false;
  migrating = false;
  oldCapacity = 0;
  nextCapacity = 0;
  mostMigrated = 0;
  return resize(INITIAL_SLOTS);
}

/** The current table's slots (indexBytes adds a table being emptied or readied). */
export function indexSlots(): u32 {
  return capacity;
}
/** The most old entries one insert has moved into a grown table since the index was reset. */
export function indexMostMigrated(): u32 {
  return mostMigrated;
}

export function indexedOrders(): u32 {
  return count;
}
export function indexBytes(): usize {
  return <usize>(capacity + (migrating ? oldCapacity : 0) + nextCapacity) << 2;
}
/** The entries' distances from their homes, summed: what lookups and inserts probe past (the tests read it). */
export function indexDisplacement(): f64 {
  let total = tableDisplacement();
  if (migrating) {
    swapTables();
    total += tableDisplacement();
    swapTables();
  }
  return total;
}

function tableDisplacement(): f64 {
  let total: f64 = 0;
  for (let slot: u32 = 0; slot < capacity; slot++) {
    const e = entry(slot);
    if (e != 0) total += <f64>distanceOf(e, slot);
  }
  return total;
}

/**
 * `id mod capacity` (of the low 32 bits; exact order for ids below 2^32): ids are handed out in
 * order, so new orders land in consecutive slots of a line that is already cached, and ids
 * placed close together never collide. One pattern defeats it: a block of long-lived ids holds
 * a dense run of slots that new ids must probe through each time the id counter wraps the table
 * (a book holding 5,000 old orders under a churning touch took ~400 probes an insert; the sweep
 * benchmark's deep levels, 64 to 100). An insert that probes past CLUSTER_PROBE switches the
 * table, for good, to `scrambled` homes: each run of 16 ids goes to a scattered run of slots (an
 * odd multiply of the run number, scaled to the table), which brings that case down to ~2 probes.
 * It is not the default because it is ~25% slower on ordinary flows (new ids no longer land next
 * to each other).
 */
@inline function home(id: f64): u32 {
  const low = low32(id);
  // The product's top bits scaled to the table, not the product mod capacity: a capacity is whole
  // segments (a multiple of 2^14), so `mod capacity` kept the product's low bits, which depend on
  // the id's low bits alone: at 19 * 2^16 slots ids 2^16 apart had 19 homes among them, growing's
  // 746,617 resting ids sat 5.1 slots from home on average (0.3 this way), and the WASM passes
  // from that state ran at half speed (bench/README.md, stop 58).
  if (spread) return <u32>((<u64>(low * 0x9E3779B1) * <u64>capacity) >> 32);
  // A table below COMPACT_FROM is one or two segments (it starts at one and doubles), a power of
  // two, so `mod capacity` is a mask: Lemire's fastmod here was three dependent 64-bit multiplies
  // at the head of every lookup's chain of loads (stop 67).
  if (!scrambled) return low & (capacity - 1);
  const run = <u32>((<u64>((low >> 4) * 0x9E3779B1) * <u64>runs) >> 32);
  return (run << 4) | (low & 15);
}
@inline function slotAddress(slot: u32): usize {
  const only = singleSegment;
  if (only != 0) return only + (<usize>slot << 2);
  const segment = <usize>load<u32>(directory + (<usize>(slot >> SEGMENT_BITS) << 2));
  return segment + (<usize>(slot & SEGMENT_MASK) << 2);
}
@inline function entry(slot: u32): u32 {
  return load<u32>(slotAddress(slot));
}
@inline function setEntry(slot: u32, value: u32): void {
  store<u32>(slotAddress(slot), value);
}
@inline function nextSlot(slot: u32): u32 {
  const next = slot + 1;
  return next == capacity ? 0 : next;
}
@inline function tagged(order: usize, distance: u32): u32 {
  return <u32>order | min<u32>(distance, TAG);
}
/** The distance from its home of the entry `e` found at `slot`. */
@inline function distanceOf(e: u32, slot: u32): u32 {
  const tag = e & TAG;
  if (tag < TAG) return tag;
  const from = home(orderId(<usize>(e & POINTER)));
  return slot >= from ? slot - from : slot + capacity - from;
}

/** The resting order with this id, or 0; sets foundSlot. */
@inline export function findOrderRecord(id: f64): usize {
  const order = probe(id);
  // Not in the current table: while it grows, the order may not have been migrated yet.
  return order != 0 || !migrating ? order : findOldOrderRecord(id);
}

/** The order with this id in the current table, or 0; sets foundSlot. */
@inline function probe(id: f64): usize {
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
    slot = nextSlot(slot);
    distance++;
  }
}

function findOldOrderRecord(id: f64): usize {
  swapTables();
  const order = probe(id);
  swapTables();
  if (order != 0) foundSlot |= OLD_SLOT;
  return order;
}

/** The capacity that holds `entries` at a load of at most 1/2 (small tables) or 3/5. */
function capacityFor(entries: u32): u32 {
  let wanted = <u64>entries * 2;
  if (wanted <= <u64>COMPACT_FROM) {
    let slots = INITIAL_SLOTS;
    while (<u64>slots < wanted) slots <<= 1;
    return slots;
  }
  wanted = (<u64>entries * 5 + 2) / 3;
  wanted = max<u64>(wanted, <u64>COMPACT_FROM);
  return <u32>min<u64>((wanted + SEGMENT_MASK) & ~<u64>SEGMENT_MASK, 0x80000000);
}

/** The next capacity up: double below COMPACT_FROM, else room for 3/5 load (at least a segment more). */
function grownCapacity(): u32 {
  if (capacity < COMPACT_FROM) return capacity << 1;
  return max<u32>(capacityFor(count + 1), capacity + SEGMENT_SLOTS);
}

/** The entries a table holds at most: 31/32 full, past which an insert must grow it. */
@inline function hardLimit(): u32 {
  return capacity - (capacity >> 5);
}

/** The load from which a far probe (below COMPACT_FROM) or a switch to scrambled homes makes the table grow. */
@inline function farGrowthLoad(): u32 {
  return capacity < COMPACT_FROM ? capacity >> 1 : capacity - (capacity >> 2);
}

/**
 * Sizes the table for `orders` entries. A restore inserts in snapshot order (by level), not id
 * order, so ids scatter over the table: without room up front, every growth point would be
 * reached through long probe runs (1M orders took ~15 s).
 */
export function presizeOrderIndex(orders: u32): bool {
  const wanted = capacityFor(orders);
  return wanted <= capacity || resize(wanted);
}

/** The next capacity, by migration when compact (see the header); false, nothing changed, without memory. */
function grow(): bool {
  const next = nextCapacity != 0 ? nextCapacity : grownCapacity();
  if (next < COMPACT_FROM || count == 0) return resize(next);
  if (nextCapacity == 0 && !prepareNextTable(next)) return false;
  // Normally done already, a few pages an insert.
  zeroBytes(bytesToZero());
  startMigration();
  return true;
}

/** Makes sure the next insert needs no memory; false (nothing changed) when it cannot grow. */
@inline export function reserveIndexEntry(): bool {
  if (count + 1 <= checkAt && !growSoon) return true;
  return reserveIndexEntrySlow();
}

function reserveIndexEntrySlow(): bool {
  const full = count + 1 > hardLimit();
  if (scrambleSoon) {
    scrambleSoon = false;
    // Best effort, like early growth: rebuilt with scrambled homes (and grown if due).
    const grow = full || count >= farGrowthLoad();
    if (resize(grow ? grownCapacity() : capacity, true)) {
      growSoon = false;
      return true;
    }
  }
  if (full) return grow();
  if (count + 1 > growAt) {
    // Best effort: a compact table that cannot grow still takes inserts to its hard limit, without
    // asking again for memory each time.
    if (!grow()) {
      growAt = hardLimit();
      checkAt = growAt;
    }
    return true;
  }
  // Best effort: without memory now, the growth asks again at growAt.
  if (count + 1 > prepareAt && nextCapacity == 0 && !prepareNextTable(max<u32>(capacityFor(growAt + 1), capacity + SEGMENT_SLOTS))) {
    prepareAt = growAt;
    checkAt = growAt;
  }
  if (growSoon) {
    growSoon = false;
    // Best effort: a failed early growth still leaves room for the insert.
    if (count >= farGrowthLoad()) grow();
  }
  return true;
}

/** Room for two inserts without memory (an OCO pair's legs); false (nothing changed) when it cannot grow. */
export function reserveTwoIndexEntries(): bool {
  if (!reserveIndexEntry()) return false;
  // The grown capacity holds count + 1 well under its hard limit, so count + 2 as well.
  return count + 2 <= hardLimit() || grow();
}

/** Adds an order whose id is not in the table; only after reserveIndexEntry. */
@inline export function insertOrderRecord(order: usize): void {
  // Most inserts find their home slot free: store the entry (distance 0) without the probe loop.
  const slot = home(orderId(order));
  if (entry(slot) == 0) setEntry(slot, <u32>order);
  else place(order);
  count++;
  if (growing) {
    if (migrating) migrateSome();
    else zeroBytes(zeroRate);
  }
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
    slot = nextSlot(slot);
    distance++;
    walked++;
  }
  // A spread table (homes hashed) has no runs of wrapped ids: it grows at a fixed load (growAt),
  // not on a far probe, which its hash times (bench/README.md, stop 59).
  if (!spread && (walked > FAR_PROBE || distance > FAR_PROBE)) growSoon = true;
  // Spread homes ignore `scrambled`: switching would only rebuild the table in one go.
  if (distance > CLUSTER_PROBE && !scrambled && !spread) scrambleSoon = true;
}

/**
 * Writes a word of every 4 KiB page of the empty table a restore just sized: a table placed in
 * memory never used is not zeroed (allocZeroed) and its pages are not yet present. Faulted here,
 * in page order, each costs one fault; left to the restore's inserts, hashed all over the table,
 * the first read of a page (touchHomes) maps the zero page and the insert's write then faults it
 * again. Meanwhile another thread touches the pages the restore's records go to (src/prefault.ts).
 */
export function touchEmptyTable(): void {
  if (count != 0) return;
  const segments = capacity >> SEGMENT_BITS;
  for (let i: u32 = 0; i < segments; i++) {
    const segment = <usize>load<u32>(directory + (<usize>i << 2));
    for (let page: usize = 0; page < SEGMENT_BYTES; page += 4096) store<u32>(segment + page, 0);
  }
}

/** Sum of the entries touched by touchHomes: kept so the loads are not optimized away. */
let touched: u32 = 0;

/**
 * Reads the home slots of `count` ids at `first`, `stride` bytes apart, before their orders are
 * inserted: a restore inserts ids in queue order, scattered over a table larger than the cache,
 * so each insert would wait for its own cache miss; these loads are independent of each other,
 * and the CPU overlaps them.
 */
export function touchHomes(first: usize, count: u32, stride: usize): void {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < count; i++) sum += entry(home(load<f64>(first + <usize>i * stride)));
  touched += sum;
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

/** Removes the entry at `slot` (a foundSlot; backward-shift deletion). */
@inline export function removeSlot(slot: u32): void {
  if (slot >= OLD_SLOT) {
    removeOldSlot(slot ^ OLD_SLOT);
    return;
  }
  removeAt(slot);
}

@inline function removeAt(slot: u32): void {
  const next = entry(nextSlot(slot));
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
    const following = nextSlot(slot);
    const next = entry(following);
    if (next == 0 || (next & TAG) == 0) break;
    const distance = distanceOf(next, following);
    setEntry(slot, tagged(<usize>(next & POINTER), distance - 1));
    slot = following;
  }
  setEntry(slot, 0);
  count--;
}

function removeOldSlot(slot: u32): void {
  swapTables();
  removeAt(slot);
  swapTables();
}

/** Removes a record that is in the table. */
@inline export function removeOrderRecord(order: usize): void {
  if (migrating) {
    removeMigratingRecord(order);
    return;
  }
  let slot = home(orderId(order));
  while ((entry(slot) & POINTER) != <u32>order) slot = nextSlot(slot);
  removeSlot(slot);
}

/** Ids are unique, so the record's id finds it in whichever table holds it. */
function removeMigratingRecord(order: usize): void {
  findOrderRecord(orderId(order));
  removeSlot(foundSlot);
}

/**
 * Gives the table `newCapacity` slots (the segments it lacks) and places every order again;
 * false, with nothing changed, when memory cannot grow. A migration under way is dropped: the
 * orders are placed again from their records.
 */
function resize(newCapacity: u32, newScrambled: bool = scrambled): bool {
  // The segments the table had hold its entries; those it gains come zeroed (provideSegments).
  const kept = min<u32>(capacity, newCapacity) >> SEGMENT_BITS;
  if (!provideSegments(newCapacity)) return false;
  if (migrating) freeOldTable();
  if (nextCapacity != 0) freeNextTable();
  setCapacity(newCapacity);
  planGrowth();
  scrambled = newScrambled;
  for (let i: u32 = 0; i < kept; i++) memory.fill(<usize>load<u32>(directory + (<usize>i << 2)), 0, SEGMENT_BYTES);
  count = 0;
  forEachOrder((order: usize): void => {
    place(order);
    count++;
  });
  return true;
}

function setCapacity(newCapacity: u32): void {
  capacity = newCapacity;
  // Only after the directory holds the table's segments (provideSegments, startMigration).
  singleSegment = newCapacity == SEGMENT_SLOTS ? <usize>load<u32>(directory) : 0;
  growAt = newCapacity >= COMPACT_FROM ? <u32>((<u64>newCapacity * COMPACT_GROWTH_TWENTIETHS) / 20) : hardLimit();
  // home()'s mask needs a power of two wherever homes are not spread.
  assert(newCapacity >= COMPACT_FROM || (newCapacity & (newCapacity - 1)) == 0);
  runs = newCapacity >> 4;
  spread = newCapacity >= COMPACT_FROM;
  growSoon = false;
}

/** Where the next growth's steps begin, from the count now: the last GROWTH_SHARE-th of the way to growAt. */
function planGrowth(): void {
  const span = growAt > count ? growAt - count : 0;
  prepareAt = capacity >= COMPACT_FROM ? growAt - span / GROWTH_SHARE : growAt;
  checkAt = prepareAt;
}

/**
 * Takes the segments of a table of `newCapacity` slots, which inserts then zero a few bytes at a
 * time (zeroBytes): a fresh page costs its first touch (up to 67 us here), and a growth that
 * took them all at once, or let new ids (hashed all over the table) take them, paused for it.
 * False, nothing changed, without memory.
 */
function prepareNextTable(newCapacity: u32): bool {
  if (migrating) {
    // Only when growth came early (a hard limit): finish the last migration in one go.
    migrationRate = slotsToMigrate;
    migrateSome();
  }
  const segments = newCapacity >> SEGMENT_BITS;
  let length = INITIAL_DIRECTORY;
  while (length < segments) length <<= 1;
  const table = alloc(<usize>length << 2);
  if (table == 0) return false;
  for (let i: u32 = 0; i < segments; i++) {
    const segment = alloc(SEGMENT_BYTES);
    if (segment == 0) {
      for (let j: u32 = 0; j < i; j++) free(<usize>load<u32>(table + (<usize>j << 2)), SEGMENT_BYTES);
      free(table, <usize>length << 2);
      return false;
    }
    store<u32>(table + (<usize>i << 2), <u32>segment);
  }
  nextDirectory = table;
  nextDirectoryLength = length;
  nextCapacity = newCapacity;
  bytesZeroed = 0;
  const inserts = growAt > count ? growAt - count : 1;
  // Whole words: an insert zeroes a few dozen bytes, so a fresh page is first touched every
  // hundred inserts or so rather than with each.
  zeroRate = ((segments * <u32>SEGMENT_BYTES + inserts - 1) / inserts + 3) & ~3;
  growing = true;
  checkAt = growAt;
  return true;
}

@inline function bytesToZero(): u32 {
  return (nextCapacity >> SEGMENT_BITS) * <u32>SEGMENT_BYTES - bytesZeroed;
}

function zeroBytes(bytes: u32): void {
  let left = min<u32>(bytes, bytesToZero());
  while (left > 0) {
    const segment = <usize>load<u32>(nextDirectory + (<usize>(bytesZeroed >> (SEGMENT_BITS + 2)) << 2));
    const offset = bytesZeroed & <u32>(SEGMENT_BYTES - 1);
    const length = min<u32>(left, <u32>SEGMENT_BYTES - offset);
    memory.fill(segment + <usize>offset, 0, length);
    bytesZeroed += length;
    left -= length;
  }
  if (bytesToZero() == 0) growing = false;
}

function freeNextTable(): void {
  freeTable(nextDirectory, nextDirectoryLength, nextCapacity);
  nextCapacity = 0;
  growing = migrating;
}

function freeTable(table: usize, length: u32, slots: u32): void {
  const segments = slots >> SEGMENT_BITS;
  for (let i: u32 = 0; i < segments; i++) free(<usize>load<u32>(table + (<usize>i << 2)), SEGMENT_BYTES);
  free(table, <usize>length << 2);
}

/**
 * Makes the next table, its pages zeroed, the current one and starts moving the entries of the
 * one it replaces into it, insert by insert (migrateSome).
 */
function startMigration(): void {
  swapTables();
  directory = nextDirectory;
  directoryLength = nextDirectoryLength;
  scrambled = oldScrambled;
  setCapacity(nextCapacity);
  nextCapacity = 0;
  // The walk starts where a run starts (an empty slot or an entry at its home), so that the run
  // it wraps round to at the end was never cut.
  let start: u32 = 0;
  while (true) {
    const e = oldEntry(start);
    if (e == 0 || (e & TAG) == 0) break;
    start++;
  }
  migrationCursor = start;
  slotsToMigrate = oldCapacity;
  // Emptied within the first GROWTH_SHARE-th of the inserts to the next growth.
  const inserts = max<u32>((growAt - count) / GROWTH_SHARE, 1);
  migrationRate = (oldCapacity + inserts - 1) / inserts;
  migrating = true;
  growing = true;
  planGrowth();
}

@inline function oldEntryAddress(slot: u32): usize {
  const segment = <usize>load<u32>(oldDirectory + (<usize>(slot >> SEGMENT_BITS) << 2));
  return segment + (<usize>(slot & SEGMENT_MASK) << 2);
}
@inline function oldEntry(slot: u32): u32 {
  return load<u32>(oldEntryAddress(slot));
}

/**
 * Moves the old table's entries of the next migrationRate slots, and of the rest of the run the
 * last of them is in, into the current table. A run (from an empty slot or an entry at its home
 * to the next) holds every entry whose home is in it, so emptying it whole leaves every other
 * lookup and removal in the old table as it was; walked in slot order, the entries land in the
 * current table in order too (homes are monotonic in the hash), touching its fresh pages a few
 * at a time.
 */
function migrateSome(): void {
  let slot = migrationCursor;
  let left = slotsToMigrate;
  let budget = migrationRate;
  let moved: u32 = 0;
  while (left > 0) {
    const address = oldEntryAddress(slot);
    const e = load<u32>(address);
    if (e != 0) {
      store<u32>(address, 0);
      const order = <usize>(e & POINTER);
      const to = home(orderId(order));
      if (entry(to) == 0) setEntry(to, <u32>order);
      else place(order);
      moved++;
    }
    slot = slot + 1 == oldCapacity ? 0 : slot + 1;
    left--;
    if (budget > 1) {
      budget--;
    } else if (left > 0) {
      const next = oldEntry(slot);
      if (next == 0 || (next & TAG) == 0) break;
    }
  }
  migrationCursor = slot;
  slotsToMigrate = left;
  if (moved > mostMigrated) mostMigrated = moved;
  if (left == 0) freeOldTable();
}

/** Gives the old table's segments back to the allocator (order chunks, the same size, reuse them). */
function freeOldTable(): void {
  freeTable(oldDirectory, oldDirectoryLength, oldCapacity);
  migrating = false;
  growing = false;
  oldCapacity = 0;
}

/** Exchanges the current table with the old one, so that the probes and removals above work in it. */
function swapTables(): void {
  const d = directory;
  directory = oldDirectory;
  oldDirectory = d;
  const l = directoryLength;
  directoryLength = oldDirectoryLength;
  oldDirectoryLength = l;
  const o = singleSegment;
  singleSegment = oldSingleSegment;
  oldSingleSegment = o;
  const c = capacity;
  capacity = oldCapacity;
  oldCapacity = c;
  const n = runs;
  runs = oldRuns;
  oldRuns = n;
  const s = scrambled;
  scrambled = oldScrambled;
  oldScrambled = s;
  const h = spread;
  spread = oldSpread;
  oldSpread = h;
}

function provideSegments(newCapacity: u32): bool {
  const wanted = newCapacity >> SEGMENT_BITS;
  const have = capacity >> SEGMENT_BITS;
  if (wanted > directoryLength && !growDirectory(wanted)) return false;
  for (let i = have; i < wanted; i++) {
    const segment = allocZeroed(SEGMENT_BYTES);
    if (segment == 0) {
      for (let j = have; j < i; j++) free(<usize>load<u32>(directory + (<usize>j << 2)), SEGMENT_BYTES);
      return false;
    }
    store<u32>(directory + (<usize>i << 2), <u32>segment);
  }
  return true;
}

function growDirectory(wanted: u32): bool {
  let length = directoryLength;
  while (length < wanted) length <<= 1;
  const block = alloc(<usize>length << 2);
  if (block == 0) return false;
  memory.copy(block, directory, <usize>directoryLength << 2);
  free(directory, <usize>directoryLength << 2);
  directory = block;
  directoryLength = length;
  return true;
}
