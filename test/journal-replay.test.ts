// Replaying the journal (src/state/journal.ts): commands are decoded straight into one reused
// batch and handed over in runs that end at height changes and at REPLAY_RUN_COMMANDS. Recovery
// and bookAt both replay this way, so both are checked on a journal value that holds runs longer
// than that, a height with no commands, and a run cut short by the height bookAt stops at.
import { expect, it } from 'vitest';
import { REPLAY_RUN_COMMANDS } from '../src/state/journal.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { Depth } from '../src/types.js';
import { describeEachBackend } from './helpers/backends.js';
import { FLOW_ASSETS, FLOW_TRADERS, Flow } from './fixtures/flow.mjs';
import { allFills, tempDbPath } from './fixtures/state-helpers.js';

const COMMANDS_PER_HEIGHT = REPLAY_RUN_COMMANDS + 904;

describeEachBackend('journal replay', (backend) => {
  it('rebuilds state and past books from one journal value of long runs and heights', async () => {
    const dbPath = tempDbPath();
    // No checkpoint at close: the reopen must replay the journal value.
    const sm = await CoreStateMachine.open({ path: dbPath, backend, checkpointOnClose: false });
    const flow = new Flow(17, { opsPerBlock: COMMANDS_PER_HEIGHT });
    /** The depth of every asset at the end of each height, as the live run saw it. */
    const books = new Map<number, Depth[]>();
    const endHeight = (): void => {
      books.set(flow.block, FLOW_ASSETS.map((asset) => sm.depth(asset, 50)));
    };
    flow.runBlock(sm); // height 1
    endHeight();
    flow.block++;
    sm.setHeight(flow.block); // height 2: no commands at all
    endHeight();
    flow.runBlock(sm); // height 3
    endHeight();
    flow.runBlock(sm); // height 4
    endHeight();
    await sm.flush(); // one flush: the whole flow is one journal value
    const hash = sm.stateHash();
    const fills = await allFills(sm, FLOW_TRADERS);
    await sm.close();

    const reopened = await CoreStateMachine.open({ path: dbPath, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: null, replayedRecords: 1, replayedCommands: 3 * COMMANDS_PER_HEIGHT, height: 4 });
    expect(reopened.stateHash()).toBe(hash);
    expect(await allFills(reopened, FLOW_TRADERS)).toEqual(fills);
    for (const [height, depths] of books) {
      for (let a = 0; a < FLOW_ASSETS.length; a++) {
        const book = await reopened.bookAt(FLOW_ASSETS[a], height, 50);
        expect({ bids: book.bids, asks: book.asks }, `asset ${FLOW_ASSETS[a]} at height ${height}`).toEqual(depths[a]);
      }
    }
    await reopened.close();
  });
});
