// A write window of the index writer: the operations of one or more durable commits (index-wire.mjs
// layout), folded into as few RocksDB keys as they can be, and cut into write batches of a bounded
// number of keys. Plain JavaScript: the index database's worker (store-worker.mjs) runs it.
//
// Why: every key costs the writing thread a few microseconds (its binding call and memtable insert)
// whatever it holds, and the postings are most of the keys. So the postings of one group within a
// window become one key, a posting list:
//
//   0x0a trader height  blockSeq   TRADER_TOUCH  group: the trader
//   0x0b trader height  seq        TRADER_ORDER  group: the trader; each posting has an orderId
//   0x09 orderId        blockSeq   ORDER_TOUCH   group: the order's bucket of ORDERS_PER_TOUCH_BUCKET ids
//
// A trader's list is keyed as the list's FIRST posting has always been; its value, posting-list
// frame (codecs.ts), lists the further ones: version 2 when they are all at the first one's height,
// the sequence deltas as varints, and for TRADER_ORDER the first orderId, then (delta, orderId)
// pairs; version 3 when the heights rise within the list (a state machine that moves its height
// every block), each further posting led by its height's delta. A group with one posting in the
// window keeps the old single frame (version 1), so every key of a version-4 database is a list of
// one. Until format 10 a trader's group was the trader at one height: a window of blocks, each its
// own height, then wrote a key per trader per block, about a key a command (docs/storage.md,
// round 24). A bucket's order touches go under a key of their own kind, ORDER_TOUCHES (0x0f bucket
// firstBlockSeq): an order is touched by about one commit a window (it rests, then fills or is
// cancelled), so a list an order held one posting, and order touches were two thirds of the keys.
// Readers expand lists and buckets (posting-lists.ts).
//
// The other operations (CLIENT_ID, FEED_SPAN) are folded by key, the newest winning. (No index
// operation deletes since open orders left the index, open-orders.ts; the wire keeps the kind, and
// a delete would be written as one whatever the window held before it.) INDEX_HEAD goes with the
// last write of the window only, INDEX_REACH (the same sequence, keys.ts) with the first: whatever
// part of the window a crash kept, the index database says how far its entries may reach.
import {
  INDEX_DEL, INDEX_OP_SLOTS, INDEX_PUT, NO_VALUE, ORDERS_PER_TOUCH_BUCKET, ORDER_TOUCHES_VERSION, POSTING_LIST_VERSION, TRADER_LIST_VERSION,
  putUintFrame, putVarint, sealFrame,
} from './index-wire.mjs';
import { writeU64BE } from './u64.mjs';

const OP_PUT = 1;
const OP_DEL = 2;
const ORDER_TOUCH = 0x09;
const TRADER_TOUCH = 0x0a;
const TRADER_ORDER = 0x0b;
const ORDER_TOUCHES = 0x0f;
const INDEX_HEAD = 0x08;
/** INDEX_REACH's key is INDEX_HEAD's prefix and this one field (keys.ts: indexReachKey). */
const INDEX_REACH_FIELD = 1;

/** log2 of ORDERS_PER_TOUCH_BUCKET: an order id's bucket by a shift. */
const BUCKET_BITS = Math.log2(ORDERS_PER_TOUCH_BUCKET);

/**
 * The groups of a window sorted by key at most (a full window's operations), and the places a
 * key's first field sorts in: prefix (4 bits) | field (31) | group (18) is 53 bits, a safe integer.
 */
const GROUPS_SORTED_MAX = 2 ** 18;
const FIELD_PLACES = 2 ** 31;

/** No group: INDEX_HEAD. */
const NONE = -1;

/**
 * The arrays of the last window released, for the next one to fill: a window of 131,072 operations
 * takes about 18 MB, and fresh memory costs a page fault per 4 KiB the first time it is written,
 * which on a VM is most of what making them costs (docs/storage.md, round 9). One worker writes
 * one window at a time, so one spare set is enough.
 * @type {{ capacity: number, table: Int32Array, groupPrefix: Uint8Array, groupA: Float64Array, groupB: Float64Array,
 *   lastOp: Int32Array, postings: Int32Array, ascending: Uint8Array, lastSeq: Float64Array, lastOrder: Float64Array,
 *   opGroup: Int32Array, starts: Int32Array, seqs: Float64Array, heights: Float64Array, values: Float64Array, keyOrder: Float64Array, packed: Uint8Array } | null}
 */
