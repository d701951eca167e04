// A sorted map of byte keys, the in-memory store's table (memory-store.ts) and its index worker's
// (memory-index-worker.mjs). Keys sort bytewise, as RocksDB sorts them. Plain JavaScript, so that
// the worker runs it unchanged from src/ (vitest) and from dist/ (the build copies it).
//
// lobcore's keys are a prefix byte and big-endian integers (keys.ts), so each key is also kept as
// four numbers: its first byte and the next three 8-byte fields read as integers, zero-padded.
// Comparing those numbers orders keys exactly as comparing their bytes does whenever they differ
// (rounding a field above 2^53 to a float never reverses an order), and equal numbers fall back
// to the bytes; so a lookup costs a handful of number comparisons instead of a byte loop per step.
//
// The entries live in a B+ tree of up to 64 entries a node, in pooled arrays indexed by node
// number (as the cores keep their books), not in an object per node. A put descends four nodes
// at a million entries and shifts at most one leaf. A full leaf splits in half, unless the put
// goes on from the leaf's last put: the index puts its keys in runs (one trader's orders, one
// order's touches, each in order), spread over the whole key space, and a leaf split where its
// run goes on leaves the run's leaves full (82% of all leaf slots in use, against about half).
// A delete never merges nodes: a node leaves the tree when it empties. The index no longer
// deletes at all (open orders left it, open-orders.ts); the map keeps deletes for the wire's kind.
//
// The map this replaced kept its entries in chunks of 128-256 under a flat directory of first
// keys: a put shifted half a chunk and, on a split, the whole directory. Replaying the index
// operations of 1,000,000 commands of the steady flow (2.49M puts and deletes, 1.77M entries at
// the end) took 939-1,010 ns an operation into a new map and 588-747 ns into later ones; here
// 610-636 and 430-493 ns, in 65-67 bytes of memory an entry against 97-120. Splitting every leaf
// in half instead, this tree took 738-753 and 482-573 ns, in 96 bytes an entry.
//
// An entry may also be put by its numbers alone (setNumeric): a key made of the prefix byte and
// up to three u64 fields, and a value that is one number, both turned into bytes only when read.
// The in-memory store puts every index entry this way (memory-store.ts): the index writes most of
// its keys, and allocating two small byte arrays for each of them cost more in garbage collection
// than the map itself.
import { writeU64BE } from './u64.mjs';

/** Entries a node holds at most (leaves: entries; inner nodes: children). */
const NODE_ENTRIES = 64;
/** Numbers kept per key. */
const N = 4;

/** @typedef {Uint8Array | number} StoredKey A key as stored: its bytes, or (put by its numbers) how many u64 fields follow its prefix byte. */
/** @typedef {Uint8Array | number} StoredValue A value as stored: its bytes, or the number the map's valueOf turns into them when read. */
/**
 * @typedef {object} ByteRange
 * @property {Uint8Array} [gte]
 * @property {Uint8Array} [gt]
 * @property {Uint8Array} [lt]
 * @property {Uint8Array} [lte]
 * @property {boolean} [reverse]
 * @property {number} [limit]
 */

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/** The 8 bytes of `key` from `at` as an integer, missing bytes as zeros (exact below 2^53). */
function fieldAt(key, at) {
  let high = 0;
  let low = 0;
  for (let i = 0; i < 4; i++) high = high * 256 + (at + i < key.length ? key[at + i] : 0);
  for (let i = 4; i < 8; i++) low = low * 256 + (at + i < key.length ? key[at + i] : 0);
  return high * 0x1_0000_0000 + low;
}

/** Writes the numbers of `key` at out[at..at + N). An empty key sorts before every other. */
function numbersOf(key, out, at) {
  out[at] = key.length === 0 ? -1 : key[0];
  out[at + 1] = fieldAt(key, 1);
  out[at + 2] = fieldAt(key, 9);
  out[at + 3] = fieldAt(key, 17);
}

/** The bytes of a key put by its numbers: the prefix byte, then `fields` big-endian u64s. */
function keyBytes(nums, at, fields) {
  const key = new Uint8Array(1 + fields * 8);
  key[0] = nums[at];
  for (let f = 0; f < fields; f++) writeU64BE(key, 1 + f * 8, nums[at + 1 + f]);
  return key;
}

