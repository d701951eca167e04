// docs/semantics.md, "Matching a taker", "Time in force" and "Market orders", on each backend.
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import { observe, scenario, type Scenario } from './helpers/book.js';
import type { Engine } from '../src/engine.js';
import type { Fill, Side } from '../src/types.js';

const ASSET = 1;
const MAKER = 10;
const MAKER2 = 11;
const TAKER = 20;

function fill(makerOrderId: number, takerOrderId: number, price: number, size: number, extra: Partial<Fill> = {}): Fill {
  return {
    asset: ASSET,
    makerOrderId,
    takerOrderId,
    makerTrader: MAKER,
    takerTrader: TAKER,
    takerSide: 'bid',
    price,
    size,
    timestamp: expect.any(Number) as unknown as number,
    ...extra,
  };
}

describeEachBackend('matching', (backend) => {
  let engine: Engine;
  let s: Scenario;
  beforeEach(async () => {
    engine = await newEngine(backend);
    s = scenario(engine, ASSET);
  });

  it('reports the backend it runs on', () => {
    expect(engine.backend).toBe(backend);
  });

  it('rests a non-crossing limit order with the next id', () => {
    const r = s.bid(MAKER, 100, 5);
    expect(r).toEqual({ orderId: 1, status: 'resting', filled: 0, remaining: 5, fills: [] });
    expect(engine.order(1)).toEqual({
      orderId: 1, trader: MAKER, asset: ASSET, side: 'bid', price: 100, remaining: 5, timestamp: 1000, stp: 'allow',
    });
  });

  it('echoes clientOrderId in the result without storing it in the book', async () => {
    const r = s.bid(MAKER, 100, 5, { clientOrderId: 77 });
    expect(r.clientOrderId).toBe(77);
    expect(engine.order(r.orderId)).not.toHaveProperty('clientOrderId');
    const twin = await newEngine(backend);
    twin.placeLimit({ trader: MAKER, asset: ASSET, side: 'bid', price: 100, size: 5, timestamp: 1000 });
    expect(twin.stateHash()).toBe(engine.stateHash());
  });

  it('a full fill reports every fill field, with the taker command timestamp', () => {
    s.ask(MAKER, 101, 4);
    const r = s.bid(TAKER, 101, 4, { timestamp: 5555 });
    expect(r).toEqual({
      orderId: 2, status: 'filled', filled: 4, remaining: 0,
      fills: [{
        asset: ASSET, makerOrderId: 1, takerOrderId: 2, makerTrader: MAKER, takerTrader: TAKER,
        takerSide: 'bid', price: 101, size: 4, timestamp: 5555,
      }],
    });
    expect(engine.order(1)).toBeUndefined();
    expect(engine.bestAsk(ASSET)).toBeUndefined();
  });

  it('trades at the maker price, not the taker limit (bid taker)', () => {
    s.ask(MAKER, 100, 3);
    const r = s.bid(TAKER, 105, 3);
    expect(r.fills.map((f) => f.price)).toEqual([100]);
  });

  it('trades at the maker price, not the taker limit (ask taker)', () => {
    s.bid(MAKER, 100, 3);
    const r = s.ask(TAKER, 90, 3);
    expect(r.fills).toEqual([fill(1, 2, 100, 3, { takerSide: 'ask' })]);
  });

  it('walks the opposite side best price first and stops at the limit', () => {
    s.ask(MAKER, 103, 1); // 1
    s.ask(MAKER, 101, 1); // 2
    s.ask(MAKER, 102, 1); // 3
    s.ask(MAKER, 104, 1); // 4
    const r = s.bid(TAKER, 103, 10);
    expect(r.fills.map((f) => [f.makerOrderId, f.price])).toEqual([[2, 101], [3, 102], [1, 103]]);
    expect(r).toMatchObject({ orderId: 5, status: 'resting', filled: 3, remaining: 7 });
    expect(engine.bestBid(ASSET)).toEqual({ price: 103, size: 7, orders: 1 });
    expect(engine.bestAsk(ASSET)).toEqual({ price: 104, size: 1, orders: 1 });
  });

  it('walks bids highest first for an ask taker', () => {
    s.bid(MAKER, 98, 1); // 1
    s.bid(MAKER, 100, 1); // 2
    s.bid(MAKER, 99, 1); // 3
    const r = s.ask(TAKER, 99, 5);
    expect(r.fills.map((f) => [f.makerOrderId, f.price])).toEqual([[2, 100], [3, 99]]);
    expect(r).toMatchObject({ status: 'resting', filled: 2, remaining: 3 });
    expect(engine.bestAsk(ASSET)).toEqual({ price: 99, size: 3, orders: 1 });
    expect(engine.bestBid(ASSET)).toEqual({ price: 98, size: 1, orders: 1 });
  });

  it('fills a level oldest first (time priority)', () => {
    s.ask(MAKER, 100, 2); // 1
    s.ask(MAKER2, 100, 2); // 2
    s.ask(MAKER, 100, 2); // 3
    const r = s.bid(TAKER, 100, 5);
    expect(r.fills).toEqual([
      fill(1, 4, 100, 2),
      fill(2, 4, 100, 2, { makerTrader: MAKER2 }),
      fill(3, 4, 100, 1),
    ]);
    expect(engine.order(3)?.remaining).toBe(1);
  });

  it('a partially filled maker keeps its place at the front of the queue', () => {
    s.ask(MAKER, 100, 5); // 1
    s.ask(MAKER2, 100, 5); // 2
    s.bid(TAKER, 100, 2); // 3: takes 2 from #1
    expect(s.queue()).toEqual([1, 2]);
    const r = s.bid(TAKER, 100, 4); // 3 more from #1, then 1 from #2
    expect(r.fills.map((f) => [f.makerOrderId, f.size])).toEqual([[1, 3], [2, 1]]);
    expect(engine.order(2)?.remaining).toBe(4);
  });

  it('a partially filled taker rests the rest at its limit, at the back of its level', () => {
    s.bid(MAKER, 99, 1); // 1
    s.ask(MAKER, 99, 2); // 2: takes #1, rests 1 at 99
    expect(engine.order(2)).toMatchObject({ side: 'ask', price: 99, remaining: 1 });
    expect(engine.depth(ASSET)).toEqual({ bids: [], asks: [{ price: 99, size: 1, orders: 1 }] });
  });

  it('removes a level when its last order fills', () => {
    s.ask(MAKER, 100, 1);
    s.ask(MAKER, 101, 1);
    s.bid(TAKER, 100, 1);
    expect(engine.depth(ASSET).asks).toEqual([{ price: 101, size: 1, orders: 1 }]);
  });

  describe('time in force', () => {
    it('GTC is the default time in force', () => {
      s.ask(MAKER, 100, 1);
      const r = s.bid(TAKER, 100, 3);
      expect(r).toMatchObject({ status: 'resting', filled: 1, remaining: 2 });
      expect(engine.order(r.orderId)).toMatchObject({ remaining: 2, price: 100 });
    });

    it('GTC fully filled is filled and leaves nothing resting', () => {
      s.ask(MAKER, 100, 3);
      const r = s.bid(TAKER, 100, 3, { timeInForce: 'GTC' });
      expect(r).toMatchObject({ status: 'filled', filled: 3, remaining: 0 });
      expect(engine.order(r.orderId)).toBeUndefined();
      expect(engine.restingOrders).toBe(0);
    });

    it('IOC cancels the unfilled rest', () => {
      s.ask(MAKER, 100, 2);
      const r = s.bid(TAKER, 101, 5, { timeInForce: 'IOC' });
      expect(r).toEqual({ orderId: 2, status: 'cancelled', filled: 2, remaining: 0, fills: [fill(1, 2, 100, 2)] });
      expect(engine.order(2)).toBeUndefined();
      expect(engine.depth(ASSET)).toEqual({ bids: [], asks: [] });
    });

    it('IOC with nothing to take is cancelled but still uses an id', () => {
      const r = s.bid(TAKER, 100, 5, { timeInForce: 'IOC' });
      expect(r).toEqual({ orderId: 1, status: 'cancelled', filled: 0, remaining: 0, fills: [] });
      expect(engine.nextOrderId).toBe(2);
    });

    it('IOC fully filled is filled', () => {
      s.ask(MAKER, 100, 2);
      expect(s.bid(TAKER, 100, 2, { timeInForce: 'IOC' })).toMatchObject({ status: 'filled', filled: 2, remaining: 0 });
    });

    it('FOK fills whole across several levels', () => {
      s.ask(MAKER, 100, 2);
      s.ask(MAKER, 101, 2);
      const r = s.bid(TAKER, 101, 4, { timeInForce: 'FOK' });
      expect(r).toMatchObject({ orderId: 3, status: 'filled', filled: 4, remaining: 0 });
      expect(r.fills.map((f) => f.price)).toEqual([100, 101]);
    });

    it('FOK that cannot fill whole at its limit is rejected CANNOT_FILL, uses no id and changes nothing', () => {
      s.ask(MAKER, 100, 2);
      s.ask(MAKER, 102, 2);
      const before = observe(engine);
      const r = s.bid(TAKER, 101, 3, { timeInForce: 'FOK' });
      expect(r).toEqual({ orderId: 0, status: 'rejected', filled: 0, remaining: 0, fills: [], reason: 'CANNOT_FILL' });
      expect(observe(engine)).toEqual(before);
      expect(s.bid(TAKER, 90, 1).orderId).toBe(3);
    });

    it('FOK counts the makers\' own sizes, exact after a level\'s total went past 2^53 lots', () => {
      s.ask(MAKER, 100, Number.MAX_SAFE_INTEGER);
      s.ask(MAKER, 100, 2);
      expect(engine.cancel({ trader: MAKER, asset: 1, orderId: 1 }).ok).toBe(true);
      // The level's total, kept up to date in doubles, has rounded; the maker's 2 lots have not.
      expect(s.bid(TAKER, 100, 2, { timeInForce: 'FOK' })).toMatchObject({ status: 'filled', filled: 2 });
    });

    it('FOK on an empty book is rejected CANNOT_FILL', () => {
      expect(s.ask(TAKER, 100, 1, { timeInForce: 'FOK' })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'CANNOT_FILL' });
      expect(engine.nextOrderId).toBe(1);
    });

    it('FOK for exactly the available size fills', () => {
      s.bid(MAKER, 100, 2);
      s.bid(MAKER2, 100, 3);
      const r = s.ask(TAKER, 100, 5, { timeInForce: 'FOK' });
      expect(r).toMatchObject({ status: 'filled', filled: 5 });
      expect(engine.bestBid(ASSET)).toBeUndefined();
    });

    it('POST_ONLY rests when it does not cross', () => {
      s.ask(MAKER, 101, 1);
      const r = s.bid(TAKER, 100, 3, { timeInForce: 'POST_ONLY' });
      expect(r).toEqual({ orderId: 2, status: 'resting', filled: 0, remaining: 3, fills: [] });
    });

    it('POST_ONLY rests on an empty book', () => {
      expect(s.ask(TAKER, 100, 3, { timeInForce: 'POST_ONLY' })).toMatchObject({ orderId: 1, status: 'resting', remaining: 3 });
    });

    it('FOK counts only size within its limit across levels, skipping own makers under cancel_maker', () => {
      s.ask(MAKER, 100, 2); // 1
      s.ask(TAKER, 101, 5); // 2: own, adds nothing
      s.ask(MAKER2, 101, 2); // 3
      s.ask(MAKER, 102, 9); // 4: beyond the limit
      expect(s.bid(TAKER, 101, 5, { timeInForce: 'FOK', stp: 'cancel_maker' })).toMatchObject({ orderId: 0, reason: 'CANNOT_FILL' });
      expect(s.queue()).toEqual([1, 2, 3, 4]);
      const r = s.bid(TAKER, 101, 4, { timeInForce: 'FOK', stp: 'cancel_maker' });
      expect(r).toMatchObject({ orderId: 5, status: 'filled', filled: 4 });
      expect(r.fills.map((f) => [f.makerOrderId, f.price])).toEqual([[1, 100], [3, 101]]);
      expect(s.queue()).toEqual([4]);
    });

    it('POST_ONLY bid at the best ask is rejected WOULD_CROSS and uses no id', () => {
      s.ask(MAKER, 101, 1);
      const before = observe(engine);
      const r = s.bid(TAKER, 101, 3, { timeInForce: 'POST_ONLY' });
      expect(r).toEqual({ orderId: 0, status: 'rejected', filled: 0, remaining: 0, fills: [], reason: 'WOULD_CROSS' });
      expect(observe(engine)).toEqual(before);
    });

    it('POST_ONLY ask at or below the best bid is rejected WOULD_CROSS', () => {
      s.bid(MAKER, 100, 1);
      expect(s.ask(TAKER, 100, 1, { timeInForce: 'POST_ONLY' })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'WOULD_CROSS' });
      expect(s.ask(TAKER, 99, 1, { timeInForce: 'POST_ONLY' })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'WOULD_CROSS' });
      expect(s.ask(TAKER, 101, 1, { timeInForce: 'POST_ONLY' })).toMatchObject({ orderId: 2, status: 'resting' });
    });

    it('POST_ONLY crossing only the trader\'s own order is still rejected WOULD_CROSS', () => {
      s.ask(TAKER, 100, 1);
      expect(s.bid(TAKER, 100, 1, { timeInForce: 'POST_ONLY', stp: 'cancel_maker' }))
        .toMatchObject({ orderId: 0, status: 'rejected', reason: 'WOULD_CROSS' });
      expect(engine.order(1)).toBeDefined();
    });
  });

  describe('market orders', () => {
    it('a market order on an empty side is cancelled with nothing filled, and uses an id', () => {
      s.bid(MAKER, 100, 1); // the other side is not the one it needs
      const r = s.market(TAKER, 'bid', 5);
      expect(r).toEqual({ orderId: 2, status: 'cancelled', filled: 0, remaining: 0, fills: [] });
      expect(engine.nextOrderId).toBe(3);
      expect(engine.restingOrders).toBe(1);
    });

    it('a market order takes every level until filled', () => {
      s.ask(MAKER, 100, 1);
      s.ask(MAKER, 150, 1);
      s.ask(MAKER, 1_000_000, 1);
      const r = s.market(TAKER, 'bid', 3, { timestamp: 42 });
      expect(r).toEqual({
        orderId: 4, status: 'filled', filled: 3, remaining: 0,
        fills: [fill(1, 4, 100, 1, { timestamp: 42 }), fill(2, 4, 150, 1, { timestamp: 42 }), fill(3, 4, 1_000_000, 1, { timestamp: 42 })],
      });
    });

    it('a market order larger than the book takes it all and cancels the rest', () => {
      s.bid(MAKER, 100, 2);
      s.bid(MAKER, 90, 2);
      const r = s.market(TAKER, 'ask', 10);
      expect(r).toMatchObject({ orderId: 3, status: 'cancelled', filled: 4, remaining: 0 });
      expect(r.reason).toBeUndefined();
      expect(r.fills.map((f) => [f.price, f.size, f.takerSide])).toEqual([[100, 2, 'ask'], [90, 2, 'ask']]);
      expect(engine.restingOrders).toBe(0);
    });

    it('a protection price stops a market buy at the worst price it allows', () => {
      s.ask(MAKER, 100, 1);
      s.ask(MAKER, 101, 1);
      s.ask(MAKER, 102, 1);
      const r = s.market(TAKER, 'bid', 5, { protectionPrice: 101 });
      expect(r).toMatchObject({ status: 'cancelled', filled: 2, remaining: 0 });
      expect(r.fills.map((f) => f.price)).toEqual([100, 101]);
      expect(engine.bestAsk(ASSET)).toEqual({ price: 102, size: 1, orders: 1 });
    });

    it('a protection price stops a market sell at the lowest price it allows', () => {
      s.bid(MAKER, 100, 1);
      s.bid(MAKER, 99, 1);
      const r = s.market(TAKER, 'ask', 5, { protectionPrice: 100 });
      expect(r.fills.map((f) => f.price)).toEqual([100]);
      expect(engine.bestBid(ASSET)).toEqual({ price: 99, size: 1, orders: 1 });
    });

    it('a protection price better than the best opposite price fills nothing; the order is cancelled', () => {
      s.ask(MAKER, 100, 1);
      expect(s.market(TAKER, 'bid', 1, { protectionPrice: 99 })).toMatchObject({ status: 'cancelled', filled: 0 });
      expect(s.market(TAKER, 'bid', 1, { protectionPrice: 100 })).toMatchObject({ status: 'filled', filled: 1 });
    });

    it('a market order never rests', () => {
      s.ask(MAKER, 100, 1);
      const r = s.market(TAKER, 'bid', 3);
      expect(engine.order(r.orderId)).toBeUndefined();
      expect(engine.bestBid(ASSET)).toBeUndefined();
    });
  });
});

/** Same scenario mirrored, as a guard against one-sided bugs in the core. */
describeEachBackend('matching is symmetric between sides', (backend) => {
  const cases: { taker: Side; maker: Side; prices: number[]; limit: number; expected: number[] }[] = [
    { taker: 'bid', maker: 'ask', prices: [105, 103, 104, 103], limit: 104, expected: [2, 4, 3] },
    { taker: 'ask', maker: 'bid', prices: [95, 97, 96, 97], limit: 96, expected: [2, 4, 3] },
  ];
  for (const c of cases) {
    it(`${c.taker} taker sweeps ${c.maker}s in price then time order`, async () => {
      const engine = await newEngine(backend);
      const s = scenario(engine, ASSET);
      for (const p of c.prices) s.limit(MAKER, c.maker, p, 1);
      const r = s.limit(TAKER, c.taker, c.limit, 10);
      expect(r.fills.map((f) => f.makerOrderId)).toEqual(c.expected);
      expect(r.fills.every((f) => f.takerSide === c.taker)).toBe(true);
      expect(r.remaining).toBe(7);
    });
  }
});
