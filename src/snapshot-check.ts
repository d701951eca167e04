// A snapshot's soundness, checked as its slots arrive. A checkpoint file is read piece by piece
// and each piece is checked and restored before the next is read (recovery's streamed restore),
// so the check is a walk that can stop at any slot and go on with the next piece: it keeps where
// it is (which book, side, level, order or stop it expects next) and carries a record cut in two
// by a piece's end over to the next. checkSnapshot is the same walk given the whole snapshot at
// once, so whatever the pieces, the verdict and its message are the same. A repeated order id is
// found where it repeats.
import { LobError } from './errors.js';
import { SideCode, StpCode, TifCode } from './codes.js';
import {
  SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_MAGIC, SNAPSHOT_OCO_LEG, SNAPSHOT_ORDER_SLOTS,
  SNAPSHOT_STOP_SLOTS, SNAPSHOT_TIF_SHIFT, SNAPSHOT_VERSION, corrupt, isNonNegativeInteger, mostOrdersIn,
} from './snapshot.js';

// Module-local copies of the layout's constants for the walk and its per-order loops: V8 reads an
// imported binding from its module cell at every use (with them read that way, the check of a
// million orders took 58 ms warm; with these, 13 ms).
const HEADER_SLOTS = SNAPSHOT_HEADER_SLOTS;
const BOOK_SLOTS = SNAPSHOT_BOOK_SLOTS;
const LEVEL_SLOTS = SNAPSHOT_LEVEL_SLOTS;
const ORDER_SLOTS = SNAPSHOT_ORDER_SLOTS;
const STOP_SLOTS = SNAPSHOT_STOP_SLOTS;
const OCO_LEG = SNAPSHOT_OCO_LEG;
const TIF_SHIFT = SNAPSHOT_TIF_SHIFT;
/** An order's flags are stp and OCO_LEG only: below a stop's time in force. */
const ORDER_FLAGS_BELOW = 2 ** TIF_SHIFT;
/** A stop's flags add its time in force, 0..POST_ONLY, above them. */
const STOP_FLAGS_BELOW = (TifCode.POST_ONLY + 1) * 2 ** TIF_SHIFT;

const SIDE_NAMES = ['bid', 'ask'];
const STOP_SIDE_NAMES = ['buy stop', 'sell stop'];

export interface SnapshotCounts {
  /** Resting orders. */
  orders: number;
  levels: number;
  /** Pending stops. */
  stops: number;
}

/** An OCO leg seen while checking: its book, side and whether it is the resting (limit) leg. */
interface OcoLeg {
  book: number;
  side: number;
  resting: boolean;
}

/** What the walk expects next; each is a record of a fixed number of slots. */
const HEADER = 0;
const BOOK = 1;
const LEVEL = 2;
const ORDERS = 3;
const STOPS = 4;
const END = 5;
const RECORD_SLOTS = [HEADER_SLOTS, BOOK_SLOTS, LEVEL_SLOTS, ORDER_SLOTS, STOP_SLOTS, 1];

/**
 * Checks a snapshot body completely (counts against the length, every value's kind, levels
 * strictly best first, books uncrossed, stops in trigger order and not already triggered by the
 * book's last price, OCO legs in pairs, ids unique and below nextOrderId) and counts what it
 * holds, so a core can size itself once and rebuild without a failure half way. Both cores call
 * it before touching their state. Throws CORRUPTION naming the place and the value, and
 * INVALID_ARGUMENT at the first count that takes it past the engine's limits (a snapshot damaged
 * further on is then refused for its size, not its damage).
 */
export function checkSnapshot(slots: Float64Array, maxOrders = Infinity, maxLevels = Infinity): SnapshotCounts {
  const check = new SnapshotCheck(slots.length, maxOrders, maxLevels);
  check.feed(slots);
  return check.finish();
}

/**
 * A snapshot of `totalSlots` slots (the magic word included), checked as its slots are fed in
 * order, in pieces of any length. feed() throws at the first unsound slot or count beyond the
 * engine's limits; finish() makes the checks that need the whole (nothing left over, OCO pairs)
 * and counts.
 */
