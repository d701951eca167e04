// The body of `lobcore cluster node`: one shard member in a process of its own, so that a
// SIGKILL takes it down for real. It reports on stdout, one JSON line per event (a control
// channel to whoever started it, never on the batch path), and reads commands on stdin:
// `state` (report the chain head and state hash) and `stop` (leave cleanly).
import { createInterface } from 'node:readline';
import { ShardMember, type MemberEvent, type MemberOptions } from './member.js';

export async function runMemberProcess(options: Omit<MemberOptions, 'emit'>): Promise<void> {
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= member.stop());
  const emit = (event: MemberEvent): void => {
    process.stdout.write(encodeMemberEvent(event));
    // Its state applies nothing more; a restart recovers from its disk (ShardState.runBatch).
    if (event.kind === 'failed') void stop().finally(() => process.exit(1));
  };
  const member = new ShardMember({ ...options, emit });
  // Whoever sent it may be waiting for this process to end, and stdin would keep it alive. A
  // shutdown that failed (its last flush, say) must not look like a clean one: exit 1, saying why.
  process.once('SIGTERM', () => void stop().then(() => process.exit(0), (error: unknown) => {
    process.stderr.write(`lobcore cluster: member stopped by SIGTERM, its shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }));
  await member.start();
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === 'state') emit({ kind: 'state', ...member.status() });
    else if (line === 'stop') break;
  }
  // `stop`, or stdin closed because whoever started us is gone.
  await stop();
}

export function encodeMemberEvent(event: MemberEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** One line of a member's stdout; undefined for anything else (a line cut short by a kill). */
export function decodeMemberEvent(line: string): MemberEvent | undefined {
  try {
    const event = JSON.parse(line) as MemberEvent;
    return typeof event === 'object' && event !== null && typeof event.kind === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}
