// Pending stops: stop orders waiting for their trigger, off the book (no level, no depth).
//
// A pending stop is an order record (orders.ts) whose level is 0 and whose `next` holds its stop
// part, so it keeps its id in the order index like any order and cancel or reduce find it the
// same way. Stop part (32 bytes, pooled):
//   0 stopPrice f64 | 8 price f64 (the limit once triggered; 0: a stop-market)
//   16 protectionPrice f64 (a stop-market's; 0: none) | 24 book u32 | 28 side | tif << 1 u32
//
// Each book with stops has two lists (24 bytes, found through the book record): buy stops and
// sell stops, each an array of order pointers sorted so that THE NEXT TO TRIGGER IS LAST: buys
// trigger in ascending stop price, sells in descending, each in placement (id) order at equal
// stop price. So the trigger check after a trade reads one element per side, a trigger pops the
// end, and placing or cancelling a stop is a binary search and a memory.copy of the pointers
// behind it: the same trade-off as the level ladder had before it grew a tree, fine for the few
// thousand stops a book holds; a book with far more would want the ladder here too.
import { alloc, free } from './allocator';
import { poolGive, poolReserve, poolReset, poolTake, POOL_DESCRIPTOR_BYTES } from './pool';
import { orderId, orderIsOcoLeg, orderNext, setOrderLevel, setOrderNext, setOrderPrev, giveOrder } from './orders';
import { bookStops, setBookStops } from './books';
import { removeOrderRecord } from './order-index';
import { SIDE_BID } from './codes';

const PART_BYTES: u32 = 32;
const partPool: usize = memory.data(POOL_DESCRIPTOR_BYTES, 8);
/** Two lists, each: items u32, length u32, capacity u32. */
const LISTS_BYTES: usize = 24;
const LIST_BYTES: usize = 12;
const FIRST_CAPACITY: u32 = 8;

/** Stops pending over all books. */
export let pendingStops: u32 = 0;
/** Of them, stop legs of OCO pairs: each may leave as a side effect of a fill (events to reserve). The JS core has no such count: its event buffer grows as it is written, so it reserves none. */
export let pendingOcoLegs: u32 = 0;

export function resetPending(): void {
  poolReset(partPool, PART_BYTES);
  pendingStops = 0;
  pendingOcoLegs = 0;
}

@inline function partOf(order: usize): usize { return orderNext(order); }
@inline export function stopPrice(order: usize): f64 { return load<f64>(partOf(order), 0); }
/** The limit a stop-limit becomes; 0 for a stop-market. */
@inline export function stopLimitPrice(order: usize): f64 { return load<f64>(partOf(order), 8); }
@inline export function stopProtectionPrice(order: usize): f64 { return load<f64>(partOf(order), 16); }
@inline export function stopBook(order: usize): usize { return <usize>load<u32>(partOf(order), 24); }
@inline export function stopSide(order: usize): u32 { return load<u32>(partOf(order), 28) & 1; }
@inline export function stopTif(order: usize): u32 { return load<u32>(partOf(order), 28) >> 1; }
/** The price events give a pending stop: its limit, or a stop-market's protection price (0: none). */
@inline export function stopOrderPrice(order: usize): f64 {
  const limit = stopLimitPrice(order);
  return limit != 0 ? limit : stopProtectionPrice(order);
}

/** Whether a last trade price triggers a stop of `side` at `stop` (0: no trade yet, nothing triggers). */
@inline export function triggers(side: u32, stop: f64, last: f64): bool {
  return last != 0 && (side == SIDE_BID ? last >= stop : last <= stop);
}

/** Sort key: larger triggers sooner. */
@inline function triggerKey(side: u32, stop: f64): f64 {
  return side == SIDE_BID ? -stop : stop;
}

@inline function listOf(book: usize, side: u32): usize {
  return bookStops(book) + <usize>side * LIST_BYTES;
}
@inline function listItems(list: usize): usize { return <usize>load<u32>(list, 0); }
@inline function listLength(list: usize): u32 { return load<u32>(list, 4); }
@inline function listCapacity(list: usize): u32 { return load<u32>(list, 8); }
@inline function itemAt(list: usize, i: u32): usize { return <usize>load<u32>(listItems(list) + (<usize>i << 2)); }

/** Pending stops on one side of a book. */
export function pendingCount(book: usize, side: u32): u32 {
  return bookStops(book) == 0 ? 0 : listLength(listOf(book, side));
}

/** Pending stops in a book, both sides. */
export function bookPendingCount(book: usize): u32 {
  return pendingCount(book, 0) + pendingCount(book, 1);
}

/** The pending stop of one side of a book that triggers `rank`-th (0: next). */
export function pendingAt(book: usize, side: u32, rank: u32): usize {
  const list = listOf(book, side);
  return itemAt(list, listLength(list) - 1 - rank);
}

/**
 * Room to add one pending stop on `side` of `book`: a stop part and a place in the book's
 * list. False (nothing a caller could see changed) when memory cannot grow.
 */
