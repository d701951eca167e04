// The compact index operations (src/state/index-wire.mjs) expand into exactly the keys and
// values the rest of the database layer writes and reads (keys.ts, codecs.ts), and the overlay
// reads them back the same way. A write window (index-window.mjs)
// folds postings into posting lists that codecs.ts reads back.
import { describe, expect, it } from 'vitest';
import { Prng } from '../src/prng.js';
import { EMPTY_VALUE, decodeOrderTouches, decodePostings, encodeUint } from '../src/state/codecs.js';
import { IndexOps, NO_VALUE } from '../src/state/index-ops.js';
import { INDEX_DEL, INDEX_OP_SLOTS, ORDERS_PER_TOUCH_BUCKET, putUintFrame, uintOfFrame } from '../src/state/index-wire.mjs';
import { IndexWindow } from '../src/state/index-window.mjs';
import { Prefix, indexHeadKey, indexReachKey, keyIntegers, keyOf, prefixRange } from '../src/state/keys.js';
import { OP_DEL, OP_PUT } from '../src/state/store-wire.js';

/** Reads a packed write batch back as [kind, key, value] triples. */
function unpack(bytes: Uint8Array): Array<[number, Buffer, Buffer | undefined]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Array<[number, Buffer, Buffer | undefined]> = [];
  let o = 0;
  while (o < bytes.length) {
    const kind = bytes[o];
    const keyLength = view.getUint32(o + 1, true);
    if (kind === OP_PUT) {
      const valueLength = view.getUint32(o + 5, true);
      out.push([kind, Buffer.from(bytes.subarray(o + 9, o + 9 + keyLength)), Buffer.from(bytes.subarray(o + 9 + keyLength, o + 9 + keyLength + valueLength))]);
      o += 9 + keyLength + valueLength;
    } else {
      out.push([kind, Buffer.from(bytes.subarray(o + 5, o + 5 + keyLength)), undefined]);
      o += 5 + keyLength;
    }
  }
  return out;
}

/** Operations [from, to) of `ops` through a window, as [kind, key, value] triples in key order. */
function windowed(ops: Float64Array, from: number, to: number, keysPerWrite = 256): Array<[number, Buffer, Buffer | undefined]> {
  const window = new IndexWindow(ops.slice(from * INDEX_OP_SLOTS, to * INDEX_OP_SLOTS), to - from);
  return window.parts(keysPerWrite).flatMap((part) => unpack(part.bytes)).sort((a, b) => Buffer.compare(a[1], b[1]));
}

describe('a uint frame', () => {
  it('is read back by uintOfFrame as putUintFrame wrote it, and as encodeUint frames it', () => {
    // Either side of 2^31, where putVarint leaves integer shifts for floating-point division.
    for (const value of [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, NO_VALUE]) {
      const bytes = new Uint8Array(16);
      const frame = bytes.subarray(0, putUintFrame(bytes, 0, value));
      expect(uintOfFrame(frame)).toBe(value);
      if (value !== NO_VALUE) expect(Array.from(frame)).toEqual(Array.from(encodeUint(value)));
    }
  });
});

