// How the CLI fails: one line on stderr, `lobcore: <message>`, and an exit code a script can
// branch on. Stack traces are for bugs, not for a user's typo, so they only appear on request.
import { CommanderError } from 'commander';
import { LobError } from '../errors.js';

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

// LobError codes that mean "what you pointed me at is wrong", as opposed to a bug in lobcore or
// a failing disk (IO_ERROR, ENGINE_FAILED, NOT_OPEN).
const INPUT_ERROR_CODES = new Set(['INVALID_ARGUMENT', 'CORRUPTION', 'UNSUPPORTED_VERSION', 'LOCKED', 'NOT_A_DATABASE', 'NOT_RETAINED']);

// Node system errors (fs, spawn) a user causes by naming the wrong path.
const SYSTEM_ERROR_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'not a directory',
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
    const exitCode = INPUT_ERROR_CODES.has(error.code) ? ExitCode.BAD_INPUT : ExitCode.INTERNAL;
    return { message: error.message, exitCode };
  }
  const systemError = error as NodeJS.ErrnoException;
  if (typeof systemError?.code === 'string' && systemError.code in SYSTEM_ERROR_TEXT) {
    const where = systemError.path === undefined ? '' : `${systemError.path}: `;
    return { message: `${where}${SYSTEM_ERROR_TEXT[systemError.code]}`, exitCode: ExitCode.BAD_INPUT };
  }
  const detail = error instanceof Error ? error.message : String(error);
  return { message: `internal error: ${detail} (run with LOBCORE_DEBUG=1 for a stack trace)`, exitCode: ExitCode.INTERNAL };
}

/** Prints the failure as one line (plus the stack when LOBCORE_DEBUG is set) and returns its exit code. */
export function reportFailure(error: unknown): number {
  const failure = describeFailure(error);
  process.stderr.write(`lobcore: ${failure.message}\n`);
  if (process.env.LOBCORE_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return failure.exitCode;
}
