// Stop, stop-limit and OCO orders: placing them, and the trigger cascade.
//
// A stop waits off the book (pending.ts) until its asset's last trade price reaches its stop
// price; it is checked against the price when placed (a stop that would trigger at once is
// rejected WOULD_TRIGGER; before the asset's first trade nothing triggers). After every command
// that traded, runTriggers enters the stops that price now triggers, one at a time, as takers
// through the same placements as any order (matching.ts) with their own ids and the command's
// timestamp; their trades move the price again and may trigger more, to the end of the cascade
// (or to the first stop memory cannot report: triggerStop).
// An OCO pair is a limit leg (id N) and a stop leg (id N + 1) that leave together (resting.ts).
import {
  EVENT_ACCEPTED, EVENT_REJECTED, EVENT_REMOVED, EVENT_TRIGGERED, ORDER_TYPE_LIMIT, ORDER_TYPE_STOP_LIMIT,
  ORDER_TYPE_STOP_MARKET, REASON_CAPACITY, REASON_NONE, REASON_OCO_SIBLING, REASON_WOULD_TRIGGER, STATUS_PENDING,
  STATUS_REJECTED, STATUS_RESTING, TIF_GTC,
} from './codes';
import {
  OCO_LEG, clearOrderOcoLeg, giveOrder, orderId, orderIsOcoLeg, orderRemaining, orderStp, orderTraderIndex,
  reserveOrder, reserveTwoOrders, setOrderLevel, setOrderNext,
} from './orders';
import { bookAsset, bookLastPrice, bookSide, bookStops, findBook, findOrCreateBook } from './books';
import { bestKey, findLevel, keyOf } from './levels';
import { createIndexedOrder, findOrderRecord, removeOrderRecord, reserveIndexEntry, reserveTwoIndexEntries } from './order-index';
import { internTrader, traderValue, NO_TRADER } from './traders';
import {
  addPending, forgetPending, nextTriggered, reservePending, stopLimitPrice, stopPrice, stopProtectionPrice, stopSide,
  stopTif, triggers,
} from './pending';
import { levelsInUse, removeLimitLeg } from './resting';
import { acceptedHead, eventHead, OCO, PENDING, reserveEvents, writeEvent } from './events';
import { LAST_ORDER_ID, maxLevels, maxOrders } from './limits';
import {
  nextOrderId, noteMemoryRefusal, openOrders, OWN_EVENTS, placeLimitGeneral, placeMarket, refuse, reserveGtcLimit, rejectOrder, setNextOrderId,
  takeTradedBook, writeResult,
} from './matching';

/** An OCO pair's events besides its limit leg's own: two ACCEPTED, and the stop leg's REMOVED. */
const PAIR_EVENTS: u32 = 3;

/** A triggered stop's events besides its entry's own: TRIGGERED, and its OCO sibling's removal. */
const TRIGGER_EVENTS: u32 = 2;

/** A triggered order's own outcome goes here: the command's result is the triggering command's. */
const triggeredResult: usize = memory.data(40, 8);

@inline function stopType(price: f64): u32 {
  return price != 0 ? ORDER_TYPE_STOP_LIMIT : ORDER_TYPE_STOP_MARKET;
}

/**
 * A stop order: price 0 makes it a stop-market (with an optional protection price), a price a
 * stop-limit (with its time in force). Pending until triggered; result status PENDING.
 */
export function placeStop(
  at: usize, trader: f64, asset: f64, side: u32, size: f64, stop: f64, price: f64, protectionPrice: f64,
  timestamp: f64, tif: u32, stp: u32, clientOrderId: f64,
): void {
  if (!reserveEvents(OWN_EVENTS)) return refuse(at, 0);
  const type = stopType(price);
  const shownPrice = price != 0 ? price : protectionPrice;
  let book = findBook(asset);
  if (book != 0 && triggers(side, stop, bookLastPrice(book))) {
    return rejectOrder(at, REASON_WOULD_TRIGGER, trader, asset, side, type, tif, stp, shownPrice, size, clientOrderId, stop, 0);
  }
  if (!(<f64>openOrders() < maxOrders && nextOrderId <= LAST_ORDER_ID)) {
    return rejectOrder(at, REASON_CAPACITY, trader, asset, side, type, tif, stp, shownPrice, size, clientOrderId, stop, 0);
  }
  if (book == 0) book = findOrCreateBook(asset);
  const traderIndex = book == 0 ? NO_TRADER : internTrader(trader);
  if (traderIndex == NO_TRADER || !(reserveOrder() && reserveIndexEntry() && reservePending(book, side))) {
    noteMemoryRefusal();
    return rejectOrder(at, REASON_CAPACITY, trader, asset, side, type, tif, stp, shownPrice, size, clientOrderId, stop, 0);
  }
  const id = nextOrderId;
  setNextOrderId(id + 1);
  writeEvent(acceptedHead(EVENT_ACCEPTED, side, type, tif, stp) | PENDING, asset, id, trader, shownPrice, size, size, clientOrderId, stop);
  const order = createIndexedOrder(id, size, timestamp, traderIndex, stp);
  addPending(order, book, side, stop, price, protectionPrice, tif);
  writeResult(at, STATUS_PENDING, REASON_NONE, id, 0, size);
}

