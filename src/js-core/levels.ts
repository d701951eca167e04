// Price levels, and the sides of a book that order them (mirrors assembly/levels.ts).
//
// A level is an intrusive FIFO of order slots (head oldest) with the aggregates that depth
// queries and the fill-or-kill dry run read without walking the queue. A side (one per book and
// side code: side index = book * 2 + code) is a ladder (ladder.ts) from level keys to level
// slots: key = price for bids, -price for asks, so on either side a larger key is a better price
// and the ladder's best entry is the touch.
//
// Finding the level of a price does not search the ladder: one hash map over all levels of all
// books, keyed by (side, price), answers in one probe (open addressing over level slots + 1,
// linear probing, at most a quarter full, backward-shift deletion), as in the WASM core (whose
// file says why a quarter). From READY_FROM_BITS on it doubles as the WASM core's does: the next
// table's pages touched ahead by the inserts before the doubling, the old table emptied a few
// runs an insert after it (the WASM file says why, and what a lookup does meanwhile).
import { No, SideCode } from './codes.js';
import { Ladders } from './ladder.js';
import { growInt32, int32Array, Successors, touchPages } from './typed-arrays.js';


const INITIAL_SIDES = 32;
const INITIAL_SLOT_BITS = 4;
/** Tables of 2^READY_FROM_BITS slots and more double by readying and migration (the WASM core's levels.ts). */
const READY_FROM_BITS = 16;
/** Old slots an insert walks while the old table empties (then on to the end of the run; the WASM core's slot-table.ts). */
const MIGRATION_SLOTS = 16;

/** The sort key of a price on a side: larger is better. */
export function keyOf(sideCode: number, price: number): number {
  return sideCode === SideCode.BID ? price : -price;
}

// The hash reads a price's float64 bits, as the WASM core's does.
const priceBits = new Float64Array(1);
const priceWords = new Uint32Array(priceBits.buffer);

export class Levels {
  // ---- level records
  price: Float64Array;
  /** Sum of the remaining sizes of the level's orders. */
  total: Float64Array;
  head: Int32Array;
  tail: Int32Array;
  count: Int32Array;
  /** The side index the level belongs to. */
  side: Int32Array;
  capacity: number;
  /** Levels in use over all books and sides. */
  live = 0;
  private highWater = 0;
  private freeHead = No.SLOT;
  /** The next level arrays, readied while the pool fills the second half of these (typed-arrays.ts). */
  private readonly successors = new Successors(6);

  // The empty slot at which the last findLevel that found nothing stopped, and what it looked
  // for: addLevel, which usually follows, takes it without hashing and probing again. Valid while
  // missSide is not -1; anything that changes the map's slots clears it. The JS core only: the
  // same in the WASM core, whose hash is one multiply and whose second probe finds its slot
  // cached, measured within noise (docs/levels.md).
  private missSide = -1;
  private missPrice = NaN;
  private missSlot = 0;

  // ---- sides
  readonly ladders: Ladders;
  /** Per side: resting orders on it. */
  sideOrders: Int32Array = new Int32Array(INITIAL_SIDES);
  private sides = 0;

  // ---- (side, price) -> level map: level + 1 per slot, 0 empty
  private slots: Int32Array;
  private slotBits = INITIAL_SLOT_BITS;
  /** The count of levels past which an insert leaves hashLevel's fast path: the next table is due, or the doubling. */
  private checkAt = 0;
  /** Inserts take a step of a growth: readying the next table, or emptying the old one. */
  private levelMapGrowing = false;
  // The table being emptied after a doubling (null when none), and where its emptying stands.
  private oldSlots: Int32Array | null = null;
  private oldSlotBits = 0;
  private migrationCursor = 0;
  private slotsToMigrate = 0;
  // The table being readied for the next doubling (null when none), and its slots readied so far.
  private nextSlots: Int32Array | null = null;
  private nextSlotsReadied = 0;
  /** Next tables taken since the levels were made (the tests read it: a restore keeps the one taken, see clear). */
  nextMapsTaken = 0;

