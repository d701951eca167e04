// Postings stored in lists (index-window.mjs) read back as one key a posting (posting-lists.ts),
// exactly, in every state the index writer and a crash can leave them: complete windows' lists up
// to the watermark; past it, every posting still queued (the overlay), and at most one list per
// group from a window being written or cut short by a crash (a prefix of the group's postings past
// the watermark, keyed by the first of them). Queried by key ranges, forward and reverse, with
// limits and pages that end inside a list. Real RocksDB, through the store worker. Then through a
// state machine whose indexes lag: every query answers as the in-memory one does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RocksLevel } from '@nxtedition/rocksdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { DATABASE_FORMAT_VERSION, EMPTY_VALUE, decodeFormat, decodeOrderTouches, decodePostings, decodeUint, encodeFormat, encodeUint } from '../src/state/codecs.js';
import { IndexOps, NO_VALUE } from '../src/state/index-ops.js';
import { ORDERS_PER_TOUCH_BUCKET } from '../src/state/index-wire.mjs';
import { INDEX_DIRECTORY, Prefix, formatKey, indexHeadKey, indexReachKey, keyIntegers, keyOf, prefixRange, readU64BE } from '../src/state/keys.js';
import type { KeyRange } from '../src/state/memory-store.js';
import { placingReads, readPostings, readTraderPlacings } from '../src/state/posting-lists.js';
import { Store } from '../src/state/store.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { Prng } from '../src/prng.js';
import type { OrderRecord } from '../src/types.js';
import { FLOW_TRADERS, Flow } from './fixtures/flow.mjs';
import { describeEachBackend } from './helpers/backends.js';
import { tempDbPath } from './fixtures/state-helpers.js';
import { sameAnswers, stepBoth } from './helpers/answers.js';

interface Posting {
  trader: number;
  height: number;
  seq: number;
  orderId: number;
}

/** A window's or a commit's TRADER_ORDER operations. */
function opsOf(postings: Posting[]): IndexOps {
  const ops = new IndexOps(16);
  for (const p of postings) ops.put(Prefix.TRADER_ORDER, 3, p.trader, p.height, p.seq, p.orderId);
  return ops;
}

async function writeWindow(store: Store, postings: Posting[]): Promise<void> {
  const ops = opsOf(postings);
  await store.writeIndex(ops.ops.slice(0, ops.count * 5), ops.count);
}

/** Postings of one kind as a suite knows them: all of them, their key order, their keys, and how it reads them back. */
interface PostingKind<T> {
  truth: T[];
  compare: (a: T, b: T) => number;
  keyOf: (posting: T) => Buffer;
  read: (range: KeyRange) => Promise<T[]>;
}

/**
 * 150 ranges between two postings `draw` gives (either way round), inclusive or exclusive at each
 * end, forward or reverse, with or without a limit: each read gives exactly the truth's postings in it.
 */
async function readsRandomRanges<T>(prng: Prng, kind: PostingKind<T>, draw: () => [T, T]): Promise<void> {
  const { truth, compare, keyOf: keyOfPosting, read } = kind;
  for (let trial = 0; trial < 150; trial++) {
    let [low, high] = draw();
    if (compare(low, high) > 0) [low, high] = [high, low];
    const exclusiveLow = prng.chance(0.5);
    const exclusiveHigh = prng.chance(0.5);
    const reverse = prng.chance(0.5);
    const limit = prng.chance(0.3) ? undefined : 1 + prng.below(12);
    const range: KeyRange = {
      ...(exclusiveLow ? { gt: keyOfPosting(low) } : { gte: keyOfPosting(low) }),
      ...(exclusiveHigh ? { lt: keyOfPosting(high) } : { lte: keyOfPosting(high) }),
      reverse, limit,
    };
    let expected = truth
      .filter((p) => (exclusiveLow ? compare(p, low) > 0 : compare(p, low) >= 0) && (exclusiveHigh ? compare(p, high) < 0 : compare(p, high) <= 0))
      .sort(compare);
    if (reverse) expected.reverse();
    if (limit !== undefined) expected = expected.slice(0, limit);
    expect(await read(range), JSON.stringify({ low, high, exclusiveLow, exclusiveHigh, reverse, limit })).toEqual(expected);
  }
}

