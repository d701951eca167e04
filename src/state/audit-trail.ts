// The order audit trail: what became of any order ever accepted or rejected, its whole lifecycle,
// a trader's orders, an order by its client id. All of it is read from the event blocks (the
// commits' truth) through the derived index (keys.ts): an order's record is its events folded.
import { EventCode, EVENT_KINDS, ORDER_TYPES, OrderTypeCode, REASONS, SIDES, STP_MODES, TIME_IN_FORCE } from '../codes.js';
import { EVENT_SLOTS, EventHead, EventSlot, readEvent } from '../events.js';
import type { OrderEventCursor, OrderEventPage, OrderEventQuery, OrderRecord, RecordedEvent, RejectReason, RemovalReason, TraderOrderQuery } from '../types.js';
import { invalidArgument, LobError } from '../errors.js';
import { isNonNegativeSafeInteger, orDefault } from '../validate.js';
import { eventsOfOrder, firstEventOfCommand } from './block-lookup.js';
import { decodeUint } from './codecs.js';
import { DEFAULT_PAGE_LIMIT, normalizeHeights, normalizePage, requireId, requireOrderId, requireQuery } from './fill-history.js';
import { History, type ReadBlock } from './history.js';
import { Prefix, keyOf } from './keys.js';
import { NOT_OPEN, PAIRED, UNPAIRED, type OpenOrders } from './open-orders.js';
import type { OverlayReader } from './overlay.js';
import { compareBytes, type KeyRange } from './memory-store.js';

/** The record an accepted or rejected order starts from: its ACCEPTED or REJECTED event. */
function placedRecord(block: ReadBlock, k: number): OrderRecord {
  const e = block.events;
  const o = k * EVENT_SLOTS;
  const head = e[o];
  const rejected = (head & EventHead.KIND_MASK) === EventCode.REJECTED;
  const type = (head >> EventHead.TYPE_SHIFT) & 3;
  const isStop = type === OrderTypeCode.STOP_LIMIT || type === OrderTypeCode.STOP_MARKET;
  const record: OrderRecord = {
    orderId: e[o + EventSlot.ORDER_ID],
    seq: e[o + EventSlot.COMMAND],
    trader: e[o + EventSlot.TRADER],
    asset: e[o + EventSlot.ASSET],
    side: SIDES[(head >> EventHead.SIDE_SHIFT) & 1],
    type: ORDER_TYPES[type],
    price: e[o + EventSlot.PRICE],
    size: e[o + EventSlot.SIZE],
    filled: 0,
    remaining: rejected ? 0 : e[o + EventSlot.SIZE],
    status: rejected ? 'rejected' : isStop ? 'pending' : 'resting',
    timeInForce: TIME_IN_FORCE[(head >> EventHead.TIF_SHIFT) & 3],
    stp: STP_MODES[(head >> EventHead.STP_SHIFT) & 3],
    timestamp: block.timestamps[k],
    placedHeight: block.heights[k],
  };
  if (rejected) {
    record.reason = REASONS[(head >> EventHead.REASON_SHIFT) & EventHead.REASON_MASK] as RejectReason;
    record.closedHeight = block.heights[k];
  }
  if (e[o + EventSlot.OTHER] !== 0) record.clientOrderId = e[o + EventSlot.OTHER];
  const other2 = e[o + EventSlot.OTHER2];
  if (isStop || (head & EventHead.OCO) !== 0) record.stopPrice = other2;
  else if (other2 !== 0) {
    record.budget = other2;
    record.spent = 0;
  }
  if ((head & EventHead.OCO) !== 0 && record.orderId !== 0) record.ocoSiblingId = isStop ? record.orderId - 1 : record.orderId + 1;
  return record;
}

/** Folds an order's events (after its ACCEPTED) into its record. */
class RecordFolder {
  /** The command whose matching the order is in (placed, or re-entered by a modify), or -1. */
  private takingSeq = -1;
  private takingHeight = 0;

  constructor(readonly record: OrderRecord) {
    // A new order matches at once; a stop only once it triggers; a rejected one never.
    this.takingSeq = record.status === 'resting' ? record.seq : -1;
    this.takingHeight = record.placedHeight;
  }