// The fields that take numbers read from the snapshot (doubles, whatever their value) start as
// doubles too: -0, not 0, and -Infinity. A field that starts as a small integer changes the
// object's shape at its first double, and every function optimized for the old shape is thrown
// away: a fresh process's first check went through 18 deoptimizations (5 now) and 10% more
// instructions (a reopen checks the snapshot it restores in a fresh process; stop 63).
export class SnapshotCheck {
  private expecting = HEADER;
  /** The slot the walk has reached. */
  private p = 0;
  private nextOrderId = -0;
  private bookCount = -0;
  private previousAsset = -Infinity;
  // The book being walked.
  private book = -1;
  private asset = -0;
  private lastPrice = -0;
  private readonly depths = [-0, -0];
  private readonly stopCounts = [-0, -0];
  private bestBid = -0;
  // Where in the book: a side and a level of it (or a stop list and a stop of it).
  private side = 0;
  private rank = 0;
  private previousPrice = -0;
  private levelOrders = -0;
  private ordersLeft = -0;
  private previousStop = -0;
  private previousStopId = -0;
  private orderTotal = -0;
  private levelTotal = -0;
  private stopTotal = -0;
  private readonly ocoLegs = new Map<number, OcoLeg>();
  private ids: RepeatedIds | null = null;
  /** A record cut in two by a piece's end: its first `carried` slots. */
  private readonly carry = new Float64Array(STOP_SLOTS);
  private carried = 0;

  constructor(private readonly totalSlots: number, private readonly maxOrders = Infinity, private readonly maxLevels = Infinity) {}

  /**
   * A snapshot of `byteLength` bytes restored as it streams, fed as bytes (feedBytes). It must be
   * the current version: an older one is upgraded, which needs it whole (openSnapshot).
   */
  static streamed(byteLength: number, maxOrders = Infinity, maxLevels = Infinity): SnapshotCheck {
    if (!(Number.isSafeInteger(byteLength) && byteLength >= HEADER_SLOTS * 8 && byteLength % 8 === 0)) {
      throw new LobError('CORRUPTION', `snapshot is ${byteLength} bytes long, not a whole number of 8-byte slots with a header`);
    }
    return new SnapshotCheck(byteLength / 8, maxOrders, maxLevels);
  }

