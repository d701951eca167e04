// The TypeScript matching core: the reference the WebAssembly core is tested against and the
// baseline it is benchmarked against, so it is both exact (docs/semantics.md) and a real engine
// (typed-array pools, intrusive queues, no allocation per order; see src/js-core/).
import { COMMAND_SLOTS, RESULT_SLOTS } from './batch.js';
import { Op, ReasonCode, SideCode, StatusCode, TifCode } from './codes.js';
import {
  LEVEL_SLOTS, ORDER_SLOTS, ORD_ASSET, ORD_ID, ORD_PRICE, ORD_REMAINING, ORD_SIDE, ORD_STP,
  ORD_TIMESTAMP, ORD_TRADER, OUT_FILLED, OUT_FILL_COUNT, OUT_HEAD, OUT_ORDER_ID, OUT_REMAINING,
  OUT_SLOTS,
} from './core.js';
import type { CoreLimits, MatchingCore } from './core.js';
import { BookState } from './js-core/book-state.js';
import { Matcher, NO_BOUND, takerBound } from './js-core/matching.js';
import { NIL } from './js-core/order-pool.js';
import { readSnapshot } from './js-core/snapshot-reader.js';
import { writeSnapshot } from './js-core/snapshot-writer.js';

export class JsCore implements MatchingCore {
  readonly backend = 'js' as const;
  readonly out = new Float64Array(OUT_SLOTS);
  batchResults: Float64Array = new Float64Array(RESULT_SLOTS * 256);

  private state = new BookState();
  private readonly matcher = new Matcher();
  private readonly maxOrders: number;
  private readonly maxLevels: number;

  // The outcome of the last command, copied into `out` or `batchResults` by the caller.
  private status = 0;
  private reason = 0;
  private orderId = 0;
  private filled = 0;
  private remaining = 0;

  constructor(limits: CoreLimits = {}) {
    this.maxOrders = limits.maxOrders ?? Infinity;
    this.maxLevels = limits.maxLevels ?? Infinity;
  }

  get fills(): Float64Array {
    return this.matcher.fills;
  }
  get nextOrderId(): number {
    return this.state.nextOrderId;
  }
  get restingOrders(): number {
    return this.state.orders.live;
  }

  // ---- per-call commands ----

  placeLimit(trader: number, asset: number, side: number, price: number, size: number,
             timestamp: number, tif: number, stp: number): void {
    this.matcher.fillCount = 0;
    this.limit(0, trader, asset, side, price, size, timestamp, tif, stp);
    this.writeOut();
  }

  placeMarket(trader: number, asset: number, side: number, size: number, timestamp: number,
              protectionPrice: number, stp: number): void {
    this.matcher.fillCount = 0;
    this.market(0, trader, asset, side, size, protectionPrice, stp);
    this.writeOut();
  }

  cancel(trader: number, asset: number, orderId: number): void {
    this.matcher.fillCount = 0;
    this.cancelOrder(trader, asset, orderId);
    this.writeOut();
  }

  reduce(trader: number, asset: number, orderId: number, by: number): void {
    this.matcher.fillCount = 0;
    this.reduceOrder(trader, asset, orderId, by);
    this.writeOut();
  }

  modify(trader: number, asset: number, orderId: number, price: number, size: number, timestamp: number): void {
    this.matcher.fillCount = 0;
    this.modifyOrder(0, trader, asset, orderId, price, size, timestamp);
    this.writeOut();
  }

  // ---- batches ----

