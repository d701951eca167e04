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
// restoreChunk runs, so reading trusts it.
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
import { createIndexedOrder, presizeOrderIndex, reserveIndexEntry, touchEmptyTable, touchHomes } from './order-index';
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
      const grouped = writeLevelGroup(at);
      if (grouped != at) {
        at = grouped;
        continue;
      }
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

// Whole levels that fit in what is left of the chunk are written side by side: their places in
// the chunk are known from their order counts, so their queues are walked in turns, one order of
// each a turn. A queue is a linked list whose records lie wherever the orders arrived (a book
// built by a million commands puts consecutive orders of a level hundreds of KB apart), so one
// queue at a time is a chain of cache misses; walked in turns, the misses of GROUP_LEVELS queues
// are independent loads the CPU overlaps.
const GROUP_LEVELS: u32 = 16;
const groupCursors: usize = memory.data(GROUP_LEVELS << 2, 4); // next order of each queue
const groupOutputs: usize = memory.data(GROUP_LEVELS << 2, 4); // where it goes in the chunk

/**
 * Writes the run of whole levels from `walk` on that fits in the chunk from `at` (at most
 * GROUP_LEVELS), advancing `walk` past them; returns the new end (`at` itself: not even the first
 * level fits, which snapshotChunk then writes in pieces).
 */