const compare = (a: Posting, b: Posting): number => a.trader - b.trader || a.height - b.height || a.seq - b.seq;
const keyOfPosting = (p: Posting): Buffer => keyOf(Prefix.TRADER_ORDER, p.trader, p.height, p.seq);

describe('posting lists read back as single postings', () => {
  const prng = new Prng(11);
  // The truth: postings of 3 traders at 3 heights, sequences ascending (heights never go down).
  const truth: Posting[] = [];
  for (let seq = 1; seq <= 600; seq++) {
    if (!prng.chance(0.6)) continue;
    truth.push({ trader: 1 + prng.below(3), height: Math.floor(seq / 200), seq, orderId: prng.chance(0.1) ? 0 : 1000 + seq });
  }
  const watermark = 400;
  let store: Store;
  const pending: IndexOps[] = [];
  // One database for the whole suite (state-helpers' directories go after each test), made in
  // beforeAll: made where the suite is declared, a run that skips the suite (vitest -t) left it behind.
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-lists-'));
    store = await Store.open(path.join(dir, 'db'), { sync: false });
    // Complete windows up to the watermark, cut at random sequences.
    let from = 1;
    while (from <= watermark) {
      const to = Math.min(watermark, from + prng.below(120));
      await writeWindow(store, truth.filter((p) => p.seq >= from && p.seq <= to));
      from = to + 1;
    }
    // Past it: every posting queued, one commit of 10 sequences at a time...
    for (let seq = watermark + 1; seq <= 600; seq += 10) pending.push(opsOf(truth.filter((p) => p.seq >= seq && p.seq < seq + 10)));
    // ...and, for some groups, a list a crash or a window in flight left: a prefix of them.
    for (let trader = 1; trader <= 3; trader++) {
      for (let height = 0; height <= 2; height++) {
        if (!prng.chance(0.7)) continue;
        const end = watermark + prng.below(200);
        await writeWindow(store, truth.filter((p) => p.trader === trader && p.height === height && p.seq > watermark && p.seq <= end));
      }
    }
  });

  afterAll(async () => {
    await store?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function read(range: KeyRange): Promise<Posting[]> {
    const entries = await readPostings(Prefix.TRADER_ORDER, pending, store, range);
    return entries.map(([key, value]) => {
      const [trader, height, seq] = keyIntegers(key, Prefix.TRADER_ORDER, 3);
      return { trader, height, seq, orderId: decodeUint(key, value, 'trader-order') };
    });
  }

  it('has lists of several postings in the store (what is under test)', async () => {
    const stored = await store.entries({ gte: keyOf(Prefix.TRADER_ORDER, 0, 0, 0), lt: keyOf(Prefix.TRADER_ORDER + 1, 0, 0, 0) });
    expect(stored.filter(([, value]) => value[0] === 2).length).toBeGreaterThan(10);
    // Windows that cross a height: a trader's list across heights (frame version 3).
    expect(stored.filter(([, value]) => value[0] === 3).length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThan(truth.length / 3);
  });

  it('gives every posting of a range, forward and reverse, from any bound, inside a list or not', async () => {
    await readsRandomRanges(prng, { truth, compare, keyOf: keyOfPosting, read }, () => {
      const trader = 1 + prng.below(3);
      return [
        { trader, height: prng.below(3), seq: prng.below(620), orderId: 0 },
        { trader, height: prng.below(3), seq: prng.below(620), orderId: 0 },
      ];
    });
  });

  it("pages through a trader's postings as the audit trail does, both ways, pages ending inside lists", async () => {
    for (const trader of [1, 2, 3]) {
      const all = truth.filter((p) => p.trader === trader).sort(compare);
      for (const pageSize of [1, 3, 7]) {
        const gte = keyOf(Prefix.TRADER_ORDER, trader, 0, 0);
        const lt = keyOf(Prefix.TRADER_ORDER, trader + 1, 0, 0);
        const forward: Posting[] = [];
        let range: KeyRange = { gte, lt, limit: pageSize };
        for (;;) {
          const page = await read(range);
          forward.push(...page);
          if (page.length < pageSize) break;
          range = { gt: keyOfPosting(page[page.length - 1]), lt, limit: pageSize };
        }
        expect(forward).toEqual(all);
        const backward: Posting[] = [];
        range = { gte, lt, reverse: true, limit: pageSize };
        for (;;) {
          const page = await read(range);
          backward.push(...page);
          if (page.length < pageSize) break;
          range = { gte, lt: keyOfPosting(page[page.length - 1]), reverse: true, limit: pageSize };
        }
        expect(backward).toEqual(all.slice().reverse());
      }
    }
  });

  it("reads a trader's placings as numbers (readTraderPlacings) exactly as readPostings reads them, from any bound, with any limit", async () => {
    const placings = async (range: KeyRange): Promise<Posting[]> => {
      const { heights, seqs, values } = await readTraderPlacings(pending, store, range);
      const trader = readU64BE((range.gte ?? range.gt)!, 1);
      return seqs.map((seq, i) => ({ trader, height: heights[i], seq, orderId: values[i] }));
    };
    // A low bound at a stored list's own key too: that list is then both the one before the range and the page's first.
    const listKeys = (await store.entries({ gte: keyOf(Prefix.TRADER_ORDER, 0, 0, 0), lt: keyOf(Prefix.TRADER_ORDER + 1, 0, 0, 0) })).map(([key]) => Buffer.from(key));
    const sortedBefore = placingReads.sortedStored;
    for (let i = 0; i < 500; i++) {
      const trader = 1 + prng.below(3);
      const traderLists = listKeys.filter((key) => readU64BE(key, 1) === trader);
      const bounds = [
        prng.chance(0.2) ? traderLists[prng.below(traderLists.length)] : keyOf(Prefix.TRADER_ORDER, trader, prng.below(3), prng.below(620)),
        keyOf(Prefix.TRADER_ORDER, trader, prng.below(3), prng.below(620)),
      ];
      bounds.sort(Buffer.compare);
      const low = prng.chance(0.3) ? keyOf(Prefix.TRADER_ORDER, trader, 0, 0) : bounds[0];
      // The high bound: the next trader's first key, as a page of all heights reads.
      const nextTrader = prng.chance(0.3);
      const high = nextTrader ? keyOf(Prefix.TRADER_ORDER, trader + 1, 0, 0) : bounds[1];
      const range: KeyRange = {
        ...(prng.chance(0.5) ? { gte: low } : { gt: low }),
        ...(nextTrader || prng.chance(0.5) ? { lt: high } : { lte: high }),
        reverse: prng.chance(0.5),
        ...(prng.chance(0.7) ? { limit: 1 + prng.below(40) } : {}),
      };
      expect(await placings(range), JSON.stringify(range)).toEqual(await read(range));
    }
    // Stored lists are sorted and disjoint, so every read merged them with the queued postings, none sorted them.
    expect(placingReads.sortedStored).toBe(sortedBefore);
  });

  it('reads touches the same way: an order with touches in lists, some queued', async () => {
    const touches = [3, 9, 10, 40, 41, 42, 300, 310];
    const window = new IndexOps(8);
    for (const seq of touches.slice(0, 6)) window.put(Prefix.ORDER_TOUCH, 2, 77, seq, 0, NO_VALUE);
    await store.writeIndex(window.ops.slice(0, window.count * 5), window.count);
    const queued = new IndexOps(4);
    for (const seq of touches.slice(4)) queued.put(Prefix.ORDER_TOUCH, 2, 77, seq, 0, NO_VALUE);
    const read = async (range: KeyRange): Promise<number[]> =>
      (await readPostings(Prefix.ORDER_TOUCH, [queued], store, range)).map(([key]) => keyIntegers(key, Prefix.ORDER_TOUCH, 2)[1]);
    const lt = keyOf(Prefix.ORDER_TOUCH, 78, 0);
    expect(await read({ gt: keyOf(Prefix.ORDER_TOUCH, 77, 0), lt })).toEqual(touches);
    expect(await read({ gt: keyOf(Prefix.ORDER_TOUCH, 77, 9), lt })).toEqual(touches.slice(2));
    expect(await read({ gt: keyOf(Prefix.ORDER_TOUCH, 77, 9), lt, limit: 2 })).toEqual([10, 40]);
    expect(await read({ gte: keyOf(Prefix.ORDER_TOUCH, 77, 0), lt: keyOf(Prefix.ORDER_TOUCH, 77, 41), reverse: true, limit: 3 })).toEqual([40, 10, 9]);
  });
});

describe("order touches stored a bucket of orders a key read back as one key a touch", () => {
  interface Touch {
    orderId: number;
    seq: number;
  }
  const prng = new Prng(29);
  // The truth: five orders touched by each commit, all over three buckets and their edges.
  const edges = [0, ORDERS_PER_TOUCH_BUCKET - 1, ORDERS_PER_TOUCH_BUCKET, 2 * ORDERS_PER_TOUCH_BUCKET - 1, 2 * ORDERS_PER_TOUCH_BUCKET];
  const orders = [...edges, ...Array.from({ length: 60 }, () => prng.below(3 * ORDERS_PER_TOUCH_BUCKET))];
  const truth: Touch[] = [];
  for (let seq = 1; seq <= 500; seq++) {
    const touched = new Set<number>();
    while (touched.size < 5) touched.add(orders[prng.below(orders.length)]);
    for (const orderId of touched) truth.push({ orderId, seq });
  }
  /** Stored as a database of format 7 stored them, a key a touch. */
  const oldFormatThrough = 40;
  const watermark = 300;
  const compare = (a: Touch, b: Touch): number => a.orderId - b.orderId || a.seq - b.seq;
  const keyOfTouch = (t: Touch): Buffer => keyOf(Prefix.ORDER_TOUCH, t.orderId, t.seq);
  const opsOfTouches = (touches: Touch[]): IndexOps => {
    const ops = new IndexOps(16);
    for (const t of touches) ops.put(Prefix.ORDER_TOUCH, 2, t.orderId, t.seq, 0, NO_VALUE);
    return ops;
  };
  const between = (from: number, to: number): Touch[] => truth.filter((t) => t.seq >= from && t.seq <= to);
  let store: Store;
  const pending: IndexOps[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-buckets-'));
    const location = path.join(dir, 'db');
    await (await Store.open(location, { sync: false })).close();
    const old = new RocksLevel(path.join(location, INDEX_DIRECTORY), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await old.open();
    const batch = old.batch();
    for (const t of between(1, oldFormatThrough)) batch.put(keyOfTouch(t), EMPTY_VALUE);
    await batch.write();
    await old.close();
    store = await Store.open(location, { sync: false });
    const write = async (touches: Touch[]): Promise<void> => {
      // A commit touches its orders in no particular order.
      const shuffled = touches.slice();
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = prng.below(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const ops = opsOfTouches(shuffled);
      await store.writeIndex(ops.ops.slice(0, ops.count * 5), ops.count);
    };
    let from = oldFormatThrough + 1;
    while (from <= watermark) {
      const to = Math.min(watermark, from + prng.below(80));
      await write(between(from, to));
      from = to + 1;
    }
    for (let seq = watermark + 1; seq <= 500; seq += 10) pending.push(opsOfTouches(between(seq, seq + 9)));
    // Windows a crash cut short: for some buckets, a prefix of their touches past the watermark.
    for (let bucket = 0; bucket < 3; bucket++) {
      if (!prng.chance(0.7)) continue;
      const end = watermark + prng.below(200);
      await write(between(watermark + 1, end).filter((t) => Math.floor(t.orderId / ORDERS_PER_TOUCH_BUCKET) === bucket));
    }
  });

  afterAll(async () => {
    await store?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function read(range: KeyRange): Promise<Touch[]> {
    const entries = await readPostings(Prefix.ORDER_TOUCH, pending, store, range);
    return entries.map(([key]) => {
      const [orderId, seq] = keyIntegers(key, Prefix.ORDER_TOUCH, 2);
      return { orderId, seq };
    });
  }

  it('stores buckets, each touch of a window in its bucket (what is under test)', async () => {
    const buckets = await store.entries({ gte: Buffer.from([Prefix.ORDER_TOUCHES]), lt: Buffer.from([Prefix.ORDER_TOUCHES + 1]) });
    const windows = buckets.length;
    expect(windows).toBeGreaterThan(10);
    expect(windows).toBeLessThan(between(oldFormatThrough + 1, 500).length / 10);
  });

  it("gives every touch of an order, as the audit trail asks for them, across every bucket's edges", async () => {
    for (const orderId of new Set(orders)) {
      const expected = truth.filter((t) => t.orderId === orderId).sort(compare);
      expect(await read({ gt: keyOf(Prefix.ORDER_TOUCH, orderId, 0), lt: keyOf(Prefix.ORDER_TOUCH, orderId + 1, 0) }), `order ${orderId}`).toEqual(expected);
    }
  });

  it("gives every touch between the kind's own ends (a bare prefix, the next kind's first key) and none of an empty range", async () => {
    const all = truth.slice().sort(compare);
    expect(await read({ gte: Buffer.from([Prefix.ORDER_TOUCH]), lt: keyOf(Prefix.ORDER_TOUCH + 1, 0) })).toEqual(all);
    expect(await read({ gt: keyOf(Prefix.ORDER_TOUCH, 0, 0), lt: Buffer.from([Prefix.ORDER_TOUCH + 1]), reverse: true, limit: 7 })).toEqual(all.slice().reverse().slice(0, 7));
    const from = ORDERS_PER_TOUCH_BUCKET - 1;
    expect(await read({ gte: keyOf(Prefix.ORDER_TOUCH, from, 0), lt: Buffer.from([Prefix.ORDER_TOUCH + 1]), limit: 9 })).toEqual(all.filter((t) => t.orderId >= from).slice(0, 9));
    expect(await read({ gte: keyOf(Prefix.ORDER_TOUCH, from, 0), lt: keyOf(Prefix.ORDER_TOUCH, from, 0) })).toEqual([]);
  });

  it('gives every touch of a range, forward and reverse, from any bound, across orders and buckets', async () => {
    await readsRandomRanges(prng, { truth, compare, keyOf: keyOfTouch, read }, () => {
      const low: Touch = { orderId: orders[prng.below(orders.length)], seq: prng.below(520) };
      return [low, { orderId: prng.chance(0.5) ? low.orderId : orders[prng.below(orders.length)], seq: prng.below(520) }];
    });
  });
});

describeEachBackend('posting lists under a state machine', (backend) => {
  /**
   * A machine on disk and one in memory given the same flow, `commits` commits of it, each flush
   * awaited on both; with `catchUp`, each commit's indexes are waited for too (a window a commit).
   */
  /** Waits for the indexes to catch up with the commits, a bounded time: an indexer that stopped fails the test rather than leaving it waiting. */
  async function caughtUp(sm: CoreStateMachine): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (sm.indexLag > 0) {
      if (Date.now() > deadline) throw new Error(`the indexes lag ${sm.indexLag} commands behind the commits after 20 s`);
      await sleep(1);
    }
  }

  async function flowedPair(path: string, seed: number, commits: number, options: { sync?: boolean; indexGatherMs?: number; catchUp?: boolean } = {}): Promise<{ disk: CoreStateMachine; memory: CoreStateMachine }> {
    const disk = await CoreStateMachine.open({ backend, path, sync: options.sync, indexGatherMs: options.indexGatherMs });
    const memory = await CoreStateMachine.open({ backend });
    const flows = [new Flow(seed), new Flow(seed)];
    for (let commit = 0; commit < commits; commit++) {
      stepBoth(flows, disk, memory);
      await disk.flush();
      await memory.flush();
      if (options.catchUp === true) await caughtUp(disk);
    }
    return { disk, memory };
  }

  /** A trader's orders, all and open ones, with their records. */
  async function traderAnswers(sm: CoreStateMachine, traders: number[]): Promise<Array<{ all: OrderRecord[]; open: OrderRecord[] }>> {
    const out: Array<{ all: OrderRecord[]; open: OrderRecord[] }> = [];
    for (const trader of traders) out.push({ all: await sm.getTraderOrders(trader), open: await sm.getTraderOrders(trader, { status: 'open' }) });
    return out;
  }

  /** Stored posting lists of frame version 3: a trader's across heights. */
  async function listsAcrossHeights(path: string): Promise<number> {
    const store = await Store.open(path, { sync: false });
    try {
      const entries = await store.entries({ gte: keyOf(Prefix.ORDER_TOUCH, 0, 0), lt: keyOf(Prefix.TRADER_ORDER + 1, 0) });
      return entries.filter(([, value]) => value[0] === 3).length;
    } finally {
      await store.close();
    }
  }

  it('after a crash of a format-8 build that stored part of a window (an order listed as open) but not its INDEX_HEAD, reads the order as closed and raises the marker', async () => {
    const path = tempDbPath('lobcore-lists-crash');
    const sm = await CoreStateMachine.open({ backend, path });
    const flow = new Flow(23);
    flow.runBlock(sm);
    const before = await sm.flush();
    await caughtUp(sm);
    const placed = sm.placeLimitOrder({ trader: 7, asset: 1, side: 'bid', price: 1, size: 5, timestamp: 5_000 });
    const rested = await sm.flush();
    await caughtUp(sm);
    sm.cancelOrder({ trader: 7, asset: 1, orderId: placed.orderId });
    flow.runBlock(sm);
    await sm.flush();
    const answers = await traderAnswers(sm, [7, ...FLOW_TRADERS]);
    expect(answers[0].open).toEqual([]);
    await sm.close();

    // The crash, as it leaves the database: the window of the commit that rested the order landed
    // (with the open-order entry that builds before docs/storage.md's round 23 wrote) but not its
    // INDEX_HEAD, and nothing of the next window did. Such entries are never read now: a trader's
    // open orders come from the book.
    const store = await Store.open(path, { sync: true });
    const batch = store.batch();
    batch.put(indexHeadKey(), encodeUint(before.sequence));
    batch.put(keyOf(Prefix.TRADER_OPEN, 7, placed.orderId), encodeUint(rested.sequence));
    for (const prefix of [Prefix.ORDER_TOUCH, Prefix.TRADER_TOUCH, Prefix.TRADER_ORDER, Prefix.ORDER_TOUCHES]) {
      for (const key of await store.keys(prefixRange(prefix))) {
        if (readU64BE(key, key.length - 8) > rested.sequence) batch.del(key);
      }
    }
    await store.write(batch);
    const marker = store.batch();
    marker.put(formatKey(), encodeFormat(8));
    await store.write(marker);
    await store.close();

    // Recovery writes both commits' postings again, and the marker is raised.
    await (await CoreStateMachine.open({ backend, path })).close();
    const reopened = await CoreStateMachine.open({ backend, path });
    await reopened.indexesReady();
    expect(reopened.indexLag).toBe(0);
    expect(await traderAnswers(reopened, [7, ...FLOW_TRADERS])).toEqual(answers);
    await reopened.close();
    const marked = await Store.open(path, { sync: false });
    expect(decodeFormat(formatKey(), (await marked.get(formatKey()))!)).toBe(DATABASE_FORMAT_VERSION);
    await marked.close();
  });

  // A format-9 window a crash cut short leaves lists past the head a height at a time, with
  // INDEX_REACH past the head; a recovery that then wrote part of it again leaves the rest past a
  // head that the reach no longer passes. Either way the format-10 window derived again would
  // overwrite only the first of a trader's lists.
  it.each([['past the head', true], ['at the head (a recovery wrote part of it again)', false]])('after a crash of a format-9 build that cut a window short, INDEX_REACH %s, derives the indexes again and answers every range of heights', async (_label, reachPastHead) => {
    const path = tempDbPath('lobcore-lists-format9');
    const disk = await CoreStateMachine.open({ backend, path });
    const memory = await CoreStateMachine.open({ backend });
    const flows = [new Flow(31), new Flow(31)];
    /** A block at a height of its own on both, flushed; the indexes caught up. */
    const block = async (): Promise<number> => {
      flows[0].runBlock(disk);
      flows[1].runBlock(memory);
      await memory.flush();
      const report = await disk.flush();
      await caughtUp(disk);
      return report.sequence;
    };
    let head = 0;
    for (let height = 1; height <= 3; height++) head = await block();
    let cutAt = 0;
    for (let height = 4; height <= 6; height++) cutAt = await block();
    for (let height = 7; height <= 9; height++) await block();
    await disk.close();

    // The crash, as a format-9 build leaves the index database: complete windows up to the head;
    // then the cut-short window's postings up to cutAt, a key a trader and height (each a list of
    // one here), and its INDEX_REACH; nothing of later commits.
    const store = await Store.open(path, { sync: true });
    const batch = store.batch();
    for (const prefix of [Prefix.TRADER_TOUCH, Prefix.TRADER_ORDER]) {
      for (const [key, value] of await store.entries(prefixRange(prefix))) {
        const postings = { heights: [] as number[], seqs: [] as number[], values: [] as number[] };
        decodePostings(key, value, 'postings', prefix === Prefix.TRADER_ORDER, postings);
        if (postings.seqs[0] <= head) continue;
        batch.del(key);
        const trader = readU64BE(key, 1);
        postings.seqs.forEach((seq, i) => {
          if (seq > cutAt) return;
          batch.put(keyOf(prefix, trader, postings.heights[i], seq), prefix === Prefix.TRADER_ORDER ? encodeUint(postings.values[i]) : EMPTY_VALUE);
        });
      }
    }
    for (const key of await store.keys(prefixRange(Prefix.ORDER_TOUCHES))) if (readU64BE(key, key.length - 8) > head) batch.del(key);
    batch.put(indexHeadKey(), encodeUint(head));
    batch.put(indexReachKey(), encodeUint(reachPastHead ? cutAt : head));
    await store.write(batch);
    const marker = store.batch();
    marker.put(formatKey(), encodeFormat(9));
    await store.write(marker);
    await store.close();

    const reopened = await CoreStateMachine.open({ backend, path });
    await reopened.indexesReady();
    await sameAnswers(reopened, memory);
    await reopened.close();
    await memory.close();
    const marked = await Store.open(path, { sync: false });
    expect(decodeFormat(formatKey(), (await marked.get(formatKey()))!)).toBe(DATABASE_FORMAT_VERSION);
    await marked.close();
  });

  it('gathers a light flow\'s commits into one window (indexGatherMs), folding their postings, and writes it at once when closed', async () => {
    /** Flushes five commits of one flow, each awaited; with `catchUp`, each also waits for its indexes (a window a commit). */
    const run = async (indexGatherMs: number, catchUp: boolean): Promise<{ path: string; lagBeforeClose: number; memory: CoreStateMachine; disk: CoreStateMachine }> => {
      const path = tempDbPath('lobcore-lists-gather');
      const { disk, memory } = await flowedPair(path, 57, 5, { indexGatherMs, catchUp });
      return { path, lagBeforeClose: disk.indexLag, memory, disk };
    };
    const postingKeys = async (path: string): Promise<number> => {
      const store = await Store.open(path, { sync: false });
      try {
        const lists = await store.keys({ gte: keyOf(Prefix.ORDER_TOUCH, 0, 0), lt: keyOf(Prefix.TRADER_ORDER + 1, 0) });
        return lists.length + (await store.keys(prefixRange(Prefix.ORDER_TOUCHES))).length;
      } finally {
        await store.close();
      }
    };

    // Ten minutes of gathering: nothing is written until close() waits for the indexes.
    const held = await run(600_000, false);
    expect(held.lagBeforeClose).toBe(held.disk.sequence);
    await sameAnswers(held.disk, held.memory);
    await held.disk.close();
    const reopened = await CoreStateMachine.open({ backend, path: held.path });
    await reopened.indexesReady();
    expect(reopened.indexLag).toBe(0);
    expect(reopened.recovery?.reindexedEntries).toBe(0);
    await sameAnswers(reopened, held.memory);
    await reopened.close();

    // No gathering, each commit indexed before the next: a window a commit, and more keys for the same postings.
    const each = await run(0, true);
    expect(each.lagBeforeClose).toBe(0);
    await each.disk.close();
    expect(await postingKeys(held.path)).toBeLessThan(await postingKeys(each.path));

    for (const bad of [-1, 1.5, '100']) {
      await expect(CoreStateMachine.open({ indexGatherMs: bad as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('indexGatherMs') });
    }
  });

  it('answers every query as in memory while the indexes lag, in windows of many commits, after a reopen, and from a version-4 database', async () => {
    const path = tempDbPath('lobcore-lists-sm');
    const disk = await CoreStateMachine.open({ backend, path, sync: false });
    const memory = await CoreStateMachine.open({ backend });
    const flows = [new Flow(91), new Flow(91)];
    // Eight commits a height, flushed without waiting: the index writer falls behind and takes several a window.
    for (let height = 1; height <= 6; height++) {
      disk.setHeight(height);
      memory.setHeight(height);
      for (let commit = 0; commit < 8; commit++) {
        stepBoth(flows, disk, memory);
        void disk.flush();
        await memory.flush();
      }
    }
    await disk.flush();
    await sameAnswers(disk, memory);
    await disk.close();
    // Eight commits a height, windows of several: a trader's lists span heights.
    expect(await listsAcrossHeights(path)).toBeGreaterThan(0);

    const reopened = await CoreStateMachine.open({ backend, path });
    await sameAnswers(reopened, memory);
    await reopened.close();

    // A version-4 database is one whose postings are all lists of one: it opens, reads the same, and is marked with the current version.
    const store = await Store.open(path, { sync: false });
    const batch = store.batch();
    batch.put(formatKey(), encodeFormat(4));
    await store.write(batch);
    await store.close();
    const old = await CoreStateMachine.open({ backend, path });
    await sameAnswers(old, memory);
    await old.close();
    const marked = await Store.open(path, { sync: false });
    expect(decodeFormat(formatKey(), (await marked.get(formatKey()))!)).toBe(DATABASE_FORMAT_VERSION);
    await marked.close();
    await memory.close();
  });

  it('reads a version-7 database, whose order touches are a key an order, as the current one; opened to write, derives its indexes again and raises its marker', async () => {
    const path = tempDbPath('lobcore-lists-v7');
    const { disk, memory } = await flowedPair(path, 93, 12, { sync: false });
    await disk.close();

    // As format 7 stored them: each order's touches under keys of its own, no buckets.
    const store = await Store.open(path, { sync: false });
    const buckets = await store.entries(prefixRange(Prefix.ORDER_TOUCHES));
    expect(buckets.length).toBeGreaterThan(0);
    const index = store.batch();
    let touches = 0;
    for (const [key, value] of buckets) {
      const orderIds: number[] = [];
      const seqs: number[] = [];
      decodeOrderTouches(key, value, orderIds, seqs);
      orderIds.forEach((orderId, i) => index.put(keyOf(Prefix.ORDER_TOUCH, orderId, seqs[i]), EMPTY_VALUE));
      touches += orderIds.length;
      index.del(key);
    }
    await store.write(index);
    const marker = store.batch();
    marker.put(formatKey(), encodeFormat(7));
    await store.write(marker);
    await store.close();
    expect(touches).toBeGreaterThan(buckets.length);

    // A read-only view reads it as it is, the one-order keys beside nothing.
    const view = await CoreStateMachine.open({ backend, path, readOnly: true });
    await sameAnswers(view, memory);
    await view.close();
    // Opened to write, it is raised to the current format, whose lists a height at a time it
    // cannot tell apart from a window cut short: its indexes are derived again (store.ts).
    const old = await CoreStateMachine.open({ backend, path });
    await old.indexesReady();
    await sameAnswers(old, memory);
    await old.close();
    const marked = await Store.open(path, { sync: false });
    expect(decodeFormat(formatKey(), (await marked.get(formatKey()))!)).toBe(DATABASE_FORMAT_VERSION);
    expect(await marked.keys(prefixRange(Prefix.ORDER_TOUCH))).toEqual([]);
    expect((await marked.keys(prefixRange(Prefix.ORDER_TOUCHES))).length).toBeGreaterThan(0);
    await marked.close();
    await memory.close();
  });
});