  runBatch(commands: Float64Array, count: number): number {
    if (count * RESULT_SLOTS > this.batchResults.length) {
      let length = this.batchResults.length;
      while (length < count * RESULT_SLOTS) length *= 2;
      this.batchResults = new Float64Array(length);
    }
    const results = this.batchResults;
    this.matcher.fillCount = 0;
    for (let i = 0; i < count; i++) {
      const c = i * COMMAND_SLOTS;
      const head = commands[c];
      const op = head & 15;
      const trader = commands[c + 1];
      const asset = commands[c + 2];
      switch (op) {
        case Op.LIMIT:
          this.limit(i, trader, asset, (head >> 4) & 15, commands[c + 4], commands[c + 5],
            commands[c + 6], (head >> 8) & 15, (head >> 12) & 15);
          break;
        case Op.MARKET:
          this.market(i, trader, asset, (head >> 4) & 15, commands[c + 5], commands[c + 4], (head >> 12) & 15);
          break;
        case Op.CANCEL:
          this.cancelOrder(trader, asset, commands[c + 3]);
          break;
        case Op.REDUCE:
          this.reduceOrder(trader, asset, commands[c + 3], commands[c + 5]);
          break;
        default:
          this.modifyOrder(i, trader, asset, commands[c + 3], commands[c + 4], commands[c + 5], commands[c + 6]);
          break;
      }
      const r = i * RESULT_SLOTS;
      results[r] = this.status | (this.reason << 4);
      results[r + 1] = this.orderId;
      results[r + 2] = this.filled;
      results[r + 3] = this.remaining;
    }
    return this.matcher.fillCount;
  }

  // ---- the commands ----

  private limit(command: number, trader: number, asset: number, side: number, price: number,
                size: number, timestamp: number, tif: number, stp: number): void {
    const state = this.state;
    const book = state.books.find(asset);
    const crosses = book !== NIL && this.crosses(book, side, price);
    if (tif === TifCode.POST_ONLY && crosses) return this.reject(ReasonCode.WOULD_CROSS, 0);
    if (tif === TifCode.FOK &&
        (!crosses || this.matcher.fillable(state, book, side, takerBound(side, price), size, trader, stp) < size)) {
      return this.reject(ReasonCode.CANNOT_FILL, 0);
    }
    // An order that crosses never rests beyond a limit: if anything of it rests, it first took
    // every maker (and so every level) within its price, freeing at least what it needs.
    if (!crosses && (tif === TifCode.GTC || tif === TifCode.POST_ONLY) && !this.hasRoom(book, side, price, 0, 0)) {
      return this.reject(ReasonCode.CAPACITY, 0);
    }
    const id = state.nextOrderId++;
    this.enter(command, id, trader, asset, book, side, price, size, timestamp, tif, stp, crosses);
  }

  private market(command: number, trader: number, asset: number, side: number, size: number,
                 protectionPrice: number, stp: number): void {
    const state = this.state;
    const id = state.nextOrderId++;
    const book = state.books.find(asset);
    let left = size;
    this.matcher.selfTradeStop = false;
    if (book !== NIL) {
      const bound = protectionPrice > 0 ? takerBound(side, protectionPrice) : NO_BOUND;
      left = this.matcher.take(state, command, id, trader, asset, book, side, bound, size, stp);
    }
    this.orderId = id;
    this.filled = size - left;
    this.remaining = 0;
    if (left === 0) {
      this.status = StatusCode.FILLED;
      this.reason = ReasonCode.NONE;
    } else {
      this.status = StatusCode.CANCELLED;
      this.reason = this.matcher.selfTradeStop ? ReasonCode.SELF_TRADE : ReasonCode.NONE;
    }
  }

  private cancelOrder(trader: number, asset: number, orderId: number): void {
    const slot = this.ownedOrder(trader, asset, orderId);
    if (slot === NIL) return;
    this.state.remove(slot);
    this.succeed(orderId, 0);
  }

  private reduceOrder(trader: number, asset: number, orderId: number, by: number): void {
    const slot = this.ownedOrder(trader, asset, orderId);
    if (slot === NIL) return;
    const left = this.state.orders.remaining[slot];
    if (by < left) {
      this.state.shrink(slot, by);
      this.succeed(orderId, left - by);
    } else {
      this.state.remove(slot);
      this.succeed(orderId, 0);
    }
  }

