// Pending stops: stop orders waiting for their trigger, off the book (mirrors assembly/pending.ts).
//
// A pending stop is an order slot (orders.ts) whose level is No.SLOT and whose `next` holds its stop
// part, so it keeps its id in the order index like any order and cancel or reduce find it the
// same way. The stop part (struct of arrays, recycled through a free list): stop price, price
// (the limit once triggered; 0: a stop-market), protection price (a stop-market's; 0: none),
// book, side | tif << 1.
//
// Each book with stops has two lists of order slots, buys and sells, sorted so that THE NEXT TO
// TRIGGER IS LAST: buys trigger in ascending stop price, sells in descending, each in placement
// (id) order at equal stop price. The trigger check after a trade reads one element per side; a
// trigger pops the end; placing or cancelling a stop is a binary search and a splice.
import { No, SideCode } from './codes.js';
import type { CoreState } from './core-state.js';
import { growFloat64, growInt32, growUint8 } from './typed-arrays.js';

export class Pending {
  stopPrice: Float64Array;
  price: Float64Array;
  protectionPrice: Float64Array;
  book: Int32Array;
  /** side | timeInForce << 1 */
  flags: Uint8Array;
  /** Per book side (book * 2 + side): order slots, the next to trigger last. */
  readonly lists: number[][] = [];
  /** Stops pending over all books. (No count of OCO stop legs, the WASM core's pendingOcoLegs: it sizes that core's event reservations, and this core's event buffer grows as it is written.) */
  live = 0;
  private capacity: number;
  private highWater = 0;
  /** Free parts, threaded through `book`. */
  private freeHead = No.SLOT;

  constructor(initialCapacity = 64) {
    this.capacity = initialCapacity;
    this.stopPrice = new Float64Array(initialCapacity);
    this.price = new Float64Array(initialCapacity);
    this.protectionPrice = new Float64Array(initialCapacity);
    this.book = new Int32Array(initialCapacity);
    this.flags = new Uint8Array(initialCapacity);
  }

  takePart(): number {
    const part = this.freeHead;
    if (part !== No.SLOT) {
      this.freeHead = this.book[part];
      return part;
    }
    if (this.highWater === this.capacity) this.grow(this.capacity * 2);
    return this.highWater++;
  }

  givePart(part: number): void {
    this.book[part] = this.freeHead;
    this.freeHead = part;
  }

  /**
   * The list of one side of a book, created empty on first use. Lists are created up to it in
   * order, never leaving a hole: a holey array has another hidden class than a packed one, and
   * code that has seen one deoptimizes on the other (test/hidden-classes.test.ts).
   */
  list(book: number, side: number): number[] {
    const lists = this.lists;
    const at = book * 2 + side;
    while (lists.length <= at) lists.push([]);
    return lists[at];
  }

  bytes(): number {
    let listBytes = 0;
    for (const list of this.lists) listBytes += list === undefined ? 0 : list.length * 4;
    return this.capacity * (8 * 3 + 4 + 1) + listBytes;
  }

  private grow(capacity: number): void {
    this.stopPrice = growFloat64(this.stopPrice, capacity);
    this.price = growFloat64(this.price, capacity);
    this.protectionPrice = growFloat64(this.protectionPrice, capacity);
    this.book = growInt32(this.book, capacity);
    this.flags = growUint8(this.flags, capacity);
    this.capacity = capacity;
  }
}

function partOf(state: CoreState, order: number): number {
  return state.orders.next[order];
}
export function stopPrice(state: CoreState, order: number): number {
  return state.pending.stopPrice[partOf(state, order)];
}
/** The limit a stop-limit becomes; 0 for a stop-market. */
export function stopLimitPrice(state: CoreState, order: number): number {
  return state.pending.price[partOf(state, order)];
}
export function stopProtectionPrice(state: CoreState, order: number): number {
  return state.pending.protectionPrice[partOf(state, order)];
}
export function stopBook(state: CoreState, order: number): number {
  return state.pending.book[partOf(state, order)];
}
export function stopSide(state: CoreState, order: number): number {
  return state.pending.flags[partOf(state, order)] & 1;
}
export function stopTif(state: CoreState, order: number): number {
  return state.pending.flags[partOf(state, order)] >> 1;
}
/** The price events give a pending stop: its limit, or a stop-market's protection price (0: none). */
export function stopOrderPrice(state: CoreState, order: number): number {
  const limit = stopLimitPrice(state, order);
  return limit !== 0 ? limit : stopProtectionPrice(state, order);
}

