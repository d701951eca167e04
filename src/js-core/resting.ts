// Putting orders on the book and taking them off (mirrors assembly/resting.ts): the only code
// that links and unlinks queue records and keeps level totals and side counts. It also writes
// the events of what it changes: an order resting, an order removed, a pending stop removed.
// And it keeps an OCO pair together: either leg leaving takes the other.
import { EventCode, No, ReasonCode } from './codes.js';
import type { CoreState } from './core-state.js';
import { PENDING, eventHead } from './events.js';
import { orderIsOcoLeg, orderIsPending } from './orders.js';
import { forgetPending, stopOrderPrice, stopSide } from './pending.js';

/**
 * Links an order (fields other than the queue links already set) at the back of its price level
 * on side `s`: `level` when the caller found it, else a new one. Writes its RESTED event.
 */
export function linkOrder(state: CoreState, s: number, level: number, price: number, order: number, asset: number, trader: number): void {
  // A new level and the event are calls of their own, made only when needed: without events, or
  // on a level that exists, V8 neither inlines nor charges them where the resting path is
  // inlined (bench/README.md, stop 49).
  if (level === No.SLOT) level = openLevel(state, s, price, order);
  else appendToLevel(state, level, order);
  if (state.events.recording) writeRested(state, s, level, price, order, asset, trader);
}

/** The RESTED event of an order just linked at `level`. */
function writeRested(state: CoreState, s: number, level: number, price: number, order: number, asset: number, trader: number): void {
  const levels = state.levels;
  const remaining = state.orders.remaining[order];
  state.events.writeLevelEvent(eventHead(EventCode.RESTED, ReasonCode.NONE, s & 1), asset, state.orders.id[order], trader,
    price, remaining, remaining, 0, 0, levels.total[level], levels.count[level]);
}

/** Puts an order at the back of a level's queue. */
function appendToLevel(state: CoreState, level: number, order: number): void {
  const orders = state.orders;
  const levels = state.levels;
  const tail = levels.tail[level];
  orders.level[order] = level;
  orders.next[order] = No.SLOT;
  orders.prev[order] = tail;
  if (tail === No.SLOT) levels.head[level] = order;
  else orders.next[tail] = order;
  levels.tail[level] = order;
  levels.count[level]++;
  levels.total[level] += orders.remaining[order];
  levels.sideOrders[levels.side[level]]++;
}

/**
 * A new level at `price` on side `s` whose queue is `order` alone: the level record is written
 * whole with it, not written empty and then read back by appendToLevel.
 */
function openLevel(state: CoreState, s: number, price: number, order: number): number {
  const orders = state.orders;
  const levels = state.levels;
  const level = levels.addLevel(s, price, order, orders.remaining[order]);
  orders.level[order] = level;
  orders.next[order] = No.SLOT;
  orders.prev[order] = No.SLOT;
  levels.sideOrders[s]++;
  return level;
}

/** Restore: appends a restored order to a level built in place (buildNextWorseLevel). */
export function appendRestoredOrder(state: CoreState, level: number, order: number): void {
  appendToLevel(state, level, order);
}

/** Takes an order out of its queue (removing an emptied level); the record and id stay. */
export function unlinkOrder(state: CoreState, order: number): void {
  const orders = state.orders;
  const levels = state.levels;
  const level = orders.level[order];
  levels.sideOrders[levels.side[level]]--;
  const left = levels.count[level] - 1;
  if (left === 0) {
    // The level's only order: the level leaves whole, so its queue is not rewritten first.
    levels.removeLevel(level);
    return;
  }
  const next = orders.next[order];
  const prev = orders.prev[order];
  if (prev === No.SLOT) levels.head[level] = next;
  else orders.next[prev] = next;
  if (next === No.SLOT) levels.tail[level] = prev;
  else orders.prev[next] = prev;
  levels.count[level] = left;
  levels.total[level] -= orders.remaining[order];
}

/**
 * Unlinks an order and writes its REMOVED event (with `reason`; ReasonCode.NONE writes none: a
 * maker that a fill consumed, whose FILL event says it all).
 */
function unlinkWithEvent(state: CoreState, order: number, reason: number, asset: number): void {
  // Without events, nothing is read for one, and the event's code is a call never made, which V8
  // neither inlines nor charges on the cancel path (bench/README.md, stop 49).
  if (reason === ReasonCode.NONE || !state.events.recording) return unlinkOrder(state, order);
  unlinkWithRemovedEvent(state, order, reason, asset);
}

