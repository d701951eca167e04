// The seeded synthetic workloads. Sizes come from a scale preset (see options.ts).
import { SideCode } from '../commands.js';
import { Prng } from '../../src/prng.js';
import { FlowBuilder } from './flow-builder.js';
import { buildBook, nextCommand } from './mixed-flow.js';
import type { MixedFlowShape } from './mixed-flow.js';
import { passivePrice, randomTrader } from './quotes.js';
import type { Workload } from './workload.js';

export const MID = 1_000_000;

/** Quotes a geometric number of ticks behind the touch: most at or next to it, a thin tail. */
export function nearTouch(meanTicksBehind: number): MixedFlowShape['limitPrice'] {
  const p = 1 / (1 + meanTicksBehind);
  return (flow, prng, asset, side) => passivePrice(flow, asset, side, MID, prng.geometric(p));
}

export const lots = (prng: Prng): number => prng.between(1, 100);

export interface SteadyScale { resting: number; commands: number }

/** The steady flow: 50% limits near the touch, 40% cancels, 10% marketable. */
export const STEADY_SHAPE: MixedFlowShape = {
  assets: 1, limitShare: 0.5, cancelShare: 0.4, limitPrice: nearTouch(8), limitSize: lots, marketSize: lots,
};

/** A book held near `resting` orders: 50% limits near the touch, 40% cancels, 10% marketable. */
export function steadyWorkload(scale: SteadyScale, seed: number): Workload {
  return mixedWorkload('steady', `one book held near ${scale.resting.toLocaleString('en-US')} resting orders; 50% limits near the touch, 40% cancels, 10% market orders`,
    new Prng(seed), STEADY_SHAPE, scale.resting, scale.commands);
}

/** Prices spread over a million ticks: one order per ~100 ticks, so nearly every order is its own level. */
export function wideWorkload(scale: SteadyScale, seed: number): Workload {
  const prng = new Prng(seed);
  const halfRange = 500_000;
  const shape: MixedFlowShape = {
    assets: 1, limitShare: 0.5, cancelShare: 0.4, limitSize: lots, marketSize: lots,
    limitPrice: (flow, prng, asset, side) => {
      const price = side === SideCode.BID ? MID - 1 - prng.below(halfRange) : MID + 1 + prng.below(halfRange);
      // Never cross: a side eaten into by market orders may leave the touch inside the range.
      const opposite = flow.mirror.bestPrice(asset, side === SideCode.BID ? 'ask' : 'bid');
      if (opposite === undefined) return price;
      return side === SideCode.BID ? Math.min(price, opposite - 1) : Math.max(price, opposite + 1);
    },
  };
  return mixedWorkload('wide', `one book near ${scale.resting.toLocaleString('en-US')} resting orders, prices uniform over 1,000,000 ticks (sparse levels); 50/40/10 mix`,
    prng, shape, scale.resting, scale.commands);
}

export interface ManyAssetsScale { assets: number; ordersPerAsset: number; commands: number }

export function manyAssetsWorkload(scale: ManyAssetsScale, seed: number): Workload {
  const prng = new Prng(seed);
  const shape: MixedFlowShape = {
    assets: scale.assets, limitShare: 0.5, cancelShare: 0.4, limitPrice: nearTouch(2), limitSize: lots, marketSize: lots,
  };
  const resting = scale.assets * scale.ordersPerAsset;
  return mixedWorkload('many-assets', `${scale.assets.toLocaleString('en-US')} assets, ~${scale.ordersPerAsset} resting orders each; 50/40/10 mix on a random asset`,
    prng, shape, resting, scale.commands);
}

function mixedWorkload(name: Workload['name'], description: string, prng: Prng, shape: MixedFlowShape, resting: number, commands: number): Workload {
  const flow = new FlowBuilder();
  buildBook(flow, prng, shape, resting);
  flow.endPrelude();
  while (flow.written < commands) nextCommand(flow, prng, shape, resting);
  return flow.finish(name, description, shape.assets, 'rewind');
}

export interface GrowingScale { resting: number }

/** 60% limits, 30% cancels, 10% marketable, from an empty book until `resting` orders rest. */
export function growingWorkload(scale: GrowingScale, seed: number): Workload {
  const prng = new Prng(seed);
  const shape: MixedFlowShape = {
    assets: 1, limitShare: 0.6, cancelShare: 0.3, limitPrice: nearTouch(200), limitSize: lots,
    marketSize: (p) => p.between(1, 50),
  };
  const flow = new FlowBuilder();
  flow.endPrelude();
  while (flow.restingOrders < scale.resting) nextCommand(flow, prng, shape);
  return flow.finish('growing', `from an empty book to ${scale.resting.toLocaleString('en-US')} resting orders; 60% limits, 30% cancels, 10% market orders`, 1, 'stop');
}

export interface SweepScale { levels: number; ordersPerLevel: number; commands: number }

/**
 * Market orders that each take 10% to 60% of the levels of one side, each followed by limits
 * that refill exactly the levels it emptied, so the book returns to the same shape.
 */
export function sweepWorkload(scale: SweepScale, seed: number): Workload {
  const prng = new Prng(seed);
  const flow = new FlowBuilder();
  const refill = (side: number): void => {
    const sideName = side === SideCode.BID ? 'bid' : 'ask';
    for (let level = 1; level <= scale.levels; level++) {
      const price = side === SideCode.BID ? MID - level : MID + level;
      for (let n = flow.mirror.ordersAt(1, sideName, price); n < scale.ordersPerLevel; n++) {
        flow.limit(randomTrader(prng), 1, side, price, lots(prng));
      }
    }
  };
  refill(SideCode.BID);
  refill(SideCode.ASK);
  flow.endPrelude();
  while (flow.written < scale.commands) {
    const takerSide = prng.chance(0.5) ? SideCode.BID : SideCode.ASK;
    const levels = Math.max(1, Math.round(scale.levels * (0.1 + 0.5 * prng.next())));
    flow.market(randomTrader(prng), 1, takerSide, levels * scale.ordersPerLevel * 50);
    refill(takerSide === SideCode.BID ? SideCode.ASK : SideCode.BID);
  }
  return flow.finish('sweep', `${scale.levels} levels x ${scale.ordersPerLevel} orders a side; market orders sweep 10-60% of a side, then limits refill it`, 1, 'rewind');
}
