// Bad input found by trying every public entry the way a careless user would (stop 57): each case
// here failed before its fix. The standard is the README's: a one-line error with a code, naming
// the field, and nothing changed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../bench/options.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { CommandBatch } from '../src/batch.js';
import { ClusterClient } from '../src/cluster/client.js';
import { ClusterReply } from '../src/cluster/wire/reply.js';
import { roundRobinLayout } from '../src/cluster/layout.js';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { ShardMember } from '../src/cluster/member.js';
import { NatsCluster } from '../src/cluster/nats/servers.js';
import type { ClusterDescription } from '../src/cluster/nats/description.js';
import { createEngine } from '../src/engine.js';
import { decodeEvent, EVENT_SLOTS } from '../src/events.js';
import { ByteReader, ByteWriter } from '../src/state/bytes.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { tempDir } from './fixtures/state-helpers.js';
import { expectBadInput, lobcore } from './helpers/cli.js';

describe('CoreStateMachine.open on a path that cannot be examined', () => {
  it('refuses a symlink loop, a name too long and a NUL byte with INVALID_ARGUMENT naming path, and creates nothing', async () => {
    const dir = tempDir('bad-path');
    const loop = path.join(dir, 'loop');
    fs.symlinkSync('loop', loop);
    const cases: [string, RegExp][] = [
      [loop, /^path .*\/loop cannot be examined: ELOOP/],
      [path.join(loop, 'db'), /^path .*\/loop\/db cannot be examined: ELOOP/],
      [path.join(dir, 'n'.repeat(300)), /^path .*\/n{300} cannot be examined: ENAMETOOLONG/],
      [path.join(dir, 'a\0b'), /^path must be a non-empty string without a NUL character, got ".*a\0b"$/],
    ];
    for (const [bad, message] of cases) {
      for (const readOnly of [false, true]) {
        const error = await CoreStateMachine.open({ path: bad, readOnly }).then(() => undefined, (e: unknown) => e);
        expect(error, `${bad.slice(-20)} readOnly ${readOnly}`).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
        expect((error as Error).message).not.toContain('\n');
      }
    }
    expect(fs.readdirSync(dir)).toEqual(['loop']);
  });
});

describe('the CLI on a path that cannot be examined', () => {
  it('refuses a symlink loop or a name too long as bad input (exit 2) naming the flag or argument, not as an internal error', async () => {
    const dir = tempDir('bad-cli-path');
    const loop = path.join(dir, 'loop');
    fs.symlinkSync('loop', loop);
    const long = path.join(dir, 'n'.repeat(300));
    expectBadInput(await lobcore('replay', loop), /^lobcore: \/.*\/loop: too many levels of symbolic links$/);
    expectBadInput(await lobcore('replay', long), /^lobcore: \/.*\/n{300}: file name too long$/);
    expectBadInput(await lobcore('serve', '--replay', loop), /^lobcore: --replay .*\/loop: too many levels of symbolic links$/);
    expectBadInput(await lobcore('demo', '--blocks', '2', '--db', path.join(loop, 'db')), /^lobcore: \/.*\/loop\/db: too many levels of symbolic links$/);
    expectBadInput(await lobcore('inspect', loop), /^lobcore: path \/.*\/loop cannot be examined: ELOOP$/);
    expectBadInput(await lobcore('serve', '--db', loop), /^lobcore: --db .*\/loop cannot be examined: ELOOP$/);
    expect(fs.readdirSync(dir).sort()).toEqual(['loop']);
  });
});

describe('lobcore bench --out', () => {
  it('refuses an empty value, the next flag and a file before anything runs, rather than writing the results there after the whole run', async () => {
    const file = path.join(tempDir('bench-out'), 'notes.txt');
    fs.writeFileSync(file, 'mine');
    for (const flag of ['--out', '--default-out']) {
      expect(() => parseArgs([flag, ''])).toThrow(`${flag} needs a directory, not an empty string`);
      expect(() => parseArgs([flag, '--tiny'])).toThrow(`${flag} needs a directory, not the flag --tiny (./--tiny names a directory that starts with -)`);
      expect(() => parseArgs([flag, file])).toThrow(`${flag} ${file} is a file; the results need a directory`);
    }
    expect(parseArgs(['--out', './--tiny']).outDir).toBe('./--tiny');
    // Through the CLI: one line, exit 2, and promptly (the run would have taken minutes first).
    expectBadInput(await lobcore('bench', '--tiny', '--out', ''), /^lobcore: --out needs a directory, not an empty string$/);
    expectBadInput(await lobcore('bench', '--tiny', '--out', file), /^lobcore: --out .* is a file; the results need a directory$/);
    expect(fs.readFileSync(file, 'utf8')).toBe('mine');
  });
});

