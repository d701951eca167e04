// Checkpoints come from the checkpoint worker's shadow core, which applies every journaled
// command on its own thread: what it stores must be exactly the engine's state at the
// checkpoint's sequence, on both cores, while commands keep flowing; a shadow that dies leaves
// checkpoints working (taken the synchronous way); a checkpoint cut off before its manifest
// leaves nothing behind. Both worker threads start under node flags a worker may not be given.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { expect, it, vi } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { createEngine } from '../src/engine.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { StateMachineOptions } from '../src/state/options.js';
import type { BackendName } from '../src/types.js';
import type { ShadowEngine } from '../src/state/checkpoint-shadow.js';
import { Store } from '../src/state/store.js';
import { checkpointKey, chunkKey, formatKey, headKey, prefixRange, Prefix } from '../src/state/keys.js';
import type { KeyValueStore } from '../src/state/memory-store.js';
import { checkpointChunkKeys } from '../src/state/checkpoint-chunks.js';
import { SnapshotFiles } from '../src/state/checkpoint-files.js';
import type { SnapshotSink } from '../src/state/checkpoints.js';
import { DATABASE_FORMAT_VERSION, SnapshotWhere, decodeCheckpoint, decodeFormat, encodeCheckpoint, encodeFormat } from '../src/state/codecs.js';
import { ShadowEngine as Shadow } from '../src/state/checkpoint-shadow.js';
import {
  SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_MAGIC, SNAPSHOT_ORDER_SLOTS, SNAPSHOT_STOP_SLOTS, openSnapshot, snapshotBooks,
} from '../src/snapshot.js';
import { describeEachBackend } from './helpers/backends.js';
import { Flow } from './fixtures/flow.mjs';
import { tempDbPath, twoCheckpoints } from './fixtures/state-helpers.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const snapshotName = (sequence: number): string => `${sequence.toString(16).padStart(16, '0')}.snapshot`;

/** What a closed database holds of checkpoint snapshots: its snapshot files (name:bytes) and how many chunk keys. */
async function storedSnapshots(path: string): Promise<{ files: string[]; chunks: number }> {
  const directory = new SnapshotFiles(path).directory;
  const files = fs.existsSync(directory) ? fs.readdirSync(directory).sort().map((name) => `${name}:${fs.statSync(`${directory}/${name}`).size}`) : [];
  const store = await Store.open(path, { sync: true });
  const chunks = (await store.keys(prefixRange(Prefix.CHUNK))).length;
  await store.close();
  return { files, chunks };
}

/** A closed database: a block of a flow, a checkpoint, another block (the flow goes on from there). */
async function checkpointedDatabase(backend: BackendName, seed: number, options: StateMachineOptions) {
  const path = tempDbPath('lobcore-shadow');
  const sm = await CoreStateMachine.open({ path, backend, ...options });
  const flow = new Flow(seed, { opsPerBlock: 40, makeBatch: () => new CommandBatch() });
  flow.runBlock(sm);
  const checkpoint = await sm.checkpoint();
  flow.runBlock(sm);
  const hash = sm.stateHash();
  await sm.close();
  return { path, flow, checkpoint, hash };
}

/** A snapshot file of another state, with no manifest: what a crash might leave beside a database. */
async function writeStraySnapshot(backend: BackendName, path: string, sequence: number): Promise<void> {
  const other = await CoreStateMachine.open({ backend });
  new Flow(39, { opsPerBlock: 40, makeBatch: () => new CommandBatch() }).runBlock(other);
  const files = new SnapshotFiles(path);
  fs.mkdirSync(files.directory, { recursive: true });
  fs.writeFileSync(files.pathOf(sequence), other.snapshot());
  await other.close();
}

/** The shadow holds exactly the engine's state: after another block, its checkpoint has the engine's hash. Closes the machine. */
async function expectShadowOnTheEngine(sm: CoreStateMachine, flow: Flow): Promise<void> {
  flow.runBlock(sm);
  const next = { sequence: sm.sequence, hash: sm.stateHash() };
  const taken = await sm.checkpoint();
  expect(shadowOf(sm).broken).toBeNull();
  expect({ sequence: taken!.sequence, hash: taken!.stateHash }).toEqual(next);
  await sm.close();
}