  apply(block: ReadBlock, k: number): void {
    const r = this.record;
    const e = block.events;
    const o = k * EVENT_SLOTS;
    const head = e[o];
    const seq = e[o + EventSlot.COMMAND];
    if (this.takingSeq !== -1 && seq !== this.takingSeq) this.finishTaking();
    switch (head & EventHead.KIND_MASK) {
      case EventCode.FILL:
        r.filled += e[o + EventSlot.SIZE];
        if (e[o + EventSlot.ORDER_ID] === r.orderId) {
          r.remaining = e[o + EventSlot.REMAINING];
          if (r.remaining === 0) this.close('filled', block.heights[k]);
        } else {
          this.takingHeight = block.heights[k];
          if (r.spent !== undefined) r.spent += e[o + EventSlot.PRICE] * e[o + EventSlot.SIZE];
        }
        break;
      case EventCode.TRIGGERED:
        r.triggeredHeight = block.heights[k];
        this.takingSeq = seq;
        this.takingHeight = block.heights[k];
        break;
      case EventCode.RESTED:
        r.status = 'resting';
        r.remaining = e[o + EventSlot.REMAINING];
        r.price = e[o + EventSlot.PRICE];
        this.takingSeq = -1;
        break;
      case EventCode.REDUCED:
        r.remaining = e[o + EventSlot.REMAINING];
        break;
      case EventCode.MODIFIED:
        r.price = e[o + EventSlot.OTHER];
        r.remaining = e[o + EventSlot.REMAINING];
        if ((head & EventHead.PRIORITY_LOST) !== 0) {
          this.takingSeq = seq;
          this.takingHeight = block.heights[k];
        }
        break;
      case EventCode.REMOVED:
        r.reason = REASONS[(head >> EventHead.REASON_SHIFT) & EventHead.REASON_MASK] as RemovalReason;
        this.close('cancelled', block.heights[k]);
        break;
    }
  }

  /** The record once every event is applied. */
  finish(): OrderRecord {
    if (this.takingSeq !== -1) this.finishTaking();
    return this.record;
  }

  /** The order went through its matching without resting or being removed: it filled whole. */
  private finishTaking(): void {
    this.close('filled', this.takingHeight);
  }

  private close(status: 'filled' | 'cancelled', height: number): void {
    this.record.status = status;
    this.record.remaining = 0;
    this.record.closedHeight = height;
    this.takingSeq = -1;
  }
}

function recordedEvent(block: ReadBlock, k: number): RecordedEvent {
  const event = readEvent(block.events, k * EVENT_SLOTS) as RecordedEvent;
  event.seq = event.command;
  event.height = block.heights[k];
  if (block.fillSeqs[k] !== 0) event.fillSeq = block.fillSeqs[k];
  return event;
}

export class AuditTrail {
  constructor(
    private readonly history: History,
    /** The indexes through the overlay: a closed page reads its trader's placings as numbers (traderPlacings). */
    private readonly reader: OverlayReader,
    /** The next order id the engine will assign: ids at or above it were never issued. */
    private readonly nextOrderId: () => number,
    /** The open-order set, once it may be read: from then on what the durable commits leave (open-orders.ts). */
    private readonly openOrders: () => Promise<OpenOrders>,
  ) {}

  async getOrder(orderId: number): Promise<OrderRecord | undefined> {
    requireOrderId(orderId);
    if (orderId >= this.nextOrderId()) return undefined;
    let folder: RecordFolder | undefined;
    for (const block of await this.history.blocksOfOrder(orderId)) {
      for (const k of eventsOfOrder(block, orderId)) {
        if (folder === undefined) {
          if (EVENT_KINDS[block.events[k * EVENT_SLOTS] & EventHead.KIND_MASK] !== 'accepted') continue;
          folder = new RecordFolder(placedRecord(block, k));
        } else {
          folder.apply(block, k);
        }
      }
    }
    return folder?.finish();
  }

  async getOrderEvents(orderId: number): Promise<RecordedEvent[]> {
    requireOrderId(orderId);
    if (orderId >= this.nextOrderId()) return [];
    const out: RecordedEvent[] = [];
    for (const block of await this.history.blocksOfOrder(orderId)) {
      for (const k of eventsOfOrder(block, orderId)) out.push(recordedEvent(block, k));
    }
    return out;
  }

