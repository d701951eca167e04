// The commands: place (limit, market), cancel, reduce, modify (mirrors assembly/matching.ts).
// Each writes its outcome (status | reason << 4, orderId, filled, remaining) at out[at..] and
// its fills to the fill buffer. The book changes only through resting.ts.
//
// Unlike the WASM core there is nothing to reserve: arrays grow on demand and never fail, so a
// command checks the configured limits and then runs straight through.
import { FILL_SLOTS } from '../batch.js';
import { ReasonCode, StatusCode, StpCode, TifCode } from '../codes.js';
import { bookSide, sideBook, sideCode } from './books.js';
import type { Buffers } from './buffers.js';
import type { CoreState } from './core-state.js';
import { keyOf, NO_POSITION } from './levels.js';
import { createIndexedOrder } from './order-index.js';
import { NIL } from './orders.js';
import { linkOrder, removeOrder, retireOrder, shrinkOrder, unlinkOrder } from './resting.js';

export interface Limits {
  readonly maxOrders: number;
  readonly maxLevels: number;
}

function writeResult(out: Float64Array, at: number, status: number, reason: number, id: number, filled: number, remaining: number): void {
  out[at] = status | (reason << 4);
  out[at + 1] = id;
  out[at + 2] = filled;
  out[at + 3] = remaining;
}

function reject(out: Float64Array, at: number, reason: number, id: number): void {
  writeResult(out, at, StatusCode.REJECTED, reason, id, 0, 0);
}

/**
 * A taker on `takerSide` crosses an opposite level when the level's key (larger is better for
 * that side) is at least this. No limit (0): -Infinity, everything crosses.
 */
function crossingThreshold(takerSide: number, limit: number): number {
  return limit === 0 ? -Infinity : keyOf(takerSide ^ 1, limit);
}

export class Matching {
  /** Set by matchTaker: STP stopped the taker. */
  private stoppedBySelfTrade = false;

  constructor(public state: CoreState, private readonly buffers: Buffers, private readonly limits: Limits) {}

  placeLimit(out: Float64Array, at: number, command: number, trader: number, asset: number, side: number,
             price: number, size: number, timestamp: number, tif: number, stp: number): void {
    const state = this.state;
    const book = state.books.findBook(asset);
    const opp = book === NIL ? NIL : bookSide(book, side ^ 1);
    const threshold = crossingThreshold(side, price);
    const crosses = opp !== NIL && state.levels.bestKey(opp) >= threshold;
    if (tif === TifCode.POST_ONLY && crosses) return reject(out, at, ReasonCode.WOULD_CROSS, 0);
    if (tif === TifCode.FOK && (!crosses || this.dryRun(opp, threshold, size, trader, stp) < size)) {
      return reject(out, at, ReasonCode.CANNOT_FILL, 0);
    }
    // An order that crosses never rests beyond a limit: if anything of it rests, it first took
    // every maker (and so every level) within its price, freeing at least what it needs.
    if (!crosses && (tif === TifCode.GTC || tif === TifCode.POST_ONLY) && !this.hasRoom(book, side, price, 0, 0)) {
      return reject(out, at, ReasonCode.CAPACITY, 0);
    }
    const id = state.nextOrderId++;
    const left = crosses ? this.matchTaker(opp, side, threshold, size, trader, stp, id, command, asset) : size;
    const filled = size - left;
    if (left === 0) return writeResult(out, at, StatusCode.FILLED, ReasonCode.NONE, id, filled, 0);
    if (crosses && this.stoppedBySelfTrade) return writeResult(out, at, StatusCode.CANCELLED, ReasonCode.SELF_TRADE, id, filled, 0);
    if (tif === TifCode.IOC || tif === TifCode.FOK) return writeResult(out, at, StatusCode.CANCELLED, ReasonCode.NONE, id, filled, 0);
    const own = bookSide(book === NIL ? state.books.findOrCreateBook(asset, state.levels) : book, side);
    const order = createIndexedOrder(state.orders, state.index, id, left, timestamp, trader, stp);
    linkOrder(state, own, state.levels.findLevel(own, price), price, order);
    writeResult(out, at, StatusCode.RESTING, ReasonCode.NONE, id, filled, left);
  }

