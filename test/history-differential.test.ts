// The history queries against a reference the test keeps itself: a seeded flow (per-call commands,
// batches, stops and their cascades, OCO pairs, cancelAll, STP) runs through a state machine, and
// every event the engine reports is kept in memory with its sequence, height and fill sequence.
// After each flush every query (an order's record, events and fills, a trader's orders of each
// status and fills, paged both ways with small limits and height ranges, client order ids) is
// compared with what those events say, and the open orders with the engine's own book. On RocksDB
// the index writer is held back for stretches (its windows gather for a minute), so the answers
// come through the overlay; the machine is reopened (the indexes then open behind it), read-only
// views are opened beside it, and checkpoints prune the journal. In memory, the same flow.
import { expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { EVENT_SLOTS, EventSlot, decodeEvent, type EventList } from '../src/events.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { RecordedFill } from '../src/state/fill-history.js';
import type { BackendName, Depth, OrderRecord, RecordedEvent } from '../src/types.js';
import { describeEachBackend } from './helpers/backends.js';
import { pastCursor } from './helpers/answers.js';
import { FLOW_ASSETS, FLOW_TRADERS, Flow, rng } from './fixtures/flow.mjs';

const BOOK_LEVELS = 50;
import { tempDbPath } from './fixtures/state-helpers.js';

/** A command that placed orders (accepted or rejected) as the engine reported it. */
interface Placing {
  seq: number;
  height: number;
  trader: number;
  /** Its orders' ids, oldest first; [0] for a rejected order. */
  orderIds: number[];
  clientOrderId?: number;
}

/** What the engine's own per-call results and events say history holds. */
class Reference {
  readonly eventsByOrder = new Map<number, RecordedEvent[]>();
  readonly fills: RecordedFill[] = [];
  readonly placings: Placing[] = [];
  private readonly placingBySeq = new Map<number, Placing>();
  readonly placedHeight = new Map<number, number>();
  /** Each height's books at its end, by asset: [height][asset] -> depth as the engine gave it. */
  readonly books = new Map<number, Map<number, Depth>>();

  /** The books as height `height` leaves them (called at its end). */
  endHeight(sm: CoreStateMachine, height: number): void {
    this.books.set(height, new Map(FLOW_ASSETS.map((asset) => [asset, sm.depth(asset, BOOK_LEVELS)])));
  }

  /** The events of commands firstSeq + event.command (a batch numbers them from 0; a call's is 0). */
  record(events: EventList, firstSeq: number, firstFillSeq: number, height: number): void {
    let fillSeq = firstFillSeq;
    for (let k = 0; k < events.count; k++) {
      const event = decodeEvent(events.records, k * EVENT_SLOTS) as RecordedEvent;
      const command = events.records[k * EVENT_SLOTS + EventSlot.COMMAND];
      event.command = firstSeq + command;
      event.seq = event.command;
      event.height = height;
      if (event.kind === 'fill') {
        event.fillSeq = fillSeq++;
        this.fills.push({
          asset: event.asset, makerOrderId: event.orderId, takerOrderId: event.takerOrderId!, makerTrader: event.trader, takerTrader: event.takerTrader!,
          takerSide: event.side === 'bid' ? 'ask' : 'bid', price: event.price, size: event.size, timestamp: 0, height, fillSeq: event.fillSeq,
        });
      }
      if (event.kind !== 'rejected') this.add(event.orderId, event);
      if (event.kind === 'fill' && event.takerOrderId !== event.orderId) this.add(event.takerOrderId!, event);
      if (event.kind === 'accepted' || (event.kind === 'rejected' && event.orderId === 0)) {
        let placing = this.placingBySeq.get(event.seq);
        if (placing === undefined) {
          placing = { seq: event.seq, height, trader: event.trader, orderIds: [], ...(event.clientOrderId === undefined ? {} : { clientOrderId: event.clientOrderId }) };
          this.placingBySeq.set(event.seq, placing);
          this.placings.push(placing);
        }
        placing.orderIds.push(event.orderId);
        if (event.orderId !== 0) this.placedHeight.set(event.orderId, height);
      }
    }
  }

  private add(orderId: number, event: RecordedEvent): void {
    let list = this.eventsByOrder.get(orderId);
    if (list === undefined) this.eventsByOrder.set(orderId, (list = []));
    list.push(event);
  }
}

/** Drives a Flow through `sm`, recording every command's events in `ref`. */
function recorder(ref: Reference, machine: () => CoreStateMachine) {
  const perCall = (name: string) => (req: unknown) => {
    const sm = machine();
    const seq = sm.sequence + 1;
    const fillSeq = sm.nextFillSeq;
    const result = (sm as unknown as Record<string, (r: unknown) => unknown>)[name](req);
    expect(sm.sequence).toBe(seq);
    ref.record(sm.events, seq, fillSeq, sm.height);
    return result;
  };
  return {
    setHeight: (height: number) => {
      const sm = machine();
      // A new height ends the one before it: its books are what bookAt must give for it.
      if (height > sm.height) ref.endHeight(sm, sm.height);
      sm.setHeight(height);
    },
    placeLimitOrder: perCall('placeLimitOrder'),
    placeMarketOrder: perCall('placeMarketOrder'),
    placeStopOrder: perCall('placeStopOrder'),
    placeOcoOrder: perCall('placeOcoOrder'),
    cancelOrder: perCall('cancelOrder'),
    reduceOrder: perCall('reduceOrder'),
    modifyOrder: perCall('modifyOrder'),
    cancelAll: perCall('cancelAll'),
    submitBatch: (batch: CommandBatch) => {
      const sm = machine();
      const seq = sm.sequence + 1;
      const out = sm.submitBatch(batch);
      ref.record(out.results.events, seq, out.firstFillSeq, out.height);
      return out;
    },
  };
}

const isOpen = (status: string): boolean => status === 'resting' || status === 'pending';

/** Every query of `sm` against `ref`; `open`: the engine's open orders when it was taken. */
async function checkAgainst(sm: CoreStateMachine, ref: Reference, openRemaining: ReadonlyMap<number, number>, nextOrderId: number, random: () => number, what: string): Promise<void> {
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const open = new Set(openRemaining.keys());
  expect(sm.nextOrderId, what).toBe(nextOrderId);
  // Every order now and then (a reopen, a view), else a sample: kept to a few seconds.
  const everyOrder = random() < 0.15;
  for (let id = 1; id < nextOrderId; id++) {
    if (!everyOrder && random() > 16 / nextOrderId) continue;
    const events = ref.eventsByOrder.get(id) ?? [];
    expect(await sm.getOrderEvents(id), `${what}: order ${id}'s events`).toEqual(events);
    const record = await sm.getOrder(id);
    const fills = events.filter((e) => e.kind === 'fill');
    expect(record, `${what}: order ${id}`).toMatchObject({ orderId: id, placedHeight: ref.placedHeight.get(id), filled: fills.reduce((s, e) => s + e.size, 0) });
    expect(isOpen(record!.status), `${what}: order ${id} is ${record!.status}`).toBe(open.has(id));
    const last = events[events.length - 1];
    const triggered = events.find((e) => e.kind === 'triggered');
    expect({ remaining: record!.remaining, closedHeight: record!.closedHeight, triggeredHeight: record!.triggeredHeight }, `${what}: order ${id}`).toEqual({
      remaining: open.has(id) ? openRemaining.get(id) : 0,
      closedHeight: open.has(id) ? undefined : last.height,
      triggeredHeight: triggered?.height,
    });
    if (!open.has(id)) expect(record!.status, `${what}: order ${id}`).toBe(events.some((e) => e.kind === 'removed' && e.orderId === id) ? 'cancelled' : 'filled');
    const fillSeqs = fills.map((e) => e.fillSeq);
    expect((await sm.getOrderFills(id)).map((f) => f.fillSeq), `${what}: order ${id}'s fills`).toEqual(fillSeqs);
    if (fillSeqs.length > 1) {
      const at = int(0, fillSeqs.length - 1);
      expect((await sm.getOrderFills(id, { after: fillSeqs[at], limit: 1 })).map((f) => f.fillSeq)).toEqual(fillSeqs.slice(at + 1, at + 2));
    }
  }
  // Past books: a height the checkpoints kept (the journal before the oldest is pruned) as it ended.
  for (const [height, books] of ref.books) {
    if (random() > 1 / ref.books.size) continue;
    for (const [asset, depth] of books) {
      try {
        const book = await sm.bookAt(asset, height, BOOK_LEVELS);
        expect({ bids: book.bids, asks: book.asks }, `${what}: asset ${asset}'s book at height ${height}`).toEqual({ bids: depth.bids, asks: depth.asks });
      } catch (error) {
        if ((error as { code?: string }).code !== 'NOT_RETAINED') throw error;
      }
    }
  }
  const maxHeight = ref.placings.length === 0 ? 1 : ref.placings[ref.placings.length - 1].height;
  for (const trader of FLOW_TRADERS) {
    const placings = ref.placings.filter((p) => p.trader === trader);
    for (const status of ['all', 'open', 'closed'] as const) {
      for (const newestFirst of [false, true]) {
        const ranged = random() < 0.5;
        const fromHeight = ranged ? int(0, maxHeight) : 0;
        const toHeight = ranged ? int(fromHeight, maxHeight + 1) : Number.MAX_SAFE_INTEGER;
        const expected: Array<[number, number]> = [];
        for (const p of placings) {
          if (p.height < fromHeight || p.height > toHeight) continue;
          for (const orderId of p.orderIds) {
            const isOpenNow = orderId !== 0 && open.has(orderId);
            if (status === 'all' || (status === 'open') === isOpenNow) expected.push([p.seq, orderId]);
          }
        }
        if (newestFirst) expected.reverse();
        const limit = int(1, 6);
        const got: Array<[number, number]> = [];
        let after = 0;
        const label = `${what}: trader ${trader} ${status} orders, heights ${fromHeight}-${toHeight}, newestFirst ${newestFirst}, limit ${limit}`;
        for (let pages = 0; ; pages++) {
          expect(pages, label).toBeLessThan(1000);
          const page: OrderRecord[] = await sm.getTraderOrders(trader, { status, newestFirst, after, limit, fromHeight, toHeight });
          got.push(...page.map((r): [number, number] => [r.seq, r.orderId]));
          // A page may run one past its limit only to keep an OCO pair's legs together.
          expect(page.length, label).toBeLessThanOrEqual(limit + 1);
          if (page.length > limit) expect(page[limit].seq, label).toBe(page[limit - 1].seq);
          if (page.length < limit) break;
          after = pastCursor(after, page[page.length - 1].seq, newestFirst, label);
        }
        expect(got, label).toEqual(expected);
      }
    }
    for (const newestFirst of [false, true]) {
      const ranged = random() < 0.5;
      const fromHeight = ranged ? int(0, maxHeight) : 0;
      const toHeight = ranged ? int(fromHeight, maxHeight + 1) : Number.MAX_SAFE_INTEGER;
      const expected = ref.fills.filter((f) => (f.makerTrader === trader || f.takerTrader === trader) && f.height >= fromHeight && f.height <= toHeight).map((f) => f.fillSeq);
      if (newestFirst) expected.reverse();
      const limit = int(1, 6);
      const label = `${what}: trader ${trader} fills, heights ${fromHeight}-${toHeight}, newestFirst ${newestFirst}, limit ${limit}`;
      const got: number[] = [];
      let after = 0;
      for (let pages = 0; ; pages++) {
        expect(pages, label).toBeLessThan(1000);
        const page = await sm.getTraderFills(trader, { newestFirst, after, limit, fromHeight, toHeight });
        got.push(...page.map((f) => f.fillSeq));
        expect(page.length, label).toBeLessThanOrEqual(limit);
        if (page.length < limit) break;
        after = pastCursor(after, page[page.length - 1].fillSeq, newestFirst, label);
      }
      expect(got, label).toEqual(expected);
    }
    // Client order ids: the trader's newest placing with each.
    const newest = new Map<number, Placing>();
    for (const p of placings) if (p.clientOrderId !== undefined) newest.set(p.clientOrderId, p);
    for (const [clientOrderId, p] of newest) {
      const record = await sm.getOrderByClientId(trader, clientOrderId);
      expect(record === undefined ? undefined : [record.seq, record.orderId], `${what}: trader ${trader}'s client order id ${clientOrderId}`).toEqual([p.seq, p.orderIds[0]]);
    }
  }
}

/** The engine's open orders (resting or pending), each with what rests or waits of it. */
function openOrders(sm: CoreStateMachine): Map<number, number> {
  const open = new Map<number, number>();
  for (let id = 1; id < sm.nextOrderId; id++) {
    const order = sm.order(id);
    if (order !== undefined) open.set(id, order.remaining);
  }
  return open;
}

describeEachBackend('history queries against the engine\'s own events', (backend: BackendName) => {
  for (const seed of [1, 2]) {
    it(`on RocksDB, index held back, reopened, beside read-only views, checkpoints pruning (seed ${seed})`, async () => {
      const path = tempDbPath('lobcore-history-diff');
      const ref = new Reference();
      const random = rng(seed * 7919);
      const options = (held: boolean) => ({ path, backend, checkpointInterval: 2, keepCheckpoints: 1, ...(held ? { indexGatherMs: 60_000 } : {}) });
      let sm = await CoreStateMachine.open(options(true));
      const flow = new Flow(seed, { opsPerBlock: 12, makeBatch: () => new CommandBatch() });
      const driver = recorder(ref, () => sm);
      let lagged = false;
      try {
        for (let round = 0; round < 3; round++) {
          for (let block = 0; block < 2; block++) {
            flow.runBlock(driver);
            // Some flushes are awaited only by the queries (which flush first).
            if (random() < 0.6) await sm.flush();
            if (random() < 0.5) await sm.checkpointIfNeeded();
            lagged ||= sm.indexLag > 0;
            await checkAgainst(sm, ref, openOrders(sm), sm.nextOrderId, random, `seed ${seed} round ${round} block ${block}`);
          }
          if (round % 2 === 1) {
            await sm.flush();
            const view = await CoreStateMachine.open({ path, backend, readOnly: true });
            try {
              await checkAgainst(view, ref, openOrders(sm), sm.nextOrderId, random, `seed ${seed} round ${round}, a read-only view`);
            } finally {
              await view.close();
            }
          }
          const open = openOrders(sm);
          await sm.close();
          sm = await CoreStateMachine.open(options(round % 2 === 0));
          // Asked at once: the indexes are still opening behind the machine.
          await checkAgainst(sm, ref, open, sm.nextOrderId, random, `seed ${seed} round ${round}, reopened`);
        }
        // The flow did what it is for: the index behind, orders open and closed, fills, OCO pairs, rejections.
        expect(lagged).toBe(true);
        expect(ref.fills.length).toBeGreaterThan(10);
        expect(ref.placings.some((p) => p.orderIds.length === 2)).toBe(true);
        expect(ref.placings.some((p) => p.orderIds[0] === 0)).toBe(true);
        expect(openOrders(sm).size).toBeGreaterThan(5);
      } finally {
        await sm.close();
      }
    }, 60_000);
  }

  it('in memory', async () => {
    for (const seed of [4, 5]) {
      const ref = new Reference();
      const random = rng(seed * 7919);
      const sm = await CoreStateMachine.open({ backend });
      const flow = new Flow(seed, { opsPerBlock: 12, makeBatch: () => new CommandBatch() });
      const driver = recorder(ref, () => sm);
      try {
        for (let block = 0; block < 8; block++) {
          flow.runBlock(driver);
          if (random() < 0.5) await sm.flush();
          await checkAgainst(sm, ref, openOrders(sm), sm.nextOrderId, random, `memory seed ${seed} block ${block}`);
        }
      } finally {
        await sm.close();
      }
    }
  }, 60_000);
});

