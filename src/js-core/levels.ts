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
// file says why a quarter).
//
// A level emptied at the touch is parked, not removed: it keeps its record, its ladder entry and
// its map slot, with no orders (count 0), and an order arriving at its price takes it back
// (addLevel) with no ladder insert and no hashing. A sweep empties the levels at the touch and
// the flow after it usually refills the same prices (docs/levels.md). Nothing outside this file
// sees a parked level: findLevel does not find it, the walks skip it, the side's touch and
// length count only levels with orders. At most Parking.LEVELS are parked over all books; the
// oldest goes when one more comes, removed as any other level. Parking pays only where prices
// come back: parked levels above the touch push it out of the rightmost leaf, and a level parked
// for nothing costs more than its removal would have (on `wide` nearly every emptied price is
// new, and parking ran it 13% more instructions a command in the JS core). So parking runs on
// credit (`parkingCredit`): each level parked takes one, each taken back gives Parking.CREDIT_TAKEN_BACK;
// at none every parked level is removed and parking stops, and an emptied touch is removed as
// before, its price noted in a small filter (`droppedPrice`): a new level at a noted price
// (parking would have paid) gives the credit back.
import { No, SideCode } from './codes.js';
import { Ladders } from './ladder.js';
import { growFloat64, growInt32 } from './typed-arrays.js';


const INITIAL_SIDES = 32;
const INITIAL_SLOT_BITS = 4;

