// Defects found by a review of the durable state machine, each shown on a real database.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { SnapshotFiles } from '../src/state/checkpoint-files.js';
import { tempDbPath } from './fixtures/state-helpers.js';

type Underlying = { close(): Promise<void>; open(): Promise<void> };
const underlyingOf = (sm: CoreStateMachine): Underlying => (sm as unknown as { store: { underlying: Underlying } }).store.underlying;

/** The file descriptors this process holds open on paths under `directory`. */
function openFilesUnder(directory: string): string[] {
  const held: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(directory)) held.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return held;
}

describe('state machine review', () => {
  it('a checkpoint whose commit fails leaves no snapshot file half-written nor held open', async () => {
    const path = tempDbPath();
    const sm = await CoreStateMachine.open({ path, checkpointOnClose: false });
    for (let i = 1; i <= 50; i++) sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 100 + i, size: 1, timestamp: i });
    await sm.flush();
    const underlying = underlyingOf(sm);
    await underlying.close();
    sm.placeLimitOrder({ trader: 2, asset: 1, side: 'ask', price: 500, size: 1, timestamp: 60 });
    await expect(sm.checkpoint()).rejects.toMatchObject({ code: 'NOT_OPEN' });
    // Let the checkpoint worker's pieces arrive and be written, as they would be.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const snapshots = new SnapshotFiles(path).directory;
    const left = fs.existsSync(snapshots) ? fs.readdirSync(snapshots) : [];
    expect({ files: left, open: openFilesUnder(snapshots) }).toEqual({ files: [], open: [] });
    await underlying.open();
    const taken = await sm.checkpoint();
    expect(taken).toMatchObject({ sequence: 51 });
    const hash = sm.stateHash();
    await sm.close();
    const reopened = await CoreStateMachine.open({ path });
    expect(reopened.stateHash()).toBe(hash);
    expect(reopened.recovery).toMatchObject({ checkpointSequence: 51, replayedCommands: 0 });
    await reopened.close();
  });

  it('refuses an onAutoFlushError that is not a function, naming the field', async () => {
    await expect(CoreStateMachine.open({ onAutoFlushError: 'log' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT', message: expect.stringContaining('onAutoFlushError'),
    });
  });

  it('a read-only view flushes quietly however far behind the indexes it copied are', async () => {
    const path = tempDbPath();
    // The writer's indexes gather for a minute: the view copies a database whose indexes lag.
    const writer = await CoreStateMachine.open({ path, indexGatherMs: 60_000 });
    for (let i = 1; i <= 10; i++) writer.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 100 + i, size: 1, timestamp: i });
    await writer.flush();
    const view = await CoreStateMachine.open({ path, readOnly: true, maxIndexLag: 1 });
    try {
      await view.indexesReady();
      expect(view.indexLag).toBe(10);
      expect(await view.flush()).toMatchObject({ entries: 0, fills: 0 });
      expect((await view.getTraderOrders(1)).length).toBe(10);
    } finally {
      await view.close();
      await writer.close();
    }
  });

  it("a reopened database's first flush reports the sequence and height already durable, not 0", async () => {
    const path = tempDbPath();
    const sm = await CoreStateMachine.open({ path });
    sm.setHeight(3);
    for (let i = 1; i <= 4; i++) sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 100 + i, size: 1, timestamp: i });
    const written = await sm.flush();
    expect(written).toMatchObject({ sequence: 5, height: 3, entries: 5 });
    await sm.close();
    const reopened = await CoreStateMachine.open({ path });
    try {
      expect(await reopened.flush()).toMatchObject({ sequence: 5, height: 3, entries: 0, fills: 0 });
      expect((await reopened.recover()).sequence).toBe(5);
      expect(await reopened.flush()).toMatchObject({ sequence: 5, height: 3, entries: 0 });
    } finally {
      await reopened.close();
    }
  });

  it('in memory, a flush called while close() waits for a read settles, however far behind the indexes are', async () => {
    const sm = await CoreStateMachine.open({ backend: 'js', maxIndexLag: 1, indexGatherMs: 60_000 });
    // Indexes written once (a flush past maxIndexLag waits for them), so that a read asks the index worker.
    for (let i = 1; i <= 5; i++) sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 100 + i, size: 1, timestamp: i });
    await sm.flush();
    for (let i = 6; i <= 10; i++) sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 100 + i, size: 1, timestamp: i });
    const reading = sm.getTraderOrders(1);
    const closing = sm.close();
    // The moment the close has stopped the indexes (it then waits for the read): looked for, as no
    // public state tells it.
    const machine = sm as unknown as { state: string; p: { indexer: { stopped: boolean } } };
    for (let turns = 0; turns < 1000 && !machine.p.indexer.stopped; turns++) await Promise.resolve();
    expect([machine.p.indexer.stopped, machine.state]).toEqual([true, 'closing']);
    const flushed = sm.flush();
    const outcome = await Promise.race([
      flushed.then(() => 'resolved', (error: { code?: string }) => `rejected ${error.code}`),
      closing.then(() => new Promise((resolve) => setTimeout(resolve, 1000))).then(() => 'pending a second after the close'),
    ]);
    expect(outcome).toBe('rejected NOT_OPEN');
    expect((await reading).length).toBe(10);
  });

  it('an open refused for an engine limit leaves no database behind at a new path', async () => {
    for (const limits of [{ maxOrders: -1 }, { backend: 'js' as const, maxLevels: 0 }, { maxMemoryBytes: 65_536 }]) {
      const path = tempDbPath();
      await expect(CoreStateMachine.open({ path, ...limits }), JSON.stringify(limits)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT', message: expect.stringContaining(Object.keys(limits).find((k) => k !== 'backend')!),
      });
      expect(fs.existsSync(path), `${JSON.stringify(limits)}: ${path} exists`).toBe(false);
    }
  });

  it('a checkpoint whose manifest cannot be written leaves no snapshot file without a manifest', async () => {
    const path = tempDbPath();
    const sm = await CoreStateMachine.open({ path, checkpointOnClose: false });
    for (let i = 1; i <= 50; i++) sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 100 + i, size: 1, timestamp: i });
    const checkpoint = sm.checkpoint();
    // The checkpoint's commit is durable with this flush; the database goes before its manifest is written.
    await sm.flush();
    const underlying = underlyingOf(sm);
    await underlying.close();
    await expect(checkpoint).rejects.toMatchObject({ code: 'NOT_OPEN' });
    const snapshots = new SnapshotFiles(path).directory;
    expect(fs.existsSync(snapshots) ? fs.readdirSync(snapshots) : []).toEqual([]);
    await underlying.open();
    expect(await sm.checkpoint()).toMatchObject({ sequence: 50 });
    expect(fs.readdirSync(snapshots)).toEqual([new SnapshotFiles(path).pathOf(50).split('/').pop()]);
    await sm.close();
  });

  it('a commit sealed by a checkpoint while a failing write is in flight is written after that write\'s commits, not before', async () => {
    const path = tempDbPath();
    const sm = await CoreStateMachine.open({ path, checkpointOnClose: false });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 1 });
    await sm.flush();
    const underlying = underlyingOf(sm);
    await underlying.close();
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 101, size: 1, timestamp: 2 });
    const failing = sm.flush();
    // Sealed while the write of sequence 2 is in flight: both wait to be written again, in order.
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 102, size: 1, timestamp: 3 });
    const checkpoint = sm.checkpoint();
    await expect(failing).rejects.toMatchObject({ code: 'NOT_OPEN' });
    await expect(checkpoint).rejects.toMatchObject({ code: 'NOT_OPEN' });
    await underlying.open();
    expect(await sm.flush()).toMatchObject({ sequence: 3, entries: 2 });
    const hash = sm.stateHash();
    await sm.close();
    const reopened = await CoreStateMachine.open({ path });
    try {
      expect(reopened.recovery).toMatchObject({ sequence: 3, nextOrderId: 4 });
      expect(reopened.stateHash()).toBe(hash);
    } finally {
      await reopened.close();
    }
  });
});