/**
 * An OCO pair: a GTC limit leg at `price` (id N, placed like any limit order, so it may take at
 * once) and a stop leg at `stop` (id N + 1; a stop-limit at `stopLimitPrice`, 0: a stop-market).
 * The result is the limit leg's; the stop leg stays pending only if the limit leg rests untouched.
 */
export function placeOco(
  at: usize, command: u32, trader: f64, asset: f64, side: u32, size: f64, price: f64, stop: f64, stopLimitPrice: f64,
  timestamp: f64, stp: u32, clientOrderId: f64,
): void {
  // Two ACCEPTED events and, if the limit leg trades or leaves, the stop leg's REMOVED.
  if (!reserveEvents(OWN_EVENTS + PAIR_EVENTS)) return refuse(at, 0);
  let book = findBook(asset);
  const head = acceptedHead(EVENT_ACCEPTED, side, ORDER_TYPE_LIMIT, TIF_GTC, stp) | OCO;
  if (book != 0 && triggers(side, stop, bookLastPrice(book))) {
    return rejectPair(at, REASON_WOULD_TRIGGER, trader, asset, side, stp, price, size, clientOrderId, stop);
  }
  // Room for both legs; and for the limit leg's level, unless it takes (then it frees what it uses).
  const crosses = book != 0 && bestKey(bookSide(book, side ^ 1)) >= keyOf(side ^ 1, price);
  const needsLevel = !crosses && (book == 0 || findLevel(bookSide(book, side), price) == 0);
  if (!(<f64>openOrders() + 2 <= maxOrders && nextOrderId + 1 <= LAST_ORDER_ID && (!needsLevel || <f64>levelsInUse < maxLevels))) {
    return rejectPair(at, REASON_CAPACITY, trader, asset, side, stp, price, size, clientOrderId, stop);
  }
  if (book == 0) book = findOrCreateBook(asset);
  const traderIndex = book == 0 ? NO_TRADER : internTrader(trader);
  // Everything both legs may need, before an event or an id: two records and index entries, the
  // stop leg's place on its list, and what placeLimitGeneral will ask for the limit leg (its
  // level, its fills and events, after the pair's own events).
  const reserved = traderIndex != NO_TRADER && reserveTwoOrders() && reserveTwoIndexEntries() && reservePending(book, side) &&
    reserveGtcLimit(book, side, price, size, traderIndex, stp, PAIR_EVENTS);
  if (!reserved) {
    noteMemoryRefusal();
    return rejectPair(at, REASON_CAPACITY, trader, asset, side, stp, price, size, clientOrderId, stop);
  }
  const id = nextOrderId;
  setNextOrderId(id + 2);
  writeEvent(head, asset, id, trader, price, size, size, clientOrderId, stop);
  writeEvent(acceptedHead(EVENT_ACCEPTED, side, stopType(stopLimitPrice), TIF_GTC, stp) | OCO | PENDING, asset, id + 1, trader,
    stopLimitPrice, size, size, 0, stop);
  // The stop leg's record is held (indexed, on no list) while the limit leg is placed.
  const stopLeg = createIndexedOrder(id + 1, size, timestamp, traderIndex, stp | OCO_LEG);
  setOrderLevel(stopLeg, 0);
  setOrderNext(stopLeg, 0);
  // Everything the limit leg needs was reserved above: it is placed, never refused.
  placeLimitGeneral(at, command, trader, asset, side, price, size, timestamp, TIF_GTC, stp, clientOrderId, id, OCO_LEG);
  const status = <u32>load<f64>(at) & 15;
  if (status == STATUS_RESTING && load<f64>(at, 16) == 0) {
    addPending(stopLeg, book, side, stop, stopLimitPrice, 0, TIF_GTC);
    return;
  }
  // The limit leg traded or left: the stop leg never waits. A limit leg resting after a
  // partial fill is no longer half of a pair.
  // (The limit leg was placed under an id it already had, so the room reserved for its own
  // ACCEPTED event holds this one.)
  writeEvent(eventHead(EVENT_REMOVED, REASON_OCO_SIBLING, side) | PENDING, asset, id + 1, trader, stopLimitPrice, size, 0, 0, 0);
  removeOrderRecord(stopLeg);
  giveOrder(stopLeg);
  const limitLeg = findOrderRecord(id);
  if (limitLeg != 0) clearOrderOcoLeg(limitLeg);
}

