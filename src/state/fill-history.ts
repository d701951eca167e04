// Fill history: every fill with its height and a global fill sequence, queryable by order (as
// maker or taker) and by trader (with a height range), always through an index, never by
// reading every fill. Two implementations answer the same queries: one over RocksDB postings and
// fill blocks (persistent mode; layout in keys.ts and fill-codecs.ts, written by fill-writer.ts)
// and one over in-memory indexes (in-memory mode).
import { LobError, invalidArgument } from '../errors.js';
import { FILL_ROW_SLOTS, FillBlock, FillRow, blockStart, decodePosting } from './fill-codecs.js';
import { FillRows, fillFromRow } from './fill-rows.js';
import type { RecordedFill } from './fill-rows.js';
import { MAX_KEY_INTEGER, Prefix, describeKey, fillBlockKey, orderFillsKey, subRange, traderFillsKey } from './keys.js';
import type { KeyRange, Store } from './store.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../validate.js';

export type { RecordedFill } from './fill-rows.js';

export interface FillPage {
  /** fillSeq cursor: only fills after it. */
  after?: number;
  limit?: number;
}

export interface TraderFillQuery extends FillPage {
  fromHeight?: number;
  toHeight?: number;
}

export const DEFAULT_FILL_LIMIT = 1000;

export interface FillHistory {
  orderFills(orderId: number, page?: FillPage): Promise<RecordedFill[]>;
  fillCount(orderId: number): Promise<number>;
  traderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]>;
}

interface NormalizedPage {
  after: number;
  limit: number;
}

function normalizePage(page: FillPage | undefined): NormalizedPage {
  const after = page?.after ?? 0;
  const limit = page?.limit ?? DEFAULT_FILL_LIMIT;
  if (!isNonNegativeSafeInteger(after)) throw invalidArgument('after', 'a non-negative safe integer (a fillSeq)', after);
  if (!isPositiveSafeInteger(limit)) throw invalidArgument('limit', 'a positive safe integer', limit);
  return { after, limit };
}

function normalizeHeights(query: TraderFillQuery | undefined): { fromHeight: number; toHeight: number } {
  const fromHeight = query?.fromHeight ?? 0;
  const toHeight = query?.toHeight ?? MAX_KEY_INTEGER;
  if (!isNonNegativeSafeInteger(fromHeight)) throw invalidArgument('fromHeight', 'a non-negative safe integer', fromHeight);
  if (!isNonNegativeSafeInteger(toHeight)) throw invalidArgument('toHeight', 'a non-negative safe integer', toHeight);
  return { fromHeight, toHeight };
}

function requireId(field: string, value: unknown): void {
  if (!isNonNegativeSafeInteger(value)) throw invalidArgument(field, 'a non-negative safe integer', value);
}

/** Fill history over RocksDB postings and fill blocks. */
export class StoredFillHistory implements FillHistory {
  constructor(private readonly store: Store) {}

  async orderFills(orderId: number, page?: FillPage): Promise<RecordedFill[]> {
    requireId('orderId', orderId);
    const { after, limit } = normalizePage(page);
    const range = { gt: orderFillsKey(orderId, after), lt: subRange(Prefix.ORDER_FILLS, orderId).lt };
    return this.loadFills(await this.postedFills(range, Prefix.ORDER_FILLS, 2, after, limit));
  }

  async fillCount(orderId: number): Promise<number> {
    requireId('orderId', orderId);
    // Reads this order's postings only: proportional to its own fills.
    let count = 0;
    for (const [key, value] of await this.store.entries(subRange(Prefix.ORDER_FILLS, orderId))) {
      count += decodePosting(key, value, Prefix.ORDER_FILLS, 2).fillSeqs.length;
    }
    return count;
  }

