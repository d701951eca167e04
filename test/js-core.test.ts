// Core-level behaviour of the TypeScript matching core (src/js-core/): every semantic rule of
// docs/semantics.md checked directly through the numeric MatchingCore interface, pool growth,
// limits, extremes, snapshots and their damage. The randomized comparison with the reference
// model is test/three-way.test.ts; the cross-backend suites through createEngine live elsewhere.
import { describe, expect, it } from 'vitest';
import { JsCore } from '../src/js-core/index.js';
import { CommandBatch, FILL_SLOTS, RESULT_SLOTS } from '../src/batch.js';
import { ReasonCode, SideCode, StatusCode, StpCode, TifCode } from '../src/codes.js';
import { LEVEL_SLOTS, ORDER_SLOTS } from '../src/core.js';
import { LobError } from '../src/errors.js';
import { expectSameBytes } from './helpers/bytes.js';
import { coreOutcome as outcome } from './helpers/core-outcome.js';
import type { Outcome } from './helpers/reference-model.js';

const BID = SideCode.BID;
const ASK = SideCode.ASK;
const { GTC, IOC, FOK, POST_ONLY } = TifCode;
const { ALLOW, CANCEL_TAKER, CANCEL_MAKER, CANCEL_BOTH } = StpCode;
const MAX_PRICE = Number.MAX_SAFE_INTEGER;


interface LimitOptions { asset?: number; tif?: number; stp?: number; timestamp?: number }

function limit(core: JsCore, trader: number, side: number, price: number, size: number, options: LimitOptions = {}): Outcome {
  core.placeLimit(trader, options.asset ?? 1, side, price, size, options.timestamp ?? 0, options.tif ?? GTC, options.stp ?? ALLOW, 0);
  return outcome(core);
}
function market(core: JsCore, trader: number, side: number, size: number, protection = 0, stp: number = ALLOW, asset = 1): Outcome {
  core.placeMarket(trader, asset, side, size, 0, 0, protection, stp, 0);
  return outcome(core);
}
function cancel(core: JsCore, trader: number, orderId: number, asset = 1): Outcome {
  core.cancel(trader, asset, orderId);
  return outcome(core);
}
function reduce(core: JsCore, trader: number, orderId: number, by: number, asset = 1): Outcome {
  core.reduce(trader, asset, orderId, by);
  return outcome(core);
}
function modify(core: JsCore, trader: number, orderId: number, price: number, size: number, timestamp = 0, asset = 1): Outcome {
  core.modify(trader, asset, orderId, price, size, timestamp);
  return outcome(core);
}

/** [price, size, orders] per level, best first. */
function depth(core: JsCore, side: number, asset = 1, max = 1_000_000): number[][] {
  const flat = core.levels(asset, side, max);
  const result: number[][] = [];
  for (let i = 0; i < flat.length; i += LEVEL_SLOTS) result.push([flat[i], flat[i + 1], flat[i + 2]]);
  return result;
}
/** Order ids of an asset: bids best first, then asks, queue order. */
function queueIds(core: JsCore, asset = 1): number[] {
  const flat = core.listOrders(asset);
  const ids: number[] = [];
  for (let i = 0; i < flat.length; i += ORDER_SLOTS) ids.push(flat[i]);
  return ids;
}

function expectError(action: () => void, code: string): LobError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(LobError);
    expect((error as LobError).code).toBe(code);
    return error as LobError;
  }
  throw new Error(`expected a LobError ${code}`);
}

