// One member of a shard: it follows the stream into its own state machine, watches the leader's
// heartbeat, and when the leader falls silent (and it is caught up to the end of the stream) it
// claims the next epoch in the stream itself. The claim is an append with the expected last
// sequence, so of several members claiming at once exactly one wins, and a deposed leader's
// next append is refused.
import type { NatsConnection } from '@nats-io/transport-node';
import { invalidArgument, LobError } from '../errors.js';
import type { BackendName } from '../types.js';
import { Backoff } from './backoff.js';
import { StreamFollower } from './follower.js';
import { HashAudit, type Divergence } from './hash-audit.js';
import { shardSubjects, type ShardSubjects } from './layout.js';
import { ShardLeader } from './leader.js';
import { connectAs } from './nats/connect.js';
import { BadMessageLog, guardedCallback } from './nats/guard.js';
import type { ClusterDescription } from './nats/description.js';
import { leaderRole, replicaRole } from './nats/roles.js';
import { checkClusterOptions } from './option-checks.js';
import { ShardRouter } from './router.js';
import { ShardState, type CheckpointMark, type RecoveryFromDisk } from './shard-state.js';
import { isStreamNotFound, storedRecord } from './streams.js';
import { decodeHashReport, decodeHeartbeat, encodeHashReport, type HashReport } from './wire/signals.js';
import { bytesToHex } from './wire/bytes.js';

export interface MemberOptions {
  runDir: string;
  description: ClusterDescription;
  shard: number;
  /** 0, 1, 2, ...: also the member's rank when several would claim at once (lower goes first). */
  memberId: number;
  /** Directory for the member's RocksDB state and checkpoint ledger; none: in memory. */
  dir?: string;
  backend?: BackendName;
  checkpointEvery?: number;
  /** Silence from the leader after which the first-ranked member claims (ms). */
  leaderTimeoutMs?: number;
  emit: (event: MemberEvent) => void;
}

const MEMBER_OPTIONS: readonly (keyof MemberOptions)[] = ['runDir', 'description', 'shard', 'memberId', 'dir', 'backend', 'checkpointEvery', 'leaderTimeoutMs', 'emit'];

/**
 * INVALID_ARGUMENT naming the option, before a connection opens: unchecked, a description without
 * a layout ended in a TypeError, and a shard the layout lacks joined subjects no leader publishes on.
 */
function checkMemberOptions(options: MemberOptions): void {
  checkClusterOptions(options, MEMBER_OPTIONS, ['runDir', 'description', 'shard', 'memberId', 'emit'], 'ShardMember');
  const shards = options.description.layout.shards.length;
  if (options.shard >= shards) throw invalidArgument('shard', `a shard of the description's layout (0 to ${shards - 1})`, options.shard);
}

export type MemberEvent =
  | { kind: 'ready'; shard: number; member: number; recovered: RecoveryFromDisk; fromSeq: number }
  | { kind: 'caught-up'; streamSeq: number; batchSeq: number; records: number; ms: number }
  | { kind: 'leader'; epoch: number; streamSeq: number; batchSeq: number; at: number }
  | { kind: 'follower'; reason: string }
  /** The member's state failed for good (ShardState.failed): it has stopped, and must be restarted. */
  | { kind: 'failed'; reason: string }
  /** A hash-report position: every member of the shard reports the same positions. */
  | { kind: 'mark'; streamSeq: number; batchSeq: number; epoch: number; stateHash: string }
  /** A checkpoint stored on disk (persistent members), at the position its copy was taken. */
  | { kind: 'checkpoint'; streamSeq: number; batchSeq: number; epoch: number; stateHash: string }
  | ({ kind: 'divergence' } & Divergence)
  | ({ kind: 'state' } & MemberStatus)
  | { kind: 'log'; line: string };

export interface MemberStatus {
  shard: number;
  member: number;
  role: 'leader' | 'follower';
  streamSeq: number;
  /** Stream sequence its last completed flush covers: a restart from its own state recovers at least this. */
  flushedStreamSeq: number;
  batchSeq: number;
  epoch: number;
  chainHash: string;
  stateHash: string;
  appliedRecords: number;
  appliedCommands: number;
  skipped: Record<string, number>;
  consumerReopens: number;
  /** Attempts to open a consumer that failed in a row (the stream deleted, or without a leader), 0 while reading. */
  consumerFailures: number;
  /** The pause the follower chose after the last of those failures (ms): it grows to REOPEN_MAX_PAUSE_MS. */
  consumerPauseMs: number;
  /** Claims of the leadership that failed in a row (the stream unreadable while the leader is silent). */
  claimFailures: number;
  /** While leading: attempts of an append that went unanswered in a row (a stream without a leader). */
  appendFailures: number;
  hashAgreements: number;
}

