// Fills in memory: a growable table of float64 rows (FILL_ROW_SLOTS each, FillRow order), the
// form fills take between the engine and a flush, and in the in-memory history.
import { SIDES } from '../codes.js';
import { COMMAND_SLOTS, FILL_SLOTS } from '../batch.js';
import type { Fill, Side } from '../types.js';
import { FILL_ROW_SLOTS, FillRow } from './fill-codecs.js';

/** A fill as the state machine reports it: the engine's fill plus where it sits in history. */
export interface RecordedFill extends Fill {
  height: number;
  fillSeq: number;
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
