// Order id -> order slot, for O(1) cancel, reduce and modify by id (mirrors
// assembly/order-index.ts in role and in its Robin Hood probing; the tables differ: JS keeps each
// entry's id beside its slot, so distances come from the ids, where the WASM core packs a record
// pointer and a distance tag into 4 bytes, and JS homes are always hashed, see home(); so the
// WASM table starts at 16,384 slots to keep small books sparse, which did not pay here:
// docs/levels.md).
//
// Open addressing with Robin Hood linear probing, at most half full: an insert takes the place of
// any entry closer to its home than the insert is to its own, so a lookup stops as soon as it
// meets such an entry, and a deletion shifts the following entries back only until one sits at
// its home or a slot is empty. No tombstones, so probes stay short under the endless place/cancel
// churn of a book.
//
// Homes are a Fibonacci hash of the id. The identity (`id & mask`) this replaced kept new ids in
// neighbouring slots, but live ids then fill runs of consecutive slots, and long-lived ids hold
// runs that new ids probe through every time the id counter wraps the table: a deletion had to
// scan to the end of its run (51 slots on average on the sweep benchmark, which made it the JS
// core's largest cost), and on the LOBSTER flow an insert probed 6 slots. The multiplicative hash
// spreads any window of consecutive ids evenly, so no id pattern builds runs. Replaying each
// benchmark's index operations (instructions per operation, valgrind): steady 179 -> 144,
// sweep 1637 -> 137, lobster 237 -> 228.
import { No } from './codes.js';
import type { Orders } from './orders.js';

const enum Table {
  EMPTY = 0, // no order id is 0
  MIN_BUCKETS = 16,
  GOLDEN = 0x9e3779b1, // 2^32 / golden ratio, odd
}

export class OrderIndex {
  private ids: Float64Array;
  private slots: Int32Array;
  private mask: number;
  /** 32 - log2(buckets): a home is the top bits of the 32-bit product. */
  private shift: number;
  size = 0;
  /**
   * Where get() last found an id (as the WASM core's foundSlot): a cancel looks its order up,
   * then deletes it, and delete starts here when the id is still there, without a second probe.
   */
  private foundAt = 0;

  /** Room for `initialCapacity` ids at most half full. */
  constructor(initialCapacity = 1024) {
    let buckets = Table.MIN_BUCKETS;
    while (buckets < initialCapacity * 2) buckets *= 2;
    this.ids = new Float64Array(buckets);
    this.slots = new Int32Array(buckets);
    this.mask = buckets - 1;
    this.shift = 32 - Math.log2(buckets);
  }

  get(id: number): number {
    const ids = this.ids;
    const mask = this.mask;
    let i = this.home(id);
    for (let distance = 0; ; distance++) {
      const found = ids[i];
      if (found === id) {
        this.foundAt = i;
        return this.slots[i];
      }
      if (found === Table.EMPTY || this.distance(found, i) < distance) return No.SLOT;
      i = (i + 1) & mask;
    }
  }

  /** Adds an id that is not present. */
  add(id: number, slot: number): void {
    if ((this.size + 1) * 2 > this.ids.length) this.rebuild(this.ids.length * 2);
    // Most inserts find their home free: no probe loop.
    const i = this.home(id);
    if (this.ids[i] === Table.EMPTY) {
      this.ids[i] = id;
      this.slots[i] = slot;
    } else {
      this.place(id, slot);
    }
    this.size++;
  }

  /** Empties the table, keeping its arrays (only the ids say whether a bucket is taken). */
  clear(): this {
    this.ids.fill(Table.EMPTY);
    this.size = 0;
    this.foundAt = 0;
    return this;
  }

  /** Removes a present id. */
  delete(id: number): void {
    const ids = this.ids;
    const mask = this.mask;
    let hole = ids[this.foundAt] === id ? this.foundAt : this.home(id);
    while (ids[hole] !== id) hole = (hole + 1) & mask;
    const next = (hole + 1) & mask;
    const following = ids[next];
    // Nothing to shift back (the usual case): the next slot is empty or its entry is at home.
    if (following === Table.EMPTY || this.distance(following, next) === 0) ids[hole] = Table.EMPTY;
    else this.shiftBack(hole);
    this.size--;
  }

  bytes(): number {
    return this.ids.byteLength + this.slots.byteLength;
  }

  /** Math.imul reads the id's low 32 bits, exactly for ids below 2^53. */
  private home(id: number): number {
    return Math.imul(id, Table.GOLDEN) >>> this.shift;
  }

  /** How far the entry with this id, found at slot `at`, sits from its home. */
  private distance(id: number, at: number): number {
    return (at - this.home(id)) & this.mask;
  }

  /** Robin Hood insert of an id that is not present, into a table with room. */
  private place(id: number, slot: number): void {
    const ids = this.ids;
    const slots = this.slots;
    const mask = this.mask;
    let carriedId = id;
    let carriedSlot = slot;
    let i = this.home(id);
    for (let distance = 0; ; i = (i + 1) & mask, distance++) {
      const resident = ids[i];
      if (resident === Table.EMPTY) {
        ids[i] = carriedId;
        slots[i] = carriedSlot;
        return;
      }
      const residentDistance = this.distance(resident, i);
      if (residentDistance < distance) {
        const residentSlot = slots[i];
        ids[i] = carriedId;
        slots[i] = carriedSlot;
        carriedId = resident;
        carriedSlot = residentSlot;
        distance = residentDistance;
      }
    }
  }

  /** Backward-shift deletion: pulls each following entry that is away from home one slot back. */
  private shiftBack(hole: number): void {
    const ids = this.ids;
    const slots = this.slots;
    const mask = this.mask;
    for (;;) {
      const next = (hole + 1) & mask;
      const id = ids[next];
      if (id === Table.EMPTY || this.distance(id, next) === 0) break;
      ids[hole] = id;
      slots[hole] = slots[next];
      hole = next;
    }
    ids[hole] = Table.EMPTY;
  }

  private rebuild(buckets: number): void {
    const oldIds = this.ids;
    const oldSlots = this.slots;
    this.ids = new Float64Array(buckets);
    this.slots = new Int32Array(buckets);
    this.mask = buckets - 1;
    this.shift = 32 - Math.log2(buckets);
    for (let k = 0; k < oldIds.length; k++) {
      const id = oldIds[k];
      if (id !== Table.EMPTY) this.place(id, oldSlots[k]);
    }
  }
}

/**
 * A new order record with its fields set, entered in the index: how every order comes to rest,
 * new or restored.
 */
export function createIndexedOrder(
  orders: Orders, index: OrderIndex, id: number, remaining: number, timestamp: number, trader: number, stp: number,
): number {
  const order = orders.takeOrder();
  orders.id[order] = id;
  orders.remaining[order] = remaining;
  orders.timestamp[order] = timestamp;
  orders.trader[order] = trader;
  orders.stp[order] = stp;
  index.add(id, order);
  return order;
}
