// Every trader's open orders (resting, or waiting as pending stops) as the durable commits leave
// them: the answer to getTraderOrders(trader, { status: 'open' }), kept in memory rather than as an
// index entry put and deleted for every order, which was most of what the index worker wrote
// (docs/storage.md, "Open orders" and round 23).
//
// The set is built once, from the book, at a commit boundary: at the cut of the flush the first
// query waits for, when the book is exactly what the commits cut so far leave. It is read only
// once that commit is durable. From then on each durable commit applies its own openings and
// closings (the index deriver lists them once the set is built, IndexOps.openChanges), in commit
// order. Nothing is built or listed for a machine that is never asked, and reopening costs nothing.
//
// Typed arrays, no object per order: a slot per open order (its id, placing sequence, pairing,
// trader's number and links in that trader's list), and two of the JS core's id maps (OrderIndex):
// order id to slot, and trader to number (an entry per trader, never taken out: traders are few and
// come back).
//
// A page of closed orders skips the open ones without reading their records (audit-trail.ts), but
// an open OCO limit leg's posting also lists its stop leg (id + 1), which is closed once the limit
// leg fills in part: so each open order carries its pairing, whether its command placed id + 1
// with it.
import { OrderIndex } from '../js-core/order-index.js';
import { growFloat64, growInt32, growUint8 } from '../js-core/typed-arrays.js';
import type { Commit } from './commit-builder.js';
import type { CommitFollower } from './committer.js';
import { CLOSED, OPEN_CHANGE_SLOTS, type IndexOps } from './index-ops.js';

const NONE = -1;
/**
 * Openings held back at most, and the span of order ids they may cover (see deferredAt). Replaying a
 * million commands' recorded openings and closings (docs/storage.md, round 51) into the set with 8
 * MB of other memory swept between commits, as the rest of a flush sweeps the caches: 135 ns a
 * change without holding back; 77 ns at 16,384, 63 at 65,536, 58 at 262,144. The arrays take 1.6
 * MB, made the first time an opening is held back.
 */
export const DEFERRED_OPENINGS = 65_536;
/** A placing sequence not known: an order that was open when the set was built from the book. */
export const UNKNOWN_SEQ = 0;

/** An open order's pairing: placed alone (or a stop, which no order placed with it follows). */
export const UNPAIRED = 0;
/** An open order's pairing: an OCO limit leg, whose stop leg is id + 1. */
export const PAIRED = 1;
/**
 * An open order's pairing, not known: a resting order the set took from the book without its OCO
 * flag, which is a plain order or a limit leg whose stop leg left (the book clears the flag then)
 * unless id + 1 was in the book too. Learned by reading where it was placed (learnPairing).
 */
export const PAIRING_UNKNOWN = 2;
/** What `placing` gives for an order that is not open as the posting says. */
export const NOT_OPEN = -1;

/** A trader's open orders: ids ascending (placement order), and each one's placing sequence (UNKNOWN_SEQ: not known). */
export interface OpenOrderIds {
  ids: Float64Array;
  seqs: Float64Array;
}

/** A page of a trader's open ids: `count` of them past `bound` (below it newest first, at or above it oldest first). */
export interface OpenIdPage {
  bound: number;
  newestFirst: boolean;
  count: number;
}

/** What the set is built from: every open order of the book; and where the commits' openings are listed. */
export interface BookOfOrders {
  /** Calls `visit` for each resting order and pending stop; ocoLeg: the book still links it to its OCO sibling. */
  forEachOpen(visit: (orderId: number, trader: number, ocoLeg: boolean, pending: boolean) => void): void;
  /** From now on the commits list their openings and closings (none is cut yet). */
  listOpenings(): void;
}

