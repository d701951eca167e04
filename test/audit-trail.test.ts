// The order audit trail (issue "Events out of the core"): what became of any order, its whole
// lifecycle, a trader's orders, an order by client id; in memory and on disk (where it must
// survive a reopen, and read the same as in memory), on both cores. A page of records over one
// large block decodes it once (history.ts shares a decode among the readers asking at once).
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { OrderRecord, TraderOrderQuery } from '../src/types.js';
import { describeEachBackend } from './helpers/backends.js';
import { FLOW_TRADERS, Flow, rng } from './fixtures/flow.mjs';
import { tempDbPath } from './fixtures/state-helpers.js';
import { CommandBatch } from '../src/batch.js';
import { AuditTrail } from '../src/state/audit-trail.js';
import { History } from '../src/state/history.js';
import { OpenOrders } from '../src/state/open-orders.js';
import { bucketReads, placingReads } from '../src/state/posting-lists.js';
import { OverlayReader } from '../src/state/overlay.js';
import { Prefix } from '../src/state/keys.js';

describeEachBackend('audit trail', (backend) => {
  for (const mode of ['memory', 'disk'] as const) {
    const open = () => CoreStateMachine.open({ backend, path: mode === 'disk' ? tempDbPath('audit') : undefined });

    describe(`(${mode})`, () => {
      it('reports every way an order ends, to its own owner, with heights', async () => {
        const sm = await open();
        sm.setHeight(1);
        const cancelled = sm.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 105, size: 5, timestamp: 1, clientOrderId: 11 });
        const maker = sm.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 2, timestamp: 2 });
        const other = sm.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 100, size: 3, timestamp: 3 });
        sm.setHeight(2);
        sm.cancel({ trader: 1, asset: 1, orderId: cancelled.orderId });
        // Trader 1 buys with cancel_maker: its own resting ask (maker) is removed, not filled.
        const stp = sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 4, stp: 'cancel_maker' });
        const ioc = sm.placeLimit({ trader: 3, asset: 1, side: 'bid', price: 100, size: 9, timestamp: 5, timeInForce: 'IOC' });
        const market = sm.placeMarket({ trader: 4, asset: 1, side: 'bid', size: 2, timestamp: 6 });
        const reduced = sm.placeLimit({ trader: 5, asset: 1, side: 'bid', price: 90, size: 4, timestamp: 7 });
        sm.setHeight(3);
        sm.reduce({ trader: 5, asset: 1, orderId: reduced.orderId, by: 4 });
        const rejected = sm.placeLimit({ trader: 6, asset: 1, side: 'bid', price: 1, size: 1, timestamp: 8, timeInForce: 'FOK', clientOrderId: 66 });
        const resting = sm.placeLimit({ trader: 7, asset: 1, side: 'bid', price: 80, size: 3, timestamp: 9 });

        const ended = async (orderId: number) => {
          const r = (await sm.getOrder(orderId))!;
          return [r.status, r.reason, r.filled, r.remaining, r.placedHeight, r.closedHeight];
        };
        expect(await ended(cancelled.orderId)).toEqual(['cancelled', 'CANCELLED_BY_USER', 0, 0, 1, 2]);
        expect(await ended(maker.orderId)).toEqual(['cancelled', 'SELF_TRADE', 0, 0, 1, 2]);
        expect(await ended(stp.orderId)).toEqual(['filled', undefined, 1, 0, 2, 2]);
        expect(await ended(other.orderId)).toEqual(['filled', undefined, 3, 0, 1, 2]);
        expect(await ended(ioc.orderId)).toEqual(['cancelled', 'IOC_REMAINDER', 2, 0, 2, 2]);
        expect(await ended(market.orderId)).toEqual(['cancelled', 'MARKET_REMAINDER', 0, 0, 2, 2]);
        expect(await ended(reduced.orderId)).toEqual(['cancelled', 'REDUCED_TO_ZERO', 0, 0, 2, 3]);
        expect(await ended(resting.orderId)).toEqual(['resting', undefined, 0, 3, 3, undefined]);
        expect(rejected.status).toBe('rejected');
        expect(await sm.getOrderByClientId(6, 66)).toMatchObject({
          orderId: 0, status: 'rejected', reason: 'CANNOT_FILL', trader: 6, timeInForce: 'FOK', clientOrderId: 66, placedHeight: 3,
        });
        expect(await sm.getOrderByClientId(1, 11)).toMatchObject({ orderId: cancelled.orderId, status: 'cancelled', price: 105, size: 5 });

        // The maker's owner finds its STP removal among its closed orders.
        const closed = await sm.getTraderOrders(1, { status: 'closed' });
        expect(closed.map((r) => [r.orderId, r.reason])).toEqual([[cancelled.orderId, 'CANCELLED_BY_USER'], [maker.orderId, 'SELF_TRADE'], [stp.orderId, undefined]]);
        await sm.close();
      });

      it('gives an order\'s whole lifecycle in order, each event with its height', async () => {
        const sm = await open();
        sm.setHeight(10);
        const order = sm.placeLimit({ trader: 1, asset: 2, side: 'bid', price: 50, size: 10, timestamp: 1, clientOrderId: 5 });
        sm.setHeight(11);
        sm.placeLimit({ trader: 2, asset: 2, side: 'ask', price: 50, size: 3, timestamp: 2 });
        sm.reduce({ trader: 1, asset: 2, orderId: order.orderId, by: 2 });
        sm.setHeight(12);
        sm.modify({ trader: 1, asset: 2, orderId: order.orderId, price: 51, timestamp: 3 });
        sm.cancel({ trader: 1, asset: 2, orderId: order.orderId });
        sm.cancel({ trader: 9, asset: 2, orderId: order.orderId }); // someone else's refused cancel is not the order's
        const events = await sm.getOrderEvents(order.orderId);
        expect(events.map((e) => [e.kind, e.height, e.size, e.remaining, e.reason])).toEqual([
          ['accepted', 10, 10, 10, undefined],
          ['rested', 10, 10, 10, undefined],
          ['fill', 11, 3, 7, undefined],
          ['reduced', 11, 2, 5, undefined],
          ['modified', 12, 5, 5, undefined],
          ['rested', 12, 5, 5, undefined],
          ['removed', 12, 5, 0, 'CANCELLED_BY_USER'],
        ]);
        expect(events[2]).toMatchObject({ takerOrderId: 2, takerTrader: 2, fillSeq: 1 });
        expect(await sm.getOrder(order.orderId)).toMatchObject({ price: 51, size: 10, filled: 3, status: 'cancelled', closedHeight: 12, clientOrderId: 5 });
        expect(await sm.getOrder(999)).toBeUndefined();
        expect(await sm.getOrderEvents(999)).toEqual([]);
        await sm.close();
      });

      it('follows stops, OCO pairs and budget orders: pending, triggered, gone with their sibling, what they spent', async () => {
        const sm = await open();
        sm.setHeight(1);
        sm.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 1, timestamp: 1 });
        sm.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 1 }); // last price 100
        const stop = sm.placeStop({ trader: 3, asset: 1, side: 'bid', size: 2, stopPrice: 102, price: 103, timestamp: 2, clientOrderId: 31 });
        const pair = sm.placeOco({ trader: 4, asset: 1, side: 'ask', size: 3, price: 110, stopPrice: 98, timestamp: 3 });
        const budget = sm.placeMarket({ trader: 5, asset: 1, side: 'ask', budget: 250, timestamp: 4 }); // no bid to sell to
        expect(await sm.getOrder(stop.orderId)).toMatchObject({ status: 'pending', type: 'stop_limit', price: 103, stopPrice: 102, remaining: 2, clientOrderId: 31 });
        expect(await sm.getOrder(pair.orderId + 1)).toMatchObject({ status: 'pending', type: 'stop_market', stopPrice: 98, ocoSiblingId: pair.orderId });
        expect(await sm.getOrder(budget.orderId)).toMatchObject({ status: 'cancelled', reason: 'MARKET_REMAINDER', size: 0, budget: 250, spent: 0 });
        expect((await sm.getTraderOrders(3, { status: 'open' })).map((r) => r.orderId)).toEqual([stop.orderId]);

        sm.setHeight(2);
        sm.placeLimit({ trader: 6, asset: 1, side: 'ask', price: 102, size: 1, timestamp: 5 });
        sm.placeLimit({ trader: 6, asset: 1, side: 'ask', price: 103, size: 5, timestamp: 5 });
        const bought = sm.placeMarket({ trader: 7, asset: 1, side: 'bid', budget: 102 + 103, timestamp: 6 }); // 102 then 103: triggers the stop
        expect(bought).toMatchObject({ status: 'filled', filled: 2, spent: 205 });
        expect(await sm.getOrder(bought.orderId)).toMatchObject({ status: 'filled', filled: 2, budget: 205, spent: 205 });
        expect(await sm.getOrder(stop.orderId)).toMatchObject({ status: 'filled', filled: 2, remaining: 0, triggeredHeight: 2, closedHeight: 2 });
        expect((await sm.getOrderEvents(stop.orderId)).map((e) => [e.kind, e.height])).toEqual([['accepted', 1], ['triggered', 2], ['fill', 2]]);
        expect(await sm.getTraderOrders(3, { status: 'open' })).toEqual([]);

        sm.setHeight(3);
        sm.cancel({ trader: 4, asset: 1, orderId: pair.orderId + 1 });
        expect(await sm.getOrder(pair.orderId)).toMatchObject({ status: 'cancelled', reason: 'OCO_SIBLING', closedHeight: 3 });
        expect(await sm.getOrder(pair.orderId + 1)).toMatchObject({ status: 'cancelled', reason: 'CANCELLED_BY_USER', closedHeight: 3 });
        expect(await sm.getTraderOrders(4, { status: 'open' })).toEqual([]);
        expect((await sm.getTraderOrders(4, { status: 'closed' })).map((r) => r.orderId)).toEqual([pair.orderId, pair.orderId + 1]);
        await sm.close();
      });

      it('pages a trader\'s orders by status, height and cursor, oldest or newest first, without other traders\' orders', async () => {
        const sm = await open();
        const placed: number[] = [];
        for (let h = 1; h <= 6; h++) {
          sm.setHeight(h);
          for (let i = 0; i < 3; i++) {
            placed.push(sm.placeLimit({ trader: 7, asset: 1, side: 'bid', price: 10 + i, size: 1, timestamp: h }).orderId);
            sm.placeLimit({ trader: 8, asset: 1, side: 'bid', price: 10 + i, size: 1, timestamp: h });
          }
          sm.cancel({ trader: 7, asset: 1, orderId: placed[placed.length - 2] });
        }
        const ids = (records: OrderRecord[]) => records.map((r) => r.orderId);
        const all = await sm.getTraderOrders(7);
        expect(ids(all)).toEqual(placed);
        expect(all.every((r) => r.trader === 7)).toBe(true);
        const stillOpen = placed.filter((_, i) => i % 3 !== 1);
        expect(ids(await sm.getTraderOrders(7, { status: 'open' }))).toEqual(stillOpen);
        expect(ids(await sm.getTraderOrders(7, { status: 'closed' }))).toEqual(placed.filter((_, i) => i % 3 === 1));
        expect(ids(await sm.getTraderOrders(7, { fromHeight: 2, toHeight: 3 }))).toEqual(placed.slice(3, 9));
        expect(ids(await sm.getTraderOrders(7, { newestFirst: true, limit: 4 }))).toEqual(placed.slice(-4).reverse());
        for (const [status, expected] of [['all', placed], ['open', stillOpen]] as const) {
          for (const newestFirst of [false, true]) {
            const pages: number[] = [];
            let after = 0;
            for (;;) {
              const page = await sm.getTraderOrders(7, { status, limit: 4, after, newestFirst });
              pages.push(...ids(page));
              if (page.length < 4) break;
              after = page[page.length - 1].seq;
            }
            expect(pages, `${status} newestFirst ${newestFirst}`).toEqual(newestFirst ? [...expected].reverse() : expected);
          }
        }
        // A cursor outside the heights, or past every sequence, narrows nothing the heights allow.
        const seqAtHeight = (h: number): number => all[3 * (h - 1)].seq;
        for (const status of ['all', 'closed', 'open'] as const) {
          const inHeights = (from: number, to: number, newestFirst = false): number[] => {
            const chosen = all.filter((r) => r.placedHeight >= from && r.placedHeight <= to && (status === 'all' || (status === 'open') === (r.status === 'resting')));
            return ids(newestFirst ? chosen.reverse() : chosen);
          };
          expect(ids(await sm.getTraderOrders(7, { status, fromHeight: 4, toHeight: 6, after: seqAtHeight(2) })), status).toEqual(inHeights(4, 6));
          expect(ids(await sm.getTraderOrders(7, { status, fromHeight: 1, toHeight: 3, after: seqAtHeight(5), newestFirst: true })), status).toEqual(inHeights(1, 3, true));
          expect(ids(await sm.getTraderOrders(7, { status, after: sm.sequence + 1_000, newestFirst: true })), status).toEqual(inHeights(0, 6, true));
          expect(await sm.getTraderOrders(7, { status, after: sm.sequence + 1_000 }), status).toEqual([]);
        }
        await sm.close();
      });

      it('finds an order and a rejection placed as the last command of a flush', async () => {
        const sm = await open();
        sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
        const last = sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 11, size: 1, timestamp: 2, clientOrderId: 7 });
        await sm.flush();
        sm.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 12, size: 1, timestamp: 3 });
        sm.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 1, size: 1, timestamp: 4, timeInForce: 'FOK', clientOrderId: 8 }); // rejected
        await sm.flush();
        sm.placeLimit({ trader: 3, asset: 1, side: 'bid', price: 13, size: 1, timestamp: 5 });
        await sm.flush();
        expect(await sm.getOrderByClientId(1, 7)).toMatchObject({ orderId: last.orderId, status: 'resting', price: 11 });
        expect(await sm.getOrderByClientId(2, 8)).toMatchObject({ status: 'rejected', clientOrderId: 8 });
        expect((await sm.getTraderOrders(2)).map((r) => [r.status, r.price])).toEqual([['resting', 12], ['rejected', 1]]);
        await sm.close();
      });

      it('lists a pending stop among its trader\'s orders: pending, not closed, then closed once it fills', async () => {
        const path = mode === 'disk' ? tempDbPath('audit') : undefined;
        let sm = await CoreStateMachine.open({ backend, path });
        sm.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 1, timestamp: 1 });
        sm.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 1 }); // last price 100
        const stop = sm.placeStop({ trader: 3, asset: 1, side: 'bid', size: 1, stopPrice: 102, price: 103, timestamp: 2 });
        await sm.flush();
        const listed = async () => (await sm.getTraderOrders(3)).map((r) => [r.orderId, r.status]);
        expect(await listed()).toEqual([[stop.orderId, 'pending']]);
        expect(await sm.getTraderOrders(3, { status: 'closed' })).toEqual([]);
        sm.placeLimit({ trader: 6, asset: 1, side: 'ask', price: 102, size: 2, timestamp: 3 });
        sm.placeMarket({ trader: 7, asset: 1, side: 'bid', size: 1, timestamp: 4 }); // trades at 102: triggers the stop, which buys the other lot
        await sm.flush();
        const closed = async () => (await sm.getTraderOrders(3, { status: 'closed' })).map((r) => [r.orderId, r.status]);
        expect(await closed()).toEqual([[stop.orderId, 'filled']]);
        if (path !== undefined) {
          await sm.close();
          sm = await CoreStateMachine.open({ backend, path });
          await sm.indexesReady();
          expect(await closed()).toEqual([[stop.orderId, 'filled']]);
        }
        await sm.close();
      });

      it('pages closed orders past resting ones, and keeps an open OCO pair whole on a page of one', async () => {
        const sm = await open();
        const resting = [1, 2, 3].map((i) => sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10 + i, size: 1, timestamp: i }).orderId);
        const cancelled = sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 5, size: 1, timestamp: 4 }).orderId;
        sm.cancel({ trader: 1, asset: 1, orderId: cancelled });
        const pair = sm.placeOco({ trader: 2, asset: 2, side: 'ask', size: 3, price: 110, stopPrice: 98, timestamp: 5 });
        await sm.flush();
        expect((await sm.getTraderOrders(1, { status: 'closed', limit: 1 })).map((r) => r.orderId)).toEqual([cancelled]);
        expect((await sm.getTraderOrders(1, { status: 'open' })).map((r) => r.orderId)).toEqual(resting);
        const page = await sm.getTraderOrders(2, { status: 'open', limit: 1 });
        expect(page.map((r) => r.orderId)).toEqual([pair.orderId, pair.orderId + 1]);
        expect(await sm.getTraderOrders(2, { status: 'open', limit: 1, after: page.at(-1)!.seq })).toEqual([]);
        await sm.close();
      });

      it('pages an order\'s events by cursor both ways, exactly while fills land, reading only the blocks a page reaches', async () => {
        const sm = await open();
        sm.setHeight(1);
        // A taker sweeping three makers in one command and resting the rest: a cursor inside one command's run of events.
        for (let i = 0; i < 3; i++) sm.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 100, size: 1, timestamp: 1 });
        const maker = sm.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 102, size: 1000, timestamp: 1 }).orderId;
        const sweep = sm.placeLimit({ trader: 3, asset: 1, side: 'bid', price: 101, size: 5, timestamp: 2 }).orderId;
        let timestamp = 3;
        // The maker is filled once a flush, 40 flushes: its trail spans 41 blocks.
        const fillMaker = async (times: number) => {
          for (let i = 0; i < times; i++) {
            sm.placeLimit({ trader: 4, asset: 1, side: 'bid', price: 102, size: 1, timeInForce: 'IOC', timestamp: timestamp++ });
            await sm.flush();
          }
        };
        await fillMaker(40);
        const whole = await sm.getOrderEvents(maker);
        expect(whole.length).toBe(1 + 1 + 40); // accepted, rested, 40 IOC fills
        expect(await sm.getOrderEventCount(maker)).toBe(whole.length);

        // Newest first, pages of 3, with fills landing between the asks: the pages give every event
        // older than the first page's, once and in order, and none of the new ones.
        const newest: typeof whole = [];
        let page = await sm.getOrderEventPage(maker, { newestFirst: true, limit: 3 });
        for (;;) {
          newest.push(...page.events);
          if (!page.more) break;
          expect(await sm.getOrderEventCount(maker, page.next)).toBe(whole.length - newest.length);
          await fillMaker(1);
          page = await sm.getOrderEventPage(maker, { newestFirst: true, after: page.next, limit: 3 });
        }
        expect(newest).toEqual([...whole].reverse());

        // Oldest first, pages of 4, with fills landing between them: every event once, the new ones too.
        const oldest: typeof whole = [];
        page = await sm.getOrderEventPage(maker, { limit: 4 });
        for (;;) {
          oldest.push(...page.events);
          if (!page.more) break;
          if (oldest.length < 30) await fillMaker(1);
          page = await sm.getOrderEventPage(maker, { after: page.next, limit: 4 });
        }
        expect(oldest).toEqual(await sm.getOrderEvents(maker));

        // The taker's run of fills within its one command, paged one event at a time either way.
        const sweepWhole = await sm.getOrderEvents(sweep);
        expect(sweepWhole.map((e) => e.kind)).toEqual(['accepted', 'fill', 'fill', 'fill', 'rested']);
        for (const newestFirst of [false, true]) {
          const seen: typeof whole = [];
          let one = await sm.getOrderEventPage(sweep, { newestFirst, limit: 1 });
          for (;;) {
            seen.push(...one.events);
            if (!one.more) break;
            one = await sm.getOrderEventPage(sweep, { newestFirst, after: one.next, limit: 1 });
          }
          expect(seen).toEqual(newestFirst ? [...sweepWhole].reverse() : sweepWhole);
        }
        expect(await sm.getOrderEventCount(sweep)).toBe(5);

        // A page of the newest 3 reads the blocks it reaches, not the 60-odd the maker's trail spans by
        // now: the placing block (where the order's touches start), the page's 3 and the one past them
        // that says there are more.
        const blocks = vi.spyOn(History.prototype, 'block');
        try {
          expect((await sm.getOrderEventPage(maker, { newestFirst: true, limit: 3 })).events).toEqual(oldest.slice(-3).reverse());
          expect(blocks.mock.calls.length).toBeLessThanOrEqual(5);
          blocks.mockClear();
          expect((await sm.getOrderEventPage(maker, { limit: 2 })).events).toEqual(oldest.slice(0, 2));
          expect(blocks.mock.calls.length).toBeLessThanOrEqual(2);
        } finally {
          blocks.mockRestore();
        }
        expect(await sm.getOrderEventPage(999, { limit: 5 })).toEqual({ events: [], more: false });
        await sm.close();
      });

      it('lists a page of a trader\'s open orders without copying every open id of the trader', async () => {
        const sm = await open();
        sm.setHeight(1);
        const ids: number[] = [];
        for (let i = 0; i < 2_000; i++) ids.push(sm.placeLimit({ trader: 5, asset: 1, side: 'bid', price: 10 + (i % 50), size: 1, timestamp: i }).orderId);
        // One of the newest closes, so the page passes over it.
        sm.cancel({ trader: 5, asset: 1, orderId: ids[ids.length - 3] });
        await sm.flush();
        const openIds = ids.filter((_, i) => i !== ids.length - 3);
        const listIds = vi.spyOn(OpenOrders.prototype, 'ofTrader');
        const copied = (): number => listIds.mock.results.reduce((n, r) => n + (r.value as { ids: Float64Array }).ids.length, 0);
        try {
          const page = await sm.getTraderOrders(5, { status: 'open', limit: 51, newestFirst: true });
          expect(page.map((r) => r.orderId)).toEqual(openIds.slice(-51).reverse());
          // auditTrader's page: the ids it lists, not the trader's 2,000.
          expect(copied()).toBeLessThanOrEqual(2 * 52);
          listIds.mockClear();
          const oldest = await sm.getTraderOrders(5, { status: 'open', limit: 10 });
          expect(oldest.map((r) => r.orderId)).toEqual(openIds.slice(0, 10));
          expect(copied()).toBeLessThanOrEqual(2 * 11);
          // From a cursor too, either way.
          listIds.mockClear();
          const fromCursor = await sm.getTraderOrders(5, { status: 'open', limit: 10, newestFirst: true, after: page[50].seq });
          expect(fromCursor.map((r) => r.orderId)).toEqual(openIds.slice(-61, -51).reverse());
          expect(copied()).toBeLessThanOrEqual(2 * 11);
          listIds.mockClear();
          const onwards = await sm.getTraderOrders(5, { status: 'open', limit: 10, after: oldest[9].seq });
          expect(onwards.map((r) => r.orderId)).toEqual(openIds.slice(10, 20));
          expect(copied()).toBeLessThanOrEqual(2 * 11);
        } finally {
          listIds.mockRestore();
        }
        await sm.close();
      });

      it('refuses malformed queries with INVALID_ARGUMENT naming the field', async () => {
        const sm = await open();
        const bad: [string, () => Promise<unknown>][] = [
          ['orderId', () => sm.getOrder(0)],
          ['orderId', () => sm.getOrder(1.5)],
          ['orderId', () => sm.getOrderEvents(-1)],
          ['orderId', () => sm.getOrderEventPage(0)],
          ['orderId', () => sm.getOrderEventCount(1.5)],
          ['limit', () => sm.getOrderEventPage(1, { limit: 0 })],
          ['newestFirst', () => sm.getOrderEventPage(1, { newestFirst: 1 as never })],
          ['after', () => sm.getOrderEventPage(1, { after: 5 as never })],
          ['after', () => sm.getOrderEventPage(1, { after: { seq: 1, index: -1 } })],
          ['before', () => sm.getOrderEventCount(1, { seq: '1', index: 0 } as never)],
          ['from', () => sm.getOrderEventPage(1, { from: 1 } as never)],
          ['trader', () => sm.getTraderOrders(-1)],
          ['status', () => sm.getTraderOrders(1, { status: 'pending' as never })],
          ['limit', () => sm.getTraderOrders(1, { limit: 0 })],
          ['after', () => sm.getTraderOrders(1, { after: -2 })],
          ['fromHeight', () => sm.getTraderOrders(1, { fromHeight: NaN })],
          ['newestFirst', () => sm.getTraderOrders(1, { newestFirst: 'yes' as never })],
          // null is a value, refused as the per-call requests refuse it, not taken for absent.
          ['status', () => sm.getTraderOrders(1, { status: null as never })],
          ['limit', () => sm.getTraderOrders(1, { limit: null as never })],
          ['after', () => sm.getTraderFills(1, { after: null as never })],
          ['toHeight', () => sm.getTraderFills(1, { toHeight: null as never })],
          ['newestFirst', () => sm.getTraderFills(1, { newestFirst: null as never })],
          ['clientOrderId', () => sm.getOrderByClientId(1, 0)],
          ['orderId', () => sm.getOrderFills(0)],
          ['orderId', () => sm.getFillCount(0)],
          ['query', () => sm.getOrderFills(1, 5 as never)],
          ['query', () => sm.getTraderFills(1, 'x' as never)],
          ['query', () => sm.getTraderOrders(1, null as never)],
          ['trader', () => sm.getOrderByClientId('7' as never, 1)],
        ];
        for (const [field, call] of bad) {
          await expect(call(), field).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(field) });
        }
        await sm.close();
      });
    });
  }

  it('on disk reads exactly as in memory after a reopen, for every order of a busy flow', async () => {
    const path = tempDbPath('audit');
    const disk = await CoreStateMachine.open({ backend, path, checkpointInterval: 3 });
    const memory = await CoreStateMachine.open({ backend });
    const flows = [new Flow(77, { makeBatch: () => new CommandBatch() }), new Flow(77, { makeBatch: () => new CommandBatch() })];
    for (let block = 1; block <= 12; block++) {
      flows[0].runBlock(disk);
      flows[1].runBlock(memory);
      if (block % 4 === 0) await disk.checkpointIfNeeded();
      else void disk.flush();
    }
    await disk.close();
    const reopened = await CoreStateMachine.open({ backend, path });
    expect(reopened.nextOrderId).toBe(memory.nextOrderId);
    for (let id = 1; id < memory.nextOrderId; id++) {
      expect(await reopened.getOrder(id), `order ${id}`).toEqual(await memory.getOrder(id));
      expect(await reopened.getOrderEvents(id), `order ${id}`).toEqual(await memory.getOrderEvents(id));
    }
    for (const trader of FLOW_TRADERS) {
      expect(await reopened.getTraderOrders(trader)).toEqual(await memory.getTraderOrders(trader));
      expect(await reopened.getTraderOrders(trader, { status: 'open' })).toEqual(await memory.getTraderOrders(trader, { status: 'open' }));
      for (let clientOrderId = 1; clientOrderId <= 400; clientOrderId += 3) {
        expect(await reopened.getOrderByClientId(trader, clientOrderId)).toEqual(await memory.getOrderByClientId(trader, clientOrderId));
      }
    }
    await reopened.close();
    await memory.close();
  });
});

