// Stop, stop-limit and OCO orders: placing them, and the trigger cascade (mirrors assembly/stops.ts).
//
// A stop waits off the book (pending.ts) until its asset's last trade price reaches its stop
// price; it is checked against the price when placed (a stop that would trigger at once is
// rejected WOULD_TRIGGER; before the asset's first trade nothing triggers). After every command
// that traded, runTriggers enters the stops that price now triggers, one at a time, as takers
// through the same placements as any order (matching.ts) with their own ids and the command's
// timestamp; their trades move the price again and may trigger more, to the end of the cascade.
// An OCO pair is a limit leg (id N) and a stop leg (id N + 1) that leave together (resting.ts).
import { EventCode, No, OrderTypeCode, ReasonCode, Slots, StatusCode, TifCode } from './codes.js';
import { bookSide } from './books.js';
import type { CoreState } from './core-state.js';
import { OCO, PENDING, acceptedHead, eventHead } from './events.js';
import { keyOf } from './levels.js';
import type { Limits, Matching } from './matching.js';
import { OrderIds, writeResult } from './matching.js';
import { createIndexedOrder } from './order-index.js';
import { OCO_LEG, clearOrderOcoLeg, orderIsOcoLeg, orderStp } from './orders.js';
import {
  addPending, forgetPending, nextTriggered, stopLimitPrice, stopPrice, stopProtectionPrice, stopSide, stopTif, triggers,
} from './pending.js';
import { removeLimitLeg } from './resting.js';

function stopType(price: number): number {
  return price !== 0 ? OrderTypeCode.STOP_LIMIT : OrderTypeCode.STOP_MARKET;
}

export class Stops {
  /** A triggered order's own outcome goes here: the command's result is the triggering command's. */
  private readonly triggeredResult = new Float64Array(Slots.RESULT);

  constructor(private readonly matching: Matching, private readonly limits: Limits) {}

  private get state(): CoreState {
    return this.matching.state;
  }

  /**
   * A stop order: price 0 makes it a stop-market (with an optional protection price), a price a
   * stop-limit (with its time in force). Pending until triggered; result status PENDING.
   */
  placeStop(out: Float64Array, at: number, trader: number, asset: number, side: number, size: number, stop: number,
            price: number, protectionPrice: number, timestamp: number, tif: number, stp: number, clientOrderId: number): void {
    const state = this.state;
    const type = stopType(price);
    const shownPrice = price !== 0 ? price : protectionPrice;
    let book = state.books.findBook(asset);
    if (book !== No.SLOT && triggers(side, stop, state.books.lastPrice[book])) {
      return this.matching.rejectOrder(out, at, ReasonCode.WOULD_TRIGGER, trader, asset, side, type, tif, stp, shownPrice, size,
        clientOrderId, stop, 0);
    }
    if (!(state.orders.live < this.limits.maxOrders && state.nextOrderId <= OrderIds.LAST)) {
      return this.matching.rejectOrder(out, at, ReasonCode.CAPACITY, trader, asset, side, type, tif, stp, shownPrice, size,
        clientOrderId, stop, 0);
    }
    if (book === No.SLOT) book = state.books.findOrCreateBook(asset, state.levels);
    const id = state.nextOrderId++;
    state.events.writeEvent(acceptedHead(EventCode.ACCEPTED, side, type, tif, stp) | PENDING, asset, id, trader, shownPrice, size, size,
      clientOrderId, stop);
    const order = createIndexedOrder(state.orders, state.index, id, size, timestamp, trader, stp);
    addPending(state, order, book, side, stop, price, protectionPrice, tif);
    writeResult(out, at, StatusCode.PENDING, ReasonCode.NONE, id, 0, size);
  }