  /** price or size 0: unchanged. */
  private modifyOrder(command: number, trader: number, asset: number, orderId: number,
                      price: number, size: number, timestamp: number): void {
    const slot = this.ownedOrder(trader, asset, orderId);
    if (slot === NIL) return;
    const state = this.state;
    const orders = state.orders;
    const levels = state.levels;
    const level = orders.level[slot];
    const currentPrice = levels.price[level];
    const currentSize = orders.remaining[slot];
    const newPrice = price === 0 ? currentPrice : price;
    const newSize = size === 0 ? currentSize : size;
    if (newPrice === currentPrice && newSize <= currentSize) {
      // A reduce in place (or no change): the order keeps its priority and timestamp.
      if (newSize < currentSize) state.shrink(slot, currentSize - newSize);
      this.status = StatusCode.RESTING;
      this.reason = ReasonCode.NONE;
      this.orderId = orderId;
      this.filled = 0;
      this.remaining = newSize;
      return;
    }
    const queue = levels.bookSide[level];
    const book = queue >> 1;
    const side = queue & 1;
    const crosses = this.crosses(book, side, newPrice);
    if (!crosses) {
      // Leaving frees the order's own slot, and its level when it is alone there and moves.
      const freedLevels = newPrice !== currentPrice && levels.orderCount[level] === 1 ? 1 : 0;
      if (!this.hasRoom(book, side, newPrice, 1, freedLevels)) return this.reject(ReasonCode.CAPACITY, orderId);
    }
    const stp = orders.stp[slot];
    state.remove(slot);
    this.enter(command, orderId, trader, asset, book, side, newPrice, newSize, timestamp, TifCode.GTC, stp, crosses);
  }

  // ---- shared steps ----

  /** Matches an accepted limit taker, then rests or cancels the rest as its time in force says. */
  private enter(command: number, id: number, trader: number, asset: number, book: number, side: number,
                price: number, size: number, timestamp: number, tif: number, stp: number, crosses: boolean): void {
    const state = this.state;
    let left = size;
    this.matcher.selfTradeStop = false;
    if (crosses) {
      left = this.matcher.take(state, command, id, trader, asset, book, side, takerBound(side, price), size, stp);
    }
    this.orderId = id;
    this.filled = size - left;
    this.reason = ReasonCode.NONE;
    if (left === 0) {
      this.status = StatusCode.FILLED;
      this.remaining = 0;
    } else if (this.matcher.selfTradeStop) {
      this.status = StatusCode.CANCELLED;
      this.reason = ReasonCode.SELF_TRADE;
      this.remaining = 0;
    } else if (tif === TifCode.IOC || tif === TifCode.FOK) {
      this.status = StatusCode.CANCELLED;
      this.remaining = 0;
    } else {
      state.rest(id, trader, book === NIL ? state.books.findOrCreate(asset) : book, side, price, left, timestamp, stp);
      this.status = StatusCode.RESTING;
      this.remaining = left;
    }
  }

  /** Whether a limit at `price` on `side` would trade against the best opposite level. */
  private crosses(book: number, side: number, price: number): boolean {
    const state = this.state;
    const best = state.books.best(book * 2 + (side ^ 1));
    if (best === NIL) return false;
    const bestPrice = state.levels.price[best];
    return side === SideCode.BID ? bestPrice <= price : bestPrice >= price;
  }

  /** Whether one more resting order at this price stays within the limits, after freeing what is given. */
  private hasRoom(book: number, side: number, price: number, freedOrders: number, freedLevels: number): boolean {
    const state = this.state;
    if (state.orders.live - freedOrders + 1 > this.maxOrders) return false;
    if (this.maxLevels === Infinity) return true;
    return !state.needsLevel(book, side, price) || state.levels.live - freedLevels + 1 <= this.maxLevels;
  }

  /** The slot of a resting order the trader may change, or NIL after recording the rejection. */
  private ownedOrder(trader: number, asset: number, orderId: number): number {
    const slot = this.state.findInAsset(orderId, asset);
    if (slot === NIL) {
      this.reject(ReasonCode.UNKNOWN_ORDER, orderId);
    } else if (this.state.orders.trader[slot] !== trader) {
      this.reject(ReasonCode.NOT_OWNER, orderId);
      return NIL;
    }
    return slot;
  }

