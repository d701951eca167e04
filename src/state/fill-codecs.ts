// Binary values of the fill history (framed like every value: version byte, payload, CRC-32;
// see codecs.ts). Integers are little-endian float64, exact below 2^53.
//
//   fill-block    count:u32, then `count` rows of FILL_RECORD_BYTES, fill k having the key's
//                 firstFillSeq + k:  takerSide:u8, height, asset, makerOrderId, takerOrderId,
//                 makerTrader, takerTrader, price, size, timestamp
//   posting       base:f64 (first fillSeq of the flush that wrote it), count:u32, then `count`
//                 offsets:u32 (fillSeq - base), strictly ascending. Used by order-fills and
//                 trader-fills alike.
//
// A posting carries its flush's base because a flush's blocks start at base and every
// FILLS_PER_BLOCK fills after it: the block of any fill it lists is arithmetic, so loading a
// page of fills is one multi-get, never a seek per fill.
import { LobError } from '../errors.js';
import { frame, openFrame, seal } from './codecs.js';
import { describeKey, keyIntegers, Prefix } from './keys.js';

const FILL_BLOCK_VERSION = 1;
const POSTING_VERSION = 1;

/**
 * Fills per block value. Writes want few keys (a flush of ~330 fills is 3 blocks); reads decode
 * one block per fill they return from a sparse history, so blocks stay ~9 KB rather than a whole flush.
 */
export const FILLS_PER_BLOCK = 128;

/** Slots of one fill row, the in-memory order of a fill's fields (FillRows, encoders). */
export const FillRow = {
  FILL_SEQ: 0,
  HEIGHT: 1,
  ASSET: 2,
  MAKER_ORDER_ID: 3,
  TAKER_ORDER_ID: 4,
  MAKER_TRADER: 5,
  TAKER_TRADER: 6,
  TAKER_SIDE: 7,
  PRICE: 8,
  SIZE: 9,
  TIMESTAMP: 10,
} as const;
export const FILL_ROW_SLOTS = 11;

/** Row fields stored as float64, in stored order (takerSide is the byte before them). */
const STORED_F64 = [
  FillRow.HEIGHT, FillRow.ASSET, FillRow.MAKER_ORDER_ID, FillRow.TAKER_ORDER_ID, FillRow.MAKER_TRADER,
  FillRow.TAKER_TRADER, FillRow.PRICE, FillRow.SIZE, FillRow.TIMESTAMP,
] as const;
export const FILL_RECORD_BYTES = 1 + STORED_F64.length * 8;

// ---------------------------------------------------------------- fill block

/** Encodes rows [first, first + count) of `rows` (fillSeqs are implied by the key). */
export function encodeFillBlock(rows: Float64Array, first: number, count: number): Buffer {
  const value = frame(FILL_BLOCK_VERSION, 4 + count * FILL_RECORD_BYTES);
  value.writeUInt32LE(count, 1);
  let o = 5;
  for (let row = first; row < first + count; row++) {
    const r = row * FILL_ROW_SLOTS;
    value[o++] = rows[r + FillRow.TAKER_SIDE];
    for (const slot of STORED_F64) {
      value.writeDoubleLE(rows[r + slot], o);
      o += 8;
    }
  }
  return seal(value);
}

/** A checked fill block: its first fillSeq, how many fills it holds, and their bytes. */
export class FillBlock {
  private constructor(
    readonly key: Uint8Array,
    readonly firstFillSeq: number,
    readonly count: number,
    private readonly bytes: Buffer,
  ) {}

  static decode(key: Uint8Array, value: Uint8Array): FillBlock {
    const [firstFillSeq] = keyIntegers(key, Prefix.FILL_BLOCK, 1);
    const bytes = openFrame(key, value, 'fill-block', FILL_BLOCK_VERSION, 4);
    const count = bytes.readUInt32LE(1);
    if (count === 0 || bytes.length !== 9 + count * FILL_RECORD_BYTES) {
      throw new LobError('CORRUPTION', `fill-block value at key ${describeKey(key)} is ${bytes.length} bytes for ${count} fills`);
    }
    return new FillBlock(key, firstFillSeq, count, bytes);
  }

  holds(fillSeq: number): boolean {
    return fillSeq >= this.firstFillSeq && fillSeq < this.firstFillSeq + this.count;
  }

  /** Copies fill `fillSeq` (which the block must hold) into `out` at row `row`. */
  readInto(fillSeq: number, out: Float64Array, row: number): void {
    let o = 5 + (fillSeq - this.firstFillSeq) * FILL_RECORD_BYTES;
    const r = row * FILL_ROW_SLOTS;
    out[r + FillRow.FILL_SEQ] = fillSeq;
    out[r + FillRow.TAKER_SIDE] = this.bytes[o++];
    for (const slot of STORED_F64) {
      out[r + slot] = this.bytes.readDoubleLE(o);
      o += 8;
    }
  }
}

/** First fillSeq of the block that holds `fillSeq`, in the flush whose first fill is `base`. */
export function blockStart(base: number, fillSeq: number): number {
  return base + Math.floor((fillSeq - base) / FILLS_PER_BLOCK) * FILLS_PER_BLOCK;
}

// ---------------------------------------------------------------- posting

/** Encodes a posting of ascending fill sequences of one flush (`base`: that flush's first fillSeq). */
export function encodePosting(base: number, fillSeqs: readonly number[]): Buffer {
  const value = frame(POSTING_VERSION, 12 + fillSeqs.length * 4);
  value.writeDoubleLE(base, 1);
  value.writeUInt32LE(fillSeqs.length, 9);
  for (let i = 0; i < fillSeqs.length; i++) value.writeUInt32LE(fillSeqs[i] - base, 13 + i * 4);
  return seal(value);
}

export interface Posting {
  base: number;
  fillSeqs: number[];
}

/** Decodes a posting and checks it against its key, whose last integer is the posting's last fillSeq. */
export function decodePosting(key: Uint8Array, value: Uint8Array, prefix: number, keyFields: number): Posting {
  const lastFillSeq = keyIntegers(key, prefix, keyFields)[keyFields - 1];
  const bytes = openFrame(key, value, prefix === Prefix.ORDER_FILLS ? 'order-fills' : 'trader-fills', POSTING_VERSION, 12);
  const base = bytes.readDoubleLE(1);
  const count = bytes.readUInt32LE(9);
  const malformed = (why: string): LobError => new LobError('CORRUPTION', `posting at key ${describeKey(key)} is malformed: ${why}`);
  if (count === 0 || bytes.length !== 17 + count * 4) throw malformed(`${bytes.length} bytes for ${count} fills`);
  const fillSeqs = new Array<number>(count);
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const offset = bytes.readUInt32LE(13 + i * 4);
    if (offset <= previous) throw malformed('fill sequences out of order');
    fillSeqs[i] = base + offset;
    previous = offset;
  }
  if (fillSeqs[count - 1] !== lastFillSeq) throw malformed(`its last fill is ${fillSeqs[count - 1]}, its key says ${lastFillSeq}`);
  return { base, fillSeqs };
}
