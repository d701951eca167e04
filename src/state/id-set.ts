// A set of safe integers (order ids, traders) for one commit's worth of events: open addressing
// in typed arrays, emptied in O(1) by moving to a new generation, iterated in insertion order.
// The index deriver asks "seen in this commit?" for every event; a Set<number> cost it more than
// writing the index entry itself.
export class IdSet {
  private keys: Float64Array;
  private stamps: Uint32Array;
  private generation = 1;
  private mask: number;
  /** The members, in the order they were added. */
  items: Float64Array;
  size = 0;

  constructor(capacity = 1024) {
    const slots = 1 << Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.keys = new Float64Array(slots);
    this.stamps = new Uint32Array(slots);
    this.mask = slots - 1;
    this.items = new Float64Array(slots >>> 1);
  }

  clear(): void {
    this.size = 0;
    if (++this.generation === 0xffffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  /** Adds `id`; false when it was already there. */
  add(id: number): boolean {
    const mask = this.mask;
    // Fibonacci hashing of the low 32 bits, the high ones folded in (ids above 2^32 are rare).
    let i = Math.imul((id >>> 0) ^ ((id / 0x1_0000_0000) | 0), 0x9e3779b1) >>> 0 & mask;
    for (;;) {
      if (this.stamps[i] !== this.generation) break;
      if (this.keys[i] === id) return false;
      i = (i + 1) & mask;
    }
    this.stamps[i] = this.generation;
    this.keys[i] = id;
    this.items[this.size++] = id;
    if (this.size * 2 > mask) this.grow();
    return true;
  }

  private grow(): void {
    const items = this.items.subarray(0, this.size);
    const slots = (this.mask + 1) * 2;
    this.keys = new Float64Array(slots);
    this.stamps = new Uint32Array(slots);
    this.mask = slots - 1;
    const old = items.slice();
    this.items = new Float64Array(slots >>> 1);
    this.size = 0;
    this.generation = 1;
    for (const id of old) this.add(id);
  }
}
