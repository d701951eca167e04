// The index writer: derives, from each durable event block, the index entries that make orders,
// traders and feed messages findable without a scan (keys.ts, "derived"), and writes them behind
// the commits: low priority, unsynced, in batches of whole blocks, each batch carrying the
// INDEX_HEAD watermark of the last block it covers. A crash loses at most index entries past the
// watermark, and reopening derives them again from the blocks (indexing is idempotent).
//
// Until written, entries sit in an overlay (a sorted map of the newest value of each key, a
// tombstone for a delete) that queries read through, so a query is exact however far the index
// lags. An order that rests and closes before its TRADER_OPEN entry was handed to a write never
// costs a key: the put is dropped instead of following it with a delete.
import { EventCode } from '../codes.js';
import { EVENT_SLOTS, EventHead, EventSlot } from '../events.js';
import { EMPTY_VALUE, encodeUint } from './codecs.js';
import type { Commit } from './commit-builder.js';
import type { CommitFollower } from './committer.js';
import type { EventBlock } from './event-block.js';
import { Prefix, indexHeadKey, keyOf } from './keys.js';
import { SortedBytesMap, type KeyValueStore } from './memory-store.js';
import { OverlayReader } from './overlay.js';

/** Most index operations per write: a lagging index catches up in slices, never in one long write. */
const MAX_OPS_PER_WRITE = 50_000;

/** A key and its new value (undefined: delete), or null once dropped. */
type IndexOp = [Uint8Array, Uint8Array | undefined] | null;

interface PendingBlock {
  lastSeq: number;
  ops: IndexOp[];
}

export class Indexer implements CommitFollower {
  /** What is derived but not yet written; queries read through it. */
  readonly overlay = new SortedBytesMap();
  readonly reader: OverlayReader;
  private queue: PendingBlock[] = [];
  private queuedOps = 0;
  /** Unwritten TRADER_OPEN puts, trader -> orderId -> where the put is, so a close can drop it. */
  private readonly openPuts = new Map<number, Map<number, { block: PendingBlock; at: number }>>();
  private writing: Promise<void> | null = null;
  private idleWaiters: Array<() => void> = [];
  /** The last sequence whose entries are written. */
  indexedThrough: number;
  /** The last sequence whose entries are derived (written or in the overlay). */
  derivedThrough: number;
  /** The last index write failure, kept until a write succeeds (the entries stay in the overlay). */
  lastError: unknown = null;

  constructor(private readonly store: KeyValueStore, indexedThrough: number) {
    this.reader = new OverlayReader(this.overlay, store);
    this.indexedThrough = indexedThrough;
    this.derivedThrough = indexedThrough;
  }

  /** Sequences derived but not yet written. */
  get lag(): number {
    return this.derivedThrough - this.indexedThrough;
  }

  committed(_commit: Commit, block: EventBlock): void {
    this.derive(block);
    this.writeBehind();
  }

