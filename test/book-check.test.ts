// Mutation tests of the bench's verification (bench/book-check.ts, bench/engine-runs.ts): a book
// or a fill stream that differs from the reference in one small way must be reported, first
// through the digests alone, then end to end through an engine whose session answers one thing
// wrong (wrappers around a real session: no bench/ or src/ change for the test).
import { describe, expect, it } from 'vitest';
import { BookDigester, bookDifferences, digestAsset, digestStops, FillChecksum, fillDifferences, inTriggerOrder } from '../bench/book-check.js';
import type { BookDigest, CheckedFill, ListedLevel, ListedStop } from '../bench/book-check.js';
import { localRunner } from '../bench/engine-runs.js';
import { engineById } from '../bench/engines/index.js';
import type { BenchEngine, EngineSession } from '../bench/engines/index.js';
import { SCALES } from '../bench/options.js';
import { createProgress } from '../bench/progress.js';
import { buildWorkload } from '../bench/workloads/index.js';
import type { Workload } from '../bench/workloads/workload.js';
import type { Engine } from '../src/engine.js';
import type { Depth, OrderResult, RestingOrder } from '../src/types.js';
import type { Snapshot } from 'nodejs-order-book/dist/types/types.js';

/** A small two-asset book: bids and asks, several orders to a level, each side listed best first. */
function referenceBook(): { bids: ListedLevel[]; asks: ListedLevel[] }[] {
  return [
    {
      bids: [
        { price: 100, orders: [{ id: 1, remaining: 5 }, { id: 4, remaining: 3 }, { id: 9, remaining: 7 }] },
        { price: 99, orders: [{ id: 2, remaining: 10 }] },
      ],
      asks: [
        { price: 101, orders: [{ id: 3, remaining: 4 }, { id: 6, remaining: 4 }] },
        { price: 103, orders: [{ id: 5, remaining: 1 }] },
      ],
    },
    { bids: [{ price: 50, orders: [{ id: 7, remaining: 2 }, { id: 8, remaining: 2 }] }], asks: [] },
  ];
}

function digest(book: { bids: ListedLevel[]; asks: ListedLevel[] }[]): BookDigest {
  const digester = new BookDigester();
  book.forEach((asset, i) => digestAsset(digester, i + 1, asset.bids, asset.asks));
  return digester.finish();
}

/** The reference book with one change made to a copy. */
function mutated(change: (book: ReturnType<typeof referenceBook>) => void): BookDigest {
  const book = structuredClone(referenceBook());
  change(book);
  return digest(book);
}

describe('the book digest reports one small difference from the reference', () => {
  const expected = digest(referenceBook());

  it('agrees with itself, and with the same book listed in another level order', () => {
    expect(bookDifferences(digest(referenceBook()), expected)).toEqual([]);
    expect(bookDifferences(mutated((b) => b[0].bids.reverse()), expected)).toEqual([]);
  });

  it.each([
    ['one resting order dropped', (b: ReturnType<typeof referenceBook>) => { b[0].bids[0].orders.splice(1, 1); }],
    ['the last asset\'s last order dropped', (b: ReturnType<typeof referenceBook>) => { b[1].bids[0].orders.pop(); }],
    ['two orders of a level in the other queue order', (b: ReturnType<typeof referenceBook>) => {
      const q = b[0].bids[0].orders;
      [q[0], q[1]] = [q[1], q[0]];
    }],
    ['two orders of equal size in the other queue order', (b: ReturnType<typeof referenceBook>) => {
      const q = b[0].asks[0].orders;
      [q[0], q[1]] = [q[1], q[0]];
    }],
    ['a lot moved from one order to another of the same level (totals unchanged)', (b: ReturnType<typeof referenceBook>) => {
      b[0].bids[0].orders[0].remaining -= 1;
      b[0].bids[0].orders[2].remaining += 1;
    }],
    ['an order on the level a tick away', (b: ReturnType<typeof referenceBook>) => { b[0].asks[1].price = 102; }],
    ['an order on the other asset', (b: ReturnType<typeof referenceBook>) => {
      b[1].bids[0].orders.push(b[0].bids[1].orders.pop()!);
    }],
    ['an order under another id', (b: ReturnType<typeof referenceBook>) => { b[0].asks[1].orders[0].id = 10; }],
    ['a level\'s own count one more than its orders', (b: ReturnType<typeof referenceBook>) => { b[0].bids[1].count = 2; }],
    ['a level\'s own size one more than its orders\'', (b: ReturnType<typeof referenceBook>) => { b[0].bids[1].size = 11; }],
    ['a level that counts orders it does not list', (b: ReturnType<typeof referenceBook>) => {
      b[0].asks.push({ price: 104, orders: [], size: 3, count: 1 });
    }],
    ['a level holding lots with no orders on it, counted or listed', (b: ReturnType<typeof referenceBook>) => {
      b[0].asks.push({ price: 104, orders: [], size: 3, count: 0 });
    }],
  ])('%s', (_, change) => {
    expect(bookDifferences(mutated(change), expected)).not.toEqual([]);
  });
});

