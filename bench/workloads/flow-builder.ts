// Writes a workload's commands while mirroring them on a reference book, so a generator
// always knows which orders are live (to cancel them), where the touch is (to quote near
// it) and which id the engine will assign (to name orders in later commands).
import { CommandWriter, SideCode, TifCode } from '../commands.js';
import type { CommandColumns } from '../commands.js';
import { NaiveOrderBook } from '../naive-book.js';
import type { Prng } from '../../src/prng.js';
import type { OrderResult, Side } from '../../src/types.js';

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
  readonly mirror = new NaiveOrderBook();
  private readonly live = new LiveOrderSet();
  private writer = new CommandWriter(1 << 16);
  private prelude: CommandColumns | null = null;
  private nextOrderId = 1;
  private timestamp = 0;
  /** Lots filled by the stream's takers (the prelude's are not counted). */
  streamFilledVolume = 0;
  restingAfterPrelude = 0;
  /** After stream command i: resting orders, and stream filled volume (for checks on a prefix). */
  private readonly restingAfter: number[] = [];
  private readonly filledAfter: number[] = [];

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
  }

  finish(): { prelude: CommandColumns; stream: CommandColumns; restingAfter: Uint32Array; filledAfter: Float64Array } {
    if (this.prelude === null) this.endPrelude();
    return {
      prelude: this.prelude!, stream: this.writer.finish(),
      restingAfter: Uint32Array.from(this.restingAfter), filledAfter: Float64Array.from(this.filledAfter),
    };
  }

  /** Notes the reference state after each stream command (commands write exactly one record). */
  private record(): void {
    if (this.prelude === null) return;
    this.restingAfter.push(this.live.size);
    this.filledAfter.push(this.streamFilledVolume);
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

  /** Cancels a live order; returns false (writing nothing) when it is not live. */
  cancel(orderId: number): boolean {
    const order = this.mirror.order(orderId);
    if (order === undefined) return false;
    this.writer.cancel(order.trader, order.asset, orderId);
    this.mirror.cancel(order.trader, order.asset, orderId);
    this.live.delete(orderId);
    this.record();
    return true;
  }

  /** Reduces a live order; returns false (writing nothing) when it is not live. */
  reduce(orderId: number, by: number): boolean {
    const order = this.mirror.order(orderId);
    if (order === undefined) return false;
    this.writer.reduce(order.trader, order.asset, orderId, by);
    const result = this.mirror.reduce(order.trader, order.asset, orderId, by);
    if (result.remaining === 0) this.live.delete(orderId);
    this.record();
    return true;
  }

  isLive(orderId: number): boolean {
    return this.mirror.order(orderId) !== undefined;
  }

  randomLiveOrder(prng: Prng): number {
    return this.live.pick(prng);
  }

  private settle(id: number, result: OrderResult): void {
    this.streamFilledVolume += result.filled;
    if (result.orderId !== id) throw new Error(`workload generator: expected order id ${id}, mirror gave ${result.orderId}`);
    for (const fill of result.fills) {
      if (!this.mirror.order(fill.makerOrderId)) this.live.delete(fill.makerOrderId);
    }
    if (result.status === 'resting') this.live.add(id);
    this.record();
  }
}