const STAGGER_MS = 500;

/**
 * The longest pause between claims that failed (the stream deleted, or without a leader): a
 * stream back with a leader is claimed within a second, as the leader's own appends are retried
 * (a failover is what every client of the shard is waiting for), and asked at most once a second
 * meanwhile instead of ten times.
 */
const CLAIM_MAX_PAUSE_MS = 1_000;

/** The longest pause between failed reads of the stream's end while catching up (nobody waits on that report). */
const CATCH_UP_MAX_PAUSE_MS = 5_000;

export class ShardMember {
  private replicaConn!: NatsConnection;
  private leaderConn!: NatsConnection;
  private state!: ShardState;
  private follower!: StreamFollower;
  private leader: ShardLeader | undefined = undefined;
  private readonly audit: HashAudit;
  private readonly subjects: ShardSubjects;
  private lastLeaderSign = Date.now();
  private claiming = false;
  private readonly claimRetry = new Backoff('claiming the leadership', { firstMs: 100, maxMs: CLAIM_MAX_PAUSE_MS, log: (line) => this.log(line) });
  /** No claim is tried before this (ms since the epoch): the pause after a failed one. */
  private nextClaimAt = 0;
  private electionTimer: NodeJS.Timeout | undefined = undefined;
  private closed = false;
  private readonly badMessages = new BadMessageLog((line) => this.log(line));

  constructor(private readonly options: MemberOptions) {
    checkMemberOptions(options);
    this.subjects = shardSubjects(options.description.layout.clusterId, options.shard);
    this.audit = new HashAudit(options.memberId, (d) => {
      process.stderr.write(`lobcore cluster: DIVERGENCE on shard ${d.shard} at batch ${d.batchSeq}: member ${d.ownMember} has ${d.ownHash}, member ${d.otherMember} has ${d.otherHash}\n`);
      options.emit({ kind: 'divergence', ...d });
    });
  }

  async start(): Promise<void> {
    try {
      await this.join();
    } catch (error) {
      // Open connections would keep the process alive, and its supervisor waiting, for good.
      await this.stop();
      throw error;
    }
  }

  private async join(): Promise<void> {
    const { runDir, description, shard, memberId } = this.options;
    const name = `shard ${shard} member ${memberId}`;
    this.replicaConn = await connectAs(runDir, description, replicaRole(shard), { name: `${name} (follow)` });
    this.leaderConn = await connectAs(runDir, description, leaderRole(shard), { name: `${name} (lead)` });
    this.state = await ShardState.open(
      { shard, dir: this.options.dir, backend: this.options.backend, checkpointEvery: this.options.checkpointEvery },
      async (seq) => {
        // A member restarted during a failover, or on a busy machine, may wait for the stream's answer.
        const stored = await storedRecord(this.replicaConn, this.subjects.stream, seq);
        if (stored === null) throw new LobError('CORRUPTION', `shard ${shard}: the local state is at stream seq ${seq}, which the stream does not hold`);
        return stored;
      },
    );
    this.replicaConn.subscribe(this.subjects.heartbeat, { callback: guardedCallback('heartbeat', this.badMessages, (msg) => this.onHeartbeat(msg.data)) });
    this.replicaConn.subscribe(this.subjects.hashes, { callback: guardedCallback('hash report', this.badMessages, (msg) => this.onPeerHash(msg.data)) });
    this.follower = new StreamFollower(this.replicaConn, {
      stream: this.subjects.stream,
      onRecord: (bytes, seq) => this.onRecord(bytes, seq),
      log: (line) => this.log(line),
      onMissing: (seq, next) => this.stopFailed(`stream seq ${seq} is missing (the next stored is ${next}): deleted or trimmed, so this member cannot apply past it`),
    });
    const fromSeq = this.state.head.streamSeq + 1;
    this.options.emit({ kind: 'ready', shard, member: memberId, recovered: this.state.recovered, fromSeq });
    this.follower.start(fromSeq);
    void this.reportCatchUp(fromSeq);
    this.lastLeaderSign = Date.now();
    this.electionTimer = setInterval(() => void this.maybeClaim(), 100);
  }