/** A rejected OCO pair: one REJECTED event for the pair (the limit leg's, with the OCO bit and the stop price). */
@inline function rejectPair(
  at: usize, reason: u32, trader: f64, asset: f64, side: u32, stp: u32, price: f64, size: f64, clientOrderId: f64,
  stop: f64,
): void {
  writeResult(at, STATUS_REJECTED, reason, 0, 0, 0);
  writeEvent(acceptedHead(EVENT_REJECTED, side, ORDER_TYPE_LIMIT, TIF_GTC, stp) | OCO | (reason << 4), asset, 0, trader, price, size, 0,
    clientOrderId, stop);
}

/**
 * After a command: if it traded, enters every stop its book's last trade price now triggers,
 * one at a time (buys before sells, each side in trigger order), until none is left to trigger.
 * `command` and `timestamp` are the triggering command's; the triggered orders' fills and
 * events are the command's too.
 */
@inline export function runTriggers(command: u32, timestamp: f64): void {
  const book = takeTradedBook();
  // Inlined to here: a command that traded where no stop waits (the common crossing order) pays
  // two loads and a test, where the call cost it about 40 instructions (bench/README.md, stop 64).
  // WASM only: the JS core's runTriggers is one function, which V8 inlines by its own measure.
  if (book != 0 && bookStops(book) != 0) runCascade(book, command, timestamp);
}

/** runTriggers past its test: the cascade in `book`, which has stops pending. */
function runCascade(book: usize, command: u32, timestamp: f64): void {
  while (true) {
    const stop = nextTriggered(book, bookLastPrice(book));
    if (stop == 0 || !triggerStop(stop, book, command, timestamp)) break;
  }
  takeTradedBook();
}

/**
 * Enters one triggered stop; false (it stays pending, and the cascade ends here) only when there is
 * no memory even to report it.
 */
function triggerStop(stop: usize, book: usize, command: u32, timestamp: f64): bool {
  // TRIGGERED, the removal of an OCO sibling, and the entry's own events: its placement then
  // never refuses without an event, so an entry memory cannot hold is removed CAPACITY, reported,
  // rather than gone with no closing event.
  if (!reserveEvents(TRIGGER_EVENTS + OWN_EVENTS)) {
    noteMemoryRefusal();
    return false;
  }
  const id = orderId(stop);
  const size = orderRemaining(stop);
  const trader = traderValue(orderTraderIndex(stop));
  const stp = orderStp(stop);
  const oco = orderIsOcoLeg(stop);
  const side = stopSide(stop);
  const tif = stopTif(stop);
  const trigger = stopPrice(stop);
  const price = stopLimitPrice(stop);
  const protectionPrice = stopProtectionPrice(stop);
  const asset = bookAsset(book);
  forgetPending(stop);
  writeEvent(acceptedHead(EVENT_TRIGGERED, side, stopType(price), tif, stp), asset, id, trader,
    price != 0 ? price : protectionPrice, size, size, trigger, bookLastPrice(book));
  if (oco) removeLimitLeg(id - 1, asset);
  if (price != 0) {
    placeLimitGeneral(triggeredResult, command, trader, asset, side, price, size, timestamp, tif, stp, 0, id, 0);
  } else {
    placeMarket(triggeredResult, command, trader, asset, side, size, 0, protectionPrice, stp, 0, id);
  }
  return true;
}