export class OpenOrders implements CommitFollower {
  private readonly index = new OrderIndex(1024);
  private id: Float64Array = new Float64Array(1024);
  private seq: Float64Array = new Float64Array(1024);
  private pairing: Uint8Array = new Uint8Array(1024);
  private next: Int32Array = new Int32Array(1024);
  private prev: Int32Array = new Int32Array(1024);
  private highWater = 0;
  private freeHead = NONE;
  /**
   * Each trader's number, given on its first order and kept (traders are few and come back), and
   * per number its list's first slot and length. Numbers are found through an OrderIndex keyed by
   * trader + 1: its keys are never 0, and trader 0 is a trader.
   */
  private readonly traderNumbers = new OrderIndex(64);
  private traders = 0;
  private listHead: Int32Array = new Int32Array(64);
  private listCount: Int32Array = new Int32Array(64);
  /** Each slot's trader number. */
  private list: Int32Array = new Int32Array(1024);
  /** Open orders in the slots (the deferred openings not counted). */
  private held = 0;
  /**
   * Openings of orders newer than any the set has held, not in the slots yet. Most orders close
   * soon after they open (of the bench's steady flow's 149,839 openings in 300,000 commands, 87%
   * closed before 65,536 more had opened), and one opened and closed while held back never touches
   * the id map or a trader's list, each a cache miss or more: the set's work on the flush's path
   * (the commit is followed before its flush resolves) halves. The held-back ids span
   * [deferredBase, deferredBase + DEFERRED_OPENINGS) and none of them is in a slot, so a closing
   * in the span only unmarks. deferredAt[id - deferredBase] is the id's opening's index + 1, or 0
   * (none, or closed since). Every read puts the openings in first (settle()); so does an opening
   * past the span, or one more than the arrays hold. A read after every commit nets only within
   * a commit, and then costs about a tenth more than listing each change at once (round 51).
   */
  private deferredBase = 0;
  private deferredCount = 0;
  /** The highest deferredAt index written since the last settle, + 1: what settle() clears. */
  private deferredReach = 0;
  private deferredAt: Int32Array = new Int32Array(0);
  private deferredId: Float64Array = new Float64Array(0);
  private deferredTrader: Float64Array = new Float64Array(0);
  private deferredSeq: Float64Array = new Float64Array(0);
  private deferredPairing: Uint8Array = new Uint8Array(0);
  /** The highest order id ever opened or held back (-1: none): a newer one is in no slot. */
  private newestId = -1;
  /** Built from the book as it stood after this sequence (-1: not built); commits up to it are in the book already. */
  private baseSeq = -1;
  /**
   * Durable commits whose openings and closings are not applied yet (from appliedUpTo on): a
   * commit's followers run before its flush resolves, and this set's share of that, 60-85 us a
   * commit of 1,000 commands, waits for the next write to be posted, or for a read (round 52).
   */
  private readonly unapplied: IndexOps[] = [];
  private appliedUpTo = 0;
  /** What a put-off commit threw when applied (null: none did). */
  private applyFailure: unknown = null;
  /** A query asked for the set while commands were not durable: built at the next cut. */
  private buildAtCut = false;
  /** Why the last build at a cut failed, for the query that asked (a cut must not fail). */
  private buildError: unknown = null;

  /** durableThrough: the last sequence of the durable commits (at open, the recovered journal's). */
  constructor(private readonly book: BookOfOrders, private durableThrough: number) {}

  /** Slots ever taken (the tests read it: an order opened and closed while held back takes none). */
  get slotsUsed(): number {
    return this.highWater;
  }

  /** Open orders. */
  get size(): number {
    this.settle();
    return this.held;
  }

  get built(): boolean {
    return this.baseSeq >= 0;
  }

  /** Built, and the commit the book was taken at is durable: what the set holds may be read. */
  get ready(): boolean {
    return this.baseSeq >= 0 && this.durableThrough >= this.baseSeq;
  }

  /** Why the last build at a cut failed (null: it did not), once. */
  takeBuildError(): unknown {
    const error = this.buildError;
    this.buildError = null;
    return error;
  }

  /** Builds the set at the next cut (the committer then cuts everything applied so far). */
  requestBuildAtCut(): void {
    if (!this.built) this.buildAtCut = true;
  }

  /**
   * Called at every cut, with the sequence everything applied so far ends at: builds the set if a
   * query asked for it (the book now is what the commits cut so far leave).
   */
  cutAt(lastSequence: number): void {
    if (!this.buildAtCut) return;
    this.buildAtCut = false;
    try {
      this.build(lastSequence);
    } catch (error) {
      this.buildError = error;
    }
  }

