// Read-only views of the books, written as f64 slots into the query buffer (layouts: src/core.ts).
// Each returns how many entries it wrote, or -1 when the buffer cannot grow.
import {
  bestPosition, levelAt, levelCount, levelHead, levelPrice, levelSide, levelTotal, sideCode, sideLength,
  sideOrders, worsePosition, NO_POSITION,
} from './levels';
import {
  orderId, orderIsOcoLeg, orderIsPending, orderLevel, orderNext, orderRemaining, orderStp, orderTimestamp,
  orderTraderIndex,
} from './orders';
import { bookAsset, bookSide, findBook, sideBook } from './books';
import {
  bookPendingCount, pendingAt, pendingCount, stopBook, stopLimitPrice, stopOrderPrice, stopPrice, stopSide, stopTif,
} from './pending';
import { ORDER_TYPE_STOP_LIMIT, ORDER_TYPE_STOP_MARKET } from './codes';
import { findOrderRecord } from './order-index';
import { traderValue } from './traders';
import { reserveQuery } from './buffers';
import { SIDE_BID, SIDE_ASK } from './codes';

const LEVEL_BYTES_OUT: usize = 24;
const ORDER_BYTES_OUT: usize = 88;

export function writeLevels(asset: f64, side: u32, most: f64): i32 {
  const book = findBook(asset);
  if (book == 0) return 0;
  const s = bookSide(book, side);
  const n = <u32>min<f64>(<f64>sideLength(s), most);
  if (n == 0) return 0;
  let out = reserveQuery(<usize>n * LEVEL_BYTES_OUT);
  if (out == 0) return -1;
  let at = bestPosition(s);
  for (let rank: u32 = 0; rank < n; rank++, at = worsePosition(at)) {
    const level = levelAt(at);
    store<f64>(out, levelPrice(level), 0);
    store<f64>(out, levelTotal(level), 8);
    store<f64>(out, <f64>levelCount(level), 16);
    out += LEVEL_BYTES_OUT;
  }
  return <i32>n;
}

/** One resting order or pending stop (src/core.ts ORDER_SLOTS). */
function writeOrder(out: usize, order: usize): void {
  const pending = orderIsPending(order);
  store<f64>(out, orderId(order), 0);
  if (pending) {
    store<f64>(out, bookAsset(stopBook(order)), 8);
    store<f64>(out, <f64>stopSide(order), 16);
    store<f64>(out, stopOrderPrice(order), 24);
  } else {
    const level = orderLevel(order);
    const s = levelSide(level);
    store<f64>(out, bookAsset(sideBook(s)), 8);
    store<f64>(out, <f64>sideCode(s), 16);
    store<f64>(out, levelPrice(level), 24);
  }
  store<f64>(out, traderValue(orderTraderIndex(order)), 32);
  store<f64>(out, orderRemaining(order), 40);
  store<f64>(out, orderTimestamp(order), 48);
  store<f64>(out, <f64>orderStp(order), 56);
  if (pending) {
    const type = stopLimitPrice(order) != 0 ? ORDER_TYPE_STOP_LIMIT : ORDER_TYPE_STOP_MARKET;
    store<f64>(out, stopPrice(order), 64);
    store<f64>(out, <f64>(type | (stopTif(order) << 2)), 72);
  } else {
    store<f64>(out, 0, 64);
    store<f64>(out, 0, 72);
  }
  // The other leg of an OCO pair: a limit leg is N, its stop leg N + 1.
  const sibling = !orderIsOcoLeg(order) ? 0 : pending ? orderId(order) - 1 : orderId(order) + 1;
  store<f64>(out, sibling, 80);
}

export function writeOrderById(id: f64): i32 {
  const order = findOrderRecord(id);
  if (order == 0) return 0;
  const out = reserveQuery(ORDER_BYTES_OUT);
  if (out == 0) return -1;
  writeOrder(out, order);
  return 1;
}

export function writeBookOrders(asset: f64): i32 {
  const book = findBook(asset);
  if (book == 0) return 0;
  const total = sideOrders(bookSide(book, SIDE_BID)) + sideOrders(bookSide(book, SIDE_ASK)) + bookPendingCount(book);
  if (total == 0) return 0;
  let out = reserveQuery(<usize>total * ORDER_BYTES_OUT);
  if (out == 0) return -1;
  for (let side: u32 = SIDE_BID; side <= SIDE_ASK; side++) {
    for (let at = bestPosition(bookSide(book, side)); at != NO_POSITION; at = worsePosition(at)) {
      let order = levelHead(levelAt(at));
      while (order != 0) {
        writeOrder(out, order);
        out += ORDER_BYTES_OUT;
        order = orderNext(order);
      }
    }
  }
  for (let side: u32 = SIDE_BID; side <= SIDE_ASK; side++) {
    const n = pendingCount(book, side);
    for (let rank: u32 = 0; rank < n; rank++) {
      writeOrder(out, pendingAt(book, side, rank));
      out += ORDER_BYTES_OUT;
    }
  }
  return <i32>total;
}

