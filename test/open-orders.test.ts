// A trader's open orders, kept in memory (src/state/open-orders.ts) rather than in the index
// database: built from the book at a commit boundary when first asked for, then kept by each
// durable commit's openings and closings. Checked against the book itself, which is the truth
// whenever everything applied is durable, through a busy flow (stops, OCO pairs, modifies,
// cancel-alls) with queries arriving while commands are applied and flushes are in flight, and
// again after a reopen, when the set is built from the recovered book.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import type { Commit } from '../src/state/commit-builder.js';
import { IndexOps } from '../src/state/index-ops.js';
import { DEFERRED_OPENINGS, OpenOrders, PAIRED, PAIRING_UNKNOWN, UNKNOWN_SEQ, UNPAIRED } from '../src/state/open-orders.js';
import { Prng } from '../src/prng.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { describeEachBackend } from './helpers/backends.js';
import { pagedOrders } from './helpers/answers.js';
import { FLOW_ASSETS, FLOW_TRADERS, Flow } from './fixtures/flow.mjs';
import { tempDbPath } from './fixtures/state-helpers.js';

/** A commit that carries only its last sequence and its openings and closings. */
function commitOf(lastSeq: number, fill: (ops: IndexOps) => void): Commit {
  const index = new IndexOps();
  fill(index);
  return { lastSeq, index } as unknown as Commit;
}

const idsOf = (open: OpenOrders, trader: number): number[] => Array.from(open.ofTrader(trader).ids);

