// Mutation tests of the demo's proof (src/cli/demo-verify.ts): each comparison is handed two
// machines that differ in one small way and must say so. The machines are in memory (the demo
// compares one on disk with one in memory; what is compared is the same), one of them seen
// through a proxy that alters one answer: no src/ change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareAuditTrail, compareFillHistory, followFeed, replayInMemory } from '../src/cli/demo-verify.js';
import { TRADERS, type DemoOrderFlow } from '../src/cli/demo-flow.js';
import type { DemoFlowFlags } from '../src/cli/demo-options.js';
import type { CoreStateMachine } from '../src/cli/database.js';
import { startPhase } from '../src/cli/progress.js';
import type { FeedMessage, OrderRecord, RecordedEvent, RestingOrder } from '../src/types.js';

const FLAGS: DemoFlowFlags = { blocks: 60, ordersPerBlock: 40, assets: 3, seed: 1, backend: 'js', checkpointEvery: 20 };
const HEIGHT = 40;
const SILENT = startPhase('replaying', HEIGHT, false);

/** The machine, with the named members answering otherwise. */
function altered(machine: CoreStateMachine, overrides: Record<string, unknown>): CoreStateMachine {
  return new Proxy(machine, {
    get(target, property) {
      if (typeof property === 'string' && property in overrides) return overrides[property];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

type TraderFills = CoreStateMachine['getTraderFills'];

/** The index of the last item that `test` accepts, -1 for none (Array.prototype.findLastIndex is ES2023, beyond the tests' lib). */
function lastIndex<T>(items: T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i])) return i;
  return -1;
}

/** getTraderFills of `machine`, each answer for `trader` passed through `change` (a copy, never the machine's own objects). */
function fillsChanged(machine: CoreStateMachine, trader: number, change: (fills: Awaited<ReturnType<TraderFills>>) => void): CoreStateMachine {
  const getTraderFills: TraderFills = async (t, query) => {
    const fills = structuredClone(await machine.getTraderFills(t, query));
    if (t === trader) change(fills);
    return fills;
  };
  return altered(machine, { getTraderFills });
}

describe('the demo\'s comparisons each catch one small difference', () => {
  let recovered: CoreStateMachine;
  let replayed: CoreStateMachine;
  /** The first and last traders with fills, and the height of the last one's last fill. */
  let firstTrader = -1;
  let lastTrader = -1;
  let lastHeight = 0;

  beforeAll(async () => {
    recovered = (await replayInMemory(FLAGS, HEIGHT, SILENT)).machine;
    replayed = (await replayInMemory(FLAGS, HEIGHT, SILENT)).machine;
    for (let trader = TRADERS - 1; trader >= 0 && lastTrader < 0; trader--) {
      const fills = await replayed.getTraderFills(trader, { newestFirst: true, limit: 1 });
      if (fills.length > 0) [lastTrader, lastHeight] = [trader, fills[0].height];
    }
    for (let trader = 0; trader < TRADERS && firstTrader < 0; trader++) {
      if ((await replayed.getTraderFills(trader, { limit: 1 })).length > 0) firstTrader = trader;
    }
  });

  afterAll(async () => {
    await recovered?.close();
    await replayed?.close();
  });

  it('two replays of the same flow agree on every comparison (the baseline the mutations depart from)', async () => {
    expect(recovered).not.toBe(replayed);
    const fills = await compareFillHistory(recovered, replayed);
    expect(fills.equal).toBe(true);
    expect(fills.recovered).toBeGreaterThan(100);
    expect(lastTrader).toBeGreaterThan(TRADERS - 10);
    const audit = await compareAuditTrail(recovered, replayed);
    expect(audit.removed).not.toBeNull();
    expect(audit.triggered).not.toBeNull();
    expect(audit.equal).toBe(true);
  });

  describe('state hash (the engine\'s whole snapshot: resting orders and pending stops alike)', () => {
    /** A fresh replay to HEIGHT, one command applied at HEIGHT after it: the hash must differ from the replay's. */
    const hashAfter = async (command: (machine: CoreStateMachine, orders: RestingOrder[]) => void): Promise<boolean> => {
      const { machine } = await replayInMemory(FLAGS, HEIGHT, SILENT);
      try {
        command(machine, machine.orders(FLAGS.assets - 1));
        return machine.stateHash() !== replayed.stateHash();
      } finally {
        await machine.close();
      }
    };

    it('one resting order of the last asset reduced by a lot, or one of its pending stops cancelled', async () => {
      expect(await hashAfter(() => {})).toBe(false);
      expect(await hashAfter((machine, orders) => {
        const order = orders[lastIndex(orders, (o) => o.status === undefined && o.remaining > 1)];
        expect(machine.reduce({ trader: order.trader, asset: order.asset, orderId: order.orderId, by: 1 }).ok).toBe(true);
      })).toBe(true);
      expect(await hashAfter((machine, orders) => {
        const stop = orders[lastIndex(orders, (o) => o.status === 'pending')];
        expect(machine.cancel({ trader: stop.trader, asset: stop.asset, orderId: stop.orderId }).ok).toBe(true);
      })).toBe(true);
    });
  });

  describe('fill history', () => {
    const differs = async (machine: CoreStateMachine): Promise<void> => {
      expect((await compareFillHistory(machine, replayed)).equal).toBe(false);
      expect((await compareFillHistory(replayed, machine)).equal).toBe(false);
    };

    it('one fill\'s price, in the last trader\'s history, at its last height', async () => {
      await differs(fillsChanged(recovered, lastTrader, (fills) => {
        const at = lastIndex(fills, (fill) => fill.height === lastHeight);
        if (at >= 0) fills[at].price += 1;
      }));
    });

    it('one fill\'s size, or maker order id, in the first trader\'s history', async () => {
      await differs(fillsChanged(recovered, firstTrader, (fills) => {
        if (fills.length > 0) fills[0].size += 1;
      }));
      await differs(fillsChanged(recovered, firstTrader, (fills) => {
        if (fills.length > 0) fills[0].makerOrderId += 1;
      }));
    });

    it('the last trader\'s last fill missing (the fill count unchanged)', async () => {
      await differs(fillsChanged(recovered, lastTrader, (fills) => {
        const at = lastIndex(fills, (fill) => fill.height === lastHeight);
        if (at >= 0) fills.splice(at, 1);
      }));
    });

    it('two of one trader\'s fills in the other order', async () => {
      await differs(fillsChanged(recovered, lastTrader, (fills) => {
        if (fills.length > 1) [fills[0], fills[1]] = [fills[1], fills[0]];
      }));
    });

    it('one more fill recorded (the next fill sequence one higher), histories otherwise alike', async () => {
      await differs(altered(recovered, { nextFillSeq: recovered.nextFillSeq + 1 }));
    });
  });

  describe('audit trail', () => {
    let sample: { removed: number; triggered: number };
    beforeAll(async () => {
      const audit = await compareAuditTrail(recovered, replayed);
      sample = { removed: audit.removed!.orderId, triggered: audit.triggered!.orderId };
    });

    const recordChanged = (orderId: number, change: (record: OrderRecord) => void): CoreStateMachine => altered(recovered, {
      getOrder: async (id: number) => {
        const record = structuredClone(await recovered.getOrder(id));
        if (id === orderId && record !== undefined) change(record);
        return record;
      },
    });
    const eventsChanged = (machine: CoreStateMachine, orderId: number, change: (events: RecordedEvent[]) => void): CoreStateMachine => altered(machine, {
      getOrderEvents: async (id: number) => {
        const events = structuredClone(await machine.getOrderEvents(id));
        if (id === orderId) change(events);
        return events;
      },
    });

    it('the removed order\'s record: one field, or missing', async () => {
      expect((await compareAuditTrail(recordChanged(sample.removed, (r) => { r.closedHeight! += 1; }), replayed)).equal).toBe(false);
      expect((await compareAuditTrail(recordChanged(sample.removed, (r) => { r.filled += 1; }), replayed)).equal).toBe(false);
      expect((await compareAuditTrail(altered(recovered, {
        getOrder: async (id: number) => (id === sample.removed ? undefined : recovered.getOrder(id)),
      }), replayed)).equal).toBe(false);
    });

    it('the triggered stop\'s record: its trigger height', async () => {
      const check = await compareAuditTrail(recordChanged(sample.triggered, (r) => { r.triggeredHeight! += 1; }), replayed);
      expect(check.triggered!.equal).toBe(false);
      expect(check.equal).toBe(false);
    });

    it('either order\'s lifecycle: its last event missing, or one event\'s height, on either machine', async () => {
      for (const orderId of [sample.removed, sample.triggered]) {
        expect((await compareAuditTrail(eventsChanged(recovered, orderId, (e) => e.pop()), replayed)).equal).toBe(false);
        expect((await compareAuditTrail(eventsChanged(recovered, orderId, (e) => { e[0].height += 1; }), replayed)).equal).toBe(false);
        expect((await compareAuditTrail(recovered, eventsChanged(replayed, orderId, (e) => e.pop()))).equal).toBe(false);
      }
    });
  });

  describe('feed', () => {
    /** A fresh machine replayed to HEIGHT, its feed followed (through `subscribe`), then carried on to the end of the flow. */
    const follow = async (subscribe?: (machine: CoreStateMachine) => CoreStateMachine['subscribe']): Promise<boolean> => {
      const { machine, flow } = await replayInMemory(FLAGS, HEIGHT, SILENT);
      try {
        const seen = subscribe === undefined ? machine : altered(machine, { subscribe: subscribe(machine) });
        const feed = followFeed(seen, Array.from({ length: FLAGS.assets }, (_, asset) => asset));
        await carryOn(machine, flow);
        return (await feed.finish()).equal;
      } finally {
        await machine.close();
      }
    };
    const carryOn = async (machine: CoreStateMachine, flow: DemoOrderFlow): Promise<void> => {
      for (let block = HEIGHT + 1; block <= FLAGS.blocks; block++) {
        machine.setHeight(block);
        flow.runBlock(block, machine);
        await machine.flush();
      }
    };
    /**
     * A subscription whose messages pass through `change`: undefined drops one. `index` counts the
     * live messages only (the subscription first replays those the snapshot already holds).
     */
    const passing = (change: (message: FeedMessage, index: number) => FeedMessage | undefined) =>
      (machine: CoreStateMachine): CoreStateMachine['subscribe'] => (options) => {
        const subscription = machine.subscribe(options);
        let index = 0;
        return Object.assign(Object.create(subscription) as typeof subscription, {
          async *[Symbol.asyncIterator]() {
            for await (const message of subscription) {
              const out = message.height > HEIGHT ? change(message, index++) : message;
              if (out !== undefined) yield out;
            }
          },
          close: () => subscription.close(),
        });
      };

    it('follows the feed to the engine\'s books when nothing is altered', async () => {
      expect(await follow()).toBe(true);
    });

    it('one message missing in mid-stream', async () => {
      expect(await follow(passing((message, index) => (index === 10 ? undefined : message)))).toBe(false);
    });

    it('one level of one message at a price the book never had', async () => {
      expect(await follow(passing((message, index) => (index === 10 && message.levels.length > 0
        ? { ...message, levels: [...message.levels, { ...message.levels[0], price: message.levels[0].price + 100_000, size: 1 }] }
        : message)))).toBe(false);
    });

    it('every level of the last block\'s messages with one order more (sizes right)', async () => {
      expect(await follow(passing((message) => (message.height === FLAGS.blocks
        ? { ...message, levels: message.levels.map((level) => (level.size > 0 ? { ...level, orders: level.orders + 1 } : level)) }
        : message)))).toBe(false);
    });

    it('the last block\'s messages missing: a MISMATCH, not a wait for them that never ends', async () => {
      expect(await follow(passing((message) => (message.height === FLAGS.blocks ? undefined : message)))).toBe(false);
    });
  });
});
