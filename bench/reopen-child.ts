// Times CoreStateMachine.open() on a closed database in a process of its own (persistence.ts
// bookRun): a recovery as a restarted process does it, not in a warm process that has opened
// many databases before. Modules are loaded before the clock starts; the open itself (creating
// the engine and its core included) is timed. Prints one JSON line on stdout.
//   node dist/bench/reopen-child.js PATH BACKEND
import { CoreStateMachine } from '../src/state/index.js';
import type { BackendName } from '../src/types.js';
import { faultedMiB, minorFaults } from './page-faults.js';

export interface ReopenTiming {
  openSeconds: number;
  indexesReadySeconds: number;
  recoveryMs: number;
  phases: Record<string, number>;
  restoredAhead: boolean;
  replayedCommands: number;
  restingOrders: number;
  reopenFreshMiB: number | null;
}

/** Where main() is: named if the process ends before it prints. */
let stage = 'starting';

async function main(): Promise<void> {
  const [path, backend] = process.argv.slice(2);
  const faultsBefore = minorFaults();
  const opened = performance.now();
  stage = 'opening';
  const sm = await CoreStateMachine.open({ path, sync: true, backend: backend as BackendName, checkpointInterval: Number.MAX_SAFE_INTEGER });
  const openSeconds = (performance.now() - opened) / 1000;
  const faultsAfter = minorFaults();
  stage = 'waiting for the indexes';
  await sm.indexesReady();
  const indexesReadySeconds = (performance.now() - opened) / 1000;
  const report = sm.recovery!;
  stage = 'closing';
  await sm.close();
  const timing: ReopenTiming = {
    openSeconds, indexesReadySeconds, recoveryMs: report.durationMs,
    phases: { openingMs: openSeconds * 1000 - report.durationMs, rocksdbMs: report.opening.storeMs, aheadMs: report.opening.restoreAheadMs, ...report.phases },
    restoredAhead: report.restoredAhead, replayedCommands: report.replayedCommands, restingOrders: report.restingOrders,
    reopenFreshMiB: faultsBefore === null || faultsAfter === null ? null : faultedMiB(faultsAfter.process - faultsBefore.process),
  };
  process.stdout.write(`${JSON.stringify(timing)}\n`);
  stage = 'done';
}

// Twice in loaded bench runs of 2026-12-05 this child printed nothing and exited 0 (the parent
// read "Unexpected end of JSON input"): the event loop ran dry while main() awaited something
// held only by unref'd handles. Not reproduced then (20 reopens of fresh copies of a 1M-order
// database just written, and 12 whole book runs of 100,000, at load 3-5). Since the close
// checkpoints, it did, twice in six reopens of a database a kill left, "while closing": the
// checkpoint waited for the checkpoint worker to apply the replay's commands, and a worker
// holding them was unref'd (fixed: WorkerCalls.postAwaitingNotice). Whether the first two were
// the same is not known: should it happen again, the exit says where main() was waiting.
process.on('exit', (code) => {
  if (stage === 'done' || code !== 0) return;
  process.stderr.write(`reopen child: the event loop ran dry while ${stage}; nothing was printed\n`);
  process.exitCode = 1;
});

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
