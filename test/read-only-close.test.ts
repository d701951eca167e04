// A read-only view closed while its indexes are still being derived from the journal: close()
// must stop that work and wait for it, so that nothing of the view runs once close() resolves (its
// reads would otherwise go on against a store it has closed), and the writer beside it goes on.
import { describe, expect, it } from 'vitest';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { FLOW_TRADERS, Flow } from './fixtures/flow.mjs';
import { tempDbPath } from './fixtures/state-helpers.js';

/**
 * Whether `promise` has settled by the next turn of the event loop: the handlers of a settled
 * promise run in the microtasks before it, and work still reading the store needs several turns.
 */
async function settledByNextTurn(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => { settled = true; }, () => { settled = true; });
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('closing a read-only view whose indexes are behind', () => {
  it('stops and waits for its indexing, and leaves the writer beside it as it was', async () => {
    const path = tempDbPath('lobcore-read-only-close');
    // The writer's indexes wait (a long gather, a lag bound never reached), so a view copies an
    // index database far behind the journal and derives hundreds of blocks at its start.
    const writer = await CoreStateMachine.open({ path, sync: false, indexGatherMs: 60_000, maxIndexLag: 10_000_000 });
    const flow = new Flow(77);
    for (let i = 0; i < 600; i++) {
      flow.runBlock(writer);
      await writer.flush();
    }
    expect(writer.indexLag).toBeGreaterThan(500);

    // Opened while the writer flushes.
    flow.runBlock(writer);
    const flushing = writer.flush();
    const view = await CoreStateMachine.open({ path, readOnly: true });
    await flushing;
    const viewedHeight = view.height;
    expect(viewedHeight).toBeGreaterThanOrEqual(600);
    expect(await settledByNextTurn(view.indexesReady())).toBe(false);

    await view.close();
    // Nothing of the view runs any more: its indexing has ended, by the stop (or caught up first).
    expect(await settledByNextTurn(view.indexesReady())).toBe(true);
    const outcome = await view.indexesReady().then(() => 'caught up', (error: Error) => error.message);
    expect(['caught up', 'the indexes were stopped (the state machine closed) before they caught up']).toContain(outcome);

    // The writer goes on, its indexes catch up, and it closes and reopens read-write in this process at once.
    for (let i = 0; i < 5; i++) flow.runBlock(writer);
    await writer.flush();
    await writer.indexesReady();
    const hash = writer.stateHash();
    const height = writer.height;
    const fills = await writer.getTraderFills(FLOW_TRADERS[0], { limit: 1000 });
    await writer.close();
    const reopened = await CoreStateMachine.open({ path });
    try {
      expect(reopened.height).toBe(height);
      expect(reopened.stateHash()).toBe(hash);
      expect(await reopened.getTraderFills(FLOW_TRADERS[0], { limit: 1000 })).toEqual(fills);
      expect(reopened.height).toBeGreaterThan(viewedHeight);
    } finally {
      await reopened.close();
    }
  });
});
