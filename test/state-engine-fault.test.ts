// A trap inside the engine must never leave a half-changed book serving: the state machine's
// engine refuses further calls, and recover() rebuilds it from storage with every command that
// was journaled before the fault, and nothing of the faulted one.
import { describe, expect, it } from 'vitest';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { describeEachBackend } from './helpers/backends.js';
import { tempDbPath } from './fixtures/state-helpers.js';

/**
 * After a failure for good the engine holds what no commit will carry (a reopen comes back
 * without it): every read of the book is refused, as the commands and queries are.
 */
function expectBookReadsRefused(sm: CoreStateMachine, failed: object): void {
  const reads: Array<[string, () => unknown]> = [
    ['stateHash', () => sm.stateHash()], ['nextOrderId', () => sm.nextOrderId], ['bestBid', () => sm.bestBid(0)],
    ['bestAsk', () => sm.bestAsk(0)], ['depth', () => sm.depth(0)], ['orders', () => sm.orders(0)], ['order', () => sm.order(1)],
    ['snapshot', () => sm.snapshot()], ['events', () => sm.events], ['assets', () => sm.assets()], ['getBook', () => sm.getBook(0)],
    ['bookSnapshot', () => sm.bookSnapshot(0)], ['subscribe', () => sm.subscribe()],
  ];
  for (const [name, read] of reads) expect(read, name).toThrowError(expect.objectContaining(failed));
}

/** Makes the state machine's engine trap on its next placeLimit, as a WASM `unreachable` would. */
function trapNextLimit(sm: CoreStateMachine): void {
  const engine = (sm as unknown as { p: { engine: { core: { placeLimit: () => void } } } }).p.engine;
  engine.core.placeLimit = () => {
    throw new WebAssembly.RuntimeError('unreachable');
  };
}

const bid = (price: number, timestamp: number) => ({ trader: 1, asset: 3, side: 'bid' as const, price, size: 5, timestamp });
const ask = (price: number, timestamp: number) => ({ trader: 2, asset: 3, side: 'ask' as const, price, size: 2, timestamp });

describeEachBackend('state machine after an engine fault', (backend) => {
  it('refuses commands, then recover() restores every journaled command and nothing of the faulted one', async () => {
    const sm = await CoreStateMachine.open({ backend, path: tempDbPath('fault') });
    const reference = await CoreStateMachine.open({ backend });
    try {
      for (const target of [sm, reference]) {
        target.placeLimitOrder(bid(100, 1));
        target.placeLimitOrder(ask(100, 2)); // fills 2 of the bid
      }
      await sm.flush();
      for (const target of [sm, reference]) target.placeLimitOrder(bid(99, 3)); // journaled, not flushed

      trapNextLimit(sm);
      expect(() => sm.placeLimitOrder(bid(98, 4))).toThrowError(expect.objectContaining({ code: 'ENGINE_FAILED' }));
      expect(() => sm.placeLimitOrder(bid(97, 5))).toThrowError(/refuses further calls/);

      const report = await sm.recover();
      expect(report.nextOrderId).toBe(4);
      expect(sm.stateHash()).toBe(reference.stateHash());
      expect(await sm.getOrderFills(1)).toEqual(await reference.getOrderFills(1));

      // And it trades on: the same id and the same book as the reference.
      const next = sm.placeLimitOrder(bid(98, 6));
      expect(next).toEqual(reference.placeLimitOrder(bid(98, 6)));
      expect(sm.stateHash()).toBe(reference.stateHash());
    } finally {
      await sm.close();
      await reference.close();
    }
  });
});

describe('in-memory state machine after an engine fault', () => {
  it('keeps refusing: with nothing stored there is nothing to recover from', async () => {
    const sm = await CoreStateMachine.open({ backend: 'js' });
    sm.placeLimitOrder(bid(100, 1));
    trapNextLimit(sm);
    expect(() => sm.placeLimitOrder(bid(99, 2))).toThrowError(expect.objectContaining({ code: 'ENGINE_FAILED' }));
    await sm.recover();
    expect(() => sm.placeLimitOrder(bid(99, 3))).toThrowError(/refuses further calls/);
    await sm.close();
  });
});

