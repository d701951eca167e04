// A BASELINE, not part of lobcore: the limit order book a competent JavaScript developer
// writes in an afternoon. Plain objects, a Map of price levels per side kept beside a sorted
// array of prices, an array queue per level. It is correct price-time matching (same results
// as lobcore for GTC/IOC limits, market orders, cancel and reduce, without STP), so the
// benchmark compares like with like.
//
// It is deliberately idiomatic rather than tuned, but not careless: the best price sits at
// the end of the sorted array (a pop, not a shift, when a level empties), and cancels mark
// the order dead in O(1) instead of splicing it out of its queue.
import type { CancelResult, Fill, OrderResult, Side } from '../src/types.js';
import { smallInteger } from '../src/js-core/small-integer.js';
import type { ListedLevel } from './book-check.js';

interface NaiveOrder {
  id: number;
  trader: number;
  asset: number;
  side: Side;
  price: number;
  remaining: number;
  timestamp: number;
}

interface PriceLevel {
  price: number;
  /** Orders in time priority from `head`; entries with remaining 0 are dead (cancelled). */
  queue: NaiveOrder[];
  head: number;
  liveOrders: number;
}

class BookSide {
  /** Sorted so that the best price is last: ascending for bids, descending for asks. */
  readonly prices: number[] = [];
  readonly levels = new Map<number, PriceLevel>();

  constructor(readonly side: Side) {}

  best(): PriceLevel | undefined {
    const n = this.prices.length;
    return n === 0 ? undefined : this.levels.get(this.prices[n - 1]);
  }

  /** True when `a` is a better price than `b` on this side. */
  better(a: number, b: number): boolean {
    return this.side === 'bid' ? a > b : a < b;
  }

  add(order: NaiveOrder): void {
    let level = this.levels.get(order.price);
    if (level === undefined) {
      level = { price: order.price, queue: [], head: 0, liveOrders: 0 };
      this.levels.set(order.price, level);
      this.prices.splice(this.insertionIndex(order.price), 0, order.price);
    }
    level.queue.push(order);
    level.liveOrders++;
  }

  removeLevel(level: PriceLevel): void {
    this.levels.delete(level.price);
    const last = this.prices.length - 1;
    if (this.prices[last] === level.price) {
      this.prices.pop();
    } else {
      this.prices.splice(this.insertionIndex(level.price), 1);
    }
  }

  /** Binary search: the index where `price` is or would go, keeping the best price last. */
  private insertionIndex(price: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(price, this.prices[mid])) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

class AssetBook {
  readonly bids = new BookSide('bid');
  readonly asks = new BookSide('ask');
}

export interface NaiveLimit {
  /** An id taken earlier with reserveId() (a triggered stop keeps its own); by default the next. */
  id?: number;
  trader: number;
  asset: number;
  side: Side;
  price: number;
  size: number;
  timestamp: number;
  timeInForce?: 'GTC' | 'IOC';
}

export interface NaiveMarket {
  id?: number;
  trader: number;
  asset: number;
  side: Side;
  size: number;
  timestamp: number;
}

/**
 * The plain book's whole state in typed arrays (no stops): for the bench's rewind to a point far
 * into a stream (growing's last stretch), which a replay of the stream reaches only in seconds.
 * Every queue keeps its dead entries and its head, so the restored book compacts when the
 * original would have.
 */
export interface NaiveBookSnapshot {
  nextId: number;
  /** Every asset with a book, in the order its book was made. */
  assets: Float64Array;
  /** Per level, LEVEL_SLOTS each: asset, side (0 bid, 1 ask), price, head, live orders, queue length; each side's levels best last, as its prices are kept. */
  levels: Float64Array;
  /** Per queue entry, ENTRY_SLOTS each, level by level in queue order: id, trader, remaining (0: dead), timestamp. */
  entries: Float64Array;
}

const LEVEL_SLOTS = 6;
const ENTRY_SLOTS = 4;
const SIDE_CODES: readonly Side[] = ['bid', 'ask'];

export class NaiveOrderBook {
  private readonly books = new Map<number, AssetBook>();
  private readonly orders = new Map<number, NaiveOrder>();
  private nextId = 1;

  get restingOrders(): number {
    return this.orders.size;
  }

  /** Takes the next order id for an order that enters later (a stop waits with its id). */
  reserveId(): number {
    return this.nextId++;
  }

  placeLimit(req: NaiveLimit): OrderResult {
    const book = this.book(req.asset);
    const order: NaiveOrder = {
      id: req.id ?? this.nextId++, trader: req.trader, asset: req.asset, side: req.side,
      price: req.price, remaining: req.size, timestamp: req.timestamp,
    };
    const fills = this.match(book, order, req.price);
    const filled = req.size - order.remaining;
    if (order.remaining === 0) return { orderId: order.id, status: 'filled', filled, remaining: 0, fills };
    if (req.timeInForce === 'IOC') return { orderId: order.id, status: 'cancelled', filled, remaining: 0, fills };
    (order.side === 'bid' ? book.bids : book.asks).add(order);
    this.orders.set(order.id, order);
    return { orderId: order.id, status: 'resting', filled, remaining: order.remaining, fills };
  }

