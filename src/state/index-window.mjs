// A write window of the index writer: the operations of one or more durable commits (index-wire.mjs
// layout), folded into as few RocksDB keys as they can be, and cut into write batches of a bounded
// number of keys. Plain JavaScript: the store worker runs it.
//
// Why: every key costs the store thread a few microseconds (its binding call and memtable insert)
// whatever it holds, and the postings are most of the keys. So the postings of one group within a
// window become one key, a posting list:
//
//   0x09 orderId        blockSeq   ORDER_TOUCH   group: the order
//   0x0a trader height  blockSeq   TRADER_TOUCH  group: the trader at that height
//   0x0b trader height  seq        TRADER_ORDER  group: the trader at that height; each posting has an orderId
//
// The key is the one the list's FIRST posting has always had; its value, posting-list frame
// (version 2, codecs.ts), lists the further ones: the sequence deltas as varints, and for
// TRADER_ORDER the first orderId, then (delta, orderId) pairs. A group with one posting in the
// window keeps the old single frame (version 1), so every key of a version-4 database is a list of
// one. Readers expand lists (posting-lists.ts).
//
// The other operations (TRADER_OPEN, CLIENT_ID, FEED_SPAN) are folded by key: the newest wins,
// and a TRADER_OPEN put whose delete is in the same window writes nothing at all (an order is
// listed as open once; every commit of a window is durable, so the pair may go, as DroppablePuts
// drops pairs before they are sent). INDEX_HEAD goes with the last write of the window only.
import { INDEX_DEL, INDEX_DROPPED, INDEX_OP_SLOTS, INDEX_PUT, NO_VALUE, putUintFrame, putVarint, sealFrame } from './index-wire.mjs';
import { writeU64BE } from './u64.mjs';

const OP_PUT = 1;
const OP_DEL = 2;
export const POSTING_LIST_VERSION = 2;
const ORDER_TOUCH = 0x09;
const TRADER_TOUCH = 0x0a;
const TRADER_ORDER = 0x0b;
const INDEX_HEAD = 0x08;

/** The key prefixes whose entries are postings, written as posting lists. */
export const POSTING_PREFIXES = [ORDER_TOUCH, TRADER_TOUCH, TRADER_ORDER];

class Group {
  /**
   * @param {number} prefix
   * @param {number} a the first key field (order or trader)
   * @param {number} b the second (height), unused for ORDER_TOUCH
   */
  constructor(prefix, a, b) {
    this.prefix = prefix;
    this.a = a;
    this.b = b;
    /** @type {number[]} */
    this.seqs = [];
    /** @type {number[]} orderIds (TRADER_ORDER only) */
    this.values = [];
    this.ascending = true;
  }

  add(seq, value) {
    const n = this.seqs.length;
    if (n > 0 && seq <= this.seqs[n - 1]) this.ascending = false;
    this.seqs.push(seq);
    this.values.push(value);
  }

  /** Postings ascending, each once (a window holds each commit once, so this is a safeguard). */
  normalize() {
    if (this.ascending) return;
    const order = this.seqs.map((_, i) => i).sort((i, j) => this.seqs[i] - this.seqs[j]);
    const seqs = [];
    const values = [];
    for (const i of order) {
      if (seqs.length > 0 && seqs[seqs.length - 1] === this.seqs[i]) continue;
      seqs.push(this.seqs[i]);
      values.push(this.values[i]);
    }
    this.seqs = seqs;
    this.values = values;
    this.ascending = true;
  }
}

class Single {
  constructor(prefix, fields, a, b, kind) {
    this.prefix = prefix;
    this.fields = fields;
    this.a = a;
    this.b = b;
    this.firstKind = kind;
    this.kind = kind;
    this.value = NO_VALUE;
  }
}

/** Map<x, Map<y, T>>: two number fields without building a string key. */
function inner(outer, x) {
  let map = outer.get(x);
  if (map === undefined) {
    map = new Map();
    outer.set(x, map);
  }
  return map;
}

export class IndexWindow {
  /**
   * @param {Float64Array} ops the window's operations (index-wire.mjs layout)
   * @param {number} count how many
   */
  constructor(ops, count) {
    this.ops = ops;
    this.count = count;
    this.folded = 0;
    /** @type {Map<number, Group>} ORDER_TOUCH by orderId */
    this.orderGroups = new Map();
    /** @type {Map<number, Map<number, Map<number, Group>>>} TRADER_TOUCH and TRADER_ORDER by prefix, trader, height */
    this.traderGroups = new Map([[TRADER_TOUCH, new Map()], [TRADER_ORDER, new Map()]]);
    /** @type {Map<number, Map<number, Map<number, Single>>>} other keys by prefix and their (up to two) fields */
    this.singles = new Map();
    this.head = -1;
  }