/** Makes the feed, a follower of the commits, throw on the next durable commit (a bug in it would). */
function breakFeedOnce(sm: CoreStateMachine): void {
  const feed = (sm as unknown as { feed: { committed: (commit: unknown) => void } }).feed;
  const committed = feed.committed.bind(feed);
  feed.committed = () => {
    feed.committed = committed;
    throw new Error('feed bug');
  };
}

describeEachBackend('state machine after a follower of the commits fails', (backend) => {
  it('writes and answers nothing more, closes, and reopens with the commit it could not follow', async () => {
    const path = tempDbPath('follower');
    const sm = await CoreStateMachine.open({ backend, path });
    const reference = await CoreStateMachine.open({ backend });
    try {
      for (const target of [sm, reference]) {
        target.placeLimitOrder(bid(100, 1));
        target.placeLimitOrder(ask(100, 2));
      }
      await sm.flush();
      breakFeedOnce(sm);
      for (const target of [sm, reference]) target.placeLimitOrder(ask(99, 3)); // fills 2 more of the bid
      const failed = { code: 'ENGINE_FAILED', message: expect.stringMatching(/^following the durable commit of sequences 3\.\.3 in FeedPublisher failed \(feed bug\)/) };
      await expect(sm.flush()).rejects.toMatchObject(failed);
      // For good: flushes, queries and commands are refused, and close() still closes.
      await expect(sm.flush()).rejects.toMatchObject(failed);
      await expect(sm.getOrder(1)).rejects.toMatchObject(failed);
      expect(() => sm.placeLimitOrder(bid(98, 4))).toThrowError(expect.objectContaining(failed));
      expectBookReadsRefused(sm, failed);
      await sm.close();

      const reopened = await CoreStateMachine.open({ backend, path });
      try {
        expect(reopened.stateHash()).toBe(reference.stateHash());
        for (const orderId of [1, 2, 3]) {
          expect(await reopened.getOrder(orderId)).toEqual(await reference.getOrder(orderId));
          expect(await reopened.getOrderEvents(orderId)).toEqual(await reference.getOrderEvents(orderId));
        }
        expect(await reopened.getOrderFills(1)).toEqual(await reference.getOrderFills(1));
        expect(await reopened.getTraderFills(1)).toEqual(await reference.getTraderFills(1));
      } finally {
        await reopened.close();
      }
    } finally {
      await sm.close();
      await reference.close();
    }
  });
});

describeEachBackend('state machine after a follower fails on work it put off', (backend) => {
  it('answers the write in flight, refuses from then on, and reopens with every commit', async () => {
    const path = tempDbPath('follower-posted');
    const sm = await CoreStateMachine.open({ backend, path });
    const reference = await CoreStateMachine.open({ backend });
    try {
      for (const target of [sm, reference]) target.placeLimitOrder(bid(100, 1));
      expect(await sm.getTraderOrders(1, { status: 'open' })).toHaveLength(1);
      // The open-order set applies a commit once the next write is posted: a bug there shows then.
      const open = (sm as unknown as { p: { openOrders: { writePosted: () => void } } }).p.openOrders;
      for (const target of [sm, reference]) target.placeLimitOrder(bid(99, 2));
      await sm.flush();
      open.writePosted = () => {
        throw new Error('set bug');
      };
      for (const target of [sm, reference]) target.placeLimitOrder(ask(99, 3));
      // The write was posted before the set failed: it lands, and its flush is durable.
      await sm.flush();
      const failed = { code: 'ENGINE_FAILED', message: expect.stringMatching(/^following the commits before sequence 3 in OpenOrders failed \(set bug\)/) };
      await expect(sm.flush()).rejects.toMatchObject(failed);
      await expect(sm.getTraderOrders(1, { status: 'open' })).rejects.toMatchObject(failed);
      expect(() => sm.placeLimitOrder(bid(98, 4))).toThrowError(expect.objectContaining(failed));
      await sm.close();

      const reopened = await CoreStateMachine.open({ backend, path });
      try {
        expect(reopened.stateHash()).toBe(reference.stateHash());
        expect(await reopened.getTraderOrders(1, { status: 'open' })).toEqual(await reference.getTraderOrders(1, { status: 'open' }));
      } finally {
        await reopened.close();
      }
    } finally {
      await sm.close();
      await reference.close();
    }
  });
});

