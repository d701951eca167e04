// The price ladder (assembly/ladder.ts and its mirror src/js-core/ladder.ts) against a plain
// sorted-array model: random inserts and removals at sparse and at clustered keys, the touch
// pushed and popped, lookups, best-first walks, rank access and bulk builds (restore), with the
// tree's own invariants checked after every step. Both ladders run the same operations; the
// WebAssembly one through test/assembly/ladder-harness.ts, compiled here with asc.
import asc from 'assemblyscript/asc';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Ladders } from '../src/js-core/ladder.js';
import { fuzzRuns, fuzzSeed } from './helpers/commands.js';

/**
 * One ladder implementation, as the tests drive it. Values are positive; `find` misses give 0. A
 * ladder keeps each value's leaf by value (as a level belongs to one side), so ladders of one pool
 * in use together take distinct values.
 */
interface LadderUnderTest {
  insert(key: number, value: number): void;
  remove(key: number): void;
  find(key: number): number;
  bestKey(): number;
  best(): number;
  length(): number;
  height(): number;
  rank(r: number): number;
  /** Keys and values, best first. */
  walk(): { keys: number[]; values: number[] };
  /** Replaces the ladder with a bulk-built one holding the same entries. */
  rebuild(): void;
  /** 0 when every invariant holds. */
  check(): number;
}

interface HarnessExports {
  memory: WebAssembly.Memory;
  reset(): void;
  newLadder(): number;
  scratch(bytes: number): number;
  insert(s: number, key: number, value: number): number;
  remove(s: number, key: number): void;
  find(s: number, key: number): number;
  bestKey(s: number): number;
  best(s: number): number;
  length(s: number): number;
  height(s: number): number;
  rank(s: number, r: number): number;
  walk(s: number, keys: number, values: number): number;
  build(s: number, keys: number, values: number, n: number): number;
  check(s: number): number;
}

let harness: WebAssembly.Module;

beforeAll(async () => {
  const files: Record<string, Uint8Array | string> = {};
  const result = await asc.main(
    ['test/assembly/ladder-harness.ts', '--outFile', 'ladder-harness.wasm', '-O3', '--runtime', 'stub', '--noAssert'],
    { writeFile: (name, contents) => { files[name] = contents; } },
  );
  if (result.error) throw new Error(`asc failed: ${result.error.message}\n${result.stderr.toString()}`);
  harness = await WebAssembly.compile(files['ladder-harness.wasm'] as Uint8Array<ArrayBuffer>);
});

/** `count` WASM ladders sharing one instance (and so one node pool), as a core's sides do. */
async function wasmLadders(count: number): Promise<LadderUnderTest[]> {
  const instance = await WebAssembly.instantiate(harness, {
    env: { abort: () => { throw new Error('ladder harness aborted'); } },
  });
  const x = instance.exports as unknown as HarnessExports;
  x.reset();
  const walkCapacity = 1 << 17;
  const keysAt = x.scratch(walkCapacity * 8);
  const valuesAt = x.scratch(walkCapacity * 4);
  const make = (): LadderUnderTest => {
    let s = x.newLadder();
    const walk = () => {
      const n = x.walk(s, keysAt, valuesAt);
      return {
        keys: Array.from(new Float64Array(x.memory.buffer, keysAt, n)),
        values: Array.from(new Uint32Array(x.memory.buffer, valuesAt, n)),
      };
    };
    return {
      insert: (key, value) => { if (!x.insert(s, key, value)) throw new Error('out of memory'); },
      remove: (key) => x.remove(s, key),
      find: (key) => x.find(s, key),
      bestKey: () => x.bestKey(s),
      best: () => x.best(s),
      length: () => x.length(s),
      height: () => x.height(s),
      rank: (r) => x.rank(s, r),
      walk,
      rebuild: () => {
        const n = x.walk(s, keysAt, valuesAt);
        s = x.newLadder();
        if (!x.build(s, keysAt, valuesAt, n)) throw new Error('out of memory');
      },
      check: () => x.check(s),
    };
  };
  return Array.from({ length: count }, make);
}

