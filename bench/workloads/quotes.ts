// Price choices shared by the synthetic generators.
import { SideCode } from '../commands.js';
import type { FlowBuilder } from './flow-builder.js';
import type { Prng } from '../../src/prng.js';

/**
 * A passive price `offset` ticks behind the touch of `side` (the reference price when that
 * side is empty), never crossing the opposite best: the order rests, so it is always accepted.
 */
export function passivePrice(flow: FlowBuilder, asset: number, side: number, reference: number, offset: number): number {
  const bid = side === SideCode.BID;
  const own = flow.mirror.bestPrice(asset, bid ? 'bid' : 'ask');
  const opposite = flow.mirror.bestPrice(asset, bid ? 'ask' : 'bid');
  let price = own === undefined ? (bid ? reference - 1 : reference + 1) : bid ? own - offset : own + offset;
  if (opposite !== undefined) price = bid ? Math.min(price, opposite - 1) : Math.max(price, opposite + 1);
  return Math.max(1, price);
}

export function randomSide(prng: Prng): number {
  return prng.chance(0.5) ? SideCode.BID : SideCode.ASK;
}

export function oppositeSide(side: number): number {
  return side === SideCode.BID ? SideCode.ASK : SideCode.BID;
}

/** Traders 1..1000: enough that self-trades are rare, and STP is off (allow) everywhere anyway. */
export function randomTrader(prng: Prng): number {
  return 1 + prng.below(1000);
}
