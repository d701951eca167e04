// The WebSocket protocol between `lobcore serve` and its page: JSON text frames (the page is a
// browser; this is neither the batch path nor storage). web/feed-client.js is the other end.
//
// Server frames carry `n`, a per-connection frame number the page acknowledges; the server
// keeps at most a window of unacknowledged bytes in flight per client (client-session.ts).
// Levels travel as arrays: snapshot sides as [price, size, orders], delta levels as
// [side (0 bid, 1 ask), price, size, orders] with size 0 for a level that is gone.
import type { PlaybackStatus, SourceInfo } from './source.js';
import type { OrderEventCursor } from '../types.js';

/** 2: stop and OCO orders, market orders by budget, the last trade price in snapshots. 3: an order's trail a page at a time. */
export const PROTOCOL_VERSION = 3;

/** [price, size, takerSide (0 bid: a buyer took; 1 ask: a seller took), makerOrderId, takerOrderId, makerTrader, takerTrader, height, time]. */
export type TradeTuple = [number, number, 0 | 1, number, number, number, number, number, number];
export type LevelTuple = [number, number, number];
export type LevelChangeTuple = [0 | 1, number, number, number];

/** Close codes the server uses (4000-4999 are the application's). */
export const CloseCode = {
  TOO_SLOW: 4008,
  SERVER_CLOSING: 1001,
  /** The standard "try again later": the server already serves as many pages as it may. */
  SERVER_FULL: 1013,
} as const;

// ------------------------------------------------------------------ client -> server

/** The engine's order calls the page may make: placeLimit, placeMarket (by size or budget), placeStop, placeOco, cancel. */
export type OrderKind = 'limit' | 'market' | 'stop' | 'oco' | 'cancel';
export type ControlAction = 'pause' | 'resume' | 'speed';

export type ClientFrame =
  | { type: 'subscribe'; asset: number }
  | { type: 'resync'; asset: number }
  | { type: 'ack'; n: number }
  | { type: 'control'; action: ControlAction; speed?: string }
  | { type: 'order'; id: number; token?: string; kind: OrderKind; fields: Record<string, unknown> }
  | { type: 'audit'; id: number; orderId?: unknown; trader?: unknown; before?: OrderEventCursor };

/**
 * Which fields the page may send for each order kind: the engine request's own, less the
 * timestamp, which the server adds. Which of them a kind needs, and how they combine (a market
 * order's size or budget, a stop's price deciding stop-limit or stop-market), is the engine's to say.
 */
export const ORDER_FIELDS: Record<OrderKind, readonly string[]> = {
  limit: ['trader', 'asset', 'side', 'price', 'size', 'timeInForce', 'stp', 'clientOrderId'],
  market: ['trader', 'asset', 'side', 'size', 'budget', 'protectionPrice', 'stp', 'clientOrderId'],
  stop: ['trader', 'asset', 'side', 'size', 'stopPrice', 'price', 'timeInForce', 'protectionPrice', 'stp', 'clientOrderId'],
  oco: ['trader', 'asset', 'side', 'size', 'price', 'stopPrice', 'stopLimitPrice', 'stp', 'clientOrderId'],
  cancel: ['trader', 'asset', 'orderId'],
};
const ORDER_KINDS = Object.keys(ORDER_FIELDS) as OrderKind[];

/** A frame the server refuses: answered with an error frame, and nothing changes. */
export class BadFrame extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadFrame';
  }
}

const MAX_ID = Number.MAX_SAFE_INTEGER;

function isWhole(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_ID;
}

function wholeNumber(frame: Record<string, unknown>, field: string): number {
  const value = frame[field];
  if (!isWhole(value)) {
    throw new BadFrame(`${String(frame.type)}.${field} must be a non-negative safe integer`);
  }
  return value;
}

