// The reference model: docs/semantics.md written as plainly as it can be, with no data structure
// worth the name (every look at a book filters and sorts an array, capacity is judged on the state
// an order leaves behind), so that it is easy to believe and shares no code and no design with
// the cores. test/three-way.test.ts runs it beside the TypeScript and the WebAssembly core.
//
// It speaks the cores' numeric interface (src/core.ts): codes from src/codes.ts, and order rows
// in the ORDER_SLOTS layout of listOrders().
import { OrderTypeCode, ReasonCode, SideCode, StatusCode, StpCode, TifCode } from '../../src/codes.js';
import type { CoreLimits } from '../../src/core.js';

const BID = SideCode.BID;
const { GTC, FOK, POST_ONLY } = TifCode;
const { ALLOW, CANCEL_TAKER, CANCEL_MAKER, CANCEL_BOTH } = StpCode;

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

export class ReferenceModel {
  orders: RestingOrder[] = [];
  stops: PendingStop[] = [];
  nextOrderId = 1;
  private readonly lastPrice = new Map<number, number>();
  private seq = 0;
  /** The fills of the current command, triggered stops' included. */
  private fills: number[][] = [];
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
    const pending = [...this.stopQueue(asset, BID), ...this.stopQueue(asset, 1)].map((s) => {
      const type = s.price !== 0 ? OrderTypeCode.STOP_LIMIT : OrderTypeCode.STOP_MARKET;
      return [s.id, s.asset, s.side, s.price !== 0 ? s.price : s.protectionPrice, s.trader, s.size, s.timestamp, s.stp,
        s.stopPrice, type | (s.tif << 2), s.oco ? s.id - 1 : 0];
    });
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
    return { status, reason, orderId, filled, remaining, spent: 0, fills: this.fills };
  }

  // ---------------------------------------------------------------- leaving the book

  private drop(order: RestingOrder): void {
    this.orders.splice(this.orders.indexOf(order), 1);
  }

  /** A resting order leaves (filled, cancelled, removed): an OCO limit leg takes its stop leg. */
  private leave(order: RestingOrder): void {
    this.drop(order);
    if (order.oco) this.stops = this.stops.filter((s) => s.id !== order.id + 1);
  }

  /** A pending stop leaves (cancelled, reduced away): an OCO stop leg takes its limit leg. */
  private leaveStop(stop: PendingStop): void {
    this.stops.splice(this.stops.indexOf(stop), 1);
    if (stop.oco) this.orders = this.orders.filter((o) => o.id !== stop.id - 1);
  }

  // ---------------------------------------------------------------- matching

  /** Walks the makers in matching order; returns what is left of `size` (with a budget: of the budget as a lot bound). */
  private take(trader: number, asset: number, side: number, limitPrice: number, size: number, stp: number, budget: number): number {
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
        this.leave(maker);
        if (stp === CANCEL_BOTH) { this.stoppedBySelfTrade = true; break; }
        continue;
      }
      let quantity = Math.min(left, maker.remaining);
      if (budget !== 0) {
        quantity = Math.min(quantity, lots);
        this.spent += quantity * maker.price;
      }
      this.fills.push([maker.id, maker.trader, maker.price, quantity]);
      this.lastPrice.set(asset, maker.price);
      this.traded = asset;
      left -= quantity;
      maker.remaining -= quantity;
      if (maker.remaining === 0) {
        this.leave(maker);
      } else if (maker.oco) {
        maker.oco = false;
        this.stops = this.stops.filter((s) => s.id !== maker.id + 1);
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
   * rest; CAPACITY when the state it would leave is beyond a limit (then nothing of it happened).
   */
  private enter(id: number, trader: number, asset: number, side: number, price: number, size: number,
                timestamp: number, tif: number, stp: number, oco: boolean, undo: () => void): Outcome {
    const saved = this.orders.map((o) => ({ ...o }));
    const savedStops = this.stops.map((s) => ({ ...s }));
    const fillsBefore = this.fills.length;
    const tradedBefore = this.traded;
    const lastBefore = this.lastPrice.get(asset);
    const left = this.take(trader, asset, side, price, size, stp, 0);
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
      return this.result(StatusCode.RESTING, 0, id, size - left, left);
    }
    if (left === 0) return this.result(StatusCode.FILLED, 0, id, size, 0);
    return this.result(StatusCode.CANCELLED, this.stoppedBySelfTrade ? ReasonCode.SELF_TRADE : 0, id, size - left, 0);
  }

  private market(id: number, trader: number, asset: number, side: number, size: number, budget: number, protection: number,
                 stp: number): Outcome {
    this.spent = 0;
    this.budgetRanOut = false;
    const bound = budget !== 0 ? budget : size;
    const left = this.take(trader, asset, side, protection || (side === BID ? Infinity : -Infinity), bound, stp, budget);
    const filled = bound - left;
    let outcome: Outcome;
    if (this.stoppedBySelfTrade) outcome = this.result(StatusCode.CANCELLED, ReasonCode.SELF_TRADE, id, filled, 0);
    else if (left === 0 || (this.budgetRanOut && filled !== 0) || (budget !== 0 && this.spent === budget)) outcome = this.result(StatusCode.FILLED, 0, id, filled, 0);
    else outcome = this.result(StatusCode.CANCELLED, 0, id, filled, 0);
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
      if (stop.oco) this.orders = this.orders.filter((o) => o.id !== stop.id - 1);
      if (stop.price === 0) {
        this.market(stop.id, stop.trader, asset, stop.side, stop.size, 0, stop.protectionPrice, stop.stp);
        continue;
      }
      const best = this.queue(asset, stop.side ^ 1)[0];
      if (stop.tif === POST_ONLY && best !== undefined && this.within(stop.side, best.price, stop.price)) continue;
      if (stop.tif === FOK && this.fillable(stop.trader, asset, stop.side, stop.price, stop.stp) < stop.size) continue;
      this.enter(stop.id, stop.trader, asset, stop.side, stop.price, stop.size, timestamp, stop.tif, stop.stp, false, () => undefined);
    }
  }

  /** Runs one command: its outcome, then the trigger cascade its trades start. */
  private command(timestamp: number, run: () => Outcome): Outcome {
    this.fills = [];
    this.traded = -1;
    const outcome = run();
    this.runTriggers(timestamp);
    outcome.fills = this.fills;
    return outcome;
  }

  // ---------------------------------------------------------------- the commands

  placeLimit(trader: number, asset: number, side: number, price: number, size: number, timestamp: number, tif: number,
             stp: number): Outcome {
    return this.command(timestamp, () => {
      const best = this.queue(asset, side ^ 1)[0];
      if (tif === POST_ONLY && best && this.within(side, best.price, price)) return this.result(StatusCode.REJECTED, ReasonCode.WOULD_CROSS, 0, 0, 0);
      if (tif === FOK && this.fillable(trader, asset, side, price, stp) < size) return this.result(StatusCode.REJECTED, ReasonCode.CANNOT_FILL, 0, 0, 0);
      const id = this.nextOrderId++;
      return this.enter(id, trader, asset, side, price, size, timestamp, tif, stp, false, () => { this.nextOrderId--; });
    });
  }

  placeMarket(trader: number, asset: number, side: number, size: number, budget: number, timestamp: number, protection: number,
              stp: number): Outcome {
    return this.command(timestamp, () => this.market(this.nextOrderId++, trader, asset, side, size, budget, protection, stp));
  }

  placeStop(trader: number, asset: number, side: number, size: number, stopPrice: number, price: number, protectionPrice: number,
            timestamp: number, tif: number, stp: number): Outcome {
    return this.command(timestamp, () => {
      if (this.triggers(side, stopPrice, asset)) return this.result(StatusCode.REJECTED, ReasonCode.WOULD_TRIGGER, 0, 0, 0);
      if (this.orders.length + this.stops.length >= (this.limits.maxOrders ?? Infinity)) {
        return this.result(StatusCode.REJECTED, ReasonCode.CAPACITY, 0, 0, 0);
      }
      const id = this.nextOrderId++;
      this.stops.push({ id, trader, asset, side, size, timestamp, stp, oco: false, stopPrice, price, protectionPrice, tif });
      return this.result(StatusCode.PENDING, 0, id, 0, size);
    });
  }

  placeOco(trader: number, asset: number, side: number, size: number, price: number, stopPrice: number, stopLimitPrice: number,
           timestamp: number, stp: number): Outcome {
    return this.command(timestamp, () => {
      if (this.triggers(side, stopPrice, asset)) return this.result(StatusCode.REJECTED, ReasonCode.WOULD_TRIGGER, 0, 0, 0);
      const best = this.queue(asset, side ^ 1)[0];
      const crosses = best !== undefined && this.within(side, best.price, price);
      const needsLevel = !crosses && !this.orders.some((o) => o.asset === asset && o.side === side && o.price === price);
      if (this.orders.length + this.stops.length + 2 > (this.limits.maxOrders ?? Infinity) ||
          (needsLevel && this.levelCount() >= (this.limits.maxLevels ?? Infinity))) {
        return this.result(StatusCode.REJECTED, ReasonCode.CAPACITY, 0, 0, 0);
      }
      const id = this.nextOrderId;
      this.nextOrderId += 2;
      const limitLeg = this.enter(id, trader, asset, side, price, size, timestamp, GTC, stp, true, () => undefined);
      if (limitLeg.status === StatusCode.RESTING && limitLeg.filled === 0) {
        this.stops.push({ id: id + 1, trader, asset, side, size, timestamp, stp, oco: true, stopPrice, price: stopLimitPrice, protectionPrice: 0, tif: GTC });
      }
      return limitLeg;
    });
  }

  private owned(trader: number, asset: number, orderId: number): RestingOrder | PendingStop | Outcome {
    const order = this.orders.find((o) => o.id === orderId && o.asset === asset) ?? this.stops.find((s) => s.id === orderId && s.asset === asset);
    if (!order) return this.result(StatusCode.REJECTED, ReasonCode.UNKNOWN_ORDER, orderId, 0, 0);
    if (order.trader !== trader) return this.result(StatusCode.REJECTED, ReasonCode.NOT_OWNER, orderId, 0, 0);
    return order;
  }

  cancel(trader: number, asset: number, orderId: number): Outcome {
    return this.command(0, () => {
      const order = this.owned(trader, asset, orderId);
      if ('status' in order) return order;
      if ('stopPrice' in order) this.leaveStop(order);
      else this.leave(order);
      return this.result(StatusCode.OK, 0, orderId, 0, 0);
    });
  }

  reduce(trader: number, asset: number, orderId: number, by: number): Outcome {
    return this.command(0, () => {
      const order = this.owned(trader, asset, orderId);
      if ('status' in order) return order;
      if ('stopPrice' in order) {
        if (by < order.size) {
          order.size -= by;
          return this.result(StatusCode.OK, 0, orderId, 0, order.size);
        }
        this.leaveStop(order);
        return this.result(StatusCode.OK, 0, orderId, 0, 0);
      }
      if (by < order.remaining) {
        order.remaining -= by;
        return this.result(StatusCode.OK, 0, orderId, 0, order.remaining);
      }
      this.leave(order);
      return this.result(StatusCode.OK, 0, orderId, 0, 0);
    });
  }

  modify(trader: number, asset: number, orderId: number, price: number, size: number, timestamp: number): Outcome {
    return this.command(timestamp, () => {
      const order = this.owned(trader, asset, orderId);
      if ('status' in order) return order;
      if ('stopPrice' in order) return this.result(StatusCode.REJECTED, ReasonCode.NOT_MODIFIABLE, orderId, 0, 0);
      const newPrice = price || order.price;
      const newSize = size || order.remaining;
      if (newPrice === order.price && newSize <= order.remaining) {
        order.remaining = newSize;
        return this.result(StatusCode.RESTING, 0, orderId, 0, newSize);
      }
      const saved = this.orders.map((o) => ({ ...o }));
      this.drop(order);
      const result = this.enter(orderId, trader, asset, order.side, newPrice, newSize, timestamp, GTC, order.stp, order.oco, () => { this.orders = saved; });
      if (result.reason === ReasonCode.CAPACITY) {
        result.orderId = orderId;
        return result;
      }
      // The limit leg of an OCO pair that traded or left here takes its stop leg with it.
      if (order.oco && !(result.status === StatusCode.RESTING && result.filled === 0)) this.stops = this.stops.filter((s) => s.id !== orderId + 1);
      return result;
    });
  }

  cancelAll(trader: number, asset: number | undefined): Outcome {
    return this.command(0, () => {
      const assets = [...new Set([...this.orders, ...this.stops].map((o) => o.asset))].sort((a, b) => a - b)
        .filter((a) => asset === undefined || a === asset);
      let cancelled = 0;
      for (const a of assets) {
        for (const side of [BID, 1]) for (const o of this.queue(a, side)) if (o.trader === trader) { cancelled += o.oco ? 2 : 1; this.leave(o); }
        for (const side of [BID, 1]) for (const s of this.stopQueue(a, side)) if (s.trader === trader && !s.oco) { cancelled++; this.leaveStop(s); }
      }
      return this.result(StatusCode.OK, 0, 0, cancelled, 0);
    });
  }
}

