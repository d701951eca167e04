// `lobcore serve`'s server over real WebSockets: the page's own feed client keeps the books equal
// to the engine's, gaps resynchronise, a stalled page is cut off while matching goes on, and
// everything that is not ours is refused without changing anything.
import { request } from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DemoOrderFlow } from '../src/cli/demo-flow.js';
import { LobError } from '../src/errors.js';
import { CoreStateMachine } from '../src/state/index.js';
import { DatabaseSource } from '../src/serve/database-source.js';
import { DemoSource } from '../src/serve/demo-source.js';
import { OriginPolicy } from '../src/serve/origin-policy.js';
import { REPLAY_ASSET, ReplaySource, loadReplay } from '../src/serve/replay-source.js';
import { samplePath } from '../src/lobster/index.js';
import type { MarketMachine } from '../src/serve/feed.js';
import type { LobServer } from '../src/serve/server.js';
import { REQUESTS_AT_ONCE } from '../src/serve/client-session.js';
import { EVENTS_SHOWN } from '../src/serve/audit-desk.js';
import {
  RawSocket, engineDepth, engineLastPrice, openMachine, originOf, pageClient, serve, until, type PageClient,
} from './helpers/serve.js';

const ASSETS = 4;

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function later(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** A machine and a demo source that is never started: the test drives the flow itself, block by block. */
async function drivenByTest(options: Parameters<typeof openMachine>[0] = {}): Promise<{ machine: MarketMachine; source: DemoSource; flow: DemoOrderFlow }> {
  const machine = await openMachine(options);
  later(() => machine.close());
  const source = new DemoSource(machine, { speed: 1, paused: true, assets: ASSETS });
  const flow = new DemoOrderFlow({ seed: 3, assets: ASSETS, ordersPerBlock: 60 });
  return { machine, source, flow };
}

async function started(machine: MarketMachine, source: DemoSource, options: Parameters<typeof serve>[2] = {}): Promise<LobServer> {
  const server = await serve(machine, source, options);
  later(() => server.close());
  return server;
}

function client(server: LobServer): PageClient {
  const page = pageClient(server);
  later(() => page.close());
  return page;
}

async function block(machine: MarketMachine, flow: DemoOrderFlow): Promise<void> {
  const height = machine.height + 1;
  machine.setHeight(height);
  flow.runBlock(height, machine);
  await machine.flush();
}

/** Waits until the page's book has caught up with the engine, then compares every level. */
async function expectSameBook(page: PageClient, machine: MarketMachine, asset: number): Promise<void> {
  const seq = machine.bookSnapshot(asset, 1).seq;
  await until(`page at seq ${seq} of asset ${asset}`, () => page.book.synced && page.book.seq === seq);
  expect(page.book.depth(), `asset ${asset} at seq ${seq}`).toEqual(engineDepth(machine, asset));
}

describe('the feed to a page', () => {
  it('snapshot plus deltas equal the engine depth after every flush, for each asset watched', async () => {
    const { machine, source, flow } = await drivenByTest();
    for (let i = 0; i < 5; i++) await block(machine, flow); // pages join a book already built
    const server = await started(machine, source);
    const pages = Array.from({ length: ASSETS }, () => client(server));
    await until('hello', () => pages.every((p) => p.hello !== null));
    pages.forEach((page, asset) => page.watch(asset));
    for (let i = 0; i < 40; i++) {
      await block(machine, flow);
      for (let asset = 0; asset < ASSETS; asset++) await expectSameBook(pages[asset], machine, asset);
    }
    for (const page of pages) {
      expect(page.counts.gaps).toBe(0);
      expect(page.counts.deltas).toBeGreaterThan(0);
      expect(page.trades.length).toBeGreaterThan(0);
    }
  });

  it('a page whose server lost feed messages is resynchronised from a fresh snapshot, though nothing follows the loss', async () => {
    // A feed subscription that may fall only 50 messages behind: a burst of commands in one flush
    // cuts the server's subscription off, it resubscribes, and the messages in between are gone.
    // No message comes after the burst, so no gap in the sequence could show the page its book is
    // wrong: the server itself has to send a fresh snapshot.
    const { machine, source, flow } = await drivenByTest();
    const server = await started(machine, source, { limits: { feedBuffer: 50 } });
    const page = client(server);
    await until('hello', () => page.hello !== null);
    await expectSameBook(page, machine, 0);
    const snapshots = page.counts.snapshots;
    for (let i = 0; i < 6; i++) {
      const height = machine.height + 1;
      machine.setHeight(height);
      flow.runBlock(height, machine); // 360 commands, no await between them
    }
    await machine.flush();
    await until('the server to resubscribe', () => server.feedRestarts > 0);
    await expectSameBook(page, machine, 0);
    expect(page.counts.snapshots).toBeGreaterThan(snapshots);
    // The flow goes on, each flush more than the subscription may fall behind: after every one,
    // the page has the engine's book again, and it never applied a delta with messages missing.
    for (let i = 0; i < 5; i++) {
      await block(machine, flow);
      await expectSameBook(page, machine, 0);
    }
    expect(page.counts.gaps).toBe(0);
  });

  it('a page that subscribes while a flush is under way gets the trades in it, on its tape and as its last price', async () => {
    // On disk the engine applies a command at once and the feed has it once its flush is durable:
    // a snapshot taken in between holds the trade's book but not yet the trade.
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-serve-flush-'));
    later(() => fs.rmSync(directory, { recursive: true, force: true }));
    const machine = await openMachine({ path: directory });
    later(() => machine.close());
    const source = new DemoSource(machine, { speed: 1, paused: true, assets: ASSETS });
    machine.setHeight(1);
    machine.placeLimitOrder({ trader: 1, asset: 0, side: 'ask', price: 101, size: 10, timestamp: 1 });
    machine.placeLimitOrder({ trader: 1, asset: 0, side: 'bid', price: 99, size: 10, timestamp: 2 });
    await machine.flush();
    const server = await started(machine, source);
    machine.placeLimitOrder({ trader: 2, asset: 0, side: 'bid', price: 101, size: 4, timestamp: 3 });
    const page = client(server);
    await until('the page\'s snapshot', () => page.book.synced);
    await machine.flush();
    // Something after the flush, so the page is known to have had everything the flush brought.
    machine.placeLimitOrder({ trader: 2, asset: 0, side: 'bid', price: 98, size: 4, timestamp: 4 });
    await machine.flush();
    await expectSameBook(page, machine, 0);
    expect(page.trades.map(([price, size, takerSide, maker, taker]) => [price, size, takerSide, maker, taker])).toEqual([[101, 4, 0, 1, 3]]);
    expect(page.lastPrice).toBe(engineLastPrice(machine, 0));
    expect(page.counts.gaps).toBe(0);
  });

  it('a delta lost on its way to the page is a gap: the page asks for a fresh snapshot and is whole again', async () => {
    const { machine, source, flow } = await drivenByTest();
    const server = await started(machine, source);
    const page = client(server);
    await until('hello', () => page.hello !== null);
    await expectSameBook(page, machine, 0);
    // The next delta frame never reaches the page's client (acknowledged, as a frame the network
    // lost would be by the page's next acknowledgement): the one after it starts past the copy.
    const receive = page.receive.bind(page);
    let lostTo = 0;
    page.receive = (data: string) => {
      const frame = JSON.parse(data) as { type: string; n: number; to: number };
      if (frame.type === 'delta' && lostTo === 0) {
        lostTo = frame.to;
        page.send({ type: 'ack', n: frame.n });
        return;
      }
      receive(data);
    };
    const snapshots = page.counts.snapshots;
    const engineSeq = () => machine.bookSnapshot(page.asset!, 1).seq;
    for (let i = 0; i < 20 && page.counts.gaps === 0; i++) {
      await block(machine, flow);
      // The server sends on its own tick: wait for this block's messages (or the gap) to arrive.
      await until('the page to hear of the block', () => page.counts.gaps > 0 || Math.max(page.book.seq, lostTo) >= engineSeq());
    }
    expect(lostTo).toBeGreaterThan(0);
    expect(page.counts.gaps).toBeGreaterThan(0);
    await expectSameBook(page, machine, 0);
    expect(page.counts.snapshots).toBeGreaterThan(snapshots);
  });

  it('a page that stops acknowledging is cut off while matching goes on, and others stay in sync', async () => {
    const machine = await openMachine();
    later(() => machine.close());
    const source = new DemoSource(machine, { speed: 'max', assets: ASSETS });
    later(() => source.stop());
    const server = await started(machine, source, { limits: { windowBytes: 16 * 1024, stallMs: 200 } });
    const healthy = client(server);
    // One page reads but never acknowledges; another stops reading its socket altogether.
    const silent = await RawSocket.open(server);
    later(() => silent.close());
    const stalled = await RawSocket.open(server);
    later(() => stalled.close());
    await silent.next('hello');
    await stalled.next('hello');
    silent.send(JSON.stringify({ type: 'subscribe', asset: 0 }));
    stalled.send(JSON.stringify({ type: 'subscribe', asset: 0 }));
    stalled.socket.pause();
    source.start();
    const heightAtStart = machine.height;
    await until('both stalled pages cut off', () => server.stats.cutOff >= 2);
    const heightAtCutOff = machine.height;
    expect(heightAtCutOff).toBeGreaterThan(heightAtStart);
    await until('matching to go on after the cut-off', () => machine.height > heightAtCutOff + 10);
    await until('the silent page to be told', () => silent.closeCode !== null);
    expect(silent.closeCode).toBe(4008);
    source.pause();
    await expectSameBook(healthy, machine, 0);
    expect(healthy.state).toBe('live');
  });

  it('a page that stops reading is cut off though it acknowledges frames it was never sent: such an ack is refused', async () => {
    const machine = await openMachine();
    later(() => machine.close());
    const source = new DemoSource(machine, { speed: 'max', assets: ASSETS });
    later(() => source.stop());
    const server = await started(machine, source, { limits: { windowBytes: 16 * 1024, stallMs: 200 } });
    const stalled = await RawSocket.open(server);
    later(() => stalled.close());
    await stalled.next('hello');
    // An ack far ahead emptied the window of every frame sent so far: the page was never behind,
    // and what the server sent it piled up in the socket's buffers without bound.
    const from = stalled.frames.length;
    stalled.send(JSON.stringify({ type: 'ack', n: Number.MAX_SAFE_INTEGER }));
    const error = await stalled.next('error', from);
    expect(error).toMatchObject({ code: 'BAD_FRAME', message: `ack.n must be at most the last frame sent (1), got ${Number.MAX_SAFE_INTEGER}` });
    stalled.send(JSON.stringify({ type: 'subscribe', asset: 0 }));
    stalled.socket.pause();
    const acking = setInterval(() => stalled.send(JSON.stringify({ type: 'ack', n: Number.MAX_SAFE_INTEGER })), 20);
    later(() => clearInterval(acking));
    source.start();
    await until('the stalled page cut off', () => server.stats.cutOff >= 1);
  });

  it('a replay whose step fails stops playing and reports the error through `failed`, which serve ends on', async () => {
    const machine = await openMachine();
    later(() => machine.close());
    const source = new ReplaySource(machine, loadReplay(samplePath('msftHeadMessages')), { speed: 'max' });
    later(() => source.stop());
    const broken = new LobError('IO_ERROR', 'the disk went away');
    // The step's flush fails, as a database whose disk fails would.
    machine.flush = () => Promise.reject(broken);
    source.start();
    await expect(source.failed).rejects.toBe(broken);
    const height = machine.height;
    expect(height).toBeGreaterThan(0);
    await source.stop();
    expect(machine.height).toBe(height);
  });

  it('a page controls the replay: speed and pause; at full speed its frames are coalesced', async () => {
    const machine = await openMachine();
    later(() => machine.close());
    const input = loadReplay(samplePath('msftHeadMessages'));
    const source = new ReplaySource(machine, input, { speed: 1, paused: true });
    later(() => source.stop());
    const server = await serve(machine, source, {});
    later(() => server.close());
    source.start();
    const page = client(server);
    await expectSameBook(page, machine, REPLAY_ASSET); // the seeded book, before any message
    expect(machine.height).toBe(0);
    page.control('speed', 'max');
    await until('a status at full speed', () => page.status?.playback?.speed === 'max');
    expect(page.status?.playback?.paused).toBe(true);
    page.control('resume');
    await until('the replay to finish', () => page.status?.playback?.done === true);
    expect(source.status()).toMatchObject({ done: true, position: input.messages.count, total: input.messages.count });
    await expectSameBook(page, machine, REPLAY_ASSET);
    const messages = machine.bookSnapshot(REPLAY_ASSET, 1).seq;
    expect(messages).toBeGreaterThan(1000);
    // Thousands of feed messages, a handful of frames: each frame merges what arrived in its tick.
    expect(page.counts.deltas).toBeLessThan(messages / 10);
  });

  it('the books of a database (RocksDB on disk) are served as stored', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-serve-db-'));
    later(() => fs.rmSync(directory, { recursive: true, force: true }));
    const writer = await CoreStateMachine.open({ path: directory });
    const flow = new DemoOrderFlow({ seed: 9, assets: 3, ordersPerBlock: 50 });
    for (let height = 1; height <= 20; height++) {
      writer.setHeight(height);
      flow.runBlock(height, writer);
    }
    await writer.close();
    const machine = await openMachine({ path: directory });
    later(() => machine.close());
    const source = new DatabaseSource(machine, directory);
    expect(source.info.assets.map((a) => a.asset)).toEqual([0, 1, 2]);
    const server = await serve(machine, source, {});
    later(() => server.close());
    const page = client(server);
    await until('hello', () => page.hello !== null);
    for (const asset of [0, 1, 2]) {
      page.watch(asset);
      await expectSameBook(page, machine, asset);
      // The trades that set it happened before the server ever ran: the price is the engine's own.
      expect(engineLastPrice(machine, asset)).toBeGreaterThan(0);
      expect(page.lastPrice, `asset ${asset}`).toBe(engineLastPrice(machine, asset));
    }
    const answer = await RawSocket.open(server);
    later(() => answer.close());
    answer.send(JSON.stringify({ type: 'control', action: 'pause' }));
    expect(await answer.next('error')).toMatchObject({ code: 'NO_PLAYBACK' });
  });
});

