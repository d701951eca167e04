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
//
// Growth doubles the table at half full, spread over the adds to the next growth point as in
// the WASM core (see its header; same names): from prepareAt each add zeroes a few bytes of
// the next table's fresh arrays (zeroBytes: its slots', then its ids', the ids' array taken only
// when the zeroing reaches it, so that the collector does not see both arrive in one command,
// which the WASM core's one region of its own memory has no need of), so their pages are first
// touched one every few hundred adds rather than all by the first adds after the growth; at growAt the next table
// becomes the current one and each add migrates migrationRate buckets of the old one, then on
// to the end of the run (migrateSome), emptying it a quarter of the way to the next growth.
// A rebuild in one go held the add that made it 355-404 ms at a million orders (stop 60), part
// of it the order arrays' own doubling (orders.ts). While migrating, a lookup that misses in
// the current table looks in the old one (swapTables), and delete looks in both.

import { No } from './codes.js';
import type { Orders } from './orders.js';
import { float64Array, int32Array, touchPages } from './typed-arrays.js';

const enum Table {
  EMPTY = 0, // no order id is 0
  MIN_BUCKETS = 16,
  GOLDEN = 0x9e3779b1, // 2^32 / golden ratio, odd
  /** Bytes a bucket takes: its id (8) and its slot (4). */
  BUCKET_BYTES = 12,
  /**
   * A growth spans the inserts from one growth point to the next: the old table is emptied in
   * the first GROWTH_SHARE-th of them, and the next table's pages are written in the last (as the
   * WASM core's).
   */
  GROWTH_SHARE = 4,
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
  /** The size past which an add grows the table: half its buckets. */
  private growAt = 0;
  /** The size past which the next table is made ready (prepareNextTable). */
  private prepareAt = 0;
  /** The size past which add leaves its fast path: prepareAt or growAt. */
  private checkAt = 0;
  /** Adds take a step of the growth: zeroing the next table's pages, or migrating. */
  private growing = false;
  private migrating = false;
  // While the table grows, the table it outgrew (see the header), exchanged with the current
  // one's fields (swapTables) to look up or delete in it.
  private oldIds: Float64Array = new Float64Array(0);
  private oldSlots: Int32Array = new Int32Array(0);
  private oldMask = 0;
  private oldShift = 0;
  /** The next old bucket to migrate, and how many are left to walk. */
  private migrationCursor = 0;
  private bucketsToMigrate = 0;
  /** Old buckets walked by each add (then on to the end of the run). */
  private migrationRate = 0;
  /** The most old entries one add has moved since the index was made (the tests read it; the WASM core's indexMostMigrated). */
  mostMigrated = 0;
  /** Next tables taken since the index was made (the tests read it: a restore keeps the one taken, see clear). */
  nextTablesTaken = 0;
  // The table the current one will grow into, while its pages are written ahead of the growth.
  private nextIds: Float64Array | null = null;
  private nextSlots: Int32Array = new Int32Array(0);
  /** The next table's bytes zeroed so far (ids, then slots), and how many each add zeroes. */
  private bytesZeroed = 0;
  private zeroRate = 0;

  /** Room for `initialCapacity` ids at most half full. */
  constructor(initialCapacity = 1024) {
    let buckets = Table.MIN_BUCKETS;
    while (buckets < initialCapacity * 2) buckets *= 2;
    this.ids = new Float64Array(buckets);
    this.slots = new Int32Array(buckets);
    this.mask = buckets - 1;
    this.shift = 32 - Math.log2(buckets);
    this.planGrowth();
  }

  get(id: number): number {
    const at = this.probe(id);
    if (at >= 0) {
      this.foundAt = at;
      return this.slots[at];
    }
    // Not in the current table: while it grows, the id may not have been migrated yet.
    return this.migrating ? this.getOld(id) : No.SLOT;
  }

  /** Adds an id that is not present. */
  add(id: number, slot: number): void {
    if (this.size + 1 > this.checkAt) this.reserveSlow();
    // Most inserts find their home free: no probe loop.
    const i = this.home(id);
    if (this.ids[i] === Table.EMPTY) {
      this.ids[i] = id;
      this.slots[i] = slot;
    } else {
      this.place(id, slot);
    }
    this.size++;
    if (this.growing) {
      if (this.migrating) this.migrateSome();
      else this.zeroBytes(this.zeroRate);
    }
  }

  /**
   * Empties the table, keeping its arrays (only the ids say whether a bucket is taken), and the
   * next table if one was taken, with the part of it already zeroed: nothing writes that table
   * but the zeroing, so it is still empty. A restore refills the table it empties; dropped here,
   * the next table was taken afresh by every restore past prepareAt (a book of 925,000 orders
   * restored into a table of 2^21 buckets) and its pages faulted in again, by the restore and
   * then by the calls after it, 816 faults in the 29,000 calls of the bench's growing pass.
   */
  clear(): this {
    if (this.migrating) this.freeOldTable();
    this.ids.fill(Table.EMPTY);
    this.size = 0;
    this.foundAt = 0;
    this.planGrowth();
    if (this.nextIds !== null) {
      this.checkAt = this.growAt;
      this.growing = this.bytesToZero() > 0;
    }
    return this;
  }

  /** Removes a present id. */
  delete(id: number): void {
    if (this.migrating) {
      this.deleteMigrating(id);
      return;
    }
    this.deleteAt(this.ids[this.foundAt] === id ? this.foundAt : this.home(id), id);
  }

  bytes(): number {
    return this.ids.byteLength + this.slots.byteLength + (this.migrating ? this.oldIds.byteLength + this.oldSlots.byteLength : 0)
      + (this.nextIds === null ? 0 : this.nextIds.byteLength + this.nextSlots.byteLength);
  }

  /** Math.imul reads the id's low 32 bits, exactly for ids below 2^53. */
  private home(id: number): number {
    return Math.imul(id, Table.GOLDEN) >>> this.shift;
  }

  /** How far the entry with this id, found at slot `at`, sits from its home. */
  private distance(id: number, at: number): number {
    return (at - this.home(id)) & this.mask;
  }

  /** The bucket holding this id in the current table, or -1. */
  private probe(id: number): number {
    const ids = this.ids;
    const mask = this.mask;
    let i = this.home(id);
    for (let distance = 0; ; distance++) {
      const found = ids[i];
      if (found === id) return i;
      if (found === Table.EMPTY || this.distance(found, i) < distance) return -1;
      i = (i + 1) & mask;
    }
  }

  private getOld(id: number): number {
    this.swapTables();
    const at = this.probe(id);
    const slot = at >= 0 ? this.slots[at] : No.SLOT;
    this.swapTables();
    return slot;
  }

  /** Removes `id`, present in the current table, searching from bucket `from`. */
  private deleteAt(from: number, id: number): void {
    const ids = this.ids;
    const mask = this.mask;
    let hole = from;
    while (ids[hole] !== id) hole = (hole + 1) & mask;
    const next = (hole + 1) & mask;
    const following = ids[next];
    // Nothing to shift back (the usual case): the next slot is empty or its entry is at home.
    if (following === Table.EMPTY || this.distance(following, next) === 0) ids[hole] = Table.EMPTY;
    else this.shiftBack(hole);
    this.size--;
  }

  /** Deletes from whichever table holds the id, starting where the probe found it (one probe, not two). */
  private deleteMigrating(id: number): void {
    const at = this.probe(id);
    if (at >= 0) {
      this.deleteAt(at, id);
      return;
    }
    this.swapTables();
    this.deleteAt(this.probe(id), id);
    this.swapTables();
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

  /** The growth points from the size now: growAt at half full, prepareAt the last GROWTH_SHARE-th of the way there. */
  private planGrowth(): void {
    this.growAt = this.ids.length / 2;
    const span = Math.max(this.growAt - this.size, 0);
    this.prepareAt = this.growAt - Math.floor(span / Table.GROWTH_SHARE);
    this.checkAt = this.prepareAt;
  }

  private reserveSlow(): void {
    if (this.size + 1 > this.growAt) this.grow();
    else if (this.nextIds === null) this.prepareNextTable(this.ids.length * 2);
  }

  private grow(): void {
    if (this.nextIds === null) this.prepareNextTable(this.ids.length * 2);
    // Normally done already, a few pages an add.
    this.zeroBytes(this.bytesToZero());
    this.startMigration();
  }

  /**
   * Takes the arrays of a table of `buckets`, whose pages adds then zero a few bytes at a time
   * (zeroBytes): a fresh page costs its first touch, and a growth that took them all at once,
   * or let new ids (hashed all over the table) take them, paused for it.
   */
  private prepareNextTable(buckets: number): void {
    if (this.migrating) {
      // Only when growth came early: finish the last migration in one go.
      this.migrationRate = this.bucketsToMigrate;
      this.migrateSome();
    }
    // The ids' array is taken when the zeroing reaches it (zeroBytes): both at once, 48 MB at a
    // million orders, set off the collector inside one command while V8 counted such arrays as
    // external memory (bench/README.md, stop 62; typed-arrays.ts says why it no longer does).
    this.nextSlots = int32Array(buckets);
    this.nextIds = new Float64Array(0);
    this.nextTablesTaken++;
    this.bytesZeroed = 0;
    const adds = Math.max(this.growAt - this.size, 1);
    // Whole buckets: an add zeroes a few dozen bytes, so a fresh page is first touched every
    // hundred adds or so rather than with each.
    this.zeroRate = Math.ceil(buckets / adds) * Table.BUCKET_BYTES;
    this.growing = true;
    this.checkAt = this.growAt;
  }

  private bytesToZero(): number {
    return this.nextIds === null ? 0 : this.nextSlots.length * Table.BUCKET_BYTES - this.bytesZeroed;
  }

  /**
   * Readies the next table's next `bytes`, its slots' array and then its ids' (taken there), from
   * bytesZeroed on, so that their pages are touched. Fresh arrays are all zero (Table.EMPTY) and
   * nothing else writes them before the growth, so a write a page is all the zeroing they need,
   * where the WASM core's table reuses memory and writes every byte.
   */
  private zeroBytes(bytes: number): void {
    const slots = this.nextSlots;
    const slotBytes = slots.byteLength;
    const from = this.bytesZeroed;
    const to = Math.min(from + bytes, slots.length * Table.BUCKET_BYTES);
    if (from < slotBytes) touchPages(slots, Math.floor(from / 4), Math.ceil(Math.min(to, slotBytes) / 4));
    if (to > slotBytes) {
      if (this.nextIds!.length !== slots.length) this.nextIds = float64Array(slots.length);
      touchPages(this.nextIds!, Math.floor(Math.max(from - slotBytes, 0) / 8), Math.ceil((to - slotBytes) / 8));
    }
    this.bytesZeroed = to;
    if (this.bytesToZero() === 0) this.growing = false;
  }

  private freeNextTable(): void {
    this.nextIds = null;
    this.nextSlots = new Int32Array(0);
    this.growing = this.migrating;
  }

  /**
   * Makes the next table, its pages written, the current one and starts moving the entries of
   * the one it replaces into it, add by add (migrateSome).
   */
  private startMigration(): void {
    this.swapTables();
    this.ids = this.nextIds!;
    this.slots = this.nextSlots;
    this.mask = this.ids.length - 1;
    this.shift = 32 - Math.log2(this.ids.length);
    this.freeNextTable();
    // The walk starts where a run starts (an empty bucket or an entry at its home), so that the
    // run it wraps round to at the end was never cut.
    let start = 0;
    for (;;) {
      const id = this.oldIds[start];
      if (id === Table.EMPTY || this.oldDistance(id, start) === 0) break;
      start++;
    }
    this.migrationCursor = start;
    this.bucketsToMigrate = this.oldIds.length;
    this.planGrowth();
    // Emptied within the first GROWTH_SHARE-th of the adds to the next growth.
    const adds = Math.max(Math.floor((this.growAt - this.size) / Table.GROWTH_SHARE), 1);
    this.migrationRate = Math.ceil(this.oldIds.length / adds);
    this.migrating = true;
    this.growing = true;
  }

  private oldDistance(id: number, at: number): number {
    return (at - (Math.imul(id, Table.GOLDEN) >>> this.oldShift)) & this.oldMask;
  }

  /**
   * Moves the old table's entries of the next migrationRate buckets, and of the rest of the run
   * the last of them is in, into the current table (as the WASM core's migrateSome: a run holds
   * every entry whose home is in it, and homes are monotonic in the hash).
   */
  private migrateSome(): void {
    const oldIds = this.oldIds;
    const oldSlots = this.oldSlots;
    const oldMask = this.oldMask;
    const ids = this.ids;
    let i = this.migrationCursor;
    let left = this.bucketsToMigrate;
    let budget = this.migrationRate;
    let moved = 0;
    while (left > 0) {
      const id = oldIds[i];
      if (id !== Table.EMPTY) {
        oldIds[i] = Table.EMPTY;
        const to = this.home(id);
        if (ids[to] === Table.EMPTY) {
          ids[to] = id;
          this.slots[to] = oldSlots[i];
        } else {
          this.place(id, oldSlots[i]);
        }
        moved++;
      }
      i = (i + 1) & oldMask;
      left--;
      if (budget > 1) {
        budget--;
      } else if (left > 0) {
        const next = oldIds[i];
        if (next === Table.EMPTY || this.oldDistance(next, i) === 0) break;
      }
    }
    this.migrationCursor = i;
    this.bucketsToMigrate = left;
    if (moved > this.mostMigrated) this.mostMigrated = moved;
    if (left === 0) this.freeOldTable();
  }

  /** Drops the old table (the GC takes its arrays). */
  private freeOldTable(): void {
    this.oldIds = new Float64Array(0);
    this.oldSlots = new Int32Array(0);
    this.migrating = false;
    this.growing = false;
  }

  /** Exchanges the current table with the old one, so that the probes and deletions above work in it. */
  private swapTables(): void {
    const ids = this.ids;
    this.ids = this.oldIds;
    this.oldIds = ids;
    const slots = this.slots;
    this.slots = this.oldSlots;
    this.oldSlots = slots;
    const mask = this.mask;
    this.mask = this.oldMask;
    this.oldMask = mask;
    const shift = this.shift;
    this.shift = this.oldShift;
    this.oldShift = shift;
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