/**
 * probe (a key's numbers) with its stored form `key`, against entry `slot` of a node pool, as
 * compareBytes would order their bytes. Equal numbers decide by length when both keys are put
 * by numbers (their numbers are exact and cover them); otherwise by bytes, since a field past
 * 2^53 rounds and a key may be longer than its numbers.
 */
function compareEntry(probe, key, nums, keys, slot) {
  const o = slot * N;
  for (let k = 0; k < N; k++) {
    if (probe[k] !== nums[o + k]) return probe[k] < nums[o + k] ? -1 : 1;
  }
  const stored = keys[slot];
  if (typeof key === 'number' && typeof stored === 'number') return key - stored;
  return compareBytes(typeof key === 'number' ? keyBytes(probe, 0, key) : key, typeof stored === 'number' ? keyBytes(nums, o, stored) : stored);
}

/**
 * Copies a key's N (four) numbers. By hand: TypedArray.prototype.set is a builtin call, dearer than the
 * four stores it makes, and its source would need a subarray, an allocation.
 */
function copyNumbers(from, fromAt, to, toAt) {
  to[toAt] = from[fromAt];
  to[toAt + 1] = from[fromAt + 1];
  to[toAt + 2] = from[fromAt + 2];
  to[toAt + 3] = from[fromAt + 3];
}

const NONE = -1;
/** Leaves a segment of the leaf pool holds: the pool grows a segment at a time, copying nothing. */
const SEGMENT_BITS = 8;
const SEGMENT_MASK = (1 << SEGMENT_BITS) - 1;
/** Deeper than any tree of nodes of four can grow: a level more takes twice the splits of the last. */
const MAX_HEIGHT = 64;
/**
 * A JavaScript array of `length` zeros, ready to hold byte arrays and any number. V8 keeps an
 * array of small integers (or of doubles) as such until something else is stored, and then
 * converts all of it; so a pool's arrays start as arrays of anything, filled with an object first.
 */
function anyZeros(length) {
  const array = new Array(length).fill(EMPTY);
  return array.fill(0);
}

const EMPTY = new Uint8Array(0);

/**
 * A typed array of `length` elements holding `old`'s first.
 * @template {Int32Array | Float64Array} T
 * @param {T} old
 * @param {number} length
 * @returns {T}
 */
function grown(old, length) {
  const next = /** @type {T} */ (new /** @type {any} */ (old.constructor)(length));
  next.set(old);
  return next;
}

export class SortedBytesMap {
  /** @type {(value: number) => Uint8Array} */
  valueOf;
  size = 0;
  fanout;
  half;
  // ---- leaves, chained in key order: entry i of leaf l in segment l >> SEGMENT_BITS, at slot
  // (l & SEGMENT_MASK) * fanout + i (numbers at N times that)
  leafNums = [];
  leafKeys = [];
  leafValues = [];
  leafSize;
  /** The next leaf in key order; on a free leaf, the next free one. */
  leafNext;
  leafPrev;
  /** Where the leaf's last put went: a put just after it continues a run. */
  leafLastInsert;
  leafCapacity;
  leafHighWater = 0;
  leafFree = NONE;
  firstLeaf;
  lastLeaf;
  // ---- inner nodes: child i of node n at slot n * fanout + i, with the separator it starts at
  // (the first key of that child when it split off; child 0's is never read: the node's own
  // lower bound, which its parent holds, stands for it)
  innerNums;
  innerKeys;
  innerChild;
  innerSize;
  innerCapacity;
  innerHighWater = 0;
  innerFree = NONE;
  root;
  /** Inner levels above the leaves: 0 while the root is a leaf. */
  height = 0;
  /** The last descent's path: the inner node at each level (1: the leaves' parents) and the child taken. */
  pathNode = new Int32Array(MAX_HEIGHT + 1);
  pathChild = new Int32Array(MAX_HEIGHT + 1);
  probe = new Float64Array(N);
  separator = new Float64Array(N);
  /**
   * @param {(value: number) => Uint8Array} [valueOf] the bytes of a value put as a number (setNumeric)
   * @param {number} [nodeEntries] a node's capacity (even, at least 4; small in tests, to grow deep trees from few entries)
   */
  constructor(valueOf = () => new Uint8Array(0), nodeEntries = NODE_ENTRIES) {
    this.valueOf = valueOf;
    if (nodeEntries < 4 || nodeEntries % 2 !== 0) throw new RangeError(`nodeEntries must be even and at least 4, not ${nodeEntries}`);
    this.fanout = nodeEntries;
    this.half = nodeEntries >>> 1;
    this.leafCapacity = 16;
    this.leafSize = new Int32Array(this.leafCapacity);
    this.leafNext = new Int32Array(this.leafCapacity);
    this.leafPrev = new Int32Array(this.leafCapacity);
    this.leafLastInsert = new Int32Array(this.leafCapacity);
    this.innerCapacity = 4;
    this.innerNums = new Float64Array(this.innerCapacity * nodeEntries * N);
    this.innerKeys = anyZeros(this.innerCapacity * nodeEntries);
    this.innerChild = new Int32Array(this.innerCapacity * nodeEntries);
    this.innerSize = new Int32Array(this.innerCapacity);
    this.root = this.takeLeaf();
    this.leafNext[this.root] = NONE;
    this.leafPrev[this.root] = NONE;
    this.firstLeaf = this.root;
    this.lastLeaf = this.root;
  }

