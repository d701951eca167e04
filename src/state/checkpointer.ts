// Taking a checkpoint, one at a time: cut the commit boundary, have the checkpoint worker's shadow
// core snapshot the books on its own thread (or, without a working shadow, copy them out of the
// engine here), store the snapshot as its pieces come (snapshot-places.ts says where), then write
// the manifest with the deletions it allows. The state machine asks for one and waits for idle()
// before it recovers or closes; the layout of what is stored is checkpoints.ts's.
import { createHash } from 'node:crypto';
import type { Engine } from '../engine.js';
import { CHUNK_BYTES, checkpointInfo, dropCheckpoint, pieceCount, putManifest } from './checkpoints.js';
import type { CheckpointInfo, CheckpointState, SnapshotPlace, SnapshotSink } from './checkpoints.js';
import type { ShadowEngine, ShadowSnapshot } from './checkpoint-shadow.js';
import type { CheckpointManifest } from './codecs.js';
import type { Committer } from './committer.js';
import { pruneJournalThrough } from './journal.js';
import type { KeyValueStore } from './memory-store.js';
import type { Sequencer } from './sequencer.js';
import { SerialQueue } from './serial-queue.js';
import type { SnapshotPlaces } from './snapshot-places.js';

const hashOf = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** What a checkpoint reads and updates of the state machine's pipeline (each recovery builds a new one). */
export interface CheckpointSource {
  engine: Engine;
  sequencer: Sequencer;
  committer: Committer;
  /** The commit builder, whose deferred derivation reads the engine's last output (commit-builder.ts). */
  builder: { settle(): void };
  /** The stored checkpoints, oldest first: a checkpoint adds its own and drops those past keepCheckpoints. */
  manifests: CheckpointManifest[];
}

/** A checkpoint asked for at `sequence` and `height`, which `taking` settles. */
export interface CheckpointUnderWay {
  sequence: number;
  height: number;
  taking: Promise<CheckpointInfo>;
}

export class Checkpointer {
  /** The height of the newest checkpoint (0: none). */
  lastHeight = 0;
  /** The newest checkpoint asked for and not yet settled (null: none): one asked for at its sequence joins it. */
  private newestAsked: CheckpointUnderWay | null = null;
  /** The highest sequence whose snapshot has been streamed to its place (see take()). */
  private streamedThrough = 0;
  private readonly queue = new SerialQueue();

  /** shadow: the checkpoint worker's core (null: every checkpoint is copied out of the engine). */
  constructor(
    private readonly store: KeyValueStore,
    private readonly places: SnapshotPlaces,
    private readonly shadow: ShadowEngine | null,
    private readonly keepCheckpoints: number,
  ) {}

  /** A recovery found these checkpoints. */
  loaded(manifests: CheckpointManifest[]): void {
    this.lastHeight = manifests[manifests.length - 1]?.height ?? 0;
  }

  /** The newest checkpoint asked for, while it has not settled. */
  get underWay(): CheckpointUnderWay | null {
    return this.newestAsked;
  }

  /** Resolves once every checkpoint asked for so far has settled. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Runs `read` between checkpoints' writes, after those asked for so far: no checkpoint it reads
   * is dropped, and none of the journal after it pruned, until it settles.
   */
  keeping<T>(read: () => Promise<T>): Promise<T> {
    return this.queue.run(read);
  }

  /**
   * A checkpoint at the current journal sequence. The shadow, which has applied every command up
   * to here, snapshots and hashes the books on its own thread; this thread only cuts the commit
   * boundary and goes on matching, and the commands it applies meanwhile land in the journal after
   * the checkpoint's sequence. Asked for again before it settles, with nothing applied since, it is
   * the same checkpoint: the caller joins it (a second would snapshot the books again, for nothing).
   */
  take(p: CheckpointSource): Promise<CheckpointInfo> {
    const sequence = p.sequencer.lastSequence;
    if (this.newestAsked !== null && this.newestAsked.sequence === sequence) return this.newestAsked.taking;
    // A checkpoint whose shadow failed may leave its sequence to one asked for later (takeNew).
    const taking = this.takeNew(p).then((taken) => ('taking' in taken ? taken.taking : taken));
    const underWay = { sequence, height: p.sequencer.height, taking };
    this.newestAsked = underWay;
    const settle = (): void => {
      if (this.newestAsked === underWay) this.newestAsked = null;
    };
    underWay.taking.then(settle, settle);
    return underWay.taking;
  }

