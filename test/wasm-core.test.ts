// What is particular to the WebAssembly core: linear memory growth and the views over it,
// capacity limits (orders, levels, bytes of memory), scale (a million orders, 10,000 assets,
// 100,000 levels a side, the extreme prices), bytes per resting order, and the snapshot codec.
// The matching rules themselves are covered for both backends by the semantics suites.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/engine.js';
import { COMMAND_SLOTS, CommandBatch, RESULT_SLOTS } from '../src/batch.js';
import { LobError } from '../src/errors.js';
import { WasmCore } from '../src/wasm-core.js';
import { MatchingEngine } from '../src/engine-host.js';
import { ORDER_SLOTS, ORD_PRICE, ORD_REMAINING, Out } from '../src/core.js';
import { ReasonCode, StatusCode } from '../src/codes.js';
import { expectSameBytes } from './helpers/bytes.js';

const MAX_PRICE = Number.MAX_SAFE_INTEGER;

function wasm(options: { maxOrders?: number; maxLevels?: number; maxMemoryBytes?: number } = {}): Promise<Engine> {
  return createEngine({ backend: 'wasm', ...options });
}

function expectCorruption(engine: Engine, bytes: Uint8Array, code = 'CORRUPTION'): void {
  const before = engine.snapshot();
  let error: unknown;
  try {
    engine.restore(bytes);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(LobError);
  expect((error as LobError).code).toBe(code);
  expectSameBytes(engine.snapshot(), before);
}

describe('wasm core: memory growth', () => {
  it('holds a million resting orders in at most 48 bytes each, with views refreshed after growth', async () => {
    const core = await WasmCore.create({});
    const initialBytes = core.memoryBytes();
    const outBefore = core.out;
    // Per call, so that no batch buffer counts: what is measured is what the book holds.
    for (let i = 0; i < 1_000_000; i++) core.placeLimit(1, 1, 0, 1 + (i % 1000), 1, i, 0, 0, 0);
    expect(core.restingOrders).toBe(1_000_000);
    expect(core.nextOrderId).toBe(1_000_001);
    expect(core.memoryBytes()).toBeGreaterThan(initialBytes);
    // Everything the core holds, divided by the orders it holds: order records, id index, levels, books.
    const bytesPerOrder = core.memoryBytes() / core.restingOrders;
    expect(bytesPerOrder).toBeLessThanOrEqual(48);

    // The memory is shared and grew in place: the old view still reads the same memory. `out` is
    // that one view for the core's life (its block has a fixed address); the getters of the
    // buffers that move hand out views of the grown memory, the core's own record of its size.
    expect(outBefore[Out.ORDER_ID]).toBe(1_000_000);
    expect(core.out).toBe(outBefore);
    expect(core.out.byteLength).toBe(Out.SLOTS * 8);
    expect(core.memoryBuffer().byteLength).toBeGreaterThan(outBefore.buffer.byteLength);
    expect(core.out[Out.HEAD]).toBe(StatusCode.RESTING);
    expect(core.out[Out.ORDER_ID]).toBe(1_000_000);

    const order = core.findOrder(777_777)!;
    expect(order[ORD_PRICE]).toBe(1 + (777_776 % 1000));
    expect(order[ORD_REMAINING]).toBe(1);
    core.cancel(1, 1, 777_777);
    expect(core.out[Out.HEAD]).toBe(StatusCode.OK);
    expect(core.findOrder(777_777)).toBeNull();
    expect(core.restingOrders).toBe(999_999);

    const best = core.levels(1, 0, 2);
    expect(Array.from(best)).toEqual([1000, 1000, 1000, 999, 1000, 1000]);

    // A market sell sweeps the best level: 1000 fills, and the fills view is readable.
    core.placeMarket(2, 1, 1, 1000, 0, 5, 0, 0, 0);
    expect(core.out[Out.FILL_COUNT]).toBe(1000);
    const fills = core.fills;
    expect(fills.buffer.byteLength).toBe(core.memoryBytes());
    expect(fills[8 * 999 + 6]).toBe(1000);
    expect(core.levels(1, 0, 1)[0]).toBe(999);
  });

  it('reads every per-call outcome through the one view of its first memory: after growth and after a restore into a smaller book', async () => {
    const core = await WasmCore.create({});
    const out = core.out;
    core.placeLimit(1, 1, 0, 100, 5, 1, 0, 0, 0);
    const snapshot = core.snapshot();
    for (let i = 0; i < 300_000; i++) core.placeLimit(1, 1, 0, 1 + (i % 1000), 1, i, 0, 0, 0);
    expect(core.memoryBuffer()).not.toBe(out.buffer);
    expect(out[Out.ORDER_ID]).toBe(300_001);
    core.restore(snapshot);
    core.placeLimit(2, 1, 1, 100, 2, 3, 0, 0, 0);
    expect(core.out).toBe(out);
    expect([out[Out.HEAD] & 15, out[Out.ORDER_ID], out[Out.FILLED], out[Out.REMAINING], out[Out.FILL_COUNT]])
      .toEqual([StatusCode.FILLED, 2, 2, 0, 1]);
    core.cancel(1, 1, 1);
    expect(out[Out.HEAD] & 15).toBe(StatusCode.OK);
    expect(core.findOrder(1)).toBeNull();
  });

  it('reads a batch made before the memory grew where it is, copying nothing, and a batch of another core by copy', async () => {
    const core = await WasmCore.create({});
    const engine = new MatchingEngine(core);
    const batch = engine.createBatch(4);
    const bufferBefore = batch.view().buffer;
    for (let i = 0; i < 300_000; i++) core.placeLimit(1, 1, 0, 1 + (i % 1000), 1, i, 0, 0, 0);
    expect(core.memoryBuffer()).not.toBe(bufferBefore);
    batch.limit(2, 1, 'ask', 1000, 3, 1);
    expect(batch.view().buffer).toBe(bufferBefore);
    expect(engine.submitBatch(batch).fillCount).toBe(3);
    expect(core.inputCapacity).toBe(0);
    // The same layout in another core's memory is not this core's to read in place.
    const foreign = new MatchingEngine(await WasmCore.create({})).createBatch(1).limit(2, 1, 'ask', 999, 1, 2);
    expect(engine.submitBatch(foreign).fillCount).toBe(1);
    expect(core.inputCapacity).toBeGreaterThan(0);
  });

  it('reads in place a batch whose block grew the memory, also when the memory grew again before the next submit', async () => {
    const core = await WasmCore.create({});
    const engine = new MatchingEngine(core);
    // Each block is larger than the memory the core starts with: placing it grows the memory, and
    // the batch's view is made on the buffer object of that growth, which the next one replaces.
    const first = engine.createBatch(300_000);
    const second = engine.createBatch(300_000);
    expect(first.view().buffer).not.toBe(second.view().buffer);
    first.limit(1, 1, 'ask', 100, 5, 1);
    second.limit(2, 1, 'bid', 100, 2, 2);
    expect(engine.submitBatch(first).status(0)).toBe('resting');
    expect(engine.submitBatch(second).fillCount).toBe(1);
    expect(core.inputCapacity).toBe(0);
  });

  it('forgets batches that were collected, so a batch made for every submit holds no memory after it', () => {
    // A child with --expose-gc: a WeakRef read in a job keeps its target through that job, so the
    // collection runs in a job of its own. A thousand batches at most live between collections.
    const script = `
      import { createEngine } from ${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)};
      const engine = await createEngine({ backend: 'wasm' });
      const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
      for (let i = 0; i < 20_000; i++) {
        engine.submitBatch(engine.createBatch(1).limit(1, 1, 'bid', 100, 1, i));
        if (i % 1_000 === 999) { await tick(); gc(); await tick(); }
      }
      console.log(engine.core.boundBatches.size);`;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(Number(child.stdout.trim())).toBeLessThanOrEqual(2_000);
  });

  it('restores a large snapshot, whole or in pieces, into memory grown at once while another thread touches its pages', async () => {
    const source = await wasm();
    const batch = new CommandBatch(400_000);
    for (let i = 0; i < 400_000; i++) batch.limit(i % 300, i % 4, i % 2 === 0 ? 'bid' : 'ask', i % 2 === 0 ? 1 + (i % 5_000) : 10_001 + (i % 5_000), 1 + (i % 7), i);
    source.submitBatch(batch);
    const snapshot = source.snapshot();
    expect(snapshot.byteLength).toBeGreaterThan(8 * 1024 * 1024); // past prefault.ts's threshold
    const hash = source.stateHash();
    const whole = await wasm();
    whole.restore(snapshot);
    expect(whole.stateHash()).toBe(hash);
    // Grown once, before the restore wrote anything: by at least the snapshot's size.
    expect(whole.memoryBytes()).toBeGreaterThanOrEqual(snapshot.byteLength);
    const pieces = await wasm();
    const restore = pieces.restoreInPieces(snapshot.byteLength);
    for (let at = 0; at < snapshot.byteLength; at += 1 << 20) restore.write(snapshot.subarray(at, at + (1 << 20)));
    restore.end();
    expect(pieces.stateHash()).toBe(hash);
    expect(pieces.restingOrders).toBe(400_000);
  });

  it('readies growth ahead: memory grown at once by the bytes asked, used by what comes next, nothing else changed', async () => {
    const engine = await wasm();
    engine.submitBatch(new CommandBatch(2).limit(1, 1, 'bid', 100, 5, 0).limit(2, 1, 'ask', 101, 5, 0));
    const hash = engine.stateHash();
    const before = engine.memoryBytes();
    engine.prepareForGrowth(16 << 20);
    const readied = engine.memoryBytes();
    expect(readied).toBeGreaterThan(before);
    expect(readied).toBeGreaterThanOrEqual(16 << 20); // room for 16 MiB more than it had allocated
    expect(engine.stateHash()).toBe(hash);
    // 200,000 resting orders fit in what was readied: the memory does not grow again. (Per call:
    // a batch that size would take memory of its own for its commands and results.)
    const order = { trader: 3, asset: 1, side: 'bid' as const, price: 1, size: 1, timestamp: 0 };
    for (let i = 0; i < 200_000; i++) {
      order.price = 1 + (i % 99);
      engine.placeLimit(order);
    }
    expect(engine.restingOrders).toBe(200_002);
    expect(engine.memoryBytes()).toBe(readied);
    // Past maxMemoryBytes nothing is readied, and nothing refused.
    const small = await wasm({ maxMemoryBytes: 4 << 20 });
    const smallBefore = small.memoryBytes();
    small.prepareForGrowth(32 << 20);
    expect(small.memoryBytes()).toBe(smallBefore);
    expect(small.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 1, size: 1, timestamp: 0 }).status).toBe('resting');
    // The JS engine has nothing to ready.
    const js = await createEngine({ backend: 'js' });
    const jsBefore = js.memoryBytes();
    js.prepareForGrowth(16 << 20);
    expect(js.memoryBytes()).toBe(jsBefore);
  });

  it('takes only a byte count as a growth hint, on both backends: anything else is refused naming bytes, nothing grown', async () => {
    for (const engine of [await wasm(), await createEngine({ backend: 'js' })]) {
      const before = engine.memoryBytes();
      for (const bytes of ['100000000', -1, Number.NaN, Number.POSITIVE_INFINITY, 1.5]) {
        expect(() => engine.prepareForGrowth(bytes as number), String(bytes)).toThrow(/^bytes must be a non-negative safe integer/);
      }
      expect(engine.memoryBytes()).toBe(before);
      engine.prepareForGrowth(0);
    }
  });

  it('keeps 10,000 assets with a few orders each within 256 MB', async () => {
    const engine = await wasm();
    const batch = new CommandBatch();
    for (let asset = 0; asset < 10_000; asset++) {
      const id = asset * 7919 + 13; // scattered asset ids
      batch.limit(1, id, 'bid', 100, 5, 0).limit(2, id, 'bid', 99, 5, 0).limit(3, id, 'ask', 101, 5, 0);
    }
    engine.submitBatch(batch);
    expect(engine.restingOrders).toBe(30_000);
    expect(engine.memoryBytes()).toBeLessThanOrEqual(256 * 1024 * 1024);
    expect(engine.bestBid(5 * 7919 + 13)).toEqual({ price: 100, size: 5, orders: 1 });
    expect(engine.depth(9_999 * 7919 + 13, 5).asks).toEqual([{ price: 101, size: 5, orders: 1 }]);
    expect(engine.bestBid(14)).toBeUndefined();
  });
});

