// The journal's compact form of command records. A record is COMMAND_SLOTS float64 slots (96
// bytes), mostly zeros; the journal keeps only the slots the operation uses (the table in
// src/operations.ts says which), as varints, with the asset, order id, prices and timestamp as
// differences from the previous command's (neighbouring commands share assets, nearby ids,
// nearby prices and close timestamps). A steady flow's command takes 8-14 bytes.
//
// An entry is a command or a height change:
//   head:uint   the record's head (never 0: every op code is >= 1), then its fields in table order
//   0, height:uint   a setHeight
import { COMMAND_SLOTS, OPERATION_BY_CODE, Head, Slot } from '../operations.js';
import { ByteReader, ByteWriter, MAX_VARINT_BYTES, putField, putUint, zigzag } from './bytes.js';

/** How a slot is written: as itself, or as its difference from the same slot of the previous command. */
const DELTA_SLOTS = new Set<number>([Slot.ASSET, Slot.ORDER_ID, Slot.PRICE, Slot.TIMESTAMP, Slot.TRIGGER_PRICE, Slot.SECOND_PRICE]);

/** Per op code, its fields' slots in table order, and whether each is delta-coded (the table, compiled for the codec's loops). */
const FIELD_SLOTS: Int32Array[] = OPERATION_BY_CODE.map((spec) => Int32Array.from(spec?.fields ?? [], (f) => f.slot));
const FIELD_DELTAS: Uint8Array[] = OPERATION_BY_CODE.map((spec) => Uint8Array.from(spec?.fields ?? [], (f) => (DELTA_SLOTS.has(f.slot) ? 1 : 0)));
/**
 * Per op code, the record's slots after the head that it has no field in: the decoder zeroes
 * only these, rather than the whole record before its fields (each field's slot stored twice).
 */
const UNUSED_SLOTS: Int32Array[] = OPERATION_BY_CODE.map((spec) => {
  const used = new Set((spec?.fields ?? []).map((f) => f.slot));
  return Int32Array.from({ length: COMMAND_SLOTS - 1 }, (_, k) => k + 1).filter((slot) => !used.has(slot));
});

export class CommandEncoder {
  /** The previous command's delta-coded slots. */
  private readonly previous = new Float64Array(COMMAND_SLOTS);

  constructor(private readonly out: ByteWriter) {}

  /** Starts a new journal value: deltas restart from zero. */
  reset(): void {
    this.previous.fill(0);
  }

  command(slots: Float64Array, o: number): void {
    const head = slots[o];
    const op = head & Head.OP_MASK;
    if (OPERATION_BY_CODE[op] === undefined) throw new Error(`lobcore bug: journaling an unknown op ${op}`);
    const fieldSlots = FIELD_SLOTS[op];
    const deltas = FIELD_DELTAS[op];
    const out = this.out;
    out.reserve((1 + fieldSlots.length) * MAX_VARINT_BYTES);
    const b = out.bytes;
    const previous = this.previous;
    let n = putUint(b, out.length, head);
    for (let f = 0; f < fieldSlots.length; f++) {
      const slot = fieldSlots[f];
      const value = slots[o + slot];
      // d: the signed delta, v: what is written (its zigzag form, or the value itself).
      let d = 0;
      let v: number;
      const delta = deltas[f] === 1;
      if (delta) {
        d = value - previous[slot];
        previous[slot] = value;
        v = zigzag(d);
      } else {
        v = value;
      }
      n = putField(b, n, v, d, delta);
    }
    out.length = n;
  }

  height(height: number): void {
    this.out.uint(0);
    this.out.uint(height);
  }
}

/** Reads entries back into full command records. */
export class CommandDecoder {
  private readonly previous = new Float64Array(COMMAND_SLOTS);

  constructor(private readonly input: ByteReader) {}

  /**
   * The next entry: writes a command's record at `into[o..]` (the slots it has no field in zero) and returns -1,
   * or returns the height of a height change.
   */
  next(into: Float64Array, o: number): number {
    const input = this.input;
    const head = input.uint();
    if (head === 0) return input.uint();
    const op = head & Head.OP_MASK;
    if (OPERATION_BY_CODE[op] === undefined) throw new Error(`unknown op ${op} at byte ${input.offset}`);
    const fieldSlots = FIELD_SLOTS[op];
    const deltas = FIELD_DELTAS[op];
    const unused = UNUSED_SLOTS[op];
    const previous = this.previous;
    into[o] = head;
    for (let u = 0; u < unused.length; u++) into[o + unused[u]] = 0;
    for (let f = 0; f < fieldSlots.length; f++) {
      const slot = fieldSlots[f];
      if (deltas[f] === 1) {
        const value = previous[slot] + input.int();
        previous[slot] = value;
        into[o + slot] = value;
      } else {
        into[o + slot] = input.uint();
      }
    }
    return -1;
  }
}
