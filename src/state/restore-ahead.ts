// Recovery's head start. A writable open knows before RocksDB has opened (replaying its log, on
// the store worker's thread) which checkpoint recovery will almost always start from: the newest
// snapshot file. So while RocksDB opens, that file is read and hashed, restored into an engine on
// this thread, and restored into the shadow on the checkpoint worker's. Recovery takes the result
// only if the newest manifest names that very file with that length and sha256; anything else
// (an older checkpoint chosen, a file a crash cut short) is recovered the ordinary way.
import type { Engine } from '../engine.js';
import { SNAPSHOT_ORDER_SLOTS } from '../snapshot.js';
import type { ShadowEngine } from './checkpoint-shadow.js';
import type { SnapshotFiles } from './checkpoint-files.js';
import type { StoredSnapshot } from './checkpoints.js';
import { SnapshotWhere } from './codecs.js';
import type { CheckpointManifest } from './codecs.js';

export interface RestoredAhead {
  stored: StoredSnapshot;
  engine: Engine;
  /** The shadow's proof that the snapshot restores to itself (null: no shadow). */
  verifying: Promise<boolean | null>;
}

export class RestoreAhead {
  private abandoned = false;
  private restoring: Promise<RestoredAhead | null> = Promise.resolve(null);

  private constructor(private readonly sequence: number) {}

  /** Starts, if there is a snapshot file: `shadow` resolves once the checkpoint worker is up (null: none). */
  static start(files: SnapshotFiles, newEngine: () => Promise<Engine>, shadow: Promise<ShadowEngine | null>): RestoreAhead | null {
    const prefetched = files.prefetchNewest();
    if (prefetched === null) return null;
    const ahead = new RestoreAhead(prefetched.sequence);
    const restoring = prefetched.reading.then(async (stored): Promise<RestoredAhead | null> => {
      if (ahead.abandoned) return null;
      // The shadow starts first (as soon as it is up): its restore then runs on its thread while
      // the engine's runs on this one. Settled means the reset has been asked for (see settled()).
      const issued = shadow.then((s) => ({ verifying: s?.reset(stored.bytes, ordersIn(stored.bytes)) ?? Promise.resolve(null) }));
      const engine = await newEngine();
      if (!ahead.abandoned) engine.restore(stored.bytes);
      const { verifying } = await issued;
      verifying.catch(() => undefined); // recovery looks at it, or resets the shadow again
      return ahead.abandoned ? null : { stored, engine, verifying };
    });
    ahead.restoring = restoring.catch(() => null);
    return ahead;
  }

  /** The open failed: whatever has not started yet never does. */
  abandon(): void {
    this.abandoned = true;
  }

  /**
   * Resolves once the restore ahead has finished or failed. Recovery waits for it before it resets
   * the shadow itself: a reset ahead issued after that one would leave the shadow on the wrong state.
   */
  async settled(): Promise<void> {
    await this.restoring;
  }

  /** What was restored ahead, if it is exactly `manifest`'s snapshot; null otherwise (once settled). */
  async take(manifest: CheckpointManifest): Promise<RestoredAhead | null> {
    const ahead = await this.restoring;
    if (ahead === null || manifest.where !== SnapshotWhere.FILE || manifest.sequence !== this.sequence) return null;
    if (ahead.stored.length !== manifest.byteLength || !ahead.stored.sha256.equals(manifest.sha256)) return null;
    return ahead;
  }
}

/**
 * How many orders the shadow's order index is presized for: as many as the snapshot's bytes could
 * hold (each order takes five slots), which for a book of resting orders is barely more than it
 * holds. Counted from the length alone: the bytes are not yet checked against any manifest.
 */
const ordersIn = (bytes: Uint8Array): number => Math.floor(bytes.byteLength / (SNAPSHOT_ORDER_SLOTS * 8));
