// Recovery's head start. A writable open knows before RocksDB has opened (on the store worker's
// thread) which checkpoint recovery will almost always start from: the newest snapshot file. So
// while RocksDB opens, that file is read and hashed, and restored into an engine on this thread.
// Recovery takes the result only if the newest manifest names that very file with that length and
// sha256; anything else (an older checkpoint chosen, a file a crash cut short) is recovered the
// ordinary way. The checkpoint worker's shadow is not restored here: recovery starts it once the
// engine is proven, so its restore does not compete with the engine's for the cores.
import type { Engine } from '../engine.js';
import type { SnapshotFiles } from './checkpoint-files.js';
import type { StoredSnapshot } from './checkpoints.js';
import { SnapshotWhere } from './codecs.js';
import type { CheckpointManifest } from './codecs.js';

export interface RestoredAhead {
  stored: StoredSnapshot;
  engine: Engine;
}

export class RestoreAhead {
  private abandoned = false;
  private restoring: Promise<RestoredAhead | null> = Promise.resolve(null);

  private constructor(private readonly sequence: number) {}

  /** Starts, if there is a snapshot file. */
  static start(files: SnapshotFiles, newEngine: () => Promise<Engine>): RestoreAhead | null {
    const prefetched = files.prefetchNewest();
    if (prefetched === null) return null;
    const ahead = new RestoreAhead(prefetched.sequence);
    // The engine is made while the file is read.
    const creating = newEngine();
    const restoring = prefetched.reading.then(async (stored): Promise<RestoredAhead | null> => {
      const engine = await creating;
      if (ahead.abandoned) return null;
      engine.restore(stored.bytes);
      return ahead.abandoned ? null : { stored, engine };
    });
    creating.catch(() => undefined); // restoring reports it
    ahead.restoring = restoring.catch(() => null);
    return ahead;
  }

  /** The open failed: whatever has not started yet never does. */
  abandon(): void {
    this.abandoned = true;
  }

  /** Resolves once the restore ahead has finished or failed. */
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
