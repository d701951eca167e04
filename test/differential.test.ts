// WASM vs JS on random flows (fast-check): every command's result, fills included, and the state
// hash after every step must be identical. Also: a batch gives what the same commands give per call.
//
// Reproduce a failure: fast-check prints `seed` and `path`; run
//   LOBCORE_FUZZ_SEED=<seed> npx vitest run test/differential.test.ts
// Longer runs by hand: LOBCORE_FUZZ_RUNS=100000 (and LOBCORE_FUZZ_SEED=$RANDOM for new ground).
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKENDS, BOTH_BACKENDS, describeEachBackend, newEngine } from './helpers/backends.js';
import {
  NARROW,
  WIDE,
  asBatchCommand,
  bind,
  call,
  eventRecords,
  flowArb,
  fuzzRuns,
  fuzzSeed,
  outcomeOfCall,
  outcomesOfBatch,
  toBatch,
  type Command,
  type FlowShape,
} from './helpers/commands.js';
import type { Engine, EngineOptions } from '../src/engine.js';
import type { BackendName } from '../src/types.js';

const SEED = fuzzSeed(0x10bc0de);

/** Long runs by hand must not trip vitest's per-test timeout; CI's default runs take seconds. */
function budget(runs: number): number {
  return 60_000 + fuzzRuns(runs) * 25;
}
const ASSETS = [0, 1, 2];

/**
 * A pool of engines per backend, reset between flows by restoring the empty snapshot: creating
 * a WASM instance per flow would cost more than the flow. restore() is itself under test here
 * (a restore that left anything behind would show up as a hash difference in the next flow).
 */
class EnginePool {
  private constructor(private readonly engines: Engine[], private readonly empty: Uint8Array[]) {}

  static async create(backends: readonly BackendName[], options: Omit<EngineOptions, 'backend'> = {}): Promise<EnginePool> {
    const engines = await Promise.all(backends.map((b) => newEngine(b, options)));
    return new EnginePool(engines, engines.map((e) => e.snapshot()));
  }

  fresh(): Engine[] {
    this.engines.forEach((e, i) => e.restore(this.empty[i]));
    return this.engines;
  }
}

function describeCommand(cmd: Command): string {
  return `${cmd.op} ${JSON.stringify(cmd.req)}`;
}

/** Runs a flow on both engines, checking every step; throws a readable message at the first difference. */
function runLockstep(engines: Engine[], flow: readonly Command[]): void {
  const [a, b] = engines;
  for (let step = 0; step < flow.length; step++) {
    const cmd = bind(a, flow[step]);
    const ra = call(a, cmd);
    const rb = call(b, cmd);
    if (!isDeepStrictEqual(ra, rb)) {
      throw new Error(`step ${step}, ${describeCommand(cmd)}:\n  ${a.backend}: ${JSON.stringify(ra)}\n  ${b.backend}: ${JSON.stringify(rb)}`);
    }
    // The events too, record for record and slot for slot.
    const ea = eventRecords(a.events);
    const eb = eventRecords(b.events);
    if (!isDeepStrictEqual(ea, eb)) {
      throw new Error(`step ${step}, ${describeCommand(cmd)}: events differ:\n  ${a.backend}: ${JSON.stringify(a.events.toArray())}\n  ${b.backend}: ${JSON.stringify(b.events.toArray())}`);
    }
    const ha = a.stateHash();
    const hb = b.stateHash();
    if (ha !== hb) {
      throw new Error(`step ${step}, ${describeCommand(cmd)}: state hashes differ (same result ${JSON.stringify(ra)})`);
    }
  }
  if (a.nextOrderId !== b.nextOrderId || a.restingOrders !== b.restingOrders) {
    throw new Error(`counters differ: nextOrderId ${a.nextOrderId}/${b.nextOrderId}, restingOrders ${a.restingOrders}/${b.restingOrders}`);
  }
  for (const asset of ASSETS) {
    for (const [what, qa, qb] of [
      ['orders', a.orders(asset), b.orders(asset)],
      ['depth', a.depth(asset, 1_000), b.depth(asset, 1_000)],
      ['bestBid', a.bestBid(asset), b.bestBid(asset)],
      ['bestAsk', a.bestAsk(asset), b.bestAsk(asset)],
    ] as const) {
      if (!isDeepStrictEqual(qa, qb)) throw new Error(`after the flow, ${what}(${asset}) differs:\n  ${JSON.stringify(qa)}\n  ${JSON.stringify(qb)}`);
    }
  }
  for (const order of a.orders(1)) {
    if (!isDeepStrictEqual(b.order(order.orderId), order)) throw new Error(`order(${order.orderId}) differs`);
  }
}

function lockstepProperty(shape: FlowShape, runs: number, options: Omit<EngineOptions, 'backend'> = {}): () => Promise<void> {
  return async () => {
    const pool = await EnginePool.create(BACKENDS, options);
    await fc.assert(
      fc.asyncProperty(flowArb(shape), async (flow) => {
        runLockstep(pool.fresh(), flow);
      }),
      { numRuns: fuzzRuns(runs), seed: SEED },
    );
  };
}

