// Putting orders on the book and taking them off: the only code that links and unlinks
// queue records, keeps level totals and counts, and keeps the order and level counters.
import {
  orderLevel, orderNext, orderPrev, orderRemaining, setOrderLevel, setOrderNext, setOrderPrev,
  giveOrder,
} from './orders';
import {
  levelCount, levelHead, levelSide, levelTail, levelTotal, removeLevel, setLevelCount, setLevelHead,
  setLevelTail, setLevelTotal, addSideOrders, addLevel,
} from './levels';
import { removeOrderRecord, removeSlot } from './order-index';

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
 */
@inline export function linkOrder(s: usize, level: usize, price: f64, order: usize, isNew: bool): void {
  if (level == 0) {
    level = addLevel(s, price);
    levelsInUse++;
  }
  appendToLevel(level, order);
  if (isNew) restingOrders++;
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

/** Restore: appends a new resting order to a level built in place (buildNextWorseLevel). */
export function appendRestoredOrder(level: usize, order: usize, levelIsNew: bool): void {
  appendToLevel(level, order);
  restingOrders++;
  if (levelIsNew) levelsInUse++;
}

/** Takes an order out of its queue (removing an emptied level); the record and id stay. */
@inline export function unlinkOrder(order: usize): void {
  const level = orderLevel(order);
  const next = orderNext(order);
  const prev = orderPrev(order);
  if (prev == 0) setLevelHead(level, next);
  else setOrderNext(prev, next);
  if (next == 0) setLevelTail(level, prev);
  else setOrderPrev(next, prev);
  addSideOrders(levelSide(level), -1);
  const left = levelCount(level) - 1;
  if (left == 0) {
    removeLevel(level);
    levelsInUse--;
  } else {
    setLevelCount(level, left);
    setLevelTotal(level, levelTotal(level) - orderRemaining(order));
  }
}

/** Forgets an order that is no longer on any queue: its id and its record. */
@inline export function retireOrder(order: usize): void {
  removeOrderRecord(order);
  giveOrder(order);
  restingOrders--;
}

/** Forgets an order no longer on any queue whose index entry is at `slot` (findOrderRecord's foundSlot). */
@inline export function retireOrderAt(order: usize, slot: u32): void {
  removeSlot(slot);
  giveOrder(order);
  restingOrders--;
}

/** Cancels a resting order outright. */
@inline export function removeOrder(order: usize): void {
  unlinkOrder(order);
  retireOrder(order);
}

/** Lowers a resting order's size in place, keeping its queue position; `by` < remaining. */
export function shrinkOrder(order: usize, by: f64): void {
  const level = orderLevel(order);
  store<f64>(order, orderRemaining(order) - by, 8);
  setLevelTotal(level, levelTotal(level) - by);
}