let spare = null;

/**
 * Arrays for a window of `count` operations, room for `capacity` (at least `count`): the spare set
 * if it has the room (its hash table's first `slots` emptied), or new ones. The index writer sends
 * every window in an array with room for a full one (indexer.ts), and the arrays are made with that
 * room: made to the window's own count, a window larger than every one before took a new set, 17 MB
 * of fresh memory, four times in the first million commands of group commit (docs/storage.md,
 * round 34). Pages no window has reached yet are not written, so they cost little until one does.
 */
function arraysFor(count, capacity) {
  let slots = 16;
  while (slots < count * 2) slots *= 2;
  const reused = spare !== null && spare.capacity >= count && spare.table.length >= slots ? spare : null;
  spare = null;
  if (reused !== null) {
    reused.table.fill(0, 0, slots);
    return { arrays: reused, slots };
  }
  let tableSlots = slots;
  while (tableSlots < capacity * 2) tableSlots *= 2;
  return {
    arrays: {
      capacity, table: new Int32Array(tableSlots), groupPrefix: new Uint8Array(capacity), groupA: new Float64Array(capacity), groupB: new Float64Array(capacity),
      lastOp: new Int32Array(capacity), postings: new Int32Array(capacity), ascending: new Uint8Array(capacity),
      lastSeq: new Float64Array(capacity), lastOrder: new Float64Array(capacity), opGroup: new Int32Array(capacity), starts: new Int32Array(capacity),
      seqs: new Float64Array(capacity), heights: new Float64Array(capacity), values: new Float64Array(capacity), keyOrder: new Float64Array(capacity),
      packed: new Uint8Array(capacity * PACKED_BYTES_PER_OP + 64),
    },
    slots,
  };
}

/** A bit for each offset of a bucket, set for the commit being sorted (sortCommitsOfBucket), all 0 between two. */
const TOUCHED = new Int32Array(ORDERS_PER_TOUCH_BUCKET / 32);

/** At most a single put's 48 bytes an operation, a listed posting taking fewer (at most three varints). */
const PACKED_BYTES_PER_OP = 48;

export class IndexWindow {
  /**
   * @param {Float64Array} ops the window's operations (index-wire.mjs layout)
   * @param {number} count how many
   */
  constructor(ops, count) {
    this.ops = ops;
    this.count = count;
    this.folded = 0;
    // Each key group (a posting group, or one key of another kind) in typed arrays, found through
    // an open-addressing hash table: no object, string or array per group (a window of 30,000
    // operations in Maps of objects made enough garbage to double its cost).
    // Every array but the table is written before it is read, so a released window's serve as they are.
    const { arrays, slots } = arraysFor(count, Math.max(count, Math.floor(ops.length / INDEX_OP_SLOTS)));
    this.arrays = arrays;
    /** Group + 1 in each of its first `slots` slots (a table kept from a larger window is longer); 0: empty. */
    this.table = this.arrays.table;
    this.mask = slots - 1;
    this.groups = 0;
    this.groupPrefix = this.arrays.groupPrefix;
    this.groupA = this.arrays.groupA;
    this.groupB = this.arrays.groupB;
    /** A key's newest operation (the one a key of another kind keeps). */
    this.lastOp = this.arrays.lastOp;
    /** A posting group's postings (0 for another kind), and whether they came in list order, each once. */
    this.postings = this.arrays.postings;
    this.ascending = this.arrays.ascending;
    /** A posting group's newest posting: its sequence and (a bucket's) order id. */
    this.lastSeq = this.arrays.lastSeq;
    this.lastOrder = this.arrays.lastOrder;
    /** Each operation's group (NONE: none). */
    this.opGroup = this.arrays.opGroup;
    /**
     * Once gathered: each posting group's postings side by side from starts[g], in window
     * order: the sequence, a trader's posting's height, and the value (a TRADER_ORDER posting's
     * orderId, a touch's order id).
     */
    this.starts = this.arrays.starts;
    this.seqs = this.arrays.seqs;
    this.heights = this.arrays.heights;
    this.values = this.arrays.values;
    /** Operations gathered so far (-1: not started). */
    this.gathered = -1;
    this.head = -1;
    /** Groups in the order they are packed (sortGroupsByKey), and whether they were sorted. */
    this.keyOrder = this.arrays.keyOrder;
    this.sortedGroups = false;
    /** Groups packed into write batches so far (nextPart). */
    this.packed = 0;
    /** @type {Packer | undefined} */
    this.packer = undefined;
  }