describe.skipIf(!BOTH_BACKENDS)(`WASM and JS agree step by step (seed ${SEED})`, () => {
  it('on flows in a narrow price band, where orders cross and queue a lot', lockstepProperty(NARROW, 1_000), budget(1_000));
  it('on flows with prices anywhere up to 2^53-1', lockstepProperty(WIDE, 300), budget(300));
  it('with small capacity limits, so orders and modifies meet CAPACITY',
    lockstepProperty(NARROW, 300, { maxOrders: 6, maxLevels: 4 }), budget(300));

  it('starting from a restored snapshot of a busy book', async () => {
    const pool = await EnginePool.create(BACKENDS);
    await fc.assert(
      fc.asyncProperty(flowArb(NARROW), flowArb(NARROW), async (before, after) => {
        const [a, b] = pool.fresh();
        for (const c of before) call(a, bind(a, c));
        b.restore(a.snapshot());
        runLockstep([a, b], after);
      }),
      { numRuns: fuzzRuns(150), seed: SEED },
    );
  }, budget(150));
});

describeEachBackend(`a batch matches the same commands per call (seed ${SEED})`, (backend) => {
  it('results, fills and state hash', async () => {
    const pool = await EnginePool.create([backend, backend]);
    await fc.assert(
      fc.asyncProperty(fc.array(flowArb(NARROW), { minLength: 1, maxLength: 3 }), async (batches) => {
        const [perCall, batched] = pool.fresh();
        for (const flow of batches) {
          const concrete = flow.map((c) => bind(perCall, c));
          const expectedEvents: number[] = [];
          const expected = concrete.map((c, i) => {
            const outcome = outcomeOfCall(c, call(perCall, c));
            expectedEvents.push(...asBatchCommand(eventRecords(perCall.events), i));
            return outcome;
          });
          const results = batched.submitBatch(toBatch(concrete));
          const got = outcomesOfBatch(concrete, results);
          expect(got).toEqual(expected);
          expect(eventRecords(results.events)).toEqual(expectedEvents);
          expect(batched.stateHash()).toBe(perCall.stateHash());
        }
      }),
      { numRuns: fuzzRuns(150), seed: SEED },
    );
  }, budget(150));
});

describeEachBackend(`an engine created with events: false (seed ${SEED})`, (backend) => {
  it('gives the same results, fills and state as one that records them, and records none, per call and batched', async () => {
    const [recording, silent] = await Promise.all([newEngine(backend), newEngine(backend, { events: false })]);
    const empty = [recording.snapshot(), silent.snapshot()];
    await fc.assert(
      fc.asyncProperty(flowArb(NARROW), flowArb(NARROW), async (perCallFlow, batchFlow) => {
        // Reset by restore, which must keep the engine silent.
        recording.restore(empty[0]);
        silent.restore(empty[1]);
        let recorded = 0;
        for (const c of perCallFlow) {
          const cmd = bind(recording, c);
          expect(call(silent, cmd)).toEqual(call(recording, cmd));
          recorded += recording.events.count;
          expect(silent.events.count).toBe(0);
        }
        // Every accepted or rejected command has an event: the other engine did record them.
        expect(recorded).toBeGreaterThanOrEqual(perCallFlow.length);
        const concrete = batchFlow.map((c) => bind(recording, c));
        const expected = outcomesOfBatch(concrete, recording.submitBatch(toBatch(concrete)));
        const results = silent.submitBatch(toBatch(concrete));
        expect(outcomesOfBatch(concrete, results)).toEqual(expected);
        expect(results.events.count).toBe(0);
        expect(silent.stateHash()).toBe(recording.stateHash());
        expect(silent.snapshot()).toEqual(recording.snapshot());
      }),
      { numRuns: fuzzRuns(150), seed: SEED },
    );
    // A restore in pieces keeps it silent too.
    const snapshot = recording.snapshot();
    const restore = silent.restoreInPieces(snapshot.byteLength);
    restore.write(snapshot);
    restore.end();
    const taker = { trader: 9, asset: 1, side: 'bid', price: 1_000_000, size: 1_000, timestamp: 1 } as const;
    expect(silent.placeLimit(taker)).toEqual(recording.placeLimit(taker));
    expect(recording.events.count).toBeGreaterThan(0);
    expect(silent.events.count).toBe(0);
  }, budget(150));
});

describe.skipIf(!BOTH_BACKENDS)(`WASM and JS batches agree (seed ${SEED})`, () => {
  it('results, fills and state hash, and both match the per-call run', async () => {
    const pool = await EnginePool.create([...BACKENDS, 'js']);
    await fc.assert(
      fc.asyncProperty(flowArb(WIDE), async (flow) => {
        const [a, b, reference] = pool.fresh();
        const concrete = flow.map((c) => bind(reference, c));
        const expected = concrete.map((c) => outcomeOfCall(c, call(reference, c)));
        const resultsA = a.submitBatch(toBatch(concrete));
        const ra = outcomesOfBatch(concrete, resultsA);
        const eventsA = eventRecords(resultsA.events);
        const resultsB = b.submitBatch(toBatch(concrete));
        const rb = outcomesOfBatch(concrete, resultsB);
        expect(ra).toEqual(expected);
        expect(rb).toEqual(expected);
        expect(eventRecords(resultsB.events)).toEqual(eventsA);
        expect(a.stateHash()).toBe(reference.stateHash());
        expect(b.stateHash()).toBe(reference.stateHash());
      }),
      { numRuns: fuzzRuns(150), seed: SEED },
    );
  }, budget(150));
});