describe('index operations', () => {
  const big = 2 ** 53 - 1;
  const ops = new IndexOps(2);
  ops.put(Prefix.TRADER_ORDER, 3, 7, 2 ** 40 + 3, 12, 99);
  ops.put(Prefix.CLIENT_ID, 2, big, 2 ** 28, 0, big);
  ops.del(Prefix.CLIENT_ID, 2, 8, 6, 0);
  ops.put(Prefix.TRADER_TOUCH, 3, 7, 0, 1, NO_VALUE);
  ops.put(Prefix.FEED_SPAN, 2, 1, 1, 0, 0);

  const expected: Array<[number, Buffer, Buffer | undefined]> = [
    [OP_PUT, keyOf(Prefix.TRADER_ORDER, 7, 2 ** 40 + 3, 12), encodeUint(99)],
    [OP_PUT, keyOf(Prefix.CLIENT_ID, big, 2 ** 28), encodeUint(big)],
    [OP_DEL, keyOf(Prefix.CLIENT_ID, 8, 6), undefined],
    [OP_PUT, keyOf(Prefix.TRADER_TOUCH, 7, 0, 1), EMPTY_VALUE],
    [OP_PUT, keyOf(Prefix.FEED_SPAN, 1, 1), encodeUint(0)],
  ];

  const inKeyOrder = expected.slice().sort((a, b) => Buffer.compare(a[1], b[1]));

  it('expand into the keys and framed values keys.ts and codecs.ts write', () => {
    expect(windowed(ops.ops, 0, ops.count)).toEqual(inKeyOrder);
  });

  it('expand a slice without the operations around it', () => {
    expect(windowed(ops.ops, 1, 3)).toEqual([expected[2], expected[1]]);
  });

  it('read back through the overlay by key range, oldest first, deletes as undefined', () => {
    const found: Array<[Uint8Array, Uint8Array | undefined]> = [];
    ops.collect(prefixRange(Prefix.CLIENT_ID), found);
    expect(found.map(([key, value]) => [Buffer.from(key), value && Buffer.from(value)])).toEqual([[expected[1][1], expected[1][2]], [expected[2][1], undefined]]);
    found.length = 0;
    ops.collect({ gte: keyOf(Prefix.TRADER_ORDER, 7, 0, 0), lt: keyOf(Prefix.TRADER_ORDER, 8, 0, 0) }, found);
    expect(found.map(([key, value]) => [Buffer.from(key), Buffer.from(value!)])).toEqual([[expected[0][1], expected[0][2]]]);
  });
});

