// The resting-order record (mirrors assembly/orders.ts): one slot per order in parallel typed
// arrays (struct of arrays), so the matching loop touches remaining/trader/next of consecutive
// makers and nothing else. Slots are recycled through a free list threaded through `next`; the
// arrays grow by doubling and never shrink, so steady-state flow allocates nothing.
import { No } from './codes.js';
import { growFloat64, growInt32, growUint8 } from './typed-arrays.js';


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

  capacity: number;
  /** Slots in use. */
  live = 0;
  /** Slots ever handed out; those below it and not live are on the free list. */
  private highWater = 0;
  private freeHead = No.SLOT;

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
    if (this.highWater === this.capacity) this.grow(this.capacity * 2);
    return this.highWater++;
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
    return this.capacity * (8 * 4 + 4 * 3 + 1);
  }

  private grow(capacity: number): void {
    this.id = growFloat64(this.id, capacity);
    this.remaining = growFloat64(this.remaining, capacity);
    this.timestamp = growFloat64(this.timestamp, capacity);
    this.trader = growFloat64(this.trader, capacity);
    this.level = growInt32(this.level, capacity);
    this.next = growInt32(this.next, capacity);
    this.prev = growInt32(this.prev, capacity);
    this.stp = growUint8(this.stp, capacity);
    this.capacity = capacity;
  }
}
