// The log's rules under attack, on a real cluster: records that do not belong in a stream are
// skipped the same way by every member; of two would-be leaders only one can append; a retried
// request is a duplicate, not a second order; bad input is refused before anything is appended.
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { CommandBatch } from '../src/batch.js';
import { ClusterClient } from '../src/cluster/client.js';
import { shardSubjects } from '../src/cluster/layout.js';
import { ShardLeader } from '../src/cluster/leader.js';
import { connectAs } from '../src/cluster/nats/connect.js';
import { readDescription } from '../src/cluster/nats/description.js';
import { CLIENT_ROLE, leaderRole } from '../src/cluster/nats/roles.js';
import { appendRecord } from '../src/cluster/publish.js';
import { applyStream } from '../src/cluster/replay.js';
import { ShardRouter } from '../src/cluster/router.js';
import { ShardState } from '../src/cluster/shard-state.js';
import { storedRecord, streamInfo } from '../src/cluster/streams.js';
import { decodeRecord, encodeRecord, RecordKind } from '../src/cluster/wire/record.js';
import { encodeRequest, requestMessageId } from '../src/cluster/wire/request.js';
import { ClusterReply } from '../src/cluster/wire/reply.js';
import { clusterPerSuite, drive, restingBatch, verify } from './helpers/cluster.js';

