// What the indexes hold, derived from one commit's events (keys.ts, "derived"): who placed which
// order and when (TRADER_ORDER, CLIENT_ID), which commits touched an order or a trader after it
// was placed (ORDER_TOUCH, TRADER_TOUCH), where each asset's feed messages start (FEED_SPAN). One
// set of rules, run live as commands are applied (the commit builder feeds it the engine's events)
// and on recovery over the stored event blocks past the index watermark, so both produce the same
// entries. Live, it also lists which orders open (rest, or wait as pending stops) and close, for
// the open-order set in memory (open-orders.ts).
import { EventCode } from '../codes.js';
import { EVENT_SLOTS, EventHead, EventSlot } from '../events.js';
import type { EventBlock } from './event-block.js';
import { IdSet } from './id-set.js';
import { IndexOps, NO_VALUE, SpareOps } from './index-ops.js';
import { Prefix } from './keys.js';
import { PAIRED, UNPAIRED } from './open-orders.js';

// The record layout and codes derive reads, as this module's own consts: TurboFan folds them into
// its code. Each use of an imported object's field is a module-variable load, a hole check and a
// map check (round 54); copied into derive's locals from the imports they were values it could not
// fold, held tagged on the stack and untagged at each use (round 57).
const SLOTS = EVENT_SLOTS;
const { COMMAND, ORDER_ID, TRADER, OTHER, OTHER2, REMAINING } = EventSlot;
const { KIND_MASK, PENDING, OCO, PRIORITY_LOST } = EventHead;
const LEVEL_OR_PENDING = EventHead.LEVEL | EventHead.PENDING;
const { ACCEPTED, REJECTED, RESTED, TRIGGERED, FILL, MODIFIED, REDUCED, REMOVED } = EventCode;
const { TRADER_ORDER, CLIENT_ID, ORDER_TOUCH, TRADER_TOUCH, FEED_SPAN } = Prefix;

export class IndexDeriver {
  private out: IndexOps = new IndexOps(1);
  private firstSeq = 0;
  private startHeight = 0;
  private firstOrderId = 0;
  /** Placement sequence of each order placed in this commit, by orderId - firstOrderId (ids are dense). */
  private placedSeq = new Float64Array(1024);
  /** Orders (placed before this commit) and traders with events in it. */
  private readonly touched = new IdSet();
  private readonly traders = new IdSet();
  /** A modified order that lost priority or a triggered stop, within its command, until it rests or is removed. */
  private reentering = 0;
  private reenterTrader = 0;
  /** The last OCO limit leg accepted: it rests, if at all, in the command that placed it, its stop leg beside it. */
  private limitLeg = 0;

  /**
   * Whether to list the openings and closings of orders: once the open-order set is built, and
   * only live (recovery derives what the index database holds).
   */
  listsOpenings = false;

  /** spares: the arrays of operations already written, to fill again. */
  constructor(private readonly spares: SpareOps = new SpareOps()) {}

  begin(firstSeq: number, startHeight: number, firstOrderId: number): void {
    // Filled chunk by chunk from the spares: never regrown, never refitted (index-ops.ts).
    this.out = this.spares.take();
    this.firstSeq = firstSeq;
    this.startHeight = startHeight;
    this.firstOrderId = firstOrderId;
    this.touched.clear();
    this.traders.clear();
  }

