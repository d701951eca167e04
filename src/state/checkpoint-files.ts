// Snapshots kept as one file each beside the database (`snapshots/<sequence>.snapshot`), not in
// RocksDB. Through RocksDB, 40 MB of a 1M-order checkpoint went through its write-ahead log, its
// memtables, a flush and compactions, and what the log still held when the process stopped was
// replayed into memtables by the next open; a file is written once, synced, and read back at the
// speed of the page cache. The file holds the snapshot's bytes exactly (a snapshot carries its own
// magic and version); its length and sha256 are in the manifest.
//
// A file is written under a `.partial` name, synced, renamed, and its directory synced, all before
// the manifest naming it is written; it is deleted only after a batch deleting its manifest is. So
// a manifest never names a file that is not whole, and what a crash leaves without a manifest
// (a `.partial` file, or a whole one whose manifest never came) is deleted on the next open.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LobError } from '../errors.js';
import { SnapshotWhere } from './codecs.js';
import type { CheckpointManifest } from './codecs.js';
import { CHUNK_BYTES } from './checkpoints.js';
import type { SnapshotPlace, SnapshotSink, StoredSnapshot } from './checkpoints.js';
import { checkpointKey, describeKey } from './keys.js';

/** The newest snapshot file, being read before anything says it is wanted (prefetchNewest). */
export interface PrefetchedSnapshot {
  sequence: number;
  reading: Promise<StoredSnapshot>;
}

/** The directory beside RocksDB's files that holds the snapshots. */
export const SNAPSHOT_DIRECTORY = 'snapshots';
const FILE_NAME = /^([0-9a-f]{16})\.snapshot(\.partial)?$/;
/** Whether a name in the snapshot directory is a whole snapshot file's (not a `.partial` one's). */
export const isWholeSnapshotName = (name: string): boolean => /^[0-9a-f]{16}\.snapshot$/.test(name);
/** Synced every this many pieces while it is written, so the last sync has little left to do. */
const SYNC_EVERY_PIECES = 8;
/** Read back in pieces this large, each hashed while the next is read. */
const READ_BYTES = 8 * CHUNK_BYTES;

const fileName = (sequence: number): string => `${sequence.toString(16).padStart(16, '0')}.snapshot`;

export class SnapshotFiles implements SnapshotPlace {
  readonly where = SnapshotWhere.FILE;
  readonly directory: string;
  private prefetched: { path: string; reading: Promise<StoredSnapshot> } | null = null;

  /** databasePath: the directory RocksDB's files are in. */
  constructor(databasePath: string) {
    this.directory = join(databasePath, SNAPSHOT_DIRECTORY);
  }

  pathOf(sequence: number): string {
    return join(this.directory, fileName(sequence));
  }

  sink(sequence: number): SnapshotSink {
    return new SnapshotFileSink(this.directory, this.pathOf(sequence));
  }

  /**
   * Starts reading the newest whole snapshot file now, before the store is open to say which
   * checkpoint recovery will start from: RocksDB's open (replaying its log) and this read and hash
   * then run side by side. read() takes it if its manifest names that file and length; the
   * manifest's sha256 still decides whether the bytes are used.
   */
  prefetchNewest(): PrefetchedSnapshot | null {
    let newest: string | undefined;
    try {
      newest = fs.readdirSync(this.directory).filter(isWholeSnapshotName).sort().pop();
    } catch {
      return null; // nothing to prefetch: read() says what is wrong, if anything is
    }
    if (newest === undefined) return null;
    const path = join(this.directory, newest);
    const reading = fs.promises.stat(path).then((stat) => readSnapshotFile(path, stat.size));
    reading.catch(() => undefined); // read() reads again, and reports
    this.prefetched = { path, reading };
    return { sequence: Number.parseInt(newest, 16), reading };
  }

  async read(manifest: CheckpointManifest): Promise<StoredSnapshot> {
    const path = this.pathOf(manifest.sequence);
    const prefetched = this.prefetched;
    this.prefetched = null;
    if (prefetched?.path === path) {
      const stored = await prefetched.reading.catch(() => null);
      if (stored !== null && stored.length === manifest.byteLength) return stored;
    }
    try {
      return await readSnapshotFile(path, manifest.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new LobError('CORRUPTION', `checkpoint ${describeKey(checkpointKey(manifest.sequence))} names the snapshot file ${path}, which is missing`);
    }
  }

  async drop(_batch: unknown, sequence: number): Promise<() => Promise<void>> {
    return () => removeFile(this.pathOf(sequence));
  }

  async dropOrphans(kept: ReadonlySet<number>): Promise<number> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    let deleted = 0;
    for (const name of names) {
      const match = FILE_NAME.exec(name);
      if (match === null || (match[2] === undefined && kept.has(Number.parseInt(match[1], 16)))) continue;
      await removeFile(join(this.directory, name));
      deleted++;
    }
    return deleted;
  }
}

