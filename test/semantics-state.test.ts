// docs/semantics.md, "Order ids", "Queries", "Capacity", "Snapshot and state hash": what the
// book looks like from outside, its limits, and its canonical state.
import { beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, BOTH_BACKENDS, describeEachBackend, newEngine } from './helpers/backends.js';
import { observe, scenario, type Scenario } from './helpers/book.js';
import { LobError } from '../src/errors.js';
import type { Engine } from '../src/engine.js';

const ASSET = 1;
const MAX = Number.MAX_SAFE_INTEGER;

/** A fixed little history touching every command kind, to compare states. */
function playScript(engine: Engine): void {
  const s = scenario(engine, 1);
  const t = scenario(engine, 7, 50_000);
  s.bid(1, 100, 5);
  s.bid(2, 100, 3, { stp: 'cancel_maker' });
  s.bid(1, 99, 8);
  s.ask(3, 103, 4);
  s.ask(3, 102, 6, { stp: 'cancel_both' });
  t.ask(1, 10, 10);
  t.bid(2, 9, 10);
  s.ask(4, 100, 6); // takes #1 and part of #2
  s.reduce(3, 4, 1);
  s.modify(3, 5, { price: 101 });
  s.modify(1, 3, { size: 20 });
  s.market(4, 'bid', 2);
  t.cancel(2, 7);
  s.bid(2, 101, 1, { timeInForce: 'IOC' });
  s.ask(9, 95, 100, { timeInForce: 'FOK' }); // rejected
}

