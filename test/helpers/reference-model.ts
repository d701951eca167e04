// The reference model: docs/semantics.md written as plainly as it can be, with no data structure
// worth the name (every look at a book filters and sorts an array, capacity is judged on the state
// an order leaves behind), so that it is easy to believe and shares no code and no design with
// the cores. test/three-way.test.ts runs it beside the TypeScript and the WebAssembly core.
//
// It speaks the cores' numeric interface (src/core.ts): codes from src/codes.ts, order rows in
// the ORDER_SLOTS layout of listOrders(), fills in the FILL_SLOTS layout of src/batch.ts and event
// records in the EVENT_SLOTS layout of src/events.ts, written from docs/semantics.md's "Events".
import { EventCode, OrderTypeCode, ReasonCode, SideCode, StatusCode, StpCode, TifCode } from '../../src/codes.js';
import type { CoreLimits } from '../../src/core.js';
import { EventHead } from '../../src/events.js';

const BID = SideCode.BID;
const { GTC, IOC, FOK, POST_ONLY } = TifCode;
const { ALLOW, CANCEL_TAKER, CANCEL_MAKER, CANCEL_BOTH } = StpCode;
const { ACCEPTED, RESTED, FILL, REDUCED, MODIFIED, REMOVED, REJECTED, TRIGGERED } = EventCode;
const { PRIORITY_LOST, LEVEL, OCO, PENDING } = EventHead;

/** A command's outcome as the cores report it: out[0..4] and its fills [makerId, makerTrader, price, size]. */
export interface Outcome {
  status: number;
  reason: number;
  orderId: number;
  filled: number;
  remaining: number;
  spent: number;
  fills: number[][];
}

/** What the model says of a command beyond an Outcome: its fills and its events, record by record, as command 0 of a call. */
export interface ModelOutcome extends Outcome {
  /** FILL_SLOTS each: takerSide (command 0), asset, makerId, takerId, makerTrader, takerTrader, price, size. */
  fillRecords: number[][];
  /** EVENT_SLOTS each. */
  events: number[][];
}

interface RestingOrder {
  id: number; trader: number; asset: number; side: number; price: number;
  remaining: number; timestamp: number; stp: number; oco: boolean;
  /** Arrival at its level: later is behind. */
  seq: number;
}

interface PendingStop {
  id: number; trader: number; asset: number; side: number; size: number; timestamp: number; stp: number; oco: boolean;
  stopPrice: number; price: number; protectionPrice: number; tif: number;
}

/** An event head: kind, reason and side. */
function head(kind: number, reason: number, side: number): number {
  return kind | (reason << EventHead.REASON_SHIFT) | (side << EventHead.SIDE_SHIFT);
}

/** The head of an event that describes an order (accepted, triggered, a new order's rejection). */
function described(kind: number, reason: number, side: number, type: number, tif: number, stp: number): number {
  return head(kind, reason, side) | (type << EventHead.TYPE_SHIFT) | (tif << EventHead.TIF_SHIFT) | (stp << EventHead.STP_SHIFT);
}

/** A pending stop's price as everything reports it: its limit, or a stop-market's protection price. */
function shownPrice(stop: PendingStop): number {
  return stop.price !== 0 ? stop.price : stop.protectionPrice;
}

function stopType(stop: PendingStop): number {
  return stop.price !== 0 ? OrderTypeCode.STOP_LIMIT : OrderTypeCode.STOP_MARKET;
}

export class ReferenceModel {
  orders: RestingOrder[] = [];
  stops: PendingStop[] = [];
  nextOrderId = 1;
  private readonly lastPrice = new Map<number, number>();
  private seq = 0;
  /** The fills of the current command, triggered stops' included (FILL_SLOTS records). */
  private fills: number[][] = [];
  /** The events of the current command (EVENT_SLOTS records). */
  private events: number[][] = [];
  private stoppedBySelfTrade = false;
  private spent = 0;
  private budgetRanOut = false;
  /** The asset the current command traded in (stops may trigger), or -1. */
  private traded = -1;

  constructor(private readonly limits: CoreLimits) {}

