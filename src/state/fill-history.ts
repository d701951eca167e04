// Fill history: every fill with its height and a global fill sequence, queryable by order (as
// maker or taker) and by trader (with a height range), always through an index, never by
// reading every fill. Two implementations answer the same queries: one over RocksDB index keys
// (persistent mode) and one over in-memory indexes (in-memory mode).
import { SIDES } from '../codes.js';
import { COMMAND_SLOTS, FILL_SLOTS } from '../batch.js';
import { LobError, invalidArgument } from '../errors.js';
import type { Fill, Side } from '../types.js';
import { FILL_ROW_SLOTS, FillRow, decodeFillInto, encodeFill } from './codecs.js';
import { MAX_KEY_INTEGER, Prefix, describeKey, fillKey, keyIntegers, orderFillKey, subRange, traderFillKey } from './keys.js';
import type { Store, StoreBatch } from './store.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../validate.js';

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
}

export const DEFAULT_FILL_LIMIT = 1000;

export interface FillHistory {
  orderFills(orderId: number, page?: FillPage): Promise<RecordedFill[]>;
  fillCount(orderId: number): Promise<number>;
  traderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]>;
}

/** A growable table of fill rows (FILL_ROW_SLOTS each). */
export class FillRows {
  rows: Float64Array;
  count = 0;

  constructor(initialRows = 256) {
    this.rows = new Float64Array(initialRows * FILL_ROW_SLOTS);
  }

  /** Appends a fill from an engine's fill slots (batch.ts layout); returns its row. */
  appendFromSlots(fills: Float64Array, j: number, commands: Float64Array | null, timestamp: number, fillSeq: number, height: number): number {
    const f = j * FILL_SLOTS;
    const o = this.reserve();
    const r = this.rows;
    const command = Math.floor(fills[f] / 2);
    r[o + FillRow.FILL_SEQ] = fillSeq;
    r[o + FillRow.HEIGHT] = height;
    r[o + FillRow.ASSET] = fills[f + 1];
    r[o + FillRow.MAKER_ORDER_ID] = fills[f + 2];
    r[o + FillRow.TAKER_ORDER_ID] = fills[f + 3];
    r[o + FillRow.MAKER_TRADER] = fills[f + 4];
    r[o + FillRow.TAKER_TRADER] = fills[f + 5];
    r[o + FillRow.TAKER_SIDE] = fills[f] % 2;
    r[o + FillRow.PRICE] = fills[f + 6];
    r[o + FillRow.SIZE] = fills[f + 7];
    r[o + FillRow.TIMESTAMP] = commands === null ? timestamp : commands[command * COMMAND_SLOTS + 6];
    return this.count - 1;
  }

  appendFill(fill: RecordedFill): number {
    const o = this.reserve();
    const r = this.rows;
    r[o + FillRow.FILL_SEQ] = fill.fillSeq;
    r[o + FillRow.HEIGHT] = fill.height;
    r[o + FillRow.ASSET] = fill.asset;
    r[o + FillRow.MAKER_ORDER_ID] = fill.makerOrderId;
    r[o + FillRow.TAKER_ORDER_ID] = fill.takerOrderId;
    r[o + FillRow.MAKER_TRADER] = fill.makerTrader;
    r[o + FillRow.TAKER_TRADER] = fill.takerTrader;
    r[o + FillRow.TAKER_SIDE] = fill.takerSide === 'bid' ? 0 : 1;
    r[o + FillRow.PRICE] = fill.price;
    r[o + FillRow.SIZE] = fill.size;
    r[o + FillRow.TIMESTAMP] = fill.timestamp;
    return this.count - 1;
  }

  /** Moves every row out (the caller owns the returned table) and leaves this one empty. */
  take(): FillRows {
    const taken = new FillRows(0);
    taken.rows = this.rows.slice(0, this.count * FILL_ROW_SLOTS);
    taken.count = this.count;
    this.count = 0;
    return taken;
  }

  /** Puts rows whose write failed back in front of any added since. */
  putBack(taken: FillRows): void {
    if (taken.count === 0) return;
    const merged = new Float64Array(Math.max((taken.count + this.count) * FILL_ROW_SLOTS, this.rows.length));
    merged.set(taken.rows.subarray(0, taken.count * FILL_ROW_SLOTS));
    merged.set(this.rows.subarray(0, this.count * FILL_ROW_SLOTS), taken.count * FILL_ROW_SLOTS);
    this.rows = merged;
    this.count += taken.count;
  }

  private reserve(): number {
    if ((this.count + 1) * FILL_ROW_SLOTS > this.rows.length) {
      const grown = new Float64Array(Math.max(FILL_ROW_SLOTS * 16, this.rows.length * 2));
      grown.set(this.rows);
      this.rows = grown;
    }
    return this.count++ * FILL_ROW_SLOTS;
  }
}

