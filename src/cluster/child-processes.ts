// The processes a cluster launcher starts (nats-server, shard members) must not outlive it: a
// test worker that ends, a CLI that fails or is interrupted. A SIGKILL of the launcher itself
// cannot be caught; its servers then need stopping by hand (their pids are in the run's logs).
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** SIGKILLs the child if it is still running when this process exits. */
export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
}

/** SIGTERM, and SIGKILL for a child that has not exited a few seconds later. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Until the returned function is called, a SIGINT or SIGTERM stops every child started so far
 * and then ends this process as the signal would have (exit 128 + its number). The 'exit' hook
 * alone is not enough: a signal's default action ends the process without running it.
 */
export function stopChildrenOnSignal(): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    remove();
    void Promise.all([...running].map(terminate)).finally(() => process.exit(128 + constants.signals[signal]));
  };
  const remove = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return remove;
}