  /**
   * Folds up to `n` more operations, or once all are folded gathers up to `n` (gather); true once
   * the window is ready to pack. A worker prepares a window in steps, letting commits run between.
   */
  prepare(n) {
    if (this.folded < this.count) {
      this.fold(n);
      return false;
    }
    if (this.gathered < 0) this.startGather();
    this.gather(n);
    return this.gathered >= this.count;
  }

  /** Folds up to `n` more operations. */
  fold(n) {
    const { ops, opGroup, lastOp, postings, lastSeq, lastOrder } = this;
    const end = Math.min(this.count, this.folded + n);
    for (let i = this.folded; i < end; i++) {
      const o = i * INDEX_OP_SLOTS;
      const head = ops[o];
      const kind = head & 3;
      opGroup[i] = NONE;
      const prefix = head >> 4;
      if (prefix === INDEX_HEAD) {
        this.head = ops[o + 4];
        continue;
      }
      const fields = (head >> 2) & 3;
      const touch = prefix === ORDER_TOUCH;
      const posting = touch || prefix === TRADER_TOUCH || prefix === TRADER_ORDER;
      if (posting ? kind !== INDEX_PUT || fields !== (touch ? 2 : 3) : fields > 2) {
        throw new Error(`index operation ${i} cannot be folded (prefix ${prefix}, ${fields} fields, kind ${kind})`);
      }
      // A posting's group: its order's bucket (ORDER_TOUCH), or its trader; any other key is its own group.
      // (A shift where the id allows: the division is a floating-point one.)
      const id = ops[o + 1];
      const a = !touch ? id : id < 0x80000000 ? (id | 0) >> BUCKET_BITS : Math.floor(id / ORDERS_PER_TOUCH_BUCKET);
      const b = posting ? 0 : ops[o + 2];
      const g = this.group(prefix, a, b);
      opGroup[i] = g;
      lastOp[g] = i;
      if (!posting) continue;
      // The group's last posting is compared from the group's own arrays, not read back from the
      // operations: those are spread over the whole window, a cache miss each.
      const seq = touch ? ops[o + 2] : ops[o + 3];
      const order = touch ? id : 0;
      if (postings[g]++ > 0 && (seq < lastSeq[g] || (seq === lastSeq[g] && order <= lastOrder[g]))) this.ascending[g] = 0;
      lastSeq[g] = seq;
      lastOrder[g] = order;
    }
    this.folded = end;
  }

  /** The group of key (prefix, a, b), made if new. */
  group(prefix, a, b) {
    // Low 32 bits of each field: fields differ there almost always; equal ones just probe on.
    // Math.imul takes those bits itself: a `>>> 0` or `+` on a field speculated on small integers
    // and deoptimized fold, in each new store's worker, at the first field past 2^31.
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(prefix, 0x27d4eb2f);
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
    let slot = (h ^ (h >>> 15)) & this.mask;
    for (;;) {
      const held = this.table[slot];
      if (held === 0) break;
      const g = held - 1;
      if (this.groupA[g] === a && this.groupB[g] === b && this.groupPrefix[g] === prefix) return g;
      slot = (slot + 1) & this.mask;
    }
    const g = this.groups++;
    this.table[slot] = g + 1;
    this.groupPrefix[g] = prefix;
    this.groupA[g] = a;
    this.groupB[g] = b;
    this.postings[g] = 0;
    this.ascending[g] = 1;
    return g;
  }

  /** Where each posting group's run starts, and its cursor at the start. */
  startGather() {
    const { postings, starts } = this;
    let at = 0;
    for (let g = 0; g < this.groups; g++) {
      starts[g] = at;
      at += postings[g];
    }
    // lastOp serves as each posting group's cursor from here: a posting group's is not read again.
    for (let g = 0; g < this.groups; g++) if (postings[g] > 0) this.lastOp[g] = starts[g];
    this.gathered = 0;
  }

