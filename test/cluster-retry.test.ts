// What the cluster's own JetStream requests do when no answer comes in time, tried on three real
// nats-server processes frozen with SIGSTOP (a stand-in for a machine too busy to answer, or a
// stream leader's election): the request is asked again until the servers are back, and one
// that is never answered ends as UNAVAILABLE naming what was asked, not as a bare "timeout".
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LobError } from '../src/errors.js';
import { describeFailure } from '../src/cli/failure.js';
import { roundRobinLayout, shardSubjects } from '../src/cluster/layout.js';
import { ClusterClient } from '../src/cluster/client.js';
import { StreamFollower } from '../src/cluster/follower.js';
import { applyStream } from '../src/cluster/replay.js';
import { ShardState } from '../src/cluster/shard-state.js';
import { encodeRecord, RecordKind, ZERO_HASH } from '../src/cluster/wire/record.js';
import { ShardMember, type MemberEvent } from '../src/cluster/member.js';
import { connectAs } from '../src/cluster/nats/connect.js';
import { ADMIN_ROLE } from '../src/cluster/nats/roles.js';
import { NatsCluster } from '../src/cluster/nats/servers.js';
import { untilAnswered } from '../src/cluster/nats/retry.js';
import { createShardStreams, managerOf, storedRecord, streamInfo } from '../src/cluster/streams.js';
import { until } from './helpers/cluster.js';

/** Longer than one attempt's timeout (the JetStream client's 5 s default): a single attempt cannot be answered. */
const FREEZE_MS = 6_000;

/**
 * SIGSTOP takes effect as each thread of the process next enters the kernel, which on a loaded
 * machine can be a while (servers went on answering for 100 ms): wait until every thread of every
 * server is stopped, so that nothing sent afterwards can be answered before the thaw.
 */