/**
 * A closed database whose journal after its checkpoint holds twelve values, one of them longer
 * than the shadow's buffers: a reopen replays them, and the shadow gets them only after the open,
 * decoded again a value at a time as the worker gives buffers back.
 */
async function databaseWithALongReplay(backend: BackendName, seed: number) {
  // The close must leave the replay for the reopen: no checkpoint at close.
  const options = { path: tempDbPath('lobcore-shadow'), backend, checkpointInterval: Number.MAX_SAFE_INTEGER, checkpointOnClose: false as const };
  const sm = await CoreStateMachine.open(options);
  const flow = new Flow(seed, { opsPerBlock: 40, makeBatch: () => new CommandBatch() });
  flow.runBlock(sm);
  await sm.checkpoint();
  for (let block = 0; block < 10; block++) {
    flow.runBlock(sm);
    await sm.flush();
  }
  const long = new CommandBatch(6_000);
  for (let i = 0; i < 6_000; i++) long.limit(1 + (i % 9), 7, i % 2 ? 'ask' : 'bid', i % 2 ? 3_000 + (i % 50) : 1_000 - (i % 50), 1, 50_000 + i);
  sm.submitBatch(long);
  await sm.flush();
  flow.runBlock(sm);
  await sm.close();
  return { options, flow };
}

/** That database reopened: resolved before anything of the replay has gone to the shadow's worker. */
async function reopenedWithTheReplayQueued(backend: BackendName, seed: number) {
  const { options, flow } = await databaseWithALongReplay(backend, seed);
  const reopened = await CoreStateMachine.open(options);
  expect(queuedForTheShadow(reopened)).toBeGreaterThan(12);
  return { reopened, flow };
}

/** Messages waiting for the shadow's worker (0: none, they go as they come). */
const queuedForTheShadow = (sm: CoreStateMachine): number =>
  (shadowOf(sm) as unknown as { queue: unknown[] | null }).queue?.filter((message) => message !== null).length ?? 0;

/** A checkpoint now has the engine's hash and came from the shadow (one it cannot give is taken from the engine, which resets it). */
async function expectCheckpointFromTheShadow(sm: CoreStateMachine): Promise<void> {
  const now = { sequence: sm.sequence, hash: sm.stateHash() };
  const resets = vi.spyOn(shadowOf(sm), 'reset');
  const taken = await sm.checkpoint();
  expect(resets).not.toHaveBeenCalled();
  resets.mockRestore();
  expect({ sequence: taken!.sequence, hash: taken!.stateHash }).toEqual(now);
}

/**
 * The same books in snapshot format version 1 (no last prices, no stops, flags only stp): bytes
 * that pass every check and restore, but to a state whose snapshot (version 2) is other bytes.
 */
function asVersion1(bytes: Uint8Array): Uint8Array {
  const v2 = openSnapshot(bytes);
  const slots = [0, v2[1], 0];
  let p = SNAPSHOT_HEADER_SLOTS;
  for (const book of snapshotBooks(v2)) {
    const levels = book.bidLevels + book.askLevels;
    p += SNAPSHOT_BOOK_SLOTS;
    if (levels > 0) {
      slots.push(book.asset, book.bidLevels, book.askLevels);
      slots[2]++;
    }
    for (let l = 0; l < levels; l++) {
      const count = v2[p + 1];
      slots.push(v2[p], count);
      p += SNAPSHOT_LEVEL_SLOTS;
      for (let k = 0; k < count; k++, p += SNAPSHOT_ORDER_SLOTS) slots.push(v2[p], v2[p + 1], v2[p + 2], v2[p + 3], v2[p + 4] & 3);
    }
    p += (book.buyStops + book.sellStops) * SNAPSHOT_STOP_SLOTS;
  }
  const v1 = new Uint8Array(new Float64Array(slots).buffer);
  v1.set(SNAPSHOT_MAGIC);
  v1[7] = 1;
  return v1;
}

