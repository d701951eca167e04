// Every price level of every book, one slot each, in parallel typed arrays. A level is an
// intrusive FIFO of order slots (head oldest) plus the aggregates that depth queries and the
// fill-or-kill dry run read without walking the queue.
import { NIL } from './order-pool.js';
import { growFloat64, growInt32 } from './typed-arrays.js';

export class LevelPool {
  price: Float64Array;
  /** Sum of the remaining sizes of the level's orders. */
  size: Float64Array;
  head: Int32Array;
  tail: Int32Array;
  orderCount: Int32Array;
  /** book * 2 + side: which queue of which book the level belongs to. */
  bookSide: Int32Array;

  capacity: number;
  live = 0;
  private highWater = 0;
  private freeHead = NIL;

  constructor(initialCapacity = 256) {
    const capacity = Math.max(16, initialCapacity);
    this.capacity = capacity;
    this.price = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.head = new Int32Array(capacity);
    this.tail = new Int32Array(capacity);
    this.orderCount = new Int32Array(capacity);
    this.bookSide = new Int32Array(capacity);
  }

  /** An empty level at `price` in queue `bookSide`. May replace the arrays. */
  alloc(bookSide: number, price: number): number {
    this.live++;
    let slot = this.freeHead;
    if (slot !== NIL) {
      this.freeHead = this.head[slot];
    } else {
      if (this.highWater === this.capacity) this.grow(this.capacity * 2);
      slot = this.highWater++;
    }
    this.price[slot] = price;
    this.size[slot] = 0;
    this.head[slot] = NIL;
    this.tail[slot] = NIL;
    this.orderCount[slot] = 0;
    this.bookSide[slot] = bookSide;
    return slot;
  }

  free(slot: number): void {
    this.head[slot] = this.freeHead;
    this.freeHead = slot;
    this.live--;
  }

  bytes(): number {
    return this.capacity * (8 * 2 + 4 * 4);
  }

  private grow(capacity: number): void {
    this.price = growFloat64(this.price, capacity);
    this.size = growFloat64(this.size, capacity);
    this.head = growInt32(this.head, capacity);
    this.tail = growInt32(this.tail, capacity);
    this.orderCount = growInt32(this.orderCount, capacity);
    this.bookSide = growInt32(this.bookSide, capacity);
    this.capacity = capacity;
  }
}
