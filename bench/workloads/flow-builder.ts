// Writes a workload's commands while mirroring them on a reference book, so a generator
// always knows which orders are live (to cancel them), where the touch is (to quote near
// it) and which id the engine will assign (to name orders in later commands).
import { CommandWriter, SideCode, TifCode } from '../commands.js';
import type { CommandColumns } from '../commands.js';
import { NaiveStopBook } from '../naive-stop-book.js';
import { BookDigester, digestAsset, digestStops, FillChecksum } from '../book-check.js';
import type { NaiveOrderBook } from '../naive-book.js';
import type { Prng } from '../../src/prng.js';
import type { OrderResult, Side } from '../../src/types.js';
import type { StopStats, Workload, WorkloadName } from './workload.js';

/** Live order ids with O(1) add, remove and uniform random pick. */
class LiveOrderSet {
  private readonly ids: number[] = [];
  private readonly position = new Map<number, number>();

  get size(): number {
    return this.ids.length;
  }

  add(id: number): void {
    this.position.set(id, this.ids.length);
    this.ids.push(id);
  }

  delete(id: number): void {
    const at = this.position.get(id);
    if (at === undefined) return;
    const last = this.ids.pop()!;
    if (last !== id) {
      this.ids[at] = last;
      this.position.set(last, at);
    }
    this.position.delete(id);
  }

  pick(prng: Prng): number {
    return this.ids[prng.below(this.ids.length)];
  }
}

export function sideName(side: number): Side {
  return side === SideCode.BID ? 'bid' : 'ask';
}

export class FlowBuilder {
  readonly mirror = new NaiveStopBook();
  private readonly live = new LiveOrderSet();
  private writer = new CommandWriter(1 << 16);
  private prelude: CommandColumns | null = null;
  private nextOrderId = 1;
  private timestamp = 0;
  /** Lots traded in the stream, triggered stops' fills included (the prelude's are not counted). */
  streamFilledVolume = 0;
  restingAfterPrelude = 0;
  pendingAfterPrelude = 0;
  /** The stream's fills as the reference book made them (book-check.ts's FillChecksum). */
  private readonly streamFills = new FillChecksum();
  /** Stream commands that filled, with their fills and lots (triggered stops' included), sparse until finish(). */
  private readonly fillingCommands: number[] = [];
  private readonly fillsOfCommand: number[] = [];
  private readonly lotsOfCommand: number[] = [];
  /** Stops placed and triggered in the stream, and the most one command triggered. */
  private readonly stopStats: StopStats = { placed: 0, triggered: 0, longestCascade: 0 };

  get restingOrders(): number {
    return this.live.size;
  }

  /** Commands written so far in the current part (prelude or stream). */
  get written(): number {
    return this.writer.count;
  }

  /** Ends the untimed prelude that builds the starting book; what follows is the timed stream. */
  endPrelude(): void {
    this.prelude = this.writer.finish();
    this.writer = new CommandWriter(1 << 16);
    this.streamFilledVolume = 0;
    this.restingAfterPrelude = this.restingOrders;
    this.pendingAfterPrelude = this.mirror.pendingStops;
  }

  /** The prelude alone (for a caller that wants a book, not a workload). */
  preludeCommands(): CommandColumns {
    if (this.prelude === null) this.endPrelude();
    return this.prelude!;
  }

  /** The workload: the commands written, and what the reference book saw along the way. */
  finish(name: WorkloadName, description: string, assets: number, whenExhausted: Workload['whenExhausted']): Workload {
    if (this.prelude === null) this.endPrelude();
    const stops = this.stopStats.placed > 0 || this.pendingAfterPrelude > 0;
    const stream = this.writer.finish();
    const streamResults = { fills: new Uint32Array(stream.count), lots: new Uint32Array(stream.count) };
    this.fillingCommands.forEach((i, k) => {
      streamResults.fills[i] = this.fillsOfCommand[k];
      streamResults.lots[i] = this.lotsOfCommand[k];
    });
    return {
      name, description, assets, whenExhausted, prelude: this.prelude!, stream, streamResults,
      restingAfterPrelude: this.restingAfterPrelude, restingAtEnd: this.restingOrders, streamFilledVolume: this.streamFilledVolume,
      bookAtEnd: digestBook(this.mirror, assets), streamFills: this.streamFills.result(),
      ...(stops ? {
        stops: { ...this.stopStats, pendingAfterPrelude: this.pendingAfterPrelude, pendingAtEnd: this.mirror.pendingStops },
      } : {}),
    };
  }

