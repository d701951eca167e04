// Numeric codes shared by the binary batch format, the snapshot format and the WASM core
// (assembly/codes.ts mirrors these values; test/codes.test.ts checks they agree).
import type { OrderStatus, RejectReason, SelfTradePrevention, Side, TimeInForce } from './types.js';

export const Op = { LIMIT: 1, MARKET: 2, CANCEL: 3, REDUCE: 4, MODIFY: 5 } as const;
export const SideCode = { BID: 0, ASK: 1 } as const;
export const TifCode = { GTC: 0, IOC: 1, FOK: 2, POST_ONLY: 3 } as const;
export const StpCode = { ALLOW: 0, CANCEL_TAKER: 1, CANCEL_MAKER: 2, CANCEL_BOTH: 3 } as const;
/** OK is the status of a successful cancel or reduce. */
export const StatusCode = { RESTING: 0, FILLED: 1, CANCELLED: 2, REJECTED: 3, OK: 4 } as const;
export const ReasonCode = {
  NONE: 0,
  CANNOT_FILL: 1,
  WOULD_CROSS: 2,
  NOT_OWNER: 3,
  UNKNOWN_ORDER: 4,
  CAPACITY: 5,
  SELF_TRADE: 6,
} as const;

export const SIDES: readonly Side[] = ['bid', 'ask'];
export const TIME_IN_FORCE: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK', 'POST_ONLY'];
export const STP_MODES: readonly SelfTradePrevention[] = ['allow', 'cancel_taker', 'cancel_maker', 'cancel_both'];
export const ORDER_STATUS: readonly OrderStatus[] = ['resting', 'filled', 'cancelled', 'rejected'];
/** Index 0 (NONE) maps to undefined. */
export const REJECT_REASONS: readonly (RejectReason | undefined)[] = [
  undefined,
  'CANNOT_FILL',
  'WOULD_CROSS',
  'NOT_OWNER',
  'UNKNOWN_ORDER',
  'CAPACITY',
  'SELF_TRADE',
];

export function sideCode(side: Side): number {
  return side === 'bid' ? SideCode.BID : SideCode.ASK;
}
export function tifCode(tif: TimeInForce | undefined): number {
  return tif === undefined ? TifCode.GTC : TIME_IN_FORCE.indexOf(tif);
}
export function stpCode(stp: SelfTradePrevention | undefined): number {
  return stp === undefined ? StpCode.ALLOW : STP_MODES.indexOf(stp);
}
