// A side's price ladder: level keys (f64, larger is better) mapped to level pointers, in a
// B+tree whose touch is cached (mirrored by src/js-core/ladder.ts, function for function).
//
// Why a B+tree: any price 1..2^53-1 must work (no tick window, so no direct-indexed array or
// bitmap over ticks), the touch must stay O(1), and a level born or removed deep in a sparse book
// must cost O(log n), not the O(n) shift of the sorted array this replaced (on the `wide`
// benchmark, 10,000 levels over a million ticks, that array ran at a fifth of `steady`).
// docs/levels.md has the before/after figures. Against the usual alternatives:
//   - a two-level chunked ladder (blocks of 32-64 keys under one flat index) is this tree cut at
//     height 2: it still shifts an O(n / block) index when a block splits or empties, which a
//     book of 100,000 sparse levels would feel; the tree keeps every shift inside one node;
//   - a radix tree over the 64-bit key (exchange-core's choice) needs no rebalancing but walks
//     up to 8 key bytes per lookup and spends more per level; the tree's leaves are plain sorted
//     arrays, so search and iteration stay the contiguous scans the old ladder was good at.
// 32 entries a node keeps a node at 400 bytes (a side holding one level costs one node) and a
// leaf search within a few cache lines; other node sizes were not measured.
//
// Layout. Leaves and inner nodes share one 400-byte node record: count, the worse and better
// neighbours on the same tree level, then NODE_CAP keys and NODE_CAP values beside them (level
// pointers in leaves, child nodes in inner nodes), keys ascending but in a scrambled leaf (below).
// An inner entry's key is a lower
// bound of its child's keys (the child's smallest key when the entry was made; removals may leave
// it lower, never higher); entry 0's key is never consulted. The best level is the last entry of
// the rightmost leaf, and the ladder header caches it (key and value) and that leaf:
//   - best key and best level are one load;
//   - a new best is an append to the rightmost leaf (a split when it is full, amortised O(1));
//   - an emptied best is a pop from it, and the rightmost leaf is never merged away while it
//     holds anything, so the touch churning up and down never restructures the tree.
// Elsewhere an insert descends (recording the path) and inserts inside a leaf; a full node splits
// in halves, a node below a quarter full merges with a neighbour when both fit in three quarters
// of a node, an emptied node leaves the tree, and a root with one child gives way to it. A removal
// starts at its value's leaf, which the ladder keeps in the value's record (VALUE_LEAF): on a
// sparse book nearly every removal is away from the touch, and the leaf alone decides it unless
// the leaf would fall below a quarter full, when it descends as an insert does. Nodes come from a
// spare list topped up by reserveLadderNodes before a command changes anything, so an insert can
// never fail halfway through a split.
//
// Scrambled leaves. A leaf other than the rightmost may hold its entries in any order: an insert
// that descends to one appends its entry, and a removal from one (found by value, slotOfValue)
// moves the leaf's last entry into the hole. Neither searches the leaf's keys nor shifts them.
// The leaf says so in its header (SCRAMBLED), and is put back in order (sortLeaf) before anything
// reads it in order: a split, a walk reaching it (worsePosition), a lookup in it (ladderFind,
// ladderValueByRank), its becoming the rightmost leaf. On `wide` (one order a level, prices over a
// million ticks) nearly every level is born and removed away from the touch, and this made the
// WASM core alone 1.12x faster there, the JS core 1.19x (docs/levels.md); a flow at the touch
// never scrambles anything.
import { alloc } from './allocator';

// Ladder header, at the start of a side struct (levels.ts):
//   0 best key f64 (-Infinity when empty) | 8 best value u32 | 12 best (rightmost) leaf u32
//   16 root u32 | 20 length u32 (entries) | 24 height u32 (0 empty, 1 the root is a leaf) | 28 -
export const LADDER_BYTES: usize = 32;

const NODE_CAP: u32 = 32;
/** A node below this many entries (other than the rightmost leaf) tries to merge. */
const MIN_ENTRIES: u32 = NODE_CAP / 4;
/** Two neighbours merge only if the result leaves a quarter of a node free for inserts. */
const MERGE_LIMIT: u32 = NODE_CAP * 3 / 4;
/** Entries per node in a bulk build: room for inserts without an immediate split. */
const BUILD_FILL: u32 = NODE_CAP * 3 / 4;
// Heights stay near log32(levels): 16 is far beyond any book linear memory can hold.
const MAX_HEIGHT: u32 = 16;
/** Entries of the rightmost leaf scanned from its end before counting the keys (lowerBoundFromBest). */
const NEAR_TOUCH: u32 = 8;