export function fillFromRow(rows: Float64Array, row: number): RecordedFill {
  const o = row * FILL_ROW_SLOTS;
  return {
    asset: rows[o + FillRow.ASSET],
    makerOrderId: rows[o + FillRow.MAKER_ORDER_ID],
    takerOrderId: rows[o + FillRow.TAKER_ORDER_ID],
    makerTrader: rows[o + FillRow.MAKER_TRADER],
    takerTrader: rows[o + FillRow.TAKER_TRADER],
    takerSide: SIDES[rows[o + FillRow.TAKER_SIDE]] as Side,
    price: rows[o + FillRow.PRICE],
    size: rows[o + FillRow.SIZE],
    timestamp: rows[o + FillRow.TIMESTAMP],
    height: rows[o + FillRow.HEIGHT],
    fillSeq: rows[o + FillRow.FILL_SEQ],
  };
}

/** Puts each fill and its index keys (order as maker and as taker, both traders) into a batch. */
export function writeFillRows(batch: StoreBatch, table: FillRows): void {
  const r = table.rows;
  for (let row = 0; row < table.count; row++) {
    const o = row * FILL_ROW_SLOTS;
    const fillSeq = r[o + FillRow.FILL_SEQ];
    const height = r[o + FillRow.HEIGHT];
    const makerTrader = r[o + FillRow.MAKER_TRADER];
    const takerTrader = r[o + FillRow.TAKER_TRADER];
    batch.put(fillKey(fillSeq), encodeFill(r, row));
    batch.put(orderFillKey(r[o + FillRow.MAKER_ORDER_ID], fillSeq), EMPTY);
    batch.put(orderFillKey(r[o + FillRow.TAKER_ORDER_ID], fillSeq), EMPTY);
    batch.put(traderFillKey(makerTrader, height, fillSeq), EMPTY);
    if (takerTrader !== makerTrader) batch.put(traderFillKey(takerTrader, height, fillSeq), EMPTY);
  }
}

const EMPTY = Buffer.alloc(0);

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

/** Fill history over RocksDB index keys. */
export class StoredFillHistory implements FillHistory {
  constructor(private readonly store: Store) {}

  async orderFills(orderId: number, page?: FillPage): Promise<RecordedFill[]> {
    requireId('orderId', orderId);
    const { after, limit } = normalizePage(page);
    const range = subRange(Prefix.ORDER_FILL, orderId);
    const keys = await this.store.keys({ gt: orderFillKey(orderId, after), lt: range.lt, limit });
    return this.loadFills(keys.map((key) => keyIntegers(key, Prefix.ORDER_FILL, 2)[1]));
  }

  async fillCount(orderId: number): Promise<number> {
    requireId('orderId', orderId);
    // Counts this order's index keys only: proportional to its own fills.
    return (await this.store.keys(subRange(Prefix.ORDER_FILL, orderId))).length;
  }

  async traderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]> {
    requireId('trader', trader);
    const { after, limit } = normalizePage(query);
    const { fromHeight, toHeight } = normalizeHeights(query);
    if (fromHeight > toHeight) return [];
    // Heights never decrease as fill sequences grow, so (height, fillSeq) order is fillSeq order
    // and the cursor becomes a key once we know the height of the fill it names.
    let start = traderFillKey(trader, fromHeight, 0);
    let startInclusive = true;
    if (after > 0) {
      const [cursor] = await this.loadFills([after], false);
      if (cursor !== undefined) {
        const cursorKey = traderFillKey(trader, cursor.height, after);
        if (Buffer.compare(cursorKey, start) >= 0) {
          start = cursorKey;
          startInclusive = false;
        }
      }
    }
    const end = toHeight === MAX_KEY_INTEGER ? subRange(Prefix.TRADER_FILL, trader).lt : subRange(Prefix.TRADER_FILL, trader, toHeight).lt;
    const keys = await this.store.keys(startInclusive ? { gte: start, lt: end, limit: limit + 1 } : { gt: start, lt: end, limit: limit + 1 });
    const seqs: number[] = [];
    for (const key of keys) {
      const fillSeq = keyIntegers(key, Prefix.TRADER_FILL, 3)[2];
      // A cursor whose fill is unknown still pages correctly by sequence.
      if (fillSeq > after && seqs.length < limit) seqs.push(fillSeq);
    }
    return this.loadFills(seqs);
  }

  private async loadFills(fillSeqs: number[], required = true): Promise<RecordedFill[]> {
    const keys = fillSeqs.map(fillKey);
    const values = await this.store.getMany(keys);
    const rows = new Float64Array(FILL_ROW_SLOTS);
    const out: RecordedFill[] = [];
    for (let i = 0; i < keys.length; i++) {
      const value = values[i];
      if (value === undefined) {
        if (!required) continue;
        throw new LobError('CORRUPTION', `an index entry names fill ${fillSeqs[i]} but key ${describeKey(keys[i])} is missing`);
      }
      decodeFillInto(keys[i], value, fillSeqs[i], rows, 0);
      out.push(fillFromRow(rows, 0));
    }
    return out;
  }
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