  /**
   * @param {Uint8Array} key
   * @param {Uint8Array} value
   */
  set(key, value) {
    this.put(this.probeOf(key), key, value);
  }

  /**
   * Puts the key made of `prefix` and the first `fields` of (a, b, c) as big-endian u64s (safe
   * integers), with a value that is one number: both become bytes only if they are read.
   * @param {number} prefix @param {number} fields @param {number} a @param {number} b @param {number} c @param {number} value
   */
  setNumeric(prefix, fields, a, b, c, value) {
    this.put(this.numericProbe(prefix, fields, a, b, c), fields, value);
  }

  /**
   * Deletes the key setNumeric(prefix, fields, a, b, c) would put.
   * @param {number} prefix @param {number} fields @param {number} a @param {number} b @param {number} c
   */
  deleteNumeric(prefix, fields, a, b, c) {
    this.remove(this.numericProbe(prefix, fields, a, b, c), fields);
  }

  /**
   * @param {Uint8Array} key
   * @returns {Uint8Array | undefined}
   */
  get(key) {
    const probe = this.probeOf(key);
    const leaf = this.descend(probe, key);
    const at = this.searchLeaf(leaf, probe, key, false);
    return at === this.leafSize[leaf] || this.compareLeafEntry(probe, key, leaf, at) !== 0 ? undefined : this.valueAt(leaf, at);
  }

  /** @param {Uint8Array} key */
  delete(key) {
    this.remove(this.probeOf(key), key);
  }

  /**
   * The tree's shape: inner levels above the leaves, and the nodes in use (tests read it).
   * @returns {{ height: number, leaves: number, innerNodes: number }}
   */
  shape() {
    let freeLeaves = 0;
    for (let leaf = this.leafFree; leaf !== NONE; leaf = this.leafNext[leaf]) freeLeaves++;
    let freeInner = 0;
    for (let node = this.innerFree; node !== NONE; node = this.innerChild[node * this.fanout]) freeInner++;
    return { height: this.height, leaves: this.leafHighWater - freeLeaves, innerNodes: this.innerHighWater - freeInner };
  }

  /**
   * Entries in a range, in key order or reverse, up to `limit`.
   * @param {ByteRange} range
   * @returns {Array<[Uint8Array, Uint8Array]>}
   */
  range(range) {
    /** @type {Array<[Uint8Array, Uint8Array]>} */
    const out = [];
    this.visitRange(range, (leaf, at) => {
      out.push([this.keyAt(leaf, at), this.valueAt(leaf, at)]);
    });
    return out;
  }

  /**
   * The entries in a range as numbers, in key order or reverse, up to `limit`: each entry's three
   * key fields and its value, four numbers an entry, appended to `out`; no key or value bytes made
   * (nor kept, as range keeps them). `numberOf` gives the number of a value held as bytes (one
   * put so, or made from its number by an earlier range). For the in-memory index's postings,
   * which a closed page reads by the thousand (posting-lists.ts, readTraderPlacings).
   * @param {ByteRange} range
   * @param {number[]} out
   * @param {(bytes: Uint8Array) => number} numberOf
   */
  numbersInRange(range, out, numberOf) {
    this.visitRange(range, (leaf, at) => {
      const segment = leaf >>> SEGMENT_BITS;
      const slot = (leaf & SEGMENT_MASK) * this.fanout + at;
      const nums = this.leafNums[segment];
      const value = this.leafValues[segment][slot];
      out.push(nums[slot * N + 1], nums[slot * N + 2], nums[slot * N + 3], typeof value === 'number' ? value : numberOf(value));
    });
  }

