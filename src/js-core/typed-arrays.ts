// Growth of the typed arrays behind every pool: a larger copy, the old contents first
// (length is always at least the old length). A small pool's arrays are allocated at the growth;
// a pool that grows large readies them ahead (Successors).

export function growFloat64(old: Float64Array, length: number): Float64Array {
  const next = new Float64Array(length);
  next.set(old);
  return next;
}

export function growInt32(old: Int32Array, length: number): Int32Array {
  const next = new Int32Array(length);
  next.set(old);
  return next;
}

export function growUint8(old: Uint8Array, length: number): Uint8Array {
  const next = new Uint8Array(length);
  next.set(old);
  return next;
}

type PoolArray = Float64Array | Int32Array | Uint8Array;

/** The OS faults memory in a page at a time: one write in each page readies all of it. */
const PAGE_BYTES = 4096;

/**
 * Slots between two steps of the readying: small enough that a step faults in a page or two
 * of each successor at most (STEP_SLOTS * 2 elements of 8 bytes, and the catch-up of one allocated
 * a few steps late), large enough to keep the steps off
 * the resting path's cost.
 */
const STEP_SLOTS = 64;

/**
 * A large pool's next arrays, each twice as long as the one it follows, allocated and faulted in
 * a bounded step at a time while the pool fills the second half of its capacity. The growth is
 * then a copy into memory already there (4 ms for the orders' 47 MB at a million), where an array
 * allocated at the growth had the copy fault in every page of it at once, inside one command
 * (160-210 ms for the order arrays alone at a million: this VM charges 20-67 us for a page touched
 * the first time). The pages cost the same, spread over the fills that come before.
 *
 * Not resizable ArrayBuffers, which grow in place with no copy: a typed array over one is another
 * elements kind in V8 11.3, whose loads check the buffer's length, and the JS core ran 0.86-0.89x
 * as fast with its orders on them (bench/core-ab.ts, steady and growing, fixed-length and
 * length-tracking views alike).
 */
export class Successors {
  private readonly arrays: (PoolArray | null)[];
  /** Per successor, the first element whose page is not yet faulted in. */
  private readonly faulted: number[];
  // This step's share of each array that its successor should have faulted in, from 0 to 1, as
  // the fraction shareOf / shareIn: whole numbers, as a fraction would change the field's
  // representation, and with it the object's hidden class, at the first step (small-integer.ts).
  private shareOf = 0;
  private shareIn = 1;
  /** Whether this step allocated a successor: one a step, so that no step allocates them all. */
  private allocated = false;

  constructor(count: number) {
    this.arrays = new Array<PoolArray | null>(count).fill(null);
    this.faulted = new Array<number>(count).fill(0);
  }

  /**
   * Whether a pool that has handed out `used` of its `capacity` slots takes a step: in its second
   * half, every STEP_SLOTS slots, since a step for every slot cost more than the pages it faulted.
   */
  static due(used: number, capacity: number): boolean {
    return (used & (STEP_SLOTS - 1)) === 0 && used * 2 >= capacity;
  }

  /** Starts a step: the pool has handed out `used` of its `capacity` slots (due). */
  begin(used: number, capacity: number): void {
    // (used + 1 - capacity / 2) / (capacity / 2): 1 at the last slot before the growth.
    this.shareOf = (used + 1) * 2 - capacity;
    this.shareIn = capacity;
    this.allocated = false;
  }

  /** Readies the successor of the pool's array `j` one step further. */
  ready(j: number, array: PoolArray): void {
    let next = this.arrays[j];
    if (next === null) {
      if (this.allocated) return;
      this.allocated = true;
      next = doubled(array);
      this.arrays[j] = next;
    }
    const end = Math.min(array.length, Math.ceil((this.shareOf * array.length) / this.shareIn));
    const stride = PAGE_BYTES / next.BYTES_PER_ELEMENT;
    let i = this.faulted[j];
    for (; i < end; i += stride) next[i] = 0;
    this.faulted[j] = i;
  }

  grownFloat64(j: number, array: Float64Array, length: number): Float64Array {
    const next = this.take(j, length);
    const grown = next instanceof Float64Array ? next : new Float64Array(length);
    grown.set(array);
    return grown;
  }

  grownInt32(j: number, array: Int32Array, length: number): Int32Array {
    const next = this.take(j, length);
    const grown = next instanceof Int32Array ? next : new Int32Array(length);
    grown.set(array);
    return grown;
  }

  grownUint8(j: number, array: Uint8Array, length: number): Uint8Array {
    const next = this.take(j, length);
    const grown = next instanceof Uint8Array ? next : new Uint8Array(length);
    grown.set(array);
    return grown;
  }

  /** Bytes of the successors allocated so far. */
  bytes(): number {
    let bytes = 0;
    for (const next of this.arrays) if (next !== null) bytes += next.byteLength;
    return bytes;
  }

  /** Successor `j` if it was readied at `length` (a growth may ask for other than double), no longer held here. */
  private take(j: number, length: number): PoolArray | null {
    const next = this.arrays[j];
    this.arrays[j] = null;
    this.faulted[j] = 0;
    return next !== null && next.length === length ? next : null;
  }
}

function doubled(array: PoolArray): PoolArray {
  if (array instanceof Float64Array) return new Float64Array(array.length * 2);
  if (array instanceof Int32Array) return new Int32Array(array.length * 2);
  return new Uint8Array(array.length * 2);
}
