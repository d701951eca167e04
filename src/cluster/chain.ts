// The hash chain every member of a shard walks the stream with. A record is applied only when it
// is the next link: one position further, naming the current head's hash, and from the leader
// in power (a claim must name the next epoch, a batch must repeat it). Anything else in the stream
// (a duplicate JetStream kept, a deposed leader's record, garbage) is skipped, and since the rule
// reads only the stream, every member skips exactly the same records.
//
// A claim must name exactly the next epoch, head.epoch + 1, which is what every member's claim
// carries (ShardLeader.claim): claims at one position race on JetStream's expected last
// sequence, so of those that name the same head one is stored and the others never reach the
// stream, and nothing honest ever skips an epoch. Accepting any higher epoch let one bogus
// claim (epoch 2^53, Infinity) make every later honest claim stale for good. Numbers that are
// not safe integers in range are 'malformed' (decodeRecord refuses them).
import { sameBytes } from './wire/bytes.js';
import { decodeRecord, recordHash, RecordKind, ZERO_HASH, type DecodedRecord } from './wire/record.js';

export interface ChainHead {
  shard: number;
  /** Position of the last applied record (0: nothing yet). */
  batchSeq: number;
  /** The epoch in power, raised by each applied claim. */
  epoch: number;
  /** Member id whose claim opened the epoch. */
  leader: number;
  /** sha256 of the last applied record. */
  hash: Uint8Array;
  /** Stream sequence of the last applied record. */
  streamSeq: number;
}

export type SkipReason = 'malformed' | 'other-shard' | 'behind' | 'ahead' | 'wrong-link' | 'stale-epoch';

export type Judgement =
  | { apply: true; record: DecodedRecord }
  | { apply: false; reason: SkipReason };

export function genesis(shard: number): ChainHead {
  return { shard, batchSeq: 0, epoch: 0, leader: -1, hash: ZERO_HASH, streamSeq: 0 };
}

export function judge(head: ChainHead, bytes: Uint8Array): Judgement {
  let record: DecodedRecord;
  try {
    record = decodeRecord(bytes);
  } catch {
    return { apply: false, reason: 'malformed' };
  }
  if (record.shard !== head.shard) return { apply: false, reason: 'other-shard' };
  if (record.batchSeq <= head.batchSeq) return { apply: false, reason: 'behind' };
  if (record.batchSeq !== head.batchSeq + 1) return { apply: false, reason: 'ahead' };
  if (!sameBytes(record.prevHash, head.hash)) return { apply: false, reason: 'wrong-link' };
  const epochOk = record.kind === RecordKind.CLAIM ? record.epoch === head.epoch + 1 : record.epoch === head.epoch;
  if (!epochOk) return { apply: false, reason: 'stale-epoch' };
  return { apply: true, record };
}

/** The head after applying `record` (bytes) found at `streamSeq`; `hash` when the caller already has it. */
export function advance(head: ChainHead, record: DecodedRecord, bytes: Uint8Array, streamSeq: number, hash = recordHash(bytes)): ChainHead {
  return {
    shard: head.shard,
    batchSeq: record.batchSeq,
    epoch: record.epoch,
    leader: record.kind === RecordKind.CLAIM ? record.requestSeq : head.leader,
    hash,
    streamSeq,
  };
}