  async traderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]> {
    requireId('trader', trader);
    const { after, limit } = normalizePage(query);
    const { fromHeight, toHeight } = normalizeHeights(query);
    if (fromHeight > toHeight) return [];
    // A cursor becomes a key once we know its fill's height: postings are keyed by their last
    // fillSeq, so every posting holding a fill after the cursor sorts after (height, after).
    let range: KeyRange = { gte: traderFillsKey(trader, fromHeight, 0) };
    if (after > 0) {
      const cursorHeight = await this.heightOf(after);
      if (cursorHeight !== undefined && cursorHeight >= fromHeight) range = { gt: traderFillsKey(trader, cursorHeight, after) };
    }
    range.lt = toHeight === MAX_KEY_INTEGER ? subRange(Prefix.TRADER_FILLS, trader).lt : subRange(Prefix.TRADER_FILLS, trader, toHeight).lt;
    return this.loadFills(await this.postedFills(range, Prefix.TRADER_FILLS, 3, after, limit));
  }

  /**
   * Up to `limit` fills after `after` from the postings in `range`, ascending. Postings of later
   * flushes list later fills, so key order is fillSeq order; each posting in a cursor range holds
   * at least one fill past the cursor, so the first page of `limit` postings almost always suffices.
   */
  private async postedFills(range: KeyRange, prefix: number, keyFields: number, after: number, limit: number): Promise<PostedFill[]> {
    const out: PostedFill[] = [];
    let next: KeyRange = range;
    for (;;) {
      const requested = limit - out.length;
      const page = await this.store.entries({ ...next, limit: requested });
      for (const [key, value] of page) {
        const { base, fillSeqs } = decodePosting(key, value, prefix, keyFields);
        for (const fillSeq of fillSeqs) if (fillSeq > after && out.length < limit) out.push({ fillSeq, base, posting: key });
      }
      if (out.length >= limit || page.length < requested) return out;
      next = { gt: page[page.length - 1][0], lt: range.lt };
    }
  }

  /** The height of a stored fill, from the block at or before its sequence; undefined when there is none. */
  private async heightOf(fillSeq: number): Promise<number | undefined> {
    const [entry] = await this.store.entries({ gte: fillBlockKey(0), lte: fillBlockKey(fillSeq), reverse: true, limit: 1 });
    if (entry === undefined) return undefined;
    const block = FillBlock.decode(entry[0], entry[1]);
    if (!block.holds(fillSeq)) return undefined;
    const row = new Float64Array(FILL_ROW_SLOTS);
    block.readInto(fillSeq, row, 0);
    return row[FillRow.HEIGHT];
  }

  /** Reads the blocks holding `fills` (ascending) in one multi-get and decodes each fill. */
  private async loadFills(fills: PostedFill[]): Promise<RecordedFill[]> {
    const starts: number[] = [];
    for (const { fillSeq, base } of fills) {
      const start = blockStart(base, fillSeq);
      if (starts[starts.length - 1] !== start) starts.push(start);
    }
    const keys = starts.map(fillBlockKey);
    const values = await this.store.getMany(keys);
    const rows = new Float64Array(FILL_ROW_SLOTS);
    const out: RecordedFill[] = [];
    let b = -1;
    let block: FillBlock | undefined;
    for (const { fillSeq, base, posting } of fills) {
      const start = blockStart(base, fillSeq);
      if (block === undefined || block.firstFillSeq !== start) {
        b++; // fills ascend, so their blocks come in `starts` order
        const value = values[b];
        if (value === undefined) {
          throw new LobError('CORRUPTION', `posting ${describeKey(posting)} lists fill ${fillSeq} but its block ${describeKey(keys[b])} is missing`);
        }
        block = FillBlock.decode(keys[b], value);
      }
      if (!block.holds(fillSeq)) {
        throw new LobError('CORRUPTION', `posting ${describeKey(posting)} lists fill ${fillSeq} but block ${describeKey(block.key)} does not hold it`);
      }
      block.readInto(fillSeq, rows, 0);
      out.push(fillFromRow(rows, 0));
    }
    return out;
  }
}

/** A fill named by a posting: its sequence, its flush's first sequence, and the posting's key (for errors). */
interface PostedFill {
  fillSeq: number;
  base: number;
  posting: Buffer;
}

/** Fill history in memory: the same queries over arrays of fill sequences per order and per trader. */
export class MemoryFillHistory implements FillHistory {
  private readonly table = new FillRows(1024);
  private readonly byOrder = new Map<number, number[]>();
  private readonly byTrader = new Map<number, number[]>();
  /** fillSeq of row 0. */
  private firstFillSeq = 1;

  /** Records a fill of the per-call path. */
  addFill(fill: RecordedFill): void {
    this.index(this.table.appendFill(fill));
  }

  /** Records fill j of an engine's batch results. */
  addFromSlots(fills: Float64Array, j: number, commands: Float64Array, fillSeq: number, height: number): void {
    this.index(this.table.appendFromSlots(fills, j, commands, 0, fillSeq, height));
  }

  private index(row: number): void {
    const rows = this.table.rows;
    const o = row * FILL_ROW_SLOTS;
    const fillSeq = rows[o + FillRow.FILL_SEQ];
    if (row === 0) this.firstFillSeq = fillSeq;
    push(this.byOrder, rows[o + FillRow.MAKER_ORDER_ID], fillSeq);
    push(this.byOrder, rows[o + FillRow.TAKER_ORDER_ID], fillSeq);
    push(this.byTrader, rows[o + FillRow.MAKER_TRADER], fillSeq);
    if (rows[o + FillRow.TAKER_TRADER] !== rows[o + FillRow.MAKER_TRADER]) push(this.byTrader, rows[o + FillRow.TAKER_TRADER], fillSeq);
  }

  async orderFills(orderId: number, page?: FillPage): Promise<RecordedFill[]> {
    requireId('orderId', orderId);
    const { after, limit } = normalizePage(page);
    const seqs = this.byOrder.get(orderId) ?? [];
    const out: RecordedFill[] = [];
    for (let i = firstAbove(seqs, after); i < seqs.length && out.length < limit; i++) out.push(this.fill(seqs[i]));
    return out;
  }

  async fillCount(orderId: number): Promise<number> {
    requireId('orderId', orderId);
    return this.byOrder.get(orderId)?.length ?? 0;
  }

  async traderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]> {
    requireId('trader', trader);
    const { after, limit } = normalizePage(query);
    const { fromHeight, toHeight } = normalizeHeights(query);
    const seqs = this.byTrader.get(trader) ?? [];
    // Heights are monotone in fillSeq, so the first fill at fromHeight is a binary search too.
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.height(seqs[mid]) < fromHeight) lo = mid + 1;
      else hi = mid;
    }
    const out: RecordedFill[] = [];
    for (let i = Math.max(lo, firstAbove(seqs, after)); i < seqs.length && out.length < limit; i++) {
      if (this.height(seqs[i]) > toHeight) break;
      out.push(this.fill(seqs[i]));
    }
    return out;
  }

  private fill(fillSeq: number): RecordedFill {
    return fillFromRow(this.table.rows, fillSeq - this.firstFillSeq);
  }

  private height(fillSeq: number): number {
    return this.table.rows[(fillSeq - this.firstFillSeq) * FILL_ROW_SLOTS + FillRow.HEIGHT];
  }
}

function push(index: Map<number, number[]>, id: number, fillSeq: number): void {
  const list = index.get(id);
  if (list === undefined) index.set(id, [fillSeq]);
  else list.push(fillSeq);
}

/** Index of the first element greater than `value` in an ascending array. */
function firstAbove(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
