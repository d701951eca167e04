// Reads a canonical snapshot (src/snapshot.ts) into a fresh BookState.
//
// Two passes: checkSnapshot (snapshot.ts) checks the whole structure and counts orders and
// levels, so the build can size every pool once and grow nothing (a million orders restore in
// a fraction of a second). A malformed snapshot throws CORRUPTION before anything is built;
// the caller's state is never touched, since the result is only swapped in when this returns.
import { SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_ORDER_SLOTS, checkSnapshot, openSnapshot } from '../snapshot.js';
import { BookState } from './book-state.js';
import { levelKey } from './books.js';

export function readSnapshot(bytes: Uint8Array, maxOrders: number, maxLevels: number): BookState {
  const slots = openSnapshot(bytes);
  const totals = checkSnapshot(slots, maxOrders, maxLevels);
  return build(slots, totals.orders, totals.levels);
}

function build(slots: Float64Array, orderTotal: number, levelTotal: number): BookState {
  const state = new BookState(orderTotal, levelTotal);
  const { books, levels, orders, index } = state;
  state.nextOrderId = slots[1];
  const bookCount = slots[2];
  let p = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    const book = books.create(slots[p]);
    const depths = [slots[p + 1], slots[p + 2]];
    p += SNAPSHOT_BOOK_SLOTS;
    for (let side = 0; side < 2; side++) {
      const queue = book * 2 + side;
      const depth = depths[side];
      books.reserveQueue(queue, depth);
      const keys = books.keys[queue];
      const queueLevels = books.levels[queue];
      // The snapshot lists levels best first; a queue keeps the best at its end.
      for (let l = 0; l < depth; l++) {
        const price = slots[p];
        const count = slots[p + 1];
        p += SNAPSHOT_LEVEL_SLOTS;
        const level = levels.alloc(queue, price);
        keys[depth - 1 - l] = levelKey(side, price);
        queueLevels[depth - 1 - l] = level;
        for (let k = 0; k < count; k++, p += SNAPSHOT_ORDER_SLOTS) {
          const id = slots[p];
          const slot = orders.alloc();
          orders.id[slot] = id;
          orders.trader[slot] = slots[p + 1];
          orders.remaining[slot] = slots[p + 2];
          orders.timestamp[slot] = slots[p + 3];
          orders.stp[slot] = slots[p + 4];
          orders.level[slot] = level;
          state.append(level, slot, slots[p + 2]);
          index.add(id, slot);
        }
      }
      books.depth[queue] = depth;
    }
  }
  return state;
}
