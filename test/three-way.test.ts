// The reference model (test/helpers/reference-model.ts), the TypeScript core and the WebAssembly
// core on the same random commands (fast-check), through the cores' numeric interface: every
// command's outcome and fills, the next order id, and every book (resting orders and pending
// stops, row for row) must be the same three times over, with and without limits; the same
// commands as one batch must give each core what they gave per call; and snapshots must
// round-trip. The model shares no code with the cores, so this checks the semantics themselves,
// where the WASM-vs-JS differential (test/differential.test.ts) checks that the cores agree.
//
// Reproduce a failure: LOBCORE_FUZZ_SEED=<seed> npx vitest run test/three-way.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CommandBatch, FILL_SLOTS, RESULT_SLOTS } from '../src/batch.js';
import { ORDER_SLOTS, Out } from '../src/core.js';
import type { CoreLimits, MatchingCore } from '../src/core.js';
import { JsCore } from '../src/js-core/index.js';
import { encodeHead } from '../src/operations.js';
import { Op, StatusCode } from '../src/codes.js';
import { WasmCore } from '../src/wasm-core.js';
import { fuzzRuns, fuzzSeed } from './helpers/commands.js';
import { coreOutcome } from './helpers/core-outcome.js';
import { ReferenceModel, type Outcome } from './helpers/reference-model.js';

const ASSETS = [0, 1];

/** One command, as numbers: which fields an op reads is in src/operations.ts. */
const commandArbitrary = fc.record({
  op: fc.constantFrom(Op.LIMIT, Op.LIMIT, Op.LIMIT, Op.MARKET, Op.CANCEL, Op.REDUCE, Op.MODIFY, Op.CANCEL_ALL, Op.STOP, Op.STOP, Op.OCO),
  trader: fc.integer({ min: 0, max: 3 }),
  asset: fc.integer({ min: 0, max: 1 }),
  side: fc.integer({ min: 0, max: 1 }),
  price: fc.integer({ min: 96, max: 104 }),
  other: fc.integer({ min: 96, max: 104 }),
  size: fc.integer({ min: 1, max: 6 }),
  tif: fc.integer({ min: 0, max: 3 }),
  stp: fc.integer({ min: 0, max: 3 }),
  orderId: fc.integer({ min: 1, max: 40 }),
  keep: fc.integer({ min: 0, max: 3 }),
  timestamp: fc.integer({ min: 0, max: 1000 }),
});
type Command = typeof commandArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** A command's record fields, as both the per-call interface and a batch record take them. */
function fields(c: Command) {
  const budget = c.op === Op.MARKET && c.keep === 3 ? c.size * c.other + c.timestamp % 50 : 0;
  const limited = c.keep % 2 === 0; // a stop-limit (else a stop-market); a market order's protection price
  // An OCO's stop leg sits beyond its limit leg.
  const [ocoPrice, ocoStop] = c.side === 0 ? [Math.min(c.price, c.other - 1), Math.max(c.other, c.price + 1)] : [Math.max(c.price, c.other + 1), Math.min(c.other, c.price - 1)];
  return {
    budget, size: budget !== 0 ? 0 : c.size, protection: c.keep === 0 ? c.price : 0,
    stopPrice: c.other, stopLimit: limited ? c.price : 0, stopTif: limited ? c.tif : 0, stopProtection: limited ? 0 : (c.keep === 1 ? c.price : 0),
    ocoPrice, ocoStop, ocoStopLimit: c.keep === 2 ? ocoStop : 0,
    modifyPrice: c.keep === 1 ? 0 : c.price, modifySize: c.keep === 2 ? 0 : c.size,
  };
}

function applyToModel(model: ReferenceModel, c: Command): Outcome {
  const f = fields(c);
  switch (c.op) {
    case Op.LIMIT: return model.placeLimit(c.trader, c.asset, c.side, c.price, c.size, c.timestamp, c.tif, c.stp);
    case Op.MARKET: return model.placeMarket(c.trader, c.asset, c.side, f.size, f.budget, c.timestamp, f.protection, c.stp);
    case Op.CANCEL: return model.cancel(c.trader, c.asset, c.orderId);
    case Op.REDUCE: return model.reduce(c.trader, c.asset, c.orderId, c.size);
    case Op.MODIFY: return model.modify(c.trader, c.asset, c.orderId, f.modifyPrice, f.modifySize, c.timestamp);
    case Op.CANCEL_ALL: return model.cancelAll(c.trader, c.keep === 0 ? undefined : c.asset);
    case Op.STOP: return model.placeStop(c.trader, c.asset, c.side, c.size, f.stopPrice, f.stopLimit, f.stopProtection, c.timestamp, f.stopTif, c.stp);
    default: return model.placeOco(c.trader, c.asset, c.side, c.size, f.ocoPrice, f.ocoStop, f.ocoStopLimit, c.timestamp, c.stp);
  }
}

