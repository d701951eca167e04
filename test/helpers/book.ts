// A small vocabulary for writing order-book scenarios tersely: one asset, a clock that ticks on
// every command (so fill timestamps are predictable), and request builders with defaults that
// any field can override.
import type { Engine } from '../../src/engine.js';
import type {
  CancelResult,
  LimitOrderRequest,
  MarketOrderBySize,
  ModifyRequest,
  OrderResult,
  Side,
} from '../../src/types.js';

/** A new price, a new size, or both. */
type ModifyChange = { price: number; size?: number } | { price?: number; size: number };

export interface Scenario {
  readonly engine: Engine;
  readonly asset: number;
  /** The timestamp the next command will carry. */
  readonly now: number;
  limit(trader: number, side: Side, price: number, size: number, extra?: Partial<LimitOrderRequest>): OrderResult;
  bid(trader: number, price: number, size: number, extra?: Partial<LimitOrderRequest>): OrderResult;
  ask(trader: number, price: number, size: number, extra?: Partial<LimitOrderRequest>): OrderResult;
  market(trader: number, side: Side, size: number, extra?: Partial<MarketOrderBySize>): OrderResult;
  cancel(trader: number, orderId: number, asset?: number): CancelResult;
  reduce(trader: number, orderId: number, by: number, asset?: number): CancelResult;
  modify(trader: number, orderId: number, change: ModifyChange, extra?: Partial<ModifyRequest>): OrderResult;
  /** Resting order ids of the asset in priority order: bids best first, then asks. */
  queue(): number[];
}

export function scenario(engine: Engine, asset = 1, startTime = 1_000): Scenario {
  let clock = startTime;
  const tick = (): number => clock++;
  const limit: Scenario['limit'] = (trader, side, price, size, extra = {}) =>
    engine.placeLimit({ trader, asset, side, price, size, timestamp: tick(), ...extra });
  return {
    engine,
    asset,
    get now() {
      return clock;
    },
    limit,
    bid: (trader, price, size, extra) => limit(trader, 'bid', price, size, extra),
    ask: (trader, price, size, extra) => limit(trader, 'ask', price, size, extra),
    market: (trader, side, size, extra = {}) =>
      engine.placeMarket({ trader, asset, side, size, timestamp: tick(), ...extra }),
    cancel: (trader, orderId, a = asset) => engine.cancel({ trader, asset: a, orderId }),
    reduce: (trader, orderId, by, a = asset) => engine.reduce({ trader, asset: a, orderId, by }),
    modify: (trader, orderId, change, extra = {}) =>
      engine.modify({ trader, asset, orderId, ...change, timestamp: tick(), ...extra }),
    queue: () => engine.orders(asset).map((o) => o.orderId),
  };
}

/** Everything observable about an engine's state, for "nothing changed" assertions. */
export function observe(engine: Engine, assets: readonly number[] = [1]) {
  return {
    hash: engine.stateHash(),
    nextOrderId: engine.nextOrderId,
    restingOrders: engine.restingOrders,
    books: assets.map((a) => engine.orders(a)),
  };
}
