// The options of CoreStateMachine.open, checked once.
import type { CoreLimits } from '../core.js';
import { invalidArgument, LobError } from '../errors.js';
import type { BackendName } from '../types.js';
import { isPositiveSafeInteger, orDefault, refuseUnknownOptions, requirePositive, requireTimerMs } from '../validate.js';
import { INDEX_GATHER_MS } from './indexer.js';

export interface AutoFlushOptions {
  /** Flush once this many commands are pending. */
  operations?: number;
  /** Flush this long after the first command that follows a flush. */
  milliseconds?: number;
}

export interface StateMachineOptions extends CoreLimits {
  /** Directory of the RocksDB database; without one the state machine runs in memory. */
  path?: string;
  /**
   * Read the database at `path` as it is at open, beside any writer that holds it, and never
   * write it: queries work, commands and checkpoints throw READ_ONLY. Open again to see newer flushes.
   */
  readOnly?: boolean;
  /** checkpointIfNeeded() checkpoints once the height has advanced this far since the last checkpoint. */
  checkpointInterval?: number;
  backend?: BackendName;
  /** fsync each flush (survives a machine crash, not only a killed process). */
  sync?: boolean;
  /**
   * close() takes a checkpoint first when at least this many commands were journaled after the
   * newest one (10,000 by default; false: never), so that the next open restores it and replays
   * nothing. A replay costs about half a microsecond a command; a checkpoint, taken by the
   * checkpoint worker, costs the close about what a restore costs the open.
   */
  checkpointOnClose?: number | false;
  /** Checkpoints kept; the journal is kept back to the oldest of them. */
  keepCheckpoints?: number;
  /** Group commit: flush on its own after N commands or T milliseconds. */
  autoFlush?: AutoFlushOptions;
  /** Told about a group-commit flush that failed; its records stay pending for the next flush. */
  onAutoFlushError?: (error: LobError) => void;
  /**
   * How far (journal entries) the indexes may fall behind the commits before flush() waits for
   * them: back-pressure, so that a flow faster than the indexes can follow holds their queued
   * operations (about 70 bytes an entry) to a bound instead of growing without one.
   */
  maxIndexLag?: number;
  /**
   * How long (ms) the index writer lets durable commits gather into one window before it writes
   * them (100 by default; 0: as soon as the last window has landed). Postings fold only within a
   * window, so a longer gathering writes fewer keys under a light flow, for that much more index
   * lag, which no query sees.
   */
  indexGatherMs?: number;
}

export type ResolvedOptions = Required<Pick<StateMachineOptions, 'checkpointInterval' | 'checkpointOnClose' | 'keepCheckpoints' | 'sync' | 'maxIndexLag' | 'indexGatherMs'>> & StateMachineOptions;

/** checkpointOnClose's default: below it a replay takes a few milliseconds, about what a small book's checkpoint costs the close. */
export const CLOSE_CHECKPOINT_AFTER = 10_000;

const STATE_MACHINE_OPTIONS: readonly (keyof StateMachineOptions)[] = [
  'path', 'readOnly', 'backend', 'sync', 'checkpointInterval', 'checkpointOnClose', 'keepCheckpoints', 'autoFlush', 'onAutoFlushError', 'maxIndexLag',
  'indexGatherMs', 'maxOrders', 'maxLevels', 'maxMemoryBytes',
];

export function resolveOptions(options: StateMachineOptions): ResolvedOptions {
  refuseUnknownOptions('options', options, STATE_MACHINE_OPTIONS, 'CoreStateMachine.open');
  const resolved: ResolvedOptions = {
    ...options, checkpointInterval: orDefault(options.checkpointInterval, 100),
    checkpointOnClose: orDefault(options.checkpointOnClose, CLOSE_CHECKPOINT_AFTER), keepCheckpoints: orDefault(options.keepCheckpoints, 2),
    sync: orDefault(options.sync, true), maxIndexLag: orDefault(options.maxIndexLag, 1_000_000), indexGatherMs: orDefault(options.indexGatherMs, INDEX_GATHER_MS),
  };
  if (resolved.backend !== undefined && resolved.backend !== 'wasm' && resolved.backend !== 'js') throw invalidArgument('backend', 'one of wasm, js', resolved.backend);
  // Node refuses a NUL in a path with an error of its own, which names no option.
  if (resolved.path !== undefined && (typeof resolved.path !== 'string' || resolved.path === '' || resolved.path.includes('\0'))) {
    throw invalidArgument('path', 'a non-empty string without a NUL character', resolved.path);
  }
  if (!isPositiveSafeInteger(resolved.checkpointInterval)) throw invalidArgument('checkpointInterval', 'a positive safe integer', resolved.checkpointInterval);
  if (resolved.checkpointOnClose !== false && !isPositiveSafeInteger(resolved.checkpointOnClose)) {
    throw invalidArgument('checkpointOnClose', 'false or a positive safe integer', resolved.checkpointOnClose);
  }
  if (!isPositiveSafeInteger(resolved.keepCheckpoints)) throw invalidArgument('keepCheckpoints', 'a positive safe integer', resolved.keepCheckpoints);
  if (typeof resolved.sync !== 'boolean') throw invalidArgument('sync', 'a boolean', resolved.sync);
  // The engine checks its limits too, but only once recovery creates it, after the store's open has
  // made a database at a new path: checked here, a refused open leaves nothing behind.
  for (const field of ['maxOrders', 'maxLevels', 'maxMemoryBytes'] as const) {
    if (resolved[field] !== undefined) requirePositive(field, resolved[field]);
  }
  if (!isPositiveSafeInteger(resolved.maxIndexLag)) throw invalidArgument('maxIndexLag', 'a positive safe integer', resolved.maxIndexLag);
  // A timer's delay: past what one holds, a group commit "every 2^31 ms" flushed at once.
  requireTimerMs('indexGatherMs', resolved.indexGatherMs, 0);
  if (resolved.readOnly !== undefined && typeof resolved.readOnly !== 'boolean') throw invalidArgument('readOnly', 'a boolean', resolved.readOnly);
  if (resolved.readOnly === true && resolved.path === undefined) throw invalidArgument('path', 'a database directory when readOnly is true', resolved.path);
  if (resolved.readOnly === true && resolved.autoFlush !== undefined) throw invalidArgument('autoFlush', 'absent when readOnly is true', resolved.autoFlush);
  // Checked here, not when first called: a failed group-commit flush calls it from a promise's
  // handler, where a non-function would throw as an unhandled rejection, and the failure go unheard.
  if (resolved.onAutoFlushError !== undefined && typeof resolved.onAutoFlushError !== 'function') {
    throw invalidArgument('onAutoFlushError', 'a function', resolved.onAutoFlushError);
  }
  const auto = resolved.autoFlush;
  if (auto !== undefined) {
    refuseUnknownOptions('autoFlush', auto, ['operations', 'milliseconds'], 'autoFlush');
    if (auto.operations !== undefined && !isPositiveSafeInteger(auto.operations)) throw invalidArgument('autoFlush.operations', 'a positive safe integer', auto.operations);
    if (auto.milliseconds !== undefined) requireTimerMs('autoFlush.milliseconds', auto.milliseconds, 1);
  }
  return resolved;
}

export function engineOptions(options: StateMachineOptions): CoreLimits & { backend?: BackendName } {
  return { backend: options.backend, maxOrders: options.maxOrders, maxLevels: options.maxLevels, maxMemoryBytes: options.maxMemoryBytes };
}