  private reject(reason: number, orderId: number): void {
    this.status = StatusCode.REJECTED;
    this.reason = reason;
    this.orderId = orderId;
    this.filled = 0;
    this.remaining = 0;
  }

  private succeed(orderId: number, remaining: number): void {
    this.status = StatusCode.OK;
    this.reason = ReasonCode.NONE;
    this.orderId = orderId;
    this.filled = 0;
    this.remaining = remaining;
  }

  private writeOut(): void {
    const out = this.out;
    out[OUT_HEAD] = this.status | (this.reason << 4);
    out[OUT_ORDER_ID] = this.orderId;
    out[OUT_FILLED] = this.filled;
    out[OUT_REMAINING] = this.remaining;
    out[OUT_FILL_COUNT] = this.matcher.fillCount;
  }

  // ---- queries (allocate: they are not the hot path, and copies outlive the next call) ----

  levels(asset: number, side: number, maxLevels: number): Float64Array {
    const state = this.state;
    const book = state.books.find(asset);
    if (book === NIL) return new Float64Array(0);
    const queue = book * 2 + side;
    const depth = state.books.depth[queue];
    const count = Math.min(depth, maxLevels);
    const queueLevels = state.books.levels[queue];
    const levels = state.levels;
    const result = new Float64Array(count * LEVEL_SLOTS);
    for (let i = 0; i < count; i++) {
      const level = queueLevels[depth - 1 - i];
      result[i * LEVEL_SLOTS] = levels.price[level];
      result[i * LEVEL_SLOTS + 1] = levels.size[level];
      result[i * LEVEL_SLOTS + 2] = levels.orderCount[level];
    }
    return result;
  }

  findOrder(orderId: number): Float64Array | null {
    const slot = this.state.index.get(orderId);
    if (slot === NIL) return null;
    const result = new Float64Array(ORDER_SLOTS);
    this.describeOrder(slot, result, 0);
    return result;
  }

  listOrders(asset: number): Float64Array {
    const state = this.state;
    const book = state.books.find(asset);
    if (book === NIL) return new Float64Array(0);
    const { books, levels, orders } = state;
    let count = 0;
    for (let queue = book * 2; queue < book * 2 + 2; queue++) {
      const queueLevels = books.levels[queue];
      for (let d = books.depth[queue] - 1; d >= 0; d--) count += levels.orderCount[queueLevels[d]];
    }
    const result = new Float64Array(count * ORDER_SLOTS);
    let at = 0;
    for (let queue = book * 2; queue < book * 2 + 2; queue++) {
      const queueLevels = books.levels[queue];
      for (let d = books.depth[queue] - 1; d >= 0; d--) {
        for (let o = levels.head[queueLevels[d]]; o !== NIL; o = orders.next[o]) {
          this.describeOrder(o, result, at);
          at += ORDER_SLOTS;
        }
      }
    }
    return result;
  }

  private describeOrder(slot: number, into: Float64Array, at: number): void {
    const { orders, levels, books } = this.state;
    const level = orders.level[slot];
    const queue = levels.bookSide[level];
    into[at + ORD_ID] = orders.id[slot];
    into[at + ORD_ASSET] = books.asset[queue >> 1];
    into[at + ORD_SIDE] = queue & 1;
    into[at + ORD_PRICE] = levels.price[level];
    into[at + ORD_TRADER] = orders.trader[slot];
    into[at + ORD_REMAINING] = orders.remaining[slot];
    into[at + ORD_TIMESTAMP] = orders.timestamp[slot];
    into[at + ORD_STP] = orders.stp[slot];
  }

  // ---- snapshots ----

  snapshot(): Uint8Array {
    return writeSnapshot(this.state);
  }

  restore(snapshot: Uint8Array): void {
    // Built aside and swapped in whole: a corrupt snapshot throws before anything changes.
    this.state = readSnapshot(snapshot, this.maxOrders, this.maxLevels);
  }

  memoryBytes(): number {
    return this.state.bytes() + this.out.byteLength + this.matcher.fills.byteLength + this.batchResults.byteLength;
  }
}