  constructor(initialCapacity = 256, ladderNodes?: number) {
    const capacity = Math.max(16, initialCapacity);
    this.capacity = capacity;
    this.ladders = new Ladders(ladderNodes, capacity);
    this.price = new Float64Array(capacity);
    this.total = new Float64Array(capacity);
    this.head = new Int32Array(capacity);
    this.tail = new Int32Array(capacity);
    this.count = new Int32Array(capacity);
    this.side = new Int32Array(capacity);
    while (1 << this.slotBits < capacity * 4) this.slotBits++;
    this.slots = new Int32Array(1 << this.slotBits);
    this.checkAt = this.readyAt();
  }

  /** Empties every level and side, keeping the arrays (the price map's must read empty again). */
  clear(): this {
    this.live = 0;
    this.highWater = 0;
    this.freeHead = No.SLOT;
    this.missSide = -1;
    this.sideOrders.fill(0, 0, this.sides);
    this.sides = 0;
    this.slots.fill(0);
    this.oldSlots = null;
    // A next table already taken stays, with the part of it readied, as the id index's does
    // (order-index.ts, clear): only the readying writes it, so it is still empty, and a restore
    // that refills past readyAt would otherwise take and fault in a fresh one every time.
    this.levelMapGrowing = this.nextSlots !== null;
    this.checkAt = this.nextSlots !== null ? this.growAt() : this.readyAt();
    this.ladders.clear();
    return this;
  }

  /** A new empty side; returns its index (sides are numbered 0, 1, 2...). */
  addSide(): number {
    const s = this.sides++;
    if (s === this.sideOrders.length) this.sideOrders = growInt32(this.sideOrders, s * 2);
    this.ladders.initLadder(s);
    return s;
  }

  sideLength(s: number): number {
    return this.ladders.length[s];
  }

  /** The best level of a side, or No.SLOT when it is empty. */
  bestLevel(s: number): number {
    return this.ladders.best[s];
  }

  /** The best key of a side, or -Infinity when it is empty. */
  bestKey(s: number): number {
    return this.ladders.bestKey[s];
  }

