// Snapshots kept as chunks of a megabyte in the key-value store itself: what the in-memory state
// machine uses, and how every checkpoint was stored before snapshot files (database format 5),
// which a newer build still reads and drops. Chunks are written behind the commits, one per write
// in the store worker, so a commit waits behind one chunk at most.
import { SnapshotWhere } from './codecs.js';
import type { CheckpointManifest } from './codecs.js';
import { CHUNK_BYTES, pieceCount } from './checkpoints.js';
import type { SnapshotPlace, SnapshotSink, StoredSnapshot } from './checkpoints.js';
import { Prefix, chunkKey, chunkRange, prefixRange, readU64BE } from './keys.js';
import type { KeyValueStore } from './memory-store.js';
import type { StoreBatch } from './store-wire.js';

/** The keys of a snapshot's chunks: chunk i holds bytes [i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES). */
export function checkpointChunkKeys(sequence: number, byteLength: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < pieceCount(byteLength); i++) out.push(chunkKey(sequence, i));
  return out;
}

export class StoreChunks implements SnapshotPlace {
  readonly where = SnapshotWhere.CHUNKS;

  constructor(private readonly store: KeyValueStore) {}

  sink(sequence: number): SnapshotSink {
    const store = this.store;
    const writes: Array<Promise<void>> = [];
    const keep = (writing: Promise<void>): void => {
      writing.catch(() => undefined); // looked at by complete()
      writes.push(writing);
    };
    return {
      piece: (index, bytes) => {
        keep(store.writeSlices([chunkKey(sequence, index)], bytes, CHUNK_BYTES));
        return undefined; // the store may have taken the bytes over
      },
      // One message for every chunk: a round trip to this thread per chunk made a 1M-order checkpoint take seconds behind a busy flow.
      whole: (snapshot) => keep(store.writeSlices(checkpointChunkKeys(sequence, snapshot.byteLength), snapshot, CHUNK_BYTES)),
      complete: async () => {
        await Promise.all(writes);
      },
      discard: async () => {
        await Promise.allSettled(writes);
        const batch = store.batch();
        const cleanUp = await this.drop(batch, sequence);
        await store.write(batch, { sync: false });
        await cleanUp();
      },
    };
  }

  async read(manifest: CheckpointManifest): Promise<StoredSnapshot> {
    // The store joins the chunks into one shared buffer and hashes them on its own thread.
    const joined = await this.store.readJoined(chunkRange(manifest.sequence), manifest.byteLength);
    return { bytes: joined.bytes, length: joined.length, sha256: joined.sha256, pieces: joined.count };
  }

  async drop(batch: StoreBatch, sequence: number): Promise<() => Promise<void>> {
    for (const key of await this.store.keys(chunkRange(sequence))) batch.del(key);
    return async () => undefined;
  }

  async dropOrphans(kept: ReadonlySet<number>): Promise<number> {
    const batch = this.store.batch();
    for (const key of await this.store.keys(prefixRange(Prefix.CHUNK))) {
      if (!kept.has(readU64BE(key, 1))) batch.del(key);
    }
    const deleted = batch.length;
    if (deleted > 0) await this.store.write(batch, { sync: false });
    return deleted;
  }
}
