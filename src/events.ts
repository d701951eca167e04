// Event records: every change of a book, written by the core (both cores, byte for byte the same)
// into an event buffer, in the order the changes happen, from the one place each core changes a
// book (assembly/events.ts and src/js-core/events.ts write them). The host reads them in place
// after each call or batch: nothing is allocated unless a reader asks for an object.
//
// A record is EVENT_SLOTS float64 slots (integers below 2^53):
//   0  head       kind | reason << 4 | side << 9 | type << 10 | timeInForce << 12 | stp << 14
//                 (type, timeInForce and stp on accepted and triggered events and rejected new orders)
//                 | PRIORITY_LOST (bit 16) | LEVEL (bit 17) | OCO (bit 18: accepted, a leg of an OCO pair)
//                 | PENDING (bit 19: about a stop that has not triggered, which is not market data)
//   1  command    index of the command in its call (0) or batch
//   2  asset
//   3  orderId    the order the event is about (a fill: the maker; a rejection: 0 or the order named)
//   4  trader     its trader
//   5  price      accepted, triggered: the limit (a market or stop-market order: its protection price,
//                 0: none); fill: the trade price; otherwise the order's price
//   6  size       accepted: the order's size (0 for a budget order); triggered: what it enters with;
//                 rested: what rests; fill: what traded; reduced: by how
//                 much; modified: the size before; removed: what left the book or was cancelled
//   7  remaining  what the order has left after the event (a fill: the maker's)
//   8  other      fill: the taker's order id; modified: the new price; accepted, and rejected with
//                 orderId 0 (a new order): the clientOrderId (0: none); triggered: the stop price
//   9  other2     fill: the taker's trader; accepted: a stop's stop price (an OCO's limit leg: its
//                 stop leg's), a budget order's budget (0: neither); triggered: the last trade price
//  10  levelSize  with LEVEL: the total size at the order's (side, price) level after the event
//  11  levelOrders with LEVEL: the orders at that level after the event (0: the level is gone)
//
// Kinds (codes.ts EventCode): ACCEPTED (a new order got its id), RESTED (an order now rests at the
// back of its level: new, modified with priority lost, or the rest of a taker), FILL, REDUCED,
// MODIFIED, REMOVED (with a removal reason), REJECTED (with a rejection reason), TRIGGERED (a
// pending stop's condition held: it now enters as a limit or market order, with its own id).
// A pending stop changes no level: its accepted, reduced and removed events carry no LEVEL bit.
import { EVENT_KINDS, ORDER_TYPES, REASONS, SIDES, STP_MODES, TIME_IN_FORCE, EventCode, OrderTypeCode } from './codes.js';
import { invalidArgument, LobError } from './errors.js';
import type { BookEvent, BookEventKind } from './types.js';

export const EVENT_SLOTS = 12;

export const EventSlot = {
  HEAD: 0, COMMAND: 1, ASSET: 2, ORDER_ID: 3, TRADER: 4, PRICE: 5, SIZE: 6, REMAINING: 7, OTHER: 8, OTHER2: 9,
  LEVEL_SIZE: 10, LEVEL_ORDERS: 11,
} as const;

export const EventHead = {
  KIND_MASK: 15,
  REASON_SHIFT: 4,
  REASON_MASK: 31,
  SIDE_SHIFT: 9,
  TYPE_SHIFT: 10,
  TIF_SHIFT: 12,
  STP_SHIFT: 14,
  PRIORITY_LOST: 1 << 16,
  LEVEL: 1 << 17,
  OCO: 1 << 18,
  PENDING: 1 << 19,
} as const;

/** Reads event records in place: the engine's, overwritten by its next call. */
export class EventList {
  /** EVENT_SLOTS per event. */
  records: Float64Array = new Float64Array(0);
  count = 0;

  set(records: Float64Array, count: number): void {
    this.records = records;
    this.count = count;
  }

  // Checked as BatchResults checks its indexes (src/batch.ts): past count the memory holds an
  // earlier call's events, or none, and the cores answered differently.
  /** The slot offset of event k, or INVALID_ARGUMENT naming k and the valid range. */
  private at(k: number): number {
    if (!((k >>> 0) === k && k < this.count)) throw outOfRange('k', 'an event', k, this.count);
    return k * EVENT_SLOTS;
  }

  head(k: number): number {
    return this.records[this.at(k)];
  }
  kindCode(k: number): number {
    return this.records[this.at(k)] & EventHead.KIND_MASK;
  }
  kind(k: number): BookEventKind {
    return EVENT_KINDS[this.kindCode(k)] as BookEventKind;
  }
  /** Slot `slot` (EventSlot) of event k; a slot outside [0, EVENT_SLOTS) would read the next event. */
  slot(k: number, slot: number): number {
    const o = this.at(k);
    if (!((slot >>> 0) === slot && slot < EVENT_SLOTS)) throw outOfRange('slot', 'an event slot', slot, EVENT_SLOTS);
    return this.records[o + slot];
  }
  command(k: number): number {
    return this.records[this.at(k) + EventSlot.COMMAND];
  }
  asset(k: number): number {
    return this.records[this.at(k) + EventSlot.ASSET];
  }
  orderId(k: number): number {
    return this.records[this.at(k) + EventSlot.ORDER_ID];
  }

  /** Event k as an object: allocates, so meant for consumers that keep events, tests and tools. */
  event(k: number): BookEvent {
    return readEvent(this.records, this.at(k));
  }

