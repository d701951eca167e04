// Mass cancel: every resting order and pending stop of one trader, in one asset's book or in all
// of them (mirrors assembly/cancel-all.ts). Orders go in the order both cores share: books by
// ascending asset; in a book, bids best first then asks best first, each level in queue order,
// then pending buy stops and sell stops in trigger order; so the REMOVED events come out
// identical. An OCO stop leg is not collected: it leaves with its limit leg (as OCO_SIBLING),
// which is collected. O(orders in scope); collected first, removed after, so removing never
// disturbs the walk.
import { No, ReasonCode, StatusCode } from './codes.js';
import { bookSide, sortedBookList } from './books.js';
import type { CoreState } from './core-state.js';
import { orderAsset, writeResult } from './matching.js';
import { orderIsOcoLeg, orderIsPending } from './orders.js';
import { pendingAt, pendingCount } from './pending.js';
import { removeOrder, removePendingStop } from './resting.js';

function collectInBook(state: CoreState, book: number, trader: number, into: number[]): void {
  const { levels, orders } = state;
  for (let s = bookSide(book, 0); s <= bookSide(book, 1); s++) {
    for (let at = levels.bestPosition(s); at !== No.POSITION; at = levels.worsePosition(at)) {
      for (let order = levels.head[levels.levelAt(at)]; order !== No.SLOT; order = orders.next[order]) {
        if (orders.trader[order] === trader) into.push(order);
      }
    }
  }
  for (let side = 0; side < 2; side++) {
    const n = pendingCount(state, book, side);
    for (let rank = 0; rank < n; rank++) {
      const stop = pendingAt(state, book, side, rank);
      if (orders.trader[stop] === trader && !orderIsOcoLeg(orders, stop)) into.push(stop);
    }
  }
}

export function cancelAll(state: CoreState, out: Float64Array, at: number, trader: number, asset: number, allAssets: boolean): void {
  const books = allAssets ? sortedBookList(state) : [state.books.findBook(asset)].filter((book) => book !== No.SLOT);
  const found: number[] = [];
  for (const book of books) collectInBook(state, book, trader, found);
  let cancelled = found.length;
  for (const order of found) {
    const orderAssetValue = orderAsset(state, order);
    if (orderIsPending(state.orders, order)) {
      removePendingStop(state, order, ReasonCode.CANCELLED_BY_USER, orderAssetValue);
    } else {
      if (orderIsOcoLeg(state.orders, order)) cancelled++;
      removeOrder(state, order, ReasonCode.CANCELLED_BY_USER, orderAssetValue);
    }
  }
  writeResult(out, at, StatusCode.OK, ReasonCode.NONE, 0, cancelled, 0);
}
