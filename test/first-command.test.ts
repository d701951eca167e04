// A fresh JS engine's first command keeps the batch path's optimized code. V8 gives a function
// its feedback vector only after some eight calls, so the branches the process's first engine
// took in its first commands alone (findBook's miss, the general limit path: a new book's first
// order) recorded nothing; optimized code compiled later stops at such a branch and falls back to
// the interpreter ("Insufficient type feedback" in --trace-deopt). A second engine's first order,
// or a new asset's, then threw away `runCommands` with everything inlined into it, and the next
// batches ran unoptimized (bench/README.md, "A fresh JS engine's first command (stop 66)").
// V8's own %GetOptimizationStatus tells; the flag that allows it is set before the function using
// it is compiled. The test optimizes each function when it says (V8's own background compiles
// finished first, so that none lands between its steps).
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../src/engine.js';
import type { Engine } from '../src/engine.js';
import { runCommands } from '../src/js-core/batch.js';
import { Books } from '../src/js-core/books.js';
import { JsCore } from '../src/js-core/index.js';
import { Matching } from '../src/js-core/matching.js';
import { applyRequest } from '../src/operations.js';

setFlagsFromString('--allow-natives-syntax');
const natives = {
  prepare: new Function('f', '%PrepareFunctionForOptimization(f)') as (f: unknown) => void,
  /** Optimized on its next call, once any background compile under way is finished and installed. */
  optimizeOnNextCall: new Function('f', '%FinalizeOptimization(); %OptimizeFunctionOnNextCall(f)') as (f: unknown) => void,
  status: new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number,
};
/** V8's OptimizationStatus bit for a function running optimized code (src/runtime/runtime.h). */
const OPTIMIZED = 1 << 4;

/** The functions of `path` that are not running optimized code, by name. */
function unoptimized(path: readonly ((...args: never[]) => unknown)[]): string[] {
  return path.filter((f) => (natives.status(f) & OPTIMIZED) === 0).map((f) => f.name);
}

/**
 * Each function of `path` optimized on its next call, with the feedback `run` has left (run once
 * before and once after); returns those optimized: the first, which `run` calls, and any other
 * that runs on its own rather than inlined into another.
 */
function optimizeNow(path: readonly ((...args: never[]) => unknown)[], run: () => void): ((...args: never[]) => unknown)[] {
  for (const f of path) natives.prepare(f);
  run();
  for (const f of path) natives.optimizeOnNextCall(f);
  run();
  const optimized = path.filter((f) => !unoptimized([f]).length);
  expect(optimized).toContain(path[0]);
  return optimized;
}

/** `batches` batches of resting orders in one asset, none crossing, as bench/growth-pauses.ts submits them. */
function restInOneAsset(engine: Engine, asset: number, batches: number): void {
  const batch = engine.createBatch(1_000);
  const before = engine.restingOrders;
  let id = 0;
  for (let b = 0; b < batches; b++) {
    batch.clear();
    for (let i = 0; i < 1_000; i++) {
      id++;
      const bid = (id & 1) === 0;
      batch.limit(1 + (id % 50), asset, bid ? 'bid' : 'ask', bid ? 100_000 - (id % 2_000) : 110_000 + (id % 2_000), 1 + (id % 7), id);
    }
    engine.submitBatch(batch);
  }
  expect(engine.restingOrders - before).toBe(batches * 1_000);
}

/** `orders` resting orders placed one call each in one asset, none crossing. */
function placeInOneAsset(engine: Engine, asset: number, orders: number): void {
  const before = engine.restingOrders;
  for (let id = 1; id <= orders; id++) {
    const bid = (id & 1) === 0;
    engine.placeLimit({ trader: 1 + (id % 50), asset, side: bid ? 'bid' : 'ask', price: bid ? 100_000 - (id % 2_000) : 110_000 + (id % 2_000), size: 1 + (id % 7), timestamp: id });
  }
  expect(engine.restingOrders - before).toBe(orders);
}

// Each path lists the functions that hold one of a new book's branches or inline one: whichever
// V8 inlines where, every copy of a branch is in one of those optimized.
describe('a fresh JS engine', () => {
  it("keeps the batch path optimized through its first command, and through an engine's first order in a new asset", async () => {
    const path = [runCommands, Matching.prototype.placeLimit, Matching.prototype.restWithoutCrossing, Books.prototype.findBook];
    // The process's first engine, one asset throughout: its first order was its only new book.
    const first = await createEngine({ backend: 'js', events: false });
    restInOneAsset(first, 1, 5);
    const optimized = optimizeNow(path, () => restInOneAsset(first, 1, 1));

    restInOneAsset(first, 2, 1);
    expect(unoptimized(optimized)).toEqual([]);

    const fresh = await createEngine({ backend: 'js', events: false });
    restInOneAsset(fresh, 1, 1);
    expect(unoptimized(optimized)).toEqual([]);
  });

  it("keeps the per-call limit order optimized through its first order, and through an engine's first order in a new asset", async () => {
    // The host's check-and-apply of a limit order (which inlines the core's), and the core's.
    const path = [applyRequest.placeLimit, JsCore.prototype.placeLimit, Matching.prototype.restWithoutCrossing, Books.prototype.findBook];
    const first = await createEngine({ backend: 'js', events: false });
    placeInOneAsset(first, 1, 3_000);
    const optimized = optimizeNow(path, () => placeInOneAsset(first, 1, 10));

    placeInOneAsset(first, 2, 1);
    expect(unoptimized(optimized)).toEqual([]);

    const fresh = await createEngine({ backend: 'js', events: false });
    placeInOneAsset(fresh, 1, 1);
    expect(unoptimized(optimized)).toEqual([]);
  });
});
