// Opening lobcore databases from the CLI. Commands that only read (inspect, fills, ...) open read-only:
// they work beside a running writer, never create a database where a path was mistyped, and never
// write. Commands that create one (demo, replay --db) want a new or empty directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { makeDirectory, statOrUndefined } from '../directories.js';
import { refuseUnopenableDirectory } from '../state/database-directory.js';
import { CoreStateMachine, type StateMachineOptions } from '../state/index.js';
import { CliError, describeSystemError, namingFlag } from './failure.js';
import { beginStep } from './unfinished.js';

export { CoreStateMachine };

export function openStateMachine(options: StateMachineOptions): Promise<CoreStateMachine> {
  return CoreStateMachine.open(options);
}

/**
 * Runs `read` on a read-only view of an existing database and closes it. When `read` fails, that
 * failure is what the caller sees: closing afterwards may fail too, but must not hide it.
 */
export async function readDatabase<T>(directory: string, read: (machine: CoreStateMachine) => Promise<T>): Promise<T> {
  const restoreSignals = exitThroughHooksOnSignals();
  try {
    return await readAndClose(directory, read);
  } finally {
    restoreSignals();
  }
}

async function readAndClose<T>(directory: string, read: (machine: CoreStateMachine) => Promise<T>): Promise<T> {
  beginStep(`opening ${directory} read-only`);
  const machine = await openStateMachine({ path: directory, readOnly: true });
  let result: T;
  try {
    beginStep(`reading ${directory}`);
    result = await read(machine);
  } catch (error) {
    beginStep(`closing ${directory} after a failed read`);
    await machine.close().catch(() => undefined);
    throw error;
  }
  beginStep(`closing ${directory}`);
  await machine.close();
  return result;
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A read-only open copies the database into the temp dir and removes the copy on 'exit'
 * (state/read-only-copy.ts), which a signal's default action skips. Until the returned function is
 * called, these signals exit through process.exit instead, with the code a shell reports for a
 * signalled process (128 + the signal's number).
 */
export function exitThroughHooksOnSignals(): () => void {
  const exit = (signal: NodeJS.Signals): never => process.exit(128 + os.constants.signals[signal]);
  for (const signal of EXIT_SIGNALS) process.on(signal, exit);
  return () => {
    for (const signal of EXIT_SIGNALS) process.off(signal, exit);
  };
}

/** Refuses, before anything is opened or created, a path that does not hold a lobcore database; `flag` names it. */
export function requireDatabaseDirectory(directory: string, flag: string): void {
  try {
    refuseUnopenableDirectory(directory, false);
  } catch (error) {
    throw namingFlag(flag, directory, error);
  }
}

/**
 * A directory for a new database: created when missing, accepted when empty. Anything else is
 * refused: the demo and replay start from order id 1 and must not write into someone's data.
 * `directory` is the path as typed, which the refusal names.
 */
export function prepareFreshDirectory(directory: string, flag: string): void {
  const stat = statOrUndefined(directory);
  if (stat === undefined) {
    try {
      makeDirectory(directory);
    } catch (error) {
      throw new CliError(`${flag} ${directory} cannot be created: ${describeSystemError(error) ?? (error as Error).message}`);
    }
    return;
  }
  if (!stat.isDirectory()) throw new CliError(`${flag} ${directory} is a file; a new database needs a new or empty directory`);
  if (fs.readdirSync(directory).length > 0) {
    throw new CliError(`${flag} ${directory} is not empty; a new database needs a new or empty directory`);
  }
}

