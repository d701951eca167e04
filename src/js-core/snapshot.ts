// The canonical snapshot (layout: src/snapshot.ts), written from and read into a JS core's state
// (mirrors assembly/snapshot.ts). The WASM core writes the same bytes for the same state;
// stateHash() depends on it.
import {
  SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_ORDER_SLOTS, checkSnapshot, openSnapshot,
  writeSnapshotMagic,
} from '../snapshot.js';
import { bookSide } from './books.js';
import { CoreState } from './core-state.js';
import { createIndexedOrder } from './order-index.js';
import { NIL } from './orders.js';
import { appendRestoredOrder } from './resting.js';
import { smallInteger } from './small-integer.js';

/** Books by ascending asset, bids best first then asks best first, each level in queue order. */
export function writeSnapshot(state: CoreState): Uint8Array {
  const { books, levels, orders } = state;
  const nonEmpty = nonEmptyBooksByAsset(state);
  const slotCount = SNAPSHOT_HEADER_SLOTS + nonEmpty.length * SNAPSHOT_BOOK_SLOTS +
    levels.live * SNAPSHOT_LEVEL_SLOTS + orders.live * SNAPSHOT_ORDER_SLOTS;
  const bytes = new Uint8Array(slotCount * 8);
  const out = new Float64Array(bytes.buffer);
  writeSnapshotMagic(bytes);
  out[1] = state.nextOrderId;
  out[2] = nonEmpty.length;
  let p = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < nonEmpty.length; b++) {
    const book = nonEmpty[b];
    out[p++] = books.asset[book];
    out[p++] = levels.sideLength[bookSide(book, 0)];
    out[p++] = levels.sideLength[bookSide(book, 1)];
    for (let s = bookSide(book, 0); s <= bookSide(book, 1); s++) {
      const sideLevels = levels.sideLevels[s];
      for (let i = levels.sideLength[s] - 1; i >= 0; i--) {
        const level = sideLevels[i];
        out[p++] = levels.price[level];
        out[p++] = levels.count[level];
        for (let o = levels.head[level]; o !== NIL; o = orders.next[o]) {
          out[p++] = orders.id[o];
          out[p++] = orders.trader[o];
          out[p++] = orders.remaining[o];
          out[p++] = orders.timestamp[o];
          out[p++] = orders.stp[o];
        }
      }
    }
  }
  return bytes;
}

/** Books with at least one level, ordered by asset. */
function nonEmptyBooksByAsset(state: CoreState): Int32Array {
  const { books, levels } = state;
  const isEmpty = (book: number): boolean => levels.sideLength[bookSide(book, 0)] + levels.sideLength[bookSide(book, 1)] === 0;
  let count = 0;
  for (let book = 0; book < books.count; book++) if (!isEmpty(book)) count++;
  const result = new Int32Array(count);
  let at = 0;
  for (let book = 0; book < books.count; book++) if (!isEmpty(book)) result[at++] = book;
  const asset = books.asset;
  return result.sort((a, b) => asset[a] - asset[b]);
}

/**
 * A fresh state rebuilt from a snapshot. checkSnapshot (snapshot.ts) first checks the whole
 * structure and counts orders and levels, so the build sizes every pool once; a malformed
 * snapshot throws CORRUPTION before anything is built, and the caller swaps the result in only
 * when this returns.
 */
export function restoreSnapshot(bytes: Uint8Array, maxOrders: number, maxLevels: number): CoreState {
  const slots = openSnapshot(bytes);
  const totals = checkSnapshot(slots, maxOrders, maxLevels);
  const state = new CoreState(totals.orders, totals.levels);
  const { books, levels, orders, index } = state;
  // Every value goes in as smallInteger(...): the state's fields and the functions restore
  // shares with the per-call path must see numbers as a caller passes them (small-integer.ts).
  const at = (p: number): number => smallInteger(slots[p]);
  state.nextOrderId = at(1);
  const bookCount = at(2);
  let p = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    const book = books.findOrCreateBook(at(p), levels, 0);
    const bidDepth = at(p + 1);
    const askDepth = at(p + 2);
    p += SNAPSHOT_BOOK_SLOTS;
    for (let side = 0; side < 2; side++) {
      const s = bookSide(book, side);
      const depth = side === 0 ? bidDepth : askDepth;
      levels.growSide(s, depth);
      // The snapshot lists levels best first; a side keeps the best at its end.
      for (let rank = 0; rank < depth; rank++) {
        const level = levels.placeLevelAt(s, depth - 1 - rank, at(p));
        const count = at(p + 1);
        p += SNAPSHOT_LEVEL_SLOTS;
        for (let k = 0; k < count; k++, p += SNAPSHOT_ORDER_SLOTS) {
          const order = createIndexedOrder(orders, index, at(p), at(p + 2), at(p + 3), at(p + 1), at(p + 4));
          appendRestoredOrder(state, level, order);
        }
      }
      levels.sideLength[s] = depth;
    }
  }
  return state;
}
