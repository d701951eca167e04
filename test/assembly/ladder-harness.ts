// AssemblyScript entry that exposes assembly/ladder.ts alone, for test/ladder.test.ts: the test
// compiles it with asc and drives the same operations as the TypeScript ladder's.
import { alloc, resetAllocator } from '../../assembly/allocator';
import {
  LADDER_BYTES, NO_POSITION, beginLadderBuild, bestPosition, buildNextWorse, checkLadder, endLadderBuild, initLadder,
  keyAt, ladderBest, ladderBestKey, ladderFind, ladderHeight, ladderInsert, ladderLength, ladderRemove,
  ladderValueByRank, reserveLadderNodes, resetLadders, valueAt, worsePosition, VALUE_LEAF,
} from '../../assembly/ladder';

// The ladder keeps each value's leaf in the value's own record, at VALUE_LEAF. The tests' values
// are small integers, so value v stands for a record whose leaf field is u32 v of `leafFields`.
const MAX_VALUES: u32 = 1 << 20;
let leafFields: usize = 0;
@inline function recordOf(v: u32): usize {
  if (v >= MAX_VALUES) unreachable();
  return leafFields + (<usize>v << 2) - VALUE_LEAF;
}
@inline function valueOf(record: usize): u32 { return record == 0 ? 0 : <u32>((record + VALUE_LEAF - leafFields) >> 2); }

export function reset(): void {
  resetAllocator(65536);
  resetLadders();
  leafFields = alloc(<usize>MAX_VALUES << 2);
}

/** A new empty ladder header; 0 when memory cannot grow. */
export function newLadder(): usize {
  const s = alloc(LADDER_BYTES);
  if (s != 0) initLadder(s);
  return s;
}

/** Scratch memory for walks. */
export function scratch(bytes: usize): usize {
  return alloc(bytes);
}

export function insert(s: usize, key: f64, value: u32): bool {
  if (!reserveLadderNodes(s)) return false;
  ladderInsert(s, key, recordOf(value));
  return true;
}

/** Removes a key that is in the ladder (its value found by ladderFind). */
export function remove(s: usize, key: f64): void {
  ladderRemove(s, key, ladderFind(s, key));
}

export function find(s: usize, key: f64): u32 {
  return valueOf(ladderFind(s, key));
}

export function bestKey(s: usize): f64 {
  return ladderBestKey(s);
}

export function best(s: usize): u32 {
  return valueOf(ladderBest(s));
}

export function length(s: usize): u32 {
  return ladderLength(s);
}

export function height(s: usize): u32 {
  return ladderHeight(s);
}

export function rank(s: usize, r: u32): u32 {
  return valueOf(ladderValueByRank(s, r));
}

/** Writes every key and value best first to `keys` (f64s) and `values` (u32s); returns how many. */
export function walk(s: usize, keys: usize, values: usize): u32 {
  let n: u32 = 0;
  for (let at = bestPosition(s); at != NO_POSITION; at = worsePosition(at)) {
    store<f64>(keys + (<usize>n << 3), keyAt(at));
    store<u32>(values + (<usize>n << 2), valueOf(valueAt(at)));
    n++;
  }
  return n;
}

/** Builds an empty ladder from `n` keys and values given best first. */
export function build(s: usize, keys: usize, values: usize, n: u32): bool {
  if (!beginLadderBuild(s, n)) return false;
  for (let i: u32 = 0; i < n; i++) buildNextWorse(s, load<f64>(keys + (<usize>i << 3)), recordOf(load<u32>(values + (<usize>i << 2))));
  endLadderBuild(s, n);
  return true;
}

export function check(s: usize): i32 {
  return checkLadder(s);
}
