// docs/semantics.md, "Self-trade prevention", including its interplay with FOK and market orders.
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import { observe, scenario, type Scenario } from './helpers/book.js';
import type { Engine } from '../src/engine.js';

const ASSET = 1;
const SELF = 1;
const OTHER = 2;

describeEachBackend('self-trade prevention', (backend) => {
  let engine: Engine;
  let s: Scenario;
  beforeEach(async () => {
    engine = await newEngine(backend);
    s = scenario(engine, ASSET);
  });

  it('allow (the default) trades with the trader\'s own order', () => {
    s.ask(SELF, 100, 2);
    const r = s.bid(SELF, 100, 2);
    expect(r).toMatchObject({ status: 'filled', filled: 2 });
    expect(r.fills[0]).toMatchObject({ makerTrader: SELF, takerTrader: SELF, makerOrderId: 1, takerOrderId: 2 });
  });

  it('cancel_maker removes every own OCO maker with its stop leg, however many there are', () => {
    // Two events a maker (its removal and its stop leg's), far more than a fill bound of one lot.
    const pairs = 2000;
    for (let i = 0; i < pairs; i++) engine.placeOco({ trader: SELF, asset: ASSET, side: 'ask', size: 1, price: 100, stopPrice: 90, timestamp: 1 });
    s.ask(OTHER, 100, 1);
    const r = engine.placeLimit({ trader: SELF, asset: ASSET, side: 'bid', price: 100, size: 1, timestamp: 2, stp: 'cancel_maker' });
    expect(r).toMatchObject({ status: 'filled', filled: 1 });
    const removed = engine.events.toArray().filter((e) => e.kind === 'removed');
    expect(removed.filter((e) => e.reason === 'SELF_TRADE')).toHaveLength(pairs);
    expect(removed.filter((e) => e.reason === 'OCO_SIBLING')).toHaveLength(pairs);
    expect(engine.pendingStops).toBe(0);
    expect(engine.restingOrders).toBe(0);
  });

  it('the taker\'s mode decides, not the maker\'s', () => {
    s.ask(SELF, 100, 2, { stp: 'cancel_both' });
    const r = s.bid(SELF, 100, 2, { stp: 'allow' });
    expect(r).toMatchObject({ status: 'filled', filled: 2 });
  });

  it('no STP mode interferes with trades between different traders', () => {
    for (const stp of ['cancel_taker', 'cancel_maker', 'cancel_both'] as const) {
      s.ask(OTHER, 100, 1);
      expect(s.bid(SELF, 100, 1, { stp })).toMatchObject({ status: 'filled', filled: 1 });
    }
  });

  describe('cancel_taker', () => {
    it('stops at the own maker: earlier fills stand, the rest is cancelled, the maker stays', () => {
      s.ask(OTHER, 100, 2); // 1
      s.ask(SELF, 100, 3); // 2
      s.ask(OTHER, 100, 4); // 3
      const r = s.bid(SELF, 101, 8, { stp: 'cancel_taker' });
      expect(r).toMatchObject({ orderId: 4, status: 'cancelled', filled: 2, remaining: 0, reason: 'SELF_TRADE' });
      expect(r.fills.map((f) => f.makerOrderId)).toEqual([1]);
      expect(engine.order(4)).toBeUndefined();
      expect(s.queue()).toEqual([2, 3]);
    });

    it('with the own maker first fills nothing: cancelled SELF_TRADE, still an id', () => {
      s.bid(SELF, 100, 3);
      const r = s.ask(SELF, 100, 3, { stp: 'cancel_taker' });
      expect(r).toEqual({ orderId: 2, status: 'cancelled', filled: 0, remaining: 0, fills: [], reason: 'SELF_TRADE' });
      expect(engine.order(1)?.remaining).toBe(3);
    });

    it('a market order is stopped the same way', () => {
      s.ask(OTHER, 100, 1);
      s.ask(SELF, 101, 1);
      const r = s.market(SELF, 'bid', 5, { stp: 'cancel_taker' });
      expect(r).toMatchObject({ status: 'cancelled', filled: 1, remaining: 0, reason: 'SELF_TRADE' });
    });

    it('a taker that fills before reaching its own maker is filled, with no reason', () => {
      s.ask(OTHER, 100, 2);
      s.ask(SELF, 100, 2);
      const r = s.bid(SELF, 100, 2, { stp: 'cancel_taker' });
      expect(r).toMatchObject({ status: 'filled', filled: 2 });
      expect(r.reason).toBeUndefined();
    });
  });

  describe('cancel_maker', () => {
    it('removes the own maker without a fill and keeps matching; the rest rests', () => {
      s.ask(SELF, 100, 3); // 1
      s.ask(OTHER, 100, 2); // 2
      s.ask(SELF, 101, 1); // 3
      const r = s.bid(SELF, 101, 5, { stp: 'cancel_maker' });
      expect(r).toMatchObject({ orderId: 4, status: 'resting', filled: 2, remaining: 3 });
      expect(r.reason).toBeUndefined();
      expect(r.fills.map((f) => f.makerOrderId)).toEqual([2]);
      expect(engine.order(1)).toBeUndefined();
      expect(engine.order(3)).toBeUndefined();
      expect(engine.depth(ASSET)).toEqual({ bids: [{ price: 101, size: 3, orders: 1 }], asks: [] });
    });

    it('with IOC removes own makers and cancels the rest without SELF_TRADE', () => {
      s.bid(SELF, 100, 3);
      const r = s.ask(SELF, 100, 3, { stp: 'cancel_maker', timeInForce: 'IOC' });
      expect(r).toMatchObject({ orderId: 2, status: 'cancelled', filled: 0, remaining: 0 });
      expect(r.reason).toBeUndefined();
      expect(engine.restingOrders).toBe(0);
    });
  });

  describe('cancel_both', () => {
    it('removes the own maker, then stops and cancels the taker', () => {
      s.ask(OTHER, 100, 1); // 1
      s.ask(SELF, 100, 3); // 2
      s.ask(OTHER, 100, 4); // 3
      const r = s.bid(SELF, 100, 8, { stp: 'cancel_both' });
      expect(r).toMatchObject({ orderId: 4, status: 'cancelled', filled: 1, remaining: 0, reason: 'SELF_TRADE' });
      expect(r.fills.map((f) => f.makerOrderId)).toEqual([1]);
      expect(s.queue()).toEqual([3]);
    });
  });

  describe('with FOK', () => {
    it('cancel_maker: an own maker adds nothing to the dry run; rejected, and no maker is removed', () => {
      s.ask(SELF, 100, 5); // 1
      s.ask(OTHER, 100, 5); // 2
      const before = observe(engine);
      const r = s.bid(SELF, 100, 6, { stp: 'cancel_maker', timeInForce: 'FOK' });
      expect(r).toEqual({ orderId: 0, status: 'rejected', filled: 0, remaining: 0, fills: [], reason: 'CANNOT_FILL' });
      expect(observe(engine)).toEqual(before);
    });

    it('cancel_maker: fills from others and removes the own makers met on the way', () => {
      s.ask(SELF, 100, 5); // 1
      s.ask(OTHER, 100, 5); // 2
      s.ask(SELF, 100, 5); // 3
      const r = s.bid(SELF, 100, 5, { stp: 'cancel_maker', timeInForce: 'FOK' });
      expect(r).toMatchObject({ orderId: 4, status: 'filled', filled: 5 });
      expect(r.fills.map((f) => f.makerOrderId)).toEqual([2]);
      expect(s.queue()).toEqual([3]);
    });

    for (const stp of ['cancel_taker', 'cancel_both'] as const) {
      it(`${stp}: the dry run stops at the own maker, so more size behind it does not count`, () => {
        s.ask(OTHER, 100, 2); // 1
        s.ask(SELF, 100, 5); // 2
        s.ask(OTHER, 100, 5); // 3
        const before = observe(engine);
        expect(s.bid(SELF, 100, 3, { stp, timeInForce: 'FOK' }))
          .toMatchObject({ orderId: 0, status: 'rejected', reason: 'CANNOT_FILL' });
        expect(observe(engine)).toEqual(before);
      });

      it(`${stp}: fills when the size is reached before the own maker, which stays`, () => {
        s.ask(OTHER, 100, 2); // 1
        s.ask(SELF, 100, 5); // 2
        const r = s.bid(SELF, 100, 2, { stp, timeInForce: 'FOK' });
        expect(r).toMatchObject({ orderId: 3, status: 'filled', filled: 2 });
        expect(s.queue()).toEqual([2]);
      });
    }
  });
});
