// The table of operations (src/operations.ts) is the one source of truth: the WASM core keeps a
// mirror of it (assembly/operations.ts) and of the host block's layout, the per-call encoders
// and the CommandBatch builders must write the same records, and batches built in an engine's
// own memory must behave exactly like heap batches, across memory growth and restores.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { createEngine } from '../src/engine.js';
import {
  COMMAND_SLOTS, FaultPart, Head, OPERATIONS, checkRequest, checkedRecord, decodeFault, encodeFault, encodeHead, encodeRequest, findBatchFault,
} from '../src/operations.js';
import { HOST_BLOCK, WasmCore } from '../src/wasm-core.js';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import { eventRecords, outcomesOfBatch, toBatch, type Command } from './helpers/commands.js';

describe('assembly/operations.ts mirrors src/operations.ts', () => {
  it('the same fields, slots and rules per op, in the same order, and the same head enumerations', async () => {
    const table = (await WasmCore.create()).operationTable();
    for (let op = 0; op < 16; op++) {
      const spec = OPERATIONS.find((s) => s.op === op);
      if (spec === undefined) {
        expect(table.flags[op], `op ${op} is unknown to both`).toBe(0xff);
        expect(table.fields[op]).toEqual([]);
        continue;
      }
      expect(table.fields[op], spec.method).toEqual(spec.fields.map((f) => (f.slot << 8) | f.rule));
      const flags = (spec.side ? 1 : 0) | (spec.timeInForce ? 2 : 0) | (spec.stp ? 4 : 0) | (spec.cross << 4);
      expect(table.flags[op], spec.method).toBe(flags);
    }
  });

  it('the host block offsets src/wasm-core.ts reads are the ones the core writes', async () => {
    const { hostBlock } = (await WasmCore.create()).operationTable();
    expect(hostBlock).toEqual([
      HOST_BLOCK.OUT_FILL_COUNT, HOST_BLOCK.OUT_EVENT_COUNT, HOST_BLOCK.FILLS, HOST_BLOCK.FILL_CAPACITY,
      HOST_BLOCK.RESULTS, HOST_BLOCK.RESULT_CAPACITY, HOST_BLOCK.INPUT, HOST_BLOCK.INPUT_CAPACITY, HOST_BLOCK.QUERY,
      HOST_BLOCK.QUERY_CAPACITY, HOST_BLOCK.EVENTS, HOST_BLOCK.EVENT_CAPACITY, HOST_BLOCK.MEMORY_PAGES,
    ]);
  });

  it('fault codes round-trip for every slot and head part, at any command index', () => {
    const parts = [...Array.from({ length: COMMAND_SLOTS - 1 }, (_, i) => i + 1), ...Object.values(FaultPart)];
    for (const index of [0, 1, 31, 32, 1_000_000, 2 ** 40]) {
      for (const at of parts) expect(decodeFault(encodeFault({ index, at }))).toEqual({ index, at });
    }
  });
});

