// The indexes in a RocksDB database of their own (`index/`, store.ts), opened behind the book
// (indexer.ts): nothing but the indexes is in it and no index key is in the main database; the
// open does not wait for it, queries do; and every way it can be lost, behind or ahead of the
// journal, or still in the main database (an older format), ends with the same answers as an
// in-memory run of the same flow. Real RocksDB on disk.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { RocksLevel } from '@nxtedition/rocksdb';
import { expect, it } from 'vitest';
import { DATABASE_FORMAT_VERSION, decodeFormat, decodeUint, encodeFormat, encodeUint } from '../src/state/codecs.js';
import { INDEX_DIRECTORY, INDEX_KEYS, Prefix, formatKey, indexHeadKey, indexReachKey, keyOf, prefixRange } from '../src/state/keys.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { Flow } from './fixtures/flow.mjs';
import { tempDbPath, tempDir } from './fixtures/state-helpers.js';
import { sameAnswers, stepBoth } from './helpers/answers.js';
import { describeEachBackend } from './helpers/backends.js';

/** Opens one of the two RocksDB databases directly, runs `use`, closes it. */
async function withLevel<T>(location: string, use: (db: RocksLevel) => Promise<T>): Promise<T> {
  const db = new RocksLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open({ createIfMissing: false });
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

const indexLocation = (path: string): string => nodePath.join(path, INDEX_DIRECTORY);

/** Everything in the database's directory but its index database, copied to `to` (or back). */
function copyMain(from: string, to: string): void {
  for (const name of fs.readdirSync(from)) {
    if (name !== INDEX_DIRECTORY && name !== 'LOCK') fs.cpSync(nodePath.join(from, name), nodePath.join(to, name), { recursive: true });
  }
}

/** The nice value of each thread of this process (Linux keeps one per thread). */
function threadNiceValues(): number[] {
  return fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state, field 3; nice is field 19.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describeEachBackend('the index database', (backend) => {
  /** Runs `commits` commits of the flow pair on a disk and a memory state machine, each flushed. */
  async function run(flows: Flow[], disk: CoreStateMachine, memory: CoreStateMachine, commits: number): Promise<void> {
    for (let commit = 0; commit < commits; commit++) {
      stepBoth(flows, disk, memory);
      await disk.flush();
      await memory.flush();
    }
  }

  /**
   * A closed database holding `commits` commits of the flow `seed`, and an in-memory state machine
   * that ran the same; the flow pair goes on where they stopped.
   */
  async function flowed(seed: number, commits: number, sync = true): Promise<{ path: string; memory: CoreStateMachine; flows: Flow[]; sequence: number; nextOrderId: number }> {
    const path = tempDbPath(`lobcore-indexdb-${seed}`);
    const flows = [new Flow(seed), new Flow(seed)];
    const disk = await CoreStateMachine.open({ backend, path, sync });
    const memory = await CoreStateMachine.open({ backend });
    await run(flows, disk, memory, commits);
    const { sequence, nextOrderId } = disk;
    await disk.close();
    return { path, memory, flows, sequence, nextOrderId };
  }

  /**
   * Reopens a database whose indexes were cleared and derived from the first entry, then goes on
   * with the flow, which gives out the lost commits' sequences and order ids again: every answer
   * must be the in-memory run's.
   */
  async function expectDerivedAgainFromTheStart(path: string, memory: CoreStateMachine, flows: Flow[], sequence: number): Promise<void> {
    const reopened = await CoreStateMachine.open({ backend, path });
    await reopened.indexesReady();
    expect(reopened.sequence).toBe(sequence);
    expect(reopened.recovery!.reindexedEntries).toBe(sequence);
    await run(flows, reopened, memory, 4);
    await sameAnswers(reopened, memory);
    await reopened.close();
    await memory.close();
  }

  /** The index database deleted, then derived again by a reopen: every entry, and the same answers as the machine in memory. */
  async function expectDerivedAgain(path: string, memory: CoreStateMachine, sequence: number): Promise<void> {
    fs.rmSync(indexLocation(path), { recursive: true });
    const reopened = await CoreStateMachine.open({ backend, path });
    await reopened.indexesReady();
    expect(reopened.recovery!.reindexedEntries).toBe(sequence);
    await sameAnswers(reopened, memory);
    await reopened.close();
  }

  it('holds every index key and nothing else, and is derived again from the journal when it is lost', async () => {
    const { path, memory, sequence } = await flowed(31, 6);

    await withLevel(path, async (main) => {
      expect(await main.keys(INDEX_KEYS).all()).toEqual([]);
      expect((await main.keys(prefixRange(Prefix.JOURNAL)).all()).length).toBe(6);
    });
    await withLevel(indexLocation(path), async (index) => {
      expect(decodeUint(indexHeadKey(), (await index.get(indexHeadKey()))!, 'index-head')).toBe(sequence);
      const keys = await index.keys().all();
      expect(keys.length).toBeGreaterThan(40);
      expect(keys.every((key) => key[0] >= Prefix.INDEX_HEAD && key[0] <= Prefix.ORDER_TOUCHES)).toBe(true);
      expect(keys.some((key) => key[0] === Prefix.ORDER_TOUCHES)).toBe(true);
      // Open orders are kept in memory (open-orders.ts), never here.
      expect(keys.some((key) => key[0] === Prefix.TRADER_OPEN)).toBe(false);
    });

    await expectDerivedAgain(path, memory, sequence);
    expect(fs.existsSync(nodePath.join(indexLocation(path), 'CURRENT'))).toBe(true);
    await memory.close();
  });

  it('lost, is derived again from more event blocks than one page of them (16) holds', async () => {
    const { path, memory, sequence } = await flowed(37, 40);
    await expectDerivedAgain(path, memory, sequence);
    await memory.close();
  });

  it('lists no order under a trader whose cancel, reduce or modify of it was refused, live and when derived again', async () => {
    const path = tempDbPath('lobcore-indexdb-refused');
    const sm = await CoreStateMachine.open({ backend, path });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 5, timestamp: 1 });
    await sm.flush(); // order 1 placed by an earlier commit than the refusals
    expect(sm.cancelOrder({ trader: 2, asset: 1, orderId: 1 })).toMatchObject({ ok: false, reason: 'NOT_OWNER' });
    expect(sm.reduceOrder({ trader: 2, asset: 1, orderId: 1, by: 1 })).toMatchObject({ ok: false, reason: 'NOT_OWNER' });
    expect(sm.modifyOrder({ trader: 2, asset: 1, orderId: 1, price: 11, timestamp: 2 })).toMatchObject({ status: 'rejected', reason: 'NOT_OWNER' });
    await sm.flush();
    const expectListed = async (machine: CoreStateMachine): Promise<void> => {
      await machine.indexesReady();
      expect(await machine.getTraderOrders(2)).toEqual([]);
      expect((await machine.getTraderOrders(1)).map((o) => [o.orderId, o.seq])).toEqual([[1, 1]]);
    };
    await expectListed(sm);
    await sm.close();
    fs.rmSync(indexLocation(path), { recursive: true });
    const reopened = await CoreStateMachine.open({ backend, path });
    await expectListed(reopened);
    expect(reopened.recovery!.reindexedEntries).toBe(4);
    await reopened.close();
  });

  it("refuses, as CORRUPTION, a trader's posting that names another trader's order or another sequence, rather than page by it for ever", async () => {
    const path = tempDbPath('lobcore-indexdb-posting');
    const sm = await CoreStateMachine.open({ backend, path });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 5, timestamp: 1 });
    sm.placeLimitOrder({ trader: 2, asset: 1, side: 'bid', price: 11, size: 5, timestamp: 1 });
    await sm.flush();
    await sm.indexesReady();
    await sm.close();
    // A damaged index: trader 2's postings also name order 1 (trader 1's, placed at seq 1) at seq 2.
    await withLevel(indexLocation(path), (index) => index.batch().put(keyOf(Prefix.TRADER_ORDER, 2, 0, 2), encodeUint(1)).write());
    const reopened = await CoreStateMachine.open({ backend, path });
    await reopened.indexesReady();
    await expect(reopened.getTraderOrders(2)).rejects.toMatchObject({
      code: 'CORRUPTION', message: "the index lists order 1 under trader 2 at seq 2, but it is trader 1's, placed at seq 1",
    });
    expect((await reopened.getTraderOrders(1)).map((o) => o.orderId)).toEqual([1]);
    await reopened.close();
  });

  it('is written by a worker thread that yields the cores (nice 10) to matching, the commits and checkpoints', async () => {
    const niced = (): number => threadNiceValues().filter((nice) => nice === 10).length;
    const before = niced();
    const sm = await CoreStateMachine.open({ backend, path: tempDbPath('lobcore-indexdb-nice') });
    await sm.indexesReady();
    expect(niced()).toBe(before + 1);
    await sm.close();
    expect(niced()).toBe(before);
  });

  it('ahead of the journal (a machine crash with sync off kept its writes and lost the commits) is cleared and derived again', async () => {
    const { path, memory, flows, sequence } = await flowed(47, 4, false);
    const kept = tempDir('lobcore-indexdb-kept');
    copyMain(path, kept);

    // Commits the crash will lose: other orders under the same sequences and order ids.
    const lost = await CoreStateMachine.open({ backend, path, sync: false });
    const other = new Flow(48);
    for (let commit = 0; commit < 4; commit++) {
      for (let k = 0; k < 15; k++) other.step(lost);
      await lost.flush();
    }
    await lost.close();
    for (const name of fs.readdirSync(path)) if (name !== INDEX_DIRECTORY) fs.rmSync(nodePath.join(path, name), { recursive: true });
    copyMain(kept, path);
    await expectDerivedAgainFromTheStart(path, memory, flows, sequence);
  });

  it('holding part of a window past the journal (its first write, with INDEX_REACH, but not its INDEX_HEAD) is cleared and derived again', async () => {
    const { path, memory, flows, sequence, nextOrderId } = await flowed(53, 4, false);
    // What a machine crash with sync off can leave: the first write of a window reaching 40
    // entries past the journal, which the main database lost; its INDEX_HEAD never written. The
    // window had trader 10 place an order the journal will give to someone else, with a client id.
    await withLevel(indexLocation(path), async (index) => {
      const batch = index.batch();
      batch.put(indexReachKey(), encodeUint(sequence + 40));
      batch.put(keyOf(Prefix.TRADER_ORDER, 10, 0, sequence + 3), encodeUint(nextOrderId));
      batch.put(keyOf(Prefix.CLIENT_ID, 10, 399), encodeUint(sequence + 3));
      await batch.write();
    });
    await expectDerivedAgainFromTheStart(path, memory, flows, sequence);
  });

  it('of a version-6 database, whose indexes are in the main database, is made from them again and the main database cleared of them', async () => {
    const { path, memory, sequence } = await flowed(59, 5);
    // Version 6 as it was: the index entries in the main database, no index database.
    const entries = await withLevel(indexLocation(path), (index) => index.iterator(INDEX_KEYS).all());
    fs.rmSync(indexLocation(path), { recursive: true });
    await withLevel(path, async (main) => {
      const batch = main.batch();
      for (const [key, value] of entries) batch.put(key, value);
      batch.put(formatKey(), encodeFormat(6));
      await batch.write();
    });

    const reopened = await CoreStateMachine.open({ backend, path });
    await reopened.indexesReady();
    expect(reopened.recovery!.reindexedEntries).toBe(sequence);
    await sameAnswers(reopened, memory);
    await reopened.close();
    await withLevel(path, async (main) => {
      expect(await main.keys(INDEX_KEYS).all()).toEqual([]);
      expect(decodeFormat(formatKey(), (await main.get(formatKey()))!)).toBe(DATABASE_FORMAT_VERSION);
    });
    await memory.close();
  });

  it('is not waited for by an open: the book matches and commits while it cannot open, and queries fail naming it', async () => {
    const { path, memory, flows } = await flowed(71, 3);

    // Another handle holds the index database's lock, so the state machine's open of it fails.
    const holder = new RocksLevel(indexLocation(path), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await holder.open({ createIfMissing: false });
    const held = await CoreStateMachine.open({ backend, path });
    await run(flows, held, memory, 3);
    const failure = { code: 'LOCKED', message: expect.stringContaining(indexLocation(path)) };
    await expect(held.indexesReady()).rejects.toMatchObject(failure);
    await expect(held.getTraderOrders(10)).rejects.toMatchObject(failure);
    await held.close();
    await holder.close();

    // What was committed meanwhile is indexed at the next open, from the journal.
    const reopened = await CoreStateMachine.open({ backend, path });
    await reopened.indexesReady();
    expect(reopened.recovery!.reindexedEntries).toBeGreaterThan(0);
    await sameAnswers(reopened, memory);
    await reopened.close();
    await memory.close();
  });
});
