// `lobcore orders`, `lobcore book` and `lobcore feed` as a user runs them, against a database a
// state machine wrote: each must print what the library's queries answer, in text and JSON.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { Flow } from './fixtures/flow.mjs';
import { expectBadInput, lobcore } from './helpers/cli.js';

let db: string;
let expected: {
  order: unknown; events: unknown; traderOpen: unknown; book: unknown; bookAt: unknown; feed: unknown; nextOrderId: number;
};

beforeAll(async () => {
  // Kept for the whole file (the shared temp helper cleans up after each test).
  db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-cli-history-')), 'db');
  const sm = await CoreStateMachine.open({ path: db, checkpointInterval: 2, keepCheckpoints: 4 });
  const flow = new Flow(31, { makeBatch: () => new CommandBatch() });
  for (let block = 1; block <= 8; block++) {
    flow.runBlock(sm);
    await sm.checkpointIfNeeded();
  }
  const subscription = sm.subscribe({ assets: [1], fromSeq: 3 });
  const feed = [];
  for await (const message of subscription) {
    feed.push(message);
    if (feed.length === 5) break;
  }
  expected = {
    order: await sm.getOrder(20),
    events: await sm.getOrderEvents(20),
    traderOpen: await sm.getTraderOrders(10, { status: 'open', limit: 3 }),
    book: sm.bookSnapshot(1, 4),
    bookAt: await sm.bookAt(2, 5, 4),
    feed,
    nextOrderId: sm.nextOrderId,
  };
  await sm.close();
});

afterAll(() => fs.rmSync(path.dirname(db), { recursive: true, force: true }));

describe('lobcore orders', () => {
  it('--order prints the record and the lifecycle; --json gives both as the library does', async () => {
    const text = await lobcore('orders', db, '--order', '20');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^order 20 of trader \d+: limit (bid|ask) /);
    expect(text.stdout).toMatch(/accepted/);
    const json = JSON.parse((await lobcore('orders', db, '--order', '20', '--json')).stdout);
    expect(json).toEqual({ order: expected.order, events: expected.events });
  });

  it('--trader lists a page and says how to get the next', async () => {
    const json = JSON.parse((await lobcore('orders', db, '--trader', '10', '--status', 'open', '--limit', '3', '--json')).stdout);
    expect(json.orders).toEqual(expected.traderOpen);
    expect(json.more).toBe(true);
    expect(json.next).toEqual({ after: (expected.traderOpen as Array<{ seq: number }>)[2].seq });
    const text = await lobcore('orders', db, '--trader', '10', '--status', 'open', '--limit', '3');
    expect(text.stdout).toMatch(/3 open orders of trader 10/);
    expect(text.stdout).toMatch(new RegExp(`more: lobcore orders .* --after ${json.next.after}`));
  });

  it('refuses an order id never issued, and a call without exactly one subject', async () => {
    expectBadInput(await lobcore('orders', db, '--order', String(expected.nextOrderId)), new RegExp(`order ${expected.nextOrderId} does not exist`));
    expectBadInput(await lobcore('orders', db), /exactly one of --order <id> and --trader <id>/);
    expectBadInput(await lobcore('orders', db, '--trader', '1', '--status', 'half'), /--status/);
  });
});

describe('lobcore book', () => {
  it('prints the ladder now and at a past height', async () => {
    expect(JSON.parse((await lobcore('book', db, '--asset', '1', '--depth', '4', '--json')).stdout)).toEqual(expected.book);
    expect(JSON.parse((await lobcore('book', db, '--asset', '2', '--depth', '4', '--height', '5', '--json')).stdout)).toEqual(expected.bookAt);
    const text = await lobcore('book', db, '--asset', '1', '--depth', '4');
    expect(text.stdout).toMatch(/^asset 1 at height 8, feed seq \d+/);
    expect(text.stdout).toMatch(/spread \d+/);
  });

  it('refuses a missing asset and a height not kept, naming the flag as typed', async () => {
    expectBadInput(await lobcore('book', db), /--asset/);
    expectBadInput(await lobcore('book', db, '--asset', '1', '--height', '1'), /^lobcore: --height 1 is before the oldest checkpoint \(height \d+\) .* the database keeps no book before height \d+$/);
    expectBadInput(await lobcore('book', db, '--asset', '1', '--height', '99'), /^lobcore: --height 99 is beyond the database's height 8$/);
  });
});

describe('height 0 of a database without commands', () => {
  it('is the empty book, in memory, on disk and from lobcore book, while a pruned journal is still refused', async () => {
    const empty = { asset: 1, seq: 0, height: 0, bids: [], asks: [] };
    const memory = await CoreStateMachine.open();
    expect(await memory.bookAt(1, 0)).toEqual(empty);
    await memory.close();
    const fresh = path.join(path.dirname(db), 'fresh');
    const sm = await CoreStateMachine.open({ path: fresh });
    expect(await sm.bookAt(1, 0)).toEqual(empty);
    await sm.close();
    const text = await lobcore('book', fresh, '--asset', '1', '--height', '0');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^asset 1 at height 0, feed seq 0\n\s+the book is empty/);
    expectBadInput(await lobcore('book', db, '--asset', '1', '--height', '0'), /--height 0 is before the oldest checkpoint/);
  });
});

describe('lobcore feed', () => {
  it('prints the messages from a sequence on, as a subscriber gets them', async () => {
    const json = JSON.parse((await lobcore('feed', db, '--asset', '1', '--from-seq', '3', '--limit', '5', '--json')).stdout);
    expect(json.messages).toEqual(expected.feed);
    expect(json.next).toEqual({ fromSeq: 8 });
    const text = await lobcore('feed', db, '--asset', '1', '--from-seq', '3', '--limit', '2');
    expect(text.stdout).toMatch(/^asset 1: messages 3\.\.4 of /);
    expect(text.stdout).toMatch(/more: lobcore feed .* --from-seq 5/);
  });
});
