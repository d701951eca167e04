// Reads a shard's whole stream and applies it to a fresh in-memory state machine under the same
// chain rule the members use: the reference every member's state hash is compared with, and
// the list of requests the stream committed (each must appear once).
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { LobError } from '../errors.js';
import type { BackendName } from '../types.js';
import { FAILOVER_DEADLINE_MS } from './nats/retry.js';
import { GAP_REOPENS_BEFORE_MISSING, deliveryOf } from './follower.js';
import { streamInfo } from './streams.js';
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
 * `onApplied` for every record the chain accepted. Reads in fetches, and opens a new consumer
 * after the last record applied when one fails, comes back empty or skips a sequence (a server that died, a
 * stream leader being elected), until `timeoutMs` passes without a record read.
 */
export async function applyStream(
  nc: NatsConnection, stream: string, state: ShardState, fromSeq: number, lastSeq: number,
  onApplied: (outcome: Extract<ApplyOutcome, { applied: true }>, streamSeq: number) => void = () => {}, timeoutMs = FAILOVER_DEADLINE_MS,
): Promise<void> {
  const js = jetstream(nc, { timeout: 5_000 });
  // Counted from the last record read, not from the start: a long replay (a big stream, a busy
  // machine) whose consumer came back empty once after timeoutMs of steady reading ended UNAVAILABLE.
  let deadline = Date.now() + timeoutMs;
  let next = fromSeq;
  let lastProblem = 'no record delivered';
  let gapAt = 0;
  let gaps = 0;
  while (next <= lastSeq) {
    try {
      const consumer = await js.consumers.get(stream, { opt_start_seq: next });
      for (;;) {
        let got = 0;
        let gap = false;
        for await (const message of await consumer.fetch({ max_messages: 512, expires: 2_000 })) {
          const delivery = deliveryOf(message.seq, next);
          if (delivery === 'old') continue;
          if (delivery === 'gap') {
            gaps = gapAt === next ? gaps + 1 : 1;
            gapAt = next;
            if (gaps >= GAP_REOPENS_BEFORE_MISSING) {
              throw new LobError('CORRUPTION', `${stream}: no record at seq ${next} (${gaps} consumers in a row delivered seq ${message.seq} next): it was deleted or trimmed, and nothing past it can be applied`);
            }
            lastProblem = `seq ${message.seq} delivered while seq ${next} was due`;
            gap = true;
            break;
          }
          const outcome = state.apply(message.data, message.seq);
          if (outcome.applied) onApplied(outcome, message.seq);
          next = message.seq + 1;
          got++;
        }
        if (got > 0) deadline = Date.now() + timeoutMs;
        if (gap || got === 0 || next > lastSeq) break;
      }
    } catch (error) {
      if (error instanceof LobError) throw error; // from applying, not from reading: asking again changes nothing
      // A consumer on a server that died, or asked for while the stream elects a leader: open another.
      lastProblem = (error as Error).message;
    }
    if (next <= lastSeq) {
      if (Date.now() > deadline) throw new LobError('UNAVAILABLE', `${stream}: read up to seq ${next - 1} of ${lastSeq}, and nothing more in ${timeoutMs} ms (last: ${lastProblem})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export async function replayStream(nc: NatsConnection, shard: number, stream: string, backend?: BackendName): Promise<StreamReplay> {
  const lastSeq = (await streamInfo(nc, stream)).state.last_seq;
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