  /**
   * Calls `visit` with each entry of a range (its leaf and place in it), in key order or reverse, up to `limit`.
   * @param {ByteRange} range
   * @param {(leaf: number, at: number) => void} visit
   */
  visitRange(range, visit) {
    let visited = 0;
    const limit = range.limit ?? Infinity;
    const low = range.gte ?? range.gt;
    const high = range.lt ?? range.lte;
    const lowProbe = low === undefined ? null : this.probeOf(low).slice();
    const highProbe = high === undefined ? null : this.probeOf(high).slice();
    if (range.reverse !== true) {
      // From the first entry inside the low bound, while inside the high one.
      let leaf = this.firstLeaf;
      let at = 0;
      if (lowProbe !== null) {
        leaf = this.descend(lowProbe, low);
        at = this.searchLeaf(leaf, lowProbe, low, range.gt !== undefined);
      }
      const closed = range.lte !== undefined;
      while (visited < limit) {
        while (leaf !== NONE && at === this.leafSize[leaf]) {
          leaf = this.leafNext[leaf];
          at = 0;
        }
        if (leaf === NONE) break;
        if (highProbe !== null) {
          const c = this.compareLeafEntry(highProbe, high, leaf, at);
          if (c < 0 || (c === 0 && !closed)) break;
        }
        visit(leaf, at);
        visited++;
        at++;
      }
    } else {
      // From the last entry inside the high bound, back while inside the low one.
      let leaf = this.lastLeaf;
      let at = this.leafSize[leaf];
      if (highProbe !== null) {
        leaf = this.descend(highProbe, high);
        at = this.searchLeaf(leaf, highProbe, high, range.lte !== undefined);
      }
      const closed = range.gte !== undefined;
      while (visited < limit) {
        while (leaf !== NONE && at === 0) {
          leaf = this.leafPrev[leaf];
          if (leaf !== NONE) at = this.leafSize[leaf];
        }
        if (leaf === NONE) break;
        at--;
        if (lowProbe !== null) {
          const c = this.compareLeafEntry(lowProbe, low, leaf, at);
          if (c > 0 || (c === 0 && !closed)) break;
        }
        visit(leaf, at);
        visited++;
      }
    }
  }

  put(probe, key, value) {
    let leaf = this.descend(probe, key);
    let at = this.searchLeaf(leaf, probe, key, false);
    const size = this.leafSize[leaf];
    if (at < size && this.compareLeafEntry(probe, key, leaf, at) === 0) {
      this.leafValues[leaf >>> SEGMENT_BITS][(leaf & SEGMENT_MASK) * this.fanout + at] = value;
      return;
    }
    if (size < this.fanout) {
      this.insertIntoLeaf(leaf, at, probe, key, value);
    } else if (at === this.leafLastInsert[leaf] + 1) {
      // A run of keys put in order (the index's postings under one trader or order): the leaf
      // splits where the run goes on, so the run's leaves fill up instead of staying half full.
      const right = this.splitLeaf(leaf, at);
      if (at === size) this.insertIntoLeaf(right, 0, probe, key, value);
      else this.insertIntoLeaf(leaf, at, probe, key, value);
      this.addLeaf(right);
    } else {
      const right = this.splitLeaf(leaf, this.half);
      // The key goes left when it sorts before the right half's first entry, which it is not equal to.
      if (at > this.half) this.insertIntoLeaf(right, at - this.half, probe, key, value);
      else this.insertIntoLeaf(leaf, at, probe, key, value);
      this.addLeaf(right);
    }
    this.size++;
  }

