// The in-memory store's sorted map must order keys exactly as RocksDB does (bytewise), whatever
// the keys: lobcore's own (a prefix and big-endian integers), short ones, long ones, and fields
// past 2^53 where its numeric shortcut rounds. Checked against a plain sorted list, with the
// map's nodes at their real size and at the smallest (four entries), where a few hundred keys
// already make a tree many levels deep, and deletes empty nodes and shrink the root.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedBytesMap, type ByteRange } from '../src/state/sorted-bytes-map.mjs';
import { keyOf } from '../src/state/keys.js';
import { Prng } from '../src/prng.js';

const byteKey = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 30 }),
  // Keys that differ only far out, or only in bits a float cannot hold.
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 255 }))
    .map(([prefix, field, last]) => Uint8Array.from([prefix, ...field, 0, 0, last])),
  fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2 ** 53 - 1 }))
    .map(([prefix, a, b]) => new Uint8Array(keyOf(prefix, a, b))),
);

type Op = { kind: 'set' | 'delete'; key: Uint8Array; value: number };
const op: fc.Arbitrary<Op> = fc.record({ kind: fc.constantFrom('set', 'set', 'delete'), key: byteKey, value: fc.integer({ min: 0, max: 255 }) }) as fc.Arbitrary<Op>;

function reference(ops: Op[]): Array<[Buffer, number]> {
  const map = new Map<string, [Buffer, number]>();
  for (const o of ops) {
    const key = Buffer.from(o.key);
    if (o.kind === 'set') map.set(key.toString('hex'), [key, o.value]);
    else map.delete(key.toString('hex'));
  }
  return [...map.values()].sort((a, b) => Buffer.compare(a[0], b[0]));
}

function inRange(key: Buffer, r: ByteRange): boolean {
  return (r.gte === undefined || Buffer.compare(key, r.gte) >= 0) && (r.gt === undefined || Buffer.compare(key, r.gt) > 0) &&
    (r.lt === undefined || Buffer.compare(key, r.lt) < 0) && (r.lte === undefined || Buffer.compare(key, r.lte) <= 0);
}

