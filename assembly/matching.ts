// The commands: place (limit, market), cancel, reduce, modify. Each writes its outcome
// (status | reason << 4, orderId, filled, remaining, spent) at `at`, its fills to the fill buffer
// and its events to the event buffer (events.ts). Stops and OCO pairs (stops.ts) enter the book
// through the same placements; cancel and reduce reach pending stops too (pending.ts).
//
// Every command decides whether it can be accepted, and reserves every byte it may need
// (order record, level record, room in the side's ladder, the id index, the fill and event
// buffers), before it changes anything: a CAPACITY rejection leaves the books exactly as they
// were, and nothing after the reservations can fail halfway.
import {
  SIDE_BID, STP_ALLOW, STP_CANCEL_TAKER, STP_CANCEL_MAKER, STP_CANCEL_BOTH, TIF_GTC, TIF_IOC, TIF_FOK, TIF_POST_ONLY,
  STATUS_RESTING, STATUS_FILLED, STATUS_CANCELLED, STATUS_REJECTED, STATUS_OK,
  REASON_NONE, REASON_CANNOT_FILL, REASON_WOULD_CROSS, REASON_NOT_OWNER, REASON_UNKNOWN_ORDER,
  REASON_CAPACITY, REASON_SELF_TRADE, REASON_IOC_REMAINDER, REASON_MARKET_REMAINDER, REASON_REDUCED_TO_ZERO,
  REASON_CANCELLED_BY_USER, REASON_NOT_MODIFIABLE,
  EVENT_ACCEPTED, EVENT_FILL, EVENT_MODIFIED, EVENT_REDUCED, EVENT_REJECTED, EVENT_REMOVED,
  ORDER_TYPE_LIMIT, ORDER_TYPE_MARKET, ORDER_TYPE_STOP_LIMIT,
} from './codes';
import {
  orderId, orderRemaining, orderTraderIndex, orderStp, orderNext, orderLevel, orderIsOcoLeg, orderIsPending,
  clearOrderOcoLeg, setOrderRemaining, setOrderTimestamp, reserveOrder,
} from './orders';
import {
  bestKey, bestLevel, bestPosition, findLevel, keyAt, levelAt, levelCount, levelHead, levelPrice, levelSide,
  levelTotal, reserveLevel, sideCode, sideOrders, worsePosition, NO_POSITION,
} from './levels';
import { bookAsset, bookSide, findBook, findOrCreateBook, setBookLastPrice, sideBook } from './books';
import { createIndexedOrder, findOrderRecord, foundSlot, reserveIndexEntry } from './order-index';
import { findTrader, internTrader, lookupTrader, traderValue, NO_TRADER } from './traders';
import { nextFill, reserveFills } from './buffers';
import {
  cancelOrderAt, cancelStopLeg, dropTakenOrders, levelsInUse, linkOrder, removeOrder, removePendingStop, restingOrders,
  retireOrder, shrinkOrder, unlinkOrder,
} from './resting';
import { pendingOcoLegs, pendingStops, stopBook, stopOrderPrice, stopSide } from './pending';
import { acceptedHead, eventHead, PENDING, PRIORITY_LOST, reserveEvents, writeEvent, writeLevelEvent } from './events';
import { LAST_ORDER_ID, maxLevels, maxLevelsU32, maxOrders, maxOrdersU32 } from './limits';
import { low32 } from './hashing';

/** The id the next accepted order gets. */
export let nextOrderId: f64 = 1;
export function setNextOrderId(id: f64): void {
  nextOrderId = id;
}

/** Set by matchTaker: STP stopped the taker. */
let stoppedBySelfTrade = false;
/** Set by matchTaker for a budget order: what its fills cost, and whether the budget ran out. */
let spent: f64 = 0;
let budgetRanOut = false;
/** Set by matchTaker when it traded: the book whose last trade price moved (stops.ts looks at it after the command). */
let tradedBook: usize = 0;

/** Whether the command just applied traded (and stops may trigger). */
@inline export function hasTraded(): bool {
  return tradedBook != 0;
}

/** The book the last command traded in (0: none), forgotten once read. */
export function takeTradedBook(): usize {
  const book = tradedBook;
  tradedBook = 0;
  return book;
}

/** Orders that count against maxOrders: resting ones and pending stops. */
@inline export function openOrders(): u32 {
  return restingOrders + pendingStops;
}
/** Set by dryRun. */
let dryFillable: f64 = 0;
let dryFills: u32 = 0;
let dryRemovals: u32 = 0;
let dryStopped = false;

/** Events a command writes besides one per maker it meets: accepted or modified or rejected, and how it ends. */
export const OWN_EVENTS: u32 = 2;

@inline export function writeResult(at: usize, status: u32, reason: u32, id: f64, filled: f64, remaining: f64): void {
  store<f64>(at, <f64>(status | (reason << 4)), 0);
  store<f64>(at, id, 8);
  store<f64>(at, filled, 16);
  store<f64>(at, remaining, 24);
  store<f64>(at, 0, 32);
}