  /** The next bytes of a streamed snapshot: whole slots. */
  feedBytes(piece: Uint8Array): void {
    const fed = (this.p + this.carried) * 8;
    if (piece.byteLength % 8 !== 0) throw new LobError('INVALID_ARGUMENT', `a snapshot piece must be whole 8-byte slots, got ${piece.byteLength} bytes`);
    if (fed + piece.byteLength > this.totalSlots * 8) {
      throw new LobError('INVALID_ARGUMENT', `a snapshot piece of ${piece.byteLength} bytes at byte ${fed} goes past the snapshot's ${this.totalSlots * 8}`);
    }
    if (fed === 0 && piece.byteLength > 0) {
      for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
        if (piece[i] !== SNAPSHOT_MAGIC[i]) throw new LobError('CORRUPTION', 'snapshot does not start with LOBSNAP');
      }
      if (piece[7] !== SNAPSHOT_VERSION) {
        throw new LobError('UNSUPPORTED_VERSION', `a snapshot restored as it streams must be format version ${SNAPSHOT_VERSION}, not ${piece[7]}`);
      }
    }
    const aligned = piece.byteOffset % 8 === 0 ? piece : piece.slice();
    this.feed(new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8));
  }

  /** The next slots of the snapshot. */
  feed(slots: Float64Array): void {
    let i = 0;
    if (this.carried > 0) {
      const wanted = RECORD_SLOTS[this.expecting] - this.carried;
      i = Math.min(wanted, slots.length);
      this.carry.set(slots.subarray(0, i), this.carried);
      this.carried += i;
      if (i < wanted) return;
      this.carried = 0;
      this.step(this.carry, 0, RECORD_SLOTS[this.expecting]);
    }
    while (i < slots.length) {
      const used = this.step(slots, i, slots.length);
      if (used === 0) {
        this.carry.set(slots.subarray(i));
        this.carried = slots.length - i;
        return;
      }
      i += used;
    }
  }

  /**
   * The engine's limits against the counts so far and those of the record just read (a side's
   * levels, a level's orders, a side's stops), each claim already known to fit in the length:
   * a snapshot too large for this engine is refused at the piece that takes it past a limit, not
   * once every piece has been read. The counts are those of whole records, so the verdict is the
   * same whatever the pieces.
   */
  private refuseBeyondLimits(orders: number, stops: number, levels: number): void {
    const { maxOrders, maxLevels } = this;
    if (orders + stops > maxOrders || levels > maxLevels) {
      // Not damage: the snapshot may be sound, this engine was configured too small to hold it.
      throw new LobError('INVALID_ARGUMENT', `snapshot holds at least ${orders} resting orders and ${stops} pending stops in ${levels} levels (counted up to ${this.where}), beyond this engine's maxOrders ${maxOrders} / maxLevels ${maxLevels}`);
    }
  }

  /** Called once every slot is fed: the rest of the checks, and what the snapshot holds. */
  finish(): SnapshotCounts {
    const end = this.totalSlots;
    if (this.p + this.carried !== end) throw corrupt(`the snapshot ended after ${(this.p + this.carried) * 8} of its ${end * 8} bytes`);
    if (this.expecting !== END) throw corrupt(`the snapshot ends at slot ${end} in the middle of book ${this.book}`);
    checkOcoPairs(this.ocoLegs);
    this.ids?.check();
    return { orders: this.orderTotal, levels: this.levelTotal, stops: this.stopTotal };
  }

  /** Checks what is expected next, from slots[i] (up to `available`); the slots it took, 0 if it needs more. */
  private step(slots: Float64Array, i: number, available: number): number {
    const expecting = this.expecting;
    if (expecting === ORDERS) return this.orders(slots, i, available);
    const size = RECORD_SLOTS[expecting];
    if (i + size > available) return 0;
    if (expecting === LEVEL) this.level(slots, i);
    else if (expecting === STOPS) this.stop(slots, i);
    else if (expecting === BOOK) this.bookHeader(slots, i);
    else if (expecting === HEADER) this.header(slots, i);
    else throw corrupt(`${this.totalSlots - this.p} slots left over after the last book: the counts do not match the length`);
    return size;
  }

  private header(slots: Float64Array, i: number): void {
    const end = this.totalSlots;
    const nextOrderId = slots[i + 1];
    const bookCount = slots[i + 2];
    if (!(isNonNegativeInteger(nextOrderId) && nextOrderId >= 1)) corruptValue('nextOrderId', nextOrderId, 'a positive safe integer');
    if (!isNonNegativeInteger(bookCount)) corruptValue('bookCount', bookCount, 'a non-negative safe integer');
    if (HEADER_SLOTS + bookCount * BOOK_SLOTS > end) {
      throw corrupt(`bookCount ${bookCount} does not fit in ${end} slots`);
    }
    this.nextOrderId = nextOrderId;
    this.bookCount = bookCount;
    this.ids = new RepeatedIds(nextOrderId, mostOrdersIn(end * 8));
    this.p = HEADER_SLOTS;
    this.nextBook();
  }

  private nextBook(): void {
    this.book++;
    if (this.book === this.bookCount) {
      this.expecting = END;
      return;
    }
    if (this.p + BOOK_SLOTS > this.totalSlots) throw corrupt(`book ${this.book} is cut off at slot ${this.p} of ${this.totalSlots}`);
    this.expecting = BOOK;
  }

  private get where(): string {
    return `book ${this.book} (asset ${this.asset})`;
  }

  private bookHeader(slots: Float64Array, i: number): void {
    const asset = slots[i];
    this.asset = asset;
    const where = this.where;
    if (!isNonNegativeInteger(asset)) corruptValue(`book ${this.book} asset`, asset, 'a non-negative safe integer');
    if (asset <= this.previousAsset) throw corrupt(`${where} is not after asset ${this.previousAsset}: books must be in ascending asset order`);
    this.previousAsset = asset;
    const lastPrice = slots[i + 1];
    if (!isNonNegativeInteger(lastPrice)) corruptValue(`${where} last price`, lastPrice, 'a non-negative safe integer (0: none)');
    this.lastPrice = lastPrice;
    const { depths, stopCounts } = this;
    depths[0] = slots[i + 2];
    depths[1] = slots[i + 3];
    stopCounts[0] = slots[i + 4];
    stopCounts[1] = slots[i + 5];
    for (let side = 0; side < 2; side++) {
      if (!isNonNegativeInteger(depths[side])) corruptValue(`${where} ${SIDE_NAMES[side]} level count`, depths[side], 'a non-negative safe integer');
      if (!isNonNegativeInteger(stopCounts[side])) corruptValue(`${where} ${STOP_SIDE_NAMES[side]} count`, stopCounts[side], 'a non-negative safe integer');
    }
    if (depths[0] + depths[1] + stopCounts[0] + stopCounts[1] === 0 && lastPrice === 0) {
      throw corrupt(`${where} has no levels, no stops and no last price (books without state are not listed)`);
    }
    this.p += BOOK_SLOTS;
    this.bestBid = 0;
    this.side = -1;
    this.nextSide();
  }

  /** On to the next side's levels, or past the asks to the stops. */
  private nextSide(): void {
    if (this.side >= 0) this.levelTotal += this.depths[this.side];
    this.side++;
    this.rank = 0;
    this.previousPrice = 0;
    if (this.side === 2) {
      this.side = -1;
      this.nextStopSide();
      return;
    }
    const depth = this.depths[this.side];
    if (this.p + depth * LEVEL_SLOTS > this.totalSlots) throw corrupt(`${this.where} claims ${depth} ${SIDE_NAMES[this.side]} levels, more than fit`);
    this.refuseBeyondLimits(this.orderTotal, this.stopTotal, this.levelTotal + depth);
    this.nextLevel();
  }

  private nextLevel(): void {
    if (this.rank === this.depths[this.side]) {
      this.nextSide();
      return;
    }
    if (this.p + LEVEL_SLOTS > this.totalSlots) throw corrupt(`${this.levelName()} is cut off`);
    this.expecting = LEVEL;
  }

  /** Named only on a failure (see firstUnsoundOrder). */
  private levelName(): string {
    return `${this.where} ${SIDE_NAMES[this.side]} level ${this.rank}`;
  }

  private level(slots: Float64Array, i: number): void {
    const { side, rank } = this;
    const price = slots[i];
    const count = slots[i + 1];
    if (!(isNonNegativeInteger(price) && price > 0)) corruptValue(`${this.levelName()} price`, price, 'a positive safe integer');
    if (!(isNonNegativeInteger(count) && count > 0)) corruptValue(`${this.levelName()} order count`, count, 'a positive safe integer');
    const previousPrice = this.previousPrice;
    if (rank > 0 && (side === SideCode.BID ? price >= previousPrice : price <= previousPrice)) {
      throw corrupt(`${this.levelName()} price ${price} is not ${side === SideCode.BID ? 'below' : 'above'} the previous level's ${previousPrice}: levels must be best first`);
    }
    if (side === SideCode.BID && rank === 0) this.bestBid = price;
    if (side === SideCode.ASK && rank === 0 && this.depths[0] > 0 && price <= this.bestBid) {
      throw corrupt(`${this.where} best ask ${price} is not above best bid ${this.bestBid}`);
    }
    this.previousPrice = price;
    this.p += LEVEL_SLOTS;
    if (this.p + count * ORDER_SLOTS > this.totalSlots) throw corrupt(`${this.levelName()} claims ${count} orders, more than fit in the snapshot`);
    // Compared here, the refusal's call made only when it refuses: this runs for every level.
    if (this.orderTotal + this.stopTotal + count > this.maxOrders) this.refuseBeyondLimits(this.orderTotal + count, this.stopTotal, this.levelTotal + this.depths[side]);
    this.levelOrders = count;
    this.ordersLeft = count;
    this.expecting = ORDERS;
  }

  /** As many of the level's orders as are whole in slots[i..available). */
  private orders(slots: Float64Array, i: number, available: number): number {
    const count = Math.min(this.ordersLeft, Math.floor((available - i) / ORDER_SLOTS));
    if (count === 0) return 0;
    const unsound = firstUnsoundOrder(slots, i, count, this.nextOrderId);
    // The sound orders before an unsound one have their ids taken first, as pieces that end
    // before it would: the verdict's message is then the same whatever the pieces.
    this.ids!.take(slots, i, unsound >= 0 ? unsound : count, ORDER_SLOTS);
    if (unsound >= 0) {
      failOrder(slots, i + unsound * ORDER_SLOTS, this.nextOrderId, `${this.levelName()} order ${this.levelOrders - this.ordersLeft + unsound}`);
    }
    noteOcoLegs(slots, i, count, this.ocoLegs, this.book, this.side);
    this.p += count * ORDER_SLOTS;
    this.ordersLeft -= count;
    if (this.ordersLeft === 0) {
      this.orderTotal += this.levelOrders;
      this.rank++;
      this.nextLevel();
    }
    return count * ORDER_SLOTS;
  }

  /** On to the next stop list, or past the sell stops to the next book. */
  private nextStopSide(): void {
    if (this.side >= 0) this.stopTotal += this.stopCounts[this.side];
    this.side++;
    this.rank = 0;
    if (this.side === 2) {
      this.nextBook();
      return;
    }
    const count = this.stopCounts[this.side];
    if (this.p + count * STOP_SLOTS > this.totalSlots) throw corrupt(`${this.stopListName()} claim ${count} stops, more than fit in the snapshot`);
    this.refuseBeyondLimits(this.orderTotal, this.stopTotal + count, this.levelTotal);
    this.nextStop();
  }

  private nextStop(): void {
    if (this.rank === this.stopCounts[this.side]) this.nextStopSide();
    else this.expecting = STOPS;
  }

  private stopListName(): string {
    return `${this.where} ${STOP_SIDE_NAMES[this.side]}s`;
  }

  private stop(slots: Float64Array, i: number): void {
    const { side, rank } = this;
    const name = (): string => `${this.stopListName()} ${rank}`;
    checkStop(slots, i, this.nextOrderId, side, this.lastPrice, name);
    const id = slots[i];
    const stopPrice = slots[i + 5];
    if (rank > 0 && !triggersAfter(side, this.previousStop, this.previousStopId, stopPrice, id)) {
      throw corrupt(`${name()} (id ${id}) is not after the stop before it: stops must be in trigger order`);
    }
    if ((slots[i + 4] & OCO_LEG) !== 0) this.ocoLegs.set(id, { book: this.book, side, resting: false });
    this.ids!.take(slots, i, 1, STOP_SLOTS);
    this.previousStop = stopPrice;
    this.previousStopId = id;
    this.p += STOP_SLOTS;
    this.rank++;
    this.nextStop();
  }
}

