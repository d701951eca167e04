// One book per asset, found through a hash map from asset id to book record.
//
// Book record (88 bytes, pooled): 0 asset f64 | 8 bid side | 48 ask side   (sides: levels.ts)
// Books are created on the first order that rests in an asset and are never freed: an empty
// book is 88 bytes and its ladders hold no node, so 10,000 assets cost next to nothing.
// The map is open addressing over 4-byte book pointers (key read from the book), linear
// probing, at most half full.
import { newSlotTable, moveEntries } from './slot-table';
import { poolReset, poolReserve, poolTake, POOL_DESCRIPTOR_BYTES } from './pool';
import { initSide, SIDE_BYTES, sideCode, sideLength } from './levels';
import { SIDE_BID, SIDE_ASK } from './codes';
import { spread } from './hashing';

const BOOK_BYTES: u32 = 8 + 2 * <u32>SIDE_BYTES;
const BID_SIDE: usize = 8;
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
