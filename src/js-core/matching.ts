// The taker's walk through the opposite side, and the fill-or-kill dry run over the same path.
//
// Written for the hot path: every array the loop touches is hoisted into a local, makers are
// always consumed from the head of a level's queue (so the queue is relinked once per level,
// not once per maker), and fills go straight into a reused Float64Array (batch.ts layout).
import { FILL_SLOTS } from '../batch.js';
import { StpCode } from '../codes.js';
import type { BookState } from './book-state.js';
import { levelKey } from './books.js';
import { NIL } from './order-pool.js';

/** Bound for a taker without a limit: every level qualifies. */
export const NO_BOUND = -Infinity;

/**
 * The key bound a taker on `side` with limit price `limit` may trade down to: an opposite level
 * qualifies when its key (books.ts) is >= the bound.
 */
export function takerBound(side: number, limit: number): number {
  return levelKey(side ^ 1, limit);
}

export class Matcher {
  /** FILL_SLOTS per fill since the last reset. */
  fills: Float64Array = new Float64Array(FILL_SLOTS * 256);
  fillCount = 0;
  /** Whether the last take() was stopped by self-trade prevention. */
  selfTradeStop = false;

  /**
   * Matches a taker against the opposite side of `book` while levels are within `bound`;
   * returns the size left unfilled. Writes fills tagged with the command index.
   */
  take(state: BookState, command: number, takerId: number, trader: number, asset: number,
       book: number, side: number, bound: number, size: number, stp: number): number {
    const orders = state.orders;
    const remaining = orders.remaining;
    const makerTrader = orders.trader;
    const makerId = orders.id;
    const next = orders.next;
    const levels = state.levels;
    const levelPrice = levels.price;
    const levelSize = levels.size;
    const levelHead = levels.head;
    const levelCount = levels.orderCount;
    const books = state.books;
    const queue = book * 2 + (side ^ 1);
    const keys = books.keys[queue];
    const queueLevels = books.levels[queue];
    const index = state.index;
    const tag = command * 2 + side;
    const screenSelf = stp !== StpCode.ALLOW;

    let fills = this.fills;
    let f = this.fillCount * FILL_SLOTS;
    let left = size;
    let stopped = false;

    while (left > 0) {
      const depth = books.depth[queue];
      if (depth === 0 || keys[depth - 1] < bound) break;
      const level = queueLevels[depth - 1];
      const price = levelPrice[level];
      let count = levelCount[level];
      let maker = levelHead[level];
      while (maker !== NIL) {
        if (screenSelf && makerTrader[maker] === trader) {
          if (stp === StpCode.CANCEL_TAKER) {
            stopped = true;
            break;
          }
          const after = next[maker];
          levelSize[level] -= remaining[maker];
          index.delete(makerId[maker]);
          orders.free(maker);
          count--;
          maker = after;
          if (stp === StpCode.CANCEL_BOTH) {
            stopped = true;
            break;
          }
          continue;
        }
        const makerLeft = remaining[maker];
        const quantity = left < makerLeft ? left : makerLeft;
        if (f + FILL_SLOTS > fills.length) fills = this.growFills();
        fills[f] = tag;
        fills[f + 1] = asset;
        fills[f + 2] = makerId[maker];
        fills[f + 3] = takerId;
        fills[f + 4] = makerTrader[maker];
        fills[f + 5] = trader;
        fills[f + 6] = price;
        fills[f + 7] = quantity;
        f += FILL_SLOTS;
        left -= quantity;
        levelSize[level] -= quantity;
        if (quantity < makerLeft) {
          remaining[maker] = makerLeft - quantity;
          break;
        }
        const after = next[maker];
        index.delete(makerId[maker]);
        orders.free(maker);
        count--;
        maker = after;
        if (left === 0) break;
      }
      levelCount[level] = count;
      if (count === 0) {
        books.popBest(queue);
        levels.free(level);
      } else {
        levelHead[level] = maker;
        orders.prev[maker] = NIL;
      }
      if (stopped) break;
    }

    this.fillCount = f / FILL_SLOTS;
    this.selfTradeStop = stopped;
    return left;
  }

  /**
   * What a taker could fill within `bound` without changing anything (fill-or-kill): a
   * same-trader maker adds nothing, and under cancel_taker or cancel_both ends the run.
   * Stops counting once `size` is reached.
   */
  fillable(state: BookState, book: number, side: number, bound: number, size: number,
           trader: number, stp: number): number {
    const books = state.books;
    const queue = book * 2 + (side ^ 1);
    const keys = books.keys[queue];
    const queueLevels = books.levels[queue];
    const levels = state.levels;
    const orders = state.orders;
    let sum = 0;
    for (let d = books.depth[queue] - 1; d >= 0 && keys[d] >= bound && sum < size; d--) {
      const level = queueLevels[d];
      if (stp === StpCode.ALLOW) {
        sum += levels.size[level];
        continue;
      }
      for (let o = levels.head[level]; o !== NIL && sum < size; o = orders.next[o]) {
        if (orders.trader[o] !== trader) sum += orders.remaining[o];
        else if (stp !== StpCode.CANCEL_MAKER) return sum;
      }
    }
    return sum;
  }

  private growFills(): Float64Array {
    const grown = new Float64Array(this.fills.length * 2);
    grown.set(this.fills);
    this.fills = grown;
    return grown;
  }
}