describe('wasm core: order index', () => {
  it('spreads ids 2^16 apart over a table of 2^16 slots: homes from the hash\'s top bits, which every id bit moves', async () => {
    const core = await WasmCore.create({});
    // Eight runs of 5,000 resting ids, each run 65,536 ids after the one before; the ids
    // between them placed and cancelled. Homes taken from the product's low 16 bits put each
    // id of a run on the home of the same id in every other run.
    const lastId = 7 * 65_536 + 5_000;
    for (let id = 1; id <= lastId; id++) {
      core.placeLimit(1, 1, 0, 100, 1, id, 0, 0, 0);
      const inRun = id % 65_536;
      if (inRun === 0 || inRun > 5_000) core.cancel(1, 1, id);
    }
    expect(core.nextOrderId).toBe(lastId + 1);
    expect(core.restingOrders).toBe(40_000);
    expect(core.orderIndexBytes()).toBe(65_536 * 4);
    // 3.5 slots an entry with the low bits (a replay of these ids); a uniform hash at this load, 0.75.
    expect(core.orderIndexDisplacement() / core.restingOrders).toBeLessThan(1);
  });

  it('grows a table of 65,536 slots or more once it is 17/20 full, to 3/5 full, whatever its probes', async () => {
    const core = await WasmCore.create({});
    const growths: Array<[number, number]> = [];
    let slots = core.orderIndexSlots();
    for (let id = 1; id <= 200_000; id++) {
      core.placeLimit(1, 1, 0, 100, 1, id, 0, 0, 0);
      const now = core.orderIndexSlots();
      if (now !== slots) growths.push([core.restingOrders, now]);
      slots = now;
    }
    expect(core.restingOrders).toBe(200_000);
    // Below 65,536 slots consecutive ids never collide, so the table doubles at 31/32 full. From
    // there each growth comes with the insert that passes 17/20 of the slots (55,706 of 65,536)
    // and makes room for 3/5 load in whole segments of 16,384: stop 58's rule waited for a far
    // probe, which these evenly hashed ids met only at 31/32 full, at 63,489.
    expect(growths).toEqual([[15_873, 32_768], [31_745, 65_536], [55_706, 98_304], [83_559, 147_456], [125_338, 212_992], [181_044, 311_296]]);
  });
});

