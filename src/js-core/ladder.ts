// A side's price ladder: level keys (larger is better) mapped to level slots, in a B+tree whose
// touch is cached (mirrors assembly/ladder.ts function for function; the design and why are in
// that file's header, the figures in docs/levels.md).
//
// Nodes are slots in parallel typed arrays (struct of arrays): a node's entries are Tree.NODE_CAP
// consecutive elements of `keys` and `values` from node * Tree.NODE_CAP, so a walk position is simply
// that flat index. Ladders (one per side index) keep their header in per-ladder arrays. The node
// arrays grow by doubling when the free list runs dry, which only an insert or a build can cause.
// The leaf holding each value, which the WASM core keeps in the value's level record, is kept here
// by value in `leafOf` (values are level slots, small integers below the capacity the levels give it).
// A leaf other than the rightmost may hold its entries in any order (`scrambled`), as in the WASM
// core: its file's header says how and why.
import { No } from './codes.js';
import { growFloat64, growInt32, Successors } from './typed-arrays.js';

// Sizes as a const enum, compiled to literals: a module constant is a context load at each use
// (codes.ts says why that counts). "No node, no value, no position" is No.SLOT and No.POSITION.
const enum Tree {
  NODE_CAP = 32,
  NODE_SHIFT = 5, // log2(NODE_CAP)
  /** A node below this many entries (other than the rightmost leaf) tries to merge. */
  MIN_ENTRIES = NODE_CAP / 4,
  /** Two neighbours merge only if the result leaves a quarter of a node free for inserts. */
  MERGE_LIMIT = (NODE_CAP * 3) / 4,
  /** Entries per node in a bulk build: room for inserts without an immediate split. */
  BUILD_FILL = (NODE_CAP * 3) / 4,
  MAX_HEIGHT = 16,
  /** Entries of the rightmost leaf scanned from its end before a binary search. */
  NEAR_TOUCH = 8,
  INITIAL_LADDERS = 32,
  INITIAL_NODES = 16,
}

export class Ladders {
  // ---- per ladder (side index)
  /** The best key, or -Infinity when empty. */
  bestKey: Float64Array = new Float64Array(Tree.INITIAL_LADDERS).fill(-Infinity);
  /** The value of the best key, or No.SLOT. */
  best: Int32Array = new Int32Array(Tree.INITIAL_LADDERS).fill(No.SLOT);
  private bestLeaf: Int32Array = new Int32Array(Tree.INITIAL_LADDERS).fill(No.SLOT);
  private root: Int32Array = new Int32Array(Tree.INITIAL_LADDERS).fill(No.SLOT);
  length: Int32Array = new Int32Array(Tree.INITIAL_LADDERS);
  height: Int32Array = new Int32Array(Tree.INITIAL_LADDERS);

  // ---- nodes
  private keys: Float64Array;
  private values: Int32Array;
  private entries: Int32Array;
  private worse: Int32Array;
  private better: Int32Array;
  /** Per node: 1 for a leaf whose entries are out of key order (never the rightmost leaf, never an inner node). */
  private scrambled: Uint8Array;
  /** Nodes the arrays hold (they grow by doubling). */
  nodeCapacity: number;
  private highWater = 0;
  private spareNodes = No.SLOT;
  /** Nodes in use. */
  liveNodes = 0;
  /** The next node arrays, readied while the pool fills the second half of these (typed-arrays.ts). */
  private readonly nodeSuccessors = new Successors(6);
  /** The next leafOf, readied as the levels ready theirs. */
  private readonly valueSuccessors = new Successors(1);

  /** Per value: the leaf holding it, so a removal starts at its leaf (maintained where entries change leaves). */
  private leafOf: Int32Array;

  /** The descent path of the last search: node and slot at each depth (root at 0). */
  private readonly pathNodes = new Int32Array(Tree.MAX_HEIGHT);
  private readonly pathSlots = new Int32Array(Tree.MAX_HEIGHT);

