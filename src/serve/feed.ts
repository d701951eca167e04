// The market-data feed and audit trail that `lobcore serve` reads, in the shapes the state
// machine provides them (issue 10): every change of a book as events plus the absolute levels
// it changed, sequenced per asset, a snapshot to start from, and the order history. Everything
// in src/serve/ sees the state machine only through `MarketMachine` below; interim-feed.ts is
// the one place that builds it.
import type { OrderEntry } from '../cli/demo-flow.js';
import type { RecordedFill, TraderFillQuery } from '../state/index.js';
import type { Level, RestingOrder, Side, TimeInForce } from '../types.js';

export type BookEventKind = 'accepted' | 'rested' | 'fill' | 'reduced' | 'modified' | 'removed' | 'rejected' | 'triggered';

/** One change of a book, in the order it happened. */
export interface BookEvent {
  kind: BookEventKind;
  asset: number;
  orderId: number;
  trader: number;
  side: Side;
  price: number;
  size: number;
  remaining: number;
  /** Removal reason (CANCELLED_BY_USER, IOC_REMAINDER, MARKET_REMAINDER, SELF_TRADE, REDUCED_TO_ZERO, OCO_SIBLING) or rejection reason. */
  reason?: string;
  /** Fills: orderId and trader are the maker's, these the taker's. */
  takerOrderId?: number;
  takerTrader?: number;
  /** Modified: whether the order went to the back of its level. */
  priorityLost?: boolean;
}

/** A price level as it is after a change; size 0: the level is gone. */
export interface LevelUpdate {
  side: Side;
  price: number;
  size: number;
  orders: number;
}

/** One command's changes to one asset's book. `seq` rises by exactly one per message per asset. */
export interface FeedMessage {
  asset: number;
  seq: number;
  height: number;
  events: BookEvent[];
  levels: LevelUpdate[];
}

/** Aggregated levels, best first, consistent with feed sequence `seq`. */
export interface BookSnapshot {
  asset: number;
  seq: number;
  height: number;
  bids: Level[];
  asks: Level[];
}

export interface SubscribeOptions {
  assets?: number[];
  fromSeq?: number;
}

/** Ends with an error when the subscriber falls too far behind; resubscribe then. */
export interface FeedSubscription extends AsyncIterable<FeedMessage> {
  close(): void;
}

export type OrderRecordStatus = 'resting' | 'pending' | 'filled' | 'cancelled' | 'rejected';

/** Any order ever accepted or rejected, resting or finished. */
export interface OrderRecord {
  orderId: number;
  trader: number;
  asset: number;
  side: Side;
  type: 'limit' | 'market';
  price: number;
  size: number;
  filled: number;
  remaining: number;
  status: OrderRecordStatus;
  reason?: string;
  clientOrderId?: number;
  timeInForce?: TimeInForce;
  placedHeight: number;
  closedHeight?: number;
}

export type RecordedOrderEvent = BookEvent & { height: number };

export interface TraderOrderQuery {
  status?: 'open' | 'closed' | 'all';
  limit?: number;
}

/** The state machine, as `lobcore serve` uses it: the per-call order API (what the demo flow drives) and the feed. */
export interface MarketMachine extends OrderEntry {
  readonly height: number;
  setHeight(height: number): void;
  flush(): Promise<unknown>;
  close(): Promise<void>;
  /** Assets whose book holds at least one resting order. */
  assets(): number[];
  /** sha256 of every resting order and the next id: equal hashes, same books. */
  stateHash(): string;
  order(orderId: number): RestingOrder | undefined;
  getBook(asset: number): { bestBid(): Level | undefined; bestAsk(): Level | undefined; depth(levels?: number): { bids: Level[]; asks: Level[] } };
  bookSnapshot(asset: number, levels?: number): BookSnapshot;
  subscribe(options?: SubscribeOptions): FeedSubscription;
  getOrder(orderId: number): Promise<OrderRecord | undefined>;
  getOrderEvents(orderId: number): Promise<RecordedOrderEvent[]>;
  getTraderOrders(trader: number, query?: TraderOrderQuery): Promise<OrderRecord[]>;
  getTraderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]>;
}