  /** Builds the set from the book, which stands after `lastSequence`; a failure leaves it unbuilt. */
  build(lastSequence: number): void {
    if (this.built) return;
    try {
      // A resting limit leg the book still links has its stop leg pending, id + 1; a pending stop is
      // no limit leg.
      this.book.forEachOpen((orderId, trader, ocoLeg, pending) =>
        this.open(orderId, trader, UNKNOWN_SEQ, pending ? UNPAIRED : ocoLeg ? PAIRED : PAIRING_UNKNOWN));
    } catch (error) {
      this.empty();
      throw error;
    }
    // An order in the book beside id + 1 without the OCO flag was not placed with it: were id + 1
    // its stop leg, both there, the book would link them.
    for (let slot = 0; slot < this.highWater; slot++) {
      if (this.pairing[slot] === PAIRING_UNKNOWN && this.index.get(this.id[slot]) === slot && this.index.get(this.id[slot] + 1) !== NONE) {
        this.pairing[slot] = UNPAIRED;
      }
    }
    this.baseSeq = lastSequence;
    this.book.listOpenings();
  }

  committed(commit: Commit): void {
    this.durableThrough = commit.lastSeq;
    if (commit.lastSeq > this.baseSeq && this.built) this.unapplied.push(commit.index);
    else commit.index.releaseOpenChanges();
  }

  /**
   * The next write is under way: the commits put off by committed() are applied now. A caller
   * awaiting each flush would otherwise wait for them between its write landing and its next
   * write starting; here they overlap the disk.
   */
  writePosted(): void {
    this.applyPutOff();
  }

  /**
   * The commits put off by committed(), applied in order. A commit that fails to apply (a bug) has
   * left the set short of it for good: from then on every read and every later call throws the
   * same, and the committer, hearing it from writePosted(), writes nothing more.
   */
  private applyPutOff(): void {
    if (this.applyFailure !== null) throw this.applyFailure;
    const commits = this.unapplied;
    try {
      while (this.appliedUpTo < commits.length) {
        const ops = commits[this.appliedUpTo++];
        this.apply(ops);
        ops.releaseOpenChanges();
      }
    } catch (error) {
      this.applyFailure = error;
      throw error;
    }
    commits.length = 0;
    this.appliedUpTo = 0;
  }

  /** A commit's openings and closings, in the order its commands made them. */
  private apply(ops: IndexOps): void {
    let left = ops.openChangeCount * OPEN_CHANGE_SLOTS;
    for (const changes of ops.openChangeChunks) {
      const end = Math.min(left, changes.length);
      left -= end;
      for (let o = 0; o < end; o += OPEN_CHANGE_SLOTS) {
        const orderId = changes[o];
        const placedSeq = changes[o + 2];
        if (placedSeq === CLOSED) this.closing(orderId);
        else this.opening(orderId, changes[o + 1], placedSeq, changes[o + 3]);
      }
    }
  }

  /**
   * The trader's open orders; with `page`, only the `count` nearest past its bound, in its order:
   * newest first the greatest ids below `bound`, else the least at or above it. A page walks the
   * trader's list but copies no more than it gives: an audit's 51 of a market maker's 100,000 open
   * orders copied and sorted all 100,000 (docs/storage.md, round 40).
   */
  ofTrader(trader: number, page?: OpenIdPage): OpenOrderIds {
    this.settle();
    if (page !== undefined) return this.pageOfTrader(trader, page);
    const number = this.traderNumbers.get(trader + 1);
    const count = number === NONE ? 0 : this.listCount[number];
    const ids = new Float64Array(count);
    let at = 0;
    for (let slot = number === NONE ? NONE : this.listHead[number]; slot !== NONE; slot = this.next[slot]) ids[at++] = this.id[slot];
    ids.sort();
    const seqs = new Float64Array(count);
    for (let i = 0; i < count; i++) seqs[i] = this.seq[this.index.get(ids[i])];
    return { ids, seqs };
  }