  remove(probe, key) {
    const leaf = this.descend(probe, key);
    const at = this.searchLeaf(leaf, probe, key, false);
    const size = this.leafSize[leaf];
    if (at === size || this.compareLeafEntry(probe, key, leaf, at) !== 0) return;
    const segment = leaf >>> SEGMENT_BITS;
    const base = (leaf & SEGMENT_MASK) * this.fanout;
    this.leafNums[segment].copyWithin((base + at) * N, (base + at + 1) * N, (base + size) * N);
    const keys = this.leafKeys[segment];
    const values = this.leafValues[segment];
    for (let j = base + at; j < base + size - 1; j++) {
      keys[j] = keys[j + 1];
      values[j] = values[j + 1];
    }
    keys[base + size - 1] = 0;
    values[base + size - 1] = 0;
    this.leafSize[leaf] = size - 1;
    this.size--;
    if (size === 1 && this.height > 0) this.dropLeaf(leaf);
  }

  /** The leaf whose range holds the key; notes the path down in pathNode and pathChild. */
  descend(probe, key) {
    const fanout = this.fanout;
    const nums = this.innerNums;
    const keys = this.innerKeys;
    let node = this.root;
    for (let level = this.height; level > 0; level--) {
      // The last child whose separator is <= key; child 0 when there is none.
      const base = node * fanout;
      let lo = 0;
      let hi = this.innerSize[node] - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (compareEntry(probe, key, nums, keys, base + mid) >= 0) lo = mid;
        else hi = mid - 1;
      }
      this.pathNode[level] = node;
      this.pathChild[level] = lo;
      node = this.innerChild[base + lo];
    }
    return node;
  }

  /** The first entry of a leaf >= key (> key with `after`); the leaf's size if none is. */
  searchLeaf(leaf, probe, key, after) {
    const segment = leaf >>> SEGMENT_BITS;
    const nums = this.leafNums[segment];
    const keys = this.leafKeys[segment];
    const base = (leaf & SEGMENT_MASK) * this.fanout;
    let lo = 0;
    let hi = this.leafSize[leaf];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareEntry(probe, key, nums, keys, base + mid);
      if (c > 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insertIntoLeaf(leaf, at, probe, key, value) {
    const segment = leaf >>> SEGMENT_BITS;
    const base = (leaf & SEGMENT_MASK) * this.fanout;
    const size = this.leafSize[leaf];
    const nums = this.leafNums[segment];
    nums.copyWithin((base + at + 1) * N, (base + at) * N, (base + size) * N);
    copyNumbers(probe, 0, nums, (base + at) * N);
    // Shifted by hand: splice allocates an array for what it removes, even when that is nothing.
    const keys = this.leafKeys[segment];
    const values = this.leafValues[segment];
    for (let j = base + size; j > base + at; j--) {
      keys[j] = keys[j - 1];
      values[j] = values[j - 1];
    }
    keys[base + at] = key;
    values[base + at] = value;
    this.leafSize[leaf] = size + 1;
    this.leafLastInsert[leaf] = at;
  }

  /** Moves a full leaf's entries from `from` on into a new leaf after it (linked, not yet in a parent). */
  splitLeaf(leaf, from) {
    const right = this.takeLeaf();
    const fanout = this.fanout;
    const first = (leaf & SEGMENT_MASK) * fanout + from;
    const to = (right & SEGMENT_MASK) * fanout;
    const moved = fanout - from;
    const segment = leaf >>> SEGMENT_BITS;
    const rightSegment = right >>> SEGMENT_BITS;
    this.leafNums[rightSegment].set(this.leafNums[segment].subarray(first * N, (first + moved) * N), to * N);
    const keys = this.leafKeys[segment];
    const values = this.leafValues[segment];
    const rightKeys = this.leafKeys[rightSegment];
    const rightValues = this.leafValues[rightSegment];
    for (let i = 0; i < moved; i++) {
      rightKeys[to + i] = keys[first + i];
      rightValues[to + i] = values[first + i];
      keys[first + i] = 0;
      values[first + i] = 0;
    }
    this.leafSize[leaf] = from;
    this.leafSize[right] = moved;
    const next = this.leafNext[leaf];
    this.leafNext[right] = next;
    this.leafPrev[right] = leaf;
    this.leafNext[leaf] = right;
    if (next === NONE) this.lastLeaf = right;
    else this.leafPrev[next] = right;
    return right;
  }

  /** Gives a leaf split off on the last path to the parent, starting at its first entry. */
  addLeaf(right) {
    const segment = right >>> SEGMENT_BITS;
    const first = (right & SEGMENT_MASK) * this.fanout;
    copyNumbers(this.leafNums[segment], first * N, this.separator, 0);
    this.addChild(1, this.separator, this.leafKeys[segment][first], right);
  }

  /**
   * Puts `child`, which starts at `separator` (numbers, and the key's stored form), into the inner
   * node at `level` of the last path, just after the child the path took; splits a full node and
   * grows a new root above the old.
   */
  addChild(level, separator, key, child) {
    const fanout = this.fanout;
    if (level > this.height) {
      const root = this.takeInner();
      const base = root * fanout;
      this.innerChild[base] = this.root;
      this.innerNums.fill(0, base * N, base * N + N);
      this.innerKeys[base] = 0;
      this.writeChild(base + 1, separator, key, child);
      this.innerSize[root] = 2;
      this.root = root;
      this.height = level;
      return;
    }
    let node = this.pathNode[level];
    let at = this.pathChild[level] + 1;
    if (this.innerSize[node] === fanout) {
      const right = this.splitInner(node);
      if (at > this.half) {
        node = right;
        at -= this.half;
      }
      this.insertIntoInner(node, at, separator, key, child);
      // The right half starts at its first child's separator, which the parent now takes.
      const first = right * fanout;
      copyNumbers(this.innerNums, first * N, this.separator, 0);
      this.addChild(level + 1, this.separator, this.innerKeys[first], right);
      return;
    }
    this.insertIntoInner(node, at, separator, key, child);
  }

  insertIntoInner(node, at, separator, key, child) {
    const base = node * this.fanout;
    const size = this.innerSize[node];
    this.innerNums.copyWithin((base + at + 1) * N, (base + at) * N, (base + size) * N);
    this.innerChild.copyWithin(base + at + 1, base + at, base + size);
    const keys = this.innerKeys;
    for (let j = base + size; j > base + at; j--) keys[j] = keys[j - 1];
    this.writeChild(base + at, separator, key, child);
    this.innerSize[node] = size + 1;
  }

  writeChild(slot, separator, key, child) {
    copyNumbers(separator, 0, this.innerNums, slot * N);
    this.innerKeys[slot] = key;
    this.innerChild[slot] = child;
  }

  /** Moves a full inner node's upper half of children into a new node; returns it. */
  splitInner(node) {
    const right = this.takeInner();
    const fanout = this.fanout;
    const half = this.half;
    const from = node * fanout + half;
    const to = right * fanout;
    this.innerNums.copyWithin(to * N, from * N, (from + fanout - half) * N);
    this.innerChild.copyWithin(to, from, from + fanout - half);
    const keys = this.innerKeys;
    for (let i = 0; i < fanout - half; i++) {
      keys[to + i] = keys[from + i];
      keys[from + i] = 0;
    }
    this.innerSize[node] = half;
    this.innerSize[right] = fanout - half;
    return right;
  }

  /** An emptied leaf (not the root) leaves the chain and its parent. */
  dropLeaf(leaf) {
    const prev = this.leafPrev[leaf];
    const next = this.leafNext[leaf];
    if (prev === NONE) this.firstLeaf = next;
    else this.leafNext[prev] = next;
    if (next === NONE) this.lastLeaf = prev;
    else this.leafPrev[next] = prev;
    this.leafNext[leaf] = this.leafFree;
    this.leafFree = leaf;
    this.removeChild(1);
  }

  /**
   * Takes the child the last path took out of the inner node at `level`. A node left with no
   * child leaves its parent in turn; a root left with one child gives way to it.
   */
  removeChild(level) {
    const node = this.pathNode[level];
    const at = this.pathChild[level];
    const base = node * this.fanout;
    const size = this.innerSize[node];
    this.innerNums.copyWithin((base + at) * N, (base + at + 1) * N, (base + size) * N);
    this.innerChild.copyWithin(base + at, base + at + 1, base + size);
    const keys = this.innerKeys;
    for (let j = base + at; j < base + size - 1; j++) keys[j] = keys[j + 1];
    keys[base + size - 1] = 0;
    this.innerSize[node] = size - 1;
    if (level === this.height) {
      while (this.height > 0 && this.innerSize[this.root] === 1) {
        const old = this.root;
        this.root = this.innerChild[old * this.fanout];
        this.giveInner(old);
        this.height--;
      }
    } else if (size === 1) {
      this.giveInner(node);
      this.removeChild(level + 1);
    }
  }

  /** A probe against entry `at` of a leaf (compareEntry). */
  compareLeafEntry(probe, key, leaf, at) {
    const segment = leaf >>> SEGMENT_BITS;
    return compareEntry(probe, key, this.leafNums[segment], this.leafKeys[segment], (leaf & SEGMENT_MASK) * this.fanout + at);
  }

  /** Entry `at` of a leaf: its key bytes (made once from its numbers, if it was put by them). */
  keyAt(leaf, at) {
    const segment = leaf >>> SEGMENT_BITS;
    const slot = (leaf & SEGMENT_MASK) * this.fanout + at;
    const key = this.leafKeys[segment][slot];
    if (typeof key !== 'number') return key;
    const bytes = keyBytes(this.leafNums[segment], slot * N, key);
    this.leafKeys[segment][slot] = bytes;
    return bytes;
  }

  /** Entry `at` of a leaf: its value bytes (made once from its number, if it was put as one). */
  valueAt(leaf, at) {
    const segment = leaf >>> SEGMENT_BITS;
    const slot = (leaf & SEGMENT_MASK) * this.fanout + at;
    const value = this.leafValues[segment][slot];
    if (typeof value !== 'number') return value;
    const bytes = this.valueOf(value);
    this.leafValues[segment][slot] = bytes;
    return bytes;
  }

  probeOf(key) {
    numbersOf(key, this.probe, 0);
    return this.probe;
  }

  numericProbe(prefix, fields, a, b, c) {
    const probe = this.probe;
    probe[0] = prefix;
    probe[1] = fields > 0 ? a : 0;
    probe[2] = fields > 1 ? b : 0;
    probe[3] = fields > 2 ? c : 0;
    return probe;
  }

  /** An empty leaf (links unset). May replace the leaf arrays. */
  takeLeaf() {
    let leaf = this.leafFree;
    if (leaf !== NONE) {
      this.leafFree = this.leafNext[leaf];
    } else {
      if (this.leafHighWater === this.leafCapacity) this.growLeaves();
      leaf = this.leafHighWater++;
      if ((leaf & SEGMENT_MASK) === 0) this.addLeafSegment();
    }
    this.leafSize[leaf] = 0;
    this.leafLastInsert[leaf] = NONE;
    return leaf;
  }

  /** An empty inner node. May replace the inner arrays. */
  takeInner() {
    let node = this.innerFree;
    if (node !== NONE) {
      this.innerFree = this.innerChild[node * this.fanout];
    } else {
      if (this.innerHighWater === this.innerCapacity) this.growInners();
      node = this.innerHighWater++;
    }
    this.innerSize[node] = 0;
    return node;
  }

  /** A node back to the free list, threaded through its first child slot. */
  giveInner(node) {
    this.innerKeys[node * this.fanout] = 0;
    this.innerChild[node * this.fanout] = this.innerFree;
    this.innerFree = node;
  }

  addLeafSegment() {
    const slots = (SEGMENT_MASK + 1) * this.fanout;
    this.leafNums.push(new Float64Array(slots * N));
    this.leafKeys.push(anyZeros(slots));
    this.leafValues.push(anyZeros(slots));
  }

  /** Room for twice the leaves' links and sizes (their entries come a segment at a time). */
  growLeaves() {
    const capacity = this.leafCapacity * 2;
    this.leafSize = grown(this.leafSize, capacity);
    this.leafNext = grown(this.leafNext, capacity);
    this.leafPrev = grown(this.leafPrev, capacity);
    this.leafLastInsert = grown(this.leafLastInsert, capacity);
    this.leafCapacity = capacity;
  }

  growInners() {
    const capacity = this.innerCapacity * 2;
    const slots = capacity * this.fanout;
    this.innerNums = grown(this.innerNums, slots * N);
    for (let i = this.innerKeys.length; i < slots; i++) this.innerKeys.push(0);
    this.innerChild = grown(this.innerChild, slots);
    this.innerSize = grown(this.innerSize, capacity);
    this.innerCapacity = capacity;
  }
}
