// Reads a shard's whole stream and applies it to a fresh in-memory state machine under the same
// chain rule the members use: the reference every member's state hash is compared with, and
// the list of requests the stream committed (each must appear once).
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BackendName } from '../types.js';
import type { ChainHead, SkipReason } from './chain.js';
import { ShardState, type ApplyOutcome } from './shard-state.js';

export interface CommittedRequest {
  clientId: number;
  requestSeq: number;
  streamSeq: number;
  commands: number;
}

export interface StreamReplay {
  shard: number;
  lastSeq: number;
  head: ChainHead;
  stateHash: string;
  /** Applied batches, in chain order. */
  requests: CommittedRequest[];
  claims: number;
  skipped: Record<SkipReason, number>;
  commands: number;
}

/**
 * Applies the stream's records from `fromSeq` through `lastSeq` to `state`, in order; calls
 * `onApplied` for every record the chain accepted.
 */
export async function applyStream(
  nc: NatsConnection, stream: string, state: ShardState, fromSeq: number, lastSeq: number,
  onApplied: (outcome: Extract<ApplyOutcome, { applied: true }>, streamSeq: number) => void = () => {},
): Promise<void> {
  if (lastSeq < fromSeq) return;
  const consumer = await jetstream(nc).consumers.get(stream, { opt_start_seq: fromSeq });
  const messages = await consumer.consume({ max_messages: 512 });
  for await (const message of messages) {
    const outcome = state.apply(message.data, message.seq);
    if (outcome.applied) onApplied(outcome, message.seq);
    if (message.seq >= lastSeq) break;
  }
  messages.stop();
}

export async function replayStream(nc: NatsConnection, shard: number, stream: string, backend?: BackendName): Promise<StreamReplay> {
  const jsm = await jetstreamManager(nc, { timeout: 5_000 });
  const lastSeq = (await jsm.streams.info(stream)).state.last_seq;
  const state = await ShardState.open({ shard, backend, checkpointEvery: Number.MAX_SAFE_INTEGER }, () => Promise.reject(new Error('in memory')));
  const requests: CommittedRequest[] = [];
  let claims = 0;
  try {
    await applyStream(nc, stream, state, 1, lastSeq, (outcome, streamSeq) => {
      if (outcome.kind === 'batch') requests.push({ clientId: outcome.clientId, requestSeq: outcome.requestSeq, streamSeq, commands: outcome.commands });
      else claims++;
    });
    return {
      shard, lastSeq, head: state.head, stateHash: state.stateHash(), requests, claims, skipped: { ...state.skipped }, commands: state.appliedCommands,
    };
  } finally {
    await state.close();
  }
}