  // ---------------------------------------------------------------- looking at the books

  private queue(asset: number, side: number): RestingOrder[] {
    return this.orders.filter((o) => o.asset === asset && o.side === side)
      .sort((a, b) => (a.price === b.price ? a.seq - b.seq : side === BID ? b.price - a.price : a.price - b.price));
  }

  /** Pending stops of a side in trigger order: buys by ascending stop price, sells by descending, then by id. */
  private stopQueue(asset: number, side: number): PendingStop[] {
    return this.stops.filter((s) => s.asset === asset && s.side === side)
      .sort((a, b) => (a.stopPrice === b.stopPrice ? a.id - b.id : side === BID ? a.stopPrice - b.stopPrice : b.stopPrice - a.stopPrice));
  }

  /** Rows as listOrders() writes them (src/core.ts ORDER_SLOTS). */
  listOrders(asset: number): number[][] {
    const resting = [...this.queue(asset, BID), ...this.queue(asset, 1)].map((o) =>
      [o.id, o.asset, o.side, o.price, o.trader, o.remaining, o.timestamp, o.stp, 0, 0, o.oco ? o.id + 1 : 0]);
    const pending = [...this.stopQueue(asset, BID), ...this.stopQueue(asset, 1)].map((s) =>
      [s.id, s.asset, s.side, shownPrice(s), s.trader, s.size, s.timestamp, s.stp, s.stopPrice, stopType(s) | (s.tif << 2), s.oco ? s.id - 1 : 0]);
    return [...resting, ...pending];
  }

  get restingOrders(): number {
    return this.orders.length;
  }

  private within(side: number, price: number, limitPrice: number): boolean {
    return side === BID ? price <= limitPrice : price >= limitPrice;
  }

  private levelCount(): number {
    return new Set(this.orders.map((o) => `${o.asset}:${o.side}:${o.price}`)).size;
  }

  private withinLimits(): boolean {
    return this.orders.length + this.stops.length <= (this.limits.maxOrders ?? Infinity) &&
      this.levelCount() <= (this.limits.maxLevels ?? Infinity);
  }

  private triggers(side: number, stopPrice: number, asset: number): boolean {
    const last = this.lastPrice.get(asset);
    return last !== undefined && (side === BID ? last >= stopPrice : last <= stopPrice);
  }

  private result(status: number, reason: number, orderId: number, filled: number, remaining: number): Outcome {
    return { status, reason, orderId, filled, remaining, spent: 0, fills: [] };
  }

  // ---------------------------------------------------------------- events

  /** An event that changed no level. */
  private emit(head: number, asset: number, orderId: number, trader: number, price: number, size: number, remaining: number,
               other = 0, other2 = 0): void {
    this.events.push([head, 0, asset, orderId, trader, price, size, remaining, other, other2, 0, 0]);
  }

  /** An event that changed the level (asset, side, price): written after the change, with the level as it is now. */
  private emitAtLevel(head: number, asset: number, side: number, orderId: number, trader: number, price: number, size: number,
                      remaining: number, other = 0, other2 = 0): void {
    const level = this.orders.filter((o) => o.asset === asset && o.side === side && o.price === price);
    const levelSize = level.reduce((sum, o) => sum + o.remaining, 0);
    this.events.push([head | LEVEL, 0, asset, orderId, trader, price, size, remaining, other, other2, levelSize, level.length]);
  }

  /** A command refused about an order it names (cancel, reduce, modify): nothing of that order is revealed. */
  private refuse(trader: number, asset: number, orderId: number, reason: number, side = 0): Outcome {
    this.emit(head(REJECTED, reason, side), asset, orderId, trader, 0, 0, 0);
    return this.result(StatusCode.REJECTED, reason, orderId, 0, 0);
  }

  // ---------------------------------------------------------------- leaving the book

  private drop(order: RestingOrder): void {
    this.orders.splice(this.orders.indexOf(order), 1);
  }

  /** A resting order leaves for `reason` (with all it had left): an OCO limit leg takes its stop leg. */
  private removeResting(order: RestingOrder, reason: number): void {
    this.drop(order);
    this.emitAtLevel(head(REMOVED, reason, order.side), order.asset, order.side, order.id, order.trader, order.price, order.remaining, 0);
    if (order.oco) this.removeStopLeg(order);
  }