describe('the audit trail on a page', () => {
  it("a trader's newest 30 fills are the newest, past 50,000 fills and across a height holding more than a page", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-serve-fills-'));
    later(() => fs.rmSync(directory, { recursive: true, force: true }));
    const machine = await CoreStateMachine.open({ path: directory });
    later(() => machine.close());
    machine.setHeight(1);
    machine.placeLimitOrder({ trader: 1, asset: 0, side: 'ask', price: 100, size: 60_000, timestamp: 1 });
    // Heights 2-11 hold 5,000 fills each, height 12 ten: the newest 30 span heights 11 and 12.
    let timestamp = 2;
    for (let height = 2; height <= 12; height++) {
      machine.setHeight(height);
      for (let i = 0; i < (height === 12 ? 10 : 5000); i++) machine.placeMarketOrder({ trader: 2, asset: 0, side: 'bid', size: 1, timestamp: timestamp++ });
      await machine.flush();
    }
    const server = await serve(machine, new DatabaseSource(machine, directory));
    later(() => server.close());
    const page = client(server);
    await until('hello', () => page.hello !== null);
    const fills = (await page.request({ type: 'audit', trader: 1 })).fills as { fillSeq: number; height: number }[];
    const newest = machine.nextFillSeq - 1;
    expect(newest).toBe(50_010);
    expect(fills.map((f) => f.fillSeq)).toEqual(Array.from({ length: 30 }, (_, i) => newest - i));
    expect(fills.map((f) => f.height)).toEqual([...Array(10).fill(12), ...Array(20).fill(11)]);
  });

  it("an order's trail comes a page at a time: a maker's first frame is bounded however many its fills, and the pages after it give every event once, in order, while fills land", async () => {
    const machine = await openMachine();
    later(() => machine.close());
    machine.setHeight(1);
    const maker = machine.placeLimitOrder({ trader: 1, asset: 0, side: 'ask', price: 100, size: 100_000, timestamp: 1 }).orderId;
    let timestamp = 2;
    const fills = async (count: number) => {
      machine.setHeight(machine.height + 1);
      for (let i = 0; i < count; i++) machine.placeMarketOrder({ trader: 2, asset: 0, side: 'bid', size: 1, timestamp: timestamp++ });
      await machine.flush();
    };
    for (let i = 0; i < 30; i++) await fills(100);
    const server = await started(machine, new DemoSource(machine, { speed: 1, paused: true, assets: 1 }));
    const page = client(server);
    await until('hello', () => page.hello !== null);

    type Event = { kind: string; seq: number; fillSeq?: number };
    type Cursor = { seq: number; index: number } | null;
    const whole = (await (machine as CoreStateMachine).getOrderEvents(maker)) as Event[];
    expect(whole.length).toBe(3002);
    const first = await page.request({ type: 'audit', orderId: maker });
    const events = first.events as Event[];
    // The acceptance and the newest 99: some 24 KB, where the whole trail was 700 KB.
    expect(events.length).toBe(EVENTS_SHOWN);
    expect(JSON.stringify(first).length).toBeLessThan(40_000);
    expect(events[0]).toEqual(whole[0]);
    expect(events.slice(1)).toEqual(whole.slice(-(EVENTS_SHOWN - 1)));
    expect(first.left).toBe(whole.length - EVENTS_SHOWN);
    expect(first.order).toMatchObject({ orderId: maker, filled: 3000, status: 'resting' });

    // Older pages, with fills landing between the asks: each is the page before the last, none of
    // the new fills comes into them, and the first frame's count, less what each brought, is exact.
    let left = first.left as number;
    let next = first.next as Cursor;
    let middle: Event[] = [];
    while (next !== null) {
      await fills(7);
      const older = await page.request({ type: 'audit', orderId: maker, before: next });
      expect(older.type).toBe('auditOrderPage');
      const got = older.events as Event[];
      expect(got.length).toBe(Math.min(EVENTS_SHOWN, left));
      middle = [...got, ...middle];
      left -= got.length;
      next = older.next as Cursor;
      expect(next === null).toBe(left === 0);
    }
    expect(left).toBe(0);
    expect([events[0], ...middle, ...events.slice(1)]).toEqual(whole);

    // A taker's fills of one command, paged through: the cursors fall inside the command's run of
    // events. With 200 events the one page after the first frame is the last: its next says so,
    // rather than point at the acceptance the first frame gave.
    for (const [asset, makers] of [[1, 250], [2, 198]]) {
      for (let i = 0; i < makers; i++) machine.placeLimitOrder({ trader: 5, asset, side: 'ask', price: 10 + (i % 7), size: 1, timestamp: timestamp++ });
      const taker = machine.placeLimitOrder({ trader: 6, asset, side: 'bid', price: 20, size: makers + 10, timestamp: timestamp++ }).orderId;
      await machine.flush();
      const trail = (await (machine as CoreStateMachine).getOrderEvents(taker)) as Event[];
      expect(trail.length).toBe(makers + 2);
      const head = await page.request({ type: 'audit', orderId: taker });
      expect(head.left).toBe(trail.length - EVENTS_SHOWN);
      let before = head.next as Cursor;
      let shown = (head.events as Event[]).slice(1);
      const pages: number[] = [];
      while (before !== null) {
        const older = await page.request({ type: 'audit', orderId: taker, before });
        shown = [...(older.events as Event[]), ...shown];
        pages.push((older.events as Event[]).length);
        before = older.next as Cursor;
      }
      expect(pages).toEqual(makers === 250 ? [100, 52] : [100]);
      expect([(head.events as Event[])[0], ...shown]).toEqual(trail);
    }

    // A short trail is one frame, whole; bad cursors are refused naming the field.
    const short = machine.placeLimitOrder({ trader: 3, asset: 0, side: 'bid', price: 90, size: 1, timestamp: timestamp++ }).orderId;
    await machine.flush();
    expect(await page.request({ type: 'audit', orderId: short })).toMatchObject({ left: 0, next: null, events: [{ kind: 'accepted' }, { kind: 'rested' }] });
    const raw = await RawSocket.open(server);
    later(() => raw.close());
    const bad = [
      { orderId: maker, before: 5 }, { orderId: maker, before: { seq: 1 } }, { orderId: maker, before: { seq: 1, index: -1 } },
      { orderId: maker, before: { seq: 1, index: 0, more: 1 } }, { trader: 1, before: { seq: 1, index: 0 } },
    ];
    for (const fields of bad) {
      const from = raw.frames.length;
      raw.send(JSON.stringify({ type: 'audit', id: 1, ...fields }));
      expect(await raw.next('error', from), JSON.stringify(fields)).toMatchObject({ code: 'BAD_FRAME', message: expect.stringContaining('audit.before') });
    }
  });

  it('a burst of requests from one page runs a few at a time, and every one is answered', async () => {
    const machine = await openMachine();
    later(() => machine.close());
    for (let i = 0; i < 100; i++) machine.placeLimitOrder({ trader: 7, asset: 0, side: 'bid', price: 50 + (i % 40), size: 1, timestamp: i });
    await machine.flush();
    // Each audit holds a trader's pages while it runs: 2,000 audit frames of 40 bytes each, all run at
    // once, took the server 1.4 GB (scratch measurement), and nothing bounded how many a page sends.
    let running = 0;
    let most = 0;
    const getTraderOrders = machine.getTraderOrders.bind(machine);
    machine.getTraderOrders = async (...args: Parameters<typeof getTraderOrders>) => {
      most = Math.max(most, ++running);
      try {
        return await getTraderOrders(...args);
      } finally {
        running--;
      }
    };
    const server = await serve(machine, new DemoSource(machine, { speed: 1, paused: true, assets: ASSETS }));
    later(() => server.close());
    const socket = await RawSocket.open(server);
    later(() => socket.close());
    await socket.next('hello');
    for (let id = 1; id <= 200; id++) socket.send(JSON.stringify({ type: 'audit', id, trader: 7 }));
    await until('every request answered', () => socket.frames.filter((f) => f.type === 'auditTrader').length === 200);
    const answered = socket.frames.filter((f) => f.type === 'auditTrader').map((f) => f.id as number);
    expect(answered.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(most).toBeLessThanOrEqual(REQUESTS_AT_ONCE);
  });
});

