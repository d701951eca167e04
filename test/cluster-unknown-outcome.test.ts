// The one answer no other test reached: `unknown-outcome`. A member restarted from its own state
// knows which requests its chain applied only from the height it reopened at; made leader, it is
// sent again a request committed before that height. JetStream answers the append as a duplicate
// of the stored record, and the leader, which cannot tell from its chain whether that record was
// applied, says so rather than vouch for a write (docs/scale-out.md, "Clients, retries and answers").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardSubjects } from '../src/cluster/layout.js';
import { connectAs } from '../src/cluster/nats/connect.js';
import { CLIENT_ROLE } from '../src/cluster/nats/roles.js';
import { ClusterReply } from '../src/cluster/wire/reply.js';
import { encodeRequest } from '../src/cluster/wire/request.js';
import { streamInfo } from '../src/cluster/streams.js';
import { eventsOf, restingBatch, startTestCluster, until, verify, type TestCluster } from './helpers/cluster.js';

describe('a request sent again to a leader that restarted after it was committed', () => {
  let t: TestCluster;

  beforeAll(async () => {
    t = await startTestCluster({ shards: 1, assets: 2 });
  }, 90_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('is answered unknown-outcome, and every member still agrees', async () => {
    const nc = await connectAs(t.local.runDir, t.local.description, CLIENT_ROLE);
    const subjects = shardSubjects(t.local.description.layout.clusterId, 0);
    const batch = restingBatch(0, 3, 1);
    const request = encodeRequest(0, 4_242, 1, batch.bytes());
    /** Sends the request until a leader answers it (a leader being elected answers nothing). */
    const send = async (): Promise<ClusterReply> => {
      for (;;) {
        try {
          const reply = new ClusterReply((await nc.request(subjects.submit, request, { timeout: 2_000 })).data, batch.slots);
          if (reply.status !== 'not-leader') return reply;
        } catch {
          // no leader this instant: send again
        }
      }
    };
    try {
      const first = await send();
      expect(first.status).toBe('committed');
      for (let i = 0; i < 3; i++) {
        const reply = await t.client.submitBatch(restingBatch(1, 3, 100 * (i + 1)));
        t.answered.push({ shard: 0, streamSeq: reply.streamSeq });
      }
      const last = (await streamInfo(t.admin, subjects.stream)).state.last_seq;
      const leader = t.local.supervisor.leaderOf(0) as number;
      const followers = [0, 1, 2].filter((m) => m !== leader);
      // Each follower restarts from its own state, past the request's record.
      for (const member of followers) {
        while ((await t.local.supervisor.status(0, member)).streamSeq < last) await new Promise((resolve) => setTimeout(resolve, 50));
        await t.local.supervisor.kill(0, member);
        await t.local.supervisor.start(0, member);
        const ready = eventsOf(t, 0, member, 'ready').at(-1) as { recovered: { streamSeq: number } };
        expect(ready.recovered.streamSeq).toBeGreaterThan(first.streamSeq);
      }
      await t.local.supervisor.kill(0, leader);
      await until(() => followers.includes(t.local.supervisor.leaderOf(0) as number), 'a restarted member to lead');

      const again = await send();
      expect(again.status).toBe('unknown-outcome');
      expect(again.message).toMatch(new RegExp(`its message id is stored at seq ${first.streamSeq}, before anything this member has seen \\(from seq \\d+\\); it cannot tell whether it was applied`));
    } finally {
      await nc.close();
    }
    // The test client's requests (not the one sent by hand, of another client id) once each, and every live member equal.
    const [shard0] = await verify(t);
    expect(shard0).toMatchObject({ hashesEqual: true, answeredInStream: true, noneTwice: true });
  }, 180_000);
});