describeEachBackend('an order\'s touches read as far as a page reaches', (backend) => {
  for (const mode of ['memory', 'disk'] as const) {
    it(`(${mode}) a page of a long trail decodes the touches it needs, not its bucket's every key`, async () => {
      // Each flush waits for its indexes: a window a flush, and on disk a bucket key a window.
      const sm = await CoreStateMachine.open({ backend, path: mode === 'disk' ? tempDbPath('audit-buckets') : undefined, maxIndexLag: 1, indexGatherMs: 0 });
      sm.setHeight(1);
      const maker = sm.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 1_000, timestamp: 1 }).orderId;
      for (let i = 0; i < 300; i++) {
        sm.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 100, size: 1, timeInForce: 'IOC', timestamp: 2 + i });
        // Another order of the same bucket, touched in the same windows.
        sm.placeLimit({ trader: 3, asset: 1, side: 'bid', price: 90, size: 1, timestamp: 2 + i });
        await sm.flush();
      }
      const whole = await sm.getOrderEvents(maker);
      expect(whole.length).toBe(2 + 300);
      const decoded = (): number => bucketReads.touchesDecoded;
      let before = decoded();
      const newest = await sm.getOrderEventPage(maker, { newestFirst: true, limit: 99 });
      expect(newest.events).toEqual(whole.slice(-99).reverse());
      // The page's 99 blocks, a page of keys past them, and their bucket keys' other order: some 4 touches a block.
      expect(decoded() - before).toBeLessThanOrEqual(4 * 200);
      before = decoded();
      const older = await sm.getOrderEventPage(maker, { newestFirst: true, after: newest.next, limit: 100 });
      expect(older.events).toEqual(whole.slice(-199, -99).reverse());
      expect(decoded() - before).toBeLessThanOrEqual(4 * 200);
      before = decoded();
      const oldest = await sm.getOrderEventPage(maker, { limit: 50 });
      expect(oldest.events).toEqual(whole.slice(0, 50));
      expect(decoded() - before).toBeLessThanOrEqual(4 * 100);
      before = decoded();
      const onwards = await sm.getOrderEventPage(maker, { after: oldest.next, limit: 50 });
      expect(onwards.events).toEqual(whole.slice(50, 100));
      expect(decoded() - before).toBeLessThanOrEqual(4 * 100);
      await sm.close();
    });
  }
});