// Node record: 0 count u32 | 4 worse u32 | 8 better u32 | 12 scrambled u32 (1: a leaf out of key order)
//   16 keys f64[NODE_CAP] | values u32[NODE_CAP]
// Keys past a node's count are +Infinity (NO_KEY): a search counts keys four at a time, and
// those it reads past the count count for nothing (countKeys).
const KEYS: usize = 16;
const NO_KEY: f64 = Infinity;
const VALUES: usize = KEYS + <usize>NODE_CAP * 8;
const NODE_BYTES: usize = VALUES + <usize>NODE_CAP * 4;
const NODE_CHUNK_BYTES: usize = 65536;

// Values are the addresses of records that keep, at VALUE_LEAF, a u32 the ladder owns: the leaf
// holding the value, so a removal starts at its leaf.
export const VALUE_LEAF: usize = 32;
@inline function leafOf(value: usize): usize { return <usize>load<u32>(value, VALUE_LEAF); }
@inline function setLeafOf(value: usize, leaf: usize): void { store<u32>(value, <u32>leaf, VALUE_LEAF); }
/** Entries from..count of `leaf` came to it from another node. */
function noteLeaf(leaf: usize, from: u32): void {
  const n = entries(leaf);
  for (let i = from; i < n; i++) setLeafOf(valueOfEntry(leaf, i), leaf);
}

/** The descent path of the last search: node and slot at each depth (root at 0). */
const pathNodes: usize = memory.data(<i32>MAX_HEIGHT * 4, 4);
const pathSlots: usize = memory.data(<i32>MAX_HEIGHT * 4, 4);

let spareNodes: usize = 0;
let spareCount: u32 = 0;

export function resetLadders(): void {
  spareNodes = 0;
  spareCount = 0;
}

export function initLadder(s: usize): void {
  memory.fill(s, 0, LADDER_BYTES);
  store<f64>(s, -Infinity, 0);
}

// ---- header
/** The best key, or -Infinity for an empty ladder. */
@inline export function ladderBestKey(s: usize): f64 { return load<f64>(s, 0); }
/** The value of the best key, or 0 for an empty ladder. */
@inline export function ladderBest(s: usize): usize { return <usize>load<u32>(s, 8); }
@inline function bestLeaf(s: usize): usize { return <usize>load<u32>(s, 12); }
@inline function setBestLeaf(s: usize, leaf: usize): void { store<u32>(s, <u32>leaf, 12); }
@inline function rootOf(s: usize): usize { return <usize>load<u32>(s, 16); }
@inline function setRoot(s: usize, node: usize): void { store<u32>(s, <u32>node, 16); }
@inline export function ladderLength(s: usize): u32 { return load<u32>(s, 20); }
@inline function setLength(s: usize, n: u32): void { store<u32>(s, n, 20); }
@inline export function ladderHeight(s: usize): u32 { return load<u32>(s, 24); }
@inline function setHeight(s: usize, h: u32): void { store<u32>(s, h, 24); }

// ---- nodes
@inline function entries(node: usize): u32 { return load<u32>(node, 0); }
@inline function setEntries(node: usize, n: u32): void { store<u32>(node, n, 0); }
@inline function worseNode(node: usize): usize { return <usize>load<u32>(node, 4); }
@inline function setWorse(node: usize, v: usize): void { store<u32>(node, <u32>v, 4); }
@inline function betterNode(node: usize): usize { return <usize>load<u32>(node, 8); }
@inline function setBetter(node: usize, v: usize): void { store<u32>(node, <u32>v, 8); }
const SCRAMBLED: usize = 12;
@inline function isScrambled(node: usize): bool { return load<u32>(node, SCRAMBLED) != 0; }
@inline function setScrambled(node: usize, scrambled: bool): void { store<u32>(node, <u32>scrambled, SCRAMBLED); }
@inline function keyOfEntry(node: usize, i: u32): f64 { return load<f64>(node + (<usize>i << 3), KEYS); }
@inline function setKey(node: usize, i: u32, key: f64): void { store<f64>(node + (<usize>i << 3), key, KEYS); }
@inline function valueOfEntry(node: usize, i: u32): usize { return <usize>load<u32>(node + (<usize>i << 2), VALUES); }
@inline function setValue(node: usize, i: u32, v: usize): void { store<u32>(node + (<usize>i << 2), <u32>v, VALUES); }

@inline function pathNode(depth: u32): usize { return <usize>load<u32>(pathNodes + (<usize>depth << 2)); }
@inline function pathSlot(depth: u32): u32 { return load<u32>(pathSlots + (<usize>depth << 2)); }
@inline function setPath(depth: u32, node: usize, slot: u32): void {
  store<u32>(pathNodes + (<usize>depth << 2), <u32>node);
  store<u32>(pathSlots + (<usize>depth << 2), slot);
}

