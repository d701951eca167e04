// The files behind a read-only open. @nxtedition/rocksdb 12 opens every database read-write (its
// README lists a `readOnly` option, but its db_open never reads it) and RocksDB's LOCK admits one
// such handle, so a database that a running writer holds cannot be opened beside it. A read-only
// state machine therefore opens a private copy of the database's files, taken at one instant:
//
//   1. CURRENT is read, then the MANIFEST it names is copied: the list of live table files and the
//      first write-ahead log still needed.
//   2. Table files (.sst, .blob) are hard-linked (copied across filesystems): RocksDB never changes
//      one once written, and a link keeps it readable when the writer's compaction deletes it.
//   3. Write-ahead logs (.log) are copied byte for byte, last: each holds every flush that reached
//      it before the copy; a flush caught half-written is a torn final record, which RocksDB's
//      point-in-time log recovery drops whole (a lobcore flush is one write batch, one record).
//   4. Checkpoint snapshot files (checkpoint-files.ts) are hard-linked first, before CURRENT is
//      read, and again last, those made meanwhile. A file is written whole before its manifest and
//      deleted only after the write that drops its manifest (checkpoints.ts), so one listed first
//      but gone before its link was dropped before anything below is copied, and is passed over;
//      one listed last, gone before its link, may be named by the copied manifests: a race.
//      (Linked only last, as they once were, a writer that checkpoints often deleted one of the
//      first list during the copy on a loaded machine, five attempts in a row.) A file both made
//      and deleted while the copy is taken, which takes keepCheckpoints newer checkpoints within
//      those milliseconds, would go unseen: recovery then skips its manifest as naming a missing file.
//   5. The copy is refused as raced, and taken again, when a log the MANIFEST may need vanished
//      meanwhile, a listed file vanished before it was copied, or CURRENT moved to a new MANIFEST.
//
//   6. The index database (`index/`, store.ts) is copied the same way before all of this: copied
//      before the commits it indexes, it can only be behind them, which its watermark says.
//
// Opening the copy then recovers it like any database (into the copy, never the original), so a
// read-only view sees exactly the flushes that completed before it was opened, and nothing later.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LobError } from '../errors.js';
import { SNAPSHOT_DIRECTORY, isWholeSnapshotName } from './checkpoint-files.js';
import { INDEX_DIRECTORY } from './keys.js';

const MANIFEST_FILE = /^MANIFEST-\d+$/;
const TABLE_FILE = /^\d+\.(sst|blob)$/;
const LOG_FILE = /^\d+\.log$/;
const SMALL_FILE = /^(IDENTITY|OPTIONS-\d+)$/;

export interface DatabaseCopy {
  /** The private directory RocksDB opens instead of the original. */
  readonly location: string;
  /** Deletes the copy (idempotent). */
  remove(): void;
}

/** The database changed under the copy in a way that could make it inconsistent: take it again. */
export class CopyRaced extends Error {
  constructor(reason: string) {
    super(`the database changed while it was being copied (${reason})`);
    this.name = 'CopyRaced';
  }
}

// Copies left behind by a process that exits without closing its store.
const live = new Set<string>();
let exitHookInstalled = false;

function removeOnExit(location: string): void {
  live.add(location);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const left of live) fs.rmSync(left, { recursive: true, force: true });
  });
}

/** Copies the database at `source` into a new directory under the system temp dir. Throws CopyRaced on a race. */
export function copyDatabase(source: string): DatabaseCopy {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-read-only-'));
  removeOnExit(location);
  const copy: DatabaseCopy = {
    location,
    remove() {
      live.delete(location);
      fs.rmSync(location, { recursive: true, force: true });
    },
  };
  try {
    const indexes = path.join(source, INDEX_DIRECTORY);
    if (fs.existsSync(path.join(indexes, 'CURRENT'))) {
      fs.mkdirSync(path.join(location, INDEX_DIRECTORY));
      copyFiles(indexes, path.join(location, INDEX_DIRECTORY));
    }
    copyFiles(source, location);
  } catch (error) {
    copy.remove();
    throw error;
  }
  return copy;
}

function copyFiles(source: string, target: string): void {
  const snapshotsLinked = linkSnapshots(source, target, snapshotFiles(source), new Set(), GONE_IS_DROPPED);
  const logsBefore = fs.readdirSync(source).filter((name) => LOG_FILE.test(name));
  const current = fs.readFileSync(path.join(source, 'CURRENT'), 'latin1');
  const manifest = current.trim();
  // CURRENT is one line naming a file in this directory: anything else is damage, never a path to follow.
  if (!MANIFEST_FILE.test(manifest)) {
    throw new LobError('CORRUPTION', `${source} is a damaged RocksDB database: its CURRENT file does not name a MANIFEST`);
  }
  try {
    copyListed(source, target, manifest, fs.copyFileSync);
  } catch (error) {
    if (error instanceof CopyRaced && fs.readFileSync(path.join(source, 'CURRENT'), 'latin1') === current) {
      throw new LobError('CORRUPTION', `${source} is a damaged RocksDB database: CURRENT names ${manifest}, which is not there`);
    }
    throw error;
  }

  const names = fs.readdirSync(source);
  const gone = logsBefore.filter((name) => !names.includes(name));
  if (gone.length > 0) throw new CopyRaced(`log ${gone.join(', ')} was retired by a memtable flush`);
  for (const name of names) {
    if (TABLE_FILE.test(name)) copyListed(source, target, name, linkOrCopy);
    else if (SMALL_FILE.test(name)) copyListed(source, target, name, fs.copyFileSync);
  }
  for (const name of names) if (LOG_FILE.test(name)) copyListed(source, target, name, fs.copyFileSync);

  linkSnapshots(source, target, snapshotFiles(source), snapshotsLinked, GONE_IS_RACE);

  if (fs.readFileSync(path.join(source, 'CURRENT'), 'latin1') !== current) throw new CopyRaced('CURRENT names a new MANIFEST');
  fs.writeFileSync(path.join(target, 'CURRENT'), current, 'latin1');
}

const GONE_IS_DROPPED = true;
const GONE_IS_RACE = false;

/** Links the snapshot files `names` not in `linked` into the copy; returns `linked` with those it linked added. */
function linkSnapshots(source: string, target: string, names: string[], linked: Set<string>, goneIsDropped: boolean): Set<string> {
  for (const name of names) {
    if (linked.has(name)) continue;
    if (linked.size === 0) fs.mkdirSync(path.join(target, SNAPSHOT_DIRECTORY), { recursive: true });
    try {
      copyListed(source, target, path.join(SNAPSHOT_DIRECTORY, name), linkOrCopy);
    } catch (error) {
      if (goneIsDropped && error instanceof CopyRaced) continue;
      throw error;
    }
    linked.add(name);
  }
  return linked;
}

/** The whole snapshot files beside the database (a `.partial` one has no manifest yet). */
function snapshotFiles(source: string): string[] {
  try {
    return fs.readdirSync(path.join(source, SNAPSHOT_DIRECTORY)).filter(isWholeSnapshotName);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function copyListed(source: string, target: string, name: string, transfer: (from: string, to: string) => void): void {
  try {
    transfer(path.join(source, name), path.join(target, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CopyRaced(`${name} was deleted`);
    throw error;
  }
}

function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw error;
    // Another filesystem (EXDEV), or one without hard links.
    fs.copyFileSync(from, to);
  }
}
