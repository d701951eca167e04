// A sorted map of byte keys, the in-memory store's table (memory-store.ts). Keys sort bytewise,
// as RocksDB sorts them.
//
// lobcore's keys are a prefix byte and big-endian integers (keys.ts), so each key is also kept as
// four numbers: its first byte and the next three 8-byte fields read as integers, zero-padded.
// Comparing those numbers orders keys exactly as comparing their bytes does whenever they differ
// (rounding a field above 2^53 to a float never reverses an order), and equal numbers fall back
// to the bytes; so a lookup costs a handful of number comparisons instead of a byte loop per step.
// Entries live in chunks of up to 2 x CHUNK, each sorted, chunks in key order: a lookup is two
// binary searches, an insert shifts at most one chunk. The first search runs over a directory
// holding each chunk's first key's numbers side by side in one array: searched through the chunk
// objects themselves, each of its ~13 steps at a million entries missed the cache twice (the
// chunk, then its numbers), and a put cost about 2 us.
//
// An entry may also be put by its numbers alone (setNumeric): a key made of the prefix byte and
// up to three u64 fields, and a value that is one number, both turned into bytes only when read.
// The in-memory store puts every index entry this way (memory-store.ts): the index writes most of
// its keys, and allocating two small byte arrays for each of them cost more in garbage collection
// than the map itself.

import { writeU64BE } from './u64.mjs';

/** Entries a chunk is split back to; small enough that shifting one on insert is cheap. */
const CHUNK = 128;
/** Numbers kept per key. */
const N = 4;

/** A key as stored: its bytes, or (put by its numbers) how many u64 fields follow its prefix byte. */
type StoredKey = Uint8Array | number;
/** A value as stored: its bytes, or the number the map's valueOf turns into them when read. */
type StoredValue = Uint8Array | number;

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/** The 8 bytes of `key` from `at` as an integer, missing bytes as zeros (exact below 2^53). */
function fieldAt(key: Uint8Array, at: number): number {
  let high = 0;
  let low = 0;
  for (let i = 0; i < 4; i++) high = high * 256 + (at + i < key.length ? key[at + i] : 0);
  for (let i = 4; i < 8; i++) low = low * 256 + (at + i < key.length ? key[at + i] : 0);
  return high * 0x1_0000_0000 + low;
}

/** Writes the numbers of `key` at out[at..at + N). An empty key sorts before every other. */
function numbersOf(key: Uint8Array, out: Float64Array, at: number): void {
  out[at] = key.length === 0 ? -1 : key[0];
  out[at + 1] = fieldAt(key, 1);
  out[at + 2] = fieldAt(key, 9);
  out[at + 3] = fieldAt(key, 17);
}

/** The bytes of a key put by its numbers: the prefix byte, then `fields` big-endian u64s. */
function keyBytes(nums: Float64Array, at: number, fields: number): Uint8Array {
  const key = new Uint8Array(1 + fields * 8);
  key[0] = nums[at];
  for (let f = 0; f < fields; f++) writeU64BE(key, 1 + f * 8, nums[at + 1 + f]);
  return key;
}

class Chunk {
  keys: StoredKey[] = [];
  values: StoredValue[] = [];
  nums = new Float64Array(2 * CHUNK * N + N);

  get size(): number {
    return this.keys.length;
  }

  /**
   * key vs entry i, given the key's numbers at probe[0..N) and its stored form. Equal numbers
   * decide by length when both keys are put by numbers (their numbers are exact and cover them);
   * otherwise by bytes, since a field past 2^53 rounds and a key may be longer than its numbers.
   */
  compare(probe: Float64Array, key: StoredKey, i: number): number {
    const nums = this.nums;
    const o = i * N;
    for (let k = 0; k < N; k++) {
      if (probe[k] !== nums[o + k]) return probe[k] < nums[o + k] ? -1 : 1;
    }
    const stored = this.keys[i];
    if (typeof key === 'number' && typeof stored === 'number') return key - stored;
    return compareBytes(typeof key === 'number' ? keyBytes(probe, 0, key) : key, this.keyAt(i));
  }

  /** Entry i's key bytes (made once from its numbers, if it was put by them). */
  keyAt(i: number): Uint8Array {
    const key = this.keys[i];
    if (typeof key !== 'number') return key;
    const bytes = keyBytes(this.nums, i * N, key);
    this.keys[i] = bytes;
    return bytes;
  }