  /** Derives a block's entries into the overlay and the write queue. */
  derive(block: EventBlock): void {
    if (block.lastSeq <= this.derivedThrough) return; // already indexed (a replay after a crash)
    const pending: PendingBlock = { lastSeq: block.lastSeq, ops: [] };
    const put = (key: Uint8Array, value: Uint8Array | undefined): number => {
      pending.ops.push([key, value]);
      this.overlay.set(key, value);
      return pending.ops.length - 1;
    };
    const events = block.events;
    const placedHere = new Map<number, number>(); // orderId -> seq of its placement
    const touched = new Set<number>();
    const traders = new Set<number>();
    let reentering = 0; // an order modified with priority lost, or a triggered stop, until it rests or is removed
    let reenterSeq = 0;
    let reenterTrader = 0;
    const close = (orderId: number, trader: number): void => {
      const byOrder = this.openPuts.get(trader);
      const unwritten = byOrder?.get(orderId);
      if (unwritten !== undefined) {
        // It rested and closed before its TRADER_OPEN entry was written: no entry at all.
        unwritten.block.ops[unwritten.at] = null;
        byOrder!.delete(orderId);
        this.overlay.forget(keyOf(Prefix.TRADER_OPEN, trader, orderId));
        this.queuedOps--;
      } else {
        put(keyOf(Prefix.TRADER_OPEN, trader, orderId), undefined);
      }
    };
    const open = (orderId: number, trader: number, placedSeq: number): void => {
      const at = put(keyOf(Prefix.TRADER_OPEN, trader, orderId), encodeUint(placedSeq));
      let byOrder = this.openPuts.get(trader);
      if (byOrder === undefined) this.openPuts.set(trader, (byOrder = new Map()));
      byOrder.set(orderId, { block: pending, at });
    };
    const endReentry = (): void => {
      // A modified order or a triggered stop that neither rested nor was removed filled as a taker: it closed.
      if (reentering !== 0) close(reentering, reenterTrader);
      reentering = 0;
    };
    for (let k = 0; k < block.count; k++) {
      const e = k * EVENT_SLOTS;
      const head = events[e];
      const kind = head & EventHead.KIND_MASK;
      const seq = events[e + EventSlot.COMMAND];
      const orderId = events[e + EventSlot.ORDER_ID];
      const trader = events[e + EventSlot.TRADER];
      if (reentering !== 0 && seq !== reenterSeq) endReentry();
      traders.add(trader);
      const height = block.heights[k];
      switch (kind) {
        case EventCode.ACCEPTED:
        case EventCode.REJECTED: {
          if (kind === EventCode.REJECTED && orderId !== 0) break; // a refused cancel, reduce or modify
          if (kind === EventCode.ACCEPTED) placedHere.set(orderId, seq);
          // An OCO pair is one command: its stop leg is listed through its limit leg (ids N, N + 1).
          const stopLeg = (head & EventHead.OCO) !== 0 && (head & EventHead.PENDING) !== 0;
          if (!stopLeg) put(keyOf(Prefix.TRADER_ORDER, trader, height, seq), encodeUint(orderId));
          const clientOrderId = events[e + EventSlot.OTHER];
          if (clientOrderId !== 0) put(keyOf(Prefix.CLIENT_ID, trader, clientOrderId), encodeUint(seq));
          // A stop is open from its placement: it waits, pending, until it triggers.
          if (kind === EventCode.ACCEPTED && (head & EventHead.PENDING) !== 0) open(orderId, trader, seq);
          break;
        }
        case EventCode.RESTED: {
          if (orderId === reentering) {
            reentering = 0; // a modified order or a triggered stop resting: it was open all along
            break;
          }
          const placedSeq = placedHere.get(orderId);
          if (placedSeq !== undefined) open(orderId, trader, placedSeq);
          break;
        }
        case EventCode.TRIGGERED:
          // Open since its placement; closed once its entry ends filled, removed, or without resting.
          endReentry();
          if (!placedHere.has(orderId)) touched.add(orderId);
          reentering = orderId;
          reenterSeq = seq;
          reenterTrader = trader;
          break;
        case EventCode.FILL: {
          const taker = events[e + EventSlot.OTHER];
          traders.add(events[e + EventSlot.OTHER2]);
          if (!placedHere.has(orderId)) touched.add(orderId);
          if (!placedHere.has(taker)) touched.add(taker);
          if (events[e + EventSlot.REMAINING] === 0) close(orderId, trader);
          break;
        }
        case EventCode.MODIFIED:
          if (!placedHere.has(orderId)) touched.add(orderId);
          if ((head & EventHead.PRIORITY_LOST) !== 0) {
            reentering = orderId;
            reenterSeq = seq;
            reenterTrader = trader;
          }
          break;
        case EventCode.REDUCED:
          if (!placedHere.has(orderId)) touched.add(orderId);
          break;
        case EventCode.REMOVED:
          if (orderId === reentering) {
            reentering = 0;
            close(orderId, trader); // a modified order stopped by STP: it was open
          } else if ((head & (EventHead.LEVEL | EventHead.PENDING)) !== 0) {
            close(orderId, trader); // a resting order taken off the book, or a pending stop taken away
          }
          if (!placedHere.has(orderId)) touched.add(orderId);
          break;
      }
    }
    endReentry();
    for (const orderId of touched) put(keyOf(Prefix.ORDER_TOUCH, orderId, block.firstSeq), EMPTY_VALUE);
    for (const trader of traders) put(keyOf(Prefix.TRADER_TOUCH, trader, block.startHeight, block.firstSeq), EMPTY_VALUE);
    for (const [asset, feedSeq] of block.feedStarts) put(keyOf(Prefix.FEED_SPAN, asset, feedSeq), encodeUint(block.firstSeq));
    this.queue.push(pending);
    this.queuedOps += pending.ops.length;
    this.derivedThrough = block.lastSeq;
  }

  /** Starts a write of the queued entries unless one is under way (then the next starts when it lands). */
  writeBehind(): void {
    if (this.writing !== null || this.queue.length === 0) {
      if (this.writing === null) this.settleIdle();
      return;
    }
    const blocks: PendingBlock[] = [];
    let ops = 0;
    while (this.queue.length > 0 && (blocks.length === 0 || ops + this.queue[0].ops.length <= MAX_OPS_PER_WRITE)) {
      const block = this.queue.shift() as PendingBlock;
      blocks.push(block);
      ops += block.ops.length;
    }
    this.queuedOps -= ops;
    const batch = this.store.batch(64 * 1024);
    const written: Array<[Uint8Array, Uint8Array | undefined]> = [];
    for (const block of blocks) {
      for (const op of block.ops) {
        if (op === null) continue;
        if (op[1] === undefined) batch.del(op[0]);
        else batch.put(op[0], op[1]);
        written.push(op);
      }
    }
    const through = blocks[blocks.length - 1].lastSeq;
    batch.put(indexHeadKey(), encodeUint(through));
    // From here a close must follow these puts with a delete: they are no longer droppable.
    for (const byOrder of this.openPuts.values()) {
      for (const [orderId, where] of byOrder) if (blocks.includes(where.block)) byOrder.delete(orderId);
    }
    this.writing = this.store.write(batch, { sync: false, lowPriority: true }).then(
      () => {
        for (const [key, value] of written) if (this.overlay.lookup(key).value === value) this.overlay.forget(key);
        this.indexedThrough = through;
        this.lastError = null;
      },
      (error: unknown) => {
        // The entries stay in the overlay (queries stay exact) and are queued again, in front.
        this.lastError = error;
        this.queue.unshift(...blocks);
        this.queuedOps += ops;
      },
    ).finally(() => {
      this.writing = null;
      if (this.lastError === null) this.writeBehind();
      else this.settleIdle();
    });
  }

  /** Resolves once everything derived so far is written (or a write has failed). */
  idle(): Promise<void> {
    if (this.writing === null && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      if (this.writing === null) this.writeBehind();
    });
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
