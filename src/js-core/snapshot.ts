// The canonical snapshot (layout: src/snapshot.ts), written from and read into a JS core's state
// (mirrors assembly/snapshot.ts). The WASM core writes the same bytes for the same state;
// stateHash() depends on it.
import { No } from './codes.js';
import {
  SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_ORDER_SLOTS, SNAPSHOT_STOP_SLOTS, openSnapshot,
  writeSnapshotMagic,
} from '../snapshot.js';
import { checkSnapshot } from '../snapshot-check.js';
import type { SnapshotCounts } from '../snapshot-check.js';
import { bookSide, sortedBookList } from './books.js';
import { CoreState } from './core-state.js';
import { createIndexedOrder } from './order-index.js';
import {
  beginRestoredStops, pendingAt, pendingCount, restorePendingAt, stopLimitPrice, stopPrice, stopProtectionPrice, stopTif,
} from './pending.js';
import { appendRestoredOrder } from './resting.js';
import { smallInteger } from './small-integer.js';

/** flags of a stop: stp | OCO_LEG | timeInForce << 3 (src/snapshot.ts). */
const TIF_SHIFT = 3;

/**
 * Books with state by ascending asset; in each, bids best first then asks best first, each level
 * in queue order, then pending buy and sell stops in trigger order.
 */
export function writeSnapshot(state: CoreState): Uint8Array {
  const { books, levels, orders, pending } = state;
  const listed = sortedBookList(state);
  const slotCount = SNAPSHOT_HEADER_SLOTS + listed.length * SNAPSHOT_BOOK_SLOTS + levels.live * SNAPSHOT_LEVEL_SLOTS +
    (orders.live - pending.live) * SNAPSHOT_ORDER_SLOTS + pending.live * SNAPSHOT_STOP_SLOTS;
  const bytes = new Uint8Array(slotCount * 8);
  const out = new Float64Array(bytes.buffer);
  writeSnapshotMagic(bytes);
  out[1] = state.nextOrderId;
  out[2] = listed.length;
  let p = SNAPSHOT_HEADER_SLOTS;
  for (const book of listed) {
    out[p++] = books.asset[book];
    out[p++] = books.lastPrice[book];
    out[p++] = levels.sideLength(bookSide(book, 0));
    out[p++] = levels.sideLength(bookSide(book, 1));
    out[p++] = pendingCount(state, book, 0);
    out[p++] = pendingCount(state, book, 1);
    for (let s = bookSide(book, 0); s <= bookSide(book, 1); s++) {
      for (let at = levels.bestPosition(s); at !== No.POSITION; at = levels.worsePosition(at)) {
        const level = levels.levelAt(at);
        out[p++] = levels.price[level];
        out[p++] = levels.count[level];
        for (let o = levels.head[level]; o !== No.SLOT; o = orders.next[o]) p = writeOrderHead(state, out, p, o);
      }
    }
    for (let side = 0; side < 2; side++) {
      const n = pendingCount(state, book, side);
      for (let rank = 0; rank < n; rank++) {
        const stop = pendingAt(state, book, side, rank);
        p = writeOrderHead(state, out, p, stop);
        out[p - 1] += stopTif(state, stop) << TIF_SHIFT;
        out[p++] = stopPrice(state, stop);
        out[p++] = stopLimitPrice(state, stop);
        out[p++] = stopProtectionPrice(state, stop);
      }
    }
  }
  return bytes;
}

/** The five slots an order and a stop share: orderId, trader, remaining, timestamp, flags. */
function writeOrderHead(state: CoreState, out: Float64Array, p: number, order: number): number {
  const orders = state.orders;
  out[p] = orders.id[order];
  out[p + 1] = orders.trader[order];
  out[p + 2] = orders.remaining[order];
  out[p + 3] = orders.timestamp[order];
  out[p + 4] = orders.stp[order];
  return p + SNAPSHOT_ORDER_SLOTS;
}

/**
 * A fresh state rebuilt from a snapshot. checkSnapshot (snapshot-check.ts) first checks the whole
 * structure and counts orders, stops and levels, so the build sizes every pool once; a malformed
 * snapshot throws CORRUPTION before anything is built, and the caller swaps the result in for
 * `replaced` only when this returns.
 */
export function restoreSnapshot(bytes: Uint8Array, maxOrders: number, maxLevels: number, replaced: CoreState): CoreState {
  const slots = openSnapshot(bytes);
  return rebuildState(slots, checkSnapshot(slots, maxOrders, maxLevels), replaced);
}

/**
 * A state built from the slots of a checked snapshot, with what the check counted in it, to
 * replace `replaced` (whose events it takes over). A core keeps its capacity across a restore, as
 * the WASM core keeps its memory, so the flow after a restore does not grow every pool again; and
 * where the snapshot fits, it keeps the very arrays, emptied. Allocated afresh, a core's worth of
 * arrays at every restore made V8 collect the old ones under external memory pressure and fault
 * the new ones' pages in, the id index's at random, during the calls after the restore: on the
 * bench's growing flow, after a restore to an empty book, the first 10,000 calls took 1-8 ms of
 * full collection and 5,834 page faults (docs/levels.md).
 */
export function rebuildState(slots: Float64Array, totals: SnapshotCounts, replaced: CoreState): CoreState {
  const fits = totals.orders + totals.stops <= replaced.orders.capacity && totals.levels <= replaced.levels.capacity;
  const state = fits
    ? new CoreState(replaced.events, 0, 0, undefined, replaced)
    : new CoreState(replaced.events, Math.max(totals.orders + totals.stops, replaced.orders.capacity),
      Math.max(totals.levels, replaced.levels.capacity), replaced.levels.ladders.nodeCapacity);
  const { books, levels, orders, index } = state;
  // Every value goes in as smallInteger(...): the state's fields and the functions restore
  // shares with the per-call path must see numbers as a caller passes them (small-integer.ts).
  const at = (p: number): number => smallInteger(slots[p]);
  state.nextOrderId = at(1);
  const bookCount = at(2);
  let p = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    const book = books.findOrCreateBook(at(p), levels);
    books.lastPrice[book] = at(p + 1);
    const depths = [at(p + 2), at(p + 3)];
    const stopCounts = [at(p + 4), at(p + 5)];
    p += SNAPSHOT_BOOK_SLOTS;
    for (let side = 0; side < 2; side++) {
      const s = bookSide(book, side);
      const depth = depths[side];
      levels.beginSideBuild(s, depth);
      // Best first in the snapshot: each level is worse than the one before.
      for (let rank = 0; rank < depth; rank++) {
        const level = levels.buildNextWorseLevel(s, at(p));
        const count = at(p + 1);
        p += SNAPSHOT_LEVEL_SLOTS;
        for (let k = 0; k < count; k++, p += SNAPSHOT_ORDER_SLOTS) {
          const order = createIndexedOrder(orders, index, at(p), at(p + 2), at(p + 3), at(p + 1), at(p + 4));
          appendRestoredOrder(state, level, order);
        }
      }
      levels.endSideBuild(s, depth);
    }
    for (let side = 0; side < 2; side++) {
      const count = stopCounts[side];
      if (count === 0) continue;
      beginRestoredStops(state, book, side, count);
      for (let rank = 0; rank < count; rank++, p += SNAPSHOT_STOP_SLOTS) {
        const flags = at(p + 4);
        const stop = createIndexedOrder(orders, index, at(p), at(p + 2), at(p + 3), at(p + 1), flags & 7);
        restorePendingAt(state, stop, book, side, rank, at(p + 5), at(p + 6), at(p + 7), flags >> TIF_SHIFT);
      }
    }
  }
  return state;
}
