// The `nodejs-order-book` npm package (v10), driven through its public API: limit (GTC/IOC),
// market, cancel, and modify for a reduce. It holds one asset per OrderBook, so a workload
// with several assets gets one instance per asset. It is an optional dependency of lobcore, loaded
// only when the benchmark runs: without it the report marks it unavailable and says how to add it.
//
// What its API cannot say exactly, and what we do instead (printed beside its figures):
// - reduce keeping queue priority: there is none; `modify` to the smaller size re-queues the
//   order at the back of its level (its own documented behaviour), after `order()` reads
//   the current size. Only the LOBSTER workload reduces, and there the re-queued orders fill in
//   another order than lobcore's and the reference's: its book ends elsewhere and a later cancel
//   names an order it has already filled (rejected: 1 in every stored run). Its rate there is of
//   other work, so it is reported as not comparable (n/a, with the reason) rather than measured.
// - order ids are strings it does not assign: we pass the id lobcore would assign.
// - stops: `stopMarket` and `stopLimit`. Its trigger rules differ from lobcore's in places
//   (docs/stops-vs-nodejs-order-book.md); the stop workloads keep to a flow where they agree.
//   When stops trigger, its result's `quantityLeft` is the last triggered order's, so the lots
//   a command filled cannot be read: on those workloads only its book is checked.
import { createRequire } from 'node:module';
import type { OrderBook } from 'nodejs-order-book/dist/types/orderbook.js';
import type { IProcessOrder, OrderBookOptions } from 'nodejs-order-book/dist/types/types.js';
import { Op, TifCode } from '../../src/codes.js';
import type { CommandColumns } from '../commands.js';
import type { Workload } from '../workloads/workload.js';
import { BookDigester, digestAsset, digestStops, inTriggerOrder } from '../book-check.js';
import type { BookDigest, ListedLevel, ListedStop } from '../book-check.js';
import { emptyTally } from './engine.js';
import type { BenchEngine, EngineSession, Tally } from './engine.js';

type OrderBookClass = new (options?: OrderBookOptions) => OrderBook;
type NobSide = Parameters<OrderBook['market']>[0]['side'];
type NobTimeInForce = NonNullable<Parameters<OrderBook['limit']>[0]['timeInForce']>;

// Its "module" build uses extensionless ESM imports that Node cannot load; the CommonJS build works.
export function loadOrderBook(): OrderBookClass {
  const require = createRequire(import.meta.url);
  return (require('nodejs-order-book') as { OrderBook: OrderBookClass }).OrderBook;
}

const NOT_INSTALLED = 'nodejs-order-book is not installed (an optional dependency of lobcore): `npm install nodejs-order-book` adds it to the comparison';

/** Why it is not measured where the stream reduces orders (LOBSTER). */
export const NOT_COMPARABLE_REDUCE = 'not comparable: it has no reduce keeping queue priority; modify(size) re-queues the order, so it fills '
  + 'other orders than the reference, ends with another book and rejects a later cancel (bench/README.md)';

const SIDES = ['buy', 'sell'] as NobSide[];
const IOC = 'IOC' as NobTimeInForce;

export const nodejsOrderBookEngine: BenchEngine = {
  id: 'nodejs-order-book',
  label: 'nodejs-order-book (npm)',
  perCall: true,
  async unavailable() {
    try {
      loadOrderBook();
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'MODULE_NOT_FOUND') return NOT_INSTALLED;
      return `nodejs-order-book failed to load: ${(error as Error).message.split('\n')[0]}`;
    }
  },
  cannotRun(workload) {
    for (let i = 0; i < workload.stream.count; i++) {
      if (workload.stream.op[i] === Op.REDUCE) return NOT_COMPARABLE_REDUCE;
    }
    return undefined;
  },
  caveat(workload) {
    if (workload.stops !== undefined) return 'book and pending stops checked, not filled volume';
    return undefined;
  },
  readsVolume: (workload) => workload.stops === undefined,
  // Its results list the orders a command completed (`done`), not the fills.
  countsFills: false,
  async open(workload: Workload) {
    return new NobSession(loadOrderBook(), workload);
  },
};

class NobSession implements EngineSession {
  readonly tally: Tally = emptyTally();
  /** Index = asset id (1-based). */
  private books: OrderBook[] = [];
  private readonly stream: CommandColumns;

  constructor(private readonly OrderBookClass: OrderBookClass, private readonly workload: Workload) {
    this.stream = workload.stream;
    this.rewind();
  }

  /**
   * Fresh books with the prelude replayed: the package's snapshot restore is no faster. The
   * tally is left as it was (the prelude's counts taken out again), as every session's rewind does.
   */
  rewind(): void {
    const kept = { ...this.tally };
    this.books = [];
    for (let asset = 0; asset <= this.workload.assets; asset++) this.books.push(new this.OrderBookClass());
    const prelude = this.workload.prelude;
    for (let i = 0; i < prelude.count; i++) this.call(prelude, i);
    Object.assign(this.tally, kept);
  }

