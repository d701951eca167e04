// Fill history: every fill with its height and global fill sequence, by order (as maker or taker)
// and by trader (with a height range), read from the event blocks the commits wrote, through the
// blocks an order or trader touched (history.ts): never by reading every fill.
import { EventCode, SIDES } from '../codes.js';
import { EVENT_SLOTS, EventHead, EventSlot } from '../events.js';
import type { Fill, Side } from '../types.js';
import { invalidArgument } from '../errors.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger, orDefault, refuseUnknownOptions } from '../validate.js';
import { eventsOfOrder, fillsOfTrader } from './block-lookup.js';
import type { History, ReadBlock } from './history.js';

/** A fill as the state machine reports it: the engine's fill plus where it sits in history. */
export interface RecordedFill extends Fill {
  height: number;
  fillSeq: number;
}

export interface FillPage {
  /** fillSeq cursor: only fills after it. */
  after?: number;
  limit?: number;
}

export interface TraderFillQuery extends FillPage {
  fromHeight?: number;
  toHeight?: number;
  /** Newest first instead of oldest first: `after` then keeps a page to fills older than the one it names. */
  newestFirst?: boolean;
}

export const DEFAULT_PAGE_LIMIT = 1000;

export function normalizePage(page: FillPage | undefined): { after: number; limit: number } {
  const after = orDefault(page?.after, 0);
  const limit = orDefault(page?.limit, DEFAULT_PAGE_LIMIT);
  if (!isNonNegativeSafeInteger(after)) throw invalidArgument('after', 'a non-negative safe integer (a sequence cursor)', after);
  if (!isPositiveSafeInteger(limit)) throw invalidArgument('limit', 'a positive safe integer', limit);
  return { after, limit };
}

export function normalizeHeights(query: { fromHeight?: number; toHeight?: number } | undefined): { fromHeight: number; toHeight: number } {
  const fromHeight = orDefault(query?.fromHeight, 0);
  const toHeight = orDefault(query?.toHeight, Number.MAX_SAFE_INTEGER);
  if (!isNonNegativeSafeInteger(fromHeight)) throw invalidArgument('fromHeight', 'a non-negative safe integer', fromHeight);
  if (!isNonNegativeSafeInteger(toHeight)) throw invalidArgument('toHeight', 'a non-negative safe integer', toHeight);
  return { fromHeight, toHeight };
}

export function requireId(field: string, value: unknown): void {
  if (!isNonNegativeSafeInteger(value)) throw invalidArgument(field, 'a non-negative safe integer', value);
}

/** Order ids start at 1. */
export function requireOrderId(orderId: unknown): void {
  if (!Number.isSafeInteger(orderId) || (orderId as number) < 1) throw invalidArgument('orderId', 'a positive safe integer', orderId);
}

/**
 * A query's options object, when one is given, with none but the `known` keys: a misspelt key
 * (`{ open: 'yes' }` for `{ status: 'open' }`) would otherwise answer a wider question without a word.
 * A query is read once a call, so walking its keys costs nothing that matters (unlike the per-call
 * order requests).
 */
export function requireQuery(query: unknown, known: readonly string[], of: string): void {
  refuseUnknownOptions('query', query, known, of);
}

// Typed by the query's keys, so a key renamed in the interface fails the build here.
const FILL_PAGE_KEYS: readonly (keyof FillPage)[] = ['after', 'limit'];
const TRADER_FILL_QUERY_KEYS: readonly (keyof TraderFillQuery)[] = ['fromHeight', 'toHeight', 'newestFirst', 'after', 'limit'];

/** The fill at event k of a block. */
export function fillAt(block: ReadBlock, k: number): RecordedFill {
  const e = block.events;
  const o = k * EVENT_SLOTS;
  return {
    asset: e[o + EventSlot.ASSET],
    makerOrderId: e[o + EventSlot.ORDER_ID],
    takerOrderId: e[o + EventSlot.OTHER],
    makerTrader: e[o + EventSlot.TRADER],
    takerTrader: e[o + EventSlot.OTHER2],
    // The event's side is the maker's.
    takerSide: SIDES[((e[o] >> EventHead.SIDE_SHIFT) & 1) ^ 1] as Side,
    price: e[o + EventSlot.PRICE],
    size: e[o + EventSlot.SIZE],
    timestamp: block.timestamps[k],
    height: block.heights[k],
    fillSeq: block.fillSeqs[k],
  };
}

function isFill(block: ReadBlock, k: number): boolean {
  return (block.events[k * EVENT_SLOTS] & EventHead.KIND_MASK) === EventCode.FILL;
}

export class FillHistory {
  constructor(private readonly history: History) {}

  /** Fills of an order as maker or taker, oldest first, after the fillSeq cursor `after`. */
  async orderFills(orderId: number, page: FillPage = {}): Promise<RecordedFill[]> {
    requireOrderId(orderId);
    requireQuery(page, FILL_PAGE_KEYS, 'getOrderFills');
    const { after, limit } = normalizePage(page);
    const out: RecordedFill[] = [];
    for (const block of await this.history.blocksOfOrder(orderId)) {
      for (const k of eventsOfOrder(block, orderId)) {
        if (out.length >= limit) return out;
        if (isFill(block, k) && block.fillSeqs[k] > after) out.push(fillAt(block, k));
      }
    }
    return out;
  }

  async fillCount(orderId: number): Promise<number> {
    requireOrderId(orderId);
    let count = 0;
    for (const block of await this.history.blocksOfOrder(orderId)) {
      for (const k of eventsOfOrder(block, orderId)) if (isFill(block, k)) count++;
    }
    return count;
  }

  /**
   * Fills of a trader (maker or taker) in a height range, oldest first after the fillSeq cursor
   * `after` or, with `newestFirst`, newest first before it.
   */
  async traderFills(trader: number, query: TraderFillQuery = {}): Promise<RecordedFill[]> {
    requireId('trader', trader);
    requireQuery(query, TRADER_FILL_QUERY_KEYS, 'getTraderFills');
    const newestFirst = orDefault(query.newestFirst, false);
    if (typeof newestFirst !== 'boolean') throw invalidArgument('newestFirst', 'a boolean', newestFirst);
    const { after, limit } = normalizePage(query);
    const { fromHeight, toHeight } = normalizeHeights(query);
    const out: RecordedFill[] = [];
    if (fromHeight > toHeight) return out;
    // A cursor bounds the blocks to read by the block of the fill it names.
    const cursorBlock = after > 0 ? await this.history.blockOfFill(after) : undefined;
    if (newestFirst) {
      for await (const block of this.history.traderBlocks(trader, fromHeight, toHeight, { newestFirst, last: cursorBlock })) {
        const fills = fillsOfTrader(block, trader);
        for (let i = fills.length - 1; i >= 0; i--) {
          const k = fills[i];
          if (after > 0 && block.fillSeqs[k] >= after) continue;
          const height = block.heights[k];
          if (height > toHeight) continue;
          if (height < fromHeight) return out;
          out.push(fillAt(block, k));
          if (out.length >= limit) return out;
        }
      }
      return out;
    }
    const start = Math.max(fromHeight, cursorBlock?.startHeight ?? fromHeight);
    for await (const block of this.history.traderBlocks(trader, start, toHeight)) {
      for (const k of fillsOfTrader(block, trader)) {
        if (block.fillSeqs[k] <= after) continue;
        const height = block.heights[k];
        if (height < fromHeight) continue;
        if (height > toHeight || out.length >= limit) return out;
        out.push(fillAt(block, k));
      }
      if (out.length >= limit) return out;
    }
    return out;
  }
}