  /** The level at this price on the side, or No.SLOT. */
  findLevel(s: number, price: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = this.home(s, price, this.slotBits); ; i = (i + 1) & mask) {
      const entry = slots[i];
      if (entry === 0) {
        this.missSide = s;
        this.missPrice = price;
        this.missSlot = i;
        // Not in the current table: while the map grows, the level may not have been moved yet.
        return this.oldSlots === null ? No.SLOT : this.findOldLevel(this.oldSlots, s, price);
      }
      const level = entry - 1;
      if (this.price[level] === price && this.side[level] === s) return level;
    }
  }

  private findOldLevel(slots: Int32Array, s: number, price: number): number {
    const mask = slots.length - 1;
    for (let i = this.home(s, price, this.oldSlotBits); ; i = (i + 1) & mask) {
      const entry = slots[i];
      if (entry === 0) return No.SLOT;
      const level = entry - 1;
      if (this.price[level] === price && this.side[level] === s) return level;
    }
  }

  /**
   * A new level at `price` whose queue is the one order `first` of `size` lots (its queue links
   * are the caller's), put in its place on the side. The caller has usually just looked the price
   * up (findLevel): then the level takes the empty slot that lookup stopped at.
   */
  addLevel(s: number, price: number, first: number, size: number): number {
    const level = this.takeLevel(s, price, first, 1, size);
    this.ladders.ladderInsert(s, keyOf(s & 1, price), level);
    if (this.missSide === s && this.missPrice === price && this.live <= this.checkAt) {
      this.missSide = -1;
      this.slots[this.missSlot] = level + 1;
      if (this.levelMapGrowing) this.levelMapStep();
    } else {
      this.hashLevel(level);
    }
    return level;
  }

  /** Takes an emptied level off its side and back to the pool. */
  removeLevel(level: number): void {
    const s = this.side[level];
    const price = this.price[level];
    this.ladders.ladderRemove(s, keyOf(s & 1, price), level);
    this.unhashLevel(level, s, price);
    this.giveLevel(level);
  }

  // Walking a side best-first: positions from ladder.ts.
  bestPosition(s: number): number {
    return this.ladders.bestPosition(s);
  }
  worsePosition(at: number): number {
    return this.ladders.worsePosition(at);
  }
  keyAt(at: number): number {
    return this.ladders.keyAt(at);
  }
  /** The level at a position of a walk. */
  levelAt(at: number): number {
    return this.ladders.valueAt(at);
  }

  // Restore builds each side in one pass, its levels best first (snapshot order):
  // beginSideBuild, then buildNextWorseLevel per level, then endSideBuild.
  beginSideBuild(s: number, levels: number): void {
    this.ladders.beginLadderBuild(s, levels);
  }

  /** A fresh level at `price`, worse than every level built on the side before it. */
  buildNextWorseLevel(s: number, price: number): number {
    const level = this.takeLevel(s, price, No.SLOT, 0, 0);
    this.ladders.buildNextWorse(s, keyOf(s & 1, price), level);
    this.hashLevel(level);
    return level;
  }

  endSideBuild(s: number, levels: number): void {
    this.ladders.endLadderBuild(s, levels);
  }

  bytes(): number {
    return this.capacity * (8 * 2 + 4 * 4) + this.successors.bytes() + this.ladders.bytes() + this.sideOrders.byteLength + this.slots.byteLength
      + (this.oldSlots?.byteLength ?? 0) + (this.nextSlots?.byteLength ?? 0);
  }

  private home(s: number, price: number, bits: number): number {
    priceBits[0] = price;
    // The side is scrambled before it meets the price. An integer price below 2^21 has all its
    // bits in the high word, a tick apart two apart: added to the side index there, as this hash
    // did, a price a tick up collided exactly with the same price on the book before, and on
    // many-assets (10,000 books at a few prices each) half the levels shared their home with
    // another (docs/levels.md).
    const h = Math.imul(priceWords[0] ^ Math.imul(priceWords[1] ^ Math.imul(s, 0x9e3779b1), 0x85ebca6b), 0x9e3779b1);
    return h >>> (32 - bits);
  }

  private hashLevel(level: number): void {
    if (this.live > this.checkAt) this.levelSlotRoom();
    this.place(level);
    if (this.levelMapGrowing) this.levelMapStep();
  }

  /** The most levels the current table holds: a quarter of its slots. */
  private growAt(): number {
    return this.slots.length >> 2;
  }

  /** The count from which the next table is readied (the last quarter of the way to the doubling), or the doubling's. */
  private readyAt(): number {
    const growAt = this.growAt();
    return this.slotBits >= READY_FROM_BITS ? growAt - (growAt >> 3) : growAt;
  }

  /** hashLevel past checkAt: the next table taken, or the doubling. */
  private levelSlotRoom(): void {
    const growAt = this.growAt();
    if (this.live > growAt) {
      this.growSlots();
      return;
    }
    if (this.nextSlots === null) {
      this.nextSlots = int32Array(this.slots.length * 2);
      this.nextSlotsReadied = 0;
      this.nextMapsTaken++;
      this.levelMapGrowing = true;
    }
    this.checkAt = growAt;
  }

  private growSlots(): void {
    // Never while an old table empties (each insert walks MIGRATION_SLOTS of its slots, so it is
    // empty a quarter of the way to this doubling): a guard, so that one old table is all there is.
    while (this.oldSlots !== null) this.migrateLevels(this.oldSlots);
    const old = this.slots;
    const oldBits = this.slotBits;
    this.slots = this.nextSlots ?? int32Array(old.length * 2);
    this.nextSlots = null;
    this.slotBits++;
    this.missSide = -1;
    this.checkAt = this.readyAt();
    if (oldBits < READY_FROM_BITS) {
      for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.place(old[i] - 1);
      this.levelMapGrowing = false;
      return;
    }
    this.oldSlots = old;
    this.oldSlotBits = oldBits;
    let cursor = 0;
    while (old[cursor] !== 0) cursor++;
    this.migrationCursor = cursor;
    this.slotsToMigrate = old.length;
    this.levelMapGrowing = true;
  }

  /** A step of the growth under way, taken by each insert. */
  private levelMapStep(): void {
    if (this.oldSlots !== null) this.migrateLevels(this.oldSlots);
    else this.readyNextSlots();
  }

  /** Touches the insert's share of the next table's pages: what is left over the inserts left before the doubling. */
  private readyNextSlots(): void {
    const next = this.nextSlots!;
    const left = next.length - this.nextSlotsReadied;
    if (left <= 0) return;
    const growAt = this.growAt();
    const insertsLeft = this.live < growAt ? growAt - this.live : 1;
    const end = this.nextSlotsReadied + Math.ceil(left / insertsLeft);
    touchPages(next, this.nextSlotsReadied, end);
    this.nextSlotsReadied = end;
  }

  /** Moves MIGRATION_SLOTS of the old table's slots into the current table, and on to the end of that run. */
  private migrateLevels(old: Int32Array): void {
    const mask = old.length - 1;
    let cursor = this.migrationCursor;
    let left = this.slotsToMigrate;
    let walked = 0;
    while (left !== 0) {
      const entry = old[cursor];
      if (entry === 0) {
        if (walked >= MIGRATION_SLOTS) break;
      } else {
        old[cursor] = 0;
        this.place(entry - 1);
      }
      cursor = (cursor + 1) & mask;
      left--;
      walked++;
    }
    this.migrationCursor = cursor;
    this.slotsToMigrate = left;
    if (left === 0) {
      this.oldSlots = null;
      this.levelMapGrowing = false;
    }
  }

  /** Puts a level in the current table (which has room). */
  private place(level: number): void {
    this.missSide = -1;
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = this.home(this.side[level], this.price[level], this.slotBits);
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = level + 1;
  }

  /** Takes level `level` of side `s` at `price` out of the map (the caller has read both from its record). */
  private unhashLevel(level: number, s: number, price: number): void {
    this.missSide = -1;
    if (!this.unhashLevelIn(this.slots, this.slotBits, level, s, price)) this.unhashLevelIn(this.oldSlots!, this.oldSlotBits, level, s, price);
  }

  /** Takes a level out of one table; false when it is not there (it is in the other, while the map grows). */
  private unhashLevelIn(slots: Int32Array, bits: number, level: number, s: number, price: number): boolean {
    const mask = slots.length - 1;
    let i = this.home(s, price, bits);
    for (let entry = slots[i]; entry !== level + 1; entry = slots[i]) {
      if (entry === 0) return false;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: pull back every later entry of the run whose home is not in (i, j].
    for (let j = (i + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const other = slots[j] - 1;
      const k = this.home(this.side[other], this.price[other], bits);
      if (((j - k) & mask) >= ((j - i) & mask)) {
        slots[i] = slots[j];
        i = j;
      }
    }
    slots[i] = 0;
    return true;
  }

  /**
   * A level record of side `s` at `price`, its queue `head` alone (No.SLOT: empty) with `count`
   * orders of `total` lots. May replace the arrays.
   */
  private takeLevel(s: number, price: number, head: number, count: number, total: number): number {
    this.live++;
    let level = this.freeHead;
    if (level !== No.SLOT) {
      this.freeHead = this.head[level];
    } else {
      level = this.takeFreshLevel();
    }
    this.price[level] = price;
    this.total[level] = total;
    this.head[level] = head;
    this.tail[level] = head;
    this.count[level] = count;
    this.side[level] = s;
    return level;
  }

  private giveLevel(level: number): void {
    this.head[level] = this.freeHead;
    this.freeHead = level;
    this.live--;
  }

  /**
   * A level never used yet, the arrays grown if full, their successors readied a step further in
   * the second half: the JS core's only, as in orders.ts (the WASM core's records never move).
   */
  private takeFreshLevel(): number {
    const used = this.highWater;
    if (used === this.capacity) this.grow(this.capacity * 2);
    else if (Successors.due(used, this.capacity)) this.readySuccessors(used);
    return this.highWater++;
  }

  private readySuccessors(used: number): void {
    const successors = this.successors;
    successors.begin(used, this.capacity);
    successors.ready(0, this.price);
    successors.ready(1, this.total);
    successors.ready(2, this.head);
    successors.ready(3, this.tail);
    successors.ready(4, this.count);
    successors.ready(5, this.side);
    this.ladders.readyValues(used, this.capacity);
  }

  private grow(capacity: number): void {
    const successors = this.successors;
    this.price = successors.grownFloat64(0, this.price, capacity);
    this.total = successors.grownFloat64(1, this.total, capacity);
    this.head = successors.grownInt32(2, this.head, capacity);
    this.tail = successors.grownInt32(3, this.tail, capacity);
    this.count = successors.grownInt32(4, this.count, capacity);
    this.side = successors.grownInt32(5, this.side, capacity);
    this.ladders.growValues(capacity);
    this.capacity = capacity;
  }
}