describeEachBackend('state and queries', (backend) => {
  let engine: Engine;
  let s: Scenario;
  beforeEach(async () => {
    engine = await newEngine(backend);
    s = scenario(engine, ASSET);
  });

  describe('order ids', () => {
    it('start at 1 and count up across all assets', () => {
      expect(engine.nextOrderId).toBe(1);
      expect(s.bid(1, 100, 1).orderId).toBe(1);
      expect(engine.placeLimit({ trader: 1, asset: 2, side: 'ask', price: 5, size: 1, timestamp: 0 }).orderId).toBe(2);
      expect(s.market(1, 'ask', 1).orderId).toBe(3); // fills #1
      expect(s.ask(1, 200, 1).orderId).toBe(4);
      expect(engine.nextOrderId).toBe(5);
    });

    it('are not used by rejected orders, and never reused after a cancel', () => {
      s.ask(1, 100, 1); // 1
      expect(s.bid(2, 100, 1, { timeInForce: 'POST_ONLY' }).orderId).toBe(0);
      expect(s.bid(2, 101, 5, { timeInForce: 'FOK' }).orderId).toBe(0);
      expect(engine.nextOrderId).toBe(2);
      s.cancel(1, 1);
      expect(s.bid(2, 100, 1).orderId).toBe(2);
    });
  });

  describe('depth, bestBid, bestAsk', () => {
    beforeEach(() => {
      s.bid(1, 100, 5);
      s.bid(2, 100, 7);
      s.bid(1, 98, 1);
      s.bid(1, 99, 2);
      s.ask(1, 103, 4);
      s.ask(2, 101, 1);
      s.ask(3, 101, 2);
      s.ask(3, 101, 3);
    });

    it('aggregates size and order count per level, best first on each side', () => {
      expect(engine.depth(ASSET)).toEqual({
        bids: [{ price: 100, size: 12, orders: 2 }, { price: 99, size: 2, orders: 1 }, { price: 98, size: 1, orders: 1 }],
        asks: [{ price: 101, size: 6, orders: 3 }, { price: 103, size: 4, orders: 1 }],
      });
    });

    it('returns at most the requested number of levels a side', () => {
      expect(engine.depth(ASSET, 1)).toEqual({
        bids: [{ price: 100, size: 12, orders: 2 }],
        asks: [{ price: 101, size: 6, orders: 3 }],
      });
      expect(engine.depth(ASSET, 2).bids.map((l) => l.price)).toEqual([100, 99]);
    });

    it('defaults to 10 levels', () => {
      for (let p = 1; p <= 15; p++) s.bid(5, p, 1);
      expect(engine.depth(ASSET).bids).toHaveLength(10);
      expect(engine.depth(ASSET, 100).bids).toHaveLength(18);
    });

    it('bestBid and bestAsk give the top level', () => {
      expect(engine.bestBid(ASSET)).toEqual({ price: 100, size: 12, orders: 2 });
      expect(engine.bestAsk(ASSET)).toEqual({ price: 101, size: 6, orders: 3 });
    });

    it('is empty for an asset with no orders', () => {
      expect(engine.bestBid(2)).toBeUndefined();
      expect(engine.bestAsk(2)).toBeUndefined();
      expect(engine.depth(2)).toEqual({ bids: [], asks: [] });
      expect(engine.orders(2)).toEqual([]);
      expect(engine.bestBid(MAX)).toBeUndefined();
    });

    it('an emptied side is undefined again', () => {
      s.market(9, 'bid', 100);
      expect(engine.bestAsk(ASSET)).toBeUndefined();
      expect(engine.depth(ASSET).asks).toEqual([]);
    });
  });

  describe('order() and orders()', () => {
    it('order() gives every field of a resting order and undefined for any other id', () => {
      s.ask(4, 120, 9, { stp: 'cancel_both', timestamp: 31 });
      expect(engine.order(1)).toEqual({
        orderId: 1, trader: 4, asset: ASSET, side: 'ask', price: 120, remaining: 9, timestamp: 31, stp: 'cancel_both',
      });
      expect(engine.order(2)).toBeUndefined();
      expect(engine.order(MAX)).toBeUndefined();
    });

    it('orders() lists bids best first, then asks best first, each level in queue order', () => {
      s.ask(1, 105, 1); // 1
      s.bid(1, 99, 1); // 2
      s.ask(1, 104, 1); // 3
      s.bid(1, 100, 1); // 4
      s.bid(1, 99, 1); // 5
      s.ask(1, 105, 1); // 6
      s.bid(1, 100, 1); // 7
      engine.placeLimit({ trader: 1, asset: 2, side: 'bid', price: 100, size: 1, timestamp: 0 }); // 8
      expect(s.queue()).toEqual([4, 7, 2, 5, 3, 1, 6]);
      expect(engine.orders(ASSET).every((o) => o.asset === ASSET)).toBe(true);
      expect(engine.orders(2).map((o) => o.orderId)).toEqual([8]);
      expect(engine.restingOrders).toBe(8);
    });
  });

  describe('assets are isolated', () => {
    it('orders on different assets never match, even at crossing prices', () => {
      engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 5, timestamp: 0 });
      const r = engine.placeLimit({ trader: 2, asset: 2, side: 'ask', price: 90, size: 5, timestamp: 0 });
      expect(r).toMatchObject({ status: 'resting', filled: 0 });
      expect(engine.bestBid(1)).toEqual({ price: 100, size: 5, orders: 1 });
      expect(engine.bestAsk(2)).toEqual({ price: 90, size: 5, orders: 1 });
      expect(engine.bestAsk(1)).toBeUndefined();
      expect(engine.bestBid(2)).toBeUndefined();
    });

    it('a market order on one asset does not see another asset\'s book', () => {
      engine.placeLimit({ trader: 1, asset: 0, side: 'ask', price: 100, size: 5, timestamp: 0 });
      expect(engine.placeMarket({ trader: 2, asset: 3, side: 'bid', size: 5, timestamp: 0 }))
        .toMatchObject({ status: 'cancelled', filled: 0 });
      expect(engine.order(1)?.remaining).toBe(5);
    });
  });

  describe('numeric limits', () => {
    it('accepts price 1 and price 2^53-1 and trades at both', () => {
      expect(s.ask(1, MAX, 1)).toMatchObject({ orderId: 1, status: 'resting' });
      expect(s.bid(1, 1, 1)).toMatchObject({ orderId: 2, status: 'resting' });
      expect(engine.depth(ASSET)).toEqual({ bids: [{ price: 1, size: 1, orders: 1 }], asks: [{ price: MAX, size: 1, orders: 1 }] });
      expect(s.bid(2, MAX, 1).fills[0]).toMatchObject({ price: MAX, size: 1, makerOrderId: 1 });
      expect(s.ask(2, 1, 1).fills[0]).toMatchObject({ price: 1, size: 1, makerOrderId: 2 });
    });

    it('accepts size 2^53-1 and fills it exactly', () => {
      expect(s.ask(1, 100, MAX)).toMatchObject({ status: 'resting', remaining: MAX });
      expect(engine.bestAsk(ASSET)).toEqual({ price: 100, size: MAX, orders: 1 });
      const r = s.bid(2, 100, MAX - 1);
      expect(r).toMatchObject({ status: 'filled', filled: MAX - 1 });
      expect(engine.order(1)?.remaining).toBe(1);
      expect(s.market(3, 'bid', MAX)).toMatchObject({ status: 'cancelled', filled: 1 });
    });

    it('accepts trader, asset and timestamp 0 and 2^53-1', () => {
      for (const v of [0, MAX]) {
        const r = engine.placeLimit({ trader: v, asset: v, side: 'bid', price: 10, size: 1, timestamp: v });
        expect(engine.order(r.orderId)).toMatchObject({ trader: v, asset: v, timestamp: v });
      }
    });

    it('a POST_ONLY bid at 2^53-1 against an ask there is still seen as crossing', () => {
      s.ask(1, MAX, 1);
      expect(s.bid(2, MAX, 1, { timeInForce: 'POST_ONLY' })).toMatchObject({ status: 'rejected', reason: 'WOULD_CROSS' });
    });
  });

  describe('snapshot and restore', () => {
    it('round-trips through a fresh engine: same hash, orders, next id and future behaviour', async () => {
      playScript(engine);
      const copy = await newEngine(backend);
      copy.restore(engine.snapshot());
      expect(copy.stateHash()).toBe(engine.stateHash());
      expect(copy.nextOrderId).toBe(engine.nextOrderId);
      expect(copy.restingOrders).toBe(engine.restingOrders);
      for (const a of [1, 7]) {
        expect(copy.orders(a)).toEqual(engine.orders(a));
        expect(copy.depth(a, 100)).toEqual(engine.depth(a, 100));
      }
      const next = { trader: 8, asset: 1, side: 'ask' as const, price: 1, size: 1_000, timestamp: 9 };
      expect(copy.placeLimit(next)).toEqual(engine.placeLimit(next));
      expect(copy.stateHash()).toBe(engine.stateHash());
    });

    it('restore replaces the whole state, including the next order id', async () => {
      const empty = engine.snapshot();
      playScript(engine);
      engine.restore(empty);
      expect(engine.nextOrderId).toBe(1);
      expect(engine.restingOrders).toBe(0);
      expect(engine.orders(1)).toEqual([]);
      expect(engine.stateHash()).toBe((await newEngine(backend)).stateHash());
    });

    it('a malformed snapshot throws CORRUPTION and changes nothing', () => {
      playScript(engine);
      const before = observe(engine, [1, 7]);
      const good = engine.snapshot();
      const truncated = good.slice(0, good.length - 8);
      const badMagic = good.slice();
      badMagic[0] ^= 0xff;
      for (const bad of [new Uint8Array(0), truncated, badMagic]) {
        expect(() => engine.restore(bad)).toThrow(LobError);
        try {
          engine.restore(bad);
        } catch (e) {
          expect((e as LobError).code).toBe('CORRUPTION');
        }
      }
      expect(observe(engine, [1, 7])).toEqual(before);
    });

    it('the state hash ignores fills already reported and the last timestamp', async () => {
      // Both end with one resting ask of 2 lots at 100 as order #2 and a last trade at 100; only
      // history differs (who bought, and when).
      const a = await newEngine(backend);
      a.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 1 });
      a.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 100, size: 3, timestamp: 2 });
      const b = await newEngine(backend);
      b.placeLimit({ trader: 3, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 7 });
      b.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 100, size: 3, timestamp: 2 });
      expect(a.stateHash()).toBe(b.stateHash());
      expect(a.stateHash()).not.toBe((await newEngine(backend)).stateHash());
    });

    it('the state hash depends on queue order', async () => {
      const a = await newEngine(backend);
      const b = await newEngine(backend);
      a.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 1 });
      a.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 2, timestamp: 1 });
      b.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 2, timestamp: 1 });
      b.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 1 });
      expect(a.stateHash()).not.toBe(b.stateHash());
    });
  });

  describe('capacity', () => {
    it('maxOrders: an order that would rest beyond it is rejected CAPACITY and nothing changes', async () => {
      const small = await newEngine(backend, { maxOrders: 2 });
      const t = scenario(small, ASSET);
      t.bid(1, 100, 1);
      t.ask(1, 110, 1);
      const before = observe(small);
      expect(t.bid(2, 101, 1)).toEqual({ orderId: 0, status: 'rejected', filled: 0, remaining: 0, fills: [], reason: 'CAPACITY' });
      expect(t.ask(2, 111, 1, { timeInForce: 'POST_ONLY' })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'CAPACITY' });
      expect(observe(small)).toEqual(before);
    });

    it('maxOrders: orders that do not rest still trade when the book is full', async () => {
      const small = await newEngine(backend, { maxOrders: 2 });
      const t = scenario(small, ASSET);
      t.ask(1, 100, 5);
      t.ask(1, 101, 5);
      expect(t.bid(2, 100, 1, { timeInForce: 'IOC' })).toMatchObject({ status: 'filled', filled: 1 });
      expect(t.market(2, 'bid', 1)).toMatchObject({ status: 'filled', filled: 1 });
      expect(t.bid(2, 100, 1, { timeInForce: 'FOK' })).toMatchObject({ status: 'filled', filled: 1 });
      expect(small.nextOrderId).toBe(6);
    });

    it('maxOrders: a GTC order that fills completely never needs room, so a full book does not stop it', async () => {
      const small = await newEngine(backend, { maxOrders: 2 });
      const t = scenario(small, ASSET);
      t.ask(1, 100, 5);
      t.ask(1, 101, 5);
      expect(t.bid(2, 100, 2)).toMatchObject({ orderId: 3, status: 'filled', filled: 2 });
    });

    it('maxOrders: room frees up when an order leaves', async () => {
      const small = await newEngine(backend, { maxOrders: 1 });
      const t = scenario(small, ASSET);
      t.bid(1, 100, 1);
      expect(t.bid(1, 100, 1).reason).toBe('CAPACITY');
      t.cancel(1, 1);
      expect(t.bid(1, 100, 1)).toMatchObject({ orderId: 2, status: 'resting' });
    });

    it('maxLevels: a new level beyond it is rejected CAPACITY, joining a level is fine', async () => {
      const small = await newEngine(backend, { maxLevels: 2 });
      const t = scenario(small, ASSET);
      t.bid(1, 100, 1);
      t.ask(1, 110, 1);
      const before = observe(small);
      expect(t.bid(1, 99, 1)).toMatchObject({ orderId: 0, status: 'rejected', reason: 'CAPACITY' });
      expect(small.placeLimit({ trader: 1, asset: 2, side: 'bid', price: 100, size: 1, timestamp: 0 }).reason).toBe('CAPACITY');
      expect(observe(small)).toEqual(before);
      expect(t.bid(2, 100, 1)).toMatchObject({ orderId: 3, status: 'resting' });
    });

    it('a modify that needs no new order or level is not stopped by full limits', async () => {
      const small = await newEngine(backend, { maxOrders: 2, maxLevels: 2 });
      const t = scenario(small, ASSET);
      t.bid(1, 100, 1); // 1
      t.bid(1, 99, 1); // 2
      expect(t.modify(1, 1, { size: 5 })).toMatchObject({ orderId: 1, status: 'resting', remaining: 5 });
      expect(t.modify(1, 2, { price: 100 })).toMatchObject({ orderId: 2, status: 'resting', remaining: 1 });
      expect(small.depth(ASSET).bids).toEqual([{ price: 100, size: 6, orders: 2 }]);
    });

    it('maxLevels: a modify that needs a new level is rejected and the order keeps its place', async () => {
      const small = await newEngine(backend, { maxLevels: 2 });
      const t = scenario(small, ASSET);
      t.bid(1, 100, 1); // 1
      t.bid(2, 100, 1); // 2
      t.ask(1, 110, 1); // 3
      const before = observe(small);
      expect(t.modify(1, 1, { price: 101 })).toEqual({ orderId: 1, status: 'rejected', filled: 0, remaining: 0, fills: [], reason: 'CAPACITY' });
      expect(observe(small)).toEqual(before);
      expect(t.queue()).toEqual([1, 2, 3]);
    });
  });
});

