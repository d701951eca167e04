// The workload's commands, stored column by column in typed arrays: a few million commands
// fit in tens of megabytes, and every engine adapter reads the same columns.
//
// Order ids are known in advance: the generators only emit commands that an engine accepts
// (GTC limits that rest or trade, IOC limits, market orders, stops that wait), so the k-th
// order command of a run gets id k. `orderId` holds that id for order commands and the target
// for cancel/reduce.
import { Op, SideCode, TifCode } from '../src/codes.js';

export { Op, SideCode, TifCode };

export interface CommandColumns {
  readonly count: number;
  readonly op: Uint8Array;
  readonly side: Uint8Array;
  readonly tif: Uint8Array;
  readonly trader: Uint32Array;
  readonly asset: Uint32Array;
  /** Order commands: the id the engine will assign. Cancel and reduce: the target. */
  readonly orderId: Uint32Array;
  /** Limit price, a stop-limit's price once triggered; 0 for other commands (and stop-markets). */
  readonly price: Uint32Array;
  /** A stop's stop price; 0 for other commands. */
  readonly stopPrice: Uint32Array;
  /** Limit and market size; reduce `by`; 0 for cancel. */
  readonly size: Uint32Array;
}

/** The command's timestamp: its position in the run, so replays are identical. */
export function timestampOf(index: number): number {
  return index + 1;
}

export class CommandWriter implements CommandColumns {
  count = 0;
  op = new Uint8Array(0);
  side = new Uint8Array(0);
  tif = new Uint8Array(0);
  trader = new Uint32Array(0);
  asset = new Uint32Array(0);
  orderId = new Uint32Array(0);
  price = new Uint32Array(0);
  stopPrice = new Uint32Array(0);
  size = new Uint32Array(0);

  constructor(capacity = 1024) {
    this.reserve(capacity);
  }

  limit(trader: number, asset: number, side: number, price: number, size: number, orderId: number, tif: number = TifCode.GTC): void {
    this.push(Op.LIMIT, side, tif, trader, asset, orderId, price, size);
  }

  market(trader: number, asset: number, side: number, size: number, orderId: number): void {
    this.push(Op.MARKET, side, TifCode.GTC, trader, asset, orderId, 0, size);
  }

  /** price 0: a stop-market; otherwise a stop-limit at `price` with `tif` once triggered. */
  stop(trader: number, asset: number, side: number, size: number, stopPrice: number, price: number, orderId: number, tif: number = TifCode.GTC): void {
    this.push(Op.STOP, side, tif, trader, asset, orderId, price, size, stopPrice);
  }

  cancel(trader: number, asset: number, orderId: number): void {
    this.push(Op.CANCEL, 0, 0, trader, asset, orderId, 0, 0);
  }

  reduce(trader: number, asset: number, orderId: number, by: number): void {
    this.push(Op.REDUCE, 0, 0, trader, asset, orderId, 0, by);
  }

  /** Trims the columns to `count` so the workload holds no slack. */
  finish(): CommandColumns {
    const n = this.count;
    return {
      count: n,
      op: this.op.slice(0, n),
      side: this.side.slice(0, n),
      tif: this.tif.slice(0, n),
      trader: this.trader.slice(0, n),
      asset: this.asset.slice(0, n),
      orderId: this.orderId.slice(0, n),
      price: this.price.slice(0, n),
      stopPrice: this.stopPrice.slice(0, n),
      size: this.size.slice(0, n),
    };
  }

  private push(op: number, side: number, tif: number, trader: number, asset: number, orderId: number, price: number, size: number, stopPrice = 0): void {
    if (this.count === this.op.length) this.reserve(this.count * 2);
    const i = this.count++;
    this.op[i] = op;
    this.side[i] = side;
    this.tif[i] = tif;
    this.trader[i] = trader;
    this.asset[i] = asset;
    this.orderId[i] = orderId;
    this.price[i] = price;
    this.stopPrice[i] = stopPrice;
    this.size[i] = size;
  }

  private reserve(capacity: number): void {
    const grow = <T extends Uint8Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, this.count));
      return next;
    };
    this.op = grow(this.op, (n) => new Uint8Array(n));
    this.side = grow(this.side, (n) => new Uint8Array(n));
    this.tif = grow(this.tif, (n) => new Uint8Array(n));
    this.trader = grow(this.trader, (n) => new Uint32Array(n));
    this.asset = grow(this.asset, (n) => new Uint32Array(n));
    this.orderId = grow(this.orderId, (n) => new Uint32Array(n));
    this.price = grow(this.price, (n) => new Uint32Array(n));
    this.stopPrice = grow(this.stopPrice, (n) => new Uint32Array(n));
    this.size = grow(this.size, (n) => new Uint32Array(n));
  }
}

export function emptyColumns(): CommandColumns {
  return new CommandWriter(1).finish();
}