describe('the fill checksum reports one small difference from the reference', () => {
  /** Takers 11 (a buy by trader 7) and 12 (a sell by trader 8) against makers of traders 1-3. */
  const fill = (makerOrderId: number, takerOrderId: number, price: number, size: number): CheckedFill => ({
    asset: 1, makerOrderId, makerTrader: makerOrderId % 3 + 1, takerOrderId, takerTrader: takerOrderId === 11 ? 7 : 8,
    takerSide: takerOrderId === 11 ? 'bid' : 'ask', price, size,
  });
  const FILLS: CheckedFill[] = [fill(1, 12, 100, 5), fill(4, 12, 100, 3), fill(3, 11, 101, 4), fill(6, 11, 101, 4), fill(2, 12, 99, 10)];
  const sum = (fills: CheckedFill[]) => {
    const checksum = new FillChecksum();
    for (const f of fills) checksum.add(f);
    return checksum.result();
  };
  const expected = sum(FILLS);
  const changed = (change: (fills: CheckedFill[]) => void) => {
    const fills = structuredClone(FILLS);
    change(fills);
    return fillDifferences(sum(fills), expected);
  };

  it.each([
    ['one fill\'s price', (f: CheckedFill[]) => { f[2].price += 1; }],
    ['two fills\' prices off by one either way (the sum of price x size unchanged)', (f: CheckedFill[]) => {
      f[2].price += 1;
      f[3].price -= 1;
    }],
    ['two fills of the same price and size in the other order (two makers swapped)', (f: CheckedFill[]) => {
      [f[2], f[3]] = [f[3], f[2]];
    }],
    ['one fill\'s maker', (f: CheckedFill[]) => { f[0].makerOrderId = 9; }],
    ['one fill\'s size', (f: CheckedFill[]) => { f[4].size -= 1; }],
    ['one fill split in two', (f: CheckedFill[]) => { f.splice(4, 1, { ...f[4], size: 4 }, { ...f[4], size: 6 }); }],
    ['one fill missing', (f: CheckedFill[]) => { f.pop(); }],
    // Stop 52: the taker's side of each fill, left out before (maker id, price and size only).
    ['one fill\'s taker order id', (f: CheckedFill[]) => { f[1].takerOrderId = 13; }],
    ['one fill\'s taker trader', (f: CheckedFill[]) => { f[1].takerTrader = 9; }],
    ['one fill\'s taker side', (f: CheckedFill[]) => { f[4].takerSide = 'bid'; }],
    ['one fill\'s maker trader', (f: CheckedFill[]) => { f[0].makerTrader = 3; }],
    ['one fill on another asset', (f: CheckedFill[]) => { f[0].asset = 2; }],
  ])('%s', (_, change) => {
    expect(changed(() => {})).toEqual([]);
    expect(changed(change)).not.toEqual([]);
  });
});

