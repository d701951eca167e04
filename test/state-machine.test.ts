// CoreStateMachine behaviour, persistent and in memory, on both backends.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { LobError } from '../src/errors.js';
import { MatchingEngine } from '../src/engine-host.js';
import { SnapshotFiles } from '../src/state/checkpoint-files.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { StateMachineOptions } from '../src/state/state-machine.js';
import type { RecordedFill } from '../src/state/fill-history.js';
import { describeEachBackend } from './helpers/backends.js';
import { FLOW_TRADERS, Flow } from './fixtures/flow.mjs';
import { allFills, tempDbPath } from './fixtures/state-helpers.js';

describeEachBackend('CoreStateMachine', (backend) => {
  const open = (options: StateMachineOptions = {}) => CoreStateMachine.open({ backend, ...options });

  describe('persistence', () => {
    it('keeps resting limit orders and market fills across a reopen', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      const ask = sm.placeLimitOrder({ trader: 1, asset: 7, side: 'ask', price: 101, size: 10, timestamp: 5 });
      sm.placeLimitOrder({ trader: 2, asset: 7, side: 'bid', price: 99, size: 4, timestamp: 6 });
      const market = sm.placeMarketOrder({ trader: 3, asset: 7, side: 'bid', size: 3, timestamp: 7 });
      expect(market.status).toBe('filled');
      expect(market.fills).toEqual([
        expect.objectContaining({ makerOrderId: ask.orderId, price: 101, size: 3, timestamp: 7, height: 0, fillSeq: 1 }),
      ]);
      const hash = sm.stateHash();
      await sm.close();

      const reopened = await open({ path });
      expect(reopened.stateHash()).toBe(hash);
      expect(reopened.getBook(7).bestAsk()).toEqual({ price: 101, size: 7, orders: 1 });
      expect(reopened.getBook(7).bestBid()).toEqual({ price: 99, size: 4, orders: 1 });
      expect(reopened.nextOrderId).toBe(4);
      expect(reopened.nextFillSeq).toBe(2);
      expect(await reopened.getOrderFills(ask.orderId)).toEqual([market.fills[0]]);
      expect(reopened.recovery).toMatchObject({ checkpointSequence: null, replayedCommands: 3, sequence: 3 });
      await reopened.close();
    });

    it('persists cancels, reduces and modifies', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      const a = sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 50, size: 10, timestamp: 1 });
      const b = sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 51, size: 10, timestamp: 2 });
      const c = sm.placeLimitOrder({ trader: 2, asset: 1, side: 'ask', price: 60, size: 10, timestamp: 3 });
      expect(sm.cancelOrder({ trader: 1, asset: 1, orderId: a.orderId })).toEqual({ ok: true, remaining: 0 });
      expect(sm.reduceOrder({ trader: 1, asset: 1, orderId: b.orderId, by: 4 })).toEqual({ ok: true, remaining: 6 });
      expect(sm.modifyOrder({ trader: 2, asset: 1, orderId: c.orderId, price: 58, timestamp: 4 }).status).toBe('resting');
      expect(sm.cancelOrder({ trader: 9, asset: 1, orderId: b.orderId })).toEqual({ ok: false, reason: 'NOT_OWNER' });
      const orders = sm.getBook(1).orders();
      await sm.flush();
      await sm.close();

      const reopened = await open({ path });
      expect(reopened.getBook(1).orders()).toEqual(orders);
      expect(reopened.order(a.orderId)).toBeUndefined();
      expect(reopened.order(c.orderId)).toMatchObject({ price: 58, timestamp: 4 });
      await reopened.close();
    });

    it('recovers several assets, with ids and timestamps intact', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      for (let asset = 1; asset <= 4; asset++) {
        for (let i = 0; i < 5; i++) {
          sm.placeLimitOrder({ trader: i, asset, side: i % 2 ? 'ask' : 'bid', price: i % 2 ? 200 + i : 100 - i, size: asset + i, timestamp: asset * 100 + i });
        }
      }
      const books = [1, 2, 3, 4].map((asset) => sm.getBook(asset).orders());
      await sm.checkpoint();
      sm.placeLimitOrder({ trader: 9, asset: 2, side: 'bid', price: 90, size: 1, timestamp: 999 });
      books[1] = sm.getBook(2).orders();
      await sm.close();

      const reopened = await open({ path });
      expect([1, 2, 3, 4].map((asset) => reopened.getBook(asset).orders())).toEqual(books);
      expect(reopened.recovery).toMatchObject({ checkpointSequence: 20, replayedCommands: 1 });
      expect(reopened.placeLimitOrder({ trader: 1, asset: 5, side: 'bid', price: 1, size: 1, timestamp: 1 }).orderId).toBe(22);
      await reopened.close();
    });

    it('checkpoints at close when the next open would replay checkpointOnClose commands or more, and not below that or when false', async () => {
      const path = tempDbPath();
      const placeAll = (sm: CoreStateMachine, count: number) => {
        const batch = new CommandBatch(count);
        const from = sm.nextOrderId;
        for (let i = 0; i < count; i++) batch.limit(i % 5, 3, i % 2 ? 'ask' : 'bid', i % 2 ? 200 + (i % 7) : 100 - (i % 7), 1, from + i);
        sm.submitBatch(batch);
      };
      const sm = await open({ path, checkpointOnClose: 50 });
      placeAll(sm, 49);
      await sm.close();
      // 49 commands after no checkpoint: fewer than 50, replayed.
      const below = await open({ path, checkpointOnClose: 50 });
      expect(below.recovery).toMatchObject({ checkpointSequence: null, replayedCommands: 49 });
      placeAll(below, 1);
      // Pending at the call: the close flushes them, then checkpoints all 50.
      await below.close();
      const checkpointed = await open({ path, checkpointOnClose: false });
      expect(checkpointed.recovery).toMatchObject({ checkpointSequence: 50, replayedCommands: 0, restingOrders: 50 });
      const hash = checkpointed.stateHash();
      placeAll(checkpointed, 60);
      await checkpointed.close();
      const never = await open({ path });
      expect(never.recovery).toMatchObject({ checkpointSequence: 50, replayedCommands: 60, restingOrders: 110 });
      expect(never.stateHash()).not.toBe(hash);
      expect((await never.listCheckpoints()).map((c) => c.sequence)).toEqual([50]);
      await never.close();
    });

    it('flush writes nothing new when nothing changed, and close makes pending commands durable', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      expect(await sm.flush()).toMatchObject({ entries: 0, fills: 0 });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
      expect(sm.pendingEntries).toBe(1);
      await sm.close();
      const reopened = await open({ path });
      expect(reopened.getBook(1).bestBid()).toEqual({ price: 10, size: 1, orders: 1 });
      await reopened.close();
    });

    it('reports what each flush wrote and how long the database took to write it', async () => {
      const sm = await open({ path: tempDbPath(), sync: true });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 10, size: 5, timestamp: 1 });
      sm.placeLimitOrder({ trader: 2, asset: 1, side: 'bid', price: 10, size: 2, timestamp: 2 });
      const wrote = await sm.flush();
      expect(wrote).toMatchObject({ sequence: 2, entries: 2, fills: 1 });
      // Timed on the store's worker around RocksDB's synced write: never 0 for a real write.
      expect(wrote.writeMs).toBeGreaterThan(0);
      expect(await sm.flush()).toMatchObject({ sequence: 2, entries: 0, fills: 0, writeMs: 0 });
      await sm.close();
      const inMemory = await open();
      inMemory.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 10, size: 5, timestamp: 1 });
      expect(await inMemory.flush()).toMatchObject({ sequence: 1, entries: 1, writeMs: 0 });
      await inMemory.close();
    });

    it('asks the store\'s worker for each commit\'s write synced as the state machine was opened', async () => {
      const { Store } = await import('../src/state/store.js');
      for (const sync of [true, false]) {
        const sm = await open({ path: tempDbPath(), sync });
        // The requests the store sends its worker, the worker still doing each.
        const call = vi.spyOn(Store.prototype as unknown as { call: (index: boolean, request: Record<string, unknown>) => Promise<unknown> }, 'call');
        try {
          for (let i = 1; i <= 3; i++) {
            sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10 + i, size: 1, timestamp: i });
            await sm.flush();
          }
          const writes = call.mock.calls.filter(([index, request]) => !index && request.op === 'write');
          expect(writes.map(([, request]) => request.sync)).toEqual([sync, sync, sync]);
        } finally {
          call.mockRestore();
          await sm.close();
        }
      }
    });

    it('refuses every call after close with NOT_OPEN', async () => {
      const sm = await open({ path: tempDbPath() });
      await sm.close();
      await sm.close(); // idempotent
      const notOpen = expect.objectContaining({ code: 'NOT_OPEN' });
      expect(() => sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 1, size: 1, timestamp: 1 })).toThrow(notOpen);
      expect(() => sm.stateHash()).toThrow(notOpen);
      expect(() => sm.setHeight(3)).toThrow(notOpen);
      await expect(sm.flush()).rejects.toMatchObject({ code: 'NOT_OPEN' });
      await expect(sm.getOrderFills(1)).rejects.toMatchObject({ code: 'NOT_OPEN' });
    });

    it('journals nothing for a call the engine refuses as malformed', async () => {
      const sm = await open({ path: tempDbPath() });
      expect(() => sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 1.5, size: 1, timestamp: 1 })).toThrow(LobError);
      expect(sm.pendingEntries).toBe(0);
      expect(sm.sequence).toBe(0);
      await sm.close();
    });

    it('journals the request it applied, read once, whatever a getter answers the next time', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      let reads = 0;
      const request = { trader: 1, asset: 1, side: 'bid' as const, size: 2, timestamp: 1, get price() { return reads++ === 0 ? 100 : 200; } };
      expect(sm.placeLimitOrder(request).status).toBe('resting');
      expect(reads).toBe(1);
      const live = sm.stateHash();
      await sm.close();
      const reopened = await open({ path });
      expect(reopened.stateHash()).toBe(live);
      expect(reopened.getBook(1).bestBid()).toMatchObject({ price: 100, size: 2 });
      await reopened.close();
    });

    it('journals each request as its own when a getter places another one meanwhile', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      const inner = { trader: 99, asset: 2, side: 'ask' as const, price: 500, size: 1, timestamp: 2 };
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', size: 2, timestamp: 1, get price() { sm.placeLimitOrder(inner); return 100; } });
      const live = sm.stateHash();
      expect(sm.getBook(1).bestBid()).toMatchObject({ price: 100, size: 2 });
      expect(sm.getBook(2).bestAsk()).toMatchObject({ price: 500, size: 1 });
      await sm.close();
      const reopened = await open({ path });
      expect(reopened.stateHash()).toBe(live);
      await reopened.close();
    });
  });

  describe('batch path', () => {
    it('journals raw batch records and replays them to the same state and fills', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      sm.setHeight(3);
      const batch = new CommandBatch();
      batch.limit(1, 1, 'ask', 100, 5, 10).limit(2, 1, 'ask', 101, 5, 11).limit(3, 1, 'bid', 101, 7, 12).cancel(2, 1, 2);
      const { results, firstFillSeq, height } = sm.submitBatch(batch);
      expect(firstFillSeq).toBe(1);
      expect(height).toBe(3);
      expect(results.fillCount).toBe(2);
      expect(results.status(3)).toBe('ok');
      const hash = sm.stateHash();
      await sm.close();

      const reopened = await open({ path });
      expect(reopened.stateHash()).toBe(hash);
      expect(await reopened.getTraderFills(3)).toEqual([
        { asset: 1, makerOrderId: 1, takerOrderId: 3, makerTrader: 1, takerTrader: 3, takerSide: 'bid', price: 100, size: 5, timestamp: 12, height: 3, fillSeq: 1 },
        { asset: 1, makerOrderId: 2, takerOrderId: 3, makerTrader: 2, takerTrader: 3, takerSide: 'bid', price: 101, size: 2, timestamp: 12, height: 3, fillSeq: 2 },
      ]);
      await reopened.close();
    });

    it('applies and journals nothing from a malformed batch', async () => {
      const sm = await open({ path: tempDbPath() });
      const batch = new CommandBatch().limit(1, 1, 'bid', 10, 1, 1).push(1, 1, 1, 0, 10, -1, 1, 0);
      expect(() => sm.submitBatch(batch)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(sm.pendingEntries).toBe(0);
      expect(sm.nextOrderId).toBe(1);
      await sm.close();
    });
  });

  describe('books', () => {
    it('lists the assets with orders resting or pending, or a trade, and gives the engine snapshot', async () => {
      const sm = await open({ path: tempDbPath() });
      expect(sm.assets()).toEqual([]);
      sm.placeLimitOrder({ trader: 1, asset: 9, side: 'bid', price: 10, size: 1, timestamp: 1 });
      sm.placeLimitOrder({ trader: 1, asset: 2, side: 'ask', price: 12, size: 3, timestamp: 2 });
      sm.placeLimitOrder({ trader: 1, asset: 2, side: 'ask', price: 13, size: 3, timestamp: 3 });
      const taken = sm.placeLimitOrder({ trader: 2, asset: 5, side: 'ask', price: 20, size: 1, timestamp: 4 });
      sm.placeMarketOrder({ trader: 3, asset: 5, side: 'bid', size: 1, timestamp: 5 });
      expect(sm.order(taken.orderId)).toBeUndefined();
      // Asset 5 is empty but has traded: its last trade price is state (stops trigger on it).
      expect(sm.assets()).toEqual([2, 5, 9]);
      sm.placeStopOrder({ trader: 4, asset: 7, side: 'ask', size: 1, stopPrice: 3, timestamp: 6 });
      expect(sm.assets()).toEqual([2, 5, 7, 9]);
      const snapshot = sm.snapshot();
      expect(createHash('sha256').update(snapshot).digest('hex')).toBe(sm.stateHash());
      snapshot.fill(0); // a copy: the machine is unaffected
      expect(sm.assets()).toEqual([2, 5, 7, 9]);
      await sm.close();
      expect(() => sm.assets()).toThrow(expect.objectContaining({ code: 'NOT_OPEN' }));
    });
  });

  describe('height', () => {
    it('tracks the height, refuses to go back, and stamps fills with it across a replay', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      expect(sm.height).toBe(0);
      sm.setHeight(5);
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 10, size: 5, timestamp: 1 });
      sm.setHeight(5);
      expect(() => sm.setHeight(4)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => sm.setHeight(6.5)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      sm.placeLimitOrder({ trader: 2, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 2 });
      sm.setHeight(8);
      sm.placeLimitOrder({ trader: 2, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 3 });
      await sm.close();

      const reopened = await open({ path });
      expect(reopened.height).toBe(8);
      expect((await reopened.getOrderFills(1)).map((f) => [f.fillSeq, f.height])).toEqual([[1, 5], [2, 8]]);
      await reopened.close();
    });
  });

  describe('checkpoints', () => {
    it('deletes the snapshot files of the checkpoints it drops as it takes a new one', async () => {
      const path = tempDbPath();
      const sm = await open({ path, keepCheckpoints: 2 });
      const files = new SnapshotFiles(path);
      const taken: number[] = [];
      for (let i = 1; i <= 3; i++) {
        sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10 + i, size: 1, timestamp: i });
        taken.push((await sm.checkpoint())!.sequence);
      }
      expect(fs.readdirSync(files.directory).sort()).toEqual(taken.slice(1).map((sequence) => nodePath.basename(files.pathOf(sequence))).sort());
      await sm.close();
    });

    it('checkpoints and restores empty books', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      const info = await sm.checkpoint();
      expect(info).toMatchObject({ sequence: 0, height: 0, restingOrders: 0, nextOrderId: 1, stateHash: sm.stateHash() });
      await sm.close();
      const reopened = await open({ path });
      expect(reopened.recovery).toMatchObject({ checkpointSequence: 0, replayedCommands: 0 });
      expect(reopened.stateHash()).toBe(info?.stateHash);
      await reopened.close();
    });

    it('keeps the checkpoint a past book is rebuilt from until the book is done, whatever checkpoint comes meanwhile', async () => {
      const sm = await open({ path: tempDbPath(), keepCheckpoints: 2 });
      const flow = new Flow(11, { opsPerBlock: 40 });
      const books: unknown[] = [];
      for (let block = 1; block <= 3; block++) {
        flow.runBlock(sm);
        books[block] = { bids: sm.getBook(1).depth(5).bids, asks: sm.getBook(1).depth(5).asks };
        if (block < 3) await sm.checkpoint();
      }
      // A checkpoint asked for while the book at height 1 reads its base (the one at height 1):
      // it would drop that base and prune the journal after it, so it waits for the read.
      const places = (sm as unknown as { snapshots: { holding(m: unknown): { read(m: unknown): Promise<unknown> } } }).snapshots;
      const holding = places.holding.bind(places);
      let meanwhile: Promise<unknown> | null = null;
      places.holding = (manifest) => {
        const place = holding(manifest);
        return Object.assign(Object.create(place) as typeof place, {
          read: async (m: unknown) => {
            meanwhile ??= sm.checkpoint();
            // Done before the read only if nothing holds it back.
            await Promise.race([meanwhile, new Promise((resolve) => setTimeout(resolve, 300))]);
            return place.read(m);
          },
        });
      };
      const book = await sm.bookAt(1, 1, 5);
      expect({ bids: book.bids, asks: book.asks }).toEqual(books[1]);
      expect(await meanwhile).toMatchObject({ height: 3 });
      expect((await sm.listCheckpoints()).map((c) => c.height)).toEqual([2, 3]);
      await expect(sm.bookAt(1, 1)).rejects.toMatchObject({ code: 'NOT_RETAINED' });
      await sm.close();
    });

    it('runs several checkpoint cycles, keeps the newest two and prunes the journal they do not need', async () => {
      const path = tempDbPath();
      const sm = await open({ path, keepCheckpoints: 2 });
      const flow = new Flow(7, { opsPerBlock: 20 });
      const sequences: number[] = [];
      for (let cycle = 0; cycle < 4; cycle++) {
        flow.runBlock(sm);
        const info = await sm.checkpoint();
        sequences.push(info!.sequence);
        expect(info!.stateHash).toBe(sm.stateHash());
      }
      flow.runBlock(sm);
      const list = await sm.listCheckpoints();
      expect(list.map((c) => c.sequence)).toEqual(sequences.slice(-2));
      expect(list[1]).toMatchObject({ height: 4, stateHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const hash = sm.stateHash();
      const fills = await allFills(sm, FLOW_TRADERS);
      await sm.close();

      const reopened = await open({ path });
      expect(reopened.stateHash()).toBe(hash);
      expect(await allFills(reopened, FLOW_TRADERS)).toEqual(fills);
      expect(reopened.recovery).toMatchObject({ checkpointSequence: sequences[3], checkpointHeight: 4, replayedRecords: 1 });
      await reopened.close();

      // The journal before the older kept checkpoint is gone; after it, all there.
      const { Store } = await import('../src/state/store.js');
      const { journalKey } = await import('../src/state/keys.js');
      const store = await Store.open(path, { sync: false });
      const journal = await store.keys({ gte: journalKey(0), lt: journalKey(Number.MAX_SAFE_INTEGER) });
      const firsts = journal.map((k) => k.readUInt32BE(5) + k.readUInt32BE(1) * 2 ** 32);
      expect(Math.min(...firsts)).toBe(sequences[2] + 1);
      await store.close();
    });

    it('prunes a journal record of one command that a kept checkpoint ends on', async () => {
      const path = tempDbPath();
      const sm = await open({ path, keepCheckpoints: 2 });
      const sequences: number[] = [];
      for (let cycle = 0; cycle < 4; cycle++) {
        sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10 + cycle, size: 1, timestamp: cycle + 1 });
        await sm.flush();
        sequences.push((await sm.checkpoint())!.sequence);
      }
      expect((await sm.listCheckpoints()).map((c) => c.sequence)).toEqual(sequences.slice(-2));
      await sm.close();

      // Each checkpoint ends on a record of its own, journal/<its sequence>: the older kept one's is
      // gone with those before it, and the newer one's, which the older does not cover, is left.
      const { Store } = await import('../src/state/store.js');
      const { journalKey } = await import('../src/state/keys.js');
      const store = await Store.open(path, { sync: false });
      const journal = await store.keys({ gte: journalKey(0), lt: journalKey(Number.MAX_SAFE_INTEGER) });
      const firsts = journal.map((k) => k.readUInt32BE(5) + k.readUInt32BE(1) * 2 ** 32);
      expect(sequences[3]).toBe(sequences[2] + 1);
      expect(firsts).toEqual([sequences[3]]);
      await store.close();
    });

    it('checkpointIfNeeded checkpoints once the height has moved checkpointInterval past the last one', async () => {
      const path = tempDbPath();
      const sm = await open({ path, checkpointInterval: 10 });
      sm.setHeight(9);
      expect(await sm.checkpointIfNeeded()).toBeUndefined();
      sm.setHeight(10);
      expect(await sm.checkpointIfNeeded()).toMatchObject({ height: 10 });
      sm.setHeight(19);
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
      expect(await sm.checkpointIfNeeded()).toBeUndefined();
      expect(sm.pendingEntries).toBe(0); // it flushed
      sm.setHeight(25);
      expect(await sm.checkpointIfNeeded()).toMatchObject({ height: 25 });
      await sm.close();

      // The interval counts from the newest stored checkpoint after a reopen.
      const reopened = await open({ path, checkpointInterval: 10 });
      reopened.setHeight(34);
      expect(await reopened.checkpointIfNeeded()).toBeUndefined();
      reopened.setHeight(35);
      expect(await reopened.checkpointIfNeeded()).toMatchObject({ height: 35 });
      expect((await reopened.listCheckpoints()).map((c) => c.height)).toEqual([25, 35]);
      await reopened.close();
    });

    it('a checkpointIfNeeded() while one is in flight joins it, rather than taking another inside the interval', async () => {
      const path = tempDbPath();
      const sm = await open({ path, checkpointInterval: 10, keepCheckpoints: 5 });
      sm.setHeight(10);
      const first = sm.checkpointIfNeeded();
      // The first has not landed: its height is the last checkpoint's all the same.
      sm.setHeight(11);
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
      const second = sm.checkpointIfNeeded();
      const third = sm.checkpointIfNeeded();
      expect(await first).toMatchObject({ height: 10 });
      expect(await second).toEqual(await first);
      expect(await third).toEqual(await first);
      expect((await sm.listCheckpoints()).map((c) => c.height)).toEqual([10]);
      await sm.close();
    });

    it('a checkpoint() asked for while one of the same sequence is in flight joins it: one snapshot, not two', async () => {
      const sm = await open({ path: tempDbPath() });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
      const engine = (sm as unknown as { p: { engine: { snapshot(): Uint8Array } } }).p.engine;
      const shadow = (sm as unknown as { shadow: { snapshot(...args: unknown[]): Promise<unknown> } }).shadow;
      const shadowed = vi.spyOn(shadow, 'snapshot');
      const copied = vi.spyOn(engine, 'snapshot');
      try {
        const first = sm.checkpoint();
        const second = sm.checkpoint();
        expect(await second).toMatchObject({ sequence: 1, stateHash: sm.stateHash() });
        expect(shadowed.mock.calls.length + copied.mock.calls.length).toBe(1);
        // Asked for once the first has landed, at the same sequence: answered with it.
        expect(await sm.checkpoint()).toEqual(await first);
        // After a command, a checkpoint of its own.
        sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 11, size: 1, timestamp: 2 });
        expect(await sm.checkpoint()).toMatchObject({ sequence: 2 });
      } finally {
        shadowed.mockRestore();
        copied.mockRestore();
      }
      await sm.close();
    });

    it('recovers from the latest checkpoint and replays only what follows it', async () => {
      const path = tempDbPath();
      const sm = await open({ path, keepCheckpoints: 3 });
      const flow = new Flow(11, { opsPerBlock: 15 });
      for (let i = 0; i < 3; i++) {
        flow.runBlock(sm);
        await sm.checkpoint();
      }
      flow.runBlock(sm);
      const pending = sm.pendingEntries;
      const latest = (await sm.listCheckpoints()).at(-1)!;
      const report = await sm.recover();
      expect(report).toMatchObject({ checkpointSequence: latest.sequence, replayedCommands: pending - 1, sequence: latest.sequence + pending });
      expect(report.durationMs).toBeGreaterThanOrEqual(0);
      // Idempotent: the same state again.
      const hash = sm.stateHash();
      const again = await sm.recover();
      expect(again).toMatchObject({ checkpointSequence: report.checkpointSequence, sequence: report.sequence, nextOrderId: report.nextOrderId });
      expect(sm.stateHash()).toBe(hash);
      await sm.close();
    });

    it('readies the memory a long replay grows into, and reaches the same state', async () => {
      const path = tempDbPath();
      // No checkpoint at close: the reopen must replay.
      const sm = await open({ path, checkpointOnClose: false });
      const placements = 160_000; // past prefault.ts's 8 MiB at the bytes recovery readies an entry
      const batch = new CommandBatch(placements);
      for (let i = 0; i < placements; i++) batch.limit(1 + (i % 50), 1, i % 2 === 0 ? 'bid' : 'ask', i % 2 === 0 ? 1 + (i % 4_000) : 5_001 + (i % 4_000), 1, i);
      sm.submitBatch(batch);
      await sm.flush();
      const hash = sm.stateHash();
      await sm.close();
      const readied = vi.spyOn(MatchingEngine.prototype, 'prepareForGrowth');
      try {
        const reopened = await open({ path });
        expect(reopened.recovery).toMatchObject({ checkpointSequence: null, replayedCommands: placements });
        expect(readied).toHaveBeenCalledTimes(1);
        expect(readied.mock.calls[0][0]).toBeGreaterThanOrEqual(placements * 48);
        expect(reopened.stateHash()).toBe(hash);
        expect(reopened.recovery!.restingOrders).toBe(placements);
        await reopened.close();
      } finally {
        readied.mockRestore();
      }
    });

    it('keeps matching while a checkpoint is written; later commands land after its sequence', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 10, size: 5, timestamp: 1 });
      const writing = sm.checkpoint();
      const during = sm.placeLimitOrder({ trader: 2, asset: 1, side: 'bid', price: 10, size: 2, timestamp: 2 });
      expect(during.fills).toHaveLength(1);
      const info = await writing;
      expect(info).toMatchObject({ sequence: 1, restingOrders: 1 });
      const hash = sm.stateHash();
      await sm.close();
      const reopened = await open({ path });
      expect(reopened.recovery).toMatchObject({ checkpointSequence: 1, replayedCommands: 1 });
      expect(reopened.stateHash()).toBe(hash);
      await reopened.close();
    });
  });

  describe('fill history', () => {
    async function withFills(options: StateMachineOptions) {
      const sm = await open(options);
      // Trader 1 rests asks at heights 1..3; traders 2 and 3 take them.
      for (let h = 1; h <= 3; h++) {
        sm.setHeight(h);
        sm.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 100 + h, size: 10, timestamp: h * 10 });
        sm.placeMarketOrder({ trader: 2, asset: 1, side: 'bid', size: 4, timestamp: h * 10 + 1 });
        sm.placeMarketOrder({ trader: 3, asset: 1, side: 'bid', size: 3, timestamp: h * 10 + 2 });
      }
      return sm;
    }

    for (const mode of ['persistent', 'in memory'] as const) {
      it(`answers per-order and per-trader queries with pagination and height ranges (${mode})`, async () => {
        const sm = await withFills(mode === 'persistent' ? { path: tempDbPath() } : {});
        // Order 1 (the first ask) fills 4 + 3 at height 1, then its last 3 at height 2.
        expect((await sm.getOrderFills(1)).map((f) => [f.fillSeq, f.takerTrader, f.size, f.height])).toEqual([
          [1, 2, 4, 1], [2, 3, 3, 1], [3, 2, 3, 2],
        ]);
        expect(await sm.getFillCount(1)).toBe(3);
        expect(await sm.getFillCount(2)).toBe(1); // a taker's own fill
        expect(await sm.getFillCount(999)).toBe(0);
        expect((await sm.getOrderFills(1, { after: 1, limit: 1 })).map((f) => f.fillSeq)).toEqual([2]);

        const all = await sm.getTraderFills(1);
        expect(all.map((f) => f.fillSeq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        const page1 = await sm.getTraderFills(1, { limit: 3 });
        const page2 = await sm.getTraderFills(1, { after: page1.at(-1)!.fillSeq, limit: 3 });
        const page3 = await sm.getTraderFills(1, { after: page2.at(-1)!.fillSeq, limit: 3 });
        expect([...page1, ...page2, ...page3]).toEqual(all);
        // Newest first, a cursor pages on to older fills.
        const newest1 = await sm.getTraderFills(1, { newestFirst: true, limit: 3 });
        const newest2 = await sm.getTraderFills(1, { newestFirst: true, after: newest1.at(-1)!.fillSeq, limit: 3 });
        const newest3 = await sm.getTraderFills(1, { newestFirst: true, after: newest2.at(-1)!.fillSeq, limit: 3 });
        expect([...newest1, ...newest2, ...newest3]).toEqual([...all].reverse());
        expect((await sm.getTraderFills(3, { newestFirst: true, fromHeight: 2 })).map((f) => [f.fillSeq, f.height])).toEqual([[8, 3], [7, 3], [5, 2]]);
        expect((await sm.getTraderFills(1, { newestFirst: true, toHeight: 2, limit: 2 })).map((f) => f.fillSeq)).toEqual([5, 4]);
        expect((await sm.getTraderFills(2, { newestFirst: true, fromHeight: 2, after: 6 })).map((f) => f.fillSeq)).toEqual([4, 3]);
        expect((await sm.getTraderFills(2, { newestFirst: true, after: 10_000, limit: 1 })).map((f) => f.fillSeq)).toEqual([6]);
        await expect(sm.getTraderFills(2, { newestFirst: 1 as never })).rejects.toThrow('newestFirst must be a boolean, got 1');
        await expect(sm.getTraderFills(2, 'newest' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect((await sm.getTraderFills(1, { fromHeight: 2, toHeight: 2 })).map((f) => f.height)).toEqual([2, 2, 2]);
        expect((await sm.getTraderFills(3, { fromHeight: 2 })).map((f) => [f.fillSeq, f.height])).toEqual([[5, 2], [7, 3], [8, 3]]);
        expect((await sm.getTraderFills(2, { fromHeight: 2, after: 3, limit: 5 })).map((f) => f.fillSeq)).toEqual([4, 6]);
        expect(await sm.getTraderFills(2, { fromHeight: 4 })).toEqual([]);
        expect(await sm.getTraderFills(2, { fromHeight: 3, toHeight: 2 })).toEqual([]);
        await expect(sm.getTraderFills(2, { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(sm.getOrderFills(-1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await sm.close();
      });
    }

    for (const mode of ['persistent', 'in memory'] as const) {
      it(`gives every fill of a trader with one fill in each of 40 flushes, oldest and newest first (${mode})`, async () => {
        const sm = await open(mode === 'persistent' ? { path: tempDbPath() } : {});
        // More flushes than the first page of trader-touch keys (16) and than the second (32).
        for (let i = 1; i <= 40; i++) {
          sm.setHeight(i);
          sm.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 100, size: 1, timestamp: i });
          sm.placeMarketOrder({ trader: 2, asset: 1, side: 'bid', size: 1, timestamp: i });
          await sm.flush();
        }
        const heights = Array.from({ length: 40 }, (_, i) => i + 1);
        expect((await sm.getTraderFills(1)).map((f) => [f.fillSeq, f.height])).toEqual(heights.map((h) => [h, h]));
        expect((await sm.getTraderFills(1, { newestFirst: true, limit: 40 })).map((f) => f.fillSeq)).toEqual([...heights].reverse());
        await sm.close();
      });

      it(`gives exactly the fills of a one-height range when each height is its own flush (${mode})`, async () => {
        const sm = await open(mode === 'persistent' ? { path: tempDbPath() } : {});
        // A block is keyed by the height it starts at; the height is set in a flush of its own, so
        // each fill's block starts at the fill's height.
        for (let h = 1; h <= 3; h++) {
          sm.setHeight(h);
          await sm.flush();
          sm.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 100, size: 1, timestamp: h });
          sm.placeMarketOrder({ trader: 2, asset: 1, side: 'bid', size: 1, timestamp: h });
          await sm.flush();
        }
        expect((await sm.getTraderFills(1, { fromHeight: 2, toHeight: 2 })).map((f) => [f.fillSeq, f.height])).toEqual([[2, 2]]);
        expect((await sm.getTraderFills(1, { fromHeight: 2, toHeight: 2, newestFirst: true })).map((f) => [f.fillSeq, f.height])).toEqual([[2, 2]]);
        expect((await sm.getTraderFills(1, { fromHeight: 1, toHeight: 2 })).map((f) => f.height)).toEqual([1, 2]);
        await sm.close();
      });
    }

    it('pages the same persisted as in memory across fill blocks, flushes and heights inside a flush', async () => {
      const path = tempDbPath();
      const machines = [await open({ path }), await open({})];
      // Per flush: trader 1 rests 150 one-lot asks; sweeps by traders 2 and 3 take 140 of them at two
      // heights, so one flush spans two fill blocks and two heights.
      let height = 0;
      for (let flush = 0; flush < 3; flush++) {
        for (const sm of machines) {
          for (let i = 0; i < 150; i++) sm.placeLimitOrder({ trader: 1, asset: 1 + (i % 2), side: 'ask', price: 100 + (i % 7), size: 1, timestamp: i });
          sm.setHeight(height + 1);
          for (const asset of [1, 2]) sm.placeMarketOrder({ trader: 2, asset, side: 'bid', size: 40, timestamp: 1_000 });
          sm.setHeight(height + 2);
          for (const asset of [1, 2]) sm.placeMarketOrder({ trader: 3, asset, side: 'bid', size: 30, timestamp: 2_000 });
          sm.placeMarketOrder({ trader: 1, asset: 1, side: 'bid', size: 1, timestamp: 3_000 }); // a self-trade
        }
        height += 2;
        expect((await machines[0].flush()).fills).toBe(141);
      }
      const [persisted, memory] = machines;
      expect(persisted.nextFillSeq).toBe(memory.nextFillSeq);

      /** Every page of a query, cursor after cursor. */
      async function pages(query: (after: number) => Promise<RecordedFill[]>, limit: number): Promise<RecordedFill[][]> {
        const out: RecordedFill[][] = [];
        let after = 0;
        for (;;) {
          const page = await query(after);
          out.push(page);
          if (page.length < limit) return out;
          after = page[page.length - 1].fillSeq;
        }
      }
      const takers = [151, 152, 153, 154, 155, 306, 308, 310, 461, 465];
      const makers = [1, 2, 100, 150, 156, 305, 311];
      // Every walk at once, each page after the one before it: the persisted machine's pages are
      // read by its store's worker thread, which serves the walks' requests back to back instead
      // of a round trip each.
      const both = (walk: (sm: CoreStateMachine) => Promise<RecordedFill[][]>) => Promise.all(machines.map(walk));
      const heightRanges = [[undefined, undefined], [2, 2], [2, 5], [4, undefined], [0, 1], [7, 9]] as const;
      await Promise.all([1, 7, 64, 1000].map(async (limit) => {
        const orderIds = [...takers, ...makers, 999_999];
        const byOrder = await Promise.all(orderIds.map((orderId) => both((sm) => pages((after) => sm.getOrderFills(orderId, { after, limit }), limit))));
        orderIds.forEach((orderId, i) => expect(byOrder[i][0], `order ${orderId} limit ${limit}`).toEqual(byOrder[i][1]));
        await Promise.all([1, 2, 3, 4].map(async (trader) => {
          const byRange = await Promise.all(heightRanges.map(([fromHeight, toHeight]) => Promise.all([
            both((sm) => pages((after) => sm.getTraderFills(trader, { after, limit, fromHeight, toHeight }), limit)),
            both((sm) => pages((after) => sm.getTraderFills(trader, { after, limit, fromHeight, toHeight, newestFirst: true }), limit)),
          ])));
          heightRanges.forEach(([fromHeight, toHeight], r) => {
            const [[a, b], [c, d]] = byRange[r];
            expect(a, `trader ${trader} heights ${fromHeight}..${toHeight} limit ${limit}`).toEqual(b);
            expect(c.flat(), `trader ${trader} heights ${fromHeight}..${toHeight} limit ${limit}, newest first`).toEqual(a.flat().reverse());
            expect(d.flat()).toEqual(a.flat().reverse());
          });
        }));
      }));
      for (const orderId of [...takers, ...makers]) expect(await persisted.getFillCount(orderId)).toBe(await memory.getFillCount(orderId));
      expect(await persisted.getFillCount(153)).toBe(30);
      expect((await persisted.getTraderFills(1)).length).toBe(423);
      // A cursor in the middle of a flush, and one inside a height run that the range starts after.
      expect(await persisted.getTraderFills(3, { after: 200, fromHeight: 4, limit: 5 })).toEqual(await memory.getTraderFills(3, { after: 200, fromHeight: 4, limit: 5 }));
      expect(await persisted.getTraderFills(2, { after: 10_000 })).toEqual([]);
      for (const sm of machines) await sm.close();
    });

    it('gives the same hashes and fills in memory and persisted, block after block', async () => {
      const path = tempDbPath();
      const persisted = await open({ path });
      const memory = await open({});
      const makeBatch = () => new CommandBatch();
      const a = new Flow(42, { makeBatch });
      const b = new Flow(42, { makeBatch });
      for (let block = 0; block < 12; block++) {
        a.runBlock(persisted);
        b.runBlock(memory);
        if (block % 4 === 3) await persisted.checkpointIfNeeded();
        await persisted.flush();
        expect(persisted.stateHash()).toBe(memory.stateHash());
      }
      expect(await allFills(persisted, FLOW_TRADERS)).toEqual(await allFills(memory, FLOW_TRADERS));
      expect(persisted.nextFillSeq).toBe(memory.nextFillSeq);
      await persisted.close();
      const reopened = await open({ path });
      expect(reopened.stateHash()).toBe(memory.stateHash());
      expect(await allFills(reopened, FLOW_TRADERS)).toEqual(await allFills(memory, FLOW_TRADERS));
      await reopened.close();
      await memory.close();
    });
  });

  describe('group commit', () => {
    it('flushes on its own after N operations', async () => {
      const path = tempDbPath();
      const sm = await open({ path, autoFlush: { operations: 3 } });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 11, size: 1, timestamp: 2 });
      expect(sm.pendingEntries).toBe(2);
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 12, size: 1, timestamp: 3 });
      expect(sm.pendingEntries).toBe(0); // written inside the third call
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 13, size: 1, timestamp: 4 });
      expect(sm.pendingEntries).toBe(1);
      await sm.close();
    });

    it('flushes on its own T milliseconds after the first pending command', async () => {
      const sm = await open({ path: tempDbPath(), autoFlush: { milliseconds: 5 } });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
      expect(sm.pendingEntries).toBe(1);
      await expect.poll(() => sm.pendingEntries, { timeout: 5_000, interval: 5 }).toBe(0);
      await sm.close();
    });
  });

  describe('failed flush', () => {
    it('rejects with a LobError, keeps its records pending, and a later flush writes them', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 10, size: 5, timestamp: 1 });
      await sm.flush();
      sm.placeLimitOrder({ trader: 2, asset: 1, side: 'bid', price: 10, size: 2, timestamp: 2 });
      sm.setHeight(4);

      // Pull the database out from under the state machine.
      const underlying = (sm as unknown as { store: { underlying: { close(): Promise<void>; open(): Promise<void> } } }).store.underlying;
      await underlying.close();
      await expect(sm.flush()).rejects.toMatchObject({ name: 'LobError', code: 'NOT_OPEN', message: expect.stringContaining('not open') });
      expect(sm.pendingEntries).toBe(2);
      // Commands keep coming while the disk is away; they queue behind the failed ones.
      sm.placeLimitOrder({ trader: 3, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 3 });
      await expect(sm.close()).rejects.toMatchObject({ code: 'NOT_OPEN' });
      expect(sm.pendingEntries).toBe(3);

      await underlying.open();
      const hash = sm.stateHash();
      const fills = await sm.getOrderFills(1); // flushes first
      expect(fills.map((f) => [f.fillSeq, f.height])).toEqual([[1, 0], [2, 4]]);
      expect(sm.pendingEntries).toBe(0);
      await sm.close();

      const reopened = await open({ path });
      expect(reopened.stateHash()).toBe(hash);
      expect(reopened.height).toBe(4);
      expect(await reopened.getOrderFills(1)).toEqual(fills);
      await reopened.close();
    });

    it('keeps the commit a checkpoint sealed while the failing write was in flight, behind the failed one', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 1 });
      await sm.flush();
      const underlying = (sm as unknown as { store: { underlying: { close(): Promise<void>; open(): Promise<void> } } }).store.underlying;
      await underlying.close();
      sm.placeLimitOrder({ trader: 2, asset: 1, side: 'bid', price: 101, size: 1, timestamp: 2 });
      const failed = sm.flush(); // in flight, and failing
      const sealed = sm.placeLimitOrder({ trader: 3, asset: 1, side: 'bid', price: 102, size: 1, timestamp: 3 });
      const checkpoint = sm.checkpoint(); // seals the third command into a commit of its own
      const failedCheck = expect(failed).rejects.toMatchObject({ code: 'NOT_OPEN' });
      // Back before the retry: the store's worker takes the open after the failing write, and the
      // retry only once that write's failure is back.
      await underlying.open();
      await failedCheck;
      expect(await checkpoint).toMatchObject({ sequence: 3 });
      expect(sm.pendingEntries).toBe(0);
      expect(await sm.getOrder(sealed.orderId)).toMatchObject({ orderId: 3, status: 'resting' });
      const hash = sm.stateHash();
      await sm.close();

      const reopened = await open({ path });
      expect(reopened.stateHash()).toBe(hash);
      expect(reopened.sequence).toBe(3);
      expect(await reopened.getOrder(3)).toMatchObject({ orderId: 3, status: 'resting' });
      await reopened.close();
    });
  });

  describe('failed index writes', () => {
    /** A caught-up database whose index database then goes away, and three commands past a maxIndexLag of 2. */
    async function behindFailingIndexes() {
      const path = tempDbPath();
      const sm = await open({ path, maxIndexLag: 2, indexGatherMs: 0 });
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 10, size: 5, timestamp: 1 });
      await sm.flush();
      await (sm as unknown as { p: { indexer: { idle(): Promise<void> } } }).p.indexer.idle();
      const indexes = (sm as unknown as { store: { underlyingIndexes: { close(): Promise<void>; open(): Promise<void> } } }).store.underlyingIndexes;
      await indexes.close();
      for (let t = 2; t <= 4; t++) sm.placeLimitOrder({ trader: 2, asset: 1, side: 'bid', price: 10, size: 1, timestamp: t });
      return { path, sm, indexes };
    }

    /** Closes, reopens, and finds the state and the trader's three orders. */
    async function expectKeptAcrossReopen(path: string, sm: CoreStateMachine): Promise<void> {
      const hash = sm.stateHash();
      await sm.close();
      const reopened = await open({ path });
      expect(reopened.stateHash()).toBe(hash);
      expect(await reopened.getTraderOrders(2)).toHaveLength(3);
      await reopened.close();
    }

    it('hold a flush back past maxIndexLag with a clear error, and each flush tries them again', async () => {
      const { path, sm, indexes } = await behindFailingIndexes();
      await expect(sm.flush()).rejects.toMatchObject({
        code: 'NOT_OPEN',
        message: expect.stringMatching(/^the commits are durable, but the indexes are 3 entries behind \(maxIndexLag 2\) and cannot be written: writing \d+ index operations in .* failed: the database is not open$/),
      });
      expect(sm.pendingEntries).toBe(0);
      await expect(sm.flush()).rejects.toMatchObject({ code: 'NOT_OPEN' });
      await indexes.open();
      await sm.flush();
      expect(await sm.getTraderOrders(2)).toHaveLength(3);
      await expectKeptAcrossReopen(path, sm);
    });

    it('hold up neither a recovery nor a close: the commits are what must be durable, and a reopen derives the indexes', async () => {
      const { path, sm } = await behindFailingIndexes();
      await expect(sm.flush()).rejects.toMatchObject({ code: 'NOT_OPEN' });
      expect(await sm.recover()).toMatchObject({ sequence: 4 });
      await expectKeptAcrossReopen(path, sm);
    });
  });

  describe('close and recover under way', () => {
    const bid = (timestamp: number) => ({ trader: 1, asset: 1, side: 'bid' as const, price: 100, size: 1, timestamp });

    it('close() refuses commands and checkpoints from the call on, and a second close() joins the first', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      sm.placeLimitOrder(bid(1));
      const closing = sm.close();
      expect(() => sm.placeLimitOrder(bid(2))).toThrowError(expect.objectContaining({ code: 'NOT_OPEN', message: expect.stringMatching(/closing/) }));
      await expect(sm.checkpoint()).rejects.toMatchObject({ code: 'NOT_OPEN', message: expect.stringMatching(/closing; checkpoint is refused/) });
      expect(sm.close()).toBe(closing);
      await closing;
      const reopened = await open({ path });
      expect(reopened.nextOrderId).toBe(2); // every id it answered with is there, and no other
      await reopened.close();
    });

    it('a checkpointIfNeeded() called before close() is taken, not refused as if it came after', async () => {
      const path = tempDbPath();
      const sm = await open({ path, checkpointInterval: 1 });
      sm.setHeight(1);
      sm.placeLimitOrder(bid(1));
      const checkpointing = sm.checkpointIfNeeded();
      await sm.close();
      expect(await checkpointing).toMatchObject({ height: 1 });
      const reopened = await open({ path });
      expect((await reopened.listCheckpoints()).map((c) => c.height)).toEqual([1]);
      await reopened.close();
    });

    it('close() lets the history reads under way finish, on disk as in memory', async () => {
      for (const path of [tempDbPath(), undefined]) {
        const sm = await open({ path });
        for (let t = 1; t <= 300; t++) sm.placeLimitOrder({ ...bid(t), trader: t % 3, price: 100 - (t % 50) });
        const reads = [sm.getTraderOrders(1, { limit: 100 }), sm.getOrder(7), sm.getOrderEvents(8), sm.getTraderFills(2), sm.getOrderFills(9), sm.getFillCount(3)];
        await sm.close();
        const settled = await Promise.allSettled(reads);
        expect(settled.map((r) => r.status), path ?? 'in memory').toEqual(reads.map(() => 'fulfilled'));
        expect((await reads[0] as unknown[]).length).toBe(100);
        expect(await reads[1]).toMatchObject({ orderId: 7, status: 'resting' });
      }
    });

    it('recover() refuses commands, checkpoints and another recovery until it resolves, and close() waits for it', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      sm.placeLimitOrder(bid(1));
      const recovering = sm.recover();
      expect(() => sm.placeLimitOrder(bid(2))).toThrowError(expect.objectContaining({ code: 'NOT_OPEN', message: expect.stringMatching(/recovering/) }));
      await expect(sm.checkpoint()).rejects.toMatchObject({ code: 'NOT_OPEN', message: expect.stringMatching(/recovering; checkpoint is refused/) });
      await expect(sm.recover()).rejects.toMatchObject({ code: 'NOT_OPEN' });
      const closing = sm.close();
      expect(await recovering).toMatchObject({ nextOrderId: 2, sequence: 1 });
      // The close was asked for first: refused from then on, not open again in between.
      expect(() => sm.placeLimitOrder(bid(3))).toThrowError(expect.objectContaining({ code: 'NOT_OPEN', message: expect.stringMatching(/closing/) }));
      await expect(sm.recover()).rejects.toMatchObject({ code: 'NOT_OPEN' });
      await closing;
      const reopened = await open({ path });
      expect(reopened.nextOrderId).toBe(2);
      expect(await reopened.listCheckpoints()).toEqual([]);
      await reopened.close();
    });

    it('a close whose flush fails stays open, takes commands again and closes later', async () => {
      const path = tempDbPath();
      const sm = await open({ path });
      const underlying = (sm as unknown as { store: { underlying: { close(): Promise<void>; open(): Promise<void> } } }).store.underlying;
      await underlying.close();
      sm.placeLimitOrder(bid(1));
      await expect(sm.close()).rejects.toMatchObject({ code: 'NOT_OPEN' });
      sm.placeLimitOrder(bid(2));
      await underlying.open();
      await sm.close();
      const reopened = await open({ path });
      expect(reopened.nextOrderId).toBe(3);
      await reopened.close();
    });
  });
});

