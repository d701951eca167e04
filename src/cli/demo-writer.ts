// The demo's writer: a separate process so that it can be killed for real. It plays the seeded
// flow into the database block by block (match, flush, sometimes checkpoint), reports each
// completed flush on stdout, and after the last block waits for the kill it knows is coming.
import { DemoOrderFlow } from './demo-flow.js';
import type { DemoFlowFlags } from './demo-options.js';
import { encodeReport } from './demo-protocol.js';
import { openStateMachine } from './database.js';

export async function runDemoWriter(db: string, flags: DemoFlowFlags): Promise<void> {
  const machine = await openStateMachine({ path: db, backend: flags.backend, sync: true });
  const flow = new DemoOrderFlow(flags);
  for (let height = 1; height <= flags.blocks; height++) {
    machine.setHeight(height);
    const matchStart = performance.now();
    const tally = flow.runBlock(height, machine);
    const flushStart = performance.now();
    await machine.flush();
    const flushEnd = performance.now();
    let checkpointMs: number | undefined;
    if (height % flags.checkpointEvery === 0) {
      await machine.checkpoint();
      checkpointMs = performance.now() - flushEnd;
    }
    // A pipe write on Linux is synchronous: the line is out before the next block starts.
    process.stdout.write(encodeReport({
      kind: 'block', height, commands: tally.commands, fills: tally.fills,
      matchMs: flushStart - matchStart, flushMs: flushEnd - flushStart, checkpointMs,
    }));
  }
  process.stdout.write(encodeReport({ kind: 'end' }));
  // Stay open until killed; if the parent dies first, our stdin closes and we leave too.
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).on('close', resolve).resume();
  });
  await machine.close();
}
