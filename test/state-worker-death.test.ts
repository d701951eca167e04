// A store worker thread that dies (terminated, as an out-of-memory abort would end it, or killed by
// an uncaught exception) takes its RocksDB handle with it, and nothing short of a reopen brings it
// back: the state machine fails for good (ENGINE_FAILED, naming what the worker died of), refuses
// every command, query and flush, and close() still closes and releases everything, so that a
// reopen, in this process or another, answers as the flushes that resolved.
import { spawnSync } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { LobError } from '../src/errors.js';
import { describeEachBackend } from './helpers/backends.js';
import { tempDbPath } from './fixtures/state-helpers.js';
import type { BackendName } from '../src/types.js';

const bid = (trader: number, price: number, timestamp: number) => ({ trader, asset: 3, side: 'bid' as const, price, size: 5, timestamp });
const ask = (trader: number, price: number, timestamp: number) => ({ trader, asset: 3, side: 'ask' as const, price, size: 2, timestamp });

/** The threads of a state machine's store: the main database's worker, and the index database's once opened. */
function storeWorkers(sm: CoreStateMachine): { main: Worker; index: Worker } {
  const store = (sm as unknown as { store: { worker: { worker: Worker }; indexWorker: { worker: Worker } | null } }).store;
  return { main: store.worker.worker, index: store.indexWorker!.worker };
}

/** Two flushes, with a fill and a height, into both the machine and an in-memory reference; then a command that is never flushed. */
async function flushedThenPending(backend: BackendName, path: string): Promise<{ sm: CoreStateMachine; reference: CoreStateMachine; next: Promise<IteratorResult<unknown>> }> {
  const sm = await CoreStateMachine.open({ backend, path });
  const reference = await CoreStateMachine.open({ backend });
  for (const target of [sm, reference]) {
    target.placeLimitOrder(bid(1, 100, 1));
    target.placeLimitOrder(ask(2, 100, 2)); // fills 2 of the bid
  }
  await sm.flush();
  for (const target of [sm, reference]) {
    target.setHeight(2);
    target.placeLimitOrder(bid(1, 99, 3));
    target.placeLimitOrder(ask(2, 101, 4));
    target.cancelOrder({ orderId: 3, trader: 1, asset: 3 });
  }
  await sm.flush();
  await sm.indexesReady();
  // A subscriber waiting for the next message, and a command no flush covers.
  const next = sm.subscribe({ assets: [3] })[Symbol.asyncIterator]().next();
  next.catch(() => undefined);
  sm.placeLimitOrder(bid(1, 98, 5));
  return { sm, reference, next };
}

/** `promise`, or a rejection saying it still waits after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, waited]).finally(() => clearTimeout(timer));
}

/** Every command, query and flush is refused with `failed`, and so is the waiting subscriber. */
async function expectFailedForGood(sm: CoreStateMachine, next: Promise<unknown>, failed: object): Promise<void> {
  expect(() => sm.placeLimitOrder(bid(1, 97, 6))).toThrowError(expect.objectContaining(failed));
  expect(() => sm.setHeight(3)).toThrowError(expect.objectContaining(failed));
  expect(() => sm.stateHash()).toThrowError(expect.objectContaining(failed));
  await expect(sm.flush()).rejects.toMatchObject(failed);
  await expect(sm.getOrder(1)).rejects.toMatchObject(failed);
  await expect(sm.getTraderOrders(1)).rejects.toMatchObject(failed);
  await expect(sm.getTraderFills(1)).rejects.toMatchObject(failed);
  await expect(sm.checkpoint()).rejects.toMatchObject(failed);
  await expect(within(next, 2_000)).rejects.toMatchObject(failed);
  // A failure for good, not a passing one: asking again changes nothing.
  await expect(sm.flush()).rejects.toMatchObject(failed);
}

/** Closes (twice: both resolve), reopens in this process, and finds what the two flushes made durable, and nothing after. */
async function expectClosedAndReopened(backend: BackendName, path: string, sm: CoreStateMachine, reference: CoreStateMachine): Promise<void> {
  await within(sm.close(), 10_000);
  await within(sm.close(), 10_000);
  expect(() => sm.placeLimitOrder(bid(1, 97, 7))).toThrowError(expect.objectContaining({ code: 'NOT_OPEN' }));
  const reopened = await CoreStateMachine.open({ backend, path });
  try {
    expect(reopened.nextOrderId).toBe(reference.nextOrderId);
    expect(reopened.stateHash()).toBe(reference.stateHash());
    for (let orderId = 1; orderId <= 5; orderId++) {
      expect(await reopened.getOrder(orderId)).toEqual(await reference.getOrder(orderId));
      expect(await reopened.getOrderEvents(orderId)).toEqual(await reference.getOrderEvents(orderId));
    }
    for (const trader of [1, 2]) {
      expect(await reopened.getTraderOrders(trader)).toEqual(await reference.getTraderOrders(trader));
      expect(await reopened.getTraderFills(trader)).toEqual(await reference.getTraderFills(trader));
    }
    expect(await reopened.getTraderOrders(1)).toHaveLength(2);
  } finally {
    await reopened.close();
  }
}

