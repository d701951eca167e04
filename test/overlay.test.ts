// A query past the indexes' watermark reads the index entries derived but not yet written
// (overlay.ts), and must answer as the written indexes will. Here the index writer gathers for a
// minute in the first test, so every entry of its flushes stays queued while the queries run.
import { expect, it } from 'vitest';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { describeEachBackend } from './helpers/backends.js';
import { tempDbPath } from './fixtures/state-helpers.js';

describeEachBackend('queries past the index watermark', (backend) => {
  it("find a trader's newest order with a client order id when both of its orders are still queued", async () => {
    const sm = await CoreStateMachine.open({ path: tempDbPath('lobcore-overlay'), backend, indexGatherMs: 60_000 });
    try {
      await sm.indexesReady();
      const first = sm.placeLimitOrder({ trader: 4, asset: 1, side: 'bid', price: 100, size: 1, timestamp: 1, clientOrderId: 9 });
      await sm.flush();
      const second = sm.placeLimitOrder({ trader: 4, asset: 1, side: 'bid', price: 101, size: 1, timestamp: 2, clientOrderId: 9 });
      await sm.flush();
      // Both commits' entries are queued, none written: the later one's must answer.
      expect(sm.indexLag).toBe(2);
      expect((await sm.getOrderByClientId(4, 9))?.orderId).toBe(second.orderId);
      expect(second.orderId).not.toBe(first.orderId);
    } finally {
      await sm.close();
    }
  });

  it('count the indexes exactly behind: indexLag falls to 0, not past it, once every window has landed', async () => {
    const sm = await CoreStateMachine.open({ path: tempDbPath('lobcore-overlay'), backend });
    try {
      await sm.indexesReady();
      for (let i = 1; i <= 3; i++) sm.placeLimitOrder({ trader: 4, asset: 1, side: 'bid', price: 100 + i, size: 1, timestamp: i, clientOrderId: 9 });
      await sm.flush();
      // Polled, not timed: the window goes out when its gathering ends, and only its landing counts.
      while (sm.indexLag > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(sm.indexLag).toBe(0);
      expect((await sm.getOrderByClientId(4, 9))?.orderId).toBe(3);
    } finally {
      await sm.close();
    }
  });
});
