// docs/semantics.md, "Cancel, reduce, modify": ownership, unknown orders, priority rules.
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import { observe, scenario, type Scenario } from './helpers/book.js';
import type { Engine } from '../src/engine.js';

const ASSET = 1;
const OTHER_ASSET = 2;
const ALICE = 1;
const BOB = 2;
const CAROL = 3;

describeEachBackend('cancel, reduce and modify', (backend) => {
  let engine: Engine;
  let s: Scenario;
  beforeEach(async () => {
    engine = await newEngine(backend);
    s = scenario(engine, ASSET);
  });

  describe('cancel', () => {
    it('removes a resting order and reports ok with nothing remaining', () => {
      s.bid(ALICE, 100, 5);
      s.bid(BOB, 100, 3);
      expect(s.cancel(ALICE, 1)).toEqual({ ok: true, remaining: 0 });
      expect(engine.order(1)).toBeUndefined();
      expect(engine.bestBid(ASSET)).toEqual({ price: 100, size: 3, orders: 1 });
    });

    it('removes the level with its last order', () => {
      s.ask(ALICE, 100, 5);
      s.cancel(ALICE, 1);
      expect(engine.depth(ASSET)).toEqual({ bids: [], asks: [] });
      expect(engine.restingOrders).toBe(0);
    });

    it("by another trader is NOT_OWNER and changes nothing", () => {
      s.bid(ALICE, 100, 5);
      const before = observe(engine);
      expect(s.cancel(BOB, 1)).toEqual({ ok: false, reason: 'NOT_OWNER' });
      expect(observe(engine)).toEqual(before);
    });

    it('of an id never assigned is UNKNOWN_ORDER', () => {
      s.bid(ALICE, 100, 5);
      expect(s.cancel(ALICE, 2)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
      expect(s.cancel(ALICE, Number.MAX_SAFE_INTEGER)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
    });

    it('of the right id on the wrong asset is UNKNOWN_ORDER, even for its owner', () => {
      s.bid(ALICE, 100, 5);
      const before = observe(engine, [ASSET, OTHER_ASSET]);
      expect(s.cancel(ALICE, 1, OTHER_ASSET)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
      expect(observe(engine, [ASSET, OTHER_ASSET])).toEqual(before);
    });

    it('UNKNOWN_ORDER is checked before ownership (wrong asset and wrong trader)', () => {
      s.bid(ALICE, 100, 5);
      expect(s.cancel(BOB, 1, OTHER_ASSET)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
    });

    it('of a cancelled order is UNKNOWN_ORDER', () => {
      s.bid(ALICE, 100, 5);
      s.cancel(ALICE, 1);
      expect(s.cancel(ALICE, 1)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
    });

    it('of a filled order is UNKNOWN_ORDER', () => {
      s.bid(ALICE, 100, 5);
      s.ask(BOB, 100, 5);
      expect(s.cancel(ALICE, 1)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
      expect(s.cancel(BOB, 2)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
    });

    it('of an IOC or market order (which never rested) is UNKNOWN_ORDER', () => {
      s.bid(ALICE, 100, 5, { timeInForce: 'IOC' });
      s.market(ALICE, 'ask', 5);
      expect(s.cancel(ALICE, 1)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
      expect(s.cancel(ALICE, 2)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
    });
  });

  describe('reduce', () => {
    it('lowers the size and keeps the place in the queue', () => {
      s.ask(ALICE, 100, 10); // 1
      s.ask(BOB, 100, 10); // 2
      expect(s.reduce(ALICE, 1, 4)).toEqual({ ok: true, remaining: 6 });
      expect(s.queue()).toEqual([1, 2]);
      expect(engine.order(1)).toMatchObject({ remaining: 6, timestamp: 1000 });
      expect(engine.bestAsk(ASSET)).toEqual({ price: 100, size: 16, orders: 2 });
      const r = s.bid(CAROL, 100, 7);
      expect(r.fills.map((f) => [f.makerOrderId, f.size])).toEqual([[1, 6], [2, 1]]);
    });

    it('to exactly zero cancels the order', () => {
      s.ask(ALICE, 100, 10);
      expect(s.reduce(ALICE, 1, 10)).toEqual({ ok: true, remaining: 0 });
      expect(engine.order(1)).toBeUndefined();
      expect(engine.bestAsk(ASSET)).toBeUndefined();
      expect(s.reduce(ALICE, 1, 1)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
    });

    it('beyond the remaining size cancels the order', () => {
      s.bid(ALICE, 100, 3);
      expect(s.reduce(ALICE, 1, Number.MAX_SAFE_INTEGER)).toEqual({ ok: true, remaining: 0 });
      expect(engine.restingOrders).toBe(0);
    });

    it('after a partial fill works from what remains', () => {
      s.bid(ALICE, 100, 10);
      s.ask(BOB, 100, 4);
      expect(s.reduce(ALICE, 1, 5)).toEqual({ ok: true, remaining: 1 });
      expect(s.reduce(ALICE, 1, 1)).toEqual({ ok: true, remaining: 0 });
    });

    it('by another trader is NOT_OWNER and changes nothing', () => {
      s.bid(ALICE, 100, 5);
      const before = observe(engine);
      expect(s.reduce(BOB, 1, 1)).toEqual({ ok: false, reason: 'NOT_OWNER' });
      expect(observe(engine)).toEqual(before);
    });

    it('of an unknown order, or on the wrong asset, is UNKNOWN_ORDER', () => {
      s.bid(ALICE, 100, 5);
      expect(s.reduce(ALICE, 9, 1)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
      expect(s.reduce(ALICE, 1, 1, OTHER_ASSET)).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
      expect(engine.order(1)?.remaining).toBe(5);
    });
  });

  describe('modify', () => {
    it('a smaller size at the same price keeps priority and timestamp', () => {
      s.bid(ALICE, 100, 10); // 1 at t=1000
      s.bid(BOB, 100, 10); // 2
      const r = s.modify(ALICE, 1, { size: 4 });
      expect(r).toEqual({ orderId: 1, status: 'resting', filled: 0, remaining: 4, fills: [] });
      expect(s.queue()).toEqual([1, 2]);
      expect(engine.order(1)).toMatchObject({ price: 100, remaining: 4, timestamp: 1000 });
    });

    it('a smaller size with the same price given explicitly keeps priority', () => {
      s.bid(ALICE, 100, 10);
      s.bid(BOB, 100, 10);
      s.modify(ALICE, 1, { price: 100, size: 9 });
      expect(s.queue()).toEqual([1, 2]);
    });

    it('the same price and size changes nothing', () => {
      s.bid(ALICE, 100, 10);
      s.bid(BOB, 100, 10);
      const before = observe(engine);
      expect(s.modify(ALICE, 1, { price: 100, size: 10 })).toEqual({ orderId: 1, status: 'resting', filled: 0, remaining: 10, fills: [] });
      expect(s.modify(ALICE, 1, { price: 100 })).toEqual({ orderId: 1, status: 'resting', filled: 0, remaining: 10, fills: [] });
      expect(observe(engine)).toEqual(before);
    });

    it('a larger size loses priority, keeps the id and takes the modify timestamp', () => {
      s.bid(ALICE, 100, 10); // 1
      s.bid(BOB, 100, 10); // 2
      const r = s.modify(ALICE, 1, { size: 11 }, { timestamp: 7777 });
      expect(r).toEqual({ orderId: 1, status: 'resting', filled: 0, remaining: 11, fills: [] });
      expect(s.queue()).toEqual([2, 1]);
      expect(engine.order(1)).toMatchObject({ price: 100, remaining: 11, timestamp: 7777 });
      expect(engine.nextOrderId).toBe(3);
    });

    it('a new price moves the order to the back of its new level', () => {
      s.bid(BOB, 101, 1); // 1
      s.bid(ALICE, 100, 5); // 2
      s.bid(CAROL, 101, 1); // 3
      const r = s.modify(ALICE, 2, { price: 101 });
      expect(r).toEqual({ orderId: 2, status: 'resting', filled: 0, remaining: 5, fills: [] });
      expect(s.queue()).toEqual([1, 3, 2]);
      expect(engine.depth(ASSET).bids).toEqual([{ price: 101, size: 7, orders: 3 }]);
    });

    it('a new price with a new size uses both', () => {
      s.ask(ALICE, 105, 5);
      s.modify(ALICE, 1, { price: 104, size: 2 });
      expect(engine.order(1)).toMatchObject({ price: 104, remaining: 2 });
    });

    it('a new price that crosses matches as a GTC taker with the same id', () => {
      s.ask(BOB, 101, 2); // 1
      s.ask(CAROL, 102, 2); // 2
      s.bid(ALICE, 99, 5); // 3
      const r = s.modify(ALICE, 3, { price: 101 }, { timestamp: 4242 });
      expect(r).toEqual({
        orderId: 3, status: 'resting', filled: 2, remaining: 3,
        fills: [{
          asset: ASSET, makerOrderId: 1, takerOrderId: 3, makerTrader: BOB, takerTrader: ALICE,
          takerSide: 'bid', price: 101, size: 2, timestamp: 4242,
        }],
      });
      expect(engine.order(3)).toMatchObject({ price: 101, remaining: 3, timestamp: 4242 });
      expect(engine.nextOrderId).toBe(4);
    });

    it('a crossing modify that fills completely is filled and leaves the book', () => {
      s.bid(BOB, 100, 2); // 1
      s.ask(ALICE, 103, 2); // 2
      const r = s.modify(ALICE, 2, { price: 99 });
      expect(r).toMatchObject({ orderId: 2, status: 'filled', filled: 2, remaining: 0 });
      expect(r.fills[0]).toMatchObject({ makerOrderId: 1, takerOrderId: 2, price: 100, takerSide: 'ask' });
      expect(engine.order(2)).toBeUndefined();
      expect(engine.restingOrders).toBe(0);
    });

    it('a size-only increase re-queues at the back of the same level', () => {
      s.ask(BOB, 100, 1); // 1
      s.ask(ALICE, 100, 1); // 2
      s.ask(CAROL, 100, 1); // 3
      s.modify(BOB, 1, { size: 3 });
      expect(s.queue()).toEqual([2, 3, 1]);
    });

    it('size is the new open size of a partially filled order', () => {
      s.ask(ALICE, 100, 10); // 1
      s.ask(BOB, 100, 10); // 2
      s.bid(CAROL, 100, 4); // 3: #1 has 6 left
      expect(s.modify(ALICE, 1, { size: 6 })).toMatchObject({ status: 'resting', remaining: 6 });
      expect(s.queue()).toEqual([1, 2]);
      expect(s.modify(ALICE, 1, { size: 5 })).toMatchObject({ status: 'resting', remaining: 5 });
      expect(s.queue()).toEqual([1, 2]);
      expect(s.modify(ALICE, 1, { size: 8 })).toMatchObject({ status: 'resting', remaining: 8 });
      expect(s.queue()).toEqual([2, 1]);
    });

    it('by another trader is rejected NOT_OWNER with the requested id and changes nothing', () => {
      s.bid(ALICE, 100, 5);
      s.ask(BOB, 101, 5);
      const before = observe(engine);
      const r = s.modify(BOB, 1, { price: 101 });
      expect(r).toEqual({ orderId: 1, status: 'rejected', filled: 0, remaining: 0, fills: [], reason: 'NOT_OWNER' });
      expect(observe(engine)).toEqual(before);
    });

    it('of an unknown, finished or other-asset order is rejected UNKNOWN_ORDER and changes nothing', () => {
      s.bid(ALICE, 100, 5); // 1
      s.bid(ALICE, 100, 5); // 2
      s.cancel(ALICE, 2);
      const before = observe(engine, [ASSET, OTHER_ASSET]);
      for (const [orderId, asset] of [[9, ASSET], [2, ASSET], [1, OTHER_ASSET]]) {
        const r = engine.modify({ trader: ALICE, asset, orderId, size: 1, timestamp: 5 });
        expect(r).toEqual({ orderId, status: 'rejected', filled: 0, remaining: 0, fills: [], reason: 'UNKNOWN_ORDER' });
      }
      expect(observe(engine, [ASSET, OTHER_ASSET])).toEqual(before);
    });

    it('keeps the order\'s own stp when it becomes a taker', () => {
      s.ask(ALICE, 101, 2); // 1
      s.bid(ALICE, 100, 5, { stp: 'cancel_taker' }); // 2
      const r = s.modify(ALICE, 2, { price: 101 });
      expect(r).toEqual({ orderId: 2, status: 'cancelled', filled: 0, remaining: 0, fills: [], reason: 'SELF_TRADE' });
      expect(engine.order(2)).toBeUndefined();
      expect(engine.order(1)?.remaining).toBe(2);
    });

    it('keeps cancel_maker stp as a taker: the own maker goes, matching continues', () => {
      s.ask(ALICE, 101, 2); // 1
      s.ask(BOB, 101, 2); // 2
      s.bid(ALICE, 100, 3, { stp: 'cancel_maker' }); // 3
      const r = s.modify(ALICE, 3, { price: 101 });
      expect(r).toMatchObject({ orderId: 3, status: 'resting', filled: 2, remaining: 1 });
      expect(r.fills.map((f) => f.makerOrderId)).toEqual([2]);
      expect(engine.order(1)).toBeUndefined();
      expect(engine.order(3)).toMatchObject({ stp: 'cancel_maker', price: 101, remaining: 1 });
    });
  });
});

describeEachBackend('order ids near 2^53', (backend) => {
  it('are handed out while they stay safe integers; then a new order is rejected CAPACITY and the rest serves on', async () => {
    const engine = await newEngine(backend);
    // A snapshot whose next order id is 2^53 - 3 (slot 1 of its header): two single ids are left.
    const snapshot = engine.snapshot();
    new Float64Array(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength / 8)[1] = 2 ** 53 - 3;
    engine.restore(snapshot);
    const order = { trader: 1, asset: 1, side: 'bid' as const, size: 1, timestamp: 1 };
    expect(engine.placeLimit({ ...order, price: 100 })).toMatchObject({ orderId: 2 ** 53 - 3, status: 'resting' });
    expect(engine.placeOco({ ...order, side: 'ask', price: 110, stopPrice: 90 })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'CAPACITY' });
    expect(engine.placeStop({ ...order, stopPrice: 120 })).toMatchObject({ orderId: 2 ** 53 - 2, status: 'pending' });
    expect(engine.nextOrderId).toBe(Number.MAX_SAFE_INTEGER);
    expect(engine.placeLimit({ ...order, price: 99 })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'CAPACITY' });
    expect(engine.placeMarket({ ...order, side: 'ask' })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'CAPACITY' });
    expect(engine.placeStop({ ...order, stopPrice: 130 })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'CAPACITY' });
    // Every id issued is a safe integer: the engine's own snapshot restores.
    const hash = engine.stateHash();
    engine.restore(engine.snapshot());
    expect(engine.stateHash()).toBe(hash);
    expect(engine.cancel({ trader: 1, asset: 1, orderId: 2 ** 53 - 3 })).toMatchObject({ ok: true });
  });
});