describe('priority and fills', () => {
  it('fills better prices first, then older orders first, at the maker price', () => {
    const core = new JsCore();
    limit(core, 1, ASK, 101, 5); // 1
    limit(core, 2, ASK, 100, 5); // 2
    limit(core, 3, ASK, 100, 5); // 3
    const r = limit(core, 9, BID, 102, 12, { timestamp: 77 });
    expect(r).toMatchObject({ status: StatusCode.FILLED, orderId: 4, filled: 12, remaining: 0 });
    expect(r.fills).toEqual([[2, 2, 100, 5], [3, 3, 100, 5], [1, 1, 101, 2]]);
    expect(depth(core, ASK)).toEqual([[101, 3, 1]]);
  });

  it('writes fills in the batch layout: tag, asset, maker, taker, traders, price, size', () => {
    const core = new JsCore();
    limit(core, 4, BID, 50, 3, { asset: 9 });
    limit(core, 5, ASK, 49, 2, { asset: 9 });
    expect(Array.from(core.fills.subarray(0, FILL_SLOTS))).toEqual([0 * 2 + ASK, 9, 1, 2, 4, 5, 50, 2]);
  });

  it('a partial fill leaves the maker at the head of its queue with the rest', () => {
    const core = new JsCore();
    limit(core, 1, BID, 10, 8);
    limit(core, 2, BID, 10, 8);
    expect(market(core, 3, ASK, 5).fills).toEqual([[1, 1, 10, 5]]);
    expect(depth(core, BID)).toEqual([[10, 11, 2]]);
    expect(queueIds(core)).toEqual([1, 2]);
    expect(market(core, 3, ASK, 4).fills).toEqual([[1, 1, 10, 3], [2, 2, 10, 1]]);
  });

  it('a GTC taker rests its rest at its limit, at the back of the level', () => {
    const core = new JsCore();
    limit(core, 1, BID, 10, 1);
    limit(core, 2, ASK, 11, 2);
    const r = limit(core, 3, BID, 11, 5);
    expect(r).toMatchObject({ status: StatusCode.RESTING, filled: 2, remaining: 3 });
    expect(depth(core, BID)).toEqual([[11, 3, 1], [10, 1, 1]]);
    expect(depth(core, ASK)).toEqual([]);
    limit(core, 4, BID, 11, 1);
    expect(queueIds(core)).toEqual([3, 4, 1]);
  });
});

describe('time in force', () => {
  it('IOC cancels the rest, keeping what filled', () => {
    const core = new JsCore();
    limit(core, 1, ASK, 10, 2);
    expect(limit(core, 2, BID, 10, 5, { tif: IOC })).toMatchObject({ status: StatusCode.CANCELLED, reason: 0, orderId: 2, filled: 2, remaining: 0 });
    expect(limit(core, 2, BID, 10, 5, { tif: IOC })).toMatchObject({ status: StatusCode.CANCELLED, orderId: 3, filled: 0 });
    limit(core, 1, ASK, 10, 2);
    expect(limit(core, 2, BID, 10, 2, { tif: IOC })).toMatchObject({ status: StatusCode.FILLED, filled: 2 });
    expect(core.restingOrders).toBe(0);
  });

  it('FOK that cannot fill whole at its limit is rejected, uses no id and changes nothing', () => {
    const core = new JsCore();
    limit(core, 1, ASK, 10, 2);
    limit(core, 1, ASK, 12, 2);
    const before = core.snapshot();
    expect(limit(core, 2, BID, 11, 3, { tif: FOK })).toMatchObject({ status: StatusCode.REJECTED, reason: ReasonCode.CANNOT_FILL, orderId: 0, fills: [] });
    expect(limit(core, 2, BID, 9, 1, { tif: FOK }).reason).toBe(ReasonCode.CANNOT_FILL);
    expectSameBytes(core.snapshot(), before);
    expect(core.nextOrderId).toBe(3);
    const r = limit(core, 2, BID, 12, 4, { tif: FOK });
    expect(r).toMatchObject({ status: StatusCode.FILLED, orderId: 3, filled: 4 });
    expect(r.fills).toEqual([[1, 1, 10, 2], [2, 1, 12, 2]]);
  });

  it('FOK dry run: a same-trader maker adds nothing; cancel_taker and cancel_both stop the count', () => {
    const core = new JsCore();
    limit(core, 1, ASK, 10, 2); // 1
    limit(core, 7, ASK, 10, 5); // 2, the taker's own
    limit(core, 1, ASK, 11, 3); // 3
    for (const stp of [CANCEL_TAKER, CANCEL_BOTH]) {
      expect(limit(core, 7, BID, 11, 3, { tif: FOK, stp }).reason).toBe(ReasonCode.CANNOT_FILL);
    }
    expect(limit(core, 7, BID, 11, 6, { tif: FOK, stp: CANCEL_MAKER }).reason).toBe(ReasonCode.CANNOT_FILL);
    expect(core.restingOrders).toBe(3); // the rejected cancel_maker run removed no maker
    const r = limit(core, 7, BID, 11, 5, { tif: FOK, stp: CANCEL_MAKER });
    expect(r).toMatchObject({ status: StatusCode.FILLED, filled: 5 });
    expect(r.fills).toEqual([[1, 1, 10, 2], [3, 1, 11, 3]]);
    expect(core.findOrder(2)).toBeNull(); // removed on the real run
    expect(core.restingOrders).toBe(0);
  });

  it('POST_ONLY rejects a limit that touches the opposite best, else rests', () => {
    const core = new JsCore();
    limit(core, 1, ASK, 10, 2);
    limit(core, 1, BID, 8, 2);
    expect(limit(core, 2, BID, 10, 1, { tif: POST_ONLY })).toMatchObject({ status: StatusCode.REJECTED, reason: ReasonCode.WOULD_CROSS, orderId: 0 });
    expect(limit(core, 2, ASK, 8, 1, { tif: POST_ONLY }).reason).toBe(ReasonCode.WOULD_CROSS);
    expect(limit(core, 2, BID, 9, 1, { tif: POST_ONLY })).toMatchObject({ status: StatusCode.RESTING, orderId: 3, remaining: 1 });
    expect(core.nextOrderId).toBe(4);
  });
});