describeEachBackend('a closed page walks its trader\'s placings as numbers', (backend) => {
  // Lagging: ten minutes' gathering, every posting read from the overlay; settled: a window a flush of 100.
  const settings = { lagging: { indexGatherMs: 600_000 }, settled: { maxIndexLag: 1, indexGatherMs: 0 } };
  for (const mode of ['memory', 'disk'] as const) {
    for (const [lag, options] of Object.entries(settings)) {
      it(`(${mode}, ${lag}) makes no key or value a posting it passes over, and a page of closed orders still stops early`, async () => {
        const sm = await CoreStateMachine.open({ backend, path: mode === 'disk' ? tempDbPath('audit-closed-walk') : undefined, ...options });
        sm.setHeight(1);
        // Trader 1: 2,000 open bids, five of them cancelled. Trader 2: 2,000 IOC bids on an empty
        // book, each closed as placed (a trader whose orders mostly close, the common case).
        let timestamp = 1;
        for (let i = 0; i < 2_000; i++) {
          const { orderId } = sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10 + (i % 50), size: 1, timestamp: timestamp++ });
          if (i % 400 === 7) sm.cancel({ trader: 1, asset: 1, orderId });
          sm.placeLimit({ trader: 2, asset: 2, side: 'bid', price: 10, size: 1, timeInForce: 'IOC', timestamp: timestamp++ });
          if ((i + 1) % 100 === 0) await sm.flush();
        }
        await sm.flush();
        const closedOf = async (trader: number): Promise<OrderRecord[]> =>
          (await sm.getTraderOrders(trader, { limit: 100_000 })).filter((r) => r.status !== 'resting' && r.status !== 'pending');
        const sparse = await closedOf(1);
        const dense = await closedOf(2);
        expect(sparse.length).toBe(5);
        expect(dense.length).toBe(2_000);
        // Every posting a read hands over as a [key, value] pair: what the walk made one of each for before.
        const reads = vi.spyOn(OverlayReader.prototype, 'entries');
        const postingPairs = async (): Promise<number> => {
          let pairs = 0;
          for (const result of reads.mock.results) for (const [key] of await (result.value as Promise<Array<[Uint8Array, Uint8Array]>>)) if (key[0] === Prefix.TRADER_ORDER) pairs++;
          reads.mockClear();
          return pairs;
        };
        try {
          for (const newestFirst of [true, false]) {
            const ordered = (records: OrderRecord[]): OrderRecord[] => (newestFirst ? [...records].reverse() : records);
            await postingPairs();
            expect(await sm.getTraderOrders(1, { status: 'closed', limit: 3, newestFirst })).toEqual(ordered(sparse).slice(0, 3));
            expect(await postingPairs()).toBe(0);
            let before = placingReads.decoded;
            const page = await sm.getTraderOrders(2, { status: 'closed', limit: 20, newestFirst });
            expect(page).toEqual(ordered(dense).slice(0, 20));
            expect(await postingPairs()).toBe(0);
            // The first read asks for 40 postings: settled, the stored lists holding them (a flush's
            // 100 placings of the trader each here, a posting a key in memory) and no more.
            if (lag === 'settled') expect(placingReads.decoded - before).toBeLessThanOrEqual(200);
            before = placingReads.decoded;
            const next = await sm.getTraderOrders(2, { status: 'closed', limit: 20, newestFirst, after: page[19].seq });
            expect(next).toEqual(ordered(dense).slice(20, 40));
            if (lag === 'settled') expect(placingReads.decoded - before).toBeLessThanOrEqual(200);
          }
        } finally {
          reads.mockRestore();
          await sm.close();
        }
      });
    }
  }
});