describe('cluster protocol', () => {
  const t = clusterPerSuite({ persistent: false });
  const lastSeq = async (shard: number): Promise<number> =>
    (await streamInfo(t.admin, shardSubjects(t.local.description.layout.clusterId, shard).stream)).state.last_seq;

  it('skips a duplicated record, a stray one and garbage identically on every member', async () => {
    await drive(t, 0, 6, 2);
    const subjects = shardSubjects(t.local.description.layout.clusterId, 0);
    const last = await lastSeq(0);
    const copy = await storedRecord(t.admin, subjects.stream, last) as Uint8Array;
    // A busy machine may take a while to acknowledge: wait for it rather than fail the test.
    const js = jetstream(t.admin, { timeout: 30_000 });
    await js.publish(subjects.log, copy); // the same record again, as a 2.9.10 restart can leave it
    await js.publish(subjects.log, encodeRecord({
      kind: RecordKind.BATCH, shard: 0, epoch: 1, batchSeq: 999, clientId: 1, requestSeq: 1, prevHash: new Uint8Array(32).fill(5),
    }, restingBatch(0, 3, 1).bytes()));
    await js.publish(subjects.log, new Uint8Array([1, 2, 3, 4, 5]));
    // The leader's next append meets a stream it did not write: it steps down, someone claims, traffic goes on.
    await drive(t, 0, 6, 2);
    const verdicts = await verify(t);
    const shard0 = verdicts[0];
    expect(shard0.skipped).toBe(3);
    expect(shard0.members.map((m) => [m.equal, m.skipped])).toEqual(shard0.members.map(() => [true, 3]));
    expect(shard0.answeredInStream && shard0.noneTwice).toBe(true);
  }, 120_000);

  it('lets exactly one of two would-be leaders append, and refuses the other', async () => {
    const layout = t.local.description.layout;
    const subjects = shardSubjects(layout.clusterId, 1);
    await drive(t, 1, 3, 1);
    const last = await lastSeq(1);
    const candidates = await Promise.all([100, 101].map(async (memberId) => {
      const state = await ShardState.open({ shard: 1 }, () => Promise.reject(new Error('memory')));
      await applyStream(t.admin, subjects.stream, state, 1, last);
      const nc = await connectAs(t.local.runDir, t.local.description, leaderRole(1));
      return { memberId, state, nc };
    }));
    const options = (c: (typeof candidates)[number]) => ({
      nc: c.nc, subjects, state: c.state, router: new ShardRouter(layout), memberId: c.memberId,
      onMark: async () => {}, onStepDown: () => {}, log: () => {},
    });
    const outcomes = await Promise.all(candidates.map((c) => ShardLeader.claim(options(c), last)));
    expect(outcomes.filter((o) => o !== undefined)).toHaveLength(1);
    expect(await lastSeq(1)).toBe(last + 1);
    const winner = outcomes.find((o) => o !== undefined) as ShardLeader;
    winner.stepDown('test over');
    // The loser, still believing the stream ends at `last`, cannot append on top of it.
    const loser = candidates[outcomes.findIndex((o) => o === undefined)];
    const refused = await appendRecord(jetstream(loser.nc), subjects.log, encodeRecord({
      kind: RecordKind.BATCH, shard: 1, epoch: loser.state.head.epoch, batchSeq: loser.state.head.batchSeq + 1, clientId: 1, requestSeq: 1, prevHash: loser.state.head.hash,
    }, restingBatch(1, 2, 1).bytes()), 'loser-1', last, 2_000);
    expect(refused.kind).toBe('wrong-last-sequence');
    expect(await lastSeq(1)).toBe(last + 1);
    for (const c of candidates) {
      await c.state.close();
      await c.nc.close();
    }
    // The members follow the winner's claim, notice its silence, and elect one of their own.
    await drive(t, 1, 3, 1);
    const verdict = (await verify(t))[1];
    expect(verdict.hashesEqual && verdict.answeredInStream && verdict.noneTwice).toBe(true);
  }, 120_000);

  it('answers a retried request as a duplicate with the original results, committing it once', async () => {
    const subjects = shardSubjects(t.local.description.layout.clusterId, 0);
    const nc = await connectAs(t.local.runDir, t.local.description, CLIENT_ROLE);
    const batch = new CommandBatch().limit(42, 0, 'bid', 500, 7, 1);
    const request = encodeRequest(0, 987654321, 1, batch.bytes());
    const first = new ClusterReply((await nc.request(subjects.submit, request, { timeout: 5_000 })).data, batch.slots);
    const again = new ClusterReply((await nc.request(subjects.submit, request, { timeout: 5_000 })).data, batch.slots);
    await nc.close();
    expect(first.status).toBe('committed');
    expect(again.status).toBe('duplicate');
    expect(again.streamSeq).toBe(first.streamSeq);
    expect(again.results.orderId(0)).toBe(first.results.orderId(0));
    const replay = (await verify(t))[0].replay;
    expect(replay.requests.filter((r) => r.clientId === 987654321)).toHaveLength(1);
  }, 60_000);

  it('executes, exactly once, a retried request whose message id a stray record in the stream used up', async () => {
    // What a deposed leader leaves behind: its pipelined append of a request landed on top of the
    // new leader's claim, names a predecessor that is not in the chain (so every member skips
    // it), and carries the request's message id. The client's retry of that request is then a
    // JetStream duplicate of a record nobody applied: it must be executed, not answered as done.
    const subjects = shardSubjects(t.local.description.layout.clusterId, 0);
    const clientId = 192837465;
    const batch = new CommandBatch().limit(44, 0, 'bid', 600, 4, 1);
    const last = await lastSeq(0);
    const tail = decodeRecord(await storedRecord(t.admin, subjects.stream, last) as Uint8Array);
    const js = jetstream(t.admin, { timeout: 30_000 });
    const stray = await js.publish(subjects.log, encodeRecord({
      kind: RecordKind.BATCH, shard: 0, epoch: tail.epoch, batchSeq: tail.batchSeq + 1, clientId, requestSeq: 1, prevHash: new Uint8Array(32).fill(6),
    }, batch.bytes()), { msgID: requestMessageId(clientId, 1) });
    expect(stray.duplicate).toBe(false);
    const nc = await connectAs(t.local.runDir, t.local.description, CLIENT_ROLE);
    const request = encodeRequest(0, clientId, 1, batch.bytes());
    // The leader meets a stream it did not write and steps down; send until someone answers.
    const send = async (): Promise<ClusterReply> => {
      for (let attempt = 0; attempt < 120; attempt++) {
        try {
          const reply = new ClusterReply((await nc.request(subjects.submit, request, { timeout: 2_000 })).data, batch.slots);
          if (reply.status !== 'not-leader') return reply;
        } catch {
          // no leader yet
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error('no leader answered');
    };
    const first = await send();
    expect(first.status).toBe('committed');
    expect(first.streamSeq).toBeGreaterThan(stray.seq);
    expect(first.results.status(0)).toBe('resting');
    const again = await send();
    expect([again.status, again.streamSeq, again.results.orderId(0)]).toEqual(['duplicate', first.streamSeq, first.results.orderId(0)]);
    await nc.close();
    const shard0 = (await verify(t))[0];
    const mine = shard0.replay.requests.filter((r) => r.clientId === clientId);
    expect(mine.map((r) => r.streamSeq)).toEqual([first.streamSeq]);
    expect(shard0.members.every((m) => m.equal)).toBe(true);
    expect(shard0.hashesEqual && shard0.noneTwice).toBe(true);
  }, 120_000);

  it('does not double an order when the client times out and retries while the leader is frozen', async () => {
    const client = await ClusterClient.connect(t.local.runDir, t.local.description, { attemptTimeoutMs: 150, deadlineMs: 30_000 });
    const leader = t.local.supervisor.leaderOf(0) as number;
    const pid = t.local.supervisor.handle(0, leader)?.child.pid as number;
    process.kill(pid, 'SIGSTOP');
    const pending = client.submitBatch(new CommandBatch().limit(43, 2, 'ask', 2_000, 3, 5));
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(pid, 'SIGCONT');
    const reply = await pending;
    expect(reply.committed).toBe(true);
    expect(client.stats.retries).toBeGreaterThanOrEqual(1);
    const replay = (await verify(t))[0].replay;
    expect(replay.requests.filter((r) => r.clientId === client.clientId)).toHaveLength(1);
    await client.close();
  }, 60_000);

  it('refuses an unrouted asset and a malformed batch with a clear error, appending nothing', async () => {
    const subjects = shardSubjects(t.local.description.layout.clusterId, 0);
    const before = await lastSeq(0);
    const nc = await connectAs(t.local.runDir, t.local.description, CLIENT_ROLE);
    const send = async (commands: Uint8Array, clientId = 5, requestSeq = randomInt(1, 2 ** 47)): Promise<ClusterReply> =>
      new ClusterReply((await nc.request(subjects.submit, encodeRequest(0, clientId, requestSeq, commands), { timeout: 5_000 })).data, new Float64Array(0));
    const unrouted = await send(new CommandBatch().limit(1, 99, 'bid', 10, 1, 1).bytes());
    expect(unrouted).toMatchObject({ status: 'rejected', message: 'commands[0].asset 99 is not routed to any shard of this cluster' });
    const foreign = await send(new CommandBatch().limit(1, 0, 'bid', 10, 1, 1).limit(1, 1, 'bid', 10, 1, 1).bytes());
    expect(foreign.message).toBe('commands[1].asset 1 is on shard 1, not on shard 0');
    const badPrice = await send(new CommandBatch().limit(1, 0, 'bid', 0, 1, 1).bytes());
    expect(badPrice).toMatchObject({ status: 'rejected', message: 'commands[0].price must be a positive safe integer, got 0' });
    const torn = await send(new CommandBatch().limit(1, 0, 'bid', 10, 1, 1).bytes().subarray(0, 40));
    expect(torn.message).toMatch(/^batch must be a multiple of \d+ bytes long, got 40$/);
    // They make the message id: 1.5/18 and 1/18.5 would both be "1.i.i".
    const order = new CommandBatch().limit(1, 0, 'bid', 10, 1, 1).bytes();
    expect(await send(order, 1.5, 18)).toMatchObject({ status: 'rejected', message: 'request.clientId must be a positive safe integer, got 1.5' });
    expect(await send(order, 1, 18.5)).toMatchObject({ status: 'rejected', message: 'request.requestSeq must be a positive safe integer, got 18.5' });
    for (const [clientId, requestSeq] of [[NaN, 1], [-5, 1], [0, 1], [2 ** 60, 1], [1, Infinity], [1, 0]]) {
      expect((await send(order, clientId, requestSeq)).message).toMatch(/^request\.(clientId|requestSeq) must be a positive safe integer, got /);
    }
    const notARequest = new ClusterReply((await nc.request(subjects.submit, new Uint8Array([7, 7, 7]), { timeout: 5_000 })).data, new Float64Array(0));
    expect(notARequest.message).toMatch(/^request: 3 bytes, shorter than its 24-byte header$/);
    await nc.close();
    await expect(t.client.submitBatch(new CommandBatch().limit(1, 99, 'bid', 10, 1, 1))).rejects.toThrow('commands[0].asset 99 is not routed to any shard of this cluster');
    await expect(t.client.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 1.5, size: 1, timestamp: 1 })).rejects.toThrow('price must be a positive safe integer, got 1.5');
    expect(await lastSeq(0)).toBe(before);
  }, 60_000);

  it("cancels a trader's orders on every asset by one cancelAll to each shard, and refuses it in a batch, which goes to one shard", async () => {
    const trader = 4_242;
    for (const asset of [0, 1, 2, 3]) {
      expect(await t.client.placeLimit({ trader, asset, side: 'bid', price: 50 + asset, size: 1, timestamp: 1 })).toMatchObject({ status: 'resting' });
      expect(await t.client.placeStop({ trader, asset, side: 'bid', size: 1, stopPrice: 100_000, timestamp: 1 })).toMatchObject({ status: 'pending' });
    }
    const other = await t.client.placeLimit({ trader: 4_343, asset: 1, side: 'bid', price: 60, size: 1, timestamp: 1 });
    const everywhere = await t.client.cancelAll({ trader });
    // Assets 0 and 2 are shard 0's, 1 and 3 shard 1's: a resting order and a stop on each.
    expect(everywhere).toMatchObject({ ok: true, cancelled: 8 });
    expect(everywhere.shards.map((s) => [s.shard, s.ok, s.cancelled, s.events.length])).toEqual([[0, true, 4, 4], [1, true, 4, 4]]);
    expect(await t.client.cancelAll({ trader })).toMatchObject({ ok: true, cancelled: 0 });
    // Another trader's order on the same asset stood: cancelling it works.
    expect(await t.client.cancel({ trader: 4_343, asset: 1, orderId: other.orderId })).toMatchObject({ ok: true });
    await expect(t.client.cancelAll({ trader: -1 })).rejects.toThrow('trader must be a non-negative safe integer, got -1');
    await expect(t.client.submitBatch(new CommandBatch().cancelAll(trader))).rejects
      .toThrow('commands[0] is a cancelAll over every asset, which spans shards: send one cancelAll per asset, or call ClusterClient.cancelAll without an asset');
  }, 60_000);

  it("runs docs/scale-out.md's client example as written", async () => {
    const client = await ClusterClient.connect(t.local.runDir, readDescription(t.local.runDir));
    const r = await client.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 900, size: 5, timestamp: 1 });
    expect(r).toMatchObject({ status: 'resting', filled: 0, remaining: 5, fills: [], shard: 0 });
    const reply = await client.submitBatch(new CommandBatch().limit(2, 2, 'ask', 10_010, 3, 2).cancel(1, 0, r.orderId));
    expect([reply.status, reply.results.status(0), reply.results.status(1)]).toEqual(['committed', 'resting', 'ok']);
    await client.close();
  }, 60_000);
});