describe('market orders', () => {
  it('sweeps levels, cancels the rest; an empty side still uses an id', () => {
    const core = new JsCore();
    expect(market(core, 1, BID, 5)).toMatchObject({ status: StatusCode.CANCELLED, reason: 0, orderId: 1, filled: 0 });
    limit(core, 2, ASK, 10, 2);
    limit(core, 2, ASK, 20, 2);
    expect(market(core, 1, BID, 5)).toMatchObject({ status: StatusCode.CANCELLED, orderId: 4, filled: 4, remaining: 0 });
    limit(core, 2, ASK, 10, 2);
    expect(market(core, 1, BID, 2)).toMatchObject({ status: StatusCode.FILLED, filled: 2 });
  });

  it('stops at the protection price', () => {
    const core = new JsCore();
    limit(core, 2, BID, 10, 2);
    limit(core, 2, BID, 9, 2);
    limit(core, 2, BID, 8, 2);
    const r = market(core, 1, ASK, 10, 9);
    expect(r).toMatchObject({ status: StatusCode.CANCELLED, filled: 4 });
    expect(r.fills.map((f) => f[2])).toEqual([10, 9]);
    expect(depth(core, BID)).toEqual([[8, 2, 1]]);
  });
});

describe('cancel, reduce, modify', () => {
  it('cancel removes the order and its empty level', () => {
    const core = new JsCore();
    limit(core, 1, BID, 10, 2);
    limit(core, 1, BID, 11, 2);
    expect(cancel(core, 1, 2)).toMatchObject({ status: StatusCode.OK, orderId: 2, remaining: 0 });
    expect(depth(core, BID)).toEqual([[10, 2, 1]]);
    expect(cancel(core, 1, 2)).toMatchObject({ status: StatusCode.REJECTED, reason: ReasonCode.UNKNOWN_ORDER, orderId: 2 });
  });

  it('checks the asset first, then the owner; a finished order is unknown', () => {
    const core = new JsCore();
    limit(core, 1, BID, 10, 2, { asset: 5 });
    expect(cancel(core, 2, 1, 6).reason).toBe(ReasonCode.UNKNOWN_ORDER);
    expect(cancel(core, 2, 1, 5)).toMatchObject({ status: StatusCode.REJECTED, reason: ReasonCode.NOT_OWNER, orderId: 1, remaining: 0 });
    expect(reduce(core, 2, 1, 1, 5).reason).toBe(ReasonCode.NOT_OWNER);
    expect(modify(core, 2, 1, 11, 0, 0, 5)).toMatchObject({ status: StatusCode.REJECTED, reason: ReasonCode.NOT_OWNER, orderId: 1, filled: 0, remaining: 0 });
    expect(modify(core, 1, 99, 11, 0, 0, 5).reason).toBe(ReasonCode.UNKNOWN_ORDER);
    market(core, 3, ASK, 2, 0, ALLOW, 5);
    expect(cancel(core, 1, 1, 5).reason).toBe(ReasonCode.UNKNOWN_ORDER);
    expect(core.findOrder(1)).toBeNull();
  });

  it('reduce keeps the place in the queue; reducing to zero or beyond cancels', () => {
    const core = new JsCore();
    limit(core, 1, BID, 10, 5);
    limit(core, 2, BID, 10, 5);
    expect(reduce(core, 1, 1, 3)).toMatchObject({ status: StatusCode.OK, orderId: 1, filled: 0, remaining: 2 });
    expect(queueIds(core)).toEqual([1, 2]);
    expect(depth(core, BID)).toEqual([[10, 7, 2]]);
    expect(reduce(core, 1, 1, 9)).toMatchObject({ status: StatusCode.OK, remaining: 0 });
    expect(queueIds(core)).toEqual([2]);
  });

  it('modify to a smaller size keeps priority and timestamp; same size changes nothing', () => {
    const core = new JsCore();
    limit(core, 1, BID, 10, 5, { timestamp: 1 });
    limit(core, 2, BID, 10, 5, { timestamp: 2 });
    expect(modify(core, 1, 1, 10, 3, 50)).toMatchObject({ status: StatusCode.RESTING, orderId: 1, filled: 0, remaining: 3 });
    expect(modify(core, 1, 1, 0, 3, 60)).toMatchObject({ status: StatusCode.RESTING, remaining: 3 });
    expect(queueIds(core)).toEqual([1, 2]);
    expect(core.findOrder(1)![6]).toBe(1);
  });

  it('modify to a larger size or new price goes to the back with the new timestamp and may match', () => {
    const core = new JsCore();
    limit(core, 1, BID, 10, 5, { timestamp: 1 });
    limit(core, 2, BID, 10, 5, { timestamp: 2 });
    expect(modify(core, 1, 1, 0, 6, 9)).toMatchObject({ status: StatusCode.RESTING, orderId: 1, remaining: 6 });
    expect(queueIds(core)).toEqual([2, 1]);
    expect(core.findOrder(1)![6]).toBe(9);
    limit(core, 3, ASK, 12, 4);
    const r = modify(core, 1, 1, 12, 0, 10);
    expect(r).toMatchObject({ status: StatusCode.RESTING, orderId: 1, filled: 4, remaining: 2 });
    expect(r.fills).toEqual([[3, 3, 12, 4]]);
    expect(depth(core, BID)).toEqual([[12, 2, 1], [10, 5, 1]]);
    expect(core.nextOrderId).toBe(4); // modify keeps the id
  });

  it('a modified order keeps its stp as a taker', () => {
    const core = new JsCore();
    limit(core, 1, BID, 10, 5, { stp: CANCEL_TAKER });
    limit(core, 1, ASK, 12, 5);
    const r = modify(core, 1, 1, 12, 0);
    expect(r).toMatchObject({ status: StatusCode.CANCELLED, reason: ReasonCode.SELF_TRADE, orderId: 1, filled: 0, remaining: 0 });
    expect(queueIds(core)).toEqual([2]);
  });
});