  /** Every event as an object. */
  toArray(): BookEvent[] {
    // Pushed, not `new Array(count)`: a holey array made without an allocation site withdraws V8's
    // ArrayConstructor protector for the whole process (decodeFills in src/engine-host.ts says more).
    const out: BookEvent[] = [];
    for (let k = 0; k < this.count; k++) out.push(this.event(k));
    return out;
  }
}

/** @internal The INVALID_ARGUMENT of an index `name` of `what` outside [0, count) (BatchResults and EventList). */
export function outOfRange(name: string, what: string, index: number, count: number): LobError {
  return invalidArgument(name, `${what} index in [0, ${count})`, index);
}

/**
 * The event record at slot offset `o` of `records` as an object. Refuses, naming what is wrong,
 * what is not a Float64Array, an offset whose record runs past the end (INVALID_ARGUMENT), and a
 * head no core writes (CORRUPTION): a typed array reads undefined past its end, so a short buffer
 * gave an event of undefineds, and a wrong one an event of garbage, without a word.
 */
export function decodeEvent(records: Float64Array, o: number): BookEvent {
  if (!(records instanceof Float64Array)) throw invalidArgument('records', 'a Float64Array of event records', records);
  if (!Number.isSafeInteger(o) || o < 0 || Object.is(o, -0)) throw invalidArgument('o', 'a non-negative safe integer (a slot offset)', o);
  if (o + EVENT_SLOTS > records.length) {
    throw new LobError('INVALID_ARGUMENT', `records holds ${records.length} slots, too short for an event at slot ${o} (${EVENT_SLOTS} slots, to ${o + EVENT_SLOTS})`);
  }
  const head = records[o];
  if (!(head >= 0 && head < MAX_HEAD && Math.floor(head) === head && EVENT_KINDS[head & EventHead.KIND_MASK] !== undefined)) {
    throw new LobError('CORRUPTION', `records[${o}] is ${head}, not an event's head (a whole number below 2^20 whose low 4 bits are a kind, 1 to ${EVENT_KINDS.length - 1})`);
  }
  return readEvent(records, o);
}

/** The highest head bit (PENDING) and one: a head at or past it is not one a core wrote. */
const MAX_HEAD = EventHead.PENDING * 2;

/**
 * @internal decodeEvent unchecked, for the records the engine and the stores hand over (the checks
 * would be paid per event of every feed message and audit page for buffers already known good).
 */
export function readEvent(records: Float64Array, o: number): BookEvent {
  const head = records[o];
  const kind = head & EventHead.KIND_MASK;
  const event: BookEvent = {
    kind: EVENT_KINDS[kind] as BookEventKind,
    command: records[o + EventSlot.COMMAND],
    asset: records[o + EventSlot.ASSET],
    orderId: records[o + EventSlot.ORDER_ID],
    trader: records[o + EventSlot.TRADER],
    side: SIDES[(head >> EventHead.SIDE_SHIFT) & 1],
    price: records[o + EventSlot.PRICE],
    size: records[o + EventSlot.SIZE],
    remaining: records[o + EventSlot.REMAINING],
  };
  const reason = REASONS[(head >> EventHead.REASON_SHIFT) & EventHead.REASON_MASK];
  if (reason !== undefined) event.reason = reason;
  if (kind === EventCode.ACCEPTED || kind === EventCode.TRIGGERED || (kind === EventCode.REJECTED && event.orderId === 0)) {
    const type = (head >> EventHead.TYPE_SHIFT) & 3;
    event.type = ORDER_TYPES[type];
    event.timeInForce = TIME_IN_FORCE[(head >> EventHead.TIF_SHIFT) & 3];
    event.stp = STP_MODES[(head >> EventHead.STP_SHIFT) & 3];
    const isStop = type === OrderTypeCode.STOP_LIMIT || type === OrderTypeCode.STOP_MARKET;
    if (kind === EventCode.TRIGGERED) {
      event.stopPrice = records[o + EventSlot.OTHER];
      event.lastPrice = records[o + EventSlot.OTHER2];
    } else {
      if (records[o + EventSlot.OTHER] !== 0) event.clientOrderId = records[o + EventSlot.OTHER];
      const other2 = records[o + EventSlot.OTHER2];
      // An OCO's limit leg (and a rejected pair) carries the pair's stop price too.
      if (isStop || (head & EventHead.OCO) !== 0) event.stopPrice = other2;
      else if (other2 !== 0) event.budget = other2;
    }
    if ((head & EventHead.OCO) !== 0 && event.orderId !== 0) event.ocoSiblingId = isStop ? event.orderId - 1 : event.orderId + 1;
  } else if (kind === EventCode.FILL) {
    event.takerOrderId = records[o + EventSlot.OTHER];
    event.takerTrader = records[o + EventSlot.OTHER2];
  } else if (kind === EventCode.MODIFIED) {
    event.newPrice = records[o + EventSlot.OTHER];
    event.priorityLost = (head & EventHead.PRIORITY_LOST) !== 0;
  }
  if ((head & EventHead.PENDING) !== 0) event.pending = true;
  if ((head & EventHead.LEVEL) !== 0) {
    event.level = { price: records[o + EventSlot.PRICE], size: records[o + EventSlot.LEVEL_SIZE], orders: records[o + EventSlot.LEVEL_ORDERS] };
  }
  return event;
}
