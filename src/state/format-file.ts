// The database's format version in a small file of lobcore's own beside RocksDB's files, read
// before RocksDB is let near the directory. RocksDB opened writable rewrites its log, MANIFEST and
// OPTIONS files (the same data in new files) before lobcore can read the format marker inside it:
// a database written by a newer lobcore, opened by this one by mistake, was refused, but no
// longer byte for byte what it was. With this file the refusal comes before RocksDB opens it.
//
// The file holds the same bytes as the format marker (codecs.ts: version byte, "LOBCORE", CRC-32)
// and is written atomically: a temporary file, fsync, rename, fsync of the directory; a crash
// leaves the old file or the new one, and at worst a stray temporary file, which is ignored. It is
// never behind the marker: a build that raises the marker writes the file first, so a file at or
// below this build's version means the marker is too. The marker inside RocksDB stays the truth:
// a database made before the file existed, or whose file is unreadable, is checked the old way,
// once RocksDB has opened it, and gains the file once it has opened at a format this build reads.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { LobError } from '../errors.js';
import { DATABASE_FORMAT_VERSION, OLDEST_READABLE_FORMAT_VERSION, decodeFormat, encodeFormat } from './codecs.js';
import { syncDirectorySync } from './sync-directory.js';

export const FORMAT_FILE = 'LOBCORE-FORMAT';
const PARTIAL_FORMAT_FILE = `${FORMAT_FILE}.partial`;
/** The name a database's key for the marker has in messages about the file. */
const FILE_KEY = Buffer.from(FORMAT_FILE, 'latin1');

/**
 * The format version the file beside the database records; undefined when there is none, or it
 * cannot be read or fails its checksum (the marker inside the database then decides).
 */
export function readFormatFile(directory: string): number | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(nodePath.join(directory, FORMAT_FILE));
  } catch {
    return undefined;
  }
  try {
    return decodeFormat(FILE_KEY, bytes);
  } catch {
    return undefined;
  }
}

/** UNSUPPORTED_VERSION for a database of format `version`, unless this build reads it. */
export function refuseUnreadableFormat(path: string, version: number): void {
  if (version >= OLDEST_READABLE_FORMAT_VERSION && version <= DATABASE_FORMAT_VERSION) return;
  // An older layout is refused rather than upgraded in place: rewriting every fill of a large
  // history on open would be a long, unannounced write.
  const which = version < DATABASE_FORMAT_VERSION ? 'an older lobcore' : 'a newer lobcore';
  throw new LobError(
    'UNSUPPORTED_VERSION',
    `${path} has database format version ${version}, written by ${which}; this build reads versions ${OLDEST_READABLE_FORMAT_VERSION} to ${DATABASE_FORMAT_VERSION}`,
  );
}

/** Records `version` in the file beside the database, atomically and durably. */
export function writeFormatFile(directory: string, version = DATABASE_FORMAT_VERSION): void {
  const partial = nodePath.join(directory, PARTIAL_FORMAT_FILE);
  const file = fs.openSync(partial, 'w');
  try {
    fs.writeSync(file, encodeFormat(version));
    fs.fsyncSync(file);
  } finally {
    fs.closeSync(file);
  }
  fs.renameSync(partial, nodePath.join(directory, FORMAT_FILE));
  syncDirectorySync(directory);
}