  /** The stop leg of an OCO limit leg that traded or left. */
  private removeStopLeg(limitLeg: RestingOrder): void {
    const stop = this.stops.find((s) => s.id === limitLeg.id + 1);
    if (stop !== undefined) this.removeStop(stop, ReasonCode.OCO_SIBLING, false);
  }

  /** A pending stop leaves for `reason`: an OCO stop leg takes its limit leg, unless that is why it leaves. */
  private removeStop(stop: PendingStop, reason: number, takeLimitLeg = true): void {
    this.stops.splice(this.stops.indexOf(stop), 1);
    this.emit(head(REMOVED, reason, stop.side) | PENDING, stop.asset, stop.id, stop.trader, shownPrice(stop), stop.size, 0);
    const limitLeg = stop.oco && takeLimitLeg ? this.orders.find((o) => o.id === stop.id - 1) : undefined;
    if (limitLeg !== undefined) this.removeResting(limitLeg, ReasonCode.OCO_SIBLING);
  }

  // ---------------------------------------------------------------- matching

  /** Walks the makers in matching order; returns what is left of `size` (with a budget: of the budget as a lot bound). */
  private take(takerId: number, trader: number, asset: number, side: number, limitPrice: number, size: number, stp: number,
               budget: number): number {
    let left = size;
    this.stoppedBySelfTrade = false;
    // The next maker in line is looked up afresh each time: one a budget filled only in part
    // stays first in line, and is met again.
    for (let maker = this.queue(asset, side ^ 1)[0]; maker !== undefined; maker = this.queue(asset, side ^ 1)[0]) {
      if (left === 0 || !this.within(side, maker.price, limitPrice)) break;
      // A maker the rest of the budget cannot pay one lot of ends matching, whoever owns it.
      let lots = Infinity;
      if (budget !== 0) {
        lots = Math.floor((budget - this.spent) / maker.price);
        if (lots * maker.price > budget - this.spent) lots--;
        if (lots === 0) { this.budgetRanOut = true; break; }
      }
      if (stp !== ALLOW && maker.trader === trader) {
        if (stp === CANCEL_TAKER) { this.stoppedBySelfTrade = true; break; }
        this.removeResting(maker, ReasonCode.SELF_TRADE);
        if (stp === CANCEL_BOTH) { this.stoppedBySelfTrade = true; break; }
        continue;
      }
      let quantity = Math.min(left, maker.remaining);
      if (budget !== 0) {
        quantity = Math.min(quantity, lots);
        this.spent += quantity * maker.price;
      }
      this.fills.push([side, asset, maker.id, takerId, maker.trader, trader, maker.price, quantity]);
      this.lastPrice.set(asset, maker.price);
      this.traded = asset;
      left -= quantity;
      maker.remaining -= quantity;
      if (maker.remaining === 0) this.drop(maker);
      this.emitAtLevel(head(FILL, 0, maker.side), asset, maker.side, maker.id, maker.trader, maker.price, quantity, maker.remaining,
        takerId, trader);
      // A limit leg that fills, in whole or in part, takes its stop leg.
      if (maker.oco) {
        maker.oco = false;
        this.removeStopLeg(maker);
      }
    }
    return left;
  }

  private fillable(trader: number, asset: number, side: number, limitPrice: number, stp: number): number {
    let sum = 0;
    for (const maker of this.queue(asset, side ^ 1)) {
      if (!this.within(side, maker.price, limitPrice)) break;
      if (stp !== ALLOW && maker.trader === trader) {
        if (stp === CANCEL_MAKER) continue;
        break;
      }
      sum += maker.remaining;
    }
    return sum;
  }

