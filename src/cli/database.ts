// Opening lobcore databases from the CLI. The state machine creates a database wherever it is
// pointed; commands that only read (inspect, fills) check first that the directory already
// holds one, so a mistyped path is reported and never turned into a new empty database.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreStateMachine, type StateMachineOptions } from '../state/index.js';
import type { BackendName } from '../types.js';
import { CliError } from './failure.js';

export { CoreStateMachine };

export function openStateMachine(options: StateMachineOptions): Promise<CoreStateMachine> {
  return CoreStateMachine.open(options);
}

/** Opens a database that must already exist; nothing is created when it does not. */
export async function openExistingDatabase(directory: string, backend?: BackendName): Promise<CoreStateMachine> {
  requireDatabaseDirectory(directory);
  return openStateMachine({ path: directory, backend });
}

// RocksDB keeps a CURRENT file in every database directory from its first open on.
const ROCKSDB_MARKER = 'CURRENT';

export function requireDatabaseDirectory(directory: string): void {
  const stat = statOrUndefined(directory);
  if (stat === undefined) throw new CliError(`${directory}: no such directory`);
  if (!stat.isDirectory()) throw new CliError(`${directory} is a file, not a lobcore database directory`);
  if (!fs.existsSync(path.join(directory, ROCKSDB_MARKER))) {
    throw new CliError(`${directory} is not a lobcore database (no RocksDB files in it)`);
  }
}

/**
 * A directory for a new database: created when missing, accepted when empty. Anything else is
 * refused: the demo and replay start from order id 1 and must not write into someone's data.
 */
export function prepareFreshDirectory(directory: string): void {
  const stat = statOrUndefined(directory);
  if (stat === undefined) {
    fs.mkdirSync(directory, { recursive: true });
    return;
  }
  if (!stat.isDirectory()) throw new CliError(`${directory} is a file; a new database needs a new or empty directory`);
  if (fs.readdirSync(directory).length > 0) {
    throw new CliError(`${directory} is not empty; a new database needs a new or empty directory`);
  }
}

/** Bytes of all files under a directory. */
export function directoryBytes(directory: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) total += directoryBytes(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}

function statOrUndefined(target: string): fs.Stats | undefined {
  try {
    return fs.statSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
