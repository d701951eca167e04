// Writes the canonical snapshot (src/snapshot.ts) of a BookState: books by ascending asset,
// bids best first then asks best first, each level in queue order. The WASM core writes the
// same bytes for the same state; stateHash() depends on it.
import { SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_ORDER_SLOTS, writeSnapshotMagic } from '../snapshot.js';
import type { BookState } from './book-state.js';
import { NIL } from './order-pool.js';

export function writeSnapshot(state: BookState): Uint8Array {
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
    out[p++] = books.depth[book * 2];
    out[p++] = books.depth[book * 2 + 1];
    for (let queue = book * 2; queue < book * 2 + 2; queue++) {
      const queueLevels = books.levels[queue];
      for (let d = books.depth[queue] - 1; d >= 0; d--) {
        const level = queueLevels[d];
        out[p++] = levels.price[level];
        out[p++] = levels.orderCount[level];
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
function nonEmptyBooksByAsset(state: BookState): Int32Array {
  const { books } = state;
  let count = 0;
  for (let book = 0; book < books.count; book++) {
    if (books.depth[book * 2] + books.depth[book * 2 + 1] > 0) count++;
  }
  const result = new Int32Array(count);
  let at = 0;
  for (let book = 0; book < books.count; book++) {
    if (books.depth[book * 2] + books.depth[book * 2 + 1] > 0) result[at++] = book;
  }
  const asset = books.asset;
  return result.sort((a, b) => asset[a] - asset[b]);
}