  /** Folds up to `n` more operations; true once all are folded (a worker folds in steps, letting commits run between). */
  fold(n) {
    const ops = this.ops;
    const end = Math.min(this.count, this.folded + n);
    for (let i = this.folded; i < end; i++) {
      const o = i * INDEX_OP_SLOTS;
      const head = ops[o];
      const kind = head & 3;
      if (kind === INDEX_DROPPED) continue;
      const prefix = head >> 4;
      const fields = (head >> 2) & 3;
      const a = ops[o + 1];
      const b = ops[o + 2];
      if (prefix === ORDER_TOUCH && kind === INDEX_PUT) {
        let group = this.orderGroups.get(a);
        if (group === undefined) {
          group = new Group(prefix, a, 0);
          this.orderGroups.set(a, group);
        }
        group.add(b, NO_VALUE);
      } else if ((prefix === TRADER_TOUCH || prefix === TRADER_ORDER) && kind === INDEX_PUT) {
        const byHeight = inner(this.traderGroups.get(prefix), a);
        let group = byHeight.get(b);
        if (group === undefined) {
          group = new Group(prefix, a, b);
          byHeight.set(b, group);
        }
        group.add(ops[o + 3], ops[o + 4]);
      } else if (prefix === INDEX_HEAD) {
        this.head = ops[o + 4];
      } else {
        if (fields > 2 || POSTING_PREFIXES.includes(prefix)) throw new Error(`index operation ${i} cannot be folded (prefix ${prefix}, ${fields} fields, kind ${kind})`);
        const byB = inner(inner(this.singles, prefix), a);
        let single = byB.get(b);
        if (single === undefined) {
          single = new Single(prefix, fields, a, b, kind);
          byB.set(b, single);
        }
        single.kind = kind;
        single.value = ops[o + 4];
      }
    }
    this.folded = end;
    return end >= this.count;
  }

  /**
   * The window as write batches (store-wire.ts layout) of at most `keysPerWrite` keys each,
   * INDEX_HEAD (if the window carries it) in the last; at least one batch.
   * @param {number} keysPerWrite
   * @returns {Array<{ bytes: Uint8Array, keys: number }>}
   */
  parts(keysPerWrite) {
    this.fold(Infinity);
    const parts = [];
    let packer = new Packer();
    const full = () => {
      if (packer.keys < keysPerWrite) return;
      parts.push(packer.done());
      packer = new Packer();
    };
    for (const group of this.orderGroups.values()) {
      packer.list(group, 2);
      full();
    }
    for (const byTrader of this.traderGroups.values()) {
      for (const byHeight of byTrader.values()) {
        for (const group of byHeight.values()) {
          packer.list(group, 3);
          full();
        }
      }
    }
    for (const byA of this.singles.values()) {
      for (const byB of byA.values()) {
        for (const single of byB.values()) {
          // Put and deleted within the window: the key never existed before it, and need not now.
          if (single.firstKind === INDEX_PUT && single.kind === INDEX_DEL) continue;
          packer.single(single);
          full();
        }
      }
    }
    if (this.head >= 0) packer.put(INDEX_HEAD, 0, 0, 0, 0, this.head);
    if (packer.keys > 0 || parts.length === 0) parts.push(packer.done());
    return parts;
  }
}

/** A write batch being packed: kind:u8, keyLength:u32, valueLength:u32 (puts), key, value. */
class Packer {
  constructor() {
    this.bytes = new Uint8Array(16 * 1024);
    this.view = new DataView(this.bytes.buffer);
    this.n = 0;
    this.keys = 0;
  }

  reserve(length) {
    if (this.n + length <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.n + length));
    grown.set(this.bytes.subarray(0, this.n));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
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
    this.keys++;
    return this.n;
  }

  /** A put whose value is one uint (NO_VALUE: the empty frame). */
  put(prefix, fields, a, b, c, value) {
    this.reserve(9 + 25 + 14);
    const valueAt = this.key(OP_PUT, prefix, fields, a, b, c);
    this.n = putUintFrame(this.bytes, valueAt, value);
    this.view.setUint32(valueAt - (1 + fields * 8) - 4, this.n - valueAt, true);
  }

  single(single) {
    if (single.kind === INDEX_DEL) {
      this.reserve(5 + 25);
      this.key(OP_DEL, single.prefix, single.fields, single.a, single.b, 0);
    } else {
      this.put(single.prefix, single.fields, single.a, single.b, 0, single.value);
    }
  }

  /** One group's postings as one key: the first posting's key, the rest in a posting-list frame. */
  list(group, fields) {
    group.normalize();
    const { seqs, values } = group;
    const withValues = group.prefix === TRADER_ORDER;
    const [a, b] = fields === 2 ? [group.a, seqs[0]] : [group.a, group.b];
    const c = seqs[0];
    if (seqs.length === 1) {
      this.put(group.prefix, fields, a, b, c, withValues ? values[0] : NO_VALUE);
      return;
    }
    // Worst case a varint of a safe integer is 8 bytes: a delta and an orderId per posting.
    this.reserve(9 + 25 + 1 + 8 + seqs.length * 16 + 4);
    const valueAt = this.key(OP_PUT, group.prefix, fields, a, b, c);
    const bytes = this.bytes;
    let at = valueAt;
    bytes[at++] = POSTING_LIST_VERSION;
    if (withValues) at = putVarint(bytes, at, values[0]);
    for (let i = 1; i < seqs.length; i++) {
      at = putVarint(bytes, at, seqs[i] - seqs[i - 1]);
      if (withValues) at = putVarint(bytes, at, values[i]);
    }
    this.n = sealFrame(bytes, valueAt, at);
    this.view.setUint32(valueAt - (1 + fields * 8) - 4, this.n - valueAt, true);
  }

  done() {
    return { bytes: this.bytes.subarray(0, this.n), keys: this.keys };
  }
}
