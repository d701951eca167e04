// How the cluster asks NATS for something that must eventually be answered (a stream's info, a
// stored record, a consumer, a stream's creation, the meta leader at start-up). During a
// failover, and on a machine too busy to answer within one attempt's timeout, the first attempts
// time out or meet no responder; asking again is what a production client must do. An answer
// that never comes ends as UNAVAILABLE naming what was asked, never as the NATS client's bare
// "timeout" (which the CLI could only report as an internal error).
import { ClosedConnectionError, InvalidArgumentError, InvalidSubjectError, PermissionViolationError } from '@nats-io/transport-node';
import { LobError } from '../../errors.js';
import { Backoff } from '../backoff.js';

/**
 * How long a cluster operation keeps trying through a failover: the client's request deadline
 * (docs/scale-out.md), well past a stream leader's election (seconds) and inside the streams'
 * 5-minute duplicate window.
 */
export const FAILOVER_DEADLINE_MS = 60_000;

export interface RetryOptions {
  /** Give up after this long (ms). */
  deadlineMs?: number;
  /** Called before every attempt; throws to give up at once (a server that exited, say). */
  check?: () => void;
  /** First pause between attempts (ms); it doubles after every failed attempt, up to MAX_PAUSE_MS. */
  pauseMs?: number;
}

/**
 * The longest pause between two attempts: short enough to notice a new stream leader within a
 * second of its election, long enough that a machine already too busy to answer is not asked
 * five times a second by every waiting caller.
 */
const MAX_PAUSE_MS = 1_000;

/**
 * Calls `attempt` until it resolves, pausing twice as long after each failure (up to a second).
 * A refusal that asking again cannot change is thrown at once; a timeout, no responders or no
 * stream leader yet is asked again until the deadline, and then ends as UNAVAILABLE:
 * "<what>: no answer within <ms> ms (last: <the last error>)".
 */
export async function untilAnswered<T>(what: string, attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const deadlineMs = options.deadlineMs ?? FAILOVER_DEADLINE_MS;
  const deadline = Date.now() + deadlineMs;
  // Silent: the caller hears of the failures, if they outlast the deadline, as UNAVAILABLE.
  const backoff = new Backoff(what, { firstMs: options.pauseMs ?? 100, maxMs: MAX_PAUSE_MS });
  for (;;) {
    options.check?.();
    try {
      return await attempt();
    } catch (error) {
      if (!worthAskingAgain(error)) throw error;
      if (Date.now() >= deadline) {
        throw new LobError('UNAVAILABLE', `${what}: no answer within ${deadlineMs} ms (last: ${(error as Error).message})`, { cause: error });
      }
      const pause = backoff.failed('unanswered', (error as Error).message);
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(0, deadline - Date.now()))));
    }
  }
}

/**
 * Only a slow or missing answer is asked again. A refusal stays a refusal (a LobError other than
 * UNAVAILABLE, a permissions violation, a bad argument), a closed connection never answers, and
 * a bug (a TypeError, say) must surface at once rather than as a minute of retries.
 */
function worthAskingAgain(error: unknown): boolean {
  if (error instanceof LobError) return error.code === 'UNAVAILABLE';
  if (error instanceof ClosedConnectionError || error instanceof PermissionViolationError) return false;
  if (error instanceof InvalidArgumentError || error instanceof InvalidSubjectError) return false;
  if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError) return false;
  return !/permissions violation/i.test((error as Error)?.message ?? '');
}
