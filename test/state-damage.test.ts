// Damaged, foreign, newer and locked databases: every one refused or worked around loudly.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LobError } from '../src/errors.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { Store } from '../src/state/store.js';
import { DATABASE_FORMAT_VERSION, SnapshotWhere, decodeCheckpoint, decodeFormat, decodeHead, encodeCheckpoint, encodeFormat, encodeHead, framed, type CheckpointManifest } from '../src/state/codecs.js';
import { Prefix, checkpointKey, eventsKey, formatKey, headKey, journalKey, keyOf, prefixRange } from '../src/state/keys.js';
import { crc32, crc32Portable } from '../src/state/crc32.js';
import { SnapshotFiles } from '../src/state/checkpoint-files.js';
import { crc32c } from '../src/state/crc32c.mjs';
import { liveLogNumber, liveLogs, scanLog } from '../src/state/log-check.mjs';
import { describeEachBackend } from './helpers/backends.js';
import { FLOW_TRADERS, Flow } from './fixtures/flow.mjs';
import { allFills, tempDbPath, tempDir, twoCheckpoints } from './fixtures/state-helpers.js';

/** Opens the raw store of a closed state machine, lets `damage` change it, and closes it again. */
async function tamper(dbPath: string, damage: (store: Store) => Promise<void>): Promise<void> {
  const store = await Store.open(dbPath, { sync: true });
  try {
    await damage(store);
  } finally {
    await store.close();
  }
}

async function put(store: Store, key: Buffer, value: Uint8Array): Promise<void> {
  const batch = store.batch();
  batch.put(key, value);
  await store.write(batch);
}

