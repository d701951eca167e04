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
import { syncDirectory } from './sync-directory.js';

/** The newest whole snapshot file, found before anything says it is wanted (newestFile). */
export interface NewestSnapshotFile {
  sequence: number;
  path: string;
  byteLength: number;
}

/** The directory beside RocksDB's files that holds the snapshots. */
export const SNAPSHOT_DIRECTORY = 'snapshots';
const FILE_NAME = /^([0-9a-f]{16})\.snapshot(\.partial)?$/;
/** Whether a name in the snapshot directory is a whole snapshot file's (not a `.partial` one's). */
export const isWholeSnapshotName = (name: string): boolean => /^[0-9a-f]{16}\.snapshot$/.test(name);
/** Synced every this many pieces while it is written, so the last sync has little left to do. */
const SYNC_EVERY_PIECES = 8;
/** Read back in pieces this large, each handled (hashed, or checked and restored when streamed) while the next is read. */
const READ_BYTES = CHUNK_BYTES;

const fileName = (sequence: number): string => `${sequence.toString(16).padStart(16, '0')}.snapshot`;

export class SnapshotFiles implements SnapshotPlace {
  readonly where = SnapshotWhere.FILE;
  readonly directory: string;

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
   * The newest whole snapshot file, if there is one, found now, before the store is open to say
   * which checkpoint recovery will start from: RocksDB's open (replaying its log) and that file's
   * restore then run side by side (restore-ahead.ts), and the manifest decides later whether the
   * restore counts.
   */
  newestFile(): NewestSnapshotFile | null {
    try {
      const newest = fs.readdirSync(this.directory).filter(isWholeSnapshotName).sort().pop();
      if (newest === undefined) return null;
      const path = join(this.directory, newest);
      return { sequence: Number.parseInt(newest, 16), path, byteLength: fs.statSync(path).size };
    } catch {
      return null; // nothing to restore ahead: read() says what is wrong, if anything is
    }
  }

  async read(manifest: CheckpointManifest): Promise<StoredSnapshot> {
    const path = this.pathOf(manifest.sequence);
    const bytes = new Uint8Array(new SharedArrayBuffer(manifest.byteLength));
    try {
      // Shared, so the checkpoint worker restores the very same bytes without a copy.
      const hash = createHash('sha256');
      const length = await readSnapshotFile(path, manifest.byteLength, (piece, at) => {
        hash.update(piece);
        bytes.set(piece, at);
      });
      return { bytes, length, sha256: hash.digest(), pieces: null };
    } catch (error) {
      if (error instanceof LobError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      const what = code === 'ENOENT' ? 'which is missing' : `which cannot be read (${code ?? (error as Error).message})`;
      // Either way the checkpoint is unusable, and recovery tries an older one (a directory or a
      // loop of links in the file's place, an I/O error), as for a file gone.
      throw new LobError('CORRUPTION', `checkpoint ${describeKey(checkpointKey(manifest.sequence))} names the snapshot file ${path}, ${what}`, { cause: error });
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
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 0;
      // No checkpoint could be written there, nor read: say so rather than each checkpoint.
      throw new LobError('IO_ERROR', `${this.directory}, where checkpoints' snapshot files go, cannot be listed (${code ?? (error as Error).message})`, { cause: error });
    }
    let deleted = 0;
    for (const name of names) {
      const match = FILE_NAME.exec(name);
      if (match === null || (match[2] === undefined && kept.has(Number.parseInt(match[1], 16)))) continue;
      // Housekeeping: a file without a manifest is never read, and a checkpoint that later wants
      // its name writes a .partial file and renames it over, failing then, loudly, if it cannot.
      // A stray that cannot be removed (a directory of that name, a permission) is left, rather
      // than refusing a database whose every checkpoint and commit is sound.
      try {
        await removeFile(join(this.directory, name));
        deleted++;
      } catch {
        continue;
      }
    }
    return deleted;
  }
}

/**
 * The first `byteLength` bytes of a snapshot file handed to `onPiece` in order, in pieces valid
 * only during the call; each piece is handed over while the next is read, into one of two buffers
 * used in turn. Resolves with the file's own length (which may differ).
 */
export async function readSnapshotFile(path: string, byteLength: number, onPiece: (piece: Uint8Array, at: number) => void): Promise<number> {
  const file = await fs.promises.open(path, 'r');
  let reading: Promise<Uint8Array> | null = null;
  try {
    const length = (await file.stat()).size;
    const buffers = [new Uint8Array(READ_BYTES), new Uint8Array(READ_BYTES)];
    // A piece is read whole (a short read is read on), so every piece but the last is READ_BYTES.
    const readAt = async (at: number, into: Uint8Array): Promise<Uint8Array> => {
      const wanted = Math.min(READ_BYTES, byteLength - at);
      for (let got = 0; got < wanted;) {
        const { bytesRead } = await file.read(into, got, wanted - got, at + got);
        if (bytesRead === 0) throw new LobError('CORRUPTION', `the snapshot file ${path} ended at byte ${at + got} while it was read`);
        got += bytesRead;
      }
      return into.subarray(0, wanted);
    };
    let at = 0;
    let turn = 0;
    reading = byteLength > 0 && length >= byteLength ? readAt(0, buffers[0]) : null;
    while (reading !== null) {
      const piece = await reading;
      const next = at + piece.byteLength;
      turn ^= 1;
      reading = next < byteLength ? readAt(next, buffers[turn]) : null;
      onPiece(piece, at);
      at = next;
    }
    return length;
  } finally {
    // A piece's handler threw while the next piece was being read: the file closes after that read.
    await reading?.catch(() => undefined);
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

  piece(index: number, bytes: Uint8Array): Promise<void> {
    const written = this.opened.then((file) => writeAll(file, bytes, index * CHUNK_BYTES));
    const writing = written.then(async () => {
      if (++this.written % SYNC_EVERY_PIECES === 0) await (await this.opened).datasync();
    });
    writing.catch(() => undefined); // looked at by complete()
    this.writes.push(writing);
    return written;
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

async function removeFile(path: string): Promise<void> {
  await fs.promises.rm(path, { force: true });
}
