// Recovery: rebuild the engine and the sequencer from storage. Load the newest checkpoint that
// passes its checks (falling back to older ones), replay the journal after it through
// engine.submitBatch, renumbering with the sequencer exactly as the live run did, and check that
// the result lands exactly on the head written by the last flush.
//
// A checkpoint's snapshot is read whole and hashed (read: from its file, or its chunks joined and
// hashed on the store's thread), checked and restored into the engine (restore; an open may have
// checked and restored the newest file already, piece by piece and unhashed, restore-ahead.ts),
// and proven: the engine's snapshot of what it restored must hash to the recorded sha256 (verify).
// Then the checkpoint worker's shadow core restores the same snapshot (those bytes, shared, or
// the file, read on its thread) behind the open, once the replay is done, and applies the
// replayed commands after it (decoded again from the journal values, as the shadow takes them),
// ready for the next checkpoint.
import type { Engine } from '../engine.js';
import { LobError } from '../errors.js';
import { decodeHead } from './codecs.js';
import type { CheckpointManifest, HeadState } from './codecs.js';
import { loadSnapshot, readManifests } from './checkpoints.js';
import { describeKey, headKey, journalKey } from './keys.js';
import { JournalAfter, REPLAY_RUN_COMMANDS, replayJournal } from './journal.js';
import type { KeyValueStore } from './memory-store.js';
import { Sequencer } from './sequencer.js';
import type { ShadowEngine, ShadowSnapshotFile } from './checkpoint-shadow.js';
import type { RestoreAhead, RestoredAhead } from './restore-ahead.js';
import type { SnapshotPlaces } from './snapshot-places.js';

export interface RecoveryReport {
  /** The checkpoint recovery started from; null when it replayed the journal from the start. */
  checkpointSequence: number | null;
  checkpointHeight: number | null;
  /** Checkpoints passed over because they failed a check, newest first, with the reason. */
  skippedCheckpoints: Array<{ sequence: number; reason: string }>;
  replayedRecords: number;
  replayedCommands: number;
  replayedFills: number;
  height: number;
  sequence: number;
  nextOrderId: number;
  nextFillSeq: number;
  restingOrders: number;
  /** What a crash left of checkpoints cut off before their manifest (snapshot files, or chunks), deleted. */
  orphansDeleted: number;
  /**
   * Journal entries past the index watermark whose index entries were derived again. Filled in
   * when the indexes' start is done, after the open (sm.indexesReady()); 0 until then.
   */
  reindexedEntries: number;
  durationMs: number;
  /**
   * Whether the checkpoint was read and restored while RocksDB opened (restore-ahead.ts), before
   * this report's clock started: then its read and restore phases are only the handover.
   */
  restoredAhead: boolean;
  /**
   * The open before this report's clock started, side by side, in milliseconds from the open's
   * start: when RocksDB had opened (its worker started, its log replayed into memtables), and when
   * the newest snapshot file had been read, hashed and restored ahead. Recovery proper starts after
   * both. Zero where that did not happen (in memory, read-only, no snapshot file, recover()).
   */
  opening: { storeMs: number; restoreAheadMs: number };
  /**
   * Where the time went, in milliseconds: reading the checkpoint with its checksum, checking and
   * restoring it, proving that the engine reproduces its bytes (hashing the engine's snapshot),
   * replaying the journal; and,
   * after the open, not counted in durationMs, the indexes' start: opening the index database and
   * deriving what the last run had not written (filled in as reindexedEntries is).
   */
  phases: { readMs: number; restoreMs: number; verifyMs: number; replayMs: number; indexMs: number };
}

/**
 * The WASM core's growth readied per journal entry to replay: a placement that rests takes about
 * 49 bytes (its record, its id-index slot, its share of the levels: the bench's 1M book
 * replayed 356,000 placements into 16.5 MiB), and a replay of cancels readies memory that later
 * placements use.
 */
const REPLAY_GROWTH_BYTES = 56;

export const EMPTY_HEAD: HeadState = { height: 0, lastSequence: 0, nextOrderId: 1, nextFillSeq: 1, nextEventSeq: 1 };

export interface Recovered {
  engine: Engine;
  head: HeadState;
  sequencer: Sequencer;
  manifests: CheckpointManifest[];
  report: RecoveryReport;
}

/** readOnly: the store is a view that must not be written (what a cut-off checkpoint left stays where it is). */
export async function recoverFromStore(
  store: KeyValueStore, places: SnapshotPlaces, newEngine: () => Promise<Engine>, shadow: ShadowEngine | null, readOnly = false,
  ahead: RestoreAhead | null = null,
): Promise<Recovered> {
  // The shadow gets its restore, and the replay's commands, once the replay is done (hold()): its
  // restore then does not compete with the replay for the cores.
  shadow?.hold();
  try {
    return await recoverHeld(store, places, newEngine, shadow, readOnly, ahead);
  } finally {
    shadow?.post();
    shadow?.release();
  }
}