describe('new CommandBatch(commands)', () => {
  it('refuses a count of commands that is not a non-negative safe integer, naming commands, as engine.createBatch does', () => {
    for (const commands of ['5', NaN, 1.5, -1, -0, null, {}, [], true, 5n, 2 ** 53, Infinity]) {
      expect(() => new CommandBatch(commands as number), String(commands)).toThrowError(expect.objectContaining({
        code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^commands must be a non-negative safe integer, got /),
      }));
    }
    // Absent is the default; 0 is an empty batch that grows, as before.
    expect(new CommandBatch(undefined).limit(1, 7, 'bid', 100, 1, 1).count).toBe(1);
    expect(new CommandBatch(0).limit(1, 7, 'bid', 100, 1, 1).limit(1, 7, 'bid', 100, 1, 2).count).toBe(2);
  });
});

describe('subscribe', () => {
  it('refuses -0 among assets, as every other asset argument does', async () => {
    const machine = await CoreStateMachine.open();
    try {
      expect(() => machine.subscribe({ assets: [1, -0] })).toThrowError(expect.objectContaining({
        code: 'INVALID_ARGUMENT', message: 'assets must be an array of non-negative safe integers, got -0',
      }));
      expect(() => machine.subscribe({ assets: [-0], fromSeq: 1 })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      machine.subscribe({ assets: [0] }).close();
    } finally {
      await machine.close();
    }
  });
});

describe('values far apart in one journal record and event block', () => {
  it('a signed varint holds every difference of two safe integers, a drop of more than 2^52 too', () => {
    const writer = new ByteWriter();
    const values = [-(2 ** 53 - 1), -(2 ** 53 - 2), -(2 ** 52 + 1), -(2 ** 52), -(2 ** 52 - 1), -(2 ** 52 + 64), -(2 ** 52 + 63), 2 ** 53 - 1, 2 ** 52 + 1, -1, 0, 1];
    for (const value of values) writer.int(value);
    const reader = new ByteReader(writer.bytes, 0, writer.length);
    expect(values.map(() => reader.int())).toEqual(values);
    expect(reader.done).toBe(true);
  });

  it('a machine that took an asset, price and order id far from the last command\'s reopens to the same state and answers its history', async () => {
    const M = Number.MAX_SAFE_INTEGER;
    const dbPath = path.join(tempDir('far-apart'), 'db');
    const machine = await CoreStateMachine.open({ path: dbPath });
    machine.setHeight(1);
    machine.placeLimit({ trader: M, asset: M, side: 'ask', price: M, size: 5, timestamp: M, clientOrderId: M });
    const near = machine.placeLimit({ trader: 1, asset: 5, side: 'bid', price: 1, size: 1, timestamp: 1 });
    await machine.flush();
    const hash = machine.stateHash();
    await machine.close();
    const again = await CoreStateMachine.open({ path: dbPath, checkpointOnClose: false });
    try {
      expect(again.stateHash()).toBe(hash);
      expect((await again.bookAt(5, 1)).bids).toEqual([{ price: 1, size: 1, orders: 1 }]);
      expect((await again.getOrderEvents(near.orderId)).map((e) => [e.kind, e.asset, e.price])).toEqual([['accepted', 5, 1], ['rested', 5, 1]]);
      expect(await again.getOrder(near.orderId)).toMatchObject({ asset: 5, price: 1, timestamp: 1, status: 'resting' });
      expect(await again.getOrder(near.orderId - 1)).toMatchObject({ asset: M, price: M, timestamp: M, trader: M, clientOrderId: M });
    } finally {
      await again.close();
    }
  });
});

describe('a page limit past 2^31 on disk', () => {
  it('lists every order, as any larger limit does, rather than none (RocksDB reads its limit as an int32)', async () => {
    const dbPath = path.join(tempDir('big-limit'), 'db');
    const writer = await CoreStateMachine.open({ path: dbPath });
    writer.setHeight(1);
    for (let i = 0; i < 3; i++) {
      writer.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100 + i, size: 2, timestamp: i });
      writer.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 100 + i, size: 2, timestamp: i });
    }
    writer.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 200, size: 2, timestamp: 9 });
    await writer.close();
    // Reopened, the postings are read from RocksDB (before, some came from memory).
    const machine = await CoreStateMachine.open({ path: dbPath });
    try {
      await machine.indexesReady();
      const ids = (records: { orderId: number }[]) => records.map((r) => r.orderId);
      for (const limit of [2 ** 31, 2 ** 32, 2 ** 33, Number.MAX_SAFE_INTEGER]) {
        for (const query of [{}, { status: 'closed' as const }, { newestFirst: true }]) {
          expect(ids(await machine.getTraderOrders(1, { ...query, limit })), `${limit} ${JSON.stringify(query)}`).toEqual(ids(await machine.getTraderOrders(1, query)));
        }
      }
      expect(ids(await machine.getTraderOrders(1, { limit: 2 ** 32 }))).toEqual([1, 3, 5, 7]);
    } finally {
      await machine.close();
    }
  });
});