describeEachBackend('state machine after a commit could not be cut', (backend) => {
  it('fails for good, keeps what was durable, and reopens without the commands it could not cut', async () => {
    const path = tempDbPath('cut');
    const sm = await CoreStateMachine.open({ backend, path });
    const reference = await CoreStateMachine.open({ backend });
    try {
      for (const target of [sm, reference]) target.placeLimitOrder(bid(100, 1));
      await sm.flush();
      const builder = (sm as unknown as { p: { builder: { cut: () => unknown } } }).p.builder;
      builder.cut = () => {
        throw new Error('cut bug');
      };
      // A subscriber waiting for the next message is told, rather than left waiting for good.
      const waiting = sm.subscribe()[Symbol.asyncIterator]().next();
      sm.placeLimitOrder(bid(99, 2));
      const failed = { code: 'ENGINE_FAILED', message: expect.stringMatching(/^cutting and packing the next commit failed \(cut bug\)/) };
      await expect(sm.flush()).rejects.toMatchObject(failed);
      await expect(waiting).rejects.toMatchObject(failed);
      await expect(sm.checkpoint()).rejects.toMatchObject(failed);
      await expect(sm.flush()).rejects.toMatchObject(failed);
      expect(() => sm.placeLimitOrder(bid(98, 3))).toThrowError(expect.objectContaining(failed));
      await sm.close();

      const reopened = await CoreStateMachine.open({ backend, path });
      expect(reopened.stateHash()).toBe(reference.stateHash());
      expect(await reopened.getOrder(1)).toEqual(await reference.getOrder(1));
      await reopened.close();
    } finally {
      await sm.close();
      await reference.close();
    }
  });
});

describe('in-memory state machine after a follower of the commits fails', () => {
  it('refuses from then on and closes, without an unhandled rejection from its own commits', async () => {
    const sm = await CoreStateMachine.open({ backend: 'js' });
    breakFeedOnce(sm);
    sm.placeLimitOrder(bid(100, 1)); // committed at the end of this turn, by the state machine itself
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => sm.placeLimitOrder(bid(99, 2))).toThrowError(expect.objectContaining({ code: 'ENGINE_FAILED' }));
    await expect(sm.flush()).rejects.toMatchObject({ code: 'ENGINE_FAILED' });
    // As on disk: in memory a checkpoint keeps nothing, but a failed machine refuses it all the same.
    await expect(sm.checkpoint()).rejects.toMatchObject({ code: 'ENGINE_FAILED' });
    await sm.close();
  });
});

