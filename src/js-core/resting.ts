// Putting orders on the book and taking them off (mirrors assembly/resting.ts): the only code
// that links and unlinks queue records and keeps level totals and side counts.
import type { CoreState } from './core-state.js';
import { NIL } from './orders.js';

/**
 * Links an order (fields other than the queue links already set) at the back of its price level
 * on side `s`: `level` when the caller found it, else a new one.
 */
export function linkOrder(state: CoreState, s: number, level: number, price: number, order: number): void {
  if (level === NIL) level = state.levels.addLevel(s, price);
  appendToLevel(state, level, order);
}

/** Puts an order at the back of a level's queue. */
function appendToLevel(state: CoreState, level: number, order: number): void {
  const orders = state.orders;
  const levels = state.levels;
  const tail = levels.tail[level];
  orders.level[order] = level;
  orders.next[order] = NIL;
  orders.prev[order] = tail;
  if (tail === NIL) levels.head[level] = order;
  else orders.next[tail] = order;
  levels.tail[level] = order;
  levels.count[level]++;
  levels.total[level] += orders.remaining[order];
  levels.sideOrders[levels.side[level]]++;
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
  const next = orders.next[order];
  const prev = orders.prev[order];
  if (prev === NIL) levels.head[level] = next;
  else orders.next[prev] = next;
  if (next === NIL) levels.tail[level] = prev;
  else orders.prev[next] = prev;
  levels.sideOrders[levels.side[level]]--;
  if (--levels.count[level] === 0) levels.removeLevel(level);
  else levels.total[level] -= orders.remaining[order];
}

/** Forgets an order that is no longer on any queue: its id and its record. */
export function retireOrder(state: CoreState, order: number): void {
  state.index.delete(state.orders.id[order]);
  state.orders.giveOrder(order);
}

/** Cancels a resting order outright. */
export function removeOrder(state: CoreState, order: number): void {
  unlinkOrder(state, order);
  retireOrder(state, order);
}

/** Lowers a resting order's size in place, keeping its queue position; `by` < remaining. */
export function shrinkOrder(state: CoreState, order: number, by: number): void {
  state.orders.remaining[order] -= by;
  state.levels.total[state.orders.level[order]] -= by;
}
