// Writing fill history. A flush's fills become a few block values plus one posting per order and
// per (trader, height) it touched, instead of a key per fill and four index keys per fill: the
// store worker's cost is per key (a memtable insert each), so keys per flush bound throughput.
import { FILL_ROW_SLOTS, FILLS_PER_BLOCK, FillRow, encodeFillBlock, encodePosting } from './fill-codecs.js';
import { FillRows } from './fill-rows.js';
import { fillBlockKey, orderFillsKey, traderFillsKey } from './keys.js';
import type { StoreBatch } from './store.js';

/**
 * Fills applied but not yet written, one table per flush. A table whose write failed is retried
 * as it was, never merged with newer fills: a write reported as failed may still have landed,
 * and rewriting the same keys with the same values is harmless, while a regrouped retry would
 * leave a second posting listing the same fills.
 */
export class PendingFills {
  /** Fills since the last flush was cut. */
  readonly open = new FillRows();
  private failed: FillRows[] = [];

  get count(): number {
    let n = this.open.count;
    for (const table of this.failed) n += table.count;
    return n;
  }

  /** Every table to write, oldest first; the open one is cut now. */
  take(): FillRows[] {
    const tables = this.failed;
    this.failed = [];
    if (this.open.count > 0) tables.push(this.open.take());
    return tables;
  }

  putBack(tables: FillRows[]): void {
    if (tables.length > 0) this.failed = tables.concat(this.failed);
  }
}

/** Puts one flush's fills (consecutive fill sequences) as blocks and postings into `batch`. */
export function writeFillTable(batch: StoreBatch, table: FillRows): void {
  const n = table.count;
  if (n === 0) return;
  const r = table.rows;
  const base = r[FillRow.FILL_SEQ];
  if (r[(n - 1) * FILL_ROW_SLOTS + FillRow.FILL_SEQ] !== base + n - 1) {
    throw new Error(`lobcore bug: a flush's fills must have consecutive sequences from ${base}`);
  }
  for (let first = 0; first < n; first += FILLS_PER_BLOCK) {
    batch.put(fillBlockKey(base + first), encodeFillBlock(r, first, Math.min(FILLS_PER_BLOCK, n - first)));
  }

  const byOrder = new Map<number, number[]>();
  let byTrader = new Map<number, number[]>();
  let height = r[FillRow.HEIGHT];
  for (let row = 0; row < n; row++) {
    const o = row * FILL_ROW_SLOTS;
    if (r[o + FillRow.HEIGHT] !== height) {
      // Trader postings are per height so that height ranges stay key ranges.
      putTraderPostings(batch, byTrader, height, base);
      byTrader = new Map();
      height = r[o + FillRow.HEIGHT];
    }
    const fillSeq = base + row;
    append(byOrder, r[o + FillRow.MAKER_ORDER_ID], fillSeq);
    append(byOrder, r[o + FillRow.TAKER_ORDER_ID], fillSeq);
    append(byTrader, r[o + FillRow.MAKER_TRADER], fillSeq);
    append(byTrader, r[o + FillRow.TAKER_TRADER], fillSeq);
  }
  putTraderPostings(batch, byTrader, height, base);
  for (const [orderId, fillSeqs] of byOrder) batch.put(orderFillsKey(orderId, fillSeqs[fillSeqs.length - 1]), encodePosting(base, fillSeqs));
}

function putTraderPostings(batch: StoreBatch, byTrader: Map<number, number[]>, height: number, base: number): void {
  for (const [trader, fillSeqs] of byTrader) batch.put(traderFillsKey(trader, height, fillSeqs[fillSeqs.length - 1]), encodePosting(base, fillSeqs));
}

/** Adds `fillSeq` to `id`'s list once (a self-trade lists its trader once, as before). */
function append(index: Map<number, number[]>, id: number, fillSeq: number): void {
  const list = index.get(id);
  if (list === undefined) index.set(id, [fillSeq]);
  else if (list[list.length - 1] !== fillSeq) list.push(fillSeq);
}