/** A rejected command: its result and its REJECTED event (room for which every command reserves first). */
@inline function reject(at: usize, reason: u32, id: f64, trader: f64, asset: f64, side: u32, price: f64, size: f64): void {
  writeResult(at, STATUS_REJECTED, reason, id, 0, 0);
  writeEvent(eventHead(EVENT_REJECTED, reason, side), asset, id, trader, price, size, 0, 0, 0);
}

/**
 * A rejected new order: its REJECTED event carries what the order was, as an ACCEPTED event would
 * (`other2`: a stop's stop price, a budget order's budget). An order that already has an id and
 * was accepted (a triggered stop, an OCO's limit leg) cannot enter: it is removed for `reason`.
 */
@inline export function rejectOrder(
  at: usize, reason: u32, trader: f64, asset: f64, side: u32, type: u32, tif: u32, stp: u32, price: f64, size: f64,
  clientOrderId: f64, other2: f64, id: f64,
): void {
  writeResult(at, STATUS_REJECTED, reason, id, 0, 0);
  if (id != 0) return endTaker(reason, side, asset, id, trader, price, size);
  const head = acceptedHead(EVENT_REJECTED, side, type, tif, stp) | (reason << 4);
  writeEvent(type >= ORDER_TYPE_STOP_LIMIT ? head | PENDING : head, asset, 0, trader, price, size, 0, clientOrderId, other2);
}

/**
 * Commands refused CAPACITY for lack of memory since the core was made (never reset). Whether
 * memory suffices depends on the heap's history (how fragmented it is), which a restore does not
 * rebuild, unlike maxOrders and maxLevels: a replay from a snapshot may accept such a command. The
 * host reads the count (memoryRefusals()) so that the state machine never journals one.
 */
export let memoryRefusals: u32 = 0;

/** Counts a refusal for lack of memory; its caller then rejects CAPACITY. */
@inline export function noteMemoryRefusal(): void {
  memoryRefusals++;
}

/** No room even to report: memory is exhausted, the command is refused without an event. */
@inline export function refuse(at: usize, id: f64): void {
  noteMemoryRefusal();
  writeResult(at, STATUS_REJECTED, REASON_CAPACITY, id, 0, 0);
}

/** A taker's unfilled rest, cancelled for `reason` (the order never rested, so no level changes). */
@inline function endTaker(reason: u32, side: u32, asset: f64, id: f64, trader: f64, price: f64, left: f64): void {
  writeEvent(eventHead(EVENT_REMOVED, reason, side), asset, id, trader, price, left, 0, 0, 0);
}

/**
 * A taker crosses a maker level when the level's key (larger is better for that side) is at
 * least this. No limit: -Infinity, everything crosses.
 */
@inline function crossingThreshold(takerSide: u32, limit: f64): f64 {
  if (limit == 0) return -Infinity;
  // Opposite keys: asks are keyed -price (bid taker: ask <= limit), bids +price (ask taker: bid >= limit).
  return takerSide == SIDE_BID ? -limit : limit;
}

/**
 * Walks the opposite side in matching order without changing it: what the taker would fill
 * (stopping once it reaches `size`), how many fills and STP removals that takes, whether STP
 * would stop it.
 */
function dryRun(opp: usize, threshold: f64, size: f64, traderIndex: u32, stp: u32): void {
  let fillable: f64 = 0;
  let fills: u32 = 0;
  let removals: u32 = 0;
  let stopped = false;
  let done = false;
  for (let at = bestPosition(opp); at != NO_POSITION && !done; at = worsePosition(at)) {
    if (keyAt(at) < threshold) break;
    let maker = levelHead(levelAt(at));
    while (maker != 0) {
      if (stp != STP_ALLOW && orderTraderIndex(maker) == traderIndex) {
        if (stp != STP_CANCEL_TAKER) removals++;
        if (stp == STP_CANCEL_TAKER || stp == STP_CANCEL_BOTH) {
          stopped = true;
          done = true;
          break;
        }
      } else {
        fillable += orderRemaining(maker);
        fills++;
        if (fillable >= size) {
          done = true;
          break;
        }
      }
      maker = orderNext(maker);
    }
  }
  dryFillable = min<f64>(fillable, size);
  dryFills = fills;
  dryRemovals = removals;
  dryStopped = stopped;
}

/** Whether a taker would still have size left to rest after matching (judged before any change). */
function wouldRest(opp: usize, threshold: f64, size: f64, traderIndex: u32, stp: u32): bool {
  if (opp == 0) return true;
  dryRun(opp, threshold, size, traderIndex, stp);
  return !dryStopped && dryFillable < size;
}

