// The mixed order flow behind steady, wide, many-assets and growing: limits that rest,
// cancels of live orders, and marketable orders, in set proportions.
import { FlowBuilder } from './flow-builder.js';
import { oppositeSide, randomSide, randomTrader } from './quotes.js';
import type { Prng } from '../../src/prng.js';

export interface MixedFlowShape {
  assets: number;
  /** Shares of the timed stream; the rest are marketable (market) orders. */
  limitShare: number;
  cancelShare: number;
  /** Price of a new resting limit of `side` on `asset`. */
  limitPrice(flow: FlowBuilder, prng: Prng, asset: number, side: number): number;
  limitSize(prng: Prng): number;
  marketSize(prng: Prng): number;
}

/** Fills the book with resting limits until it holds `resting` orders (the untimed prelude). */
export function buildBook(flow: FlowBuilder, prng: Prng, shape: MixedFlowShape, resting: number): void {
  let asset = 0;
  while (flow.restingOrders < resting) {
    asset = (asset % shape.assets) + 1;
    const side = randomSide(prng);
    flow.limit(randomTrader(prng), asset, side, shape.limitPrice(flow, prng, asset, side), shape.limitSize(prng));
  }
}

/**
 * Writes one command of the flow. With `holdAt`, the mix leans gently towards the target:
 * a limit becomes a cancel above it, a cancel becomes a limit below it (a 2% band), so a
 * long stream keeps the book near its size without changing the overall proportions much.
 */
export function nextCommand(flow: FlowBuilder, prng: Prng, shape: MixedFlowShape, holdAt?: number): void {
  const draw = prng.next();
  let kind = draw < shape.limitShare ? 'limit' : draw < shape.limitShare + shape.cancelShare ? 'cancel' : 'market';
  if (holdAt !== undefined) {
    if (kind === 'limit' && flow.restingOrders > holdAt * 1.02) kind = 'cancel';
    else if (kind === 'cancel' && flow.restingOrders < holdAt * 0.98) kind = 'limit';
  }
  if (kind === 'cancel' && flow.restingOrders === 0) kind = 'limit';
  const asset = 1 + prng.below(shape.assets);
  switch (kind) {
    case 'limit': {
      const side = randomSide(prng);
      flow.limit(randomTrader(prng), asset, side, shape.limitPrice(flow, prng, asset, side), shape.limitSize(prng));
      break;
    }
    case 'cancel':
      flow.cancel(flow.randomLiveOrder(prng));
      break;
    default:
      flow.market(randomTrader(prng), asset, oppositeSide(randomSide(prng)), shape.marketSize(prng));
  }
}