  /** A checkpoint of its own, or (its shadow failed) the later one under way at the sequence it would fall back to. */
  private takeNew(p: CheckpointSource): Promise<CheckpointInfo | CheckpointUnderWay> {
    const shadow = this.shadow;
    const place = this.places.current;
    // Cut now, so the checkpoint's sequence is a commit boundary.
    p.committer.seal();
    const state = stateOf(p);
    const ownSnapshot = shadow === null || shadow.broken !== null ? this.snapshotAndResetShadow(p) : null;
    // The shadow's pieces are stored as they come, while it makes the rest, unless a checkpoint
    // of this sequence is stored or on its way: then they are held, and stored only if that one
    // never lands, so that a snapshot a manifest already names is never written over.
    const newest = p.manifests[p.manifests.length - 1]?.sequence ?? 0;
    const stream = state.sequence > Math.max(this.streamedThrough, newest);
    if (ownSnapshot === null && stream) this.streamedThrough = state.sequence;
    const streaming = ownSnapshot === null && stream ? place.sink(state.sequence) : null;
    const held: Uint8Array[] = [];
    let arrived = 0;
    const shadowed = ownSnapshot === null
      ? shadow!.snapshot(CHUNK_BYTES, (index, piece) => {
        arrived++;
        if (streaming !== null) return streaming.piece(index, piece);
        held[index] = piece;
        return undefined;
      })
      : null;
    shadowed?.catch(() => undefined); // looked at in turn below
    const durable = p.committer.flush();
    return this.queue.run(async () => {
      try {
        await durable;
      } catch (error) {
        // The commit it was cut at never landed, so no manifest will name what the shadow streamed:
        // once every piece has come (they all come before its answer), the half-written file and
        // its handle go, or the handle stayed open until garbage collection and the file until the
        // next open. A later checkpoint of this sequence holds its pieces and writes a file anew.
        if (streaming !== null) {
          await shadowed!.catch(() => undefined);
          await streaming.discard();
        }
        throw error;
      }
      if (ownSnapshot !== null) return this.write(p, state, ownSnapshot.byteLength, hashOf(ownSnapshot), storeWhole(place, state.sequence, ownSnapshot));
      let taken: ShadowSnapshot;
      try {
        taken = await shadowed!;
        if (taken.nextOrderId !== state.nextOrderId || taken.restingOrders !== state.restingOrders) {
          throw new Error(`its snapshot has next order id ${taken.nextOrderId} and ${taken.restingOrders} resting orders, the engine ${state.nextOrderId} and ${state.restingOrders}`);
        }
        // The manifest will name one piece per CHUNK_BYTES: every one must have come.
        const pieces = pieceCount(taken.byteLength);
        if (taken.pieces !== pieces || arrived !== pieces) {
          throw new Error(`its snapshot of ${taken.byteLength} bytes came in ${arrived} pieces (it sent ${taken.pieces}), not ${pieces}`);
        }
      } catch (error) {
        // The shadow cannot give this checkpoint: take one here, now, the synchronous way, and start the shadow again from it.
        shadow!.broken = `the checkpoint worker failed: ${(error as { message?: string }).message ?? String(error)}`;
        // What it stored goes: a checkpoint taken now may have this sequence and a shorter snapshot.
        await streaming?.discard();
        p.committer.seal();
        const now = stateOf(p);
        const later = this.newestAsked;
        if (later !== null && later.sequence === now.sequence && now.sequence !== state.sequence) {
          // One asked for since has this very sequence, and may be streaming the shadow's pieces of
          // it into its file: a second writer of that file, truncating and renaming it under the
          // first, left the shadow's late pieces in a file a manifest names (and, the journal
          // pruned, a database that no longer opened). That one stores it, from the engine if its
          // shadow fails too; this one resolves with it (outside the queue, which runs it next).
          return later;
        }
        const snapshot = this.snapshotAndResetShadow(p);
        await p.committer.flush();
        return this.write(p, now, snapshot.byteLength, hashOf(snapshot), storeWhole(place, now.sequence, snapshot));
      }
      const stored = async (): Promise<SnapshotSink> => {
        const sink = streaming ?? place.sink(state.sequence);
        if (streaming === null) held.forEach((piece, index) => sink.piece(index, piece));
        await sink.complete();
        return sink;
      };
      return this.write(p, state, taken.byteLength, taken.sha256, stored);
    });
  }

