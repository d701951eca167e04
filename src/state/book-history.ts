// The book as it was at the end of a past height: the newest checkpoint at or below it restored
// into a scratch engine, then the journal after it replayed up to the first entry of a later
// height. The journal is kept back to the oldest kept checkpoint, so heights before that are
// answered only while the journal still starts at sequence 1, or by a later checkpoint that holds
// their book (below).
//
// A checkpoint is labelled with the sequencer's height at its sequence: taken after setHeight(h)
// and before any command of h, it is labelled h, and holds the book of h - 1's end (a height
// change moves no order), and of every height back to the last one with a command. The label
// stays h, since it is what the checkpoint restores (recovery's head check, the next replay's
// heights, the cluster's ledger, where height h means the record at h is applied, read it as
// that); bookAt answers those earlier heights from it instead, finding in the event blocks (never
// pruned) the height of the last command before it.
import type { Engine } from '../engine.js';
import { LobError, invalidArgument } from '../errors.js';
import type { BookSnapshot } from '../types.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../validate.js';
import { decodePayload, eventsPayload, type CheckpointManifest } from './codecs.js';
import { loadSnapshot } from './checkpoints.js';
import { JournalAfter, REPLAY_RUN_COMMANDS, replayJournal } from './journal.js';
import { decodeEventBlock } from './event-block.js';
import { eventsKey, journalKey } from './keys.js';
import type { KeyValueStore } from './memory-store.js';
import { Sequencer } from './sequencer.js';
import type { SnapshotPlaces } from './snapshot-places.js';

export async function bookAt(
  store: KeyValueStore, places: SnapshotPlaces, manifests: readonly CheckpointManifest[], newEngine: () => Promise<Engine>, currentHeight: number,
  lastSequence: number, asset: number, height: number, levels: number,
): Promise<BookSnapshot> {
  if (!isNonNegativeSafeInteger(asset)) throw invalidArgument('asset', 'a non-negative safe integer', asset);
  if (!isNonNegativeSafeInteger(height) || height > currentHeight) {
    throw invalidArgument('height', `a safe integer from 0 to the current height ${currentHeight}`, height);
  }
  if (!isPositiveSafeInteger(levels)) throw invalidArgument('levels', 'a positive safe integer', levels);
  const engine = await newEngine();
  let base: CheckpointManifest | undefined;
  for (const manifest of manifests) if (manifest.height <= height && (base === undefined || manifest.sequence > base.sequence)) base = manifest;
  // A database that has journaled no command has pruned none: its journal is whole, and empty.
  if (base === undefined && lastSequence > 0 && (await store.get(journalKey(1))) === undefined) {
    const later = manifests.find((m) => m.height > height);
    if (later !== undefined && await holdsBookOf(store, later, height)) {
      // Its book is that height's: nothing after it is replayed (commands of its own height may follow).
      engine.restore(await loadSnapshot(places.holding(later), later));
      const depth = engine.depth(asset, levels);
      const feedSeq = later.feedSeqs.find(([a]) => a === asset)?.[1] ?? 0;
      return { asset, seq: feedSeq, height, bids: depth.bids, asks: depth.asks };
    }
    const oldest = manifests.reduce((h, m) => Math.min(h, m.height), Infinity);
    throw new LobError('NOT_RETAINED', `height ${height} is before the oldest checkpoint (height ${oldest}) and the journal before it is pruned; keep more checkpoints (keepCheckpoints) to look further back`);
  }
  if (base !== undefined) engine.restore(await loadSnapshot(places.holding(base), base));
  const sequencer = base === undefined ? Sequencer.empty() : new Sequencer({
    height: base.height, lastSequence: base.sequence, nextFillSeq: base.nextFillSeq, nextEventSeq: base.nextEventSeq, feedSeqs: base.feedSeqs,
  });
  await replayJournal(new JournalAfter(store, sequencer.lastSequence), engine.createBatch(REPLAY_RUN_COMMANDS), {
    commands(batch) {
      const results = engine.submitBatch(batch);
      sequencer.commands(batch.view(), 0, batch.count, results.events.records, results.events.count, results.fillCount, null);
    },
    height(next) {
      if (next > height) return false;
      sequencer.setHeight(next, null);
      return true;
    },
  });
  const depth = engine.depth(asset, levels);
  return { asset, seq: sequencer.feedSeq(asset), height, bids: depth.bids, asks: depth.asks };
}

/**
 * Whether checkpoint `manifest`, labelled with a later height, holds the book of `height`'s end:
 * no command with events (a command without any changes no book) came after that height ended.
 * The event blocks before the checkpoint's sequence are read back, newest first, until one with
 * events (its last event's height is the last command's) or one that starts at or below `height`.
 */
async function holdsBookOf(store: KeyValueStore, manifest: CheckpointManifest, height: number): Promise<boolean> {
  let seq = manifest.sequence;
  while (seq > 0) {
    const [entry] = await store.entries({ gte: eventsKey(0), lte: eventsKey(seq), reverse: true, limit: 1 });
    if (entry === undefined) return false;
    const [key, value] = entry;
    const block = decodePayload(key, 'events', () => decodeEventBlock(eventsPayload(key, value)));
    // A missing block between (the checkpoint's is the one ending at its sequence) cannot tell.
    if (block.lastSeq !== seq) return false;
    if (block.count > 0) return block.heights[block.count - 1] <= height;
    if (block.startHeight <= height) return true;
    seq = block.firstSeq - 1;
  }
  // No command ever had an event: the book is empty, at every height.
  return true;
}
