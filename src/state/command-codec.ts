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
import { ByteReader, ByteWriter, MAX_VARINT_BYTES, compileWriter, fieldWriterSource, putInt, putUint, zigzagSource } from './bytes.js';

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

/** The most bytes a command's entry takes: its head and every field of the widest operation. */
const MAX_COMMAND_BYTES = (1 + Math.max(...FIELD_SLOTS.map((slots) => slots.length))) * MAX_VARINT_BYTES;

/** Writes the command record at `slots[o..]` as its entry at `b[n]` (room reserved), updating `previous`; returns the offset after it. */
type EntryWriter = (slots: Float64Array, o: number, b: Uint8Array, n: number, previous: Float64Array) => number;

/**
 * The entry writer, compiled from the table: per op code its fields written out in table order,
 * each a slot read and fieldWriterSource's lines. A loop over the table's field arrays cost about
 * 80 instructions a field (callgrind, docs/storage.md round 54: the arrays' loads and checks, the
 * delta's branch), written out about 15.
 */
const writeEntry: EntryWriter = compileWriter('writeJournalEntry', ['slots', 'o', 'b', 'n', 'previous'], (() => {
  const cases = OPERATION_BY_CODE.map((spec, op) => {
    if (spec === undefined) return '';
    const fields = Array.from(FIELD_SLOTS[op], (slot, f) => {
      const value = `v${f}`;
      if (FIELD_DELTAS[op][f] === 0) return `const ${value} = slots[o + ${slot}];\n${fieldWriterSource(value, null)}`;
      const difference = `d${f}`;
      return `const ${difference} = slots[o + ${slot}] - previous[${slot}];\nprevious[${slot}] = slots[o + ${slot}];\n`
        + `const ${value} = ${zigzagSource(difference)};\n${fieldWriterSource(value, difference)}`;
    });
    return `case ${op}: {\n${fields.join('\n')}\nreturn n;\n}`;
  });
  return `const head = slots[o];\n${fieldWriterSource('head', null)}\nswitch (head & ${Head.OP_MASK}) {\n${cases.join('\n')}\n}\n`
    + 'throw new Error(`lobcore bug: journaling an unknown op ${head & ' + Head.OP_MASK + '}`);';
})());

/**
 * writeEntry's bytes through putUint and putInt, a loop over the table: for a value's first
 * command, whose deltas from zero (a timestamp, an order id) are past writeEntry's in-line
 * range. Through writeEntry each op's first command of a value took its rare branch, unvisited
 * until then, and deoptimized the whole writer (a 15-30 ms recompile on V8's threads, several a
 * run as ops first led a value; docs/storage.md round 58).
 */
function writeEntryFromZero(slots: Float64Array, o: number, b: Uint8Array, n: number, previous: Float64Array): number {
  const head = slots[o];
  n = putUint(b, n, head);
  const op = head & Head.OP_MASK;
  if (OPERATION_BY_CODE[op] === undefined) throw new Error(`lobcore bug: journaling an unknown op ${op}`);
  const fieldSlots = FIELD_SLOTS[op];
  const deltas = FIELD_DELTAS[op];
  for (let f = 0; f < fieldSlots.length; f++) {
    const slot = fieldSlots[f];
    const value = slots[o + slot];
    if (deltas[f] === 1) {
      n = putInt(b, n, value - previous[slot]);
      previous[slot] = value;
    } else {
      n = putUint(b, n, value);
    }
  }
  return n;
}

export class CommandEncoder {
  /** The previous command's delta-coded slots. */
  private readonly previous = new Float64Array(COMMAND_SLOTS);
  /** Whether no command is written since reset: the next one's deltas are from zero. */
  private fromZero = true;

  constructor(private readonly out: ByteWriter) {}

  /** Starts a new journal value: deltas restart from zero. */
  reset(): void {
    this.previous.fill(0);
    this.fromZero = true;
  }

  /** The `count` command records from slot `start` of `slots`, in order. */
  commands(slots: Float64Array, start: number, count: number): void {
    const out = this.out;
    out.reserve(count * MAX_COMMAND_BYTES);
    const b = out.bytes;
    const previous = this.previous;
    let n = out.length;
    let i = 0;
    if (this.fromZero && count > 0) {
      n = writeEntryFromZero(slots, start, b, n, previous);
      this.fromZero = false;
      i = 1;
    }
    for (let o = start + i * COMMAND_SLOTS; i < count; i++, o += COMMAND_SLOTS) n = writeEntry(slots, o, b, n, previous);
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