  placeMarket(out: Float64Array, at: number, command: number, trader: number, asset: number, side: number,
              size: number, protectionPrice: number, stp: number): void {
    const state = this.state;
    const id = state.nextOrderId++;
    const book = state.books.findBook(asset);
    const left = book === NIL ? size
      : this.matchTaker(bookSide(book, side ^ 1), side, crossingThreshold(side, protectionPrice), size, trader, stp, id, command, asset);
    const filled = size - left;
    if (left === 0) return writeResult(out, at, StatusCode.FILLED, ReasonCode.NONE, id, filled, 0);
    const reason = book !== NIL && this.stoppedBySelfTrade ? ReasonCode.SELF_TRADE : ReasonCode.NONE;
    writeResult(out, at, StatusCode.CANCELLED, reason, id, filled, 0);
  }

  cancel(out: Float64Array, at: number, trader: number, asset: number, id: number): void {
    const order = this.ownedOrder(out, at, trader, asset, id);
    if (order === NIL) return;
    removeOrder(this.state, order);
    writeResult(out, at, StatusCode.OK, ReasonCode.NONE, id, 0, 0);
  }

  reduce(out: Float64Array, at: number, trader: number, asset: number, id: number, by: number): void {
    const order = this.ownedOrder(out, at, trader, asset, id);
    if (order === NIL) return;
    const remaining = this.state.orders.remaining[order];
    if (by >= remaining) {
      removeOrder(this.state, order);
      return writeResult(out, at, StatusCode.OK, ReasonCode.NONE, id, 0, 0);
    }
    shrinkOrder(this.state, order, by);
    writeResult(out, at, StatusCode.OK, ReasonCode.NONE, id, 0, remaining - by);
  }

  /** price or size 0: unchanged. */
  modify(out: Float64Array, at: number, command: number, trader: number, asset: number, id: number,
         price: number, size: number, timestamp: number): void {
    const order = this.ownedOrder(out, at, trader, asset, id);
    if (order === NIL) return;
    const state = this.state;
    const { orders, levels } = state;
    const level = orders.level[order];
    const own = levels.side[level];
    const side = sideCode(own);
    const oldPrice = levels.price[level];
    const remaining = orders.remaining[order];
    const newPrice = price > 0 ? price : oldPrice;
    const newSize = size > 0 ? size : remaining;
    if (newPrice === oldPrice && newSize <= remaining) {
      // A reduce in place (or no change): keeps its place and its timestamp.
      if (newSize < remaining) shrinkOrder(state, order, remaining - newSize);
      return writeResult(out, at, StatusCode.RESTING, ReasonCode.NONE, id, 0, newSize);
    }

    // Re-entry as a GTC taker with the same id, trader and stp. It already counts as a resting
    // order; it needs a level only if none is left at its new price once it has left its own.
    const book = sideBook(own);
    const opp = bookSide(book, side ^ 1);
    const threshold = crossingThreshold(side, newPrice);
    const crosses = levels.bestKey(opp) >= threshold;
    if (!crosses) {
      const freedLevels = newPrice !== oldPrice && levels.count[level] === 1 ? 1 : 0;
      if (!this.hasRoom(book, side, newPrice, 1, freedLevels)) return reject(out, at, ReasonCode.CAPACITY, id);
    }
    const stp = orders.stp[order];
    unlinkOrder(state, order);
    const left = crosses ? this.matchTaker(opp, side, threshold, newSize, trader, stp, id, command, asset) : newSize;
    const filled = newSize - left;
    if (crosses && this.stoppedBySelfTrade) {
      retireOrder(state, order);
      return writeResult(out, at, StatusCode.CANCELLED, ReasonCode.SELF_TRADE, id, filled, 0);
    }
    if (left === 0) {
      retireOrder(state, order);
      return writeResult(out, at, StatusCode.FILLED, ReasonCode.NONE, id, filled, 0);
    }
    orders.remaining[order] = left;
    orders.timestamp[order] = timestamp;
    linkOrder(state, own, levels.findLevel(own, newPrice), newPrice, order);
    writeResult(out, at, StatusCode.RESTING, ReasonCode.NONE, id, filled, left);
  }