describe('a millisecond option past what a timer holds', () => {
  it('CoreStateMachine.open refuses autoFlush.milliseconds and indexGatherMs past 2^31 - 1 naming them (a timer fired them after 1 ms, with a warning of several lines on stderr), and takes 2^31 - 1', async () => {
    const dir = tempDir('timer-options');
    const cases: [object, string][] = [
      [{ autoFlush: { milliseconds: 2 ** 31 } }, 'autoFlush.milliseconds must be a positive safe integer at most 2147483647 (what a timer holds), got 2147483648'],
      [{ autoFlush: { milliseconds: 2 ** 40 } }, 'autoFlush.milliseconds must be a positive safe integer at most 2147483647 (what a timer holds), got 1099511627776'],
      [{ indexGatherMs: 2 ** 31 }, 'indexGatherMs must be a non-negative safe integer at most 2147483647 (what a timer holds), got 2147483648'],
    ];
    for (const [options, message] of cases) {
      await expect(CoreStateMachine.open({ path: path.join(dir, 'db'), ...options })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message });
    }
    expect(fs.readdirSync(dir)).toEqual([]);
    const machine = await CoreStateMachine.open({ path: path.join(dir, 'db'), autoFlush: { milliseconds: 2 ** 31 - 1 }, indexGatherMs: 2 ** 31 - 1 });
    await machine.close();
  });
});

describe('ClusterClient attemptTimeoutMs past what a timer holds', () => {
  it('is refused naming it before connecting (a timer waited 1 ms for each attempt instead), and 2^31 - 1 is taken', async () => {
    const description = { layout: roundRobinLayout(1, 2) } as ClusterDescription;
    const connection = { request: () => new Promise(() => {}), close: () => Promise.resolve() } as unknown as NatsConnection;
    for (const attemptTimeoutMs of [2 ** 31, 2 ** 40]) {
      const message = `attemptTimeoutMs must be a positive safe integer at most 2147483647 (what a timer holds), got ${attemptTimeoutMs}`;
      expect(() => new ClusterClient(connection, description, { attemptTimeoutMs })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message }));
      await expect(ClusterClient.connect('/nonexistent-run-dir', description, { attemptTimeoutMs })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message });
    }
    await new ClusterClient(connection, description, { attemptTimeoutMs: 2 ** 31 - 1 }).close();
  });
});

describe('roundRobinLayout', () => {
  it('refuses shards and assets that are not positive safe integers, or more assets than a layout lists, naming them, rather than crash the process or throw a TypeError', () => {
    const refused: [number, number, RegExp][] = [
      [2, Infinity, /^assets must be a positive safe integer at most 1000000, got Infinity$/],
      [2, 2 ** 40, /^assets must be a positive safe integer at most 1000000, got 1099511627776$/],
      [2, 1_000_001, /^assets must be a positive safe integer at most 1000000, got 1000001$/],
      [2, NaN, /^assets must be .*, got NaN$/],
      [2, 0, /^assets must be .*, got 0$/],
      [NaN, 4, /^shards must be a positive safe integer at most the assets \(4\), got NaN$/],
      [Infinity, 4, /^shards must be .*, got Infinity$/],
      [1.5, 4, /^shards must be .*, got 1.5$/],
      [5, 4, /^shards must be .*, got 5$/],
      ['2' as unknown as number, 4, /^shards must be .*, got "2"$/],
    ];
    for (const [shards, assets, message] of refused) {
      expect(() => roundRobinLayout(shards, assets), `${shards} ${assets}`).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
    }
    expect(roundRobinLayout(2, 5, 'abcdef012345').shards.map((s) => s.assets)).toEqual([[0, 2, 4], [1, 3]]);
  });
});