  /**
   * A page of an order's events, oldest first or newest first, past the cursor `after` (the `next`
   * of the page before). The order's blocks are read as far as the page reaches: the newest events
   * of an order filled 50,000 times are a few blocks' reading, not its whole trail's (getOrderEvents).
   */
  async getOrderEventPage(orderId: number, query: OrderEventQuery = {}): Promise<OrderEventPage> {
    requireOrderId(orderId);
    requireQuery(query, ORDER_EVENT_QUERY_KEYS, 'getOrderEventPage');
    const newestFirst = orDefault(query.newestFirst, false);
    if (typeof newestFirst !== 'boolean') throw invalidArgument('newestFirst', 'a boolean', newestFirst);
    const after = query.after === undefined ? undefined : requireCursor('after', query.after);
    const limit = orDefault(query.limit, DEFAULT_PAGE_LIMIT);
    if (!Number.isSafeInteger(limit) || limit < 1) throw invalidArgument('limit', 'a positive safe integer', limit);
    const events: RecordedEvent[] = [];
    if (orderId >= this.nextOrderId()) return { events, more: false };
    let last: { block: ReadBlock; ks: Int32Array; i: number } | undefined;
    const step = newestFirst ? -1 : 1;
    // The first block is the cursor's own, or the cursor names none of the order's events.
    let cursorFound = after === undefined;
    for await (const block of this.history.orderBlocks(orderId, newestFirst, after?.seq)) {
      const ks = eventsOfOrder(block, orderId);
      let i = newestFirst ? ks.length - 1 : 0;
      if (!cursorFound) {
        // Older blocks are wholly before the cursor, later ones wholly past it: only its own is cut.
        const at = eventAt(block, ks, after!);
        if (at === undefined) break;
        cursorFound = true;
        i = newestFirst ? at - 1 : at + 1;
      }
      for (; i >= 0 && i < ks.length; i += step) {
        if (events.length === limit) return { events, next: cursorOf(last!.block, last!.ks, last!.i), more: true };
        events.push(recordedEvent(block, ks[i]));
        last = { block, ks, i };
      }
    }
    if (!cursorFound) throw strayCursor('after', orderId, after!);
    return last === undefined ? { events, more: false } : { events, next: cursorOf(last.block, last.ks, last.i), more: false };
  }

  /**
   * How many events order `orderId` has, or has before the cursor `before`. Every block of the order
   * up to the cursor is read, as getOrder's record reads them all; none of its events is decoded.
   */
  async getOrderEventCount(orderId: number, before?: OrderEventCursor): Promise<number> {
    requireOrderId(orderId);
    const cursor = before === undefined ? undefined : requireCursor('before', before);
    if (orderId >= this.nextOrderId()) return 0;
    let count = 0;
    for await (const block of this.history.orderBlocks(orderId, false)) {
      const ks = eventsOfOrder(block, orderId);
      if (cursor !== undefined && cursor.seq <= block.lastSeq) {
        const at = eventAt(block, ks, cursor);
        if (at === undefined) break;
        return count + at;
      }
      count += ks.length;
    }
    if (cursor !== undefined) throw strayCursor('before', orderId, cursor);
    return count;
  }

