// The index writer: writes each durable commit's index operations (derived as its commands were
// applied, index-deriver.ts) behind the commits: unsynced, queued after them, in windows of whole
// commits, each window's last write carrying the INDEX_HEAD watermark of its last commit. A crash
// loses at most index entries past the watermark, and reopening derives them again from the event
// blocks (indexing is idempotent; posting lists a crash left past the watermark are overwritten
// or merged when read, posting-lists.ts).
//
// Until written, operations stay in their packed buffers, and queries read through them
// (overlay.ts), so a query is exact however far the index lags.
//
// The indexes open behind the book: an Indexer starts by reading the watermark from the index
// database (store.ts: its open replays most of the keys written since its last flush) and
// deriving what the last run left unwritten, while the state machine already matches. Commits
// made meanwhile wait in `held`, and queries wait for the start (`ready`).
import { LobError } from '../errors.js';
import type { Commit } from './commit-builder.js';
import type { CommitFollower } from './committer.js';
import { decodeUint } from './codecs.js';
import type { EventBlock } from './event-block.js';
import { History } from './history.js';
import { IndexDeriver } from './index-deriver.js';
import { SpareOps, type IndexOps } from './index-ops.js';
import { INDEX_OP_SLOTS, INDEX_PUT, indexOpHead } from './index-wire.mjs';
import { Prefix, indexHeadKey, indexReachKey } from './keys.js';
import type { KeyValueStore } from './memory-store.js';
import { OverlayReader } from './overlay.js';

/**
 * Most index operations a write window takes (whole commits, at least one). The index worker folds
 * a window's postings into posting lists (index-window.mjs), one key per trader and window
 * instead of one per posting, and writes it as several RocksDB writes of at most 256 keys, reads
 * running between them: the more the index lags, the larger its windows and the fewer keys a
 * command costs. Under load this cap closes the windows: at 32,768 a million commands of group
 * commit stored 0.176 posting keys a command, at 131,072 0.042, and the indexes kept up 1.1-1.6x
 * faster (docs/storage.md, round 21); twice that gained nothing more.
 */
export const INDEX_WINDOW_OPS = 131_072;
/**
 * How long a window gathers commits before it is written by default (the `indexGatherMs` option),
 * unless it is full or someone waits for the indexes (idle(), within()). Postings fold only within
 * a window, so a window of one commit, which is what a light flow made when every commit started a
 * write, stores a key for nearly every posting: 2.03 keys a command at 50,000 commands/s, against
 * 0.63 at 200,000/s, where windows gather under load anyway. Each key costs its writer's thread
 * 2-3 us (a random insert into RocksDB's memtable), which made indexing the store thread's largest
 * cost at any load while one thread wrote both (docs/storage.md, round 6).
 */
export const INDEX_GATHER_MS = 100;

/** What an Indexer's start found: entries past the watermark derived again, and how long it took. */
export interface IndexStart {
  reindexedEntries: number;
  durationMs: number;
}

export class Indexer implements CommitFollower {
  /** Operation arrays of written commits, which the derivers fill again. */
  readonly spares = new SpareOps();
  readonly reader: OverlayReader;
  /**
   * The array the last window went out in, back from the store, for the next window. It has room
   * for a full window whatever the first one held, and is kept apart from the commits' spares: a
   * window's array made to each window's size came back too small for the next, and the copy into
   * a fresh one cost a page fault per 4 KiB (146 ms of the main thread's profile over a million
   * commands, docs/storage.md round 21). Its pages that no window reaches are never touched.
   */
  private windowArray: Float64Array | null = null;
  /** Durable commits' operations not all written yet, oldest first. */
  private readonly queue: IndexOps[] = [];
  private readonly recoveryDeriver = new IndexDeriver(this.spares);
  private writing: Promise<void> | null = null;
  /** Queue entries (oldest first) in the window being written. */
  private inWindow = 0;
  /** When the oldest entry not yet in a window was queued (performance.now()). */
  private gatheringSince = 0;
  private gatherTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private boundWaiters: Array<{ bound: number; resolve: () => void; reject: (error: LobError) => void }> = [];
  /** The last sequence whose entries are written. */
  indexedThrough: number;
  /** The last sequence whose entries are derived (written or queued). */
  derivedThrough: number;
  /** The last index write failure, kept until a write succeeds (the entries stay readable in the queue). */
  lastError: unknown = null;
  /** Settles when the start has derived what the last run left unwritten; rejects if it failed. */
  readonly ready: Promise<IndexStart>;
  private started = false;
  /** Commits' operations that arrived before the start was done, oldest first. */
  private held: IndexOps[] = [];