/** Room for `wanted` nodes in the spare list; false (nothing taken) when memory cannot grow. */
function topUpSpares(wanted: u32): bool {
  while (spareCount < wanted) {
    const chunk = alloc(NODE_CHUNK_BYTES);
    if (chunk == 0) return false;
    for (let node = chunk; node + NODE_BYTES <= chunk + NODE_CHUNK_BYTES; node += NODE_BYTES) {
      clearKeys(node, 0);
      giveNode(node);
    }
  }
  return true;
}

/** A node from the spares: its keys are all NO_KEY (every node goes back to the spares so). */
@inline function takeNode(): usize {
  const node = spareNodes;
  spareNodes = worseNode(node);
  spareCount--;
  setScrambled(node, false);
  return node;
}

/** Keys from entry `from` (even) to the end of the node become NO_KEY. */
@inline function clearKeys(node: usize, from: u32): void {
  const none = f64x2.splat(NO_KEY);
  for (let at = node + KEYS + (<usize>from << 3); at < node + VALUES; at += 16) v128.store(at, none);
}

/** Puts a node on the spares; its keys must be all NO_KEY (an emptied node's are: closeEntry). */
@inline function giveNode(node: usize): void {
  setWorse(node, spareNodes);
  spareNodes = node;
  spareCount++;
}

/** Makes sure the next ladderInsert on `s` needs no memory (a split at every depth and a new root). */
@inline export function reserveLadderNodes(s: usize): bool {
  const wanted = ladderHeight(s) + 1;
  return spareCount >= wanted || topUpSpares(wanted);
}

// ---- search inside a node: a count of the keys below, not a binary search. Each step of a
// binary search waits for the load before it, and a node's keys span four cache lines, so in a
// book bigger than the cache (wide: 10,000 sparse levels) every step could wait on memory; the
// count's loads are independent and issue together. WASM core alone, 30 alternated pairs
// (bench/core-ab.ts): wide 1.11x (1.10-1.15), steady 0.98x (0.92-1.08). The count runs over the
// node's keys four at a time with f64x2 compares, up to the first multiple of four past its
// count: the keys past the count are NO_KEY, which no key reaches. A compare and an add a key,
// one at a time, made the descent a fifth of the core's time on wide (docs/levels.md).
/** How many keys of `node` are below `key` (or at most `key`, with `orEqual`). */
@inline function countKeys(node: usize, key: f64, orEqual: bool): u32 {
  const k = f64x2.splat(key);
  let low = i64x2.splat(0);
  let high = i64x2.splat(0);
  const end = node + KEYS + (<usize>entries(node) << 3);
  for (let at = node + KEYS; at < end; at += 32) {
    // A true lane is all ones, -1: subtracting it counts one.
    const a = v128.load(at);
    const b = v128.load(at, 16);
    low = i64x2.sub(low, orEqual ? f64x2.le(a, k) : f64x2.lt(a, k));
    high = i64x2.sub(high, orEqual ? f64x2.le(b, k) : f64x2.lt(b, k));
  }
  const sum = i64x2.add(low, high);
  return <u32>(i64x2.extract_lane(sum, 0) + i64x2.extract_lane(sum, 1));
}

/** The first entry whose key is >= key (entries(node) when none is). */
@inline function lowerBound(node: usize, key: f64): u32 {
  return countKeys(node, key, false);
}

/**
 * The first entry whose key is >= key, in the rightmost leaf. Flow clusters at the touch, so the
 * leaf is searched from its end: a few compares find the usual key, and a count takes over past
 * NEAR_TOUCH entries.
 */
@inline function lowerBoundFromBest(leaf: usize, key: f64): u32 {
  const n = entries(leaf);
  const stop = n > NEAR_TOUCH ? n - NEAR_TOUCH : 0;
  let i = n;
  while (i > stop && keyOfEntry(leaf, i - 1) >= key) i--;
  return i > stop || i == 0 ? i : countKeys(leaf, key, false);
}

/**
 * The entry of `leaf` that holds `value` (it must), found by comparing all NODE_CAP values at
 * once: a scrambled leaf's keys say nothing of where it is. Past the count a value is at most a
 * stale copy of one still before it, so the first match is the entry.
 *
 * No branch: the eight compares narrow into one 32-bit mask whose lowest set bit is the entry.
 * The loop this replaced stopped at the first group of four holding the value, an exit at a
 * random place on `wide` (a removal from a scrambled leaf, nearly every cancel there), so a
 * mispredicted branch a removal. WASM core alone on wide 1.035x, the geometric mean of six
 * rounds of alternated runs in both load orders, the rest within 1% (bench/README.md, stop 55).
 * The JS core keeps its scalar loop: it has no vector compare.
 */