  /**
   * A trader's orders in placement order (the sequence of the command that placed them), oldest
   * first or, with `newestFirst`, newest first; `after` is the `seq` of the last record of the
   * previous page.
   */
  async getTraderOrders(trader: number, query: TraderOrderQuery = {}): Promise<OrderRecord[]> {
    requireId('trader', trader);
    requireQuery(query, TRADER_ORDER_QUERY_KEYS, 'getTraderOrders');
    const status = orDefault(query.status, 'all');
    if (status !== 'open' && status !== 'closed' && status !== 'all') throw invalidArgument('status', 'one of open, closed, all', status);
    const newestFirst = orDefault(query.newestFirst, false);
    if (typeof newestFirst !== 'boolean') throw invalidArgument('newestFirst', 'a boolean', newestFirst);
    const { after, limit } = normalizePage(query);
    const { fromHeight, toHeight } = normalizeHeights(query);
    const out: OrderRecord[] = [];
    if (fromHeight > toHeight) return out;
    if (status === 'open') {
      // The records are read after the set, and a commit that becomes durable meanwhile is in them:
      // an order it closed says so, and is left out (its place goes to the next open one), or an
      // open page would list a cancelled or filled order.
      const listed = (record: OrderRecord | undefined): record is OrderRecord =>
        record !== undefined && (record.status === 'resting' || record.status === 'pending') && record.placedHeight >= fromHeight && record.placedHeight <= toHeight;
      // The set is asked for as many ids as the page has room for and one more (the OCO check
      // below), then for more past the last only if records it named were left out, twice as many
      // each time: a page copies about the ids it lists, not every open order of the trader.
      let bound = await this.openIdBound(after, newestFirst);
      let count = limit + 1;
      for (;;) {
        const ids = Array.from((await this.openOrders()).ofTrader(trader, { bound, newestFirst, count }).ids);
        let next = 0;
        for await (const record of together(ids, () => limit - out.length, (orderId) => this.getOrder(orderId))) {
          next++;
          if (listed(record)) out.push(record);
        }
        const pastLast = ids.length === 0 ? bound : newestFirst ? ids[ids.length - 1] : ids[ids.length - 1] + 1;
        if (out.length < limit) {
          if (ids.length < count) return out;
          bound = pastLast;
          count = Math.min(count * 2, OPEN_IDS_PAGE);
          continue;
        }
        // An OCO pair's legs share their placing sequence, which is the cursor: a full page takes the
        // other leg too rather than split them (the next page would skip it).
        const last = out[out.length - 1];
        if (last.ocoSiblingId === undefined) return out;
        const following = next < ids.length ? ids[next] : (await this.openOrders()).ofTrader(trader, { bound: pastLast, newestFirst, count: 1 }).ids[0];
        if (following === last.ocoSiblingId) {
          const sibling = await this.getOrder(last.ocoSiblingId);
          if (listed(sibling) && sibling.seq === last.seq) out.push(sibling);
        }
        return out;
      }
    }
    const beyond = (seq: number): boolean => after === 0 || (newestFirst ? seq < after : seq > after);
    // Bounds of the key range (trader, height, seq), narrowed by the cursor on its side.
    let low = keyOf(Prefix.TRADER_ORDER, trader, fromHeight, 0);
    let high = toHeight >= Number.MAX_SAFE_INTEGER ? keyOf(Prefix.TRADER_ORDER, trader + 1, 0, 0) : keyOf(Prefix.TRADER_ORDER, trader, toHeight + 1, 0);
    // The cursor only narrows the range: a cursor placed outside the heights must not bring in the
    // orders between it and them. One past every block narrows nothing (`beyond` still applies).
    const block = after > 0 ? await this.history.blockAt(after) : undefined;
    if (block !== undefined) {
      const cursor = keyOf(Prefix.TRADER_ORDER, trader, History.heightAt(block, after), after);
      if (newestFirst && compareBytes(cursor, high) < 0) high = cursor;
      if (!newestFirst && compareBytes(cursor, low) > 0) low = cursor;
    }
    // Closed pages pass over the open orders without reading their records: a market maker's
    // thousands of resting orders cost a record each (a few reads of the store and a block's
    // lookup), to find the few that closed.
    const open = status === 'closed' ? await this.openOrders() : undefined;
    // Twice the limit at first, which a page of all orders fills; a closed page may pass over many
    // open orders to fill, and reads PLACINGS_PAGE postings at a time from there.
    let page = limit * 2;
    let range: KeyRange = newestFirst ? { gte: low, lt: high, reverse: true, limit: page } : { gte: low, lt: high, limit: page };
    for (;;) {
      // As numbers, no key or value a posting: a closed page may pass over every open order of the trader.
      const { heights, seqs, values: orderIds } = await this.reader.traderPlacings(range);
      // Sorted out as the postings arrive, with no await between: the set is then what the durable
      // commits leave, and every posting read is of one of them. So a page is what those commits
      // left: an order open then is not on it however soon it closes, and one closed then stays so.
      const placings: Placing[] = [];
      for (let i = 0; i < seqs.length; i++) {
        if (!beyond(seqs[i])) continue;
        const placing = placingOf(open, trader, seqs[i], orderIds[i]);
        if (placing !== undefined) placings.push(placing);
      }
      // Each placing's orders: one, or an OCO pair's two legs (kept on one page: they share the cursor seq).
      for await (const placed of together(placings, () => limit - out.length, (placing) => this.placedOrders(trader, placing, open))) {
        if (newestFirst) placed.reverse();
        for (const r of placed) {
          if (status === 'closed' && (r.status === 'resting' || r.status === 'pending')) continue;
          out.push(r);
        }
        if (out.length >= limit) return out;
      }
      if (seqs.length < page) return out;
      const last = keyOf(Prefix.TRADER_ORDER, trader, heights[seqs.length - 1], seqs[seqs.length - 1]);
      page = Math.max(page, PLACINGS_PAGE);
      range = newestFirst ? { gte: low, lt: last, reverse: true, limit: page } : { gt: last, lt: high, limit: page };
    }
  }

