// nats.js runs a subscription's callback inside the connection's reader loop and does not catch
// what it throws: one bad message (a truncated heartbeat, a newer member's format) would end that
// loop, and with it every subscription, consumer and request of the connection until the ping
// watchdog reconnects it seconds later. So no callback of ours may throw: what it cannot handle
// is logged and ignored.
import type { Msg } from '@nats-io/transport-node';

/** At most one line per kind in this window: a peer repeating a bad message must not flood the log. */
const LOG_EVERY_MS = 10_000;

export class BadMessageLog {
  private readonly lastLogged = new Map<string, number>();
  private readonly quiet = new Map<string, number>();

  constructor(private readonly log: (line: string) => void) {}

  /** Logs `kind`'s problem now, or counts it until its window has passed. */
  report(kind: string, problem: string): void {
    const now = Date.now();
    const last = this.lastLogged.get(kind);
    if (last !== undefined && now - last < LOG_EVERY_MS) {
      this.quiet.set(kind, (this.quiet.get(kind) ?? 0) + 1);
      return;
    }
    const suppressed = this.quiet.get(kind) ?? 0;
    this.quiet.delete(kind);
    this.lastLogged.set(kind, now);
    this.log(`ignored a bad ${kind}: ${problem}${suppressed > 0 ? ` (and ${suppressed} more since the last report)` : ''}`);
  }
}

/** A subscription callback that hands each message to `handle` and never throws. */
export function guardedCallback(kind: string, bad: BadMessageLog, handle: (msg: Msg) => void): (error: Error | null, msg: Msg) => void {
  return (error, msg) => {
    if (error !== null) {
      bad.report(kind, `subscription error: ${error.message}`);
      return;
    }
    try {
      handle(msg);
    } catch (problem) {
      bad.report(kind, problem instanceof Error ? problem.message : String(problem));
    }
  };
}
