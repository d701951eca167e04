// The interim feed (src/serve/interim-feed.ts): the market-data feed and audit trail derived
// outside the cores until they emit events (issue 10). This suite goes away with that file.
// A subscriber that keeps an L2 copy from the snapshot plus messages equals the engine's depth
// after every block, on both cores, and every order's record agrees with the engine.
import { describe, expect, it } from 'vitest';
import { DemoOrderFlow, TRADERS } from '../src/cli/demo-flow.js';
import type { FeedMessage } from '../src/serve/feed.js';
import { BACKENDS } from './helpers/backends.js';
import { engineDepth, openMachine, until } from './helpers/serve.js';

const ASSETS = 4;

type L2 = Map<number, { bids: Map<number, [number, number]>; asks: Map<number, [number, number]> }>;

function copyOf(book: L2, asset: number): { bids: { price: number; size: number; orders: number }[]; asks: { price: number; size: number; orders: number }[] } {
  const side = (levels: Map<number, [number, number]> | undefined, order: (a: number, b: number) => number) =>
    [...(levels ?? new Map()).entries()].sort((a, b) => order(a[0], b[0])).map(([price, [size, orders]]) => ({ price, size, orders }));
  return { bids: side(book.get(asset)?.bids, (a, b) => b - a), asks: side(book.get(asset)?.asks, (a, b) => a - b) };
}

describe.each(BACKENDS)('interim feed, %s core', (backend) => {
  it('an L2 copy from snapshot plus messages equals the engine after every block; seqs rise by one', async () => {
    const machine = await openMachine({ backend });
    const flow = new DemoOrderFlow({ seed: 11, assets: ASSETS, ordersPerBlock: 80 });
    for (let height = 1; height <= 10; height++) {
      machine.setHeight(height);
      flow.runBlock(height, machine);
    }
    // Start from snapshots, then follow the messages after their seq.
    const book: L2 = new Map();
    const seqs = new Map<number, number>();
    for (let asset = 0; asset < ASSETS; asset++) {
      const snapshot = machine.bookSnapshot(asset);
      seqs.set(asset, snapshot.seq);
      book.set(asset, {
        bids: new Map(snapshot.bids.map((l) => [l.price, [l.size, l.orders]])),
        asks: new Map(snapshot.asks.map((l) => [l.price, [l.size, l.orders]])),
      });
    }
    const reasons = new Set<string>();
    const subscription = machine.subscribe();
    let received = 0;
    const following = (async () => {
      for await (const message of subscription) {
        received++;
        expect(message.seq).toBe((seqs.get(message.asset) as number) + 1);
        seqs.set(message.asset, message.seq);
        const levels = book.get(message.asset) as { bids: Map<number, [number, number]>; asks: Map<number, [number, number]> };
        for (const level of message.levels) {
          const side = level.side === 'bid' ? levels.bids : levels.asks;
          if (level.size === 0) side.delete(level.price);
          else side.set(level.price, [level.size, level.orders]);
        }
        for (const event of message.events) if (event.reason !== undefined) reasons.add(event.reason);
      }
    })();
    for (let height = 11; height <= 160; height++) {
      machine.setHeight(height);
      flow.runBlock(height, machine);
      await machine.flush();
      await until('the subscriber to drain', () => [...seqs].every(([asset, seq]) => seq === machine.bookSnapshot(asset, 1).seq));
      for (let asset = 0; asset < ASSETS; asset++) expect(copyOf(book, asset), `asset ${asset} at height ${height}`).toEqual(engineDepth(machine, asset));
    }
    subscription.close();
    await following;
    expect(received).toBeGreaterThan(1000);
    expect([...reasons].sort()).toEqual(['CANCELLED_BY_USER', 'IOC_REMAINDER', 'MARKET_REMAINDER', 'REDUCED_TO_ZERO', 'SELF_TRADE']);

    // Every trader's open orders are exactly the engine's resting orders of that trader.
    for (let trader = 0; trader < TRADERS; trader++) {
      const open = await machine.getTraderOrders(trader, { status: 'open', limit: 100_000 });
      for (const record of open) expect(machine.order(record.orderId), `order ${record.orderId}`).toMatchObject({ remaining: record.remaining, price: record.price });
      const resting = [];
      for (let asset = 0; asset < ASSETS; asset++) resting.push(...machine.getBook(asset).orders().filter((o) => o.trader === trader));
      expect(open.map((o) => o.orderId).sort((a, b) => a - b)).toEqual(resting.map((o) => o.orderId).sort((a, b) => a - b));
    }
    await machine.close();
  });
});

