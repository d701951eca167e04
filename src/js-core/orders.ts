// The resting-order record (mirrors assembly/orders.ts): one slot per order in parallel typed
// arrays (struct of arrays), so the matching loop touches remaining/trader/next of consecutive
// makers and nothing else. Slots are recycled through a free list threaded through `next`; the
// arrays grow by doubling and never shrink, so steady-state flow allocates nothing.
//
// Growth differs from the WASM core's, which has nothing to copy: its records sit in 64 KiB pool
// chunks that never move, and memory.grow extends its memory in place. A doubled typed array is
// a copy, so this pool readies the next arrays while it fills the second half of these
// (Successors, typed-arrays.ts): the growth copies into pages already faulted in instead of
// faulting in every page of the new arrays inside the command that filled the pool. And it hands
// them over one at a time in the last sixteenth before full (handOver), each copy a command of its
// own (8 MB at most at a million orders) where copying all eight at once took 45 MB and 5-9 ms.
import { No } from './codes.js';
import { Successors } from './typed-arrays.js';


/** The owner flag of a leg of an OCO pair whose other leg is still there (the pair's ids are N, N + 1). */
export const OCO_LEG = 4;

export function orderStp(orders: Orders, order: number): number {
  return orders.stp[order] & 3;
}
export function orderIsOcoLeg(orders: Orders, order: number): boolean {
  return (orders.stp[order] & OCO_LEG) !== 0;
}
export function clearOrderOcoLeg(orders: Orders, order: number): void {
  orders.stp[order] &= ~OCO_LEG;
}
export function orderIsPending(orders: Orders, order: number): boolean {
  return orders.level[order] === No.SLOT;
}

export class Orders {
  id: Float64Array;
  remaining: Float64Array;
  /** Of the command that placed (or last re-entered) the order. */
  timestamp: Float64Array;
  trader: Float64Array;
  /** The order's level (levels.ts); No.SLOT for a pending stop (pending.ts), whose `next` holds its stop part. */
  level: Int32Array;
  /** Queue links within the level, oldest first; `next` also threads the free list. */
  next: Int32Array;
  prev: Int32Array;
  /** stp | OCO_LEG */
  stp: Uint8Array;

  /** The least of the arrays' lengths: some are handed over to their successors ahead of a growth (handOver). */
  capacity: number;
  /** Slots in use. */
  live = 0;
  /** Slots ever handed out; those below it and not live are on the free list. */
  private highWater = 0;
  private freeHead = No.SLOT;
  /** The next arrays, readied while the pool fills the second half of these (typed-arrays.ts). */
  private readonly successors = new Successors(8);

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(16, initialCapacity);
    this.capacity = capacity;
    this.id = new Float64Array(capacity);
    this.remaining = new Float64Array(capacity);
    this.timestamp = new Float64Array(capacity);
    this.trader = new Float64Array(capacity);
    this.level = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.stp = new Uint8Array(capacity);
  }

  /** A free slot; its fields hold garbage until the caller writes them. May replace the arrays. */
  takeOrder(): number {
    this.live++;
    const slot = this.freeHead;
    if (slot !== No.SLOT) {
      this.freeHead = this.next[slot];
      return slot;
    }
    return this.takeFreshOrder();
  }

  /**
   * A slot never used yet, the arrays grown if full: a call of its own, so that the resting path,
   * where V8 inlines takeOrder, is charged only for the free list (bench/README.md, stop 49).
   */
  private takeFreshOrder(): number {
    const used = this.highWater;
    if (used === this.capacity) this.grow(this.capacity * 2);
    else if (Successors.due(used, this.capacity)) this.readySuccessors(used);
    return this.highWater++;
  }

  private readySuccessors(used: number): void {
    const successors = this.successors;
    successors.begin(used, this.capacity);
    successors.ready(0, this.id);
    successors.ready(1, this.remaining);
    successors.ready(2, this.timestamp);
    successors.ready(3, this.trader);
    successors.ready(4, this.level);
    successors.ready(5, this.next);
    successors.ready(6, this.prev);
    successors.ready(7, this.stp);
    const j = successors.handOverDue(used, this.capacity);
    if (j !== -1) this.handOver(j, used);
  }

  /** Array `j` replaced by its successor ahead of the growth, with the `used` slots handed out so far. */
  private handOver(j: number, used: number): void {
    const successors = this.successors;
    const length = this.capacity * 2;
    switch (j) {
      case 0: this.id = successors.grownFloat64(0, this.id, length, used); break;
      case 1: this.remaining = successors.grownFloat64(1, this.remaining, length, used); break;
      case 2: this.timestamp = successors.grownFloat64(2, this.timestamp, length, used); break;
      case 3: this.trader = successors.grownFloat64(3, this.trader, length, used); break;
      case 4: this.level = successors.grownInt32(4, this.level, length, used); break;
      case 5: this.next = successors.grownInt32(5, this.next, length, used); break;
      case 6: this.prev = successors.grownInt32(6, this.prev, length, used); break;
      default: this.stp = successors.grownUint8(7, this.stp, length, used);
    }
  }

  /** Empties the pool, keeping its arrays: a restore into a core as large allocates nothing. */
  clear(): this {
    this.live = 0;
    this.highWater = 0;
    this.freeHead = No.SLOT;
    return this;
  }

  giveOrder(slot: number): void {
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
    this.live--;
  }

  bytes(): number {
    return this.id.byteLength + this.remaining.byteLength + this.timestamp.byteLength + this.trader.byteLength
      + this.level.byteLength + this.next.byteLength + this.prev.byteLength + this.stp.byteLength + this.successors.bytes();
  }

  /** The arrays not handed over yet (handOver) grown into their successors, the `used` slots copied. */
  private grow(capacity: number): void {
    const successors = this.successors;
    const used = this.highWater;
    if (this.id.length < capacity) this.id = successors.grownFloat64(0, this.id, capacity, used);
    if (this.remaining.length < capacity) this.remaining = successors.grownFloat64(1, this.remaining, capacity, used);
    if (this.timestamp.length < capacity) this.timestamp = successors.grownFloat64(2, this.timestamp, capacity, used);
    if (this.trader.length < capacity) this.trader = successors.grownFloat64(3, this.trader, capacity, used);
    if (this.level.length < capacity) this.level = successors.grownInt32(4, this.level, capacity, used);
    if (this.next.length < capacity) this.next = successors.grownInt32(5, this.next, capacity, used);
    if (this.prev.length < capacity) this.prev = successors.grownInt32(6, this.prev, capacity, used);
    if (this.stp.length < capacity) this.stp = successors.grownUint8(7, this.stp, capacity, used);
    this.capacity = capacity;
  }
}