  /**
   * A limit order (new, re-entered by a modify, triggered, or an OCO limit leg) matches and may
   * rest; CAPACITY when the state it would leave is beyond a limit (then nothing of it happened:
   * the caller takes back the events it wrote since its own start, this call's included).
   */
  private enter(id: number, trader: number, asset: number, side: number, price: number, size: number,
                timestamp: number, tif: number, stp: number, oco: boolean, undo: () => void): Outcome {
    const saved = this.orders.map((o) => ({ ...o }));
    const savedStops = this.stops.map((s) => ({ ...s }));
    const fillsBefore = this.fills.length;
    const tradedBefore = this.traded;
    const lastBefore = this.lastPrice.get(asset);
    const left = this.take(id, trader, asset, side, price, size, stp, 0);
    if (left > 0 && !this.stoppedBySelfTrade && (tif === GTC || tif === POST_ONLY)) {
      this.orders.push({ id, trader, asset, side, price, remaining: left, timestamp, stp, oco: oco && left === size, seq: this.seq++ });
      if (!this.withinLimits()) {
        this.orders = saved;
        this.stops = savedStops;
        this.fills.length = fillsBefore;
        this.traded = tradedBefore;
        if (lastBefore === undefined) this.lastPrice.delete(asset);
        else this.lastPrice.set(asset, lastBefore);
        undo();
        return this.result(StatusCode.REJECTED, ReasonCode.CAPACITY, 0, 0, 0);
      }
      this.emitAtLevel(head(RESTED, 0, side), asset, side, id, trader, price, left, left);
      return this.result(StatusCode.RESTING, 0, id, size - left, left);
    }
    if (left === 0) return this.result(StatusCode.FILLED, 0, id, size, 0);
    const reason = this.stoppedBySelfTrade ? ReasonCode.SELF_TRADE : ReasonCode.IOC_REMAINDER;
    this.emit(head(REMOVED, reason, side), asset, id, trader, price, left, 0);
    return this.result(StatusCode.CANCELLED, this.stoppedBySelfTrade ? ReasonCode.SELF_TRADE : 0, id, size - left, 0);
  }

  /** A market order (new, announced by its accepted event, or a triggered stop-market) matches, and its rest is cancelled. */
  private market(id: number, trader: number, asset: number, side: number, size: number, budget: number, protection: number,
                 stp: number, clientOrderId: number, announce: boolean): Outcome {
    if (announce) {
      this.emit(described(ACCEPTED, 0, side, OrderTypeCode.MARKET, IOC, stp), asset, id, trader, protection, size, size, clientOrderId, budget);
    }
    this.spent = 0;
    this.budgetRanOut = false;
    const bound = budget !== 0 ? budget : size;
    const left = this.take(id, trader, asset, side, protection || (side === BID ? Infinity : -Infinity), bound, stp, budget);
    const filled = bound - left;
    // What a budget order leaves is budget, not lots: its removal's size is 0.
    const unfilled = budget !== 0 ? 0 : left;
    let outcome: Outcome;
    if (this.stoppedBySelfTrade) {
      this.emit(head(REMOVED, ReasonCode.SELF_TRADE, side), asset, id, trader, protection, unfilled, 0);
      outcome = this.result(StatusCode.CANCELLED, ReasonCode.SELF_TRADE, id, filled, 0);
    } else if (left === 0 || (this.budgetRanOut && filled !== 0) || (budget !== 0 && this.spent === budget)) {
      outcome = this.result(StatusCode.FILLED, 0, id, filled, 0);
    } else {
      this.emit(head(REMOVED, ReasonCode.MARKET_REMAINDER, side), asset, id, trader, protection, unfilled, 0);
      outcome = this.result(StatusCode.CANCELLED, 0, id, filled, 0);
    }
    outcome.spent = this.spent;
    return outcome;
  }

  // ---------------------------------------------------------------- stops

