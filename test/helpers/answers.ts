// Answers two state machines must agree on, after one seeded flow ran through both (one on disk,
// one in memory): every order, its events, each flow trader's orders and fills paged every way.
import { expect } from 'vitest';
import type { CoreStateMachine } from '../../src/state/state-machine.js';
import type { RecordedFill } from '../../src/state/fill-history.js';
import type { OrderRecord } from '../../src/types.js';
import { FLOW_TRADERS, type Flow } from '../fixtures/flow.mjs';
import { allFills } from '../fixtures/state-helpers.js';

/** Ranges of heights that start and end inside stored lists, which may span heights. */
const HEIGHT_RANGES = [[2, 4], [1, 1], [3, 3], [4, 6], [6, 6], [5, Number.MAX_SAFE_INTEGER]] as const;
const STATUSES = ['all', 'open', 'closed'] as const;

interface TraderAnswers {
  /** pagedOrders by status, then oldest first and newest first. */
  paged: number[][][];
  /** Per height range: its orders, its newest 3, its fills and its newest 3 fills. */
  ranges: Array<{ orders: OrderRecord[]; newestOrders: OrderRecord[]; fills: RecordedFill[]; newestFills: RecordedFill[] }>;
  fillsOldestFirst: number[];
  fillsNewestFirst: number[];
}

interface Answers {
  orders: Array<OrderRecord | undefined>;
  events: Array<Awaited<ReturnType<CoreStateMachine['getOrderEvents']>>>;
  traders: TraderAnswers[];
  allFills: RecordedFill[];
}

/**
 * Every query sameAnswers compares, asked all at once: a disk state machine answers from its
 * store's and index's worker threads, the index's at nice 10, and a query at a time waited for a
 * round trip to each, behind whatever else the machine ran. Asked together, the workers serve them
 * back to back. Each paging still follows its own cursors one page after the other.
 */
async function answersOf(sm: CoreStateMachine, orderCount: number): Promise<Answers> {
  const ids = Array.from({ length: orderCount }, (_, i) => i + 1);
  const trader = async (t: number): Promise<TraderAnswers> => {
    const [paged, ranges, fillsOldestFirst, fillsNewestFirst] = await Promise.all([
      Promise.all(STATUSES.map((status) => Promise.all([false, true].map((newestFirst) => pagedOrders(sm, t, status, newestFirst))))),
      Promise.all(HEIGHT_RANGES.map(async ([fromHeight, toHeight]) => {
        const range = { fromHeight, toHeight };
        const [orders, newestOrders, fills, newestFills] = await Promise.all([
          sm.getTraderOrders(t, range),
          sm.getTraderOrders(t, { ...range, newestFirst: true, limit: 3 }),
          sm.getTraderFills(t, range),
          sm.getTraderFills(t, { ...range, newestFirst: true, limit: 3 }),
        ]);
        return { orders, newestOrders, fills, newestFills };
      })),
      pagedFills(sm, t, false),
      pagedFills(sm, t, true),
    ]);
    return { paged, ranges, fillsOldestFirst, fillsNewestFirst };
  };
  const [orders, events, traders, fills] = await Promise.all([
    Promise.all(ids.map((id) => sm.getOrder(id))),
    Promise.all(ids.map((id) => sm.getOrderEvents(id))),
    Promise.all(FLOW_TRADERS.map(trader)),
    allFills(sm, FLOW_TRADERS),
  ]);
  return { orders, events, traders, allFills: fills };
}

/** Every query that reads postings gives the same answers on both. */
export async function sameAnswers(disk: CoreStateMachine, memory: CoreStateMachine): Promise<void> {
  expect(disk.nextOrderId).toBe(memory.nextOrderId);
  const [d, m] = await Promise.all([answersOf(disk, memory.nextOrderId - 1), answersOf(memory, memory.nextOrderId - 1)]);
  for (let id = 1; id < memory.nextOrderId; id++) {
    expect(d.orders[id - 1], `order ${id}`).toEqual(m.orders[id - 1]);
    expect(d.events[id - 1], `order ${id}`).toEqual(m.events[id - 1]);
  }
  FLOW_TRADERS.forEach((trader, t) => {
    STATUSES.forEach((status, s) => {
      for (const newest of [0, 1]) {
        expect(d.traders[t].paged[s][newest], `trader ${trader} ${status}`).toEqual(m.traders[t].paged[s][newest]);
      }
    });
    HEIGHT_RANGES.forEach(([fromHeight, toHeight], r) => {
      const [dr, mr] = [d.traders[t].ranges[r], m.traders[t].ranges[r]];
      expect(dr.orders, `trader ${trader} heights ${fromHeight}-${toHeight}`).toEqual(mr.orders);
      expect(dr.newestOrders).toEqual(mr.newestOrders);
      expect(dr.fills, `trader ${trader} fills ${fromHeight}-${toHeight}`).toEqual(mr.fills);
      for (const answers of [dr, mr]) {
        expect(answers.newestFills, `trader ${trader} newest fills ${fromHeight}-${toHeight}`).toEqual(mr.fills.slice(-3).reverse());
      }
    });
    // Newest first, page after page: the same fills as oldest first, reversed.
    const oldestFirst = m.traders[t].fillsOldestFirst;
    expect(d.traders[t].fillsOldestFirst, `trader ${trader} fills`).toEqual(oldestFirst);
    for (const answers of [d, m]) expect(answers.traders[t].fillsNewestFirst, `trader ${trader} fills newest first`).toEqual(oldestFirst.slice().reverse());
  });
  expect(d.allFills).toEqual(m.allFills);
}

/** The next 15 commands of one seeded flow (two copies of it, one a state machine), on both. */
export function stepBoth(flows: Flow[], disk: CoreStateMachine, memory: CoreStateMachine): void {
  for (let k = 0; k < 15; k++) {
    flows[0].step(disk);
    flows[1].step(memory);
  }
}

/** A trader's orders, 7 a page. */
export async function pagedOrders(sm: CoreStateMachine, trader: number, status: 'all' | 'open' | 'closed', newestFirst: boolean): Promise<number[]> {
  const out: number[] = [];
  let after = 0;
  for (;;) {
    const page = await sm.getTraderOrders(trader, { status, newestFirst, after, limit: 7 });
    out.push(...page.map((o) => o.orderId));
    if (page.length < 7) return out;
    after = pastCursor(after, page[page.length - 1].seq, newestFirst, `trader ${trader}'s ${status} orders`);
  }
}

/** A trader's fill sequences, 7 a page. */
export async function pagedFills(sm: CoreStateMachine, trader: number, newestFirst: boolean): Promise<number[]> {
  const out: number[] = [];
  let after = 0;
  for (;;) {
    const page = await sm.getTraderFills(trader, { newestFirst, after, limit: 7 });
    out.push(...page.map((f) => f.fillSeq));
    if (page.length < 7) return out;
    after = pastCursor(after, page[page.length - 1].fillSeq, newestFirst, `trader ${trader}'s fills`);
  }
}

/**
 * The next page's cursor, `next`, checked to be past `after`: one that is not would give the same
 * page again, and the paging would never end (a posting that names another command's order).
 */
export function pastCursor(after: number, next: number, newestFirst: boolean, what: string): number {
  expect(after === 0 || (newestFirst ? next < after : next > after), `${what}: a page ends at ${next}, not past its cursor ${after}`).toBe(true);
  return next;
}
