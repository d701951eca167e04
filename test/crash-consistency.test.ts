// Crash consistency for real: a child process writes the seeded flow and is SIGKILLed at a
// random moment; reopening must give exactly the state of an in-memory replay up to the last
// flush it confirmed, or (if the kill landed after a flush was written but before it was
// confirmed) up to the one after. Never anything in between.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { BackendName } from '../src/types.js';
import { describeEachBackend } from './helpers/backends.js';
import { FLOW_TRADERS, Flow, rng } from './fixtures/flow.mjs';
import { allFills, tempDbPath } from './fixtures/state-helpers.js';

const TRIALS = Number(process.env.LOBCORE_CRASH_TRIALS ?? 20);
const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/src/state/state-machine.js', import.meta.url));

interface Killed {
  /** Blocks whose flush the child confirmed. */
  confirmed: number;
}

/** Runs the writer until it has confirmed `flushesBeforeKill` flushes, waits `delayMs`, then SIGKILLs it. */
function runAndKill(dbPath: string, seed: number, backend: BackendName, flushesBeforeKill: number, delayMs: number): Promise<Killed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dbPath, String(seed), backend], { stdio: ['ignore', 'pipe', 'pipe'] });
    let confirmed = 0;
    let buffered = '';
    let stderr = '';
    let killScheduled = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const match = /^flushed (\d+)$/.exec(line);
        if (match) confirmed = Number(match[1]);
        if (!killScheduled && confirmed >= flushesBeforeKill) {
          killScheduled = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ confirmed });
      else reject(new Error(`crash writer exited with code ${code} before it was killed:\n${stderr}`));
    });
  });
}

/** What an in-memory state machine holds after the first `blocks` blocks of the flow. */
async function reference(seed: number, backend: BackendName, blocks: number) {
  const sm = await CoreStateMachine.open({ backend });
  const flow = new Flow(seed, { makeBatch: () => new CommandBatch() });
  for (let b = 0; b < blocks; b++) flow.runBlock(sm);
  const state = { hash: sm.stateHash(), height: sm.height, nextFillSeq: sm.nextFillSeq, nextOrderId: sm.nextOrderId, fills: await allFills(sm, FLOW_TRADERS) };
  await sm.close();
  return state;
}

describeEachBackend('crash consistency', (backend) => {
  it(`survives ${TRIALS} SIGKILLs at random moments with exactly a confirmed flush's state`, async () => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build:ts\` first (npm test does it)`);
    const random = rng(Number(process.env.LOBCORE_CRASH_SEED ?? 2024));
    const outcomes = { atConfirmed: 0, oneAhead: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const seed = 1 + Math.floor(random() * 1e6);
      const dbPath = tempDbPath('lobcore-crash');
      const { confirmed } = await runAndKill(dbPath, seed, backend, 1 + Math.floor(random() * 12), Math.floor(random() * 15));

      const reopened = await CoreStateMachine.open({ path: dbPath, backend });
      const got = { hash: reopened.stateHash(), height: reopened.height, nextFillSeq: reopened.nextFillSeq, nextOrderId: reopened.nextOrderId, fills: await allFills(reopened, FLOW_TRADERS) };
      await reopened.close();
      fs.rmSync(dbPath, { recursive: true, force: true });

      const context = `trial ${trial}, seed ${seed}, ${confirmed} flushes confirmed, recovered height ${got.height}`;
      // Each block sets its height, so the recovered height names the block it stopped after.
      expect([confirmed, confirmed + 1], context).toContain(got.height);
      const expected = await reference(seed, backend, got.height);
      expect(got, context).toEqual(expected);
      if (got.height === confirmed) outcomes.atConfirmed++;
      else outcomes.oneAhead++;
    }
    expect(outcomes.atConfirmed + outcomes.oneAhead).toBe(TRIALS);
  });
});
