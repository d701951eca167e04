// Growth of the typed arrays behind every pool: a larger copy, the old contents first
// (length is always at least the old length). A small pool's arrays are allocated at the growth;
// a pool that grows large readies them ahead (Successors).

/**
 * Arrays from this size on are made over a SharedArrayBuffer. V8 counts an ArrayBuffer's bytes
 * as external memory and a SharedArrayBuffer's not (nor the WASM core's shared memory): each
 * 64 MB that counted memory grew by since the last full collection, the allocation crossing the
 * mark started incremental marking, with scavenges and a mark-compact that freed the arrays a
 * growth dropped in the commands after, 4-9 ms on this 2-vCPU VM: the JS core's slowest batches
 * while a book grew (bench/README.md, "The JS core's growth pauses under 10x (stop 65)"). Same
 * elements kind, same hidden class: the matching loop runs the same code on either. The price:
 * V8 does not hurry to collect a dropped one, so a grown pool's old arrays are given back at the
 * next full collection the JS heap sets off, and their pages are not reused before.
 */
const SHARED_FROM_BYTES = 1 << 20;

export function float64Array(length: number): Float64Array {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  return bytes >= SHARED_FROM_BYTES ? new Float64Array(new SharedArrayBuffer(bytes)) : new Float64Array(length);
}

export function int32Array(length: number): Int32Array {
  const bytes = length * Int32Array.BYTES_PER_ELEMENT;
  return bytes >= SHARED_FROM_BYTES ? new Int32Array(new SharedArrayBuffer(bytes)) : new Int32Array(length);
}

export function uint8Array(length: number): Uint8Array {
  return length >= SHARED_FROM_BYTES ? new Uint8Array(new SharedArrayBuffer(length)) : new Uint8Array(length);
}

export function growFloat64(old: Float64Array, length: number): Float64Array {
  const next = float64Array(length);
  next.set(old);
  return next;
}

export function growInt32(old: Int32Array, length: number): Int32Array {
  const next = int32Array(length);
  next.set(old);
  return next;
}

export function growUint8(old: Uint8Array, length: number): Uint8Array {
  const next = uint8Array(length);
  next.set(old);
  return next;
}

export type PoolArray = Float64Array | Int32Array | Uint8Array;

/** The OS faults memory in a page at a time: one write in each page readies all of it. */
const PAGE_BYTES = 4096;

/**
 * Faults in the pages of a fresh (all-zero) array that its elements [from, to) reach, by writing
 * the zero already there at each page's start: ranges that follow one another touch each page
 * once. A write a page, where fill() wrote every element, and over a SharedArrayBuffer (float64Array)
 * fill() stores element by element rather than with memset.
 */
export function touchPages(array: PoolArray, from: number, to: number): void {
  const stride = PAGE_BYTES / array.BYTES_PER_ELEMENT;
  for (let i = Math.ceil(from / stride) * stride; i < to; i += stride) array[i] = 0;
}

/**
 * Slots between two steps of the readying: small enough that a step faults in a page or two
 * of each successor at most (STEP_SLOTS * 2 elements of 8 bytes, and the catch-up of one allocated
 * a few steps late), large enough to keep the steps off
 * the resting path's cost.
 */
const STEP_SLOTS = 64;

/**
 * The last STAGGER_SHARE-th of a pool's capacity is where a pool that staggers its growth hands
 * its arrays over one at a time (handOverDue); the successors are faulted in by its start. Not
 * the last eighth: at a million orders the order index takes its next table (48 MB) at 7/8 of
 * its growth point, 917,504 orders, which is 7/8 of the order pool's capacity too.
 */
const STAGGER_SHARE = 16;

/**
 * A large pool's next arrays, each twice as long as the one it follows, allocated and faulted in
 * a bounded step at a time while the pool fills the second half of its capacity. The growth is
 * then a copy into memory already there, where an array allocated at the growth had the copy
 * fault in every page of it at once, inside one command (160-210 ms for the order arrays alone at
 * a million: this VM charges 20-67 us for a page touched the first time). The pages cost the same,
 * spread over the fills that come before.
 *
 * Two more things kept a growth's command long (bench/README.md, "The JS core's growth pause
 * (stop 62)"). The copy itself: 5-9 ms for the orders' 45 MB at a million in one command, so a
 * pool may hand its arrays over one at a time in the last stretch before it is full (handOverDue,
 * orders.ts), copying only the slots handed out so far; the pool's capacity is then the least of
 * its arrays' lengths. And the collector: V8 counts ArrayBuffer bytes as external memory, and
 * the successors of the next growth, all allocated in the steps right after a growth, set off
 * scavenges and a mark-compact for "external memory pressure" inside the growth's command; so
 * each successor is allocated at its own point of the first half of the readying, and faulted in
 * over the rest of it.
 *
 * Not resizable ArrayBuffers, which grow in place with no copy: a typed array over one is another
 * elements kind in V8 11.3, whose loads check the buffer's length, and the JS core ran 0.86-0.89x
 * as fast with its orders on them (bench/core-ab.ts, steady and growing, fixed-length and
 * length-tracking views alike).
 */