/** `count` TypeScript ladders of one Ladders (one node pool). */
function jsLadders(count: number): LadderUnderTest[] {
  // Values up to 2^20, as the WASM harness allows (a core's levels give their ladders their capacity).
  const ladders = new Ladders(undefined, 1 << 20);
  let next = 0;
  const make = (): LadderUnderTest => {
    let s = next++;
    ladders.initLadder(s);
    const walk = () => {
      const keys: number[] = [];
      const values: number[] = [];
      for (let at = ladders.bestPosition(s); at !== -1; at = ladders.worsePosition(at)) {
        keys.push(ladders.keyAt(at));
        values.push(ladders.valueAt(at));
      }
      return { keys, values };
    };
    return {
      insert: (key, value) => ladders.ladderInsert(s, key, value),
      remove: (key) => ladders.ladderRemove(s, key, ladders.ladderFind(s, key)),
      find: (key) => Math.max(0, ladders.ladderFind(s, key)),
      bestKey: () => ladders.ladderBestKey(s),
      best: () => Math.max(0, ladders.ladderBest(s)),
      length: () => ladders.ladderLength(s),
      height: () => ladders.ladderHeight(s),
      rank: (r) => ladders.ladderValueByRank(s, r),
      walk,
      rebuild: () => {
        const { keys, values } = walk();
        s = next++;
        ladders.initLadder(s);
        ladders.beginLadderBuild(s, keys.length);
        for (let i = 0; i < keys.length; i++) ladders.buildNextWorse(s, keys[i], values[i]);
        ladders.endLadderBuild(s, keys.length);
      },
      check: () => ladders.checkLadder(s),
    };
  };
  return Array.from({ length: count }, make);
}

/** The model: keys ascending with their values (best = last). */
class SortedModel {
  keys: number[] = [];
  values: number[] = [];

  indexOf(key: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  has(key: number): boolean {
    const i = this.indexOf(key);
    return this.keys[i] === key;
  }
  insert(key: number, value: number): void {
    const i = this.indexOf(key);
    this.keys.splice(i, 0, key);
    this.values.splice(i, 0, value);
  }
  remove(key: number): void {
    const i = this.indexOf(key);
    this.keys.splice(i, 1);
    this.values.splice(i, 1);
  }
  find(key: number): number {
    const i = this.indexOf(key);
    return this.keys[i] === key ? this.values[i] : 0;
  }
  bestFirst(): { keys: number[]; values: number[] } {
    return { keys: [...this.keys].reverse(), values: [...this.values].reverse() };
  }
}

type Op =
  | { t: 'insert'; key: number }
  | { t: 'push'; gap: number } // a new best, `gap` above the current one
  | { t: 'pop' } // the best goes
  | { t: 'remove'; pick: number } // an existing key, by position
  | { t: 'find'; key: number }
  | { t: 'rank'; pick: number }
  | { t: 'rebuild' }
  | { t: 'burst'; keys: number[] } // many inserts: the tree grows levels
  | { t: 'cut'; pick: number; count: number }; // a run of neighbouring keys goes: nodes empty and merge

const MAX_KEY = Number.MAX_SAFE_INTEGER;

/** Sparse keys over the whole price range (bids +price, asks -price), or clustered in a window. */
function opArb(keyArb: fc.Arbitrary<number>): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 8, arbitrary: keyArb.map((key): Op => ({ t: 'insert', key })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 5 }).map((gap): Op => ({ t: 'push', gap })) },
    { weight: 2, arbitrary: fc.constant<Op>({ t: 'pop' }) },
    { weight: 5, arbitrary: fc.nat().map((pick): Op => ({ t: 'remove', pick })) },
    { weight: 2, arbitrary: keyArb.map((key): Op => ({ t: 'find', key })) },
    { weight: 1, arbitrary: fc.nat().map((pick): Op => ({ t: 'rank', pick })) },
    { weight: 1, arbitrary: fc.constant<Op>({ t: 'rebuild' }) },
    { weight: 1, arbitrary: fc.array(keyArb, { minLength: 50, maxLength: 800, size: 'max' }).map((keys): Op => ({ t: 'burst', keys })) },
    { weight: 1, arbitrary: fc.record({ pick: fc.nat(), count: fc.integer({ min: 20, max: 1500 }) }).map((r): Op => ({ t: 'cut', ...r })) },
  );
}

const SPARSE = fc.integer({ min: -MAX_KEY, max: MAX_KEY });
const CLUSTERED = fc.integer({ min: 1_000_000, max: 1_006_000 });

/** A starting set of keys (a tree up to three levels deep), then the operations. */
function flowArb(keyArb: fc.Arbitrary<number>): fc.Arbitrary<[number[], Op[]]> {
  return fc.tuple(fc.array(keyArb, { maxLength: 4000, size: 'max' }), fc.array(opArb(keyArb), { maxLength: 300, size: 'max' }));
}