describe('wasm core: deep books and extreme prices', () => {
  it('works with 100,000 levels a side', async () => {
    const engine = await wasm();
    const batch = new CommandBatch();
    // Worst first on both sides, then a scattered pass: touch appends, then deep inserts.
    for (let i = 1; i <= 100_000; i += 2) batch.limit(1, 1, 'bid', i, 1, 0).limit(2, 1, 'ask', 300_001 - i, 1, 0);
    for (let i = 100_000; i >= 2; i -= 2) batch.limit(1, 1, 'bid', i, 1, 0).limit(2, 1, 'ask', 300_001 - i, 1, 0);
    engine.submitBatch(batch);
    expect(engine.depth(1, 1).bids.length).toBe(1);
    expect(engine.bestBid(1)).toEqual({ price: 100_000, size: 1, orders: 1 });
    expect(engine.bestAsk(1)).toEqual({ price: 200_001, size: 1, orders: 1 });
    const depth = engine.depth(1, 100_000);
    expect(depth.bids.length).toBe(100_000);
    expect(depth.asks.length).toBe(100_000);
    let outOfOrder = 0;
    for (let i = 1; i < depth.bids.length; i++) {
      if (depth.bids[i].price !== depth.bids[i - 1].price - 1) outOfOrder++;
      if (depth.asks[i].price !== depth.asks[i - 1].price + 1) outOfOrder++;
    }
    expect(outOfOrder).toBe(0);
    // Cancel a level deep in the book, then sweep the top ten bids.
    const deep = engine.orders(1).find((o) => o.side === 'bid' && o.price === 50_000)!;
    expect(engine.cancel({ trader: 1, asset: 1, orderId: deep.orderId })).toEqual({ ok: true, remaining: 0 });
    expect(engine.depth(1, 100_000).bids.length).toBe(99_999);
    const sweep = engine.placeMarket({ trader: 3, asset: 1, side: 'ask', size: 10, timestamp: 1 });
    expect(sweep.fills.map((f) => f.price)).toEqual([100_000, 99_999, 99_998, 99_997, 99_996, 99_995, 99_994, 99_993, 99_992, 99_991]);
    expect(engine.bestBid(1)!.price).toBe(99_990);
  });

  it('trades at prices 1 and 2^53-1 exactly', async () => {
    const engine = await wasm();
    engine.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 1, size: MAX_PRICE, timestamp: 0 });
    engine.placeLimit({ trader: 2, asset: 0, side: 'ask', price: MAX_PRICE, size: 3, timestamp: 0 });
    expect(engine.bestBid(0)).toEqual({ price: 1, size: MAX_PRICE, orders: 1 });
    expect(engine.bestAsk(0)).toEqual({ price: MAX_PRICE, size: 3, orders: 1 });
    const buy = engine.placeLimit({ trader: 3, asset: 0, side: 'bid', price: MAX_PRICE, size: 2, timestamp: 1 });
    expect(buy.fills.map((f) => [f.price, f.size])).toEqual([[MAX_PRICE, 2]]);
    const sell = engine.placeMarket({ trader: 3, asset: 0, side: 'ask', size: MAX_PRICE - 1, timestamp: 2 });
    expect(sell.fills.map((f) => [f.price, f.size])).toEqual([[1, MAX_PRICE - 1]]);
    expect(engine.bestBid(0)).toEqual({ price: 1, size: 1, orders: 1 });
  });
});

