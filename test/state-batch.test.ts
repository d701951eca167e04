// CoreStateMachine.createBatch(): a batch in the machine's engine's memory, read in place by the
// WASM core. What it must give is exactly what a heap batch gives (results, journal, history,
// checkpoints); what it must never do is read memory that is not its records: after the core's
// memory grew (during the very batch too), after recover() replaced the engine, after a close.
import { describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { createEngine } from '../src/engine.js';
import { LobError } from '../src/errors.js';
import type { Engine } from '../src/engine.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { StateMachineOptions } from '../src/state/state-machine.js';
import type { WasmCore } from '../src/wasm-core.js';
import { rng } from './fixtures/flow.mjs';
import { allFills, tempDbPath } from './fixtures/state-helpers.js';
import { describeEachBackend } from './helpers/backends.js';

const TRADERS = [1, 2, 3, 4, 5];

/** `count` seeded commands of every kind into `batch`, timestamps from `clock`; order ids guessed from `firstId` (some miss). */
function build(batch: CommandBatch, count: number, seed: number, clock: number, firstId = 1): CommandBatch {
  const random = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  for (let i = 0; i < count; i++) {
    const trader = TRADERS[int(0, TRADERS.length - 1)];
    const asset = int(1, 3);
    const side = random() < 0.5 ? 'bid' : 'ask';
    const timestamp = clock + i;
    const roll = random();
    if (roll < 0.55) batch.limit(trader, asset, side, side === 'bid' ? int(95, 101) : int(99, 105), int(1, 20), timestamp);
    else if (roll < 0.65) batch.market(trader, asset, side, int(1, 25), timestamp);
    else if (roll < 0.72) batch.stop(trader, asset, side, int(1, 10), int(97, 103), timestamp, random() < 0.5 ? int(96, 104) : undefined);
    else if (roll < 0.76) batch.oco(trader, asset, side, int(1, 10), side === 'bid' ? int(94, 99) : int(101, 106), side === 'bid' ? int(101, 104) : int(96, 99), timestamp);
    else if (roll < 0.9) batch.cancel(trader, asset, firstId + int(0, i + 5));
    else if (roll < 0.97) batch.reduce(trader, asset, firstId + int(0, i + 5), int(1, 3));
    else batch.cancelAll(trader, asset);
  }
  return batch;
}

/** What a batch's results say, command by command. */
function outcomes(results: { count: number; status(i: number): string; orderId(i: number): number; filled(i: number): number; remaining(i: number): number; fillCount: number }): unknown[] {
  const out: unknown[] = [results.fillCount];
  for (let i = 0; i < results.count; i++) out.push([results.status(i), results.orderId(i), results.filled(i), results.remaining(i)]);
  return out;
}

/** The machine's engine (its pipeline's), for what the machine does not expose: its memory, its core. */
function engineOf(sm: CoreStateMachine): Engine & { core: WasmCore } {
  return (sm as unknown as { p: { engine: Engine & { core: WasmCore } } }).p.engine;
}

describeEachBackend('CoreStateMachine.createBatch', (backend) => {
  const open = (options: StateMachineOptions = {}) => CoreStateMachine.open({ backend, ...options });

  it('gives the results, state, journal and history a heap batch gives, and is reused after clear()', async () => {
    const [ownPath, heapPath] = [tempDbPath(), tempDbPath()];
    const [own, heap] = await Promise.all([open({ path: ownPath }), open({ path: heapPath })]);
    const batch = own.createBatch(16); // grows as it is built
    const reference = new CommandBatch(16);
    for (let block = 1; block <= 4; block++) {
      for (const sm of [own, heap]) sm.setHeight(block);
      const a = own.submitBatch(build(batch.clear(), 300, block, block * 1000));
      const outcomesA = outcomes(a.results);
      const b = heap.submitBatch(build(reference.clear(), 300, block, block * 1000));
      expect(outcomesA).toEqual(outcomes(b.results));
      expect(a.firstFillSeq).toBe(b.firstFillSeq);
    }
    await Promise.all([own.flush(), heap.flush()]);
    const hash = heap.stateHash();
    expect(own.stateHash()).toBe(hash);
    expect(await allFills(own, TRADERS)).toEqual(await allFills(heap, TRADERS));
    expect(await own.getOrderEvents(17)).toEqual(await heap.getOrderEvents(17));
    expect(await own.getTraderOrders(3, { limit: 1000 })).toEqual(await heap.getTraderOrders(3, { limit: 1000 }));
    await Promise.all([own.close(), heap.close()]);
    // The journal holds the same commands: a replay comes back to the same book.
    const reopened = await open({ path: ownPath, checkpointOnClose: false });
    expect(reopened.stateHash()).toBe(hash);
    await reopened.close();
  });

  it('refuses a malformed command naming it, applying and journaling nothing, and serves on', async () => {
    const sm = await open({ path: tempDbPath() });
    const batch = sm.createBatch(4).limit(1, 1, 'bid', 10, 1, 1).push(1, 1, 1, 0, 10, -1, 1, 0);
    expect(() => sm.submitBatch(batch)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('commands[1].') }));
    expect(sm.pendingEntries).toBe(0);
    expect(sm.nextOrderId).toBe(1);
    expect(sm.submitBatch(batch.clear().limit(1, 1, 'bid', 10, 1, 1)).results.status(0)).toBe('resting');
    expect(sm.pendingEntries).toBe(1);
    await sm.close();
  });

  it('refuses a malformed size, and on a read-only, failed or closed machine', async () => {
    const path = tempDbPath();
    const sm = await open({ path });
    for (const commands of [0, -1, 1.5, '2', null]) {
      expect(() => sm.createBatch(commands as number)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^commands must be/) }));
    }
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await sm.flush();
    const view = await open({ path, readOnly: true });
    expect(() => view.createBatch()).toThrow(expect.objectContaining({ code: 'READ_ONLY' }));
    await view.close();
    sm.abandon(new LobError('ENGINE_FAILED', 'a test gave up on it'));
    expect(() => sm.createBatch()).toThrow(expect.objectContaining({ code: 'ENGINE_FAILED' }));
    await sm.close();
    expect(() => sm.createBatch()).toThrow(expect.objectContaining({ code: 'NOT_OPEN' }));
  });

  it('moves with the engine recover() builds: the commands built before and after it all apply, in the new engine\'s memory', async () => {
    const path = tempDbPath();
    const sm = await open({ path });
    const heap = await open();
    const batch = sm.createBatch(8);
    const reference = new CommandBatch(8);
    sm.submitBatch(build(batch, 200, 7, 1));
    heap.submitBatch(build(reference, 200, 7, 1));
    await sm.checkpoint();
    // Built before the recovery, submitted after it; and one recovery after another before any use.
    build(batch.clear(), 150, 8, 500, 1);
    build(reference.clear(), 150, 8, 500, 1);
    const before = batch.view().buffer;
    const engineBefore = engineOf(sm);
    await sm.recover();
    await sm.recover();
    expect(engineOf(sm)).not.toBe(engineBefore);
    build(batch, 50, 9, 900, 1);
    build(reference, 50, 9, 900, 1);
    const a = outcomes(sm.submitBatch(batch).results);
    expect(a).toEqual(outcomes(heap.submitBatch(reference).results));
    expect(sm.stateHash()).toBe(heap.stateHash());
    if (backend === 'wasm') {
      // In the new core's memory, read there: nothing was copied into its input block.
      expect(batch.view().buffer).not.toBe(before);
      expect(engineOf(sm).core.inputCapacity).toBe(0);
    }
    await sm.close();
    await heap.close();
  });

  it('is refused, naming the closed machine, on any use after a close: builders, and a submit to a reopened machine or an engine', async () => {
    const path = tempDbPath();
    const sm = await open({ path });
    const batch = sm.createBatch(4).limit(1, 1, 'ask', 100, 5, 1);
    const memory = await open();
    const inMemory = memory.createBatch(4).limit(1, 1, 'ask', 100, 5, 1);
    await sm.close();
    await memory.close();
    const closed = (where: string) => expect.objectContaining({
      code: 'NOT_OPEN',
      message: expect.stringMatching(new RegExp(`^this batch was made by createBatch\\(\\) of a state machine \\(${where}\\) that is closed`)),
    });
    expect(() => batch.limit(2, 1, 'bid', 100, 1, 2)).toThrow(closed(`the database ${path}`));
    expect(batch.count).toBe(1); // the refused builder appended nothing
    expect(() => inMemory.cancel(1, 1, 1)).toThrow(closed('in memory'));
    expect(() => sm.submitBatch(batch)).toThrow(expect.objectContaining({ code: 'NOT_OPEN', message: 'the state machine is closed' }));
    const reopened = await open({ path });
    expect(() => reopened.submitBatch(batch)).toThrow(closed(`the database ${path}`));
    expect(reopened.pendingEntries).toBe(0);
    expect(reopened.nextOrderId).toBe(1); // built, never submitted: nothing of it was applied
    const engine = await createEngine({ backend });
    expect(() => engine.submitBatch(batch)).toThrow(closed(`the database ${path}`));
    expect(engine.nextOrderId).toBe(1);
    await reopened.close();
  });

  it('can be submitted to another open machine, which copies it', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const batch = a.createBatch(2).limit(1, 1, 'ask', 100, 5, 1);
    b.submitBatch(batch);
    expect(b.bestAsk(1)).toEqual({ price: 100, size: 5, orders: 1 });
    expect(a.bestAsk(1)).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
  });
});

