// A sparse book on each backend: thousands of levels with prices spread over the whole range up
// to 2^53-1, so nearly every order is its own level and the ladders (src/js-core/ladder.ts,
// assembly/ladder.ts) insert and remove far from the touch. Depth, matching order, the resting
// remainder of a taker and snapshot/restore are checked against a plain model of the levels.
import { describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import type { Engine } from '../src/engine.js';
import { Prng } from '../src/prng.js';
import type { Level, Side } from '../src/types.js';
import { Levels } from '../src/js-core/levels.js';
import { No } from '../src/js-core/codes.js';

const ASSET = 7;
const MAX_PRICE = Number.MAX_SAFE_INTEGER;
const HALF = 2 ** 52;

/** Resting orders by level: price -> [orderId, size] in queue order. */
class LevelModel {
  readonly bids = new Map<number, Array<[number, number]>>();
  readonly asks = new Map<number, Array<[number, number]>>();

  side(side: Side): Map<number, Array<[number, number]>> {
    return side === 'bid' ? this.bids : this.asks;
  }
  rest(side: Side, price: number, orderId: number, size: number): void {
    const levels = this.side(side);
    const queue = levels.get(price) ?? [];
    queue.push([orderId, size]);
    levels.set(price, queue);
  }
  cancel(side: Side, price: number, orderId: number): void {
    const levels = this.side(side);
    const queue = levels.get(price)!.filter(([id]) => id !== orderId);
    if (queue.length === 0) levels.delete(price);
    else levels.set(price, queue);
  }
  /** Best first. */
  depth(side: Side): Level[] {
    const prices = [...this.side(side).keys()].sort((a, b) => (side === 'bid' ? b - a : a - b));
    return prices.map((price) => {
      const queue = this.side(side).get(price)!;
      return { price, size: queue.reduce((sum, [, size]) => sum + size, 0), orders: queue.length };
    });
  }
  /** The fills a taker against `side` would get, in order, within `limit` (none: Infinity), taking them. */
  take(side: Side, size: number, limit: number): Array<{ makerOrderId: number; price: number; size: number }> {
    const fills: Array<{ makerOrderId: number; price: number; size: number }> = [];
    for (const level of this.depth(side)) {
      if (size === 0 || (side === 'ask' ? level.price > limit : level.price < limit)) break;
      const queue = this.side(side).get(level.price)!;
      while (size > 0 && queue.length > 0) {
        const traded = Math.min(size, queue[0][1]);
        fills.push({ makerOrderId: queue[0][0], price: level.price, size: traded });
        size -= traded;
        queue[0][1] -= traded;
        if (queue[0][1] === 0) queue.shift();
      }
      if (queue.length === 0) this.side(side).delete(level.price);
    }
    return fills;
  }
}

/** Uniform integers in [lo, hi] with all 53 bits in play, from the seeded PRNG the bench uses. */
function spread(prng: Prng): (lo: number, hi: number) => number {
  return (lo, hi) => {
    const unit = ((prng.nextUint32() >>> 6) * 134_217_728 + (prng.nextUint32() >>> 5)) / 2 ** 53;
    return lo + Math.floor(unit * (hi - lo + 1));
  };
}

describeEachBackend('a sparse book, prices spread up to 2^53-1', (backend) => {
  /** 3,000 bids below 2^52 and 3,000 asks above it, a few sharing a level; 40% of them cancelled. */
  async function sparseBook(): Promise<{ engine: Engine; model: LevelModel; clock: () => number }> {
    const engine = await newEngine(backend);
    const model = new LevelModel();
    const prng = new Prng(2024);
    const price = spread(prng);
    const random = (below: number): number => prng.below(below);
    let time = 1;
    const clock = (): number => time++;
    const live: Array<{ id: number; side: Side; price: number; trader: number }> = [];
    const prices: Record<Side, number[]> = { bid: [], ask: [] };
    for (let i = 0; i < 6_000; i++) {
      const side: Side = i % 2 === 0 ? 'bid' : 'ask';
      const reuse = prices[side].length > 0 && random(10) === 0;
      const at = reuse ? prices[side][random(prices[side].length)] : side === 'bid' ? price(1, HALF - 1) : price(HALF, MAX_PRICE);
      if (!reuse) prices[side].push(at);
      const size = 1 + random(50);
      const trader = 1 + random(20);
      const result = engine.placeLimit({ trader, asset: ASSET, side, price: at, size, timestamp: clock() });
      expect(result.status).toBe('resting');
      model.rest(side, at, result.orderId, size);
      live.push({ id: result.orderId, side, price: at, trader });
    }
    for (const order of live) {
      if (random(5) >= 2) continue;
      expect(engine.cancel({ trader: order.trader, asset: ASSET, orderId: order.id }).ok).toBe(true);
      model.cancel(order.side, order.price, order.id);
    }
    return { engine, model, clock };
  }

  it('holds every level in price order, best first, and finds each price', async () => {
    const { engine, model } = await sparseBook();
    const depth = engine.depth(ASSET, 10_000);
    expect(depth.bids).toEqual(model.depth('bid'));
    expect(depth.asks).toEqual(model.depth('ask'));
    expect(depth.bids.length).toBeGreaterThan(1_500);
    expect(engine.bestBid(ASSET)).toEqual(model.depth('bid')[0]);
    expect(engine.bestAsk(ASSET)).toEqual(model.depth('ask')[0]);
    // A new order at an existing deep price joins that level; one between two levels makes its own.
    const deep = model.depth('bid')[700];
    engine.placeLimit({ trader: 1, asset: ASSET, side: 'bid', price: deep.price, size: 3, timestamp: 0 });
    engine.placeLimit({ trader: 1, asset: ASSET, side: 'bid', price: deep.price + 1, size: 4, timestamp: 0 });
    const after = engine.depth(ASSET, 10_000).bids;
    expect(after[701]).toEqual({ price: deep.price, size: deep.size + 3, orders: deep.orders + 1 });
    expect(after[700]).toEqual({ price: deep.price + 1, size: 4, orders: 1 });
  });

  it('matches takers across sparse levels in price then time order, and rests the remainder at its limit', async () => {
    const { engine, model, clock } = await sparseBook();
    // A market sell through the best 300 bid levels' worth of size.
    const bids = model.depth('bid');
    const sweep = bids.slice(0, 300).reduce((sum, level) => sum + level.size, 0) - 5;
    const sell = engine.placeMarket({ trader: 99, asset: ASSET, side: 'ask', size: sweep, timestamp: clock() });
    const expectedSell = model.take('bid', sweep, -Infinity);
    expect(sell.status).toBe('filled');
    expect(sell.fills.map(({ makerOrderId, price, size }) => ({ makerOrderId, price, size }))).toEqual(expectedSell);
    // A limit buy priced between two deep ask levels takes everything below it and rests the rest.
    const asks = model.depth('ask');
    const limit = asks[400].price + 1;
    const size = asks.slice(0, 401).reduce((sum, level) => sum + level.size, 0) + 17;
    const buy = engine.placeLimit({ trader: 98, asset: ASSET, side: 'bid', price: limit, size, timestamp: clock() });
    const expectedBuy = model.take('ask', size, limit);
    expect(buy.fills.map(({ makerOrderId, price, size: traded }) => ({ makerOrderId, price, size: traded }))).toEqual(expectedBuy);
    expect(buy).toMatchObject({ status: 'resting', filled: size - 17, remaining: 17 });
    model.rest('bid', limit, buy.orderId, 17);
    const depth = engine.depth(ASSET, 10_000);
    expect(depth.bids).toEqual(model.depth('bid'));
    expect(depth.asks).toEqual(model.depth('ask'));
    expect(depth.bids[0]).toEqual({ price: limit, size: 17, orders: 1 });
  });

  it('snapshots and restores a sparse book exactly, and the copy keeps matching the same way', async () => {
    const { engine, clock } = await sparseBook();
    const snapshot = engine.snapshot();
    const copy = await newEngine(backend);
    copy.restore(snapshot);
    expect(Buffer.compare(copy.snapshot(), snapshot)).toBe(0);
    expect(copy.stateHash()).toBe(engine.stateHash());
    expect(copy.depth(ASSET, 10_000)).toEqual(engine.depth(ASSET, 10_000));
    // The same commands on both: deep inserts, cancels of some of them, sweeps of both sides.
    const prng = new Prng(77);
    const price = spread(prng);
    const placed: number[] = [];
    for (let i = 0; i < 500; i++) {
      const side: Side = i % 2 === 0 ? 'bid' : 'ask';
      const request = { trader: 5, asset: ASSET, side, price: side === 'bid' ? price(1, HALF - 1) : price(HALF, MAX_PRICE), size: 1 + prng.below(9), timestamp: clock() };
      const result = engine.placeLimit(request);
      expect(copy.placeLimit(request)).toEqual(result);
      placed.push(result.orderId);
    }
    for (const orderId of placed.filter((_, i) => i % 3 === 0)) {
      const request = { trader: 5, asset: ASSET, orderId };
      expect(copy.cancel(request)).toEqual(engine.cancel(request));
    }
    for (const side of ['bid', 'ask'] as const) {
      const request = { trader: 6, asset: ASSET, side, size: 20_000, timestamp: clock() };
      expect(copy.placeMarket(request)).toEqual(engine.placeMarket(request));
    }
    expect(copy.stateHash()).toBe(engine.stateHash());
    expect(Buffer.compare(copy.snapshot(), engine.snapshot())).toBe(0);
  });
});

describe('the sparse-book model itself', () => {
  it('takes best first and stops at the limit', () => {
    const model = new LevelModel();
    model.rest('ask', 10, 1, 2);
    model.rest('ask', 5, 2, 2);
    model.rest('ask', 5, 3, 2);
    expect(model.take('ask', 5, 9)).toEqual([
      { makerOrderId: 2, price: 5, size: 2 },
      { makerOrderId: 3, price: 5, size: 2 },
    ]);
    expect(model.depth('ask')).toEqual([{ price: 10, size: 2, orders: 1 }]);
  });
});

describe('the JS core\'s level map', () => {
  // addLevel takes the slot at which the last findLevel that found nothing stopped: this mixes
  // lookups followed by the add, adds with no lookup before them, lookups of other prices and
  // removals between a lookup and its add, and growth of the map, against a plain Map. (Each level
  // is added as the core adds one, holding its first order: here order slot 0 of 1 lot, never read.)
  it('finds every level added and none removed, whatever came between a lookup and its add', () => {
    const prng = new Prng(46);
    const levels = new Levels(16);
    const sides = [levels.addSide(), levels.addSide(), levels.addSide(), levels.addSide()];
    const model = new Map<string, number>();
    const homeOf = (s: number, p: number): number => (levels as unknown as { home(s: number, p: number): number }).home(s, p);
    const price = (): number => (prng.next() < 0.1 ? 2 ** 53 - 1 - Math.floor(prng.next() * 4) : 1 + Math.floor(prng.next() * 300));
    const find = (s: number, p: number): number => {
      const level = levels.findLevel(s, p);
      expect(level).toBe(model.get(`${s}:${p}`) ?? No.SLOT);
      return level;
    };
    for (let step = 0; step < 20_000; step++) {
      const s = sides[Math.floor(prng.next() * sides.length)];
      const p = price();
      const existing = find(s, p);
      if (existing !== No.SLOT) {
        if (prng.next() < 0.6) {
          levels.removeLevel(existing);
          model.delete(`${s}:${p}`);
        }
        continue;
      }
      const between = prng.next();
      if (between < 0.2) {
        find(sides[Math.floor(prng.next() * sides.length)], price());
      } else if (between < 0.3) {
        // A level the lookup passed (one with the same home) when there is one: its deletion
        // shifts the run back, and the slot the lookup stopped at may no longer be the first free.
        const home = homeOf(s, p);
        for (const [key, level] of model) {
          const [t, q] = key.split(':').map(Number);
          if (homeOf(t, q) !== home && between > 0.22) continue;
          levels.removeLevel(level);
          model.delete(key);
          break;
        }
      } else if (between < 0.4) {
        const q = price();
        const t = sides[Math.floor(prng.next() * sides.length)];
        if (!model.has(`${t}:${q}`) && !(t === s && q === p)) model.set(`${t}:${q}`, levels.addLevel(t, q, 0, 1));
      }
      model.set(`${s}:${p}`, levels.addLevel(s, p, 0, 1));
    }
    for (const [key, level] of model) {
      const [s, p] = key.split(':').map(Number);
      expect(levels.findLevel(s, p)).toBe(level);
    }
    expect(levels.live).toBe(model.size);
  });
});