async function recoverHeld(
  store: KeyValueStore, places: SnapshotPlaces, newEngine: () => Promise<Engine>, shadow: ShadowEngine | null, readOnly: boolean,
  ahead: RestoreAhead | null,
): Promise<Recovered> {
  let restoredAhead = false;
  // The head and the manifests are read while the restore ahead runs (this thread only waits for
  // the store's). Recovery proper starts once it is done: waiting for it is the open's, not a phase's.
  const headAndManifests = Promise.all([store.get(headKey()), readManifests(store)]);
  headAndManifests.catch(() => undefined); // seen when awaited below, after the restore ahead
  await ahead?.settled();
  const started = performance.now();
  const [storedHead, entries] = await headAndManifests;
  const head = storedHead === undefined ? { ...EMPTY_HEAD } : decodeHead(headKey(), storedHead);

  // What a crash cut off before its manifest goes while a checkpoint is read and proven, which
  // reads no snapshot file or chunk that no manifest names.
  const droppingOrphans = readOnly ? Promise.resolve(0) : dropOrphans(places, new Set(entries.map((entry) => entry.sequence)));
  droppingOrphans.catch(() => undefined); // seen when awaited below, unless the checkpoints' loop throws first
  const manifests = entries.flatMap((entry) => (entry.manifest === undefined ? [] : [entry.manifest]));
  const skipped: RecoveryReport['skippedCheckpoints'] = [];
  let engine: Engine | null = null;
  let start: CheckpointManifest | null = null;
  let readMs = 0;
  let restoreMs = 0;
  let verifyMs = 0;
  let journal: JournalAfter | null = null;

  for (let i = entries.length - 1; i >= 0 && engine === null; i--) {
    const entry = entries[i];
    if (entry.manifest === undefined) {
      skipped.push({ sequence: entry.sequence, reason: entry.error.message });
      continue;
    }
    let early: RestoredAhead | null = null;
    try {
      const reading = performance.now();
      early = await ahead?.take(entry.manifest) ?? null;
      ahead = null; // one try: it restored the newest snapshot file
      let candidate: Engine;
      // Where the shadow restores from: the file restored ahead, or the bytes read here.
      let shadowFrom: Uint8Array | ShadowSnapshotFile;
      let restoring = performance.now();
      if (early !== null) {
        candidate = early.engine;
        shadowFrom = early.file;
      } else {
        candidate = await newEngine();
        const stored = await loadSnapshot(places.holding(entry.manifest), entry.manifest);
        restoring = performance.now();
        candidate.restore(stored);
        shadowFrom = stored;
      }
      const verifying = performance.now();
      readMs += restoring - reading;
      restoreMs += verifying - restoring;
      // The replay's first journal values are read on the store's thread while this one proves the engine.
      journal = new JournalAfter(store, entry.manifest.sequence);
      const recorded = entry.manifest.sha256.toString('hex');
      const corrupt = (): LobError => new LobError('CORRUPTION', `checkpoint ${describeKey(entry.key)} restores to a state other than its recorded ${recorded}`);
      if (candidate.restingOrders !== entry.manifest.restingOrders || candidate.nextOrderId !== entry.manifest.nextOrderId) throw corrupt();
      // Restored, the stored bytes must give back bytes that hash to the recorded sha256 (the
      // state hash): this proves the engine, and with it the file restored ahead, which nothing
      // else hashed. The engine's snapshot is streamed through the hash, never copied out (1M
      // orders: 35 ms, against 145 ms for a copy, most of it page faults).
      if (candidate.stateHash() !== recorded) throw corrupt();
      verifyMs += performance.now() - verifying;
      // The shadow starts from the same snapshot on its own thread, behind the open: it applies
      // the replay after it, and proves its own restore before it gives a checkpoint.
      // The manifest counts resting orders only: the shadow's order index grows for any pending stops.
      void shadow?.reset(shadowFrom, entry.manifest.restingOrders);
      engine = candidate;
      start = entry.manifest;
      restoredAhead = early !== null;
    } catch (error) {
      if (!(error instanceof LobError) || error.code !== 'CORRUPTION') throw error;
      if (early !== null) {
        // The file restored ahead was never hashed: it is read again the ordinary way, so that a
        // checkpoint skipped is skipped for what is wrong with it (most likely a sha256 that
        // differs), not only for its effect.
        i++;
        continue;
      }
      skipped.push({ sequence: entry.sequence, reason: error.message });
    }
  }

  const orphansDeleted = await droppingOrphans;
  if (engine === null) {
    // No usable checkpoint: the journal must still reach back to the first entry.
    if (skipped.length > 0 && (await store.get(journalKey(1))) === undefined) {
      throw new LobError(
        'CORRUPTION',
        `no checkpoint passes its checks (${skipped.map((s) => s.reason).join('; ')}) and the journal no longer starts at sequence 1`,
      );
    }
    engine = await newEngine();
    void shadow?.reset(null);
  }

  const sequencer = start === null ? Sequencer.empty() : new Sequencer({
    height: start.height, lastSequence: start.sequence, nextFillSeq: start.nextFillSeq, nextEventSeq: start.nextEventSeq,
    feedSeqs: start.feedSeqs,
  });
  const replaying = performance.now();
  // A long replay grows the core by tens of MiB: readied now, its pages are touched on another
  // thread while the replay runs instead of faulting in on this one.
  // At least 0: a head behind the checkpoint (damage the replay then reports) has nothing to replay.
  engine.prepareForGrowth(Math.max(0, head.lastSequence - sequencer.lastSequence) * REPLAY_GROWTH_BYTES);
  if (journal?.sequence !== sequencer.lastSequence) journal = new JournalAfter(store, sequencer.lastSequence);
  const replayed = await replayJournal(journal, engine.createBatch(REPLAY_RUN_COMMANDS), {
    commands(batch, key) {
      let results;
      const refusals = engine.memoryRefusals;
      try {
        results = engine.submitBatch(batch);
      } catch (error) {
        if (error instanceof LobError && error.code === 'INVALID_ARGUMENT') {
          throw new LobError('CORRUPTION', `journal record ${describeKey(key)} holds a command the engine refuses: ${error.message}`, { cause: error });
        }
        throw error;
      }
      // The live engine journals no command it refused for lack of memory: this heap is too small
      // for what the journal holds, which says nothing of the journal.
      if (engine.memoryRefusals !== refusals) {
        throw new LobError('CAPACITY', `replaying journal record ${describeKey(key)}, the WASM core ran out of memory for a command the live engine applied; reopen with a larger maxMemoryBytes`);
      }
      const records = batch.view();
      sequencer.commands(records, 0, batch.count, results.events.records, results.events.count, results.fillCount, null);
    },
    height(height) {
      sequencer.setHeight(height, null);
      return true;
    },
    // The shadow gets each value's commands once the open is done, decoded again from the value.
    replayed(commands, writeCommands) {
      shadow?.laterCommands(commands, writeCommands);
    },
  });
  const replayMs = performance.now() - replaying;

  const mismatch =
    sequencer.lastSequence !== head.lastSequence ? `sequence ${sequencer.lastSequence} vs ${head.lastSequence}` :
    sequencer.height !== head.height ? `height ${sequencer.height} vs ${head.height}` :
    sequencer.nextFillSeq !== head.nextFillSeq ? `next fill seq ${sequencer.nextFillSeq} vs ${head.nextFillSeq}` :
    sequencer.nextEventSeq !== head.nextEventSeq ? `next event seq ${sequencer.nextEventSeq} vs ${head.nextEventSeq}` :
    engine.nextOrderId !== head.nextOrderId ? `next order id ${engine.nextOrderId} vs ${head.nextOrderId}` :
    null;
  if (mismatch !== null) {
    throw new LobError('CORRUPTION', `replaying the journal does not reach the stored ${describeKey(headKey())}: ${mismatch}`);
  }

  return {
    engine,
    head,
    sequencer,
    manifests,
    report: {
      checkpointSequence: start?.sequence ?? null,
      checkpointHeight: start?.height ?? null,
      skippedCheckpoints: skipped,
      replayedRecords: replayed.records,
      replayedCommands: replayed.commands,
      replayedFills: sequencer.nextFillSeq - (start?.nextFillSeq ?? 1),
      height: sequencer.height,
      sequence: sequencer.lastSequence,
      nextOrderId: engine.nextOrderId,
      nextFillSeq: sequencer.nextFillSeq,
      restingOrders: engine.restingOrders,
      orphansDeleted,
      reindexedEntries: 0,
      durationMs: performance.now() - started,
      restoredAhead,
      opening: { storeMs: 0, restoreAheadMs: 0 },
      phases: { readMs, restoreMs, verifyMs, replayMs, indexMs: 0 },
    },
  };
}

/** Deletes the snapshot files and chunks that no checkpoint manifest (`kept`) names; returns how many. */
async function dropOrphans(places: SnapshotPlaces, kept: ReadonlySet<number>): Promise<number> {
  let deleted = 0;
  for (const place of places.all) deleted += await place.dropOrphans(kept);
  return deleted;
}
