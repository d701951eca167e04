// INTERIM: the market-data feed and audit trail of issue 10, built outside the cores until the
// cores emit events themselves. Swap: `openMarketMachine` returns `CoreStateMachine.open(options)`
// once the state machine has bookSnapshot/subscribe/getOrder/getOrderEvents/getTraderOrders,
// and this file goes away; nothing else in src/serve/ depends on it.
//
// How it works: every command goes through this wrapper, which keeps an L2 shadow of each book
// and works out which levels a command changed. The command's own side changes by arithmetic
// (an order rests, is cancelled, reduced or moved: its size and one order count); the opposite
// side changes only when the command trades, and then every shadow level better than the
// engine's new best is gone and the new best is read from the engine. Events are rebuilt from
// the command's result. What the interim cannot see: a maker removed by a `cancel_maker` STP
// taker is found by listing the taker's own resting orders before such a command.
import { CoreStateMachine, type StateMachineOptions } from '../state/index.js';
import { LobError, invalidArgument } from '../errors.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../validate.js';
import type {
  CancelRequest, CancelResult, Fill, Level, LimitOrderRequest, MarketOrderRequest, ModifyRequest, OrderResult,
  ReduceRequest, RestingOrder, Side,
} from '../types.js';
import type { RecordedFill, TraderFillQuery } from '../state/index.js';
import type {
  BookEvent, BookSnapshot, FeedMessage, FeedSubscription, LevelUpdate, MarketMachine, OrderRecord, RecordedOrderEvent,
  SubscribeOptions, TraderOrderQuery,
} from './feed.js';

export interface InterimFeedOptions {
  /** Messages a subscriber may have waiting before its iteration ends with an error. */
  subscriberLimit?: number;
  /** Orders whose history is kept, oldest forgotten first. */
  retainedOrders?: number;
  /** Feed messages kept per asset for subscribe({ fromSeq }). */
  retainedMessages?: number;
}

export type MarketMachineOptions = StateMachineOptions & InterimFeedOptions;

export async function openMarketMachine(options: MarketMachineOptions = {}): Promise<MarketMachine> {
  const { subscriberLimit, retainedOrders, retainedMessages, ...machineOptions } = options;
  const machine = await CoreStateMachine.open(machineOptions);
  return new InterimFeedMachine(machine, { subscriberLimit, retainedOrders, retainedMessages });
}

const ALL_LEVELS = Number.MAX_SAFE_INTEGER;
const OTHER: Record<Side, Side> = { bid: 'ask', ask: 'bid' };

/** One side of a shadow book: prices sorted with the best last, as the cores keep them. */
class ShadowSide {
  private readonly prices: number[] = [];
  private readonly levels = new Map<number, Level>();

  constructor(readonly side: Side) {}

  /** Whether price a is better than price b on this side. */
  better(a: number, b: number): boolean {
    return this.side === 'bid' ? a > b : a < b;
  }

  best(): number | undefined {
    return this.prices[this.prices.length - 1];
  }

  get(price: number): Level | undefined {
    return this.levels.get(price);
  }

  set(price: number, size: number, orders: number): void {
    const level = this.levels.get(price);
    if (size <= 0 || orders <= 0) {
      if (level === undefined) return;
      this.levels.delete(price);
      this.prices.splice(this.indexOf(price), 1);
      return;
    }
    if (level !== undefined) {
      level.size = size;
      level.orders = orders;
      return;
    }
    this.levels.set(price, { price, size, orders });
    this.prices.splice(this.indexOf(price), 0, price);
  }

  add(price: number, size: number, orders: number): void {
    const level = this.levels.get(price);
    this.set(price, (level?.size ?? 0) + size, (level?.orders ?? 0) + orders);
  }