  /** After a command that traded: enters, one at a time, every stop the last trade price triggers. */
  private runTriggers(timestamp: number): void {
    while (this.traded !== -1) {
      const asset = this.traded;
      const buy = this.stopQueue(asset, BID)[0];
      const sell = this.stopQueue(asset, 1)[0];
      const stop = buy !== undefined && this.triggers(BID, buy.stopPrice, asset) ? buy
        : sell !== undefined && this.triggers(1, sell.stopPrice, asset) ? sell : undefined;
      if (stop === undefined) break;
      this.stops.splice(this.stops.indexOf(stop), 1);
      this.emit(described(TRIGGERED, 0, stop.side, stopType(stop), stop.tif, stop.stp), asset, stop.id, stop.trader, shownPrice(stop),
        stop.size, stop.size, stop.stopPrice, this.lastPrice.get(asset));
      const limitLeg = stop.oco ? this.orders.find((o) => o.id === stop.id - 1) : undefined;
      if (limitLeg !== undefined) this.removeResting(limitLeg, ReasonCode.OCO_SIBLING);
      if (stop.price === 0) {
        this.market(stop.id, stop.trader, asset, stop.side, stop.size, 0, stop.protectionPrice, stop.stp, 0, false);
        continue;
      }
      // A triggered stop-limit that cannot enter is removed with the reason a new order would be rejected for.
      const cannotEnter = (reason: number) => this.emit(head(REMOVED, reason, stop.side), asset, stop.id, stop.trader, stop.price, stop.size, 0);
      const best = this.queue(asset, stop.side ^ 1)[0];
      if (stop.tif === POST_ONLY && best !== undefined && this.within(stop.side, best.price, stop.price)) { cannotEnter(ReasonCode.WOULD_CROSS); continue; }
      if (stop.tif === FOK && this.fillable(stop.trader, asset, stop.side, stop.price, stop.stp) < stop.size) { cannotEnter(ReasonCode.CANNOT_FILL); continue; }
      const mark = this.events.length;
      const entered = this.enter(stop.id, stop.trader, asset, stop.side, stop.price, stop.size, timestamp, stop.tif, stop.stp, false, () => undefined);
      if (entered.reason === ReasonCode.CAPACITY) {
        this.events.length = mark;
        cannotEnter(ReasonCode.CAPACITY);
      }
    }
  }

  /** Runs one command: its outcome, then the trigger cascade its trades start. */
  private command(timestamp: number, run: () => Outcome): ModelOutcome {
    this.fills = [];
    this.events = [];
    this.traded = -1;
    const outcome = run();
    this.runTriggers(timestamp);
    return { ...outcome, fills: this.fills.map((f) => [f[2], f[4], f[6], f[7]]), fillRecords: this.fills, events: this.events };
  }

  // ---------------------------------------------------------------- the commands

  placeLimit(trader: number, asset: number, side: number, price: number, size: number, timestamp: number, tif: number,
             stp: number, clientOrderId = 0): ModelOutcome {
    return this.command(timestamp, () => {
      const reject = (reason: number): Outcome => {
        this.emit(described(REJECTED, reason, side, OrderTypeCode.LIMIT, tif, stp), asset, 0, trader, price, size, 0, clientOrderId);
        return this.result(StatusCode.REJECTED, reason, 0, 0, 0);
      };
      const best = this.queue(asset, side ^ 1)[0];
      if (tif === POST_ONLY && best && this.within(side, best.price, price)) return reject(ReasonCode.WOULD_CROSS);
      if (tif === FOK && this.fillable(trader, asset, side, price, stp) < size) return reject(ReasonCode.CANNOT_FILL);
      const id = this.nextOrderId++;
      this.emit(described(ACCEPTED, 0, side, OrderTypeCode.LIMIT, tif, stp), asset, id, trader, price, size, size, clientOrderId);
      const outcome = this.enter(id, trader, asset, side, price, size, timestamp, tif, stp, false, () => { this.nextOrderId--; });
      if (outcome.reason !== ReasonCode.CAPACITY) return outcome;
      this.events = [];
      return reject(ReasonCode.CAPACITY);
    });
  }

  placeMarket(trader: number, asset: number, side: number, size: number, budget: number, timestamp: number, protection: number,
              stp: number, clientOrderId = 0): ModelOutcome {
    return this.command(timestamp, () => this.market(this.nextOrderId++, trader, asset, side, size, budget, protection, stp, clientOrderId, true));
  }