describe('audit trail over one large block', () => {
  // A trader's page asks for up to 256 records at once, and the orders of one flush share its event
  // block: every reader decoded it (256 decodes of a 10,000-event block where one at a time made one).
  it('decodes the block once for a page of records asked for together, and gives what one at a time gives', async () => {
    const path = tempDbPath('audit-shared');
    const writer = await CoreStateMachine.open({ backend: 'js', path });
    for (let i = 0; i < 1200; i++) {
      // Asks 200..249 and bids 51..100; every tenth is a bid at 250 that takes asks.
      const side = i % 10 === 9 || i % 2 === 1 ? 'bid' : 'ask';
      const price = i % 10 === 9 ? 250 : side === 'bid' ? 100 - (i % 50) : 200 + (i % 50);
      writer.placeLimit({ trader: 1 + (i % 3), asset: 1, side, price, size: 1 + (i % 4), timestamp: i + 1 });
    }
    await writer.close();
    // History's decodes: a spy on its private remember, which decodes a block and caches it.
    const spy = vi.spyOn(History.prototype as unknown as { remember(...a: unknown[]): unknown }, 'remember');
    const reopen = async (): Promise<CoreStateMachine> => {
      const sm = await CoreStateMachine.open({ backend: 'js', path });
      await sm.indexesReady();
      await (sm as unknown as { p: { indexer: { idle(): Promise<void> } } }).p.indexer.idle();
      spy.mockClear();
      return sm;
    };
    try {
      let sm = await reopen();
      const page = await sm.getTraderOrders(2, { limit: 256 });
      expect(page.length).toBe(256);
      expect(page.some((r) => r.filled > 0)).toBe(true);
      expect(spy).toHaveBeenCalledTimes(1);
      await sm.close();

      sm = await reopen();
      const together = await Promise.all(page.map((r) => sm.getOrder(r.orderId)));
      expect(spy).toHaveBeenCalledTimes(1);
      await sm.close();

      sm = await reopen();
      const oneAtATime: Array<OrderRecord | undefined> = [];
      for (const r of page) oneAtATime.push(await sm.getOrder(r.orderId));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(together).toEqual(oneAtATime);
      expect(page).toEqual(oneAtATime);
      await sm.close();
    } finally {
      spy.mockRestore();
    }
  });
});

