// Answers two state machines must agree on, after one seeded flow ran through both (one on disk,
// one in memory): every order, its events, each flow trader's orders and fills paged every way.
import { expect } from 'vitest';
import type { CoreStateMachine } from '../../src/state/state-machine.js';
import { FLOW_TRADERS, type Flow } from '../fixtures/flow.mjs';
import { allFills } from '../fixtures/state-helpers.js';

/** Every query that reads postings gives the same answers on both. */
export async function sameAnswers(disk: CoreStateMachine, memory: CoreStateMachine): Promise<void> {
  expect(disk.nextOrderId).toBe(memory.nextOrderId);
  for (let id = 1; id < memory.nextOrderId; id++) {
    expect(await disk.getOrder(id), `order ${id}`).toEqual(await memory.getOrder(id));
    expect(await disk.getOrderEvents(id), `order ${id}`).toEqual(await memory.getOrderEvents(id));
  }
  for (const trader of FLOW_TRADERS) {
    for (const status of ['all', 'open', 'closed'] as const) {
      for (const newestFirst of [false, true]) {
        expect(await pagedOrders(disk, trader, status, newestFirst), `trader ${trader} ${status}`).toEqual(await pagedOrders(memory, trader, status, newestFirst));
      }
    }
    // Ranges of heights that start and end inside stored lists, which may span heights.
    for (const [fromHeight, toHeight] of [[2, 4], [1, 1], [3, 3], [4, 6], [6, 6], [5, Number.MAX_SAFE_INTEGER]]) {
      const range = { fromHeight, toHeight };
      expect(await disk.getTraderOrders(trader, range), `trader ${trader} heights ${fromHeight}-${toHeight}`).toEqual(await memory.getTraderOrders(trader, range));
      expect(await disk.getTraderOrders(trader, { ...range, newestFirst: true, limit: 3 })).toEqual(await memory.getTraderOrders(trader, { ...range, newestFirst: true, limit: 3 }));
      const fills = await memory.getTraderFills(trader, range);
      expect(await disk.getTraderFills(trader, range), `trader ${trader} fills ${fromHeight}-${toHeight}`).toEqual(fills);
      for (const sm of [disk, memory]) {
        expect(await sm.getTraderFills(trader, { ...range, newestFirst: true, limit: 3 }), `trader ${trader} newest fills ${fromHeight}-${toHeight}`).toEqual(fills.slice(-3).reverse());
      }
    }
    // Newest first, page after page: the same fills as oldest first, reversed.
    const oldestFirst = await pagedFills(memory, trader, false);
    expect(await pagedFills(disk, trader, false), `trader ${trader} fills`).toEqual(oldestFirst);
    for (const sm of [disk, memory]) expect(await pagedFills(sm, trader, true), `trader ${trader} fills newest first`).toEqual(oldestFirst.slice().reverse());
  }
  expect(await allFills(disk, FLOW_TRADERS)).toEqual(await allFills(memory, FLOW_TRADERS));
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
