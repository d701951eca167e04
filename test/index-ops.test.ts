// A commit's operations kept in chunks from the spares: nothing lost, the chunks handed to the
// next commit. And its openings and closings of orders, listed beside them.
import { describe, expect, it } from 'vitest';
import { decodeUint } from '../src/state/codecs.js';
import { CHUNK_SLOTS, CLOSED, FIRST_CHUNK_SLOTS, IndexOps, OPEN_CHANGE_SLOTS, SpareOps, newestByKey, type OverlayEntry } from '../src/state/index-ops.js';
import { PAIRED, UNPAIRED } from '../src/state/open-orders.js';
import { INDEX_OP_SLOTS } from '../src/state/index-wire.mjs';
import { Prefix, keyIntegers, keyOf, prefixRange } from '../src/state/keys.js';
import { postingPrefixOf } from '../src/state/posting-lists.js';
import { MemoryStore } from '../src/state/memory-store.js';
import { OverlayReader } from '../src/state/overlay.js';

it('keeps a commit\'s operations in chunks from the spares, every one kept, and gives the chunks back for the next commit', () => {
  const spares = new SpareOps();
  const ops = spares.take();
  const expected: number[] = [];
  for (let i = 0; i < 3_000; i++) {
    ops.put(Prefix.CLIENT_ID, 2, i % 7, 2 ** 33 + i, 0, 100 + i);
    expected.push(ops.ops[i * INDEX_OP_SLOTS]);
  }
  expect(ops.count).toBe(3_000);
  expect(ops.chunks.length).toBe(1 + Math.ceil((3_000 * INDEX_OP_SLOTS - FIRST_CHUNK_SLOTS) / CHUNK_SLOTS));
  expect(ops.chunks[0].length).toBe(FIRST_CHUNK_SLOTS);
  const all = ops.ops;
  expect(all.length).toBe(3_000 * INDEX_OP_SLOTS);
  for (let i = 0; i < 3_000; i++) {
    expect(Array.from(all.subarray(i * INDEX_OP_SLOTS, (i + 1) * INDEX_OP_SLOTS)).slice(1)).toEqual([i % 7, 2 ** 33 + i, 0, 100 + i]);
  }
  // copyInto lays them out after whatever is before them.
  const target = new Float64Array(10 + all.length);
  expect(ops.copyInto(target, 10)).toBe(10 + all.length);
  expect(target.subarray(10)).toEqual(all);
  const chunks = [...ops.chunks];
  spares.give(ops);
  expect(ops.count).toBe(0);
  expect(spares.size).toBe(chunks.length);
  // The next commit fills the same chunks rather than new ones.
  const next = spares.take();
  for (let i = 0; i < 3_000; i++) next.put(Prefix.ORDER_TOUCH, 2, i, 5, 0, 0);
  expect(next.chunks.every((chunk) => chunks.includes(chunk))).toBe(true);
  expect(spares.size).toBe(0);
});

it('lists openings and closings in order, growing past its first array, ids up to 2^53', () => {
  const ops = new IndexOps();
  const expected: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    const orderId = Number.MAX_SAFE_INTEGER - i;
    if (i % 3 === 2) {
      ops.closed(orderId, i % 11);
      expected.push(orderId, i % 11, CLOSED, 0);
    } else {
      ops.opened(orderId, i % 11, 50 + i, i % 3 === 1 ? PAIRED : UNPAIRED);
      expected.push(orderId, i % 11, 50 + i, i % 3 === 1 ? PAIRED : UNPAIRED);
    }
  }
  expect(ops.openChangeCount).toBe(1_000);
  expect(Array.from(ops.openChanges.subarray(0, ops.openChangeCount * OPEN_CHANGE_SLOTS))).toEqual(expected);
  expect(ops.count).toBe(0);
});

it('gives a commit\'s chunks of openings and closings back to the spares once applied', () => {
  const spares = new SpareOps();
  const ops = spares.take();
  for (let i = 0; i < 3_000; i++) ops.opened(i, 1, i, UNPAIRED);
  expect(ops.openChangeChunks.length).toBe(1 + Math.ceil((3_000 * OPEN_CHANGE_SLOTS - FIRST_CHUNK_SLOTS) / CHUNK_SLOTS));
  expect(ops.openChanges.length).toBe(3_000 * OPEN_CHANGE_SLOTS);
  expect(ops.openChanges[2_999 * OPEN_CHANGE_SLOTS]).toBe(2_999);
  const chunks = ops.openChangeChunks.length;
  ops.releaseOpenChanges();
  expect(ops.openChangeCount).toBe(0);
  expect(spares.size).toBe(chunks);
});

describe('OverlayReader', () => {
  // Pending operations over the first keys of a range: a rewritten key replaces the base's, a
  // deleted one hides it, and the base is asked for enough past them to fill the limit.
  it('fills the limit from the base when pending operations rewrite and delete its first keys', async () => {
    const base = new MemoryStore();
    const written = new IndexOps();
    for (let k = 1; k <= 7; k++) written.put(Prefix.CLIENT_ID, 2, 1, k, 0, 100 + k);
    await base.writeIndex(written.ops, written.count);
    const pending = new IndexOps();
    pending.put(Prefix.CLIENT_ID, 2, 1, 1, 0, 201);
    pending.del(Prefix.CLIENT_ID, 2, 1, 2, 0);
    const reader = new OverlayReader([pending], base, Promise.resolve());
    const entries = await reader.entries({ ...prefixRange(Prefix.CLIENT_ID), limit: 5 });
    expect(entries.map(([key, value]) => [keyIntegers(key, Prefix.CLIENT_ID, 2)[1], decodeUint(key, value, 'client id')]))
      .toEqual([[1, 201], [3, 103], [4, 104], [5, 105], [6, 106]]);
  });
});

describe('key helpers of the index reads', () => {
  it('newestByKey keeps the newest entry of a key written more than once, in either direction', () => {
    const key = (n: number) => Uint8Array.of(Prefix.TRADER_ORDER, n);
    const entries: OverlayEntry[] = [[key(2), Uint8Array.of(1)], [key(1), Uint8Array.of(2)], [key(2), Uint8Array.of(3)], [key(2), undefined], [key(1), Uint8Array.of(4)]];
    expect(newestByKey(entries, false)).toEqual([[key(1), Uint8Array.of(4)], [key(2), undefined]]);
    expect(newestByKey(entries, true)).toEqual([[key(2), undefined], [key(1), Uint8Array.of(4)]]);
  });

  it('postingPrefixOf takes an exclusive bound at the start of the next kind as the end of this one', () => {
    expect(postingPrefixOf({ gte: keyOf(Prefix.TRADER_TOUCH, 1, 0, 0), lt: Uint8Array.of(Prefix.TRADER_ORDER) })).toBe(Prefix.TRADER_TOUCH);
    expect(postingPrefixOf({ gte: keyOf(Prefix.TRADER_TOUCH, 1, 0, 0), lt: keyOf(Prefix.TRADER_ORDER, 0, 0, 0) })).toBe(Prefix.TRADER_TOUCH);
    expect(() => postingPrefixOf({ gte: keyOf(Prefix.TRADER_TOUCH, 1, 0, 0), lte: Uint8Array.of(Prefix.TRADER_ORDER) })).toThrow(/across posting lists/);
  });
});