  limit(trader: number, asset: number, side: number, price: number, size: number, tif: number = TifCode.GTC): OrderResult {
    const id = this.nextOrderId++;
    this.writer.limit(trader, asset, side, price, size, id, tif);
    const result = this.mirror.placeLimit({
      trader, asset, side: sideName(side), price, size, timestamp: ++this.timestamp,
      timeInForce: tif === TifCode.IOC ? 'IOC' : 'GTC',
    });
    this.settle(id, result);
    return result;
  }

  market(trader: number, asset: number, side: number, size: number): OrderResult {
    const id = this.nextOrderId++;
    this.writer.market(trader, asset, side, size, id);
    const result = this.mirror.placeMarket({ trader, asset, side: sideName(side), size, timestamp: ++this.timestamp });
    this.settle(id, result);
    return result;
  }

  /**
   * A stop that waits: price 0 a stop-market, otherwise a stop-limit at `price` with `tif`.
   * The generator must pick a stop price the last trade price does not already trigger.
   */
  stop(trader: number, asset: number, side: number, size: number, stopPrice: number, price: number, tif: number = TifCode.GTC): OrderResult {
    const id = this.nextOrderId++;
    this.writer.stop(trader, asset, side, size, stopPrice, price, id, tif);
    const result = this.mirror.placeStop({
      trader, asset, side: sideName(side), size, stopPrice, price, timestamp: ++this.timestamp, timeInForce: tif === TifCode.IOC ? 'IOC' : 'GTC',
    });
    if (result.status !== 'pending') throw new Error(`workload generator: a stop at ${stopPrice} would trigger at once`);
    if (this.prelude !== null) this.stopStats.placed++;
    this.settle(id, result);
    return result;
  }

  /** Cancels a live order; returns false (writing nothing) when it is not live. */
  cancel(orderId: number): boolean {
    const order = this.mirror.order(orderId);
    if (order === undefined) return false;
    this.writer.cancel(order.trader, order.asset, orderId);
    this.mirror.cancel(order.trader, order.asset, orderId);
    this.live.delete(orderId);
    return true;
  }

  /** Reduces a live order; returns false (writing nothing) when it is not live. */
  reduce(orderId: number, by: number): boolean {
    const order = this.mirror.order(orderId);
    if (order === undefined) return false;
    this.writer.reduce(order.trader, order.asset, orderId, by);
    const result = this.mirror.reduce(order.trader, order.asset, orderId, by);
    if (result.remaining === 0) this.live.delete(orderId);
    return true;
  }

  isLive(orderId: number): boolean {
    return this.mirror.order(orderId) !== undefined;
  }

  randomLiveOrder(prng: Prng): number {
    return this.live.pick(prng);
  }

  private settle(id: number, result: OrderResult): void {
    if (result.orderId !== id) throw new Error(`workload generator: expected order id ${id}, mirror gave ${result.orderId}`);
    // What came to rest first, then every maker the fills used up: the fills include those of
    // the stops the command triggered, which may take what rested earlier in the same command.
    if (result.status === 'resting') this.live.add(id);
    for (const rested of this.mirror.restedByLast) this.live.add(rested);
    let lots = 0;
    for (const fill of result.fills) {
      lots += fill.size;
      if (this.prelude !== null) this.streamFills.add(fill);
      if (!this.mirror.order(fill.makerOrderId)) this.live.delete(fill.makerOrderId);
    }
    this.streamFilledVolume += lots;
    if (this.prelude !== null && result.fills.length > 0) {
      // Held in 32 bits in the workload (streamResults): far above any command's here, but say so if not.
      if (lots > 0xffffffff) throw new Error(`workload generator: one command filled ${lots} lots, more than streamResults holds`);
      this.fillingCommands.push(this.writer.count - 1);
      this.fillsOfCommand.push(result.fills.length);
      this.lotsOfCommand.push(lots);
    }
    if (this.prelude !== null) {
      this.stopStats.triggered += this.mirror.triggeredByLast;
      this.stopStats.longestCascade = Math.max(this.stopStats.longestCascade, this.mirror.triggeredByLast);
    }
  }
}

/** A naive (reference) book's digest over assets 1..assets (book-check.ts), its pending stops included. */
export function digestBook(book: NaiveOrderBook, assets: number): import('../book-check.js').BookDigest {
  const digest = new BookDigester();
  for (let asset = 1; asset <= assets; asset++) {
    const { bids, asks } = book.listBook(asset);
    digestAsset(digest, asset, bids, asks);
    if (book instanceof NaiveStopBook) digestStops(digest, asset, book.listStops(asset));
  }
  return digest.finish();
}