function oneOf<T extends string>(frame: Record<string, unknown>, field: string, allowed: readonly T[]): T {
  const value = frame[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new BadFrame(`${String(frame.type)}.${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function plainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one text frame from the page; throws BadFrame naming what is wrong. */
export function parseClientFrame(text: string): ClientFrame {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    throw new BadFrame('a frame must be one JSON object');
  }
  if (!plainObject(frame)) throw new BadFrame('a frame must be one JSON object');
  switch (frame.type) {
    case 'subscribe':
    case 'resync':
      return { type: frame.type, asset: wholeNumber(frame, 'asset') };
    case 'ack':
      return { type: 'ack', n: wholeNumber(frame, 'n') };
    case 'control': {
      const action = oneOf(frame, 'action', ['pause', 'resume', 'speed'] as const);
      if (action !== 'speed') return { type: 'control', action };
      return { type: 'control', action, speed: oneOf(frame, 'speed', ['1', '10', 'max'] as const) };
    }
    case 'order': {
      const id = wholeNumber(frame, 'id');
      const kind = oneOf(frame, 'kind', ORDER_KINDS);
      if (frame.token !== undefined && typeof frame.token !== 'string') throw new BadFrame('order.token must be a string');
      if (!plainObject(frame.fields)) throw new BadFrame('order.fields must be an object');
      for (const name of Object.keys(frame.fields)) {
        if (!ORDER_FIELDS[kind].includes(name)) {
          throw new BadFrame(`order.fields.${name} is not a field of ${kind === 'oco' ? 'an' : 'a'} ${kind} order (${ORDER_FIELDS[kind].join(', ')})`);
        }
      }
      return { type: 'order', id, kind, token: frame.token, fields: frame.fields };
    }
    case 'audit': {
      const id = wholeNumber(frame, 'id');
      if ((frame.orderId === undefined) === (frame.trader === undefined)) throw new BadFrame('audit needs exactly one of orderId and trader');
      if (frame.before === undefined) return { type: 'audit', id, orderId: frame.orderId, trader: frame.trader };
      if (frame.orderId === undefined) throw new BadFrame('audit.before pages an order\'s events: it goes with orderId, not trader');
      const before = frame.before;
      if (!plainObject(before) || Object.keys(before).length !== 2 || !isWhole(before.seq) || !isWhole(before.index)) {
        throw new BadFrame('audit.before must be a cursor { seq, index } of non-negative safe integers (an auditOrder frame\'s next)');
      }
      return { type: 'audit', id, orderId: frame.orderId, before: { seq: before.seq as number, index: before.index as number } };
    }
    default:
      throw new BadFrame(`unknown frame type ${typeof frame.type === 'string' ? `"${frame.type.slice(0, 40)}"` : String(frame.type)}`);
  }
}

// ------------------------------------------------------------------ server -> client

export interface HelloFrame {
  type: 'hello';
  version: number;
  source: SourceInfo;
  orders: boolean;
  snapshotLevels: number;
}

export interface SnapshotFrame {
  type: 'snapshot';
  asset: number;
  seq: number;
  height: number;
  bids: LevelTuple[];
  asks: LevelTuple[];
  /** Whether each side holds every level (bids, asks); an incomplete side knows nothing past its last level. */
  complete: [boolean, boolean];
  trades: TradeTuple[];
  /** The asset's last trade price as the engine has it (what its stops trigger on); 0 before its first trade. */
  last: number;
  /** The newest feed sequence of the asset when the frame left. */
  head: number;
  /** Server clock, ms since the epoch, for the page's lag estimate. */
  t: number;
}

export interface DeltaFrame {
  type: 'delta';
  asset: number;
  /** Applies to a book at seq from - 1 and leaves it at seq to. */
  from: number;
  to: number;
  height: number;
  levels: LevelChangeTuple[];
  trades: TradeTuple[];
  /** Trades of these messages left out to keep the frame small (the newest are kept). */
  dropped: number;
  head: number;
  t: number;
}

export interface StatusFrame {
  type: 'status';
  playback: PlaybackStatus | null;
  /** [asset, seq, last trade price or 0] for every asset of the source. */
  assets: [number, number, number][];
  t: number;
}

export type ServerFrame =
  | HelloFrame
  | SnapshotFrame
  | DeltaFrame
  | StatusFrame
  | { type: 'orderResult'; id: number; kind: OrderKind; result: Record<string, unknown> }
  | { type: 'orderError'; id: number; field: string | null; message: string }
  /** An order's record and at most EVENTS_SHOWN events: its first and its newest; `left` between them not sent, from before `next`. */
  | { type: 'auditOrder'; id: number; orderId: number; order: unknown; events: unknown[]; left: number; next: OrderEventCursor | null }
  /** The events before an `audit` frame's `before`, oldest first: what the first frame left out, a page at a time; `next` null once none is left. */
  | { type: 'auditOrderPage'; id: number; orderId: number; events: unknown[]; next: OrderEventCursor | null }
  | { type: 'auditTrader'; id: number; trader: number; open: unknown[]; moreOpen: boolean; closed: unknown[]; fills: unknown[] }
  | { type: 'error'; code: string; message: string; id?: number };
