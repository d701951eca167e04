// Checkpoints come from the checkpoint worker's shadow core, which applies every journaled
// command on its own thread: what it stores must be exactly the engine's state at the
// checkpoint's sequence, on both cores, while commands keep flowing; a shadow that dies leaves
// checkpoints working (taken the synchronous way); a checkpoint cut off before its manifest
// leaves nothing behind. Both worker threads start under node flags a worker may not be given.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { ShadowEngine } from '../src/state/checkpoint-shadow.js';
import { Store } from '../src/state/store.js';
import { chunkKey, prefixRange, Prefix } from '../src/state/keys.js';
import { describeEachBackend } from './helpers/backends.js';
import { Flow } from './fixtures/flow.mjs';
import { tempDbPath } from './fixtures/state-helpers.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The state machine's shadow, reached past `private` the way a failing thread would reach it. */
const shadowOf = (sm: CoreStateMachine): ShadowEngine => (sm as unknown as { shadow: ShadowEngine }).shadow;

describeEachBackend('checkpoints from the checkpoint worker', (backend) => {
  it('store the engine state at their sequence while commands keep flowing, and recover to it', async () => {
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend, keepCheckpoints: 4 });
    const flow = new Flow(31, { opsPerBlock: 40, makeBatch: () => new CommandBatch() });
    const expected: Array<{ sequence: number; hash: string }> = [];
    const writing = [];
    for (let block = 0; block < 6; block++) {
      flow.runBlock(sm);
      if (block % 2 === 1) {
        expected.push({ sequence: sm.sequence, hash: sha256(sm.snapshot()) });
        writing.push(sm.checkpoint());
      }
    }
    const infos = await Promise.all(writing);
    expect(infos.map((i) => ({ sequence: i!.sequence, hash: i!.stateHash }))).toEqual(expected);
    const hash = sm.stateHash();
    await sm.close();
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: expected.at(-1)!.sequence, skippedCheckpoints: [] });
    expect(reopened.stateHash()).toBe(hash);
    await reopened.close();
  });

  it('go on the synchronous way when the worker dies, and the worker starts again from that checkpoint', async () => {
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend });
    const flow = new Flow(32, { opsPerBlock: 40, makeBatch: () => new CommandBatch() });
    flow.runBlock(sm);
    await shadowOf(sm).close();
    flow.runBlock(sm);
    const first = { sequence: sm.sequence, hash: sha256(sm.snapshot()) };
    const info = await sm.checkpoint();
    expect({ sequence: info!.sequence, hash: info!.stateHash }).toEqual(first);
    flow.runBlock(sm);
    const hash = sm.stateHash();
    await sm.close();
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: first.sequence });
    expect(reopened.stateHash()).toBe(hash);
    // Reopened, the shadow runs again and the next checkpoint is its own.
    flow.runBlock(reopened);
    const next = { sequence: reopened.sequence, hash: sha256(reopened.snapshot()) };
    const again = await reopened.checkpoint();
    expect({ sequence: again!.sequence, hash: again!.stateHash }).toEqual(next);
    await reopened.close();
  });

  it('whose shadow disagrees after its chunks were streamed are taken the synchronous way, and no streamed chunk is left', async () => {
    // 26,212 orders at one price make a snapshot 8 bytes short of one 1 MB chunk; the shadow, fed
    // one order the engine never saw, streams two chunks before its counts give it away. The
    // checkpoint taken instead has the same sequence and one chunk: a second one left behind
    // would make it unreadable.
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    const book = new CommandBatch(26_212);
    for (let i = 0; i < 26_212; i++) book.limit(1 + (i % 50), 9, 'bid', 500, 1 + (i % 7), i);
    sm.submitBatch(book);
    await sm.flush();
    expect(sm.snapshot().byteLength).toBe(1024 * 1024 - 8);
    const extra = new CommandBatch(1).limit(3, 9, 'bid', 500, 1, 99_999);
    shadowOf(sm).command(extra.view(), 0);
    const hash = sha256(sm.snapshot());
    const info = await sm.checkpoint();
    expect({ sequence: info!.sequence, hash: info!.stateHash, chunks: info!.chunks }).toEqual({ sequence: sm.sequence, hash, chunks: 1 });
    await sm.close();
    const store = await Store.open(path, { sync: true });
    const chunks = await store.keys(prefixRange(Prefix.CHUNK));
    await store.close();
    expect(chunks.map((key) => Buffer.from(key).equals(chunkKey(info!.sequence, 0)))).toEqual([true]);
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: info!.sequence, skippedCheckpoints: [], replayedCommands: 0 });
    expect(reopened.stateHash()).toBe(hash);
    await reopened.close();
  });

  it('of a sequence already being checkpointed, or stored, give that checkpoint and write nothing over its chunks', async () => {
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend });
    new Flow(34, { opsPerBlock: 40, makeBatch: () => new CommandBatch() }).runBlock(sm);
    const hash = sha256(sm.snapshot());
    const [first, second] = await Promise.all([sm.checkpoint(), sm.checkpoint()]);
    const third = await sm.checkpoint();
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(first!.stateHash).toBe(hash);
    await sm.close();
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: first!.sequence, skippedCheckpoints: [] });
    expect(await reopened.checkpoint()).toEqual(first);
    expect(await reopened.listCheckpoints()).toHaveLength(1);
    await reopened.close();
  });

  it('leave no chunks behind from a checkpoint a crash cut off before its manifest', async () => {
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend });
    new Flow(33, { opsPerBlock: 20, makeBatch: () => new CommandBatch() }).runBlock(sm);
    const kept = await sm.checkpoint();
    await sm.close();
    const store = await Store.open(path, { sync: true });
    const batch = store.batch();
    batch.put(chunkKey(kept!.sequence + 1000, 0), new Uint8Array(64));
    await store.write(batch);
    await store.close();
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: kept!.sequence });
    await reopened.close();
    const after = await Store.open(path, { sync: true });
    const chunks = await after.keys(prefixRange(Prefix.CHUNK));
    await after.close();
    expect(chunks.map((key) => Buffer.from(key).equals(chunkKey(kept!.sequence, 0)))).toEqual([true]);
  });

  it('start with their store worker under node flags a worker may not be given (--expose-gc)', () => {
    const path = tempDbPath('lobcore-shadow');
    const script = `
      import { CoreStateMachine } from ${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)};
      const sm = await CoreStateMachine.open({ path: ${JSON.stringify(path)}, backend: '${backend}' });
      sm.placeLimitOrder({ trader: 1, asset: 7, side: 'bid', price: 10_000, size: 5, timestamp: 1 });
      const checkpoint = await sm.checkpoint();
      await sm.close();
      console.log(checkpoint.sequence, checkpoint.restingOrders);`;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('1 1');
  });
});