describeEachBackend('damaged databases', (backend) => {
  // The newest checkpoint's snapshot file damaged, cut short or gone: recovery passes over it, names why, and ends where the writer did.
  it.each([
    ['fails its checksum', (file: string) => {
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 3] ^= 0x5a;
      fs.writeFileSync(file, bytes);
    }, /checkpoint\/\d+ .*sha256/],
    // Sound in structure (a next order id further on), so the restore ahead, which does not hash
    // the file, takes it: the proof refuses the engine, and the file is read again to say why.
    ['fails its checksum, though its structure is sound', (file: string) => {
      const bytes = fs.readFileSync(file);
      const header = new DataView(bytes.buffer, bytes.byteOffset);
      header.setFloat64(8, header.getFloat64(8, true) + 1_000, true);
      fs.writeFileSync(file, bytes);
    }, /checkpoint\/\d+ .*sha256/],
    ['is cut short', (file: string) => fs.truncateSync(file, fs.statSync(file).size - 100), /checkpoint\/\d+ .*holds \d+ bytes, its manifest says \d+/],
    ['is missing', (file: string) => fs.rmSync(file), /checkpoint\/\d+ .*names the snapshot file .*, which is missing/],
    ['is a directory', (file: string) => {
      fs.rmSync(file);
      fs.mkdirSync(file);
    }, /checkpoint\/\d+ .*names the snapshot file .*, which cannot be read \(EISDIR\)/],
    ['is a link to itself', (file: string) => {
      fs.rmSync(file);
      fs.symlinkSync(file, file);
    }, /checkpoint\/\d+ .*names the snapshot file .*, which cannot be read \(ELOOP\)/],
  ])('falls back to the older checkpoint when the newest one\'s snapshot file %s', async (_, damage, reason) => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    const { older, newer } = await twoCheckpoints(sm, new Flow(5, { opsPerBlock: 30 }));
    const hash = sm.stateHash();
    const fills = await allFills(sm, FLOW_TRADERS);
    await sm.close();

    damage(new SnapshotFiles(dbPath).pathOf(newer.sequence));

    const reopened = await CoreStateMachine.open({ path: dbPath, backend });
    expect(reopened.recovery).toMatchObject({
      checkpointSequence: older.sequence,
      skippedCheckpoints: [{ sequence: newer.sequence, reason: expect.stringMatching(reason) }],
    });
    expect(reopened.stateHash()).toBe(hash);
    expect(await allFills(reopened, FLOW_TRADERS)).toEqual(fills);
    await reopened.close();
  });

  it('leaves a stray it cannot delete in the snapshot directory, and refuses a snapshot directory that is a file with IO_ERROR', async () => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    const { newer } = await twoCheckpoints(sm, new Flow(5, { opsPerBlock: 30 }));
    const hash = sm.stateHash();
    await sm.close();
    const snapshots = path.join(dbPath, 'snapshots');
    const stray = path.join(snapshots, `${(newer.sequence + 99).toString(16).padStart(16, '0')}.snapshot.partial`);
    fs.mkdirSync(stray);
    const reopened = await CoreStateMachine.open({ path: dbPath, backend });
    expect(reopened.recovery).toMatchObject({ checkpointSequence: newer.sequence, skippedCheckpoints: [] });
    expect(reopened.stateHash()).toBe(hash);
    await reopened.close();
    expect(fs.statSync(stray).isDirectory()).toBe(true);

    fs.rmSync(snapshots, { recursive: true });
    fs.writeFileSync(snapshots, 'not a directory');
    await expect(CoreStateMachine.open({ path: dbPath, backend })).rejects.toMatchObject({
      code: 'IO_ERROR', message: `${snapshots}, where checkpoints' snapshot files go, cannot be listed (ENOTDIR)`,
    });
  });

  it('refuses, as CORRUPTION naming why, a database whose only checkpoint is damaged and whose journal was pruned', async () => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend, keepCheckpoints: 1 });
    const { older, newer } = await twoCheckpoints(sm, new Flow(5, { opsPerBlock: 30 }));
    await sm.close();
    expect(fs.existsSync(new SnapshotFiles(dbPath).pathOf(older.sequence))).toBe(false);
    await tamper(dbPath, async (store) => expect(await store.get(journalKey(1))).toBeUndefined());
    const file = new SnapshotFiles(dbPath).pathOf(newer.sequence);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0x5a;
    fs.writeFileSync(file, bytes);
    await expect(CoreStateMachine.open({ path: dbPath, backend, keepCheckpoints: 1 })).rejects.toThrow(expect.objectContaining({
      code: 'CORRUPTION',
      message: expect.stringMatching(/^no checkpoint passes its checks \(checkpoint checkpoint\/\d+ .*fails its sha256 checksum\) and the journal no longer starts at sequence 1$/),
    }));
  });

  it('skips a checkpoint whose manifest, checksum intact, holds an impossible snapshot length', async () => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    const { older, newer } = await twoCheckpoints(sm, new Flow(5, { opsPerBlock: 30 }));
    const hash = sm.stateHash();
    await sm.close();
    await tamper(dbPath, async (store) => {
      const key = checkpointKey(newer.sequence);
      const manifest = decodeCheckpoint(key, (await store.get(key))!);
      await put(store, key, encodeCheckpoint({ ...manifest, byteLength: 2 ** 50 }));
    });
    const reopened = await CoreStateMachine.open({ path: dbPath, backend });
    expect(reopened.recovery).toMatchObject({
      checkpointSequence: older.sequence,
      skippedCheckpoints: [{ sequence: newer.sequence, reason: expect.stringMatching(/checkpoint\/\d+ .*is malformed: its byteLength \(1125899906842624\) is not a byte length/) }],
    });
    expect(reopened.stateHash()).toBe(hash);
    await reopened.close();
  });

  it('fails loudly, naming the key, on a damaged journal record', async () => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await sm.flush();
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 11, size: 1, timestamp: 2 });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 12, size: 1, timestamp: 3 });
    await sm.close();

    await tamper(dbPath, async (store) => {
      const record = (await store.get(journalKey(2)))!;
      const damaged = Buffer.from(record);
      damaged[damaged.length >> 1] ^= 0x01; // one bit inside the commands
      await put(store, journalKey(2), damaged);
    });

    const error = await CoreStateMachine.open({ path: dbPath, backend }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LobError);
    expect(error).toMatchObject({ code: 'CORRUPTION', message: expect.stringContaining('journal/2 (0x020000000000000002)') });
    expect((error as Error).message).toMatch(/checksum/);
  });

  it('fails loudly when a journal record is missing', async () => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    for (let i = 1; i <= 3; i++) {
      sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10 + i, size: 1, timestamp: i });
      await sm.flush();
    }
    await sm.close();
    await tamper(dbPath, async (store) => {
      const batch = store.batch();
      batch.del(journalKey(2));
      await store.write(batch);
    });
    await expect(CoreStateMachine.open({ path: dbPath, backend })).rejects.toMatchObject({
      code: 'CORRUPTION',
      message: expect.stringMatching(/journal\/3 .*expected 2/),
    });
  });
});

