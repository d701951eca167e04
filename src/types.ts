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
  /** Opaque to the engine; echoed back in the result, never stored in the book. */
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
