// The shared numeric codes and record layouts as the JS core reads them (mirrors assembly/codes.ts,
// the WASM core's copy): const enums, which tsc compiles to number literals. Values are those of
// src/codes.ts, EventHead and EVENT_SLOTS of src/events.ts, FILL_SLOTS and RESULT_SLOTS of
// src/batch.ts, Slot, Head and COMMAND_SLOTS of src/operations.ts; test/codes.test.ts checks that
// they agree.
//
// Why a copy: V8 reads an imported binding through its module cell, with a check that it is
// initialised, at every use, and `ReasonCode.NONE` on an imported object is then a property load
// with a map check besides. On the matching path, where a command uses dozens of codes, that cost
// the JS core alone 17% of its instructions on steady, 10% on LOBSTER, 3% on stops and 1% on
// sweep (issue 9; callgrind, a quick stream's pass).

export const enum Op { LIMIT = 1, MARKET = 2, CANCEL = 3, REDUCE = 4, MODIFY = 5, CANCEL_ALL = 6, STOP = 7, OCO = 8 }
export const enum SideCode { BID = 0, ASK = 1 }
export const enum TifCode { GTC = 0, IOC = 1, FOK = 2, POST_ONLY = 3 }
export const enum StpCode { ALLOW = 0, CANCEL_TAKER = 1, CANCEL_MAKER = 2, CANCEL_BOTH = 3 }
export const enum StatusCode { RESTING = 0, FILLED = 1, CANCELLED = 2, REJECTED = 3, OK = 4, PENDING = 5 }
export const enum ReasonCode {
  NONE = 0,
  CANNOT_FILL = 1,
  WOULD_CROSS = 2,
  NOT_OWNER = 3,
  UNKNOWN_ORDER = 4,
  CAPACITY = 5,
  SELF_TRADE = 6,
  CANCELLED_BY_USER = 7,
  IOC_REMAINDER = 8,
  MARKET_REMAINDER = 9,
  REDUCED_TO_ZERO = 10,
  OCO_SIBLING = 11,
  WOULD_TRIGGER = 12,
  NOT_MODIFIABLE = 13,
}
export const enum EventCode { ACCEPTED = 1, RESTED = 2, FILL = 3, REDUCED = 4, MODIFIED = 5, REMOVED = 6, REJECTED = 7, TRIGGERED = 8 }
export const enum OrderTypeCode { LIMIT = 0, MARKET = 1, STOP_LIMIT = 2, STOP_MARKET = 3 }

/** Bits of an event record's head (src/events.ts). */
export const enum EventHead {
  KIND_MASK = 15,
  REASON_SHIFT = 4,
  REASON_MASK = 31,
  SIDE_SHIFT = 9,
  TYPE_SHIFT = 10,
  TIF_SHIFT = 12,
  STP_SHIFT = 14,
  PRIORITY_LOST = 1 << 16,
  LEVEL = 1 << 17,
  OCO = 1 << 18,
  PENDING = 1 << 19,
}

/** Slots of a command record (src/operations.ts). */
export const enum Slot {
  HEAD = 0,
  TRADER = 1,
  ASSET = 2,
  ORDER_ID = 3,
  PRICE = 4,
  SIZE = 5,
  TIMESTAMP = 6,
  CLIENT_ORDER_ID = 7,
  TRIGGER_PRICE = 8,
  BUDGET = 9,
  SECOND_PRICE = 10,
  RESERVED = 11,
}

/** Bits of a command record's head (src/operations.ts). */
export const enum Head { OP_MASK = 15, SIDE_SHIFT = 4, TIF_SHIFT = 8, STP_SHIFT = 12, ALL_ASSETS = 1 << 16, LIMIT = 1 << 17 }

/** Float64 slots per record of each buffer. */
export const enum Slots { COMMAND = 12, RESULT = 5, FILL = 8, EVENT = 12 }

/**
 * "No slot": the end of a queue, an empty free list, a missing level, book or ladder node; and
 * the end of a walk along a ladder (ladder.ts positions).
 */
export const enum No { SLOT = -1, POSITION = -1 }