describe("the WASM core's batch check", () => {
  // assembly/operations.ts checks slots two at a time and walks the table only for a command that
  // fails; whatever path it takes, it must name the same first fault as the table's own check.
  const tricky = [0, -0, 1, 2, 3, 7, 0.5, 1.5, -1, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e300, NaN, Infinity, -Infinity];
  const slotValue = fc.oneof(fc.constantFrom(...tricky), fc.integer({ min: 0, max: 1000 }));
  const command = fc.record({
    op: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: Head.OP_MASK })),
    side: fc.oneof(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 15 })),
    tif: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4 })),
    stp: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4 })),
    allAssets: fc.boolean(),
    oddHead: fc.constantFrom(0, 0, 0, 0, 0.5, -1, Head.LIMIT),
    slots: fc.array(slotValue, { minLength: COMMAND_SLOTS - 1, maxLength: COMMAND_SLOTS - 1 }),
  });

  it('finds the same first fault as src/operations.ts on random records, tricky values included', async () => {
    const core = await WasmCore.create();
    fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 4 }), (commands) => {
      // A last command with a bad head: nothing is ever applied, so every command before it is checked.
      const records = new Float64Array((commands.length + 1) * COMMAND_SLOTS);
      commands.forEach((c, i) => {
        const head = encodeHead(c.op, c.side, c.tif, c.stp, c.allAssets ? Head.ALL_ASSETS : 0);
        records[i * COMMAND_SLOTS] = c.oddHead === 0 ? head : c.oddHead === Head.LIMIT ? head + Head.LIMIT : c.oddHead;
        records.set(c.slots, i * COMMAND_SLOTS + 1);
      });
      records[commands.length * COMMAND_SLOTS] = -1;
      const expected = findBatchFault(records, commands.length + 1);
      expect(expected).not.toBeNull();
      expect(core.runBatch(records, commands.length + 1)).toBe(encodeFault(expected!));
    }), { numRuns: 20_000, seed: 9 });
  });

  it('agrees at the edges of the cross rules: heads within their ranges, slots of small integers that often tie', async () => {
    // Random slots seldom reach a cross rule (some field fails first) and seldom tie; here every
    // slot meets its rule but for zeros, and equal prices are common.
    const core = await WasmCore.create();
    const nearlyValid = fc.record({
      op: fc.integer({ min: 1, max: 8 }),
      side: fc.integer({ min: 0, max: 1 }),
      tif: fc.integer({ min: 0, max: 3 }),
      stp: fc.integer({ min: 0, max: 3 }),
      slots: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: COMMAND_SLOTS - 1, maxLength: COMMAND_SLOTS - 1 }),
    });
    fc.assert(fc.property(fc.array(nearlyValid, { minLength: 1, maxLength: 4 }), (commands) => {
      const records = new Float64Array((commands.length + 1) * COMMAND_SLOTS);
      commands.forEach((c, i) => {
        const spec = OPERATIONS.find((o) => o.op === c.op)!;
        records[i * COMMAND_SLOTS] = encodeHead(c.op, spec.side ? c.side : 0, spec.timeInForce ? c.tif : 0, spec.stp ? c.stp : 0, 0);
        records.set(c.slots, i * COMMAND_SLOTS + 1);
      });
      records[commands.length * COMMAND_SLOTS] = -1;
      const expected = findBatchFault(records, commands.length + 1);
      expect(core.runBatch(records, commands.length + 1)).toBe(encodeFault(expected!));
    }), { numRuns: 20_000, seed: 11 });
  });
});