describeEachBackend('damaged history', (backend) => {
  /**
   * Order 1 (trader 1, client id 7) rests; orders 2 and 3 (traders 2 and 3) take from it at
   * height 4, all in the one flush that starts at sequence 1: one event block (events/1), and
   * index entries such as trader-order/1/4/2 (order 1 was placed by entry 2, after the height).
   */
  async function twoFills(): Promise<string> {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    sm.setHeight(4);
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'ask', price: 10, size: 5, timestamp: 1, clientOrderId: 7 });
    sm.placeMarketOrder({ trader: 2, asset: 1, side: 'bid', size: 2, timestamp: 2 });
    sm.placeMarketOrder({ trader: 3, asset: 1, side: 'bid', size: 1, timestamp: 3 });
    await sm.close();
    return dbPath;
  }

  async function flipByte(dbPath: string, key: Buffer, at: (length: number) => number): Promise<void> {
    await tamper(dbPath, async (store) => {
      const value = await store.get(key);
      expect(value, `key 0x${key.toString('hex')} exists`).toBeDefined();
      const damaged = Buffer.from(value!);
      damaged[at(damaged.length)] ^= 0x10;
      await put(store, key, damaged);
    });
  }

  it('fails loudly, naming the key, when an event block is damaged', async () => {
    const dbPath = await twoFills();
    await flipByte(dbPath, eventsKey(1), (length) => length - 8);
    const sm = await CoreStateMachine.open({ path: dbPath, backend }); // recovery reads the journal, not the events
    const damaged = { code: 'CORRUPTION', message: expect.stringMatching(/events\/1 \(0x050000000000000001\) fails its checksum/) };
    await expect(sm.getOrderFills(1)).rejects.toMatchObject(damaged);
    await expect(sm.getTraderFills(3)).rejects.toMatchObject(damaged);
    await expect(sm.getOrder(1)).rejects.toMatchObject(damaged);
    await expect(sm.getOrderByClientId(1, 7)).rejects.toMatchObject(damaged);
    await sm.close();
  });

  it('fails loudly, naming the key, when an index entry is damaged', async () => {
    const dbPath = await twoFills();
    await flipByte(dbPath, keyOf(Prefix.CLIENT_ID, 1, 7), () => 1);
    await flipByte(dbPath, keyOf(Prefix.TRADER_ORDER, 2, 4, 3), () => 1);
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    await expect(sm.getOrderByClientId(1, 7)).rejects.toMatchObject({ code: 'CORRUPTION', message: expect.stringMatching(/client-id\/1\/7 .*fails its checksum/) });
    await expect(sm.getTraderOrders(2)).rejects.toMatchObject({ code: 'CORRUPTION', message: expect.stringMatching(/trader-order\/2\/4\/3 .*fails its checksum/) });
    // What does not read those entries still answers.
    expect((await sm.getOrderFills(1)).map((f) => f.fillSeq)).toEqual([1, 2]);
    expect(await sm.getOrder(2)).toMatchObject({ status: 'filled', filled: 2 });
    await sm.close();
  });

  it('fails loudly when a span names a flush whose event block is missing', async () => {
    const dbPath = await twoFills();
    await tamper(dbPath, async (store) => {
      const batch = store.batch();
      batch.del(eventsKey(1));
      await store.write(batch);
    });
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    await expect(sm.getOrderFills(2)).rejects.toMatchObject({
      code: 'CORRUPTION',
      message: expect.stringMatching(/order-span\/1 .*points at flush 1, whose event block events\/1 .*is missing/),
    });
    await sm.close();
  });

  /** Three flushes of five orders each (event blocks events/1, events/6, events/11), with `missing` deleted. */
  async function threeFlushesWithout(missing: number, dropIndexes: boolean): Promise<string> {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    for (let flush = 0; flush < 3; flush++) {
      for (let i = 0; i < 5; i++) sm.placeLimitOrder({ trader: 1 + (i % 2), asset: 1, side: i % 2 ? 'bid' : 'ask', price: 10 + i, size: 1, timestamp: flush * 5 + i + 1 });
      await sm.flush();
    }
    await sm.close();
    await tamper(dbPath, async (store) => {
      const batch = store.batch();
      batch.del(eventsKey(missing));
      await store.write(batch);
      if (!dropIndexes) return;
      const indexes = store.batch();
      for (let prefix = Prefix.INDEX_HEAD; prefix <= Prefix.ORDER_TOUCHES; prefix++) for (const key of await store.keys(prefixRange(prefix))) indexes.del(key);
      await store.write(indexes);
    });
    return dbPath;
  }

  async function feedFrom1(sm: CoreStateMachine): Promise<unknown> {
    const seqs: number[] = [];
    const subscription = sm.subscribe({ assets: [1], fromSeq: 1 });
    const timer = setTimeout(() => subscription.close(), 2_000);
    try {
      for await (const message of subscription) if (seqs.push(message.seq) === 15) break;
      return seqs;
    } catch (error) {
      return error;
    } finally {
      clearTimeout(timer);
    }
  }

  it.each([
    [6, /event block events\/6 \(0x050000000000000006\) is missing: the next stored block is events\/11/],
    [11, /event block events\/11 \(0x05000000000000000b\) is missing: the event blocks end at sequence 10, short of the journal's end at 15/],
  ])('derives no indexes past a missing event block (events/%i): CORRUPTION naming it', async (missing, said) => {
    const sm = await CoreStateMachine.open({ path: await threeFlushesWithout(missing, true), backend });
    const refused = { code: 'CORRUPTION', message: expect.stringMatching(said) };
    await expect(sm.indexesReady()).rejects.toMatchObject(refused);
    await expect(sm.getTraderOrders(2)).rejects.toMatchObject(refused);
    await sm.close();
  });

  it.each([
    [6, /event block events\/6 \(0x050000000000000006\) is missing: the next stored block is events\/11/],
    [11, /event block events\/11 \(0x05000000000000000b\) is missing: the event blocks end at sequence 10, short of asset 1's durable feed message \d+/],
  ])('replays no feed past a missing event block (events/%i): CORRUPTION naming it', async (missing, said) => {
    const sm = await CoreStateMachine.open({ path: await threeFlushesWithout(missing, false), backend });
    expect(await feedFrom1(sm)).toMatchObject({ code: 'CORRUPTION', message: expect.stringMatching(said) });
    await sm.close();
  });

  it('derives the indexes again after a crash lost them, from the event blocks', async () => {
    const dbPath = await twoFills();
    const sm = await CoreStateMachine.open({ path: dbPath, backend });
    const expected = { order: await sm.getOrder(1), byClient: await sm.getOrderByClientId(1, 7), trader: await sm.getTraderOrders(3) };
    await sm.close();
    // As if the index writes after the commits had never landed.
    await tamper(dbPath, async (store) => {
      const batch = store.batch();
      for (let prefix = Prefix.INDEX_HEAD; prefix <= Prefix.ORDER_TOUCHES; prefix++) for (const key of await store.keys(prefixRange(prefix))) batch.del(key);
      await store.write(batch);
    });
    const reopened = await CoreStateMachine.open({ path: dbPath, backend });
    expect({ order: await reopened.getOrder(1), byClient: await reopened.getOrderByClientId(1, 7), trader: await reopened.getTraderOrders(3) }).toEqual(expected);
    await reopened.close();
  });
});