  /**
   * The orders a trader's command placed (`placing`), oldest first: its order and, for an OCO pair,
   * the stop leg (id + 1); for a closed page (`open` given) none the set holds.
   */
  private async placedOrders(trader: number, { seq, orderId, read, stopLegOpen }: Placing, open: OpenOrders | undefined): Promise<OrderRecord[]> {
    if (orderId === 0) {
      const rejected = await this.rejectedAt(seq);
      return rejected === undefined ? [] : [rejected];
    }
    const placed: OrderRecord[] = [];
    let paired = true;
    if (read === READ_ORDER) {
      const record = postedOrder(trader, seq, orderId, await this.getOrder(orderId));
      if (record === undefined) return placed;
      placed.push(record);
      paired = record.ocoSiblingId === orderId + 1;
    } else if (read === READ_PAIRING) {
      // The order is open, so not on the page; only its placing says whether a stop leg came with it.
      paired = postedOrder(trader, seq, orderId, await this.placing(orderId))?.ocoSiblingId === orderId + 1;
      open?.learnPairing(orderId, paired);
    }
    if (paired && !stopLegOpen) {
      const stopLeg = (await this.getOrder(orderId + 1)) as OrderRecord;
      // Read past an open limit leg, the stop leg is its own only if it says so.
      if (read === READ_ORDER || stopLeg?.ocoSiblingId === orderId) placed.push(stopLeg);
    }
    return placed;
  }

  /** The record order `orderId` started from: its ACCEPTED event, read from the block that placed it alone. */
  private async placing(orderId: number): Promise<OrderRecord | undefined> {
    const block = await this.history.blockOfOrder(orderId);
    if (block === undefined) return undefined;
    for (const k of eventsOfOrder(block, orderId)) {
      if ((block.events[k * EVENT_SLOTS] & EventHead.KIND_MASK) === EventCode.ACCEPTED) return placedRecord(block, k);
    }
    return undefined;
  }

  /**
   * Where an open page starts in order ids, for the cursor `after` (a placing sequence): newest
   * first the ids below it, oldest first those at or above it. Ids are issued in placement order,
   * so an id is past the cursor exactly when its placing is; the bound is the first id placed by a
   * command past the cursor, read from the one block that holds the cursor, with no order's record.
   */
  private async openIdBound(after: number, newestFirst: boolean): Promise<number> {
    if (after === 0) return newestFirst ? Infinity : 0;
    // The first id placed at or after `from`: one past the last placed before it.
    const from = newestFirst ? after : after + 1;
    if (from <= 1) return 0;
    const block = await this.history.blockAt(from - 1);
    // Past every block: every open id was placed before it.
    if (block === undefined) return Infinity;
    const events = block.events;
    for (let k = firstEventOfCommand(block, from) - 1; k >= 0; k--) {
      if ((events[k * EVENT_SLOTS] & EventHead.KIND_MASK) !== EventCode.ACCEPTED) continue;
      // An OCO pair's legs are both accepted by its command: the greater id is the last placed.
      const seq = events[k * EVENT_SLOTS + EventSlot.COMMAND];
      let last = events[k * EVENT_SLOTS + EventSlot.ORDER_ID];
      for (let j = k - 1; j >= 0 && events[j * EVENT_SLOTS + EventSlot.COMMAND] === seq; j--) {
        if ((events[j * EVENT_SLOTS] & EventHead.KIND_MASK) === EventCode.ACCEPTED) last = Math.max(last, events[j * EVENT_SLOTS + EventSlot.ORDER_ID]);
      }
      return last + 1;
    }
    // None placed in the block before it: the first it would place.
    return block.firstOrderId;
  }

