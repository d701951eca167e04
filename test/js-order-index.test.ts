// The JS core's order index (src/js-core/order-index.ts) against a Map, on the id patterns an
// order book produces: sequential ids with random cancels, a block of long-lived ids under a
// churning id counter, growth, and ids above 2^32.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OrderIndex } from '../src/js-core/order-index.js';
import { No } from '../src/js-core/codes.js';

/** Applies adds (in id order) and deletes to both, checking every lookup on the way. */
function replay(index: OrderIndex, steps: readonly { live: number; drop: number }[], firstId: number): void {
  const model = new Map<number, number>();
  let nextId = firstId;
  for (const { live, drop } of steps) {
    while (model.size < live) {
      model.set(nextId, nextId % 100_003);
      index.add(nextId, nextId % 100_003);
      nextId++;
    }
    const ids = [...model.keys()];
    for (let k = 0; k < drop && ids.length > 0; k++) {
      const id = ids[(k * 7919) % ids.length];
      if (!model.has(id)) continue;
      model.delete(id);
      index.delete(id);
    }
    expect(index.size).toBe(model.size);
    for (const [id, slot] of model) expect(index.get(id)).toBe(slot);
    expect(index.get(nextId)).toBe(No.SLOT);
    expect(index.get(firstId - 1 > 0 ? firstId - 1 : nextId + 1)).toBe(No.SLOT);
  }
}

describe('JS order index', () => {
  it('agrees with a Map under random growth and deletion', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ live: fc.integer({ min: 0, max: 3000 }), drop: fc.integer({ min: 0, max: 2000 }) }), { minLength: 1, maxLength: 12 }),
      fc.constantFrom(1, 2 ** 32 - 700, 2 ** 40 + 5),
      (steps, firstId) => replay(new OrderIndex(16), steps, firstId),
    ), { numRuns: 40 });
  });

  it('stays exact and half full with a block of long-lived ids under a churning id counter', () => {
    const index = new OrderIndex(16);
    const model = new Map<number, number>();
    // 600 long-lived ids, then churn: each new id rests briefly, so the id counter wraps the
    // table many times over the block.
    for (let id = 1; id <= 600; id++) {
      index.add(id, id);
      model.set(id, id);
    }
    for (let id = 601; id <= 200_000; id++) {
      index.add(id, id & 0xffff);
      model.set(id, id & 0xffff);
      if (id - 40 > 600) {
        index.delete(id - 40);
        model.delete(id - 40);
      }
    }
    expect(index.size).toBe(model.size);
    for (const [id, slot] of model) expect(index.get(id)).toBe(slot);
    for (const id of [600 + 1, 100_000, 200_000 - 40]) expect(index.get(id)).toBe(No.SLOT);
    // 640 live ids: the table grew to 2048 slots and no further.
    expect(index.bytes()).toBe(2048 * 12);
  });

  it('keeps the next table it took through a clear, and grows into it exactly', () => {
    // 2048 buckets: the next table is taken past 768 ids (prepareAt), the growth is at 1024.
    const index = new OrderIndex(1024);
    for (let id = 1; id <= 900; id++) index.add(id, id);
    expect(index.nextTablesTaken).toBe(1);
    // As a restore does: emptied, then refilled past prepareAt, several times.
    for (let round = 0; round < 3; round++) {
      index.clear();
      expect(index.size).toBe(0);
      for (let id = 1; id <= 900; id++) expect(index.get(id)).toBe(No.SLOT);
      for (let id = 1; id <= 900; id++) index.add(id * 3 + round, id);
    }
    expect(index.nextTablesTaken).toBe(1);
    // On past the growth into the kept table, with deletes: every lookup exact.
    const model = new Map<number, number>();
    for (let id = 1; id <= 900; id++) model.set(id * 3 + 2, id);
    for (let id = 10_000; id < 12_500; id++) {
      index.add(id, id & 0xfff);
      model.set(id, id & 0xfff);
      if (id % 3 === 0 && id - 1500 >= 10_000) {
        index.delete(id - 1500);
        model.delete(id - 1500);
      }
    }
    expect(index.size).toBe(model.size);
    for (const [id, slot] of model) expect(index.get(id)).toBe(slot);
    expect(index.get(1)).toBe(No.SLOT);
    expect(index.nextTablesTaken).toBe(2);
  });

  it('clears in the middle of a migration and fills again exactly', () => {
    const index = new OrderIndex(1024);
    // Just past the growth at 1024: the old table is still being emptied.
    for (let id = 1; id <= 1030; id++) index.add(id, id);
    index.clear();
    const model = new Map<number, number>();
    for (let id = 5000; id < 9000; id++) {
      index.add(id, id & 0xfff);
      model.set(id, id & 0xfff);
    }
    for (const [id, slot] of model) expect(index.get(id)).toBe(slot);
    for (let id = 1; id <= 1030; id++) expect(index.get(id)).toBe(No.SLOT);
  });
});
