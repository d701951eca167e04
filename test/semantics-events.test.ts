// docs/semantics.md "Events": every change of a book comes out of the core as an event, in the
// order it happened, and every way an order can end is reported with its reason to its owner.
// Also mass cancel (cancelAll), whose events are its whole report.
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import type { Engine } from '../src/engine.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { BookEvent } from '../src/types.js';

/** The events of the last call, without the fields a test does not look at. */
function events(engine: Engine): Partial<BookEvent>[] {
  return engine.events.toArray().map(({ command, ...rest }) => {
    expect(command).toBe(0);
    return rest;
  });
}

function kinds(engine: Engine): string[] {
  return engine.events.toArray().map((e) => (e.reason === undefined ? e.kind : `${e.kind}:${e.reason}`));
}

describeEachBackend('events', (backend) => {
  let engine: Engine;
  beforeEach(async () => {
    engine = await newEngine(backend);
  });

  const ask = (trader: number, price: number, size: number, extra: object = {}) =>
    engine.placeLimit({ trader, asset: 1, side: 'ask', price, size, timestamp: 1, ...extra });
  const bid = (trader: number, price: number, size: number, extra: object = {}) =>
    engine.placeLimit({ trader, asset: 1, side: 'bid', price, size, timestamp: 2, ...extra });

  it('none after a restore, whole or in pieces: a restore is no command', () => {
    const snapshot = engine.snapshot();
    bid(1, 100, 5);
    expect(engine.events.count).toBe(2);
    engine.restore(snapshot);
    expect(engine.events.count).toBe(0);
    bid(1, 100, 5);
    const restore = engine.restoreInPieces(snapshot.byteLength);
    restore.write(snapshot);
    restore.end();
    expect(engine.events.count).toBe(0);
  });

  it('none after a call refused with an error, a refused batch or an empty batch: each applied nothing', () => {
    bid(1, 100, 5);
    expect(engine.events.count).toBe(2);
    expect(() => bid(1, -1, 5)).toThrow(/price/);
    expect(engine.events.count).toBe(0);
    bid(1, 100, 5);
    expect(() => engine.cancel({ trader: 1, asset: 1, orderId: 0.5 })).toThrow(/orderId/);
    expect(engine.events.count).toBe(0);
    bid(1, 100, 5);
    const batch = engine.createBatch().limit(1, 1, 'bid', 100, 5, 3).limit(1, 1, 'bid', -5, 5, 4);
    expect(() => engine.submitBatch(batch)).toThrow(/commands\[1\]\.price/);
    expect(engine.events.count).toBe(0);
    bid(1, 100, 5);
    expect(engine.submitBatch(batch.clear()).events.count).toBe(0);
    expect(engine.events.count).toBe(0);
    // A rejection is a command the core answered: it has its event.
    engine.cancel({ trader: 1, asset: 1, orderId: 999 });
    expect(kinds(engine)).toEqual(['rejected:UNKNOWN_ORDER']);
  });

  it('a resting limit: accepted, then rested with its level', () => {
    ask(1, 100, 5, { clientOrderId: 77, stp: 'cancel_maker' });
    expect(events(engine)).toEqual([
      { kind: 'accepted', asset: 1, orderId: 1, trader: 1, side: 'ask', price: 100, size: 5, remaining: 5,
        type: 'limit', timeInForce: 'GTC', stp: 'cancel_maker', clientOrderId: 77 },
      { kind: 'rested', asset: 1, orderId: 1, trader: 1, side: 'ask', price: 100, size: 5, remaining: 5,
        level: { price: 100, size: 5, orders: 1 } },
    ]);
  });

  it('a taker: accepted, a fill per maker with the maker\'s remaining and level, then its rest', () => {
    ask(1, 100, 2);
    ask(2, 100, 3);
    ask(3, 101, 4);
    bid(4, 101, 7);
    expect(events(engine)).toEqual([
      { kind: 'accepted', asset: 1, orderId: 4, trader: 4, side: 'bid', price: 101, size: 7, remaining: 7, type: 'limit', timeInForce: 'GTC', stp: 'allow' },
      { kind: 'fill', asset: 1, orderId: 1, trader: 1, side: 'ask', price: 100, size: 2, remaining: 0, takerOrderId: 4, takerTrader: 4, level: { price: 100, size: 3, orders: 1 } },
      { kind: 'fill', asset: 1, orderId: 2, trader: 2, side: 'ask', price: 100, size: 3, remaining: 0, takerOrderId: 4, takerTrader: 4, level: { price: 100, size: 0, orders: 0 } },
      { kind: 'fill', asset: 1, orderId: 3, trader: 3, side: 'ask', price: 101, size: 2, remaining: 2, takerOrderId: 4, takerTrader: 4, level: { price: 101, size: 2, orders: 1 } },
    ]);
    // The taker filled whole: nothing rests, nothing is removed.
    expect(engine.order(4)).toBeUndefined();
  });

  it('CANCELLED_BY_USER for a cancel, to the order\'s owner, with the level after', () => {
    ask(1, 100, 5);
    ask(2, 100, 1);
    engine.cancel({ trader: 1, asset: 1, orderId: 1 });
    expect(events(engine)).toEqual([
      { kind: 'removed', reason: 'CANCELLED_BY_USER', asset: 1, orderId: 1, trader: 1, side: 'ask', price: 100, size: 5, remaining: 0, level: { price: 100, size: 1, orders: 1 } },
    ]);
  });

  it('IOC_REMAINDER for the unfilled rest of an IOC', () => {
    ask(1, 100, 2);
    bid(2, 100, 5, { timeInForce: 'IOC' });
    expect(kinds(engine)).toEqual(['accepted', 'fill', 'removed:IOC_REMAINDER']);
    expect(engine.events.event(2)).toMatchObject({ orderId: 2, trader: 2, price: 100, size: 3, remaining: 0 });
    expect(engine.events.event(2).level).toBeUndefined();
  });

  it('MARKET_REMAINDER for a market order that runs out of book, or meets its protection price', () => {
    engine.placeMarket({ trader: 1, asset: 1, side: 'bid', size: 3, timestamp: 1 });
    expect(kinds(engine)).toEqual(['accepted', 'removed:MARKET_REMAINDER']);
    expect(engine.events.event(0)).toMatchObject({ type: 'market', timeInForce: 'IOC', price: 0, size: 3 });
    ask(2, 100, 1);
    ask(2, 105, 1);
    engine.placeMarket({ trader: 1, asset: 1, side: 'bid', size: 3, timestamp: 1, protectionPrice: 102 });
    expect(kinds(engine)).toEqual(['accepted', 'fill', 'removed:MARKET_REMAINDER']);
    expect(engine.events.event(0)).toMatchObject({ type: 'market', timeInForce: 'IOC', price: 102, size: 3 });
    expect(engine.events.event(2)).toMatchObject({ price: 102, size: 2 });
  });

  it('SELF_TRADE for a maker removed by cancel_maker, reported to the maker\'s owner', () => {
    ask(1, 100, 2);
    ask(2, 100, 3);
    bid(1, 100, 3, { stp: 'cancel_maker' });
    expect(kinds(engine)).toEqual(['accepted', 'removed:SELF_TRADE', 'fill']);
    expect(engine.events.event(1)).toMatchObject({ orderId: 1, trader: 1, size: 2, level: { price: 100, size: 3, orders: 1 } });
  });

  it('a fill met maker by maker (under STP, or by a budget) carries the level after it, as one that takes a level whole does', () => {
    // STP and a budget decide each maker on its own rather than taking the level in one step;
    // the level each fill reports must still be the level after that fill, not before it.
    ask(1, 100, 2);
    ask(2, 100, 3);
    ask(3, 100, 4);
    bid(1, 100, 4, { stp: 'cancel_maker' });
    expect(kinds(engine)).toEqual(['accepted', 'removed:SELF_TRADE', 'fill', 'fill']);
    expect(engine.events.toArray().slice(1, 4).map((e) => [e.orderId, e.size, e.remaining, e.level])).toEqual([
      [1, 2, 0, { price: 100, size: 7, orders: 2 }],
      [2, 3, 0, { price: 100, size: 4, orders: 1 }],
      [3, 1, 3, { price: 100, size: 3, orders: 1 }],
    ]);
    engine.placeMarket({ trader: 5, asset: 1, side: 'bid', budget: 250, timestamp: 3 });
    expect(kinds(engine)).toEqual(['accepted', 'fill']);
    expect(engine.events.event(1)).toMatchObject({ orderId: 3, size: 2, remaining: 1, level: { price: 100, size: 1, orders: 1 } });
  });

  it('SELF_TRADE for a taker stopped by cancel_taker, and for both under cancel_both', () => {
    ask(1, 100, 2);
    bid(1, 100, 3, { stp: 'cancel_taker' });
    expect(kinds(engine)).toEqual(['accepted', 'removed:SELF_TRADE']);
    expect(engine.events.event(1)).toMatchObject({ orderId: 2, price: 100, size: 3 });
    bid(1, 100, 3, { stp: 'cancel_both' });
    expect(kinds(engine)).toEqual(['accepted', 'removed:SELF_TRADE', 'removed:SELF_TRADE']);
    expect(engine.events.toArray().map((e) => e.orderId)).toEqual([3, 1, 3]);
  });

  it('REDUCED_TO_ZERO for a reduce by the whole size; reduced otherwise', () => {
    ask(1, 100, 5);
    engine.reduce({ trader: 1, asset: 1, orderId: 1, by: 2 });
    expect(events(engine)).toEqual([
      { kind: 'reduced', asset: 1, orderId: 1, trader: 1, side: 'ask', price: 100, size: 2, remaining: 3, level: { price: 100, size: 3, orders: 1 } },
    ]);
    engine.reduce({ trader: 1, asset: 1, orderId: 1, by: 9 });
    expect(kinds(engine)).toEqual(['removed:REDUCED_TO_ZERO']);
    expect(engine.events.event(0)).toMatchObject({ size: 3, level: { price: 100, size: 0, orders: 0 } });
  });

  it('modify: priority kept in place, priority lost on a new price, then what the re-entry does', () => {
    ask(1, 100, 5);
    engine.modify({ trader: 1, asset: 1, orderId: 1, size: 4, timestamp: 3 });
    expect(events(engine)).toEqual([
      { kind: 'modified', asset: 1, orderId: 1, trader: 1, side: 'ask', price: 100, size: 5, remaining: 4, newPrice: 100, priorityLost: false, level: { price: 100, size: 4, orders: 1 } },
    ]);
    bid(2, 98, 1);
    engine.modify({ trader: 1, asset: 1, orderId: 1, price: 98, timestamp: 4 });
    expect(events(engine)).toEqual([
      { kind: 'modified', asset: 1, orderId: 1, trader: 1, side: 'ask', price: 100, size: 4, remaining: 4, newPrice: 98, priorityLost: true, level: { price: 100, size: 0, orders: 0 } },
      { kind: 'fill', asset: 1, orderId: 2, trader: 2, side: 'bid', price: 98, size: 1, remaining: 0, takerOrderId: 1, takerTrader: 1, level: { price: 98, size: 0, orders: 0 } },
      { kind: 'rested', asset: 1, orderId: 1, trader: 1, side: 'ask', price: 98, size: 3, remaining: 3, level: { price: 98, size: 3, orders: 1 } },
    ]);
  });

  it('modify that changes nothing: its modified event changes no level, so it carries none, and the feed sends nothing', async () => {
    ask(1, 100, 5);
    engine.modify({ trader: 1, asset: 1, orderId: 1, price: 100, size: 5, timestamp: 3 });
    expect(events(engine)).toEqual([
      { kind: 'modified', asset: 1, orderId: 1, trader: 1, side: 'ask', price: 100, size: 5, remaining: 5, newPrice: 100, priorityLost: false },
    ]);
    // "One message per command that changed an asset's book" (README): none for this one.
    const sm = await CoreStateMachine.open({ backend });
    sm.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 5, timestamp: 1 });
    await sm.flush();
    const subscription = sm.subscribe({ assets: [1], fromSeq: 2 });
    sm.modify({ trader: 1, asset: 1, orderId: 1, size: 5, timestamp: 2 });
    sm.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 101, size: 1, timestamp: 3 });
    await sm.flush();
    const next = await subscription[Symbol.asyncIterator]().next();
    expect(next.value).toMatchObject({ seq: 2, levels: [{ side: 'ask', price: 101, size: 1, orders: 1 }] });
    subscription.close();
    await sm.close();
  });

  it('rejected, with its reason, for every kind of rejection', () => {
    ask(1, 100, 5);
    bid(2, 100, 1, { timeInForce: 'POST_ONLY' });
    // A rejected new order's event says what the order was, as an accepted one would.
    expect(events(engine)).toEqual([{
      kind: 'rejected', reason: 'WOULD_CROSS', asset: 1, orderId: 0, trader: 2, side: 'bid', price: 100, size: 1, remaining: 0,
      type: 'limit', timeInForce: 'POST_ONLY', stp: 'allow',
    }]);
    bid(2, 100, 9, { timeInForce: 'FOK' });
    expect(kinds(engine)).toEqual(['rejected:CANNOT_FILL']);
    engine.cancel({ trader: 2, asset: 1, orderId: 1 });
    expect(events(engine)).toEqual([{ kind: 'rejected', reason: 'NOT_OWNER', asset: 1, orderId: 1, trader: 2, side: 'bid', price: 0, size: 0, remaining: 0 }]);
    engine.reduce({ trader: 1, asset: 1, orderId: 99, by: 1 });
    expect(kinds(engine)).toEqual(['rejected:UNKNOWN_ORDER']);
    engine.modify({ trader: 1, asset: 2, orderId: 1, size: 1, timestamp: 1 });
    expect(kinds(engine)).toEqual(['rejected:UNKNOWN_ORDER']);
  });

  it('CAPACITY is a rejection event too', async () => {
    const small = await newEngine(backend, { maxOrders: 1 });
    small.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 5, timestamp: 1 });
    small.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 101, size: 5, timestamp: 1 });
    expect(kinds(small)).toEqual(['rejected:CAPACITY']);
  });

  it('a batch numbers each event with its command', () => {
    const batch = engine.createBatch(4).limit(1, 1, 'ask', 100, 1, 1).limit(2, 1, 'bid', 100, 1, 2).cancel(1, 1, 1);
    const results = engine.submitBatch(batch);
    expect(results.events.toArray().map((e) => [e.command, e.kind, e.reason])).toEqual([
      [0, 'accepted', undefined], [0, 'rested', undefined], [1, 'accepted', undefined], [1, 'fill', undefined],
      [2, 'rejected', 'UNKNOWN_ORDER'],
    ]);
  });
});