describe('the open-order set', () => {
  it('is built from the book once asked for, then follows only the commits after the book', () => {
    let built = 0;
    let listing = 0;
    const open = new OpenOrders({
      forEachOpen(visit) {
        built++;
        for (const [orderId, trader] of [[9, 1], [3, 1], [5, 2], [2 ** 53 - 2, 1]]) visit(orderId, trader, false, false);
      },
      listOpenings: () => listing++,
    }, 3);
    // Not built yet: commits pass it by, and nothing lists openings.
    open.committed(commitOf(4, (ops) => ops.opened(100, 1, 4, UNPAIRED)));
    expect([open.built, listing]).toEqual([false, 0]);
    open.build(10);
    open.build(11);
    expect([built, listing]).toEqual([1, 1]);
    // Built at sequence 10, which is not durable yet: not to be read until it is.
    expect(open.ready).toBe(false);
    expect(idsOf(open, 1)).toEqual([3, 9, 2 ** 53 - 2]);
    expect(Array.from(open.ofTrader(1).seqs)).toEqual([UNKNOWN_SEQ, UNKNOWN_SEQ, UNKNOWN_SEQ]);
    // A commit the book already holds changes nothing; later ones apply in order.
    open.committed(commitOf(10, (ops) => ops.closed(3, 1)));
    expect(open.ready).toBe(true);
    open.committed(commitOf(12, (ops) => {
      ops.opened(20, 1, 11, UNPAIRED);
      ops.closed(9, 1);
      ops.opened(21, 2, 12, UNPAIRED);
      ops.closed(21, 2);
      ops.closed(77, 3); // never open: nothing to take away
      ops.opened(20, 1, 11, UNPAIRED); // open already: listed once
    }));
    expect(idsOf(open, 1)).toEqual([3, 20, 2 ** 53 - 2]);
    expect(Array.from(open.ofTrader(1).seqs)).toEqual([UNKNOWN_SEQ, 11, UNKNOWN_SEQ]);
    expect(idsOf(open, 2)).toEqual([5]);
    expect(idsOf(open, 3)).toEqual([]);
    expect(open.size).toBe(4);
  });

  it('is built at the next cut when asked for while commands are not durable, and read once that commit is', () => {
    const open = new OpenOrders({ forEachOpen: (visit) => visit(7, 1, false, false), listOpenings: () => undefined }, 4);
    open.cutAt(5);
    expect(open.built).toBe(false);
    open.requestBuildAtCut();
    open.cutAt(8);
    expect([open.built, open.ready]).toEqual([true, false]);
    open.committed(commitOf(5, () => undefined));
    expect(open.ready).toBe(false);
    open.committed(commitOf(8, (ops) => ops.closed(7, 1)));
    expect(open.ready).toBe(true);
    expect(idsOf(open, 1)).toEqual([7]);
    open.committed(commitOf(9, (ops) => ops.closed(7, 1)));
    expect(idsOf(open, 1)).toEqual([]);
  });

  it('a build at a cut that fails leaves the set empty and unbuilt, and gives its error to the query, not the cut', () => {
    let fail = true;
    const open = new OpenOrders({
      forEachOpen(visit) {
        visit(1, 1, false, false);
        visit(2, 2, false, false);
        if (fail) throw new Error('no snapshot');
      },
      listOpenings: () => undefined,
    }, 0);
    open.requestBuildAtCut();
    expect(() => open.cutAt(3)).not.toThrow();
    expect([open.built, open.size]).toEqual([false, 0]);
    expect((open.takeBuildError() as Error).message).toBe('no snapshot');
    expect(open.takeBuildError()).toBeNull();
    fail = false;
    open.requestBuildAtCut();
    open.cutAt(3);
    expect([open.built, open.size, idsOf(open, 2)]).toEqual([true, 2, [2]]);
  });

  it('grows past its first arrays and reuses freed slots', () => {
    const open = new OpenOrders({ forEachOpen: () => undefined, listOpenings: () => undefined }, 0);
    open.build(0);
    open.committed(commitOf(1, (ops) => {
      for (let id = 1; id <= 5_000; id++) ops.opened(id, id % 3, id, UNPAIRED);
    }));
    // Read, so that the openings are in slots: the closings below free them.
    expect(open.size).toBe(5_000);
    open.committed(commitOf(1, (ops) => {
      for (let id = 1; id <= 5_000; id += 2) ops.closed(id, id % 3);
      for (let id = 5_001; id <= 6_000; id++) ops.opened(id, 7, id, UNPAIRED);
    }));
    // Traders past the first tables' room, ids past 2^32 among them.
    open.committed(commitOf(2, (ops) => {
      for (let t = 0; t < 500; t++) ops.opened(10_000 + t, 2 ** 32 + t * 977, 2, UNPAIRED);
    }));
    for (let t = 0; t < 500; t += 37) expect(idsOf(open, 2 ** 32 + t * 977)).toEqual([10_000 + t]);
    open.committed(commitOf(3, (ops) => {
      for (let t = 0; t < 500; t++) ops.closed(10_000 + t, 2 ** 32 + t * 977);
    }));
    expect(open.size).toBe(3_500);
    expect(idsOf(open, 7)).toEqual(Array.from({ length: 1_000 }, (_, i) => 5_001 + i));
    expect(idsOf(open, 0)).toEqual(Array.from({ length: 5_000 / 3 | 0 }, (_, i) => 3 * (i + 1)).filter((id) => id % 2 === 0));
    expect(open.slotsUsed).toBe(5_000);
  });

  it('takes no slot for an order opened and closed between two reads', () => {
    const open = new OpenOrders({ forEachOpen: (visit) => visit(1, 1, false, false), listOpenings: () => undefined }, 0);
    open.build(0);
    // Each order rests through the next commit and closes in the one after: never in a commit with both.
    for (let c = 0; c < 100; c++) {
      open.committed(commitOf(c + 1, (ops) => {
        for (let i = 0; i < 50; i++) ops.opened(10 + c * 50 + i, 2 + i, c + 1, UNPAIRED);
        if (c >= 2) for (let i = 0; i < 50; i++) ops.closed(10 + (c - 2) * 50 + i, 2 + i);
      }));
    }
    expect(open.slotsUsed).toBe(1);
    // What is still open is there to read all the same.
    expect(open.size).toBe(101);
    expect(idsOf(open, 2)).toEqual([10 + 98 * 50, 10 + 99 * 50]);
    expect(Array.from(open.ofTrader(2).seqs)).toEqual([99, 100]);
    expect(open.slotsUsed).toBe(101);
  });

  it('keeps an order opened and closed more times between two reads than openings are held back', () => {
    const open = new OpenOrders({ forEachOpen: () => undefined, listOpenings: () => undefined }, 0);
    open.build(0);
    open.committed(commitOf(1, (ops) => {
      ops.opened(100, 1, 1, UNPAIRED);
      for (let i = 0; i < DEFERRED_OPENINGS; i++) {
        ops.closed(100, 1);
        ops.opened(100, 1, 2 + i, UNPAIRED);
      }
      ops.opened(101, 2, 3, UNPAIRED);
    }));
    expect(idsOf(open, 1)).toEqual([100]);
    expect(Array.from(open.ofTrader(1).seqs)).toEqual([1 + DEFERRED_OPENINGS]);
    expect(idsOf(open, 2)).toEqual([101]);
  });

  it('puts a durable commit off until the next write is posted, or a read', () => {
    const open = new OpenOrders({ forEachOpen: (visit) => visit(50, 1, false, false), listOpenings: () => undefined }, 0);
    open.build(0);
    // Orders older than the newest held take a slot when applied (none is held back).
    open.committed(commitOf(1, (ops) => ops.opened(40, 1, 1, UNPAIRED)));
    expect(open.slotsUsed).toBe(1);
    open.writePosted();
    expect(open.slotsUsed).toBe(2);
    open.committed(commitOf(2, (ops) => {
      ops.opened(41, 2, 2, UNPAIRED);
      ops.closed(40, 1);
    }));
    open.committed(commitOf(3, (ops) => ops.opened(42, 2, 3, UNPAIRED)));
    expect(open.slotsUsed).toBe(2);
    // A read applies both first, in order.
    expect(idsOf(open, 1)).toEqual([50]);
    expect(idsOf(open, 2)).toEqual([41, 42]);
    expect(open.slotsUsed).toBe(3);
  });

  it('answers no read once a commit put off failed to apply', () => {
    const open = new OpenOrders({ forEachOpen: (visit) => visit(50, 1, false, false), listOpenings: () => undefined }, 0);
    open.build(0);
    const patched = open as unknown as { apply: (ops: IndexOps) => void };
    const apply = patched.apply.bind(open);
    patched.apply = () => {
      patched.apply = apply;
      throw new Error('set bug');
    };
    open.committed(commitOf(1, (ops) => ops.closed(50, 1)));
    open.committed(commitOf(2, (ops) => ops.opened(40, 1, 2, UNPAIRED)));
    expect(() => open.size).toThrowError('set bug');
    // Short of that commit for good: no later read answers, nor does the next write's hook.
    expect(() => idsOf(open, 1)).toThrowError('set bug');
    expect(() => open.writePosted()).toThrowError('set bug');
  });

  it('answers as listing each change at once would, whatever the reads, spans and reopenings', () => {
    // A model: every open order's trader, placing sequence and pairing, by id.
    const prng = new Prng(64);
    const model = new Map<number, [number, number, number]>();
    const open = new OpenOrders({
      forEachOpen(visit) {
        for (const id of [5, 9, 12]) visit(id, id % 4, false, false);
      },
      listOpenings: () => undefined,
    }, 0);
    open.build(0);
    for (const id of [5, 9, 12]) model.set(id, [id % 4, UNKNOWN_SEQ, PAIRING_UNKNOWN]);
    let nextId = 20;
    const everOpened: number[] = [5, 9, 12];
    // The open ids, for a closing to pick from.
    const openIds: number[] = [5, 9, 12];
    const closeAt = (i: number): number => {
      const id = openIds[i];
      openIds[i] = openIds[openIds.length - 1];
      openIds.pop();
      model.delete(id);
      return id;
    };
    const check = (when: string): void => {
      expect(open.size, when).toBe(model.size);
      for (let trader = 0; trader < 4; trader++) {
        const mine = [...model].filter(([, [t]]) => t === trader).sort(([a], [b]) => a - b);
        const got = open.ofTrader(trader);
        expect(Array.from(got.ids), `${when}, trader ${trader}`).toEqual(mine.map(([id]) => id));
        expect(Array.from(got.seqs), `${when}, trader ${trader}`).toEqual(mine.map(([, [, seq]]) => seq));
        for (const [id, [, seq, pairing]] of mine) expect(open.placing(id, trader, seq), when).toBe(pairing);
      }
    };
    for (let c = 1; c <= 400; c++) {
      open.committed(commitOf(c, (ops) => {
        const changes = prng.between(0, 400);
        for (let i = 0; i < changes; i++) {
          const roll = prng.below(100);
          const trader = prng.below(4);
          if (roll < 45) {
            // A new order, now and then far past the last (past the span held back).
            nextId += roll < 2 ? DEFERRED_OPENINGS + prng.below(1000) : 1 + prng.below(3);
            ops.opened(nextId, trader, c, roll % 2 === 0 ? PAIRED : UNPAIRED);
            model.set(nextId, [trader, c, roll % 2 === 0 ? PAIRED : UNPAIRED]);
            everOpened.push(nextId);
            openIds.push(nextId);
          } else if (roll < 85 && openIds.length > 0) {
            const i = prng.below(openIds.length);
            ops.closed(openIds[i], model.get(openIds[i])![0]);
            closeAt(i);
          } else if (roll < 92) {
            // Opened again: open already (a stop that triggers and rests), or closed and listed anew.
            const id = everOpened[prng.below(everOpened.length)];
            const already = model.get(id);
            ops.opened(id, already?.[0] ?? trader, c, UNPAIRED);
            if (already === undefined) {
              model.set(id, [trader, c, UNPAIRED]);
              openIds.push(id);
            }
          } else {
            ops.closed(nextId + 1 + prng.below(5), trader); // never opened
          }
        }
        // Once, more openings than are ever held back, unread: the span fills.
        if (c === 200) {
          for (let i = 0; i < DEFERRED_OPENINGS + 5_000; i++) {
            ops.opened(++nextId, i % 4, c, UNPAIRED);
            model.set(nextId, [i % 4, c, UNPAIRED]);
            openIds.push(nextId);
          }
        }
        while (c === 201 && openIds.length > 1_000) {
          const last = openIds.length - 1;
          ops.closed(openIds[last], model.get(openIds[last])![0]);
          closeAt(last);
        }
      }));
      if (prng.below(10) === 0 && c !== 200) check(`after commit ${c}`);
    }
    check('at the end');
  });
});

