// The indexes are written behind the commits, and a close can make an order's index entry
// unnecessary before it is written. That must never let a crash take back more than the commit
// that was lost: here the cancel is applied but never durable, the index of the commit before it
// is complete, and the process dies. Reopened, the order is open, and listed as open. And how far
// behind they may fall: past maxIndexLag, flush() waits for them.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { BackendName } from '../src/types.js';
import { describeEachBackend } from './helpers/backends.js';
import { tempDbPath } from './fixtures/state-helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/close-before-durable.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/src/state/state-machine.js', import.meta.url));

function runUntilKilled(dbPath: string, backend: BackendName): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dbPath, backend], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && /^\d+\n$/.test(out)) resolve(Number(out));
      else reject(new Error(`the child exited with ${signal ?? code}, printing ${JSON.stringify(out)}:\n${err}`));
    });
  });
}

describeEachBackend('indexes behind the commits', (backend) => {
  it('hold flush() back while they are more than maxIndexLag entries behind, and keep every query exact', async () => {
    // Batches of 2,000 orders, each index write landing after its commit: without a bound the
    // indexes are a batch or more behind when a flush resolves; with a bound of 500 never more.
    const lagsAfterFlush = async (maxIndexLag?: number): Promise<number[]> => {
      const sm = await CoreStateMachine.open({ path: tempDbPath('lobcore-lag'), backend, ...(maxIndexLag === undefined ? {} : { maxIndexLag }) });
      await sm.indexesReady();
      const lags: number[] = [];
      for (let b = 0; b < 10; b++) {
        const batch = new CommandBatch(2_000);
        for (let i = 0; i < 2_000; i++) batch.limit(1 + (i % 40), 1, i % 2 === 0 ? 'bid' : 'ask', i % 2 === 0 ? 100 - (i % 7) : 110 + (i % 7), 1, b * 2_000 + i);
        sm.submitBatch(batch);
        await sm.flush();
        lags.push(sm.indexLag);
      }
      expect((await sm.getTraderOrders(3, { limit: 1_000 })).length).toBe(500);
      await sm.close();
      return lags;
    };
    expect(Math.max(...await lagsAfterFlush())).toBeGreaterThan(500);
    expect(Math.max(...await lagsAfterFlush(500))).toBeLessThanOrEqual(500);
    await expect(CoreStateMachine.open({ maxIndexLag: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('maxIndexLag') });
  });

  it('keep an order open when its close was applied but never became durable', async () => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build:ts\` first (npm test does it)`);
    const dbPath = tempDbPath('lobcore-close');
    const orderId = await runUntilKilled(dbPath, backend);
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    try {
      expect(sm.order(orderId)).toMatchObject({ orderId, remaining: 5 });
      expect((await sm.getOrder(orderId))?.status).toBe('resting');
      expect((await sm.getTraderOrders(7, { status: 'open' })).map((o) => o.orderId)).toEqual([orderId]);
    } finally {
      await sm.close();
    }
  });
});
