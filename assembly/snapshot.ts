// The canonical snapshot (layout: src/snapshot.ts), written and read inside the core so that a
// million-order book crosses the boundary as one copy.
//   header: magic+version word, nextOrderId, bookCount
//   per book with state, assets ascending: asset, lastPrice, bidLevelCount, askLevelCount,
//                                          buyStopCount, sellStopCount
//     per level, bids best first then asks best first: price, orderCount
//       per order, queue order: orderId, trader, remaining, timestamp, flags
//     per pending stop, buys then sells, each in trigger order:
//       orderId, trader, size, timestamp, flags, stopPrice, price, protectionPrice
//   flags: stp | OCO_LEG (4) | a stop's timeInForce << 3
// The host validates a snapshot completely (and upgrades an older version) before
// restoreSnapshot runs, so reading trusts it.
import { alloc, free } from './allocator';
import {
  beginSideBuild, bestPosition, buildNextWorseLevel, endSideBuild, levelAt, levelCount, levelHead, levelPrice,
  reserveLevelRecord, sideLength, worsePosition, NO_POSITION,
} from './levels';
import {
  orderFlags, orderId, orderNext, orderRemaining, orderTimestamp, orderTraderIndex, reserveOrder,
} from './orders';
import {
  bookAsset, bookHasState, bookLastPrice, bookSide, bookSlotCount, bookSlots, findOrCreateBook, freeBookList,
  setBookLastPrice, statefulBookCount, sortedBookList,
} from './books';
import {
  beginRestoredStops, pendingAt, pendingCount, pendingStops, restorePendingAt, stopLimitPrice, stopPrice,
  stopProtectionPrice, stopTif,
} from './pending';
import { createIndexedOrder, presizeOrderIndex, reserveIndexEntry } from './order-index';
import { internTrader, traderValue, NO_TRADER } from './traders';
import { appendRestoredOrder, levelsInUse, restingOrders } from './resting';
import { nextOrderId, setNextOrderId } from './matching';
import { SIDE_BID, SIDE_ASK } from './codes';

/** "LOBSNAP" then format version 2, as one little-endian word. */
const MAGIC_AND_VERSION: u64 = 0x02_50_41_4e_53_42_4f_4c;
const BOOK_HEADER_BYTES: u32 = 48;
const ORDER_RECORD_BYTES: u32 = 40;
const STOP_RECORD_BYTES: u32 = 64;

// Writing is resumable and goes through a fixed static chunk, so a snapshot needs no memory
// beyond what the core already holds: a core whose memory limit is reached still snapshots.
const CHUNK_BYTES: u32 = 65536;
const chunk: usize = memory.data(65536, 16);

let sortedBooks: usize = 0; // book pointers by ascending asset, or 0: then found by scanning
let bookTotal: u32 = 0;
let bookIndex: u32 = 0;
let lastAsset: f64 = -1;
let headerWritten = false;
let book: usize = 0;
let side: u32 = 0;
let walk: u64 = NO_POSITION; // the level being written: a position of the side's best-first walk
let rank: u32 = 0; // the pending stop being written, in trigger order
let order: usize = 0; // next order of the current level, 0 before its header is written
let inStops = false; // the current book's levels are written, its pending stops are next

/** Starts a snapshot; returns its length in bytes. Chunks follow from snapshotChunk(). */
export function beginSnapshot(): f64 {
  if (sortedBooks != 0) freeBookList(sortedBooks, bookTotal);
  bookTotal = statefulBookCount();
  sortedBooks = bookTotal == 0 ? 0 : sortedBookList(bookTotal);
  bookIndex = 0;
  lastAsset = -1;
  headerWritten = false;
  book = 0;
  return (3 + 6 * <f64>bookTotal + 2 * <f64>levelsInUse + 5 * <f64>restingOrders + 8 * <f64>pendingStops) * 8;
}