describe('LocalCluster.start options', () => {
  it('refuses a member count of 0 and an unknown option naming them, before any server starts (it started NATS and waited 30 s for leaders)', async () => {
    const runDir = tempDir('local-cluster-options');
    const refused: [object, string][] = [
      [{ members: 0 }, 'members must be a positive safe integer, got 0'],
      [{ member: 3 }, expect.stringMatching(/^member is not an option of LocalCluster.start \(/) as unknown as string],
      [{ natsNodes: 1.5 }, 'natsNodes must be a positive safe integer, got 1.5'],
      [{ checkpointEvery: NaN }, 'checkpointEvery must be a positive safe integer, got NaN'],
      [{ leaderTimeoutMs: 2 ** 31 }, 'leaderTimeoutMs must be a positive safe integer at most 2147483647 (what a timer holds), got 2147483648'],
      [{ backend: 'JS' }, 'backend must be one of wasm, js, got "JS"'],
      [{ tls: 'yes' }, 'tls must be a boolean, got "yes"'],
    ];
    for (const [options, message] of refused) {
      await expect(LocalCluster.start({ runDir, ...options })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message });
    }
    expect(fs.readdirSync(runDir)).toEqual([]);
  }, 120_000);

  it('refuses a bad shard or asset count before it makes a temporary run directory (one was left until the process exited)', async () => {
    const tmp = tempDir('local-cluster-layout');
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // os.tmpdir() reads it at each call; start() refuses before its first await
    let started: Promise<LocalCluster>[];
    try {
      started = [LocalCluster.start({ shards: 0 }), LocalCluster.start({ assets: 1.5 })];
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    await expect(started[0]).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^shards /) as unknown as string });
    await expect(started[1]).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^assets /) as unknown as string });
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('NatsCluster.start and ShardMember options', () => {
  it('refuse a bad field naming it, before a directory, a server or a connection is made', async () => {
    const runDir = path.join(tempDir('nats-cluster-options'), 'run');
    const layout = roundRobinLayout(2, 4);
    const refused: [object, string][] = [
      [{ layout }, 'runDir must be a non-empty string, got undefined (missing)'],
      [{ runDir: '', layout }, 'runDir must be a non-empty string, got ""'],
      [{ runDir }, 'layout must be an object, got undefined (missing)'],
      [{ runDir, layout: [layout] }, 'layout must be an object, got an array'],
      [{ runDir, layout: { clusterId: layout.clusterId, shards: [{ shard: 0, assets: 3 }] } }, 'layout.shards[0].assets must be an array, got 3'],
      [{ runDir, layout: { ...layout, clusterId: 'cluster' } }, 'clusterId must be 12 lowercase hex digits, got "cluster"'],
      [{ runDir, layout, nodes: 0 }, 'nodes must be a positive safe integer, got 0'],
      [{ runDir, layout, host: 7 }, 'host must be a non-empty string, got 7'],
      [{ runDir, layout, tls: 1 }, 'tls must be a boolean, got 1'],
      [{ runDir, layout, readyTimeoutMs: -1 }, 'readyTimeoutMs must be a positive safe integer at most 2147483647 (what a timer holds), got -1'],
      [{ runDir, layout, maxFileStoreBytes: 1.5 }, 'maxFileStoreBytes must be a positive safe integer, got 1.5'],
      [{ runDir, layout, node: 3 }, expect.stringMatching(/^node is not an option of NatsCluster.start \(/) as unknown as string],
    ];
    for (const [options, message] of refused) {
      await expect(NatsCluster.start(options as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message });
    }
    // Nothing was made: no keys, no configs, so no server could have started.
    expect(fs.existsSync(runDir)).toBe(false);

    // A description whose servers listen nowhere: a member let through would fail connecting, not refuse.
    const description = { version: 1, layout, host: '127.0.0.1', servers: ['nats://127.0.0.1:1'], nodes: [], credentials: {}, streamReplicas: 1 } as ClusterDescription;
    const member = { runDir, description, shard: 1, memberId: 0, emit: () => {} };
    const refusedMember: [object, string][] = [
      [{ ...member, shard: 2 }, 'shard must be a shard of the description\'s layout (0 to 1), got 2'],
      [{ ...member, shard: -1 }, 'shard must be a non-negative safe integer, got -1'],
      [{ ...member, memberId: '0' }, 'memberId must be a non-negative safe integer, got "0"'],
      [{ ...member, emit: undefined }, 'emit must be a function, got undefined (missing)'],
      [{ ...member, description: { ...description, layout: undefined } }, 'description.layout must be an object, got undefined (missing)'],
      [{ ...member, description: { ...description, servers: [] } }, 'description.servers must be a non-empty array of server URLs, got an array'],
      [{ ...member, description: new Map() }, 'description must be an object, got a Map'],
      [{ ...member, dir: '' }, 'dir must be a non-empty string, got ""'],
      [{ ...member, backend: 'rust' }, 'backend must be one of wasm, js, got "rust"'],
      [{ ...member, checkpointEvery: 0 }, 'checkpointEvery must be a positive safe integer, got 0'],
      [{ ...member, leaderTimeoutMs: 0 }, 'leaderTimeoutMs must be a positive safe integer at most 2147483647 (what a timer holds), got 0'],
      [{ ...member, memberID: 0 }, expect.stringMatching(/^memberID is not an option of ShardMember \(/) as unknown as string],
    ];
    for (const [options, message] of refusedMember) {
      // The constructor refuses: start(), which connects, is never reached.
      expect(() => new ShardMember(options as never)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message }));
    }
  });
});