/**
 * Finds a repeated order id. Ids are below nextOrderId, so when that bound is within a small
 * multiple of the order count a bitmap finds a repeat as it comes (a million orders: ~15 ms);
 * ids spread far wider are gathered and sorted once every id is in (~120 ms for a million). A Set
 * of a million takes longer than both.
 */
class RepeatedIds {
  private readonly seen: Uint32Array | null;
  private ids: Float64Array;
  private count = 0;

  /** mostIds: how many ids the snapshot can hold at most. */
  constructor(nextOrderId: number, mostIds: number) {
    const useBitmap = nextOrderId <= 64 * Math.max(mostIds, 65_536) && nextOrderId <= 2 ** 32;
    this.seen = useBitmap ? new Uint32Array(Math.ceil(nextOrderId / 32)) : null;
    this.ids = new Float64Array(useBitmap ? 0 : Math.min(mostIds, 65_536));
  }

  /** `count` ids, every `stride` slots from p. */
  take(slots: Float64Array, p: number, count: number, stride: number): void {
    if (this.seen !== null) {
      const repeated = markIds(slots, p, count, stride, this.seen);
      if (repeated >= 0) throw corrupt(`order id ${repeated} appears more than once`);
      return;
    }
    if (this.count + count > this.ids.length) {
      const grown = new Float64Array(Math.max(this.ids.length * 2, this.count + count));
      grown.set(this.ids.subarray(0, this.count));
      this.ids = grown;
    }
    this.count = copyIds(slots, p, count, stride, this.ids, this.count);
  }