  placeStop(trader: number, asset: number, side: number, size: number, stopPrice: number, price: number, protectionPrice: number,
            timestamp: number, tif: number, stp: number, clientOrderId = 0): ModelOutcome {
    return this.command(timestamp, () => {
      const stop: PendingStop = { id: 0, trader, asset, side, size, timestamp, stp, oco: false, stopPrice, price, protectionPrice, tif };
      const about = (kind: number, reason: number) => described(kind, reason, side, stopType(stop), tif, stp) | PENDING;
      const reason = this.triggers(side, stopPrice, asset) ? ReasonCode.WOULD_TRIGGER
        : this.orders.length + this.stops.length >= (this.limits.maxOrders ?? Infinity) ? ReasonCode.CAPACITY : 0;
      if (reason !== 0) {
        this.emit(about(REJECTED, reason), asset, 0, trader, shownPrice(stop), size, 0, clientOrderId, stopPrice);
        return this.result(StatusCode.REJECTED, reason, 0, 0, 0);
      }
      stop.id = this.nextOrderId++;
      this.stops.push(stop);
      this.emit(about(ACCEPTED, 0), asset, stop.id, trader, shownPrice(stop), size, size, clientOrderId, stopPrice);
      return this.result(StatusCode.PENDING, 0, stop.id, 0, size);
    });
  }

  placeOco(trader: number, asset: number, side: number, size: number, price: number, stopPrice: number, stopLimitPrice: number,
           timestamp: number, stp: number, clientOrderId = 0): ModelOutcome {
    return this.command(timestamp, () => {
      const limitHead = (kind: number, reason: number) => described(kind, reason, side, OrderTypeCode.LIMIT, GTC, stp) | OCO;
      const best = this.queue(asset, side ^ 1)[0];
      const crosses = best !== undefined && this.within(side, best.price, price);
      const needsLevel = !crosses && !this.orders.some((o) => o.asset === asset && o.side === side && o.price === price);
      const reason = this.triggers(side, stopPrice, asset) ? ReasonCode.WOULD_TRIGGER
        : this.orders.length + this.stops.length + 2 > (this.limits.maxOrders ?? Infinity) ||
          (needsLevel && this.levelCount() >= (this.limits.maxLevels ?? Infinity)) ? ReasonCode.CAPACITY : 0;
      if (reason !== 0) {
        this.emit(limitHead(REJECTED, reason), asset, 0, trader, price, size, 0, clientOrderId, stopPrice);
        return this.result(StatusCode.REJECTED, reason, 0, 0, 0);
      }
      const id = this.nextOrderId;
      this.nextOrderId += 2;
      const stop: PendingStop = { id: id + 1, trader, asset, side, size, timestamp, stp, oco: true, stopPrice, price: stopLimitPrice, protectionPrice: 0, tif: GTC };
      this.emit(limitHead(ACCEPTED, 0), asset, id, trader, price, size, size, clientOrderId, stopPrice);
      this.emit(described(ACCEPTED, 0, side, stopType(stop), GTC, stp) | OCO | PENDING, asset, stop.id, trader, stopLimitPrice, size, size, 0, stopPrice);
      const limitLeg = this.enter(id, trader, asset, side, price, size, timestamp, GTC, stp, true, () => undefined);
      if (limitLeg.status === StatusCode.RESTING && limitLeg.filled === 0) this.stops.push(stop);
      else this.emit(head(REMOVED, ReasonCode.OCO_SIBLING, side) | PENDING, asset, stop.id, trader, stopLimitPrice, size, 0);
      return limitLeg;
    });
  }

  private owned(trader: number, asset: number, orderId: number): RestingOrder | PendingStop | Outcome {
    const order = this.orders.find((o) => o.id === orderId && o.asset === asset) ?? this.stops.find((s) => s.id === orderId && s.asset === asset);
    if (!order) return this.refuse(trader, asset, orderId, ReasonCode.UNKNOWN_ORDER);
    if (order.trader !== trader) return this.refuse(trader, asset, orderId, ReasonCode.NOT_OWNER);
    return order;
  }