describe('an order event cursor', () => {
  it('refuses -0 for its seq or index, as every other cursor and id does', async () => {
    const machine = await CoreStateMachine.open();
    try {
      machine.setHeight(1);
      const { orderId } = machine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 1, size: 1, timestamp: 1 });
      await machine.flush();
      for (const cursor of [{ seq: -0, index: 0 }, { seq: 2, index: -0 }]) {
        await expect(machine.getOrderEventPage(orderId, { after: cursor })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT', message: 'after must be a cursor { seq, index } of non-negative safe integers (a page\'s next), got an object',
        });
        await expect(machine.getOrderEventCount(orderId, cursor)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^before must be a cursor/) });
      }
      expect((await machine.getOrderEventPage(orderId, { after: { seq: 2, index: 0 } })).events.map((e) => e.kind)).toEqual(['rested']);
    } finally {
      await machine.close();
    }
  });
});

describe('an order event cursor that names none of the order\'s events', () => {
  it('is refused naming after or before, rather than answer a page that skips events, or none, or events past it', async () => {
    const machine = await CoreStateMachine.open();
    try {
      machine.setHeight(1);
      const { orderId } = machine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 5, size: 3, timestamp: 1 });
      machine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 5, size: 1, timestamp: 2 });
      machine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 5, size: 1, timestamp: 3 });
      await machine.flush();
      const trail = await machine.getOrderEvents(orderId);
      expect(trail.map((e) => e.kind)).toEqual(['accepted', 'rested', 'fill', 'fill']);
      const [first, , third] = trail;
      // Before: after { seq of the placing command - 1 } skipped the acceptance, after { seq 0 } and after
      // { index past the command's events } answered nothing, and newest first before the latter gave later events.
      const strays = [
        { seq: 0, index: 0 }, { seq: first.seq - 1, index: 0 }, { seq: first.seq, index: 2 }, { seq: first.seq, index: 5 },
        { seq: third.seq + 9, index: 0 },
      ];
      for (const cursor of strays) {
        for (const newestFirst of [false, true]) {
          await expect(machine.getOrderEventPage(orderId, { after: cursor, newestFirst }), JSON.stringify(cursor)).rejects.toMatchObject({
            code: 'INVALID_ARGUMENT', message: `after must be the cursor of one of order ${orderId}'s events (a page's next), got { seq: ${cursor.seq}, index: ${cursor.index} }`,
          });
        }
        await expect(machine.getOrderEventCount(orderId, cursor)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT', message: `before must be the cursor of one of order ${orderId}'s events (a page's next), got { seq: ${cursor.seq}, index: ${cursor.index} }`,
        });
      }
      // Every event's own cursor still pages and counts as before.
      const kinds = async (after: { seq: number; index: number }, newestFirst: boolean) => (await machine.getOrderEventPage(orderId, { after, newestFirst })).events.map((e) => e.kind);
      expect(await kinds({ seq: first.seq, index: 0 }, false)).toEqual(['rested', 'fill', 'fill']);
      expect(await kinds({ seq: first.seq, index: 1 }, true)).toEqual(['accepted']);
      expect(await kinds({ seq: third.seq, index: 0 }, true)).toEqual(['rested', 'accepted']);
      expect(await machine.getOrderEventCount(orderId, { seq: third.seq, index: 0 })).toBe(2);
    } finally {
      await machine.close();
    }
  });
});