  /** The first entry >= key (or > key with `after`). */
  search(probe: Float64Array, key: StoredKey, after: boolean): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compare(probe, key, mid);
      if (c > 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(at: number, key: StoredKey, value: StoredValue, probe: Float64Array): void {
    const size = this.keys.length;
    this.nums.copyWithin((at + 1) * N, at * N, size * N);
    this.nums.set(probe, at * N);
    // Shifted by hand: splice allocates an array for what it removes, even when that is nothing.
    const keys = this.keys;
    const values = this.values;
    keys.push(key);
    values.push(value);
    for (let j = size; j > at; j--) {
      keys[j] = keys[j - 1];
      values[j] = values[j - 1];
    }
    keys[at] = key;
    values[at] = value;
  }

  remove(at: number): void {
    const size = this.keys.length;
    this.nums.copyWithin(at * N, (at + 1) * N, size * N);
    const keys = this.keys;
    const values = this.values;
    for (let j = at; j < size - 1; j++) {
      keys[j] = keys[j + 1];
      values[j] = values[j + 1];
    }
    keys.pop();
    values.pop();
  }

  /** Moves the entries from `from` on into a new chunk. */
  splitAt(from: number): Chunk {
    const upper = new Chunk();
    upper.keys = this.keys.splice(from);
    upper.values = this.values.splice(from);
    upper.nums.set(this.nums.subarray(from * N, (from + upper.keys.length) * N));
    return upper;
  }
}

export interface ByteRange {
  gte?: Uint8Array;
  gt?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

export class SortedBytesMap {
  private chunks: Chunk[] = [new Chunk()];
  /** The numbers of each chunk's first key, chunk c's at [c * N, c * N + N). */
  private firsts = new Float64Array(64 * N);
  private readonly probe = new Float64Array(N);
  size = 0;

  /** valueOf: the bytes of a value put as a number (setNumeric). */
  constructor(private readonly valueOf: (value: number) => Uint8Array = () => new Uint8Array(0)) {}

  set(key: Uint8Array, value: Uint8Array): void {
    this.put(this.probeOf(key), key, value);
  }

  /**
   * Puts the key made of `prefix` and the first `fields` of (a, b, c) as big-endian u64s (safe
   * integers), with a value that is one number: both become bytes only if they are read.
   */
  setNumeric(prefix: number, fields: number, a: number, b: number, c: number, value: number): void {
    this.put(this.numericProbe(prefix, fields, a, b, c), fields, value);
  }

  /** Deletes the key setNumeric(prefix, fields, a, b, c) would put. */
  deleteNumeric(prefix: number, fields: number, a: number, b: number, c: number): void {
    this.remove(this.numericProbe(prefix, fields, a, b, c), fields);
  }

  private put(probe: Float64Array, key: StoredKey, value: StoredValue): void {
    const c = this.chunkFor(probe, key);
    const chunk = this.chunks[c];
    const at = chunk.search(probe, key, false);
    if (at < chunk.size && chunk.compare(probe, key, at) === 0) {
      chunk.values[at] = value;
      return;
    }
    chunk.insert(at, key, value, probe);
    this.size++;
    if (at === 0) this.noteFirst(c);
    if (chunk.size > 2 * CHUNK) {
      this.chunks.splice(c + 1, 0, chunk.splitAt(CHUNK));
      this.openDirectoryEntry(c + 1);
    }
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const probe = this.probeOf(key);
    const chunk = this.chunks[this.chunkFor(probe, key)];
    const at = chunk.search(probe, key, false);
    return at < chunk.size && chunk.compare(probe, key, at) === 0 ? this.valueAt(chunk, at) : undefined;
  }

  delete(key: Uint8Array): void {
    this.remove(this.probeOf(key), key);
  }

  private remove(probe: Float64Array, key: StoredKey): void {
    const c = this.chunkFor(probe, key);
    const chunk = this.chunks[c];
    const at = chunk.search(probe, key, false);
    if (at >= chunk.size || chunk.compare(probe, key, at) !== 0) return;
    chunk.remove(at);
    this.size--;
    if (chunk.size === 0 && this.chunks.length > 1) {
      this.chunks.splice(c, 1);
      this.firsts.copyWithin(c * N, (c + 1) * N, (this.chunks.length + 1) * N);
    } else if (at === 0) {
      this.noteFirst(c);
    }
  }

