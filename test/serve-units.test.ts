// The page server's small parts on their own: the flow-control window, the coalescing of feed
// messages into one delta, and the relay's tape of recent trades and last price.
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { CoreStateMachine } from '../src/state/index.js';
import { FeedRelay } from '../src/serve/feed-relay.js';
import { FlowWindow } from '../src/serve/flow-window.js';
import { PendingDelta } from '../src/serve/pending-delta.js';
import type { FeedMessage } from '../src/serve/feed.js';
import type { TradeTuple } from '../src/serve/protocol.js';
import { until } from './helpers/serve.js';
// The page's own module (plain JavaScript, untyped).
import { FeedClient } from '../web/feed-client.js';

const message = (seq: number): FeedMessage => ({ asset: 1, seq, height: 0, events: [], levels: [] });
const trade = (price: number): TradeTuple => [price, 1, 0, 1, 2, 1, 2, 0, 0];

describe('the flow window', () => {
  it('is full once the bytes in flight reach its limit, not only past it', () => {
    const window = new FlowWindow(100);
    window.sent(1, 99);
    expect(window.full).toBe(false);
    window.sent(2, 1);
    expect(window.unacknowledged).toBe(100);
    expect(window.full).toBe(true);
  });

  it('releases every frame up to and including the one acknowledged', () => {
    const window = new FlowWindow(1_000);
    window.sent(1, 40);
    window.sent(2, 60);
    window.sent(3, 5);
    window.acknowledged(1);
    expect(window.unacknowledged).toBe(65);
    window.acknowledged(2);
    expect(window.unacknowledged).toBe(5);
    window.acknowledged(3);
    expect(window.unacknowledged).toBe(0);
  });
});

describe('a pending delta', () => {
  it('follows only the next seq: a message after a gap is not merged', () => {
    const pending = new PendingDelta(10);
    expect(pending.follows(7)).toBe(true); // empty: anything starts it
    pending.add(message(5), []);
    expect(pending.follows(6)).toBe(true);
    expect(pending.follows(7)).toBe(false);
    expect(pending.follows(5)).toBe(false);
  });

  it('keeps the newest trades past its bound and counts the ones dropped', () => {
    const pending = new PendingDelta(2);
    pending.add(message(1), [trade(100), trade(101)]);
    pending.add(message(2), [trade(102)]);
    const frame = pending.take(1, 2, 0);
    expect(frame.trades.map((t) => t[0])).toEqual([101, 102]);
    expect(frame.dropped).toBe(1);
    expect([frame.from, frame.to]).toEqual([1, 2]);
  });
});

describe('the feed relay', () => {
  it('gives the newest kept trades, and the last price of a sweep over two prices as the price it ended at', async () => {
    const machine = await CoreStateMachine.open({});
    const relay = new FeedRelay(machine, (height) => height, 2, 1_000);
    let delivered = 0;
    relay.listen({ message: () => { delivered++; }, lost: () => {} });
    relay.start();
    machine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 1, timestamp: 1 });
    machine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 101, size: 1, timestamp: 2 });
    machine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 102, size: 1, timestamp: 3 });
    machine.placeMarket({ trader: 2, asset: 1, side: 'bid', size: 2, timestamp: 4 }); // 100, then 101
    await machine.flush();
    await until('four messages', () => delivered === 4);
    expect(relay.lastPrice(1)).toBe(101);
    machine.placeMarket({ trader: 2, asset: 1, side: 'bid', size: 1, timestamp: 5 }); // 102
    await machine.flush();
    await until('five messages', () => delivered === 5);
    expect(relay.recentTrades(1).map((t) => t[0])).toEqual([101, 102]);
    expect(relay.lastPrice(1)).toBe(102);
    relay.stop();
    await machine.close();
  });
});

describe('the page\'s feed client', () => {
  it('backs off from a server that takes the socket and closes it at once, as a full one does (1013)', async () => {
    // The first retry is quick and the second takes a minute: a page that backs off connects
    // twice here, one that starts its backoff over on every socket that opens keeps coming back.
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    let connections = 0;
    server.on('connection', (socket) => {
      connections++;
      socket.close(1013, 'server full: 1 page connected, the most it serves');
    });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/feed`;
    const page = new FeedClient({
      url,
      createSocket: (address: string) => new WebSocket(address) as unknown as globalThis.WebSocket,
      retryMs: [10, 60_000],
    });
    try {
      page.connect();
      await until('the second connection', () => connections >= 2);
      // Long enough for dozens of 10 ms retries, had the backoff started over.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(connections).toBe(2);
    } finally {
      page.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