  /**
   * Matches a taker against side `opp` while its best level's key is at least `threshold`;
   * returns what is left of `size`. Fills are tagged with the command index.
   */
  matchTaker(opp: number, takerSide: number, threshold: number, size: number, trader: number, stp: number,
             takerId: number, command: number, asset: number): number {
    const state = this.state;
    const { orders, levels } = state;
    const remaining = orders.remaining;
    const makerTrader = orders.trader;
    const head = levels.head;
    const tag = command * 2 + takerSide;
    const buffers = this.buffers;
    let fills = buffers.fills;
    let f = buffers.fillCount * FILL_SLOTS;
    let left = size;
    let stopped = false;
    while (left > 0) {
      const level = levels.bestLevel(opp);
      if (level === NIL || levels.bestKey(opp) < threshold) break;
      const maker = head[level];
      if (stp !== StpCode.ALLOW && makerTrader[maker] === trader) {
        if (stp === StpCode.CANCEL_TAKER) {
          stopped = true;
          break;
        }
        removeOrder(state, maker);
        if (stp === StpCode.CANCEL_BOTH) {
          stopped = true;
          break;
        }
        continue;
      }
      const makerLeft = remaining[maker];
      const traded = left < makerLeft ? left : makerLeft;
      if (f + FILL_SLOTS > fills.length) fills = buffers.growFills();
      fills[f] = tag;
      fills[f + 1] = asset;
      fills[f + 2] = orders.id[maker];
      fills[f + 3] = takerId;
      fills[f + 4] = makerTrader[maker];
      fills[f + 5] = trader;
      fills[f + 6] = levels.price[level];
      fills[f + 7] = traded;
      f += FILL_SLOTS;
      left -= traded;
      if (traded === makerLeft) removeOrder(state, maker);
      else shrinkOrder(state, maker, traded);
    }
    buffers.fillCount = f / FILL_SLOTS;
    this.stoppedBySelfTrade = stopped;
    return left;
  }

  /**
   * Walks side `opp` in matching order without changing it: what a taker could fill within
   * `threshold` (fill-or-kill), stopping once it reaches `size`. A same-trader maker adds nothing
   * and, under cancel_taker or cancel_both, ends the walk.
   */
  dryRun(opp: number, threshold: number, size: number, trader: number, stp: number): number {
    const { orders, levels } = this.state;
    let fillable = 0;
    for (let at = levels.bestPosition(opp); at !== NO_POSITION && levels.keyAt(at) >= threshold && fillable < size; at = levels.worsePosition(at)) {
      const level = levels.levelAt(at);
      if (stp === StpCode.ALLOW) {
        fillable += levels.total[level];
        continue;
      }
      for (let o = levels.head[level]; o !== NIL && fillable < size; o = orders.next[o]) {
        if (orders.trader[o] !== trader) fillable += orders.remaining[o];
        else if (stp !== StpCode.CANCEL_MAKER) return fillable;
      }
    }
    return fillable;
  }

  /** Whether one more resting order at this price stays within the limits, after freeing what is given. */
  private hasRoom(book: number, side: number, price: number, freedOrders: number, freedLevels: number): boolean {
    const state = this.state;
    if (state.orders.live - freedOrders + 1 > this.limits.maxOrders) return false;
    if (this.limits.maxLevels === Infinity) return true;
    const needsLevel = book === NIL || state.levels.findLevel(bookSide(book, side), price) === NIL;
    return !needsLevel || state.levels.live - freedLevels + 1 <= this.limits.maxLevels;
  }

  /** The resting order `id` if it is in `asset`'s book and `trader` owns it; else writes the rejection and returns NIL. */
  private ownedOrder(out: Float64Array, at: number, trader: number, asset: number, id: number): number {
    const state = this.state;
    const order = state.index.get(id);
    if (order === NIL || state.books.asset[sideBook(state.levels.side[state.orders.level[order]])] !== asset) {
      reject(out, at, ReasonCode.UNKNOWN_ORDER, id);
      return NIL;
    }
    if (state.orders.trader[order] !== trader) {
      reject(out, at, ReasonCode.NOT_OWNER, id);
      return NIL;
    }
    return order;
  }
}