describe('refused databases', () => {
  it('refuses a second opener in this process with LOCKED', async () => {
    const dbPath = tempDbPath();
    const first = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining(dbPath) });
    await first.close();
    const again = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    await again.close();
  });

  it('refuses a database another process holds open with LOCKED', async () => {
    const dbPath = tempDbPath();
    await (await CoreStateMachine.open({ path: dbPath, backend: 'js' })).close();
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `
      import { RocksLevel } from '@nxtedition/rocksdb';
      const db = new RocksLevel(${JSON.stringify(dbPath)}, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open();
      process.stdout.write('open\\n');
      process.stdin.on('data', async () => { await db.close(); process.exit(0); });
    `], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
      });
      await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({ code: 'LOCKED' });
    } finally {
      holder.stdin!.write('close\n');
      await new Promise((r) => holder.once('exit', r));
    }
  });

  it('a LOCK file RocksDB cannot open (as on a read-only filesystem) is the I/O error it is, not LOCKED', async () => {
    const dbPath = tempDbPath();
    await (await CoreStateMachine.open({ path: dbPath, backend: 'js' })).close();
    // A directory in its place fails the open for root too, whom a chmod would not stop.
    fs.rmSync(path.join(dbPath, 'LOCK'));
    fs.mkdirSync(path.join(dbPath, 'LOCK'));
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'IO_ERROR', message: expect.stringMatching(/^opening .* failed: .*LOCK: Is a directory$/),
    });
  });

  it('refuses a database written by a newer format version', async () => {
    const dbPath = tempDbPath();
    await (await CoreStateMachine.open({ path: dbPath, backend: 'js' })).close();
    await tamper(dbPath, (store) => put(store, formatKey(), encodeFormat(DATABASE_FORMAT_VERSION + 1)));
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      message: expect.stringContaining(`format version ${DATABASE_FORMAT_VERSION + 1}, written by a newer lobcore`),
    });
  });

  it.each([1, 2, 3])('refuses a database of an older format (version %i)', async (version) => {
    const dbPath = tempDbPath();
    await (await CoreStateMachine.open({ path: dbPath, backend: 'js' })).close();
    await tamper(dbPath, (store) => put(store, formatKey(), encodeFormat(version)));
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      message: expect.stringMatching(new RegExp(`format version ${version}, written by an older lobcore; this build reads versions 4 to ${DATABASE_FORMAT_VERSION}`)),
    });
  });

  it('refuses a record written by a newer value version, naming the key', async () => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await sm.close();
    await tamper(dbPath, async (store) => {
      const head = Buffer.from((await store.get(headKey()))!);
      head[0] = 7;
      head.writeUInt32LE(crc32(head, 0, head.length - 4), head.length - 4);
      await put(store, headKey(), head);
    });
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      message: expect.stringMatching(/head .*version 7/),
    });
  });

  // A head is read field by field at fixed offsets: one cut short, its checksum sound, must be
  // refused for its length before any field is read past its end.
  it('refuses a head too short for its fields, its checksum sound, naming the key and its length', async () => {
    const dbPath = await oneOrderNoCheckpoint();
    let version = 0;
    await tamper(dbPath, async (store) => {
      const head = (await store.get(headKey()))!;
      version = head[0];
      await put(store, headKey(), framed(version, Buffer.from(head.subarray(1, 33))));
    });
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'CORRUPTION', message: expect.stringContaining('head value at key head (0x01) is 37 bytes, too short'),
    });
  });

  // The bound is exact: the first version past this build's is as unreadable as any later one.
  it('refuses every value of the version after the one this build writes, naming it', async () => {
    const dbPath = await oneOrderNoCheckpoint();
    let next = 0;
    await tamper(dbPath, async (store) => {
      const head = Buffer.from((await store.get(headKey()))!);
      next = head[0] + 1;
      head[0] = next;
      head.writeUInt32LE(crc32(head, 0, head.length - 4), head.length - 4);
      await put(store, headKey(), head);
    });
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      message: expect.stringMatching(new RegExp(`head .*version ${next}; this build reads up to ${next - 1}`)),
    });
  });

  // A head sound in its frame that the journal's replay does not land on is damage, whichever of
  // its numbers differs: opened as it is, the next commit would number orders, fills or events
  // again, or place its height apart from the journal's.
  it.each([
    ['sequence', 'lastSequence'],
    ['height', 'height'],
    ['next fill seq', 'nextFillSeq'],
    ['next event seq', 'nextEventSeq'],
    ['next order id', 'nextOrderId'],
  ] as const)('refuses a head whose %s the journal does not reach, naming both numbers', async (named, field) => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js', checkpointOnClose: false });
    sm.setHeight(2);
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    sm.placeLimitOrder({ trader: 2, asset: 1, side: 'ask', price: 10, size: 1, timestamp: 2 });
    await sm.close();
    let stored = 0;
    await tamper(dbPath, async (store) => {
      const head = decodeHead(headKey(), (await store.get(headKey()))!);
      stored = head[field];
      await put(store, headKey(), encodeHead({ ...head, [field]: stored + 1 }));
    });
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'CORRUPTION', message: expect.stringContaining(`does not reach the stored head (0x01): ${named} ${stored} vs ${stored + 1}`),
    });
  });

  /** A database of one resting order and no checkpoint: what it holds is its journal and its head. */
  async function oneOrderNoCheckpoint(): Promise<string> {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js', checkpointOnClose: false });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await sm.close();
    return dbPath;
  }

  /** A database whose journal holds one record, journal/1, of two commands; `rewrite` changes that record's bytes and its checksum is recomputed. */
  async function rewriteJournalRecord(rewrite: (value: Buffer) => Buffer): Promise<string> {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 11, size: 1, timestamp: 2 });
    await sm.close();
    await tamper(dbPath, async (store) => {
      const value = rewrite(Buffer.from((await store.get(journalKey(1)))!));
      value.writeUInt32LE(crc32(value, 0, value.length - 4), value.length - 4);
      await put(store, journalKey(1), value);
    });
    return dbPath;
  }

  it('refuses a journal record holding more commands than its entry count, naming the bytes left over', async () => {
    let declared = 0;
    const dbPath = await rewriteJournalRecord((value) => {
      declared = value[1]; // the entry count, a one-byte varint after the version byte
      expect(declared).toBeGreaterThanOrEqual(2);
      value[1] = declared - 1;
      return value;
    });
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'CORRUPTION',
      message: expect.stringMatching(new RegExp(`journal value at key journal/1 .*is malformed: \\d+ bytes left after ${declared - 1} entries`)),
    });
  });

  it('refuses a journal record of format version 0, naming the key', async () => {
    const dbPath = await rewriteJournalRecord((value) => {
      value[0] = 0;
      return value;
    });
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      message: expect.stringMatching(/^journal value at key journal\/1 .*has format version 0; this build reads up to \d+$/),
    });
  });

  it('refuses a journal record of an older format version, naming the key', async () => {
    const dbPath = await rewriteJournalRecord((value) => {
      value[0] = 2;
      return value;
    });
    await expect(CoreStateMachine.open({ path: dbPath, backend: 'js' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      message: expect.stringMatching(/^journal value at key journal\/1 .*has format version 2, older than this build reads$/),
    });
  });

  it('refuses a path it cannot create with INVALID_ARGUMENT, promptly (Node\'s recursive mkdir spins on it)', async () => {
    await expect(CoreStateMachine.open({ path: '/proc/nope/db' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'path /proc/nope/db cannot be created: ENOENT (at /proc/nope)',
    });
  }, 20_000);

  it('says what is there when CURRENT is gone: CORRUPTION, not "no database"', async () => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await sm.close();
    fs.rmSync(path.join(dbPath, 'CURRENT'));
    const files = fs.readdirSync(dbPath).sort();
    for (const readOnly of [false, true]) {
      await expect(CoreStateMachine.open({ path: dbPath, readOnly })).rejects.toMatchObject({
        code: 'CORRUPTION',
        message: expect.stringMatching(new RegExp(`^${dbPath} is a damaged RocksDB database: it holds .*MANIFEST-\\d+.* but no CURRENT file`)),
      });
    }
    expect(fs.readdirSync(dbPath).sort()).toEqual(files);
  });

  it('creates the database over what a first open killed before CURRENT left, and still refuses a MANIFEST with a log beside it', async () => {
    // What RocksDB has written when its first open is killed before it renames 000001.dbtmp to CURRENT.
    const cutOff = (dbPath: string): void => {
      fs.mkdirSync(dbPath, { recursive: true });
      fs.writeFileSync(path.join(dbPath, 'MANIFEST-000001'), Buffer.from('a first version edit, half written'));
      fs.writeFileSync(path.join(dbPath, '000001.dbtmp'), 'MANIFEST-000001\n');
      fs.writeFileSync(path.join(dbPath, 'IDENTITY'), 'f0e1d2c3-identity\n');
      fs.writeFileSync(path.join(dbPath, 'LOCK'), '');
    };
    const dbPath = tempDbPath();
    cutOff(dbPath);
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await sm.flush();
    const hash = sm.stateHash();
    await sm.close();
    const reopened = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    expect(reopened.recovery).toMatchObject({ sequence: 1 });
    expect(reopened.stateHash()).toBe(hash);
    await reopened.close();

    const withLog = tempDbPath();
    cutOff(withLog);
    fs.writeFileSync(path.join(withLog, '000003.log'), 'x');
    await expect(CoreStateMachine.open({ path: withLog, backend: 'js' })).rejects.toMatchObject({
      code: 'CORRUPTION', message: expect.stringMatching(/holds 000003\.log, MANIFEST-000001 but no CURRENT file/),
    });
  });

  it('a CURRENT that names no MANIFEST, or a path out of the directory: CORRUPTION, nothing followed', async () => {
    const dbPath = tempDbPath();
    await (await CoreStateMachine.open({ path: dbPath, backend: 'js' })).close();
    for (const [current, said] of [['MANIFEST-999999\n', /CURRENT names MANIFEST-999999, which is not there|MANIFEST-999999: No such file/], ['../../../etc/hostname\n', /CURRENT/]] as const) {
      fs.writeFileSync(path.join(dbPath, 'CURRENT'), current);
      for (const readOnly of [true, false]) {
        await expect(CoreStateMachine.open({ path: dbPath, readOnly }), `${current.trim()}, readOnly ${readOnly}`).rejects.toMatchObject({
          code: 'CORRUPTION', message: expect.stringMatching(said),
        });
      }
    }
  });

  it('refuses a directory that is not a lobcore database', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    await expect(CoreStateMachine.open({ path: dir })).rejects.toMatchObject({ code: 'NOT_A_DATABASE' });
    await expect(CoreStateMachine.open({ path: path.join(dir, 'notes.txt') })).rejects.toMatchObject({ code: 'NOT_A_DATABASE' });
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']); // nothing written into it

    // A RocksDB database of something else.
    const foreign = tempDbPath();
    const { RocksLevel } = await import('@nxtedition/rocksdb');
    const db = new RocksLevel(foreign, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open({ createIfMissing: true });
    await db.batch().put(Buffer.from('users/1'), Buffer.from('x')).write();
    await db.close();
    await expect(CoreStateMachine.open({ path: foreign })).rejects.toMatchObject({ code: 'NOT_A_DATABASE' });
  });
});

