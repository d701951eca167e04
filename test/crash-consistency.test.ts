// Crash consistency for real: a child process writes the seeded flow with flushes in flight and
// is SIGKILLed at a random moment; reopening must give exactly the state of an in-memory replay
// up to a flush boundary: at least the last flush it confirmed, at most the last it issued
// (a flush may land before its confirmation is heard). Never anything in between, and every
// query (fills, each order's audit record, client order ids, each trader's orders) equal to the
// replay's.
//
// The moment is aimed, in turn: after some confirmed flushes (writes in flight), just after a
// checkpoint starts (its chunks and manifest being written behind the commits), and while the
// indexes are behind the commits (index writes in flight, entries past the watermark).
// LOBCORE_CRASH_TRIALS sets the kills per backend (20 by default; the README's 1,000-kill run
// is LOBCORE_CRASH_TRIALS=500).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { BackendName } from '../src/types.js';
import { describeEachBackend } from './helpers/backends.js';
import { rng } from './fixtures/flow.mjs';
import { tempDbPath } from './fixtures/state-helpers.js';
import { WriterProcess, observed, reference } from './fixtures/writer-process.js';

const TRIALS = Number(process.env.LOBCORE_CRASH_TRIALS ?? 20);
/** What the kill is aimed at, trial by trial. */
const AIMS = ['flushed', 'checkpoint', 'lag'] as const;
type Aim = (typeof AIMS)[number];
const BUILT = fileURLToPath(new URL('../dist/src/state/state-machine.js', import.meta.url));

/**
 * Runs the writer until it has confirmed `flushesBeforeKill` flushes and then printed a line of
 * the kind aimed at, waits `delayMs`, then SIGKILLs it.
 */
async function runAndKill(dbPath: string, seed: number, backend: BackendName, aim: Aim, flushesBeforeKill: number, delayMs: number) {
  const writer = new WriterProcess(dbPath, seed, backend);
  await writer.waitFor(flushesBeforeKill, aim);
  await sleep(delayMs);
  const confirmed = await writer.kill();
  return { confirmed, issued: writer.issued };
}

describeEachBackend('crash consistency', (backend) => {
  it(`survives ${TRIALS} SIGKILLs at random moments, in checkpoints and index catch-up too, with exactly a confirmed flush's state`, async () => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build:ts\` first (npm test builds it when stale)`);
    const random = rng(Number(process.env.LOBCORE_CRASH_SEED ?? 2024));
    // What the kills interrupted, as the reopened state machines found it (printed, not asserted: it is timing).
    const found = { trials: 0, checkpointsCutOff: 0, indexesBehind: 0, checkpointsUsed: 0 };
    // Kills that left pending stops and an OCO pair (limit leg resting, stop leg pending) on disk.
    let withStopsAndPairs = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const seed = 1 + Math.floor(random() * 1e6);
      const dbPath = tempDbPath('lobcore-crash');
      const aim = AIMS[trial % AIMS.length];
      const delayMs = aim === 'flushed' ? Math.floor(random() * 15) : Math.floor(random() * 4);
      const { confirmed, issued } = await runAndKill(dbPath, seed, backend, aim, 1 + Math.floor(random() * 12), delayMs);

      const reopened = await CoreStateMachine.open({ path: dbPath, backend });
      await reopened.indexesReady();
      const recovery = reopened.recovery!;
      found.trials++;
      if (recovery.orphansDeleted > 0) found.checkpointsCutOff++;
      if (recovery.reindexedEntries > 0) found.indexesBehind++;
      if (recovery.checkpointSequence !== null) found.checkpointsUsed++;
      const got = await observed(reopened);
      await reopened.close();
      fs.rmSync(dbPath, { recursive: true, force: true });

      const context = `trial ${trial} (aimed at ${aim}), seed ${seed}, flushes ${confirmed} confirmed and ${issued} issued, recovered height ${got.height}`;
      // Each block sets its height, so the recovered height names the block it stopped after.
      expect(got.height, context).toBeGreaterThanOrEqual(confirmed);
      expect(got.height, context).toBeLessThanOrEqual(issued);
      const expected = await reference(seed, backend, got.height);
      expect(got, context).toEqual(expected);
      const open = got.books.flat();
      if (open.some((o) => o.status === 'pending') && open.some((o) => o.ocoSiblingId !== undefined && o.status === undefined)) withStopsAndPairs++;
    }
    console.info(`crash consistency [${backend}]: ${JSON.stringify({ ...found, withStopsAndPairs })}`);
    // A kill leaves stops and a pair on disk only once the flow has placed them, so this is a
    // share, not a certainty: 303-312 of 500 kills per engine in the 1,000-kill runs. More than
    // half of 20 failed about one CI run in five by chance (a fresh-clone run found it); a quarter
    // still proves the trials reach them, and fails by chance about once in 4,000 runs.
    expect(withStopsAndPairs).toBeGreaterThanOrEqual(TRIALS / 4);
  }, 30_000 + TRIALS * 6_000);
});