/** min(size, orders on the side) as a u32, without a float-to-integer conversion. */
@inline function fillBound(opp: usize, size: f64): u32 {
  const makers = sideOrders(opp);
  // In the second case size < makers <= 2^32, so its low 32 bits are its value.
  return <f64>makers <= size ? makers : low32(size);
}

/**
 * Room in the fill and event buffers for everything this taker can produce. The cheap bound (one
 * fill per maker on the side, at most one per lot; under cancel_maker one removal per maker)
 * almost always fits; only when memory cannot hold it does a dry run count the real ones.
 */
@inline function reserveTaker(opp: usize, threshold: f64, size: f64, traderIndex: u32, stp: u32, moreEvents: u32 = 0): bool {
  const fills = fillBound(opp, size);
  // An OCO limit leg that trades or leaves (a maker, or the taker itself) takes its stop leg
  // with it: one more event, at most once a pending pair. Under cancel_maker every maker on the
  // side may leave, each with its stop leg.
  const makers = stp == STP_CANCEL_MAKER ? sideOrders(opp) : fills;
  const events = (stp == STP_CANCEL_MAKER ? makers : fills + 1) + OWN_EVENTS + min<u32>(pendingOcoLegs, makers + 1);
  // Inlined up to here (a call cost a crossing order about 25 instructions of frame and spills);
  // the dry run, for when memory cannot hold the bound, stays a call.
  return (reserveFills(fills) && reserveEvents(events + moreEvents)) || reserveCounted(opp, threshold, size, traderIndex, stp, moreEvents);
}

/** reserveTaker when the cheap bound does not fit: room for the fills and events a dry run counts. */
function reserveCounted(opp: usize, threshold: f64, size: f64, traderIndex: u32, stp: u32, moreEvents: u32): bool {
  dryRun(opp, threshold, size, traderIndex, stp);
  const dryMakers = dryFills + dryRemovals;
  return reserveFills(dryFills) && reserveEvents(dryMakers + OWN_EVENTS + min<u32>(pendingOcoLegs, dryMakers + 1) + moreEvents);
}

/**
 * What placeLimitGeneral reserves for a GTC order at `price` in `book` besides its record and
 * index entry: the level if it may rest at a new one, and room for what it can take, with
 * `moreEvents` beyond (what the caller writes before placing it). For an OCO pair, which writes
 * its ACCEPTED events first and so must know beforehand that its limit leg will not be refused.
 */
export function reserveGtcLimit(book: usize, side: u32, price: f64, size: f64, traderIndex: u32, stp: u32, moreEvents: u32): bool {
  const own = bookSide(book, side);
  const opp = bookSide(book, side ^ 1);
  const threshold = crossingThreshold(side, price);
  if (findLevel(own, price) == 0 && !reserveLevel(own) && wouldRest(opp, threshold, size, traderIndex, stp)) return false;
  return reserveTaker(opp, threshold, size, traderIndex, stp, moreEvents);
}

/** How many lots at `price` a budget of `left` pays for: floor(left / price), corrected for the division's rounding. */
@inline function affordable(left: f64, price: f64): f64 {
  const lots = Math.floor(left / price);
  return lots * price > left ? lots - 1 : lots;
}

/**
 * Matches a taker against the opposite side; returns what is left of `size`. With a `budget`
 * (0: none; `size` is then the budget too, a bound no lot count can reach) each fill is cut to
 * what the rest of the budget pays for, and matching stops when it pays for no more lot.
 */
