// The stop workloads. Both open with one trade at MID, so the asset has a last trade price from
// the first command (nodejs-order-book refuses a sell stop before its first trade, where lobcore
// would let it wait).
//
// - stops: the steady mix with one command in ten a stop a few ticks beyond the last trade
//   price, both sides; one market order in twenty a sweep through several levels. Stops then
//   trigger in cascades: a trade crosses a stop, the stop enters as a market order, its trades
//   cross the next one. Quotes sit behind the touch of the last trade price on even prices and
//   stop-limits are priced at their stop price, on odd ones (stopLimitPrice), so bids stay at or
//   below the last trade price and asks at or above it: buys only raise the price and sells
//   only lower it, where nodejs-order-book's trigger rules agree with lobcore's
//   (docs/stops-vs-nodejs-order-book.md), and it ends a pass with the reference book.
// - steady-stops: the steady workload's own commands (same shape, same seed: the same stream up
//   to the first trigger) over the same book plus a population of pending stops parked far from
//   the touch, so few trigger. Its ratio over steady in the same run is what pending stops cost
//   the common path.
import { SideCode } from '../commands.js';
import { Prng } from '../../src/prng.js';
import { FlowBuilder } from './flow-builder.js';
import { buildBook, nextCommand } from './mixed-flow.js';
import type { MixedFlowShape } from './mixed-flow.js';
import { passivePrice, randomSide, randomTrader } from './quotes.js';
import { lots, MID, STEADY_SHAPE } from './synthetic.js';
import type { SteadyScale } from './synthetic.js';
import type { Workload } from './workload.js';

export interface StopsScale { resting: number; commands: number }
export interface SteadyStopsScale { pending: number }

const STOP_SHARE = 0.1;
/** Of the stops, stop-limits (priced at their stop price); the rest are stop-markets. */
const STOP_LIMIT_SHARE = 0.3;
/** Mean ticks between the last trade price and a new stop of the stops workload, beyond the first. */
const STOP_MEAN_DISTANCE = 3;
const SWEEP_SHARE = 0.05;
const SWEEP_LOTS = { min: 1_000, max: 4_000 };
/** steady-stops parks its stops this many ticks from MID and beyond (uniform over PARK_SPREAD more). */
const PARK_DISTANCE = 20;
const PARK_SPREAD = 980;

/** One lot traded at MID between two traders: the asset's first trade, leaving the book empty. */
function openingTrade(flow: FlowBuilder): void {
  flow.limit(1, 1, SideCode.ASK, MID, 1);
  flow.limit(2, 1, SideCode.BID, MID, 1);
}

export function stopsWorkload(scale: StopsScale, seed: number): Workload {
  const prng = new Prng(seed);
  const meanBehind = 2;
  const shape: MixedFlowShape = {
    assets: 1, limitShare: 0.5, cancelShare: 0.4, limitSize: lots,
    // Behind the touch, and on the right side of the last trade price when a side is empty;
    // on an even price, moved away from the touch (see stopLimitPrice).
    limitPrice: (flow, p, asset, side) => {
      const price = passivePrice(flow, asset, side, flow.mirror.lastPrice(asset) ?? MID, p.geometric(1 / (1 + meanBehind)));
      return side === SideCode.BID ? price - (price % 2) : price + (price % 2);
    },
    marketSize: (p) => (p.chance(SWEEP_SHARE) ? p.between(SWEEP_LOTS.min, SWEEP_LOTS.max) : lots(p)),
  };
  const flow = new FlowBuilder();
  openingTrade(flow);
  buildBook(flow, prng, shape, scale.resting);
  flow.endPrelude();
  while (flow.written < scale.commands) {
    if (prng.chance(STOP_SHARE)) placeNearStop(flow, prng);
    else nextCommand(flow, prng, shape, scale.resting);
  }
  return flow.finish('stops',
    `one book near ${scale.resting.toLocaleString('en-US')} resting orders; the steady mix with 10% stops a few ticks beyond the last trade `
    + `(30% stop-limits), one market order in 20 a sweep of ${SWEEP_LOTS.min.toLocaleString('en-US')}-${SWEEP_LOTS.max.toLocaleString('en-US')} lots`,
    1, 'rewind');
}

/** A stop 1 + geometric ticks beyond the last trade price: a buy above it, a sell below, so it waits. */
function placeNearStop(flow: FlowBuilder, prng: Prng): void {
  const last = flow.mirror.lastPrice(1)!;
  const side = randomSide(prng);
  const distance = 1 + prng.geometric(1 / (1 + STOP_MEAN_DISTANCE));
  const stopPrice = side === SideCode.BID ? last + distance : last - distance;
  const trader = randomTrader(prng);
  const size = lots(prng);
  if (prng.chance(STOP_LIMIT_SHARE)) {
    const limit = stopLimitPrice(side, stopPrice);
    flow.stop(trader, 1, side, size, limit, limit);
  } else {
    flow.stop(trader, 1, side, size, stopPrice, 0);
  }
}

/**
 * A stop-limit's stop and limit price, at or beyond `from`: 1 mod 4 for a buy, 3 mod 4 for a
 * sell, where quotes sit on even prices. Asks stay at or above the last trade price and bids at
 * or below, so a triggered stop-limit never meets a maker at its price and rests: the order in
 * which an engine enters the stops one command triggers then cannot change the book (where
 * nodejs-order-book and lobcore differ: docs/stops-vs-nodejs-order-book.md, difference 4).
 */
function stopLimitPrice(side: number, from: number): number {
  const bid = side === SideCode.BID;
  let price = from;
  while (price % 4 !== (bid ? 1 : 3)) price += bid ? 1 : -1;
  return price;
}

export function steadyStopsWorkload(scale: SteadyScale & SteadyStopsScale, seed: number): Workload {
  // The steady workload's generator, draw for draw: its own seed, its shape; the parked stops
  // draw from a second generator so they change none of the steady draws.
  const prng = new Prng(seed);
  const parking = new Prng(seed ^ 0x5109);
  const flow = new FlowBuilder();
  openingTrade(flow);
  buildBook(flow, prng, STEADY_SHAPE, scale.resting);
  for (let i = 0; i < scale.pending; i++) {
    const side = i % 2 === 0 ? SideCode.BID : SideCode.ASK;
    const distance = PARK_DISTANCE + parking.below(PARK_SPREAD);
    const stopPrice = side === SideCode.BID ? MID + distance : MID - distance;
    flow.stop(randomTrader(parking), 1, side, lots(parking), stopPrice, parking.chance(STOP_LIMIT_SHARE) ? stopPrice : 0);
  }
  flow.endPrelude();
  while (flow.written < scale.commands) nextCommand(flow, prng, STEADY_SHAPE, scale.resting);
  return flow.finish('steady-stops',
    `the steady workload's flow over its book plus ${scale.pending.toLocaleString('en-US')} pending stops parked ${PARK_DISTANCE}-${PARK_DISTANCE + PARK_SPREAD} ticks from the opening price`,
    1, 'rewind');
}
