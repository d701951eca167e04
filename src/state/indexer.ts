// The index writer: writes each durable commit's index operations (derived as its commands were
// applied, index-deriver.ts) behind the commits: unsynced, low priority, a bounded number of
// operations per write so a lagging index never holds a commit up for long, each write carrying
// the INDEX_HEAD watermark of the last commit it completes. A crash loses at most index entries
// past the watermark, and reopening derives them again from the event blocks (indexing is
// idempotent).
//
// Until written, operations stay in their packed buffers, and queries read through them
// (overlay.ts), so a query is exact however far the index lags.
import type { Commit } from './commit-builder.js';
import type { CommitFollower } from './committer.js';
import type { EventBlock } from './event-block.js';
import { IndexDeriver } from './index-deriver.js';
import { DroppablePuts, type IndexOps } from './index-ops.js';
import { INDEX_OP_SLOTS, INDEX_PUT, indexOpHead } from './index-wire.mjs';
import { Prefix } from './keys.js';
import type { KeyValueStore } from './memory-store.js';
import { OverlayReader } from './overlay.js';

/**
 * Most index operations per write. A commit that arrives while one is being written waits for it,
 * and an index key costs the store thread about 3 us (memtable insert and binding call; a bare
 * RocksDB batch of 2,048 such keys took 6.5-9 ms here), so 2,048 held each commit up by several
 * ms: awaiting a flush every 1,000 commands ran at 111-123k commands/s with 2,048, 305-333k/s
 * with 256 (128: 240k/s, the writes' own overhead grows).
 */
export const INDEX_OPS_PER_WRITE = 256;

export class Indexer implements CommitFollower {
  /** Unsent TRADER_OPEN puts, for the commit builder's deriver. */
  readonly drops = new DroppablePuts();
  readonly reader: OverlayReader;
  /** Durable commits' operations not all written yet, oldest first. */
  private readonly queue: IndexOps[] = [];
  private readonly recoveryDeriver = new IndexDeriver(null);
  private writing: Promise<void> | null = null;
  private idleWaiters: Array<() => void> = [];
  /** The last sequence whose entries are written. */
  indexedThrough: number;
  /** The last sequence whose entries are derived (written or queued). */
  derivedThrough: number;
  /** The last index write failure, kept until a write succeeds (the entries stay readable in the queue). */
  lastError: unknown = null;

  constructor(private readonly store: KeyValueStore, indexedThrough: number) {
    this.reader = new OverlayReader(this.queue, store);
    this.indexedThrough = indexedThrough;
    this.derivedThrough = indexedThrough;
  }

  /** Sequences derived but not yet written. */
  get lag(): number {
    return this.derivedThrough - this.indexedThrough;
  }

  committed(commit: Commit): void {
    this.drops.settle(commit.index);
    this.enqueue(commit.index);
    this.writeBehind();
  }

  /** Derives a stored block's entries (recovery: blocks past the watermark); never drops a put, since part of it may be written. */
  derive(block: EventBlock): void {
    if (block.lastSeq <= this.derivedThrough) return;
    this.enqueue(this.recoveryDeriver.block(block));
  }

  private enqueue(ops: IndexOps): void {
    if (ops.lastSeq <= this.derivedThrough) return; // already indexed (a replay after a crash)
    this.queue.push(ops);
    this.derivedThrough = ops.lastSeq;
  }

  /** Starts a write of queued operations unless one is under way (then the next starts when it lands). */
  writeBehind(): void {
    if (this.writing !== null || this.queue.length === 0) {
      if (this.writing === null) this.settleIdle();
      return;
    }
    // The slices to write: whole commits while they fit, the last one maybe in part.
    const covered: Array<[IndexOps, number]> = [];
    let total = 0;
    let through = -1;
    for (const buffer of this.queue) {
      if (total >= INDEX_OPS_PER_WRITE) break;
      const end = Math.min(buffer.count, buffer.writtenTo + INDEX_OPS_PER_WRITE - total);
      total += end - buffer.writtenTo;
      // From here a close must follow these puts with a delete: they are no longer droppable.
      if (end > buffer.handedTo) {
        buffer.handedTo = end;
        this.drops.handed(buffer);
      }
      covered.push([buffer, end]);
      if (end < buffer.count) break;
      through = buffer.lastSeq;
    }
    const ops = new Float64Array((total + 1) * INDEX_OP_SLOTS);
    let at = 0;
    for (const [buffer, end] of covered) {
      ops.set(buffer.ops.subarray(buffer.writtenTo * INDEX_OP_SLOTS, end * INDEX_OP_SLOTS), at);
      at += (end - buffer.writtenTo) * INDEX_OP_SLOTS;
    }
    if (through >= 0) {
      ops[at] = indexOpHead(INDEX_PUT, Prefix.INDEX_HEAD, 0);
      ops[at + 4] = through;
      at += INDEX_OP_SLOTS;
    }
    this.writing = this.store.writeIndex(at === ops.length ? ops : ops.subarray(0, at)).then(
      () => {
        for (const [buffer, end] of covered) buffer.writtenTo = end;
        while (this.queue.length > 0 && this.queue[0].writtenTo >= this.queue[0].count) this.queue.shift();
        if (through >= 0) this.indexedThrough = through;
        this.lastError = null;
      },
      (error: unknown) => {
        // Nothing of it landed: the next write sends the same operations again.
        this.lastError = error;
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