  /**
   * Starts the indexes of a store whose journal ends at `through`. gatherMs: the `indexGatherMs`
   * option, resolved (its default is INDEX_GATHER_MS). Read-only, derived entries stay in the
   * overlay, which every query reads through.
   */
  constructor(private readonly store: KeyValueStore, private readonly through: number, private readonly gatherMs: number, private readonly writable: boolean) {
    this.indexedThrough = 0;
    this.derivedThrough = 0;
    this.ready = this.start();
    // Its failure reaches whoever asks: queries, idle(). Unasked, it must not end the process.
    this.ready.catch((error: unknown) => {
      this.lastError = error;
    });
    this.reader = new OverlayReader(this.queue, store, this.ready);
  }

  private async start(): Promise<IndexStart> {
    const through = this.through;
    const started = performance.now();
    const [storedHead, storedReach] = await this.store.getMany([indexHeadKey(), indexReachKey()]);
    let head = storedHead === undefined ? 0 : decodeUint(indexHeadKey(), storedHead, 'index-head');
    // How far stored entries may reach: the head, or the window a crash cut short (its first write
    // says how far it went).
    const reach = Math.max(head, storedReach === undefined ? 0 : decodeUint(indexReachKey(), storedReach, 'index-reach'));
    // Stopped meanwhile (halt()): the store is about to close, and a read more would reach it closed.
    if (this.stopped) throw stoppedBehind();
    // Past the journal only after a machine crash with sync off, when the index database kept
    // writes the main one lost: those entries name sequences and order ids the journal will give
    // out again, so all of them go and the indexes are derived from the first entry. (Entries up to
    // the journal's end are derived again and overwritten, as after any crash.)
    if (reach > through) {
      await this.store.clearIndexes();
      head = 0;
    }
    this.indexedThrough = head;
    this.derivedThrough = head;
    // Read past the overlay (it waits for this start), and only as far as the journal reached at
    // open: later commits are held.
    let reached = head;
    for await (const block of new History(this.store).blocksFrom(head + 1)) {
      if (block.lastSeq > through) break;
      if (this.stopped) throw stoppedBehind();
      this.derive(block);
      reached = block.lastSeq;
    }
    if (reached < through) throw History.missingBlockAfter(reached, `the journal's end at ${through}`);
    const reindexedEntries = this.derivedThrough - head;
    this.started = true;
    for (const ops of this.held) this.enqueue(ops);
    this.held = [];
    if (this.writable) this.writeBehind();
    return { reindexedEntries, durationMs: performance.now() - started };
  }

  /**
   * Sequences derived but not yet written. Until the start is done, the commits held meanwhile:
   * what the last run left unwritten is not known yet, and is not what a flush waits for.
   */
  get lag(): number {
    if (!this.started) return this.held.length === 0 ? 0 : this.held[this.held.length - 1].lastSeq - this.through;
    return this.derivedThrough - this.indexedThrough;
  }

  committed(commit: Commit): void {
    if (!this.started) {
      this.held.push(commit.index);
      return;
    }
    this.enqueue(commit.index);
    this.writeBehind();
  }

  /** Derives a stored block's entries (the start: blocks past the watermark). */
  private derive(block: EventBlock): void {
    if (block.lastSeq <= this.derivedThrough) return;
    this.enqueue(this.recoveryDeriver.block(block));
  }

  private enqueue(ops: IndexOps): void {
    if (ops.lastSeq <= this.derivedThrough) return; // already indexed (a replay after a crash)
    if (this.queue.length === this.inWindow) this.gatheringSince = performance.now();
    this.queue.push(ops);
    this.derivedThrough = ops.lastSeq;
  }

  /**
   * Writes nothing more: the store is closing, and its indexes go with it (a state machine in
   * memory). A window in flight lands or fails on its own.
   */
  stop(): void {
    this.stopped = true;
    if (this.gatherTimer !== null) {
      clearTimeout(this.gatherTimer);
      this.gatherTimer = null;
    }
    // Nothing more is written: whoever waits for the indexes hears so now.
    this.settleIdle();
    const waiting = this.boundWaiters;
    this.boundWaiters = [];
    for (const waiter of waiting) waiter.reject(stoppedBehind());
  }

  /**
   * Stops (stop()) and waits for what is under way to end: the start, which ends at its next read,
   * and a window in flight. Once it resolves the indexer touches the store no more, which may then
   * close. What a close does with indexes it does not wait to see written.
   */
  async halt(): Promise<void> {
    this.stop();
    await this.ready.catch(() => undefined);
    await this.writing;
  }