  placeMarket(req: NaiveMarket): OrderResult {
    const order: NaiveOrder = {
      id: req.id ?? this.nextId++, trader: req.trader, asset: req.asset, side: req.side,
      price: 0, remaining: req.size, timestamp: req.timestamp,
    };
    const fills = this.match(this.book(req.asset), order, undefined);
    const filled = req.size - order.remaining;
    return { orderId: order.id, status: order.remaining === 0 ? 'filled' : 'cancelled', filled, remaining: 0, fills };
  }

  cancel(trader: number, asset: number, orderId: number): CancelResult {
    const order = this.orders.get(orderId);
    if (order === undefined || order.asset !== asset) return { ok: false, reason: 'UNKNOWN_ORDER' };
    if (order.trader !== trader) return { ok: false, reason: 'NOT_OWNER' };
    this.remove(order);
    return { ok: true, remaining: 0 };
  }

  /** Lowers the order's size in place, keeping its queue position; reducing to zero cancels. */
  reduce(trader: number, asset: number, orderId: number, by: number): CancelResult {
    const order = this.orders.get(orderId);
    if (order === undefined || order.asset !== asset) return { ok: false, reason: 'UNKNOWN_ORDER' };
    if (order.trader !== trader) return { ok: false, reason: 'NOT_OWNER' };
    if (by >= order.remaining) {
      this.remove(order);
      return { ok: true, remaining: 0 };
    }
    order.remaining -= by;
    return { ok: true, remaining: order.remaining };
  }

  bestPrice(asset: number, side: Side): number | undefined {
    const book = this.books.get(asset);
    if (book === undefined) return undefined;
    return (side === 'bid' ? book.bids : book.asks).best()?.price;
  }

  /** The oldest live order at the best price of one side (for generators that aim at the touch). */
  bestOrder(asset: number, side: Side): { id: number; remaining: number } | undefined {
    const level = this.books.get(asset)?.[side === 'bid' ? 'bids' : 'asks'].best();
    if (level === undefined) return undefined;
    for (let i = level.head; i < level.queue.length; i++) {
      const order = level.queue[i];
      if (order.remaining > 0) return order;
    }
    return undefined;
  }

  /** Live orders at one price (for generators that refill levels). */
  ordersAt(asset: number, side: Side, price: number): number {
    const level = this.books.get(asset)?.[side === 'bid' ? 'bids' : 'asks'].levels.get(price);
    return level === undefined ? 0 : level.liveOrders;
  }

  order(orderId: number): { price: number; remaining: number; side: Side; trader: number; asset: number } | undefined {
    return this.orders.get(orderId);
  }

  /** The book's state (untimed): see NaiveBookSnapshot. The stop book's stops are not in it, so it refuses. */
  snapshot(): NaiveBookSnapshot {
    if (this.hasStops()) throw new Error('naive book: a snapshot holds no stops');
    let levelCount = 0;
    let entryCount = 0;
    for (const book of this.books.values()) {
      for (const side of [book.bids, book.asks]) {
        levelCount += side.prices.length;
        for (const level of side.levels.values()) entryCount += level.queue.length;
      }
    }
    const levels = new Float64Array(levelCount * LEVEL_SLOTS);
    const entries = new Float64Array(entryCount * ENTRY_SLOTS);
    let l = 0;
    let e = 0;
    for (const [asset, book] of this.books) {
      for (const side of [book.bids, book.asks]) {
        for (const price of side.prices) {
          const level = side.levels.get(price)!;
          levels.set([asset, side.side === 'bid' ? 0 : 1, price, level.head, level.liveOrders, level.queue.length], l);
          l += LEVEL_SLOTS;
          for (const order of level.queue) {
            entries[e] = order.id;
            entries[e + 1] = order.trader;
            entries[e + 2] = order.remaining;
            entries[e + 3] = order.timestamp;
            e += ENTRY_SLOTS;
          }
        }
      }
    }
    return { nextId: this.nextId, assets: Float64Array.from(this.books.keys()), levels, entries };
  }