@inline function slotOfValue(leaf: usize, value: usize): u32 {
  // Eight vectors of four: the code below is written for 32 values a node.
  assert(NODE_CAP == 32);
  const wanted = i32x4.splat(<i32>value);
  const at = leaf + VALUES;
  const low = i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(i32x4.eq(v128.load(at), wanted), i32x4.eq(v128.load(at, 16), wanted)),
    i16x8.narrow_i32x4_s(i32x4.eq(v128.load(at, 32), wanted), i32x4.eq(v128.load(at, 48), wanted)));
  const high = i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(i32x4.eq(v128.load(at, 64), wanted), i32x4.eq(v128.load(at, 80), wanted)),
    i16x8.narrow_i32x4_s(i32x4.eq(v128.load(at, 96), wanted), i32x4.eq(v128.load(at, 112), wanted)));
  return ctz(<u32>i8x16.bitmask(low) | (<u32>i8x16.bitmask(high) << 16));
}

/** The child of an inner node whose key range holds `key`: the last entry with key <= key, or 0. */
@inline function childFor(node: usize, key: f64): u32 {
  // Entry 0's key is never consulted (it may be stale): counted only to be taken off.
  return countKeys(node, key, true) - <u32>(keyOfEntry(node, 0) <= key);
}

/**
 * Descends to the leaf where `key` is or belongs, recording the path (the leaf's own slot is left
 * to the caller: a scrambled leaf has none by key); returns the leaf's depth.
 */
@inline function descend(s: usize, key: f64): u32 {
  let node = rootOf(s);
  const leafDepth = ladderHeight(s) - 1;
  for (let depth: u32 = 0; depth < leafDepth; depth++) {
    const i = childFor(node, key);
    setPath(depth, node, i);
    node = valueOfEntry(node, i);
  }
  setPath(leafDepth, node, 0);
  return leafDepth;
}

function leafFor(s: usize, key: f64): usize {
  let node = rootOf(s);
  for (let depth = ladderHeight(s); depth > 1; depth--) node = valueOfEntry(node, childFor(node, key));
  return node;
}

/** The value stored under `key`, or 0. */
export function ladderFind(s: usize, key: f64): usize {
  const best = ladderBestKey(s);
  if (key >= best) return key == best ? ladderBest(s) : 0;
  let leaf = bestLeaf(s);
  let i: u32 = 0;
  if (key >= keyOfEntry(leaf, 0)) {
    i = lowerBoundFromBest(leaf, key);
  } else {
    leaf = leafFor(s, key);
    orderLeaf(leaf);
    i = lowerBound(leaf, key);
  }
  return i < entries(leaf) && keyOfEntry(leaf, i) == key ? valueOfEntry(leaf, i) : 0;
}

@inline function refreshBest(s: usize): void {
  const leaf = bestLeaf(s);
  if (leaf == 0) {
    store<f64>(s, -Infinity, 0);
    store<u32>(s, 0, 8);
    return;
  }
  const last = entries(leaf) - 1;
  store<f64>(s, keyOfEntry(leaf, last), 0);
  store<u32>(s, <u32>valueOfEntry(leaf, last), 8);
}

// ---- insert
// ladderInsert and ladderRemove (and descend in them) are inlined into their one caller each,
// levels.ts's addLevel and removeLevel. On `wide` nearly every limit opens a level and nearly
// every cancel empties one, and the calls (each a prologue, a stack check, and the caller's live
// values spilled and reloaded around it) came to 41 instructions a command of its 1,366: WASM per
// call on wide 1.02-1.05x with reserveLevel's inlining (levels.ts), steady and LOBSTER unchanged
// (bench/README.md, stop 68).
/** Adds a key that is not in the ladder; only after reserveLadderNodes(s). */
@inline export function ladderInsert(s: usize, key: f64, value: usize): void {
  const leaf = bestLeaf(s);
  if (leaf == 0) {
    const first = takeNode();
    setEntries(first, 1);
    setWorse(first, 0);
    setBetter(first, 0);
    setKey(first, 0, key);
    setValue(first, 0, value);
    setRoot(s, first);
    setHeight(s, 1);
    setBestLeaf(s, first);
    setLeafOf(value, first);
  } else if (key > ladderBestKey(s) && entries(leaf) < NODE_CAP) {
    const n = entries(leaf);
    setKey(leaf, n, key);
    setValue(leaf, n, value);
    setEntries(leaf, n + 1);
    setLeafOf(value, leaf);
  } else if (key > keyOfEntry(leaf, 0) && entries(leaf) < NODE_CAP) {
    putEntryFromEnd(leaf, key, value);
    setLeafOf(value, leaf);
  } else {
    const depth = descend(s, key);
    const node = pathNode(depth);
    const n = entries(node);
    if (node != leaf && n < NODE_CAP) {
      // Not the rightmost leaf (which `leaf` is), so it may hold its entries in any order: the new
      // one goes last. The leaf counts as scrambled even if the key happens to be its largest:
      // reading its last key to know would be a second cache miss, waiting on the count's.
      setScrambled(node, true);
      setKey(node, n, key);
      setValue(node, n, value);
      setEntries(node, n + 1);
      setLeafOf(value, node);
    } else {
      orderLeaf(node);
      insertAt(s, depth, lowerBound(node, key), key, value);
    }
  }
  setLength(s, ladderLength(s) + 1);
  if (key > ladderBestKey(s)) {
    store<f64>(s, key, 0);
    store<u32>(s, <u32>value, 8);
  }
}