describeEachBackend('cancelAll', (backend) => {
  let engine: Engine;
  beforeEach(async () => {
    engine = await newEngine(backend);
    // Trader 1 in assets 2 and 1 (created in that order), trader 2 in both.
    engine.placeLimit({ trader: 1, asset: 2, side: 'ask', price: 50, size: 1, timestamp: 1 });
    engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 101, size: 1, timestamp: 1 });
    engine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 101, size: 1, timestamp: 1 });
    engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 98, size: 1, timestamp: 1 });
    engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 99, size: 1, timestamp: 1 });
    engine.placeLimit({ trader: 2, asset: 2, side: 'bid', price: 40, size: 1, timestamp: 1 });
  });

  it('cancels only the trader\'s orders in the asset named, bids best first then asks, queue order', () => {
    expect(engine.cancelAll({ trader: 1, asset: 1 })).toEqual({ ok: true, cancelled: 3 });
    expect(engine.events.toArray().map((e) => [e.kind, e.reason, e.orderId, e.trader])).toEqual([
      ['removed', 'CANCELLED_BY_USER', 5, 1], ['removed', 'CANCELLED_BY_USER', 4, 1], ['removed', 'CANCELLED_BY_USER', 2, 1],
    ]);
    expect(engine.orders(1).map((o) => o.orderId)).toEqual([3]);
    expect(engine.orders(2).map((o) => o.orderId)).toEqual([6, 1]);
  });

  it('without an asset, cancels in every book, books by ascending asset', () => {
    expect(engine.cancelAll({ trader: 1 })).toEqual({ ok: true, cancelled: 4 });
    expect(engine.events.toArray().map((e) => [e.asset, e.orderId])).toEqual([[1, 5], [1, 4], [1, 2], [2, 1]]);
    expect(engine.restingOrders).toBe(2);
  });

  it('a trader with nothing resting, or an asset with no book, cancels nothing and changes nothing', () => {
    const hash = engine.stateHash();
    expect(engine.cancelAll({ trader: 9 })).toEqual({ ok: true, cancelled: 0 });
    expect(engine.cancelAll({ trader: 1, asset: 7 })).toEqual({ ok: true, cancelled: 0 });
    expect(engine.events.count).toBe(0);
    expect(engine.stateHash()).toBe(hash);
  });

  it('in a batch, reports the count in the results', () => {
    const results = engine.submitBatch(engine.createBatch().cancelAll(2).cancelAll(2));
    expect([results.status(0), results.cancelled(0), results.cancelled(1)]).toEqual(['ok', 2, 0]);
  });
});

describe('both cores write the same event records', () => {
  it('for a flow that meets every kind of event (the differential suite fuzzes the rest)', async () => {
    const records = await Promise.all((['wasm', 'js'] as const).map(async (backend) => {
      const engine = await newEngine(backend);
      const out: number[][] = [];
      const run = (fn: () => unknown) => {
        fn();
        out.push(Array.from(engine.events.records.subarray(0, engine.events.count * 12)));
      };
      run(() => engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 3, timestamp: 1, clientOrderId: 5 }));
      run(() => engine.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 100, size: 5, timestamp: 2, timeInForce: 'IOC' }));
      run(() => engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 101, size: 3, timestamp: 3 }));
      run(() => engine.modify({ trader: 1, asset: 1, orderId: 3, price: 102, timestamp: 4 }));
      run(() => engine.reduce({ trader: 1, asset: 1, orderId: 3, by: 1 }));
      run(() => engine.placeMarket({ trader: 1, asset: 1, side: 'bid', size: 9, timestamp: 5, stp: 'cancel_both' }));
      run(() => engine.cancelAll({ trader: 1 }));
      return out;
    }));
    expect(records[0]).toEqual(records[1]);
  });
});
