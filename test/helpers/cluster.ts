// A real cluster for the cluster suites: three nats-server processes and every shard member as
// a process of its own, plus the bookkeeping of what a client saw answered.
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { CommandBatch } from '../../src/batch.js';
import { ClusterClient } from '../../src/cluster/client.js';
import { shardSubjects } from '../../src/cluster/layout.js';
import { LocalCluster, type LocalClusterOptions } from '../../src/cluster/local-cluster.js';
import type { MemberEvent } from '../../src/cluster/member.js';
import { connectAs } from '../../src/cluster/nats/connect.js';
import { ADMIN_ROLE } from '../../src/cluster/nats/roles.js';
import { streamInfo } from '../../src/cluster/streams.js';
import { verifyCluster, type AnsweredRequest, type ShardVerdict } from '../../src/cluster/verify.js';

export interface TestCluster {
  local: LocalCluster;
  admin: NatsConnection;
  client: ClusterClient;
  events: Array<{ at: number; shard: number; member: number; event: MemberEvent }>;
  answered: AnsweredRequest[];
  stop(): Promise<void>;
}

export async function startTestCluster(options: LocalClusterOptions = {}): Promise<TestCluster> {
  const events: TestCluster['events'] = [];
  const local = await LocalCluster.start({
    shards: 2, assets: 4, members: 3, checkpointEvery: 5, leaderTimeoutMs: 1_000, ...options,
    onEvent: (shard, member, event) => events.push({ at: Date.now(), shard, member, event }),
  });
  const admin = await connectAs(local.runDir, local.description, ADMIN_ROLE);
  const client = await ClusterClient.connect(local.runDir, local.description, { attemptTimeoutMs: 1_000, deadlineMs: 60_000 });
  return {
    local, admin, client, events, answered: [],
    async stop() {
      await client.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
      await local.stop();
    },
  };
}

/**
 * The cluster of the describe block this is called in: started before its first test and stopped
 * after its last (after the block's own afterAll hooks, which vitest runs last-registered first).
 * The object is filled in when the cluster has started, so that the block can name it up front.
 */
export function clusterPerSuite(options?: LocalClusterOptions): TestCluster {
  const cluster = {} as TestCluster;
  beforeAll(async () => {
    Object.assign(cluster, await startTestCluster(options));
  }, 90_000);
  afterAll(async () => {
    await cluster.stop?.();
  });
  return cluster;
}

/** A batch of `count` resting orders on `asset`, prices spread so that none trade. */
export function restingBatch(asset: number, count: number, firstTimestamp: number): CommandBatch {
  const batch = new CommandBatch(count);
  for (let i = 0; i < count; i++) batch.limit(1 + (i % 7), asset, i % 2 === 0 ? 'bid' : 'ask', i % 2 === 0 ? 1_000 - (i % 50) : 1_100 + (i % 50), 1 + (i % 9), firstTimestamp + i);
  return batch;
}

/** Sends `requests` batches to the shard holding `asset`, `window` at a time; records what was answered. */
export async function drive(t: TestCluster, asset: number, requests: number, window = 4, onAnswered?: (n: number) => void | Promise<void>): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < requests) {
      const i = next++;
      const reply = await t.client.submitBatch(restingBatch(asset, 100, 1 + i * 100));
      t.answered.push({ shard: reply.shard, streamSeq: reply.streamSeq });
      done++;
      await onAnswered?.(done);
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
}

export function verify(t: TestCluster): Promise<ShardVerdict[]> {
  return verifyCluster(t.local, t.admin, t.answered, t.client.clientId);
}

export async function streamLeaderNode(t: TestCluster, shard: number): Promise<number> {
  const name = (await streamInfo(t.admin, shardSubjects(t.local.description.layout.clusterId, shard).stream)).cluster?.leader;
  return t.local.description.nodes.findIndex((n) => n.name === name);
}

export function eventsOf(t: TestCluster, shard: number, member: number, kind: MemberEvent['kind']): MemberEvent[] {
  return t.events.filter((e) => e.shard === shard && e.member === member && e.event.kind === kind).map((e) => e.event);
}

/** Resolves once `condition()` holds, asked every few milliseconds; rejects after the timeout. */
export async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