  /** Chunk c's first key changed: copies its numbers into the directory. */
  private noteFirst(c: number): void {
    this.firsts.set(this.chunks[c].nums.subarray(0, N), c * N);
  }

  /** A chunk was inserted at c: shifts the directory up one entry and notes it. */
  private openDirectoryEntry(c: number): void {
    const used = (this.chunks.length - 1) * N;
    if (used + N > this.firsts.length) {
      const grown = new Float64Array(this.firsts.length * 2);
      grown.set(this.firsts.subarray(0, used));
      this.firsts = grown;
    }
    this.firsts.copyWithin((c + 1) * N, c * N, used);
    this.noteFirst(c);
  }

  /** Entries in a range, in key order or reverse, up to `limit`. */
  range(range: ByteRange): Array<[Uint8Array, Uint8Array]> {
    const out: Array<[Uint8Array, Uint8Array]> = [];
    const limit = range.limit ?? Infinity;
    const low = range.gte ?? range.gt;
    const high = range.lt ?? range.lte;
    const lowProbe = low === undefined ? null : this.probeOf(low).slice();
    const highProbe = high === undefined ? null : this.probeOf(high).slice();
    // Positions as (chunk, index): the first entry inside the low bound, and the first past the high one.
    let [fc, fi] = lowProbe === null ? [0, 0] : this.position(lowProbe, low!, range.gt !== undefined);
    let [ec, ei] = highProbe === null ? [this.chunks.length, 0] : this.position(highProbe, high!, range.lte !== undefined);
    if (range.reverse !== true) {
      while ((fc < ec || (fc === ec && fi < ei)) && out.length < limit) {
        const chunk = this.chunks[fc];
        if (fi >= chunk.size) {
          fc++;
          fi = 0;
          continue;
        }
        out.push([chunk.keyAt(fi), this.valueAt(chunk, fi)]);
        fi++;
      }
    } else {
      while ((ec > fc || (ec === fc && ei > fi)) && out.length < limit) {
        if (ei === 0) {
          ec--;
          ei = this.chunks[ec].size;
          continue;
        }
        ei--;
        out.push([this.chunks[ec].keyAt(ei), this.valueAt(this.chunks[ec], ei)]);
      }
    }
    return out;
  }

  /** Where the first entry >= key (> key with `after`) is, as (chunk, index). */
  private position(probe: Float64Array, key: Uint8Array, after: boolean): [number, number] {
    const c = this.chunkFor(probe, key);
    const at = this.chunks[c].search(probe, key, after);
    return at >= this.chunks[c].size && c + 1 < this.chunks.length ? [c + 1, 0] : [c, at];
  }

  /** Entry i of a chunk's value bytes (made once from its number, if it was put as one). */
  private valueAt(chunk: Chunk, i: number): Uint8Array {
    const value = chunk.values[i];
    if (typeof value !== 'number') return value;
    const bytes = this.valueOf(value);
    chunk.values[i] = bytes;
    return bytes;
  }

  private probeOf(key: Uint8Array): Float64Array {
    numbersOf(key, this.probe, 0);
    return this.probe;
  }

  private numericProbe(prefix: number, fields: number, a: number, b: number, c: number): Float64Array {
    const probe = this.probe;
    probe[0] = prefix;
    probe[1] = fields > 0 ? a : 0;
    probe[2] = fields > 1 ? b : 0;
    probe[3] = fields > 2 ? c : 0;
    return probe;
  }

  /** The chunk whose range holds `key`: the last chunk whose first key is <= key. */
  private chunkFor(probe: Float64Array, key: StoredKey): number {
    const firsts = this.firsts;
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const o = mid * N;
      let k = 0;
      while (k < N && probe[k] === firsts[o + k]) k++;
      // Equal numbers: only the chunk's key itself can tell (its bytes, or its field count).
      const atOrAfter = k < N ? probe[k] > firsts[o + k] : this.chunks[mid].compare(probe, key, 0) >= 0;
      if (atOrAfter) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