describe('CoreStateMachine options', () => {
  it('refuses malformed options with INVALID_ARGUMENT naming the field', async () => {
    await expect(CoreStateMachine.open({ checkpointInterval: 0 })).rejects.toThrow(/checkpointInterval/);
    await expect(CoreStateMachine.open({ keepCheckpoints: 1.5 })).rejects.toThrow(/keepCheckpoints/);
    await expect(CoreStateMachine.open({ checkpointOnClose: true as never })).rejects.toThrow('checkpointOnClose must be false or a positive safe integer, got true');
    await expect(CoreStateMachine.open({ checkpointOnClose: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(CoreStateMachine.open({ sync: null as never })).rejects.toThrow('sync must be a boolean, got null');
    await expect(CoreStateMachine.open({ backend: null as never })).rejects.toThrow('backend must be one of wasm, js, got null');
    await expect(CoreStateMachine.open({ checkpointInterval: null as never })).rejects.toThrow('checkpointInterval must be a positive safe integer, got null');
    await expect(CoreStateMachine.open({ path: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(CoreStateMachine.open({ autoFlush: { operations: -1 } })).rejects.toThrow(/autoFlush.operations/);
  });

  it('runs in memory without a path, persisting nothing and storing no checkpoints', async () => {
    const sm = await CoreStateMachine.open({ backend: 'js' });
    expect(sm.persistent).toBe(false);
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    expect(await sm.checkpoint()).toBeUndefined();
    expect(await sm.listCheckpoints()).toEqual([]);
    expect(await sm.recover()).toMatchObject({ checkpointSequence: null, nextOrderId: 2 });
    await sm.close();
  });

  it('in memory, lets the event loop turn in every flush, so what waits behind a loop of flushes runs during it', async () => {
    const sm = await CoreStateMachine.open({ backend: 'js' });
    const immediates: number[] = [];
    for (let i = 1; i <= 50; i++) {
      setImmediate(() => immediates.push(i));
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10 + i, size: 1, timestamp: i });
      await sm.flush();
      // The callback queued before this flush has run by the time it resolves.
      expect(immediates.length).toBe(i);
    }
    expect((await sm.getTraderOrders(1)).map((order) => order.price)).toEqual(Array.from({ length: 50 }, (_, i) => 11 + i));
    await sm.close();
  });
});