/** unlinkWithEvent's unlink with its REMOVED event. */
function unlinkWithRemovedEvent(state: CoreState, order: number, reason: number, asset: number): void {
  const { orders, levels } = state;
  const level = orders.level[order];
  const emptied = levels.count[level] === 1;
  const price = levels.price[level];
  const side = levels.side[level] & 1;
  const remaining = orders.remaining[order];
  unlinkOrder(state, order);
  state.events.writeLevelEvent(eventHead(EventCode.REMOVED, reason, side), asset, orders.id[order], orders.trader[order],
    price, remaining, 0, 0, 0, emptied ? 0 : levels.total[level], emptied ? 0 : levels.count[level]);
}

/** Forgets an order that is no longer on any queue: its id and its record. */
export function retireOrder(state: CoreState, order: number): void {
  state.index.delete(state.orders.id[order]);
  state.orders.giveOrder(order);
}

/**
 * Takes a resting order off the book for `reason` (REMOVED event unless ReasonCode.NONE) and
 * forgets it; an OCO limit leg takes its pending stop leg with it.
 */
export function removeOrder(state: CoreState, order: number, reason: number, asset: number): void {
  const oco = orderIsOcoLeg(state.orders, order);
  const id = state.orders.id[order];
  unlinkWithEvent(state, order, reason, asset);
  retireOrder(state, order);
  if (oco) cancelStopLeg(state, id + 1, asset);
}

/** The owner's cancel of a resting order. */
export function cancelOrderAt(state: CoreState, order: number, asset: number): void {
  removeOrder(state, order, ReasonCode.CANCELLED_BY_USER, asset);
}

/**
 * Takes a pending stop away for `reason` (a REMOVED event without a level: it never rested) and
 * forgets it; an OCO stop leg takes its resting limit leg with it.
 */
export function removePendingStop(state: CoreState, stop: number, reason: number, asset: number): void {
  const id = state.orders.id[stop];
  const oco = orderIsOcoLeg(state.orders, stop);
  dropPendingStop(state, stop, reason, asset);
  if (oco) removeLimitLeg(state, id - 1, asset);
}

/** A pending stop's REMOVED event and its end, its OCO sibling left alone. */
function dropPendingStop(state: CoreState, stop: number, reason: number, asset: number): void {
  const orders = state.orders;
  state.events.writeEvent(eventHead(EventCode.REMOVED, reason, stopSide(state, stop)) | PENDING, asset, orders.id[stop], orders.trader[stop],
    stopOrderPrice(state, stop), orders.remaining[stop], 0, 0, 0);
  forgetPending(state, stop);
}

/**
 * An OCO pair's stop leg (id N + 1) leaves with its limit leg, which traded or left: removed as
 * OCO_SIBLING if still pending.
 */
export function cancelStopLeg(state: CoreState, stopId: number, asset: number): void {
  const stop = state.index.get(stopId);
  if (stop !== No.SLOT && orderIsPending(state.orders, stop)) dropPendingStop(state, stop, ReasonCode.OCO_SIBLING, asset);
}

/** An OCO pair's limit leg (id N) leaves with its stop leg, which triggered or left (and is forgotten). */
export function removeLimitLeg(state: CoreState, limitId: number, asset: number): void {
  const limit = state.index.get(limitId);
  if (limit === No.SLOT || orderIsPending(state.orders, limit)) return;
  unlinkWithEvent(state, limit, ReasonCode.OCO_SIBLING, asset);
  retireOrder(state, limit);
}

/**
 * The first `taken` orders of `level`'s queue, consumed by fills and already retired (retireOrder),
 * leave it in one step: the level leaves its side when they were all of it (`first` is No.SLOT),
 * else its queue starts at `first`, with `count` orders and `total` lots left.
 */
export function dropTakenOrders(state: CoreState, level: number, taken: number, first: number, count: number, total: number): void {
  const levels = state.levels;
  levels.sideOrders[levels.side[level]] -= taken;
  if (first === No.SLOT) {
    levels.removeLevel(level);
  } else {
    levels.head[level] = first;
    state.orders.prev[first] = No.SLOT;
    levels.count[level] = count;
    levels.total[level] = total;
  }
}

/** Lowers a resting order's size in place, keeping its queue position; `by` < remaining. */
export function shrinkOrder(state: CoreState, order: number, by: number): void {
  state.orders.remaining[order] -= by;
  state.levels.total[state.orders.level[order]] -= by;
}