function writeLevelGroup(at: u32): u32 {
  let levels: u32 = 0;
  let end = at;
  let next = walk;
  while (levels < GROUP_LEVELS && next != NO_POSITION) {
    const level = levelAt(next);
    const bytes = 16 + levelCount(level) * ORDER_RECORD_BYTES;
    if (end + bytes > CHUNK_BYTES) break;
    store<f64>(chunk + end, levelPrice(level), 0);
    store<f64>(chunk + end, <f64>levelCount(level), 8);
    store<u32>(groupCursors + (<usize>levels << 2), <u32>levelHead(level));
    store<u32>(groupOutputs + (<usize>levels << 2), <u32>(chunk + end + 16));
    end += bytes;
    levels++;
    next = worsePosition(next);
  }
  if (levels == 0) return at;
  walk = next;
  // A queue that ends gives its turn to the last one still going.
  let going = levels;
  while (going > 0) {
    for (let i: u32 = 0; i < going; i++) {
      const cursorAt = groupCursors + (<usize>i << 2);
      const outputAt = groupOutputs + (<usize>i << 2);
      const current = <usize>load<u32>(cursorAt);
      const output = <usize>load<u32>(outputAt);
      writeOrderHead(output, current);
      const following = orderNext(current);
      if (following != 0) {
        store<u32>(cursorAt, <u32>following);
        store<u32>(outputAt, <u32>(output + ORDER_RECORD_BYTES));
      } else {
        going--;
        store<u32>(cursorAt, load<u32>(groupCursors + (<usize>going << 2)));
        store<u32>(outputAt, load<u32>(groupOutputs + (<usize>going << 2)));
      }
    }
  }
  return end;
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

// Restoring is resumable too, fed through the same chunk: the host copies the next piece of the
// snapshot in and restoreChunk consumes the whole records it holds. No copy of the snapshot
// lands in the core's heap (at 1M orders that was 40 MB more memory, page-faulted as it was
// copied), and the work comes in many calls: the engine tiers a WebAssembly function up to its
// optimizing compiler between calls, never inside one, so a single call over a million orders
// ran its whole loop in baseline code (a fresh process's restore of 1M orders: 1.2 s, against
// 0.4 s once warm). The reader's place in the snapshot:
const AT_HEADER: u32 = 0;
const AT_BOOK: u32 = 1;
const AT_LEVEL: u32 = 2; // the next level header of the current side
const AT_ORDER: u32 = 3; // the next order of the current level
const AT_STOP: u32 = 4; // the next stop of the current side's list
const AT_END: u32 = 5;
/** Orders of a level whose index slots are read ahead of their inserts (touchHomes). */
const TOUCH_AHEAD: u32 = 32;

let readerAt: u32 = AT_HEADER;
let booksLeft: u32 = 0;
let restoredBook: usize = 0;
// The current book's sections, in snapshot order: bid levels, ask levels, buy stops, sell stops.
let section: u32 = 0;
const sectionCounts: usize = memory.data(16, 4);
let sectionLeft: u32 = 0; // levels or stops left in the current section
let restoredLevel: usize = 0;
let levelOrdersLeft: u32 = 0;
let levelOrderRank: u32 = 0;

/**
 * Starts reading a validated snapshot into a core just reset: sizes the order index for `orders`
 * resting orders and pending stops. False when memory runs out.
 */
export function beginRestore(orders: u32): bool {
  readerAt = AT_HEADER;
  return presizeOrderIndex(orders);
}

/** Faults in the pages of the order index beginRestore sized (touchEmptyTable says why). */
export function touchRestoredIndex(): void {
  touchEmptyTable();
}

/** Whether every record of the snapshot has been restored. */
export function restoreComplete(): bool {
  return readerAt == AT_END;
}

/**
 * Restores the whole records among the first `bytes` of the chunk; returns how many bytes they
 * took (the host passes the rest again, with more after it), or -1 when memory ran out (the host
 * then treats the core as failed). The host validated the snapshot completely (snapshot.ts), so
 * reading trusts it.
 */
export function restoreChunk(bytes: u32): i32 {
  let p = chunk;
  const end = chunk + <usize>bytes;
  while (true) {
    if (readerAt == AT_ORDER) {
      const s = bookSide(restoredBook, section);
      while (levelOrdersLeft > 0 && p + ORDER_RECORD_BYTES <= end) {
        if ((levelOrderRank & (TOUCH_AHEAD - 1)) == 0) {
          touchHomes(p, min<u32>(min<u32>(TOUCH_AHEAD, levelOrdersLeft), <u32>(end - p) / ORDER_RECORD_BYTES), ORDER_RECORD_BYTES);
        }
        const traderIndex = internTrader(load<f64>(p, 8));
        if (traderIndex == NO_TRADER || !reserveOrder() || !reserveIndexEntry()) return -1;
        const order = createIndexedOrder(load<f64>(p, 0), load<f64>(p, 16), load<f64>(p, 24), traderIndex, <u32>load<f64>(p, 32));
        appendRestoredOrder(restoredLevel, order, levelOrderRank == 0);
        levelOrderRank++;
        levelOrdersLeft--;
        p += ORDER_RECORD_BYTES;
      }
      if (levelOrdersLeft > 0) break;
      if (--sectionLeft > 0) {
        readerAt = AT_LEVEL;
      } else {
        endSideBuild(s, load<u32>(sectionCounts + (<usize>section << 2)));
        if (!enterSection(section + 1)) return -1;
      }
      continue;
    }
    if (readerAt == AT_LEVEL) {
      if (p + 16 > end) break;
      if (!reserveLevelRecord()) return -1;
      // Best first in the snapshot: each level is worse than the one before.
      restoredLevel = buildNextWorseLevel(bookSide(restoredBook, section), load<f64>(p, 0));
      levelOrdersLeft = <u32>load<f64>(p, 8);
      levelOrderRank = 0;
      p += 16;
      readerAt = AT_ORDER;
      continue;
    }
    if (readerAt == AT_STOP) {
      if (p + STOP_RECORD_BYTES > end) break;
      const side = section - 2;
      const rank = load<u32>(sectionCounts + (<usize>section << 2)) - sectionLeft;
      const traderIndex = internTrader(load<f64>(p, 8));
      if (traderIndex == NO_TRADER || !reserveOrder() || !reserveIndexEntry()) return -1;
      const flags = <u32>load<f64>(p, 32);
      const stop = createIndexedOrder(load<f64>(p, 0), load<f64>(p, 16), load<f64>(p, 24), traderIndex, flags & 7);
      if (!restorePendingAt(stop, restoredBook, side, rank, load<f64>(p, 40), load<f64>(p, 48), load<f64>(p, 56), flags >> 3)) return -1;
      p += STOP_RECORD_BYTES;
      if (--sectionLeft == 0 && !enterSection(section + 1)) return -1;
      continue;
    }
    if (readerAt == AT_BOOK) {
      if (p + BOOK_HEADER_BYTES > end) break;
      restoredBook = findOrCreateBook(load<f64>(p, 0));
      if (restoredBook == 0) return -1;
      setBookLastPrice(restoredBook, load<f64>(p, 8));
      for (let k: usize = 0; k < 4; k++) store<u32>(sectionCounts + (k << 2), <u32>load<f64>(p + ((k + 2) << 3)));
      p += BOOK_HEADER_BYTES;
      if (!enterSection(0)) return -1;
      continue;
    }
    if (readerAt == AT_HEADER) {
      if (p + 24 > end) break;
      setNextOrderId(load<f64>(p, 8));
      booksLeft = <u32>load<f64>(p, 16);
      p += 24;
      readerAt = booksLeft == 0 ? AT_END : AT_BOOK;
      continue;
    }
    break; // AT_END
  }
  return <i32>(p - chunk);
}

/** Moves to the first section from `first` on that holds anything, or to the next book. */
function enterSection(first: u32): bool {
  for (section = first; section < 4; section++) {
    const count = load<u32>(sectionCounts + (<usize>section << 2));
    if (count == 0) continue;
    sectionLeft = count;
    if (section < 2) {
      if (!beginSideBuild(bookSide(restoredBook, section), count)) return false;
      readerAt = AT_LEVEL;
    } else {
      if (!beginRestoredStops(restoredBook, section - 2, count)) return false;
      readerAt = AT_STOP;
    }
    return true;
  }
  readerAt = --booksLeft == 0 ? AT_END : AT_BOOK;
  return true;
}
