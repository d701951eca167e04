// The demo's seeded order flow: a few assets, each a random-walking mid price with traders
// quoting around it, taking liquidity (with sizes or budgets), placing stops and OCO pairs around
// it, and cancelling, reducing and modifying their own orders.
//
// The flow is a function of the seed and of the engine's answers (the ids of orders that rest),
// so two engines fed by two flows with the same seed see the same commands exactly as long as
// they give the same answers: which is what the demo sets out to prove.
import { Prng } from '../prng.js';
import type {
  CancelRequest, CancelResult, LimitOrderRequest, MarketOrderRequest, ModifyRequest, OcoOrderRequest, OrderResult,
  ReduceRequest, SelfTradePrevention, Side, StopOrderRequest, TimeInForce,
} from '../types.js';

/** The per-call order API the flow drives: CoreStateMachine's, in memory or on disk. */
export interface OrderEntry {
  placeLimitOrder(req: LimitOrderRequest): OrderResult;
  placeMarketOrder(req: MarketOrderRequest): OrderResult;
  placeStopOrder(req: StopOrderRequest): OrderResult;
  placeOcoOrder(req: OcoOrderRequest): OrderResult;
  cancelOrder(req: CancelRequest): CancelResult;
  reduceOrder(req: ReduceRequest): CancelResult;
  modifyOrder(req: ModifyRequest): OrderResult;
}

export interface DemoFlowOptions {
  seed: number;
  assets: number;
  ordersPerBlock: number;
}

export interface BlockTally {
  commands: number;
  fills: number;
}

/** Traders are 0 .. TRADERS - 1. */
export const TRADERS = 200;
const FIRST_MID = 10_000;
const MAX_QUOTE_DISTANCE = 25;
const MAX_CROSS = 8;
const MAX_SIZE = 100;
/** Timestamps are block * this + command index: deterministic, and increasing. */
const TIMESTAMPS_PER_BLOCK = 1_000_000;

const STP_MODES: readonly SelfTradePrevention[] = ['cancel_taker', 'cancel_maker', 'cancel_both'];

export class DemoOrderFlow {
  private readonly random: Prng;
  private readonly options: DemoFlowOptions;
  private readonly mids: number[];
  // Orders this flow saw rest, as parallel columns; entries go stale when an order trades away,
  // and the engine's UNKNOWN_ORDER answer retires them.
  private readonly liveIds: number[] = [];
  private readonly liveTraders: number[] = [];
  private readonly liveAssets: number[] = [];

  constructor(options: DemoFlowOptions) {
    this.options = options;
    this.random = new Prng(options.seed);
    this.mids = Array.from({ length: options.assets }, (_, asset) => FIRST_MID + 500 * asset);
  }

  /** Sends one block of commands (the caller sets the height first) and counts what happened. */
  runBlock(height: number, market: OrderEntry): BlockTally {
    const random = this.random;
    for (let asset = 0; asset < this.mids.length; asset++) {
      this.mids[asset] = Math.max(MAX_QUOTE_DISTANCE + MAX_CROSS + 1, this.mids[asset] + random.between(-2, 2));
    }
    let fills = 0;
    const timestampBase = height * TIMESTAMPS_PER_BLOCK;
    for (let i = 0; i < this.options.ordersPerBlock; i++) {
      const timestamp = timestampBase + i;
      const roll = random.below(100);
      if (roll < 18 && this.liveIds.length > 0) this.cancel(market);
      else if (roll < 24 && this.liveIds.length > 0) this.reduce(market);
      else if (roll < 30 && this.liveIds.length > 0) fills += this.modify(market, timestamp);
      else if (roll < 42) fills += this.take(market, timestamp);
      else if (roll < 46) fills += this.market(market, timestamp);
      else if (roll < 50) fills += this.stop(market, timestamp);
      else if (roll < 52) fills += this.oco(market, timestamp);
      else fills += this.quote(market, timestamp);
    }
    return { commands: this.options.ordersPerBlock, fills };
  }

  /** A passive limit order a few ticks from the mid. */
  private quote(market: OrderEntry, timestamp: number): number {
    const random = this.random;
    const asset = random.below(this.mids.length);
    const side: Side = random.chance(0.5) ? 'bid' : 'ask';
    const distance = random.between(1, MAX_QUOTE_DISTANCE);
    const price = side === 'bid' ? this.mids[asset] - distance : this.mids[asset] + distance;
    const timeInForce: TimeInForce = random.chance(0.05) ? 'POST_ONLY' : 'GTC';
    const trader = random.below(TRADERS);
    const result = market.placeLimitOrder({
      trader, asset, side, price, size: random.between(1, MAX_SIZE), timestamp, timeInForce,
    });
    this.remember(result, trader, asset);
    return result.fills.length;
  }

  /** A limit order priced through the mid: it trades, then rests, is cancelled (IOC) or is all-or-nothing (FOK). */
  private take(market: OrderEntry, timestamp: number): number {
    const random = this.random;
    const asset = random.below(this.mids.length);
    const side: Side = random.chance(0.5) ? 'bid' : 'ask';
    const cross = random.between(0, MAX_CROSS);
    const price = side === 'bid' ? this.mids[asset] + cross : this.mids[asset] - cross;
    const tifRoll = random.below(10);
    const timeInForce: TimeInForce = tifRoll < 5 ? 'IOC' : tifRoll < 7 ? 'FOK' : 'GTC';
    const trader = random.below(TRADERS);
    const result = market.placeLimitOrder({
      trader, asset, side, price, size: random.between(1, 2 * MAX_SIZE), timestamp, timeInForce, stp: this.stp(),
    });
    this.remember(result, trader, asset);
    return result.fills.length;
  }