describe('self-trade prevention', () => {
  function book(): JsCore {
    const core = new JsCore();
    limit(core, 1, ASK, 10, 2); // 1
    limit(core, 7, ASK, 10, 2); // 2 (the taker's own)
    limit(core, 1, ASK, 11, 2); // 3
    return core;
  }
  it('allow trades with itself', () => {
    const r = limit(book(), 7, BID, 11, 6, { stp: ALLOW });
    expect(r.fills.map((f) => f[0])).toEqual([1, 2, 3]);
  });
  it('cancel_taker stops and cancels the rest; fills before stand', () => {
    const core = book();
    const r = limit(core, 7, BID, 11, 6, { stp: CANCEL_TAKER });
    expect(r).toMatchObject({ status: StatusCode.CANCELLED, reason: ReasonCode.SELF_TRADE, filled: 2, remaining: 0 });
    expect(queueIds(core)).toEqual([2, 3]);
  });
  it('cancel_maker removes the maker and goes on', () => {
    const core = book();
    const r = limit(core, 7, BID, 11, 6, { stp: CANCEL_MAKER });
    expect(r).toMatchObject({ status: StatusCode.RESTING, reason: 0, filled: 4, remaining: 2 });
    expect(r.fills.map((f) => f[0])).toEqual([1, 3]);
    expect(queueIds(core)).toEqual([4]);
  });
  it('cancel_both removes the maker, then stops', () => {
    const core = book();
    const r = market(core, 7, BID, 6, 0, CANCEL_BOTH);
    expect(r).toMatchObject({ status: StatusCode.CANCELLED, reason: ReasonCode.SELF_TRADE, filled: 2 });
    expect(queueIds(core)).toEqual([3]);
  });
});