export function reservePending(book: usize, side: u32): bool {
  if (!poolReserve(partPool)) return false;
  if (bookStops(book) == 0) {
    const lists = alloc(LISTS_BYTES);
    if (lists == 0) return false;
    memory.fill(lists, 0, LISTS_BYTES);
    setBookStops(book, lists);
  }
  const list = listOf(book, side);
  const capacity = listCapacity(list);
  if (listLength(list) < capacity) return true;
  const grown = capacity == 0 ? FIRST_CAPACITY : capacity * 2;
  const items = alloc(<usize>grown << 2);
  if (items == 0) return false;
  const old = listItems(list);
  if (old != 0) {
    memory.copy(items, old, <usize>capacity << 2);
    free(old, <usize>capacity << 2);
  }
  store<u32>(list, <u32>items, 0);
  store<u32>(list, grown, 8);
  return true;
}

/**
 * Where a stop with this key and id sits in its list (or would go): the list ascends by key and,
 * at equal keys, descends by id, so the oldest of the stops that trigger first is last.
 */
function position(list: usize, side: u32, key: f64, id: f64): u32 {
  let low: u32 = 0;
  let high = listLength(list);
  while (low < high) {
    const middle = (low + high) >>> 1;
    const item = itemAt(list, middle);
    const itemKey = triggerKey(side, stopPrice(item));
    if (itemKey < key || (itemKey == key && orderId(item) > id)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Gives an order record its stop part (after poolReserve) and takes it off every level. */
@inline function setPart(
  order: usize, book: usize, side: u32, stop: f64, price: f64, protectionPrice: f64, tif: u32,
): void {
  const part = poolTake(partPool);
  store<f64>(part, stop, 0);
  store<f64>(part, price, 8);
  store<f64>(part, protectionPrice, 16);
  store<u32>(part, <u32>book, 24);
  store<u32>(part, side | (tif << 1), 28);
  setOrderLevel(order, 0);
  setOrderNext(order, part);
  setOrderPrev(order, 0);
}

/**
 * Makes `order` (an order record in the index, its id, size, timestamp and owner set) a pending
 * stop of `book`. Only after reservePending(book, side).
 */
export function addPending(
  order: usize, book: usize, side: u32, stop: f64, price: f64, protectionPrice: f64, tif: u32,
): void {
  setPart(order, book, side, stop, price, protectionPrice, tif);
  const list = listOf(book, side);
  const at = position(list, side, triggerKey(side, stop), orderId(order));
  const length = listLength(list);
  const slot = listItems(list) + (<usize>at << 2);
  memory.copy(slot + 4, slot, <usize>(length - at) << 2);
  store<u32>(slot, <u32>order);
  store<u32>(list, length + 1, 4);
  pendingStops++;
  if (orderIsOcoLeg(order)) pendingOcoLegs++;
}

/** Takes a pending stop out of its book's list and forgets it (its id, its record, its stop part). */
export function forgetPending(order: usize): void {
  const side = stopSide(order);
  const list = listOf(stopBook(order), side);
  const at = position(list, side, triggerKey(side, stopPrice(order)), orderId(order));
  const length = listLength(list);
  const slot = listItems(list) + (<usize>at << 2);
  memory.copy(slot, slot + 4, <usize>(length - 1 - at) << 2);
  store<u32>(list, length - 1, 4);
  poolGive(partPool, partOf(order));
  if (orderIsOcoLeg(order)) pendingOcoLegs--;
  removeOrderRecord(order);
  giveOrder(order);
  pendingStops--;
}

/** Restore: a side's list sized for `count` stops and counted full; restorePendingAt fills it. */
export function beginRestoredStops(book: usize, side: u32, count: u32): bool {
  if (!reservePending(book, side)) return false;
  const list = listOf(book, side);
  if (listCapacity(list) < count) {
    const items = alloc(<usize>count << 2);
    if (items == 0) return false;
    free(listItems(list), <usize>listCapacity(list) << 2);
    store<u32>(list, <u32>items, 0);
    store<u32>(list, count, 8);
  }
  store<u32>(list, count, 4);
  return true;
}

/**
 * Restore: makes `order` the pending stop of trigger rank `rank` (0: next) of a list begun with
 * beginRestoredStops (a snapshot lists stops in trigger order, already sorted). False when
 * memory cannot grow.
 */
export function restorePendingAt(
  order: usize, book: usize, side: u32, rank: u32, stop: f64, price: f64, protectionPrice: f64, tif: u32,
): bool {
  if (!poolReserve(partPool)) return false;
  setPart(order, book, side, stop, price, protectionPrice, tif);
  const list = listOf(book, side);
  store<u32>(listItems(list) + (<usize>(listLength(list) - 1 - rank) << 2), <u32>order);
  pendingStops++;
  if (orderIsOcoLeg(order)) pendingOcoLegs++;
  return true;
}

/** The pending stop of `book` that the last trade price `last` triggers next, buys before sells; 0 for none. */
export function nextTriggered(book: usize, last: f64): usize {
  if (bookStops(book) == 0) return 0;
  const buys = listOf(book, SIDE_BID);
  let n = listLength(buys);
  if (n != 0) {
    const stop = itemAt(buys, n - 1);
    if (triggers(SIDE_BID, stopPrice(stop), last)) return stop;
  }
  const sells = listOf(book, 1);
  n = listLength(sells);
  if (n != 0) {
    const stop = itemAt(sells, n - 1);
    if (triggers(1, stopPrice(stop), last)) return stop;
  }
  return 0;
}