  private pageOfTrader(trader: number, { bound, newestFirst, count }: OpenIdPage): OpenOrderIds {
    const number = this.traderNumbers.get(trader + 1);
    const nearest = new Float64Array(Math.min(count, number === NONE ? 0 : this.listCount[number]));
    let kept = 0;
    for (let slot = number === NONE ? NONE : this.listHead[number]; slot !== NONE; slot = this.next[slot]) {
      const id = this.id[slot];
      if (newestFirst ? id >= bound : id < bound) continue;
      // Kept nearest first (descending newest first): where the id goes, if it is among the nearest.
      let low = 0;
      let high = kept;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (newestFirst ? nearest[mid] > id : nearest[mid] < id) low = mid + 1;
        else high = mid;
      }
      if (low === nearest.length) continue;
      nearest.copyWithin(low + 1, low, Math.min(kept, nearest.length - 1));
      nearest[low] = id;
      if (kept < nearest.length) kept++;
    }
    const ids = kept === nearest.length ? nearest : nearest.subarray(0, kept);
    const seqs = new Float64Array(kept);
    for (let i = 0; i < kept; i++) seqs[i] = this.seq[this.index.get(ids[i])];
    return { ids, seqs };
  }

  /** Whether order `orderId` is open. */
  isOpen(orderId: number): boolean {
    this.settle();
    return this.index.get(orderId) !== NONE;
  }

  /**
   * The pairing of the order a posting of `trader` at placing sequence `seq` names, if it is open
   * and that trader's, placed at `seq` (a sequence the set does not know agrees); else NOT_OPEN.
   */
  placing(orderId: number, trader: number, seq: number): number {
    this.settle();
    const slot = this.index.get(orderId);
    if (slot === NONE || this.list[slot] !== this.traderNumbers.get(trader + 1)) return NOT_OPEN;
    if (this.seq[slot] !== UNKNOWN_SEQ && this.seq[slot] !== seq) return NOT_OPEN;
    return this.pairing[slot];
  }

  /** What the placing of an open order whose pairing was not known says: `paired`, an OCO limit leg. */
  learnPairing(orderId: number, paired: boolean): void {
    this.settle();
    const slot = this.index.get(orderId);
    if (slot !== NONE) this.pairing[slot] = paired ? PAIRED : UNPAIRED;
  }

  /** A commit's opening: held back if the order is newer than any the set has held (see deferredAt), else applied. */
  private opening(orderId: number, trader: number, placedSeq: number, pairing: number): void {
    if (this.deferredCount > 0) {
      const offset = orderId - this.deferredBase;
      // Older than the span: it may be in a slot (a stop that triggers and rests).
      if (offset < 0) {
        this.open(orderId, trader, placedSeq, pairing);
        return;
      }
      if (offset < DEFERRED_OPENINGS && this.deferredCount < DEFERRED_OPENINGS) {
        this.defer(offset, orderId, trader, placedSeq, pairing);
        return;
      }
      // Past the span, or the span full: what it holds goes in first, and a new span starts.
      this.insertDeferred();
    }
    if (orderId > this.newestId) {
      this.deferredBase = orderId;
      this.defer(0, orderId, trader, placedSeq, pairing);
      return;
    }
    this.open(orderId, trader, placedSeq, pairing);
  }

  private defer(offset: number, orderId: number, trader: number, placedSeq: number, pairing: number): void {
    // A stop that triggers and rests, an order modified in place: open all along, held back once.
    if (this.deferredAt.length === 0) this.makeDeferred();
    if (this.deferredAt[offset] !== 0) return;
    const at = this.deferredCount++;
    this.deferredAt[offset] = at + 1;
    if (offset >= this.deferredReach) this.deferredReach = offset + 1;
    this.deferredId[at] = orderId;
    this.deferredTrader[at] = trader;
    this.deferredSeq[at] = placedSeq;
    this.deferredPairing[at] = pairing;
    if (orderId > this.newestId) this.newestId = orderId;
  }

  /** A commit's closing: an opening held back is dropped, both unseen; else the order leaves the slots. */
  private closing(orderId: number): void {
    const offset = orderId - this.deferredBase;
    if (this.deferredCount > 0 && offset >= 0 && offset < DEFERRED_OPENINGS) {
      // In the span: in no slot, so at most held back.
      this.deferredAt[offset] = 0;
      return;
    }
    this.close(orderId);
  }

  /** Before a read: the commits put off applied, then the openings held back put in. */
  private settle(): void {
    this.applyPutOff();
    this.insertDeferred();
  }

  /** Puts the openings held back, and not closed since, into the slots. */
  private insertDeferred(): void {
    const count = this.deferredCount;
    if (count === 0) return;
    const base = this.deferredBase;
    for (let at = 0; at < count; at++) {
      const orderId = this.deferredId[at];
      if (this.deferredAt[orderId - base] === at + 1) this.insert(orderId, this.deferredTrader[at], this.deferredSeq[at], this.deferredPairing[at]);
    }
    this.deferredAt.fill(0, 0, this.deferredReach);
    this.deferredReach = 0;
    this.deferredCount = 0;
  }

  private makeDeferred(): void {
    this.deferredAt = new Int32Array(DEFERRED_OPENINGS);
    this.deferredId = new Float64Array(DEFERRED_OPENINGS);
    this.deferredTrader = new Float64Array(DEFERRED_OPENINGS);
    this.deferredSeq = new Float64Array(DEFERRED_OPENINGS);
    this.deferredPairing = new Uint8Array(DEFERRED_OPENINGS);
  }

  private open(orderId: number, trader: number, placedSeq: number, pairing: number): void {
    // A stop that triggers and rests, an order modified in place: open all along, never listed twice.
    if (this.index.get(orderId) !== NONE) return;
    this.insert(orderId, trader, placedSeq, pairing);
  }

  /** Lists an order that is in no slot. */
  private insert(orderId: number, trader: number, placedSeq: number, pairing: number): void {
    if (orderId > this.newestId) this.newestId = orderId;
    const slot = this.takeSlot();
    const list = this.traderNumber(trader);
    this.id[slot] = orderId;
    this.seq[slot] = placedSeq;
    this.pairing[slot] = pairing;
    this.list[slot] = list;
    const head = this.listHead[list];
    this.prev[slot] = NONE;
    this.next[slot] = head;
    if (head !== NONE) this.prev[head] = slot;
    this.listHead[list] = slot;
    this.listCount[list]++;
    this.index.add(orderId, slot);
    this.held++;
  }

  private traderNumber(trader: number): number {
    let number = this.traderNumbers.get(trader + 1);
    if (number === NONE) {
      number = this.traders++;
      this.traderNumbers.add(trader + 1, number);
      if (number === this.listHead.length) {
        this.listHead = growInt32(this.listHead, number * 2);
        this.listCount = growInt32(this.listCount, number * 2);
      }
      this.listHead[number] = NONE;
    }
    return number;
  }

  private close(orderId: number): void {
    const slot = this.index.get(orderId);
    if (slot === NONE) return;
    this.index.delete(orderId);
    const list = this.list[slot];
    const next = this.next[slot];
    const prev = this.prev[slot];
    if (prev === NONE) this.listHead[list] = next;
    else this.next[prev] = next;
    if (next !== NONE) this.prev[next] = prev;
    this.listCount[list]--;
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
    this.held--;
  }

  /** Takes every order out (a build that failed part way). A free slot's id is stale: it is live elsewhere, or not at all. */
  private empty(): void {
    for (let slot = 0; slot < this.highWater && this.held > 0; slot++) {
      if (this.index.get(this.id[slot]) === slot) this.close(this.id[slot]);
    }
  }

  private takeSlot(): number {
    if (this.freeHead !== NONE) {
      const slot = this.freeHead;
      this.freeHead = this.next[slot];
      return slot;
    }
    if (this.highWater === this.id.length) this.grow(this.id.length * 2);
    return this.highWater++;
  }

  private grow(capacity: number): void {
    this.id = growFloat64(this.id, capacity);
    this.list = growInt32(this.list, capacity);
    this.seq = growFloat64(this.seq, capacity);
    this.pairing = growUint8(this.pairing, capacity);
    this.next = growInt32(this.next, capacity);
    this.prev = growInt32(this.prev, capacity);
  }
}