describe('a damaged write-ahead log', () => {
  /**
   * Closes as a kill after the last flush would leave it: the RocksDB handle closed first, so the
   * store's close does not open it again to replay its log into a table file (the store worker's
   * settle()), and the log keeps every write since the last memtable flush.
   */
  async function closeAsKilled(sm: CoreStateMachine): Promise<void> {
    await (sm as unknown as { store: Store }).store.underlying.close();
    await sm.close();
  }

  /**
   * Four flushes, a checkpoint after each but the last, closed without a memtable flush: every
   * flush is only in the main database's log, the last one its last record. Returns the state hash
   * after each flush and the log's name.
   */
  async function fourFlushes(): Promise<{ dbPath: string; hashes: string[]; log: string }> {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    const hashes: string[] = [];
    let t = 1;
    for (let flush = 0; flush < 4; flush++) {
      for (let i = 0; i < 20; i++) sm.placeLimitOrder({ trader: 1 + (i % 3), asset: 1, side: i % 2 ? 'bid' : 'ask', price: 100 + (i % 5), size: 1 + (i % 4), timestamp: t++ });
      await sm.flush();
      hashes.push(sm.stateHash());
      if (flush < 3) await sm.checkpoint();
    }
    await closeAsKilled(sm);
    const logs = fs.readdirSync(dbPath).filter((name) => name.endsWith('.log'));
    expect(logs).toHaveLength(1);
    return { dbPath, hashes, log: logs[0] };
  }

  it('refuses a flipped byte in the middle of the log, naming the log and the byte, and deletes nothing', async () => {
    const { dbPath, log } = await fourFlushes();
    const file = path.join(dbPath, log);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x01;
    fs.writeFileSync(file, bytes);
    const snapshots = fs.readdirSync(path.join(dbPath, 'snapshots')).sort();
    for (const readOnly of [false, true]) {
      await expect(CoreStateMachine.open({ path: dbPath, readOnly }), `readOnly ${readOnly}`).rejects.toMatchObject({
        code: 'CORRUPTION',
        message: expect.stringMatching(new RegExp(`^${dbPath} is damaged: write-ahead log ${log} holds a checksum mismatch at byte \\d+, with completed writes after it`)),
      });
    }
    expect(fs.readdirSync(path.join(dbPath, 'snapshots')).sort()).toEqual(snapshots);
    expect(fs.readFileSync(file)).toEqual(bytes);
  });

  it('opens a log cut off inside its last record with every flush before it', async () => {
    const { dbPath, hashes, log } = await fourFlushes();
    const file = path.join(dbPath, log);
    fs.truncateSync(file, fs.statSync(file).size - 10);
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    expect(sm.recovery).toMatchObject({ sequence: 60, checkpointSequence: 60 });
    expect(sm.stateHash()).toBe(hashes[2]);
    await sm.close();
  });

  it('is replayed into a table file by a close, which leaves the live log empty and the reopen equal', async () => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    for (let i = 0; i < 50; i++) sm.placeLimitOrder({ trader: 1 + (i % 3), asset: 1, side: i % 2 ? 'bid' : 'ask', price: 100 + (i % 7), size: 1 + (i % 4), timestamp: i + 1 });
    await sm.flush();
    const hash = sm.stateHash();
    await sm.close();
    const logs = liveLogs(dbPath);
    expect(logs).toHaveLength(1);
    expect(fs.statSync(path.join(dbPath, logs[0])).size).toBe(0);
    const again = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    expect(again.recovery).toMatchObject({ sequence: 50 });
    expect(again.stateHash()).toBe(hash);
    await again.close();
  });

  it('is left as it is by a close when damaged, for the next open to refuse', async () => {
    const dbPath = tempDbPath();
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    for (let flush = 0; flush < 3; flush++) {
      for (let i = 0; i < 20; i++) sm.placeLimitOrder({ trader: 1 + (i % 3), asset: 1, side: i % 2 ? 'bid' : 'ask', price: 100 + (i % 5), size: 1 + (i % 4), timestamp: flush * 20 + i + 1 });
      await sm.flush();
    }
    // A byte flipped under the open database (a failing disk): the close must not replay past it.
    const log = fs.readdirSync(dbPath).filter((name) => name.endsWith('.log')).sort().at(-1)!;
    const file = path.join(dbPath, log);
    const bytes = fs.readFileSync(file);
    const at = bytes.length >> 1;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([bytes[at] ^ 0x01]), 0, 1, at);
    fs.closeSync(fd);
    await sm.close();
    expect(fs.statSync(file).size).toBe(bytes.length);
    await expect(CoreStateMachine.open({ path: dbPath })).rejects.toMatchObject({
      code: 'CORRUPTION', message: expect.stringContaining(`write-ahead log ${log} holds a checksum mismatch`),
    });
  });

  /** A log as RocksDB's writer lays it out: records fragmented across 32 KiB blocks, a block's last < 7 bytes zero. */
  function logOf(payloads: Uint8Array[], type = (t: number) => t): Buffer {
    const out: Buffer[] = [];
    let inBlock = 0;
    const physical = (t: number, bytes: Uint8Array): void => {
      const header = Buffer.alloc(7);
      header.writeUInt16LE(bytes.length, 4);
      header[6] = type(t);
      const c = crc32c(Buffer.concat([header.subarray(6), bytes]));
      header.writeUInt32LE((((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0, 0);
      out.push(header, Buffer.from(bytes));
      inBlock += 7 + bytes.length;
    };
    for (const payload of payloads) {
      let left = payload;
      let first = true;
      do {
        if (32_768 - inBlock < 7) {
          out.push(Buffer.alloc(32_768 - inBlock));
          inBlock = 0;
        }
        const room = 32_768 - inBlock - 7;
        const piece = left.subarray(0, room);
        left = left.subarray(piece.length);
        physical(first ? (left.length === 0 ? 1 : 2) : (left.length === 0 ? 4 : 3), piece);
        first = false;
      } while (left.length > 0);
    }
    return Buffer.concat(out);
  }

  it('reads RocksDB\'s log format: a damaged record with an intact one after it, a cut-off end, an unknown record', () => {
    const payloads = [5_000, 70_000, 300, 40_000, 900].map((n, i) => Buffer.alloc(n, i + 1));
    const log = logOf(payloads);
    expect(scanLog(log)).toEqual({ damage: null, intactAfterDamage: false, intact: true, unknown: null });
    // A byte flipped in a fragment of the long record, in its first block: the blocks after it hold intact fragments.
    const flipped = Buffer.from(log);
    flipped[20_000] ^= 0x04;
    expect(scanLog(flipped)).toMatchObject({ damage: { offset: 5_007, reason: 'a checksum mismatch' }, intactAfterDamage: true });
    // A length flipped in the last record's header: the record before it is whole, nothing after it.
    const lastAt = log.length - 907;
    const badLength = Buffer.from(log);
    badLength[lastAt + 5] ^= 0x40;
    expect(scanLog(badLength)).toMatchObject({ damage: { offset: lastAt }, intactAfterDamage: false });
    // The payload of the next-to-last record damaged, its length intact: the last record, in the same block, is found after it.
    const beforeLast = Buffer.from(log);
    beforeLast[lastAt - 10] ^= 0x01;
    expect(scanLog(beforeLast)).toMatchObject({ damage: { reason: 'a checksum mismatch' }, intactAfterDamage: true });
    // Cut off inside the last record, or inside its header: what a crash leaves.
    for (const cut of [log.length - 100, lastAt + 3]) {
      expect(scanLog(log.subarray(0, cut)), `cut at ${cut}`).toMatchObject({ damage: { offset: lastAt }, intactAfterDamage: false });
    }
    expect(scanLog(logOf([Buffer.alloc(10)], () => 12))).toMatchObject({ unknown: { offset: 0, reason: expect.stringContaining('type 12') } });
  });

  it('refuses a LAST fragment with no FIRST before it, and a FIRST followed by a FULL record, each for what it is', () => {
    expect(scanLog(logOf([Buffer.alloc(10, 1)], () => 4))).toMatchObject({ damage: { offset: 0, reason: 'a record fragment without its start' } });
    let n = 0;
    const firstThenFull = logOf([Buffer.alloc(10, 1), Buffer.alloc(10, 2)], (t) => (n++ === 0 ? 2 : t));
    expect(scanLog(firstThenFull)).toMatchObject({ damage: { offset: 17, reason: 'a record started before the one before it ended' } });
  });

  it('does not read a log RocksDB retired: a cut-off one a crash left behind beside the live log', async () => {
    const { dbPath, hashes, log } = await fourFlushes();
    const cutOff = fs.readFileSync(path.join(dbPath, log)).subarray(0, 500);
    await (await CoreStateMachine.open({ path: dbPath, backend: 'js' })).close(); // the log's writes go into a table file, a new log is started
    const live = liveLogNumber(dbPath);
    expect(live).toBeGreaterThan(1);
    fs.writeFileSync(path.join(dbPath, `${String(live - 1).padStart(6, '0')}.log`), cutOff);
    const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    sm.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 90, size: 1, timestamp: 1_000 });
    await sm.flush();
    await closeAsKilled(sm); // a write in the live log, after the retired one
    const again = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
    expect(again.recovery).toMatchObject({ sequence: 81 });
    await again.close();
    expect(hashes).toHaveLength(4);
  });
});

