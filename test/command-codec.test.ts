// The journal's compact command records (src/state/command-codec.ts): decoded into a buffer that
// still holds earlier records, as a replay's reused batch does, each record comes back exactly,
// the slots its operation has no field in zero.
import { expect, it } from 'vitest';
import { COMMAND_SLOTS, OPERATIONS } from '../src/operations.js';
import { ByteReader, ByteWriter } from '../src/state/bytes.js';
import { CommandDecoder, CommandEncoder } from '../src/state/command-codec.js';
import { Prng } from '../src/prng.js';

it('decodes every operation to the record it encoded, over a buffer full of stale values', () => {
  const prng = new Prng(7);
  const count = 2_000;
  const records = new Float64Array(count * COMMAND_SLOTS);
  for (let i = 0; i < count; i++) {
    const spec = OPERATIONS[prng.below(OPERATIONS.length)];
    const o = i * COMMAND_SLOTS;
    records[o] = spec.op;
    // Values near each other and far apart, so deltas of both signs and of many lengths occur.
    for (const field of spec.fields) records[o + field.slot] = prng.chance(0.5) ? 1 + prng.below(100) : 1 + prng.below(2 ** 40);
  }
  const out = new ByteWriter();
  const encoder = new CommandEncoder(out);
  encoder.commands(records, 0, count);
  encoder.height(12);

  const decoder = new CommandDecoder(new ByteReader(out.bytes, 0, out.length));
  const into = new Float64Array(COMMAND_SLOTS).fill(987_654_321);
  for (let i = 0; i < count; i++) {
    expect(decoder.next(into, 0)).toBe(-1);
    expect([...into]).toEqual([...records.subarray(i * COMMAND_SLOTS, (i + 1) * COMMAND_SLOTS)]);
  }
  expect(decoder.next(into, 0)).toBe(12);
});

it.each(unknownOps())('refuses an entry of unknown op %i, naming the op and the byte after its head', (op) => {
  const out = new ByteWriter();
  out.uint(op | (1 << 4)); // a head, one byte: the op, a side
  out.uint(5);
  const decoder = new CommandDecoder(new ByteReader(out.bytes, 0, out.length));
  expect(() => decoder.next(new Float64Array(COMMAND_SLOTS), 0)).toThrow(new Error(`unknown op ${op} at byte 1`));
});

/** The op codes (1 to 15) no operation has: 0 is a height change. */
function unknownOps(): number[] {
  const unknown: number[] = [];
  for (let op = 1; op <= 15; op++) if (!OPERATIONS.some((spec) => spec.op === op)) unknown.push(op);
  return unknown;
}