  /**
   * A fresh book in the state `snapshot` holds: its orders new objects, so the snapshot can restore
   * it again. Every number it stores passes through smallInteger: read from a Float64Array it is a
   * heap number, and one stored in a field that has held only small integers moves that field, in
   * the hidden class every order, level and fill of the process shares, to a boxed double for good.
   * Growing's pairs restored this book and left every later naive book of the process allocating a
   * box per number field (its sweep passes 1.2-1.3x slower; bench/README.md, stop 56).
   */
  static fromSnapshot(snapshot: NaiveBookSnapshot): NaiveOrderBook {
    const book = new NaiveOrderBook();
    book.nextId = smallInteger(snapshot.nextId);
    for (const asset of snapshot.assets) book.book(smallInteger(asset));
    const { levels, entries } = snapshot;
    let e = 0;
    for (let l = 0; l < levels.length; l += LEVEL_SLOTS) {
      const asset = smallInteger(levels[l]);
      const side = SIDE_CODES[levels[l + 1]];
      const price = smallInteger(levels[l + 2]);
      const queue: NaiveOrder[] = [];
      for (let q = levels[l + 5]; q > 0; q--, e += ENTRY_SLOTS) {
        const order: NaiveOrder = {
          id: smallInteger(entries[e]), trader: smallInteger(entries[e + 1]), asset, side, price,
          remaining: smallInteger(entries[e + 2]), timestamp: smallInteger(entries[e + 3]),
        };
        queue.push(order);
        // Live exactly while something remains: a fill to 0 and a cancel both take it out of the orders.
        if (order.remaining > 0) book.orders.set(order.id, order);
      }
      const bookSide = side === 'bid' ? book.book(asset).bids : book.book(asset).asks;
      bookSide.levels.set(price, { price, queue, head: smallInteger(levels[l + 3]), liveOrders: smallInteger(levels[l + 4]) });
      bookSide.prices.push(price);
    }
    return book;
  }

  /** True where a subclass keeps stops (NaiveStopBook), which a snapshot does not hold. */
  protected hasStops(): boolean {
    return false;
  }

  /** One asset's book (untimed: verification): each side best first, each level's live orders in queue order, with the level's own count. */
  listBook(asset: number): { bids: ListedLevel[]; asks: ListedLevel[] } {
    const book = this.books.get(asset);
    const list = (side: BookSide): ListedLevel[] => {
      const levels: ListedLevel[] = [];
      for (let p = side.prices.length - 1; p >= 0; p--) {
        const level = side.levels.get(side.prices[p])!;
        const orders: { id: number; remaining: number }[] = [];
        for (let i = level.head; i < level.queue.length; i++) {
          const o = level.queue[i];
          if (o.remaining > 0) orders.push({ id: o.id, remaining: o.remaining });
        }
        levels.push({ price: level.price, orders, count: level.liveOrders });
      }
      return levels;
    };
    return book === undefined ? { bids: [], asks: [] } : { bids: list(book.bids), asks: list(book.asks) };
  }

  private book(asset: number): AssetBook {
    let book = this.books.get(asset);
    if (book === undefined) {
      book = new AssetBook();
      this.books.set(asset, book);
    }
    return book;
  }

  /** Trades `taker` against the opposite side while `limit` allows (none for a market order). */
  private match(book: AssetBook, taker: NaiveOrder, limit: number | undefined): Fill[] {
    const fills: Fill[] = [];
    const opposite = taker.side === 'bid' ? book.asks : book.bids;
    while (taker.remaining > 0) {
      const level = opposite.best();
      if (level === undefined) break;
      if (limit !== undefined && opposite.better(limit, level.price)) break;
      const queue = level.queue;
      while (taker.remaining > 0 && level.head < queue.length) {
        const maker = queue[level.head];
        if (maker.remaining === 0) {
          level.head++;
          continue;
        }
        const size = Math.min(taker.remaining, maker.remaining);
        taker.remaining -= size;
        maker.remaining -= size;
        fills.push({
          asset: taker.asset, makerOrderId: maker.id, takerOrderId: taker.id, makerTrader: maker.trader,
          takerTrader: taker.trader, takerSide: taker.side, price: level.price, size, timestamp: taker.timestamp,
        });
        if (maker.remaining === 0) {
          level.head++;
          level.liveOrders--;
          this.orders.delete(maker.id);
        }
      }
      if (level.liveOrders === 0) opposite.removeLevel(level);
      else compact(level);
    }
    return fills;
  }

  private remove(order: NaiveOrder): void {
    this.orders.delete(order.id);
    order.remaining = 0;
    const book = this.book(order.asset);
    const side = order.side === 'bid' ? book.bids : book.asks;
    const level = side.levels.get(order.price)!;
    if (--level.liveOrders === 0) side.removeLevel(level);
    else compact(level);
  }
}

/** Rebuilds a queue once dead entries (consumed or cancelled) outnumber the live ones, so they do not pile up. */
function compact(level: PriceLevel): void {
  const dead = level.queue.length - level.liveOrders;
  if (dead > 32 && dead > level.liveOrders) {
    level.queue = level.queue.filter((order, i) => i >= level.head && order.remaining > 0);
    level.head = 0;
  }
}
