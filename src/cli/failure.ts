// How the CLI fails: one line on stderr, `lobcore: <message>`, and an exit code a script can
// branch on. Stack traces are for bugs, not for a user's typo, so they only appear on request.
import { CommanderError } from 'commander';
import { LobError, type LobErrorCode } from '../errors.js';

export const ExitCode = {
  OK: 0,
  /** The command ran and its check failed: a demo MISMATCH, a replayed book that differs. */
  CHECK_FAILED: 1,
  /** Bad input: usage, flags, files, a database that cannot be opened. Nothing was changed. */
  BAD_INPUT: 2,
  /** A bug, or a fault of the environment (a storage read or write that failed). */
  INTERNAL: 3,
} as const;

/** A failure whose message is already fit for the user. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = ExitCode.BAD_INPUT) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * The exit code of each LobError code: 2 when what the user pointed lobcore at is wrong (a
 * malformed value, a damaged or foreign database, one of a newer format, one another process
 * holds, history the database no longer keeps), 3 when the environment failed (a storage read or
 * write the OS refused, a feed reader that fell behind, a NATS cluster that did not answer or a
 * nats-server that is not installed, an engine out of the memory it may use) or lobcore has a bug. README.md's
 * exit-code table lists the same; test/cli.test.ts holds them to each other.
 */
export const EXIT_CODE_OF: Readonly<Record<LobErrorCode, number>> = {
  INVALID_ARGUMENT: ExitCode.BAD_INPUT,
  CORRUPTION: ExitCode.BAD_INPUT,
  UNSUPPORTED_VERSION: ExitCode.BAD_INPUT,
  LOCKED: ExitCode.BAD_INPUT,
  NOT_A_DATABASE: ExitCode.BAD_INPUT,
  READ_ONLY: ExitCode.BAD_INPUT,
  NOT_RETAINED: ExitCode.BAD_INPUT,
  IO_ERROR: ExitCode.INTERNAL,
  SLOW_CONSUMER: ExitCode.INTERNAL,
  UNAVAILABLE: ExitCode.INTERNAL,
  NOT_OPEN: ExitCode.INTERNAL,
  ENGINE_FAILED: ExitCode.INTERNAL,
  CAPACITY: ExitCode.INTERNAL,
};

// Node system errors (fs, spawn) a user causes by naming the wrong path.
const SYSTEM_ERROR_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENOSPC: 'no space left on device',
};

export interface Failure {
  message: string;
  exitCode: number;
}

export function describeFailure(error: unknown): Failure {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof CommanderError) {
    // commander prefixes its messages with "error: "; we print our own prefix.
    return { message: error.message.replace(/^error: /, ''), exitCode: ExitCode.BAD_INPUT };
  }
  if (error instanceof LobError) {
    return { message: error.message, exitCode: EXIT_CODE_OF[error.code] ?? ExitCode.INTERNAL };
  }
  const systemText = describeSystemError(error);
  if (systemText !== undefined) return { message: systemText, exitCode: ExitCode.BAD_INPUT };
  const detail = error instanceof Error ? error.message : String(error);
  return { message: `internal error: ${detail} (run with LOBCORE_DEBUG=1 for a stack trace)`, exitCode: ExitCode.INTERNAL };
}

/** `path: what went wrong` for the Node system errors a wrong path causes; undefined for others. */
export function describeSystemError(error: unknown): string | undefined {
  const systemError = error as NodeJS.ErrnoException;
  if (typeof systemError?.code !== 'string' || !(systemError.code in SYSTEM_ERROR_TEXT)) return undefined;
  const where = systemError.path === undefined ? '' : `${systemError.path}: `;
  return `${where}${SYSTEM_ERROR_TEXT[systemError.code]}`;
}

/**
 * A refusal of a path the user gave with `flag`, reworded to start with the flag: the library and
 * Node name the path alone, and cannot know which flag it came from. A LobError is taken to be
 * about that path; other errors are returned as they are.
 */
export function namingFlag(flag: string, path: string, error: unknown): unknown {
  if (error instanceof LobError) {
    // The library names its option first ("path /x cannot be examined"): here the flag names it.
    const message = error.message.startsWith(`path ${path}`) ? error.message.slice('path '.length) : error.message;
    const about = message.startsWith(path) ? message : `${path}: ${message}`;
    return new LobError(error.code, `${flag} ${about}`, { cause: error });
  }
  const systemText = describeSystemError(error);
  return systemText === undefined ? error : new CliError(`${flag} ${systemText}`);
}

/**
 * The same for a step that reads several paths, each given with its own flag: the error is
 * reworded for the one path it names, and returned as it is when it names none of them.
 */
export function namingFlagOfPath(flags: readonly (readonly [flag: string, path: string | undefined])[], error: unknown): unknown {
  const named = error instanceof LobError ? (path: string) => error.message.startsWith(path)
    : (path: string) => (error as NodeJS.ErrnoException)?.path === path;
  const match = flags.find(([, path]) => path !== undefined && named(path));
  return match === undefined ? error : namingFlag(match[0], match[1] as string, error);
}

/**
 * A message fit for one terminal line: line breaks and runs of blanks become one space, and
 * control characters (from a damaged file, a RocksDB message) are shown as escapes, never sent
 * to the terminal raw.
 */
export function terminalLine(message: string): string {
  return message
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Prints the failure as one line (plus the stack when LOBCORE_DEBUG is set) and returns its exit code. */
export function reportFailure(error: unknown): number {
  const failure = describeFailure(error);
  process.stderr.write(`lobcore: ${terminalLine(failure.message)}\n`);
  if (process.env.LOBCORE_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return failure.exitCode;
}