/**
 * A small hand-made book on asset 0 that has never traded, and a page watching it with orders
 * allowed: asks 101, 102, 103 and bids 99, 98, ten lots each, all of trader 1.
 */
async function quietBook(): Promise<{ machine: MarketMachine; server: LobServer; page: PageClient }> {
  const machine = await openMachine();
  later(() => machine.close());
  const source = new DemoSource(machine, { speed: 1, paused: true, assets: ASSETS });
  machine.setHeight(1);
  let timestamp = 1;
  for (const [side, price] of [['ask', 101], ['ask', 102], ['ask', 103], ['bid', 99], ['bid', 98]] as const) {
    machine.placeLimitOrder({ trader: 1, asset: 0, side, price, size: 10, timestamp: timestamp++ });
  }
  await machine.flush();
  const server = await started(machine, source, { allowOrders: true, token: 'secret' });
  const page = client(server);
  await until('hello', () => page.hello !== null);
  await expectSameBook(page, machine, 0);
  return { machine, server, page };
}

type Answer = Record<string, unknown> & { result: Record<string, unknown> };

function orderFrom(page: PageClient, trader: string): (kind: string, fields: Record<string, unknown>) => Promise<Answer> {
  return async (kind, fields) => await page.request({ type: 'order', kind, token: 'secret', fields: { trader, asset: 0, ...fields } }) as Answer;
}