describe('storage encoding', () => {
  it('orders keys numerically within a kind', () => {
    const seqs = [0, 1, 255, 256, 65_535, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
    const keys = seqs.map(journalKey);
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted).toEqual(keys);
    expect(prefixRange(Prefix.JOURNAL)).toEqual({ gte: Buffer.from([2]), lt: Buffer.from([3]) });
  });

  it('computes the same CRC-32 as zlib in the portable fallback', () => {
    const bytes = Buffer.from(Array.from({ length: 1_000 }, (_, i) => (i * 131 + 7) & 0xff));
    for (const [start, end] of [[0, 0], [0, 1], [3, 17], [0, 1_000], [5, 999]]) {
      expect(crc32Portable(bytes, start, end)).toBe(crc32(bytes, start, end));
    }
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('refuses a checkpoint manifest whose numbers no checkpoint writes, naming the field', () => {
    const key = checkpointKey(60);
    const sound: CheckpointManifest = {
      sequence: 60, height: 3, nextFillSeq: 9, nextOrderId: 61, nextEventSeq: 200, restingOrders: 40, byteLength: 5_000, chunkCount: 1,
      chunkBytes: 1 << 20, sha256: Buffer.alloc(32, 7), feedSeqs: [[1, 120]], where: SnapshotWhere.FILE,
    };
    expect(decodeCheckpoint(key, encodeCheckpoint(sound))).toEqual(sound);
    for (const [field, value, said] of [
      ['byteLength', 2 ** 50, /byteLength \(1125899906842624\) is not a byte length/],
      ['byteLength', -5, /byteLength \(-5\) is not a byte length/],
      ['chunkBytes', 2 ** 40, /chunkBytes \(1099511627776\) is not a byte length/],
      ['sequence', 0.5, /sequence \(0\.5\) is not a non-negative integer/],
      ['sequence', Number.NaN, /sequence \(NaN\) is not a non-negative integer/],
      ['sequence', 40, /sequence \(40\) is not its key's \(60\)/],
      ['height', -1, /height \(-1\) is not a non-negative integer/],
      ['nextOrderId', 2 ** 60, /nextOrderId \(\d+\) is not a non-negative integer/],
      ['restingOrders', Number.POSITIVE_INFINITY, /restingOrders \(Infinity\) is not a non-negative integer/],
      ['chunkCount', 1.5, /chunkCount \(1\.5\) is not a non-negative integer/],
    ] as const) {
      let error: unknown;
      try {
        decodeCheckpoint(key, encodeCheckpoint({ ...sound, [field]: value }));
      } catch (e) {
        error = e;
      }
      expect(error, `${field} ${value}`).toBeInstanceOf(LobError);
      expect(error, `${field} ${value}`).toMatchObject({ code: 'CORRUPTION', message: expect.stringMatching(said) });
    }
  });

  it('a format marker with a flipped byte in its magic is damaged (CORRUPTION), not another program\'s key', () => {
    const marker = encodeFormat();
    expect(decodeFormat(formatKey(), marker)).toBe(DATABASE_FORMAT_VERSION);
    const flipped = Buffer.from(marker);
    flipped[3] ^= 0x01;
    expect(() => decodeFormat(formatKey(), flipped)).toThrow(expect.objectContaining({ code: 'CORRUPTION', message: expect.stringMatching(/format .*fails its checksum/) }));
    // Not ours at all: another length, or our length with another program's bytes and their own checksum.
    expect(() => decodeFormat(formatKey(), Buffer.from('users'))).toThrow(expect.objectContaining({ code: 'NOT_A_DATABASE' }));
    const foreign = Buffer.from(marker);
    foreign.write('FOREIGN', 1, 'latin1');
    foreign.writeUInt32LE(crc32(foreign, 0, foreign.length - 4), foreign.length - 4);
    expect(() => decodeFormat(formatKey(), foreign)).toThrow(expect.objectContaining({ code: 'NOT_A_DATABASE' }));
  });

  it('computes CRC-32C, the checksum of RocksDB\'s log records', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.from('xx123456789y'), 2, 11)).toBe(0xe3069283);
  });
});