  /**
   * Lays up to `n` more operations' postings side by side (starts, seqs, values), in order, each
   * where its group's run goes. Following a group's postings through the window instead took a
   * cache miss a posting, and was most of the packing's time.
   */
  gather(n) {
    const { ops, opGroup, postings, seqs, heights, values, groupPrefix } = this;
    const cursor = this.lastOp;
    const end = Math.min(this.count, this.gathered + n);
    for (let i = this.gathered; i < end; i++) {
      const g = opGroup[i];
      if (g === NONE || postings[g] === 0) continue;
      const o = i * INDEX_OP_SLOTS;
      const k = cursor[g]++;
      if (groupPrefix[g] === ORDER_TOUCH) {
        seqs[k] = ops[o + 2];
        values[k] = ops[o + 1];
      } else {
        heights[k] = ops[o + 2];
        seqs[k] = ops[o + 3];
        values[k] = ops[o + 4];
      }
    }
    this.gathered = end;
  }

  /** How many postings group g lists, from starts[g]: sorted first unless they came in list order. */
  listed(g) {
    return this.ascending[g] === 1 ? this.postings[g] : this.sortPostings(g);
  }

  /**
   * A group's postings put in list order (by sequence, then a bucket's by order id), each once;
   * returns how many are left. A trader's come ascending already (a window holds each commit once);
   * a bucket's touches of one commit come in the order the commit touched its orders.
   */
  sortPostings(g) {
    const from = this.starts[g];
    const n = this.postings[g];
    const seqs = this.seqs;
    const heights = this.heights;
    const values = this.values;
    if (this.groupPrefix[g] === ORDER_TOUCH) {
      const sorted = this.sortCommitsOfBucket(g);
      if (sorted >= 0) return sorted;
    }
    // A trader's out of order (rare: a window holds each commit once), or a bucket's whose sequences fall:
    // a stable sort of the positions, the first of equal postings kept.
    const order = this.groupPrefix[g] === ORDER_TOUCH ? values : null;
    const positions = Array.from({ length: n }, (_, k) => from + k);
    positions.sort((i, j) => seqs[i] - seqs[j] || (order === null ? 0 : order[i] - order[j]));
    const sortedSeqs = positions.map((i) => seqs[i]);
    const sortedHeights = positions.map((i) => heights[i]);
    const sortedValues = positions.map((i) => values[i]);
    let m = 0;
    for (let k = 0; k < n; k++) {
      const same = k > 0 && sortedSeqs[k] === sortedSeqs[k - 1] && (order === null || sortedValues[k] === sortedValues[k - 1]);
      if (same) continue;
      seqs[from + m] = sortedSeqs[k];
      heights[from + m] = sortedHeights[k];
      values[from + m] = sortedValues[k];
      m++;
    }
    return m;
  }

  /**
   * A bucket's touches whose sequences never fall, which is how a window holds them (commits in
   * order), put in order a commit at a time: each commit's orders marked in a bitmap of the
   * bucket's offsets and read back in order, duplicates falling out. Returns how many are left,
   * or -1 (nothing changed) if a sequence falls.
   */
  sortCommitsOfBucket(g) {
    const from = this.starts[g];
    const end = from + this.postings[g];
    const seqs = this.seqs;
    const values = this.values;
    for (let k = from + 1; k < end; k++) if (seqs[k] < seqs[k - 1]) return -1;
    const firstOrder = this.groupA[g] * ORDERS_PER_TOUCH_BUCKET;
    let m = from;
    for (let k = from; k < end;) {
      const seq = seqs[k];
      let low = TOUCHED.length;
      let high = -1;
      for (; k < end && seqs[k] === seq; k++) {
        const offset = values[k] - firstOrder;
        const word = offset >> 5;
        TOUCHED[word] |= 1 << (offset & 31);
        low = Math.min(low, word);
        high = Math.max(high, word);
      }
      // The commit's touches are all read (k), so writing from m, which trails k, overwrites none still to come.
      for (let word = low; word <= high; word++) {
        for (let bits = TOUCHED[word]; bits !== 0; bits &= bits - 1) {
          seqs[m] = seq;
          values[m] = firstOrder + (word * 32 + 31 - Math.clz32(bits & -bits));
          m++;
        }
        TOUCHED[word] = 0;
      }
    }
    return m - from;
  }