// A market maker's closed orders among its many resting ones: a closed page passes over the orders
// the open-order set holds without reading their records (audit-trail.ts), so it must still list
// exactly what the 'all' pages list as closed: OCO legs whose other leg is open, stops, rejections.
describeEachBackend('closed orders among many open ones', (backend) => {
  const MAKER = 1;
  const isClosed = (r: OrderRecord): boolean => r.status !== 'resting' && r.status !== 'pending';

  /**
   * A seeded flow where the maker mostly rests orders, and also cancels, takes, places OCO pairs
   * (some filled in part, so the limit leg rests on without its stop leg; some triggered, so the
   * stop leg rests without its limit leg), stops and orders that are rejected; others trade with it
   * and move the price so that stops trigger. A flush every 20 commands, a height each. Halfway,
   * on `pairAsset` (a book of its own), an OCO pair of each kind: its limit leg filled in part and
   * resting on, its stop leg triggered and resting, both open, both cancelled.
   */
  async function makerFlow(sm: CoreStateMachine, seed: number, steps: number, pairAsset: number, firstHeight = 1): Promise<void> {
    const random = rng(seed);
    const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    const mine: number[] = [];
    let timestamp = 1;
    let height = firstHeight;
    sm.setHeight(height);
    for (let i = 0; i < steps; i++) {
      if (i === steps >> 1) {
        sm.placeOco({ trader: MAKER, asset: pairAsset, side: 'bid', size: 3, price: 50, stopPrice: 70, timestamp: timestamp++ });
        sm.placeMarket({ trader: 2, asset: pairAsset, side: 'ask', size: 1, timestamp: timestamp++ });
        sm.placeOco({ trader: MAKER, asset: pairAsset, side: 'bid', size: 2, price: 40, stopPrice: 60, stopLimitPrice: 61, timestamp: timestamp++ });
        sm.placeLimit({ trader: 3, asset: pairAsset, side: 'ask', price: 60, size: 1, timestamp: timestamp++ });
        sm.placeLimit({ trader: 4, asset: pairAsset, side: 'bid', price: 60, size: 1, timestamp: timestamp++ });
        sm.placeOco({ trader: MAKER, asset: pairAsset, side: 'bid', size: 1, price: 30, stopPrice: 90, timestamp: timestamp++ });
        const cancelled = sm.placeOco({ trader: MAKER, asset: pairAsset, side: 'bid', size: 1, price: 35, stopPrice: 95, timestamp: timestamp++ });
        sm.cancel({ trader: MAKER, asset: pairAsset, orderId: cancelled.orderId });
      }
      const r = random();
      const asset = int(1, 2);
      const other = int(2, 4);
      const side = random() < 0.5 ? 'bid' : 'ask';
      const remember = (result: { orderId: number }): void => {
        if (result.orderId !== 0) mine.push(result.orderId);
      };
      if (r < 0.4) {
        remember(sm.placeLimit({ trader: MAKER, asset, side, price: side === 'bid' ? int(90, 98) : int(102, 110), size: int(1, 4), timestamp: timestamp++ }));
      } else if (r < 0.48) {
        sm.placeLimit({ trader: other, asset, side, price: side === 'bid' ? int(90, 98) : int(102, 110), size: int(1, 4), timestamp: timestamp++ });
      } else if (r < 0.56) {
        sm.placeMarket({ trader: other, asset, side, size: int(1, 5), timestamp: timestamp++ });
      } else if (r < 0.61 && mine.length > 0) {
        sm.cancel({ trader: MAKER, asset, orderId: mine[int(0, mine.length - 1)] });
      } else if (r < 0.68) {
        const buy = random() < 0.5;
        const stopPrice = buy ? int(104, 112) : int(88, 96);
        remember(sm.placeOco({
          trader: MAKER, asset, side: buy ? 'bid' : 'ask', size: int(2, 5), price: buy ? int(90, 99) : int(101, 110), stopPrice,
          stopLimitPrice: random() < 0.6 ? (buy ? stopPrice + 1 : stopPrice - 1) : undefined, timestamp: timestamp++,
        }));
      } else if (r < 0.73) {
        const buy = random() < 0.5;
        const stopPrice = buy ? int(104, 112) : int(88, 96);
        remember(sm.placeStop({ trader: MAKER, asset, side: buy ? 'bid' : 'ask', size: int(1, 3), stopPrice, price: random() < 0.5 ? stopPrice : undefined, timestamp: timestamp++ }));
      } else if (r < 0.76) {
        sm.placeLimit({ trader: MAKER, asset, side: 'bid', price: 1, size: 1, timeInForce: 'FOK', timestamp: timestamp++ });
      } else if (r < 0.8) {
        sm.placeMarket({ trader: MAKER, asset, side, size: int(1, 3), timestamp: timestamp++ });
      } else if (r < 0.86) {
        // Another trader trades at a price far out: the last price moves and stops trigger.
        const price = random() < 0.5 ? int(84, 96) : int(104, 116);
        sm.placeLimit({ trader: other, asset, side: 'ask', price, size: 1, timestamp: timestamp++ });
        sm.placeLimit({ trader: 5, asset, side: 'bid', price, size: 1, timestamp: timestamp++ });
      } else if (r < 0.9 && mine.length > 0) {
        sm.modify({ trader: MAKER, asset, orderId: mine[int(0, mine.length - 1)], price: int(91, 109), timestamp: timestamp++ });
      } else {
        sm.placeLimit({ trader: other, asset, side, price: side === 'bid' ? int(90, 98) : int(102, 110), size: int(1, 4), timestamp: timestamp++ });
      }
      if (i % 20 === 19) {
        if (i % 60 === 59) await sm.flush();
        else void sm.flush();
        sm.setHeight(++height);
      }
    }
    await sm.flush();
  }

  /**
   * The maker's orders, 50 a page: the reference. The same as one page of them all, whose read of
   * postings expands every stored list (pages of 50 expand only the lists they need, posting-lists.ts).
   */
  async function allOrders(sm: CoreStateMachine): Promise<OrderRecord[]> {
    const all: OrderRecord[] = [];
    for (let after = 0; ;) {
      const page = await sm.getTraderOrders(MAKER, { limit: 50, after });
      all.push(...page);
      if (page.length < 50) break;
      after = page[page.length - 1].seq;
    }
    expect(all).toEqual(await sm.getTraderOrders(MAKER, { limit: 100_000 }));
    return all;
  }

  type ClosedQuery = { limit: number; after: number; newestFirst: boolean; fromHeight: number; toHeight: number };

  /** What a closed page must give: the closed orders of `all` in the query's heights past its cursor, whole placings until the limit. */
  function expectedPage(all: OrderRecord[], { limit, after, newestFirst, fromHeight, toHeight }: ClosedQuery): OrderRecord[] {
    const rows = all.filter((r) => isClosed(r) && r.placedHeight >= fromHeight && r.placedHeight <= toHeight
      && (after === 0 || (newestFirst ? r.seq < after : r.seq > after)));
    if (newestFirst) rows.reverse();
    const page: OrderRecord[] = [];
    for (let i = 0; i < rows.length && page.length < limit;) {
      const seq = rows[i].seq;
      while (i < rows.length && rows[i].seq === seq) page.push(rows[i++]);
    }
    return page;
  }

  /** Closed pages, walked by cursor and from cursors anywhere, both ways, in several ranges of heights, against the 'all' pages filtered. */
  async function expectClosedPages(sm: CoreStateMachine): Promise<void> {
    const all = await allOrders(sm);
    const lastHeight = all[all.length - 1].placedHeight;
    const half = Math.floor(lastHeight / 2);
    // Heights from, to, and the limits of the pages walked.
    const ranges = [[0, Number.MAX_SAFE_INTEGER, [4, 25]], [3, half, [7]], [half, half, [1, 4]], [lastHeight - 4, Number.MAX_SAFE_INTEGER, [1]]] as const;
    for (const newestFirst of [false, true]) {
      for (const [fromHeight, toHeight, limits] of ranges) {
        for (const limit of limits) {
          let after = 0;
          for (;;) {
            const query = { limit, after, newestFirst, fromHeight, toHeight };
            const page = await sm.getTraderOrders(MAKER, { status: 'closed', ...query });
            expect(page, JSON.stringify(query)).toEqual(expectedPage(all, query));
            if (page.length < limit) break;
            after = page[page.length - 1].seq;
          }
        }
        // Cursors at every kind of placing: open, closed, rejected.
        for (let i = 0; i < all.length; i += 23) {
          const query = { limit: 5, after: all[i].seq, newestFirst, fromHeight, toHeight };
          expect(await sm.getTraderOrders(MAKER, { status: 'closed', ...query }), JSON.stringify(query)).toEqual(expectedPage(all, query));
        }
      }
    }
  }

  /** The flow reached what the skip must get right, besides plain resting and closed orders. */
  async function expectEveryCase(sm: CoreStateMachine): Promise<void> {
    const all = await allOrders(sm);
    const byId = new Map(all.map((r) => [r.orderId, r]));
    const limitLegs = all.filter((r) => r.ocoSiblingId === r.orderId + 1);
    const leg = (r: OrderRecord): OrderRecord => byId.get(r.orderId + 1)!;
    const cases = {
      openLimitLegClosedStopLeg: limitLegs.filter((r) => !isClosed(r) && isClosed(leg(r))).length,
      closedLimitLegOpenStopLeg: limitLegs.filter((r) => isClosed(r) && !isClosed(leg(r))).length,
      bothLegsOpen: limitLegs.filter((r) => !isClosed(r) && !isClosed(leg(r))).length,
      bothLegsClosed: limitLegs.filter((r) => isClosed(r) && isClosed(leg(r))).length,
      rejected: all.filter((r) => r.orderId === 0).length,
      pendingStops: all.filter((r) => r.status === 'pending' && r.ocoSiblingId === undefined).length,
      triggeredStops: all.filter((r) => r.triggeredHeight !== undefined && r.ocoSiblingId === undefined).length,
    };
    for (const [name, count] of Object.entries(cases)) expect(count, name).toBeGreaterThan(0);
    expect(all.filter((r) => !isClosed(r)).length).toBeGreaterThan(all.filter(isClosed).length);
  }

  it('lists what the pages of all orders list as closed, however it pages, with the set built before the flow and from the book after a reopen', async () => {
    const path = tempDbPath('audit-closed');
    let sm = await CoreStateMachine.open({ backend, path });
    // Asked for before any order: every open order's pairing comes from its commit's openings.
    expect(await sm.getTraderOrders(MAKER, { status: 'open' })).toEqual([]);
    await makerFlow(sm, 45, 1_000, 3);
    await expectEveryCase(sm);
    await expectClosedPages(sm);
    await sm.close();
    // Built from the book: pairings the book leaves unknown are learned by the first pages.
    sm = await CoreStateMachine.open({ backend, path });
    await expectClosedPages(sm);
    await expectClosedPages(sm);
    await sm.close();
  });

  it('in memory, with the set built from the book halfway through the flow', async () => {
    const sm = await CoreStateMachine.open({ backend });
    await makerFlow(sm, 46, 800, 3);
    await expectClosedPages(sm);
    await makerFlow(sm, 47, 800, 4, 100);
    await expectEveryCase(sm);
    await expectClosedPages(sm);
    await sm.close();
  });

  it('reads the records of closed orders only, not of the open ones it passes over', async () => {
    const path = tempDbPath('audit-closed-reads');
    let sm = await CoreStateMachine.open({ backend, path });
    expect(await sm.getTraderOrders(MAKER, { status: 'open' })).toEqual([]);
    await makerFlow(sm, 48, 1_200, 3);
    const all = await allOrders(sm);
    const closed = all.filter(isClosed);
    const closedRecords = closed.filter((r) => r.orderId !== 0).length;
    // The maker's resting orders named by a posting (an OCO stop leg is named through its limit
    // leg) whose id + 1 is not open (of any trader): after a reopen the set does not know whether
    // such an order came with a stop leg (the book links the legs only while both are there), so
    // the first closed page reads where it was placed (its placing, not its record).
    const openIds = new Set<number>();
    for (let id = 1; id < sm.nextOrderId; id++) if (!isClosed((await sm.getOrder(id))!)) openIds.add(id);
    const unknownPairing = all.filter((r) => r.status === 'resting' && r.ocoSiblingId !== r.orderId - 1 && !openIds.has(r.orderId + 1)).length;
    expect(unknownPairing).toBeGreaterThan(0);
    const getOrder = vi.spyOn(AuditTrail.prototype, 'getOrder');
    // A record is read through the block its order was placed in; so is a placing alone.
    const blockOfOrder = vi.spyOn(History.prototype, 'blockOfOrder');
    const reads = (): { records: number; placings: number } => ({ records: getOrder.mock.calls.length, placings: blockOfOrder.mock.calls.length - getOrder.mock.calls.length });
    const closedPage = async (query: TraderOrderQuery): Promise<OrderRecord[]> => {
      getOrder.mockClear();
      blockOfOrder.mockClear();
      return sm.getTraderOrders(MAKER, { status: 'closed', ...query });
    };
    try {
      for (const newestFirst of [false, true]) {
        expect(await closedPage({ limit: 1_000, newestFirst })).toEqual(newestFirst ? [...closed].reverse() : closed);
        expect(reads()).toEqual({ records: closedRecords, placings: 0 });
        // A page of 5 from a cursor in the middle reads a window of 5 placings at a time, closed ones all.
        const query = { limit: 5, newestFirst, after: all[Math.floor(all.length / 2)].seq };
        const page = await closedPage(query);
        expect(page).toEqual(expectedPage(all, { ...query, fromHeight: 0, toHeight: Number.MAX_SAFE_INTEGER }));
        expect(reads().records).toBeLessThanOrEqual(10);
        expect(reads().placings).toBe(0);
      }
      await sm.close();
      sm = await CoreStateMachine.open({ backend, path });
      expect(await closedPage({ limit: 1_000 })).toEqual(closed);
      expect(reads()).toEqual({ records: closedRecords, placings: unknownPairing });
      expect(await closedPage({ limit: 1_000, newestFirst: true })).toEqual([...closed].reverse());
      expect(reads()).toEqual({ records: closedRecords, placings: 0 });
    } finally {
      getOrder.mockRestore();
      blockOfOrder.mockRestore();
      await sm.close();
    }
  });

  it('is what the durable commits left while commits land under it: closed orders it passed stay listed, none open is', async () => {
    const sm = await CoreStateMachine.open({ backend, path: tempDbPath('audit-closed-live') });
    expect(await sm.getTraderOrders(MAKER, { status: 'open' })).toEqual([]);
    await makerFlow(sm, 49, 1_200, 3);
    const before = await allOrders(sm);
    const open = before.filter((r) => r.status === 'resting');
    // Pages of 40 read postings 80, 160, 320... at a time, and the commits below land between them.
    const pages = (async () => {
      const out: OrderRecord[] = [];
      for (let after = 0; ;) {
        const page = await sm.getTraderOrders(MAKER, { status: 'closed', limit: 40, after });
        out.push(...page);
        if (page.length < 40) return out;
        after = page[page.length - 1].seq;
      }
    })();
    let settled = false;
    void pages.finally(() => {
      settled = true;
    });
    for (let i = 0; i < open.length && !settled; i += 3) {
      sm.cancel({ trader: MAKER, asset: open[i].asset, orderId: open[i].orderId });
      void sm.flush();
      await nextTurn();
    }
    const listed = await pages;
    const after = await allOrders(sm);
    // A placing's orders by its sequence, an OCO stop leg after its limit leg.
    const key = (r: OrderRecord): number => r.seq * 2 + (r.ocoSiblingId === r.orderId - 1 ? 1 : 0);
    const closedAfter = new Map(after.filter(isClosed).map((r) => [key(r), r]));
    // In placing order, each a record as it is now (closed records do not change), every order
    // closed before the pages began among them.
    expect(listed.map(key)).toEqual([...listed.map(key)].sort((a, b) => a - b));
    for (const r of listed) expect(r).toEqual(closedAfter.get(key(r)));
    const listedKeys = new Set(listed.map(key));
    for (const r of before.filter(isClosed)) expect(listedKeys.has(key(r)), `order ${r.orderId} at seq ${r.seq}`).toBe(true);
    await sm.close();
  });
});
