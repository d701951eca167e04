// An engine's objects keep their V8 hidden classes whatever path the numbers took to reach them.
// A field that has held only small integers changes class the first time a heap number (any
// value read from a Float64Array: a batch, a snapshot) is stored in it, and every optimized
// function that saw the old class deoptimizes at once: after the benchmark's warm-up this
// collapsed the JS engine's first timed samples (issue 9; src/js-core/small-integer.ts).
// V8's own %HaveSameMap compares the classes; the flag that allows it is set before the
// function using it is compiled.
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { createEngine } from '../src/engine.js';
import type { Engine } from '../src/engine.js';
import type { BackendName } from '../src/types.js';

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/** Every plain object reachable from `root` through own data properties, by property path. */
function objectsByPath(root: object): Map<string, object> {
  const found = new Map<string, object>();
  const seen = new Set<object>();
  const visit = (value: unknown, path: string): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
    if (value instanceof WebAssembly.Instance || value instanceof WebAssembly.Memory) return;
    seen.add(value);
    found.set(path, value);
    for (const key of Object.getOwnPropertyNames(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor !== undefined && 'value' in descriptor) visit(descriptor.value, `${path}.${key}`);
    }
  };
  visit(root, 'engine');
  return found;
}

/** A few hundred per-call commands over two assets: rests, trades, cancels, reduces, modifies, stops, OCO pairs, mass cancels. */
function perCallFlow(engine: Engine): void {
  for (let i = 0; i < 300; i++) {
    const asset = 1 + (i % 2);
    const side = i % 2 === 0 ? 'bid' : 'ask';
    const placed = engine.placeLimit({
      trader: 1 + (i % 5), asset, side, price: side === 'bid' ? 100 - (i % 7) : 101 + (i % 7), size: 10 + (i % 13),
      timestamp: i,
    });
    if (i % 10 === 3) engine.placeMarket({ trader: 9, asset, side: side === 'bid' ? 'ask' : 'bid', size: 25, timestamp: i });
    if (i % 10 === 5) engine.cancel({ trader: 1 + (i % 5), asset, orderId: placed.orderId });
    if (i % 10 === 7) engine.reduce({ trader: 1 + (i % 5), asset, orderId: placed.orderId, by: 2 });
    if (i % 10 === 9) engine.modify({ trader: 1 + (i % 5), asset, orderId: placed.orderId, price: side === 'bid' ? 99 : 102, timestamp: i });
    if (i % 20 === 4) engine.placeStop({ trader: 6, asset, side: 'bid', size: 3, stopPrice: 150 + (i % 3), timestamp: i });
    if (i % 20 === 14) engine.placeOco({ trader: 7, asset, side: 'ask', size: 2, price: 160, stopPrice: 50, timestamp: i });
    if (i % 50 === 49) engine.cancelAll({ trader: 6, asset });
    if (i % 10 === 1) engine.events.count;
  }
  engine.depth(1, 5);
  engine.orders(2);
  engine.order(engine.nextOrderId - 1);
  engine.bestAsk(1);
}

/** The same kinds of command as one batch, so every number arrives through a Float64Array. */
function batchFlow(engine: Engine): void {
  const batch = new CommandBatch(64);
  for (let i = 0; i < 60; i++) {
    const asset = 1 + (i % 3);
    batch.limit(1 + (i % 5), asset, i % 2 === 0 ? 'bid' : 'ask', i % 2 === 0 ? 95 + (i % 9) : 98 + (i % 9), 5 + (i % 11), 1000 + i);
    if (i % 6 === 5) batch.market(9, asset, 'bid', 30, 1000 + i);
    if (i % 12 === 7) batch.stop(6, asset, 'bid', 3, 150 + (i % 3), 1000 + i);
    if (i % 12 === 11) batch.oco(7, asset, 'ask', 2, 160, 50, 1000 + i);
    if (i % 20 === 13) batch.marketBudget(9, asset, 'bid', 500, 1000 + i);
  }
  const first = engine.nextOrderId;
  batch.cancel(1, 1, first).reduce(3, 3, first + 2, 1).modify(5, 2, first + 4, 97, 0, 2000).cancelAll(7);
  engine.submitBatch(batch).events.count;
}

describe.each(['js', 'wasm'] as BackendName[])('%s engine hidden classes', (backend) => {
  it('are the same after batches, snapshots and restores as after per-call commands alone', async () => {
    const reference = await createEngine({ backend });
    perCallFlow(reference);
    // Collected before the other engine runs: reading them later could migrate a deprecated class.
    const expected = objectsByPath(reference);

    const engine = await createEngine({ backend });
    perCallFlow(engine);
    batchFlow(engine);
    engine.restore(engine.snapshot());
    perCallFlow(engine);
    batchFlow(engine);
    const actual = objectsByPath(engine);

    const changed = [...expected].filter(([path, object]) => actual.has(path) && !haveSameMap(object, actual.get(path)!));
    expect(changed.map(([path]) => path)).toEqual([]);
    // The batches reach a third asset, so the engine may hold more objects, never fewer.
    expect([...expected.keys()].filter((path) => !actual.has(path))).toEqual([]);
  });
});