describe.skipIf(!BOTH_BACKENDS)('the state hash is the same on both backends', () => {
  it('after the same commands', async () => {
    const engines = await Promise.all(BACKENDS.map((b) => newEngine(b)));
    const hashes = engines.map((e) => e.stateHash());
    expect(hashes[0]).toBe(hashes[1]);
    for (const e of engines) playScript(e);
    expect(engines[0].stateHash()).toBe(engines[1].stateHash());
    expect(engines[0].snapshot()).toEqual(engines[1].snapshot());
  });

  it('a book large enough to grow memory, swept by one order with 60k fills', async () => {
    const engines = await Promise.all(BACKENDS.map((b) => newEngine(b)));
    const fills: number[][] = [];
    for (const e of engines) {
      for (let i = 0; i < 60_000; i++) {
        e.placeLimit({ trader: i % 7, asset: 1, side: 'ask', price: 1_000 + (i % 6_000), size: 1 + (i % 3), timestamp: i });
      }
      expect(e.restingOrders).toBe(60_000);
      expect(e.depth(1, 10_000).asks).toHaveLength(6_000);
      const r = e.placeMarket({ trader: 99, asset: 1, side: 'bid', size: 10 ** 9, timestamp: 1 });
      expect(r.fills).toHaveLength(60_000);
      expect(r.filled).toBe(120_000);
      fills.push(r.fills.map((f) => f.makerOrderId));
      expect(e.restingOrders).toBe(0);
    }
    expect(fills[0]).toEqual(fills[1]);
    expect(engines[0].stateHash()).toBe(engines[1].stateHash());
  });

  it('a snapshot from one backend restores into the other', async () => {
    for (const [from, to] of [['wasm', 'js'], ['js', 'wasm']] as const) {
      const source = await newEngine(from);
      playScript(source);
      const target = await newEngine(to);
      target.restore(source.snapshot());
      expect(target.stateHash()).toBe(source.stateHash());
      expect(target.orders(1)).toEqual(source.orders(1));
    }
  });
});
