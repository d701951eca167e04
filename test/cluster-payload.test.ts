// Messages near the servers' max_payload (8 MB, cluster/nats-node.conf.template) on a real
// cluster: a batch's answer can be more than twice its request (every resting order has its
// result and two events, accepted and rested), so a request that travels can have an answer
// that cannot; and a request past the limit can never travel at all.
import { describe, expect, it } from 'vitest';
import { shardSubjects } from '../src/cluster/layout.js';
import { connectAs } from '../src/cluster/nats/connect.js';
import { CLIENT_ROLE } from '../src/cluster/nats/roles.js';
import { encodeRequest } from '../src/cluster/wire/request.js';
import { ClusterReply } from '../src/cluster/wire/reply.js';
import { clusterPerSuite, restingBatch, verify } from './helpers/cluster.js';

describe('cluster messages past max_payload', () => {
  const t = clusterPerSuite({ shards: 1, assets: 2, persistent: false });

  it('refuses a request that travels but whose stream append would be past max_payload, and goes on leading', async () => {
    const subjects = shardSubjects(t.local.description.layout.clusterId, 0);
    const nc = await connectAs(t.local.runDir, t.local.description, CLIENT_ROLE);
    try {
      // 87,381 commands: a request of 8,388,600 bytes, under the 8,388,608 limit; its append (a
      // record of 8,388,656 bytes, and headers), over it.
      const batch = restingBatch(0, 87_381, 1);
      const answer = await nc.request(subjects.submit, encodeRequest(0, 55_555, 1, batch.bytes()), { timeout: 30_000 });
      expect(new ClusterReply(answer.data, batch.slots)).toMatchObject({
        status: 'rejected', message: "request.commands: 87381 commands need up to 8388912 bytes as a stream append (record and headers), past the servers' max_payload of 8388608",
      });
    } finally {
      await nc.close();
    }
    const next = await t.client.submitBatch(restingBatch(0, 1, 1));
    expect(next.status).toBe('committed');
    t.answered.push({ shard: 0, streamSeq: next.streamSeq });
  }, 120_000);

  it('answers a committed batch whose answer is past max_payload as committed without its results, once', async () => {
    // 3.8 MB of commands; 40,000 x (5 result slots + 2 events x 12 slots) x 8 bytes = 9.3 MB of answer.
    const client = t.client;
    const reply = await client.submitBatch(restingBatch(0, 40_000, 1));
    expect([reply.status, reply.shard, reply.results.count]).toEqual(['duplicate-forgotten', 0, 0]);
    expect(reply.streamSeq).toBeGreaterThan(0);
    t.answered.push({ shard: 0, streamSeq: reply.streamSeq });
    const next = await client.submitBatch(restingBatch(0, 1, 40_001));
    expect(next.status).toBe('committed');
    t.answered.push({ shard: 0, streamSeq: next.streamSeq });
    const [shard0] = await verify(t);
    expect(shard0.replay.requests.filter((r) => r.clientId === client.clientId).map((r) => r.commands)).toEqual([1, 40_000, 1]);
    expect(shard0.hashesEqual && shard0.answeredInStream && shard0.noneTwice).toBe(true);
  }, 120_000);

  it('refuses at once a batch whose stream append would be past max_payload, naming it, sending nothing', async () => {
    const client = t.client;
    const retries = client.stats.retries;
    const requests = client.stats.requests;
    // 87,381 x 96 bytes: a request of 8,388,600 bytes travels, its append could not.
    for (const [count, bytes] of [[87_381, 8_388_912], [90_000, 8_640_336]]) {
      await expect(client.submitBatch(restingBatch(0, count, 1))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: `batch of ${count} commands needs up to ${bytes} bytes as a stream append, past the servers' max_payload of 8388608: send it in smaller batches`,
      });
    }
    expect([client.stats.requests, client.stats.retries]).toEqual([requests, retries]);
  }, 90_000);
});