/** Applies ops to a ladder and the model, comparing after every step; values are a counter. */
function runAgainstModel(ladder: LadderUnderTest, [start, ops]: [readonly number[], readonly Op[]]): void {
  const model = new SortedModel();
  let nextValue = 1;
  const insert = (key: number): void => {
    if (model.has(key) || Math.abs(key) > MAX_KEY) return;
    const value = nextValue++;
    ladder.insert(key, value);
    model.insert(key, value);
  };
  start.forEach(insert);
  ops.forEach((op, step) => {
    const n = model.keys.length;
    switch (op.t) {
      case 'insert':
        insert(op.key);
        break;
      case 'push':
        insert(n === 0 ? 0 : model.keys[n - 1] + op.gap);
        break;
      case 'pop':
        if (n > 0) {
          ladder.remove(model.keys[n - 1]);
          model.remove(model.keys[n - 1]);
        }
        break;
      case 'remove':
        if (n > 0) {
          const key = model.keys[op.pick % n];
          ladder.remove(key);
          model.remove(key);
        }
        break;
      case 'find':
        expect(ladder.find(op.key), `find ${op.key} at step ${step}`).toBe(model.find(op.key));
        if (n > 0) {
          const present = model.keys[Math.abs(op.key) % n];
          expect(ladder.find(present), `find ${present} at step ${step}`).toBe(model.find(present));
        }
        break;
      case 'rank':
        if (n > 0) expect(ladder.rank(op.pick % n), `rank at step ${step}`).toBe(model.values[n - 1 - (op.pick % n)]);
        break;
      case 'rebuild':
        ladder.rebuild();
        break;
      case 'burst':
        op.keys.forEach(insert);
        break;
      case 'cut':
        for (const key of model.keys.slice(op.pick % Math.max(1, n), (op.pick % Math.max(1, n)) + op.count)) {
          ladder.remove(key);
          model.remove(key);
        }
        break;
    }
    const size = model.keys.length;
    expect(ladder.check(), `invariants after step ${step} (${op.t})`).toBe(0);
    expect(ladder.length()).toBe(size);
    expect(ladder.bestKey()).toBe(size === 0 ? -Infinity : model.keys[size - 1]);
    expect(ladder.best()).toBe(size === 0 ? 0 : model.values[size - 1]);
  });
  expect(ladder.walk()).toEqual(model.bestFirst());
}

const IMPLEMENTATIONS: Array<[string, (count: number) => Promise<LadderUnderTest[]> | LadderUnderTest[]]> = [
  ['wasm', wasmLadders],
  ['js', jsLadders],
];

describe.each(IMPLEMENTATIONS)('ladder [%s] against a sorted array', (_name, create) => {
  const seed = fuzzSeed(0x1add3);
  const runs = fuzzRuns(40);

  it('at sparse keys anywhere in +-(2^53-1)', async () => {
    // Each run gets a fresh ladder of one pool: nodes freed by earlier runs are reused.
    const pool = await create(runs + 1);
    let i = 0;
    fc.assert(fc.property(flowArb(SPARSE), (flow) => runAgainstModel(pool[i++ % pool.length], flow)),
      { seed, numRuns: runs });
  }, 120_000);

  it('at keys clustered in a window of 6,000, with the touch pushed and popped', async () => {
    const pool = await create(runs + 1);
    let i = 0;
    fc.assert(fc.property(flowArb(CLUSTERED), (flow) => runAgainstModel(pool[i++ % pool.length], flow)),
      { seed: seed + 1, numRuns: runs });
  }, 120_000);

  it('grows three levels deep and shrinks back, in random order, across two ladders sharing nodes', async () => {
    const [bids, asks] = await create(2);
    const n = 20_000;
    let state = 7;
    const random = (below: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % below;
    };
    const keys = Array.from({ length: n }, (_, k) => 1 + k * 4_503_599_627 + random(1000));
    for (let k = n - 1; k > 0; k--) {
      const j = random(k + 1);
      [keys[k], keys[j]] = [keys[j], keys[k]];
    }
    keys.forEach((key, k) => {
      bids.insert(key, k + 1);
      asks.insert(-key, n + k + 1);
    });
    expect(bids.height()).toBeGreaterThanOrEqual(3);
    expect(bids.check()).toBe(0);
    expect(asks.check()).toBe(0);
    const sorted = [...keys].sort((a, b) => b - a);
    expect(bids.walk().keys).toEqual(sorted);
    expect(bids.rank(12_345)).toBe(keys.indexOf(sorted[12_345]) + 1);
    // Remove all but every 100th, in insertion order, then rebuild and empty it.
    const kept = new Set(sorted.filter((_, k) => k % 100 === 0));
    for (const key of keys) if (!kept.has(key)) bids.remove(key);
    expect(bids.check()).toBe(0);
    expect(bids.walk().keys).toEqual(sorted.filter((key) => kept.has(key)));
    expect(bids.height()).toBeLessThanOrEqual(2);
    bids.rebuild();
    expect(bids.check()).toBe(0);
    for (const key of kept) bids.remove(key);
    expect(bids.length()).toBe(0);
    expect(bids.check()).toBe(0);
    expect(bids.bestKey()).toBe(-Infinity);
    expect(asks.walk().keys).toEqual(sorted.map((key) => -key).reverse());
  });
});
