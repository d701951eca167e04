// The public shapes of lobcore's engine API (README.md, docs/semantics.md).
// Numbers are plain JS numbers holding safe integers: prices in ticks, sizes in lots.

export type Side = 'bid' | 'ask';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'POST_ONLY';
export type SelfTradePrevention = 'allow' | 'cancel_taker' | 'cancel_maker' | 'cancel_both';
export type OrderStatus = 'resting' | 'filled' | 'cancelled' | 'rejected';
export type RejectReason =
  | 'CANNOT_FILL'
  | 'WOULD_CROSS'
  | 'NOT_OWNER'
  | 'UNKNOWN_ORDER'
  | 'CAPACITY'
  | 'SELF_TRADE';
/** Why an order left the book (or a taker's rest was cancelled): the reason of a `removed` event. */
export type RemovalReason =
  | 'CANCELLED_BY_USER'
  | 'IOC_REMAINDER'
  | 'MARKET_REMAINDER'
  | 'SELF_TRADE'
  | 'REDUCED_TO_ZERO';
export type OrderType = 'limit' | 'market';
export type BackendName = 'wasm' | 'js';

export interface LimitOrderRequest {
  trader: number;
  asset: number;
  side: Side;
  price: number;
  size: number;
  timestamp: number;
  timeInForce?: TimeInForce;
  stp?: SelfTradePrevention;
  /** The caller's own id for the order (a positive safe integer): echoed in the result and the events. */
  clientOrderId?: number;
}

export interface MarketOrderRequest {
  trader: number;
  asset: number;
  side: Side;
  size: number;
  timestamp: number;
  /** Worst price the order may trade at; the rest is cancelled there. */
  protectionPrice?: number;
  stp?: SelfTradePrevention;
  /** The caller's own id for the order (a positive safe integer): echoed in the result and the events. */
  clientOrderId?: number;
}

export interface CancelRequest {
  trader: number;
  asset: number;
  orderId: number;
}

export interface ReduceRequest {
  trader: number;
  asset: number;
  orderId: number;
  by: number;
}

/** Cancels every resting order of a trader: on one asset, or on every asset when none is given. */
export interface CancelAllRequest {
  trader: number;
  asset?: number;
}

export interface CancelAllResult {
  ok: boolean;
  /** How many resting orders were cancelled. */
  cancelled: number;
  /** Only CAPACITY: the WASM core had no memory to list the orders (nothing was cancelled). */
  reason?: RejectReason;
}

export interface ModifyRequest {
  trader: number;
  asset: number;
  orderId: number;
  price?: number;
  size?: number;
  timestamp: number;
}

export interface Fill {
  asset: number;
  makerOrderId: number;
  takerOrderId: number;
  makerTrader: number;
  takerTrader: number;
  takerSide: Side;
  price: number;
  size: number;
  timestamp: number;
}

export interface OrderResult {
  /** Engine-assigned id; 0 when a request was rejected before an id was assigned. */
  orderId: number;
  status: OrderStatus;
  filled: number;
  remaining: number;
  fills: Fill[];
  reason?: RejectReason;
  clientOrderId?: number;
}

export interface CancelResult {
  ok: boolean;
  /** After a reduce: what is left on the book (0 when the reduce cancelled it). */
  remaining?: number;
  reason?: RejectReason;
}

export interface Level {
  price: number;
  size: number;
  orders: number;
}

export interface Depth {
  bids: Level[];
  asks: Level[];
}

export interface RestingOrder {
  orderId: number;
  trader: number;
  asset: number;
  side: Side;
  price: number;
  remaining: number;
  timestamp: number;
  stp: SelfTradePrevention;
}

export type BookEventKind = 'accepted' | 'rested' | 'fill' | 'reduced' | 'modified' | 'removed' | 'rejected';

/**
 * One change of a book, in the order it happened (decoded from the cores' event records,
 * src/events.ts). `orderId`, `trader`, `side` and `price` are the order's; for a fill they are the
 * maker's, with the taker in `takerOrderId` / `takerTrader`.
 */