/** Whether a last trade price triggers a stop of `side` at `stop` (0: no trade yet, nothing triggers). */
export function triggers(side: number, stop: number, last: number): boolean {
  return last !== 0 && (side === SideCode.BID ? last >= stop : last <= stop);
}

/** Sort key: larger triggers sooner. */
function triggerKey(side: number, stop: number): number {
  return side === SideCode.BID ? -stop : stop;
}

/** Pending stops on one side of a book. */
export function pendingCount(state: CoreState, book: number, side: number): number {
  return state.pending.lists[book * 2 + side]?.length ?? 0;
}

/** Pending stops in a book, both sides. */
export function bookPendingCount(state: CoreState, book: number): number {
  return pendingCount(state, book, 0) + pendingCount(state, book, 1);
}

/** The pending stop of one side of a book that triggers `rank`-th (0: next). */
export function pendingAt(state: CoreState, book: number, side: number, rank: number): number {
  const list = state.pending.lists[book * 2 + side];
  return list[list.length - 1 - rank];
}

/**
 * Where a stop with this key and id sits in its list (or would go): the list ascends by key and,
 * at equal keys, descends by id, so the oldest of the stops that trigger first is last.
 */
function position(state: CoreState, list: number[], side: number, key: number, id: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const item = list[middle];
    const itemKey = triggerKey(side, stopPrice(state, item));
    if (itemKey < key || (itemKey === key && state.orders.id[item] > id)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Gives an order slot its stop part and takes it off every level. */
function setPart(state: CoreState, order: number, book: number, side: number, stop: number, price: number,
                 protectionPrice: number, tif: number): void {
  const pending = state.pending;
  const part = pending.takePart();
  pending.stopPrice[part] = stop;
  pending.price[part] = price;
  pending.protectionPrice[part] = protectionPrice;
  pending.book[part] = book;
  pending.flags[part] = side | (tif << 1);
  state.orders.level[order] = No.SLOT;
  state.orders.next[order] = part;
  state.orders.prev[order] = No.SLOT;
}

/** Makes `order` (an order slot in the index, its id, size, timestamp and owner set) a pending stop of `book`. */
export function addPending(state: CoreState, order: number, book: number, side: number, stop: number, price: number,
                           protectionPrice: number, tif: number): void {
  setPart(state, order, book, side, stop, price, protectionPrice, tif);
  const list = state.pending.list(book, side);
  list.splice(position(state, list, side, triggerKey(side, stop), state.orders.id[order]), 0, order);
  state.pending.live++;
}

/** Takes a pending stop out of its book's list and forgets it (its id, its slot, its stop part). */
export function forgetPending(state: CoreState, order: number): void {
  const side = stopSide(state, order);
  const list = state.pending.list(stopBook(state, order), side);
  list.splice(position(state, list, side, triggerKey(side, stopPrice(state, order)), state.orders.id[order]), 1);
  state.pending.givePart(partOf(state, order));
  state.index.delete(state.orders.id[order]);
  state.orders.giveOrder(order);
  state.pending.live--;
}

/** Restore: a side's list sized for `count` stops; restorePendingAt fills it. */
export function beginRestoredStops(state: CoreState, book: number, side: number, count: number): void {
  // Filled with placeholders rather than sized with `length`, which would leave it holey (see list()).
  const list = state.pending.list(book, side);
  for (let k = 0; k < count; k++) list.push(No.SLOT);
}

/** Restore: makes `order` the pending stop of trigger rank `rank` (0: next) of a list begun with beginRestoredStops. */
export function restorePendingAt(state: CoreState, order: number, book: number, side: number, rank: number, stop: number,
                                 price: number, protectionPrice: number, tif: number): void {
  setPart(state, order, book, side, stop, price, protectionPrice, tif);
  const list = state.pending.list(book, side);
  list[list.length - 1 - rank] = order;
  state.pending.live++;
}

/** The pending stop of `book` that the last trade price `last` triggers next, buys before sells; No.SLOT for none. */
export function nextTriggered(state: CoreState, book: number, last: number): number {
  const lists = state.pending.lists;
  const buys = lists[book * 2];
  if (buys !== undefined && buys.length !== 0) {
    const stop = buys[buys.length - 1];
    if (triggers(SideCode.BID, stopPrice(state, stop), last)) return stop;
  }
  const sells = lists[book * 2 + 1];
  if (sells !== undefined && sells.length !== 0) {
    const stop = sells[sells.length - 1];
    if (triggers(SideCode.ASK, stopPrice(state, stop), last)) return stop;
  }
  return No.SLOT;
}
