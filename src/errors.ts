// One error type for the whole package, in the style of the Level ecosystem: callers branch on
// `code`, people read `message`. Codes are stable API; messages are not.

export type LobErrorCode =
  /** Malformed input: the message names the field and the value. Nothing changed. */
  | 'INVALID_ARGUMENT'
  /** A trap or internal fault left the engine in an unknown state: it refuses all further calls. */
  | 'ENGINE_FAILED'
  /** Stored or supplied bytes fail a structural or checksum check; the message names the key. */
  | 'CORRUPTION'
  /** Data written by a newer format version than this code understands. */
  | 'UNSUPPORTED_VERSION'
  /** The database is held open by another process (or another instance in this one). */
  | 'LOCKED'
  /** The state machine or its database is closed, or not open yet. */
  | 'NOT_OPEN'
  /** A storage read or write failed; pending records are kept for a retry. */
  | 'IO_ERROR'
  /** The path exists but is not a lobcore database. */
  | 'NOT_A_DATABASE'
  /** A command, flush of new records or checkpoint on a state machine opened with `readOnly: true`. */
  | 'READ_ONLY'
  /** A feed subscriber fell too far behind and was cut off; it can subscribe again from its last seq. */
  | 'SLOW_CONSUMER'
  /**
   * A history query reaches back past what the database keeps; or a cluster client's per-call
   * command was committed before (a retry found it in the stream) but its shard no longer keeps
   * the result: it is in the stream once, so do not send it again.
   */
  | 'NOT_RETAINED'
  /** A remote service (a NATS cluster, a shard leader) did not answer in time, or is not installed. */
  | 'UNAVAILABLE'
  /**
   * A memory limit (maxMemoryBytes, or the process's own) leaves no room for a call that is not a
   * command (a batch's input or results, a query's answer, a snapshot larger than the limit).
   * Nothing changed. (A command that hits a limit is not an error: it is rejected with the reason
   * CAPACITY.) Or a cluster shard's stream has no room for a request (its limits, or the
   * servers' storage): nothing was appended.
   */
  | 'CAPACITY';

export class LobError extends Error {
  readonly code: LobErrorCode;

  constructor(code: LobErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LobError';
    this.code = code;
  }
}

/** Renders a rejected value for an error message without JSON: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'boolean') return String(value);
  // 100n printed as 100 would read like the number it is not.
  if (typeof value === 'bigint') return `${value}n (a bigint)`;
  if (value === undefined) return 'undefined (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function invalidArgument(field: string, expected: string, value: unknown): LobError {
  return new LobError('INVALID_ARGUMENT', `${field} must be ${expected}, got ${describeValue(value)}`);
}
