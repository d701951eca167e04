// Compares a member's state hashes with those its peers report for the same chain position.
// Every member of a shard passes through the same positions with the same state, so any two
// hashes for one position must be equal; a difference means a member diverged, and it is
// reported loudly rather than smoothed over.
import type { HashReport } from './wire/signals.js';

export interface Divergence {
  shard: number;
  batchSeq: number;
  streamSeq: number;
  ownMember: number;
  ownHash: string;
  otherMember: number;
  otherHash: string;
}

const KEEP = 1024;

export class HashAudit {
  private readonly own = new Map<number, string>();
  private readonly others = new Map<number, HashReport[]>();
  /** Peer reports that matched one of ours. */
  agreements = 0;

  constructor(private readonly memberId: number, private readonly onDivergence: (d: Divergence) => void) {}

  recordOwn(report: HashReport): void {
    this.own.set(report.batchSeq, report.stateHash);
    for (const other of this.others.get(report.batchSeq) ?? []) this.compare(report, other);
    this.others.delete(report.batchSeq);
    trim(this.own);
  }

  recordPeer(report: HashReport): void {
    if (report.memberId === this.memberId) return;
    const mine = this.own.get(report.batchSeq);
    if (mine !== undefined) {
      this.compare({ ...report, memberId: this.memberId, stateHash: mine }, report);
      return;
    }
    const waiting = this.others.get(report.batchSeq) ?? [];
    waiting.push(report);
    this.others.set(report.batchSeq, waiting);
    trim(this.others);
  }

  private compare(mine: HashReport, other: HashReport): void {
    if (mine.stateHash === other.stateHash) {
      this.agreements++;
      return;
    }
    this.onDivergence({
      shard: mine.shard, batchSeq: mine.batchSeq, streamSeq: mine.streamSeq,
      ownMember: this.memberId, ownHash: mine.stateHash, otherMember: other.memberId, otherHash: other.stateHash,
    });
  }
}

function trim<V>(map: Map<number, V>): void {
  while (map.size > KEEP) map.delete(map.keys().next().value as number);
}
