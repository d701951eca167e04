// A trap inside the engine must never leave a half-changed book serving: the state machine's
// engine refuses further calls, and recover() rebuilds it from storage with every command that
// was journaled before the fault, and nothing of the faulted one.
import { describe, expect, it } from 'vitest';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { describeEachBackend } from './helpers/backends.js';
import { tempDbPath } from './fixtures/state-helpers.js';

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
      sm.placeLimitOrder(bid(99, 2));
      const failed = { code: 'ENGINE_FAILED', message: expect.stringMatching(/^cutting and packing the next commit failed \(cut bug\)/) };
      await expect(sm.flush()).rejects.toMatchObject(failed);
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
    await sm.close();
  });
});
