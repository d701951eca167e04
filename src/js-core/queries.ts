// Read-only views of the books as f64 slots (mirrors assembly/queries.ts; layouts in src/core.ts).
// They allocate: queries are not the hot path, and a copy outlives the next call.
import {
  LEVEL_SLOTS, ORDER_SLOTS, ORD_ASSET, ORD_ID, ORD_OCO_SIBLING, ORD_PRICE, ORD_REMAINING, ORD_SIDE, ORD_STOP_PRICE,
  ORD_STOP_TYPE, ORD_STP, ORD_TIMESTAMP, ORD_TRADER,
} from '../core.js';
import { No, OrderTypeCode, SideCode } from './codes.js';
import { bookSide, sideBook, sideCode } from './books.js';
import type { CoreState } from './core-state.js';
import { orderIsOcoLeg, orderIsPending, orderStp } from './orders.js';
import {
  bookPendingCount, pendingAt, pendingCount, stopBook, stopLimitPrice, stopOrderPrice, stopPrice, stopSide, stopTif,
} from './pending.js';

export function writeLevels(state: CoreState, asset: number, side: number, most: number): Float64Array {
  const book = state.books.findBook(asset);
  if (book === No.SLOT) return new Float64Array(0);
  const s = bookSide(book, side);
  const levels = state.levels;
  const n = Math.min(levels.sideLength(s), most);
  const out = new Float64Array(n * LEVEL_SLOTS);
  for (let rank = 0, at = levels.bestPosition(s); rank < n; rank++, at = levels.worsePosition(at)) {
    const level = levels.levelAt(at);
    out[rank * LEVEL_SLOTS] = levels.price[level];
    out[rank * LEVEL_SLOTS + 1] = levels.total[level];
    out[rank * LEVEL_SLOTS + 2] = levels.count[level];
  }
  return out;
}

/** One resting order or pending stop (src/core.ts ORDER_SLOTS). */
function writeOrder(state: CoreState, out: Float64Array, at: number, order: number): void {
  const { orders, levels, books } = state;
  const pending = orderIsPending(orders, order);
  out[at + ORD_ID] = orders.id[order];
  if (pending) {
    out[at + ORD_ASSET] = books.asset[stopBook(state, order)];
    out[at + ORD_SIDE] = stopSide(state, order);
    out[at + ORD_PRICE] = stopOrderPrice(state, order);
    const type = stopLimitPrice(state, order) !== 0 ? OrderTypeCode.STOP_LIMIT : OrderTypeCode.STOP_MARKET;
    out[at + ORD_STOP_PRICE] = stopPrice(state, order);
    out[at + ORD_STOP_TYPE] = type | (stopTif(state, order) << 2);
  } else {
    const level = orders.level[order];
    const s = levels.side[level];
    out[at + ORD_ASSET] = books.asset[sideBook(s)];
    out[at + ORD_SIDE] = sideCode(s);
    out[at + ORD_PRICE] = levels.price[level];
  }
  out[at + ORD_TRADER] = orders.trader[order];
  out[at + ORD_REMAINING] = orders.remaining[order];
  out[at + ORD_TIMESTAMP] = orders.timestamp[order];
  out[at + ORD_STP] = orderStp(orders, order);
  // The other leg of an OCO pair: a limit leg is N, its stop leg N + 1.
  const id = orders.id[order];
  out[at + ORD_OCO_SIBLING] = !orderIsOcoLeg(orders, order) ? 0 : pending ? id - 1 : id + 1;
}

export function writeOrderById(state: CoreState, id: number): Float64Array | null {
  const order = state.index.get(id);
  if (order === No.SLOT) return null;
  const out = new Float64Array(ORDER_SLOTS);
  writeOrder(state, out, 0, order);
  return out;
}

export function writeBookOrders(state: CoreState, asset: number): Float64Array {
  const book = state.books.findBook(asset);
  if (book === No.SLOT) return new Float64Array(0);
  const levels = state.levels;
  const total = levels.sideOrders[bookSide(book, SideCode.BID)] + levels.sideOrders[bookSide(book, SideCode.ASK)] +
    bookPendingCount(state, book);
  const out = new Float64Array(total * ORDER_SLOTS);
  let at = 0;
  for (let side: number = SideCode.BID; side <= SideCode.ASK; side++) {
    for (let walk = levels.bestPosition(bookSide(book, side)); walk !== No.POSITION; walk = levels.worsePosition(walk)) {
      for (let order = levels.head[levels.levelAt(walk)]; order !== No.SLOT; order = state.orders.next[order]) {
        writeOrder(state, out, at, order);
        at += ORDER_SLOTS;
      }
    }
  }
  for (let side = 0; side < 2; side++) {
    const n = pendingCount(state, book, side);
    for (let rank = 0; rank < n; rank++, at += ORDER_SLOTS) writeOrder(state, out, at, pendingAt(state, book, side, rank));
  }
  return out;
}