export class Successors {
  private readonly arrays: (PoolArray | null)[];
  /** Per successor, the elements whose pages are faulted in: those below this. */
  private readonly faulted: number[];
  // This step's progress through the readying, from 0 (half full) to 1 (STAGGER_SHARE-th short of
  // full), as the fraction shareOf / shareIn: whole numbers, as a fraction would change the
  // field's representation, and with it the object's hidden class, at the first step
  // (small-integer.ts).
  private shareOf = 0;
  private shareIn = 1;
  /** Whether this step allocated a successor: one a step, so that no step allocates them all. */
  private allocated = false;
  /** Arrays handed over to their successors, in order, since the pool's capacity was `capacity`. */
  private handedOver = 0;
  private capacity = 0;

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
    // (used + 1 - capacity / 2) / (capacity / 2 - capacity / STAGGER_SHARE), in whole numbers.
    this.shareOf = ((used + 1) * 2 - capacity) * STAGGER_SHARE;
    this.shareIn = capacity * (STAGGER_SHARE - 2);
    this.allocated = false;
    if (capacity !== this.capacity) {
      // The pool grew: its next growth hands its arrays over from the first again.
      this.capacity = capacity;
      this.handedOver = 0;
    }
  }

  /**
   * Readies the successor of the pool's array `j` one step further: allocated once the readying
   * is (j + 1) / (2 * count) of the way, so that the successors' allocations land in commands of
   * their own, and faulted in from there to the end of the readying.
   */
  ready(j: number, array: PoolArray): void {
    if (j < this.handedOver) return;
    const span = 2 * this.arrays.length;
    const progress = this.shareOf * span - (j + 1) * this.shareIn;
    if (progress < 0) return;
    let next = this.arrays[j];
    if (next === null) {
      if (this.allocated) return;
      this.allocated = true;
      next = doubled(array);
      this.arrays[j] = next;
    }
    const end = Math.min(array.length, Math.ceil((progress * array.length) / ((span - j - 1) * this.shareIn)));
    if (end <= this.faulted[j]) return;
    touchPages(next, this.faulted[j], end);
    this.faulted[j] = end;
  }

  /**
   * The array a staggering pool with `used` of its `capacity` slots hands over at this step (due),
   * or -1: array j from used = capacity * (1 - (count - j) / (count * STAGGER_SHARE)), one a step,
   * so that each copy lands in a command of its own. Those left at the growth are copied there.
   */
  handOverDue(used: number, capacity: number): number {
    const j = this.handedOver;
    const count = this.arrays.length;
    if (j === count) return -1;
    return used * count * STAGGER_SHARE >= capacity * (count * STAGGER_SHARE - count + j) ? j : -1;
  }

  // The grown array j: its successor if readied at `length`, with the array's first `used`
  // elements (the slots handed out: the rest hold garbage until taken).
  grownFloat64(j: number, array: Float64Array, length: number, used = array.length): Float64Array {
    const next = this.take(j, length);
    const grown = next instanceof Float64Array ? next : float64Array(length);
    grown.set(used === array.length ? array : array.subarray(0, used));
    return grown;
  }

  grownInt32(j: number, array: Int32Array, length: number, used = array.length): Int32Array {
    const next = this.take(j, length);
    const grown = next instanceof Int32Array ? next : int32Array(length);
    grown.set(used === array.length ? array : array.subarray(0, used));
    return grown;
  }

  grownUint8(j: number, array: Uint8Array, length: number, used = array.length): Uint8Array {
    const next = this.take(j, length);
    const grown = next instanceof Uint8Array ? next : uint8Array(length);
    grown.set(used === array.length ? array : array.subarray(0, used));
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
    if (j === this.handedOver) this.handedOver++;
    return next !== null && next.length === length ? next : null;
  }
}

function doubled(array: PoolArray): PoolArray {
  if (array instanceof Float64Array) return float64Array(array.length * 2);
  if (array instanceof Int32Array) return int32Array(array.length * 2);
  return uint8Array(array.length * 2);
}