  /**
   * Starts a write of queued operations unless one is under way (then the next starts when it
   * lands), or unless the window is still gathering: not full, nobody waiting, younger than
   * `gatherMs` (then a timer starts it).
   */
  writeBehind(): void {
    if (this.stopped) return;
    if (this.writing !== null || this.queue.length === 0) {
      if (this.writing === null) this.settleIdle();
      return;
    }
    // The window: whole commits, oldest first, while they fit.
    let count = 0;
    let taken = 0;
    for (const buffer of this.queue) {
      if (taken > 0 && count + buffer.count > INDEX_WINDOW_OPS) break;
      count += buffer.count;
      taken++;
    }
    const full = taken < this.queue.length || count >= INDEX_WINDOW_OPS;
    const waitedFor = this.idleWaiters.length > 0 || this.boundWaiters.length > 0;
    const gathering = this.gatherMs - (performance.now() - this.gatheringSince);
    if (!full && !waitedFor && gathering > 0) {
      // unref: a process with nothing else to do may exit; its next open derives these again.
      this.gatherTimer ??= setTimeout(() => {
        this.gatherTimer = null;
        this.writeBehind();
      }, Math.ceil(gathering)).unref();
      return;
    }
    if (this.gatherTimer !== null) {
      clearTimeout(this.gatherTimer);
      this.gatherTimer = null;
    }
    this.inWindow = taken;
    const through = this.queue[taken - 1].lastSeq;
    const ops = this.windowArray !== null && this.windowArray.length >= (count + 1) * INDEX_OP_SLOTS
      ? this.windowArray
      : new Float64Array((Math.max(count, INDEX_WINDOW_OPS) + 1) * INDEX_OP_SLOTS);
    this.windowArray = null;
    let at = 0;
    for (let i = 0; i < taken; i++) at = this.queue[i].copyInto(ops, at);
    ops[at] = indexOpHead(INDEX_PUT, Prefix.INDEX_HEAD, 0);
    ops[at + 4] = through;
    // Until the window's last write lands (with INDEX_HEAD) its operations stay queued, and
    // queries read them through the overlay as well as whatever part of the window is stored.
    this.writing = this.store.writeIndex(ops, count + 1).then(
      (back) => {
        this.windowArray = back;
        for (const written of this.queue.splice(0, taken)) this.spares.give(written);
        this.indexedThrough = through;
        this.lastError = null;
      },
      (error: unknown) => {
        // The window is written again whole by the next attempt (writing a key twice is harmless).
        this.lastError = error;
      },
    ).finally(() => {
      this.writing = null;
      this.inWindow = 0;
      this.settleBound();
      if (this.lastError === null) this.writeBehind();
      else this.settleIdle();
    });
  }

  /**
   * Resolves once at most `bound` derived entries are unwritten. While more are, each call tries
   * the index write again, and rejects if it fails: the commits are durable, but the entries
   * queued for the indexes would grow without bound (and a start that failed never catches up).
   */
  within(bound: number): Promise<void> {
    // A read-only view writes no index: what it derived stays in the overlay for good, a wait
    // would free none of it, and the write it tried was refused (READ_ONLY), failing the flush.
    if (!this.writable || this.lag <= bound) return Promise.resolve();
    // Stopped, nothing more is written: a waiter would wait for good (a flush called while an
    // in-memory close waits for a read), so it hears now what stop() told those waiting then.
    if (this.stopped) return Promise.reject(stoppedBehind());
    if (!this.started) return this.ready.then(() => this.within(bound), (error: unknown) => Promise.reject(this.behind(bound, error)));
    return new Promise((resolve, reject) => {
      this.boundWaiters.push({ bound, resolve, reject });
      if (this.writing === null) this.writeBehind();
    });
  }

  private settleBound(): void {
    if (this.boundWaiters.length === 0) return;
    const waiting = this.boundWaiters;
    this.boundWaiters = [];
    for (const waiter of waiting) {
      if (this.lag <= waiter.bound) waiter.resolve();
      else if (this.lastError !== null) waiter.reject(this.behind(waiter.bound, this.lastError));
      else this.boundWaiters.push(waiter);
    }
  }

  /** The indexes' failure, as a flush held back by them reports it. */
  private behind(bound: number, error: unknown): LobError {
    const cause = error instanceof LobError ? error : null;
    const detail = cause?.message ?? (error instanceof Error ? error.message : String(error));
    return new LobError(cause?.code ?? 'IO_ERROR',
      `the commits are durable, but the indexes are ${this.lag} entries behind (maxIndexLag ${bound}) and cannot be written: ${detail}`, { cause: error });
  }

  /**
   * Resolves once everything derived so far is written (or a write, or the start, has failed). A
   * read-only view writes nothing: once its start is done, nothing of it is under way.
   */
  idle(): Promise<void> {
    if (!this.started) return this.ready.then(() => this.idle(), () => undefined);
    if (!this.writable || (this.writing === null && this.queue.length === 0)) return Promise.resolve();
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

/** What a wait for the indexes hears once they are stopped behind the commits. */
function stoppedBehind(): LobError {
  return new LobError('NOT_OPEN', 'the indexes were stopped (the state machine closed) before they caught up');
}