describe('capacity', () => {
  it('an order that would rest beyond maxOrders is rejected and changes nothing', () => {
    const core = new JsCore({ maxOrders: 2 });
    limit(core, 1, BID, 10, 1);
    limit(core, 1, ASK, 12, 1);
    const before = core.snapshot();
    expect(limit(core, 2, BID, 11, 1)).toMatchObject({ status: StatusCode.REJECTED, reason: ReasonCode.CAPACITY, orderId: 0 });
    expect(limit(core, 2, BID, 10, 1, { tif: POST_ONLY }).reason).toBe(ReasonCode.CAPACITY);
    expectSameBytes(core.snapshot(), before);
    expect(core.nextOrderId).toBe(3);
    // Orders that never rest, or that take a maker before resting, fit.
    expect(limit(core, 2, BID, 11, 1, { tif: IOC }).status).toBe(StatusCode.CANCELLED);
    expect(limit(core, 2, BID, 12, 3)).toMatchObject({ status: StatusCode.RESTING, filled: 1, remaining: 2 });
    expect(core.restingOrders).toBe(2);
  });

  it('a new level beyond maxLevels is rejected; joining an existing level is not', () => {
    const core = new JsCore({ maxLevels: 2 });
    limit(core, 1, BID, 10, 1); // 1
    limit(core, 1, ASK, 12, 1); // 2
    const before = core.snapshot();
    expect(limit(core, 2, BID, 9, 1).reason).toBe(ReasonCode.CAPACITY);
    expectSameBytes(core.snapshot(), before);
    expect(limit(core, 2, BID, 10, 1).status).toBe(StatusCode.RESTING); // 3
    // A modify that needs a new level it cannot get stays where it was...
    expect(modify(core, 1, 1, 11, 0)).toMatchObject({ status: StatusCode.REJECTED, reason: ReasonCode.CAPACITY, orderId: 1 });
    expect(queueIds(core)).toEqual([1, 3, 2]);
    // ...but an order alone at its level takes that level with it.
    expect(modify(core, 1, 2, 13, 0).status).toBe(StatusCode.RESTING);
    expect(depth(core, ASK)).toEqual([[13, 1, 1]]);
  });
});

