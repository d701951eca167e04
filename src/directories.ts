// Directory helpers: `mkdir -p` that always ends, a stat that answers "nothing there", and the
// bytes under a directory.
//
// Node's own recursive mkdir (and @nxtedition/rocksdb's open, which calls it) loops forever when
// the kernel answers ENOENT for a child of a directory that exists, as /proc does:
// `fs.mkdirSync('/proc/nope/db', { recursive: true })` never returns. Here each missing
// directory is created once, parent first, and the first refusal is thrown.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Creates `directory` and any missing parents. Throws the failing `mkdir`'s own error (its
 * `code` and `path` name the directory that could not be made), or ENOTDIR when a file is in
 * the way.
 */
export function makeDirectory(directory: string): void {
  const missing: string[] = [];
  for (let dir = path.resolve(directory); ; dir = path.dirname(dir)) {
    const stat = statOrUndefined(dir);
    if (stat !== undefined) {
      if (!stat.isDirectory()) {
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: dir, syscall: 'mkdir' });
      }
      break;
    }
    missing.push(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      fs.mkdirSync(missing[i]);
    } catch (error) {
      // Someone else made it meanwhile: that is what we wanted.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** The path's stat, or undefined when nothing is there (ENOTDIR: a file stands where a parent should). */
export function statOrUndefined(target: string): fs.Stats | undefined {
  try {
    return fs.statSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Bytes of all files under a directory. A live database's files come and go while they are
 * counted (compaction retires table files, a new checkpoint drops an old snapshot file): one
 * listed and then gone counts as gone, or `inspect` beside a running writer would fail on it.
 */
export function directoryBytes(directory: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) total += directoryBytes(full);
    else if (entry.isFile()) total += fs.statSync(full, { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}
