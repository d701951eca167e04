// The end-of-run check of a cluster: each shard's committed stream replayed in memory under the
// members' chain rule, every live member's state compared with it once it has applied the
// whole chain, and the answers a client got matched with what the stream holds.
import type { NatsConnection } from '@nats-io/transport-node';
import type { BackendName } from '../types.js';
import { shardSubjects } from './layout.js';
import type { LocalCluster } from './local-cluster.js';
import type { MemberStatus } from './member.js';
import { replayStream, type StreamReplay } from './replay.js';

/** A request a client saw committed: on which shard, at which stream sequence. */
export interface AnsweredRequest {
  shard: number;
  streamSeq: number;
}

export interface ShardVerdict {
  shard: number;
  streamLastSeq: number;
  chainLength: number;
  epochs: number;
  claims: number;
  skipped: number;
  replayHash: string;
  /**
   * `behind`: the member had not applied the whole chain when the check gave up waiting (it was
   * still catching up or had stopped applying), which `equal` false alone would not tell apart
   * from a state that differs.
   */
  members: Array<{ member: number; role: string; streamSeq: number; batchSeq: number; stateHash: string; equal: boolean; behind: boolean; skipped: number }>;
  hashesEqual: boolean;
  answeredInStream: boolean;
  noneTwice: boolean;
  /** The client's requests are in the stream in the order it sent them (failovers included). */
  inOrder: boolean;
  replay: StreamReplay;
}

/**
 * `quietMs`: how long the members may go without applying a record before the check stops waiting
 * for them. A deadline counted from the start would fail a member still catching up on a loaded
 * machine; one counted from the last progress fails only a member that has stopped.
 */
export async function verifyCluster(
  local: LocalCluster, admin: NatsConnection, answered: readonly AnsweredRequest[], clientId: number, backend?: BackendName, quietMs = 60_000,
): Promise<ShardVerdict[]> {
  const layout = local.description.layout;
  const patience = new Patience(quietMs);
  const replay = (shard: number): Promise<StreamReplay> => replayStream(admin, shard, shardSubjects(layout.clusterId, shard).stream, backend);
  const replays: StreamReplay[] = [];
  for (const s of layout.shards) replays.push(await replay(s.shard));
  for (;;) {
    const statuses = await settledStatuses(local, replays, patience);
    // A member past the replay read a record appended since (a claim by a member that missed
    // a few heartbeats on a busy machine): read that shard's stream again and compare anew.
    const grown = layout.shards.filter((s) => statuses.some((st) => st.shard === s.shard && st.batchSeq > replays[s.shard].head.batchSeq));
    if (grown.length === 0 || patience.spent()) {
      return replays.map((r) => shardVerdict(r, statuses.filter((st) => st.shard === r.shard), answered, clientId));
    }
    for (const s of grown) replays[s.shard] = await replay(s.shard);
  }
}

/** A wait that runs out only after `quietMs` without progress. */
class Patience {
  private lastProgress = Date.now();
  /** Records applied, summed over the members, when last polled. */
  private applied = -1;

  constructor(private readonly quietMs: number) {}

  /** Notes how far the members have got; a sum that grew restarts the wait. */
  observe(statuses: readonly MemberStatus[]): void {
    const applied = statuses.reduce((sum, st) => sum + st.batchSeq, 0);
    if (applied > this.applied) {
      this.applied = applied;
      this.lastProgress = Date.now();
    }
  }

  spent(): boolean {
    return Date.now() - this.lastProgress > this.quietMs;
  }
}

/** Waits until every live member has applied its shard's whole chain, then reads them all. */
async function settledStatuses(local: LocalCluster, replays: StreamReplay[], patience: Patience): Promise<MemberStatus[]> {
  for (;;) {
    const statuses: MemberStatus[] = [];
    for (const handle of local.supervisor.all()) {
      if (local.supervisor.running(handle.shard, handle.member)) statuses.push(await local.supervisor.status(handle.shard, handle.member));
    }
    patience.observe(statuses);
    const settled = statuses.every((st) => st.batchSeq >= replays[st.shard].head.batchSeq);
    if (settled || patience.spent()) return statuses;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function shardVerdict(
  replay: StreamReplay, statuses: MemberStatus[], answered: readonly AnsweredRequest[], clientId: number,
): ShardVerdict {
  const bySeq = new Map(replay.requests.map((r) => [r.streamSeq, r]));
  const mine = answered.filter((a) => a.shard === replay.shard);
  const answeredInStream = mine.every((a) => bySeq.get(a.streamSeq)?.clientId === clientId)
    && replay.requests.filter((r) => r.clientId === clientId).length === mine.length;
  const ids = new Set(replay.requests.map((r) => `${r.clientId}.${r.requestSeq}`));
  return {
    shard: replay.shard,
    streamLastSeq: replay.lastSeq,
    chainLength: replay.head.batchSeq,
    epochs: 0,
    claims: replay.claims,
    skipped: Object.values(replay.skipped).reduce((a, b) => a + b, 0),
    replayHash: replay.stateHash,
    members: statuses.map((st) => ({ member: st.member, role: st.role, streamSeq: st.streamSeq, batchSeq: st.batchSeq, stateHash: st.stateHash, equal: st.stateHash === replay.stateHash && st.batchSeq === replay.head.batchSeq, behind: st.batchSeq < replay.head.batchSeq, skipped: Object.values(st.skipped).reduce((a, b) => a + b, 0) })),
    hashesEqual: statuses.length > 0 && statuses.every((st) => st.stateHash === replay.stateHash && st.batchSeq === replay.head.batchSeq),
    answeredInStream,
    noneTwice: ids.size === replay.requests.length,
    inOrder: replay.requests.filter((r) => r.clientId === clientId).every((r, i, all) => i === 0 || all[i - 1].requestSeq < r.requestSeq),
    replay,
  };
}