describe('wasm core: capacity', () => {
  it('rejects an order past maxOrders with CAPACITY and changes nothing', async () => {
    const engine = await wasm({ maxOrders: 3 });
    for (let i = 0; i < 3; i++) engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10 + i, size: 1, timestamp: 0 });
    const before = engine.snapshot();
    const rejected = engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 9, size: 1, timestamp: 0 });
    expect(rejected).toMatchObject({ orderId: 0, status: 'rejected', reason: 'CAPACITY', filled: 0, remaining: 0 });
    expectSameBytes(engine.snapshot(), before);
    expect(engine.nextOrderId).toBe(4);
    // Orders that do not rest still trade.
    const ioc = engine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 12, size: 1, timestamp: 1, timeInForce: 'IOC' });
    expect(ioc.status).toBe('filled');
  });

  it('rejects a new level past maxLevels, and a modify that needs one, keeping the order in place', async () => {
    const engine = await wasm({ maxLevels: 2 });
    const a = engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 0 });
    engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 0 });
    engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 20, size: 1, timestamp: 0 });
    const before = engine.snapshot();
    expect(engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 11, size: 1, timestamp: 0 }).reason).toBe('CAPACITY');
    expect(engine.placeLimit({ trader: 1, asset: 2, side: 'bid', price: 11, size: 1, timestamp: 0 }).reason).toBe('CAPACITY');
    expect(engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 0 }).status).toBe('resting');
    const after = engine.snapshot();
    expect(engine.modify({ trader: 1, asset: 1, orderId: a.orderId, price: 12, timestamp: 1 }))
      .toMatchObject({ orderId: a.orderId, status: 'rejected', reason: 'CAPACITY' });
    expectSameBytes(engine.snapshot(), after);
    expect(Buffer.from(after).equals(Buffer.from(before))).toBe(false);
  });

  it('rejects with CAPACITY when linear memory may not grow, before changing anything', async () => {
    const limit = 4 * 1024 * 1024;
    const engine = await wasm({ maxMemoryBytes: limit });
    let placed = 0;
    let rejectedAt = -1;
    for (let i = 0; i < 200_000; i++) {
      const result = engine.placeLimit({ trader: i % 50_000, asset: 1, side: 'bid', price: 1 + (i % 30_000), size: 1, timestamp: i });
      if (result.status === 'rejected') {
        expect(result.reason).toBe('CAPACITY');
        rejectedAt = i;
        break;
      }
      placed++;
    }
    expect(rejectedAt).toBeGreaterThan(0);
    expect(engine.memoryBytes()).toBeLessThanOrEqual(limit);
    // A command that would add a book and a trader is refused whole as well. What ran out may be
    // what only the big book needs (its ladder's spare nodes, say), so such commands are placed
    // until one does not fit.
    let snapshot = engine.snapshot();
    let next = engine.nextOrderId;
    let again = engine.placeLimit({ trader: 999_999, asset: 77, side: 'ask', price: 5, size: 1, timestamp: 0 });
    for (let k = 1; again.status !== 'rejected' && k < 100_000; k++) {
      placed++;
      snapshot = engine.snapshot();
      next = engine.nextOrderId;
      again = engine.placeLimit({ trader: 999_999 + k, asset: 77 + k, side: 'ask', price: 5, size: 1, timestamp: 0 });
    }
    expect(again.reason).toBe('CAPACITY');
    expectSameBytes(engine.snapshot(), snapshot);
    expect(engine.nextOrderId).toBe(next);
    expect(engine.restingOrders).toBe(placed);
    // Still serving: freeing orders makes room again.
    expect(engine.cancel({ trader: 0, asset: 1, orderId: 1 }).ok).toBe(true);
    const taker = engine.placeMarket({ trader: 1, asset: 1, side: 'ask', size: 5, timestamp: 0 });
    expect(taker.status).toBe('filled');
  });

  it('rejects an OCO pair CAPACITY whole, before its ACCEPTED events or ids, when memory holds one leg but not both', async () => {
    // Memory full of bids, freed one order at a time: somewhere one record is free and the
    // second leg's is not. The pair must be refused whole there, as it would be for maxOrders.
    for (const maxMemoryBytes of [524288, 786432]) {
      const engine = await wasm({ maxMemoryBytes });
      engine.placeStop({ trader: 3, asset: 0, side: 'bid', size: 1, stopPrice: 300, timestamp: 0 });
      let placed = 0;
      while (engine.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 100 + (placed % 10), size: 1, timestamp: placed }).status !== 'rejected') placed++;
      let refusedWhole = 0;
      for (let k = 1; k < Math.min(placed, 200); k++) {
        const before = { snapshot: engine.snapshot(), next: engine.nextOrderId };
        const pair = engine.placeOco({ trader: 2, asset: 0, side: 'bid', size: 1, price: 101, stopPrice: 200, timestamp: 99 });
        if (pair.status === 'rejected') {
          expect(pair).toMatchObject({ reason: 'CAPACITY', orderId: 0 });
          expect(engine.nextOrderId).toBe(before.next);
          expectSameBytes(engine.snapshot(), before.snapshot);
          expect(engine.events.toArray().map((event) => [event.kind, event.orderId])).toEqual([['rejected', 0]]);
          refusedWhole++;
        } else {
          expect(pair.status).toBe('resting');
          expect(engine.cancel({ trader: 2, asset: 0, orderId: pair.orderId }).ok).toBe(true);
        }
        expect(engine.cancel({ trader: 1, asset: 0, orderId: k + 1 }).ok).toBe(true);
      }
      expect(refusedWhole).toBeGreaterThan(0);
    }
  });

  it('places an order that does not cross without room for fills: no fill per maker opposite is reserved, nor memory grown for it', async () => {
    for (const timeInForce of ['GTC', 'IOC'] as const) {
      const engine = await wasm();
      // The bid's level and trader first, while no ask is there: its placement needs no fill room.
      engine.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 10, size: 1, timestamp: 0 });
      // Per call: a batch's own buffers would leave room in memory.
      for (let i = 0; i < 50_000; i++) engine.placeLimit({ trader: 2, asset: 0, side: 'ask', price: 100, size: 1, timestamp: 1 });
      // Room for a fill per ask (65,536 fills of 64 bytes) would have grown the memory.
      const bytes = engine.memoryBytes();
      const result = engine.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 10, size: 1_000_000, timestamp: 2, timeInForce });
      expect(result).toMatchObject(timeInForce === 'GTC'
        ? { status: 'resting', filled: 0, remaining: 1_000_000, fills: [] }
        : { status: 'cancelled', filled: 0, remaining: 0, fills: [] });
      expect(engine.memoryBytes()).toBe(bytes);
      expect(engine.memoryRefusals).toBe(0);
      // One that crosses takes every ask, with a fill for each.
      const crossing = engine.placeLimit({ trader: 3, asset: 0, side: 'bid', price: 100, size: 1_000_000, timestamp: 3, timeInForce });
      expect(crossing).toMatchObject({ filled: 50_000 });
      expect(crossing.fills).toHaveLength(50_000);
    }
  });

  it('ends a triggered stop that memory cannot enter with an event, and a cascade it cannot report with the stops pending', async () => {
    for (const takers of [1, 3, 5]) {
      const engine = await wasm({ maxMemoryBytes: 524288 });
      const stops = 140;
      for (let i = 0; i < stops; i++) engine.placeStop({ trader: 5, asset: 0, side: 'ask', size: 1, stopPrice: 100, timestamp: 1 });
      for (let i = 0; i < stops; i++) engine.placeLimit({ trader: 2, asset: 0, side: 'bid', price: 60, size: 1, timestamp: 2 });
      for (let i = 0; i < takers; i++) engine.placeLimit({ trader: 3, asset: 0, side: 'bid', price: 100, size: 1, timestamp: 3 });
      for (let n = 0; ; n++) {
        if (engine.placeLimit({ trader: 4, asset: 0, side: 'bid', price: 1 + (n % 30), size: 1, timestamp: 4 }).status === 'rejected') break;
      }
      const refusals = engine.memoryRefusals;
      expect(engine.placeMarket({ trader: 9, asset: 0, side: 'ask', size: takers, timestamp: 5 }).status).toBe('filled');
      const events = engine.events.toArray();
      const triggered = events.filter((event) => event.kind === 'triggered').map((event) => event.orderId);
      expect(triggered.length).toBeGreaterThan(0);
      // Each triggered stop's entry is reported: it traded, rested, or was removed (CAPACITY when memory refused it).
      for (const id of triggered) {
        const after = events.filter((event) => event.kind !== 'triggered' && (event.orderId === id || (event.kind === 'fill' && event.takerOrderId === id)));
        expect(after.length > 0 || engine.order(id) !== undefined, `stop ${id}`).toBe(true);
      }
      // The cascade ended where memory could not report the next stop: those left stay pending, and
      // the command counts as refused for memory (a state machine fails on it).
      expect(engine.pendingStops).toBe(stops - triggered.length);
      expect(engine.memoryRefusals).toBe(engine.pendingStops > 0 ? refusals + 1 : refusals);
    }
  });

  it('throws CAPACITY for a batch, a query or a restore that memory cannot hold, and serves on unchanged', async () => {
    const limit = 4 * 1024 * 1024;
    const full = await wasm({ maxMemoryBytes: limit });
    for (let i = 0; ; i++) {
      if (full.placeLimit({ trader: i % 50_000, asset: 1, side: 'bid', price: 1 + (i % 30_000), size: 1, timestamp: i }).status === 'rejected') break;
    }
    const big = await wasm();
    for (let i = 0; i < 150_000; i++) big.placeLimit({ trader: i % 1000, asset: 1, side: 'bid', price: 1 + (i % 30_000), size: 1, timestamp: i });
    const tooBig = big.snapshot();
    const lots = new CommandBatch(100_000);
    for (let i = 0; i < 100_000; i++) lots.cancel(1, 1, 999_999);

    const engine = await wasm({ maxMemoryBytes: limit });
    engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 1, timestamp: 1 });
    const before = engine.snapshot();
    const capacity = (what: RegExp) => expect.objectContaining({ code: 'CAPACITY', message: expect.stringMatching(what) });
    expect(engine.events.count).toBe(2);
    expect(() => engine.submitBatch(lots)).toThrowError(capacity(/^no room for a batch of 100000 commands in this engine's memory \(maxMemoryBytes 4194304\); nothing was applied$/));
    // Refused with an error, the batch applied nothing and leaves no events (docs/semantics.md, Events).
    expect(engine.events.count).toBe(0);
    expect(() => engine.restore(tooBig)).toThrowError(capacity(/^no room for a snapshot of \d+ bytes .*; nothing changed$/));
    expect(() => full.orders(1)).toThrowError(capacity(/^no room for the answer to an orders query /));
    expect(() => engine.createBatch(2 ** 30)).toThrowError(capacity(/^no room for a batch of 1073741824 commands .*; no batch was made$/));
    expectSameBytes(engine.snapshot(), before);
    expect(engine.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 2 }).status).toBe('filled');
    expect(full.cancel({ trader: 0, asset: 1, orderId: 1 }).ok).toBe(true);
  });

  it('a batch in its memory that cannot grow keeps its block and its commands (the old block was freed before the new one was found)', async () => {
    const engine = await wasm({ maxMemoryBytes: 8 * 1024 * 1024 });
    const big = engine.createBatch(1);
    let built = 0;
    expect(() => {
      for (;; built++) big.limit(1, 1, 'bid', 100 + (built % 50), 1, built);
    }).toThrowError(expect.objectContaining({ code: 'CAPACITY' }));
    expect(big.count).toBe(built);
    expect(() => big.limit(1, 1, 'bid', 100, 1, 0)).toThrowError(expect.objectContaining({ code: 'CAPACITY' }));
    expect(big.count).toBe(built);
    const records = big.view().slice(0, built * COMMAND_SLOTS);
    expect(records[(built - 1) * COMMAND_SLOTS + 6]).toBe(built - 1); // the last one's timestamp
    // Another batch gets a block of its own: writing it leaves the first one's records as they were.
    const other = engine.createBatch(built);
    expect(other.view().byteOffset).not.toBe(big.view().byteOffset);
    for (let i = 0; i < built; i++) other.cancelAll(5);
    expect(big.view().slice(0, built * COMMAND_SLOTS)).toEqual(records);
    // And the batch serves on.
    big.clear();
    big.limit(1, 1, 'bid', 100, 2, 1);
    expect(engine.submitBatch(big).count).toBe(1);
    expect(engine.restingOrders).toBe(1);
  });
});