  private market(market: OrderEntry, timestamp: number): number {
    const random = this.random;
    const asset = random.below(this.mids.length);
    const side: Side = random.chance(0.5) ? 'bid' : 'ask';
    const size = random.between(1, 3 * MAX_SIZE);
    // One in four sized by a budget: about what that many lots cost at the mid.
    const request: MarketOrderRequest = random.chance(0.25)
      ? { trader: random.below(TRADERS), asset, side, budget: size * this.mids[asset], timestamp, stp: this.stp() }
      : { trader: random.below(TRADERS), asset, side, size, timestamp, stp: this.stp() };
    if (random.chance(0.5)) {
      const slack = random.between(1, MAX_QUOTE_DISTANCE);
      request.protectionPrice = side === 'bid' ? this.mids[asset] + slack : this.mids[asset] - slack;
    }
    return market.placeMarketOrder(request).fills.length;
  }

  /**
   * A stop beyond the mid (a buy stop above it, a sell stop below): a stop-market or a
   * stop-limit a tick or two past its stop price. It may wait, trigger later, or be refused at
   * once (WOULD_TRIGGER) when the last trade is already past it.
   */
  private stop(market: OrderEntry, timestamp: number): number {
    const random = this.random;
    const asset = random.below(this.mids.length);
    const side: Side = random.chance(0.5) ? 'bid' : 'ask';
    const away = random.between(1, MAX_QUOTE_DISTANCE);
    const stopPrice = side === 'bid' ? this.mids[asset] + away : this.mids[asset] - away;
    const trader = random.below(TRADERS);
    const stopMarket = { trader, asset, side, size: random.between(1, MAX_SIZE), stopPrice, timestamp, stp: this.stp() };
    const request: StopOrderRequest = random.chance(0.5)
      ? { ...stopMarket, price: side === 'bid' ? stopPrice + random.between(0, 2) : stopPrice - random.between(0, 2) }
      : stopMarket;
    const result = market.placeStopOrder(request);
    this.remember(result, trader, asset);
    return result.fills.length;
  }

  /** An OCO pair: a limit leg quoting away from the mid, a stop leg beyond the mid on the other side. */
  private oco(market: OrderEntry, timestamp: number): number {
    const random = this.random;
    const asset = random.below(this.mids.length);
    const side: Side = random.chance(0.5) ? 'bid' : 'ask';
    const mid = this.mids[asset];
    const price = side === 'bid' ? mid - random.between(1, MAX_QUOTE_DISTANCE) : mid + random.between(1, MAX_QUOTE_DISTANCE);
    const stopPrice = side === 'bid' ? mid + random.between(1, MAX_QUOTE_DISTANCE) : mid - random.between(1, MAX_QUOTE_DISTANCE);
    const trader = random.below(TRADERS);
    const request: OcoOrderRequest = { trader, asset, side, size: random.between(1, MAX_SIZE), price, stopPrice, timestamp };
    if (random.chance(0.5)) request.stopLimitPrice = side === 'bid' ? stopPrice + 1 : stopPrice - 1;
    const result = market.placeOcoOrder(request);
    this.remember(result, trader, asset);
    if (result.stopStatus === 'pending') this.remember({ ...result, orderId: result.orderId + 1, status: 'pending' }, trader, asset);
    return result.fills.length;
  }

  private cancel(market: OrderEntry): void {
    const slot = this.random.below(this.liveIds.length);
    market.cancelOrder({ trader: this.liveTraders[slot], asset: this.liveAssets[slot], orderId: this.liveIds[slot] });
    this.forget(slot);
  }

  private reduce(market: OrderEntry): void {
    const slot = this.random.below(this.liveIds.length);
    const result = market.reduceOrder({
      trader: this.liveTraders[slot], asset: this.liveAssets[slot], orderId: this.liveIds[slot],
      by: this.random.between(1, MAX_SIZE / 2),
    });
    if (!result.ok || result.remaining === 0) this.forget(slot);
  }

  /** Re-prices an order near the mid, or resizes it: it may lose its place, and may trade. */
  private modify(market: OrderEntry, timestamp: number): number {
    const random = this.random;
    const slot = random.below(this.liveIds.length);
    const asset = this.liveAssets[slot];
    const order = { trader: this.liveTraders[slot], asset, orderId: this.liveIds[slot], timestamp };
    const request: ModifyRequest = random.chance(0.7)
      ? { ...order, price: this.mids[asset] + random.between(-MAX_QUOTE_DISTANCE, MAX_QUOTE_DISTANCE) }
      : { ...order, size: random.between(1, MAX_SIZE) };
    const result = market.modifyOrder(request);
    // A pending stop cannot be modified (NOT_MODIFIABLE): it is forgotten like any order that stopped resting.
    if (result.status !== 'resting') this.forget(slot);
    return result.fills.length;
  }

  /** Self-trade prevention on a few takers, so every mode runs. */
  private stp(): SelfTradePrevention | undefined {
    return this.random.chance(0.1) ? STP_MODES[this.random.below(STP_MODES.length)] : undefined;
  }

  private remember(result: OrderResult, trader: number, asset: number): void {
    if (result.status !== 'resting' && result.status !== 'pending') return;
    this.liveIds.push(result.orderId);
    this.liveTraders.push(trader);
    this.liveAssets.push(asset);
  }

  /** Swap-remove: O(1), and the order of the pool only matters through the seeded picks. */
  private forget(slot: number): void {
    const last = this.liveIds.length - 1;
    this.liveIds[slot] = this.liveIds[last];
    this.liveTraders[slot] = this.liveTraders[last];
    this.liveAssets[slot] = this.liveAssets[last];
    this.liveIds.pop();
    this.liveTraders.pop();
    this.liveAssets.pop();
  }
}