const enum Parking {
  /** Levels parked at once, over all books (a power of two): a sweep empties up to 60 on the bench. */
  LEVELS = 128,
  /** parkingCredit: its ceiling, and what a level taken back adds (a level parked takes one). */
  CREDIT_MAX = 256,
  CREDIT_TAKEN_BACK = 8,
  /** Prices of touches removed while parking is off, noted by (side, price) hash (a power of two). */
  FILTER = 64,
}

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
  /** Per level: its place in `parked` + 1 while parked, else 0. */
  private parkedAt: Int32Array;
  capacity: number;
  /** Levels with orders over all books and sides (parked levels are not counted). */
  live = 0;
  /** Levels in the map: live and parked. */
  private hashed = 0;
  /** Parked levels, oldest first from `parkNext` round: No.SLOT where a level was taken back. */
  private readonly parked = new Int32Array(Parking.LEVELS).fill(No.SLOT);
  private parkNext = 0;
  /** Whether parking has paid lately (Parking says how it moves); 0: parking off, nothing parked. */
  private parkingCredit: number = Parking.CREDIT_MAX;
  private readonly droppedPrice = new Float64Array(Parking.FILTER);
  private readonly droppedSide = new Int32Array(Parking.FILTER).fill(-1);
  private highWater = 0;
  private freeHead = No.SLOT;

  // The empty slot at which the last findLevel that found nothing stopped, and what it looked
  // for: addLevel, which usually follows, takes it without hashing and probing again. Valid while
  // missSide is not -1; anything that changes the map's slots clears it. The JS core only: the
  // same in the WASM core, whose hash is one multiply and whose second probe finds its slot
  // cached, measured within noise (docs/levels.md).
  private missSide = -1;
  private missPrice = NaN;
  private missSlot = 0;
  /** The parked level that last findLevel met at its price, or No.SLOT (valid with missSide). */
  private missParked = No.SLOT;

  // ---- sides
  readonly ladders: Ladders;
  /** Per side: resting orders on it. */
  sideOrders: Int32Array = new Int32Array(INITIAL_SIDES);
  /** Per side: levels with orders (the ladder also holds the parked ones). */
  private sideLevels: Int32Array = new Int32Array(INITIAL_SIDES);
  /** Per side: the best level with orders and its key (No.SLOT and -Infinity when none). */
  private touch: Int32Array = new Int32Array(INITIAL_SIDES).fill(No.SLOT);
  private touchKey: Float64Array = new Float64Array(INITIAL_SIDES).fill(-Infinity);
  private sides = 0;

  // ---- (side, price) -> level map: level + 1 per slot, 0 empty
  private slots: Int32Array;
  private slotBits = INITIAL_SLOT_BITS;

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
    this.parkedAt = new Int32Array(capacity);
    while (1 << this.slotBits < capacity * 4) this.slotBits++;
    this.slots = new Int32Array(1 << this.slotBits);
  }

  /** Empties every level and side, keeping the arrays (the price map's must read empty again). */
  clear(): this {
    this.live = 0;
    this.hashed = 0;
    this.highWater = 0;
    this.freeHead = No.SLOT;
    this.missSide = -1;
    this.parked.fill(No.SLOT);
    this.parkNext = 0;
    this.parkingCredit = Parking.CREDIT_MAX;
    this.droppedSide.fill(-1);
    this.parkedAt.fill(0);
    this.sideOrders.fill(0, 0, this.sides);
    this.sideLevels.fill(0, 0, this.sides);
    this.sides = 0;
    this.slots.fill(0);
    this.ladders.clear();
    return this;
  }

  /** A new empty side; returns its index (sides are numbered 0, 1, 2...). */
  addSide(): number {
    const s = this.sides++;
    if (s === this.sideOrders.length) this.growSides(s * 2);
    this.ladders.initLadder(s);
    this.touch[s] = No.SLOT;
    this.touchKey[s] = -Infinity;
    return s;
  }

  /** Levels with orders on the side. */
  sideLength(s: number): number {
    return this.sideLevels[s];
  }

  /** The best level of a side, or No.SLOT when it is empty. */
  bestLevel(s: number): number {
    return this.touch[s];
  }

  /** The best key of a side, or -Infinity when it is empty. */
  bestKey(s: number): number {
    return this.touchKey[s];
  }

  /** The level at this price on the side, or No.SLOT (also for a parked level, which addLevel takes back). */
  findLevel(s: number, price: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = this.home(s, price); ; i = (i + 1) & mask) {
      const entry = slots[i];
      if (entry === 0) {
        this.missSide = s;
        this.missPrice = price;
        this.missSlot = i;
        this.missParked = No.SLOT;
        return No.SLOT;
      }
      const level = entry - 1;
      if (this.price[level] === price && this.side[level] === s) return this.parkedAt[level] === 0 ? level : this.metParked(s, price, level);
    }
  }

  /** findLevel met a parked level at its price: for addLevel to take it back. */
  private metParked(s: number, price: number, level: number): number {
    this.missSide = s;
    this.missPrice = price;
    this.missParked = level;
    return No.SLOT;
  }

  /**
   * A new empty level at `price`, in its place on the side: the level parked at that price if
   * there is one, else a new record. The caller has usually just looked the price up (findLevel):
   * then what that lookup met is used without probing again.
   */
  addLevel(s: number, price: number): number {
    if (this.missSide !== s || this.missPrice !== price) this.findLevel(s, price);
    this.missSide = -1;
    const key = keyOf(s & 1, price);
    let level = this.missParked;
    if (level !== No.SLOT) {
      this.unpark(level);
    } else {
      // Only a touch is parked, so only a new touch asks the filter.
      if (this.parkingCredit === 0 && key > this.touchKey[s] && this.wasDropped(s, price)) this.parkingCredit = Parking.CREDIT_TAKEN_BACK;
      level = this.takeLevel(s, price);
      this.ladders.ladderInsert(s, key, level);
      if (++this.hashed * 4 <= this.slots.length) this.slots[this.missSlot] = level + 1;
      else this.hashLevel(level);
    }
    this.live++;
    this.sideLevels[s]++;
    if (key > this.touchKey[s]) {
      this.touch[s] = level;
      this.touchKey[s] = key;
    }
    return level;
  }

  /** Takes an emptied level off its side: parked if it was the touch, else back to the pool. */
  removeLevel(level: number): void {
    const s = this.side[level];
    this.live--;
    this.sideLevels[s]--;
    if (level !== this.touch[s]) {
      this.dropLevel(level);
    } else if (this.parkingCredit !== 0) {
      this.parkTouch(s, level);
    } else {
      // Nothing is parked: the ladder's best after the removal is the touch.
      this.noteDropped(s, this.price[level]);
      this.dropLevel(level);
      this.touch[s] = this.ladders.best[s];
      this.touchKey[s] = this.ladders.bestKey[s];
    }
  }

  /** Parks the emptied touch of side `s`; the next level with orders below it is the touch. */
  private parkTouch(s: number, level: number): void {
    const at = this.liveFrom(this.ladders.worsePosition(this.ladders.positionOf(s, keyOf(s & 1, this.price[level]), level)));
    if (at === No.POSITION) {
      this.touch[s] = No.SLOT;
      this.touchKey[s] = -Infinity;
    } else {
      this.touch[s] = this.ladders.valueAt(at);
      this.touchKey[s] = this.ladders.keyAt(at);
    }
    this.park(level);
  }

  // Walking a side best-first: positions from ladder.ts, parked levels passed over.
  bestPosition(s: number): number {
    return this.liveFrom(this.ladders.bestPosition(s));
  }
  worsePosition(at: number): number {
    return this.liveFrom(this.ladders.worsePosition(at));
  }
  /** The first position from `at` on, worse first, whose level has orders. */
  private liveFrom(at: number): number {
    while (at !== No.POSITION && this.count[this.ladders.valueAt(at)] === 0) at = this.ladders.worsePosition(at);
    return at;
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
    const level = this.takeLevel(s, price);
    this.ladders.buildNextWorse(s, keyOf(s & 1, price), level);
    this.hashed++;
    this.hashLevel(level);
    this.live++;
    return level;
  }

  endSideBuild(s: number, levels: number): void {
    this.ladders.endLadderBuild(s, levels);
    this.sideLevels[s] = levels;
    this.touch[s] = this.ladders.best[s];
    this.touchKey[s] = this.ladders.bestKey[s];
  }

  bytes(): number {
    return this.capacity * (8 * 2 + 4 * 5) + this.ladders.bytes() + this.sideOrders.byteLength * 4 + this.slots.byteLength +
      this.parked.byteLength;
  }

  /** Keeps an emptied level (no longer the touch) in the ladder and the map, oldest parked out. */
  private park(level: number): void {
    this.head[level] = No.SLOT;
    this.tail[level] = No.SLOT;
    this.count[level] = 0;
    this.total[level] = 0;
    const at = this.parkNext;
    this.parkNext = (at + 1) & (Parking.LEVELS - 1);
    const oldest = this.parked[at];
    if (oldest !== No.SLOT) {
      this.parkedAt[oldest] = 0;
      this.dropLevel(oldest);
    }
    this.parked[at] = level;
    this.parkedAt[level] = at + 1;
    if (--this.parkingCredit === 0) this.dropParked();
  }

  /** Parking stops: every parked level leaves the ladder and the map. */
  private dropParked(): void {
    for (let at = 0; at < Parking.LEVELS; at++) {
      const level = this.parked[at];
      if (level === No.SLOT) continue;
      this.parked[at] = No.SLOT;
      this.parkedAt[level] = 0;
      this.dropLevel(level);
    }
  }

  /** The filter's slot for (side, price): any bits of the price will do, a hit is checked whole. */
  private droppedSlot(s: number, price: number): number {
    return ((price | 0) ^ Math.imul(s, 0x9e3779b1)) & (Parking.FILTER - 1);
  }

  private noteDropped(s: number, price: number): void {
    const at = this.droppedSlot(s, price);
    this.droppedPrice[at] = price;
    this.droppedSide[at] = s;
  }

  private wasDropped(s: number, price: number): boolean {
    const at = this.droppedSlot(s, price);
    return this.droppedSide[at] === s && this.droppedPrice[at] === price;
  }

  /** A parked level taken back, empty, for an order at its price. */
  private unpark(level: number): void {
    this.parked[this.parkedAt[level] - 1] = No.SLOT;
    this.parkedAt[level] = 0;
    this.parkingCredit = Math.min(this.parkingCredit + Parking.CREDIT_TAKEN_BACK, Parking.CREDIT_MAX);
  }

  /** Takes a level with no orders out of the ladder and the map, and back to the pool. */
  private dropLevel(level: number): void {
    const s = this.side[level];
    this.ladders.ladderRemove(s, keyOf(s & 1, this.price[level]), level);
    this.unhashLevel(level);
    this.hashed--;
    this.giveLevel(level);
  }

  private home(s: number, price: number): number {
    priceBits[0] = price;
    // The side is scrambled before it meets the price. An integer price below 2^21 has all its
    // bits in the high word, a tick apart two apart: added to the side index there, as this hash
    // did, a price a tick up collided exactly with the same price on the book before, and on
    // many-assets (10,000 books at a few prices each) half the levels shared their home with
    // another (docs/levels.md).
    const h = Math.imul(priceWords[0] ^ Math.imul(priceWords[1] ^ Math.imul(s, 0x9e3779b1), 0x85ebca6b), 0x9e3779b1);
    return h >>> (32 - this.slotBits);
  }

  /** Puts a level (counted in `hashed` already) in the map. */
  private hashLevel(level: number): void {
    if (this.hashed * 4 > this.slots.length) this.growSlots();
    this.place(level);
  }

  private place(level: number): void {
    this.missSide = -1;
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = this.home(this.side[level], this.price[level]);
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = level + 1;
  }

  private unhashLevel(level: number): void {
    this.missSide = -1;
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = this.home(this.side[level], this.price[level]);
    while (slots[i] !== level + 1) i = (i + 1) & mask;
    // Backward-shift deletion: pull back every later entry of the run whose home is not in (i, j].
    for (let j = (i + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const other = slots[j] - 1;
      const k = this.home(this.side[other], this.price[other]);
      if (((j - k) & mask) >= ((j - i) & mask)) {
        slots[i] = slots[j];
        i = j;
      }
    }
    slots[i] = 0;
  }

  private growSides(count: number): void {
    this.sideOrders = growInt32(this.sideOrders, count);
    this.sideLevels = growInt32(this.sideLevels, count);
    this.touch = growInt32(this.touch, count);
    this.touchKey = growFloat64(this.touchKey, count);
  }

  private growSlots(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.slotBits++;
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.place(old[i] - 1);
  }

  /** An empty level record of side `s` at `price`. May replace the arrays. */
  private takeLevel(s: number, price: number): number {
    let level = this.freeHead;
    if (level !== No.SLOT) {
      this.freeHead = this.head[level];
    } else {
      if (this.highWater === this.capacity) this.grow(this.capacity * 2);
      level = this.highWater++;
    }
    this.price[level] = price;
    this.total[level] = 0;
    this.head[level] = No.SLOT;
    this.tail[level] = No.SLOT;
    this.count[level] = 0;
    this.side[level] = s;
    return level;
  }

  private giveLevel(level: number): void {
    this.head[level] = this.freeHead;
    this.freeHead = level;
  }

  private grow(capacity: number): void {
    this.price = growFloat64(this.price, capacity);
    this.total = growFloat64(this.total, capacity);
    this.head = growInt32(this.head, capacity);
    this.tail = growInt32(this.tail, capacity);
    this.count = growInt32(this.count, capacity);
    this.side = growInt32(this.side, capacity);
    this.parkedAt = growInt32(this.parkedAt, capacity);
    this.ladders.growValues(capacity);
    this.capacity = capacity;
  }
}