async function allStopped(pids: number[]): Promise<void> {
  const stopped = (pid: number, task: string): boolean => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      return /^[tT]$/.test(stat.charAt(stat.lastIndexOf(')') + 2));
    } catch {
      return true; // a thread that ended meanwhile
    }
  };
  while (!pids.every((pid) => readdirSync(`/proc/${pid}/task`).every((task) => stopped(pid, task)))) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('cluster requests while every NATS server is frozen', () => {
  let runDir: string;
  let cluster: NatsCluster;
  let admin: NatsConnection;
  const layout = roundRobinLayout(1, 2);
  const stream = shardSubjects(layout.clusterId, 0).stream;

  const servers = (): number[] => [0, 1, 2].map((node) => cluster.pid(node) as number);
  const freeze = async (): Promise<void> => {
    for (const pid of servers()) process.kill(pid, 'SIGSTOP');
    await allStopped(servers());
  };
  const thaw = (): void => { for (const pid of servers()) process.kill(pid, 'SIGCONT'); };

  beforeAll(async () => {
    runDir = mkdtempSync(join(tmpdir(), 'lobcore-retry-'));
    cluster = await NatsCluster.start({ runDir, layout });
    admin = await connectAs(runDir, cluster.description, ADMIN_ROLE);
    await createShardStreams(admin, cluster.description);
  });

  afterAll(async () => {
    if (cluster !== undefined) thaw();
    await admin?.close();
    await cluster?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('answers a stream info and a stored record asked during the freeze once the servers are back, where one attempt times out', async () => {
    const jsm = await managerOf(admin);
    await freeze();
    try {
      const once = jsm.streams.info(stream).then(() => 'answered', (error: Error) => error.message);
      const info = streamInfo(admin, stream);
      const record = storedRecord(admin, stream, 1);
      await new Promise((resolve) => setTimeout(resolve, FREEZE_MS));
      // The hazard: a single attempt gives up with the client's bare "timeout". The other two
      // made their first attempts at the same moment with the same timeout, so theirs failed too.
      expect(await once).toMatch(/timeout/i);
      thaw();
      expect((await info).state.last_seq).toBe(0);
      // Seq 1 does not exist yet: an answer (null), not an error.
      expect(await record).toBeNull();
    } finally {
      thaw();
    }
  }, 90_000);

  it('ends a request that is never answered as UNAVAILABLE, naming what was asked, in one CLI line that is not an internal error', async () => {
    await freeze();
    let failure: unknown;
    try {
      await streamInfo(admin, stream, 1_000);
    } catch (error) {
      failure = error;
    } finally {
      thaw();
    }
    expect(failure).toBeInstanceOf(LobError);
    expect((failure as LobError).code).toBe('UNAVAILABLE');
    const { message } = describeFailure(failure);
    expect(message).toMatch(new RegExp(`^stream ${stream}'s info: no answer within 1000 ms \\(last: .*timeout.*\\)$`, 'i'));
    expect(message).not.toMatch(/internal error|\n/);
    // Thawed, the same cluster answers at once again.
    expect((await streamInfo(admin, stream)).state.last_seq).toBe(0);
  }, 90_000);

  it('a member stopped while it claims the leadership neither leads nor follows again', async () => {
    const events: MemberEvent[] = [];
    const member = new ShardMember({ runDir, description: cluster.description, shard: 0, memberId: 0, leaderTimeoutMs: 2_000, emit: (e) => events.push(e) });
    // What the claim leaves behind, read from the member itself: nothing else shows it in-process.
    const inside = member as unknown as { claiming: boolean; follower: { running: boolean } };
    await member.start();
    await freeze();
    let stopping: Promise<void> | undefined;
    try {
      // No leader speaks: the member claims, and waits on the frozen servers for the stream's end.
      await until(() => inside.claiming, 'the member to start a claim');
      stopping = member.stop();
    } finally {
      thaw();
    }
    await stopping;
    await until(() => !inside.claiming, 'the claim to end');
    expect(events.filter((e) => e.kind === 'leader')).toEqual([]);
    expect(inside.follower.running).toBe(false);
  }, 90_000);

  it('a closed client ends a call it was sending again as NOT_OPEN instead of retrying it until the deadline', async () => {
    // No member runs: every attempt finds no responder and the call is sent again and again.
    const client = await ClusterClient.connect(runDir, cluster.description, { attemptTimeoutMs: 500, deadlineMs: 300_000 });
    const call = client.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 10, size: 1, timestamp: 1 }).then(() => undefined, (error: unknown) => error);
    await until(() => client.stats.retries > 0, 'the client to send the call again');
    await client.close();
    const failure = await call;
    expect(failure).toBeInstanceOf(LobError);
    expect((failure as LobError).code).toBe('NOT_OPEN');
  }, 30_000);

  it('a follower and a replay stop at a hole in the stream, read again from it, and give up naming it when it stays, handing on nothing past it', async () => {
    // A stream with a hole (a shard's stream denies deletes; this one is made to have one).
    const jsm = await managerOf(admin);
    const holed = `LOBCORE_GAPTEST_${process.pid}`;
    // Asked as the cluster asks (untilAnswered): right after the frozen servers' tests, JetStream
    // may answer "temporarily unavailable" while its meta leader settles. Each publish has a
    // message id, so one sent again is not stored twice.
    await untilAnswered('the test stream', () => jsm.streams.add({ name: holed, subjects: [`lobcoretest.${process.pid}.gap`], num_replicas: 1 }));
    const js = jetstream(admin, { timeout: 30_000 });
    for (let i = 1; i <= 5; i++) {
      await untilAnswered(`message ${i}`, () => js.publish(`lobcoretest.${process.pid}.gap`, new Uint8Array([i]), { msgID: `gap-${i}` }));
    }
    await untilAnswered('the deletion of message 3', () => jsm.streams.deleteMessage(holed, 3));
    const handed: number[] = [];
    const lines: string[] = [];
    const missing: Array<[number, number]> = [];
    const follower = new StreamFollower(admin, {
      stream: holed, onRecord: (_bytes, seq) => { handed.push(seq); }, log: (line) => lines.push(line), onMissing: (seq, next) => { missing.push([seq, next]); },
    });
    follower.start(1);
    try {
      await until(() => missing.length > 0, 'the follower to give up at the hole');
    } finally {
      await follower.stop();
    }
    expect(handed).toEqual([1, 2]);
    expect(follower.position).toBe(3);
    expect(missing).toEqual([[3, 4]]);
    expect(lines[0]).toBe(`${holed}: seq 4 delivered while seq 3 was due: reopening the consumer at seq 3`);
    expect(lines.at(-1)).toBe(`${holed}: no record at seq 3 (3 consumers in a row delivered seq 4 next): it was deleted or trimmed; stopping`);
    const state = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    try {
      await expect(applyStream(admin, holed, state, 1, 5, () => undefined, 60_000))
        .rejects.toThrow(`${holed}: no record at seq 3 (3 consumers in a row delivered seq 4 next): it was deleted or trimmed, and nothing past it can be applied`);
      expect(state.judgedThrough).toBe(2);
    } finally {
      await state.close();
      await jsm.streams.delete(holed);
    }
  }, 90_000);

  it('a replay that keeps reading is not cut short by a deadline counted from its start', async () => {
    // A long replay (a verification of a big stream on a busy machine) meets a consumer that comes
    // back empty after more than timeoutMs of reading: that is no stall of the reading.
    const jsm = await managerOf(admin);
    const slow = `LOBCORE_SLOWTEST_${process.pid}`;
    const subject = `lobcoretest.${process.pid}.slow`;
    await untilAnswered('the test stream', () => jsm.streams.add({ name: slow, subjects: [subject], num_replicas: 1 }));
    const js = jetstream(admin, { timeout: 30_000 });
    await untilAnswered('the claim', () => js.publish(subject, encodeRecord({ kind: RecordKind.CLAIM, shard: 0, epoch: 1, batchSeq: 1, clientId: 0, requestSeq: 0, prevHash: ZERO_HASH }), { msgID: 'slow-1' }));
    const state = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    let appended: Promise<unknown> | undefined;
    try {
      // Applying the first record takes longer than the whole timeout; the second record comes 4 s later.
      await applyStream(admin, slow, state, 1, 2, () => {
        const until = Date.now() + 9_000;
        while (Date.now() < until) { /* a slow apply */ }
        setTimeout(() => { appended = js.publish(subject, new Uint8Array(5), { msgID: 'slow-2' }); }, 4_000);
      }, 8_000);
      expect(state.judgedThrough).toBe(2);
    } finally {
      await appended?.catch(() => undefined);
      await state.close();
      await jsm.streams.delete(slow);
    }
  }, 90_000);

  it('a follower on a closed connection ends instead of reopening its consumer for good', async () => {
    const nc = await connectAs(runDir, cluster.description, ADMIN_ROLE);
    await nc.close();
    const follower = new StreamFollower(nc, { stream, onRecord: () => undefined });
    follower.start(1);
    const inside = follower as unknown as { running: boolean };
    await until(() => !inside.running, 'the follower to end');
    await follower.stop();
    expect(follower.reopens).toBe(0);
  }, 30_000);
});
