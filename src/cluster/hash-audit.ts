// Compares a member's state hashes with those its peers report for the same chain position.
// Every member of a shard passes through the same positions with the same state, so any two
// hashes for one position must be equal; a difference means a member diverged, and it is
// reported loudly rather than smoothed over. So must the record there: a position reached at
// another stream sequence or in another epoch is a fork, even under equal books.
import type { HashReport } from './wire/signals.js';

export interface Divergence {
  shard: number;
  batchSeq: number;
  streamSeq: number;
  ownMember: number;
  ownHash: string;
  otherMember: number;
  otherHash: string;
  /** Where the peer reached the position (equal to streamSeq and the own epoch unless the chain forked). */
  otherStreamSeq: number;
  epoch: number;
  otherEpoch: number;
}

const KEEP = 1024;

export class HashAudit {
  private readonly own = new Map<number, HashReport>();
  private readonly others = new Map<number, HashReport[]>();
  /** Peer reports that matched one of ours. */
  agreements = 0;

  constructor(private readonly memberId: number, private readonly onDivergence: (d: Divergence) => void) {}

  recordOwn(report: HashReport): void {
    this.own.set(report.batchSeq, report);
    for (const other of this.others.get(report.batchSeq) ?? []) this.compare(report, other);
    this.others.delete(report.batchSeq);
    trim(this.own);
  }

  recordPeer(report: HashReport): void {
    if (report.memberId === this.memberId) return;
    const mine = this.own.get(report.batchSeq);
    if (mine !== undefined) {
      this.compare(mine, report);
      return;
    }
    const waiting = this.others.get(report.batchSeq) ?? [];
    waiting.push(report);
    this.others.set(report.batchSeq, waiting);
    trim(this.others);
  }

  private compare(mine: HashReport, other: HashReport): void {
    if (mine.stateHash === other.stateHash && mine.streamSeq === other.streamSeq && mine.epoch === other.epoch) {
      this.agreements++;
      return;
    }
    this.onDivergence({
      shard: mine.shard, batchSeq: mine.batchSeq, streamSeq: mine.streamSeq,
      ownMember: this.memberId, ownHash: mine.stateHash, otherMember: other.memberId, otherHash: other.stateHash,
      otherStreamSeq: other.streamSeq, epoch: mine.epoch, otherEpoch: other.epoch,
    });
  }
}

function trim<V>(map: Map<number, V>): void {
  while (map.size > KEEP) map.delete(map.keys().next().value as number);
}