  /** Room for `nodes` nodes before anything grows, and for values below `values` (growValues raises it). */
  constructor(nodes: number = Tree.INITIAL_NODES, values: number = nodes * Tree.NODE_CAP) {
    const capacity = Math.max(Tree.INITIAL_NODES, nodes);
    this.keys = new Float64Array(capacity * Tree.NODE_CAP);
    this.values = new Int32Array(capacity * Tree.NODE_CAP);
    this.entries = new Int32Array(capacity);
    this.worse = new Int32Array(capacity);
    this.better = new Int32Array(capacity);
    this.scrambled = new Uint8Array(capacity);
    this.nodeCapacity = capacity;
    this.leafOf = new Int32Array(values);
  }

  /** Makes ladder `s` exist and empty (ladders are numbered 0, 1, 2...). */
  initLadder(s: number): void {
    if (s >= this.best.length) this.growLadders(Math.max(s + 1, this.best.length * 2));
    this.bestKey[s] = -Infinity;
    this.best[s] = No.SLOT;
    this.bestLeaf[s] = No.SLOT;
    this.root[s] = No.SLOT;
    this.length[s] = 0;
    this.height[s] = 0;
  }

  ladderBestKey(s: number): number {
    return this.bestKey[s];
  }

  ladderBest(s: number): number {
    return this.best[s];
  }

  ladderLength(s: number): number {
    return this.length[s];
  }

  ladderHeight(s: number): number {
    return this.height[s];
  }

  bytes(): number {
    return this.keys.byteLength + this.values.byteLength + this.entries.byteLength * 3 + this.scrambled.byteLength + this.leafOf.byteLength +
      this.bestKey.byteLength + this.best.byteLength * 5 + this.nodeSuccessors.bytes() + this.valueSuccessors.bytes();
  }

  // ---- search
  /** The first entry of `node` whose key is >= key (its entry count when none is). */
  private lowerBound(node: number, key: number): number {
    return this.lowerBoundIn(node, this.entries[node], key);
  }

  /**
   * Flow clusters at the touch, so the rightmost leaf is searched from its end: a few compares
   * find the usual key, and a binary search takes over past Tree.NEAR_TOUCH entries.
   */
  private lowerBoundFromBest(leaf: number, key: number): number {
    const keys = this.keys;
    const base = leaf << Tree.NODE_SHIFT;
    const n = this.entries[leaf];
    const stop = n > Tree.NEAR_TOUCH ? n - Tree.NEAR_TOUCH : 0;
    let i = n;
    while (i > stop && keys[base + i - 1] >= key) i--;
    return i > stop || i === 0 ? i : this.lowerBoundIn(leaf, i, key);
  }