/** Opens entry i of a node that has room and fills it. */
@inline function putEntry(node: usize, i: u32, key: f64, value: usize): void {
  const n = entries(node);
  if (i < n) {
    memory.copy(node + KEYS + ((<usize>i + 1) << 3), node + KEYS + (<usize>i << 3), <usize>(n - i) << 3);
    memory.copy(node + VALUES + ((<usize>i + 1) << 2), node + VALUES + (<usize>i << 2), <usize>(n - i) << 2);
  }
  setKey(node, i, key);
  setValue(node, i, value);
  setEntries(node, n + 1);
}

/**
 * Puts a key into a node with room whose first key is below it, moving each larger key up one as
 * it passes it: the search and the shift in one pass from the end, where flow clusters. A refill
 * below the touch (sweep's, best level first) puts each key under those it just put, and a search
 * before the shift read those keys twice. The WASM core only: in the JS core (lowerBoundFromBest,
 * then putEntry) the same pass ran sweep 2-10% faster but growing, stops and steady-stops up to 5%
 * slower (docs/levels.md).
 */
@inline function putEntryFromEnd(node: usize, key: f64, value: usize): void {
  const n = entries(node);
  let j = n;
  while (true) {
    const above = keyOfEntry(node, j - 1);
    if (above < key) break;
    setKey(node, j, above);
    setValue(node, j, valueOfEntry(node, j - 1));
    j--;
  }
  setKey(node, j, key);
  setValue(node, j, value);
  setEntries(node, n + 1);
}

/** Inserts at slot i of the node on the recorded path at `depth`, splitting upwards as needed. */
function insertAt(s: usize, depth: u32, i: u32, key: f64, value: usize): void {
  const node = pathNode(depth);
  const isLeaf = depth == ladderHeight(s) - 1;
  if (entries(node) < NODE_CAP) {
    putEntry(node, i, key, value);
    if (isLeaf) setLeafOf(value, node);
    return;
  }
  const half = NODE_CAP >> 1;
  const right = takeNode();
  memory.copy(right + KEYS, node + KEYS + (<usize>half << 3), <usize>(NODE_CAP - half) << 3);
  memory.copy(right + VALUES, node + VALUES + (<usize>half << 2), <usize>(NODE_CAP - half) << 2);
  setEntries(right, NODE_CAP - half);
  setEntries(node, half);
  clearKeys(node, half);
  const better = betterNode(node);
  setWorse(right, node);
  setBetter(right, better);
  setBetter(node, right);
  if (better != 0) setWorse(better, right);
  if (node == bestLeaf(s)) setBestLeaf(s, right);
  if (i <= half) putEntry(node, i, key, value);
  else putEntry(right, i - half, key, value);
  if (isLeaf) {
    if (i <= half) setLeafOf(value, node);
    noteLeaf(right, 0);
  }
  // Every key of `right` is at least its first one, every key left behind is below it.
  const separator = keyOfEntry(right, 0);
  if (depth > 0) {
    insertAt(s, depth - 1, pathSlot(depth - 1) + 1, separator, right);
    return;
  }
  const root = takeNode();
  setEntries(root, 2);
  setWorse(root, 0);
  setBetter(root, 0);
  setKey(root, 0, keyOfEntry(node, 0));
  setValue(root, 0, node);
  setKey(root, 1, separator);
  setValue(root, 1, right);
  setRoot(s, root);
  setHeight(s, ladderHeight(s) + 1);
}

// ---- remove
/** Removes a key that is in the ladder, with its value (whose record says which leaf holds it). */
@inline export function ladderRemove(s: usize, key: f64, value: usize): void {
  const leaf = leafOf(value);
  const n = entries(leaf);
  const isBest = leaf == bestLeaf(s);
  // Only the best key's removal moves the best: any other leaves the best entry where it was
  // (or, after a merge, the same key and value in another leaf), so nothing is read back.
  const wasBest = key == ladderBestKey(s);
  if (isBest ? n > 1 : n > MIN_ENTRIES) {
    // The rightmost leaf never merges while it holds anything, another leaf not while it keeps
    // MIN_ENTRIES: no structural change, so no path.
    if (!isBest) takeOut(leaf, slotOfValue(leaf, value));
    else if (wasBest) closeEntry(leaf, n - 1);
    else closeEntryFromEnd(leaf, n, key);
  } else {
    const depth = descend(s, key);
    removeAt(s, depth, slotOfValue(leaf, value));
  }
  setLength(s, ladderLength(s) - 1);
  if (wasBest) refreshBest(s);
}

