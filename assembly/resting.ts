// Putting orders on the book and taking them off: the only code that links and unlinks queue
// records, keeps level totals and counts, and keeps the order and level counters. It also
// writes the events of what it changes (events.ts): an order resting, an order removed, a
// pending stop removed. And it keeps an OCO pair together: either leg leaving takes the other.
import { EVENT_REMOVED, EVENT_RESTED, REASON_CANCELLED_BY_USER, REASON_NONE, REASON_OCO_SIBLING } from './codes';
import {
  orderId, orderIsOcoLeg, orderIsPending, orderLevel, orderNext, orderPrev, orderRemaining, orderTraderIndex,
  setOrderLevel, setOrderNext, setOrderPrev, giveOrder,
} from './orders';
import { forgetPending, stopOrderPrice, stopSide } from './pending';
import {
  levelCount, levelPrice, levelSide, levelTail, levelTotal, removeLevel, setLevelCount, setLevelHead,
  setLevelTail, setLevelTotal, addSideOrders, addLevel, sideCode,
} from './levels';
import { findOrderRecord, removeOrderRecord, removeSlot } from './order-index';
import { traderValue } from './traders';
import { eventHead, eventsRecorded, PENDING, writeEvent, writeLevelEvent } from './events';

/** Resting orders over all books. */
export let restingOrders: u32 = 0;
/** Price levels over all books and sides. */
export let levelsInUse: u32 = 0;

export function resetCounters(): void {
  restingOrders = 0;
  levelsInUse = 0;
}

/**
 * Links an order (fields other than the queue links already set) at the back of its price
 * level on side `s`: `level` when the caller found it, else a new one (after reserveLevel(s)).
 * Counts it as resting when `isNew` (a modify re-enters an order that is still counted).
 * Writes its RESTED event.
 */
@inline export function linkOrder(s: usize, level: usize, price: f64, order: usize, isNew: bool, asset: f64, trader: f64): void {
  if (level == 0) {
    level = openLevel(s, price, order);
    levelsInUse++;
  } else {
    appendToLevel(level, order);
  }
  if (isNew) restingOrders++;
  writeRested(s, level, price, order, asset, trader);
}

/** The RESTED event of an order just linked at `level` (a call of its own in the JS core: src/js-core/resting.ts says why). */
@inline function writeRested(s: usize, level: usize, price: f64, order: usize, asset: f64, trader: f64): void {
  const remaining = orderRemaining(order);
  writeLevelEvent(eventHead(EVENT_RESTED, REASON_NONE, sideCode(s)), asset, orderId(order), trader, price, remaining,
    remaining, 0, 0, levelTotal(level), levelCount(level));
}

/** Puts an order at the back of a level's queue. */
@inline function appendToLevel(level: usize, order: usize): void {
  const tail = levelTail(level);
  setOrderLevel(order, level);
  setOrderNext(order, 0);
  setOrderPrev(order, tail);
  if (tail == 0) setLevelHead(level, order);
  else setOrderNext(tail, order);
  setLevelTail(level, order);
  setLevelCount(level, levelCount(level) + 1);
  setLevelTotal(level, levelTotal(level) + orderRemaining(order));
  addSideOrders(levelSide(level), 1);
}

/**
 * A new level at `price` on side `s` whose queue is `order` alone: the level record is written
 * whole with it, not written empty and then read back by appendToLevel.
 */
@inline function openLevel(s: usize, price: f64, order: usize): usize {
  const level = addLevel(s, price, order, orderRemaining(order));
  setOrderLevel(order, level);
  setOrderNext(order, 0);
  setOrderPrev(order, 0);
  addSideOrders(s, 1);
  return level;
}

/** Restore: appends a new resting order to a level built in place (buildNextWorseLevel). */
export function appendRestoredOrder(level: usize, order: usize, levelIsNew: bool): void {
  appendToLevel(level, order);
  restingOrders++;
  if (levelIsNew) levelsInUse++;
}

/** Takes an order out of its queue (removing an emptied level); the record and id stay. */
@inline export function unlinkOrder(order: usize): void {
  const level = orderLevel(order);
  addSideOrders(levelSide(level), -1);
  const left = levelCount(level) - 1;
  if (left == 0) {
    // The level's only order: the level leaves whole, so its queue is not rewritten first.
    removeLevel(level);
    levelsInUse--;
    return;
  }
  const next = orderNext(order);
  const prev = orderPrev(order);
  if (prev == 0) setLevelHead(level, next);
  else setOrderNext(prev, next);
  if (next == 0) setLevelTail(level, prev);
  else setOrderPrev(next, prev);
  setLevelCount(level, left);
  setLevelTotal(level, levelTotal(level) - orderRemaining(order));
}

/**
 * Unlinks an order and writes its REMOVED event (with `reason`; REASON_NONE writes none: a maker
 * that a fill consumed, whose FILL event says it all).
 */