/** `byteLength` bytes of a snapshot file (the file's own length is reported beside them), hashed as they come. */
async function readSnapshotFile(path: string, byteLength: number): Promise<StoredSnapshot> {
  const file = await fs.promises.open(path, 'r');
  try {
    const length = (await file.stat()).size;
    // Shared, so the checkpoint worker restores the very same bytes without a copy.
    const bytes = new Uint8Array(new SharedArrayBuffer(byteLength));
    const hash = createHash('sha256');
    const readAt = async (at: number): Promise<number> => {
      const { bytesRead } = await file.read(bytes, at, Math.min(READ_BYTES, bytes.byteLength - at), at);
      if (bytesRead === 0) throw new LobError('CORRUPTION', `the snapshot file ${path} ended at byte ${at} while it was read`);
      return bytesRead;
    };
    let at = 0;
    let reading = byteLength > 0 && length >= byteLength ? readAt(0) : null;
    while (reading !== null) {
      const read = await reading;
      const next = at + read;
      reading = next < byteLength ? readAt(next) : null;
      hash.update(bytes.subarray(at, next));
      at = next;
    }
    return { bytes, length, sha256: hash.digest(), pieces: null };
  } finally {
    await file.close();
  }
}

/** One snapshot file being written: pieces go to their offsets as they come, on libuv's threads. */
class SnapshotFileSink implements SnapshotSink {
  private readonly partial: string;
  private opening: Promise<FileHandle> | null = null;
  private readonly writes: Array<Promise<unknown>> = [];
  private written = 0;
  private renamed = false;
  /** The snapshot directory was made for this file: its own entry must be synced too. */
  private madeDirectory = false;

  constructor(private readonly directory: string, private readonly path: string) {
    this.partial = `${path}.partial`;
  }

  /**
   * The file, made when the first piece comes rather than when the checkpoint is asked for: the
   * call that asks holds up matching, and making it there cost that call 0.4-5.7 ms.
   */
  private get opened(): Promise<FileHandle> {
    if (this.opening === null) {
      this.opening = fs.promises.mkdir(this.directory, { recursive: true }).then((made) => {
        this.madeDirectory = made !== undefined;
        return fs.promises.open(this.partial, 'w');
      });
      this.opening.catch(() => undefined); // looked at by complete() and discard()
    }
    return this.opening;
  }

  piece(index: number, bytes: Uint8Array): void {
    const writing = this.opened.then(async (file) => {
      await writeAll(file, bytes, index * CHUNK_BYTES);
      if (++this.written % SYNC_EVERY_PIECES === 0) await file.datasync();
    });
    writing.catch(() => undefined); // looked at by complete()
    this.writes.push(writing);
  }

  whole(snapshot: Uint8Array): void {
    this.piece(0, snapshot);
  }

  async complete(): Promise<void> {
    try {
      const file = await this.opened;
      try {
        await Promise.all(this.writes);
        await file.datasync();
      } finally {
        await file.close();
      }
      await fs.promises.rename(this.partial, this.path);
      this.renamed = true;
      await syncDirectory(this.directory);
      if (this.madeDirectory) await syncDirectory(dirname(this.directory));
    } catch (error) {
      // A full disk, say: nothing of it stays (its manifest will never be written).
      await this.discard();
      throw error;
    }
  }

  async discard(): Promise<void> {
    await Promise.allSettled(this.writes);
    const file = this.opening === null ? null : await this.opening.catch(() => null);
    await file?.close().catch(() => undefined);
    await removeFile(this.renamed ? this.path : this.partial).catch(() => undefined);
  }
}

async function writeAll(file: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.byteLength;) {
    const { bytesWritten } = await file.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/** A rename is durable once the directory that holds it is synced. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.promises.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeFile(path: string): Promise<void> {
  await fs.promises.rm(path, { force: true });
}
