// docs/semantics.md "Stop orders", "OCO" and "Budget market orders": every rule, on both backends.
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import { createEngine, type Engine } from '../src/engine.js';
import { CommandBatch } from '../src/batch.js';
import type { BookEvent, OrderResult } from '../src/types.js';

/** The events of the last call as `kind:reason#orderId` strings: the order of what happened. */
function story(engine: Engine): string[] {
  return engine.events.toArray().map((e) => `${e.kind}${e.reason === undefined ? '' : `:${e.reason}`}#${e.orderId}`);
}

function fillsOf(result: OrderResult): [number, number, number, number][] {
  return result.fills.map((f) => [f.makerOrderId, f.takerOrderId, f.price, f.size]);
}

describeEachBackend('stop orders', (backend) => {
  let engine: Engine;
  beforeEach(async () => {
    engine = await newEngine(backend);
  });

  const limit = (trader: number, side: 'bid' | 'ask', price: number, size: number, timestamp = 1, extra: object = {}) =>
    engine.placeLimit({ trader, asset: 1, side, price, size, timestamp, ...extra });
  const market = (trader: number, side: 'bid' | 'ask', size: number, timestamp = 1, extra: object = {}) =>
    engine.placeMarket({ trader, asset: 1, side, size, timestamp, ...extra });
  const stop = (trader: number, side: 'bid' | 'ask', size: number, stopPrice: number, extra: object = {}) =>
    engine.placeStop({ trader, asset: 1, side, size, stopPrice, timestamp: 1, ...extra });
  /** A trade at `price` between traders 8 and 9 (lot 1): moves the last trade price. */
  const tradeAt = (price: number, timestamp = 1) => {
    limit(8, 'ask', price, 1, timestamp);
    return limit(9, 'bid', price, 1, timestamp);
  };

  describe('the last trade price', () => {
    it('is none before the first fill, then the price of the most recent fill, and is part of the state hash', async () => {
      limit(1, 'ask', 100, 1);
      limit(1, 'ask', 101, 1);
      const before = engine.stateHash();
      limit(2, 'bid', 101, 2); // fills at 100 then 101: the last is 101
      // 101 is the last trade price: a buy stop at 101 would trigger at once, one at 102 waits.
      expect(stop(3, 'bid', 1, 101)).toMatchObject({ status: 'rejected', reason: 'WOULD_TRIGGER', orderId: 0 });
      expect(stop(3, 'bid', 1, 102).status).toBe('pending');
      const other = await newEngine(backend);
      other.restore(engine.snapshot());
      expect(other.stateHash()).toBe(engine.stateHash());
      expect(other.placeStop({ trader: 3, asset: 1, side: 'bid', size: 1, stopPrice: 101, timestamp: 1 }).reason).toBe('WOULD_TRIGGER');
      expect(engine.stateHash()).not.toBe(before);
    });

    it('is kept per asset', () => {
      tradeAt(100);
      expect(engine.placeStop({ trader: 3, asset: 2, side: 'bid', size: 1, stopPrice: 90, timestamp: 1 }).status).toBe('pending');
      expect(stop(3, 'bid', 1, 90).reason).toBe('WOULD_TRIGGER');
    });
  });

  describe('placing a stop', () => {
    it('is pending: an id at placement, off the book and out of depth, listed by orders() and order() after the resting orders', () => {
      limit(1, 'bid', 99, 5);
      const placed = stop(2, 'bid', 3, 105, { price: 106, timeInForce: 'IOC', stp: 'cancel_taker', clientOrderId: 44 });
      expect(placed).toEqual({ orderId: 2, status: 'pending', filled: 0, remaining: 3, fills: [], clientOrderId: 44 });
      expect(engine.depth(1)).toEqual({ bids: [{ price: 99, size: 5, orders: 1 }], asks: [] });
      expect(engine.restingOrders).toBe(1);
      expect(engine.pendingStops).toBe(1);
      const pending = { orderId: 2, trader: 2, asset: 1, side: 'bid', price: 106, remaining: 3, timestamp: 1,
        stp: 'cancel_taker', status: 'pending', type: 'stop_limit', stopPrice: 105, timeInForce: 'IOC' };
      expect(engine.order(2)).toEqual(pending);
      expect(engine.orders(1)).toEqual([expect.objectContaining({ orderId: 1 }), pending]);
      expect(engine.events.toArray()).toEqual([
        { kind: 'accepted', command: 0, asset: 1, orderId: 2, trader: 2, side: 'bid', price: 106, size: 3, remaining: 3,
          type: 'stop_limit', timeInForce: 'IOC', stp: 'cancel_taker', clientOrderId: 44, stopPrice: 105, pending: true },
      ]);
    });

    it('a stop-market shows its protection price as its price', () => {
      stop(2, 'ask', 3, 95, { protectionPrice: 90 });
      expect(engine.order(1)).toMatchObject({ type: 'stop_market', price: 90, stopPrice: 95, timeInForce: 'GTC', status: 'pending' });
      expect(engine.events.event(0)).toMatchObject({ kind: 'accepted', type: 'stop_market', price: 90, stopPrice: 95 });
    });

    it('placed before any trade, waits on both sides', () => {
      expect(stop(1, 'bid', 1, 50).status).toBe('pending');
      expect(stop(1, 'ask', 1, 150).status).toBe('pending');
      expect(engine.pendingStops).toBe(2);
    });

    it('is rejected WOULD_TRIGGER when its condition already holds, and changes nothing', () => {
      tradeAt(100);
      const hash = engine.stateHash();
      const next = engine.nextOrderId;
      expect(stop(3, 'bid', 1, 100, { clientOrderId: 7 })).toEqual({ orderId: 0, status: 'rejected', filled: 0, remaining: 0, fills: [], reason: 'WOULD_TRIGGER', clientOrderId: 7 });
      expect(engine.events.toArray()).toEqual([
        { kind: 'rejected', command: 0, asset: 1, orderId: 0, trader: 3, side: 'bid', price: 0, size: 1, remaining: 0,
          reason: 'WOULD_TRIGGER', type: 'stop_market', timeInForce: 'GTC', stp: 'allow', clientOrderId: 7, stopPrice: 100, pending: true },
      ]);
      expect(stop(3, 'ask', 1, 100).reason).toBe('WOULD_TRIGGER');
      expect(stop(3, 'bid', 1, 99).reason).toBe('WOULD_TRIGGER');
      expect(stop(3, 'ask', 1, 101).reason).toBe('WOULD_TRIGGER');
      expect(engine.stateHash()).toBe(hash);
      expect(engine.nextOrderId).toBe(next);
    });

    it('counts against maxOrders with the resting orders', async () => {
      const small = await newEngine(backend, { maxOrders: 2 });
      small.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 90, size: 1, timestamp: 1 });
      expect(small.placeStop({ trader: 1, asset: 1, side: 'bid', size: 1, stopPrice: 110, timestamp: 1 }).status).toBe('pending');
      expect(small.placeStop({ trader: 1, asset: 1, side: 'bid', size: 1, stopPrice: 111, timestamp: 1 }).reason).toBe('CAPACITY');
      expect(small.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 91, size: 1, timestamp: 1 }).reason).toBe('CAPACITY');
    });
  });

  describe('triggering', () => {
    it('a buy stop triggers at or above its stop price, after the command that traded has finished matching', () => {
      limit(1, 'ask', 100, 1);
      limit(1, 'ask', 105, 5);
      stop(2, 'bid', 2, 105, { price: 105 }); // #3
      const taker = limit(3, 'bid', 100, 1, 7); // #4 trades at 100: not yet
      expect(story(engine)).toEqual(['accepted#4', 'fill#1']);
      expect(engine.order(3)?.status).toBe('pending');
      const sweep = limit(3, 'bid', 105, 1, 9); // #5 trades at 105: triggers #3
      expect(story(engine)).toEqual(['accepted#5', 'fill#2', 'triggered#3', 'fill#2']);
      expect(engine.events.event(2)).toEqual({
        kind: 'triggered', command: 0, asset: 1, orderId: 3, trader: 2, side: 'bid', price: 105, size: 2, remaining: 2,
        type: 'stop_limit', timeInForce: 'GTC', stp: 'allow', stopPrice: 105, lastPrice: 105,
      });
      // The result is the placing command's; its fills include the triggered stop's, attributed to it.
      expect(sweep.filled).toBe(1);
      expect(fillsOf(sweep)).toEqual([[2, 5, 105, 1], [2, 3, 105, 2]]);
      expect(sweep.fills[1]).toMatchObject({ takerTrader: 2, timestamp: 9 });
      expect(engine.order(3)).toBeUndefined();
      expect(engine.pendingStops).toBe(0);
      expect(taker.status).toBe('filled');
    });

    it('a sell stop triggers at or below its stop price', () => {
      tradeAt(100);
      stop(2, 'ask', 1, 95); // #3, stop-market
      limit(1, 'bid', 96, 1);
      limit(1, 'bid', 94, 5);
      market(3, 'ask', 1); // #6 trades at 96: waits
      expect(engine.pendingStops).toBe(1);
      market(3, 'ask', 1); // #7 trades at 94: triggers, sells 1 at 94
      expect(story(engine)).toEqual(['accepted#7', 'fill#5', 'triggered#3', 'fill#5']);
      expect(engine.bestBid(1)).toEqual({ price: 94, size: 3, orders: 1 });
    });

    it('buys trigger in ascending stop price, sells in descending, each in placement order at equal stop price', () => {
      for (let i = 0; i < 10; i++) limit(1, 'ask', 100 + i, 1); // #1..#10 at 100..109
      const b1 = stop(2, 'bid', 1, 102).orderId; // #11
      const b2 = stop(3, 'bid', 1, 101).orderId; // #12
      const b3 = stop(4, 'bid', 1, 102).orderId; // #13
      limit(5, 'bid', 103, 4); // takes 100..103 (last 103): triggers b2 (101), then b1, b3 (102, placed in that order)
      expect(story(engine).filter((s) => s.startsWith('triggered'))).toEqual([`triggered#${b2}`, `triggered#${b1}`, `triggered#${b3}`]);
    });

    it('sells trigger in descending stop price, in placement order at equal stop price', () => {
      for (let i = 0; i < 10; i++) limit(1, 'bid', 100 - i, 1); // #1..#10 at 100..91
      const s1 = stop(2, 'ask', 1, 98).orderId; // #11
      const s2 = stop(3, 'ask', 1, 99).orderId; // #12
      const s3 = stop(4, 'ask', 1, 98).orderId; // #13
      limit(5, 'ask', 97, 4); // takes 100..97 (last 97): triggers s2 (99), then s1, s3 (98)
      expect(story(engine).filter((s) => s.startsWith('triggered'))).toEqual([`triggered#${s2}`, `triggered#${s1}`, `triggered#${s3}`]);
    });

    it('buys trigger before sells when one trade reaches both (stops placed before any trade)', () => {
      stop(2, 'ask', 1, 100); // #1
      stop(3, 'bid', 1, 100); // #2
      limit(4, 'ask', 100, 1); // #3
      limit(4, 'bid', 90, 5); // #4
      limit(5, 'bid', 100, 1); // #5 trades at 100: both trigger, the buy first (it finds no ask and ends)
      expect(story(engine)).toEqual(['accepted#5', 'fill#3', 'triggered#2', 'removed:MARKET_REMAINDER#2', 'triggered#1', 'fill#4']);
    });

    it('cascades: a triggered order\'s trades trigger more, to the end, within the same command', () => {
      for (let i = 0; i < 5; i++) limit(1, 'ask', 101 + i, 1); // #1..#5 at 101..105
      stop(2, 'bid', 1, 101); // #6: market buy when 101 trades -> takes 102
      stop(3, 'bid', 1, 102); // #7: -> takes 103
      stop(4, 'bid', 1, 103); // #8: -> takes 104
      stop(5, 'bid', 1, 110); // #9: never
      const first = limit(6, 'bid', 101, 1, 42); // #10
      expect(story(engine)).toEqual([
        'accepted#10', 'fill#1', 'triggered#6', 'fill#2', 'triggered#7', 'fill#3', 'triggered#8', 'fill#4',
      ]);
      expect(fillsOf(first)).toEqual([[1, 10, 101, 1], [2, 6, 102, 1], [3, 7, 103, 1], [4, 8, 104, 1]]);
      expect(first.fills.every((f) => f.timestamp === 42)).toBe(true);
      expect(engine.orders(1).map((o) => o.orderId)).toEqual([5, 9]);
    });

    it('a triggered stop-limit keeps its id, trader and STP mode and rests with the triggering command\'s timestamp', () => {
      tradeAt(100);
      stop(2, 'bid', 5, 101, { price: 102, stp: 'cancel_taker', timestamp: 3 }); // #3
      limit(2, 'ask', 102, 1, 4); // #4: its own ask, which STP (cancel_taker) must not take
      limit(7, 'ask', 101, 1, 5); // #5
      limit(8, 'bid', 101, 1, 50); // #6 trades at 101: triggers #3, which meets its own ask first
      expect(story(engine)).toEqual(['accepted#6', 'fill#5', 'triggered#3', 'removed:SELF_TRADE#3']);
      stop(2, 'bid', 5, 102, { price: 103, timestamp: 3 }); // #7
      limit(7, 'ask', 102, 1, 5); // #8 joins #4 at 102 (behind it)
      market(8, 'bid', 1, 60); // takes #4 at 102: triggers #7, takes #8, rests 4 at 103
      expect(engine.order(7)).toMatchObject({ orderId: 7, trader: 2, price: 103, remaining: 4, timestamp: 60 });
      expect(engine.order(7)?.status).toBeUndefined();
    });

    it('a stop-market with a protection price stops there; a stop-limit IOC cancels its rest', () => {
      tradeAt(100);
      limit(1, 'ask', 101, 1);
      limit(1, 'ask', 103, 1);
      stop(2, 'bid', 3, 101, { protectionPrice: 102 }); // #5
      stop(3, 'bid', 3, 101, { price: 103, timeInForce: 'IOC' }); // #6
      market(4, 'bid', 1); // trades at 101
      expect(story(engine)).toEqual([
        'accepted#7', 'fill#3', 'triggered#5', 'removed:MARKET_REMAINDER#5', 'triggered#6', 'fill#4', 'removed:IOC_REMAINDER#6',
      ]);
      // Each triggered event says what enters: the stop-market with its protection price, the stop-limit with its limit.
      const triggered = engine.events.toArray().filter((e) => e.kind === 'triggered');
      expect(triggered.map((e) => [e.orderId, e.type, e.price, e.timeInForce, e.stopPrice, e.lastPrice])).toEqual([
        [5, 'stop_market', 102, 'GTC', 101, 101],
        [6, 'stop_limit', 103, 'IOC', 101, 101],
      ]);
    });

    it('a triggered stop-limit that cannot enter (post-only crossing, fill-or-kill short) is removed with the reason', () => {
      tradeAt(100);
      stop(2, 'bid', 1, 101, { price: 102, timeInForce: 'POST_ONLY' }); // #3
      stop(3, 'bid', 5, 101, { price: 102, timeInForce: 'FOK' }); // #4
      limit(1, 'ask', 101, 1); // #5
      limit(1, 'ask', 102, 1); // #6
      market(4, 'bid', 1); // #7 trades at 101
      expect(story(engine)).toEqual(['accepted#7', 'fill#5', 'triggered#3', 'removed:WOULD_CROSS#3', 'triggered#4', 'removed:CANNOT_FILL#4']);
      expect(engine.pendingStops).toBe(0);
      expect(engine.bestAsk(1)).toEqual({ price: 102, size: 1, orders: 1 });
    });
  });

  describe('cancel, reduce and modify of a pending stop', () => {
    it('its owner cancels it (REMOVED without a level); anyone else is NOT_OWNER', () => {
      stop(2, 'bid', 3, 105);
      expect(engine.cancel({ trader: 3, asset: 1, orderId: 1 })).toEqual({ ok: false, reason: 'NOT_OWNER' });
      expect(engine.cancel({ trader: 2, asset: 2, orderId: 1 })).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
      expect(engine.cancel({ trader: 2, asset: 1, orderId: 1 })).toEqual({ ok: true, remaining: 0 });
      expect(engine.events.toArray()).toEqual([
        { kind: 'removed', command: 0, asset: 1, orderId: 1, trader: 2, side: 'bid', price: 0, size: 3, remaining: 0, reason: 'CANCELLED_BY_USER', pending: true },
      ]);
      expect(engine.pendingStops).toBe(0);
      expect(engine.order(1)).toBeUndefined();
    });

    it('its owner reduces it, and a reduce to nothing removes it', () => {
      stop(2, 'ask', 5, 95, { price: 94 });
      expect(engine.reduce({ trader: 2, asset: 1, orderId: 1, by: 2 })).toEqual({ ok: true, remaining: 3 });
      expect(engine.events.toArray()).toEqual([
        { kind: 'reduced', command: 0, asset: 1, orderId: 1, trader: 2, side: 'ask', price: 94, size: 2, remaining: 3, pending: true },
      ]);
      expect(engine.order(1)?.remaining).toBe(3);
      expect(engine.reduce({ trader: 2, asset: 1, orderId: 1, by: 3 })).toEqual({ ok: true, remaining: 0 });
      expect(story(engine)).toEqual(['removed:REDUCED_TO_ZERO#1']);
    });

    it('a modify is rejected NOT_MODIFIABLE and changes nothing', () => {
      stop(2, 'ask', 5, 95, { price: 94 });
      const hash = engine.stateHash();
      expect(engine.modify({ trader: 2, asset: 1, orderId: 1, price: 93, timestamp: 2 })).toMatchObject({ status: 'rejected', reason: 'NOT_MODIFIABLE', orderId: 1 });
      // Only the stop's own trader gets this far, so its rejection carries the stop's side, and nothing more.
      expect(engine.events.toArray()).toEqual([
        expect.objectContaining({ kind: 'rejected', reason: 'NOT_MODIFIABLE', orderId: 1, trader: 2, side: 'ask', price: 0, size: 0 }),
      ]);
      expect(engine.stateHash()).toBe(hash);
    });

    it('cancelAll takes pending stops too, after the resting orders of each book', () => {
      limit(2, 'bid', 90, 1); // #1
      stop(2, 'ask', 1, 80); // #2
      stop(2, 'bid', 1, 120); // #3
      stop(3, 'bid', 1, 121); // #4: another trader's
      engine.placeStop({ trader: 2, asset: 0, side: 'bid', size: 1, stopPrice: 5, timestamp: 1 }); // #5
      expect(engine.cancelAll({ trader: 2 })).toEqual({ ok: true, cancelled: 4 });
      expect(story(engine)).toEqual(['removed:CANCELLED_BY_USER#5', 'removed:CANCELLED_BY_USER#1', 'removed:CANCELLED_BY_USER#3', 'removed:CANCELLED_BY_USER#2']);
      expect(engine.pendingStops).toBe(1);
    });
  });

  describe('OCO', () => {
    const oco = (extra: object = {}) =>
      engine.placeOco({ trader: 2, asset: 1, side: 'ask', size: 4, price: 110, stopPrice: 95, timestamp: 3, ...extra });

    beforeEach(() => {
      tradeAt(100); // #1 ask consumed, #2 bid filled; last 100
    });

    it('places a limit leg (N) and a stop leg (N + 1), both for the size; the result is the limit leg\'s', () => {
      expect(oco({ stopLimitPrice: 94, clientOrderId: 12 })).toEqual({
        orderId: 3, status: 'resting', filled: 0, remaining: 4, fills: [], clientOrderId: 12, stopOrderId: 4, stopStatus: 'pending',
      });
      expect(engine.events.toArray().map(({ command, ...e }) => e)).toEqual([
        { kind: 'accepted', asset: 1, orderId: 3, trader: 2, side: 'ask', price: 110, size: 4, remaining: 4, type: 'limit',
          timeInForce: 'GTC', stp: 'allow', clientOrderId: 12, stopPrice: 95, ocoSiblingId: 4 },
        { kind: 'accepted', asset: 1, orderId: 4, trader: 2, side: 'ask', price: 94, size: 4, remaining: 4, type: 'stop_limit',
          timeInForce: 'GTC', stp: 'allow', stopPrice: 95, ocoSiblingId: 3, pending: true },
        { kind: 'rested', asset: 1, orderId: 3, trader: 2, side: 'ask', price: 110, size: 4, remaining: 4, level: { price: 110, size: 4, orders: 1 } },
      ]);
      expect(engine.orders(1)).toEqual([
        expect.objectContaining({ orderId: 3, ocoSiblingId: 4 }),
        expect.objectContaining({ orderId: 4, ocoSiblingId: 3, status: 'pending', type: 'stop_limit' }),
      ]);
    });

    it('a fill of the limit leg, whole or in part, cancels the stop leg', () => {
      oco();
      limit(5, 'bid', 110, 1); // #5 takes 1 of the limit leg
      expect(story(engine)).toEqual(['accepted#5', 'fill#3', 'removed:OCO_SIBLING#4']);
      expect(engine.order(3)).toMatchObject({ remaining: 3 });
      expect(engine.order(3)?.ocoSiblingId).toBeUndefined();
      expect(engine.pendingStops).toBe(0);
    });

    it('a modify of the limit leg that does not trade changes that leg alone: the stop leg keeps its size, and the pair stays paired', () => {
      oco();
      expect(engine.modify({ trader: 2, asset: 1, orderId: 3, price: 111, size: 6, timestamp: 4 })).toMatchObject({ orderId: 3, status: 'resting', remaining: 6 });
      expect(engine.orders(1)).toEqual([
        expect.objectContaining({ orderId: 3, price: 111, remaining: 6, ocoSiblingId: 4 }),
        expect.objectContaining({ orderId: 4, remaining: 4, status: 'pending', ocoSiblingId: 3 }),
      ]);
      expect(engine.cancel({ trader: 2, asset: 1, orderId: 3 })).toMatchObject({ ok: true });
      expect(story(engine)).toEqual(['removed:CANCELLED_BY_USER#3', 'removed:OCO_SIBLING#4']);
    });

    it('a modify that makes the limit leg take in part cancels the stop leg, and the leg rests on as a plain order', () => {
      oco();
      limit(5, 'bid', 105, 1); // #5
      expect(engine.modify({ trader: 2, asset: 1, orderId: 3, price: 105, timestamp: 4 })).toMatchObject({ orderId: 3, status: 'resting', filled: 1, remaining: 3 });
      expect(story(engine)).toEqual(['modified#3', 'fill#5', 'rested#3', 'removed:OCO_SIBLING#4']);
      expect(engine.pendingStops).toBe(0);
      expect(engine.order(3)).toMatchObject({ price: 105, remaining: 3 });
      expect(engine.order(3)?.ocoSiblingId).toBeUndefined();
      // No longer a leg: cancelling it cancels it alone.
      expect(engine.cancel({ trader: 2, asset: 1, orderId: 3 })).toMatchObject({ ok: true });
      expect(story(engine)).toEqual(['removed:CANCELLED_BY_USER#3']);
    });

    it('the stop leg triggering cancels the limit leg\'s rest', () => {
      oco();
      limit(6, 'bid', 95, 10); // #5
      market(7, 'ask', 1); // trades at 95: triggers #4 (stop-market sell 4)
      expect(story(engine)).toEqual(['accepted#6', 'fill#5', 'triggered#4', 'removed:OCO_SIBLING#3', 'fill#5']);
      expect(engine.order(3)).toBeUndefined();
      expect(engine.bestBid(1)).toEqual({ price: 95, size: 5, orders: 1 });
    });

    it('cancelling either leg cancels both', () => {
      oco();
      engine.cancel({ trader: 2, asset: 1, orderId: 4 });
      expect(story(engine)).toEqual(['removed:CANCELLED_BY_USER#4', 'removed:OCO_SIBLING#3']);
      oco();
      engine.cancel({ trader: 2, asset: 1, orderId: 5 });
      expect(story(engine)).toEqual(['removed:CANCELLED_BY_USER#5', 'removed:OCO_SIBLING#6']);
      oco();
      expect(engine.cancelAll({ trader: 2, asset: 1 })).toEqual({ ok: true, cancelled: 2 });
      expect(story(engine)).toEqual(['removed:CANCELLED_BY_USER#7', 'removed:OCO_SIBLING#8']);
      expect(engine.orders(1)).toEqual([]);
    });

    it('a limit leg that takes at placement takes, and then its stop leg never waits', () => {
      limit(5, 'bid', 112, 1); // #3
      expect(oco()).toMatchObject({ orderId: 4, status: 'resting', filled: 1, remaining: 3, stopOrderId: 5, stopStatus: 'cancelled' });
      expect(story(engine)).toEqual(['accepted#4', 'accepted#5', 'fill#3', 'rested#4', 'removed:OCO_SIBLING#5']);
      // The stop leg never waited on a list, let alone a level: its removal is a pending stop's,
      // marked so, with no level, which the feed leaves out.
      expect(engine.events.event(4)).toEqual({
        kind: 'removed', command: 0, asset: 1, orderId: 5, trader: 2, side: 'ask', price: 0, size: 4, remaining: 0, reason: 'OCO_SIBLING',
        pending: true,
      });
      expect(engine.pendingStops).toBe(0);
      expect(engine.order(4)?.ocoSiblingId).toBeUndefined();
    });

    it('is rejected whole when its stop would trigger at once', () => {
      const hash = engine.stateHash();
      expect(oco({ stopPrice: 100, price: 105 })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'WOULD_TRIGGER' });
      expect(engine.events.event(0)).toMatchObject({ kind: 'rejected', reason: 'WOULD_TRIGGER', type: 'limit', stopPrice: 100, price: 105 });
      expect(engine.stateHash()).toBe(hash);
    });

    it('needs room for both legs', async () => {
      const small = await newEngine(backend, { maxOrders: 2 });
      small.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 50, size: 1, timestamp: 1 });
      expect(small.placeOco({ trader: 2, asset: 1, side: 'ask', size: 1, price: 110, stopPrice: 95, timestamp: 1 }).reason).toBe('CAPACITY');
      expect(small.restingOrders + small.pendingStops).toBe(1);
    });

    it('is refused CAPACITY whole, nothing accepted and no id used, when the book is one order short of room for both legs', async () => {
      const small = await newEngine(backend, { maxOrders: 3 });
      small.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 50, size: 1, timestamp: 1 });
      small.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 51, size: 1, timestamp: 1 });
      const hash = small.stateHash();
      expect(small.placeOco({ trader: 2, asset: 1, side: 'ask', size: 1, price: 110, stopPrice: 95, timestamp: 1 })).toMatchObject({ orderId: 0, status: 'rejected', reason: 'CAPACITY' });
      expect(story(small)).toEqual(['rejected:CAPACITY#0']);
      expect(small.stateHash()).toBe(hash);
      expect(small.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 110, size: 1, timestamp: 2 })).toMatchObject({ orderId: 3, status: 'resting' });
    });
  });

  describe('budget market orders', () => {
    beforeEach(() => {
      limit(1, 'ask', 10, 3); // #1
      limit(1, 'ask', 12, 5); // #2
      limit(1, 'bid', 9, 10); // #3
    });

    it('buys as many lots as the budget pays for, never exceeding it, and reports what it spent', () => {
      const result = market(2, 'bid', 0, 1, { size: undefined, budget: 60, clientOrderId: 3 });
      // 3 at 10 = 30; 30 left buys 2 at 12 = 24; 6 left buys nothing more.
      expect(result).toEqual({ orderId: 4, status: 'filled', filled: 5, remaining: 0, fills: expect.any(Array), clientOrderId: 3, spent: 54 });
      expect(fillsOf(result)).toEqual([[1, 4, 10, 3], [2, 4, 12, 2]]);
      expect(engine.events.event(0)).toMatchObject({ kind: 'accepted', type: 'market', size: 0, budget: 60 });
      expect(engine.bestAsk(1)).toEqual({ price: 12, size: 3, orders: 1 });
    });

    it('sells as many lots as the budget is worth', () => {
      const result = market(2, 'ask', 0, 1, { size: undefined, budget: 40 });
      expect(result).toMatchObject({ status: 'filled', filled: 4, spent: 36 });
    });

    it('ends cancelled when the book (or the protection price) runs out first, and when not one lot is affordable', () => {
      expect(market(2, 'bid', 0, 1, { size: undefined, budget: 1000, protectionPrice: 10 })).toMatchObject({ status: 'cancelled', filled: 3, spent: 30 });
      expect(story(engine)).toEqual(['accepted#4', 'fill#1', 'removed:MARKET_REMAINDER#4']);
      // What a budget order leaves is budget - spent, not lots: its removal has size 0.
      expect(engine.events.event(2)).toMatchObject({ orderId: 4, price: 10, size: 0, remaining: 0 });
      expect(market(2, 'bid', 0, 1, { size: undefined, budget: 11 })).toMatchObject({ status: 'cancelled', filled: 0, spent: 0 });
      expect(story(engine)).toEqual(['accepted#5', 'removed:MARKET_REMAINDER#5']);
      expect(engine.events.event(1)).toMatchObject({ orderId: 5, price: 0, size: 0, remaining: 0 });
    });

    it('meets the protection price first: at a level past it the order ends cancelled, though the budget could not pay a lot there either', () => {
      // 3 at 10 = 30; the 11 left pays no lot at 12, and 12 is past the protection price 11.
      expect(market(2, 'bid', 0, 1, { size: undefined, budget: 41, protectionPrice: 11 })).toMatchObject({ status: 'cancelled', filled: 3, spent: 30 });
      expect(story(engine)).toEqual(['accepted#4', 'fill#1', 'removed:MARKET_REMAINDER#4']);
      limit(1, 'ask', 10, 3); // #5, in #1's place
      // Without one, the budget ends it at the maker at 12, having bought: filled.
      expect(market(2, 'bid', 0, 1, { size: undefined, budget: 41 })).toMatchObject({ status: 'filled', filled: 3, spent: 30 });
    });

    it('spends a budget to its last unit when it pays for whole lots exactly', () => {
      // 3 at 10 = 30 and 2 at 12 = 24: 54 buys both, nothing left over.
      const result = market(2, 'bid', 0, 1, { size: undefined, budget: 54 });
      expect(result).toMatchObject({ status: 'filled', filled: 5, remaining: 0, spent: 54 });
      expect(fillsOf(result)).toEqual([[1, 4, 10, 3], [2, 4, 12, 2]]);
    });

    // The budget ends matching at the first maker it cannot pay one lot of, whoever owns it: with no
    // trade possible there is no self-trade to prevent, so STP neither removes that maker nor
    // cancels the taker, and the order ends as it would under `allow`.
    for (const stp of ['allow', 'cancel_maker', 'cancel_both', 'cancel_taker'] as const) {
      it(`${stp}: a maker the rest of the budget cannot pay for ends matching, its own as any other's`, () => {
        limit(2, 'ask', 12, 1); // #4: the taker's own, behind #2
        limit(1, 'ask', 13, 1); // #5
        const before = engine.orders(1);
        // 3 at 10 and 5 at 12 spend 90 of 95; the 5 left pay for no lot of #4 at 12.
        const result = market(2, 'bid', 0, 1, { size: undefined, budget: 95, stp });
        expect(result).toMatchObject({ orderId: 6, status: 'filled', filled: 8, spent: 90 });
        expect(result.reason).toBeUndefined();
        expect(story(engine)).toEqual(['accepted#6', 'fill#1', 'fill#2']);
        expect(engine.orders(1)).toEqual(before.filter((o) => o.orderId !== 1 && o.orderId !== 2));
      });
    }

    it('a sell budget stops at the first bid it cannot be paid one lot of, its own under STP as any other\'s', () => {
      limit(2, 'bid', 8, 1); // #4: the taker's own, a lot worth 8 where 5 are left
      limit(1, 'bid', 4, 1); // #5: one the 5 left would pay for, behind it
      // 10 at 9 take in 90 of 95: #4 at 8 ends it, neither removed nor passed over to reach #5.
      const result = market(2, 'ask', 0, 1, { size: undefined, budget: 95, stp: 'cancel_maker' });
      expect(result).toMatchObject({ status: 'filled', filled: 10, spent: 90 });
      expect(story(engine)).toEqual(['accepted#6', 'fill#3']);
      expect(engine.orders(1).map((o) => o.orderId)).toEqual([4, 5, 1, 2]);
    });

    it('stopped by STP at an own maker it could pay for: cancelled SELF_TRADE, its removal of size 0 (its rest is budget - spent, not lots)', () => {
      limit(2, 'ask', 11, 1); // #4: the taker's own, a lot the 70 left would pay for
      const result = market(2, 'bid', 0, 1, { size: undefined, budget: 100, stp: 'cancel_taker' });
      expect(result).toMatchObject({ orderId: 5, status: 'cancelled', reason: 'SELF_TRADE', filled: 3, spent: 30 });
      expect(story(engine)).toEqual(['accepted#5', 'fill#1', 'removed:SELF_TRADE#5']);
      expect(engine.events.event(2)).toMatchObject({ orderId: 5, size: 0, remaining: 0 });
    });

    it('is filled when it spends the budget exactly, though the book or the protection price ends there too', () => {
      // 3 at 10 and 5 at 12 are the whole ask side: 90 buys all of it, nothing left over.
      expect(market(2, 'bid', 0, 1, { size: undefined, budget: 90 })).toMatchObject({ status: 'filled', filled: 8, spent: 90 });
      expect(story(engine)).toEqual(['accepted#4', 'fill#1', 'fill#2']);
      limit(1, 'ask', 10, 3); // #5
      limit(1, 'ask', 12, 1); // #6
      // 30 buys the 3 at 10, and the protection price keeps it from the level at 12.
      const result = market(2, 'bid', 0, 1, { size: undefined, budget: 30, protectionPrice: 10 });
      expect(result).toMatchObject({ status: 'filled', filled: 3, spent: 30 });
      expect(result.reason).toBeUndefined();
      expect(story(engine)).toEqual(['accepted#7', 'fill#5']);
    });

    it('reports spent only for budget orders', () => {
      expect(market(2, 'bid', 1).spent).toBeUndefined();
    });
  });

  describe('snapshots and batches', () => {
    it('pending stops, OCO pairs and last prices survive a snapshot into either backend, and keep working', async () => {
      tradeAt(100);
      stop(2, 'bid', 2, 105, { price: 106, timeInForce: 'IOC', stp: 'cancel_maker' });
      stop(3, 'bid', 1, 105);
      stop(4, 'ask', 1, 90, { protectionPrice: 80 });
      engine.placeOco({ trader: 5, asset: 1, side: 'bid', size: 2, price: 95, stopPrice: 104, timestamp: 2 });
      engine.placeStop({ trader: 6, asset: 3, side: 'ask', size: 1, stopPrice: 7, timestamp: 2 });
      const snapshot = engine.snapshot();
      for (const target of ['wasm', 'js'] as const) {
        const copy = await createEngine({ backend: target });
        copy.restore(snapshot);
        expect(copy.stateHash()).toBe(engine.stateHash());
        expect(copy.orders(1)).toEqual(engine.orders(1));
        expect(copy.pendingStops).toBe(5);
        limit(1, 'ask', 104, 10);
        copy.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 104, size: 10, timestamp: 1 });
        const a = limit(9, 'bid', 104, 1);
        const b = copy.placeLimit({ trader: 9, asset: 1, side: 'bid', price: 104, size: 1, timestamp: 1 });
        expect(b).toEqual(a);
        expect(copy.events.toArray()).toEqual(engine.events.toArray());
        expect(copy.stateHash()).toBe(engine.stateHash());
        engine.restore(snapshot);
      }
    });

    it('a batch gives the results and events of the same calls', async () => {
      const batch = new CommandBatch();
      batch.limit(1, 1, 'ask', 100, 2, 1).limit(1, 1, 'ask', 101, 2, 1).limit(2, 1, 'bid', 100, 1, 1)
        .stop(3, 1, 'bid', 2, 101, 2).oco(4, 1, 'ask', 1, 120, 99, 3, 98)
        .marketBudget(5, 1, 'bid', 150, 4).request('placeStop', { trader: 6, asset: 1, side: 'ask', size: 1, stopPrice: 90, price: 89, timestamp: 5 })
        .market(7, 1, 'bid', 3, 6);
      const results = (await newEngine(backend)).submitBatch(batch);
      expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => results.status(i))).toEqual(
        ['resting', 'resting', 'filled', 'pending', 'resting', 'filled', 'pending', 'filled']);
      expect(results.stopStatus(4)).toBe('pending');
      // 150 buys the 1 lot left at 100, and not one at 101.
      expect(results.spent(5)).toBe(100);
      expect(results.filled(5)).toBe(1);
      const perCall: BookEvent[] = [];
      const calls: (() => unknown)[] = [
        () => limit(1, 'ask', 100, 2, 1), () => limit(1, 'ask', 101, 2, 1), () => limit(2, 'bid', 100, 1, 1),
        () => stop(3, 'bid', 2, 101, { timestamp: 2 }),
        () => engine.placeOco({ trader: 4, asset: 1, side: 'ask', size: 1, price: 120, stopPrice: 99, stopLimitPrice: 98, timestamp: 3 }),
        () => market(5, 'bid', 0, 4, { size: undefined, budget: 150 }),
        () => stop(6, 'ask', 1, 90, { price: 89, timestamp: 5 }),
        // Takes 2 at 101 and the OCO's limit leg at 120 (its stop leg goes), then, the command done,
        // the last price 120 triggers #4, which finds no ask left.
        () => market(7, 'bid', 3, 6),
      ];
      calls.forEach((call, i) => {
        call();
        for (const e of engine.events.toArray()) perCall.push({ ...e, command: i });
      });
      expect(results.events.toArray()).toEqual(perCall);
      expect(perCall.filter((e) => e.command === 7).map((e) => `${e.kind}${e.reason ? `:${e.reason}` : ''}#${e.orderId}`)).toEqual(
        ['accepted#9', 'fill#2', 'fill#5', 'removed:OCO_SIBLING#6', 'triggered#4', 'removed:MARKET_REMAINDER#4']);
    });
  });
});

describe('stops on both backends agree on BookEvent shapes', () => {
  it('decodes a triggered event with its stop price and the last price', async () => {
    const engine = await createEngine({ backend: 'js' });
    engine.placeStop({ trader: 1, asset: 1, side: 'bid', size: 1, stopPrice: 10, timestamp: 1 });
    engine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 12, size: 2, timestamp: 1 });
    engine.placeLimit({ trader: 3, asset: 1, side: 'bid', price: 12, size: 1, timestamp: 1 });
    const triggered = engine.events.toArray().find((e: BookEvent) => e.kind === 'triggered');
    expect(triggered).toMatchObject({ orderId: 1, stopPrice: 10, lastPrice: 12, type: 'stop_market' });
  });
});