  /**
   * The window's next write batch (store-wire.ts layout): at most `keysPerWrite` keys (and
   * INDEX_HEAD), INDEX_REACH in the first one and INDEX_HEAD in the last (if the window carries
   * them), `last` set on it. Packed one at a time, so the worker runs a read between two (the
   * batches share one buffer).
   * @param {number} keysPerWrite
   * @returns {{ bytes: Uint8Array, keys: number, last: boolean }}
   */
  nextPart(keysPerWrite) {
    if (this.packer === undefined) {
      // The whole window in one step: its count (a small integer), not Infinity, which reached
      // fold and gather as a double where the worker's steps pass a small integer, and deoptimized both.
      while (!this.prepare(this.count));
      this.sortGroupsByKey();
      this.packer = new Packer(this.arrays.packed);
    }
    const packer = this.packer;
    const from = packer.n;
    let keys = 0;
    if (this.packed === 0 && from === 0 && this.head >= 0) {
      packer.put(INDEX_HEAD, 1, INDEX_REACH_FIELD, 0, 0, this.head);
      keys++;
    }
    while (keys < keysPerWrite && this.packed < this.groups) {
      const g = this.groupAt(this.packed++);
      const prefix = this.groupPrefix[g];
      if (prefix === ORDER_TOUCH) packer.bucket(this, g);
      else if (prefix === TRADER_TOUCH || prefix === TRADER_ORDER) packer.list(this, g);
      else packer.single(this, g);
      keys++;
    }
    const last = this.packed >= this.groups;
    if (last && this.head >= 0) {
      packer.put(INDEX_HEAD, 0, 0, 0, 0, this.head);
      keys++;
    }
    return { bytes: packer.bytes.subarray(from, packer.n), keys, last };
  }

  /**
   * Puts the groups in the order of their keys, near enough, for the writes: RocksDB's memtable
   * inserts each key into a skip list, and a key that follows the one before it finds its place
   * among nodes the last search left in the cache, where a key anywhere takes a miss at each level
   * (the search was about half of the index worker's time in RocksDB's write). Any order writes
   * the same entries, so the order needs to be exact only where it is cheap: by prefix and first
   * field (a trader, a bucket, an asset; from 2^31 - 1 on they share the last place), a group's
   * place in the window breaking ties. Each is one number, prefix | field | group, sorted without a
   * comparator. A window of more than 2^18 groups (one huge commit) is written as it was folded.
   */
  sortGroupsByKey() {
    this.sortedGroups = this.groups <= GROUPS_SORTED_MAX;
    if (!this.sortedGroups) return;
    const { keyOrder, groupPrefix, groupA } = this;
    for (let g = 0; g < this.groups; g++) {
      const field = groupA[g] < FIELD_PLACES ? groupA[g] : FIELD_PLACES - 1;
      // A bucket's touches are written under ORDER_TOUCHES, not the prefix they came under.
      const prefix = groupPrefix[g] === ORDER_TOUCH ? ORDER_TOUCHES : groupPrefix[g];
      keyOrder[g] = ((prefix & 0xf) * FIELD_PLACES + field) * GROUPS_SORTED_MAX + g;
    }
    keyOrder.subarray(0, this.groups).sort();
  }

  /** The group packed `k`th. */
  groupAt(k) {
    return this.sortedGroups ? this.keyOrder[k] % GROUPS_SORTED_MAX : k;
  }

  /** The window is written and nothing reads its parts any more: its arrays go to the next window. */
  release() {
    spare = this.arrays;
  }

  /** Every write batch of the window, in order. */
  parts(keysPerWrite) {
    const parts = [];
    for (;;) {
      const part = this.nextPart(keysPerWrite);
      parts.push(part);
      if (part.last) return parts;
    }
  }
}

