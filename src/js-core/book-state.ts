// The whole state of a JS core: the pools, the id index, the books and the next order id, with
// the mutations that keep them consistent. Matching (js-core.ts) reads the arrays directly for
// speed but changes the book only through these methods or the same steps inlined.
// A restore builds a fresh BookState and swaps it in only once every check has passed.
import { Books, levelKey } from './books.js';
import { LevelPool } from './level-pool.js';
import { OrderIndex } from './order-index.js';
import { NIL, OrderPool } from './order-pool.js';

export class BookState {
  readonly orders: OrderPool;
  readonly levels: LevelPool;
  readonly index: OrderIndex;
  readonly books: Books;
  nextOrderId = 1;

  constructor(orderCapacity = 1024, levelCapacity = 256) {
    this.orders = new OrderPool(orderCapacity);
    this.levels = new LevelPool(levelCapacity);
    this.index = new OrderIndex(orderCapacity);
    this.books = new Books();
  }

  /** The slot of a resting order of this asset's book, or NIL. */
  findInAsset(orderId: number, asset: number): number {
    const slot = this.index.get(orderId);
    if (slot === NIL) return NIL;
    const book = this.levels.bookSide[this.orders.level[slot]] >> 1;
    return this.books.asset[book] === asset ? slot : NIL;
  }

  /** Puts an order at the back of its price level, creating the level (and book) if needed. */
  rest(id: number, trader: number, book: number, side: number, price: number,
       size: number, timestamp: number, stp: number): number {
    const queue = book * 2 + side;
    const key = levelKey(side, price);
    let level = this.books.findLevel(queue, key);
    if (level === NIL) {
      level = this.levels.alloc(queue, price);
      this.books.insertLevel(queue, key, level);
    }
    const orders = this.orders;
    const slot = orders.alloc();
    orders.id[slot] = id;
    orders.trader[slot] = trader;
    orders.remaining[slot] = size;
    orders.timestamp[slot] = timestamp;
    orders.stp[slot] = stp;
    orders.level[slot] = level;
    this.append(level, slot, size);
    this.index.add(id, slot);
    return slot;
  }

  /** Takes a resting order off the book wherever it sits in its queue. */
  remove(slot: number): void {
    this.unlink(slot);
    this.index.delete(this.orders.id[slot]);
    this.orders.free(slot);
  }

  /** Lowers a resting order's size in place (by < remaining): it keeps its priority. */
  shrink(slot: number, by: number): void {
    this.orders.remaining[slot] -= by;
    this.levels.size[this.orders.level[slot]] -= by;
  }

  /** Whether a new order at this price would need a level that does not exist yet. */
  needsLevel(book: number, side: number, price: number): boolean {
    return book === NIL || this.books.findLevel(book * 2 + side, levelKey(side, price)) === NIL;
  }

  /** Appends an order slot to the tail of a level's queue. */
  append(level: number, slot: number, size: number): void {
    const orders = this.orders;
    const levels = this.levels;
    const tail = levels.tail[level];
    orders.prev[slot] = tail;
    orders.next[slot] = NIL;
    if (tail === NIL) levels.head[level] = slot;
    else orders.next[tail] = slot;
    levels.tail[level] = slot;
    levels.orderCount[level]++;
    levels.size[level] += size;
  }

  /** Detaches an order from its level's queue; drops the level when it empties. */
  unlink(slot: number): void {
    const orders = this.orders;
    const levels = this.levels;
    const level = orders.level[slot];
    const prev = orders.prev[slot];
    const next = orders.next[slot];
    if (prev === NIL) levels.head[level] = next;
    else orders.next[prev] = next;
    if (next === NIL) levels.tail[level] = prev;
    else orders.prev[next] = prev;
    levels.size[level] -= orders.remaining[slot];
    if (--levels.orderCount[level] === 0) this.dropLevel(level);
  }

  /** Removes an empty level from its queue and frees it. */
  dropLevel(level: number): void {
    const queue = this.levels.bookSide[level];
    this.books.removeLevel(queue, levelKey(queue & 1, this.levels.price[level]));
    this.levels.free(level);
  }

  bytes(): number {
    return this.orders.bytes() + this.levels.bytes() + this.index.bytes() + this.books.bytes();
  }
}
