// The compact index operations (src/state/index-wire.mjs) expand into exactly the keys and
// values the rest of the database layer writes and reads (keys.ts, codecs.ts), and the overlay
// reads them back the same way, dropped operations skipped.
import { describe, expect, it } from 'vitest';
import { EMPTY_VALUE, encodeUint } from '../src/state/codecs.js';
import { IndexOps, NO_VALUE } from '../src/state/index-ops.js';
import { INDEX_OP_SLOTS, packIndexOps } from '../src/state/index-wire.mjs';
import { Prefix, keyOf, prefixRange } from '../src/state/keys.js';
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

describe('index operations', () => {
  const big = 2 ** 53 - 1;
  const ops = new IndexOps(2);
  ops.put(Prefix.TRADER_ORDER, 3, 7, 2 ** 40 + 3, 12, 99);
  ops.put(Prefix.CLIENT_ID, 2, big, 2 ** 28, 0, big);
  const dropped = ops.put(Prefix.TRADER_OPEN, 2, 7, 5, 0, 12);
  ops.del(Prefix.TRADER_OPEN, 2, 8, 6, 0);
  ops.put(Prefix.TRADER_TOUCH, 3, 7, 0, 1, NO_VALUE);
  ops.put(Prefix.FEED_SPAN, 2, 1, 1, 0, 0);
  ops.drop(dropped);

  const expected: Array<[number, Buffer, Buffer | undefined]> = [
    [OP_PUT, keyOf(Prefix.TRADER_ORDER, 7, 2 ** 40 + 3, 12), encodeUint(99)],
    [OP_PUT, keyOf(Prefix.CLIENT_ID, big, 2 ** 28), encodeUint(big)],
    [OP_DEL, keyOf(Prefix.TRADER_OPEN, 8, 6), undefined],
    [OP_PUT, keyOf(Prefix.TRADER_TOUCH, 7, 0, 1), EMPTY_VALUE],
    [OP_PUT, keyOf(Prefix.FEED_SPAN, 1, 1), encodeUint(0)],
  ];

  it('expand into the keys and framed values keys.ts and codecs.ts write, dropped ones left out', () => {
    const packed = packIndexOps(ops.ops, 0, ops.count);
    expect(packed.count).toBe(5);
    expect(unpack(packed.bytes)).toEqual(expected);
  });

  it('expand a slice without the operations around it', () => {
    expect(unpack(packIndexOps(ops.ops.slice(INDEX_OP_SLOTS), 0, 3).bytes)).toEqual([expected[1], expected[2]]);
  });

  it('read back through the overlay by key range, deletes as undefined, dropped ones absent', () => {
    const found: Array<[Uint8Array, Uint8Array | undefined]> = [];
    ops.collect(prefixRange(Prefix.TRADER_OPEN), found);
    expect(found.map(([key, value]) => [Buffer.from(key), value])).toEqual([[keyOf(Prefix.TRADER_OPEN, 8, 6), undefined]]);
    found.length = 0;
    ops.collect({ gte: keyOf(Prefix.TRADER_ORDER, 7, 0, 0), lt: keyOf(Prefix.TRADER_ORDER, 8, 0, 0) }, found);
    expect(found.map(([key, value]) => [Buffer.from(key), Buffer.from(value!)])).toEqual([[expected[0][1], expected[0][2]]]);
  });
});
