// Who may do what on the cluster, tried for real against three nats-server processes started
// from the run's generated configs: no anonymous access, replicas cannot append, each role is
// held to its own shard, clients only submit. And the same cluster over TLS with a CA made here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { readSeed } from '../src/cluster/nats/credentials.js';
import { jetstream } from '@nats-io/jetstream';
import { roundRobinLayout, shardSubjects } from '../src/cluster/layout.js';
import { connectAs } from '../src/cluster/nats/connect.js';
import { ADMIN_ROLE, CLIENT_ROLE, leaderRole, replicaRole } from '../src/cluster/nats/roles.js';
import { NatsCluster } from '../src/cluster/nats/servers.js';
import { createShardStreams, managerOf, storedRecord, streamInfo } from '../src/cluster/streams.js';
import { encodeRecord, RecordKind, ZERO_HASH } from '../src/cluster/wire/record.js';

const RECORD = encodeRecord({ kind: RecordKind.CLAIM, shard: 0, epoch: 1, batchSeq: 1, clientId: 0, requestSeq: 9, prevHash: ZERO_HASH });

async function lastSeq(admin: NatsConnection, stream: string): Promise<number> {
  return (await streamInfo(admin, stream)).state.last_seq;
}

/** Publishes and waits for the server's verdict on it: a permission violation closes nothing but is reported. */
async function publishRefused(nc: NatsConnection, subject: string): Promise<string> {
  try {
    await jetstream(nc, { timeout: 2_000 }).publish(subject, RECORD, { timeout: 2_000 });
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('cluster permissions', () => {
  let runDir: string;
  let cluster: NatsCluster;
  let admin: NatsConnection;
  const layout = roundRobinLayout(2, 4);
  const s0 = shardSubjects(layout.clusterId, 0);
  const s1 = shardSubjects(layout.clusterId, 1);

  beforeAll(async () => {
    runDir = mkdtempSync(join(tmpdir(), 'lobcore-security-'));
    cluster = await NatsCluster.start({ runDir, layout });
    admin = await connectAs(runDir, cluster.description, ADMIN_ROLE);
    await createShardStreams(admin, cluster.description);
  });

  afterAll(async () => {
    await admin?.close();
    await cluster?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('refuses a connection without credentials: it can neither publish nor read', async () => {
    await expect(connect({ servers: cluster.servers, timeout: 2_000, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/);
    await expect(connect({ servers: cluster.servers, user: 'route', pass: 'guess', timeout: 2_000, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/);
  });

  it("lets a replica read its own shard's stream but never append to it", async () => {
    const leader = await connectAs(runDir, cluster.description, leaderRole(0));
    const ack = await jetstream(leader).publish(s0.log, RECORD, { msgID: 'security-1', expect: { lastSequence: 0 } });
    expect(ack.seq).toBe(1);
    await leader.close();

    const replica = await connectAs(runDir, cluster.description, replicaRole(0));
    expect(await publishRefused(replica, s0.log)).toMatch(/Permissions Violation for Publish to "lobcore\.[0-9a-f]+\.s0\.log"/);
    const stored = await storedRecord(replica, s0.stream, 1);
    expect(stored?.byteLength).toBe(RECORD.byteLength);
    const consumer = await jetstream(replica).consumers.get(s0.stream, { opt_start_seq: 1 });
    expect((await consumer.next({ expires: 2_000 }))?.seq).toBe(1);
    await replica.close();
    expect(await lastSeq(admin, s0.stream)).toBe(1);
  });

  it("holds a replica to its own shard: shard 1's stream is closed to it", async () => {
    const replica = await connectAs(runDir, cluster.description, replicaRole(0));
    await expect((await managerOf(replica)).streams.info(s1.stream)).rejects.toThrow(/Permissions Violation|timeout/i);
    expect(await publishRefused(replica, s1.log)).toMatch(/Permissions Violation/);
    await replica.close();
  });

  it("holds a leader to its own shard's log", async () => {
    const leader = await connectAs(runDir, cluster.description, leaderRole(0));
    expect(await publishRefused(leader, s1.log)).toMatch(/Permissions Violation for Publish to "lobcore\.[0-9a-f]+\.s1\.log"/);
    await leader.close();
    expect(await lastSeq(admin, s1.stream)).toBe(0);
  });

  it('lets a client submit requests and nothing else: no appends, no reading a stream', async () => {
    const client = await connectAs(runDir, cluster.description, CLIENT_ROLE);
    expect(await publishRefused(client, s0.log)).toMatch(/Permissions Violation/);
    await expect((await jetstream(client)).consumers.get(s0.stream, { opt_start_seq: 1 })).rejects.toThrow(/Permissions Violation|timeout/i);
    // A submit with no leader listening: the server lets it through and says nobody answers.
    await expect(client.request(s0.submit, new Uint8Array(1), { timeout: 1_000 })).rejects.toThrow(/no responders|503/i);
    await client.close();
    expect(await lastSeq(admin, s0.stream)).toBe(1);
  });
});

describe('cluster over TLS', () => {
  it('serves clients that trust the run CA and refuses plaintext', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'lobcore-tls-'));
    const layout = roundRobinLayout(1, 2);
    const cluster = await NatsCluster.start({ runDir, layout, tls: true });
    try {
      expect(cluster.servers.every((url) => url.startsWith('tls://'))).toBe(true);
      const admin = await connectAs(runDir, cluster.description, ADMIN_ROLE);
      await createShardStreams(admin, cluster.description);
      const leader = await connectAs(runDir, cluster.description, leaderRole(0));
      const ack = await jetstream(leader).publish(shardSubjects(layout.clusterId, 0).log, RECORD, { msgID: 'tls-1' });
      expect(ack.seq).toBe(1);
      await leader.close();
      await admin.close();
      // The admin's own key, but without TLS: the servers require it.
      const plain = cluster.servers.map((url) => url.replace('tls://', 'nats://'));
      const seed = readSeed(runDir, cluster.description.credentials[ADMIN_ROLE]);
      await expect(connect({ servers: plain, authenticator: nkeyAuthenticator(seed), timeout: 2_000, maxReconnectAttempts: 0, tls: null }))
        .rejects.toThrow(/tls|secure/i);
    } finally {
      await cluster.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