describe('per-call encoders and CommandBatch builders write the same records', () => {
  const trader = fc.integer({ min: 0, max: 1_000 });
  const asset = fc.integer({ min: 0, max: 1_000 });
  const positive = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
  const side = fc.constantFrom('bid' as const, 'ask' as const);
  const requests: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ trader, asset, side, price: positive, size: positive, timestamp: asset,
      timeInForce: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const, 'POST_ONLY' as const),
      stp: fc.constantFrom('allow' as const, 'cancel_both' as const), clientOrderId: positive })
      .map((req): Command => ({ op: 'limit', req })),
    fc.record({ trader, asset, side, size: positive, timestamp: asset, protectionPrice: positive, clientOrderId: positive })
      .map((req): Command => ({ op: 'market', req })),
    fc.record({ trader, asset, orderId: positive }).map((req): Command => ({ op: 'cancel', req })),
    fc.record({ trader, asset, orderId: positive, by: positive }).map((req): Command => ({ op: 'reduce', req })),
    fc.record({ trader, asset, orderId: positive, price: positive, size: positive, timestamp: asset })
      .map((req): Command => ({ op: 'modify', req })),
    fc.record({ trader, asset: fc.option(asset, { nil: undefined }) })
      .map(({ trader: t, asset: a }): Command => ({ op: 'cancelAll', req: a === undefined ? { trader: t } : { trader: t, asset: a } })),
    fc.record({ trader, asset, side, budget: positive, timestamp: asset, protectionPrice: positive, clientOrderId: positive })
      .map((req): Command => ({ op: 'market', req })),
    fc.record({ trader, asset, side, size: positive, stopPrice: positive, price: positive, timestamp: asset,
      timeInForce: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const, 'POST_ONLY' as const), stp: fc.constantFrom('allow' as const, 'cancel_maker' as const), clientOrderId: positive })
      .map((req): Command => ({ op: 'stop', req })),
    fc.record({ trader, asset, side, size: positive, stopPrice: positive, protectionPrice: positive, timestamp: asset })
      .map((req): Command => ({ op: 'stop', req })),
    fc.record({ trader, asset, side, size: positive, a: positive, b: positive, stopLimitPrice: positive, timestamp: asset, clientOrderId: positive })
      .filter(({ a, b }) => a !== b)
      .map(({ a, b, ...req }): Command => ({
        op: 'oco', req: { ...req, price: req.side === 'bid' ? Math.min(a, b) : Math.max(a, b), stopPrice: req.side === 'bid' ? Math.max(a, b) : Math.min(a, b) },
      })),
  );
  const METHOD = {
    limit: 'placeLimit', market: 'placeMarket', cancel: 'cancel', reduce: 'reduce', modify: 'modify', cancelAll: 'cancelAll',
    stop: 'placeStop', oco: 'placeOco',
  } as const;

  it('slot for slot, on every slot the operation uses', () => {
    fc.assert(fc.property(requests, (command) => {
      const method = METHOD[command.op];
      checkRequest[method](command.req);
      const encoded = checkedRecord.slice();
      // The per-call check writes the record the journal's encoder does.
      const journaled = new Float64Array(COMMAND_SLOTS);
      encodeRequest[method](command.req, journaled, 0);
      expect(encoded).toEqual(journaled);
      const built = toBatch([command]).slots;
      const spec = OPERATIONS.find((s) => s.method === method)!;
      expect(built[0]).toBe(encoded[0]);
      for (const field of spec.fields) expect(built[field.slot], field.name).toBe(encoded[field.slot]);
    }), { numRuns: 500 });
  });

  it('a builder refuses a bad side, timeInForce or stp at once, naming it, and leaves the batch as it was', () => {
    const batch = new CommandBatch(4).limit(1, 1, 'bid', 10, 1, 0);
    const calls: [string, () => unknown][] = [
      ['side', () => batch.limit(1, 1, 'sideways' as never, 5, 5, 1)],
      ['timeInForce', () => batch.limit(1, 1, 'ask', 5, 5, 1, 'GTD' as never)],
      ['stp', () => batch.market(1, 1, 'ask', 5, 1, 0, 'cancel_all' as never)],
      ['side', () => batch.market(1, 1, undefined as never, 5, 1)],
    ];
    for (const [field, call] of calls) {
      expect(call).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(field) }));
    }
    expect(batch.count).toBe(1);
  });
});

describeEachBackend('per-call results, whose appliers write only the slots the engine reads back', (backend) => {
  it("carry their own request's client order id and budget, never those of the request before", async () => {
    const engine = await newEngine(backend);
    expect(engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 10, timestamp: 1, clientOrderId: 9 }))
      .toMatchObject({ orderId: 1, status: 'resting', clientOrderId: 9 });
    expect(engine.placeMarket({ trader: 2, asset: 1, side: 'bid', budget: 200, timestamp: 2, clientOrderId: 8 }))
      .toMatchObject({ status: 'filled', filled: 2, clientOrderId: 8, spent: 200 });
    const sized = engine.placeMarket({ trader: 2, asset: 1, side: 'bid', size: 1, timestamp: 3 });
    expect(sized.filled).toBe(1);
    expect(sized).not.toHaveProperty('spent');
    expect(sized).not.toHaveProperty('clientOrderId');
    const bid = engine.placeLimit({ trader: 3, asset: 1, side: 'bid', price: 90, size: 1, timestamp: 4, clientOrderId: 7 });
    expect(bid.clientOrderId).toBe(7);
    expect(engine.modify({ trader: 3, asset: 1, orderId: bid.orderId, price: 91, timestamp: 5 })).not.toHaveProperty('clientOrderId');
    expect(engine.cancel({ trader: 3, asset: 1, orderId: bid.orderId }).ok).toBe(true);
    expect(engine.placeLimit({ trader: 3, asset: 1, side: 'bid', price: 80, size: 1, timestamp: 6 })).not.toHaveProperty('clientOrderId');
  });
});