/**
 * Removes `key` from the rightmost leaf (n entries, the key not its last), moving each better
 * entry down one as it passes it: the search and the shift in one pass from the end, where flow
 * clusters, where a search from the end and then the shift read those entries twice.
 */
@inline function closeEntryFromEnd(leaf: usize, n: u32, key: f64): void {
  let j = n - 1;
  let carriedKey = keyOfEntry(leaf, j);
  let carriedValue = valueOfEntry(leaf, j);
  setKey(leaf, j, NO_KEY);
  while (true) {
    j--;
    const k = keyOfEntry(leaf, j);
    const v = valueOfEntry(leaf, j);
    setKey(leaf, j, carriedKey);
    setValue(leaf, j, carriedValue);
    if (k == key) break;
    carriedKey = k;
    carriedValue = v;
  }
  setEntries(leaf, n - 1);
}

/** Removes entry i of a leaf other than the rightmost: its last entry takes the place. */
@inline function takeOut(leaf: usize, i: u32): void {
  const n = entries(leaf) - 1;
  if (i < n) {
    setKey(leaf, i, keyOfEntry(leaf, n));
    setValue(leaf, i, valueOfEntry(leaf, n));
    setScrambled(leaf, true);
  }
  setKey(leaf, n, NO_KEY);
  setEntries(leaf, n);
}

/** Puts a leaf's entries in key order: an insertion sort, since a scrambled leaf is mostly in order. */
function sortLeaf(leaf: usize): void {
  const n = entries(leaf);
  for (let i: u32 = 1; i < n; i++) {
    const key = keyOfEntry(leaf, i);
    const value = valueOfEntry(leaf, i);
    let j = i;
    while (j > 0 && keyOfEntry(leaf, j - 1) > key) {
      setKey(leaf, j, keyOfEntry(leaf, j - 1));
      setValue(leaf, j, valueOfEntry(leaf, j - 1));
      j--;
    }
    setKey(leaf, j, key);
    setValue(leaf, j, value);
  }
  setScrambled(leaf, false);
}

@inline function orderLeaf(leaf: usize): void {
  if (isScrambled(leaf)) sortLeaf(leaf);
}

@inline function closeEntry(node: usize, i: u32): void {
  const n = entries(node) - 1;
  if (i < n) {
    memory.copy(node + KEYS + (<usize>i << 3), node + KEYS + ((<usize>i + 1) << 3), <usize>(n - i) << 3);
    memory.copy(node + VALUES + (<usize>i << 2), node + VALUES + ((<usize>i + 1) << 2), <usize>(n - i) << 2);
  }
  setKey(node, n, NO_KEY);
  setEntries(node, n);
}

/** Removes slot i of the node on the recorded path at `depth`, then repairs the tree upwards. */
function removeAt(s: usize, depth: u32, i: u32): void {
  const node = pathNode(depth);
  closeEntry(node, i);
  if (depth == 0) {
    shrinkRoot(s);
    return;
  }
  const n = entries(node);
  if (n == 0) {
    unlinkNode(s, node);
    giveNode(node);
    removeAt(s, depth - 1, pathSlot(depth - 1));
  } else if (n < MIN_ENTRIES && node != bestLeaf(s)) {
    mergeWithNeighbour(s, depth);
  }
}

function shrinkRoot(s: usize): void {
  let root = rootOf(s);
  if (entries(root) == 0) {
    giveNode(root);
    setRoot(s, 0);
    setHeight(s, 0);
    setBestLeaf(s, 0);
    return;
  }
  while (ladderHeight(s) > 1 && entries(root) == 1) {
    const child = valueOfEntry(root, 0);
    setKey(root, 0, NO_KEY);
    giveNode(root);
    root = child;
    setHeight(s, ladderHeight(s) - 1);
  }
  setRoot(s, root);
}

@inline function unlinkNode(s: usize, node: usize): void {
  const worse = worseNode(node);
  const better = betterNode(node);
  if (worse != 0) setBetter(worse, better);
  if (better != 0) setWorse(better, worse);
  if (node == bestLeaf(s)) {
    // The rightmost leaf holds its entries in order.
    setBestLeaf(s, worse);
    if (worse != 0) orderLeaf(worse);
  }
}

/** An underfull node on the path at `depth` joins a neighbour under the same parent if both fit. */
function mergeWithNeighbour(s: usize, depth: u32): void {
  const node = pathNode(depth);
  const parent = pathNode(depth - 1);
  const i = pathSlot(depth - 1);
  const isLeaf = depth == ladderHeight(s) - 1;
  if (i > 0) {
    const left = valueOfEntry(parent, i - 1);
    if (entries(left) + entries(node) <= MERGE_LIMIT) {
      absorb(s, left, node, keyOfEntry(parent, i), isLeaf);
      removeAt(s, depth - 1, i);
      return;
    }
  }
  if (i + 1 < entries(parent)) {
    const right = valueOfEntry(parent, i + 1);
    if (entries(node) + entries(right) <= MERGE_LIMIT) {
      absorb(s, node, right, keyOfEntry(parent, i + 1), isLeaf);
      removeAt(s, depth - 1, i + 1);
    }
  }
}

