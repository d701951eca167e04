// The in-memory store (memory-store.ts) keeps index entries apart from the rest, in the worker
// thread that every in-memory store of a process shares (memory-index.ts): reads of either kind
// of key reach the right map, each store sees only its own entries, and a read sees every index
// write made before it.
import { describe, expect, it } from 'vitest';
import { decodeUint, encodeUint } from '../src/state/codecs.js';
import { IndexOps } from '../src/state/index-ops.js';
import { INDEX_OP_SLOTS } from '../src/state/index-wire.mjs';
import { Prefix, keyOf, prefixRange } from '../src/state/keys.js';
import { MemoryStore } from '../src/state/memory-store.js';

/** The first `count` operations of `ops`, in a buffer of their own (writeIndex takes ownership). */
function owned(ops: IndexOps): [Float64Array, number] {
  return [ops.ops.slice(0, ops.count * INDEX_OP_SLOTS), ops.count];
}

/** CLIENT_ID puts: trader 1's client order ids `orderIds`, each valued at its id times ten. */
function clientIds(orderIds: number[]): IndexOps {
  const ops = new IndexOps(orderIds.length);
  for (const id of orderIds) ops.put(Prefix.CLIENT_ID, 2, 1, id, 0, id * 10);
  return ops;
}

const clientKey = (clientOrderId: number): Buffer => keyOf(Prefix.CLIENT_ID, 1, clientOrderId);
const valuesOf = (entries: Array<[Uint8Array, Uint8Array]>): number[] => entries.map(([key, value]) => decodeUint(key, value, 'client-id'));

describe('the in-memory store', () => {
  it('reads index keys from its index and every other key from its main map, in one getMany in the keys\' order', async () => {
    const store = new MemoryStore();
    const batch = store.batch();
    batch.put(keyOf(Prefix.JOURNAL, 1), encodeUint(7));
    batch.put(keyOf(Prefix.JOURNAL, 2), encodeUint(8));
    await store.write(batch);
    await store.writeIndex(...owned(clientIds([5, 3, 9])));

    const values = await store.getMany([clientKey(9), keyOf(Prefix.JOURNAL, 2), clientKey(4), keyOf(Prefix.JOURNAL, 3), clientKey(3)]);
    expect(values.map((value) => (value === undefined ? undefined : decodeUint(clientKey(0), value, 'value')))).toEqual([90, 8, undefined, undefined, 30]);
    expect(valuesOf(await store.entries(prefixRange(Prefix.CLIENT_ID)))).toEqual([30, 50, 90]);
    expect(valuesOf(await store.entries({ ...prefixRange(Prefix.CLIENT_ID), reverse: true, limit: 2 }))).toEqual([90, 50]);
    expect((await store.keys({ gt: clientKey(3), lte: clientKey(9) })).map((key) => key[16])).toEqual([5, 9]);
    expect(valuesOf(await store.entries(prefixRange(Prefix.JOURNAL)))).toEqual([7, 8]);
    // A range that reaches past the index keys is the main map's, as in the durable store's main database.
    expect((await store.keys({})).map((key) => key[0])).toEqual([Prefix.JOURNAL, Prefix.JOURNAL]);
    await store.close();
  });

  it('applies an index window\'s deletes after its puts, and returns the window\'s buffer for the next', async () => {
    const store = new MemoryStore();
    const ops = clientIds([1, 2, 3]);
    ops.del(Prefix.CLIENT_ID, 2, 1, 2, 0);
    const [buffer, count] = owned(ops);
    const back = await store.writeIndex(buffer, count);
    // Transferred to the worker and back, not copied: the buffer given is detached.
    expect(buffer.length).toBe(0);
    expect(back.length).toBe(count * INDEX_OP_SLOTS);
    expect(valuesOf(await store.entries(prefixRange(Prefix.CLIENT_ID)))).toEqual([10, 30]);
    await store.close();
  });

  it('keeps each store\'s index entries its own: one store\'s writes, clear and close leave another\'s alone', async () => {
    const first = new MemoryStore();
    const second = new MemoryStore();
    await first.writeIndex(...owned(clientIds([1, 2])));
    await second.writeIndex(...owned(clientIds([3])));
    expect(valuesOf(await first.entries(prefixRange(Prefix.CLIENT_ID)))).toEqual([10, 20]);
    expect(valuesOf(await second.entries(prefixRange(Prefix.CLIENT_ID)))).toEqual([30]);

    await first.clearIndexes();
    expect(await first.entries(prefixRange(Prefix.CLIENT_ID))).toEqual([]);
    expect(valuesOf(await second.entries(prefixRange(Prefix.CLIENT_ID)))).toEqual([30]);
    await first.writeIndex(...owned(clientIds([4])));
    expect(valuesOf(await first.entries(prefixRange(Prefix.CLIENT_ID)))).toEqual([40]);

    await first.close();
    expect(valuesOf(await second.entries(prefixRange(Prefix.CLIENT_ID)))).toEqual([30]);
    await second.close();
  });

  it('answers a read made while index writes are in flight with all of them', async () => {
    const store = new MemoryStore();
    const writes = [];
    for (let w = 0; w < 20; w++) writes.push(store.writeIndex(...owned(clientIds([w * 100 + 1, w * 100 + 2]))));
    const read = store.entries(prefixRange(Prefix.CLIENT_ID));
    expect((await read).length).toBe(40);
    await Promise.all(writes);
    await store.close();
  });

  it('reads no index entry for a store that never wrote one', async () => {
    const store = new MemoryStore();
    expect(await store.getMany([clientKey(1), clientKey(2)])).toEqual([undefined, undefined]);
    expect(await store.entries(prefixRange(Prefix.CLIENT_ID))).toEqual([]);
    expect(await store.keys(prefixRange(Prefix.TRADER_TOUCH))).toEqual([]);
    await store.close();
  });

  it('refuses index keys in a write batch with INVALID_ARGUMENT, and writes none of the batch', async () => {
    const store = new MemoryStore();
    const batch = store.batch();
    batch.put(keyOf(Prefix.JOURNAL, 1), encodeUint(1));
    batch.put(keyOf(Prefix.ORDER_TOUCH, 1, 1), encodeUint(1));
    await expect(store.write(batch)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('index keys') });
    expect(await store.entries({})).toEqual([]);
    await store.close();
  });

  it('refuses every read and write once closed, with NOT_OPEN', async () => {
    const store = new MemoryStore();
    await store.writeIndex(...owned(clientIds([1])));
    await store.close();
    await expect(store.get(keyOf(Prefix.JOURNAL, 1))).rejects.toMatchObject({ code: 'NOT_OPEN', message: expect.stringContaining('reading 1 keys') });
    const batch = store.batch();
    batch.put(keyOf(Prefix.JOURNAL, 1), encodeUint(1));
    await expect(store.write(batch)).rejects.toMatchObject({ code: 'NOT_OPEN' });
    await expect(store.entries(prefixRange(Prefix.CLIENT_ID))).rejects.toMatchObject({ code: 'NOT_OPEN', message: expect.stringContaining('reading a key range') });
    await expect(store.writeIndex(...owned(clientIds([2])))).rejects.toMatchObject({ code: 'NOT_OPEN', message: expect.stringContaining('writing 1 index operations') });
  });
});