/** The next book by asset: from the sorted list, or (no memory for one) the least asset above the last. */
function nextBook(): usize {
  if (sortedBooks != 0) return <usize>load<u32>(sortedBooks + (<usize>bookIndex << 2));
  const slotCount = bookSlotCount();
  const slots = bookSlots();
  let best: usize = 0;
  for (let i: u32 = 0; i < slotCount; i++) {
    const b = <usize>load<u32>(slots + (<usize>i << 2));
    if (b == 0 || !bookHasState(b) || bookAsset(b) <= lastAsset) continue;
    if (best == 0 || bookAsset(b) < bookAsset(best)) best = b;
  }
  return best;
}

/** Writes the next whole records into the chunk; returns the bytes written (0: the snapshot is complete). */
export function snapshotChunk(): u32 {
  let at: u32 = 0;
  if (!headerWritten) {
    store<u64>(chunk, MAGIC_AND_VERSION, 0);
    store<f64>(chunk, nextOrderId, 8);
    store<f64>(chunk, <f64>bookTotal, 16);
    at = 24;
    headerWritten = true;
  }
  while (true) {
    if (book == 0) {
      if (bookIndex == bookTotal) break;
      if (at + BOOK_HEADER_BYTES > CHUNK_BYTES) break;
      book = nextBook();
      bookIndex++;
      lastAsset = bookAsset(book);
      store<f64>(chunk + at, lastAsset, 0);
      store<f64>(chunk + at, bookLastPrice(book), 8);
      store<f64>(chunk + at, <f64>sideLength(bookSide(book, SIDE_BID)), 16);
      store<f64>(chunk + at, <f64>sideLength(bookSide(book, SIDE_ASK)), 24);
      store<f64>(chunk + at, <f64>pendingCount(book, SIDE_BID), 32);
      store<f64>(chunk + at, <f64>pendingCount(book, SIDE_ASK), 40);
      at += BOOK_HEADER_BYTES;
      side = SIDE_BID;
      walk = bestPosition(bookSide(book, SIDE_BID));
      order = 0;
      inStops = false;
    }
    if (inStops) {
      if (rank == pendingCount(book, side)) {
        if (side == SIDE_BID) {
          side = SIDE_ASK;
          rank = 0;
        } else {
          book = 0;
        }
        continue;
      }
      if (at + STOP_RECORD_BYTES > CHUNK_BYTES) break;
      writeStop(chunk + at, pendingAt(book, side, rank));
      at += STOP_RECORD_BYTES;
      rank++;
      continue;
    }
    if (walk == NO_POSITION) {
      if (side == SIDE_BID) {
        side = SIDE_ASK;
        walk = bestPosition(bookSide(book, SIDE_ASK));
      } else {
        side = SIDE_BID;
        inStops = true;
      }
      rank = 0;
      continue;
    }
    const level = levelAt(walk);
    if (order == 0) {
      if (at + 16 > CHUNK_BYTES) break;
      store<f64>(chunk + at, levelPrice(level), 0);
      store<f64>(chunk + at, <f64>levelCount(level), 8);
      at += 16;
      order = levelHead(level);
    }
    while (order != 0 && at + ORDER_RECORD_BYTES <= CHUNK_BYTES) {
      writeOrderHead(chunk + at, order);
      at += ORDER_RECORD_BYTES;
      order = orderNext(order);
    }
    if (order != 0) break; // chunk full mid-level
    walk = worsePosition(walk);
  }
  if (at == 0 && sortedBooks != 0) {
    freeBookList(sortedBooks, bookTotal);
    sortedBooks = 0;
  }
  return at;
}

/** The five slots an order and a stop share: orderId, trader, remaining, timestamp, flags. */
@inline function writeOrderHead(out: usize, order: usize): void {
  store<f64>(out, orderId(order), 0);
  store<f64>(out, traderValue(orderTraderIndex(order)), 8);
  store<f64>(out, orderRemaining(order), 16);
  store<f64>(out, orderTimestamp(order), 24);
  store<f64>(out, <f64>orderFlags(order), 32);
}

