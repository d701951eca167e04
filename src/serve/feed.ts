// What `lobcore serve` reads from a state machine: the market-data feed (every change of a book
// as events plus the absolute levels it changed, sequenced per asset, a snapshot to start from)
// and the order audit trail. Everything in src/serve/ sees the state machine only through
// `MarketMachine` below, the slice of CoreStateMachine it uses.
import type { OrderEntry } from '../cli/demo-flow.js';
import type { RecordedFill, TraderFillQuery } from '../state/index.js';
import type {
  BookSnapshot, FeedMessage, Level, OrderEventCursor, OrderEventPage, OrderEventQuery, OrderRecord, RestingOrder,
  SubscribeOptions, TraderOrderQuery,
} from '../types.js';

export type {
  BookEvent, BookEventKind, BookSnapshot, FeedMessage, LevelUpdate, OrderRecord, OrderRecordStatus, RecordedEvent,
  SubscribeOptions, TraderOrderQuery,
} from '../types.js';

/** Ends with a LobError (SLOW_CONSUMER) when the subscriber falls too far behind; resubscribe then. */
export interface FeedSubscription extends AsyncIterable<FeedMessage> {
  close(): void;
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
  /** The engine's canonical snapshot (src/snapshot.ts): where the server reads each book's last trade price. */
  snapshot(): Uint8Array;
  order(orderId: number): RestingOrder | undefined;
  getBook(asset: number): { bestBid(): Level | undefined; bestAsk(): Level | undefined; depth(levels?: number): { bids: Level[]; asks: Level[] } };
  bookSnapshot(asset: number, levels?: number): BookSnapshot;
  subscribe(options?: SubscribeOptions): FeedSubscription;
  getOrder(orderId: number): Promise<OrderRecord | undefined>;
  getOrderEventPage(orderId: number, query?: OrderEventQuery): Promise<OrderEventPage>;
  getOrderEventCount(orderId: number, before?: OrderEventCursor): Promise<number>;
  getTraderOrders(trader: number, query?: TraderOrderQuery): Promise<OrderRecord[]>;
  getTraderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]>;
}