/**
 * Rewrites the snapshot file of the checkpoint at `sequence` in version 1, and its manifest to name
 * exactly those bytes: a checkpoint that passes its sha256 and fails the proof. `puts` go into the
 * same write. Returns the manifest as it was.
 */
async function rewriteAsVersion1(path: string, sequence: number, puts: Array<[Uint8Array, Uint8Array]> = []) {
  const file = new SnapshotFiles(path).pathOf(sequence);
  const v1 = asVersion1(fs.readFileSync(file));
  fs.writeFileSync(file, v1);
  const store = await Store.open(path, { sync: true });
  const manifest = decodeCheckpoint(checkpointKey(sequence), (await store.get(checkpointKey(sequence)))!);
  const batch = store.batch();
  batch.put(checkpointKey(sequence), encodeCheckpoint({ ...manifest, byteLength: v1.byteLength, sha256: createHash('sha256').update(v1).digest() }));
  for (const [key, value] of puts) batch.put(key, value);
  await store.write(batch);
  await store.close();
  return manifest;
}

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

  it('whose shadow disagrees after its pieces were streamed are taken the synchronous way, and nothing streamed is left', async () => {
    // 26,212 orders at one price make a snapshot 8 bytes short of one 1 MB piece; the shadow, fed
    // one order the engine never saw, streams two pieces into the snapshot file before its counts
    // give it away. The checkpoint taken instead has the same sequence and a file of one piece: a
    // second piece left in it would make it unreadable.
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    const book = new CommandBatch(26_212);
    for (let i = 0; i < 26_212; i++) book.limit(1 + (i % 50), 9, 'bid', 500, 1 + (i % 7), i);
    sm.submitBatch(book);
    await sm.flush();
    expect(sm.snapshot().byteLength).toBe(1024 * 1024 - 8);
    const extra = new CommandBatch(1).limit(3, 9, 'bid', 500, 1, 99_999);
    shadowOf(sm).commands(extra.view(), 0, 1);
    const hash = sha256(sm.snapshot());
    const info = await sm.checkpoint();
    expect({ sequence: info!.sequence, hash: info!.stateHash, chunks: info!.chunks }).toEqual({ sequence: sm.sequence, hash, chunks: 1 });
    await sm.close();
    expect(await storedSnapshots(path)).toEqual({ files: [`${snapshotName(info!.sequence)}:${1024 * 1024 - 8}`], chunks: 0 });
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: info!.sequence, skippedCheckpoints: [], replayedCommands: 0 });
    expect(reopened.stateHash()).toBe(hash);
    await reopened.close();
  });

  it('whose shadow disagrees while a later one streams the sequence it falls back to leave that one the file: one writer a file', async () => {
    // The shadow, fed an order the engine never saw, fails the first checkpoint; by then a second
    // was asked for, a command later, and streams the shadow's pieces of that sequence into its
    // file. The first one's own snapshot, taken now, would have that sequence too. Its second piece
    // is held until the first one's file is stored: a large book's pieces come that late.
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    const book = new CommandBatch(40_000);
    for (let i = 0; i < 40_000; i++) book.limit(1 + (i % 50), 9, 'bid', 500, 1 + (i % 7), i);
    sm.submitBatch(book);
    await sm.flush();
    expect(sm.snapshot().byteLength).toBeGreaterThan(1024 * 1024); // two pieces
    shadowOf(sm).commands(new CommandBatch(1).limit(3, 9, 'bid', 500, 1, 99_999).view(), 0, 1);
    const files = new SnapshotFiles(path);
    const place = (sm as unknown as { snapshots: { current: SnapshotFiles } }).snapshots.current;
    const sink = place.sink.bind(place);
    let stored!: () => void;
    const storedOnce = new Promise<void>((resolve) => { stored = resolve; });
    const sinks = new Map<number, number>();
    // Each sink is wrapped by delegation: a wrapper made with Object.create(real) would run the
    // real methods with the wrapper as `this`, and give the wrapper a file handle of its own.
    place.sink = (sequence): SnapshotSink => {
      const real = sink(sequence);
      const nth = (sinks.get(sequence) ?? 0) + 1;
      sinks.set(sequence, nth);
      return {
        piece: (index, bytes) => (nth === 2 || index === 0 ? real.piece(index, bytes) : storedOnce.then(() => real.piece(index, bytes))),
        whole: (snapshot) => real.whole(snapshot),
        complete: () => (nth === 2 ? real.complete().finally(stored) : real.complete()),
        discard: () => real.discard(),
      };
    };
    const first = sm.checkpoint();
    sm.placeLimitOrder({ trader: 4, asset: 9, side: 'bid', price: 400, size: 1, timestamp: 100_000 });
    const second = sm.checkpoint();
    const hash = sha256(sm.snapshot());
    const [one, two] = await Promise.all([first, second]);
    expect({ sequence: one!.sequence, hash: one!.stateHash }).toEqual({ sequence: sm.sequence, hash });
    expect(two).toEqual(one);
    await sm.close();
    expect((await storedSnapshots(path)).files).toEqual([`${snapshotName(sm.sequence)}:${fs.statSync(files.pathOf(sm.sequence)).size}`]);
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: one!.sequence, skippedCheckpoints: [], replayedCommands: 0 });
    expect(reopened.stateHash()).toBe(hash);
    await reopened.close();
  });

  it('whose snapshot file cannot be written fail with nothing stored, and the next one lands', async () => {
    // The shadow's pieces go to the snapshot file's .partial; where that cannot be written, the
    // synchronous way cannot write it either (the same path is in the way): the checkpoint fails whole.
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    const flow = new Flow(36, { opsPerBlock: 40, makeBatch: () => new CommandBatch() });
    flow.runBlock(sm);
    await sm.flush();
    const files = new SnapshotFiles(path);
    const blocked = `${files.pathOf(sm.sequence)}.partial`;
    fs.mkdirSync(blocked, { recursive: true });
    await expect(sm.checkpoint()).rejects.toMatchObject({ code: 'EISDIR' });
    expect(await sm.listCheckpoints()).toEqual([]);
    fs.rmdirSync(blocked);
    await expectShadowOnTheEngine(sm, flow);
    expect((await storedSnapshots(path)).files).toHaveLength(1);
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ skippedCheckpoints: [], replayedCommands: 0 });
    await reopened.close();
  });

  it('that drop a checkpoint whose file cannot be deleted land and resolve; the file is left as a stray', async () => {
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend, keepCheckpoints: 1 });
    const flow = new Flow(37, { opsPerBlock: 40, makeBatch: () => new CommandBatch() });
    flow.runBlock(sm);
    const first = await sm.checkpoint();
    // In the dropped snapshot's place, something rm cannot take: a directory with a file in it.
    const files = new SnapshotFiles(path);
    fs.rmSync(files.pathOf(first!.sequence));
    fs.mkdirSync(files.pathOf(first!.sequence));
    fs.writeFileSync(`${files.pathOf(first!.sequence)}/in-the-way`, '');
    flow.runBlock(sm);
    const now = { sequence: sm.sequence, hash: sm.stateHash() };
    const second = await sm.checkpoint();
    expect({ sequence: second!.sequence, hash: second!.stateHash }).toEqual(now);
    expect((await sm.listCheckpoints()).map((c) => c.sequence)).toEqual([now.sequence]);
    await sm.close();
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: now.sequence, skippedCheckpoints: [], replayedCommands: 0 });
    expect(reopened.stateHash()).toBe(now.hash);
    await reopened.close();
    expect(fs.existsSync(`${files.pathOf(first!.sequence)}/in-the-way`)).toBe(true); // a stray no open can remove either
  });

  it('of a sequence already being checkpointed, or stored, give that checkpoint and write nothing over its snapshot', async () => {
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

  it('leave nothing behind from checkpoints a crash cut off before their manifest', async () => {
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend });
    new Flow(33, { opsPerBlock: 20, makeBatch: () => new CommandBatch() }).runBlock(sm);
    const kept = await sm.checkpoint();
    await sm.close();
    // A file cut off while written, a whole one whose manifest never came, and chunks as a build before snapshot files left them.
    const files = new SnapshotFiles(path);
    fs.writeFileSync(`${files.pathOf(kept!.sequence + 1000)}.partial`, new Uint8Array(64));
    fs.writeFileSync(files.pathOf(kept!.sequence + 2000), new Uint8Array(64));
    const store = await Store.open(path, { sync: true });
    const batch = store.batch();
    batch.put(chunkKey(kept!.sequence + 3000, 0), new Uint8Array(64));
    await store.write(batch);
    await store.close();
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: kept!.sequence, orphansDeleted: 3 });
    await reopened.close();
    expect(await storedSnapshots(path)).toEqual({ files: [`${snapshotName(kept!.sequence)}:${kept!.bytes}`], chunks: 0 });
  });

  it('are read and restored while RocksDB opens, and used only when the newest manifest names that very file', async () => {
    const { path, flow, checkpoint: kept, hash } = await checkpointedDatabase(backend, 36, { checkpointInterval: Number.MAX_SAFE_INTEGER });

    const opened = performance.now();
    const reopened = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    const openMs = performance.now() - opened;
    expect(reopened.recovery).toMatchObject({ checkpointSequence: kept!.sequence, restoredAhead: true });
    // Both side-by-side parts of the open are timed, and recovery proper came after both.
    const { opening, durationMs } = reopened.recovery!;
    expect(opening.storeMs).toBeGreaterThan(0);
    expect(opening.restoreAheadMs).toBeGreaterThan(0);
    expect(Math.max(opening.storeMs, opening.restoreAheadMs) + durationMs).toBeLessThanOrEqual(openMs);
    expect(reopened.stateHash()).toBe(hash);
    await reopened.close();

    // A newer file whose manifest a crash never wrote (a snapshot of another state): restored
    // ahead, then passed over; recovery starts from the stored checkpoint, and the shadow, reset
    // from the stray file first, is reset again, as the next checkpoint shows.
    await writeStraySnapshot(backend, path, kept!.sequence + 500);
    const again = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    expect(again.recovery).toMatchObject({ checkpointSequence: kept!.sequence, restoredAhead: false, orphansDeleted: 1 });
    expect(again.stateHash()).toBe(hash);
    await expectShadowOnTheEngine(again, flow);
  });

  it('asked for as soon as a reopen resolves wait for the shadow to catch up on the replay, and are the engine state', async () => {
    const { reopened, flow } = await reopenedWithTheReplayQueued(backend, 41);
    expect(reopened.recovery!.replayedRecords).toBe(12);
    expect(reopened.recovery!.replayedCommands).toBeGreaterThan(6_400);
    flow.runBlock(reopened);
    await expectCheckpointFromTheShadow(reopened);
    await expectShadowOnTheEngine(reopened, flow);
  });

  it('held again while the shadow catches up on the replay (as recover() holds it) wait until released, and are the engine state', async () => {
    // A recovery holds the shadow's queue; one that comes while the queue still holds the last
    // replay (a big book's shadow is still restoring) must keep all of it, in order, until released.
    const { reopened, flow } = await reopenedWithTheReplayQueued(backend, 42);
    const shadow = shadowOf(reopened);
    const queued = queuedForTheShadow(reopened);
    shadow.hold();
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(queuedForTheShadow(reopened)).toBe(queued);
    flow.runBlock(reopened);
    shadow.release();
    await expectCheckpointFromTheShadow(reopened);
    // And a real recover() after another block: the shadow starts over, and follows the engine again.
    flow.runBlock(reopened);
    expect((await reopened.recover()).replayedRecords).toBe(1);
    flow.runBlock(reopened);
    await expectCheckpointFromTheShadow(reopened);
    await expectShadowOnTheEngine(reopened, flow);
  });

  it('whose worker dies while the shadow catches up on the replay are taken from the engine, and nothing waits for it', async () => {
    // The queue waits for buffers to come back; a worker that is gone gives none, so what is queued
    // must go (unwritten) and the checkpoint be taken the synchronous way, not hang.
    const { reopened, flow } = await reopenedWithTheReplayQueued(backend, 43);
    await new Promise((resolve) => setImmediate(resolve)); // the worker starts, the first buffers go
    expect(queuedForTheShadow(reopened)).toBeGreaterThan(0);
    await (shadowOf(reopened) as unknown as { started: { terminate(): Promise<void> } }).started.terminate();
    flow.runBlock(reopened);
    const now = { sequence: reopened.sequence, hash: reopened.stateHash() };
    const taken = await reopened.checkpoint();
    expect({ sequence: taken!.sequence, hash: taken!.stateHash }).toEqual(now);
    expect(shadowOf(reopened).broken).toMatch(/the checkpoint worker exited/);
    expect(queuedForTheShadow(reopened)).toBe(0);
    await reopened.close();
  });

  it('leave the shadow on the recovered state when a stray file was restored ahead and there is no checkpoint at all', async () => {
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    const flow = new Flow(38, { opsPerBlock: 40, makeBatch: () => new CommandBatch() });
    flow.runBlock(sm);
    const hash = sm.stateHash();
    await sm.close();
    await writeStraySnapshot(backend, path, 7);

    const reopened = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: null, restoredAhead: false, orphansDeleted: 1 });
    expect(reopened.stateHash()).toBe(hash);
    await expectShadowOnTheEngine(reopened, flow);
  });

  it('of a database written before snapshot files recover from its chunks, and drop them once newer checkpoints are kept', async () => {
    const { path, flow, checkpoint: old, hash } = await checkpointedDatabase(backend, 35, { keepCheckpoints: 2 });
    // The checkpoint moved into chunks under a manifest that says so, as a format-5 database keeps it.
    const files = new SnapshotFiles(path);
    const snapshot = fs.readFileSync(files.pathOf(old!.sequence));
    fs.rmSync(files.pathOf(old!.sequence));
    const store = await Store.open(path, { sync: true });
    const manifest = decodeCheckpoint(checkpointKey(old!.sequence), (await store.get(checkpointKey(old!.sequence)))!);
    const batch = store.batch();
    batch.put(checkpointKey(old!.sequence), encodeCheckpoint({ ...manifest, where: SnapshotWhere.CHUNKS }));
    await store.writeSlices(checkpointChunkKeys(old!.sequence, snapshot.byteLength), snapshot, 1024 * 1024);
    await store.write(batch);
    batch.put(formatKey(), encodeFormat(5));
    await store.write(batch);
    await store.close();
    expect(await storedSnapshots(path)).toEqual({ files: [], chunks: 1 });

    const reopened = await CoreStateMachine.open({ path, backend, keepCheckpoints: 2 });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: old!.sequence, skippedCheckpoints: [] });
    expect(reopened.stateHash()).toBe(hash);
    expect(await reopened.bookAt(1, old!.height)).toEqual(await reopened.bookAt(1, old!.height));
    flow.runBlock(reopened);
    const first = await reopened.checkpoint();
    flow.runBlock(reopened);
    const second = await reopened.checkpoint();
    const finalHash = reopened.stateHash();
    await reopened.close();
    // Two newer checkpoints kept: the chunked one is gone, chunks and manifest; the marker says format 6.
    expect(await storedSnapshots(path)).toEqual({
      files: [`${snapshotName(first!.sequence)}:${first!.bytes}`, `${snapshotName(second!.sequence)}:${second!.bytes}`], chunks: 0,
    });
    const marked = await Store.open(path, { sync: true });
    expect(decodeFormat(formatKey(), (await marked.get(formatKey()))!)).toBe(DATABASE_FORMAT_VERSION);
    await marked.close();
    const last = await CoreStateMachine.open({ path, backend });
    expect(last.recovery).toMatchObject({ checkpointSequence: second!.sequence });
    expect(last.stateHash()).toBe(finalHash);
    await last.close();
  });

  it('are passed over when their snapshot passes its sha256 but does not restore to itself, and a shadow that does not reproduce its snapshot gives none', async () => {
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    const flow = new Flow(41, { opsPerBlock: 40, makeBatch: () => new CommandBatch() });
    const { older, newer } = await twoCheckpoints(sm, flow);
    const hash = sm.stateHash();
    await sm.close();

    const manifest = await rewriteAsVersion1(path, newer.sequence);

    const reopened = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    expect(reopened.recovery).toMatchObject({
      checkpointSequence: older.sequence,
      skippedCheckpoints: [{ sequence: newer.sequence, reason: expect.stringMatching(/restores to a state other than its recorded/) }],
    });
    expect(reopened.stateHash()).toBe(hash);
    await expectShadowOnTheEngine(reopened, flow);

    // The shadow restores what it is given unchecked (recovery gives it proven bytes). Given a
    // book with no state (which a snapshot never lists), it says it does not reproduce them, and
    // gives no checkpoint.
    const proven = openSnapshot(fs.readFileSync(new SnapshotFiles(path).pathOf(older.sequence)));
    const unlisted = new Float64Array(proven.length + SNAPSHOT_BOOK_SLOTS);
    unlisted.set(proven);
    unlisted[2]++;
    unlisted[proven.length] = 1_000_000;
    const shadow = await Shadow.create(backend, {});
    expect(await shadow.reset(new Uint8Array(unlisted.buffer), manifest.restingOrders)).toBe(false);
    await expect(shadow.snapshot(1024 * 1024, () => undefined)).rejects.toThrow(/does not reproduce/);
    await shadow.close();
  });

  it('are passed over when none restores to itself, and the journal is then replayed from its start, not from the checkpoint it was read ahead for', async () => {
    const path = tempDbPath('lobcore-shadow');
    const sm = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    const flow = new Flow(47, { opsPerBlock: 40, makeBatch: () => new CommandBatch() });
    flow.runBlock(sm);
    await sm.flush();
    // The journal the checkpoint prunes, kept to be put back: then it reaches back to sequence 1.
    const pruned = await (sm as unknown as { store: KeyValueStore }).store.entries(prefixRange(Prefix.JOURNAL));
    const checkpoint = (await sm.checkpoint())!;
    flow.runBlock(sm);
    await sm.flush();
    const hash = sm.stateHash();
    const lastSequence = sm.sequence;
    await sm.close();

    // The only checkpoint fails its proof, after recovery has asked for the journal after its sequence.
    await rewriteAsVersion1(path, checkpoint.sequence, pruned);

    const reopened = await CoreStateMachine.open({ path, backend, checkpointInterval: Number.MAX_SAFE_INTEGER });
    expect(reopened.recovery).toMatchObject({
      checkpointSequence: null,
      skippedCheckpoints: [{ sequence: checkpoint.sequence, reason: expect.stringMatching(/restores to a state other than its recorded/) }],
      sequence: lastSequence,
    });
    expect(reopened.stateHash()).toBe(hash);
    await expectShadowOnTheEngine(reopened, flow);
  });

  it('after a recover() that failed part way are taken from the engine, and the shadow follows it again from there', async () => {
    const { path, flow } = await checkpointedDatabase(backend, 53, {});
    const sm = await CoreStateMachine.open({ path, backend });
    flow.runBlock(sm);
    await sm.flush();
    // The head goes missing under the running machine: recovery replays the journal and finds it does not land on it.
    const store = (sm as unknown as { store: KeyValueStore }).store;
    const batch = store.batch();
    batch.del(headKey());
    await store.write(batch, { sync: true });
    await expect(sm.recover()).rejects.toMatchObject({ code: 'CORRUPTION' });
    expect(shadowOf(sm).broken).toMatch(/a recovery failed part way/);
    // The machine goes on as it was; its next flush writes the head again.
    flow.runBlock(sm);
    const hash = sm.stateHash();
    expect((await sm.checkpoint())!.stateHash).toBe(hash);
    await expectShadowOnTheEngine(sm, flow);
    const reopened = await CoreStateMachine.open({ path, backend });
    expect(reopened.recovery?.skippedCheckpoints).toEqual([]);
    await reopened.close();
  });

  it('fill the pieces the main thread gave back once written, and every snapshot still comes out whole', async () => {
    const engine = await createEngine({ backend });
    const batch = new CommandBatch(1_000);
    for (let i = 0; i < 150; i++) {
      batch.clear();
      for (let k = 0; k < 1_000; k++) batch.limit(1 + (k % 7), 3, k % 2 ? 'ask' : 'bid', k % 2 ? 2_000 + (k % 300) : 1_000 - (k % 300), 1, i);
      engine.submitBatch(batch);
    }
    const expected = engine.snapshot();
    const shadow = await Shadow.create(backend, {});
    expect(await shadow.reset(expected, engine.restingOrders)).toBe(true);
    const pieceBytes = 1024 * 1024;
    const newPieces: number[] = [];
    // Each piece is copied out (written) before it is given back; a piece filled again too early
    // would show in the bytes. The worker makes a new piece only when none has come back yet, so
    // once it holds as many as are ever out at once, a snapshot needs none.
    for (let round = 0; round < 12 && newPieces.at(-1) !== 0; round++) {
      const out = new Uint8Array(expected.byteLength);
      const taken = await shadow.snapshot(pieceBytes, (index, piece) => {
        out.set(piece, index * pieceBytes);
        return Promise.resolve();
      });
      expect(taken.pieces).toBe(Math.ceil(expected.byteLength / pieceBytes));
      expect(Buffer.compare(out, expected)).toBe(0);
      newPieces.push(taken.newPieces);
    }
    expect(newPieces[0]).toBeGreaterThan(0);
    expect(newPieces.at(-1)).toBe(0);
    // Pieces the place keeps are never given back: once the spares are used up, the worker makes
    // new ones (all but one for a short last piece, which goes as a copy and leaves its buffer).
    const kept = await shadow.snapshot(pieceBytes, () => undefined);
    const short = expected.byteLength % pieceBytes === 0 ? 0 : 1;
    expect((await shadow.snapshot(pieceBytes, () => undefined)).newPieces).toBe(kept.pieces - short);
    await shadow.close();
  });

  it('keep a process with nothing else to do alive while they apply a replay\'s commands that a snapshot waits behind', () => {
    // A reopen holds the shadow, gives it the replay's commands, and releases it: the worker gets
    // them a few buffers at a time, each answered by a notice rather than a reply, and a snapshot
    // asked for meanwhile waits, unsent, behind the rest. Were the worker unref'd while it holds
    // them, a process with nothing else to do would exit there, its checkpoint pending (the
    // bench's reopen child did, in a close that checkpointed).
    const module = (name: string) => JSON.stringify(new URL(`../dist/src/${name}.js`, import.meta.url).href);
    const script = `
      import { ShadowEngine } from ${module('state/checkpoint-shadow')};
      import { CommandBatch } from ${module('batch')};
      import { COMMAND_SLOTS } from ${module('operations')};
      process.on('exit', (code) => { if (code !== 0) process.stdout.write('the event loop ran dry while the shadow caught up'); });
      const RUN = 4_096;
      const batch = new CommandBatch(RUN);
      for (let k = 0; k < RUN; k++) batch.limit(1 + (k % 7), 3, k % 2 ? 'ask' : 'bid', k % 2 ? 2_000 + (k % 300) : 1_000 - (k % 300), 1, k);
      const records = batch.view().subarray(0, RUN * COMMAND_SLOTS);
      const shadow = await ShadowEngine.create('${backend}', {});
      shadow.hold();
      void shadow.reset(null);
      for (let run = 0; run < 40; run++) shadow.laterCommands(RUN, (into) => into.set(records));
      shadow.release();
      const taken = await shadow.snapshot(1 << 20, () => undefined);
      await shadow.close();
      console.log(taken.restingOrders);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect({ status: child.status, stdout: child.stdout.trim() }).toEqual({ status: 0, stdout: String(40 * 4_096) });
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
