// A checkpoint taken after setHeight(h) and before any command of height h holds the book of
// h - 1's end (a height change moves no order). It keeps its label h (its sequencer state is the
// head after that height change, which recovery and the cluster's ledger read), and bookAt
// answers h - 1 from it, and every earlier height down to the last one with commands, once the
// journal before it is pruned: on real RocksDB, before and after a reopen.
import { describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { BookSnapshot } from '../src/types.js';
import { describeEachBackend } from './helpers/backends.js';
import { Flow } from './fixtures/flow.mjs';
import { tempDbPath } from './fixtures/state-helpers.js';

const ASSETS = [1, 2, 3];
const LEVELS = 50;

type Books = Map<number, BookSnapshot[]>;

function booksNow(sm: CoreStateMachine, books: Books, height: number): void {
  books.set(height, ASSETS.map((asset) => ({ ...sm.bookSnapshot(asset, LEVELS), height })));
}

async function expectBooks(sm: CoreStateMachine, books: Books, label: string): Promise<void> {
  for (const [height, expected] of books) {
    for (let a = 0; a < ASSETS.length; a++) {
      expect(await sm.bookAt(ASSETS[a], height, LEVELS), `${label}: asset ${ASSETS[a]} at height ${height}`).toEqual(expected[a]);
    }
  }
}

describeEachBackend('a checkpoint taken before its height has commands', (backend) => {
  it('keeps its height, and answers bookAt for the heights whose book it holds once the journal is pruned', async () => {
    const path = tempDbPath('checkpoint-height');
    const sm = await CoreStateMachine.open({ backend, path, keepCheckpoints: 1, checkpointOnClose: false });
    const flow = new Flow(3, { opsPerBlock: 30, makeBatch: () => new CommandBatch() });
    const books: Books = new Map();
    for (let block = 1; block <= 3; block++) flow.runBlock(sm);
    booksNow(sm, books, 3);
    // Heights 4 and 5 come with no command, the second in a flush of its own: the book at the end
    // of 3, 4 and 5 is one book, the checkpoint's.
    sm.setHeight(4);
    booksNow(sm, books, 4);
    await sm.flush();
    sm.setHeight(5);
    booksNow(sm, books, 5);
    const info = await sm.checkpoint();
    expect(info).toMatchObject({ height: 5 });
    expect((await sm.listCheckpoints()).map((c) => c.height)).toEqual([5]);
    await expectBooks(sm, books, 'at the checkpoint');
    // Height 2 ended before the last command the checkpoint holds, and the journal is pruned.
    await expect(sm.bookAt(1, 2)).rejects.toMatchObject({ code: 'NOT_RETAINED' });

    // Height 5 gets commands after the checkpoint, height 6 some more.
    flow.block = 4;
    flow.runBlock(sm); // setHeight(5) again is a no-op; then its commands
    booksNow(sm, books, 5);
    flow.runBlock(sm);
    booksNow(sm, books, 6);
    await expectBooks(sm, books, 'after more commands');
    await sm.close();

    const reopened = await CoreStateMachine.open({ backend, path, keepCheckpoints: 1, checkpointOnClose: false });
    expect(reopened.height).toBe(6);
    await expectBooks(reopened, books, 'reopened');
    await expect(reopened.bookAt(1, 2)).rejects.toMatchObject({ code: 'NOT_RETAINED' });
    await reopened.close();
  });

  it('is not taken for the book of a height that ended before commands it holds', async () => {
    const path = tempDbPath('checkpoint-height');
    const sm = await CoreStateMachine.open({ backend, path, keepCheckpoints: 1, checkpointOnClose: false });
    const flow = new Flow(4, { opsPerBlock: 30 });
    for (let block = 1; block <= 3; block++) flow.runBlock(sm);
    // The checkpoint at height 3 holds commands of height 3: height 2's book is not its.
    expect(await sm.checkpoint()).toMatchObject({ height: 3 });
    await expect(sm.bookAt(1, 2)).rejects.toMatchObject({ code: 'NOT_RETAINED' });
    await sm.close();
  });
});

describe('the in-memory state machine', () => {
  it('keeps no checkpoint and prunes nothing: every height stays answerable', async () => {
    const sm = await CoreStateMachine.open({});
    const flow = new Flow(3, { opsPerBlock: 30 });
    const books: Books = new Map();
    for (let block = 1; block <= 3; block++) {
      flow.runBlock(sm);
      booksNow(sm, books, block);
    }
    sm.setHeight(4);
    booksNow(sm, books, 4);
    expect(await sm.checkpoint()).toBeUndefined();
    await expectBooks(sm, books, 'in memory');
    await sm.close();
  });
});