  /** Where price is or would go: prices before it are worse. */
  private indexOf(price: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.better(price, this.prices[mid])) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What one command did to one asset: its events and the prices whose level it touched. */
class CommandChanges {
  readonly events: BookEvent[] = [];
  readonly touched: Record<Side, Set<number>> = { bid: new Set(), ask: new Set() };
}

interface OrderHistory {
  record: OrderRecord;
  events: RecordedOrderEvent[];
}

class InterimSubscription implements FeedSubscription {
  private readonly queue: FeedMessage[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<FeedMessage>) => void) | null = null;
  private failure: LobError | null = null;
  private ended = false;

  constructor(
    private readonly assets: Set<number> | null,
    private readonly limit: number,
    private readonly detach: (subscription: InterimSubscription) => void,
  ) {}

  wants(asset: number): boolean {
    return this.assets === null || this.assets.has(asset);
  }

  push(message: FeedMessage): void {
    if (this.ended) return;
    if (this.waiting !== null) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: message, done: false });
      return;
    }
    if (this.queue.length - this.head >= this.limit) {
      // What is queued is still delivered; then the iteration ends with this error.
      this.failure = new LobError('IO_ERROR', `feed subscriber fell ${this.limit} messages behind and was cut off; resubscribe from its last seq`);
      this.ended = true;
      this.detach(this);
      return;
    }
    this.queue.push(message);
  }

  close(): void {
    this.queue.length = 0;
    this.head = 0;
    this.failure = null;
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.detach(this);
    if (this.waiting !== null) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  private next(): Promise<IteratorResult<FeedMessage>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++];
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure !== null) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  [Symbol.asyncIterator](): AsyncIterator<FeedMessage> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

export class InterimFeedMachine implements MarketMachine {
  private readonly books = new Map<number, Record<Side, ShadowSide>>();
  private readonly views = new Map<number, ReturnType<CoreStateMachine['getBook']>>();
  private readonly seqs = new Map<number, number>();
  private readonly recent = new Map<number, FeedMessage[]>();
  private readonly subscriptions = new Set<InterimSubscription>();
  private readonly history = new Map<number, OrderHistory>();
  private readonly traderOrders = new Map<number, Set<number>>();
  private readonly subscriberLimit: number;
  private readonly retainedOrders: number;
  private readonly retainedMessages: number;

  constructor(private readonly machine: CoreStateMachine, options: InterimFeedOptions = {}) {
    this.subscriberLimit = options.subscriberLimit ?? 100_000;
    this.retainedOrders = options.retainedOrders ?? 50_000;
    this.retainedMessages = options.retainedMessages ?? 1024;
    // A database opened with books in it: the shadow starts as their depth.
    for (const asset of machine.assets()) {
      const depth = machine.getBook(asset).depth(ALL_LEVELS);
      const book = this.book(asset);
      for (const level of depth.bids) book.bid.set(level.price, level.size, level.orders);
      for (const level of depth.asks) book.ask.set(level.price, level.size, level.orders);
    }
  }

  // ------------------------------------------------------------------ passed through

