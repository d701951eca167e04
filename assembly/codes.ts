// Numeric codes shared with the host: mirrors src/codes.ts value for value (test/codes.test.ts).
export const OP_LIMIT: u32 = 1;
export const OP_MARKET: u32 = 2;
export const OP_CANCEL: u32 = 3;
export const OP_REDUCE: u32 = 4;
export const OP_MODIFY: u32 = 5;
export const OP_CANCEL_ALL: u32 = 6;
export const OP_STOP: u32 = 7;
export const OP_OCO: u32 = 8;

export const SIDE_BID: u32 = 0;
export const SIDE_ASK: u32 = 1;

export const TIF_GTC: u32 = 0;
export const TIF_IOC: u32 = 1;
export const TIF_FOK: u32 = 2;
export const TIF_POST_ONLY: u32 = 3;

export const STP_ALLOW: u32 = 0;
export const STP_CANCEL_TAKER: u32 = 1;
export const STP_CANCEL_MAKER: u32 = 2;
export const STP_CANCEL_BOTH: u32 = 3;

export const STATUS_RESTING: u32 = 0;
export const STATUS_FILLED: u32 = 1;
export const STATUS_CANCELLED: u32 = 2;
export const STATUS_REJECTED: u32 = 3;
export const STATUS_OK: u32 = 4;
export const STATUS_PENDING: u32 = 5;

export const REASON_NONE: u32 = 0;
export const REASON_CANNOT_FILL: u32 = 1;
export const REASON_WOULD_CROSS: u32 = 2;
export const REASON_NOT_OWNER: u32 = 3;
export const REASON_UNKNOWN_ORDER: u32 = 4;
export const REASON_CAPACITY: u32 = 5;
export const REASON_SELF_TRADE: u32 = 6;
export const REASON_CANCELLED_BY_USER: u32 = 7;
export const REASON_IOC_REMAINDER: u32 = 8;
export const REASON_MARKET_REMAINDER: u32 = 9;
export const REASON_REDUCED_TO_ZERO: u32 = 10;
export const REASON_OCO_SIBLING: u32 = 11;
export const REASON_WOULD_TRIGGER: u32 = 12;
export const REASON_NOT_MODIFIABLE: u32 = 13;

export const EVENT_ACCEPTED: u32 = 1;
export const EVENT_RESTED: u32 = 2;
export const EVENT_FILL: u32 = 3;
export const EVENT_REDUCED: u32 = 4;
export const EVENT_MODIFIED: u32 = 5;
export const EVENT_REMOVED: u32 = 6;
export const EVENT_REJECTED: u32 = 7;
export const EVENT_TRIGGERED: u32 = 8;

export const ORDER_TYPE_LIMIT: u32 = 0;
export const ORDER_TYPE_MARKET: u32 = 1;
export const ORDER_TYPE_STOP_LIMIT: u32 = 2;
export const ORDER_TYPE_STOP_MARKET: u32 = 3;
