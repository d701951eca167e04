// The public shapes of lobcore's engine API (README.md, docs/semantics.md).
// Numbers are plain JS numbers holding safe integers: prices in ticks, sizes in lots.

export type Side = 'bid' | 'ask';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'POST_ONLY';
export type SelfTradePrevention = 'allow' | 'cancel_taker' | 'cancel_maker' | 'cancel_both';
/** 'pending': a stop order waiting for its trigger (it does not rest on the book until then). */
export type OrderStatus = 'resting' | 'pending' | 'filled' | 'cancelled' | 'rejected';
export type RejectReason =
  | 'CANNOT_FILL'
  | 'WOULD_CROSS'
  | 'NOT_OWNER'
  | 'UNKNOWN_ORDER'
  | 'CAPACITY'
  | 'SELF_TRADE'
  /** A stop whose trigger condition already holds when it is placed. */
  | 'WOULD_TRIGGER'
  /** A modify of a pending stop: cancel it and place a new one. */
  | 'NOT_MODIFIABLE';
/** Why an order left the book (or a taker's rest was cancelled): the reason of a `removed` event. */
export type RemovalReason =
  | 'CANCELLED_BY_USER'
  | 'IOC_REMAINDER'
  | 'MARKET_REMAINDER'
  | 'SELF_TRADE'
  | 'REDUCED_TO_ZERO'
  /** One leg of an OCO pair, removed because the other one filled, triggered or left. */
  | 'OCO_SIBLING';
export type OrderType = 'limit' | 'market' | 'stop_limit' | 'stop_market';
export type BackendName = 'wasm' | 'js';

/**
 * Every field some request carries: each operation's fields in the table of operations, with its
 * side, timeInForce and stp (test/request-types.test.ts checks this list against the table).
 */
export type RequestField =
  | 'trader' | 'asset' | 'orderId' | 'side' | 'price' | 'size' | 'budget' | 'by' | 'protectionPrice'
  | 'stopPrice' | 'stopLimitPrice' | 'timestamp' | 'timeInForce' | 'stp' | 'clientOrderId';

/**
 * A request of the fields of T, the fields of every other request typed as never: each is refused
 * at runtime (INVALID_ARGUMENT naming it) by an operation that does not take it. An object
 * literal's excess-property check already catches them; typed as never they are caught too in a
 * request built for one operation and passed to another (a limit order given to placeMarket).
 */
export type Only<T> = T & { [N in Exclude<RequestField, keyof T>]?: never };

interface LimitOrderFields {
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

export type LimitOrderRequest = Only<LimitOrderFields>;

interface MarketOrderFields {
  trader: number;
  asset: number;
  side: Side;
  timestamp: number;
  /** Worst price the order may trade at; the rest is cancelled there. */
  protectionPrice?: number;
  stp?: SelfTradePrevention;
  /** The caller's own id for the order (a positive safe integer): echoed in the result and the events. */
  clientOrderId?: number;
}

interface MarketBySizeFields extends MarketOrderFields {
  /** Lots to trade. */
  size: number;
}

interface MarketByBudgetFields extends MarketOrderFields {
  /** The most the order may spend (a buy) or take in (a sell), in price × size units. */
  budget: number;
}

/** A market order for a number of lots. */
export type MarketOrderBySize = Only<MarketBySizeFields>;

/** A market order for an amount: it trades as many lots as the budget pays for, never more. */
export type MarketOrderByBudget = Only<MarketByBudgetFields>;

/** A market order takes a `size` or a `budget`, exactly one of them. */
export type MarketOrderRequest = MarketOrderBySize | MarketOrderByBudget;

interface StopOrderFields {
  trader: number;
  asset: number;
  side: Side;
  size: number;
  stopPrice: number;
  stp?: SelfTradePrevention;
  timestamp: number;
  clientOrderId?: number;
}

interface StopLimitFields extends StopOrderFields {
  /** The limit once triggered. */
  price: number;
  /** The time in force once triggered (default GTC). */
  timeInForce?: TimeInForce;
}

interface StopMarketFields extends StopOrderFields {
  /** A market order has no time in force: only the default, GTC, is taken. */
  timeInForce?: 'GTC';
  /** The protection price once triggered. */
  protectionPrice?: number;
}

/** A stop that becomes a limit order at `price` once triggered. */
export type StopLimitOrderRequest = Only<StopLimitFields>;

/** A stop that becomes a market order once triggered. */
export type StopMarketOrderRequest = Only<StopMarketFields>;

/**
 * A stop order: pending (off the book, out of depth) until the asset's last trade price reaches
 * `stopPrice` (a buy at or above it, a sell at or below it); then a limit order at `price`
 * (a stop-limit) or a market order (a stop-market, without `price`).
 */
export type StopOrderRequest = StopLimitOrderRequest | StopMarketOrderRequest;

interface OcoOrderFields {
  trader: number;
  asset: number;
  side: Side;
  size: number;
  price: number;
  stopPrice: number;
  stopLimitPrice?: number;
  stp?: SelfTradePrevention;
  timestamp: number;
  /** The limit leg's client id (the stop leg is the limit leg's orderId + 1). */
  clientOrderId?: number;
}

/**
 * One-cancels-other: a GTC limit leg at `price` (id N) and a stop leg at `stopPrice` (id N + 1,
 * a stop-limit at `stopLimitPrice` if given, else a stop-market), both for `size`. A buy needs
 * price < stopPrice, a sell price > stopPrice.
 */
export type OcoOrderRequest = Only<OcoOrderFields>;

export type CancelRequest = Only<{
  trader: number;
  asset: number;
  orderId: number;
}>;

export type ReduceRequest = Only<{
  trader: number;
  asset: number;
  orderId: number;
  /** Lots to take off the open size. */
  by: number;
}>;

/** Cancels every resting order of a trader: on one asset, or on every asset when none is given. */
export type CancelAllRequest = Only<{
  trader: number;
  asset?: number;
}>;

export interface CancelAllResult {
  ok: boolean;
  /** How many resting orders were cancelled. */
  cancelled: number;
  /** Only CAPACITY: the WASM core had no memory to list the orders (nothing was cancelled). */
  reason?: RejectReason;
}

interface ModifyFields {
  trader: number;
  asset: number;
  orderId: number;
  timestamp: number;
}

/** A modify to a new price (and, if given, a new size). */
export type ModifyPriceRequest = Only<ModifyFields & {
  price: number;
  size?: number;
}>;

/** A modify to a new size (and, if given, a new price). */
export type ModifySizeRequest = Only<ModifyFields & {
  price?: number;
  /** The new open size. */
  size: number;
}>;

/** A modify changes the price, the size or both: it takes at least one of them. */
export type ModifyRequest = ModifyPriceRequest | ModifySizeRequest;

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
  /** A budget market order: what its fills cost (price × size summed). */
  spent?: number;
  /** An OCO: the stop leg's id (orderId + 1) and status ('pending', or 'cancelled' once the limit leg traded or left). */
  stopOrderId?: number;
  stopStatus?: OrderStatus;
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
  /** Only on a pending stop (orders() lists them after the resting orders; depth never counts them). */
  status?: 'pending';
  /** A pending stop: stop_limit or stop_market, its trigger, its time in force once triggered; `price` is its limit (stop-limit) or protection price (stop-market, 0 for none). */
  type?: 'stop_limit' | 'stop_market';
  stopPrice?: number;
  timeInForce?: TimeInForce;
  /** A leg of an OCO pair: the other leg's id. */
  ocoSiblingId?: number;
}