  get height(): number { return this.machine.height; }
  setHeight(height: number): void { this.machine.setHeight(height); }
  flush(): Promise<unknown> { return this.machine.flush(); }
  assets(): number[] { return this.machine.assets(); }
  stateHash(): string { return this.machine.stateHash(); }
  order(orderId: number): RestingOrder | undefined { return this.machine.order(orderId); }
  /** The machine's view of a book; it reads through the machine, so one per asset serves for good. */
  getBook(asset: number): ReturnType<CoreStateMachine['getBook']> {
    let view = this.views.get(asset);
    if (view === undefined) {
      view = this.machine.getBook(asset);
      this.views.set(asset, view);
    }
    return view;
  }
  getTraderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]> { return this.machine.getTraderFills(trader, query); }

  async close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) subscription.close();
    await this.machine.close();
  }

  // ------------------------------------------------------------------ commands

  placeLimitOrder(req: LimitOrderRequest): OrderResult {
    const before = this.ownOrdersAtRisk(req);
    const result = this.machine.placeLimitOrder(req);
    const changes = new CommandChanges();
    if (result.status === 'rejected') {
      this.rejected(changes, req.asset, req.trader, req.side, req.price, req.size, result);
      return result;
    }
    const record = this.newRecord(result, req.trader, req.asset, req.side, 'limit', req.price, req.size);
    record.timeInForce = req.timeInForce ?? 'GTC';
    if (req.clientOrderId !== undefined) record.clientOrderId = req.clientOrderId;
    this.event(changes, { kind: 'accepted', asset: req.asset, orderId: result.orderId, trader: req.trader, side: req.side, price: req.price, size: req.size, remaining: req.size });
    this.taken(changes, req.asset, req.side, req.price, result, before);
    this.finish(changes, req, result, record.timeInForce === 'IOC' ? 'IOC_REMAINDER' : 'SELF_TRADE');
    return result;
  }

  placeMarketOrder(req: MarketOrderRequest): OrderResult {
    const before = this.ownOrdersAtRisk(req);
    const result = this.machine.placeMarketOrder(req);
    const changes = new CommandChanges();
    const price = req.protectionPrice ?? 0;
    if (result.status === 'rejected') {
      this.rejected(changes, req.asset, req.trader, req.side, price, req.size, result);
      return result;
    }
    this.newRecord(result, req.trader, req.asset, req.side, 'market', price, req.size);
    this.event(changes, { kind: 'accepted', asset: req.asset, orderId: result.orderId, trader: req.trader, side: req.side, price, size: req.size, remaining: req.size });
    this.taken(changes, req.asset, req.side, 0, result, before);
    this.finish(changes, { ...req, price }, result, 'MARKET_REMAINDER');
    return result;
  }

  cancelOrder(req: CancelRequest): CancelResult {
    const order = this.restingBefore(req);
    const result = this.machine.cancelOrder(req);
    if (!result.ok || order === undefined) return result;
    const changes = new CommandChanges();
    this.level(changes, req.asset, order.side, order.price, -order.remaining, -1);
    this.removed(changes, order, 'CANCELLED_BY_USER');
    this.publish(changes, req.asset);
    return result;
  }

  reduceOrder(req: ReduceRequest): CancelResult {
    const order = this.restingBefore(req);
    const result = this.machine.reduceOrder(req);
    if (!result.ok || order === undefined) return result;
    const changes = new CommandChanges();
    const remaining = result.remaining ?? 0;
    const by = order.remaining - remaining;
    this.level(changes, req.asset, order.side, order.price, -by, remaining === 0 ? -1 : 0);
    this.event(changes, { kind: 'reduced', asset: order.asset, orderId: order.orderId, trader: order.trader, side: order.side, price: order.price, size: by, remaining });
    this.updateRecord(order.orderId, (record) => { record.remaining = remaining; });
    if (remaining === 0) this.removed(changes, { ...order, remaining: 0 }, 'REDUCED_TO_ZERO');
    this.publish(changes, req.asset);
    return result;
  }

  modifyOrder(req: ModifyRequest): OrderResult {
    const order = this.restingBefore(req);
    const before = order === undefined ? [] : this.ownOrdersAtRisk({ asset: req.asset, trader: order.trader, side: order.side, stp: order.stp });
    const result = this.machine.modifyOrder(req);
    if (result.status === 'rejected' || order === undefined) return result;
    const changes = new CommandChanges();
    const price = req.price ?? order.price;
    const size = req.size ?? order.remaining;
    this.level(changes, req.asset, order.side, order.price, -order.remaining, -1);
    this.event(changes, {
      kind: 'modified', asset: order.asset, orderId: order.orderId, trader: order.trader, side: order.side, price, size,
      remaining: size, priorityLost: price !== order.price || size > order.remaining,
    });
    this.updateRecord(order.orderId, (record) => { record.price = price; });
    this.taken(changes, req.asset, order.side, price, result, before);
    this.finish(changes, { asset: req.asset, trader: order.trader, side: order.side, price }, result, 'SELF_TRADE');
    return result;
  }

  // ------------------------------------------------------------------ the feed

  bookSnapshot(asset: number, levels?: number): BookSnapshot {
    if (levels !== undefined && !isPositiveSafeInteger(levels)) throw invalidArgument('levels', 'a positive safe integer', levels);
    const depth = this.getBook(asset).depth(levels ?? ALL_LEVELS);
    return { asset, seq: this.seqs.get(asset) ?? 0, height: this.machine.height, bids: depth.bids, asks: depth.asks };
  }

  subscribe(options: SubscribeOptions = {}): FeedSubscription {
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
    const { assets, fromSeq } = options;
    if (assets !== undefined && (!Array.isArray(assets) || !assets.every(isNonNegativeSafeInteger))) {
      throw invalidArgument('assets', 'an array of non-negative safe integers', assets);
    }
    if (fromSeq !== undefined && !isPositiveSafeInteger(fromSeq)) throw invalidArgument('fromSeq', 'a positive safe integer', fromSeq);
    const subscription = new InterimSubscription(assets === undefined ? null : new Set(assets), this.subscriberLimit, (s) => this.subscriptions.delete(s));
    if (fromSeq !== undefined) {
      for (const asset of assets ?? [...this.recent.keys()]) {
        const kept = this.recent.get(asset) ?? [];
        const last = this.seqs.get(asset) ?? 0;
        if (fromSeq <= last && (kept.length === 0 || kept[0].seq > fromSeq)) {
          throw new LobError('INVALID_ARGUMENT', `fromSeq ${fromSeq} of asset ${asset} is older than the feed keeps (from ${kept[0]?.seq ?? last + 1})`);
        }
        for (const message of kept) if (message.seq >= fromSeq) subscription.push(message);
      }
    }
    this.subscriptions.add(subscription);
    return subscription;
  }

  // ------------------------------------------------------------------ the audit trail

  async getOrder(orderId: number): Promise<OrderRecord | undefined> {
    if (!isPositiveSafeInteger(orderId)) throw invalidArgument('orderId', 'a positive safe integer', orderId);
    const history = this.history.get(orderId);
    return history === undefined ? undefined : { ...history.record };
  }

  async getOrderEvents(orderId: number): Promise<RecordedOrderEvent[]> {
    if (!isPositiveSafeInteger(orderId)) throw invalidArgument('orderId', 'a positive safe integer', orderId);
    return (this.history.get(orderId)?.events ?? []).map((event) => ({ ...event }));
  }

  /** Newest first. */
  async getTraderOrders(trader: number, query: TraderOrderQuery = {}): Promise<OrderRecord[]> {
    if (!isNonNegativeSafeInteger(trader)) throw invalidArgument('trader', 'a non-negative safe integer', trader);
    const status = query.status ?? 'all';
    if (!['open', 'closed', 'all'].includes(status)) throw invalidArgument('status', 'one of open, closed, all', status);
    const limit = query.limit ?? 100;
    if (!isPositiveSafeInteger(limit)) throw invalidArgument('limit', 'a positive safe integer', limit);
    const ids = [...(this.traderOrders.get(trader) ?? [])].reverse();
    const found: OrderRecord[] = [];
    for (const id of ids) {
      const record = this.history.get(id)?.record;
      if (record === undefined) continue;
      const open = record.status === 'resting' || record.status === 'pending';
      if (status === 'open' && !open) continue;
      if (status === 'closed' && open) continue;
      found.push({ ...record });
      if (found.length === limit) break;
    }
    return found;
  }

  // ------------------------------------------------------------------ internals

  private book(asset: number): Record<Side, ShadowSide> {
    let book = this.books.get(asset);
    if (book === undefined) {
      book = { bid: new ShadowSide('bid'), ask: new ShadowSide('ask') };
      this.books.set(asset, book);
    }
    return book;
  }

  private level(changes: CommandChanges, asset: number, side: Side, price: number, size: number, orders: number): void {
    this.book(asset)[side].add(price, size, orders);
    changes.touched[side].add(price);
  }

  /**
   * A taker on `side` with a `limit` price (0: a market order) traded, or may have: its fills as
   * events, and the opposite side brought level with the engine. `before` is the taker's own
   * resting orders a cancel_maker STP could remove.
   */
  private taken(changes: CommandChanges, asset: number, side: Side, limit: number, result: OrderResult, before: readonly RestingOrder[]): void {
    const makerSide = OTHER[side];
    const filledMakers = new Set<number>();
    for (const fill of result.fills) {
      filledMakers.add(fill.makerOrderId);
      this.fill(changes, makerSide, fill);
    }
    for (const order of before) {
      if (!filledMakers.has(order.orderId) && this.machine.order(order.orderId) === undefined) this.removed(changes, order, 'SELF_TRADE');
    }
    const shadow = this.book(asset)[makerSide];
    const known = shadow.best();
    // A command that filled nothing, removed nothing and does not reach the other side's best left it as it was.
    if (result.fills.length === 0 && before.length === 0 && (known === undefined || (limit !== 0 && shadow.better(limit, known)))) return;
    const view = this.getBook(asset);
    const best = makerSide === 'bid' ? view.bestBid() : view.bestAsk();
    for (let price = shadow.best(); price !== undefined; price = shadow.best()) {
      if (best !== undefined && !shadow.better(price, best.price)) break;
      shadow.set(price, 0, 0);
      changes.touched[makerSide].add(price);
    }
    if (best === undefined) return;
    const level = shadow.get(best.price);
    if (level === undefined || level.size !== best.size || level.orders !== best.orders) {
      shadow.set(best.price, best.size, best.orders);
      changes.touched[makerSide].add(best.price);
    }
  }

  private fill(changes: CommandChanges, makerSide: Side, fill: Fill): void {
    const remaining = this.machine.order(fill.makerOrderId)?.remaining ?? 0;
    this.event(changes, {
      kind: 'fill', asset: fill.asset, orderId: fill.makerOrderId, trader: fill.makerTrader, side: makerSide, price: fill.price,
      size: fill.size, remaining, takerOrderId: fill.takerOrderId, takerTrader: fill.takerTrader,
    });
    this.updateRecord(fill.makerOrderId, (record) => {
      record.filled += fill.size;
      record.remaining = remaining;
      if (remaining === 0) this.closeRecord(record, 'filled');
    });
  }

  /** The taker's end: it rests, or its rest is removed, and the message goes out. */
  private finish(changes: CommandChanges, taker: { asset: number; trader: number; side: Side; price: number }, result: OrderResult, removal: string): void {
    const { asset, trader, side, price } = taker;
    const orderId = result.orderId;
    if (result.status === 'resting') {
      this.level(changes, asset, side, price, result.remaining, 1);
      this.event(changes, { kind: 'rested', asset, orderId, trader, side, price, size: result.remaining, remaining: result.remaining });
    } else if (result.status === 'cancelled') {
      const reason = result.reason === 'SELF_TRADE' ? 'SELF_TRADE' : removal;
      this.event(changes, { kind: 'removed', asset, orderId, trader, side, price, size: 0, remaining: 0, reason });
    }
    this.updateRecord(orderId, (r) => {
      r.filled += result.filled;
      r.remaining = result.remaining;
      if (result.status === 'filled') this.closeRecord(r, 'filled');
      else if (result.status === 'cancelled') this.closeRecord(r, 'cancelled', result.reason === 'SELF_TRADE' ? 'SELF_TRADE' : removal);
      else r.status = 'resting';
    });
    this.publish(changes, asset);
  }

  /** An order left the book; its level was already accounted for (by the caller, or by the sweep for STP). */
  private removed(changes: CommandChanges, order: RestingOrder, reason: string): void {
    this.event(changes, { kind: 'removed', asset: order.asset, orderId: order.orderId, trader: order.trader, side: order.side, price: order.price, size: order.remaining, remaining: 0, reason });
    this.updateRecord(order.orderId, (record) => {
      record.remaining = 0;
      this.closeRecord(record, 'cancelled', reason);
    });
  }

  private rejected(changes: CommandChanges, asset: number, trader: number, side: Side, price: number, size: number, result: OrderResult): void {
    // A rejected order has no id and changes no book: an event for the record, no feed message.
    this.event(changes, { kind: 'rejected', asset, orderId: 0, trader, side, price, size, remaining: 0, reason: result.reason });
  }

  /**
   * Orders of the taker's trader on the other side that a cancel_maker or cancel_both taker may
   * remove. Looks only at well-formed requests: a malformed one is the engine's to refuse.
   */
  private ownOrdersAtRisk(req: { asset: number; trader: number; side: Side; stp?: string } | null): RestingOrder[] {
    if (typeof req !== 'object' || req === null || (req.stp !== 'cancel_maker' && req.stp !== 'cancel_both')) return [];
    if (!isNonNegativeSafeInteger(req.asset) || !(req.side in OTHER)) return [];
    const makerSide = OTHER[req.side];
    return this.getBook(req.asset).orders().filter((o) => o.trader === req.trader && o.side === makerSide);
  }

  /** The order a cancel, reduce or modify names, as it rests before the command. */
  private restingBefore(req: { orderId: number } | null): RestingOrder | undefined {
    if (typeof req !== 'object' || req === null || !isPositiveSafeInteger(req.orderId)) return undefined;
    return this.machine.order(req.orderId);
  }

  /**
   * An event of the command, and of the lifecycle of each order it concerns (a fill: maker and
   * taker). One object serves both, so feed events carry their height too.
   */
  private event(changes: CommandChanges, event: BookEvent): void {
    const recorded = event as RecordedOrderEvent;
    recorded.height = this.machine.height;
    changes.events.push(recorded);
    this.history.get(event.orderId)?.events.push(recorded);
    if (event.takerOrderId !== undefined) this.history.get(event.takerOrderId)?.events.push(recorded);
  }

  private publish(changes: CommandChanges, asset: number): void {
    const book = this.book(asset);
    const levels: LevelUpdate[] = [];
    for (const side of ['bid', 'ask'] as const) {
      for (const price of changes.touched[side]) {
        const level = book[side].get(price);
        levels.push({ side, price, size: level?.size ?? 0, orders: level?.orders ?? 0 });
      }
    }
    if (levels.length === 0) return;
    const seq = (this.seqs.get(asset) ?? 0) + 1;
    this.seqs.set(asset, seq);
    const message: FeedMessage = { asset, seq, height: this.machine.height, events: changes.events, levels };
    let kept = this.recent.get(asset);
    if (kept === undefined) this.recent.set(asset, (kept = []));
    kept.push(message);
    if (kept.length > this.retainedMessages * 2) kept.splice(0, kept.length - this.retainedMessages);
    for (const subscription of this.subscriptions) if (subscription.wants(asset)) subscription.push(message);
  }

  private newRecord(result: OrderResult, trader: number, asset: number, side: Side, type: 'limit' | 'market', price: number, size: number): OrderRecord {
    const record: OrderRecord = {
      orderId: result.orderId, trader, asset, side, type, price, size, filled: 0, remaining: size, status: 'resting',
      placedHeight: this.machine.height,
    };
    this.history.set(result.orderId, { record, events: [] });
    let ids = this.traderOrders.get(trader);
    if (ids === undefined) this.traderOrders.set(trader, (ids = new Set()));
    ids.add(result.orderId);
    if (this.history.size > this.retainedOrders) this.forgetOldest();
    return record;
  }

  private forgetOldest(): void {
    const oldest = this.history.keys().next().value as number;
    const record = (this.history.get(oldest) as OrderHistory).record;
    this.history.delete(oldest);
    const ids = this.traderOrders.get(record.trader);
    ids?.delete(oldest);
    if (ids?.size === 0) this.traderOrders.delete(record.trader);
  }

  private updateRecord(orderId: number, update: (record: OrderRecord) => void): void {
    const history = this.history.get(orderId);
    if (history !== undefined) update(history.record);
  }

  private closeRecord(record: OrderRecord, status: 'filled' | 'cancelled', reason?: string): void {
    record.status = status;
    if (reason !== undefined) record.reason = reason;
    record.closedHeight = this.machine.height;
  }
}