describeEachBackend('open orders of a state machine', (backend) => {
  /** The trader's resting orders and pending stops in the book, ascending: the truth once everything applied is durable. */
  const inBook = (sm: CoreStateMachine, trader: number): number[] =>
    FLOW_ASSETS.flatMap((asset) => sm.orders(asset)).filter((o) => o.trader === trader).map((o) => o.orderId).sort((a, b) => a - b);

  const expectBook = async (sm: CoreStateMachine, when: string): Promise<void> => {
    await sm.flush();
    for (const trader of FLOW_TRADERS) {
      const truth = inBook(sm, trader);
      expect(await pagedOrders(sm, trader, 'open', false), `${when}, trader ${trader}`).toEqual(truth);
      expect(await pagedOrders(sm, trader, 'open', true), `${when}, trader ${trader}, newest first`).toEqual(truth.slice().reverse());
    }
  };

  it('match the book through a busy flow, with queries arriving mid-flush, and after a reopen', async () => {
    const path = tempDbPath('open-orders');
    const sm = await CoreStateMachine.open({ backend, path, checkpointInterval: 4 });
    const flow = new Flow(91, { makeBatch: () => new CommandBatch() });
    for (let block = 1; block <= 3; block++) {
      flow.runBlock(sm);
      void sm.flush();
    }
    // Asked for while a flush is in flight and commands keep coming: built at the next cut.
    const early = sm.getTraderOrders(FLOW_TRADERS[0], { status: 'open', limit: 1_000 });
    for (let block = 4; block <= 12; block++) {
      flow.runBlock(sm);
      const asked = FLOW_TRADERS.map((trader) => sm.getTraderOrders(trader, { status: 'open', limit: 1_000 }));
      for (let k = 0; k < 3; k++) {
        await nextTurn();
        for (let i = 0; i < 5; i++) flow.step(sm);
      }
      void sm.flush();
      // Each answer lists the trader's own open orders, in placement order (a record is read after
      // the set, and one that closed by then is left out).
      for (const [t, records] of (await Promise.all(asked)).entries()) {
        expect(records.every((record) => record.trader === FLOW_TRADERS[t] && (record.status === 'resting' || record.status === 'pending'))).toBe(true);
        expect(records.map((record) => record.orderId)).toEqual(records.map((record) => record.orderId).sort((a, b) => a - b));
      }
      if (block % 4 === 0) await expectBook(sm, `block ${block}`);
    }
    expect((await early).every((record) => record.trader === FLOW_TRADERS[0])).toBe(true);
    await expectBook(sm, 'the end');
    await sm.close();
    const reopened = await CoreStateMachine.open({ backend, path });
    await expectBook(reopened, 'reopened');
    for (let block = 13; block <= 15; block++) flow.runBlock(reopened);
    await expectBook(reopened, 'reopened, three blocks on');
    await reopened.close();
  });

  it('apply a durable commit while the next write is in flight, not before its flush resolves', async () => {
    const path = tempDbPath('open-orders-posted');
    const sm = await CoreStateMachine.open({ backend, path });
    try {
      sm.placeLimitOrder({ trader: 1, asset: 0, side: 'bid', price: 100, size: 1, timestamp: 1 });
      sm.placeLimitOrder({ trader: 2, asset: 0, side: 'bid', price: 99, size: 1, timestamp: 2 });
      expect((await sm.getTraderOrders(2, { status: 'open' })).map((o) => o.orderId)).toEqual([2]);
      // Counts the commits whose changes the set has applied.
      const open = (sm as unknown as { p: { openOrders: { apply: (ops: IndexOps) => void } } }).p.openOrders;
      const apply = open.apply.bind(open);
      let applied = 0;
      open.apply = (ops) => {
        applied++;
        apply(ops);
      };
      sm.cancelOrder({ trader: 1, asset: 0, orderId: 1 });
      await sm.flush();
      expect(applied).toBe(0);
      sm.placeLimitOrder({ trader: 1, asset: 0, side: 'bid', price: 98, size: 1, timestamp: 3 });
      const next = sm.flush();
      // Posted: the commit before it is applied while the disk works.
      expect(applied).toBe(1);
      await next;
      expect((await sm.getTraderOrders(1, { status: 'open' })).map((o) => o.orderId)).toEqual([3]);
      expect(applied).toBe(2);
      expect((await sm.getTraderOrders(2, { status: 'open' })).map((o) => o.orderId)).toEqual([2]);
    } finally {
      await sm.close();
    }
  });

  it('list no order that closed while the page was read: each record is read after the set, and must still be open', async () => {
    // The set says which orders are open; their records are read after it, and a commit that
    // becomes durable meanwhile (a cancel) is in them: such a record said 'cancelled' on an open page.
    const sm = await CoreStateMachine.open({ backend });
    const ids = [1, 2, 3, 4].map((i) => sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 90 + i, size: 1, timestamp: i }).orderId);
    expect(await pagedOrders(sm, 1, 'open', false)).toEqual(ids);
    for (let turns = 0; turns < 4; turns++) {
      const asked = sm.getTraderOrders(1, { status: 'open' });
      for (let k = 0; k < turns; k++) await Promise.resolve();
      const victim = ids.pop()!;
      sm.cancel({ trader: 1, asset: 1, orderId: victim });
      const flushed = sm.flush();
      const page = await asked;
      await flushed;
      // The cancelled order is listed only if its record was read before the cancel was durable.
      expect(page.map((r) => r.status), `cancelled after ${turns} turns`).toEqual(page.map(() => 'resting'));
      expect(page.map((r) => r.orderId).filter((id) => id !== victim), `cancelled after ${turns} turns`).toEqual(ids);
    }
    await sm.close();
  });

  it('in memory and read-only, as on disk', async () => {
    const path = tempDbPath('open-orders-views');
    const disk = await CoreStateMachine.open({ backend, path });
    const memory = await CoreStateMachine.open({ backend });
    const flows = [new Flow(5, {}), new Flow(5, {})];
    for (let block = 1; block <= 6; block++) {
      flows[0].runBlock(disk);
      flows[1].runBlock(memory);
    }
    await expectBook(memory, 'in memory');
    await disk.flush();
    const view = await CoreStateMachine.open({ backend, path, readOnly: true });
    await expectBook(view, 'read-only');
    for (const trader of FLOW_TRADERS) {
      expect(await view.getTraderOrders(trader, { status: 'open' })).toEqual(await memory.getTraderOrders(trader, { status: 'open' }));
    }
    await view.close();
    await disk.close();
    await memory.close();
  });
});