function matchTaker(
  opp: usize, takerSide: u32, threshold: f64, size: f64, budget: f64, traderIndex: u32, trader: f64, stp: u32,
  takerId: f64, command: u32, asset: f64,
): f64 {
  stoppedBySelfTrade = false;
  spent = 0;
  budgetRanOut = false;
  let left = size;
  let lastPrice: f64 = 0;
  const tag = <f64>(command * 2 + takerSide);
  const fillHead = eventHead(EVENT_FILL, REASON_NONE, takerSide ^ 1);
  // Without STP or a budget nothing is decided maker by maker: the taker takes level by level.
  const byLevel = stp == STP_ALLOW && budget == 0;
  while (left > 0) {
    const level = bestLevel(opp);
    if (level == 0 || bestKey(opp) < threshold) break;
    if (byLevel) {
      // A level holds at least one maker: it trades.
      const price = levelPrice(level);
      left = takeLevel(level, price, left, tag, fillHead, takerId, trader, asset);
      lastPrice = price;
      continue;
    }
    const maker = levelHead(level);
    const price = levelPrice(level);
    // The budget is asked first: a maker it cannot pay one lot of ends matching whoever owns it.
    // No trade could happen with it, so there is no self-trade to prevent (STP would otherwise
    // remove an own maker, or cancel the taker, that the budget never reaches).
    let lots: f64 = 0;
    if (budget != 0) {
      lots = affordable(budget - spent, price);
      if (lots == 0) {
        budgetRanOut = true;
        break;
      }
    }
    if (stp != STP_ALLOW && orderTraderIndex(maker) == traderIndex) {
      if (stp == STP_CANCEL_TAKER) {
        stoppedBySelfTrade = true;
        break;
      }
      removeOrder(maker, REASON_SELF_TRADE, asset);
      if (stp == STP_CANCEL_BOTH) {
        stoppedBySelfTrade = true;
        break;
      }
      continue;
    }
    const makerLeft = orderRemaining(maker);
    let traded = min<f64>(makerLeft, left);
    if (budget != 0) {
      traded = min<f64>(traded, lots);
      spent += traded * price;
    }
    const makerId = orderId(maker);
    const makerTrader = traderValue(orderTraderIndex(maker));
    writeFill(tag, asset, makerId, takerId, makerTrader, trader, price, traded);
    left -= traded;
    lastPrice = price;
    // The level as it is after this fill: the maker gone (and the level with it) or shrunk.
    const consumed = traded == makerLeft;
    const ordersAfter = consumed ? levelCount(level) - 1 : levelCount(level);
    const sizeAfter = ordersAfter == 0 ? 0 : levelTotal(level) - traded;
    writeLevelEvent(fillHead, asset, makerId, makerTrader, price, traded, makerLeft - traded, takerId, trader,
      sizeAfter, ordersAfter);
    // An OCO limit leg that trades, in whole or in part, takes its stop leg with it.
    if (consumed) {
      removeOrder(maker, REASON_NONE, asset);
    } else {
      shrinkOrder(maker, traded);
      if (orderIsOcoLeg(maker)) {
        clearOrderOcoLeg(maker);
        cancelStopLeg(makerId + 1, asset);
      }
    }
  }
  if (lastPrice != 0) {
    const book = sideBook(opp);
    setBookLastPrice(book, lastPrice);
    tradedBook = book;
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
function takeLevel(level: usize, price: f64, left: f64, tag: f64, fillHead: u32, takerId: f64, trader: f64, asset: f64): f64 {
  let count = levelCount(level);
  let total = levelTotal(level);
  let maker = levelHead(level);
  let taken: u32 = 0;
  while (maker != 0) {
    const makerLeft = orderRemaining(maker);
    if (left < makerLeft) {
      // The last maker the taker reaches, filled in part: it stays, at the head of the queue.
      total = fillInPart(maker, makerLeft, left, count, total, price, tag, fillHead, takerId, trader, asset);
      left = 0;
      break;
    }
    const makerId = orderId(maker);
    const makerTrader = traderValue(orderTraderIndex(maker));
    writeFill(tag, asset, makerId, takerId, makerTrader, trader, price, makerLeft);
    left -= makerLeft;
    writeLevelEvent(fillHead, asset, makerId, makerTrader, price, makerLeft, 0, takerId, trader,
      count == 1 ? 0 : total - makerLeft, count - 1);
    // The total as unlinkOrder keeps it, one maker at a time: past 2^53 lots the order of the
    // subtractions decides the rounding.
    count--;
    total -= makerLeft;
    taken++;
    const oco = orderIsOcoLeg(maker);
    const after = orderNext(maker);
    retireOrder(maker);
    if (oco) cancelStopLeg(makerId + 1, asset);
    maker = after;
    if (left == 0) break;
  }
  dropTakenOrders(level, taken, maker, count, total);
  return left;
}

/**
 * takeLevel's last maker, which the taker's `left` lots fill in part: its fill and FILL event,
 * its new size, and its OCO stop leg's removal. Returns the level's total after it.
 */
function fillInPart(
  maker: usize, makerLeft: f64, left: f64, count: u32, total: f64, price: f64, tag: f64, fillHead: u32, takerId: f64,
  trader: f64, asset: f64,
): f64 {
  const makerId = orderId(maker);
  const makerTrader = traderValue(orderTraderIndex(maker));
  writeFill(tag, asset, makerId, takerId, makerTrader, trader, price, left);
  writeLevelEvent(fillHead, asset, makerId, makerTrader, price, left, makerLeft - left, takerId, trader, total - left, count);
  setOrderRemaining(maker, makerLeft - left);
  if (orderIsOcoLeg(maker)) {
    clearOrderOcoLeg(maker);
    cancelStopLeg(makerId + 1, asset);
  }
  return total - left;
}

/** Appends a fill record to the fill buffer (room for it was reserved). */
@inline function writeFill(
  tag: f64, asset: f64, makerId: f64, takerId: f64, makerTrader: f64, trader: f64, price: f64, traded: f64,
): void {
  const fill = nextFill();
  store<f64>(fill, tag, 0);
  store<f64>(fill, asset, 8);
  store<f64>(fill, makerId, 16);
  store<f64>(fill, takerId, 24);
  store<f64>(fill, makerTrader, 32);
  store<f64>(fill, trader, 40);
  store<f64>(fill, price, 48);
  store<f64>(fill, traded, 56);
}

export function placeLimit(
  at: usize, command: u32, trader: f64, asset: f64, side: u32, price: f64, size: f64,
  timestamp: f64, tif: u32, stp: u32, clientOrderId: f64,
): void {
  if (tif == TIF_GTC && restWithoutCrossing(at, trader, asset, side, price, size, timestamp, stp, clientOrderId) != 0) return;
  placeLimitGeneral(at, command, trader, asset, side, price, size, timestamp, tif, stp, clientOrderId, 0, 0);
}

@inline function writeAccepted(
  asset: f64, id: f64, trader: f64, side: u32, type: u32, tif: u32, stp: u32, price: f64, size: f64, clientOrderId: f64,
  other2: f64,
): void {
  writeEvent(acceptedHead(EVENT_ACCEPTED, side, type, tif, stp), asset, id, trader, price, size, size, clientOrderId, other2);
}

/**
 * The common case, a GTC order that does not cross, in one straight run: when its book and
 * trader exist, it is within the limits and every reservation is a no-op, it rests whole and
 * this returns its id (the whole outcome: the export returns it to the host). Otherwise it changes
 * nothing a caller could see (a reservation it made is one the general path makes too, in the same
 * order) and returns 0.
 */
@inline export function restWithoutCrossing(
  at: usize, trader: f64, asset: f64, side: u32, price: f64, size: f64, timestamp: f64, stp: u32, clientOrderId: f64,
): f64 {
  const book = findBook(asset);
  if (book == 0 || nextOrderId > LAST_ORDER_ID) return 0;
  const opp = bookSide(book, side ^ 1);
  if (bestKey(opp) >= (side == SIDE_BID ? -price : price)) return 0;
  const traderIndex = findTrader(trader);
  if (traderIndex == NO_TRADER) return 0;
  const own = bookSide(book, side);
  const level = findLevel(own, price);
  if (!(openOrders() < maxOrdersU32 && (level != 0 || levelsInUse < maxLevelsU32))) return 0;
  if (!(reserveEvents(OWN_EVENTS) && reserveOrder() && reserveIndexEntry() && (level != 0 || reserveLevel(own)))) return 0;
  const id = nextOrderId;
  nextOrderId = id + 1;
  writeAccepted(asset, id, trader, side, ORDER_TYPE_LIMIT, TIF_GTC, stp, price, size, clientOrderId, 0);
  const order = createIndexedOrder(id, size, timestamp, traderIndex, stp);
  linkOrder(own, level, price, order, true, asset, trader);
  writeResult(at, STATUS_RESTING, REASON_NONE, id, 0, size);
  return id;
}

/**
 * Any limit order. `givenId` 0: a new order, which gets the next id and an ACCEPTED event here;
 * otherwise an order whose id and ACCEPTED (or TRIGGERED) event exist already: a triggered
 * stop-limit or an OCO's limit leg (`flags` OCO_LEG).
 */
export function placeLimitGeneral(
  at: usize, command: u32, trader: f64, asset: f64, side: u32, price: f64, size: f64,
  timestamp: f64, tif: u32, stp: u32, clientOrderId: f64, givenId: f64, flags: u32,
): void {
  if (!reserveEvents(OWN_EVENTS)) return refuse(at, givenId);
  if (givenId == 0 && nextOrderId > LAST_ORDER_ID) {
    return rejectOrder(at, REASON_CAPACITY, trader, asset, side, ORDER_TYPE_LIMIT, tif, stp, price, size, clientOrderId, 0, 0);
  }
  let book = findBook(asset);
  let opp: usize = book == 0 ? 0 : bookSide(book, side ^ 1);
  let traderIndex = lookupTrader(trader);
  const threshold = crossingThreshold(side, price);
  let restLevel: usize = 0;
  if (tif == TIF_POST_ONLY) {
    if (opp != 0 && bestKey(opp) >= threshold) return rejectOrder(at, REASON_WOULD_CROSS, trader, asset, side, ORDER_TYPE_LIMIT, tif, stp, price, size, clientOrderId, 0, givenId);
  } else if (tif == TIF_FOK) {
    if (opp == 0) return rejectOrder(at, REASON_CANNOT_FILL, trader, asset, side, ORDER_TYPE_LIMIT, tif, stp, price, size, clientOrderId, 0, givenId);
    dryRun(opp, threshold, size, traderIndex, stp);
    if (dryFillable < size) return rejectOrder(at, REASON_CANNOT_FILL, trader, asset, side, ORDER_TYPE_LIMIT, tif, stp, price, size, clientOrderId, 0, givenId);
  }
  const mayRest = tif == TIF_GTC || tif == TIF_POST_ONLY;
  const mayTake = tif != TIF_POST_ONLY;
  if (mayRest) {
    let own: usize = book == 0 ? 0 : bookSide(book, side);
    restLevel = own == 0 ? 0 : findLevel(own, price);
    const newLevel = restLevel == 0;
    // An order that does not cross rests whole. One that crosses and still rests has first
    // taken every maker (and level) within its price, so it frees at least what it then uses.
    const crosses = opp != 0 && bestKey(opp) >= threshold;
    if (!crosses && !(<f64>openOrders() < maxOrders && (!newLevel || <f64>levelsInUse < maxLevels))) {
      return rejectOrder(at, REASON_CAPACITY, trader, asset, side, ORDER_TYPE_LIMIT, tif, stp, price, size, clientOrderId, 0, givenId);
    }
    let reserved = true;
    if (book == 0) {
      book = findOrCreateBook(asset);
      reserved = book != 0;
      if (reserved) own = bookSide(book, side);
    }
    if (reserved && traderIndex == NO_TRADER) {
      traderIndex = internTrader(trader);
      reserved = traderIndex != NO_TRADER;
    }
    reserved = reserved && reserveOrder() && reserveIndexEntry() && (!newLevel || reserveLevel(own));
    if (!reserved && wouldRest(mayTake ? opp : 0, threshold, size, traderIndex, stp)) {
      noteMemoryRefusal();
      return rejectOrder(at, REASON_CAPACITY, trader, asset, side, ORDER_TYPE_LIMIT, tif, stp, price, size, clientOrderId, 0, givenId);
    }
  }
  // Room for fills and their events only for an order that crosses: one that does not takes
  // nothing, and with the resting path, which then reserves none either, is never refused for
  // want of it (a big order opposite a deep side was: room for a fill per maker it could reach).
  if (mayTake && opp != 0 && bestKey(opp) >= threshold && !reserveTaker(opp, threshold, size, traderIndex, stp)) {
    noteMemoryRefusal();
    return rejectOrder(at, REASON_CAPACITY, trader, asset, side, ORDER_TYPE_LIMIT, tif, stp, price, size, clientOrderId, 0, givenId);
  }

  let id = givenId;
  if (id == 0) {
    id = nextOrderId;
    nextOrderId = id + 1;
    writeAccepted(asset, id, trader, side, ORDER_TYPE_LIMIT, tif, stp, price, size, clientOrderId, 0);
  }
  let left = size;
  stoppedBySelfTrade = false;
  if (mayTake && opp != 0) left = matchTaker(opp, side, threshold, size, 0, traderIndex, trader, stp, id, command, asset);
  const filled = size - left;
  if (stoppedBySelfTrade) {
    endTaker(REASON_SELF_TRADE, side, asset, id, trader, price, left);
    return writeResult(at, STATUS_CANCELLED, REASON_SELF_TRADE, id, filled, 0);
  }
  if (left == 0) return writeResult(at, STATUS_FILLED, REASON_NONE, id, filled, 0);
  if (!mayRest) {
    endTaker(REASON_IOC_REMAINDER, side, asset, id, trader, price, left);
    return writeResult(at, STATUS_CANCELLED, REASON_NONE, id, filled, 0);
  }
  const order = createIndexedOrder(id, left, timestamp, traderIndex, stp | flags);
  // Matching changed only the opposite side: the level found above is still this price's.
  linkOrder(bookSide(book, side), restLevel, price, order, true, asset, trader);
  writeResult(at, STATUS_RESTING, REASON_NONE, id, filled, left);
}

/**
 * A market order: `size` lots, or (size 0) as many as `budget` pays for. `givenId` as for
 * placeLimitGeneral (a triggered stop-market).
 */
export function placeMarket(
  at: usize, command: u32, trader: f64, asset: f64, side: u32, size: f64, budget: f64, protectionPrice: f64,
  stp: u32, clientOrderId: f64, givenId: f64,
): void {
  if (!reserveEvents(OWN_EVENTS)) return refuse(at, givenId);
  if (givenId == 0 && nextOrderId > LAST_ORDER_ID) {
    return rejectOrder(at, REASON_CAPACITY, trader, asset, side, ORDER_TYPE_MARKET, TIF_IOC, stp, protectionPrice, size, clientOrderId, budget, 0);
  }
  const book = findBook(asset);
  const opp: usize = book == 0 ? 0 : bookSide(book, side ^ 1);
  const traderIndex = lookupTrader(trader);
  const threshold = crossingThreshold(side, protectionPrice);
  // A budget order is bounded by its budget as a lot count: every lot costs at least 1.
  const bound = budget != 0 ? budget : size;
  if (opp != 0 && !reserveTaker(opp, threshold, bound, traderIndex, stp)) {
    noteMemoryRefusal();
    return rejectOrder(at, REASON_CAPACITY, trader, asset, side, ORDER_TYPE_MARKET, TIF_IOC, stp, protectionPrice, size, clientOrderId, budget, givenId);
  }
  let id = givenId;
  if (id == 0) {
    id = nextOrderId;
    nextOrderId = id + 1;
    writeAccepted(asset, id, trader, side, ORDER_TYPE_MARKET, TIF_IOC, stp, protectionPrice, size, clientOrderId, budget);
  }
  stoppedBySelfTrade = false;
  spent = 0;
  budgetRanOut = false;
  const left = opp == 0 ? bound : matchTaker(opp, side, threshold, bound, budget, traderIndex, trader, stp, id, command, asset);
  const filled = bound - left;
  if (stoppedBySelfTrade) {
    endTaker(REASON_SELF_TRADE, side, asset, id, trader, protectionPrice, budget != 0 ? 0 : left);
    writeResult(at, STATUS_CANCELLED, REASON_SELF_TRADE, id, filled, 0);
  } else if (left == 0 || (budgetRanOut && filled != 0) || (budget != 0 && spent == budget)) {
    // A budget spent to its last unit is filled, as a size taken whole is, whether or not the
    // book (or the protection price) ended at the same maker.
    writeResult(at, STATUS_FILLED, REASON_NONE, id, filled, 0);
  } else {
    // A budget order's unfilled rest has no size: what is left of it is budget - spent.
    endTaker(REASON_MARKET_REMAINDER, side, asset, id, trader, protectionPrice, budget != 0 ? 0 : left);
    writeResult(at, STATUS_CANCELLED, REASON_NONE, id, filled, 0);
  }
  store<f64>(at, spent, 32);
}

/** The asset of a resting order or a pending stop. */
@inline export function orderAsset(order: usize): f64 {
  return bookAsset(orderIsPending(order) ? stopBook(order) : sideBook(levelSide(orderLevel(order))));
}

/**
 * The order `id` (resting, or a pending stop) if it is in `asset`'s book and `trader` owns it;
 * else writes the rejection and returns 0.
 */
@inline function ownedOrder(at: usize, trader: f64, asset: f64, id: f64): usize {
  const order = findOrderRecord(id);
  if (order != 0 && orderAsset(order) == asset && traderValue(orderTraderIndex(order)) == trader) return order;
  rejectNotOwned(at, trader, asset, id, order);
  return 0;
}

/** ownedOrder's refusal of `order` (0: no such id). */
function rejectNotOwned(at: usize, trader: f64, asset: f64, id: f64, order: usize): void {
  const reason = order == 0 || orderAsset(order) != asset ? REASON_UNKNOWN_ORDER : REASON_NOT_OWNER;
  reject(at, reason, id, trader, asset, 0, 0, 0);
}

/**
 * The common cancel, a resting order of `asset` that `trader` owns, in one straight run (the JS
 * core's cancelResting, which V8 can then inline whole): the order leaves the book and this returns
 * true. Otherwise (no room for its events, no such order, another asset's or trader's, a pending
 * stop) it changes nothing a caller could see and returns false, and cancel decides.
 */
@inline export function cancelResting(at: usize, trader: f64, asset: f64, id: f64): bool {
  if (!reserveEvents(OWN_EVENTS)) return false;
  const order = findOrderRecord(id);
  if (order == 0 || orderIsPending(order) || traderValue(orderTraderIndex(order)) != trader) return false;
  if (bookAsset(sideBook(levelSide(orderLevel(order)))) != asset) return false;
  cancelOrderAt(order, foundSlot, asset);
  writeResult(at, STATUS_OK, REASON_NONE, id, 0, 0);
  return true;
}

export function cancel(at: usize, trader: f64, asset: f64, id: f64): void {
  if (!reserveEvents(OWN_EVENTS)) return refuse(at, id);
  const order = ownedOrder(at, trader, asset, id);
  if (order == 0) return;
  if (orderIsPending(order)) removePendingStop(order, REASON_CANCELLED_BY_USER, asset);
  else cancelOrderAt(order, foundSlot, asset);
  writeResult(at, STATUS_OK, REASON_NONE, id, 0, 0);
}

export function reduce(at: usize, trader: f64, asset: f64, id: f64, by: f64): void {
  if (!reserveEvents(OWN_EVENTS)) return refuse(at, id);
  const order = ownedOrder(at, trader, asset, id);
  if (order == 0) return;
  const remaining = orderRemaining(order);
  const pending = orderIsPending(order);
  if (by >= remaining) {
    if (pending) removePendingStop(order, REASON_REDUCED_TO_ZERO, asset);
    else removeOrder(order, REASON_REDUCED_TO_ZERO, asset);
    return writeResult(at, STATUS_OK, REASON_NONE, id, 0, 0);
  }
  if (pending) {
    // A pending stop changes no level: its REDUCED event has none.
    setOrderRemaining(order, remaining - by);
    writeEvent(eventHead(EVENT_REDUCED, REASON_NONE, stopSide(order)) | PENDING, asset, id, trader, stopOrderPrice(order), by,
      remaining - by, 0, 0);
    return writeResult(at, STATUS_OK, REASON_NONE, id, 0, remaining - by);
  }
  shrinkOrder(order, by);
  const level = orderLevel(order);
  writeLevelEvent(eventHead(EVENT_REDUCED, REASON_NONE, sideCode(levelSide(level))), asset, id, trader, levelPrice(level),
    by, remaining - by, 0, 0, levelTotal(level), levelCount(level));
  writeResult(at, STATUS_OK, REASON_NONE, id, 0, remaining - by);
}

export function modify(
  at: usize, command: u32, trader: f64, asset: f64, id: f64, price: f64, size: f64, timestamp: f64,
): void {
  if (!reserveEvents(OWN_EVENTS)) return refuse(at, id);
  const order = ownedOrder(at, trader, asset, id);
  if (order == 0) return;
  // A pending stop has no place to keep or lose: it is cancelled and placed anew instead.
  if (orderIsPending(order)) return reject(at, REASON_NOT_MODIFIABLE, id, trader, asset, stopSide(order), 0, 0);
  const level = orderLevel(order);
  const own = levelSide(level);
  const book = sideBook(own);
  const side = sideCode(own);
  const oldPrice = levelPrice(level);
  const remaining = orderRemaining(order);
  const newPrice = price > 0 ? price : oldPrice;
  const newSize = size > 0 ? size : remaining;
  if (newPrice == oldPrice && newSize <= remaining) {
    // A reduce in place (or no change): keeps its place and its timestamp.
    const head = eventHead(EVENT_MODIFIED, REASON_NONE, side);
    if (newSize < remaining) {
      shrinkOrder(order, remaining - newSize);
      writeLevelEvent(head, asset, id, trader, oldPrice, remaining, newSize, newPrice, 0, levelTotal(level), levelCount(level));
    } else {
      // No change changes no level: an event with one would be market data for a book that did not move.
      writeEvent(head, asset, id, trader, oldPrice, remaining, newSize, newPrice, 0);
    }
    return writeResult(at, STATUS_RESTING, REASON_NONE, id, 0, newSize);
  }

  // Re-entry as a GTC taker with the same id, trader and stp. It already counts as a resting
  // order; it needs a level only if none is left at its new price once it has left its own.
  const traderIndex = orderTraderIndex(order);
  const stp = orderStp(order);
  const opp = bookSide(book, side ^ 1);
  const threshold = crossingThreshold(side, newPrice);
  const leavesLevelEmpty = levelCount(level) == 1;
  const target = newPrice == oldPrice ? (leavesLevelEmpty ? <usize>0 : level) : findLevel(own, newPrice);
  if (target == 0) {
    // As for a new order: only a non-crossing re-entry can pass the level limit.
    const crosses = bestKey(opp) >= threshold;
    const levelsAfterLeaving = levelsInUse - (leavesLevelEmpty ? 1 : 0);
    if (!crosses && <f64>levelsAfterLeaving >= maxLevels) return reject(at, REASON_CAPACITY, id, trader, asset, 0, 0, 0);
    if (!reserveLevel(own) && wouldRest(opp, threshold, newSize, traderIndex, stp)) {
      noteMemoryRefusal();
      return reject(at, REASON_CAPACITY, id, trader, asset, 0, 0, 0);
    }
  }
  if (!reserveTaker(opp, threshold, newSize, traderIndex, stp)) {
    noteMemoryRefusal();
    return reject(at, REASON_CAPACITY, id, trader, asset, 0, 0, 0);
  }

  unlinkOrder(order);
  writeLevelEvent(eventHead(EVENT_MODIFIED, REASON_NONE, side) | PRIORITY_LOST, asset, id, trader, oldPrice, remaining,
    newSize, newPrice, 0, leavesLevelEmpty ? 0 : levelTotal(level), leavesLevelEmpty ? 0 : levelCount(level));
  // An OCO limit leg that trades or leaves here takes its stop leg with it.
  const oco = orderIsOcoLeg(order);
  const left = matchTaker(opp, side, threshold, newSize, 0, traderIndex, trader, stp, id, command, asset);
  const filled = newSize - left;
  if (stoppedBySelfTrade) {
    retireOrder(order);
    endTaker(REASON_SELF_TRADE, side, asset, id, trader, newPrice, left);
    if (oco) cancelStopLeg(id + 1, asset);
    return writeResult(at, STATUS_CANCELLED, REASON_SELF_TRADE, id, filled, 0);
  }
  if (left == 0) {
    retireOrder(order);
    if (oco) cancelStopLeg(id + 1, asset);
    return writeResult(at, STATUS_FILLED, REASON_NONE, id, filled, 0);
  }
  setOrderRemaining(order, left);
  setOrderTimestamp(order, timestamp);
  linkOrder(own, target, newPrice, order, false, asset, trader);
  if (oco && filled != 0) {
    clearOrderOcoLeg(order);
    cancelStopLeg(id + 1, asset);
  }
  writeResult(at, STATUS_RESTING, REASON_NONE, id, filled, left);
}