describe('decodeEvent on a buffer that is short or not event records (stop 58)', () => {
  it('refuses a record running past the end, an offset and a buffer of the wrong kind (INVALID_ARGUMENT), and a head no core writes (CORRUPTION), each on one line', async () => {
    const engine = await createEngine();
    engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 5, timestamp: 1 });
    const records = engine.events.records.slice(0, engine.events.count * EVENT_SLOTS);
    expect(engine.events.count).toBe(2);
    expect(decodeEvent(records, EVENT_SLOTS)).toEqual(engine.events.event(1));
    // A typed array reads undefined past its end: these gave an event of undefineds.
    const refused: [Float64Array, number, string, RegExp][] = [
      [records.subarray(0, 5), 0, 'INVALID_ARGUMENT', /^records holds 5 slots, too short for an event at slot 0 \(12 slots, to 12\)$/],
      [records, 18, 'INVALID_ARGUMENT', /^records holds 24 slots, too short for an event at slot 18 \(12 slots, to 30\)$/],
      [records, 24, 'INVALID_ARGUMENT', /^records holds 24 slots, too short for an event at slot 24/],
      [records, -12, 'INVALID_ARGUMENT', /^o must be a non-negative safe integer \(a slot offset\), got -12$/],
      [records, -0, 'INVALID_ARGUMENT', /^o must be .*, got -0$/],
      [records, 1.5, 'INVALID_ARGUMENT', /^o must be .*, got 1.5$/],
      [records, '0' as unknown as number, 'INVALID_ARGUMENT', /^o must be .*, got "0"$/],
      [new Uint8Array(12) as unknown as Float64Array, 0, 'INVALID_ARGUMENT', /^records must be a Float64Array of event records, got an object$/],
      [[1, 0, 1, 1, 1, 100, 5, 5, 0, 0, 0, 0] as unknown as Float64Array, 0, 'INVALID_ARGUMENT', /^records must be .*, got an array$/],
      [undefined as unknown as Float64Array, 0, 'INVALID_ARGUMENT', /^records must be .*, got undefined \(missing\)$/],
      // Zeroes, and what a wrong buffer holds, gave an event with no kind or garbage for one.
      [new Float64Array(12), 0, 'CORRUPTION', /^records\[0\] is 0, not an event's head \(a whole number below 2\^20 whose low 4 bits are a kind, 1 to 8\)$/],
      [new Float64Array(12).fill(1e300), 0, 'CORRUPTION', /^records\[0\] is 1e\+300, not an event's head/],
      [Float64Array.of(...records, ...new Float64Array(12)), 24, 'CORRUPTION', /^records\[24\] is 0, not an event's head/],
      [Float64Array.of(1.5, ...records.subarray(1)), 0, 'CORRUPTION', /^records\[0\] is 1.5, not/],
      [Float64Array.of(2 ** 20 + 1, ...records.subarray(1)), 0, 'CORRUPTION', /^records\[0\] is 1048577, not/],
      [Float64Array.of(NaN, ...records.subarray(1)), 0, 'CORRUPTION', /^records\[0\] is NaN, not/],
      [Float64Array.of(9, ...records.subarray(1)), 0, 'CORRUPTION', /^records\[0\] is 9, not/],
    ];
    for (const [buffer, o, code, message] of refused) {
      const error = (() => { try { decodeEvent(buffer, o); } catch (e) { return e; } })();
      expect(error, `${String(buffer?.length)} at ${o}`).toMatchObject({ code, message: expect.stringMatching(message) });
    }
    // An offset into a longer buffer is still read where it points.
    expect(decodeEvent(Float64Array.of(7, ...records), 1)).toEqual(engine.events.event(0));
  });

  it('ClusterReply refuses bytes and commands of the wrong kind with INVALID_ARGUMENT naming them, not a TypeError from inside', () => {
    expect(() => new ClusterReply(undefined as never, new Float64Array(0))).toThrowError(expect.objectContaining({
      code: 'INVALID_ARGUMENT', message: 'bytes must be a Uint8Array (a reply as it arrived), got undefined (missing)',
    }));
    expect(() => new ClusterReply(new Uint8Array(64), [] as never)).toThrowError(expect.objectContaining({
      code: 'INVALID_ARGUMENT', message: "commands must be a Float64Array (the request's command slots), got an array",
    }));
    // Past those, a short reply was refused before, and still is.
    expect(() => new ClusterReply(new Uint8Array(3), new Float64Array(0))).toThrowError(expect.objectContaining({ code: 'CORRUPTION' }));
  });
});
