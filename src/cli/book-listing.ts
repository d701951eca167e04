// Per-book order and level counts, read from a canonical snapshot (src/snapshot.ts; a state
// machine's comes from CoreStateMachine.snapshot()): one pass, where asking the book of each
// asset for its orders would build every resting order as an object.
import { openSnapshot, SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_ORDER_SLOTS } from '../snapshot.js';

export interface BookCounts {
  asset: number;
  bidOrders: number;
  askOrders: number;
  bidLevels: number;
  askLevels: number;
}

/** Per non-empty book, ascending by asset: how many orders and levels rest on each side. */
export function listBooks(snapshot: Uint8Array): BookCounts[] {
  const slots = openSnapshot(snapshot);
  const bookCount = slots[2];
  const books: BookCounts[] = [];
  let o = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    const book: BookCounts = { asset: slots[o], bidOrders: 0, askOrders: 0, bidLevels: slots[o + 1], askLevels: slots[o + 2] };
    o += SNAPSHOT_BOOK_SLOTS;
    for (let level = 0; level < book.bidLevels + book.askLevels; level++) {
      const orders = slots[o + 1];
      if (level < book.bidLevels) book.bidOrders += orders;
      else book.askOrders += orders;
      o += SNAPSHOT_LEVEL_SLOTS + orders * SNAPSHOT_ORDER_SLOTS;
    }
    books.push(book);
  }
  return books;
}