describe('the stop digest reports one small difference from the reference (stop 52: stops were compared by count)', () => {
  /** Listed in the reference's trigger order: buys by ascending stop price, then sells by descending. */
  const STOPS: ListedStop[] = [
    { id: 20, side: 'bid', stopPrice: 105, size: 3, price: 0, ioc: false },
    { id: 24, side: 'bid', stopPrice: 105, size: 2, price: 107, ioc: false },
    { id: 21, side: 'bid', stopPrice: 108, size: 5, price: 110, ioc: true },
    { id: 22, side: 'ask', stopPrice: 95, size: 4, price: 0, ioc: false },
    { id: 23, side: 'ask', stopPrice: 90, size: 1, price: 88, ioc: false },
  ];
  const digestOf = (stops: ListedStop[], asset = 1) => {
    const digester = new BookDigester();
    digestStops(digester, asset, stops);
    return digester.finish();
  };
  const expected = digestOf(STOPS);
  const changed = (change: (stops: ListedStop[]) => void) => {
    const stops = structuredClone(STOPS);
    change(stops);
    return bookDifferences(digestOf(stops), expected);
  };

  it('agrees with itself; an engine listing them in another order agrees once they are put in trigger order', () => {
    expect(changed(() => {})).toEqual([]);
    expect(changed((s) => s.splice(0, s.length, ...inTriggerOrder([...s].reverse())))).toEqual([]);
    expect(changed((s) => s.splice(0, s.length, ...inTriggerOrder([...s].sort((x, y) => x.id - y.id))))).toEqual([]);
  });

  it.each([
    ['one stop dropped', (s: ListedStop[]) => { s.splice(1, 1); }],
    ['one stop\'s stop price a tick away', (s: ListedStop[]) => { s[3].stopPrice = 94; }],
    ['one stop\'s size', (s: ListedStop[]) => { s[0].size = 4; }],
    ['one stop on the other side', (s: ListedStop[]) => { s[0].side = 'ask'; }],
    ['one stop under another id', (s: ListedStop[]) => { s[4].id = 25; }],
    ['two stops at one stop price with their ids swapped (sizes kept)', (s: ListedStop[]) => { [s[0].id, s[1].id] = [s[1].id, s[0].id]; }],
    ['two stops listed in the other order', (s: ListedStop[]) => { [s[3], s[4]] = [s[4], s[3]]; }],
    ['a stop-limit\'s limit price', (s: ListedStop[]) => { s[4].price = 89; }],
    ['a stop-limit turned stop-market', (s: ListedStop[]) => { s[1].price = 0; }],
    ['a stop-limit\'s time in force', (s: ListedStop[]) => { s[2].ioc = false; }],
  ])('%s', (_, change) => {
    expect(changed(change)).toEqual([expect.stringMatching(/^stops: /)]);
  });

  it('one stop on another asset', () => {
    const digester = new BookDigester();
    digestStops(digester, 1, STOPS.slice(1));
    digestStops(digester, 2, STOPS.slice(0, 1));
    expect(bookDifferences(digester.finish(), expected)).toEqual([expect.stringMatching(/^stops: /)]);
  });
});