  /**
   * The events [0, count) of `events` (EVENT_SLOTS each), in commands' runs: each command's
   * sequence is `seqBase` plus its command slot, its height its first event's entry of `heights`
   * or, without them, `height`. One pass over a call's events, where a pass that split them into
   * commands' runs and a call for each run passed over them twice.
   */
  private derive(events: Float64Array, count: number, seqBase: number, height: number, heights: Float64Array | null): void {
    const out = this.out;
    const firstOrderId = this.firstOrderId;
    let command = -1;
    let seq = 0;
    let commandHeight = height;
    let lastTrader = -1;
    for (let k = 0; k < count; k++) {
      const e = k * SLOTS;
      if (events[e + COMMAND] !== command) {
        this.endReentry();
        command = events[e + COMMAND];
        seq = seqBase + command;
        if (heights !== null) commandHeight = heights[k];
        lastTrader = -1;
      }
      const head = events[e];
      const kind = head & KIND_MASK;
      const orderId = events[e + ORDER_ID];
      const trader = events[e + TRADER];
      const placedHere = orderId >= firstOrderId;
      if (trader !== lastTrader) {
        this.traders.add(trader);
        lastTrader = trader;
      }
      switch (kind) {
        case ACCEPTED:
        case REJECTED: {
          if (kind === REJECTED && orderId !== 0) break; // a refused cancel, reduce or modify
          if (orderId !== 0) this.placed(orderId, seq);
          // An OCO pair is one command: its stop leg is listed through its limit leg (ids N, N + 1).
          const pending = (head & PENDING) !== 0;
          if (!pending && (head & OCO) !== 0) this.limitLeg = orderId;
          if (!pending || (head & OCO) === 0) out.put(TRADER_ORDER, 3, trader, commandHeight, seq, orderId);
          const clientOrderId = events[e + OTHER];
          if (clientOrderId !== 0) out.put(CLIENT_ID, 2, trader, clientOrderId, 0, seq);
          // A stop is open from its placement: it waits, pending, until it triggers.
          if (pending && orderId !== 0) this.open(orderId, trader, seq, UNPAIRED);
          break;
        }
        case RESTED: {
          if (orderId === this.reentering) {
            this.reentering = 0; // a modified order or a triggered stop resting: it was open all along
            break;
          }
          if (placedHere) this.open(orderId, trader, this.placedSeq[orderId - firstOrderId], orderId === this.limitLeg ? PAIRED : UNPAIRED);
          break;
        }
        case TRIGGERED:
          // Open since its placement; closed once its entry ends filled, removed, or without resting.
          this.endReentry();
          if (!placedHere) this.touched.add(orderId);
          this.reentering = orderId;
          this.reenterTrader = trader;
          break;
        case FILL: {
          const taker = events[e + OTHER];
          this.traders.add(events[e + OTHER2]);
          if (!placedHere) this.touched.add(orderId);
          if (taker < firstOrderId) this.touched.add(taker);
          if (events[e + REMAINING] === 0) this.close(orderId, trader);
          break;
        }
        case MODIFIED:
          if (!placedHere) this.touched.add(orderId);
          if ((head & PRIORITY_LOST) !== 0) {
            this.reentering = orderId;
            this.reenterTrader = trader;
          }
          break;
        case REDUCED:
          if (!placedHere) this.touched.add(orderId);
          break;
        case REMOVED:
          if (orderId === this.reentering) {
            this.reentering = 0;
            this.close(orderId, trader); // a modified order stopped by STP: it was open
          } else if ((head & LEVEL_OR_PENDING) !== 0) {
            this.close(orderId, trader); // a resting order taken off the book, or a pending stop taken away
          }
          if (!placedHere) this.touched.add(orderId);
          break;
      }
    }
    this.endReentry();
  }

  /** A modified order or a triggered stop that neither rested nor was removed filled as a taker: it closed. */
  private endReentry(): void {
    if (this.reentering !== 0) this.close(this.reentering, this.reenterTrader);
    this.reentering = 0;
  }

  /**
   * The events [0, count) of `events` (EVENT_SLOTS each) of the commands numbered from `firstSeq`,
   * all applied at `height`, the command slot holding each command's index from the first (a live
   * call's or batch's own output).
   */
  commands(firstSeq: number, height: number, events: Float64Array, count: number): void {
    this.derive(events, count, firstSeq, height, null);
  }

  /** The operations of the commit begun last, ended or not. */
  get operations(): IndexOps {
    return this.out;
  }

  /** Ends the commit: its touch entries and feed spans; returns its operations. */
  end(lastSeq: number, feedStarts: Map<number, number>): IndexOps {
    const out = this.out;
    const firstSeq = this.firstSeq;
    const startHeight = this.startHeight;
    const touched = this.touched.items;
    for (let i = 0, count = this.touched.size; i < count; i++) out.put(ORDER_TOUCH, 2, touched[i], firstSeq, 0, NO_VALUE);
    const traders = this.traders.items;
    for (let i = 0, count = this.traders.size; i < count; i++) out.put(TRADER_TOUCH, 3, traders[i], startHeight, firstSeq, NO_VALUE);
    for (const [asset, feedSeq] of feedStarts) out.put(FEED_SPAN, 2, asset, feedSeq, 0, firstSeq);
    out.lastSeq = lastSeq;
    return out;
  }

  /** Derives a stored block's operations (recovery: the blocks past the watermark). */
  block(block: EventBlock): IndexOps {
    this.begin(block.firstSeq, block.startHeight, block.firstOrderId);
    // A stored block's command slot holds each command's own sequence.
    this.derive(block.events, block.count, 0, 0, block.heights);
    return this.end(block.lastSeq, block.feedStarts);
  }

  private placed(orderId: number, seq: number): void {
    const i = orderId - this.firstOrderId;
    if (i >= this.placedSeq.length) {
      const grown = new Float64Array(Math.max(i + 1, this.placedSeq.length * 2));
      grown.set(this.placedSeq);
      this.placedSeq = grown;
    }
    this.placedSeq[i] = seq;
  }

  /** An order opens: `placedSeq` is the command that placed it; pairing, whether it is an OCO limit leg (open-orders.ts). */
  private open(orderId: number, trader: number, placedSeq: number, pairing: number): void {
    if (this.listsOpenings) this.out.opened(orderId, trader, placedSeq, pairing);
  }

  private close(orderId: number, trader: number): void {
    if (this.listsOpenings) this.out.closed(orderId, trader);
  }
}