  // A binary search here, where the WASM core counts the keys below with f64x2 compares over a
  // node padded with +Infinity (assembly/ladder.ts countKeys): V8 compiles the count's
  // compare-and-add with a branch per key, and on wide the count ran 8% slower than this search
  // (JS core alone, 30 alternated pairs), where in WASM it ran 11% faster. A branch-free form of
  // this search did not pay either (docs/levels.md).
  private lowerBoundIn(node: number, count: number, key: number): number {
    const keys = this.keys;
    const base = node << Tree.NODE_SHIFT;
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[base + mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The child of an inner node whose key range holds `key`: the last entry with key <= key, or 0. */
  private childFor(node: number, key: number): number {
    const keys = this.keys;
    const base = node << Tree.NODE_SHIFT;
    let lo = 1;
    let hi = this.entries[node];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[base + mid] <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Descends to the leaf where `key` is or belongs, recording the path; returns the leaf's depth. */
  private descend(s: number, key: number): number {
    let node = this.root[s];
    const leafDepth = this.height[s] - 1;
    for (let depth = 0; depth < leafDepth; depth++) {
      const i = this.childFor(node, key);
      this.pathNodes[depth] = node;
      this.pathSlots[depth] = i;
      node = this.values[(node << Tree.NODE_SHIFT) + i];
    }
    this.pathNodes[leafDepth] = node;
    this.pathSlots[leafDepth] = 0; // the caller's: a scrambled leaf has no slot by key
    return leafDepth;
  }

  private leafFor(s: number, key: number): number {
    let node = this.root[s];
    for (let depth = this.height[s]; depth > 1; depth--) node = this.values[(node << Tree.NODE_SHIFT) + this.childFor(node, key)];
    return node;
  }

  /** The value stored under `key`, or No.SLOT. */
  ladderFind(s: number, key: number): number {
    const best = this.bestKey[s];
    if (key >= best) return key === best ? this.best[s] : No.SLOT;
    let leaf = this.bestLeaf[s];
    let i: number;
    if (key >= this.keys[leaf << Tree.NODE_SHIFT]) {
      i = this.lowerBoundFromBest(leaf, key);
    } else {
      leaf = this.leafFor(s, key);
      this.orderLeaf(leaf);
      i = this.lowerBound(leaf, key);
    }
    const at = (leaf << Tree.NODE_SHIFT) + i;
    return i < this.entries[leaf] && this.keys[at] === key ? this.values[at] : No.SLOT;
  }

  private refreshBest(s: number): void {
    const leaf = this.bestLeaf[s];
    if (leaf === No.SLOT) {
      this.bestKey[s] = -Infinity;
      this.best[s] = No.SLOT;
      return;
    }
    const last = (leaf << Tree.NODE_SHIFT) + this.entries[leaf] - 1;
    this.bestKey[s] = this.keys[last];
    this.best[s] = this.values[last];
  }

  // ---- insert
  /** Adds a key that is not in the ladder. */
  ladderInsert(s: number, key: number, value: number): void {
    const leaf = this.bestLeaf[s];
    if (leaf === No.SLOT) {
      const first = this.takeNode();
      this.entries[first] = 1;
      this.worse[first] = No.SLOT;
      this.better[first] = No.SLOT;
      this.keys[first << Tree.NODE_SHIFT] = key;
      this.values[first << Tree.NODE_SHIFT] = value;
      this.root[s] = first;
      this.height[s] = 1;
      this.bestLeaf[s] = first;
      this.setLeafOf(value, first);
    } else if (key > this.bestKey[s] && this.entries[leaf] < Tree.NODE_CAP) {
      const at = (leaf << Tree.NODE_SHIFT) + this.entries[leaf]++;
      this.keys[at] = key;
      this.values[at] = value;
      this.setLeafOf(value, leaf);
    } else if (key > this.keys[leaf << Tree.NODE_SHIFT] && this.entries[leaf] < Tree.NODE_CAP) {
      // A search, then the shift: the WASM core does both in one pass from the end
      // (putEntryFromEnd), which here ran sweep faster but growing and the stop workloads slower.
      this.putEntry(leaf, this.lowerBoundFromBest(leaf, key), key, value);
      this.setLeafOf(value, leaf);
    } else {
      const depth = this.descend(s, key);
      const node = this.pathNodes[depth];
      const n = this.entries[node];
      if (node !== leaf && n < Tree.NODE_CAP) {
        // Not the rightmost leaf (which `leaf` is), so it may hold its entries in any order: the
        // new one goes last (scrambled even if the key happens to be its largest, as in the WASM core).
        const at = (node << Tree.NODE_SHIFT) + n;
        this.scrambled[node] = 1;
        this.keys[at] = key;
        this.values[at] = value;
        this.entries[node] = n + 1;
        this.setLeafOf(value, node);
      } else {
        this.orderLeaf(node);
        this.insertAt(s, depth, this.lowerBound(node, key), key, value);
      }
    }
    this.length[s]++;
    if (key > this.bestKey[s]) {
      this.bestKey[s] = key;
      this.best[s] = value;
    }
  }

  /** Opens entry i of a node that has room and fills it. */
  private putEntry(node: number, i: number, key: number, value: number): void {
    const keys = this.keys;
    const values = this.values;
    const base = node << Tree.NODE_SHIFT;
    // A loop: copyWithin's call costs more than moving a node's few entries by hand.
    for (let j = base + this.entries[node]; j > base + i; j--) {
      keys[j] = keys[j - 1];
      values[j] = values[j - 1];
    }
    keys[base + i] = key;
    values[base + i] = value;
    this.entries[node]++;
  }

  /** Inserts at slot i of the node on the recorded path at `depth`, splitting upwards as needed. */
  private insertAt(s: number, depth: number, i: number, key: number, value: number): void {
    const node = this.pathNodes[depth];
    const isLeaf = depth === this.height[s] - 1;
    if (this.entries[node] < Tree.NODE_CAP) {
      this.putEntry(node, i, key, value);
      if (isLeaf) this.setLeafOf(value, node);
      return;
    }
    const half = Tree.NODE_CAP >> 1;
    const right = this.takeNode();
    const from = (node << Tree.NODE_SHIFT) + half;
    this.keys.copyWithin(right << Tree.NODE_SHIFT, from, from + Tree.NODE_CAP - half);
    this.values.copyWithin(right << Tree.NODE_SHIFT, from, from + Tree.NODE_CAP - half);
    this.entries[right] = Tree.NODE_CAP - half;
    this.entries[node] = half;
    const better = this.better[node];
    this.worse[right] = node;
    this.better[right] = better;
    this.better[node] = right;
    if (better !== No.SLOT) this.worse[better] = right;
    if (node === this.bestLeaf[s]) this.bestLeaf[s] = right;
    if (i <= half) this.putEntry(node, i, key, value);
    else this.putEntry(right, i - half, key, value);
    if (isLeaf) {
      if (i <= half) this.setLeafOf(value, node);
      this.noteLeaf(right, 0);
    }
    // Every key of `right` is at least its first one, every key left behind is below it.
    const separator = this.keys[right << Tree.NODE_SHIFT];
    if (depth > 0) {
      this.insertAt(s, depth - 1, this.pathSlots[depth - 1] + 1, separator, right);
      return;
    }
    const root = this.takeNode();
    const base = root << Tree.NODE_SHIFT;
    this.entries[root] = 2;
    this.worse[root] = No.SLOT;
    this.better[root] = No.SLOT;
    this.keys[base] = this.keys[node << Tree.NODE_SHIFT];
    this.values[base] = node;
    this.keys[base + 1] = separator;
    this.values[base + 1] = right;
    this.root[s] = root;
    this.height[s]++;
  }

  // ---- remove
  /** Removes a key that is in the ladder, with its value (`leafOf` says which leaf holds it). */
  ladderRemove(s: number, key: number, value: number): void {
    const leaf = this.leafOf[value];
    const n = this.entries[leaf];
    const isBest = leaf === this.bestLeaf[s];
    // Only the best key's removal moves the best: any other leaves the best entry where it was
    // (or, after a merge, the same key and value in another leaf), so nothing is read back.
    const wasBest = key === this.bestKey[s];
    if (isBest ? n > 1 : n > Tree.MIN_ENTRIES) {
      // The rightmost leaf never merges while it holds anything, another leaf not while it keeps
      // Tree.MIN_ENTRIES: no structural change, so no path.
      if (!isBest) this.takeOut(leaf, this.slotOfValue(leaf, value));
      else if (wasBest) this.entries[leaf] = n - 1;
      else this.closeEntryFromEnd(leaf, n, key);
    } else {
      const depth = this.descend(s, key);
      this.removeAt(s, depth, this.slotOfValue(leaf, value));
    }
    this.length[s]--;
    if (wasBest) this.refreshBest(s);
  }

  /**
   * Removes `key` from the rightmost leaf (n entries, the key not its last), moving each better
   * entry down one as it passes it: the search and the shift in one pass from the end, where
   * flow clusters, where a search from the end and then the shift read those entries twice.
   */
  private closeEntryFromEnd(leaf: number, n: number, key: number): void {
    const keys = this.keys;
    const values = this.values;
    let j = (leaf << Tree.NODE_SHIFT) + n - 1;
    let carriedKey = keys[j];
    let carriedValue = values[j];
    for (;;) {
      j--;
      const k = keys[j];
      const v = values[j];
      keys[j] = carriedKey;
      values[j] = carriedValue;
      if (k === key) break;
      carriedKey = k;
      carriedValue = v;
    }
    this.entries[leaf] = n - 1;
  }

  /** Removes entry i of a leaf other than the rightmost: its last entry takes the place. */
  private takeOut(leaf: number, i: number): void {
    const n = --this.entries[leaf];
    if (i < n) {
      const base = leaf << Tree.NODE_SHIFT;
      this.keys[base + i] = this.keys[base + n];
      this.values[base + i] = this.values[base + n];
      this.scrambled[leaf] = 1;
    }
  }

  /** The entry of `leaf` that holds `value` (it must): a scrambled leaf's keys say nothing of where it is. */
  private slotOfValue(leaf: number, value: number): number {
    const values = this.values;
    const base = leaf << Tree.NODE_SHIFT;
    let i = 0;
    while (values[base + i] !== value) i++;
    return i;
  }

  private orderLeaf(leaf: number): void {
    if (this.scrambled[leaf] !== 0) this.sortLeaf(leaf);
  }

  /** Puts a leaf's entries in key order: an insertion sort, since a scrambled leaf is mostly in order. */
  private sortLeaf(leaf: number): void {
    const keys = this.keys;
    const values = this.values;
    const base = leaf << Tree.NODE_SHIFT;
    const end = base + this.entries[leaf];
    for (let i = base + 1; i < end; i++) {
      const key = keys[i];
      const value = values[i];
      let j = i;
      for (; j > base && keys[j - 1] > key; j--) {
        keys[j] = keys[j - 1];
        values[j] = values[j - 1];
      }
      keys[j] = key;
      values[j] = value;
    }
    this.scrambled[leaf] = 0;
  }

  private closeEntry(node: number, i: number): void {
    const keys = this.keys;
    const values = this.values;
    const base = node << Tree.NODE_SHIFT;
    const end = base + --this.entries[node];
    for (let j = base + i; j < end; j++) {
      keys[j] = keys[j + 1];
      values[j] = values[j + 1];
    }
  }

  /** Removes slot i of the node on the recorded path at `depth`, then repairs the tree upwards. */
  private removeAt(s: number, depth: number, i: number): void {
    const node = this.pathNodes[depth];
    this.closeEntry(node, i);
    if (depth === 0) {
      this.shrinkRoot(s);
      return;
    }
    const n = this.entries[node];
    if (n === 0) {
      this.unlinkNode(s, node);
      this.giveNode(node);
      this.removeAt(s, depth - 1, this.pathSlots[depth - 1]);
    } else if (n < Tree.MIN_ENTRIES && node !== this.bestLeaf[s]) {
      this.mergeWithNeighbour(s, depth);
    }
  }

  private shrinkRoot(s: number): void {
    let root = this.root[s];
    if (this.entries[root] === 0) {
      this.giveNode(root);
      this.root[s] = No.SLOT;
      this.height[s] = 0;
      this.bestLeaf[s] = No.SLOT;
      return;
    }
    while (this.height[s] > 1 && this.entries[root] === 1) {
      const child = this.values[root << Tree.NODE_SHIFT];
      this.giveNode(root);
      root = child;
      this.height[s]--;
    }
    this.root[s] = root;
  }

  private unlinkNode(s: number, node: number): void {
    const worse = this.worse[node];
    const better = this.better[node];
    if (worse !== No.SLOT) this.better[worse] = better;
    if (better !== No.SLOT) this.worse[better] = worse;
    if (node === this.bestLeaf[s]) {
      // The rightmost leaf holds its entries in order.
      this.bestLeaf[s] = worse;
      if (worse !== No.SLOT) this.orderLeaf(worse);
    }
  }

  /** An underfull node on the path at `depth` joins a neighbour under the same parent if both fit. */
  private mergeWithNeighbour(s: number, depth: number): void {
    const node = this.pathNodes[depth];
    const parent = this.pathNodes[depth - 1];
    const i = this.pathSlots[depth - 1];
    const isLeaf = depth === this.height[s] - 1;
    const siblings = parent << Tree.NODE_SHIFT;
    if (i > 0) {
      const left = this.values[siblings + i - 1];
      if (this.entries[left] + this.entries[node] <= Tree.MERGE_LIMIT) {
        this.absorb(s, left, node, this.keys[siblings + i], isLeaf);
        this.removeAt(s, depth - 1, i);
        return;
      }
    }
    if (i + 1 < this.entries[parent]) {
      const right = this.values[siblings + i + 1];
      if (this.entries[node] + this.entries[right] <= Tree.MERGE_LIMIT) {
        this.absorb(s, node, right, this.keys[siblings + i + 1], isLeaf);
        this.removeAt(s, depth - 1, i + 1);
      }
    }
  }

  /** Appends every entry of `right` to its worse neighbour `left` and frees `right`. */
  private absorb(s: number, left: number, right: number, separator: number, isLeaf: boolean): void {
    const n = this.entries[left];
    const m = this.entries[right];
    const to = (left << Tree.NODE_SHIFT) + n;
    const from = right << Tree.NODE_SHIFT;
    this.keys.copyWithin(to, from, from + m);
    this.values.copyWithin(to, from, from + m);
    // An inner node's first key is never consulted, so it may be stale; the parent's is a valid bound.
    if (!isLeaf) this.keys[to] = separator;
    this.entries[left] = n + m;
    if (isLeaf) {
      this.noteLeaf(left, n);
      if (this.scrambled[right] !== 0) this.scrambled[left] = 1;
    }
    this.unlinkNode(s, right); // the rightmost leaf, if absorbed, passes to its worse neighbour: `left`
    this.giveNode(right);
  }

  // ---- walking best-first: a position is the flat index of an entry (node * Tree.NODE_CAP + slot)
  /** The position of the best entry, or No.POSITION for an empty ladder. */
  bestPosition(s: number): number {
    const leaf = this.bestLeaf[s];
    return leaf === No.SLOT ? No.POSITION : (leaf << Tree.NODE_SHIFT) + this.entries[leaf] - 1;
  }

  /** The next worse position, or No.POSITION after the worst. */
  worsePosition(at: number): number {
    if ((at & (Tree.NODE_CAP - 1)) !== 0) return at - 1;
    const worse = this.worse[at >> Tree.NODE_SHIFT];
    if (worse === No.SLOT) return No.POSITION;
    this.orderLeaf(worse);
    return (worse << Tree.NODE_SHIFT) + this.entries[worse] - 1;
  }

  keyAt(at: number): number {
    return this.keys[at];
  }

  valueAt(at: number): number {
    return this.values[at];
  }

  /** The value `rank` places from the best (0 = best); rank < ladderLength(s). */
  ladderValueByRank(s: number, rank: number): number {
    let leaf = this.bestLeaf[s];
    while (rank >= this.entries[leaf]) {
      rank -= this.entries[leaf];
      leaf = this.worse[leaf];
    }
    this.orderLeaf(leaf);
    return this.values[(leaf << Tree.NODE_SHIFT) + this.entries[leaf] - 1 - rank];
  }

  // ---- bulk build (restore): entries arrive best first into an empty ladder, leaves are filled
  // to Tree.BUILD_FILL and evened out, then each tree level is built over the one below.
  private buildLeaf = No.SLOT;
  private buildSlot = 0;
  private buildLeaves = 0;
  private buildLeavesLeft = 0;
  private buildLeft = 0;

  /** Prepares an empty ladder for `n` entries from buildNextWorse. */
  beginLadderBuild(_s: number, n: number): void {
    this.buildLeaf = No.SLOT;
    this.buildSlot = 0;
    this.buildLeaves = nodesOver(n);
    this.buildLeavesLeft = this.buildLeaves;
    this.buildLeft = n;
  }

  /** Puts the next entry, worse than every one before it. */
  buildNextWorse(s: number, key: number, value: number): void {
    if (this.buildSlot === 0) {
      // Even leaves: this one takes its share of what is left.
      const count = Math.ceil(this.buildLeft / this.buildLeavesLeft--);
      const leaf = this.takeNode();
      this.entries[leaf] = count;
      this.worse[leaf] = No.SLOT;
      this.better[leaf] = this.buildLeaf;
      if (this.buildLeaf === No.SLOT) this.bestLeaf[s] = leaf;
      else this.worse[this.buildLeaf] = leaf;
      this.buildLeaf = leaf;
      this.buildSlot = count;
    }
    this.buildSlot--;
    this.buildLeft--;
    const at = (this.buildLeaf << Tree.NODE_SHIFT) + this.buildSlot;
    this.keys[at] = key;
    this.values[at] = value;
    this.setLeafOf(value, this.buildLeaf);
  }

  /** Builds the inner levels over the leaves; `n` entries were put. */
  endLadderBuild(s: number, n: number): void {
    let first = this.buildLeaf; // the worst node of the level being covered
    let count = this.buildLeaves;
    let height = 1;
    while (count > 1) {
      const parents = nodesOver(count);
      let left = parents;
      let child = first;
      let previous = No.SLOT;
      first = No.SLOT;
      while (child !== No.SLOT) {
        const take = Math.ceil(count / left--);
        count -= take;
        const parent = this.takeNode();
        this.worse[parent] = previous;
        this.better[parent] = No.SLOT;
        if (previous === No.SLOT) first = parent;
        else this.better[previous] = parent;
        const base = parent << Tree.NODE_SHIFT;
        for (let i = 0; i < take; i++) {
          this.keys[base + i] = this.keys[child << Tree.NODE_SHIFT];
          this.values[base + i] = child;
          child = this.better[child];
        }
        this.entries[parent] = take;
        previous = parent;
      }
      count = parents;
      height++;
    }
    this.root[s] = first;
    this.height[s] = n === 0 ? 0 : height;
    this.length[s] = n;
    this.refreshBest(s);
  }

  // ---- self-check (tests): 0 when every invariant holds, else the number of the first that fails
  private checkedEntries = 0;
  private checkedSide = 0;
  /** Per tree level (0 = leaves), the last node met in key order: neighbour links are checked against it. */
  private readonly checkedLast = new Int32Array(Tree.MAX_HEIGHT);

  checkLadder(s: number): number {
    const height = this.height[s];
    if (height === 0) {
      if (this.root[s] !== No.SLOT || this.bestLeaf[s] !== No.SLOT || this.length[s] !== 0) return 1;
      return this.bestKey[s] === -Infinity && this.best[s] === No.SLOT ? 0 : 2;
    }
    if (height > Tree.MAX_HEIGHT) return 3;
    const root = this.root[s];
    if (height > 1 && this.entries[root] < 2) return 4;
    this.checkedEntries = 0;
    this.checkedSide = s;
    this.checkedLast.fill(No.SLOT);
    const bad = this.checkNode(root, height - 1, -Infinity, Infinity);
    if (bad !== 0) return bad;
    if (this.checkedEntries !== this.length[s]) return 5;
    for (let below = 0; below < height; below++) if (this.better[this.checkedLast[below]] !== No.SLOT) return 6;
    const leaf = this.checkedLast[0];
    if (leaf !== this.bestLeaf[s]) return 6;
    const last = (leaf << Tree.NODE_SHIFT) + this.entries[leaf] - 1;
    if (this.bestKey[s] !== this.keys[last] || this.best[s] !== this.values[last]) return 7;
    return 0;
  }

  /** Keys of `node` (at `below` levels above the leaves) lie in [low, high); each tree level chains in order. */
  private checkNode(node: number, below: number, low: number, high: number): number {
    const n = this.entries[node];
    const base = node << Tree.NODE_SHIFT;
    if (n === 0 || n > Tree.NODE_CAP) return 10;
    // An inner node's first key is never consulted (it may be stale), so ordering starts after it.
    // A scrambled leaf's keys are in no order, but in range (below); no other node is scrambled.
    if (this.scrambled[node] === 0) {
      for (let i = below === 0 ? 1 : 2; i < n; i++) if (!(this.keys[base + i - 1] < this.keys[base + i])) return 11;
    } else if (below !== 0 || node === this.bestLeaf[this.checkedSide]) {
      return 19;
    }
    const previous = this.checkedLast[below];
    if (this.worse[node] !== previous) return 13;
    if (previous !== No.SLOT && this.better[previous] !== node) return 14;
    this.checkedLast[below] = node;
    if (below === 0) {
      for (let i = 0; i < n; i++) if (this.keys[base + i] < low || this.keys[base + i] >= high) return 12;
      for (let i = 0; i < n; i++) if (this.leafOf[this.values[base + i]] !== node) return 18;
      this.checkedEntries += n;
      return 0;
    }
    for (let i = 0; i < n; i++) {
      const childLow = i === 0 ? low : this.keys[base + i];
      const childHigh = i + 1 < n ? this.keys[base + i + 1] : high;
      if (childLow < low || childHigh > high) return 15;
      const bad = this.checkNode(this.values[base + i], below - 1, childLow, childHigh);
      if (bad !== 0) return bad;
    }
    return 0;
  }

  // ---- leaf of each value
  /** Values may go up to `values` - 1 from now on: the levels grow it with their own arrays. */
  growValues(values: number): void {
    this.leafOf = this.valueSuccessors.grownInt32(0, this.leafOf, values);
  }

  /** Readies the next leafOf a step further: the levels have handed out `used` of their `capacity`. */
  readyValues(used: number, capacity: number): void {
    this.valueSuccessors.begin(used, capacity);
    this.valueSuccessors.ready(0, this.leafOf);
  }

  private setLeafOf(value: number, leaf: number): void {
    this.leafOf[value] = leaf;
  }

  /** Entries from..count of `leaf` came to it from another node. */
  private noteLeaf(leaf: number, from: number): void {
    const base = leaf << Tree.NODE_SHIFT;
    for (let i = base + from, end = base + this.entries[leaf]; i < end; i++) this.setLeafOf(this.values[i], leaf);
  }

  /**
   * Forgets every ladder and node, keeping the arrays: a taken node's fields are set by whoever
   * takes it (a spare's hold garbage anyway), and a ladder's header by initLadder.
   */
  clear(): void {
    this.highWater = 0;
    this.spareNodes = No.SLOT;
    this.liveNodes = 0;
  }

  // ---- node pool
  private takeNode(): number {
    this.liveNodes++;
    let node = this.spareNodes;
    if (node !== No.SLOT) {
      this.spareNodes = this.worse[node];
    } else {
      node = this.takeFreshNode();
    }
    this.scrambled[node] = 0;
    return node;
  }

  private giveNode(node: number): void {
    this.worse[node] = this.spareNodes;
    this.spareNodes = node;
    this.liveNodes--;
  }

  /** A node never used yet, as takeFreshLevel (levels.ts) takes a level. */
  private takeFreshNode(): number {
    const used = this.highWater;
    if (used === this.nodeCapacity) this.growNodes(this.nodeCapacity * 2);
    else if (Successors.due(used, this.nodeCapacity)) this.readyNodeSuccessors(used);
    return this.highWater++;
  }

  private readyNodeSuccessors(used: number): void {
    const successors = this.nodeSuccessors;
    successors.begin(used, this.nodeCapacity);
    successors.ready(0, this.keys);
    successors.ready(1, this.values);
    successors.ready(2, this.entries);
    successors.ready(3, this.worse);
    successors.ready(4, this.better);
    successors.ready(5, this.scrambled);
  }

  private growNodes(capacity: number): void {
    const successors = this.nodeSuccessors;
    this.keys = successors.grownFloat64(0, this.keys, capacity * Tree.NODE_CAP);
    this.values = successors.grownInt32(1, this.values, capacity * Tree.NODE_CAP);
    this.entries = successors.grownInt32(2, this.entries, capacity);
    this.worse = successors.grownInt32(3, this.worse, capacity);
    this.better = successors.grownInt32(4, this.better, capacity);
    this.scrambled = successors.grownUint8(5, this.scrambled, capacity);
    this.nodeCapacity = capacity;
  }

  private growLadders(count: number): void {
    this.bestKey = growFloat64(this.bestKey, count);
    this.best = growInt32(this.best, count);
    this.bestLeaf = growInt32(this.bestLeaf, count);
    this.root = growInt32(this.root, count);
    this.length = growInt32(this.length, count);
    this.height = growInt32(this.height, count);
  }
}

function nodesOver(count: number): number {
  return Math.ceil(count / Tree.BUILD_FILL);
}
