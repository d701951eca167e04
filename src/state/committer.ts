// Group commit. A flush cuts everything applied since the last cut into one write batch (the
// commit: journal, event block, spans, head) and writes it; a flush called while a write is in
// flight joins the next write, which starts the moment the current one lands and carries
// everything applied meanwhile. So callers that keep submitting are never blocked by writes,
// matching and writing overlap, and `await flush()` resolves exactly when everything applied
// before the call is durable. Once a commit is durable its followers (the indexes, the feed)
// get it, in commit order.
//
// A write that fails rejects its flushes and keeps its commits; the next flush writes them first
// (their keys are their sequences, so a write that failed after landing is harmless to repeat).
// A write the store refuses ENGINE_FAILED (it failed for good: its worker thread died) can never
// succeed: the committer fails for good with it.
// A follower that throws is another matter: what it derives now misses a durable commit, and
// every later answer built on it could be wrong; a commit that cannot be cut or packed has lost
// what was cut. Both are bugs, and the committer then fails for good (ENGINE_FAILED): nothing
// more is written, every flush rejects, and a reopen derives the followers' state again from the
// commits that are durable.
import { LobError } from '../errors.js';
import type { Commit } from './commit-builder.js';
import type { KeyValueStore } from './memory-store.js';
import type { StoreBatch } from './store-wire.js';

export interface FlushReport {
  /** Journal sequence durable after this flush. */
  sequence: number;
  height: number;
  /** Journal entries and fills this flush wrote. */
  entries: number;
  fills: number;
  /**
   * How long the database took to write them, in ms, timed on the store's worker: RocksDB's
   * batch write, the fsync included when synced (0: nothing written, or no database). The rest
   * of a flush's wait is the write it queued behind and the passing of the batch to the worker.
   */
  writeMs: number;
}

/** Told about each commit once it is durable, in order; and once, if the committer fails for good. */
export interface CommitFollower {
  committed(commit: Commit): void;
  /**
   * A write has just been posted: work put off from committed() can be done now, overlapping the
   * disk rather than delaying the flush that waits for it. A follower that puts work off must do it
   * before it is read too. Throwing here is throwing in committed(): the committer fails for good.
   */
  writePosted?(): void;
  /** Nothing more will be committed, for `failure`: what waits on the next commit should stop waiting. */
  failed?(failure: LobError): void;
}

interface Waiter {
  resolve: (report: FlushReport) => void;
  reject: (error: unknown) => void;
}

export class Committer {
  private inFlight = false;
  /** Commits cut but not yet written: a failed write's, and those sealed by seal(). */
  private retry: Commit[] = [];
  private waiting: Waiter[] = [];
  /** What the last successful write made durable (before any: what the store held at recovery). */
  durable: FlushReport;
  /** Why nothing more is written: a follower threw on a durable commit, a commit could not be cut, the store failed for good, or abandon() (null: none). */
  failure: LobError | null = null;

  constructor(
    private readonly store: KeyValueStore,
    private readonly cut: () => Commit | null,
    private readonly followers: CommitFollower[],
    private readonly sync: boolean,
    /**
     * The sequence and height the store holds already (recovered): a flush with nothing to write
     * reports them, as after any write, not 0 (which would say nothing of the database is durable).
     */
    recovered: { sequence: number; height: number },
  ) {
    this.durable = { sequence: recovered.sequence, height: recovered.height, entries: 0, fills: 0, writeMs: 0 };
  }

  /** Whether a write is under way. */
  get busy(): boolean {
    return this.inFlight;
  }

  /**
   * Cuts what is pending into a commit now, to be written by the next write: so a checkpoint's
   * sequence is a commit boundary even while a write is in flight.
   */
  seal(): void {
    if (this.failure !== null) throw this.failure;
    try {
      const commit = this.cut();
      if (commit !== null) this.retry.push(commit);
    } catch (error) {
      throw this.failForGood(failedForGood('cutting a commit for a checkpoint', error));
    }
  }