  /**
   * An OCO pair: a GTC limit leg at `price` (id N, placed like any limit order, so it may take at
   * once) and a stop leg at `stop` (id N + 1; a stop-limit at `stopLimitPrice`, 0: a stop-market).
   * The result is the limit leg's; the stop leg stays pending only if the limit leg rests untouched.
   */
  placeOco(out: Float64Array, at: number, command: number, trader: number, asset: number, side: number, size: number,
           price: number, stop: number, stopLimitPrice: number, timestamp: number, stp: number, clientOrderId: number): void {
    const state = this.state;
    let book = state.books.findBook(asset);
    if (book !== No.SLOT && triggers(side, stop, state.books.lastPrice[book])) {
      return this.rejectPair(out, at, ReasonCode.WOULD_TRIGGER, trader, asset, side, stp, price, size, clientOrderId, stop);
    }
    // Room for both legs; and for the limit leg's level, unless it takes (then it frees what it uses).
    const levels = state.levels;
    const crosses = book !== No.SLOT && levels.bestKey(bookSide(book, side ^ 1)) >= keyOf(side ^ 1, price);
    const needsLevel = !crosses && (book === No.SLOT || levels.findLevel(bookSide(book, side), price) === No.SLOT);
    if (!(state.orders.live + 2 <= this.limits.maxOrders && state.nextOrderId + 1 <= OrderIds.LAST && (!needsLevel || levels.live < this.limits.maxLevels))) {
      return this.rejectPair(out, at, ReasonCode.CAPACITY, trader, asset, side, stp, price, size, clientOrderId, stop);
    }
    if (book === No.SLOT) book = state.books.findOrCreateBook(asset, levels);
    const id = state.nextOrderId;
    state.nextOrderId = id + 2;
    const events = state.events;
    events.writeEvent(acceptedHead(EventCode.ACCEPTED, side, OrderTypeCode.LIMIT, TifCode.GTC, stp) | OCO, asset, id, trader, price,
      size, size, clientOrderId, stop);
    events.writeEvent(acceptedHead(EventCode.ACCEPTED, side, stopType(stopLimitPrice), TifCode.GTC, stp) | OCO | PENDING, asset, id + 1,
      trader, stopLimitPrice, size, size, 0, stop);
    // The stop leg's slot is held (indexed, on no list) while the limit leg is placed.
    const stopLeg = createIndexedOrder(state.orders, state.index, id + 1, size, timestamp, trader, stp | OCO_LEG);
    state.orders.level[stopLeg] = No.SLOT;
    this.matching.placeLimitGeneral(out, at, command, trader, asset, side, price, size, timestamp, TifCode.GTC, stp,
      clientOrderId, id, OCO_LEG);
    if ((out[at] & 15) === StatusCode.RESTING && out[at + 2] === 0) {
      addPending(state, stopLeg, book, side, stop, stopLimitPrice, 0, TifCode.GTC);
      return;
    }
    // The limit leg traded or left: the stop leg never waits. A limit leg resting after a
    // partial fill is no longer half of a pair.
    events.writeEvent(eventHead(EventCode.REMOVED, ReasonCode.OCO_SIBLING, side) | PENDING, asset, id + 1, trader, stopLimitPrice, size,
      0, 0, 0);
    state.index.delete(id + 1);
    state.orders.giveOrder(stopLeg);
    const limitLeg = state.index.get(id);
    if (limitLeg !== No.SLOT) clearOrderOcoLeg(state.orders, limitLeg);
  }

  /** A rejected OCO pair: one REJECTED event for the pair (the limit leg's, with the OCO bit and the stop price). */
  private rejectPair(out: Float64Array, at: number, reason: number, trader: number, asset: number, side: number, stp: number,
                     price: number, size: number, clientOrderId: number, stop: number): void {
    writeResult(out, at, StatusCode.REJECTED, reason, 0, 0, 0);
    this.state.events.writeEvent(acceptedHead(EventCode.REJECTED, side, OrderTypeCode.LIMIT, TifCode.GTC, stp) | OCO | (reason << 4),
      asset, 0, trader, price, size, 0, clientOrderId, stop);
  }

  /**
   * After a command: if it traded, enters every stop its book's last trade price now triggers,
   * one at a time (buys before sells, each side in trigger order), until none is left to trigger.
   * `command` and `timestamp` are the triggering command's; the triggered orders' fills and
   * events are the command's too.
   */
  runTriggers(command: number, timestamp: number): void {
    const book = this.matching.takeTradedBook();
    if (book === No.SLOT) return;
    const state = this.state;
    for (;;) {
      const stop = nextTriggered(state, book, state.books.lastPrice[book]);
      if (stop === No.SLOT) break;
      this.triggerStop(stop, book, command, timestamp);
    }
    this.matching.takeTradedBook();
  }

  /** Enters one triggered stop. */
  private triggerStop(stop: number, book: number, command: number, timestamp: number): void {
    const state = this.state;
    const orders = state.orders;
    const id = orders.id[stop];
    const size = orders.remaining[stop];
    const trader = orders.trader[stop];
    const stp = orderStp(orders, stop);
    const oco = orderIsOcoLeg(orders, stop);
    const side = stopSide(state, stop);
    const tif = stopTif(state, stop);
    const trigger = stopPrice(state, stop);
    const price = stopLimitPrice(state, stop);
    const protectionPrice = stopProtectionPrice(state, stop);
    const asset = state.books.asset[book];
    forgetPending(state, stop);
    state.events.writeEvent(acceptedHead(EventCode.TRIGGERED, side, stopType(price), tif, stp), asset, id, trader,
      price !== 0 ? price : protectionPrice, size, size, trigger, state.books.lastPrice[book]);
    if (oco) removeLimitLeg(state, id - 1, asset);
    if (price !== 0) {
      this.matching.placeLimitGeneral(this.triggeredResult, 0, command, trader, asset, side, price, size, timestamp, tif, stp, 0, id, 0);
    } else {
      this.matching.placeMarket(this.triggeredResult, 0, command, trader, asset, side, size, 0, protectionPrice, stp, 0, id);
    }
  }
}
