// A batch its builders vouched for (CommandBatch.trusted, src/batch.ts) runs without the core's
// batch check: the builders' tests must never vouch for a record that check refuses, a view
// handed out must end the trust for good, and a trusted batch must give what a checked one gives.
import { describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import { CommandBatch } from '../src/batch.js';
import { findBatchFault } from '../src/operations.js';
import type { Engine } from '../src/engine.js';
import type { Side, TimeInForce } from '../src/types.js';

const MAX = Number.MAX_SAFE_INTEGER;
/** Values at and around every bound of the field rules, -0 and the non-finite ones among them. */
const EDGES = [0, -0, 1, 2, 0.5, 1.5, -1, MAX, MAX + 1, 2 ** 60, NaN, Infinity, -Infinity, 3e9];

type Builder = (b: CommandBatch, v: (k: number) => number) => void;
/** Each builder's call, its k-th numeric argument taken from v(k); the rest a valid command's. */
const BUILDERS: Record<string, { args: number; build: Builder; both?: true }> = {
  limit: { args: 6, build: (b, v) => b.limit(v(0), v(1), 'bid', v(2), v(3), v(4), 'GTC', undefined, v(5)) },
  limitNoClientId: { args: 5, build: (b, v) => b.limit(v(0), v(1), 'ask', v(2), v(3), v(4), 'IOC') },
  market: { args: 6, build: (b, v) => b.market(v(0), v(1), 'ask', v(2), v(3), v(4), undefined, v(5)) },
  marketPlain: { args: 4, build: (b, v) => b.market(v(0), v(1), 'bid', v(2), v(3)) },
  stopMarket: { args: 6, build: (b, v) => b.stop(v(0), v(1), 'bid', v(2), v(3), v(4), undefined, undefined, v(5)) },
  stopLimit: { args: 6, build: (b, v) => b.stop(v(0), v(1), 'ask', v(2), v(3), v(4), v(5), 'FOK') },
  // A price and a protection price: valid only where one of them is 0 (the cross rule).
  stopBoth: { args: 7, build: (b, v) => b.stop(v(0), v(1), 'ask', v(2), v(3), v(4), v(5), undefined, v(6)), both: true },
  cancel: { args: 3, build: (b, v) => b.cancel(v(0), v(1), v(2)) },
  reduce: { args: 4, build: (b, v) => b.reduce(v(0), v(1), v(2), v(3)) },
};

/** A valid value for argument k: 3, so that a price or size rule holds too. */
const VALID = 3;

describe('CommandBatch: what the builders vouch for', () => {
  for (const [name, { args, build, both }] of Object.entries(BUILDERS)) {
    it(`${name}: a record with any edge value in any argument is vouched for only if the batch check passes it`, () => {
      const batch = new CommandBatch(4);
      let vouched = 0;
      for (let k = 0; k < args; k++) {
        for (const edge of EDGES) {
          batch.clear();
          build(batch, (j) => (j === k ? edge : VALID));
          if (!batch.checked) continue;
          vouched++;
          expect(findBatchFault(batch.readRecords(), batch.count), `${name}, argument ${k} = ${edge}`).toBeNull();
        }
      }
      // Every argument takes at least the edges 1, 2 and MAX as valid values; stopBoth only its 0s.
      expect(vouched).toBeGreaterThanOrEqual(both ? 2 : args * 3);
    });
  }

  it('a stop-market with a time in force, or a stop-limit with a protection price, is not vouched for (the cross rule)', () => {
    const batch = new CommandBatch(4);
    batch.stop(1, 1, 'bid', 5, 100, 1, undefined, 'IOC');
    expect(batch.checked).toBe(false);
    expect(findBatchFault(batch.readRecords(), 1)).not.toBeNull();
    batch.clear().stop(1, 1, 'bid', 5, 100, 1, 101, 'GTC', 99);
    expect(batch.checked).toBe(false);
    expect(findBatchFault(batch.readRecords(), 1)).not.toBeNull();
    batch.clear().stop(1, 1, 'bid', 5, 100, 1, 101, 'IOC');
    expect(batch.checked).toBe(true);
  });

  it('one command it cannot vouch for leaves the batch unvouched until clear()', () => {
    const batch = new CommandBatch(8);
    batch.limit(1, 1, 'bid', 10, 5, 1).cancel(1, 1, 1);
    expect(batch.checked).toBe(true);
    batch.limit(1, 1, 'bid', 10, -5, 2);
    batch.limit(1, 1, 'bid', 10, 5, 3);
    expect(batch.checked).toBe(false);
    batch.clear().limit(1, 1, 'bid', 10, 5, 1);
    expect(batch.checked).toBe(true);
  });

  it('push, request, modify, cancelAll, oco, marketBudget and fromBytes are never vouched for', () => {
    const appends: ((b: CommandBatch) => void)[] = [
      (b) => b.push(1, 1, 1, 0, 10, 5, 1),
      (b) => b.request('placeLimit', { trader: 1, asset: 1, side: 'bid', price: 10, size: 5, timestamp: 1 }),
      (b) => b.modify(1, 1, 1, 11, 0, 2),
      (b) => b.cancelAll(1, 1),
      (b) => b.oco(1, 1, 'bid', 5, 10, 12, 1),
      (b) => b.marketBudget(1, 1, 'bid', 100, 1),
    ];
    for (const append of appends) {
      const batch = new CommandBatch(4);
      append(batch);
      expect(batch.checked).toBe(false);
    }
    expect(CommandBatch.fromBytes(new CommandBatch(1).limit(1, 1, 'bid', 10, 5, 1).bytes()).checked).toBe(false);
  });

  it('a view handed out ends the trust for good: view, slots, bytes', () => {
    for (const take of [(b: CommandBatch) => b.view(), (b: CommandBatch) => b.slots, (b: CommandBatch) => b.bytes()]) {
      const batch = new CommandBatch(4).limit(1, 1, 'bid', 10, 5, 1);
      const view = take(batch);
      expect(batch.checked).toBe(false);
      batch.clear().limit(1, 1, 'bid', 10, 5, 1);
      expect(batch.checked).toBe(false);
      expect(view.length).toBeGreaterThan(0);
    }
  });

  it('a batch over a caller\'s own storage is never vouched for', () => {
    let records = new Float64Array(64);
    const batch = new CommandBatch(1, { view: () => records, reserve: () => records });
    batch.limit(1, 1, 'bid', 10, 5, 1);
    expect(batch.checked).toBe(false);
    records = new Float64Array(64);
  });

  it('reserve: room made, a bad count refused naming commands, and the batch still vouched for', () => {
    const batch = new CommandBatch(1).limit(1, 1, 'bid', 10, 5, 1);
    batch.reserve(100);
    expect(batch.checked).toBe(true);
    expect(batch.count).toBe(1);
    expect(findBatchFault(batch.readRecords(), 1)).toBeNull();
    for (const bad of [-1, 1.5, NaN, '3' as unknown as number]) {
      expect(() => batch.reserve(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('commands') }));
    }
  });
});

