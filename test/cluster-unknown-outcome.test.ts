// The one answer no other test reached: `unknown-outcome`. A member restarted from its own state
// knows which requests its chain applied only from the height it reopened at; made leader, it is
// sent again a request committed before that height. Whether JetStream answers the append as a
// duplicate of the stored record, or refuses it for want of storage before it looks for its
// message id, the leader cannot tell from its chain whether that record was applied, and says so
// rather than vouch for a write (docs/scale-out.md, "Clients, retries and answers").
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { shardSubjects } from '../src/cluster/layout.js';
import { connectAs } from '../src/cluster/nats/connect.js';
import { CLIENT_ROLE } from '../src/cluster/nats/roles.js';
import { ClusterReply } from '../src/cluster/wire/reply.js';
import { encodeRequest } from '../src/cluster/wire/request.js';
import { streamInfo } from '../src/cluster/streams.js';
import { eventsOf, restingBatch, startTestCluster, until, verify, type TestCluster } from './helpers/cluster.js';

/** Sends request `requestSeq` of client 4,242 (`commands` resting orders) until a leader answers it (one being elected answers nothing). */
async function send(t: TestCluster, nc: NatsConnection, requestSeq: number, commands: number): Promise<ClusterReply> {
  const batch = restingBatch(0, commands, requestSeq * 10_000);
  const request = encodeRequest(0, 4_242, requestSeq, batch.bytes());
  const submit = shardSubjects(t.local.description.layout.clusterId, 0).submit;
  for (;;) {
    try {
      const reply = new ClusterReply((await nc.request(submit, request, { timeout: 10_000 })).data, batch.slots);
      if (reply.status !== 'not-leader') return reply;
    } catch {
      // no leader this instant: send again
    }
  }
}

/**
 * Commits request 1 of client 4,242 and a few of the test client's after it, restarts both
 * followers from their own state past it, kills the leader, and waits for a restarted member to
 * lead. Returns the request's stream sequence.
 */
async function leaderRestartedPastRequest(t: TestCluster, nc: NatsConnection, commands: number): Promise<number> {
  const first = await send(t, nc, 1, commands);
  expect(first.status).toBe('committed');
  for (let i = 0; i < 3; i++) {
    const reply = await t.client.submitBatch(restingBatch(1, 3, 100 * (i + 1)));
    t.answered.push({ shard: 0, streamSeq: reply.streamSeq });
  }
  const last = (await streamInfo(t.admin, shardSubjects(t.local.description.layout.clusterId, 0).stream)).state.last_seq;
  const leader = t.local.supervisor.leaderOf(0) as number;
  const followers = [0, 1, 2].filter((m) => m !== leader);
  for (const member of followers) {
    // Its flushes run behind what it applies: killed before the last one lands, it would reopen short of the request.
    while ((await t.local.supervisor.status(0, member)).flushedStreamSeq < last) await new Promise((resolve) => setTimeout(resolve, 50));
    await t.local.supervisor.kill(0, member);
    await t.local.supervisor.start(0, member);
    const ready = eventsOf(t, 0, member, 'ready').at(-1) as { recovered: { streamSeq: number } };
    expect(ready.recovered.streamSeq).toBeGreaterThan(first.streamSeq);
  }
  await t.local.supervisor.kill(0, leader);
  await until(() => followers.includes(t.local.supervisor.leaderOf(0) as number), 'a restarted member to lead');
  return first.streamSeq;
}

describe('a request sent again to a leader that restarted after it was committed', () => {
  let t: TestCluster | undefined;

  afterAll(async () => {
    await t?.stop();
  });

  it('is answered unknown-outcome when its id is stored before anything the leader has seen, and every member still agrees', async () => {
    t = await startTestCluster({ shards: 1, assets: 2 });
    const nc = await connectAs(t.local.runDir, t.local.description, CLIENT_ROLE);
    try {
      const storedSeq = await leaderRestartedPastRequest(t, nc, 3);
      const again = await send(t, nc, 1, 3);
      expect(again.status).toBe('unknown-outcome');
      expect(again.message).toMatch(new RegExp(`its message id is stored at seq ${storedSeq}, before anything this member has seen \\(from seq \\d+\\); it cannot tell whether it was applied`));
    } finally {
      await nc.close();
    }
    // The test client's requests (not the one sent by hand, of another client id) once each, and every live member equal.
    const [shard0] = await verify(t);
    expect(shard0).toMatchObject({ hashesEqual: true, answeredInStream: true, noneTwice: true });
  }, 180_000);
});

describe('a request sent again to a restarted leader when the servers\' storage is used up', () => {
  let t: TestCluster | undefined;

  afterAll(async () => {
    await t?.stop();
  });

  it('is answered unknown-outcome, not refused as if nothing were stored', async () => {
    t = await startTestCluster({ shards: 1, assets: 2, maxFileStoreBytes: 1 << 20 });
    const nc = await connectAs(t.local.runDir, t.local.description, CLIENT_ROLE);
    try {
      await leaderRestartedPastRequest(t, nc, 1_000);
      // Each new request is followed by request 1 again: the append after the one that used the
      // storage up is refused before the servers look for its id, and request 1's comes next.
      let again: ClusterReply | undefined;
      for (let requestSeq = 2; requestSeq <= 60 && again === undefined; requestSeq++) {
        const filler = await send(t, nc, requestSeq, 1_000);
        const retry = await send(t, nc, 1, 1_000);
        if (/refused it/.test(retry.message)) again = retry;
        else expect([filler.status, retry.status]).toEqual(['committed', 'unknown-outcome']);
      }
      expect(again?.status).toBe('unknown-outcome');
      expect(again?.message).toMatch(/^the stream refused it \(insufficient resources\) before looking for its message id, which may be stored before anything this member has seen \(from seq \d+\); it cannot tell whether it was applied$/);
    } finally {
      await nc.close();
    }
  }, 240_000);
});