  /**
   * Writes nothing more, for `reason` (unless a failure came first): what is cut or pending stays
   * unwritten, and every flush and seal is refused with it. A write in flight still lands.
   */
  abandon(reason: LobError): void {
    this.failForGood(reason);
  }

  /** Records the first failure for good and tells the followers; returns the failure in force. */
  private failForGood(reason: LobError): LobError {
    if (this.failure !== null) return this.failure;
    this.failure = reason;
    for (const follower of this.followers) follower.failed?.(reason);
    return reason;
  }

  /** Journal entries cut but not yet durable. */
  get unwritten(): number {
    let n = 0;
    for (const commit of this.retry) n += commit.entries;
    return n;
  }

  flush(): Promise<FlushReport> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.inFlight) this.writeNext();
    });
  }

  /** The commits as one write batch. */
  private pack(commits: Commit[]): StoreBatch {
    let wireBytes = 0;
    for (const commit of commits) wireBytes += commit.wireBytes;
    const batch = this.store.batch(wireBytes);
    for (const commit of commits) commit.writeTo(batch);
    return batch;
  }

  /** Cuts now and writes; every waiter so far is answered by this write. */
  private writeNext(): void {
    const waiters = this.waiting;
    this.waiting = [];
    if (this.failure !== null) {
      for (const w of waiters) w.reject(this.failure);
      return;
    }
    const commits = this.retry;
    this.retry = [];
    let batch: StoreBatch;
    try {
      const fresh = this.cut();
      if (fresh !== null) commits.push(fresh);
      if (commits.length === 0) {
        const nothing = { ...this.durable, entries: 0, fills: 0, writeMs: 0 };
        for (const w of waiters) w.resolve(nothing);
        return;
      }
      batch = this.pack(commits);
    } catch (error) {
      // A bug, as for a follower: what was cut may be gone from the builder and from this write.
      const failure = this.failForGood(failedForGood('cutting and packing the next commit', error));
      for (const w of waiters) w.reject(failure);
      return;
    }
    let entries = 0;
    let fills = 0;
    for (const commit of commits) {
      entries += commit.entries;
      fills += commit.fills;
    }
    this.inFlight = true;
    this.store.write(batch, { sync: this.sync }).then(
      (writeMs) => {
        const last = commits[commits.length - 1];
        this.durable = { sequence: last.head.lastSequence, height: last.head.height, entries, fills, writeMs };
        for (const commit of commits) {
          for (const follower of this.followers) {
            try {
              follower.committed(commit);
            } catch (error) {
              const what = `following the durable commit of sequences ${commit.firstSeq}..${commit.lastSeq} in ${follower.constructor.name}`;
              const failure = this.failForGood(failedForGood(what, error));
              for (const w of waiters) w.reject(failure);
              return;
            }
          }
          // Written, and followed: nothing reads its values again.
          commit.release();
        }
        for (const w of waiters) w.resolve(this.durable);
      },
      (error: unknown) => {
        // Before whatever seal() cut while this write was in flight: the commits stay in order.
        this.retry = commits.concat(this.retry);
        const lobError = error instanceof LobError ? error : new LobError('IO_ERROR', String(error), { cause: error });
        // The store failed for good (its worker died): no write will ever land. A failure that
        // came meanwhile (the store's, heard at once, or abandon()) answers too: nothing is retried.
        if (lobError.code === 'ENGINE_FAILED') this.failForGood(lobError);
        for (const w of waiters) w.reject(this.failure ?? lobError);
      },
    ).finally(() => {
      this.inFlight = false;
      if (this.waiting.length > 0) this.writeNext();
    });
    for (const follower of this.followers) {
      try {
        follower.writePosted?.();
      } catch (error) {
        // The write in flight still lands and answers its flushes (it is durable); nothing after it is written.
        this.failForGood(failedForGood(`following the commits before sequence ${commits[0].firstSeq} in ${follower.constructor.name}`, error));
        return;
      }
    }
  }
}

function failedForGood(what: string, error: unknown): LobError {
  const detail = error instanceof Error ? error.message : String(error);
  return new LobError('ENGINE_FAILED', `${what} failed (${detail}); nothing more is written: close and reopen the database`, { cause: error });
}
