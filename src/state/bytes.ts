// Compact binary encoding for the values a flush writes: unsigned LEB128 varints for the safe
// integers lobcore deals in (a small number costs one byte), zigzag for signed deltas. Journal
// records and event blocks are mostly small numbers and small differences between neighbours,
// so they shrink several times against float64 slots.
import { compileFunction } from '../compiled-function.js';

const TWO_28 = 0x1000_0000;
const TWO_52 = 2 ** 52;
const TWO_53 = 2 ** 53;

/** Longest varint of a safe integer (53 bits, 7 a byte). */
export const MAX_VARINT_BYTES = 8;

/**
 * Writes a non-negative safe integer as a varint at `bytes[at]` (room checked by the caller);
 * returns the offset after it. The encoders' inner loops write through this after reserving room
 * once for a whole command.
 */
export function putUint(bytes: Uint8Array, at: number, value: number): number {
  // Below 2^28 the loop stays in 32-bit integer arithmetic.
  while (value >= TWO_28) {
    bytes[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  while (value >= 0x80) {
    bytes[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  bytes[at++] = value;
  return at;
}

/** A signed integer's zigzag form, as putInt writes it: 0, -1, 1, -2, ... as 0, 1, 2, 3, ... (exact from -2^52 up). */
export function zigzag(value: number): number {
  return value < 0 ? -value * 2 - 1 : value * 2;
}

/** A signed safe integer (zigzag: small magnitudes stay small). */
export function putInt(bytes: Uint8Array, at: number, value: number): number {
  if (value < -TWO_52) return putLargeNegative(bytes, at, -value);
  return putUint(bytes, at, zigzag(value));
}

/**
 * The source text of one field's writer, for the encoders compiled from their tables
 * (compileWriter): writes `value` (a local holding what putUint or putInt would write: a signed
 * field's zigzag form) at `b[n]` and advances `n`, as putUint(value) or putInt(difference) would.
 * Below 2^21 (nearly every field) its one to three bytes are written in line: through putUint's
 * and putInt's loops a field cost 70-130 instructions against 10-20 (callgrind, docs/storage.md
 * round 54), and a writer function called at each field's site was not inlined at most of them.
 * Past 2^52 the zigzag form is not exact in a double: putInt writes it from `difference`. The
 * offsets are advanced as `(n + 1) | 0`: `n++` is an add checked for overflow at every byte, and a
 * buffer's offsets are far below 2^31 (over 50 flushes, 1.9M instructions of the event block
 * writer's 38.4M and 0.4M of the journal's 13.3M, callgrind, docs/storage.md round 57).
 */
export function fieldWriterSource(value: string, difference: string | null): string {
  const past = difference === null ? `n = putUint(b, n, ${value});` : `n = putInt(b, n, ${difference});`;
  return `if (${value} < 0x80) { b[n] = ${value}; n = (n + 1) | 0; }
else if (${value} < 0x4000) { b[n] = (${value} & 0x7f) | 0x80; b[(n + 1) | 0] = ${value} >>> 7; n = (n + 2) | 0; }
else if (${value} < 0x200000) { b[n] = (${value} & 0x7f) | 0x80; b[(n + 1) | 0] = ((${value} >>> 7) & 0x7f) | 0x80; b[(n + 2) | 0] = ${value} >>> 14; n = (n + 3) | 0; }
else ${past}`;
}

/**
 * The source text of `array[offset + slot]` for the compiled encoders, the index taken in int32
 * arithmetic as fieldWriterSource's offsets are: a record's slots in a typed array are far below 2^31.
 */
export function slotSource(array: string, offset: string, slot: number): string {
  return `${array}[(${offset} + ${slot}) | 0]`;
}

/**
 * The source text of zigzag(difference), for the compiled encoders: called there, TurboFan left
 * some of the calls out of line (1.4M instructions in 30 flushes of the await loop, callgrind). The test of the
 * encoders' bytes (test/encoder-bytes.test.ts) holds it to zigzag through putInt.
 */
export function zigzagSource(difference: string): string {
  return `(${difference} < 0 ? -${difference} * 2 - 1 : ${difference} * 2)`;
}

/**
 * An encoder compiled from generated source (fieldWriterSource's fields, written out one after
 * another), which calls this module's putUint and putInt by name.
 */
export function compileWriter<T>(name: string, params: string[], body: string): T {
  return compileFunction<T>(name, params, body, { putUint, putInt });
}

/**
 * The zigzag form of -m for m past 2^52, 2m - 1: odd and past 2^53, which a float64 does not hold
 * (it rounded to a neighbour, and a journal with a command whose asset, price or id fell that far
 * from the last one's did not reopen). Written from m: the low 7 bits, then the rest (below 2^47).
 */
function putLargeNegative(bytes: Uint8Array, at: number, m: number): number {
  const r = m % 64;
  const q = (m - r) / 64;
  // 2m - 1 = 128q + 2r - 1: for r = 0 that is 128(q - 1) + 127.
  bytes[at++] = (r === 0 ? 127 : 2 * r - 1) | 0x80;
  return putUint(bytes, at, r === 0 ? q - 1 : q);
}

/** A growable byte buffer written front to back. */
export class ByteWriter {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 4096) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Room for `more` bytes at the end. */
  reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.length + more, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  /** A non-negative safe integer, 7 bits a byte. */
  uint(value: number): void {
    this.reserve(MAX_VARINT_BYTES);
    this.length = putUint(this.bytes, this.length, value);
  }

  /** A signed safe integer (zigzag: small magnitudes stay small). */
  int(value: number): void {
    this.reserve(MAX_VARINT_BYTES);
    this.length = putInt(this.bytes, this.length, value);
  }

  f64(value: number): void {
    this.reserve(8);
    new DataView(this.bytes.buffer, this.bytes.byteOffset).setFloat64(this.length, value, true);
    this.length += 8;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** The bytes written, as a view (valid until the next write). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}

/** Reads what a ByteWriter wrote; throws a plain Error at a truncated or malformed value (callers name the key). */
export class ByteReader {
  offset: number;

  constructor(readonly bytes: Uint8Array, offset = 0, readonly end = bytes.length) {
    this.offset = offset;
  }

  get done(): boolean {
    return this.offset >= this.end;
  }

  byte(): number {
    if (this.offset >= this.end) throw new Error(`value ends at byte ${this.offset}`);
    return this.bytes[this.offset++];
  }

  uint(): number {
    const b = this.bytes;
    const end = this.end;
    let n = this.offset;
    // The first four bytes (values below 2^28: nearly every field) in int32 arithmetic, the rest
    // in float64, which holds every safe integer.
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (n >= end) throw new Error(`varint runs past the end at byte ${n}`);
      const byte = b[n++];
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.offset = n;
        return result;
      }
    }
    for (let scale = TWO_28, i = 4; i < 8; i++, scale *= 128) {
      if (n >= end) throw new Error(`varint runs past the end at byte ${n}`);
      const byte = b[n++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.offset = n;
        return result;
      }
    }
    throw new Error(`varint longer than 8 bytes at byte ${this.offset}`);
  }

  /** Passes over `count` varints without decoding them: each ends at its first byte below 0x80. */
  skip(count: number): void {
    const b = this.bytes;
    const end = this.end;
    let n = this.offset;
    for (; count > 0; count--) {
      do {
        if (n >= end) throw new Error(`varint runs past the end at byte ${n}`);
      } while (b[n++] >= 0x80);
    }
    this.offset = n;
  }

  int(): number {
    const start = this.offset;
    const z = this.uint();
    // Zigzag undone in int32 arithmetic below 2^31; above, `z % 2` is a float64 remainder, a call.
    if (z < 0x8000_0000) return (z >>> 1) ^ -(z & 1);
    if (z >= TWO_53) return this.largeInt(start);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /**
   * A zigzagged value past 2^53 (a difference of more than 2^52 either way), which uint() could
   * only round: undone from its low 7 bits and the rest, each exact (putLargeNegative).
   */
  private largeInt(start: number): number {
    const b = this.bytes;
    const low = b[start] & 0x7f;
    let rest = 0;
    for (let n = this.offset - 1; n > start; n--) rest = rest * 128 + (b[n] & 0x7f);
    const half = rest * 64 + (low >> 1);
    return (low & 1) === 1 ? -(half + 1) : half;
  }

  f64(): number {
    if (this.offset + 8 > this.end) throw new Error(`float64 runs past the end at byte ${this.offset}`);
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset).getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  raw(length: number): Uint8Array {
    if (this.offset + length > this.end) throw new Error(`${length} bytes run past the end at byte ${this.offset}`);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
}