  /** The trader's newest order with this client order id. */
  async getOrderByClientId(trader: number, clientOrderId: number): Promise<OrderRecord | undefined> {
    requireId('trader', trader);
    if (!Number.isSafeInteger(clientOrderId) || clientOrderId < 1) {
      throw invalidArgument('clientOrderId', 'a positive safe integer', clientOrderId);
    }
    const value = await this.reader.get(keyOf(Prefix.CLIENT_ID, trader, clientOrderId));
    if (value === undefined) return undefined;
    const key = keyOf(Prefix.CLIENT_ID, trader, clientOrderId);
    const seq = decodeUint(key, value, 'client-id');
    const block = await this.history.blockAt(seq);
    if (block === undefined) return undefined;
    for (let k = firstEventOfCommand(block, seq); k < block.count && block.events[k * EVENT_SLOTS + EventSlot.COMMAND] === seq; k++) {
      const o = k * EVENT_SLOTS;
      const kind = block.events[o] & EventHead.KIND_MASK;
      if (kind === EventCode.ACCEPTED) return this.getOrder(block.events[o + EventSlot.ORDER_ID]);
      if (kind === EventCode.REJECTED && block.events[o + EventSlot.ORDER_ID] === 0) return placedRecord(block, k);
    }
    return undefined;
  }

  /** The record of the order rejected by command `seq`. */
  private async rejectedAt(seq: number): Promise<OrderRecord | undefined> {
    const block = await this.history.blockAt(seq);
    if (block === undefined) return undefined;
    for (let k = firstEventOfCommand(block, seq); k < block.count && block.events[k * EVENT_SLOTS + EventSlot.COMMAND] === seq; k++) {
      if ((block.events[k * EVENT_SLOTS] & EventHead.KIND_MASK) === EventCode.REJECTED) return placedRecord(block, k);
    }
    return undefined;
  }
}

/**
 * The place in `ks` of the event `cursor` names, or undefined when `block` holds no such event of
 * the order: a cursor between its events, before the first, past the last, or with an index past
 * its command's events, was read as some neighbouring place, and pages skipped events or gave none.
 */
function eventAt(block: ReadBlock, ks: Int32Array, cursor: OrderEventCursor): number | undefined {
  if (cursor.seq < block.firstSeq || cursor.seq > block.lastSeq) return undefined;
  const at = commandStart(block, ks, cursor.seq) + cursor.index;
  return at < ks.length && block.events[ks[at] * EVENT_SLOTS + EventSlot.COMMAND] === cursor.seq ? at : undefined;
}

function strayCursor(field: string, orderId: number, cursor: OrderEventCursor): LobError {
  return new LobError('INVALID_ARGUMENT', `${field} must be the cursor of one of order ${orderId}'s events (a page's next), got { seq: ${cursor.seq}, index: ${cursor.index} }`);
}

/** Where an order's `ks[i]` (its events in `block`, eventsOfOrder) sits in its trail. */
function cursorOf(block: ReadBlock, ks: Int32Array, i: number): OrderEventCursor {
  const seq = block.events[ks[i] * EVENT_SLOTS + EventSlot.COMMAND];
  return { seq, index: i - commandStart(block, ks, seq) };
}