  /** Once every id is in. */
  check(): void {
    if (this.seen !== null) return;
    const ids = this.ids.subarray(0, this.count).sort();
    for (let i = 1; i < ids.length; i++) {
      if (ids[i] === ids[i - 1]) throw corrupt(`order id ${ids[i]} appears more than once`);
    }
  }
}

/** Whether a stop (stop price, id) comes after the one before it in its side's trigger order. */
function triggersAfter(side: number, previousStop: number, previousId: number, stop: number, id: number): boolean {
  if (stop === previousStop) return id > previousId;
  return side === SideCode.BID ? stop > previousStop : stop < previousStop;
}

/** Every OCO leg has its other leg: the limit leg N resting, the stop leg N + 1 pending, in one book and side. */
function checkOcoPairs(legs: Map<number, OcoLeg>): void {
  for (const [id, leg] of legs) {
    const otherId = leg.resting ? id + 1 : id - 1;
    const other = legs.get(otherId);
    if (other === undefined || other.resting === leg.resting || other.book !== leg.book || other.side !== leg.side) {
      throw corrupt(`OCO ${leg.resting ? 'limit' : 'stop'} leg ${id} has no ${leg.resting ? 'pending stop' : 'resting limit'} leg ${otherId} beside it`);
    }
  }
}