describe('state machine over a WASM core that runs out of memory', () => {
  it('fails for good instead of journaling the refusal, and reopens (with more memory) at the last flush', async () => {
    // Whether the core has memory for a command depends on how fragmented its heap is, which a
    // restore does not rebuild: journaled, such a refusal could be accepted by the replay, and the
    // database would no longer open (CORRUPTION: the replay misses the stored head).
    const path = tempDbPath('out-of-memory');
    const maxMemoryBytes = 1 << 20;
    const sm = await CoreStateMachine.open({ backend: 'wasm', path, maxMemoryBytes, checkpointInterval: 1e9, sync: false });
    let flushed = { hash: sm.stateHash(), nextOrderId: sm.nextOrderId };
    let failure: unknown = null;
    try {
      // Bids, most cancelled again (a fragmented heap), a checkpoint; then asks over many books until memory runs out.
      let placed = 0;
      for (; placed < 1500; placed++) sm.placeLimitOrder({ trader: 1, asset: 0, side: 'bid', price: 1 + placed, size: 1, timestamp: 0 });
      for (let id = 1; id <= placed; id++) if (id % 10 !== 0) sm.cancelOrder({ trader: 1, asset: 0, orderId: id });
      await sm.flush();
      await sm.checkpoint();
      for (let k = 0; failure === null && k < 200_000; k++) {
        if (k % 64 === 0) {
          await sm.flush();
          flushed = { hash: sm.stateHash(), nextOrderId: sm.nextOrderId };
        }
        try {
          const result = sm.placeLimitOrder({ trader: 2, asset: 1 + (k % 500), side: 'ask', price: 10 + k, size: 1, timestamp: 1 });
          expect(result.status).not.toBe('rejected');
        } catch (error) {
          failure = error;
        }
      }
      const failed = { code: 'ENGINE_FAILED', message: expect.stringMatching(/^the WASM core refused a command for lack of memory \(maxMemoryBytes 1048576\): .*reopen with a larger maxMemoryBytes$/) };
      expect(failure).toMatchObject(failed);
      expect(() => sm.placeLimitOrder({ trader: 3, asset: 0, side: 'ask', price: 5000, size: 1, timestamp: 2 })).toThrowError(expect.objectContaining(failed));
      expect(() => sm.cancelOrder({ trader: 1, asset: 0, orderId: 10 })).toThrowError(expect.objectContaining(failed));
      await expect(sm.flush()).rejects.toMatchObject(failed);
      expectBookReadsRefused(sm, failed);
      await sm.close();

      const reopened = await CoreStateMachine.open({ backend: 'wasm', path, maxMemoryBytes: 4 << 20 });
      expect(reopened.stateHash()).toBe(flushed.hash);
      expect(reopened.nextOrderId).toBe(flushed.nextOrderId);
      reopened.placeLimitOrder({ trader: 3, asset: 0, side: 'ask', price: 5000, size: 1, timestamp: 2 });
      await reopened.close();
    } finally {
      await sm.close();
    }
  });

  it('refuses CAPACITY, not CORRUPTION, to reopen where memory cannot hold the replay of a sound journal', async () => {
    const path = tempDbPath('replay-out-of-memory');
    // No checkpoint at close: the reopen must replay the journal.
    const sm = await CoreStateMachine.open({ backend: 'wasm', path, checkpointInterval: 1e9, checkpointOnClose: false });
    for (let i = 0; i < 40_000; i++) sm.placeLimitOrder({ trader: 1, asset: i % 50, side: 'bid', price: 1 + i, size: 1, timestamp: 0 });
    await sm.close();
    await expect(CoreStateMachine.open({ backend: 'wasm', path, maxMemoryBytes: 1 << 20 })).rejects.toMatchObject({ code: 'CAPACITY', message: expect.stringMatching(/ran out of memory .*reopen with a larger maxMemoryBytes$/) });
    const reopened = await CoreStateMachine.open({ backend: 'wasm', path });
    expect(reopened.nextOrderId).toBe(40_001);
    await reopened.close();
  });

  it('fails the same when the refusal is one command of a batch, which is then not journaled', async () => {
    const { CommandBatch } = await import('../src/batch.js');
    const sm = await CoreStateMachine.open({ backend: 'wasm', maxMemoryBytes: 1 << 20 });
    const batch = new CommandBatch(256);
    let failure: unknown = null;
    let before = sm.sequence;
    for (let round = 0; failure === null && round < 1000; round++) {
      batch.clear();
      for (let i = 0; i < 256; i++) batch.limit(1, round, 'bid', 1 + i, 1, round);
      before = sm.sequence;
      try {
        sm.submitBatch(batch);
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toMatchObject({ code: 'ENGINE_FAILED', message: expect.stringMatching(/lack of memory/) });
    expect(sm.sequence).toBe(before);
    await sm.close();
  });

  it('leaves a plain engine refusing CAPACITY as before, counting only refusals for memory', async () => {
    const { createEngine } = await import('../src/engine.js');
    const wasm = await createEngine({ backend: 'wasm', maxMemoryBytes: 1 << 20, maxOrders: 100_000 });
    let refused = null;
    for (let i = 0; refused === null; i++) {
      const result = wasm.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 1 + i, size: 1, timestamp: 0 });
      if (result.status === 'rejected') refused = result;
    }
    expect(refused).toMatchObject({ reason: 'CAPACITY', orderId: 0 });
    expect(wasm.memoryRefusals).toBe(1);
    // maxOrders depends on the book alone: its refusals are journaled, and not counted.
    for (const backend of ['wasm', 'js'] as const) {
      const limited = await createEngine({ backend, maxOrders: 1 });
      limited.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 1, size: 1, timestamp: 0 });
      expect(limited.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 2, size: 1, timestamp: 0 }).reason).toBe('CAPACITY');
      expect(limited.memoryRefusals).toBe(0);
    }
  });
});
