// The book as it was at the end of a past height: the newest checkpoint at or below it restored
// into a scratch engine, then the journal after it replayed up to the first entry of a later
// height. The journal is kept back to the oldest kept checkpoint, so heights before that are
// answered only while the journal still starts at sequence 1.
import type { Engine } from '../engine.js';
import { LobError, invalidArgument } from '../errors.js';
import type { BookSnapshot } from '../types.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../validate.js';
import type { CheckpointManifest } from './codecs.js';
import { loadSnapshot } from './checkpoints.js';
import { JournalAfter, REPLAY_RUN_COMMANDS, replayJournal } from './journal.js';
import { journalKey } from './keys.js';
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