describe('interim feed: lifecycle, limits and bad input', () => {
  it('an order\'s events tell its whole life, as maker and as taker', async () => {
    const machine = await openMachine();
    const maker = machine.placeLimitOrder({ trader: 1, asset: 3, side: 'ask', price: 100, size: 10, timestamp: 1 });
    machine.reduceOrder({ trader: 1, asset: 3, orderId: maker.orderId, by: 2 });
    const taker = machine.placeLimitOrder({ trader: 2, asset: 3, side: 'bid', price: 100, size: 5, timestamp: 2, timeInForce: 'IOC' });
    machine.modifyOrder({ trader: 1, asset: 3, orderId: maker.orderId, price: 101, timestamp: 3 });
    machine.cancelOrder({ trader: 1, asset: 3, orderId: maker.orderId });
    expect((await machine.getOrderEvents(maker.orderId)).map((e) => e.kind)).toEqual(['accepted', 'rested', 'reduced', 'fill', 'modified', 'rested', 'removed']);
    expect(await machine.getOrder(maker.orderId)).toMatchObject({ status: 'cancelled', reason: 'CANCELLED_BY_USER', filled: 5, remaining: 0, price: 101 });
    expect((await machine.getOrderEvents(taker.orderId)).map((e) => e.kind)).toEqual(['accepted', 'fill']);
    expect(await machine.getOrder(taker.orderId)).toMatchObject({ status: 'filled', filled: 5, timeInForce: 'IOC' });
    expect(await machine.getOrder(999)).toBeUndefined();
    await machine.close();
  });

  it('a subscriber that falls too far behind is cut off with an error, and matching goes on', async () => {
    const machine = await openMachine({ subscriberLimit: 10 });
    const subscription = machine.subscribe({ assets: [0] });
    const iterator = subscription[Symbol.asyncIterator]();
    for (let i = 0; i < 30; i++) machine.placeLimitOrder({ trader: 1, asset: 0, side: 'bid', price: 100 + i, size: 1, timestamp: i });
    const seen: FeedMessage[] = [];
    await expect((async () => { for (;;) { const next = await iterator.next(); if (next.done) return; seen.push(next.value); } })()).rejects.toThrow(/fell 10 messages behind/);
    expect(seen).toHaveLength(10);
    expect(machine.getBook(0).depth(100).bids).toHaveLength(30);
    await machine.close();
  });

  it('bad input to the feed and the audit trail is INVALID_ARGUMENT naming the field', async () => {
    const machine = await openMachine();
    const cases: [() => unknown, RegExp][] = [
      [() => machine.bookSnapshot(0, 0), /^levels must be a positive safe integer, got 0$/],
      [() => machine.subscribe({ assets: [-1] }), /^assets must be an array of non-negative safe integers/],
      [() => machine.subscribe({ fromSeq: 1.5 }), /^fromSeq must be a positive safe integer, got 1\.5$/],
    ];
    for (const [call, message] of cases) expect(call).toThrow(message);
    await expect(machine.getOrder(-3)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^orderId must be/) });
    await expect(machine.getTraderOrders(1, { status: 'pending' as 'open' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^status must be one of open, closed, all/) });
    expect(() => machine.placeLimitOrder(null as never)).toThrow(/placeLimit request must be an object/);
    await machine.close();
  });
});