/** Write batches being packed into one buffer: kind:u8, keyLength:u32, valueLength:u32 (puts), key, value. */
class Packer {
  /** @param {Uint8Array} bytes room for every batch of the window (its old contents are ignored) */
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(this.bytes.buffer);
    this.n = 0;
  }

  /** Writes the key header and key; returns where the value starts. */
  key(kind, prefix, fields, a, b, c) {
    const keyLength = 1 + fields * 8;
    const n = this.n;
    this.bytes[n] = kind;
    this.view.setUint32(n + 1, keyLength, true);
    const keyAt = n + (kind === OP_PUT ? 9 : 5);
    this.bytes[keyAt] = prefix;
    if (fields > 0) writeU64BE(this.bytes, keyAt + 1, a);
    if (fields > 1) writeU64BE(this.bytes, keyAt + 9, b);
    if (fields > 2) writeU64BE(this.bytes, keyAt + 17, c);
    this.n = keyAt + keyLength;
    return this.n;
  }

  /** A put whose value is one uint (NO_VALUE: the empty frame). */
  put(prefix, fields, a, b, c, value) {
    const valueAt = this.key(OP_PUT, prefix, fields, a, b, c);
    this.n = putUintFrame(this.bytes, valueAt, value);
    this.view.setUint32(valueAt - (1 + fields * 8) - 4, this.n - valueAt, true);
  }

  /**
   * Another key's newest operation. A put and a delete of one key in one window would write the
   * delete: after a crash, the put may be stored already, by the part of a window that landed.
   */
  single(window, g) {
    const ops = window.ops;
    const last = window.lastOp[g] * INDEX_OP_SLOTS;
    const fields = (ops[last] >> 2) & 3;
    if ((ops[last] & 3) === INDEX_DEL) this.key(OP_DEL, window.groupPrefix[g], fields, ops[last + 1], ops[last + 2], 0);
    else this.put(window.groupPrefix[g], fields, ops[last + 1], ops[last + 2], 0, ops[last + 4]);
  }

  /** One trader group's postings as one key: the first posting's, the rest in a posting-list frame. */
  list(window, g) {
    const prefix = window.groupPrefix[g];
    const withValues = prefix === TRADER_ORDER;
    const fields = 3;
    const from = window.starts[g];
    const n = window.listed(g);
    const { seqs, heights, values } = window;
    const trader = window.groupA[g];
    const height = heights[from];
    if (n === 1) {
      this.put(prefix, fields, trader, height, seqs[from], withValues ? values[from] : NO_VALUE);
      return;
    }
    const valueAt = this.key(OP_PUT, prefix, fields, trader, height, seqs[from]);
    const bytes = this.bytes;
    let at = valueAt;
    // Heights never fall as sequences rise: the list is at one height when its last posting is.
    const acrossHeights = heights[from + n - 1] !== height;
    bytes[at++] = acrossHeights ? TRADER_LIST_VERSION : POSTING_LIST_VERSION;
    if (withValues) at = putVarint(bytes, at, values[from]);
    for (let k = from + 1; k < from + n; k++) {
      if (acrossHeights) at = putVarint(bytes, at, heights[k] - heights[k - 1]);
      at = putVarint(bytes, at, seqs[k] - seqs[k - 1]);
      if (withValues) at = putVarint(bytes, at, values[k]);
    }
    this.n = sealFrame(bytes, valueAt, at);
    this.view.setUint32(valueAt - (1 + fields * 8) - 4, this.n - valueAt, true);
  }

  /**
   * One bucket's order touches as one ORDER_TOUCHES key (bucket, first sequence): the first
   * touch's order (its offset in the bucket), then for each further touch the sequence's delta
   * (0 for another order of the same commit) and its order's offset, all varints.
   */
  bucket(window, g) {
    const from = window.starts[g];
    const n = window.listed(g);
    const { seqs, values } = window;
    const bucket = window.groupA[g];
    const firstOrder = bucket * ORDERS_PER_TOUCH_BUCKET;
    const valueAt = this.key(OP_PUT, ORDER_TOUCHES, 2, bucket, seqs[from], 0);
    const bytes = this.bytes;
    let at = valueAt;
    bytes[at++] = ORDER_TOUCHES_VERSION;
    at = putVarint(bytes, at, values[from] - firstOrder);
    for (let k = from + 1; k < from + n; k++) {
      at = putVarint(bytes, at, seqs[k] - seqs[k - 1]);
      at = putVarint(bytes, at, values[k] - firstOrder);
    }
    this.n = sealFrame(bytes, valueAt, at);
    this.view.setUint32(valueAt - (1 + 2 * 8) - 4, this.n - valueAt, true);
  }
}
