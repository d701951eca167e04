// Order entry from the page. The page sends the fields as the user typed them; this desk turns
// text into numbers and nothing more, so every rule is the engine's own: a bad field comes back
// as the engine's INVALID_ARGUMENT message, attributed to the field it names.
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseDecimalInteger } from '../decimal-integer.js';
import { LobError } from '../errors.js';
import type {
  CancelRequest, CancelResult, LimitOrderRequest, MarketOrderRequest, OcoOrderRequest, OrderResult, StopOrderRequest,
} from '../types.js';
import type { MarketMachine } from './feed.js';
import { ORDER_FIELDS, type ClientFrame, type OrderKind, type ServerFrame } from './protocol.js';

type OrderFrame = Extract<ClientFrame, { type: 'order' }>;

const NUMERIC_FIELDS = new Set([
  'trader', 'asset', 'price', 'size', 'budget', 'stopPrice', 'stopLimitPrice', 'protectionPrice', 'clientOrderId', 'orderId',
]);

export interface OrderDeskOptions {
  allowOrders: boolean;
  /** Order entry needs this token (printed when the server starts) in every order frame. */
  token: string;
  /** The engine timestamp of an order placed now. */
  timestamp: () => number;
}

/**
 * An input's text as the engine should see it: blank is missing, and a numeric field's decimal
 * digits are its number. Any other text (0x10, 1e3, ' 12 ', -3) stays text, which the engine
 * refuses naming the field and quoting what was typed; Number() would have read most of it as a number.
 */
function engineValue(field: string, value: unknown): unknown {
  if (typeof value !== 'string') return value ?? undefined;
  if (value.trim() === '') return undefined;
  if (!NUMERIC_FIELDS.has(field)) return value.trim();
  return parseDecimalInteger(value) ?? value;
}

/** The field an INVALID_ARGUMENT message names ("price must be ..."), when the page has that field. */
export function fieldOf(message: string, kind: OrderKind): string | null {
  const field = /^[A-Za-z]+/.exec(message)?.[0];
  return field !== undefined && ORDER_FIELDS[kind].includes(field) ? field : null;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export class OrderDesk {
  private readonly tokenDigest: Buffer;

  constructor(private readonly machine: MarketMachine, private readonly options: OrderDeskOptions) {
    this.tokenDigest = digest(options.token);
  }

  async place(frame: OrderFrame): Promise<ServerFrame> {
    const { id, kind } = frame;
    if (!this.options.allowOrders) {
      return { type: 'error', id, code: 'ORDERS_DISABLED', message: 'order entry is off: start lobcore serve with --allow-orders' };
    }
    if (frame.token === undefined || frame.token === '') {
      return { type: 'error', id, code: 'TOKEN_REQUIRED', message: 'order entry needs the token that lobcore serve printed when it started' };
    }
    // Digests have equal lengths, so the comparison tells nothing about the token's length either.
    if (!timingSafeEqual(digest(frame.token), this.tokenDigest)) {
      return { type: 'error', id, code: 'BAD_TOKEN', message: 'the token does not match the one lobcore serve printed when it started' };
    }
    // A cancel takes no timestamp (it orders nothing in time); the engine refuses fields an operation does not take.
    const request: Record<string, unknown> = kind === 'cancel' ? {} : { timestamp: this.options.timestamp() };
    for (const [field, value] of Object.entries(frame.fields)) {
      const converted = engineValue(field, value);
      if (converted !== undefined) request[field] = converted;
    }
    let result: Record<string, unknown>;
    try {
      result = this.apply(kind, request);
    } catch (error) {
      if (error instanceof LobError && error.code === 'INVALID_ARGUMENT') {
        return { type: 'orderError', id, field: fieldOf(error.message, kind), message: error.message };
      }
      throw error;
    }
    // Durable before it is reported (a no-op in memory).
    await this.machine.flush();
    return { type: 'orderResult', id, kind, result };
  }

  private apply(kind: OrderKind, request: Record<string, unknown>): Record<string, unknown> {
    switch (kind) {
      case 'limit':
        return orderSummary(this.machine.placeLimitOrder(request as unknown as LimitOrderRequest));
      case 'market':
        return orderSummary(this.machine.placeMarketOrder(request as unknown as MarketOrderRequest));
      case 'stop':
        return orderSummary(this.machine.placeStopOrder(request as unknown as StopOrderRequest));
      case 'oco':
        return orderSummary(this.machine.placeOcoOrder(request as unknown as OcoOrderRequest));
      case 'cancel':
        return cancelSummary(this.machine.cancelOrder(request as unknown as CancelRequest));
    }
  }
}

/**
 * What the page shows of a placement. A command's fills include those taken by the stops it
 * triggered (each under its own order id): they are counted apart from the order's own.
 */
function orderSummary(result: OrderResult): Record<string, unknown> {
  let own = 0;
  for (const fill of result.fills) if (fill.takerOrderId === result.orderId) own++;
  const summary: Record<string, unknown> = {
    orderId: result.orderId, status: result.status, filled: result.filled, remaining: result.remaining, fills: own,
  };
  if (own < result.fills.length) summary.stopFills = result.fills.length - own;
  if (result.reason !== undefined) summary.reason = result.reason;
  if (result.spent !== undefined) summary.spent = result.spent;
  if (result.stopOrderId !== undefined) summary.stopOrderId = result.stopOrderId;
  if (result.stopStatus !== undefined) summary.stopStatus = result.stopStatus;
  return summary;
}

function cancelSummary(result: CancelResult): Record<string, unknown> {
  return result.reason === undefined ? { ok: result.ok } : { ok: result.ok, reason: result.reason };
}