describe('CoreStateMachine.createBatch [wasm]: the core\'s memory grows during the batch', () => {
  it('journals, indexes, checkpoints and replays the batch\'s own commands, read after the growth', async () => {
    const path = tempDbPath();
    const sm = await CoreStateMachine.open({ path, backend: 'wasm', checkpointOnClose: false });
    const heap = await CoreStateMachine.open({ backend: 'wasm' });
    const orders = 100_000;
    const batch = sm.createBatch(orders);
    const reference = new CommandBatch(orders);
    for (const b of [batch, reference]) {
      for (let i = 0; i < orders; i++) b.limit(1 + (i % 50), 1 + (i % 4), i % 2 === 0 ? 'bid' : 'ask', i % 2 === 0 ? 1 + (i % 5_000) : 10_001 + (i % 5_000), 1 + (i % 7), i + 1);
      b.market(7, 1, 'bid', 30, orders + 1).cancel(1, 1, 1);
    }
    const bytesBefore = engineOf(sm).memoryBytes();
    const bufferBefore = batch.view().buffer;
    const { results } = sm.submitBatch(batch);
    // The orders' memory was taken while the batch ran, after its records were written.
    expect(engineOf(sm).memoryBytes()).toBeGreaterThan(bytesBefore);
    expect(engineOf(sm).core.memoryBuffer()).not.toBe(bufferBefore);
    expect(engineOf(sm).core.inputCapacity).toBe(0); // read in place, not copied in
    expect(outcomes(results)).toEqual(outcomes(heap.submitBatch(reference).results));
    const hash = heap.stateHash();
    expect(sm.stateHash()).toBe(hash);
    await sm.flush();
    // The event block (its timestamps are the batch's records'), the index, and the checkpoint
    // shadow's copy of every record all read the records after the growth.
    expect(await sm.getOrderEvents(orders - 1)).toEqual(await heap.getOrderEvents(orders - 1));
    expect(await sm.getOrderFills(orders + 1)).toEqual(await heap.getOrderFills(orders + 1));
    expect(await sm.getTraderOrders(7, { limit: 10 })).toEqual(await heap.getTraderOrders(7, { limit: 10 }));
    // The command codec wrote the batch's records: a read-only open beside the writer replays the
    // journal (no checkpoint yet) to the same book.
    const view = await CoreStateMachine.open({ path, backend: 'wasm', readOnly: true });
    expect(view.recovery).toMatchObject({ checkpointSequence: null, replayedCommands: orders + 2 });
    expect(view.stateHash()).toBe(hash);
    await view.close();
    // The checkpoint comes from the shadow, which was given a copy of every record.
    expect((sm as unknown as { shadow: { broken: string | null } }).shadow.broken).toBeNull();
    expect((await sm.checkpoint())?.stateHash).toBe(hash);
    await sm.close();
    await heap.close();
  });
});