describe('a write window', () => {
  /** A window's operations, INDEX_HEAD last. */
  function window(build: (ops: IndexOps) => void, head = 99): IndexOps {
    const ops = new IndexOps(4);
    build(ops);
    ops.put(Prefix.INDEX_HEAD, 0, 0, 0, 0, head);
    return ops;
  }

  /** The postings a stored key holds, as [height, seq, value (0: none)]. */
  function postings(key: Buffer, value: Buffer, withValues: boolean): Array<[number, number, number]> {
    const out = { heights: [] as number[], seqs: [] as number[], values: [] as number[] };
    decodePostings(key, value, 'postings', withValues, out);
    return out.seqs.map((seq, i) => [out.heights[i], seq, withValues ? out.values[i] : 0]);
  }

  /** An ORDER_TOUCHES key's touches as [orderId, seq] pairs. */
  function touches(key: Buffer, value: Buffer): Array<[number, number]> {
    const orderIds: number[] = [];
    const seqs: number[] = [];
    decodeOrderTouches(key, value, orderIds, seqs);
    return orderIds.map((orderId, i) => [orderId, seqs[i]]);
  }

  it("folds each trader's postings into one key, the first posting's, the rest listed (frame 2 at one height, 3 across heights); order touches into their bucket's", () => {
    const ops = window((o) => {
      for (const [seq, orderId] of [[3, 30], [5, 0], [300, 2 ** 40]]) o.put(Prefix.TRADER_ORDER, 3, 7, 2, seq, orderId);
      o.put(Prefix.TRADER_ORDER, 3, 7, 9, 301, 31); // a later height: the same list
      o.put(Prefix.TRADER_ORDER, 3, 8, 2, 4, 32); // another trader
      for (const seq of [1, 101, 201]) o.put(Prefix.TRADER_TOUCH, 3, 7, 2, seq, NO_VALUE);
      for (const seq of [101, 2 ** 45]) o.put(Prefix.ORDER_TOUCH, 2, 30, seq, 0, NO_VALUE);
    });
    const stored = windowed(ops.ops, 0, ops.count);
    expect(stored.map(([, key]) => key)).toEqual([
      indexHeadKey(), indexReachKey(),
      keyOf(Prefix.TRADER_TOUCH, 7, 2, 1),
      keyOf(Prefix.TRADER_ORDER, 7, 2, 3), keyOf(Prefix.TRADER_ORDER, 8, 2, 4),
      keyOf(Prefix.ORDER_TOUCHES, 0, 101),
    ]);
    expect(stored[0][2]).toEqual(encodeUint(99));
    expect(stored[1][2]).toEqual(encodeUint(99));
    expect(stored[2][2]![0]).toBe(2);
    expect(postings(stored[2][1], stored[2][2]!, false)).toEqual([[2, 1, 0], [2, 101, 0], [2, 201, 0]]);
    expect(stored[3][2]![0]).toBe(3);
    expect(postings(stored[3][1], stored[3][2]!, true)).toEqual([[2, 3, 30], [2, 5, 0], [2, 300, 2 ** 40], [9, 301, 31]]);
    // A group with one posting keeps the version-1 frame, as a version-4 database has it.
    expect(stored[4][2]).toEqual(encodeUint(32));
    expect(postings(stored[4][1], stored[4][2]!, true)).toEqual([[2, 4, 32]]);
    expect(touches(stored[5][1], stored[5][2]!)).toEqual([[30, 101], [30, 2 ** 45]]);
  });

  it('keeps the newest operation of other keys; a key put and deleted in the window is deleted (a crash may have stored the put)', () => {
    const ops = window((o) => {
      o.put(Prefix.FEED_SPAN, 2, 7, 40, 0, 12);
      o.put(Prefix.CLIENT_ID, 2, 7, 5, 0, 12);
      o.del(Prefix.FEED_SPAN, 2, 7, 40, 0);
      o.del(Prefix.FEED_SPAN, 2, 7, 41, 0); // put in an earlier window
      o.put(Prefix.FEED_SPAN, 2, 7, 42, 0, 14);
      o.put(Prefix.CLIENT_ID, 2, 7, 5, 0, 14);
    });
    expect(windowed(ops.ops, 0, ops.count).filter(([, key]) => key[0] !== Prefix.INDEX_HEAD)).toEqual([
      [OP_PUT, keyOf(Prefix.CLIENT_ID, 7, 5), encodeUint(14)],
      [OP_DEL, keyOf(Prefix.FEED_SPAN, 7, 40), undefined],
      [OP_DEL, keyOf(Prefix.FEED_SPAN, 7, 41), undefined],
      [OP_PUT, keyOf(Prefix.FEED_SPAN, 7, 42), encodeUint(14)],
    ]);
  });

  it('cuts the window into writes of a bounded number of keys, INDEX_REACH in the first and INDEX_HEAD in the last only', () => {
    const ops = window((o) => {
      for (let trader = 1; trader <= 10; trader++) for (let seq = 1; seq <= 3; seq++) o.put(Prefix.TRADER_TOUCH, 3, trader, 0, seq * 10 + trader, NO_VALUE);
    });
    const head = ops.ops[(ops.count - 1) * INDEX_OP_SLOTS + 4];
    const parts = new IndexWindow(ops.ops, ops.count).parts(4);
    expect(parts.map((p) => p.keys)).toEqual([4, 4, 4]);
    const entries = parts.map((p) => unpack(p.bytes));
    const marks = entries.flat().filter(([, key]) => key[0] === Prefix.INDEX_HEAD);
    expect(marks).toEqual([[OP_PUT, indexReachKey(), encodeUint(head)], [OP_PUT, indexHeadKey(), encodeUint(head)]]);
    expect(entries[0][0]).toEqual(marks[0]);
    expect(entries[2][entries[2].length - 1]).toEqual(marks[1]);
  });

  it('lists postings that arrive out of order ascending, each once, each with its height', () => {
    const ops = window((o) => {
      for (const [seq, height] of [[9, 2], [4, 1], [9, 2], [6, 1]]) o.put(Prefix.TRADER_TOUCH, 3, 3, height, seq, NO_VALUE);
    });
    const [, , [, key, value]] = windowed(ops.ops, 0, ops.count);
    expect(key).toEqual(keyOf(Prefix.TRADER_TOUCH, 3, 1, 4));
    expect(postings(key, value!, false)).toEqual([[1, 4, 0], [1, 6, 0], [2, 9, 0]]);
  });

  it("lists a bucket's order touches by sequence, then order, each once, a key a bucket", () => {
    const last = ORDERS_PER_TOUCH_BUCKET - 1;
    const ops = window((o) => {
      for (const [orderId, seq] of [[3, 9], [3, 4], [3, 9], [last, 6], [3, 6], [last + 1, 5], [0, 2 ** 45]]) o.put(Prefix.ORDER_TOUCH, 2, orderId, seq, 0, NO_VALUE);
    });
    const stored = windowed(ops.ops, 0, ops.count).filter(([, key]) => key[0] !== Prefix.INDEX_HEAD);
    expect(stored.map(([, key]) => key)).toEqual([keyOf(Prefix.ORDER_TOUCHES, 0, 4), keyOf(Prefix.ORDER_TOUCHES, 1, 5)]);
    expect(touches(stored[0][1], stored[0][2]!)).toEqual([[3, 4], [3, 6], [last, 6], [3, 9], [0, 2 ** 45]]);
    expect(touches(stored[1][1], stored[1][2]!)).toEqual([[last + 1, 5]]);
  });

  it("lists a bucket's touches in order when each commit's come shuffled, as a window holds them, across every word of the bucket", () => {
    // Sequences that never fall (commits in order), each commit's orders shuffled and some twice:
    // the touches a window holds, which are put in order a commit at a time.
    const prng = new Prng(7);
    const random = (n: number): number => prng.below(n);
    const expected = new Map<number, Array<[number, number]>>();
    const ops = window((o) => {
      for (let seq = 10; seq < 40; seq += 1 + random(3)) {
        const orders = Array.from({ length: 1 + random(60) }, () => random(3 * ORDERS_PER_TOUCH_BUCKET));
        for (const orderId of [...orders, ...orders.slice(0, random(5))]) o.put(Prefix.ORDER_TOUCH, 2, orderId, seq, 0, NO_VALUE);
        for (const orderId of [...new Set(orders)].sort((a, b) => a - b)) {
          const bucket = Math.floor(orderId / ORDERS_PER_TOUCH_BUCKET);
          expected.set(bucket, [...(expected.get(bucket) ?? []), [orderId, seq]]);
        }
      }
    });
    const stored = windowed(ops.ops, 0, ops.count).filter(([, key]) => key[0] === Prefix.ORDER_TOUCHES);
    const bucketOf = (key: Buffer): number => keyIntegers(key, Prefix.ORDER_TOUCHES, 2)[0];
    expect(stored.map(([, key]) => bucketOf(key))).toEqual([...expected.keys()].sort((a, b) => a - b));
    for (const [, key, value] of stored) expect(touches(key, value!)).toEqual(expected.get(bucketOf(key)));
  });

  it('stores what a plain model of the window says, over random windows prepared in random steps in reused arrays', () => {
    const prng = new Prng(11);
    const random = (n: number): number => prng.below(n);
    const pick = <T>(items: readonly T[]): T => items[random(items.length)];
    for (let trial = 0; trial < 150; trial++) {
      let seq = 1 + random(1_000);
      const falling = trial % 3 === 0;
      const ops = window((o) => {
        for (let n = random(trial % 10 === 0 ? 3_000 : 200); n > 0; n--) {
          if (random(4) === 0) seq += random(trial % 7 === 0 && random(50) === 0 ? 2 ** 45 : 4);
          const at = falling && random(8) === 0 ? Math.max(1, seq - random(3)) : seq;
          const kind = random(10);
          if (kind < 4) {
            // Offsets at the edges of a bucket's 32-bit words as often as anywhere.
            const offset = random(2) === 0 ? pick([0, 31, 32, 63, 992, 1023]) : random(ORDERS_PER_TOUCH_BUCKET);
            o.put(Prefix.ORDER_TOUCH, 2, random(3) * ORDERS_PER_TOUCH_BUCKET + offset, at, 0, NO_VALUE);
          } else if (kind < 8) {
            // Heights never fall as sequences rise (setHeight refuses a lower one).
            const prefix = kind < 6 ? Prefix.TRADER_TOUCH : Prefix.TRADER_ORDER;
            o.put(prefix, 3, random(20), Math.floor(at / 8), at, prefix === Prefix.TRADER_ORDER ? random(2) * 2 ** 40 + random(100_000) : NO_VALUE);
          } else {
            const [prefix, trader, id] = [pick([Prefix.CLIENT_ID, Prefix.FEED_SPAN]), random(20), random(300)];
            if (random(3) === 0) o.del(prefix, 2, trader, id, 0);
            else o.put(prefix, 2, trader, id, 0, at);
          }
        }
      });
      // The model: each posting group's postings in window order, each other key's newest operation.
      const groups = new Map<string, { prefix: number; a: number; postings: Array<[number, number, number]> }>();
      const others = new Map<string, [number, Buffer, Buffer | undefined]>();
      for (let i = 0; i < ops.count; i++) {
        const o = i * INDEX_OP_SLOTS;
        const head = ops.ops[o];
        const prefix = head >> 4;
        if (prefix === Prefix.INDEX_HEAD) continue;
        const [a, b, c, value] = [ops.ops[o + 1], ops.ops[o + 2], ops.ops[o + 3], ops.ops[o + 4]];
        if (prefix === Prefix.ORDER_TOUCH) {
          const bucket = Math.floor(a / ORDERS_PER_TOUCH_BUCKET);
          const group = groups.get(`t${bucket}`) ?? { prefix: Prefix.ORDER_TOUCHES, a: bucket, postings: [] };
          groups.set(`t${bucket}`, group);
          group.postings.push([b, a, 0]);
        } else if (prefix === Prefix.TRADER_TOUCH || prefix === Prefix.TRADER_ORDER) {
          // A trader's postings are one group whatever their heights.
          const group = groups.get(`${prefix}.${a}`) ?? { prefix, a, postings: [] };
          groups.set(`${prefix}.${a}`, group);
          group.postings.push([c, prefix === Prefix.TRADER_ORDER ? value : 0, b]);
        } else {
          const key = keyOf(prefix, a, b);
          others.set(key.toString('hex'), (head & 3) === INDEX_DEL ? [OP_DEL, key, undefined] : [OP_PUT, key, encodeUint(value)]);
        }
      }
      const head = encodeUint(ops.ops[(ops.count - 1) * INDEX_OP_SLOTS + 4]);
      const expected: Array<[number, Buffer, unknown]> = [[OP_PUT, indexHeadKey(), head], [OP_PUT, indexReachKey(), head]];
      for (const group of groups.values()) {
        const touch = group.prefix === Prefix.ORDER_TOUCHES;
        // Sorted stably by sequence (then a touch's order id), the first of equal ones kept.
        const sorted = group.postings.map((p, k) => [p, k] as const).sort(([p, k], [q, l]) => p[0] - q[0] || (touch ? p[1] - q[1] : 0) || k - l).map(([p]) => p);
        const listed = sorted.filter((p, k) => k === 0 || p[0] !== sorted[k - 1][0] || (touch && p[1] !== sorted[k - 1][1]));
        expected.push(touch
          ? [OP_PUT, keyOf(Prefix.ORDER_TOUCHES, group.a, listed[0][0]), listed.map(([at, orderId]) => [orderId, at])]
          : [OP_PUT, keyOf(group.prefix, group.a, listed[0][2], listed[0][0]), listed.map(([at, value, height]) => [height, at, value])]);
      }
      expected.push(...others.values());
      expected.sort((x, y) => Buffer.compare(x[1], y[1]));
      // Prepared in random steps, cut into writes of a random number of keys.
      const prepared = new IndexWindow(ops.ops, ops.count);
      for (const step = 1 + random(500); !prepared.prepare(step););
      const stored = prepared.parts(1 + random(300)).flatMap((part) => unpack(part.bytes)).sort((x, y) => Buffer.compare(x[1], y[1]));
      prepared.release();
      const decoded = stored.map(([kind, key, value]): [number, Buffer, unknown] => {
        if (key[0] === Prefix.ORDER_TOUCHES) return [kind, key, touches(key, value!)];
        if (key[0] === Prefix.TRADER_TOUCH || key[0] === Prefix.TRADER_ORDER) return [kind, key, postings(key, value!, key[0] === Prefix.TRADER_ORDER)];
        return [kind, key, value];
      });
      expect(decoded, `trial ${trial}`).toEqual(expected);
    }
  });

  it('is prepared (folded, then gathered) in steps as well as at once', () => {
    const ops = window((o) => {
      for (let seq = 1; seq <= 50; seq++) o.put(Prefix.TRADER_ORDER, 3, seq % 3, 0, seq, seq * 2);
    });
    const stepwise = new IndexWindow(ops.ops, ops.count);
    let steps = 1;
    while (!stepwise.prepare(7)) steps++;
    expect(steps).toBe(2 * Math.ceil(ops.count / 7));
    expect(stepwise.parts(256).flatMap((p) => unpack(p.bytes))).toEqual(new IndexWindow(ops.ops, ops.count).parts(256).flatMap((p) => unpack(p.bytes)));
  });

  /** A window of 400 postings and one of 61 other operations. */
  function bigAndSmall() {
    const big = window((o) => {
      for (let seq = 1; seq <= 400; seq++) o.put(Prefix.TRADER_ORDER, 3, seq % 11, 0, seq, seq * 3);
    });
    const small = window((o) => {
      for (let seq = 1; seq <= 60; seq++) o.put(Prefix.ORDER_TOUCH, 2, seq % 7, seq, 0, NO_VALUE);
      o.put(Prefix.CLIENT_ID, 2, 5, 6, 0, 77);
    });
    return { big, small };
  }

  it('packs the same writes into the arrays a bigger released window leaves as into new ones', () => {
    const { big, small } = bigAndSmall();
    const fresh = new IndexWindow(small.ops, small.count).parts(16).flatMap((p) => unpack(p.bytes));
    const released = new IndexWindow(big.ops, big.count);
    const bigParts = released.parts(16).flatMap((p) => unpack(p.bytes));
    released.release();
    const reusing = new IndexWindow(small.ops, small.count);
    expect(reusing.table).toBe(released.table);
    expect(reusing.parts(16).flatMap((p) => unpack(p.bytes))).toEqual(fresh);
    // Written over by the small window, they serve the big one again as they did the first time.
    reusing.release();
    expect(new IndexWindow(big.ops, big.count).parts(16).flatMap((p) => unpack(p.bytes))).toEqual(bigParts);
  });

  it('writes its groups in key order, by prefix and first field, INDEX_REACH first and INDEX_HEAD last; a first field from 2^31 - 1 on after the rest of its prefix', () => {
    const prng = new Prng(5);
    const traders = [3, 2 ** 32 + 7, 17, 2 ** 31, 1, 2 ** 31 - 1, 2 ** 40, 250, 2 ** 31 - 2];
    // Order ids either side of 2^31, where a bucket leaves a shift for a division, and past 2^32.
    const orders = [5, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1_023, 2 ** 31 + 1_024, 2 ** 32 + 3, 2 ** 45 + 9, 1_500];
    const ops = window((o) => {
      for (let seq = 1; seq <= 200; seq++) {
        const trader = traders[prng.below(traders.length)];
        o.put(Prefix.TRADER_ORDER, 3, trader, 0, seq, seq);
        o.put(Prefix.ORDER_TOUCH, 2, orders[prng.below(orders.length)], seq, 0, NO_VALUE);
        o.put(Prefix.TRADER_TOUCH, 3, trader, 0, seq, NO_VALUE);
        if (seq % 50 === 0) o.put(Prefix.FEED_SPAN, 2, 300 - seq, seq, 0, seq);
      }
    });
    const written = new IndexWindow(ops.ops, ops.count).parts(5).flatMap((p) => unpack(p.bytes));
    expect(written[0][1]).toEqual(indexReachKey());
    expect(written[written.length - 1][1]).toEqual(indexHeadKey());
    const keys = written.slice(1, -1).map(([, key]) => key);
    const first = (key: Buffer): number => keyIntegers(key, key[0], (key.length - 1) / 8)[0];
    const LAST_PLACE = 2 ** 31 - 1;
    for (let k = 1; k < keys.length; k++) {
      if (keys[k][0] !== keys[k - 1][0]) expect(keys[k][0]).toBeGreaterThan(keys[k - 1][0]);
      else if (first(keys[k]) < LAST_PLACE) expect(Buffer.compare(keys[k - 1], keys[k]), `key ${k}`).toBeLessThan(0);
    }
    // The traders from 2^31 - 1 on last, in the order the window first named them.
    const named: number[] = [];
    for (let i = 0; i < ops.count; i++) if (ops.ops[i * INDEX_OP_SLOTS] >> 4 === Prefix.TRADER_ORDER && !named.includes(ops.ops[i * INDEX_OP_SLOTS + 1])) named.push(ops.ops[i * INDEX_OP_SLOTS + 1]);
    expect(keys.filter((key) => key[0] === Prefix.TRADER_ORDER).map(first))
      .toEqual([...named.filter((t) => t < LAST_PLACE).sort((x, y) => x - y), ...named.filter((t) => t >= LAST_PLACE)]);
    // Each touch in its bucket, the order id exact.
    const touched = keys.filter((key) => key[0] === Prefix.ORDER_TOUCHES).flatMap((key) => {
      const value = written.find(([, k]) => k === key)![2]!;
      const bucket = first(key);
      return touches(key, value).map(([orderId]) => { expect(Math.floor(orderId / ORDERS_PER_TOUCH_BUCKET)).toBe(bucket); return orderId; });
    });
    expect(new Set(touched)).toEqual(new Set(orders));
  });

  it('writes a window of more than 2^18 groups in the order it folded them', () => {
    const groups = 2 ** 18 + 3;
    const ops = window((o) => {
      for (let k = 0; k < groups; k++) o.put(Prefix.CLIENT_ID, 2, groups - k, 1, 0, k);
    });
    const keys = new IndexWindow(ops.ops, ops.count).parts(4_096).flatMap((p) => unpack(p.bytes)).slice(1, -1).map(([, key]) => keyIntegers(key, Prefix.CLIENT_ID, 2)[0]);
    expect(keys.length).toBe(groups);
    expect(keys[0]).toBe(groups);
    expect(keys[groups - 1]).toBe(1);
  });

  it('makes its arrays with the room its operations\' array has, so that a later, larger window reuses them', () => {
    const { big, small } = bigAndSmall();
    const bigParts = new IndexWindow(big.ops, big.count).parts(16).flatMap((p) => unpack(p.bytes));
    const smallParts = new IndexWindow(small.ops, small.count).parts(16).flatMap((p) => unpack(p.bytes));
    // As the index writer sends a window: in an array with room for more operations than it holds.
    const roomy = new Float64Array(big.ops.length + INDEX_OP_SLOTS);
    roomy.set(small.ops);
    const first = new IndexWindow(roomy, small.count);
    expect(first.parts(16).flatMap((p) => unpack(p.bytes))).toEqual(smallParts);
    first.release();
    const larger = new IndexWindow(big.ops, big.count);
    expect(larger.table).toBe(first.table);
    expect(larger.parts(16).flatMap((p) => unpack(p.bytes))).toEqual(bigParts);
  });
});
