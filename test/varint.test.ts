// The journal's and the codecs' varints (src/state/bytes.ts): every length a safe integer can take,
// read back exactly across the boundary where the reader leaves int32 arithmetic (2^28 unsigned,
// 2^31 zigzagged), and the two malformed forms named by where they fail.
import { expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../src/state/bytes.js';
import { Prng } from '../src/prng.js';

/** Boundaries of each byte length (2^7k - 1, 2^7k), of the int32 paths, and of safe integers. */
const EDGES: number[] = [0, 1, 2, 63, 64, 65];
for (const bits of [7, 14, 21, 28, 31, 32, 35, 42, 49, 52, 53]) EDGES.push(2 ** bits - 2, 2 ** bits - 1, 2 ** bits, 2 ** bits + 1);
const SAFE_EDGES = EDGES.filter((value) => value <= Number.MAX_SAFE_INTEGER);

/** Values of every bit length up to 53, from a seeded generator. */
function randomValues(count: number): number[] {
  const prng = new Prng(20_261_202);
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const bits = 1 + prng.below(53);
    values.push(Math.floor(prng.next() * 2 ** bits));
  }
  return values;
}

/** The bytes a varint of `value` takes: one per 7 bits, at least one. */
function bytesOf(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 128; rest = Math.floor(rest / 128)) bytes++;
  return bytes;
}

it('reads back every unsigned value it wrote, each taking the bytes its length needs', () => {
  const values = [...SAFE_EDGES, ...randomValues(5_000)];
  const out = new ByteWriter();
  for (const value of values) out.uint(value);
  const input = new ByteReader(out.bytes, 0, out.length);
  for (const value of values) {
    const at = input.offset;
    expect(input.uint()).toBe(value);
    expect(input.offset - at).toBe(bytesOf(value));
  }
  expect(input.done).toBe(true);
});

it('reads back every signed value it wrote, on both sides of zero', () => {
  // Zigzag doubles a magnitude, so a signed value keeps below 2^52 to stay within 8 bytes of varint.
  const magnitudes = [...SAFE_EDGES, ...randomValues(5_000)].filter((value) => value < 2 ** 52);
  const values = magnitudes.flatMap((value) => [value, -value]);
  const out = new ByteWriter();
  for (const value of values) out.int(value);
  const input = new ByteReader(out.bytes, 0, out.length);
  for (const value of values) expect(input.int()).toBe(value === 0 ? 0 : value);
  expect(input.done).toBe(true);
});

it('names the byte where a varint runs past the end, and one longer than 8 bytes', () => {
  // Truncated after each of its bytes, in the int32 part and after it.
  const out = new ByteWriter();
  out.uint(2 ** 50);
  for (let cut = 1; cut < out.length; cut++) {
    expect(() => new ByteReader(out.bytes, 0, cut).uint()).toThrowError(`varint runs past the end at byte ${cut}`);
  }
  const nine = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  expect(() => new ByteReader(nine, 0).uint()).toThrowError('varint longer than 8 bytes at byte 0');
  expect(() => new ByteReader(nine, 0).int()).toThrowError('varint longer than 8 bytes at byte 0');
});