describe('pools, limits and extremes', () => {
  it('grows every pool past its initial size and stays consistent', () => {
    const core = new JsCore();
    const initialBytes = core.memoryBytes();
    const count = 5000;
    const batch = new CommandBatch(16);
    for (let i = 0; i < count; i++) {
      // 40 assets, 300 price levels each side: books, queues, levels, orders, index all grow.
      batch.limit(i % 13, i % 40, i % 2 ? 'ask' : 'bid', i % 2 ? 1000 + (i % 600) : 1 + (i % 600), 1 + (i % 7), i);
    }
    core.runBatch(batch.slots, batch.count);
    expect(core.restingOrders).toBe(count);
    expect(core.memoryBytes()).toBeGreaterThan(initialBytes);
    // One batch that sweeps every asset fills more than the initial fill buffer holds.
    batch.clear();
    for (let a = 0; a < 40; a++) batch.market(99, a, 'bid', 1e9, 0);
    const fillCount = core.runBatch(batch.slots, batch.count);
    expect(fillCount).toBe(count / 2);
    expect(core.batchResults.length).toBeGreaterThanOrEqual(40 * RESULT_SLOTS);
    let sold = 0;
    for (let j = 0; j < fillCount; j++) sold += core.fills[j * FILL_SLOTS + 7];
    let filledSum = 0;
    for (let a = 0; a < 40; a++) filledSum += core.batchResults[a * RESULT_SLOTS + 2];
    expect(filledSum).toBe(sold);
    expect(core.restingOrders).toBe(count / 2);
    for (let a = 0; a < 40; a++) expect(depth(core, ASK, a)).toEqual([]);
    const ids = queueIds(core, 3);
    for (const id of ids) expect(cancel(core, (id - 1) % 13, id, 3).status).toBe(StatusCode.OK);
    expect(depth(core, BID, 3)).toEqual([]);
  });

  it('keeps the capacity its pools have grown to across a restore, and sizes a fresh core by the snapshot', () => {
    const capacities = (core: JsCore): number[] => {
      const { orders, levels } = (core as unknown as {
        state: { orders: { capacity: number }; levels: { capacity: number; ladders: { nodeCapacity: number } } };
      }).state;
      return [orders.capacity, levels.capacity, levels.ladders.nodeCapacity];
    };
    const small = new JsCore();
    limit(small, 1, BID, 100, 5);
    limit(small, 2, ASK, 101, 5);
    const snapshot = small.snapshot();
    const grown = new JsCore();
    // 24,000: past the index's growth at 16,384 and its migration, before it readies its next
    // table; a table being emptied or readied is not capacity a restore keeps.
    for (let i = 0; i < 24_000; i++) limit(grown, 1 + (i % 7), i % 2 ? ASK : BID, i % 2 ? 30_000 + i : 1 + i, 1);
    const grownBytes = grown.memoryBytes();
    const grownCapacities = capacities(grown);
    grown.restore(snapshot);
    expect(grown.memoryBytes()).toBe(grownBytes);
    expect(grown.snapshot()).toEqual(snapshot);
    // The kept capacity holds the next 24,000 orders without growing. (Not memoryBytes: the
    // refill may ready a successor array the first fill had not reached yet, typed-arrays.ts.)
    for (let i = 0; i < 24_000; i++) limit(grown, 1 + (i % 7), i % 2 ? ASK : BID, i % 2 ? 30_000 + i : 1 + i, 1);
    expect(capacities(grown)).toEqual(grownCapacities);
    const fresh = new JsCore();
    fresh.restore(snapshot);
    expect(fresh.memoryBytes()).toBeLessThan(grownBytes / 4);
    expect(fresh.snapshot()).toEqual(snapshot);
  });

  it('restores into its own arrays, emptied, when the snapshot fits them, and then acts as a core restored afresh', () => {
    const stateOf = (core: JsCore) => (core as unknown as { state: { orders: { id: Float64Array }; index: object; levels: object } }).state;
    const busy = new JsCore();
    for (let i = 0; i < 20_000; i++) limit(busy, 1 + (i % 7), i % 2 ? ASK : BID, i % 2 ? 30_000 + (i % 5_000) : 1 + (i % 5_000), 1 + (i % 3));
    const small = new JsCore();
    for (let i = 0; i < 300; i++) limit(small, 1 + (i % 5), i % 2 ? ASK : BID, i % 2 ? 600 + (i % 40) : 500 - (i % 40), 2);
    const snapshot = small.snapshot();
    const { orders, index, levels } = stateOf(busy);
    busy.restore(snapshot);
    expect([stateOf(busy).orders, stateOf(busy).index, stateOf(busy).levels]).toEqual([orders, index, levels]);
    expect(stateOf(busy).orders.id).toBe(orders.id);
    const fresh = new JsCore();
    fresh.restore(snapshot);
    expectSameBytes(busy.snapshot(), snapshot);
    // What the emptied arrays still hold must not matter: the same flow, the same outcomes.
    let seed = 7;
    const next = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    for (let i = 0; i < 20_000; i++) {
      const [pick, trader, side, price, size, id] = [next(10), 1 + next(6), next(2), 450 + next(200), 1 + next(40), 1 + next(busy.nextOrderId)];
      const outcomes = [busy, fresh].map((core) => {
        if (pick < 6) return limit(core, trader, side, price, size);
        if (pick < 8) return cancel(core, trader, id);
        return market(core, trader, side, size);
      });
      expect(outcomes[0], `command ${i}`).toEqual(outcomes[1]);
    }
    expectSameBytes(busy.snapshot(), fresh.snapshot());
    // The book's orders as a query lists them, sized by the sides' order counts.
    expect(busy.listOrders(1)).toEqual(fresh.listOrders(1));
  });

  it('holds 100,000 levels a side, in any arrival order', () => {
    const core = new JsCore();
    const n = 100_000;
    const order = shuffled(n, 42);
    for (const i of order) {
      limit(core, 1, BID, 1 + i, 1);
      limit(core, 2, ASK, 1 + n + i, 1);
    }
    expect(core.levels(1, BID, Infinity).length / LEVEL_SLOTS).toBe(n);
    expect(depth(core, BID, 1, 3)).toEqual([[n, 1, 1], [n - 1, 1, 1], [n - 2, 1, 1]]);
    expect(depth(core, ASK, 1, 2)).toEqual([[n + 1, 1, 1], [n + 2, 1, 1]]);
    // Remove every other level from the middle, then sweep.
    const arrival = new Int32Array(n);
    order.forEach((price, position) => { arrival[price] = position; });
    let cancelled = 0;
    for (let i = 0; i < n; i += 2) if (cancel(core, 1, 2 * arrival[i] + 1).status === StatusCode.OK) cancelled++;
    expect(cancelled).toBe(n / 2);
    expect(depth(core, BID, 1, 2)).toEqual([[n, 1, 1], [n - 2, 1, 1]]);
    expect(market(core, 3, ASK, n).filled).toBe(n / 2);
    expect(market(core, 3, BID, n, 2 * n - 10).filled).toBe(n - 10);
    expect(depth(core, ASK)).toEqual([[2 * n - 9, 1, 1], [2 * n - 8, 1, 1], [2 * n - 7, 1, 1], [2 * n - 6, 1, 1], [2 * n - 5, 1, 1],
      [2 * n - 4, 1, 1], [2 * n - 3, 1, 1], [2 * n - 2, 1, 1], [2 * n - 1, 1, 1], [2 * n, 1, 1]]);
  });

  it('keeps 10,000 assets apart', () => {
    const core = new JsCore();
    for (let a = 0; a < 10_000; a++) {
      limit(core, a, BID, 100, 1, { asset: a * 7919 });
      limit(core, a, ASK, 101 + (a % 3), 2, { asset: a * 7919 });
      limit(core, a, BID, 99, 3, { asset: a * 7919 });
    }
    expect(core.restingOrders).toBe(30_000);
    expect(depth(core, BID, 5 * 7919)).toEqual([[100, 1, 1], [99, 3, 1]]);
    expect(depth(core, ASK, 5 * 7919)).toEqual([[103, 2, 1]]);
    expect(market(core, 1, ASK, 10, 0, ALLOW, 77 * 7919).fills.map((f) => f[0])).toEqual([77 * 3 + 1, 77 * 3 + 3]);
    expect(depth(core, BID, 78 * 7919)).toEqual([[100, 1, 1], [99, 3, 1]]);
    expect(core.listOrders(123456789).length).toBe(0);
    expect(core.levels(5 * 7919 + 1, BID, 10).length).toBe(0);
    const restored = new JsCore();
    restored.restore(core.snapshot());
    expectSameBytes(restored.snapshot(), core.snapshot());
  });

  it('trades at prices 1 and 2^53-1', () => {
    const core = new JsCore();
    limit(core, 1, BID, 1, 5);
    limit(core, 1, ASK, MAX_PRICE, 5);
    expect(depth(core, BID)).toEqual([[1, 5, 1]]);
    expect(depth(core, ASK)).toEqual([[MAX_PRICE, 5, 1]]);
    expect(limit(core, 2, BID, MAX_PRICE, 2).fills).toEqual([[2, 1, MAX_PRICE, 2]]);
    expect(limit(core, 2, ASK, 1, 2).fills).toEqual([[1, 1, 1, 2]]);
    expect(limit(core, 2, BID, MAX_PRICE - 1, 1).status).toBe(StatusCode.RESTING);
    expect(depth(core, BID)).toEqual([[MAX_PRICE - 1, 1, 1], [1, 3, 1]]);
    const restored = new JsCore();
    restored.restore(core.snapshot());
    expectSameBytes(restored.snapshot(), core.snapshot());
  });
});