  run(from: number, to: number): void {
    for (let i = from; i < to; i++) this.call(this.stream, i);
  }

  runTimed(from: number, to: number, into: Float64Array): void {
    const hrtime = process.hrtime.bigint;
    for (let i = from; i < to; i++) {
      const t0 = hrtime();
      this.call(this.stream, i);
      into[i - from] = Number(hrtime() - t0);
    }
  }

  restingOrders(): number {
    let total = 0;
    for (const book of this.books) total += countOrders(book);
    return total;
  }

  pendingStops(): number {
    let total = 0;
    for (const book of this.books) total += countStops(book);
    return total;
  }

  close(): void {
    this.books = [];
  }

  /**
   * From its snapshot (its public API): each level's orders as it queues them, level totals
   * summed from them; and its stop book's orders (a stop-limit's carry its price), sorted into
   * trigger order: it lists them farthest from triggering first and promises no order.
   */
  bookDigest(): BookDigest {
    const digest = new BookDigester();
    for (let asset = 1; asset <= this.workload.assets; asset++) {
      const snap = this.books[asset].snapshot();
      const levels = (side: { price: number; orders: { id: string; size: number }[] }[]): ListedLevel[] =>
        side.map((l) => ({ price: l.price, orders: l.orders.map((o) => ({ id: Number(o.id), remaining: o.size })) }));
      digestAsset(digest, asset, levels(snap.bids), levels(snap.asks));
      const stops: ListedStop[] = [];
      for (const level of [...snap.stopBook.bids, ...snap.stopBook.asks]) {
        for (const o of level.orders) {
          const limit = 'price' in o ? o.price : 0;
          stops.push({
            id: Number(o.id), side: o.side === SIDES[0] ? 'bid' : 'ask', stopPrice: o.stopPrice, size: o.size, price: limit,
            ioc: 'timeInForce' in o && o.timeInForce === IOC,
          });
        }
      }
      digestStops(digest, asset, inTriggerOrder(stops));
    }
    return digest.finish();
  }

  private call(s: CommandColumns, i: number): void {
    const book = this.books[s.asset[i]];
    switch (s.op[i]) {
      case Op.LIMIT: {
        const size = s.size[i];
        const request = s.tif[i] === TifCode.IOC
          ? { id: String(s.orderId[i]), side: SIDES[s.side[i]], size, price: s.price[i], timeInForce: IOC }
          : { id: String(s.orderId[i]), side: SIDES[s.side[i]], size, price: s.price[i] };
        this.order(size, book.limit(request));
        break;
      }
      case Op.MARKET: {
        const size = s.size[i];
        this.order(size, book.market({ side: SIDES[s.side[i]], size }));
        break;
      }
      case Op.STOP: {
        const id = String(s.orderId[i]);
        const size = s.size[i];
        const stopPrice = s.stopPrice[i];
        const result = s.price[i] === 0
          ? book.stopMarket({ id, side: SIDES[s.side[i]], size, stopPrice })
          : book.stopLimit({ id, side: SIDES[s.side[i]], size, price: s.price[i], stopPrice, ...(s.tif[i] === TifCode.IOC ? { timeInForce: IOC } : {}) });
        if (result.err !== null) this.tally.rejected++;
        break;
      }
      case Op.CANCEL:
        if (book.cancel(String(s.orderId[i])) === undefined) this.tally.rejected++;
        break;
      case Op.REDUCE: {
        const id = String(s.orderId[i]);
        const order = book.order(id);
        if (order === undefined) this.tally.rejected++;
        else if (s.size[i] >= order.size) book.cancel(id);
        else book.modify(id, { size: order.size - s.size[i] });
        break;
      }
    }
  }

  private order(size: number, result: IProcessOrder): void {
    if (result.err !== null) {
      this.tally.rejected++;
      return;
    }
    this.tally.filledVolume += size - result.quantityLeft;
    this.tally.fills += result.done.length;
  }
}

/** Resting orders of one book; its API has no count, so the snapshot is read (untimed callers only). */
function countOrders(book: OrderBook): number {
  return countLevels(book.snapshot());
}

/** Pending stops of one book, from its snapshot's stop book. */
function countStops(book: OrderBook): number {
  return countLevels(book.snapshot().stopBook);
}

function countLevels(sides: { bids: { orders: unknown[] }[]; asks: { orders: unknown[] }[] }): number {
  let n = 0;
  for (const level of sides.bids) n += level.orders.length;
  for (const level of sides.asks) n += level.orders.length;
  return n;
}
