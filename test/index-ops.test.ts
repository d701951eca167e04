// The registry of TRADER_OPEN puts that a close may still drop (index-ops.ts DroppablePuts): an
// order id finds its put again across the whole range of ids, and an id sharing its slot does not.
import { expect, it } from 'vitest';
import { DroppablePuts, IndexOps } from '../src/state/index-ops.js';
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