/** Appends every entry of `right` to its worse neighbour `left` and frees `right`. */
function absorb(s: usize, left: usize, right: usize, separator: f64, isLeaf: bool): void {
  const n = entries(left);
  const m = entries(right);
  memory.copy(left + KEYS + (<usize>n << 3), right + KEYS, <usize>m << 3);
  memory.copy(left + VALUES + (<usize>n << 2), right + VALUES, <usize>m << 2);
  // An inner node's first key is never consulted, so it may be stale; the parent's is a valid bound.
  if (!isLeaf) setKey(left, n, separator);
  setEntries(left, n + m);
  if (isLeaf) {
    noteLeaf(left, n);
    if (isScrambled(right)) setScrambled(left, true);
  }
  unlinkNode(s, right); // the rightmost leaf, if absorbed, passes to its worse neighbour: `left`
  clearKeys(right, 0);
  giveNode(right);
}

// ---- walking best-first: a position is (leaf << 32) | slot; 0 is past the worst entry
export const NO_POSITION: u64 = 0;

@inline function position(leaf: usize, slot: u32): u64 {
  return (<u64>leaf << 32) | <u64>slot;
}

/** The position of the best entry, or NO_POSITION for an empty ladder. */
@inline export function bestPosition(s: usize): u64 {
  const leaf = bestLeaf(s);
  return leaf == 0 ? NO_POSITION : position(leaf, entries(leaf) - 1);
}

/** The next worse position, or NO_POSITION after the worst. */
@inline export function worsePosition(at: u64): u64 {
  if (<u32>at != 0) return at - 1;
  const worse = worseNode(<usize>(at >> 32));
  if (worse == 0) return NO_POSITION;
  orderLeaf(worse);
  return position(worse, entries(worse) - 1);
}

@inline export function keyAt(at: u64): f64 {
  return keyOfEntry(<usize>(at >> 32), <u32>at);
}

@inline export function valueAt(at: u64): usize {
  return valueOfEntry(<usize>(at >> 32), <u32>at);
}

/** The value `rank` places from the best (0 = best); rank < ladderLength(s). */
export function ladderValueByRank(s: usize, rank: u32): usize {
  let leaf = bestLeaf(s);
  while (rank >= entries(leaf)) {
    rank -= entries(leaf);
    leaf = worseNode(leaf);
  }
  orderLeaf(leaf);
  return valueOfEntry(leaf, entries(leaf) - 1 - rank);
}

// ---- bulk build (restore): entries arrive best first into an empty ladder, leaves are filled
// to BUILD_FILL and evened out, then each tree level is built over the one below.
let buildLeaf: usize = 0;
let buildSlot: u32 = 0;
let buildLeaves: u32 = 0;
let buildLeavesLeft: u32 = 0;
let buildLeft: u32 = 0;

@inline function nodesOver(count: u32): u32 {
  return (count + BUILD_FILL - 1) / BUILD_FILL;
}

/** Prepares an empty ladder for `n` entries from buildNextWorse; false when memory cannot grow. */
export function beginLadderBuild(s: usize, n: u32): bool {
  let nodes: u32 = 0;
  for (let level = nodesOver(n); ; level = nodesOver(level)) {
    nodes += level;
    if (level <= 1) break;
  }
  if (!topUpSpares(nodes)) return false;
  buildLeaf = 0;
  buildSlot = 0;
  buildLeaves = nodesOver(n);
  buildLeavesLeft = buildLeaves;
  buildLeft = n;
  return true;
}

/** Puts the next entry, worse than every one before it. */
export function buildNextWorse(s: usize, key: f64, value: usize): void {
  if (buildSlot == 0) {
    // Even leaves: this one takes its share of what is left.
    const count = (buildLeft + buildLeavesLeft - 1) / buildLeavesLeft;
    buildLeavesLeft--;
    const leaf = takeNode();
    setEntries(leaf, count);
    setWorse(leaf, 0);
    setBetter(leaf, buildLeaf);
    if (buildLeaf == 0) setBestLeaf(s, leaf);
    else setWorse(buildLeaf, leaf);
    buildLeaf = leaf;
    buildSlot = count;
  }
  buildSlot--;
  buildLeft--;
  setKey(buildLeaf, buildSlot, key);
  setValue(buildLeaf, buildSlot, value);
  setLeafOf(value, buildLeaf);
}

