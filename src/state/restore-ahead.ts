// Recovery's head start. A writable open knows before RocksDB has opened (on the store worker's
// thread) which checkpoint recovery will almost always start from: the newest snapshot file. So
// while RocksDB opens, that file is restored into an engine on this thread as it is read: each
// piece is checked and restored while the next is read, and the file is never whole in memory (at
// a million orders, 40 MB of fresh pages less, which on this kind of machine cost more than the
// read). Recovery takes the engine only if the newest manifest names that very file with that
// length; anything else (an older checkpoint chosen, a file a crash cut short, an older snapshot
// version, which is upgraded whole) is recovered the ordinary way.
//
// The file is not hashed here. Recovery proves every engine it starts from: the engine's own
// snapshot must hash to the manifest's sha256, which a file changed in any way that matters to the
// books cannot pass (and the shadow, which reads the file itself, checks the file's own sha256).
// Hashing the file as well cost this thread 25-40 ms at a million orders. The checkpoint
// worker's shadow is not restored here: recovery starts it once the replay is done, so its restore
// competes with neither (started here too, on the core RocksDB's open leaves idle for most of this
// restore, it made this restore 20-30% slower and the replay no faster).
import type { Engine } from '../engine.js';
import { readSnapshotFile } from './checkpoint-files.js';
import type { SnapshotFiles } from './checkpoint-files.js';
import type { ShadowSnapshotFile } from './checkpoint-shadow.js';
import { SnapshotWhere } from './codecs.js';
import type { CheckpointManifest } from './codecs.js';

export interface RestoredAhead {
  /** The file restored, with the sha256 its manifest records (recovery proves the engine against it). */
  file: ShadowSnapshotFile;
  engine: Engine;
}

/** An engine restored from the file at `path`, of `byteLength` bytes, still to be proven. */
interface Restored {
  path: string;
  byteLength: number;
  engine: Engine;
}

export class RestoreAhead {
  private abandoned = false;
  private restoring: Promise<Restored | null> = Promise.resolve(null);

  private constructor(private readonly sequence: number) {}

  /** Starts, if there is a snapshot file; `coming` hears its length before the engine exists. */
  static start(files: SnapshotFiles, newEngine: () => Promise<Engine>, coming: (byteLength: number) => void = () => {}): RestoreAhead | null {
    const newest = files.newestFile();
    if (newest === null) return null;
    coming(newest.byteLength);
    const ahead = new RestoreAhead(newest.sequence);
    const restoring = (async (): Promise<Restored | null> => {
      const engine = await newEngine();
      if (ahead.abandoned) return null;
      const { path, byteLength } = newest;
      const restore = engine.restoreInPieces(byteLength);
      await readSnapshotFile(path, byteLength, (piece) => {
        if (ahead.abandoned) throw new Error('the open was abandoned');
        restore.write(piece);
      });
      restore.end();
      return ahead.abandoned ? null : { path, byteLength, engine };
    })();
    // A failure of any kind leaves the checkpoint to the ordinary path, which reports it.
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

  /** What was restored ahead, if it is `manifest`'s snapshot file, whole; null otherwise (once settled). */
  async take(manifest: CheckpointManifest): Promise<RestoredAhead | null> {
    const ahead = await this.restoring;
    if (ahead === null || manifest.where !== SnapshotWhere.FILE || manifest.sequence !== this.sequence) return null;
    if (ahead.byteLength !== manifest.byteLength) return null;
    return { file: { path: ahead.path, byteLength: ahead.byteLength, sha256: manifest.sha256 }, engine: ahead.engine };
  }
}
