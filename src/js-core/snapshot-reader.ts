// Reads a canonical snapshot (src/snapshot.ts) into a fresh BookState.
//
// Two passes: the first checks the whole structure and counts orders and levels, so the second
// can size every pool once and build with no growth (a million orders restore in a fraction of
// a second). Duplicate ids are caught while building, by the id index itself. Any failure
// throws LobError CORRUPTION naming what is wrong; the caller's state is never touched, since
// the result is only swapped in when this returns.
import { LobError } from '../errors.js';
import { SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_ORDER_SLOTS, openSnapshot } from '../snapshot.js';
import { SideCode, StpCode } from '../codes.js';
import { BookState } from './book-state.js';
import { levelKey } from './books.js';
import { NIL } from './order-pool.js';

const SIDE_NAMES = ['bid', 'ask'];

export function readSnapshot(bytes: Uint8Array): BookState {
  const slots = openSnapshot(bytes);
  const totals = checkStructure(slots);
  return build(slots, totals.orders, totals.levels);
}

function corrupt(message: string): LobError {
  return new LobError('CORRUPTION', `snapshot: ${message}`);
}

function isNonNegativeInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function checkStructure(slots: Float64Array): { orders: number; levels: number } {
  const end = slots.length;
  const nextOrderId = slots[1];
  const bookCount = slots[2];
  if (!(isNonNegativeInteger(nextOrderId) && nextOrderId >= 1)) corruptValue('nextOrderId', nextOrderId, 'a positive safe integer');
  if (!isNonNegativeInteger(bookCount)) corruptValue('bookCount', bookCount, 'a non-negative safe integer');
  if (SNAPSHOT_HEADER_SLOTS + bookCount * SNAPSHOT_BOOK_SLOTS > end) {
    throw corrupt(`bookCount ${bookCount} does not fit in ${end} slots`);
  }
  let p = SNAPSHOT_HEADER_SLOTS;
  let orderTotal = 0;
  let levelTotal = 0;
  let previousAsset = -1;
  for (let b = 0; b < bookCount; b++) {
    if (p + SNAPSHOT_BOOK_SLOTS > end) throw corrupt(`book ${b} is cut off at slot ${p} of ${end}`);
    const asset = slots[p];
    const where = `book ${b} (asset ${asset})`;
    if (!isNonNegativeInteger(asset)) corruptValue(`book ${b} asset`, asset, 'a non-negative safe integer');
    if (asset <= previousAsset) throw corrupt(`${where} is not after asset ${previousAsset}: books must be in ascending asset order`);
    previousAsset = asset;
    const depths = [slots[p + 1], slots[p + 2]];
    for (let side = 0; side < 2; side++) {
      if (!isNonNegativeInteger(depths[side])) corruptValue(`${where} ${SIDE_NAMES[side]} level count`, depths[side], 'a non-negative safe integer');
    }
    if (depths[0] + depths[1] === 0) throw corrupt(`${where} has no levels (empty books are not listed)`);
    p += SNAPSHOT_BOOK_SLOTS;
    let bestBid = 0;
    for (let side = 0; side < 2; side++) {
      const depth = depths[side];
      if (p + depth * SNAPSHOT_LEVEL_SLOTS > end) throw corrupt(`${where} claims ${depth} ${SIDE_NAMES[side]} levels, more than fit`);
      let previousPrice = 0;
      for (let l = 0; l < depth; l++) {
        if (p + SNAPSHOT_LEVEL_SLOTS > end) throw corrupt(`${where} ${SIDE_NAMES[side]} level ${l} is cut off`);
        const price = slots[p];
        const count = slots[p + 1];
        const level = `${where} ${SIDE_NAMES[side]} level ${l}`;
        if (!(isNonNegativeInteger(price) && price > 0)) corruptValue(`${level} price`, price, 'a positive safe integer');
        if (!(isNonNegativeInteger(count) && count > 0)) corruptValue(`${level} order count`, count, 'a positive safe integer');
        if (l > 0 && (side === SideCode.BID ? price >= previousPrice : price <= previousPrice)) {
          throw corrupt(`${level} price ${price} is not ${side === SideCode.BID ? 'below' : 'above'} the previous level's ${previousPrice}: levels must be best first`);
        }
        if (side === SideCode.BID && l === 0) bestBid = price;
        if (side === SideCode.ASK && l === 0 && depths[0] > 0 && price <= bestBid) {
          throw corrupt(`${where} best ask ${price} is not above best bid ${bestBid}`);
        }
        previousPrice = price;
        p += SNAPSHOT_LEVEL_SLOTS;
        if (p + count * SNAPSHOT_ORDER_SLOTS > end) throw corrupt(`${level} claims ${count} orders, more than fit in the snapshot`);
        for (let k = 0; k < count; k++, p += SNAPSHOT_ORDER_SLOTS) checkOrder(slots, p, nextOrderId, `${level} order ${k}`);
        orderTotal += count;
      }
      levelTotal += depth;
    }
  }
  if (p !== end) throw corrupt(`${end - p} slots left over after the last book: the counts do not match the length`);
  return { orders: orderTotal, levels: levelTotal };
}

function checkOrder(slots: Float64Array, p: number, nextOrderId: number, where: string): void {
  const id = slots[p];
  if (!(isNonNegativeInteger(id) && id > 0)) corruptValue(`${where} id`, id, 'a positive safe integer');
  if (id >= nextOrderId) throw corrupt(`${where} id ${id} is not below nextOrderId ${nextOrderId}`);
  if (!isNonNegativeInteger(slots[p + 1])) corruptValue(`${where} (id ${id}) trader`, slots[p + 1], 'a non-negative safe integer');
  const remaining = slots[p + 2];
  if (!(isNonNegativeInteger(remaining) && remaining > 0)) corruptValue(`${where} (id ${id}) remaining`, remaining, 'a positive safe integer');
  if (!isNonNegativeInteger(slots[p + 3])) corruptValue(`${where} (id ${id}) timestamp`, slots[p + 3], 'a non-negative safe integer');
  const stp = slots[p + 4];
  if (!(isNonNegativeInteger(stp) && stp <= StpCode.CANCEL_BOTH)) corruptValue(`${where} (id ${id}) stp`, stp, 'a code 0..3');
}

function corruptValue(field: string, value: number, expected: string): never {
  throw corrupt(`${field} is ${value}, expected ${expected}`);
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
          if (index.get(id) !== NIL) throw corrupt(`order id ${id} appears more than once`);
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
