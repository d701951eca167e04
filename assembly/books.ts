// One book per asset, found through a hash map from asset id to book record.
//
// Book record (pooled): asset f64 | bid side | ask side (sides: levels.ts) | last trade price f64
// (0: none yet) | pending stops u32 (pending.ts; 0 until the book's first stop)
// Books are created on the first order that rests or waits in an asset and are never freed: an
// empty book is a few dozen bytes and its ladders hold no node, so 10,000 assets cost next to
// nothing.
// The map is open addressing over 4-byte book pointers (key read from the book), linear
// probing, at most half full.
import { alloc, free } from './allocator';
import { newSlotTable, moveEntries } from './slot-table';
import { poolReset, poolReserve, poolTake, POOL_DESCRIPTOR_BYTES } from './pool';
import { initSide, SIDE_BYTES, sideCode, sideLength } from './levels';
import { SIDE_BID, SIDE_ASK } from './codes';
import { spread } from './hashing';
import { bookPendingCount } from './pending';

const BID_SIDE: usize = 8;
const LAST_PRICE: usize = BID_SIDE + 2 * SIDE_BYTES;
const STOPS: usize = LAST_PRICE + 8;
const BOOK_BYTES: u32 = <u32>STOPS + 8;
const INITIAL_BITS: u32 = 4;
const bookPool: usize = memory.data(POOL_DESCRIPTOR_BYTES, 8);

let slots: usize = 0;
let slotBits: u32 = 0;
let bookCount: u32 = 0;
// Flows run in one asset for long stretches: remember the last book found.
let lastAsset: f64 = NaN;
let lastBook: usize = 0;

export function resetBooks(): void {
  poolReset(bookPool, BOOK_BYTES);
  slots = 0;
  slotBits = 0;
  bookCount = 0;
  lastAsset = NaN;
  lastBook = 0;
}

@inline export function bookAsset(book: usize): f64 { return load<f64>(book, 0); }
/** The side struct of a book: 0 bids, 1 asks. */
@inline export function bookSide(book: usize, side: u32): usize {
  return book + BID_SIDE + <usize>side * SIDE_BYTES;
}
/** The book a side struct belongs to. */
@inline export function sideBook(s: usize): usize {
  return s - BID_SIDE - <usize>sideCode(s) * SIDE_BYTES;
}
export function bookIsEmpty(book: usize): bool {
  return sideLength(bookSide(book, SIDE_BID)) == 0 && sideLength(bookSide(book, SIDE_ASK)) == 0;
}
/** The price of the book's most recent fill; 0 before its first. */
@inline export function bookLastPrice(book: usize): f64 { return load<f64>(book + LAST_PRICE); }
@inline export function setBookLastPrice(book: usize, price: f64): void { store<f64>(book + LAST_PRICE, price); }
/** The book's pending stop lists (pending.ts), 0 until its first stop. */
@inline export function bookStops(book: usize): usize { return <usize>load<u32>(book + STOPS); }
@inline export function setBookStops(book: usize, stops: usize): void { store<u32>(book + STOPS, <u32>stops); }
/** Whether a snapshot lists the book: orders rest or wait in it, or it has traded. */
export function bookHasState(book: usize): bool {
  return !bookIsEmpty(book) || bookLastPrice(book) != 0 || bookPendingCount(book) != 0;
}

/** The book of an asset, or 0. */
export function findBook(asset: f64): usize {
  if (asset == lastAsset) return lastBook;
  const book = probe(asset);
  if (book != 0) {
    lastAsset = asset;
    lastBook = book;
  }
  return book;
}

function probe(asset: f64): usize {
  if (slots == 0) return 0;
  const mask = (<u32>1 << slotBits) - 1;
  let i = spread(asset, slotBits);
  while (true) {
    const book = <usize>load<u32>(slots + (<usize>i << 2));
    if (book == 0 || bookAsset(book) == asset) return book;
    i = (i + 1) & mask;
  }
}