function applyToCore(core: MatchingCore, c: Command): Outcome {
  const f = fields(c);
  switch (c.op) {
    case Op.LIMIT: core.placeLimit(c.trader, c.asset, c.side, c.price, c.size, c.timestamp, c.tif, c.stp, 0); break;
    case Op.MARKET: core.placeMarket(c.trader, c.asset, c.side, f.size, f.budget, c.timestamp, f.protection, c.stp, 0); break;
    case Op.CANCEL: core.cancel(c.trader, c.asset, c.orderId); break;
    case Op.REDUCE: core.reduce(c.trader, c.asset, c.orderId, c.size); break;
    case Op.MODIFY: core.modify(c.trader, c.asset, c.orderId, f.modifyPrice, f.modifySize, c.timestamp); break;
    case Op.CANCEL_ALL: core.cancelAll(c.trader, c.asset, c.keep === 0); break;
    case Op.STOP: core.placeStop(c.trader, c.asset, c.side, c.size, f.stopPrice, f.stopLimit, f.stopProtection, c.timestamp, f.stopTif, c.stp, 0); break;
    default: core.placeOco(c.trader, c.asset, c.side, c.size, f.ocoPrice, f.ocoStop, f.ocoStopLimit, c.timestamp, c.stp, 0); break;
  }
  return coreOutcome(core);
}

function encode(batch: CommandBatch, c: Command): void {
  const f = fields(c);
  const sided = c.op === Op.LIMIT || c.op === Op.MARKET || c.op === Op.STOP || c.op === Op.OCO;
  const tif = c.op === Op.LIMIT ? c.tif : c.op === Op.STOP ? f.stopTif : 0;
  const head = encodeHead(c.op, sided ? c.side : 0, tif, sided ? c.stp : 0, c.op === Op.CANCEL_ALL && c.keep === 0 ? 1 << 16 : 0);
  switch (c.op) {
    case Op.LIMIT: batch.push(head, c.trader, c.asset, 0, c.price, c.size, c.timestamp); break;
    case Op.MARKET: batch.push(head, c.trader, c.asset, 0, f.protection, f.size, c.timestamp, 0, 0, f.budget); break;
    case Op.CANCEL: batch.push(head, c.trader, c.asset, c.orderId, 0, 0, 0); break;
    case Op.REDUCE: batch.push(head, c.trader, c.asset, c.orderId, 0, c.size, 0); break;
    case Op.MODIFY: batch.push(head, c.trader, c.asset, c.orderId, f.modifyPrice, f.modifySize, c.timestamp); break;
    case Op.CANCEL_ALL: batch.push(head, c.trader, c.asset, 0, 0, 0, 0); break;
    case Op.STOP: batch.push(head, c.trader, c.asset, 0, f.stopLimit, c.size, c.timestamp, 0, f.stopPrice, 0, f.stopProtection); break;
    default: batch.push(head, c.trader, c.asset, 0, f.ocoPrice, c.size, c.timestamp, 0, f.ocoStop, 0, f.ocoStopLimit); break;
  }
}

function rows(core: MatchingCore, asset: number): number[][] {
  const flat = Array.from(core.listOrders(asset));
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += ORDER_SLOTS) out.push(flat.slice(i, i + ORDER_SLOTS));
  return out;
}

const limitsArbitrary = fc.oneof(
  fc.constant({}),
  fc.record({ maxOrders: fc.integer({ min: 1, max: 6 }), maxLevels: fc.integer({ min: 1, max: 5 }) }),
);