describeEachBackend('engine.createBatch: a batch in the engine\'s own memory', (backend) => {
  const flow: Command[] = [];
  for (let i = 0; i < 400; i++) {
    flow.push({ op: 'limit', req: { trader: i % 7, asset: i % 3, side: i % 2 === 0 ? 'bid' : 'ask', price: 100 + (i % 11) - 5, size: 1 + (i % 4), timestamp: i } });
    if (i % 9 === 0) flow.push({ op: 'cancelAll', req: { trader: i % 7, asset: i % 3 } });
  }

  it('gives the same results, fills, events and state as a heap batch', async () => {
    const [own, heap] = await Promise.all([newEngine(backend), newEngine(backend)]);
    const batch = own.createBatch(8);
    const reference = toBatch(flow);
    for (const command of flow) {
      // The builders write straight into the engine's memory; growing past 8 commands moves it.
      const r = command.req as never as { trader: number; asset: number; side: 'bid' | 'ask'; price: number; size: number; timestamp: number };
      if (command.op === 'limit') batch.limit(r.trader, r.asset, r.side, r.price, r.size, r.timestamp);
      else batch.cancelAll(r.trader, r.asset);
    }
    const a = own.submitBatch(batch);
    const outcomesA = outcomesOfBatch(flow, a);
    const eventsA = eventRecords(a.events);
    const b = heap.submitBatch(reference);
    expect(outcomesA).toEqual(outcomesOfBatch(flow, b));
    expect(eventsA).toEqual(eventRecords(b.events));
    expect(own.stateHash()).toBe(heap.stateHash());
  });

  it('keeps its commands across memory growth and across a restore', async () => {
    const engine = await createEngine({ backend });
    const empty = engine.snapshot();
    const batch = engine.createBatch(4);
    batch.limit(1, 1, 'ask', 100, 5, 1).limit(2, 1, 'bid', 100, 2, 2);
    // Grow the core's memory a lot between building and submitting.
    const filler = new CommandBatch(100_000);
    for (let i = 0; i < 100_000; i++) filler.limit(3, 9, 'bid', 1 + (i % 5_000), 1, i);
    engine.submitBatch(filler);
    engine.restore(empty);
    batch.cancel(1, 1, 1);
    const results = engine.submitBatch(batch);
    expect([results.status(0), results.status(1), results.status(2)]).toEqual(['resting', 'filled', 'ok']);
    expect(results.fill(0)).toMatchObject({ makerOrderId: 1, takerOrderId: 2, price: 100, size: 2 });
    expect(engine.depth(1)).toEqual({ bids: [], asks: [] });
  });

  it('keeps its commands across a restore that does not grow memory, submitted as they were', async () => {
    const engine = await createEngine({ backend });
    const empty = engine.snapshot();
    const batches = [0, 1, 2].map((k) => {
      const batch = engine.createBatch(1000);
      for (let i = 0; i < 1000; i++) batch.limit(1, k, 'bid', 100 + (i % 10), 1, i);
      return batch;
    });
    engine.restore(empty); // the core's heap is emptied; the records move back on next use
    for (const batch of batches) expect(engine.submitBatch(batch).status(999)).toBe('resting');
    expect(engine.restingOrders).toBe(3000);
  });

  it('can be submitted to another engine, which copies it', async () => {
    const [a, b] = await Promise.all([newEngine(backend), newEngine(backend)]);
    const batch = a.createBatch(2).limit(1, 1, 'ask', 100, 5, 1);
    b.submitBatch(batch);
    expect(b.bestAsk(1)).toEqual({ price: 100, size: 5, orders: 1 });
    expect(a.bestAsk(1)).toBeUndefined();
  });
});