  cancel(trader: number, asset: number, orderId: number): ModelOutcome {
    return this.command(0, () => {
      const order = this.owned(trader, asset, orderId);
      if ('status' in order) return order;
      if ('stopPrice' in order) this.removeStop(order, ReasonCode.CANCELLED_BY_USER);
      else this.removeResting(order, ReasonCode.CANCELLED_BY_USER);
      return this.result(StatusCode.OK, 0, orderId, 0, 0);
    });
  }

  reduce(trader: number, asset: number, orderId: number, by: number): ModelOutcome {
    return this.command(0, () => {
      const order = this.owned(trader, asset, orderId);
      if ('status' in order) return order;
      if ('stopPrice' in order) {
        if (by < order.size) {
          order.size -= by;
          this.emit(head(REDUCED, 0, order.side) | PENDING, asset, orderId, trader, shownPrice(order), by, order.size);
          return this.result(StatusCode.OK, 0, orderId, 0, order.size);
        }
        this.removeStop(order, ReasonCode.REDUCED_TO_ZERO);
        return this.result(StatusCode.OK, 0, orderId, 0, 0);
      }
      if (by < order.remaining) {
        order.remaining -= by;
        this.emitAtLevel(head(REDUCED, 0, order.side), asset, order.side, orderId, trader, order.price, by, order.remaining);
        return this.result(StatusCode.OK, 0, orderId, 0, order.remaining);
      }
      this.removeResting(order, ReasonCode.REDUCED_TO_ZERO);
      return this.result(StatusCode.OK, 0, orderId, 0, 0);
    });
  }

  modify(trader: number, asset: number, orderId: number, price: number, size: number, timestamp: number): ModelOutcome {
    return this.command(timestamp, () => {
      const order = this.owned(trader, asset, orderId);
      if ('status' in order) return order;
      if ('stopPrice' in order) return this.refuse(trader, asset, orderId, ReasonCode.NOT_MODIFIABLE, order.side);
      const newPrice = price || order.price;
      const newSize = size || order.remaining;
      const before = order.remaining;
      if (newPrice === order.price && newSize <= before) {
        order.remaining = newSize;
        // Nothing changed: no level either.
        if (newSize === before) this.emit(head(MODIFIED, 0, order.side), asset, orderId, trader, order.price, before, newSize, newPrice);
        else this.emitAtLevel(head(MODIFIED, 0, order.side), asset, order.side, orderId, trader, order.price, before, newSize, newPrice);
        return this.result(StatusCode.RESTING, 0, orderId, 0, newSize);
      }
      const saved = this.orders.map((o) => ({ ...o }));
      this.drop(order);
      this.emitAtLevel(head(MODIFIED, 0, order.side) | PRIORITY_LOST, asset, order.side, orderId, trader, order.price, before, newSize, newPrice);
      const result = this.enter(orderId, trader, asset, order.side, newPrice, newSize, timestamp, GTC, order.stp, order.oco, () => { this.orders = saved; });
      if (result.reason === ReasonCode.CAPACITY) {
        this.events = [];
        return this.refuse(trader, asset, orderId, ReasonCode.CAPACITY);
      }
      // The limit leg of an OCO pair that traded or left here takes its stop leg with it.
      if (order.oco && !(result.status === StatusCode.RESTING && result.filled === 0)) this.removeStopLeg(order);
      return result;
    });
  }

  cancelAll(trader: number, asset: number | undefined): ModelOutcome {
    return this.command(0, () => {
      const assets = [...new Set([...this.orders, ...this.stops].map((o) => o.asset))].sort((a, b) => a - b)
        .filter((a) => asset === undefined || a === asset);
      let cancelled = 0;
      for (const a of assets) {
        for (const side of [BID, 1]) {
          for (const o of this.queue(a, side)) if (o.trader === trader) { cancelled += o.oco ? 2 : 1; this.removeResting(o, ReasonCode.CANCELLED_BY_USER); }
        }
        for (const side of [BID, 1]) {
          for (const s of this.stopQueue(a, side)) if (s.trader === trader && !s.oco) { cancelled++; this.removeStop(s, ReasonCode.CANCELLED_BY_USER); }
        }
      }
      return this.result(StatusCode.OK, 0, 0, cancelled, 0);
    });
  }
}
