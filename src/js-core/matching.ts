// The commands: place (limit, market), cancel, reduce, modify (mirrors assembly/matching.ts).
// Each writes its outcome (status | reason << 4, orderId, filled, remaining, spent) at out[at..],
// its fills to the fill buffer and its events to the event buffer. The book changes only through
// resting.ts. Stops and OCO pairs (stops.ts) enter the book through the same placements; cancel
// and reduce reach pending stops too (pending.ts).
//
// Unlike the WASM core there is nothing to reserve: arrays grow on demand and never fail, so a
// command checks the configured limits and then runs straight through.
import { EventCode, No, OrderTypeCode, ReasonCode, Slots, StatusCode, StpCode, TifCode } from './codes.js';
import { bookSide, sideBook, sideCode } from './books.js';
import type { Buffers } from './buffers.js';
import type { CoreState } from './core-state.js';
import { PENDING, PRIORITY_LOST, acceptedHead, eventHead } from './events.js';
import { keyOf } from './levels.js';
import { createIndexedOrder } from './order-index.js';
import { clearOrderOcoLeg, orderIsOcoLeg, orderIsPending, orderStp } from './orders.js';
import { stopBook, stopOrderPrice, stopSide } from './pending.js';
import { smallInteger } from './small-integer.js';
import {
  cancelOrderAt, cancelStopLeg, dropTakenOrders, linkOrder, removeOrder, removePendingStop, retireOrder, shrinkOrder,
  unlinkOrder,
} from './resting.js';

/**
 * The last order id a core hands out: every id stays a safe integer, and so does the next id a
 * snapshot carries. A new order past it is rejected CAPACITY (an OCO pair needs two ids). A
 * literal, not a module constant: a float64 constant is read through its module cell and unboxed
 * at every use.
 */
export const enum OrderIds { LAST = 9007199254740990 }

export interface Limits {
  readonly maxOrders: number;
  readonly maxLevels: number;
}

/** How many lots at `price` a budget of `left` pays for: floor(left / price), corrected for the division's rounding. */
function affordable(left: number, price: number): number {
  const lots = Math.floor(left / price);
  return lots * price > left ? lots - 1 : lots;
}