export type BookEventKind = 'accepted' | 'rested' | 'fill' | 'reduced' | 'modified' | 'removed' | 'rejected' | 'triggered';

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
  /** accepted, triggered: the limit (a market or stop-market order: its protection price, 0 for none); fill: the trade price; else the order's price. */
  price: number;
  /** accepted: the order's size; rested: what rests; fill: what traded; reduced: by how much; modified: the old size; removed: what was removed. */
  size: number;
  /** What the order has left after the event (for a fill, the maker's). */
  remaining: number;
  /** removed: why; rejected: why. */
  reason?: RejectReason | RemovalReason;
  /** accepted, triggered: the order's type, time in force and STP mode. */
  type?: OrderType;
  timeInForce?: TimeInForce;
  stp?: SelfTradePrevention;
  clientOrderId?: number;
  /** accepted, triggered: a stop's trigger price. */
  stopPrice?: number;
  /** triggered: the last trade price that triggered it. */
  lastPrice?: number;
  /** accepted: a budget market order's budget (its size is 0). */
  budget?: number;
  /** accepted: a leg of an OCO pair, and the other leg's id. */
  ocoSiblingId?: number;
  /** About a stop that has not triggered (its placement, refusal, reduction or removal): not market data, the feed leaves it out. */
  pending?: true;
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
  /** The limit (after the last modify); a market or stop-market order's protection price, 0 for none. */
  price: number;
  /** The size it was placed with (a modify to a new size shows in `remaining`; 0 for a budget order). */
  size: number;
  filled: number;
  /** What rests (or waits, for a pending stop) now; 0 once closed. */
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
  /** A stop's trigger price (an OCO limit leg: its stop leg's). */
  stopPrice?: number;
  /** When a stop triggered. */
  triggeredHeight?: number;
  /** A budget market order: its budget, and what its fills cost. */
  budget?: number;
  spent?: number;
  /** A leg of an OCO pair: the other leg. */
  ocoSiblingId?: number;
}

/** An event of an order's life, with where it sits in history. */
export interface RecordedEvent extends BookEvent {
  height: number;
  /** Journal sequence of the command that caused it (its `command`). */
  seq: number;
  /** For a fill, its global fill sequence. */
  fillSeq?: number;
}

/**
 * Where an order's event sits in its trail: the command that caused it (`seq`) and its place among
 * that command's events of the order (`index`, from 0). Both are fixed once the event is: a cursor
 * stays exact while later events land, where an offset counted from the newest would move.
 */
export interface OrderEventCursor {
  seq: number;
  index: number;
}

export interface OrderEventQuery {
  /** Newest first instead of oldest first. */
  newestFirst?: boolean;
  /** The `next` of the previous page: this page starts past it, in its direction. */
  after?: OrderEventCursor;
  /** Events a page holds. */
  limit?: number;
}

export interface OrderEventPage {
  events: RecordedEvent[];
  /** Where the last event of the page sits: the `after` of the next page (absent on an empty page). */
  next?: OrderEventCursor;
  /** Whether the trail held events past the page when it was read. */
  more: boolean;
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
  /** Records a page holds; an OCO pair's two legs share a `seq` and are never split, so a page may hold one more. */
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
