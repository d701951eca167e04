// What verification compares, beyond counts: the final book itself and the fills. Both are
// digested in one canonical order, the same for every engine and for the reference book:
// asset by asset (1..assets), bids best first then asks best first; each level as
// (side, price, total size, order count) and each resting order in queue order as
// (side, price, id, remaining); then each asset's pending stops, in trigger order (digestStops).
// Fills are summed as they happen: their count, sum of price * size, and an order-dependent hash
// of every field a fill record carries but its timestamp (asset, maker id and trader, taker id,
// trader and side, price, size). Everything here runs in the untimed verification pass only,
// never in a timed one.

import type { Fill } from '../src/types.js';

/** Two independent 32-bit FNV-1a-style lanes over whole numbers (ids, prices and sizes are safe integers). */
class Hash64 {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;

  add(x: number): void {
    const lo = x >>> 0;
    const hi = Math.floor(x / 4294967296) >>> 0;
    this.a = Math.imul(this.a ^ lo, 0x01000193);
    this.a = Math.imul(this.a ^ hi, 0x01000193);
    this.b = Math.imul(this.b ^ lo, 0x5bd1e995) ^ (this.b >>> 13);
    this.b = Math.imul(this.b ^ hi, 0x5bd1e995) ^ (this.b >>> 13);
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}

export interface BookDigest {
  /** Price levels over every asset and both sides, and the lots resting on them (per the levels' own totals). */
  levels: number;
  levelLots: number;
  levelHash: string;
  /** Resting orders, their remaining lots, and the hash of (side, price, id, remaining) in queue order. */
  orders: number;
  orderLots: number;
  orderHash: string;
  /** Pending stops, their lots, and the hash of (side, stop price, id, size, limit price, IOC) in trigger order. */
  stops: number;
  stopLots: number;
  stopHash: string;
}

export interface FillDigest {
  fills: number;
  /** Sum of price * size over the fills. */
  notional: number;
  /** Hash of each fill's asset, maker id and trader, taker id, trader and side, price and size, fill by fill in order. */
  hash: string;
}

const SIDE_CODE = { bid: 0, ask: 1 } as const;

/** Fed in canonical order (see the top of this file); `finish` gives the digest. */
export class BookDigester {
  private levels = 0;
  private levelLots = 0;
  private orders = 0;
  private orderLots = 0;
  private readonly levelHash = new Hash64();
  private readonly orderHash = new Hash64();
  private stops = 0;
  private stopLots = 0;
  private readonly stopHash = new Hash64();

  level(asset: number, side: 'bid' | 'ask', price: number, size: number, count: number): void {
    this.levels++;
    this.levelLots += size;
    const h = this.levelHash;
    h.add(asset); h.add(SIDE_CODE[side]); h.add(price); h.add(size); h.add(count);
  }

  order(asset: number, side: 'bid' | 'ask', price: number, id: number, remaining: number): void {
    this.orders++;
    this.orderLots += remaining;
    const h = this.orderHash;
    h.add(asset); h.add(SIDE_CODE[side]); h.add(price); h.add(id); h.add(remaining);
  }

  /** A pending stop; `price` 0 for a stop-market (its limit price once triggered otherwise). */
  stop(asset: number, side: 'bid' | 'ask', stopPrice: number, id: number, size: number, price: number, ioc: boolean): void {
    this.stops++;
    this.stopLots += size;
    const h = this.stopHash;
    h.add(asset); h.add(SIDE_CODE[side]); h.add(stopPrice); h.add(id); h.add(size); h.add(price); h.add(ioc ? 1 : 0);
  }

  finish(): BookDigest {
    return {
      levels: this.levels, levelLots: this.levelLots, levelHash: this.levelHash.hex(),
      orders: this.orders, orderLots: this.orderLots, orderHash: this.orderHash.hex(),
      stops: this.stops, stopLots: this.stopLots, stopHash: this.stopHash.hex(),
    };
  }
}

/** What the checksum reads of a fill: src/types.ts's Fill but its timestamp. */
export type CheckedFill = Pick<Fill, 'asset' | 'makerOrderId' | 'makerTrader' | 'takerOrderId' | 'takerTrader' | 'takerSide' | 'price' | 'size'>;

/** Sums fills in the order they come (the untimed verification pass only). */
export class FillChecksum {
  private fills = 0;
  private notional = 0;
  private readonly hash = new Hash64();

  add(fill: CheckedFill): void {
    this.fills++;
    this.notional += fill.price * fill.size;
    const h = this.hash;
    h.add(fill.asset); h.add(fill.makerOrderId); h.add(fill.makerTrader);
    h.add(fill.takerOrderId); h.add(fill.takerTrader); h.add(SIDE_CODE[fill.takerSide]);
    h.add(fill.price); h.add(fill.size);
  }