@inline function unlinkWithEvent(order: usize, reason: u32, asset: f64): void {
  // Without events, the REMOVED event's fields are not read: read before the unlink, they were
  // kept across its call to removeLevel (spilled and reloaded) only to be dropped.
  if (reason == REASON_NONE || !eventsRecorded()) {
    unlinkOrder(order);
    return;
  }
  unlinkWithRemovedEvent(order, reason, asset);
}

/** unlinkWithEvent's unlink with its REMOVED event. */
@inline function unlinkWithRemovedEvent(order: usize, reason: u32, asset: f64): void {
  const level = orderLevel(order);
  const emptied = levelCount(level) == 1;
  const price = levelPrice(level);
  const side = sideCode(levelSide(level));
  const remaining = orderRemaining(order);
  unlinkOrder(order);
  writeLevelEvent(eventHead(EVENT_REMOVED, reason, side), asset, orderId(order), traderValue(orderTraderIndex(order)),
    price, remaining, 0, 0, 0, emptied ? 0 : levelTotal(level), emptied ? 0 : levelCount(level));
}

/** Forgets an order that is no longer on any queue: its id and its record. */
@inline export function retireOrder(order: usize): void {
  removeOrderRecord(order);
  giveOrder(order);
  restingOrders--;
}

/**
 * Takes a resting order off the book for `reason` (REMOVED event unless REASON_NONE) and forgets
 * it; an OCO limit leg takes its pending stop leg with it.
 */
@inline export function removeOrder(order: usize, reason: u32, asset: f64): void {
  const oco = orderIsOcoLeg(order);
  const id = orderId(order);
  unlinkWithEvent(order, reason, asset);
  retireOrder(order);
  if (oco) cancelStopLeg(id + 1, asset);
}

/** The owner's cancel of an order whose index entry is at `slot` (findOrderRecord's foundSlot). */
@inline export function cancelOrderAt(order: usize, slot: u32, asset: f64): void {
  const oco = orderIsOcoLeg(order);
  const id = orderId(order);
  unlinkWithEvent(order, REASON_CANCELLED_BY_USER, asset);
  removeSlot(slot);
  giveOrder(order);
  restingOrders--;
  if (oco) cancelStopLeg(id + 1, asset);
}

/**
 * Takes a pending stop away for `reason` (a REMOVED event without a level: it never rested) and
 * forgets it; an OCO stop leg takes its resting limit leg with it.
 */
export function removePendingStop(stop: usize, reason: u32, asset: f64): void {
  const id = orderId(stop);
  const oco = orderIsOcoLeg(stop);
  dropPendingStop(stop, reason, asset);
  if (oco) removeLimitLeg(id - 1, asset);
}

/** A pending stop's REMOVED event and its end, its OCO sibling left alone. */
function dropPendingStop(stop: usize, reason: u32, asset: f64): void {
  writeEvent(eventHead(EVENT_REMOVED, reason, stopSide(stop)) | PENDING, asset, orderId(stop), traderValue(orderTraderIndex(stop)),
    stopOrderPrice(stop), orderRemaining(stop), 0, 0, 0);
  forgetPending(stop);
}

/**
 * An OCO pair's stop leg (id N + 1) leaves with its limit leg, which traded or left: removed as
 * OCO_SIBLING if still pending.
 */
export function cancelStopLeg(stopId: f64, asset: f64): void {
  const stop = findOrderRecord(stopId);
  if (stop != 0 && orderIsPending(stop)) dropPendingStop(stop, REASON_OCO_SIBLING, asset);
}

/** An OCO pair's limit leg (id N) leaves with its stop leg, which triggered or left (and is forgotten). */
export function removeLimitLeg(limitId: f64, asset: f64): void {
  const limit = findOrderRecord(limitId);
  if (limit == 0 || orderIsPending(limit)) return;
  unlinkWithEvent(limit, REASON_OCO_SIBLING, asset);
  retireOrder(limit);
}

/**
 * The first `taken` orders of `level`'s queue, consumed by fills and already retired (retireOrder),
 * leave it in one step: the level leaves its side when they were all of it (`first` is 0), else
 * its queue starts at `first`, with `count` orders and `total` lots left.
 */
@inline export function dropTakenOrders(level: usize, taken: u32, first: usize, count: u32, total: f64): void {
  addSideOrders(levelSide(level), -<i32>taken);
  if (first == 0) {
    removeLevel(level);
    levelsInUse--;
  } else {
    setLevelHead(level, first);
    setOrderPrev(first, 0);
    setLevelCount(level, count);
    setLevelTotal(level, total);
  }
}

/** Lowers a resting order's size in place, keeping its queue position; `by` < remaining. */
export function shrinkOrder(order: usize, by: f64): void {
  const level = orderLevel(order);
  store<f64>(order, orderRemaining(order) - by, 8);
  setLevelTotal(level, levelTotal(level) - by);
}