/**
 * The index of the first of a level's `count` orders (from slot p) that is not sound, or -1. Its
 * own small function, and nothing named unless one fails: a recovery checks a million orders once,
 * and V8 optimises a function called once per level long before it would the whole check's loop
 * (cold, the check of a 1M-order snapshot took 83-130 ms, warm 23-35 ms); a place named for every
 * order, as a string, had cost as much again.
 */
function firstUnsoundOrder(slots: Float64Array, p: number, count: number, nextOrderId: number): number {
  for (let k = 0; k < count; k++, p += ORDER_SLOTS) {
    const id = slots[p];
    const flags = slots[p + 4];
    // nextOrderId is a safe integer, so an integer id in [1, nextOrderId) is one too.
    const sound = id >= 1 && id < nextOrderId && Math.floor(id) === id && isCount(slots[p + 1]) && slots[p + 2] >= 1
      && isCount(slots[p + 2]) && isCount(slots[p + 3]) && isCount(flags) && flags < ORDER_FLAGS_BELOW;
    if (!sound) return k;
  }
  return -1;
}

/** Notes the OCO limit legs among a level's orders (small and on its own for the reason firstUnsoundOrder is). */
function noteOcoLegs(slots: Float64Array, p: number, count: number, legs: Map<number, OcoLeg>, book: number, side: number): void {
  for (let k = 0; k < count; k++, p += ORDER_SLOTS) {
    if ((slots[p + 4] & OCO_LEG) !== 0) legs.set(slots[p], { book, side, resting: true });
  }
}

/** A non-negative safe integer, not -0 (NaN fails the first comparison). */
function isCount(value: number): boolean {
  return value >= 0 && value <= Number.MAX_SAFE_INTEGER && Math.floor(value) === value && 1 / value > 0;
}