describe('three ways: the reference model, the TypeScript core, the WebAssembly core', () => {
  it('agree on every outcome, fill and book, per call and batched, and round-trip snapshots', async () => {
    const wasmCores = new Map<string, WasmCore>();
    const wasmFor = async (limits: CoreLimits): Promise<WasmCore> => {
      const key = JSON.stringify(limits);
      let core = wasmCores.get(key);
      if (core === undefined) wasmCores.set(key, (core = await WasmCore.create(limits)));
      return core;
    };
    const empty = new JsCore().snapshot();
    await fc.assert(fc.asyncProperty(limitsArbitrary, fc.array(commandArbitrary, { maxLength: 120 }), async (limits, commands) => {
      const model = new ReferenceModel(limits);
      const js = new JsCore(limits);
      const wasm = await wasmFor(limits);
      wasm.restore(empty); // a pooled instance, emptied (restore is under test too)
      commands.forEach((c, step) => {
        const expected = applyToModel(model, c);
        const where = `step ${step}: ${JSON.stringify(c)}`;
        expect(applyToCore(js, c), `js, ${where}`).toEqual(expected);
        expect(applyToCore(wasm, c), `wasm, ${where}`).toEqual(expected);
        expect([js.nextOrderId, wasm.nextOrderId], where).toEqual([model.nextOrderId, model.nextOrderId]);
        for (const asset of ASSETS) {
          const book = model.listOrders(asset);
          expect(rows(js, asset), `js book ${asset}, ${where}`).toEqual(book);
          expect(rows(wasm, asset), `wasm book ${asset}, ${where}`).toEqual(book);
        }
      });
      expect([js.restingOrders, wasm.restingOrders]).toEqual([model.restingOrders, model.restingOrders]);
      expect(wasm.snapshot()).toEqual(js.snapshot());
      // The same commands as one batch give each core what they gave per call.
      const batch = new CommandBatch(4);
      for (const c of commands) encode(batch, c);
      for (const [batched, replay] of [[new JsCore(limits), new JsCore(limits)], [await WasmCore.create(limits), new JsCore(limits)]] as const) {
        const fillCount = batched.runBatch(batch.slots, batch.count);
        let f = 0;
        commands.forEach((c, i) => {
          const one = applyToCore(replay, c);
          const r = batched.batchResults.subarray(i * RESULT_SLOTS, i * RESULT_SLOTS + RESULT_SLOTS);
          expect([r[0] & 15, r[0] >> 4, r[1], r[2], r[3], r[4]]).toEqual([one.status, one.reason, one.orderId, one.filled, one.remaining, one.spent]);
          for (let j = 0; j < replay.out[Out.FILL_COUNT]; j++, f++) {
            const got = Array.from(batched.fills.subarray(f * FILL_SLOTS, f * FILL_SLOTS + FILL_SLOTS));
            const want = Array.from(replay.fills.subarray(j * FILL_SLOTS, j * FILL_SLOTS + FILL_SLOTS));
            want[0] += i * 2;
            expect(got).toEqual(want);
          }
        });
        expect(fillCount).toBe(f);
        expect(batched.snapshot()).toEqual(js.snapshot());
      }
      const restored = new JsCore(limits);
      restored.restore(wasm.snapshot());
      expect(restored.snapshot()).toEqual(js.snapshot());
    }), { numRuns: fuzzRuns(400), seed: fuzzSeed(0x3_3a7) });
  }, 120_000);
});

describe('the reference model on its own edges', () => {
  it('stops a budget order at the maker whose next lot its budget cannot pay, the maker its last fill left standing', async () => {
    // 97 buys 1 of the 2 at 96; the 1 left of the budget pays for no second lot of the same maker.
    const run = (core: ReferenceModel | MatchingCore): Outcome => {
      if (core instanceof ReferenceModel) {
        core.placeLimit(0, 1, 1, 96, 2, 0, 0, 0);
        return core.placeMarket(0, 1, 0, 0, 97, 1, 0, 0);
      }
      core.placeLimit(0, 1, 1, 96, 2, 0, 0, 0, 0);
      core.placeMarket(0, 1, 0, 0, 97, 1, 0, 0, 0);
      return coreOutcome(core);
    };
    const expected = { status: StatusCode.FILLED, reason: 0, orderId: 2, filled: 1, remaining: 0, spent: 96, fills: [[1, 0, 96, 1]] };
    expect(run(new ReferenceModel({}))).toEqual(expected);
    expect(run(new JsCore())).toEqual(expected);
    expect(run(await WasmCore.create())).toEqual(expected);
  });
});
