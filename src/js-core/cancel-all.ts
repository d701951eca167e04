// Mass cancel: every resting order of one trader, in one asset's book or in all of them (mirrors
// assembly/cancel-all.ts). Orders go in the order both cores share: books by ascending asset,
// bids best first then asks best first, each level in queue order, so the REMOVED events come
// out identical. O(resting orders in scope); collected first, removed after, so removing never
// disturbs the walk.
import { ReasonCode, StatusCode } from '../codes.js';
import { bookSide, sideBook } from './books.js';
import type { CoreState } from './core-state.js';
import { writeResult } from './matching.js';
import { NIL } from './orders.js';
import { removeOrder } from './resting.js';

/** Books with orders, by ascending asset. */
function sortedBookList(state: CoreState): number[] {
  const { books, levels } = state;
  const list: number[] = [];
  for (let book = 0; book < books.count; book++) {
    if (levels.sideLength[bookSide(book, 0)] + levels.sideLength[bookSide(book, 1)] > 0) list.push(book);
  }
  return list.sort((a, b) => books.asset[a] - books.asset[b]);
}

function collectInBook(state: CoreState, book: number, trader: number, into: number[]): void {
  const { levels, orders } = state;
  for (let s = bookSide(book, 0); s <= bookSide(book, 1); s++) {
    const sideLevels = levels.sideLevels[s];
    for (let i = levels.sideLength[s] - 1; i >= 0; i--) {
      for (let order = levels.head[sideLevels[i]]; order !== NIL; order = orders.next[order]) {
        if (orders.trader[order] === trader) into.push(order);
      }
    }
  }
}

export function cancelAll(state: CoreState, out: Float64Array, at: number, trader: number, asset: number, allAssets: boolean): void {
  const books = allAssets ? sortedBookList(state) : [state.books.findBook(asset)].filter((book) => book !== NIL);
  const found: number[] = [];
  for (const book of books) collectInBook(state, book, trader, found);
  for (const order of found) {
    removeOrder(state, order, ReasonCode.CANCELLED_BY_USER, state.books.asset[sideBook(state.levels.side[state.orders.level[order]])]);
  }
  writeResult(out, at, StatusCode.OK, ReasonCode.NONE, 0, found.length, 0);
}
