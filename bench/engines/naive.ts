// The naive idiomatic book (bench/naive-book.ts): the afternoon-project baseline; with its stop
// orders (bench/naive-stop-book.ts) on the workloads that have them.
import { Op } from '../../src/codes.js';
import type { OrderResult, Side } from '../../src/types.js';
import type { CommandColumns } from '../commands.js';
import { NaiveOrderBook } from '../naive-book.js';
import type { NaiveBookSnapshot } from '../naive-book.js';
import { NaiveStopBook } from '../naive-stop-book.js';
import type { Workload } from '../workloads/workload.js';
import type { BookDigest, FillChecksum } from '../book-check.js';
import { digestBook } from '../workloads/flow-builder.js';
import { emptyTally } from './engine.js';
import type { BenchEngine, EngineSession, Tally } from './engine.js';

const SIDES: readonly Side[] = ['bid', 'ask'];
const TIFS = ['GTC', 'IOC'] as const;

export const naiveEngine: BenchEngine = {
  id: 'naive',
  label: 'naive JS book (baseline)',
  perCall: true,
  // The workloads are generated against NaiveStopBook, which extends this very book.
  isReference: true,
  unavailable: async () => undefined,
  cannotRun: () => undefined,
  async open(workload: Workload) {
    return new NaiveSession(workload);
  },
};

class NaiveSession implements EngineSession {
  readonly tally: Tally = emptyTally();
  private book: NaiveOrderBook;
  /** The same book when the workload has stops. */
  private stopBook: NaiveStopBook | undefined = undefined;
  private readonly stream: CommandColumns;
  private readonly firstTimestamp: number;
  /** Stream commands replayed after the prelude on every rewind (startAt), where there is no snapshot to restore. */
  private startCommands = 0;
  /** The book at startAt's point, restored on every rewind: growing's start, 3.78M commands in, took seconds to replay. */
  private startSnapshot: NaiveBookSnapshot | undefined = undefined;

  constructor(private readonly workload: Workload) {
    this.stream = workload.stream;
    this.firstTimestamp = workload.prelude.count + 1;
    this.book = this.newBook();
    this.applyPrelude();
  }

  /** A fresh book with the prelude replayed: the naive book has no snapshot to restore. */
  rewind(): void {
    if (this.startSnapshot !== undefined) {
      this.book = NaiveOrderBook.fromSnapshot(this.startSnapshot);
      return;
    }
    this.book = this.newBook();
    this.applyPrelude();
    if (this.startCommands === 0) return;
    // No snapshot either for a start further in: the stream's first commands are replayed too,
    // and the tally left as it was, since the timed cycles' check counts across rewinds.
    const kept = { ...this.tally };
    this.run(0, this.startCommands);
    Object.assign(this.tally, kept);
  }

  startAt(commands: number): void {
    this.startSnapshot = undefined;
    this.startCommands = commands;
    this.rewind();
    // The stop book's stops are not in a snapshot: it replays on every rewind.
    if (this.stopBook === undefined && commands > 0) this.startSnapshot = this.book.snapshot();
  }

  /** The plain book where there are no stops, so the other workloads measure what they always did. */
  private newBook(): NaiveOrderBook {
    this.stopBook = this.workload.stops === undefined ? undefined : new NaiveStopBook();
    return this.stopBook ?? new NaiveOrderBook();
  }

  run(from: number, to: number): void {
    for (let i = from; i < to; i++) this.call(this.stream, i, this.firstTimestamp + i);
  }

  runTimed(from: number, to: number, into: Float64Array): void {
    const hrtime = process.hrtime.bigint;
    for (let i = from; i < to; i++) {
      const t0 = hrtime();
      this.call(this.stream, i, this.firstTimestamp + i);
      into[i - from] = Number(hrtime() - t0);
    }
  }

  restingOrders(): number {
    return this.book.restingOrders;
  }

  pendingStops(): number {
    return this.stopBook?.pendingStops ?? 0;
  }

  bookDigest(): BookDigest {
    return digestBook(this.book, this.workload.assets);
  }

  /** The verification pass: the same calls as run(), each fill also summed into `fills`. */
  runChecked(from: number, to: number, fills: FillChecksum): void {
    for (let i = from; i < to; i++) {
      const result = this.call(this.stream, i, this.firstTimestamp + i);
      if (result === undefined) continue;
      for (const fill of result.fills) fills.add(fill);
    }
  }

  close(): void {}

  /** The prelude leaves the tally as it was: a rewind between timed cycles must not touch what they counted (cycle-check.ts). */
  private applyPrelude(): void {
    const kept = { ...this.tally };
    const prelude = this.workload.prelude;
    for (let i = 0; i < prelude.count; i++) this.call(prelude, i, i + 1);
    Object.assign(this.tally, kept);
  }

  /** One command, its result tallied; an order command's result is returned too. */
  private call(s: CommandColumns, i: number, timestamp: number): OrderResult | undefined {
    const book = this.book;
    let result: OrderResult;
    switch (s.op[i]) {
      case Op.LIMIT:
        result = book.placeLimit({
          trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], price: s.price[i], size: s.size[i],
          timestamp, timeInForce: TIFS[s.tif[i]],
        });
        break;
      case Op.MARKET:
        result = book.placeMarket({ trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], size: s.size[i], timestamp });
        break;
      case Op.STOP:
        result = this.stopBook!.placeStop({
          trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], size: s.size[i], stopPrice: s.stopPrice[i], price: s.price[i],
          timeInForce: TIFS[s.tif[i]], timestamp,
        });
        break;
      case Op.CANCEL:
        if (!book.cancel(s.trader[i], s.asset[i], s.orderId[i]).ok) this.tally.rejected++;
        return undefined;
      case Op.REDUCE:
        if (!book.reduce(s.trader[i], s.asset[i], s.orderId[i], s.size[i]).ok) this.tally.rejected++;
        return undefined;
      default:
        return undefined;
    }
    this.order(s, i, result);
    return result;
  }

  private order(s: CommandColumns, i: number, result: OrderResult): void {
    const tally = this.tally;
    const fills = result.fills;
    // With stops, the fills include the triggered orders' (as lobcore's do).
    if (this.stopBook === undefined) {
      tally.filledVolume += result.filled;
    } else {
      for (let j = 0; j < fills.length; j++) tally.filledVolume += fills[j].size;
    }
    tally.fills += fills.length;
    if (result.orderId !== s.orderId[i]) tally.idMismatches++;
  }
}