/** A random stream of the builders' commands, some of them bad where `bad`. */
function build(batch: CommandBatch, n: number, seed: number, bad: boolean): void {
  let s = seed;
  const rnd = (m: number): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % m;
  };
  const sides: Side[] = ['bid', 'ask'];
  const tifs: TimeInForce[] = ['GTC', 'IOC', 'FOK', 'POST_ONLY'];
  for (let i = 0; i < n; i++) {
    const trader = 1 + rnd(4);
    const side = sides[rnd(2)];
    const price = 95 + rnd(10);
    const size = 1 + rnd(9);
    switch (rnd(5)) {
      case 0: case 1: batch.limit(trader, 1, side, price, size, i + 1, tifs[rnd(4)]); break;
      case 2: batch.market(trader, 1, side, size, i + 1); break;
      case 3: batch.cancel(trader, 1, 1 + rnd(i + 1)); break;
      default: batch.stop(trader, 1, side, size, price, i + 1, rnd(2) === 0 ? undefined : price + 1);
    }
  }
  if (bad) batch.reduce(1, 1, 1, 0); // by 0: refused by the batch check, naming `by`
}

describeEachBackend('submitBatch over a vouched-for batch', (backend) => {
  const open = (): Promise<Engine> => newEngine(backend);

  it('gives the results, fills and book of the same batch run through the check', async () => {
    const [trusted, checked] = [await open(), await open()];
    for (let round = 0; round < 5; round++) {
      const a = trusted.createBatch(64);
      const b = checked.createBatch(64);
      build(a, 200, 7 + round, false);
      build(b, 200, 7 + round, false);
      b.view(); // handed out: checked by the core from now on
      expect(a.checked).toBe(true);
      expect(b.checked).toBe(false);
      const ra = trusted.submitBatch(a);
      const resultsA = ra.results.slice(0, ra.count * 5);
      const fillsA = ra.fills.slice(0, ra.fillCount * 8);
      const rb = checked.submitBatch(b);
      expect(resultsA).toEqual(rb.results.slice(0, rb.count * 5));
      expect(fillsA).toEqual(rb.fills.slice(0, rb.fillCount * 8));
    }
    expect(trusted.snapshot()).toEqual(checked.snapshot());
  });

  it('a bad command among vouched-for ones is still refused naming its field, with nothing changed', async () => {
    const engine = await open();
    const batch = engine.createBatch(16);
    build(batch, 50, 3, false);
    engine.submitBatch(batch);
    const before = engine.snapshot();
    batch.clear();
    build(batch, 50, 4, true);
    expect(batch.checked).toBe(false);
    expect(() => engine.submitBatch(batch)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('commands[50].by') }));
    expect(engine.snapshot()).toEqual(before);
  });

  it('the results\' commands view ends the trust of its batch', async () => {
    const engine = await open();
    const batch = engine.createBatch(4).limit(1, 1, 'bid', 10, 5, 1);
    const results = engine.submitBatch(batch);
    expect(batch.clear().limit(1, 1, 'bid', 10, 5, 2).checked).toBe(true);
    expect(results.commands.length).toBeGreaterThan(0);
    expect(batch.checked).toBe(false);
  });

  it('a restore moves the records out and reserve brings them back, still vouched for', async () => {
    const engine = await open();
    const batch = engine.createBatch(8).limit(1, 1, 'bid', 10, 5, 1);
    const snapshot = engine.snapshot();
    engine.restore(snapshot);
    batch.reserve(8);
    expect(batch.checked).toBe(true);
    expect(engine.submitBatch(batch).statusCode(0)).toBeGreaterThanOrEqual(0);
  });
});