/** The first of the order's events `ks` in `block` caused by command `seq` or a later one: a binary search, as their commands never fall. */
function commandStart(block: ReadBlock, ks: Int32Array, seq: number): number {
  let low = 0;
  let high = ks.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (block.events[ks[mid] * EVENT_SLOTS + EventSlot.COMMAND] < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

function requireCursor(field: string, value: unknown): OrderEventCursor {
  const cursor = value as OrderEventCursor;
  // isNonNegativeSafeInteger refuses -0 too, as every other cursor and id is refused it.
  if (typeof value !== 'object' || value === null || !isNonNegativeSafeInteger(cursor.seq) || !isNonNegativeSafeInteger(cursor.index)) {
    throw invalidArgument(field, 'a cursor { seq, index } of non-negative safe integers (a page\'s next)', value);
  }
  return cursor;
}

const ORDER_EVENT_QUERY_KEYS: readonly (keyof OrderEventQuery)[] = ['newestFirst', 'after', 'limit'];

// Typed by the query's keys, so a key renamed in the interface fails the build here.
const TRADER_ORDER_QUERY_KEYS: readonly (keyof TraderOrderQuery)[] = ['status', 'fromHeight', 'toHeight', 'newestFirst', 'after', 'limit'];

/**
 * The postings a closed page reads at a time past its first read (limit * 2): a read is a round
 * trip that also passes the raw stored lists its page of keys reaches (posting-lists.ts), and what
 * it returns takes some 400 bytes a posting until sorted out. On 50,000 resting orders (round 28)
 * a page of 10 passing over them all took 0.35-0.75 s in reads of 4,096, 0.2-0.55 s of 16,384.
 */
const PLACINGS_PAGE = 4096;

/** The most open ids an open page asks the set for at a time, once its first ask fell short (records left out). */
const OPEN_IDS_PAGE = 4096;

/** A placing's order record is read (and the stop leg's, if an OCO pair's). */
const READ_ORDER = 0;
/** The order is open, an OCO limit leg: only its stop leg's record is read. */
const READ_STOP_LEG = 1;
/** The order is open, its pairing not known: its placing is read, then its stop leg's record if it has one. */
const READ_PAIRING = 2;

/** A command that placed an order (or was rejected, orderId 0), and what of it is read. */
interface Placing {
  seq: number;
  orderId: number;
  read: typeof READ_ORDER | typeof READ_STOP_LEG | typeof READ_PAIRING;
  /** Its stop leg, if it has one, is open: not read for a closed page. */
  stopLegOpen: boolean;
}

/**
 * What a closed page reads of the order a trader's posting names, by the open-order set `open`
 * (undefined: every record is read): nothing if the order is open and placed nothing closed with
 * it (undefined). An order open as another trader's or placed at another sequence is read: the
 * posting is the index's, and the record says which is wrong (postedOrder).
 */
function placingOf(open: OpenOrders | undefined, trader: number, seq: number, orderId: number): Placing | undefined {
  if (open === undefined || orderId === 0) return { seq, orderId, read: READ_ORDER, stopLegOpen: false };
  const pairing = open.placing(orderId, trader, seq);
  // An open order placed alone is the walk's common case: passed over with one look-up of the set.
  if (pairing === UNPAIRED) return undefined;
  // Id + 1 open: the stop leg if there is one, or an order of another command (there is none then).
  const stopLegOpen = open.isOpen(orderId + 1);
  if (pairing === NOT_OPEN) return { seq, orderId, read: READ_ORDER, stopLegOpen };
  if (stopLegOpen) return undefined;
  return { seq, orderId, read: pairing === PAIRED ? READ_STOP_LEG : READ_PAIRING, stopLegOpen: false };
}

/**
 * A page's records are asked for together, this many at most whatever its limit: on a database
 * each record is a few reads from a store in a worker thread, and reads asked for together are
 * answered in a round trip rather than one after another.
 */
const RECORDS_TOGETHER = 256;

/** What `fetch` gives for each of `items`, in order, asked for as many at once as `room()` still wants (RECORDS_TOGETHER at most). */
/**
 * The record a trader's posting names, which must be that trader's order placed at the posting's
 * sequence: the sequence is the page's cursor, so a damaged index that broke this would make a
 * caller paging by it read the same page for ever.
 */
function postedOrder(trader: number, seq: number, orderId: number, record: OrderRecord | undefined): OrderRecord | undefined {
  if (record !== undefined && (record.seq !== seq || record.trader !== trader)) {
    throw new LobError('CORRUPTION', `the index lists order ${orderId} under trader ${trader} at seq ${seq}, but it is trader ${record.trader}'s, placed at seq ${record.seq}`);
  }
  return record;
}

async function* together<T, R>(items: readonly T[], room: () => number, fetch: (item: T) => Promise<R>): AsyncGenerator<R> {
  for (let at = 0; at < items.length && room() > 0;) {
    const window = items.slice(at, at + Math.min(room(), RECORDS_TOGETHER));
    at += window.length;
    yield* await Promise.all(window.map(fetch));
  }
}

