// What a path holds, judged from its file names before RocksDB is let near it: RocksDB would
// create its files inside any directory, and reports a database that lost its CURRENT file as if
// nothing were there. Every refusal names the path and says what was found.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { statOrUndefined } from '../directories.js';
import { LobError } from '../errors.js';

/**
 * Files RocksDB writes; the ones that hold data are MANIFEST, table (.sst, .blob) and log files, and
 * lobcore's directories beside them: checkpoint snapshots (checkpoint-files.ts) and the index
 * database (store.ts). lobcore's format file (format-file.ts) and the temporary file a crash may
 * leave of it are its own too, but say only which build may open what the others hold.
 */
const ROCKSDB_FILE = /^(CURRENT|IDENTITY|LOCK|LOG(\.old\.\d+)?|OPTIONS-\d+|MANIFEST-\d+|\d+\.(sst|blob|log)|snapshots|index|LOBCORE-FORMAT(\.partial)?)$/;
const ROCKSDB_DATA_FILE = /^(MANIFEST-\d+|\d+\.(sst|blob|log)|snapshots|index)$/;

export type DirectoryContents =
  | { kind: 'missing' }
  | { kind: 'file' }
  /** Empty, or only what an interrupted first open leaves (LOCK, IDENTITY, LOG, OPTIONS, the first MANIFEST: creationCutOff). */
  | { kind: 'empty' }
  | { kind: 'database' }
  /** MANIFEST, table or log files without the CURRENT file that says which MANIFEST is live. */
  | { kind: 'database-without-current'; dataFiles: string[] }
  | { kind: 'foreign'; otherFiles: string[] };

export function inspectDirectory(path: string): DirectoryContents {
  const stat = statOrUndefined(path);
  if (stat === undefined) return { kind: 'missing' };
  if (!stat.isDirectory()) return { kind: 'file' };
  const names = fs.readdirSync(path).sort();
  // RocksDB ignores files it did not write, so with CURRENT present it is a database whatever sits beside it.
  if (names.includes('CURRENT')) return { kind: 'database' };
  if (creationCutOff(path, names)) return { kind: 'empty' };
  const dataFiles = names.filter((name) => ROCKSDB_DATA_FILE.test(name));
  if (dataFiles.length > 0) return { kind: 'database-without-current', dataFiles };
  const otherFiles = names.filter((name) => !ROCKSDB_FILE.test(name));
  return otherFiles.length > 0 ? { kind: 'foreign', otherFiles } : { kind: 'empty' };
}

/** A first open's own files beside its first MANIFEST, before CURRENT names it. */
const CREATION_FILE = /^(MANIFEST-000001|000001\.dbtmp|IDENTITY|LOCK|LOG)$/;

/**
 * Whether the files are what a first open killed before it wrote CURRENT leaves: RocksDB writes
 * MANIFEST-000001 and 000001.dbtmp, then renames the latter to CURRENT. Nothing was committed:
 * the first open's own log and later MANIFEST come after CURRENT, and lobcore writes its format
 * marker only once the open is done. RocksDB creates the database again over them (it writes
 * both files afresh). A LOG with anything in it is some other program's (the binding writes none).
 */
function creationCutOff(path: string, names: string[]): boolean {
  if (!names.includes('MANIFEST-000001') || !names.every((name) => CREATION_FILE.test(name))) return false;
  return !names.includes('LOG') || fs.statSync(nodePath.join(path, 'LOG')).size === 0;
}

/**
 * Refuses a path the store must not open: anything but a database or (when it may create one)
 * a missing or empty directory.
 */
export function refuseUnopenableDirectory(path: string, mayCreate: boolean): void {
  const contents = examine(path);
  switch (contents.kind) {
    case 'database':
      return;
    case 'missing':
      if (mayCreate) return;
      throw new LobError('NOT_A_DATABASE', `${path}: no such directory`);
    case 'empty':
      if (mayCreate) return;
      throw new LobError('NOT_A_DATABASE', `${path} is not a lobcore database: the directory is empty`);
    case 'file':
      throw new LobError('NOT_A_DATABASE', `${path} is a file, not a lobcore database directory`);
    case 'foreign':
      throw new LobError('NOT_A_DATABASE', `${path} is not a lobcore database: it holds other files (${listNames(contents.otherFiles)})`);
    case 'database-without-current':
      throw new LobError(
        'CORRUPTION',
        `${path} is a damaged RocksDB database: it holds ${listNames(contents.dataFiles)} but no CURRENT file, which RocksDB needs to find its MANIFEST`,
      );
  }
}

/**
 * What the path holds, or INVALID_ARGUMENT naming it when it cannot be looked at (a symlink loop,
 * a name too long, no permission): the path is the caller's, as when it cannot be created
 * (store.ts), and Node's own error carries no LobError code.
 */
function examine(path: string): DirectoryContents {
  try {
    return inspectDirectory(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw error;
    throw new LobError('INVALID_ARGUMENT', `path ${path} cannot be examined: ${code}`, { cause: error });
  }
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}
