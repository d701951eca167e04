// A BASELINE, not part of lobcore: stop and stop-limit orders on the naive book (naive-book.ts),
// written the same plain way from docs/semantics.md "Stop orders" alone, sharing no code with
// lobcore. It is the reference the stop workloads are generated against (so every engine's pass
// is checked against an independent statement of the rules) and the naive engine on them.
//
// What it keeps of the rules: a last trade price per asset (none before the first fill); a buy
// stop triggers at or above its stop price, a sell stop at or below; after a command that
// traded, the stops that price triggers enter one at a time (buys first, in ascending stop
// price, then sells in descending, placement order at equal prices), each as a taker with its
// own id and the command's timestamp, and their trades may trigger more. What it leaves out,
// because no workload uses it: OCO pairs, protection prices, STP, and cancelling or reducing a
// pending stop (nodejs-order-book cannot, so the workloads never do).
import { NaiveOrderBook } from './naive-book.js';
import type { NaiveLimit, NaiveMarket } from './naive-book.js';
import type { OrderResult, Side } from '../src/types.js';
import type { ListedStop } from './book-check.js';

export interface NaiveStop {
  trader: number;
  asset: number;
  side: Side;
  size: number;
  stopPrice: number;
  /** Once triggered, a limit order at this price; 0: a market order. */
  price: number;
  timeInForce?: 'GTC' | 'IOC';
  timestamp: number;
}

interface PendingStop {
  id: number;
  trader: number;
  side: Side;
  size: number;
  stopPrice: number;
  price: number;
  timeInForce: 'GTC' | 'IOC';
}

interface AssetStops {
  /** Each sorted so that the next to trigger is last. */
  bid: PendingStop[];
  ask: PendingStop[];
}

export function stopTriggers(side: Side, stopPrice: number, last: number | undefined): boolean {
  return last !== undefined && (side === 'bid' ? last >= stopPrice : last <= stopPrice);
}

export class NaiveStopBook extends NaiveOrderBook {
  private readonly lastPrices = new Map<number, number>();
  private readonly stops = new Map<number, AssetStops>();
  private waiting = 0;
  /** Of the latest command: how many stops it triggered, and the ids of those that came to rest. */
  triggeredByLast = 0;
  readonly restedByLast: number[] = [];

  get pendingStops(): number {
    return this.waiting;
  }

  protected override hasStops(): boolean {
    return true;
  }

  /** The asset's pending stops, each side in the order they will trigger (for the bench's check, book-check.ts). */
  listStops(asset: number): ListedStop[] {
    const book = this.stops.get(asset);
    if (book === undefined) return [];
    const out: ListedStop[] = [];
    for (const side of ['bid', 'ask'] as const) {
      const list = book[side];
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i];
        out.push({ id: s.id, side, stopPrice: s.stopPrice, size: s.size, price: s.price, ioc: s.price !== 0 && s.timeInForce === 'IOC' });
      }
    }
    return out;
  }

  lastPrice(asset: number): number | undefined {
    return this.lastPrices.get(asset);
  }

  override placeLimit(req: NaiveLimit): OrderResult {
    this.startCommand();
    return this.afterCommand(req.asset, req.timestamp, super.placeLimit(req));
  }

  override placeMarket(req: NaiveMarket): OrderResult {
    this.startCommand();
    return this.afterCommand(req.asset, req.timestamp, super.placeMarket(req));
  }

  /** Pending with a new id, or rejected WOULD_TRIGGER (id 0) when the last price already triggers it. */
  placeStop(req: NaiveStop): OrderResult {
    this.startCommand();
    if (stopTriggers(req.side, req.stopPrice, this.lastPrices.get(req.asset))) {
      return { orderId: 0, status: 'rejected', filled: 0, remaining: 0, fills: [], reason: 'WOULD_TRIGGER' };
    }
    const stop: PendingStop = {
      id: this.reserveId(), trader: req.trader, side: req.side, size: req.size, stopPrice: req.stopPrice, price: req.price,
      timeInForce: req.timeInForce ?? 'GTC',
    };
    let book = this.stops.get(req.asset);
    if (book === undefined) {
      book = { bid: [], ask: [] };
      this.stops.set(req.asset, book);
    }
    const list = book[req.side];
    list.splice(insertionIndex(list, stop), 0, stop);
    this.waiting++;
    return { orderId: stop.id, status: 'pending', filled: 0, remaining: req.size, fills: [] };
  }

  private startCommand(): void {
    this.triggeredByLast = 0;
    this.restedByLast.length = 0;
  }

  /** Runs the trigger cascade of a command that traded; the triggered orders' fills join its result. */
  private afterCommand(asset: number, timestamp: number, result: OrderResult): OrderResult {
    if (result.fills.length === 0) return result;
    this.lastPrices.set(asset, result.fills[result.fills.length - 1].price);
    const book = this.stops.get(asset);
    if (book === undefined) return result;
    for (let stop = this.nextTriggered(asset, book); stop !== undefined; stop = this.nextTriggered(asset, book)) {
      this.waiting--;
      this.triggeredByLast++;
      const entered = stop.price === 0
        ? super.placeMarket({ id: stop.id, trader: stop.trader, asset, side: stop.side, size: stop.size, timestamp })
        : super.placeLimit({
          id: stop.id, trader: stop.trader, asset, side: stop.side, price: stop.price, size: stop.size, timestamp,
          timeInForce: stop.timeInForce,
        });
      if (entered.status === 'resting') this.restedByLast.push(stop.id);
      if (entered.fills.length > 0) this.lastPrices.set(asset, entered.fills[entered.fills.length - 1].price);
      result.fills.push(...entered.fills);
    }
    return result;
  }

  /** Takes the next stop the last price triggers off its list: buys before sells. */
  private nextTriggered(asset: number, book: AssetStops): PendingStop | undefined {
    const last = this.lastPrices.get(asset);
    for (const side of ['bid', 'ask'] as const) {
      const list = book[side];
      const next = list[list.length - 1];
      if (next !== undefined && stopTriggers(side, next.stopPrice, last)) return list.pop();
    }
    return undefined;
  }
}

/** Where `stop` goes so the list stays in reverse trigger order (the oldest of the nearest last). */
function insertionIndex(list: PendingStop[], stop: PendingStop): number {
  // Trigger order: buys by ascending stop price, sells by descending; then by id.
  const triggersSooner = (a: PendingStop, b: PendingStop): boolean =>
    a.stopPrice === b.stopPrice ? a.id < b.id : (a.side === 'bid' ? a.stopPrice < b.stopPrice : a.stopPrice > b.stopPrice);
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (triggersSooner(list[mid], stop)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
