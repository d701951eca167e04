// Creates each shard's stream, once, when a cluster is made. Replicated (R3 on three servers),
// on disk, never purged or trimmed (replicas replay it from any checkpoint), with a duplicate
// window that is the longest a client may keep retrying one request.
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ClusterDescription } from './nats/description.js';
import { retryUntil } from './nats/servers.js';
import { shardSubjects } from './layout.js';

/** How long JetStream remembers a message id: a retried request inside it is a duplicate. */
export const DUPLICATE_WINDOW_MS = 5 * 60_000;

export async function createShardStreams(admin: NatsConnection, description: ClusterDescription, timeoutMs = 30_000): Promise<void> {
  const jsm: JetStreamManager = await jetstreamManager(admin);
  const deadline = Date.now() + timeoutMs;
  for (const spec of description.layout.shards) {
    const subjects = shardSubjects(description.layout.clusterId, spec.shard);
    await retryUntil(deadline, () => jsm.streams.add({
      name: subjects.stream,
      subjects: [subjects.log],
      num_replicas: description.streamReplicas,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
      allow_direct: true,
      deny_delete: true,
      deny_purge: true,
    }));
  }
}
