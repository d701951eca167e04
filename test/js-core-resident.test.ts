// A JS engine made after every other one was dropped runs the code V8 compiled for the engines
// before it. V8 holds the hidden classes an optimized function was compiled for weakly: with no
// instance of the JS core's classes left, a full GC collected them and threw away every optimized
// function of the core, so the next engine started as cold as a new process (bench/README.md,
// "A fresh engine's first batches (stop 63)"). The JS core now keeps one core for the
// process's life (src/js-core/index.ts). V8's own %GetOptimizationStatus reads whether a function
// has optimized code; the flag that allows it is set before the functions using it are compiled.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../src/engine.js';
import { runCommands } from '../src/js-core/batch.js';

setFlagsFromString('--allow-natives-syntax');
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;
type AnyFunction = (...args: never[]) => unknown;
const optimizationStatus = new Function('f', 'return %GetOptimizationStatus(f)') as (f: AnyFunction) => number;
const prepareForOptimization = new Function('f', '%PrepareFunctionForOptimization(f)') as (f: AnyFunction) => void;
const optimizeOnNextCall = new Function('f', '%OptimizeFunctionOnNextCall(f)') as (f: AnyFunction) => void;
/** The status bit of code from TurboFan (V8's OptimizationStatus::kTurboFanned). */
const TURBOFANNED = 1 << 6;

/** A JS engine that rests a few hundred orders in batches, its batch loop optimized on the way, then is dropped. */
async function runAndDropEngine(): Promise<void> {
  const engine = await createEngine({ backend: 'js', events: false });
  const batch = engine.createBatch(100);
  for (let round = 0; round < 3; round++) {
    batch.clear();
    for (let i = 0; i < 100; i++) {
      const id = round * 100 + i + 1;
      const ask = (id & 1) === 1;
      batch.limit(1, 1, ask ? 'ask' : 'bid', ask ? 200 + (id % 9) : 100 - (id % 9), 1, id);
    }
    if (round === 1) prepareForOptimization(runCommands);
    if (round === 2) optimizeOnNextCall(runCommands);
    engine.submitBatch(batch);
  }
}

describe('the JS core after its last engine is dropped', () => {
  it('keeps its optimized code through a full GC', async () => {
    await runAndDropEngine();
    expect(optimizationStatus(runCommands) & TURBOFANNED).toBe(TURBOFANNED);
    fullGc();
    fullGc();
    expect(optimizationStatus(runCommands) & TURBOFANNED).toBe(TURBOFANNED);
  });
});