describe('snapshots', () => {
  function busyCore(): JsCore {
    const core = new JsCore();
    for (let i = 0; i < 300; i++) {
      limit(core, i % 5, i % 2 ? ASK : BID, i % 2 ? 200 + (i % 17) : 100 + (i % 19), 1 + (i % 4),
        { asset: i % 3 === 0 ? 42 : 7, stp: i % 4, timestamp: 1000 + i });
    }
    reduce(core, 0, 1, 1, 42);
    modify(core, 1, 2, 120, 9, 5000, 7);
    return core;
  }

  it('round-trips: snapshot -> restore into a new core -> the same bytes, the same behaviour', () => {
    const core = busyCore();
    const bytes = core.snapshot();
    const copy = new JsCore();
    copy.restore(bytes);
    expectSameBytes(copy.snapshot(), bytes);
    expect(copy.nextOrderId).toBe(core.nextOrderId);
    expect(copy.restingOrders).toBe(core.restingOrders);
    for (const c of [core, copy]) market(c, 9, BID, 50, 0, ALLOW, 7);
    expectSameBytes(copy.snapshot(), core.snapshot());
    expect(Array.from(copy.listOrders(42))).toEqual(Array.from(core.listOrders(42)));
  });

  it('lays out header, books, levels and orders as snapshot.ts says', () => {
    const core = new JsCore();
    limit(core, 3, ASK, 20, 4, { asset: 9, timestamp: 5, stp: CANCEL_MAKER });
    limit(core, 4, BID, 10, 6, { asset: 2, timestamp: 6 });
    limit(core, 5, BID, 11, 7, { asset: 9, timestamp: 7 });
    const slots = new Float64Array(core.snapshot().buffer);
    expect(Array.from(slots.subarray(1))).toEqual([
      4, 2,
      2, 0, 1, 0, 0, 0, 10, 1, 2, 4, 6, 6, 0,
      9, 0, 1, 1, 0, 0, 11, 1, 3, 5, 7, 7, 0, 20, 1, 1, 3, 4, 5, CANCEL_MAKER,
    ]);
  });

  function damaged(edit: (slots: Float64Array) => void, bytes = busyCore().snapshot()): Uint8Array {
    const copy = bytes.slice();
    edit(new Float64Array(copy.buffer));
    return copy;
  }

  it('rejects damaged snapshots with CORRUPTION or UNSUPPORTED_VERSION and changes nothing', () => {
    const good = busyCore().snapshot();
    const target = busyCore();
    market(target, 4, ASK, 3, 0, ALLOW, 42);
    const before = target.snapshot();
    // The first book (asset 7): its first bid level sits right after the header and book slots.
    const firstLevel = 9;
    const firstOrder = 11;
    const cases: [string, Uint8Array, string, RegExp][] = [
      ['truncated', good.subarray(0, good.length - 8), 'CORRUPTION', /more than fit|cut off/],
      ['not whole slots', good.subarray(0, good.length - 3), 'CORRUPTION', /8-byte slots/],
      ['trailing slot', concat(good, new Uint8Array(8)), 'CORRUPTION', /left over/],
      ['bad magic', damaged((s) => { new Uint8Array(s.buffer)[0] = 0x4d; }, good), 'CORRUPTION', /LOBSNAP/],
      ['version 3', damaged((s) => { new Uint8Array(s.buffer)[7] = 3; }, good), 'UNSUPPORTED_VERSION', /version 3/],
      ['book count', damaged((s) => { s[2] += 1; }, good), 'CORRUPTION', /book 2 is cut off/],
      ['level count', damaged((s) => { s[5] += 1; }, good), 'CORRUPTION', /^snapshot: /],
      ['order count', damaged((s) => { s[firstLevel + 1] += 1; }, good), 'CORRUPTION', /^snapshot: /],
      ['zero price', damaged((s) => { s[firstLevel] = 0; }, good), 'CORRUPTION', /price is 0/],
      ['unordered levels', damaged((s) => { s[firstLevel] = 1; }, good), 'CORRUPTION', /best first/],
      ['duplicate id', duplicateFirstId(good), 'CORRUPTION', /more than once/],
      // ids spread far beyond the order count take the sorting check instead of the bitmap
      ['duplicate id, sparse ids', damaged((s) => { s[1] = 2 ** 40; }, duplicateFirstId(good)), 'CORRUPTION', /more than once/],
      ['id not below nextOrderId', damaged((s) => { s[firstOrder] = s[1]; }, good), 'CORRUPTION', /not below nextOrderId/],
      ['fractional size', damaged((s) => { s[firstOrder + 2] = 1.5; }, good), 'CORRUPTION', /remaining is 1.5/],
      ['flags 8', damaged((s) => { s[firstOrder + 4] = 8; }, good), 'CORRUPTION', /flags is 8/],
      ['next id 0', damaged((s) => { s[1] = 0; }, good), 'CORRUPTION', /nextOrderId is 0/],
    ];
    for (const [name, bytes, code, message] of cases) {
      expect(expectError(() => target.restore(bytes), code).message, name).toMatch(message);
      expectSameBytes(target.snapshot(), before, name);
    }
    // Crossed books: a best ask at or below the best bid.
    const crossed = new JsCore();
    limit(crossed, 1, BID, 10, 1);
    limit(crossed, 1, ASK, 11, 1);
    const bytes = crossed.snapshot();
    new Float64Array(bytes.buffer)[3 + 6 + 2 + 5] = 10;
    expect(expectError(() => target.restore(bytes), 'CORRUPTION').message).toMatch(/ask/);
    expectSameBytes(target.snapshot(), before);
  });

  it('restores an empty snapshot into a busy core', () => {
    const core = busyCore();
    const empty = new JsCore();
    limit(empty, 1, BID, 1, 1);
    cancel(empty, 1, 1);
    core.restore(empty.snapshot());
    expect(core.restingOrders).toBe(0);
    expect(core.nextOrderId).toBe(2);
    expectSameBytes(core.snapshot(), empty.snapshot());
  });
});

/** Gives the second order of the first book the first order's id. */
function duplicateFirstId(good: Uint8Array): Uint8Array {
  const copy = good.slice();
  const s = new Float64Array(copy.buffer);
  const firstOrder = 11;
  const firstLevelOrders = s[10];
  const second = firstLevelOrders > 1 ? firstOrder + 5 : firstOrder + 5 + 2;
  s[second] = s[firstOrder];
  return copy;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const result = new Uint8Array(a.length + b.length);
  result.set(a);
  result.set(b, a.length);
  return result;
}

function shuffled(n: number, seed: number): number[] {
  const values = Array.from({ length: n }, (_, i) => i);
  let state = seed;
  for (let i = n - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}