  result(): FillDigest {
    return { fills: this.fills, notional: this.notional, hash: this.hash.hex() };
  }
}

/** A book given as sides of levels, each level's orders in queue order (any level order: sorted here). */
export interface ListedLevel {
  price: number;
  orders: { id: number; remaining: number }[];
  /** The engine's own totals for the level, when it keeps them; otherwise summed from its orders. */
  size?: number;
  count?: number;
}

/** Digests one asset's levels, sorting each side best first. */
export function digestAsset(digest: BookDigester, asset: number, bids: ListedLevel[], asks: ListedLevel[]): void {
  const sides: ['bid' | 'ask', ListedLevel[]][] = [
    ['bid', [...bids].sort((x, y) => y.price - x.price)],
    ['ask', [...asks].sort((x, y) => x.price - y.price)],
  ];
  for (const [side, levels] of sides) {
    for (const level of levels) {
      // Only a level with nothing on it is no level (an engine may keep emptied ones listed); one
      // that still holds lots with no orders, counted or listed, is a level the reference lacks.
      if (level.orders.length === 0 && (level.count ?? 0) === 0 && (level.size ?? 0) === 0) continue;
      let size = 0;
      for (const o of level.orders) size += o.remaining;
      digest.level(asset, side, level.price, level.size ?? size, level.count ?? level.orders.length);
      for (const o of level.orders) digest.order(asset, side, level.price, o.id, o.remaining);
    }
  }
}

/** A pending stop as an engine lists it. */
export interface ListedStop {
  id: number;
  side: 'bid' | 'ask';
  stopPrice: number;
  size: number;
  /** The limit price once triggered; 0 for a stop-market. */
  price: number;
  /** A stop-limit's time in force once triggered is IOC (false for a stop-market). */
  ioc: boolean;
}

/**
 * Digests one asset's pending stops in the order given, which must be the reference's: trigger
 * order (docs/semantics.md), buys first by ascending stop price, then sells by descending,
 * placement order at one stop price. The naive book and lobcore's orders() list them so (lobcore
 * documents it, src/engine.ts), and so are checked in their own order; an engine that lists
 * them another way without promising any (nodejs-order-book's snapshot: farthest from
 * triggering first) sorts them first (inTriggerOrder).
 */
export function digestStops(digest: BookDigester, asset: number, stops: readonly ListedStop[]): void {
  for (const s of stops) digest.stop(asset, s.side, s.stopPrice, s.id, s.size, s.price, s.ioc);
}

/** The stops sorted into trigger order (digestStops), for an engine whose listing promises no order. */
export function inTriggerOrder(stops: readonly ListedStop[]): ListedStop[] {
  return [...stops].sort((x, y) => {
    if (x.side !== y.side) return x.side === 'bid' ? -1 : 1;
    if (x.stopPrice !== y.stopPrice) return x.side === 'bid' ? x.stopPrice - y.stopPrice : y.stopPrice - x.stopPrice;
    return x.id - y.id;
  });
}

/** Where two book digests differ, in words; empty when they agree. */
export function bookDifferences(actual: BookDigest, expected: BookDigest): string[] {
  const out: string[] = [];
  if (actual.levels !== expected.levels || actual.levelLots !== expected.levelLots || actual.levelHash !== expected.levelHash) {
    out.push(`levels: ${actual.levels} holding ${actual.levelLots} lots (hash ${actual.levelHash}), reference ${expected.levels} holding ${expected.levelLots} (hash ${expected.levelHash})`);
  }
  if (actual.orders !== expected.orders || actual.orderLots !== expected.orderLots || actual.orderHash !== expected.orderHash) {
    out.push(`orders: ${actual.orders} with ${actual.orderLots} lots remaining (hash ${actual.orderHash}), reference ${expected.orders} with ${expected.orderLots} (hash ${expected.orderHash})`);
  }
  if (actual.stops !== expected.stops || actual.stopLots !== expected.stopLots || actual.stopHash !== expected.stopHash) {
    out.push(`stops: ${actual.stops} pending for ${actual.stopLots} lots (hash ${actual.stopHash}), reference ${expected.stops} for ${expected.stopLots} (hash ${expected.stopHash})`);
  }
  return out;
}

export function fillDifferences(actual: FillDigest, expected: FillDigest): string[] {
  if (actual.fills === expected.fills && actual.notional === expected.notional && actual.hash === expected.hash) return [];
  return [`fills: ${actual.fills}, sum of price x size ${actual.notional} (hash ${actual.hash}), reference ${expected.fills}, ${expected.notional} (hash ${expected.hash})`];
}