describeEachBackend('state machine whose store worker dies', (backend) => {
  it('terminated: fails for good naming the exit, closes, and reopens here and in another process with every flushed order', async () => {
    const path = tempDbPath('worker-exit');
    const { sm, reference, next } = await flushedThenPending(backend, path);
    try {
      await storeWorkers(sm).main.terminate();
      const failed = {
        code: 'ENGINE_FAILED',
        message: `the store worker of ${path} exited (code 1), its RocksDB handle with it; nothing more is written: close and reopen the database`,
      };
      await expectFailedForGood(sm, next, failed);
      await expectClosedAndReopened(backend, path, sm, reference);

      // Another process: both databases' locks were released.
      const reader = `
        import { CoreStateMachine } from ${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)};
        const sm = await CoreStateMachine.open({ path: ${JSON.stringify(path)}, backend: '${backend}' });
        console.log(JSON.stringify({ hash: sm.stateHash(), order: await sm.getOrder(1), orders: await sm.getTraderOrders(2) }));
        await sm.close();`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', reader], { encoding: 'utf8' });
      expect(child.status, child.stderr).toBe(0);
      expect(JSON.parse(child.stdout)).toEqual({
        hash: reference.stateHash(), order: await reference.getOrder(1), orders: await reference.getTraderOrders(2),
      });
    } finally {
      await sm.close();
      await reference.close();
    }
  });

  it('killed by an uncaught exception: fails for good naming that exception (its cause), not the exit after it', async () => {
    const path = tempDbPath('worker-throws');
    const { sm, reference, next } = await flushedThenPending(backend, path);
    try {
      const { main } = storeWorkers(sm);
      const exited = new Promise((resolve) => main.once('exit', resolve)); // not events.once: it rejects on the 'error' that comes first
      main.postMessage({ op: 'writeSlices', id: 987_654 }); // malformed: its handler throws
      await exited;
      let failure: unknown;
      try {
        sm.placeLimitOrder(bid(1, 97, 6));
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(LobError);
      const cause = (failure as LobError).cause as Error;
      expect(cause).toBeInstanceOf(Error);
      expect(cause.name).toBe('TypeError');
      const failed = {
        code: 'ENGINE_FAILED',
        message: `the store worker of ${path} failed (TypeError: ${cause.message}); nothing more is written: close and reopen the database`,
      };
      await expectFailedForGood(sm, next, failed);
      await expectClosedAndReopened(backend, path, sm, reference);
    } finally {
      await sm.close();
      await reference.close();
    }
  });

  it('the index database\'s worker terminated: fails for good naming it, closes the main database, and reopens', async () => {
    const path = tempDbPath('index-worker-exit');
    const { sm, reference, next } = await flushedThenPending(backend, path);
    try {
      await storeWorkers(sm).index.terminate();
      const failed = {
        code: 'ENGINE_FAILED',
        message: `the store worker of ${path}/index exited (code 1), its RocksDB handle with it; nothing more is written: close and reopen the database`,
      };
      await expectFailedForGood(sm, next, failed);
      await expectClosedAndReopened(backend, path, sm, reference);
    } finally {
      await sm.close();
      await reference.close();
    }
  });
});

describe('state machine whose database goes away and comes back', () => {
  it('still takes a detached database as a passing failure: NOT_OPEN, retried, nothing lost', async () => {
    const path = tempDbPath('detached');
    const sm = await CoreStateMachine.open({ backend: 'js', path });
    const underlying = (sm as unknown as { store: { underlying: { close(): Promise<void>; open(): Promise<void> } } }).store.underlying;
    sm.placeLimitOrder(bid(1, 100, 1));
    await underlying.close();
    await expect(sm.flush()).rejects.toMatchObject({ code: 'NOT_OPEN' });
    sm.placeLimitOrder(bid(1, 99, 2));
    await underlying.open();
    await sm.flush();
    await sm.close();
    const reopened = await CoreStateMachine.open({ backend: 'js', path });
    expect(await reopened.getTraderOrders(1)).toHaveLength(2);
    await reopened.close();
  });
});
