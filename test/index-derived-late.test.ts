// A call's index operations are derived late (commit-builder.ts, settle()): from the engine's own
// output, once the next write is posted, or before the engine's next command or read, whichever
// comes first. Nothing a query answers may tell: here queries are asked while a write is posted
// and not landed, commands arrive while a call's derivation is pending (per call and in batches),
// and the book is read in between.
// Every answer is the in-memory machine's, which flushes after each block, and so is a reopen's.
import { expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { describeEachBackend } from './helpers/backends.js';
import { pagedOrders, sameAnswers } from './helpers/answers.js';
import { FLOW_TRADERS, Flow } from './fixtures/flow.mjs';
import { tempDbPath } from './fixtures/state-helpers.js';

interface Internals {
  p: { committer: { busy: boolean }; builder: { settle(): void } };
}

const makeBatch = (): CommandBatch => new CommandBatch(10);

describeEachBackend('index operations derived once the next write is posted', (backend) => {
  it('answer a query asked while a write is in flight exactly as a replay does, and a command applied meanwhile derives what is pending first', async () => {
    const path = tempDbPath('lobcore-derived-late');
    const disk = await CoreStateMachine.open({ backend, path });
    const memory = await CoreStateMachine.open({ backend });
    const internals = disk as unknown as Internals;
    const flows = [new Flow(66, { makeBatch }), new Flow(66, { makeBatch })];
    for (let height = 1; height <= 6; height++) {
      // Two blocks at each height on disk, the first flushed without waiting: the second block's
      // first command comes while the first's write is in flight and its events wait to be derived.
      flows[0].runBlock(disk);
      flows[1].runBlock(memory);
      await memory.flush();
      const firstFlush = disk.flush();
      expect(internals.p.committer.busy).toBe(true);
      const statuses = ['all', 'open'] as const;
      const asked = Promise.all(statuses.map((status) => Promise.all(FLOW_TRADERS.map((trader) => pagedOrders(disk, trader, status, false)))));
      const expected = await Promise.all(statuses.map((status) => Promise.all(FLOW_TRADERS.map((trader) => pagedOrders(memory, trader, status, false)))));
      expect(await asked).toEqual(expected);
      await firstFlush;

      // The book read between a batch and its flush, then more commands on top of it before any write.
      flows[0].batchStep(disk);
      flows[1].batchStep(memory);
      expect(disk.depth(1, 5)).toEqual(memory.depth(1, 5));
      for (let k = 0; k < 10; k++) {
        flows[0].step(disk);
        flows[1].step(memory);
      }
      void disk.flush();
      await memory.flush();
    }
    await disk.flush();
    await sameAnswers(disk, memory);
    await disk.close();
    const reopened = await CoreStateMachine.open({ backend, path });
    await sameAnswers(reopened, memory);
    await reopened.close();
    await memory.close();
  });

  it('derive a call when its write is posted, not before: the flush of a batch leaves nothing pending once posted', async () => {
    const disk = await CoreStateMachine.open({ backend, path: tempDbPath('lobcore-derived-posted') });
    const memory = await CoreStateMachine.open({ backend });
    const internals = disk as unknown as Internals;
    const builder = internals.p.builder as unknown as { settle(): void; deferred: Float64Array | null; endingLastSeq: number };
    const flows = [new Flow(67, { makeBatch }), new Flow(67, { makeBatch })];
    for (let height = 1; height <= 6; height++) {
      disk.setHeight(height);
      memory.setHeight(height);
      flows[0].batchStep(disk);
      flows[1].batchStep(memory);
      // Applied and numbered, its journal and event block built; its index operations wait.
      expect(builder.deferred).not.toBeNull();
      const flushed = disk.flush();
      // Posted: derived, and the commit's operations ended before the write could land.
      expect(internals.p.committer.busy).toBe(true);
      expect(builder.deferred).toBeNull();
      expect(builder.endingLastSeq).toBe(-1);
      await flushed;
      await memory.flush();
    }
    await sameAnswers(disk, memory);
    await disk.close();
    await memory.close();
  });
});
