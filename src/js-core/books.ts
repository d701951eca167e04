// One book per asset, found through a map from asset id to book number (mirrors
// assembly/books.ts). A book is two sides of levels.ts (side index book * 2 + side code), its
// last trade price, and its pending stop lists (pending.ts). Books are created on the first
// order that rests or waits in an asset and are never freed; an empty side holds no ladder
// node, so ten thousand thin books cost little.
import { No } from './codes.js';
import { growFloat64 } from './typed-arrays.js';
import type { Levels } from './levels.js';
import { smallInteger } from './small-integer.js';
import type { CoreState } from './core-state.js';
import { bookPendingCount } from './pending.js';

export class Books {
  /** Asset of each book, in creation order. */
  asset: Float64Array = new Float64Array(16);
  /** The price of each book's most recent fill; 0 before its first. */
  lastPrice: Float64Array = new Float64Array(16);
  count = 0;
  private readonly byAsset = new Map<number, number>();
  // Flows run in one asset for long stretches: remember the last book found.
  private lastAsset = -1;
  private lastBook = No.SLOT;

  /** The book of an asset, or No.SLOT when it never had an order. */
  findBook(asset: number): number {
    if (asset === this.lastAsset) return this.lastBook;
    // The map is a call of its own, as the WASM core's probe: inlined into the resting path, only
    // the test above is charged against V8's inlining budget (bench/README.md, stop 49).
    return this.probe(asset);
  }

  private probe(asset: number): number {
    const book = this.byAsset.get(asset);
    if (book === undefined) return No.SLOT;
    this.lastAsset = smallInteger(asset);
    this.lastBook = book;
    return book;
  }

  /** The book of an asset, created (with its two sides in `levels`) if new. */
  findOrCreateBook(asset: number, levels: Levels): number {
    const found = this.findBook(asset);
    if (found !== No.SLOT) return found;
    const book = this.count++;
    if (book === this.asset.length) {
      this.asset = growFloat64(this.asset, book * 2);
      this.lastPrice = growFloat64(this.lastPrice, book * 2);
    }
    this.asset[book] = asset;
    this.lastPrice[book] = 0;
    levels.addSide();
    levels.addSide();
    this.byAsset.set(asset, book);
    this.lastAsset = smallInteger(asset);
    this.lastBook = book;
    return book;
  }

  bytes(): number {
    return this.asset.byteLength + this.lastPrice.byteLength;
  }
}

/** The side index of a book's bids (0) or asks (1). */
export function bookSide(book: number, side: number): number {
  return book * 2 + side;
}

/** The book a side belongs to. */
export function sideBook(s: number): number {
  return s >> 1;
}

/** The side code (0 bid, 1 ask) of a side index. */
export function sideCode(s: number): number {
  return s & 1;
}

/** Whether a snapshot lists the book: orders rest or wait in it, or it has traded. */
export function bookHasState(state: CoreState, book: number): boolean {
  const levels = state.levels;
  return levels.sideLength(bookSide(book, 0)) + levels.sideLength(bookSide(book, 1)) > 0 ||
    state.books.lastPrice[book] !== 0 || bookPendingCount(state, book) !== 0;
}

/** Books with state (bookHasState) by ascending asset. */
export function sortedBookList(state: CoreState): number[] {
  const books = state.books;
  const list: number[] = [];
  for (let book = 0; book < books.count; book++) if (bookHasState(state, book)) list.push(book);
  return list.sort((a, b) => books.asset[a] - books.asset[b]);
}