  status(): MemberStatus {
    const head = this.state.head;
    return {
      shard: this.options.shard, member: this.options.memberId, role: this.leader?.isLeading ? 'leader' : 'follower',
      streamSeq: head.streamSeq, flushedStreamSeq: this.state.flushedStreamSeq, batchSeq: head.batchSeq, epoch: head.epoch, chainHash: bytesToHex(head.hash),
      stateHash: this.state.stateHash(), appliedRecords: this.state.appliedRecords, appliedCommands: this.state.appliedCommands,
      skipped: { ...this.state.skipped }, consumerReopens: this.follower.reopens,
      consumerFailures: this.follower.openRetry.failures, consumerPauseMs: this.follower.openRetry.pauseMs,
      claimFailures: this.claimRetry.failures, appendFailures: this.leader?.appendFailures ?? 0, hashAgreements: this.audit.agreements,
    };
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.electionTimer);
    this.leader?.stepDown('the member is shutting down');
    await this.follower?.stop();
    await this.state?.close();
    await Promise.all([this.replicaConn?.close(), this.leaderConn?.close()]);
  }

  private async onRecord(bytes: Uint8Array, streamSeq: number): Promise<void> {
    let outcome;
    try {
      outcome = this.state.apply(bytes, streamSeq);
    } catch (error) {
      this.failIfStateFailed();
      throw error;
    }
    if (!outcome.applied) {
      // A deposed leader's pipelined append can land ahead of the chain; anything else ahead is a bug to look at.
      if (outcome.reason === 'ahead') this.log(`skipped the record at stream seq ${streamSeq} as ahead of the chain (head at position ${this.state.head.batchSeq}, stream seq ${this.state.head.streamSeq})`);
      return;
    }
    this.lastLeaderSign = Date.now();
    if (outcome.mark !== undefined) await this.onMark(outcome.mark);
  }

  /** Throws for a heartbeat that is not this shard's; its callback logs and ignores it. */
  private onHeartbeat(bytes: Uint8Array): void {
    const beat = decodeHeartbeat(bytes);
    if (beat.shard !== this.options.shard) throw new LobError('CORRUPTION', `heartbeat: shard ${beat.shard} on shard ${this.options.shard}'s subject`);
    if (beat.epoch < this.state.head.epoch) return; // a deposed leader that has not noticed yet
    if (beat.memberId !== this.options.memberId) this.lastLeaderSign = Date.now();
    if (this.leader?.isLeading && beat.epoch > this.leader.epoch) this.leader.stepDown(`member ${beat.memberId} leads epoch ${beat.epoch}`);
  }

  private onPeerHash(bytes: Uint8Array): void {
    const report = decodeHashReport(bytes);
    if (report.shard !== this.options.shard) throw new LobError('CORRUPTION', `hash report: shard ${report.shard} on shard ${this.options.shard}'s subject`);
    this.audit.recordPeer(report);
  }

  /** A checkpoint position: publish the hash, compare it, start storing a checkpoint. */
  private async onMark(mark: CheckpointMark): Promise<void> {
    const report: HashReport = { shard: this.options.shard, memberId: this.options.memberId, ...mark };
    this.replicaConn.publish(this.subjects.hashes, encodeHashReport(report));
    this.audit.recordOwn(report);
    this.options.emit({ kind: 'mark', ...mark });
    this.state.checkpointInBackground(
      (entry) => this.options.emit({ kind: 'checkpoint', streamSeq: entry.streamSeq, batchSeq: entry.batchSeq, epoch: entry.epoch, stateHash: entry.stateHash }),
      (error) => this.log(`checkpoint failed: ${(error as Error).message}`),
    );
  }

  /** A failed state applies nothing more: following on would reopen the consumer for good. */
  private failIfStateFailed(): void {
    const failure = this.state.failed;
    if (failure !== undefined) this.stopFailed(failure.message);
  }

  /** Stops for good, saying why: what restarts it (or an operator) must look at `reason`. */
  private stopFailed(reason: string): void {
    if (this.closed) return;
    this.log(`stopping: ${reason}`);
    process.stderr.write(`lobcore cluster: shard ${this.options.shard} member ${this.options.memberId} stops: ${reason}\n`);
    this.options.emit({ kind: 'failed', reason });
    void this.stop();
  }

  private async maybeClaim(): Promise<void> {
    if (this.closed || this.claiming || this.leader?.isLeading) return;
    const patience = (this.options.leaderTimeoutMs ?? 1_000) + this.options.memberId * STAGGER_MS;
    if (Date.now() - this.lastLeaderSign < patience || Date.now() < this.nextClaimAt) return;
    this.claiming = true;
    // stop() may run during any await below: nothing may start again after it.
    try {
      // Claim only at the end of the stream: everything before it is applied, so the claim links
      // to the true head and the new leader misses no committed batch.
      const last = await this.follower.streamLastSeq();
      this.claimRetry.succeeded();
      if (this.closed || this.follower.position - 1 < last) return;
      await this.follower.stop();
      const lastNow = await this.follower.streamLastSeq().catch(() => -1);
      // Every record up to the stream's end judged, none missed: the claim links to the true head.
      if (lastNow !== this.follower.position - 1 || lastNow !== this.state.judgedThrough) {
        this.resumeFollowing();
        return;
      }
      const started = Date.now();
      this.leader = await ShardLeader.claim({
        nc: this.leaderConn, subjects: this.subjects, state: this.state, router: new ShardRouter(this.options.description.layout),
        memberId: this.options.memberId, onMark: (mark) => this.onMark(mark), log: (line) => this.log(line),
        onStepDown: (reason) => this.becomeFollower(reason),
      }, lastNow);
      if (this.closed) {
        this.leader?.stepDown('the member is shutting down');
        return;
      }
      if (this.leader === undefined) {
        this.lastLeaderSign = Date.now();
        this.resumeFollowing();
        return;
      }
      const head = this.state.head;
      this.log(`claimed epoch ${head.epoch} at stream seq ${head.streamSeq} in ${Date.now() - started} ms`);
      this.options.emit({ kind: 'leader', epoch: head.epoch, streamSeq: head.streamSeq, batchSeq: head.batchSeq, at: Date.now() });
    } catch (error) {
      if (this.closed) return;
      // Tried every 100 ms, a stream deleted (or without a leader) under a dead leader was a line
      // and a request ten times a second from every member, for as long as it lasted.
      const kind = isStreamNotFound(error) ? 'missing' : 'failing';
      this.nextClaimAt = Date.now() + this.claimRetry.failed(kind, `claim failed: ${(error as Error).message}`);
      if (!this.leader?.isLeading) this.resumeFollowing();
    } finally {
      this.claiming = false;
    }
  }

  /** Back to following where the follower stopped, unless the member is stopping. */
  private resumeFollowing(): void {
    if (!this.closed) this.follower.start(this.follower.position);
  }

  private becomeFollower(reason: string): void {
    this.leader = undefined;
    this.failIfStateFailed();
    this.lastLeaderSign = Date.now();
    this.options.emit({ kind: 'follower', reason });
    if (!this.closed) this.follower.start(this.state.head.streamSeq + 1);
  }

  private async reportCatchUp(fromSeq: number): Promise<void> {
    const started = Date.now();
    // Silent: the follower logs why the stream cannot be read.
    const retry = new Backoff('reading the stream\'s end', { firstMs: 100, maxMs: CATCH_UP_MAX_PAUSE_MS });
    for (;;) {
      if (this.closed) return;
      try {
        const last = await this.follower.streamLastSeq();
        retry.succeeded();
        if (this.follower.position > last || this.leader?.isLeading) break;
      } catch (error) {
        // no stream leader this instant, or no stream: ask again, less often the longer it lasts
        retry.failed('failing', (error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, retry.failures > 0 ? retry.pauseMs : 100));
    }
    const head = this.state.head;
    this.options.emit({ kind: 'caught-up', streamSeq: head.streamSeq, batchSeq: head.batchSeq, records: Math.max(0, this.follower.position - fromSeq), ms: Date.now() - started });
  }

  private log(line: string): void {
    this.options.emit({ kind: 'log', line: `shard ${this.options.shard} member ${this.options.memberId}: ${line}` });
  }
}
