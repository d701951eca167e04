// The registry of TRADER_OPEN puts that a close may still drop (index-ops.ts DroppablePuts): an
// order id finds its put again across the whole range of ids, and an id sharing its slot does not.
// And a commit's operations refitted to their size (IndexOps.fit): nothing lost, drops still found,
// the outsized array handed to the next commit.
import { expect, it } from 'vitest';
import { DroppablePuts, IndexOps, SpareOps } from '../src/state/index-ops.js';
import { INDEX_DROPPED, INDEX_OP_SLOTS } from '../src/state/index-wire.mjs';
import { Prefix } from '../src/state/keys.js';

const kindOf = (ops: IndexOps, i: number): number => ops.ops[i * INDEX_OP_SLOTS] & 3;

it('drops a put closed in its own commit, for order ids up to 2^53, and never for another id in the same slot', () => {
  for (const orderId of [1, 65_537, 2 ** 31 + 3, 2 ** 32 + 3, 2 ** 52 + 3, Number.MAX_SAFE_INTEGER]) {
    const drops = new DroppablePuts();
    const ops = new IndexOps();
    drops.open(ops);
    const put = ops.put(Prefix.TRADER_OPEN, 2, 9, orderId, 0, 1);
    drops.register(orderId, ops, put);
    expect(drops.has(orderId)).toBe(true);
    expect(drops.has(orderId - 65_536)).toBe(false);
    expect(drops.dropIn(orderId - 65_536, ops)).toBe(false);
    expect(drops.dropIn(orderId, ops)).toBe(true);
    expect(kindOf(ops, put)).toBe(INDEX_DROPPED);
  }
});

it('drops a put and its later delete together once the closing commit is durable, unless the put was handed to a write', () => {
  for (const handed of [false, true]) {
    const orderId = 2 ** 40 + 11;
    const drops = new DroppablePuts();
    const placing = new IndexOps();
    drops.open(placing);
    const put = placing.put(Prefix.TRADER_OPEN, 2, 9, orderId, 0, 1);
    drops.register(orderId, placing, put);
    if (handed) placing.handedTo = placing.count;
    const closing = new IndexOps();
    drops.open(closing);
    const del = closing.del(Prefix.TRADER_OPEN, 2, 9, orderId, 0);
    closing.closes.push(orderId, del);
    drops.settle(closing);
    expect([kindOf(placing, put) === INDEX_DROPPED, kindOf(closing, del) === INDEX_DROPPED]).toEqual([!handed, !handed]);
  }
});

it('refits a mostly empty commit into an array of its size, keeps every operation and drop, and gives the large array to the next commit', () => {
  const spares = new SpareOps();
  const drops = new DroppablePuts();
  const ops = spares.take(20_000);
  const large = ops.ops;
  drops.open(ops);
  const orderIds: number[] = [];
  for (let i = 0; i < 3_000; i++) {
    const orderId = 2 ** 33 + i;
    orderIds.push(orderId);
    drops.register(orderId, ops, ops.put(Prefix.TRADER_OPEN, 2, i % 7, orderId, 0, 100 + i));
  }
  const before = ops.ops.slice(0, ops.count * INDEX_OP_SLOTS);
  ops.fit();
  expect(ops.ops).not.toBe(large);
  expect(ops.ops.length).toBeGreaterThanOrEqual(ops.count * INDEX_OP_SLOTS);
  expect(ops.ops.length).toBeLessThanOrEqual(2 * ops.count * INDEX_OP_SLOTS);
  expect(ops.ops.slice(0, ops.count * INDEX_OP_SLOTS)).toEqual(before);
  // The registry's indexes still point at the right operations in the new array.
  expect(drops.dropIn(orderIds[1_234], ops)).toBe(true);
  expect(kindOf(ops, 1_234)).toBe(INDEX_DROPPED);
  expect(kindOf(ops, 1_235)).not.toBe(INDEX_DROPPED);
  // The next commit of the same size takes the large array rather than a new one.
  expect(spares.take(10_000).ops).toBe(large);
});

it('leaves a commit in its array when it fills more than half of it, or when the array is small', () => {
  const spares = new SpareOps();
  const half = spares.take(2_000);
  for (let i = 0; i < 1_001; i++) half.put(Prefix.ORDER_TOUCH, 2, i, 5, 0, 0);
  const halfArray = half.ops;
  half.fit();
  expect(half.ops).toBe(halfArray);
  const small = spares.take(500);
  small.put(Prefix.ORDER_TOUCH, 2, 1, 5, 0, 0);
  const smallArray = small.ops;
  small.fit();
  expect(small.ops).toBe(smallArray);
});