export interface BookEvent {
  kind: BookEventKind;
  /** Index of the command (in its call or batch) that caused it. */
  command: number;
  asset: number;
  orderId: number;
  trader: number;
  side: Side;
  /** accepted: the limit (0 for a market order without protection); fill: the trade price; else the order's price. */
  price: number;
  /** accepted: the order's size; rested: what rests; fill: what traded; reduced: by how much; modified: the old size; removed: what was removed. */
  size: number;
  /** What the order has left after the event (for a fill, the maker's). */
  remaining: number;
  /** removed: why; rejected: why. */
  reason?: RejectReason | RemovalReason;
  /** accepted: the order's type, time in force and STP mode. */
  type?: OrderType;
  timeInForce?: TimeInForce;
  stp?: SelfTradePrevention;
  clientOrderId?: number;
  /** fill: the taker. */
  takerOrderId?: number;
  takerTrader?: number;
  /** modified: the new price, and whether the order lost its place in the queue. */
  newPrice?: number;
  priorityLost?: boolean;
  /** The order's price level after the event, when the event changed it. */
  level?: Level;
}

/** A price level as a feed carries it: absolute values; size 0 means the level is gone. */
export interface LevelUpdate {
  side: Side;
  price: number;
  size: number;
  orders: number;
}

export type OrderRecordStatus = 'resting' | 'pending' | 'filled' | 'cancelled' | 'rejected';

/** An order as the audit trail knows it: any order ever accepted or rejected, open or finished. */
export interface OrderRecord {
  /** 0 for a rejected order (it never got an id): `seq` identifies it. */
  orderId: number;
  /** Journal sequence of the command that placed it. */
  seq: number;
  trader: number;
  asset: number;
  side: Side;
  type: OrderType;
  /** The limit (after the last modify); a market order's protection price, 0 for none. */
  price: number;
  /** The size it was placed with (a modify to a new size shows in `remaining`). */
  size: number;
  filled: number;
  /** What rests now (0 once closed). */
  remaining: number;
  status: OrderRecordStatus;
  /** Why it was rejected, or why it left the book. */
  reason?: RejectReason | RemovalReason;
  clientOrderId?: number;
  timeInForce: TimeInForce;
  stp: SelfTradePrevention;
  /** The placing command's timestamp. */
  timestamp: number;
  placedHeight: number;
  closedHeight?: number;
}

/** An event of an order's life, with where it sits in history. */
export interface RecordedEvent extends BookEvent {
  height: number;
  /** Journal sequence of the command that caused it (its `command`). */
  seq: number;
  /** For a fill, its global fill sequence. */
  fillSeq?: number;
}

export interface TraderOrderQuery {
  /** open: resting (or pending); closed: filled, cancelled or rejected; all (default). */
  status?: 'open' | 'closed' | 'all';
  fromHeight?: number;
  toHeight?: number;
  /** Newest first instead of oldest first. */
  newestFirst?: boolean;
  /** Sequence cursor: the `seq` of the last record of the previous page. */
  after?: number;
  limit?: number;
}

/** One command's effect on one asset's book, as the feed carries it. */
export interface FeedMessage {
  asset: number;
  /** The asset's feed sequence: +1 per message. */
  seq: number;
  height: number;
  /** The command's events for this asset. */
  events: BookEvent[];
  /** The price levels the command changed, as absolute values (size 0: gone). */
  levels: LevelUpdate[];
}

export interface BookSnapshot {
  asset: number;
  /** The feed sequence this snapshot is consistent with: apply messages after it. */
  seq: number;
  height: number;
  bids: Level[];
  asks: Level[];
}

export interface SubscribeOptions {
  /** Only these assets (default: every asset). */
  assets?: number[];
  /** Replay from this feed sequence on (inclusive): one number with one asset, or a sequence per asset. */
  fromSeq?: number | Record<number, number>;
  /** Messages held for a slow reader before it is cut off (default 10,000). */
  maxBuffered?: number;
}