/** Builds the inner levels over the leaves; `n` entries were put. */
export function endLadderBuild(s: usize, n: u32): void {
  let first = buildLeaf; // the worst node of the level being covered
  let count = buildLeaves;
  let height: u32 = 1;
  while (count > 1) {
    const parents = nodesOver(count);
    let left = parents;
    let child = first;
    let previous: usize = 0;
    first = 0;
    while (child != 0) {
      const take = (count + left - 1) / left;
      left--;
      count -= take;
      const parent = takeNode();
      setWorse(parent, previous);
      setBetter(parent, 0);
      if (previous == 0) first = parent;
      else setBetter(previous, parent);
      for (let i: u32 = 0; i < take; i++) {
        setKey(parent, i, keyOfEntry(child, 0));
        setValue(parent, i, child);
        child = betterNode(child);
      }
      setEntries(parent, take);
      previous = parent;
    }
    count = parents;
    height++;
  }
  setRoot(s, first);
  setHeight(s, n == 0 ? 0 : height);
  setLength(s, n);
  refreshBest(s);
}

// ---- self-check (tests): 0 when every invariant holds, else the number of the first that fails
let checkedEntries: u32 = 0;
let checkedSide: usize = 0;
/** Per tree level (0 = leaves), the last node met in key order: neighbour links are checked against it. */
const checkedLast: usize = memory.data(<i32>MAX_HEIGHT * 4, 4);
@inline function lastChecked(below: u32): usize { return <usize>load<u32>(checkedLast + (<usize>below << 2)); }

export function checkLadder(s: usize): i32 {
  // Nodes go back to the spares with no key left in them: takeNode hands them out as they are.
  for (let node = spareNodes; node != 0; node = worseNode(node)) {
    for (let i: u32 = 0; i < NODE_CAP; i++) if (keyOfEntry(node, i) != NO_KEY) return 17;
  }
  const height = ladderHeight(s);
  if (height == 0) {
    if (rootOf(s) != 0 || bestLeaf(s) != 0 || ladderLength(s) != 0) return 1;
    return ladderBestKey(s) == -Infinity && ladderBest(s) == 0 ? 0 : 2;
  }
  if (height > MAX_HEIGHT) return 3;
  const root = rootOf(s);
  if (height > 1 && entries(root) < 2) return 4;
  checkedEntries = 0;
  checkedSide = s;
  memory.fill(checkedLast, 0, MAX_HEIGHT * 4);
  const bad = checkNode(root, height - 1, -Infinity, Infinity);
  if (bad != 0) return bad;
  if (checkedEntries != ladderLength(s)) return 5;
  for (let below: u32 = 0; below < height; below++) if (betterNode(lastChecked(below)) != 0) return 6;
  const leaf = lastChecked(0);
  if (leaf != bestLeaf(s)) return 6;
  const last = entries(leaf) - 1;
  if (ladderBestKey(s) != keyOfEntry(leaf, last) || ladderBest(s) != valueOfEntry(leaf, last)) return 7;
  return 0;
}

/** Keys of `node` (at `below` levels above the leaves) lie in [low, high); each tree level chains in order. */
function checkNode(node: usize, below: u32, low: f64, high: f64): i32 {
  const n = entries(node);
  if (n == 0 || n > NODE_CAP) return 10;
  for (let i = n; i < NODE_CAP; i++) if (keyOfEntry(node, i) != NO_KEY) return 16;
  // An inner node's first key is never consulted (it may be stale), so ordering starts after it.
  // A scrambled leaf's keys are in no order, but in range (below); no other node is scrambled.
  if (!isScrambled(node)) {
    for (let i: u32 = below == 0 ? 1 : 2; i < n; i++) if (!(keyOfEntry(node, i - 1) < keyOfEntry(node, i))) return 11;
  } else if (below != 0 || node == bestLeaf(checkedSide)) {
    return 19;
  }
  const previous = lastChecked(below);
  if (worseNode(node) != previous) return 13;
  if (previous != 0 && betterNode(previous) != node) return 14;
  store<u32>(checkedLast + (<usize>below << 2), <u32>node);
  if (below == 0) {
    for (let i: u32 = 0; i < n; i++) if (keyOfEntry(node, i) < low || keyOfEntry(node, i) >= high) return 12;
    for (let i: u32 = 0; i < n; i++) if (leafOf(valueOfEntry(node, i)) != node) return 18;
    checkedEntries += n;
    return 0;
  }
  for (let i: u32 = 0; i < n; i++) {
    const childLow = i == 0 ? low : keyOfEntry(node, i);
    const childHigh = i + 1 < n ? keyOfEntry(node, i + 1) : high;
    if (childLow < low || childHigh > high) return 15;
    const bad = checkNode(valueOfEntry(node, i), below - 1, childLow, childHigh);
    if (bad != 0) return bad;
  }
  return 0;
}