describe('an engine whose book answers one thing wrong fails its verification', () => {
  const workload = buildWorkload('steady', SCALES.tiny, 20120621) as Workload;
  const settings = { scale: SCALES.tiny, unavailable: {} };

  /**
   * The JS engine per call, its session's book read through an engine whose depth and orders
   * pass through `alter` (the session reads its book through its `engine`).
   */
  const bookAltered = (alter: { depth?(depth: Depth, asset: number): Depth; orders?(orders: RestingOrder[], asset: number): RestingOrder[] }): BenchEngine => {
    const js = engineById('js');
    return {
      ...js, isReference: false,
      async open(w, chunk) {
        const session = await js.open(w, chunk);
        const engine = (session as unknown as { engine: Engine }).engine;
        const seen = Object.assign(Object.create(engine) as Engine, {
          depth: (asset: number, levels?: number) => (alter.depth ?? ((d) => d))(engine.depth(asset, levels), asset),
          orders: (asset: number) => (alter.orders ?? ((o) => o))(engine.orders(asset), asset),
        });
        return Object.assign(Object.create(session) as EngineSession, { engine: seen });
      },
    };
  };
  const verify = async (engine: BenchEngine, on: Workload = workload) => {
    const runner = localRunner([engine], settings, createProgress(false, 1));
    try {
      const m = (await runner.measure(on)).measurements[0];
      expect(m.status).toBe('ok');
      return m.verification!;
    } finally {
      runner.close();
    }
  };

  it('the seam itself changes nothing: an engine whose answers pass through unaltered is verified', async () => {
    expect((await verify(bookAltered({}))).differences).toEqual([]);
  });

  /** The JS engine per call, its session's tally changed by `change` after each checked pass of a chunk. */
  const tallyAltered = (change: (tally: EngineSession['tally'], from: number) => void, on: 'js' | 'js-batch' = 'js'): BenchEngine => {
    const js = engineById(on);
    return {
      ...js, isReference: false,
      async open(w, chunk) {
        const session = await js.open(w, chunk);
        return Object.assign(Object.create(session) as EngineSession, {
          runChecked(from: number, to: number, fills: Parameters<NonNullable<EngineSession['runChecked']>>[2]) {
            session.runChecked!(from, to, fills);
            change(session.tally, from);
          },
        });
      },
    };
  };

  it('one lot filled more, one command rejected, one order id other than predicted', async () => {
    for (const on of ['js', 'js-batch'] as const) {
      const lots = await verify(tallyAltered((t, from) => { if (from === 0) t.filledVolume += 1; }, on));
      expect(lots.differences.join('\n')).toMatch(/^lots filled: /m);
      const rejected = await verify(tallyAltered((t, from) => { if (from === 0) t.rejected += 1; }, on));
      expect(rejected.differences.join('\n')).toMatch(/^commands rejected: 1/m);
      const ids = await verify(tallyAltered((t, from) => { if (from === 0) t.idMismatches += 1; }, on));
      expect(ids.differences.join('\n')).toMatch(/^order ids other than predicted: 1/m);
    }
  });

  it('one pending stop fewer at the end of the stops workload', async () => {
    const stops = buildWorkload('stops', SCALES.tiny, 20120621) as Workload;
    expect(stops.stops!.pendingAtEnd).toBeGreaterThan(0);
    const js = engineById('js');
    const engine: BenchEngine = {
      ...js, isReference: false,
      async open(w, chunk) {
        const session = await js.open(w, chunk);
        return Object.assign(Object.create(session) as EngineSession, { pendingStops: () => session.pendingStops() - 1 });
      },
    };
    const runner = localRunner([engine], settings, createProgress(false, 1));
    try {
      const v = (await runner.measure(stops)).measurements[0].verification!;
      expect(v.ok).toBe(false);
      expect(v.differences.join('\n')).toMatch(/^pending stops: /m);
    } finally {
      runner.close();
    }
  });

  it('a timed pass that skipped the first command, on the workload whose measured pass is the whole stream once (growing)', async () => {
    const growing = buildWorkload('growing', SCALES.tiny, 20120621) as Workload;
    expect(growing.whenExhausted).toBe('stop');
    const js = engineById('js');
    const engine: BenchEngine = {
      ...js, isReference: false,
      async open(w, chunk) {
        const session = await js.open(w, chunk);
        return Object.assign(Object.create(session) as EngineSession, { run: (from: number, to: number) => session.run(from === 0 ? 1 : from, to) });
      },
    };
    const runner = localRunner([engine], settings, createProgress(false, 1));
    try {
      const v = (await runner.measure(growing)).measurements[0].verification!;
      expect(v.ok).toBe(false);
      expect(v.differences.join('\n')).toMatch(/^measured pass: /m);
    } finally {
      runner.close();
    }
  });

  it('one resting order missing from its level\'s queue', async () => {
    const v = await verify(bookAltered({ orders: (orders, asset) => (asset === workload.assets ? orders.slice(0, -1) : orders) }));
    expect(v.ok).toBe(false);
    expect(v.differences.join('\n')).toMatch(/^orders: /m);
  });

  it('two orders of one level in the other queue order', async () => {
    const v = await verify(bookAltered({
      orders: (orders, asset) => {
        if (asset !== 1) return orders;
        const out = [...orders];
        const at = out.findIndex((o, i) => i > 0 && o.price === out[i - 1].price && o.side === out[i - 1].side && o.status !== 'pending');
        expect(at).toBeGreaterThan(0);
        [out[at - 1], out[at]] = [out[at], out[at - 1]];
        return out;
      },
    }));
    expect(v.ok).toBe(false);
    expect(v.differences.join('\n')).toMatch(/^orders: /m);
  });

  it('a level holding lots with no orders, counted or listed (the level\'s size left behind)', async () => {
    const v = await verify(bookAltered({
      depth: (depth, asset) => (asset === 1 ? { ...depth, asks: [...depth.asks, { price: 1_000_000, size: 5, orders: 0 }] } : depth),
    }));
    expect(v.ok).toBe(false);
    expect(v.differences.join('\n')).toMatch(/^levels: /m);
  });

  // Stop 52: a fill's taker. The fault touches the first fill after each rewind (so the checked
  // pass sees it), and nothing the tally reads: the old checksum (maker id, price, size) passed.
  type TakerFault = 'takerOrderId' | 'takerTrader' | 'takerSide';
  /** The JS engine per call, the first fill of each pass with its taker's `fault` wrong. */
  const takerAltered = (fault: TakerFault): BenchEngine => {
    const js = engineById('js');
    return {
      ...js, isReference: false,
      async open(w, chunk) {
        const session = await js.open(w, chunk);
        const owner = session as unknown as { engine: Engine };
        const engine = owner.engine;
        let altered = false;
        const alter = <R extends OrderResult>(result: R): R => {
          if (altered || result.fills.length === 0) return result;
          altered = true;
          const f = result.fills[0];
          if (fault === 'takerSide') f.takerSide = f.takerSide === 'bid' ? 'ask' : 'bid';
          else f[fault] += 1;
          return result;
        };
        // Its per-call paths are arrow functions bound to the session: the engine is swapped in place.
        owner.engine = Object.assign(Object.create(engine) as Engine, {
          placeLimit: (req: Parameters<Engine['placeLimit']>[0]) => alter(engine.placeLimit(req)),
          placeMarket: (req: Parameters<Engine['placeMarket']>[0]) => alter(engine.placeMarket(req)),
        });
        const rewind = session.rewind.bind(session);
        session.rewind = () => {
          altered = false;
          rewind();
        };
        return session;
      },
    };
  };

  /** The JS engine through submitBatch, the first fill record of each pass with its taker's `fault` wrong in place. */
  const takerRecordAltered = (fault: TakerFault): BenchEngine => {
    const js = engineById('js-batch');
    return {
      ...js, isReference: false,
      async open(w, chunk) {
        const session = await js.open(w, chunk);
        const owner = session as unknown as { engine: Engine };
        const engine = owner.engine;
        let altered = false;
        owner.engine = Object.assign(Object.create(engine) as Engine, {
          submitBatch: (batch: Parameters<Engine['submitBatch']>[0]) => {
            const results = engine.submitBatch(batch);
            if (!altered && results.fillCount > 0) {
              altered = true;
              // FILL_SLOTS layout (src/batch.ts): commandIndex * 2 + takerSide, asset, maker id, taker id, maker trader, taker trader, price, size.
              const f = results.fills;
              if (fault === 'takerSide') f[0] += f[0] % 2 === 0 ? 1 : -1;
              else f[fault === 'takerOrderId' ? 3 : 5] += 1;
            }
            return results;
          },
        });
        const rewind = session.rewind.bind(session);
        session.rewind = () => {
          altered = false;
          rewind();
        };
        return session;
      },
    };
  };

  it.each(['takerOrderId', 'takerTrader', 'takerSide'] as const)('one fill with its %s wrong, per call and through submitBatch', async (fault) => {
    for (const engine of [takerAltered(fault), takerRecordAltered(fault)]) {
      const v = await verify(engine);
      expect(v.ok).toBe(false);
      expect(v.differences).toEqual([expect.stringMatching(/^fills: /)]);
    }
  });

  // Stop 52: pending stops, compared by count alone before.
  const stops = buildWorkload('stops', SCALES.tiny, 20120621) as Workload;

  /** The first pending stop lobcore's orders() lists on asset 1, changed by `change`. */
  const stopAltered = (change: (stop: RestingOrder) => void): BenchEngine => bookAltered({
    orders: (orders, asset) => {
      if (asset !== 1) return orders;
      const at = orders.findIndex((o) => o.status === 'pending' && o.type === 'stop_limit');
      expect(at).toBeGreaterThanOrEqual(0);
      const out = [...orders];
      out[at] = { ...out[at] };
      change(out[at]);
      return out;
    },
  });

  it.each([
    ['its stop price a tick higher', (o: RestingOrder) => { o.stopPrice! += 1; }],
    ['a lot more', (o: RestingOrder) => { o.remaining += 1; }],
    ['on the other side', (o: RestingOrder) => { o.side = o.side === 'bid' ? 'ask' : 'bid'; }],
    ['its limit price a tick lower', (o: RestingOrder) => { o.price -= 1; }],
    ['under another id', (o: RestingOrder) => { o.orderId += 1_000_000; }],
  ])('one pending stop (lobcore JS) %s', async (_, change) => {
    expect(stops.stops!.pendingAtEnd).toBeGreaterThan(0);
    const v = await verify(stopAltered(change), stops);
    expect(v.ok).toBe(false);
    expect(v.differences).toEqual([expect.stringMatching(/^stops: /)]);
  });

  it('two pending stops (lobcore JS) listed out of trigger order', async () => {
    const v = await verify(bookAltered({
      orders: (orders, asset) => {
        if (asset !== 1) return orders;
        const out = [...orders];
        const at = out.findIndex((o) => o.status === 'pending');
        [out[at], out[at + 1]] = [out[at + 1], out[at]];
        return out;
      },
    }), stops);
    expect(v.ok).toBe(false);
    expect(v.differences).toEqual([expect.stringMatching(/^stops: /)]);
  });

  it('one pending stop in nodejs-order-book\'s stop book with its stop price a tick higher', async () => {
    const nob = engineById('nodejs-order-book');
    if ((await nob.unavailable()) !== undefined) return;
    const engine: BenchEngine = {
      ...nob,
      async open(w, chunk) {
        const session = await nob.open(w, chunk);
        // Its books are made anew on every rewind (the checked pass's too): made of a class whose snapshot lies.
        const owner = session as unknown as { OrderBookClass: new () => { snapshot(): Snapshot } };
        const Real = owner.OrderBookClass;
        owner.OrderBookClass = class extends Real {
          constructor() {
            super();
            // Its snapshot is an instance property (an arrow function), not a method to override.
            const real = this.snapshot;
            this.snapshot = () => {
              const snap = real();
              const level = snap.stopBook.bids[0] ?? snap.stopBook.asks[0];
              if (level !== undefined) level.orders[0] = { ...level.orders[0], stopPrice: level.orders[0].stopPrice + 1 };
              return snap;
            };
          }
        };
        return session;
      },
    };
    const v = await verify(engine, stops);
    expect(v.ok).toBe(false);
    expect(v.differences).toEqual([expect.stringMatching(/^stops: /)]);
  });
});