/** The book of an asset, created if new; 0 only when memory cannot grow (nothing changed then). */
export function findOrCreateBook(asset: f64): usize {
  const found = findBook(asset);
  if (found != 0) return found;
  if ((bookCount + 1) * 2 > (<u32>1 << slotBits) && !growSlots()) return 0;
  if (!poolReserve(bookPool)) return 0;
  const book = poolTake(bookPool);
  store<f64>(book, asset, 0);
  initSide(bookSide(book, SIDE_BID), SIDE_BID);
  initSide(bookSide(book, SIDE_ASK), SIDE_ASK);
  setBookLastPrice(book, 0);
  setBookStops(book, 0);
  place(book);
  bookCount++;
  return book;
}

function place(book: usize): void {
  const mask = (<u32>1 << slotBits) - 1;
  let i = spread(bookAsset(book), slotBits);
  while (load<u32>(slots + (<usize>i << 2)) != 0) i = (i + 1) & mask;
  store<u32>(slots + (<usize>i << 2), <u32>book);
}

function growSlots(): bool {
  const bits = slotBits == 0 ? INITIAL_BITS : slotBits + 1;
  const table = newSlotTable(bits);
  if (table == 0) return false;
  const old = slots;
  const oldCapacity: usize = old == 0 ? 0 : <usize>1 << slotBits;
  slots = table;
  slotBits = bits;
  moveEntries(old, oldCapacity, (book: u32): void => place(<usize>book));
  return true;
}

/** Every book, for a snapshot: the map's slots and how many there are. */
export function bookSlots(): usize { return slots; }
export function bookSlotCount(): u32 { return slots == 0 ? 0 : <u32>1 << slotBits; }

/** Books with state (bookHasState): orders resting or waiting, or a last trade price. */
export function statefulBookCount(): u32 {
  let count: u32 = 0;
  const n = bookSlotCount();
  for (let i: u32 = 0; i < n; i++) {
    const b = <usize>load<u32>(slots + (<usize>i << 2));
    if (b != 0 && bookHasState(b)) count++;
  }
  return count;
}

/**
 * The `count` (statefulBookCount()) books with state by ascending asset, as an array of book
 * pointers in a new block; 0 when memory cannot hold it. Free it with freeBookList.
 */
export function sortedBookList(count: u32): usize {
  const list = alloc(<usize>count << 2);
  if (list == 0) return 0;
  let k: u32 = 0;
  const n = bookSlotCount();
  for (let i: u32 = 0; i < n; i++) {
    const b = <usize>load<u32>(slots + (<usize>i << 2));
    if (b != 0 && bookHasState(b)) store<u32>(list + (<usize>(k++) << 2), <u32>b);
  }
  heapSortByAsset(list, count);
  return list;
}

export function freeBookList(list: usize, count: u32): void {
  free(list, <usize>count << 2);
}

@inline function assetAt(books: usize, i: u32): f64 {
  return bookAsset(<usize>load<u32>(books + (<usize>i << 2)));
}
@inline function swap(books: usize, i: u32, j: u32): void {
  const a = books + (<usize>i << 2);
  const b = books + (<usize>j << 2);
  const t = load<u32>(a);
  store<u32>(a, load<u32>(b));
  store<u32>(b, t);
}
function siftDown(books: usize, root: u32, end: u32): void {
  while (true) {
    let child = root * 2 + 1;
    if (child >= end) return;
    if (child + 1 < end && assetAt(books, child + 1) > assetAt(books, child)) child++;
    if (assetAt(books, root) >= assetAt(books, child)) return;
    swap(books, root, child);
    root = child;
  }
}
/** In place, O(n log n) worst case, no extra memory: books by ascending asset. */
function heapSortByAsset(books: usize, n: u32): void {
  if (n < 2) return;
  for (let i = <i32>(n / 2) - 1; i >= 0; i--) siftDown(books, <u32>i, n);
  for (let end = n - 1; end > 0; end--) {
    swap(books, 0, end);
    siftDown(books, 0, end);
  }
}