describe('wasm core: snapshot', () => {
  async function busyEngine(): Promise<Engine> {
    const engine = await wasm();
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const stps = ['allow', 'cancel_taker', 'cancel_maker', 'cancel_both'] as const;
    for (let i = 0; i < 3000; i++) {
      const asset = [3, 1, 1_000_000_007][random(3)];
      const side = random(2) === 0 ? 'bid' : 'ask';
      const price = side === 'bid' ? 90 + random(12) : 99 + random(12);
      engine.placeLimit({ trader: random(7), asset, side, price, size: 1 + random(9), timestamp: i, stp: stps[random(4)] });
      if (i % 4 === 0) engine.cancel({ trader: random(7), asset, orderId: 1 + random(i + 1) });
    }
    return engine;
  }

  it('round-trips: restore gives the same bytes, hash and behaviour', async () => {
    const a = await busyEngine();
    const bytes = a.snapshot();
    const b = await wasm();
    b.restore(bytes);
    expectSameBytes(b.snapshot(), bytes);
    expect(b.stateHash()).toBe(a.stateHash());
    expect(b.nextOrderId).toBe(a.nextOrderId);
    expect(b.restingOrders).toBe(a.restingOrders);
    for (const asset of [1, 3, 1_000_000_007]) expect(b.orders(asset)).toEqual(a.orders(asset));
    const sweep = { trader: 8, asset: 1, side: 'bid' as const, size: 50, timestamp: 9 };
    expect(b.placeMarket(sweep)).toEqual(a.placeMarket(sweep));
    expect(b.stateHash()).toBe(a.stateHash());
  });

  it('restores a snapshot of many chunks whose records of every kind straddle the chunk boundaries', async () => {
    // The core reads a restore through its 64 KiB chunk: books of a few levels and stops each,
    // repeated, put book headers, level headers, orders and stops across every boundary.
    const a = await wasm();
    let ts = 0;
    for (let asset = 1; asset <= 400; asset++) {
      for (let level = 0; level < 3 + (asset % 5); level++) {
        for (let k = 0; k <= (asset + level) % 4; k++) {
          a.placeLimit({ trader: k, asset, side: 'bid', price: 100 - level, size: 1 + k, timestamp: ts++ });
          a.placeLimit({ trader: k, asset, side: 'ask', price: 110 + level, size: 2 + k, timestamp: ts++ });
        }
      }
      if (asset % 3 === 0) a.placeMarket({ trader: 9, asset, side: 'bid', size: 1, timestamp: ts++ }); // a last price
      for (let k = 0; k < asset % 4; k++) {
        a.placeStop({ trader: k, asset, side: 'bid', size: 1, stopPrice: 120 + k, timestamp: ts++ });
        a.placeStop({ trader: k, asset, side: 'ask', size: 1, stopPrice: 90 - k, price: 89 - k, timestamp: ts++ });
      }
    }
    const bytes = a.snapshot();
    expect(bytes.byteLength).toBeGreaterThan(4 * 65536);
    const b = await busyEngine(); // a restore replaces whatever was there
    b.restore(bytes);
    expectSameBytes(b.snapshot(), bytes);
    expect(b.restingOrders).toBe(a.restingOrders);
    expect(b.pendingStops).toBe(a.pendingStops);
    expect(b.pendingStops).toBeGreaterThan(500);
    const sweep = { trader: 8, asset: 399, side: 'bid' as const, size: 60, timestamp: ts };
    expect(b.placeMarket(sweep)).toEqual(a.placeMarket(sweep));
    expect(b.stateHash()).toBe(a.stateHash());
  });

  it('writes the JS core\'s bytes for queues walked side by side, and for levels longer than a chunk', async () => {
    // Orders arrive over all levels in turn, so each queue's records are scattered; level sizes
    // run from 1 to 3,000 orders (120 KB: longer than the core's 64 KiB chunk).
    const sizes = [1, 2, 3, 40, 3000, 7, 1, 1600, 1639, 200, 5, 90];
    const engines = [await wasm(), await createEngine({ backend: 'js' })];
    let ts = 0;
    for (let round = 0; round < 3000; round++) {
      sizes.forEach((size, level) => {
        if (round >= size) return;
        for (const engine of engines) {
          engine.placeLimit({ trader: round % 13, asset: 5, side: 'bid', price: 1000 - level, size: 1 + (round % 9), timestamp: ts });
          engine.placeLimit({ trader: round % 11, asset: 5, side: 'ask', price: 2000 + level * 3, size: 2 + (round % 7), timestamp: ts + 1 });
        }
        ts += 2;
      });
    }
    engines.forEach((e) => e.cancel({ trader: 0, asset: 5, orderId: 20 })); // a hole in a queue
    const [fromWasm, fromJs] = engines.map((e) => e.snapshot());
    expectSameBytes(fromWasm, fromJs);
    const back = await wasm();
    back.restore(fromWasm);
    expectSameBytes(back.snapshot(), fromJs);
  });

  it('restores an empty snapshot over a busy core', async () => {
    const empty = (await wasm()).snapshot();
    const engine = await busyEngine();
    engine.restore(empty);
    expect(engine.restingOrders).toBe(0);
    expect(engine.nextOrderId).toBe(1);
    expectSameBytes(engine.snapshot(), empty);
  });

  it('restores over a larger book: the order index it sizes in used memory starts empty', async () => {
    // A restore resets the core's heap and sizes its order index where the last book's records
    // and index lay; only memory never used is left unzeroed (allocZeroed). Stale entries there
    // would answer ids of the old book, or hide ids of the new.
    const source = await wasm();
    for (let i = 1; i <= 100_000; i++) {
      source.placeLimit({ trader: i % 7, asset: 1, side: i % 2 === 0 ? 'bid' : 'ask', price: i % 2 === 0 ? 100 - (i % 50) : 200 + (i % 50), size: 1 + (i % 5), timestamp: i });
    }
    for (let id = 1; id <= 60_000; id++) source.cancel({ trader: id % 7, asset: 1, orderId: id });
    const bytes = source.snapshot();
    const fresh = await wasm();
    fresh.restore(bytes);
    const reused = await wasm();
    for (let i = 1; i <= 150_000; i++) {
      reused.placeLimit({ trader: i % 7, asset: 2, side: 'bid', price: 1 + (i % 3000), size: 1, timestamp: i });
    }
    reused.restore(bytes);
    expectSameBytes(reused.snapshot(), bytes);
    expect(reused.stateHash()).toBe(fresh.stateHash());
    // Ids the old book held and the new one does not, then every id the new one holds.
    for (let id = 1; id <= 60_000; id += 7) {
      expect(reused.cancel({ trader: id % 7, asset: 1, orderId: id })).toEqual(fresh.cancel({ trader: id % 7, asset: 1, orderId: id }));
    }
    for (let id = 60_001; id <= 100_000; id++) {
      const request = { trader: id % 7, asset: 1, orderId: id };
      expect(reused.cancel(request)).toEqual(fresh.cancel(request));
    }
    expect(reused.restingOrders).toBe(0);
    expect(reused.stateHash()).toBe(fresh.stateHash());
  });

  it('reads fills, results and events through fresh views after a restore moved its buffers', async () => {
    // A restore resets the core's heap: its buffers may come back at the same address with
    // another capacity, and memory need not grow.
    const engines = [await wasm(), await createEngine({ backend: 'js' })];
    const outcomes = engines.map((engine) => {
      for (let i = 0; i < 1000; i++) engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size: 1, timestamp: 1 });
      const snapshot = engine.snapshot();
      engine.restore(snapshot);
      engine.placeMarket({ trader: 2, asset: 1, side: 'bid', size: 1, timestamp: 2 });
      engine.restore(snapshot);
      const market = engine.placeMarket({ trader: 2, asset: 1, side: 'bid', size: 1000, timestamp: 3 });
      const events = engine.events.toArray();
      engine.restore(snapshot);
      const batch = engine.submitBatch(new CommandBatch(2).market(3, 1, 'bid', 999, 4).market(3, 1, 'bid', 1, 5));
      const fills = Array.from({ length: batch.fillCount }, (_, j) => batch.fill(j));
      return { market, events, batch: { statuses: [batch.status(0), batch.status(1)], fills } };
    });
    expect(outcomes[0].market.fills).toHaveLength(1000);
    expect(outcomes[0].market.fills.every((f) => f.size === 1 && f.price === 100 && f.makerTrader === 1)).toBe(true);
    expect(outcomes[0].batch.fills).toHaveLength(1000);
    expect(outcomes[0]).toEqual(outcomes[1]);
  });

  it('rejects damaged snapshots with CORRUPTION and changes nothing', async () => {
    const engine = await busyEngine();
    const good = engine.snapshot();
    const slots = (bytes: Uint8Array): Float64Array => new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    const damaged = (edit: (s: Float64Array) => void): Uint8Array => {
      const copy = good.slice();
      edit(slots(copy));
      return copy;
    };
    // Layout: [magic, nextOrderId, bookCount, asset, lastPrice, bids, asks, buyStops, sellStops,
    //          price, count, id, trader, remaining, ts, flags, ...]
    expectCorruption(engine, good.slice(0, good.byteLength - 8));
    expectCorruption(engine, good.slice(0, 16));
    expectCorruption(engine, damaged((s) => { s[0] = 0; }));
    expectCorruption(engine, damaged((s) => { s[1] = 1; })); // ids not below nextOrderId
    expectCorruption(engine, damaged((s) => { s[2] += 1; }));
    expectCorruption(engine, damaged((s) => { s[4] = -1; })); // last price
    expectCorruption(engine, damaged((s) => { s[5] += 1; })); // level count
    expectCorruption(engine, damaged((s) => { s[7] += 1; })); // stop count
    expectCorruption(engine, damaged((s) => { s[9] = 0; })); // price
    expectCorruption(engine, damaged((s) => { s[9] = 0.5; }));
    expectCorruption(engine, damaged((s) => { s[10] = 0; })); // order count
    expectCorruption(engine, damaged((s) => { s[13] = -3; })); // remaining
    expectCorruption(engine, damaged((s) => { s[15] = 8; })); // flags
    expectCorruption(engine, damaged((s) => { s[15] = 4; })); // an OCO limit leg without its stop leg
    expectCorruption(engine, damaged((s) => { s[14] = NaN; })); // timestamp
    expectCorruption(engine, damaged((s) => { s[16] = s[11]; })); // a second order with the first's id (if same level)
    expectCorruption(engine, damaged((s) => { s[3] = 2 ** 53; })); // asset
    // Bids not strictly best first: give the second bid level the first one's price.
    expectCorruption(engine, damaged((s) => { s[11 + 5 * s[10]] = s[9]; }));
    // Crossed book: the best bid at or above the best ask.
    expectCorruption(engine, damaged((s) => {
      let p = 11;
      for (let l = 0; l < s[5]; l++) p += 5 * s[p - 1] + 2;
      s[9] = s[p - 2];
    }));
    expect(engine.stateHash()).toBe((await (async () => { const c = await wasm(); c.restore(good); return c; })()).stateHash());
  });

  it.each(['wasm', 'js'] as const)('%s: refuses a sound snapshot beyond its limits without changing anything', async (backend) => {
    const big = await busyEngine();
    const small = await createEngine({ backend, maxOrders: 5 });
    small.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 1, size: 1, timestamp: 0 });
    expectCorruption(small, big.snapshot(), 'INVALID_ARGUMENT');
  });
});

describe('wasm core: batch', () => {
  it('grows its input, result and fill buffers for a large batch and reports every fill', async () => {
    const core = await WasmCore.create({});
    const batch = new CommandBatch();
    for (let i = 0; i < 50_000; i++) batch.limit(1, 1, 'ask', 100 + (i % 10), 1, i);
    batch.market(2, 1, 'bid', 50_000, 1);
    const fills = core.runBatch(batch.slots, batch.count);
    expect(fills).toBe(50_000);
    const results = core.batchResults;
    expect(results[50_000 * RESULT_SLOTS] & 15).toBe(StatusCode.FILLED);
    expect(results[50_000 * RESULT_SLOTS + 2]).toBe(50_000);
    const f = core.fills;
    expect(f.length).toBeGreaterThanOrEqual(50_000 * 8);
    expect(f[0]).toBe(50_000 * 2); // command index 50,000, taker side bid
    expect(f[6]).toBe(100);
    expect(f[49_999 * 8 + 6]).toBe(109);
    expect(core.restingOrders).toBe(0);
    expect(core.out[Out.ORDER_ID]).toBe(0);
    expect(ORDER_SLOTS).toBe(11);
    expect(ReasonCode.CAPACITY).toBe(5);
  });
});
