// The README's code, run as written (with a temp path), so that what it promises stays true.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandBatch, CoreStateMachine, createEngine } from '../src/index.js';

describe('README examples', () => {
  it.each(['wasm', 'js'] as const)('embedding the engine (%s) gives the results the comments show', async (backend) => {
    const engine = await createEngine({ backend });
    engine.placeLimit({ trader: 1, asset: 7, side: 'ask', price: 10_050, size: 5, timestamp: 1 });
    const r = engine.placeLimit({ trader: 2, asset: 7, side: 'bid', price: 10_100, size: 8,
      timestamp: 2, timeInForce: 'GTC', stp: 'cancel_taker' });
    expect(r).toMatchObject({ orderId: 2, status: 'resting', filled: 5, remaining: 3 });
    expect(r.fills).toEqual([expect.objectContaining({ price: 10_050, size: 5 })]);
    expect(engine.cancel({ trader: 2, asset: 7, orderId: r.orderId })).toEqual({ ok: true, remaining: 0 });
    expect(engine.depth(7, 5)).toEqual({ bids: [], asks: [] });
  });

  it('the batch example runs and reports each command', async () => {
    const engine = await createEngine();
    const batch = new CommandBatch(1024);
    batch.limit(1, 7, 'ask', 10_050, 5, 1)
      .limit(2, 7, 'bid', 10_100, 8, 2, 'IOC', 'cancel_taker')
      .cancel(1, 7, 1);
    const out = engine.submitBatch(batch);
    expect(out.count).toBe(3);
    expect([out.status(0), out.status(1), out.status(2)]).toEqual(['resting', 'cancelled', 'rejected']);
    expect(out.reason(2)).toBe('UNKNOWN_ORDER'); // order 1 was filled whole by the IOC, whose rest was cancelled
    expect(out.fillCount).toBe(1);
    expect(out.fill(0)).toMatchObject({ makerOrderId: 1, takerOrderId: 2, price: 10_050, size: 5, timestamp: 2 });
  });

  describe('durability: open, trade, flush, kill -9, reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lobcore-readme-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps what the flush covered and nothing after it', async () => {
      const path = join(dir, 'lob-db');
      // The writer runs the README's lines, reports the state at its flush, trades once more without
      // a flush and kills itself.
      const writer = `
        import { CoreStateMachine } from ${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)};
        const sm = await CoreStateMachine.open({ path: ${JSON.stringify(path)}, checkpointInterval: 100 });
        sm.setHeight(sm.height + 1);
        const r = sm.placeLimitOrder({ trader: 1, asset: 7, side: 'bid', price: 10_000, size: 5, timestamp: 1 });
        await sm.flush();
        await sm.checkpointIfNeeded();
        console.log(r.orderId, sm.stateHash());
        sm.placeLimitOrder({ trader: 1, asset: 7, side: 'bid', price: 9_999, size: 5, timestamp: 2 });
        process.kill(process.pid, 'SIGKILL');`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', writer], { encoding: 'utf8' });
      expect(child.signal).toBe('SIGKILL');
      const [orderId, hashAtFlush] = child.stdout.trim().split(' ');
      expect(orderId).toBe('1');

      const again = await CoreStateMachine.open({ path });
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
});
