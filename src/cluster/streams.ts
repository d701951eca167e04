// Each shard's stream: created once, when a cluster is made, replicated (R3 on three servers),
// on disk, never purged or trimmed (replicas replay it from any checkpoint), with a duplicate
// window that is the longest a client may keep retrying one request; and its state as its
// current leader server reports it, asked again through an election.
import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ClusterDescription } from './nats/description.js';
import { FAILOVER_DEADLINE_MS, untilAnswered } from './nats/retry.js';
import { shardSubjects } from './layout.js';

/** How long JetStream remembers a message id: a retried request inside it is a duplicate. */
export const DUPLICATE_WINDOW_MS = 5 * 60_000;

export async function createShardStreams(admin: NatsConnection, description: ClusterDescription, timeoutMs = FAILOVER_DEADLINE_MS): Promise<void> {
  const jsm = await managerOf(admin);
  const deadline = Date.now() + timeoutMs;
  for (const spec of description.layout.shards) {
    const subjects = shardSubjects(description.layout.clusterId, spec.shard);
    // Asking again after an answer that was lost is harmless: the same config again is accepted as is.
    await untilAnswered(`creating stream ${subjects.stream}`, () => jsm.streams.add({
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
    }), { deadlineMs: Math.max(0, deadline - Date.now()) });
  }
}

/** The stream's info from its leader server; asked again while there is none (an election) until the deadline, then UNAVAILABLE. */
export async function streamInfo(nc: NatsConnection, stream: string, deadlineMs = FAILOVER_DEADLINE_MS): Promise<StreamInfo> {
  const jsm = await managerOf(nc);
  return untilAnswered(`stream ${stream}'s info`, () => jsm.streams.info(stream), { deadlineMs });
}

/** The record stored at `seq` (null: the stream does not hold it), asked again through an election until the deadline, then UNAVAILABLE. */
export async function storedRecord(nc: NatsConnection, stream: string, seq: number, deadlineMs = FAILOVER_DEADLINE_MS): Promise<Uint8Array | null> {
  const jsm = await managerOf(nc);
  const stored = await untilAnswered(`stream ${stream}'s record at seq ${seq}`, () => jsm.streams.getMessage(stream, { seq }), { deadlineMs });
  return stored === null ? null : stored.data;
}

/**
 * True only when the servers say the stream does not exist (it was deleted). A stream electing
 * its leader has no responders for appends either, but its info is answered; and no answer
 * within `timeoutMs` proves nothing, so it is false too.
 */
export async function streamMissing(nc: NatsConnection, stream: string, timeoutMs: number): Promise<boolean> {
  const jsm = await managerOf(nc, timeoutMs);
  try {
    await jsm.streams.info(stream);
    return false;
  } catch (error) {
    return isStreamNotFound(error);
  }
}

/** The servers' word that a stream does not exist: an API error, or a consumer ended by it (the client's own "stream not found"). */
export function isStreamNotFound(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return error.code === JetStreamApiCodes.StreamNotFound;
  return error instanceof Error && error.message === 'stream not found';
}

/**
 * A JetStream manager that asks nothing when it is made (by default one asks for the account's
 * info, a request of its own that can time out): each call it makes is retried where it is made.
 */
export function managerOf(nc: NatsConnection, timeoutMs?: number): Promise<JetStreamManager> {
  return jetstreamManager(nc, { checkAPI: false, ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }) });
}