/** Says what is wrong with an order firstUnsoundOrder found unsound. */
function failOrder(slots: Float64Array, p: number, nextOrderId: number, where: string): never {
  const id = slots[p];
  if (!(isNonNegativeInteger(id) && id > 0)) corruptValue(`${where} id`, id, 'a positive safe integer');
  if (id >= nextOrderId) throw corrupt(`${where} id ${id} is not below nextOrderId ${nextOrderId}`);
  if (!isNonNegativeInteger(slots[p + 1])) corruptValue(`${where} (id ${id}) trader`, slots[p + 1], 'a non-negative safe integer');
  const remaining = slots[p + 2];
  if (!(isNonNegativeInteger(remaining) && remaining > 0)) corruptValue(`${where} (id ${id}) remaining`, remaining, 'a positive safe integer');
  if (!isNonNegativeInteger(slots[p + 3])) corruptValue(`${where} (id ${id}) timestamp`, slots[p + 3], 'a non-negative safe integer');
  corruptValue(`${where} (id ${id}) flags`, slots[p + 4], 'stp 0..3 | OCO_LEG 4');
}

function checkStop(slots: Float64Array, p: number, nextOrderId: number, side: number, lastPrice: number, where: () => string): void {
  const id = slots[p];
  if (!(isNonNegativeInteger(id) && id > 0)) corruptValue(`${where()} id`, id, 'a positive safe integer');
  if (id >= nextOrderId) throw corrupt(`${where()} id ${id} is not below nextOrderId ${nextOrderId}`);
  if (!isNonNegativeInteger(slots[p + 1])) corruptValue(`${where()} (id ${id}) trader`, slots[p + 1], 'a non-negative safe integer');
  const size = slots[p + 2];
  if (!(isNonNegativeInteger(size) && size > 0)) corruptValue(`${where()} (id ${id}) size`, size, 'a positive safe integer');
  if (!isNonNegativeInteger(slots[p + 3])) corruptValue(`${where()} (id ${id}) timestamp`, slots[p + 3], 'a non-negative safe integer');
  const flags = slots[p + 4];
  const price = slots[p + 6];
  const protectionPrice = slots[p + 7];
  // The whole value bounded first: `>>` would cut a larger one to 32 bits, and the cores read it apart.
  if (!(isNonNegativeInteger(flags) && flags < STOP_FLAGS_BELOW && (flags & 3) <= StpCode.CANCEL_BOTH)) {
    corruptValue(`${where()} (id ${id}) flags`, flags, 'stp 0..3 | OCO_LEG 4 | timeInForce 0..3 << 3');
  }
  const stop = slots[p + 5];
  if (!(isNonNegativeInteger(stop) && stop > 0)) corruptValue(`${where()} (id ${id}) stop price`, stop, 'a positive safe integer');
  if (!isNonNegativeInteger(price)) corruptValue(`${where()} (id ${id}) price`, price, 'a non-negative safe integer (0: a stop-market)');
  if (!isNonNegativeInteger(protectionPrice)) corruptValue(`${where()} (id ${id}) protection price`, protectionPrice, 'a non-negative safe integer');
  if (price !== 0 && protectionPrice !== 0) throw corrupt(`${where()} (id ${id}) is a stop-limit with a protection price`);
  if (price === 0 && flags >> TIF_SHIFT !== 0) throw corrupt(`${where()} (id ${id}) is a stop-market with a time in force`);
  if (lastPrice !== 0 && (side === SideCode.BID ? lastPrice >= stop : lastPrice <= stop)) {
    throw corrupt(`${where()} (id ${id}) at stop price ${stop} should have triggered at the last price ${lastPrice}`);
  }
}

function corruptValue(field: string, value: number, expected: string): never {
  throw corrupt(`${field} is ${value}, expected ${expected}`);
}

/** Sets the bits of `count` ids (every `stride` slots from p); returns the first already set, or -1. */
function markIds(slots: Float64Array, p: number, count: number, stride: number, seen: Uint32Array): number {
  for (let i = 0; i < count; i++, p += stride) {
    const id = slots[p];
    const word = id >>> 5;
    const bit = 1 << (id & 31);
    if ((seen[word] & bit) !== 0) return id;
    seen[word] |= bit;
  }
  return -1;
}

function copyIds(slots: Float64Array, p: number, count: number, stride: number, into: Float64Array, k: number): number {
  for (let i = 0; i < count; i++, p += stride) into[k++] = slots[p];
  return k;
}
