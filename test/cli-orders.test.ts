// `lobcore orders` against a database whose traders hold OCO pairs (two legs, one seq): paging a
// trader's orders must show every order once at any page size, an order's lifecycle must show its
// own remaining size, and the paging flags are refused where there is no page.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { OrderRecord } from '../src/types.js';
import { expectBadInput, lobcore } from './helpers/cli.js';

const TRADER = 4;
let db: string;
let all: { open: OrderRecord[]; closed: OrderRecord[]; all: OrderRecord[] };
let taker: number;

beforeAll(async () => {
  db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-cli-orders-')), 'db');
  const sm = await CoreStateMachine.open({ path: db });
  sm.setHeight(1);
  sm.placeLimit({ trader: 9, asset: 1, side: 'ask', price: 100, size: 1, timestamp: 1 });
  sm.placeLimit({ trader: 8, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 1 }); // last price 100
  // Single orders and OCO pairs in turn, some of each closed, so every page size cuts a pair somewhere.
  for (let i = 0; i < 2; i++) {
    sm.setHeight(2 + i);
    const single = sm.placeLimit({ trader: TRADER, asset: 1, side: 'bid', price: 90 + i, size: 1, timestamp: 2 });
    const pair = sm.placeOco({ trader: TRADER, asset: 1, side: 'ask', size: 3, price: 110 + i, stopPrice: 98 - i, timestamp: 2 });
    if (i % 2 === 0) sm.cancel({ trader: TRADER, asset: 1, orderId: pair.orderId + 1 });
    if (i === 1) sm.cancel({ trader: TRADER, asset: 1, orderId: single.orderId });
  }
  sm.setHeight(6);
  sm.placeLimit({ trader: 6, asset: 2, side: 'ask', price: 120, size: 3, timestamp: 3 });
  sm.placeLimit({ trader: 6, asset: 2, side: 'ask', price: 121, size: 4, timestamp: 3 });
  taker = sm.placeLimit({ trader: 5, asset: 2, side: 'bid', price: 121, size: 10, timestamp: 3 }).orderId;
  all = {
    open: await sm.getTraderOrders(TRADER, { status: 'open', limit: 1000 }),
    closed: await sm.getTraderOrders(TRADER, { status: 'closed', limit: 1000 }),
    all: await sm.getTraderOrders(TRADER, { status: 'all', limit: 1000 }),
  };
  await sm.close();
});

afterAll(() => fs.rmSync(path.dirname(db), { recursive: true, force: true }));

async function pageThrough(status: string, limit: number, newestFirst: boolean): Promise<number[]> {
  const seen: number[] = [];
  let after: number | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const args = ['orders', db, '--trader', String(TRADER), '--status', status, '--limit', String(limit), '--json'];
    if (newestFirst) args.push('--newest-first');
    if (after !== undefined) args.push('--after', String(after));
    const result = await lobcore(...args);
    expect(result.code, result.stderr).toBe(0);
    const page = JSON.parse(result.stdout) as { orders: OrderRecord[]; more: boolean; next: { after: number } | null };
    seen.push(...page.orders.map((r) => r.orderId));
    if (!page.more) {
      expect(page.next).toBeNull();
      return seen;
    }
    expect(page.next).toEqual({ after: page.orders[page.orders.length - 1].seq });
    after = page.next?.after;
  }
  throw new Error('the pages never ended');
}

describe('lobcore orders --trader', () => {
  it('has OCO pairs among the orders of every status', () => {
    for (const records of [all.open, all.closed]) {
      expect(records.some((r, i) => i > 0 && r.seq === records[i - 1].seq)).toBe(true);
    }
  });

  for (const status of ['open', 'closed', 'all'] as const) {
    it(`pages --status ${status} with every order exactly once, an OCO pair kept on one page`, async () => {
      const ids = all[status].map((r) => r.orderId);
      // Limit 1 cuts at every pair; 2 cuts some pairs at their second leg's turn.
      for (const limit of [1, 2]) {
        expect(await pageThrough(status, limit, false), `--limit ${limit}`).toEqual(ids);
        expect(await pageThrough(status, limit, true), `--limit ${limit} --newest-first`).toEqual([...all[status]].reverse().map((r) => r.orderId));
      }
    }, 60_000);
  }

  it('prints the more: line that continues past a whole pair', async () => {
    const firstPair = all.all.findIndex((r, i) => i > 0 && r.seq === all.all[i - 1].seq);
    const text = await lobcore('orders', db, '--trader', String(TRADER), '--limit', String(firstPair));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${firstPair + 1} orders of trader ${TRADER}`));
    expect(text.stdout).toMatch(new RegExp(`more: lobcore orders .* --after ${all.all[firstPair].seq}\\n$`));
  });
});

describe('lobcore orders --order', () => {
  it("shows the order's own remaining size after each event, also where it took", async () => {
    const text = await lobcore('orders', db, '--order', String(taker));
    expect(text.code, text.stderr).toBe(0);
    const rows = text.stdout.split('\n').filter((line) => /^\s+\d+\s+\d+\s+\w+/.test(line)).map((line) => line.trim().split(/\s+/).slice(2, 6));
    expect(rows).toEqual([
      ['accepted', '121', '10', '10'],
      ['fill', '120', '3', '7'],
      ['fill', '121', '4', '3'],
      ['rested', '121', '3', '3'],
    ]);
  });

  it('refuses the paging flags, which only --trader has', async () => {
    for (const flags of [['--status', 'open'], ['--limit', '5'], ['--after', '3'], ['--newest-first'], ['--status', 'all', '--newest-first']]) {
      const result = await lobcore('orders', db, '--order', String(taker), ...flags);
      expectBadInput(result, new RegExp(`${flags[0]}.* with --trader`));
      expect(result.stdout).toBe('');
    }
  });
});