for (const nodeEntries of [64, 4]) {
  describe(`SortedBytesMap, ${nodeEntries} entries a node`, () => {
    it('holds, finds and ranges over keys exactly as a bytewise sorted list does', () => {
      const range = fc.record({
        low: fc.option(byteKey, { nil: undefined }), high: fc.option(byteKey, { nil: undefined }), lowOpen: fc.boolean(), highOpen: fc.boolean(),
        reverse: fc.boolean(), limit: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
      });
      fc.assert(fc.property(fc.array(op, { maxLength: 2500 }), fc.array(range, { minLength: 1, maxLength: 5 }), (ops, ranges) => {
        const map = new SortedBytesMap(undefined, nodeEntries);
        for (const o of ops) {
          if (o.kind === 'set') map.set(o.key, Uint8Array.of(o.value));
          else map.delete(o.key);
        }
        const want = reference(ops);
        expect(map.size).toBe(want.length);
        for (const [key, value] of want) expect(map.get(key)?.[0]).toBe(value);
        for (const o of ops.slice(0, 50)) expect(map.get(o.key)?.[0]).toBe(want.find(([k]) => k.equals(o.key))?.[1]);
        // Bounds drawn at random seldom equal a key held; bounds taken from the keys put always may.
        const heldBounds = ops.slice(0, 4).map((o) => ({ ...ranges[0], low: o.key, high: ops[ops.length - 1].key }));
        for (const r of [...ranges, ...heldBounds]) {
          const query: ByteRange = { reverse: r.reverse, limit: r.limit };
          if (r.low !== undefined) query[r.lowOpen ? 'gt' : 'gte'] = r.low;
          if (r.high !== undefined) query[r.highOpen ? 'lt' : 'lte'] = r.high;
          let expected = want.filter(([key]) => inRange(key, query));
          if (r.reverse) expected = expected.reverse();
          if (r.limit !== undefined) expected = expected.slice(0, r.limit);
          expect(map.range(query).map(([key, value]) => [Buffer.from(key).toString('hex'), value[0]]))
            .toEqual(expected.map(([key, value]) => [key.toString('hex'), value]));
        }
      }), { numRuns: 80 });
    });
  });

  describe(`SortedBytesMap entries put by their numbers, ${nodeEntries} entries a node`, () => {
    // What the in-memory store does with index entries: keys of a prefix and u64 fields, values one
    // number, turned into bytes only when read. Mixed with the same keys put and deleted as bytes,
    // and with other keys, it must still hold exactly what a bytewise sorted list holds.
    const valueBytes = (value: number): Uint8Array => Uint8Array.of(0xee, ...Buffer.from(String(value)));
    const numericKey = fc.tuple(
      // Few distinct fields, zeros often: keys that differ only in how many fields they have.
      fc.integer({ min: 8, max: 14 }), fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }), fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant(2 ** 53 - 1)), fc.integer({ min: 0, max: 2 }),
    );
    type NumericOp = { kind: 'set' | 'delete'; numeric: boolean; key: [number, number, number, number, number]; value: number } | { kind: 'set' | 'delete'; numeric: false; bytes: Uint8Array; value: number };
    const numericOp: fc.Arbitrary<NumericOp> = fc.oneof(
      fc.record({ kind: fc.constantFrom('set', 'set', 'delete'), numeric: fc.boolean(), key: numericKey, value: fc.integer({ min: 0, max: 2 ** 40 }) }),
      fc.record({ kind: fc.constantFrom('set', 'delete'), numeric: fc.constant(false), bytes: byteKey, value: fc.integer({ min: 0, max: 255 }) }),
    ) as fc.Arbitrary<NumericOp>;
    const bytesOf = (o: NumericOp): Uint8Array => ('bytes' in o ? o.bytes : new Uint8Array(keyOf(o.key[0], ...o.key.slice(2, 2 + o.key[1]))));

    it('holds, finds and ranges over them exactly as a bytewise sorted list does', () => {
      fc.assert(fc.property(fc.array(numericOp, { maxLength: 1500, size: 'large' }), fc.array(fc.tuple(byteKey, byteKey, fc.boolean()), { minLength: 1, maxLength: 4 }), (ops, ranges) => {
        const map = new SortedBytesMap(valueBytes, nodeEntries);
        const want = new Map<string, [Buffer, Uint8Array]>();
        for (const o of ops) {
          const key = Buffer.from(bytesOf(o));
          if (o.kind === 'set') want.set(key.toString('hex'), [key, 'bytes' in o || !o.numeric ? Uint8Array.of(o.value & 0xff) : valueBytes(o.value)]);
          else want.delete(key.toString('hex'));
          const [prefix, fields, a, b, c] = 'key' in o ? o.key : [0, 0, 0, 0, 0];
          if (o.kind === 'set') {
            if ('key' in o && o.numeric) map.setNumeric(prefix, fields, a, b, c, o.value);
            else map.set(key, Uint8Array.of(o.value & 0xff));
          } else if ('key' in o && o.numeric) {
            map.deleteNumeric(prefix, fields, a, b, c);
          } else {
            map.delete(key);
          }
        }
        const sorted = [...want.values()].sort((x, y) => Buffer.compare(x[0], y[0]));
        expect(map.size).toBe(sorted.length);
        const hex = (pairs: Array<[Uint8Array, Uint8Array]>): string[] => pairs.map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`);
        expect(hex(map.range({}))).toEqual(hex(sorted));
        for (const [key, value] of sorted.slice(0, 40)) expect(Buffer.from(map.get(key)!).toString('hex')).toBe(Buffer.from(value).toString('hex'));
        for (const [low, high, reverse] of ranges) {
          const query: ByteRange = { gte: low, lt: high, reverse };
          let expected = sorted.filter(([key]) => inRange(key, query));
          if (reverse) expected = expected.reverse();
          expect(hex(map.range(query))).toEqual(hex(expected));
        }
      }), { numRuns: 80 });
    });
  });

  describe(`SortedBytesMap emptied and refilled, ${nodeEntries} entries a node`, () => {
    // The index's own pattern: runs of keys in order under many owners, then most of them deleted
    // (closed orders), in an order of their own; then the map emptied and filled again.
    it('keeps every entry in order through deep growth, emptying nodes and a root that shrinks back to a leaf', () => {
      const map = new SortedBytesMap((value) => Uint8Array.of(value & 0xff), nodeEntries);
      const want = new Map<string, [Buffer, number]>();
      const prng = new Prng(7);
      const put = (owner: number, seq: number): void => {
        map.setNumeric(0x0c, 2, owner, seq, 0, seq);
        const key = Buffer.from(keyOf(0x0c, owner, seq));
        want.set(key.toString('hex'), [key, seq]);
      };
      const expectSame = (): void => {
        const sorted = [...want.values()].sort((x, y) => Buffer.compare(x[0], y[0]));
        expect(map.size).toBe(sorted.length);
        expect(map.range({}).map(([k, v]) => `${Buffer.from(k).toString('hex')}=${v[0]}`))
          .toEqual(sorted.map(([k, v]) => `${k.toString('hex')}=${v & 0xff}`));
        expect(map.range({ reverse: true }).map(([k]) => Buffer.from(k).toString('hex')))
          .toEqual(sorted.map(([k]) => k.toString('hex')).reverse());
      };
      for (let round = 0; round < 2; round++) {
        for (let seq = 1; seq <= 3000; seq++) put(prng.below(40), seq);
        expectSame();
        expect(map.shape().height).toBeGreaterThan(nodeEntries === 4 ? 4 : 0);
        const keys = [...want.values()].map(([key]) => key);
        for (let i = keys.length - 1; i > 0; i--) {
          const j = prng.below(i + 1);
          [keys[i], keys[j]] = [keys[j], keys[i]];
        }
        for (const [i, key] of keys.entries()) {
          if (round === 0 && i % 10 === 0) continue; // the first round leaves a tenth behind
          map.delete(key);
          want.delete(key.toString('hex'));
          if (i % 500 === 0) expectSame();
        }
        expectSame();
      }
      expect(map.size).toBe(0);
      expect(map.range({})).toEqual([]);
      // Every emptied node left the tree: what is left is the root, an empty leaf.
      expect(map.shape()).toEqual({ height: 0, leaves: 1, innerNodes: 0 });
      put(3, 1);
      expectSame();
    });

    it('fills the leaves of runs put in order, several runs at once, as full as they go', () => {
      // The index's pattern: each trader's keys in order, the traders interleaved. Split in half,
      // each run's leaves would stay half full.
      const map = new SortedBytesMap(undefined, nodeEntries);
      const perRun = 50 * nodeEntries;
      for (let seq = 1; seq <= perRun; seq++) for (const trader of [3, 1, 2]) map.setNumeric(0x0b, 2, trader, seq, 0, seq);
      expect(map.size).toBe(3 * perRun);
      expect(map.shape().leaves).toBeLessThanOrEqual(3 * (perRun / nodeEntries + 1));
      expect(map.range({ limit: 3 }).map(([, value]) => value.length)).toEqual([0, 0, 0]);
    });

    it('ends where its last live entry is once the last leaves empty and their nodes serve elsewhere', () => {
      const map = new SortedBytesMap((value) => Uint8Array.of(value & 0xff), nodeEntries);
      const keys = (reverse: boolean): number[] => map.range({ reverse }).map(([, value]) => value[0]);
      for (let seq = 1; seq <= 400; seq++) map.setNumeric(0x0c, 2, seq % 5, seq, 0, seq);
      // Owner 4 (80 keys) and the top 70 of owner 3 go: the last left is (3, 48).
      for (const [key] of map.range({ reverse: true, limit: 150 })) map.delete(key);
      // Reuses the emptied leaves (last freed, first taken) in the middle of the key space.
      for (let seq = 1000; seq < 1250; seq++) map.setNumeric(0x0c, 2, 1, seq, 0, seq);
      expect(map.size).toBe(500);
      expect(keys(true)).toEqual(keys(false).reverse());
      expect(map.range({ reverse: true, limit: 1 })[0][0]).toEqual(Uint8Array.from(keyOf(0x0c, 3, 48)));
    });
  });
}

describe('SortedBytesMap nodes', () => {
  it('must hold an even number of at least four entries', () => {
    for (const entries of [2, 3, 5]) expect(() => new SortedBytesMap(undefined, entries)).toThrow(/^nodeEntries must be even and at least 4, not \d$/);
  });
});

describe('SortedBytesMap read as numbers', () => {
  it('gives each entry of a range as its three fields and its value, as range gives them, values made into bytes or not', () => {
    const frame = (value: number): Uint8Array => Uint8Array.of(1, value & 0xff, value >> 8, 0, 0, 0, 0);
    const numberOf = (bytes: Uint8Array): number => bytes[1] + bytes[2] * 256;
    const map = new SortedBytesMap(frame, 4);
    const prng = new Prng(11);
    const want: Array<[number, number, number, number]> = [];
    for (let seq = 1; seq <= 600; seq++) {
      const entry: [number, number, number, number] = [1 + prng.below(3), Math.floor(seq / 100), seq, prng.below(5000)];
      map.setNumeric(0x0b, 3, entry[0], entry[1], entry[2], entry[3]);
      want.push(entry);
    }
    want.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
    // Half of them read by range first: their keys and values kept as bytes from then on.
    map.range({ gte: keyOf(0x0b, 2, 0, 0), lt: keyOf(0x0b, 3, 0, 0) });
    for (const reverse of [false, true]) {
      for (const [trader, limit] of [[1, undefined], [2, 7], [3, 1000]] as const) {
        const numbers: number[] = [];
        map.numbersInRange({ gte: keyOf(0x0b, trader, 1, 0), lt: keyOf(0x0b, trader + 1, 0, 0), reverse, limit }, numbers, numberOf);
        let expected = want.filter(([t, h]) => t === trader && h >= 1);
        if (reverse) expected = expected.reverse();
        expect(numbers).toEqual(expected.slice(0, limit).flat());
      }
    }
  });
});
