// The demo's writer: a separate process so that it can be killed for real. It plays the seeded
// flow into the database block by block as a producer would in production: each block is matched,
// then flushed without waiting, so matching goes on while earlier blocks are written (group
// commit: a flush asked for while a write is in flight joins the next one). A block is reported on
// stdout only once its flush has resolved, in order, and at most MAX_BLOCKS_IN_FLIGHT blocks wait
// for theirs. After the last block it waits for the kill it knows is coming.
import { DemoOrderFlow } from './demo-flow.js';
import type { DemoFlowFlags } from './demo-options.js';
import { MAX_BLOCKS_IN_FLIGHT, encodeReport } from './demo-protocol.js';
import { openStateMachine } from './database.js';

export async function runDemoWriter(db: string, flags: DemoFlowFlags): Promise<void> {
  const machine = await openStateMachine({ path: db, backend: flags.backend, sync: true });
  const flow = new DemoOrderFlow(flags);
  const start = performance.now();
  // Block h's report is written by reported[h % MAX_BLOCKS_IN_FLIGHT] once every earlier one is.
  const reported: Array<Promise<void>> = new Array(MAX_BLOCKS_IN_FLIGHT).fill(Promise.resolve());
  let previous: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  for (let height = 1; height <= flags.blocks; height++) {
    if (failure !== undefined) throw failure.error;
    const slot = height % MAX_BLOCKS_IN_FLIGHT;
    await reported[slot]; // the report of block height - MAX_BLOCKS_IN_FLIGHT
    machine.setHeight(height);
    const matchStart = performance.now();
    const tally = flow.runBlock(height, machine);
    const flushStart = performance.now();
    const flushed = machine.flush().then(() => performance.now());
    const checkpointStart = performance.now();
    const checkpointed = height % flags.checkpointEvery === 0
      ? machine.checkpoint().then(() => performance.now() - checkpointStart)
      : Promise.resolve(undefined);
    previous = reported[slot] = Promise.all([previous, flushed, checkpointed]).then(([, flushEnd, checkpointMs]) => {
      // A pipe write on Linux is synchronous: the line is out before anything later is reported.
      process.stdout.write(encodeReport({
        kind: 'block', height, commands: tally.commands, fills: tally.fills,
        matchMs: flushStart - matchStart, flushMs: flushEnd - flushStart, checkpointMs, elapsedMs: performance.now() - start,
      }));
    });
    // A flush that fails (a full disk) while nothing awaits this report yet would be an unhandled
    // rejection: Node's stack trace instead of a `lobcore:` line. The first failure is kept and
    // thrown before the next block, which the failed machine could not take anyway.
    previous.catch((error: unknown) => { failure ??= { error }; });
    // Let the writes that landed meanwhile be acknowledged before the next block is matched.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await previous;
  process.stdout.write(encodeReport({ kind: 'end' }));
  // Stay open until killed; if the parent dies first, our stdin closes and we leave too.
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).on('close', resolve).resume();
  });
  await machine.close();
}
