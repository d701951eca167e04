// Where this database's checkpoints keep their snapshots: new ones in files beside the database
// (or, in memory, as chunks in the store); the older chunked ones of a database written before
// snapshot files are read, and dropped, where they are.
import { LobError } from '../errors.js';
import { StoreChunks } from './checkpoint-chunks.js';
import { SnapshotFiles } from './checkpoint-files.js';
import type { SnapshotPlace } from './checkpoints.js';
import type { CheckpointManifest } from './codecs.js';
import { checkpointKey, describeKey } from './keys.js';
import type { KeyValueStore } from './memory-store.js';

export class SnapshotPlaces {
  private constructor(
    /** Where a new checkpoint's snapshot goes. */
    readonly current: SnapshotPlace,
    readonly all: readonly SnapshotPlace[],
  ) {}

  /** files: the store's snapshot files, if already made (one prefetching, say). */
  static of(store: KeyValueStore, files: SnapshotFiles | null = null): SnapshotPlaces {
    const chunks = new StoreChunks(store);
    if (store.location === null) return new SnapshotPlaces(chunks, [chunks]);
    files ??= new SnapshotFiles(store.location);
    return new SnapshotPlaces(files, [files, chunks]);
  }

  /** Where a manifest's snapshot is. */
  holding(manifest: CheckpointManifest): SnapshotPlace {
    const place = this.all.find((p) => p.where === manifest.where);
    if (place === undefined) {
      throw new LobError('CORRUPTION', `checkpoint ${describeKey(checkpointKey(manifest.sequence))} keeps its snapshot in a file, but this store has no directory`);
    }
    return place;
  }
}
