// Mass cancel: every resting order and pending stop of one trader, in one asset's book or in all
// of them. Orders go in a fixed order both cores share: books by ascending asset; in a book, bids
// best first then asks best first, each level in queue order, then pending buy stops and sell
// stops in trigger order; so the REMOVED events come out identical. An OCO stop leg is not
// collected: it leaves with its limit leg (as OCO_SIBLING), which is collected.
//
// It walks the books in scope (a trader's orders are not linked to each other: that would cost
// every order 8 more bytes), so it is O(resting orders in scope). The orders are collected
// first and removed after, so removing (which may take a level off the ladder) never disturbs
// the walk.
import {
  REASON_CANCELLED_BY_USER, REASON_NONE, SIDE_ASK, SIDE_BID, STATUS_OK,
} from './codes';
import { orderIsOcoLeg, orderIsPending, orderNext, orderTraderIndex } from './orders';
import { bestPosition, levelAt, levelHead, worsePosition, NO_POSITION } from './levels';
import { bookSide, findBook, freeBookList, statefulBookCount, sortedBookList } from './books';
import { lookupTrader, NO_TRADER } from './traders';
import { removeOrder, removePendingStop } from './resting';
import { pendingAt, pendingCount } from './pending';
import { reserveEvents } from './events';
import { alloc, free } from './allocator';
import { orderAsset, refuse, writeResult } from './matching';

/** Stores the trader's orders in `book` at into[at..] (with `into` 0, only counts them); returns how many. */
function collectInBook(book: usize, traderIndex: u32, into: usize, at: u32): u32 {
  let found: u32 = 0;
  for (let side = SIDE_BID; side <= SIDE_ASK; side++) {
    for (let walk = bestPosition(bookSide(book, side)); walk != NO_POSITION; walk = worsePosition(walk)) {
      let order = levelHead(levelAt(walk));
      while (order != 0) {
        if (orderTraderIndex(order) == traderIndex) {
          if (into != 0) store<u32>(into + (<usize>(at + found) << 2), <u32>order);
          found++;
        }
        order = orderNext(order);
      }
    }
  }
  for (let side = SIDE_BID; side <= SIDE_ASK; side++) {
    const n = pendingCount(book, side);
    for (let rank: u32 = 0; rank < n; rank++) {
      const stop = pendingAt(book, side, rank);
      if (orderTraderIndex(stop) == traderIndex && !orderIsOcoLeg(stop)) {
        if (into != 0) store<u32>(into + (<usize>(at + found) << 2), <u32>stop);
        found++;
      }
    }
  }
  return found;
}

/** Collects (or, with `into` 0, counts) the trader's orders over `count` books listed at `books`. */
function collect(books: usize, count: u32, traderIndex: u32, into: usize): u32 {
  let found: u32 = 0;
  for (let b: u32 = 0; b < count; b++) {
    found += collectInBook(<usize>load<u32>(books + (<usize>b << 2)), traderIndex, into, found);
  }
  return found;
}

export function cancelAll(at: usize, trader: f64, asset: f64, allAssets: bool): void {
  const traderIndex = lookupTrader(trader);
  let bookCount: u32 = 0;
  let books: usize = 0;
  if (traderIndex != NO_TRADER) {
    if (allAssets) {
      bookCount = statefulBookCount();
      if (bookCount > 0) {
        books = sortedBookList(bookCount);
        if (books == 0) return refuse(at, 0);
      }
    } else {
      const book = findBook(asset);
      if (book != 0) {
        books = alloc(4);
        if (books == 0) return refuse(at, 0);
        store<u32>(books, <u32>book);
        bookCount = 1;
      }
    }
  }
  const total = collect(books, bookCount, traderIndex, 0);
  const orders: usize = total == 0 ? 0 : alloc(<usize>total << 2);
  // At most one more event and one more cancelled order per collected OCO limit leg.
  if (total > 0 && (orders == 0 || !reserveEvents(total * 2))) {
    if (orders != 0) free(orders, <usize>total << 2);
    if (books != 0) freeBookList(books, bookCount);
    return refuse(at, 0);
  }
  collect(books, bookCount, traderIndex, orders);
  if (books != 0) freeBookList(books, bookCount);
  let cancelled = total;
  for (let k: u32 = 0; k < total; k++) {
    const order = <usize>load<u32>(orders + (<usize>k << 2));
    const asset = orderAsset(order);
    if (orderIsPending(order)) {
      removePendingStop(order, REASON_CANCELLED_BY_USER, asset);
    } else {
      if (orderIsOcoLeg(order)) cancelled++;
      removeOrder(order, REASON_CANCELLED_BY_USER, asset);
    }
  }
  if (orders != 0) free(orders, <usize>total << 2);
  writeResult(at, STATUS_OK, REASON_NONE, 0, <f64>cancelled, 0);
}