describe('stops, OCO pairs and budgets from a page', () => {
  it('places each kind; pending stops stay off the feed until a trade triggers them, and their fills reach the tape', async () => {
    const { machine, page } = await quietBook();
    const order = orderFrom(page, '7');
    const bookBefore = engineDepth(machine, 0);

    // Before any trade, a stop waits whatever its price: a stop-market and a stop-limit.
    const stopMarket = await order('stop', { side: 'bid', size: '5', stopPrice: '102' });
    expect(stopMarket).toMatchObject({ type: 'orderResult', kind: 'stop', result: { status: 'pending', filled: 0, remaining: 5 } });
    const stopLimit = await order('stop', { side: 'bid', size: '2', stopPrice: '120', price: '121', timeInForce: 'GTC' });
    expect(stopLimit.result).toMatchObject({ status: 'pending', remaining: 2 });
    const marketId = stopMarket.result.orderId as number;
    const limitId = stopLimit.result.orderId as number;
    expect(machine.order(marketId)).toMatchObject({ status: 'pending', type: 'stop_market', stopPrice: 102 });
    expect(machine.order(limitId)).toMatchObject({ status: 'pending', type: 'stop_limit', stopPrice: 120, price: 121 });

    // An OCO pair: a limit leg that rests, a stop leg that waits.
    const oco = await order('oco', { side: 'ask', size: '3', price: '110', stopPrice: '97' });
    expect(oco.result).toMatchObject({ status: 'resting', remaining: 3, stopStatus: 'pending' });
    const legId = oco.result.orderId as number;
    expect(oco.result.stopOrderId).toBe(legId + 1);
    expect(machine.order(legId + 1)).toMatchObject({ status: 'pending', ocoSiblingId: legId });

    // Not market data: the page's book is the engine's, the only new level the OCO's limit leg.
    await expectSameBook(page, machine, 0);
    expect(page.book.depth()).toEqual({ bids: bookBefore.bids, asks: [...bookBefore.asks, { price: 110, size: 3, orders: 1 }] });
    expect(page.trades).toEqual([]);
    expect(page.lastPrice).toBe(0);

    // A budget buy that pays for exactly 10 at 101 and 5 at 102; its last trade, 102, triggers the
    // stop-market, which takes the other 5 at 102 within the same command.
    const budget = await order('market', { side: 'bid', budget: String(10 * 101 + 5 * 102) });
    expect(budget.result).toMatchObject({ status: 'filled', filled: 15, spent: 1520, fills: 2, stopFills: 1 });
    expect(machine.order(marketId)).toBeUndefined();
    await expectSameBook(page, machine, 0);
    const fromStop = page.trades.filter((trade) => trade[4] === marketId);
    expect(fromStop.map(([price, size, takerSide]) => [price, size, takerSide])).toEqual([[102, 5, 0]]);
    expect(page.trades.map((trade) => trade[4])).toEqual([budget.result.orderId, budget.result.orderId, marketId]);
    expect(engineLastPrice(machine, 0)).toBe(102);
    expect(page.lastPrice).toBe(102);

    // Now the last trade is 102: a buy stop at 100 would trigger at once.
    const late = await order('stop', { side: 'bid', size: '1', stopPrice: '100' });
    expect(late.result).toMatchObject({ status: 'rejected', reason: 'WOULD_TRIGGER', orderId: 0 });

    // The audit trail follows the stop from pending through its trigger.
    const trail = await page.request({ type: 'audit', orderId: marketId });
    const events = trail.events as Record<string, unknown>[];
    expect(events.map((e) => e.kind)).toEqual(['accepted', 'triggered', 'fill']);
    expect(events[0]).toMatchObject({ type: 'stop_market', stopPrice: 102, pending: true });
    expect(events[1]).toMatchObject({ stopPrice: 102, lastPrice: 102 });
    expect(trail.order).toMatchObject({ status: 'filled', type: 'stop_market', stopPrice: 102, triggeredHeight: 1 });
    const spent = await page.request({ type: 'audit', orderId: budget.result.orderId });
    expect(spent.order).toMatchObject({ type: 'market', budget: 1520, spent: 1520, filled: 15 });

    // The trader's open orders: the stop-limit pending, the OCO legs pointing at each other.
    const mine = await page.request({ type: 'audit', trader: 7 });
    const open = (mine.open as Record<string, unknown>[]).map(({ orderId, status, type, ocoSiblingId }) => ({ orderId, status, type, ocoSiblingId }));
    expect(open).toEqual(expect.arrayContaining([
      { orderId: limitId, status: 'pending', type: 'stop_limit', ocoSiblingId: undefined },
      { orderId: legId, status: 'resting', type: 'limit', ocoSiblingId: legId + 1 },
      { orderId: legId + 1, status: 'pending', type: 'stop_market', ocoSiblingId: legId },
    ]));
    expect(open).toHaveLength(3);

    // Cancelling the limit leg takes the stop leg with it; a pending stop is cancelled like any order.
    expect(await order('cancel', { orderId: String(legId) })).toMatchObject({ result: { ok: true } });
    expect((await page.request({ type: 'audit', orderId: legId + 1 })).order).toMatchObject({ status: 'cancelled', reason: 'OCO_SIBLING' });
    expect(await order('cancel', { orderId: String(limitId) })).toMatchObject({ result: { ok: true } });
    expect(machine.order(limitId)).toBeUndefined();
    expect((await page.request({ type: 'audit', trader: 7 })).open).toEqual([]);
    await expectSameBook(page, machine, 0);
  });

  it('each new field\'s errors come back in the engine\'s words, naming it, and change nothing', async () => {
    const { machine, page } = await quietBook();
    const order = orderFrom(page, '7');
    const hash = machine.stateHash();
    const seq = machine.bookSnapshot(0, 1).seq;
    const deltas = page.counts.deltas;
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['stop', { side: 'bid', size: '5' }, 'stopPrice', /^stopPrice must be a positive safe integer, got undefined \(missing\)$/],
      ['stop', { side: 'bid', size: '5', stopPrice: '10.5' }, 'stopPrice', /^stopPrice must be a positive safe integer, got "10\.5"$/],
      ['stop', { side: 'bid', size: '5', stopPrice: '105', price: 'x' }, 'price', /^price must be a positive safe integer, got "x"$/],
      ['stop', { side: 'bid', size: '5', stopPrice: '105', timeInForce: 'IOC' }, 'timeInForce', /^timeInForce must be GTC on a stop-market \(only a stop-limit, with price, takes one\), got "IOC"$/],
      ['stop', { side: 'bid', size: '5', stopPrice: '105', price: '106', protectionPrice: '110' }, 'protectionPrice', /^protectionPrice must be absent on a stop-limit/],
      ['stop', { side: 'up', size: '5', stopPrice: '105' }, 'side', /^side must be one of bid, ask, got "up"$/],
      ['oco', { side: 'ask', size: '3', price: '110', stopPrice: '111' }, 'stopPrice', /^stopPrice must be below price 110 \(a sell OCO's stop leg sits below its limit leg\), got 111$/],
      ['oco', { side: 'bid', size: '3', price: '95', stopPrice: '90' }, 'stopPrice', /^stopPrice must be above price 95/],
      ['oco', { side: 'ask', size: '3', price: '110', stopPrice: '97', stopLimitPrice: '0' }, 'stopLimitPrice', /^stopLimitPrice must be a positive safe integer, got 0$/],
      ['oco', { side: 'ask', size: '3', stopPrice: '97' }, 'price', /^price must be a positive safe integer, got undefined \(missing\)$/],
      ['market', { side: 'bid', size: '5', budget: '1000' }, 'budget', /^budget must be absent when size is given \(a market order takes a size or a budget\), got 1000$/],
      ['market', { side: 'bid' }, 'size', /^size must be given, or a budget instead \(a market order takes one of them\), got undefined \(missing\)$/],
      ['market', { side: 'bid', budget: '-3' }, 'budget', /^budget must be a positive safe integer, got "-3"$/],
    ];
    for (const [kind, fields, field, message] of cases) {
      const answer = await order(kind, fields);
      expect(answer, `${kind} ${JSON.stringify(fields)}`).toMatchObject({ type: 'orderError', field });
      expect(answer.message).toMatch(message);
    }
    expect(machine.stateHash()).toBe(hash);
    expect(machine.bookSnapshot(0, 1).seq).toBe(seq);
    // Nothing reached the page either: one more order that does change the book is the next delta it sees.
    await order('limit', { side: 'bid', price: '97', size: '1' });
    await expectSameBook(page, machine, 0);
    expect(page.counts.deltas).toBe(deltas + 1);
    expect(page.counts.gaps).toBe(0);
  });

  it('a number field takes decimal digits only: hex, exponents, signs and blanks come back naming the field, as typed', async () => {
    const { machine, page } = await quietBook();
    const order = orderFrom(page, '7');
    const hash = machine.stateHash();
    const seq = machine.bookSnapshot(0, 1).seq;
    // Each of these is a number to Number(): 0x10 is 16, 1e3 is 1000, ' 12 ' is 12.
    for (const [field, text] of [['price', '0x10'], ['size', '1e3'], ['price', ' 12 '], ['size', '+5'], ['price', '0b11'], ['size', '5.']]) {
      const answer = await order('limit', { side: 'bid', price: '97', size: '1', [field]: text });
      expect(answer, `${field} ${JSON.stringify(text)}`).toMatchObject({ type: 'orderError', field });
      expect(answer.message).toBe(`${field} must be a positive safe integer, got ${JSON.stringify(text)}`);
    }
    const cancel = await order('cancel', { orderId: '0x1' });
    expect(cancel).toMatchObject({ type: 'orderError', field: 'orderId' });
    expect(machine.stateHash()).toBe(hash);
    expect(machine.bookSnapshot(0, 1).seq).toBe(seq);
  });
});

describe('refusals: nothing changes', () => {
  it('malformed frames get an error frame each, change nothing, and the connection keeps working', async () => {
    const { machine, source, flow } = await drivenByTest();
    for (let i = 0; i < 3; i++) await block(machine, flow);
    const server = await started(machine, source, { allowOrders: true, token: 'secret' });
    const socket = await RawSocket.open(server);
    later(() => socket.close());
    await socket.next('hello');
    const hash = machine.stateHash();
    const bad: [string | Buffer, RegExp][] = [
      ['not json', /one JSON object/],
      ['[1,2]', /one JSON object/],
      ['{"type":"launch"}', /unknown frame type "launch"/],
      ['{"type":"subscribe"}', /subscribe\.asset must be a non-negative safe integer/],
      ['{"type":"subscribe","asset":-1}', /subscribe\.asset/],
      ['{"type":"ack","n":"7"}', /ack\.n/],
      ['{"type":"control","action":"rewind"}', /control\.action must be one of pause, resume, speed/],
      ['{"type":"control","action":"speed","speed":"3"}', /control\.speed must be one of 1, 10, max/],
      ['{"type":"order","id":1,"kind":"iceberg","fields":{}}', /order\.kind must be one of limit, market, stop, oco, cancel/],
      ['{"type":"order","id":1,"kind":"limit","token":"secret","fields":{"timestamp":1}}', /order\.fields\.timestamp is not a field of a limit order/],
      ['{"type":"order","id":1,"kind":"limit","token":"secret","fields":{"budget":1}}', /order\.fields\.budget is not a field of a limit order/],
      ['{"type":"order","id":1,"kind":"market","token":"secret","fields":{"stopPrice":1}}', /order\.fields\.stopPrice is not a field of a market order/],
      ['{"type":"order","id":1,"kind":"oco","token":"secret","fields":{"timeInForce":"IOC"}}', /order\.fields\.timeInForce is not a field of an oco order/],
      ['{"type":"order","id":1,"kind":"limit","token":"secret","fields":[]}', /order\.fields must be an object/],
      ['{"type":"audit","id":2}', /exactly one of orderId and trader/],
      [Buffer.from([1, 2, 3]), /binary frames/],
    ];
    for (const [frame, message] of bad) {
      const from = socket.frames.length;
      socket.send(frame);
      const error = await socket.next('error', from);
      expect(error.code, String(frame)).toBe('BAD_FRAME');
      expect(error.message, String(frame)).toMatch(message);
    }
    expect(machine.stateHash()).toBe(hash);
    const from = socket.frames.length;
    socket.send(JSON.stringify({ type: 'subscribe', asset: 1 }));
    const snapshot = await socket.next('snapshot', from);
    expect(snapshot.seq).toBe(machine.bookSnapshot(1, 1).seq);
    // A frame larger than the limit closes the connection (1009), still changing nothing.
    socket.send(JSON.stringify({ type: 'audit', id: 1, trader: 'x'.repeat(20_000) }));
    await until('the oversized frame to close the socket', () => socket.closeCode !== null);
    expect(socket.closeCode).toBe(1009);
    expect(machine.stateHash()).toBe(hash);
  });

  it('order entry is refused without --allow-orders, and without the right token', async () => {
    const { machine, source, flow } = await drivenByTest();
    await block(machine, flow);
    const hash = machine.stateHash();
    const order = { type: 'order', kind: 'limit', fields: { trader: '7', asset: 0, side: 'bid', price: '9000', size: '5' } };

    const closed = await started(machine, source, { allowOrders: false, token: 'secret' });
    expect(closed.token).toBeNull();
    const refused = client(closed);
    await until('hello', () => refused.hello !== null);
    await expect(refused.request({ ...order, token: 'secret' })).rejects.toMatchObject({ code: 'ORDERS_DISABLED' });

    const open = await started(machine, source, { allowOrders: true, token: 'secret' });
    const page = client(open);
    await until('hello', () => page.hello !== null);
    await expect(page.request(order)).rejects.toMatchObject({ code: 'TOKEN_REQUIRED' });
    await expect(page.request({ ...order, token: 'guess' })).rejects.toMatchObject({ code: 'BAD_TOKEN' });
    expect(machine.stateHash()).toBe(hash);

    // The engine's own rules, its own words, next to the field they name.
    const fieldErrors: [Record<string, unknown>, string, RegExp][] = [
      [{ price: '12.5' }, 'price', /^price must be a positive safe integer, got "12\.5"$/],
      [{ price: 'abc' }, 'price', /^price must be a positive safe integer, got "abc"$/],
      [{ size: '' }, 'size', /^size must be a positive safe integer, got undefined \(missing\)$/],
      [{ trader: '-1' }, 'trader', /^trader must be a non-negative safe integer, got "-1"$/],
      [{ side: 'long' }, 'side', /^side must be one of bid, ask, got "long"$/],
    ];
    for (const [change, field, message] of fieldErrors) {
      const answer = await page.request({ ...order, token: 'secret', fields: { ...order.fields, ...change } });
      expect(answer).toMatchObject({ type: 'orderError', field });
      expect(answer.message).toMatch(message);
    }
    expect(machine.stateHash()).toBe(hash);

    const placed = await page.request({ ...order, token: 'secret' });
    expect(placed).toMatchObject({ type: 'orderResult', kind: 'limit', result: { status: 'resting', remaining: 5 } });
    const orderId = (placed.result as { orderId: number }).orderId;
    expect(machine.order(orderId)).toMatchObject({ trader: 7, price: 9000, remaining: 5 });
    const notYours = await page.request({ type: 'order', kind: 'cancel', token: 'secret', fields: { trader: '8', asset: 0, orderId: String(orderId) } });
    expect(notYours).toMatchObject({ type: 'orderResult', result: { ok: false, reason: 'NOT_OWNER' } });
    const cancelled = await page.request({ type: 'order', kind: 'cancel', token: 'secret', fields: { trader: '7', asset: 0, orderId: String(orderId) } });
    expect(cancelled).toMatchObject({ type: 'orderResult', result: { ok: true } });
    expect(machine.order(orderId)).toBeUndefined();
    const trail = await page.request({ type: 'audit', orderId });
    expect((trail.events as { kind: string }[]).map((e) => e.kind)).toEqual(['accepted', 'rested', 'removed']);
    expect(trail.order).toMatchObject({ status: 'cancelled', reason: 'CANCELLED_BY_USER' });
  });

  it('on port 80 the Host and Origin a browser sends without the port are its own; elsewhere a port must be named', () => {
    const onDefault = new OriginPolicy('127.0.0.1', 80);
    expect(onDefault.hostAllowed('127.0.0.1')).toBe(true);
    expect(onDefault.hostAllowed('localhost:80')).toBe(true);
    expect(onDefault.originAllowed('http://localhost')).toBe(true);
    expect(onDefault.hostAllowed('evil.example')).toBe(false);
    expect(onDefault.originAllowed('http://evil.example')).toBe(false);
    const elsewhere = new OriginPolicy('127.0.0.1', 8080);
    expect(elsewhere.hostAllowed('127.0.0.1')).toBe(false);
    expect(elsewhere.originAllowed('http://127.0.0.1')).toBe(false);
    expect(elsewhere.hostAllowed('127.0.0.1:8080')).toBe(true);
  });

  it('past maxConnections (32 by default) a page is turned away at once with 1013 and a reason, and let in once one leaves', async () => {
    const { machine, source } = await drivenByTest();
    const server = await started(machine, source);
    const pages: RawSocket[] = [];
    for (let i = 0; i < 32; i++) {
      const page = await RawSocket.open(server);
      later(() => page.close());
      pages.push(page);
    }
    await Promise.all(pages.map((page) => page.next('hello')));
    const turnedAway = await RawSocket.open(server);
    later(() => turnedAway.close());
    await until('the close of the 33rd page', () => turnedAway.closeCode !== null, 5_000);
    expect(turnedAway.closeCode).toBe(1013);
    expect(turnedAway.closeReason).toBe('server full: 32 pages connected, the most it serves');
    expect(turnedAway.frames).toEqual([]); // not even a hello
    expect(server.stats).toMatchObject({ connected: 32, turnedAway: 1 });
    // The page's own client says why it is offline, and gets in once a page leaves.
    const page = client(server);
    await until('the page turned away', () => page.closeReason !== null);
    expect(page.closeReason).toBe('server full: 32 pages connected, the most it serves');
    pages[0].close();
    await until('the page let in', () => page.hello !== null);
    expect(server.stats.connected).toBe(32);
  });

  it('maxConnections bounds the pages connected at once', async () => {
    const { machine, source } = await drivenByTest();
    await expect(serve(machine, source, { limits: { maxConnections: 0 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT', message: 'limits.maxConnections must be a positive integer, got 0',
    });
    const server = await started(machine, source, { limits: { maxConnections: 1 } });
    const first = await RawSocket.open(server);
    later(() => first.close());
    await first.next('hello');
    const second = await RawSocket.open(server);
    later(() => second.close());
    await until('the close of the second page', () => second.closeCode !== null, 5_000);
    expect(second).toMatchObject({ closeCode: 1013, closeReason: 'server full: 1 page connected, the most it serves' });
    expect(first.closeCode).toBeNull();
  });

  it('a foreign Origin, a missing Origin and a foreign Host are refused; plain HTTP changes nothing', async () => {
    const { machine, source } = await drivenByTest();
    const server = await started(machine, source, { allowOrders: true, token: 'secret' });
    await expect(RawSocket.open(server, { origin: 'http://evil.example' })).rejects.toMatchObject({ status: 403 });
    await expect(RawSocket.open(server, { origin: `http://localhost:${server.port + 1}` })).rejects.toMatchObject({ status: 403 });
    await expect(RawSocket.open(server, { origin: undefined })).rejects.toMatchObject({ status: 403 });
    // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
    await expect(RawSocket.open(server, { origin: 'http://evil.example:80', headers: { Host: 'evil.example' } })).rejects.toMatchObject({ status: 403 });
    expect(server.stats.refused).toBe(4);
    expect(server.stats.connected).toBe(0);
    const ok = await RawSocket.open(server, { origin: `http://localhost:${server.port}` });
    later(() => ok.close());
    await ok.next('hello');

    const http = (method: string, pathname: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, method, path: pathname, headers }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const page = await http('GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="app.js">');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await http('GET', '/feed-client.js')).headers['content-type']).toMatch(/text\/javascript/);
    expect((await http('GET', '/../package.json')).status).toBe(404);
    expect((await http('GET', '/', { Host: 'evil.example' })).status).toBe(403);
    expect((await http('POST', '/', { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await http('POST', '/', { Origin: originOf(server) })).status).toBe(405);
  });
});
