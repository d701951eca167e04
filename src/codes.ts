// Numeric codes shared by the binary batch format, the event records, the snapshot format and
// the WASM core (assembly/codes.ts mirrors these values; test/codes.test.ts checks they agree).
import type {
  BookEventKind, OrderStatus, RejectReason, RemovalReason, SelfTradePrevention, Side, TimeInForce,
} from './types.js';

/** Operation codes of the command record (src/operations.ts describes each one). */
export const Op = { LIMIT: 1, MARKET: 2, CANCEL: 3, REDUCE: 4, MODIFY: 5, CANCEL_ALL: 6, STOP: 7, OCO: 8 } as const;
export const SideCode = { BID: 0, ASK: 1 } as const;
export const TifCode = { GTC: 0, IOC: 1, FOK: 2, POST_ONLY: 3 } as const;
export const StpCode = { ALLOW: 0, CANCEL_TAKER: 1, CANCEL_MAKER: 2, CANCEL_BOTH: 3 } as const;
/** OK is the status of a successful cancel, reduce or mass cancel; PENDING of a stop waiting for its trigger. */
export const StatusCode = { RESTING: 0, FILLED: 1, CANCELLED: 2, REJECTED: 3, OK: 4, PENDING: 5 } as const;
/**
 * Why a command was rejected (results and REJECTED events) or why an order left the book
 * (REMOVED events). SELF_TRADE is both: a taker stopped by STP, a maker removed by it.
 */
export const ReasonCode = {
  NONE: 0,
  CANNOT_FILL: 1,
  WOULD_CROSS: 2,
  NOT_OWNER: 3,
  UNKNOWN_ORDER: 4,
  CAPACITY: 5,
  SELF_TRADE: 6,
  CANCELLED_BY_USER: 7,
  IOC_REMAINDER: 8,
  MARKET_REMAINDER: 9,
  REDUCED_TO_ZERO: 10,
  OCO_SIBLING: 11,
  WOULD_TRIGGER: 12,
  NOT_MODIFIABLE: 13,
} as const;
/** Kinds of event records (src/events.ts). */
export const EventCode = {
  ACCEPTED: 1, RESTED: 2, FILL: 3, REDUCED: 4, MODIFIED: 5, REMOVED: 6, REJECTED: 7, TRIGGERED: 8,
} as const;
/** The order type an ACCEPTED (or TRIGGERED) event reports. */
export const OrderTypeCode = { LIMIT: 0, MARKET: 1, STOP_LIMIT: 2, STOP_MARKET: 3 } as const;

export const SIDES: readonly Side[] = ['bid', 'ask'];
export const TIME_IN_FORCE: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK', 'POST_ONLY'];
export const STP_MODES: readonly SelfTradePrevention[] = ['allow', 'cancel_taker', 'cancel_maker', 'cancel_both'];
export const ORDER_STATUS: readonly (OrderStatus | undefined)[] = ['resting', 'filled', 'cancelled', 'rejected', undefined, 'pending'];
export const ORDER_TYPES = ['limit', 'market', 'stop_limit', 'stop_market'] as const;
/** Index 0 (NONE) maps to undefined. */
export const REASONS: readonly (RejectReason | RemovalReason | undefined)[] = [
  undefined,
  'CANNOT_FILL',
  'WOULD_CROSS',
  'NOT_OWNER',
  'UNKNOWN_ORDER',
  'CAPACITY',
  'SELF_TRADE',
  'CANCELLED_BY_USER',
  'IOC_REMAINDER',
  'MARKET_REMAINDER',
  'REDUCED_TO_ZERO',
  'OCO_SIBLING',
  'WOULD_TRIGGER',
  'NOT_MODIFIABLE',
];
/** Results carry only the reasons a command can be rejected or stopped for. */
export const REJECT_REASONS = REASONS as readonly (RejectReason | undefined)[];
/** Index 0 is no event. */
export const EVENT_KINDS: readonly (BookEventKind | undefined)[] = [
  undefined, 'accepted', 'rested', 'fill', 'reduced', 'modified', 'removed', 'rejected', 'triggered',
];