function writeStop(out: usize, stop: usize): void {
  writeOrderHead(out, stop);
  store<f64>(out, <f64>(orderFlags(stop) | (stopTif(stop) << 3)), 32);
  store<f64>(out, stopPrice(stop), 40);
  store<f64>(out, stopLimitPrice(stop), 48);
  store<f64>(out, stopProtectionPrice(stop), 56);
}

/** Where snapshotChunk writes. */
export function snapshotChunkAddress(): usize {
  return chunk;
}

/**
 * Rebuilds every book from a validated snapshot at `at` into a freshly reset core. Returns
 * false when memory runs out part way (the host then treats the core as failed).
 */
export function restoreSnapshot(at: usize, orders: u32): bool {
  if (!presizeOrderIndex(orders)) return false;
  setNextOrderId(load<f64>(at, 8));
  const books = <u32>load<f64>(at, 16);
  let p = at + 24;
  for (let b: u32 = 0; b < books; b++) {
    const book = findOrCreateBook(load<f64>(p, 0));
    if (book == 0) return false;
    setBookLastPrice(book, load<f64>(p, 8));
    const bidLevels = <u32>load<f64>(p, 16);
    const askLevels = <u32>load<f64>(p, 24);
    const buyStops = <u32>load<f64>(p, 32);
    const sellStops = <u32>load<f64>(p, 40);
    p += BOOK_HEADER_BYTES;
    p = restoreSide(p, bookSide(book, SIDE_BID), bidLevels);
    if (p == 0) return false;
    p = restoreSide(p, bookSide(book, SIDE_ASK), askLevels);
    if (p == 0) return false;
    p = restoreStops(p, book, SIDE_BID, buyStops);
    if (p == 0) return false;
    p = restoreStops(p, book, SIDE_ASK, sellStops);
    if (p == 0) return false;
  }
  return true;
}

function restoreStops(p: usize, book: usize, side: u32, count: u32): usize {
  if (count == 0) return p;
  if (!beginRestoredStops(book, side, count)) return 0;
  for (let rank: u32 = 0; rank < count; rank++) {
    const traderIndex = internTrader(load<f64>(p, 8));
    if (traderIndex == NO_TRADER || !reserveOrder() || !reserveIndexEntry()) return 0;
    const flags = <u32>load<f64>(p, 32);
    const stop = createIndexedOrder(load<f64>(p, 0), load<f64>(p, 16), load<f64>(p, 24), traderIndex, flags & 7);
    if (!restorePendingAt(stop, book, side, rank, load<f64>(p, 40), load<f64>(p, 48), load<f64>(p, 56), flags >> 3)) return 0;
    p += STOP_RECORD_BYTES;
  }
  return p;
}

function restoreSide(p: usize, s: usize, levels: u32): usize {
  if (levels == 0) return p;
  if (!beginSideBuild(s, levels)) return 0;
  for (let rank: u32 = 0; rank < levels; rank++) {
    if (!reserveLevelRecord()) return 0;
    // Best first in the snapshot: each level is worse than the one before.
    const level = buildNextWorseLevel(s, load<f64>(p, 0));
    const orders = <u32>load<f64>(p, 8);
    p += 16;
    for (let k: u32 = 0; k < orders; k++) {
      const traderIndex = internTrader(load<f64>(p, 8));
      if (traderIndex == NO_TRADER || !reserveOrder() || !reserveIndexEntry()) return 0;
      const order = createIndexedOrder(load<f64>(p, 0), load<f64>(p, 16), load<f64>(p, 24), traderIndex, <u32>load<f64>(p, 32));
      appendRestoredOrder(level, order, k == 0);
      p += ORDER_RECORD_BYTES;
    }
  }
  endSideBuild(s, levels);
  return p;
}
