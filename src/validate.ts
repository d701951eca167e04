// Input validation for the per-call API, shared by both engines so that both reject exactly the
// same inputs with exactly the same messages. Every check runs before the engine is touched.
import { invalidArgument } from './errors.js';
import { SIDES, STP_MODES, TIME_IN_FORCE } from './codes.js';
import type {
  CancelRequest,
  LimitOrderRequest,
  MarketOrderRequest,
  ModifyRequest,
  ReduceRequest,
} from './types.js';

const NON_NEGATIVE = 'a non-negative safe integer';
const POSITIVE = 'a positive safe integer';

export function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
export function isPositiveSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function requireObject(what: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(what, 'an object', value);
  }
}
export function requireNonNegative(field: string, value: unknown): void {
  if (!isNonNegativeSafeInteger(value)) throw invalidArgument(field, NON_NEGATIVE, value);
}
export function requirePositive(field: string, value: unknown): void {
  if (!isPositiveSafeInteger(value)) throw invalidArgument(field, POSITIVE, value);
}
function optionalPositive(field: string, value: unknown): void {
  if (value !== undefined) requirePositive(field, value);
}
function requireOneOf(field: string, value: unknown, allowed: readonly string[], optional: boolean): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalidArgument(field, `one of ${allowed.join(', ')}`, value);
  }
}

export function validateLimit(req: LimitOrderRequest): void {
  requireObject('placeLimit request', req);
  requireNonNegative('trader', req.trader);
  requireNonNegative('asset', req.asset);
  requireOneOf('side', req.side, SIDES, false);
  requirePositive('price', req.price);
  requirePositive('size', req.size);
  requireNonNegative('timestamp', req.timestamp);
  requireOneOf('timeInForce', req.timeInForce, TIME_IN_FORCE, true);
  requireOneOf('stp', req.stp, STP_MODES, true);
  if (req.clientOrderId !== undefined) requireNonNegative('clientOrderId', req.clientOrderId);
}

export function validateMarket(req: MarketOrderRequest): void {
  requireObject('placeMarket request', req);
  requireNonNegative('trader', req.trader);
  requireNonNegative('asset', req.asset);
  requireOneOf('side', req.side, SIDES, false);
  requirePositive('size', req.size);
  requireNonNegative('timestamp', req.timestamp);
  optionalPositive('protectionPrice', req.protectionPrice);
  requireOneOf('stp', req.stp, STP_MODES, true);
}

export function validateCancel(req: CancelRequest): void {
  requireObject('cancel request', req);
  requireNonNegative('trader', req.trader);
  requireNonNegative('asset', req.asset);
  requirePositive('orderId', req.orderId);
}

export function validateReduce(req: ReduceRequest): void {
  requireObject('reduce request', req);
  requireNonNegative('trader', req.trader);
  requireNonNegative('asset', req.asset);
  requirePositive('orderId', req.orderId);
  requirePositive('by', req.by);
}

export function validateModify(req: ModifyRequest): void {
  requireObject('modify request', req);
  requireNonNegative('trader', req.trader);
  requireNonNegative('asset', req.asset);
  requirePositive('orderId', req.orderId);
  optionalPositive('price', req.price);
  optionalPositive('size', req.size);
  requireNonNegative('timestamp', req.timestamp);
  if (req.price === undefined && req.size === undefined) {
    throw invalidArgument('price', 'given (a modify needs a price, a size or both)', undefined);
  }
}

export function validateDepthLevels(levels: unknown): void {
  requirePositive('levels', levels);
}