export function writeResult(out: Float64Array, at: number, status: number, reason: number, id: number, filled: number, remaining: number): void {
  out[at] = status | (reason << 4);
  out[at + 1] = id;
  out[at + 2] = filled;
  out[at + 3] = remaining;
  out[at + 4] = 0;
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
  /** Set by matchTaker for a budget order: what its fills cost, and whether the budget ran out. */
  private spent = 0;
  private budgetRanOut = false;
  /** Set by matchTaker when it traded: the book whose last trade price moved (stops.ts looks at it after the command). */
  private tradedBook = No.SLOT;

  /** Whether any limit is configured: hasRoom can refuse only then, so unbounded cores (the default) skip it. */
  private readonly bounded: boolean;

  constructor(public state: CoreState, private readonly buffers: Buffers, private readonly limits: Limits) {
    this.bounded = limits.maxOrders !== Infinity || limits.maxLevels !== Infinity;
  }

  /** Whether the command just applied traded (and stops may trigger). */
  hasTraded(): boolean {
    return this.tradedBook !== No.SLOT;
  }

  /** The book the last command traded in (No.SLOT: none), forgotten once read. */
  takeTradedBook(): number {
    const book = this.tradedBook;
    this.tradedBook = No.SLOT;
    return book;
  }

  /** A rejected command: its result and its REJECTED event. */
  private reject(out: Float64Array, at: number, reason: number, id: number, trader: number, asset: number,
                 side: number, price: number, size: number): void {
    writeResult(out, at, StatusCode.REJECTED, reason, id, 0, 0);
    this.state.events.writeEvent(eventHead(EventCode.REJECTED, reason, side), asset, id, trader, price, size, 0, 0, 0);
  }

  /**
   * A rejected new order: its REJECTED event carries what the order was, as an ACCEPTED event would
   * (`other2`: a stop's stop price, a budget order's budget). An order that already has an id and
   * was accepted (a triggered stop, an OCO's limit leg) cannot enter: it is removed for `reason`.
   */
  rejectOrder(out: Float64Array, at: number, reason: number, trader: number, asset: number, side: number, type: number,
              tif: number, stp: number, price: number, size: number, clientOrderId: number, other2: number, id: number): void {
    writeResult(out, at, StatusCode.REJECTED, reason, id, 0, 0);
    if (id !== 0) return this.endTaker(reason, side, asset, id, trader, price, size);
    const head = acceptedHead(EventCode.REJECTED, side, type, tif, stp) | (reason << 4);
    this.state.events.writeEvent(type >= OrderTypeCode.STOP_LIMIT ? head | PENDING : head, asset, 0, trader, price, size, 0,
      clientOrderId, other2);
  }

  /** A taker's unfilled rest, cancelled for `reason` (the order never rested, so no level changes). */
  private endTaker(reason: number, side: number, asset: number, id: number, trader: number, price: number, left: number): void {
    this.state.events.writeEvent(eventHead(EventCode.REMOVED, reason, side), asset, id, trader, price, left, 0, 0, 0);
  }

  /**
   * An ACCEPTED event: callers test `events.recording` first, so that without events the call is
   * never made, and V8 neither inlines nor charges it on the resting path (bench/README.md, stop 49).
   */
  private writeAccepted(asset: number, id: number, trader: number, side: number, type: number, tif: number, stp: number,
                        price: number, size: number, clientOrderId: number, other2: number): void {
    this.state.events.writeEvent(acceptedHead(EventCode.ACCEPTED, side, type, tif, stp), asset, id, trader, price, size,
      size, clientOrderId, other2);
  }

  placeLimit(out: Float64Array, at: number, command: number, trader: number, asset: number, side: number,
             price: number, size: number, timestamp: number, tif: number, stp: number, clientOrderId: number): void {
    if (tif === TifCode.GTC && this.restWithoutCrossing(out, at, trader, asset, side, price, size, timestamp, stp, clientOrderId) !== 0) return;
    this.placeLimitGeneral(out, at, command, trader, asset, side, price, size, timestamp, tif, stp, clientOrderId, 0, 0);
  }

  /**
   * The common case, a GTC order that does not cross, in one straight run small enough for V8 to
   * inline whole (placeLimitGeneral is not): when its book exists and it is within the limits, it
   * rests whole and this returns its id (the whole outcome: JsCore.placeLimit returns it to the
   * host). Otherwise it changes nothing and returns 0, and the general path decides.
   */
  restWithoutCrossing(out: Float64Array, at: number, trader: number, asset: number, side: number, price: number,
                      size: number, timestamp: number, stp: number, clientOrderId: number): number {
    const state = this.state;
    const book = state.books.findBook(asset);
    if (book === No.SLOT || state.nextOrderId > OrderIds.LAST) return 0;
    const levels = state.levels;
    if (levels.bestKey(bookSide(book, side ^ 1)) >= keyOf(side ^ 1, price)) return 0;
    if (this.bounded && !this.hasRoom(book, side, price, 0, 0)) return 0;
    const own = bookSide(book, side);
    const id = state.nextOrderId++;
    if (state.events.recording) this.writeAccepted(asset, id, trader, side, OrderTypeCode.LIMIT, TifCode.GTC, stp, price, size, clientOrderId, 0);
    const order = createIndexedOrder(state.orders, state.index, id, size, timestamp, trader, stp);
    linkOrder(state, own, levels.findLevel(own, price), price, order, asset, trader);
    writeResult(out, at, StatusCode.RESTING, ReasonCode.NONE, id, 0, size);
    return id;
  }

  /**
   * Any limit order. `givenId` 0: a new order, which gets the next id and an ACCEPTED event here;
   * otherwise an order whose id and ACCEPTED (or TRIGGERED) event exist already: a triggered
   * stop-limit or an OCO's limit leg (`flags` OCO_LEG).
   */
  placeLimitGeneral(out: Float64Array, at: number, command: number, trader: number, asset: number, side: number,
                    price: number, size: number, timestamp: number, tif: number, stp: number, clientOrderId: number,
                    givenId: number, flags: number): void {
    const state = this.state;
    if (givenId === 0 && state.nextOrderId > OrderIds.LAST) {
      return this.rejectOrder(out, at, ReasonCode.CAPACITY, trader, asset, side, OrderTypeCode.LIMIT, tif, stp, price, size, clientOrderId, 0, 0);
    }
    const book = state.books.findBook(asset);
    const opp = book === No.SLOT ? No.SLOT : bookSide(book, side ^ 1);
    const threshold = crossingThreshold(side, price);
    const crosses = opp !== No.SLOT && state.levels.bestKey(opp) >= threshold;
    if (tif === TifCode.POST_ONLY && crosses) {
      return this.rejectOrder(out, at, ReasonCode.WOULD_CROSS, trader, asset, side, OrderTypeCode.LIMIT, tif, stp, price, size, clientOrderId, 0, givenId);
    }
    if (tif === TifCode.FOK && (!crosses || this.dryRun(opp, threshold, size, trader, stp) < size)) {
      return this.rejectOrder(out, at, ReasonCode.CANNOT_FILL, trader, asset, side, OrderTypeCode.LIMIT, tif, stp, price, size, clientOrderId, 0, givenId);
    }
    // An order that crosses never rests beyond a limit: if anything of it rests, it first took
    // every maker (and so every level) within its price, freeing at least what it needs.
    if (this.bounded && !crosses && (tif === TifCode.GTC || tif === TifCode.POST_ONLY) && !this.hasRoom(book, side, price, 0, 0)) {
      return this.rejectOrder(out, at, ReasonCode.CAPACITY, trader, asset, side, OrderTypeCode.LIMIT, tif, stp, price, size, clientOrderId, 0, givenId);
    }
    let id = givenId;
    if (id === 0) {
      id = state.nextOrderId++;
      if (state.events.recording) this.writeAccepted(asset, id, trader, side, OrderTypeCode.LIMIT, tif, stp, price, size, clientOrderId, 0);
    }
    const left = crosses ? this.matchTaker(opp, side, threshold, size, 0, trader, stp, id, command, asset) : size;
    const filled = size - left;
    if (crosses && this.stoppedBySelfTrade) {
      this.endTaker(ReasonCode.SELF_TRADE, side, asset, id, trader, price, left);
      return writeResult(out, at, StatusCode.CANCELLED, ReasonCode.SELF_TRADE, id, filled, 0);
    }
    if (left === 0) return writeResult(out, at, StatusCode.FILLED, ReasonCode.NONE, id, filled, 0);
    if (tif === TifCode.IOC || tif === TifCode.FOK) {
      this.endTaker(ReasonCode.IOC_REMAINDER, side, asset, id, trader, price, left);
      return writeResult(out, at, StatusCode.CANCELLED, ReasonCode.NONE, id, filled, 0);
    }
    const own = bookSide(book === No.SLOT ? state.books.findOrCreateBook(asset, state.levels) : book, side);
    const order = createIndexedOrder(state.orders, state.index, id, left, timestamp, trader, stp | flags);
    linkOrder(state, own, state.levels.findLevel(own, price), price, order, asset, trader);
    writeResult(out, at, StatusCode.RESTING, ReasonCode.NONE, id, filled, left);
  }

  /**
   * A market order: `size` lots, or (size 0) as many as `budget` pays for. `givenId` as for
   * placeLimitGeneral (a triggered stop-market).
   */
  placeMarket(out: Float64Array, at: number, command: number, trader: number, asset: number, side: number,
              size: number, budget: number, protectionPrice: number, stp: number, clientOrderId: number, givenId: number): void {
    const state = this.state;
    if (givenId === 0 && state.nextOrderId > OrderIds.LAST) {
      return this.rejectOrder(out, at, ReasonCode.CAPACITY, trader, asset, side, OrderTypeCode.MARKET, TifCode.IOC, stp, protectionPrice, size, clientOrderId, budget, 0);
    }
    let id = givenId;
    if (id === 0) {
      id = state.nextOrderId++;
      if (state.events.recording) {
        this.writeAccepted(asset, id, trader, side, OrderTypeCode.MARKET, TifCode.IOC, stp, protectionPrice, size, clientOrderId, budget);
      }
    }
    const book = state.books.findBook(asset);
    // A budget order is bounded by its budget as a lot count: every lot costs at least 1.
    const bound = budget !== 0 ? budget : size;
    this.stoppedBySelfTrade = false;
    this.spent = 0;
    this.budgetRanOut = false;
    const left = book === No.SLOT ? bound
      : this.matchTaker(bookSide(book, side ^ 1), side, crossingThreshold(side, protectionPrice), bound, budget, trader, stp, id, command, asset);
    const filled = bound - left;
    if (this.stoppedBySelfTrade) {
      this.endTaker(ReasonCode.SELF_TRADE, side, asset, id, trader, protectionPrice, budget !== 0 ? 0 : left);
      writeResult(out, at, StatusCode.CANCELLED, ReasonCode.SELF_TRADE, id, filled, 0);
    } else if (left === 0 || (this.budgetRanOut && filled !== 0) || (budget !== 0 && this.spent === budget)) {
      // A budget spent to its last unit is filled, as a size taken whole is, whether or not the
      // book (or the protection price) ended at the same maker.
      writeResult(out, at, StatusCode.FILLED, ReasonCode.NONE, id, filled, 0);
    } else {
      // A budget order's unfilled rest has no size: what is left of it is budget - spent.
      this.endTaker(ReasonCode.MARKET_REMAINDER, side, asset, id, trader, protectionPrice, budget !== 0 ? 0 : left);
      writeResult(out, at, StatusCode.CANCELLED, ReasonCode.NONE, id, filled, 0);
    }
    out[at + 4] = this.spent;
  }

  /**
   * The common cancel, a resting order of `asset` that `trader` owns, in one straight run for V8 to
   * inline whole, as restWithoutCrossing is for placing (bench/README.md, stop 49): the order
   * leaves the book and this returns true. Otherwise (no such order, another asset's or trader's,
   * a pending stop) it changes nothing and returns false, and cancel decides and refuses.
   */
  cancelResting(out: Float64Array, at: number, trader: number, asset: number, id: number): boolean {
    const state = this.state;
    const order = state.index.get(id);
    if (order === No.SLOT) return false;
    const orders = state.orders;
    const level = orders.level[order];
    if (level === No.SLOT || orders.trader[order] !== trader || state.books.asset[sideBook(state.levels.side[level])] !== asset) {
      return false;
    }
    cancelOrderAt(state, order, asset);
    writeResult(out, at, StatusCode.OK, ReasonCode.NONE, id, 0, 0);
    return true;
  }

  cancel(out: Float64Array, at: number, trader: number, asset: number, id: number): void {
    const order = this.ownedOrder(out, at, trader, asset, id);
    if (order === No.SLOT) return;
    if (orderIsPending(this.state.orders, order)) removePendingStop(this.state, order, ReasonCode.CANCELLED_BY_USER, asset);
    else cancelOrderAt(this.state, order, asset);
    writeResult(out, at, StatusCode.OK, ReasonCode.NONE, id, 0, 0);
  }

  reduce(out: Float64Array, at: number, trader: number, asset: number, id: number, by: number): void {
    const order = this.ownedOrder(out, at, trader, asset, id);
    if (order === No.SLOT) return;
    const state = this.state;
    const remaining = state.orders.remaining[order];
    const pending = orderIsPending(state.orders, order);
    if (by >= remaining) {
      if (pending) removePendingStop(state, order, ReasonCode.REDUCED_TO_ZERO, asset);
      else removeOrder(state, order, ReasonCode.REDUCED_TO_ZERO, asset);
      return writeResult(out, at, StatusCode.OK, ReasonCode.NONE, id, 0, 0);
    }
    if (pending) {
      // A pending stop changes no level: its REDUCED event has none.
      state.orders.remaining[order] = remaining - by;
      state.events.writeEvent(eventHead(EventCode.REDUCED, ReasonCode.NONE, stopSide(state, order)) | PENDING, asset, id, trader,
        stopOrderPrice(state, order), by, remaining - by, 0, 0);
      return writeResult(out, at, StatusCode.OK, ReasonCode.NONE, id, 0, remaining - by);
    }
    shrinkOrder(state, order, by);
    const levels = state.levels;
    const level = state.orders.level[order];
    state.events.writeLevelEvent(eventHead(EventCode.REDUCED, ReasonCode.NONE, levels.side[level] & 1), asset, id, trader,
      levels.price[level], by, remaining - by, 0, 0, levels.total[level], levels.count[level]);
    writeResult(out, at, StatusCode.OK, ReasonCode.NONE, id, 0, remaining - by);
  }

  /** price or size 0: unchanged. */
  modify(out: Float64Array, at: number, command: number, trader: number, asset: number, id: number,
         price: number, size: number, timestamp: number): void {
    const order = this.ownedOrder(out, at, trader, asset, id);
    if (order === No.SLOT) return;
    const state = this.state;
    const { orders, levels, events } = state;
    // A pending stop has no place to keep or lose: it is cancelled and placed anew instead.
    if (orderIsPending(orders, order)) {
      return this.reject(out, at, ReasonCode.NOT_MODIFIABLE, id, trader, asset, stopSide(state, order), 0, 0);
    }
    const level = orders.level[order];
    const own = levels.side[level];
    const side = sideCode(own);
    const oldPrice = levels.price[level];
    const remaining = orders.remaining[order];
    const newPrice = price > 0 ? price : oldPrice;
    const newSize = size > 0 ? size : remaining;
    if (newPrice === oldPrice && newSize <= remaining) {
      // A reduce in place (or no change): keeps its place and its timestamp.
      const head = eventHead(EventCode.MODIFIED, ReasonCode.NONE, side);
      if (newSize < remaining) {
        shrinkOrder(state, order, remaining - newSize);
        events.writeLevelEvent(head, asset, id, trader, oldPrice, remaining, newSize, newPrice, 0, levels.total[level], levels.count[level]);
      } else {
        // No change changes no level: an event with one would be market data for a book that did not move.
        events.writeEvent(head, asset, id, trader, oldPrice, remaining, newSize, newPrice, 0);
      }
      return writeResult(out, at, StatusCode.RESTING, ReasonCode.NONE, id, 0, newSize);
    }

    // Re-entry as a GTC taker with the same id, trader and stp. It already counts as a resting
    // order; it needs a level only if none is left at its new price once it has left its own.
    const book = sideBook(own);
    const opp = bookSide(book, side ^ 1);
    const threshold = crossingThreshold(side, newPrice);
    const crosses = levels.bestKey(opp) >= threshold;
    const leavesLevelEmpty = levels.count[level] === 1;
    if (!crosses) {
      const freedLevels = newPrice !== oldPrice && leavesLevelEmpty ? 1 : 0;
      if (this.bounded && !this.hasRoom(book, side, newPrice, 1, freedLevels)) {
        return this.reject(out, at, ReasonCode.CAPACITY, id, trader, asset, 0, 0, 0);
      }
    }
    const stp = orderStp(orders, order);
    unlinkOrder(state, order);
    events.writeLevelEvent(eventHead(EventCode.MODIFIED, ReasonCode.NONE, side) | PRIORITY_LOST, asset, id, trader, oldPrice,
      remaining, newSize, newPrice, 0, leavesLevelEmpty ? 0 : levels.total[level], leavesLevelEmpty ? 0 : levels.count[level]);
    // An OCO limit leg that trades or leaves here takes its stop leg with it.
    const oco = orderIsOcoLeg(orders, order);
    const left = crosses ? this.matchTaker(opp, side, threshold, newSize, 0, trader, stp, id, command, asset) : newSize;
    const filled = newSize - left;
    if (crosses && this.stoppedBySelfTrade) {
      retireOrder(state, order);
      this.endTaker(ReasonCode.SELF_TRADE, side, asset, id, trader, newPrice, left);
      if (oco) cancelStopLeg(state, id + 1, asset);
      return writeResult(out, at, StatusCode.CANCELLED, ReasonCode.SELF_TRADE, id, filled, 0);
    }
    if (left === 0) {
      retireOrder(state, order);
      if (oco) cancelStopLeg(state, id + 1, asset);
      return writeResult(out, at, StatusCode.FILLED, ReasonCode.NONE, id, filled, 0);
    }
    orders.remaining[order] = left;
    orders.timestamp[order] = timestamp;
    linkOrder(state, own, levels.findLevel(own, newPrice), newPrice, order, asset, trader);
    if (oco && filled !== 0) {
      clearOrderOcoLeg(orders, order);
      cancelStopLeg(state, id + 1, asset);
    }
    writeResult(out, at, StatusCode.RESTING, ReasonCode.NONE, id, filled, left);
  }

  /**
   * Matches a taker against side `opp` while its best level's key is at least `threshold`;
   * returns what is left of `size`. Fills are tagged with the command index. With a `budget`
   * (0: none; `size` is then the budget too, a bound no lot count can reach) each fill is cut to
   * what the rest of the budget pays for, and matching stops when it pays for no more lot.
   */
  matchTaker(opp: number, takerSide: number, threshold: number, size: number, budget: number, trader: number, stp: number,
             takerId: number, command: number, asset: number): number {
    const state = this.state;
    const { orders, levels, events } = state;
    const remaining = orders.remaining;
    const makerTrader = orders.trader;
    const head = levels.head;
    const tag = command * 2 + takerSide;
    const fillHead = eventHead(EventCode.FILL, ReasonCode.NONE, takerSide ^ 1);
    // Without STP or a budget nothing is decided maker by maker: the taker takes level by level.
    const byLevel = stp === StpCode.ALLOW && budget === 0;
    let left = size;
    let stopped = false;
    let spent = 0;
    let lastPrice = 0;
    while (left > 0) {
      const level = levels.bestLevel(opp);
      if (level === No.SLOT || levels.bestKey(opp) < threshold) break;
      const price = levels.price[level];
      if (byLevel) {
        // A level holds at least one maker: it trades.
        left = this.takeLevel(level, price, left, tag, fillHead, takerId, trader, asset);
        lastPrice = price;
        continue;
      }
      const maker = head[level];
      // The budget is asked first: a maker it cannot pay one lot of ends matching whoever owns it.
      // No trade could happen with it, so there is no self-trade to prevent (STP would otherwise
      // remove an own maker, or cancel the taker, that the budget never reaches).
      let lots = 0;
      if (budget !== 0) {
        lots = affordable(budget - spent, price);
        if (lots === 0) {
          this.budgetRanOut = true;
          break;
        }
      }
      if (stp !== StpCode.ALLOW && makerTrader[maker] === trader) {
        if (stp === StpCode.CANCEL_TAKER) {
          stopped = true;
          break;
        }
        removeOrder(state, maker, ReasonCode.SELF_TRADE, asset);
        if (stp === StpCode.CANCEL_BOTH) {
          stopped = true;
          break;
        }
        continue;
      }
      const makerLeft = remaining[maker];
      let traded = left < makerLeft ? left : makerLeft;
      if (budget !== 0) {
        if (lots < traded) traded = lots;
        spent += traded * price;
      }
      const makerId = orders.id[maker];
      const makerOwner = makerTrader[maker];
      this.writeFill(tag, asset, makerId, takerId, makerOwner, trader, price, traded);
      left -= traded;
      lastPrice = price;
      // The level as it is after this fill: the maker gone (and the level with it) or shrunk.
      const consumed = traded === makerLeft;
      if (events.recording) {
        const ordersAfter = consumed ? levels.count[level] - 1 : levels.count[level];
        const sizeAfter = ordersAfter === 0 ? 0 : levels.total[level] - traded;
        events.writeLevelEvent(fillHead, asset, makerId, makerOwner, price, traded, makerLeft - traded, takerId, trader,
          sizeAfter, ordersAfter);
      }
      // An OCO limit leg that trades, in whole or in part, takes its stop leg with it.
      if (consumed) {
        removeOrder(state, maker, ReasonCode.NONE, asset);
      } else {
        shrinkOrder(state, maker, traded);
        if (orderIsOcoLeg(orders, maker)) {
          clearOrderOcoLeg(orders, maker);
          cancelStopLeg(state, makerId + 1, asset);
        }
      }
    }
    this.stoppedBySelfTrade = stopped;
    // A budget order's spend comes from float64 prices: as a heap number it would change this
    // object's hidden class (small-integer.ts).
    this.spent = smallInteger(spent);
    if (lastPrice !== 0) {
      const book = sideBook(opp);
      state.books.lastPrice[book] = lastPrice;
      this.tradedBook = book;
    }
    return left;
  }

  /**
   * A taker without STP or budget against `level`, the best of its side, at `price`: its makers in
   * queue order, each filled, each one consumed forgotten where it stands rather than unlinked,
   * then the queue cut past them in one step (dropTakenOrders). The FILL events, and the removals
   * of consumed makers' OCO stop legs, are matchTaker's maker by maker, in the same order.
   * Returns what is left of the taker.
   */
  private takeLevel(level: number, price: number, left: number, tag: number, fillHead: number, takerId: number,
                    trader: number, asset: number): number {
    const state = this.state;
    const { orders, levels, events } = state;
    const remaining = orders.remaining;
    let count = levels.count[level];
    let total = levels.total[level];
    let maker = levels.head[level];
    let taken = 0;
    while (maker !== No.SLOT) {
      const makerLeft = remaining[maker];
      if (left < makerLeft) {
        // The last maker the taker reaches, filled in part: it stays, at the head of the queue.
        total = this.fillInPart(maker, makerLeft, left, count, total, price, tag, fillHead, takerId, trader, asset);
        left = 0;
        break;
      }
      const makerId = orders.id[maker];
      const makerOwner = orders.trader[maker];
      this.writeFill(tag, asset, makerId, takerId, makerOwner, trader, price, makerLeft);
      left -= makerLeft;
      if (events.recording) {
        events.writeLevelEvent(fillHead, asset, makerId, makerOwner, price, makerLeft, 0, takerId, trader,
          count === 1 ? 0 : total - makerLeft, count - 1);
      }
      // The total as unlinkOrder keeps it, one maker at a time: past 2^53 lots the order of the
      // subtractions decides the rounding.
      count--;
      total -= makerLeft;
      taken++;
      const oco = orderIsOcoLeg(orders, maker);
      const after = orders.next[maker];
      retireOrder(state, maker);
      if (oco) cancelStopLeg(state, makerId + 1, asset);
      maker = after;
      if (left === 0) break;
    }
    dropTakenOrders(state, level, taken, maker, count, total);
    return left;
  }

  /**
   * takeLevel's last maker, which the taker's `left` lots fill in part: its fill and FILL event,
   * its new size, and its OCO stop leg's removal. Returns the level's total after it.
   */
  private fillInPart(maker: number, makerLeft: number, left: number, count: number, total: number, price: number, tag: number,
                     fillHead: number, takerId: number, trader: number, asset: number): number {
    const state = this.state;
    const { orders, events } = state;
    const makerId = orders.id[maker];
    const makerOwner = orders.trader[maker];
    this.writeFill(tag, asset, makerId, takerId, makerOwner, trader, price, left);
    if (events.recording) {
      events.writeLevelEvent(fillHead, asset, makerId, makerOwner, price, left, makerLeft - left, takerId, trader,
        total - left, count);
    }
    orders.remaining[maker] = makerLeft - left;
    if (orderIsOcoLeg(orders, maker)) {
      clearOrderOcoLeg(orders, maker);
      cancelStopLeg(state, makerId + 1, asset);
    }
    return total - left;
  }

  /** Appends a fill record to the fill buffer. */
  private writeFill(tag: number, asset: number, makerId: number, takerId: number, makerOwner: number, trader: number,
                    price: number, traded: number): void {
    const buffers = this.buffers;
    const f = buffers.fillCount * Slots.FILL;
    let fills = buffers.fills;
    if (f + Slots.FILL > fills.length) fills = buffers.growFills();
    fills[f] = tag;
    fills[f + 1] = asset;
    fills[f + 2] = makerId;
    fills[f + 3] = takerId;
    fills[f + 4] = makerOwner;
    fills[f + 5] = trader;
    fills[f + 6] = price;
    fills[f + 7] = traded;
    buffers.fillCount++;
  }

  /**
   * Walks side `opp` in matching order without changing it: what a taker could fill within
   * `threshold` (fill-or-kill), stopping once it reaches `size`. A same-trader maker adds nothing
   * and, under cancel_taker or cancel_both, ends the walk.
   */
  dryRun(opp: number, threshold: number, size: number, trader: number, stp: number): number {
    const { orders, levels } = this.state;
    let fillable = 0;
    // Order by order, as the WASM core counts, never by a level's total: past 2^53 lots a total
    // kept up to date and a fresh sum round apart, and the cores would answer a FOK differently.
    for (let at = levels.bestPosition(opp); at !== No.POSITION && levels.keyAt(at) >= threshold && fillable < size; at = levels.worsePosition(at)) {
      for (let o = levels.head[levels.levelAt(at)]; o !== No.SLOT && fillable < size; o = orders.next[o]) {
        if (stp === StpCode.ALLOW || orders.trader[o] !== trader) fillable += orders.remaining[o];
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
    const needsLevel = book === No.SLOT || state.levels.findLevel(bookSide(book, side), price) === No.SLOT;
    return !needsLevel || state.levels.live - freedLevels + 1 <= this.limits.maxLevels;
  }

  /**
   * The order `id` (resting, or a pending stop) if it is in `asset`'s book and `trader` owns it;
   * else writes the rejection and returns No.SLOT.
   */
  private ownedOrder(out: Float64Array, at: number, trader: number, asset: number, id: number): number {
    const state = this.state;
    const order = state.index.get(id);
    if (order !== No.SLOT && orderAsset(state, order) === asset && state.orders.trader[order] === trader) return order;
    // The refusals are a call of their own, charged against V8's inlining budget only where they
    // are made (bench/README.md, stop 49).
    this.rejectNotOwned(out, at, trader, asset, id, order);
    return No.SLOT;
  }

  /** ownedOrder's refusal of `order` (No.SLOT: no such id). */
  private rejectNotOwned(out: Float64Array, at: number, trader: number, asset: number, id: number, order: number): void {
    const reason = order === No.SLOT || orderAsset(this.state, order) !== asset ? ReasonCode.UNKNOWN_ORDER : ReasonCode.NOT_OWNER;
    this.reject(out, at, reason, id, trader, asset, 0, 0, 0);
  }
}

/** The asset of a resting order or a pending stop. */
export function orderAsset(state: CoreState, order: number): number {
  const book = orderIsPending(state.orders, order) ? stopBook(state, order) : sideBook(state.levels.side[state.orders.level[order]]);
  return state.books.asset[book];
}