describeEachBackend('kill -9 right after a flush', (backend) => {
  it('keeps what the flush covered and nothing after it', async () => {
    const dbPath = tempDbPath('lobcore-kill');
    // The writer flushes, reports the state at its flush, trades once more without a flush and
    // kills itself.
    const writer = `
      import { CoreStateMachine } from ${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)};
      const sm = await CoreStateMachine.open({ path: ${JSON.stringify(dbPath)}, backend: '${backend}', checkpointInterval: 100 });
      sm.setHeight(sm.height + 1);
      const r = sm.placeLimitOrder({ trader: 1, asset: 7, side: 'bid', price: 10_000, size: 5, timestamp: 1 });
      await sm.flush();
      await sm.checkpointIfNeeded();
      console.log(r.orderId, sm.stateHash());
      sm.placeLimitOrder({ trader: 1, asset: 7, side: 'bid', price: 9_999, size: 5, timestamp: 2 });
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', writer], { encoding: 'utf8' });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const [orderId, hashAtFlush] = child.stdout.trim().split(' ');
    expect(orderId).toBe('1');

    const again = await CoreStateMachine.open({ path: dbPath, backend });
    try {
      expect(again.recovery).toMatchObject({ height: 1, nextOrderId: 2 });
      expect(again.order(1)).toMatchObject({ price: 10_000, remaining: 5 });
      expect(again.order(2)).toBeUndefined();
      expect(again.stateHash()).toBe(hashAtFlush);
      expect(await again.getOrderFills(1)).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describeEachBackend('kill -9 in the turn a flush resolves', (backend) => {
  it('keeps every command the flush covered: it resolves only once its write has landed', async () => {
    // The kill comes in the same turn as the flush's answer, with nothing queued behind its write
    // (the test above checkpoints before it dies, and that flush waits for the first write): a
    // flush answered when its write was only handed to the store's thread loses the batch. A
    // batch of 20,000 orders keeps that thread busy past the kill.
    for (let attempt = 0; attempt < 3; attempt++) {
      const dbPath = tempDbPath('lobcore-kill-at-resolve');
      const writer = `
        import { CommandBatch, CoreStateMachine } from ${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)};
        const sm = await CoreStateMachine.open({ path: ${JSON.stringify(dbPath)}, backend: '${backend}' });
        const batch = new CommandBatch(20_000);
        for (let i = 0; i < 20_000; i++) batch.limit(1 + (i % 50), 7, 'bid', 10_000 - (i % 100), 1, i);
        sm.submitBatch(batch);
        await sm.flush();
        process.kill(process.pid, 'SIGKILL');`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', writer], { encoding: 'utf8' });
      expect(child.signal, child.stderr).toBe('SIGKILL');
      const again = await CoreStateMachine.open({ path: dbPath, backend });
      try {
        expect(again.recovery).toMatchObject({ sequence: 20_000, nextOrderId: 20_001, restingOrders: 20_000 });
      } finally {
        await again.close();
      }
    }
  });
});