  /** The engine's own snapshot, copied out on this thread; the shadow (if any) starts over from it in the same turn. */
  private snapshotAndResetShadow(p: CheckpointSource): Uint8Array {
    p.builder.settle();
    const snapshot = p.engine.snapshot();
    void this.shadow?.reset(snapshot, p.engine.restingOrders + p.engine.pendingStops);
    return snapshot;
  }

  /**
   * Once `storeSnapshot` resolves with the sink that stored it (for a checkpoint of this sequence
   * not yet stored), writes the manifest with the deletions it allows (older checkpoints past
   * keepCheckpoints, the journal it covers); the dropped snapshots' files go once that is written.
   */
  private async write(
    p: CheckpointSource, state: CheckpointState, byteLength: number, digest: Buffer, storeSnapshot: () => Promise<SnapshotSink>,
  ): Promise<CheckpointInfo> {
    const newest = p.manifests[p.manifests.length - 1];
    if (newest !== undefined && newest.sequence === state.sequence) {
      this.lastHeight = Math.max(this.lastHeight, newest.height);
      return checkpointInfo(newest);
    }
    const stored = await storeSnapshot();
    const batch = this.store.batch();
    const manifest = putManifest(batch, state, byteLength, digest, this.places.current.where);
    const kept = [...p.manifests, manifest];
    const dropped = kept.splice(0, Math.max(0, kept.length - this.keepCheckpoints));
    const cleanUps: Array<() => Promise<void>> = [];
    try {
      for (const old of dropped) cleanUps.push(await dropCheckpoint(this.places.holding(old), batch, old.sequence));
      await pruneJournalThrough(this.store, batch, kept[0].sequence);
    } catch (error) {
      // No manifest names the snapshot: it goes now, or it stayed until the next open, whose restore
      // ahead took it for the newest checkpoint and restored it in vain. (A manifest write that
      // fails below may have landed all the same: its snapshot stays, and that open decides.)
      await stored.discard().catch(() => undefined); // what stays, the next open's orphan check deletes
      throw error;
    }
    // With the commits, not behind the index windows: the snapshot is stored, and a checkpoint is
    // done once its manifest is (behind a window of 32,768 index operations it waited 36-152 ms).
    // Synced even when commits are not: the dropped checkpoints' files are deleted next, and a
    // machine crash must not bring back a manifest whose file is gone.
    await this.store.write(batch, { sync: true });
    p.manifests = kept;
    this.lastHeight = state.height;
    // The checkpoint exists now: a dropped snapshot's file that cannot be deleted (a directory or a
    // permission in the way) stays as a stray, which the next open's orphan check tries again,
    // rather than rejecting a checkpoint that landed (its caller told it failed, its height counted).
    for (const cleanUp of cleanUps) await cleanUp().catch(() => undefined);
    return checkpointInfo(manifest);
  }
}

/** Stores a whole snapshot taken on this thread, when asked. */
function storeWhole(place: SnapshotPlace, sequence: number, snapshot: Uint8Array): () => Promise<SnapshotSink> {
  return async () => {
    const sink = place.sink(sequence);
    sink.whole(snapshot);
    await sink.complete();
    return sink;
  };
}

function stateOf(p: CheckpointSource): CheckpointState {
  return { ...p.sequencer.state(), sequence: p.sequencer.lastSequence, nextOrderId: p.engine.nextOrderId, restingOrders: p.engine.restingOrders };
}
