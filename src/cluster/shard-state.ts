// A shard member's copy of the shard: a CoreStateMachine fed the stream's records in chain
// order. The leader feeds it its own records once JetStream acknowledges them; a replica feeds
// it what its consumer reads; both through apply(), so leader and replicas cannot differ in how
// a record is applied or skipped.
//
// The state machine's height is the stream sequence of the last applied record. That is what
// makes recovery exact: reopening a member's RocksDB gives the height of its last flush, the
// record at that stream sequence gives back the chain head, and the consumer resumes after it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CommandBatch } from '../batch.js';
import { invalidArgument, LobError } from '../errors.js';
import { CoreStateMachine } from '../state/index.js';
import type { BackendName } from '../types.js';
import { advance, genesis, judge, type ChainHead, type SkipReason } from './chain.js';
import { appendLedgerEntry, readLedger, type LedgerEntry } from './checkpoint-ledger.js';
import { EVENT_STRIDE, FILL_STRIDE, RESULT_STRIDE } from './engine-layout.js';
import { bytesToHex } from './wire/bytes.js';
import { decodeRecord, recordHash, RecordKind } from './wire/record.js';
import { encodeReply, ReplyStatus, type ReplyPosition } from './wire/reply.js';
import { ReplyCache } from './reply-cache.js';
import { AppliedRequests, type RequestOutcome } from './applied-requests.js';

export interface ShardStateOptions {
  shard: number;
  /** The member's directory: RocksDB in state/, the checkpoint ledger beside it. None: in memory. */
  dir?: string;
  backend?: BackendName;
  /** A checkpoint (and a hash report) every this many chain positions. */
  checkpointEvery?: number;
}

/** A state hash at a chain position every member of the shard passes through: what members compare. */
export interface CheckpointMark {
  streamSeq: number;
  batchSeq: number;
  epoch: number;
  stateHash: string;
}

export type ApplyOutcome =
  | { applied: true; kind: 'claim' | 'batch'; head: ChainHead; clientId: number; requestSeq: number; commands: number; reply?: Uint8Array; mark?: CheckpointMark }
  | { applied: false; reason: SkipReason; streamSeq: number };

export interface RecoveryFromDisk {
  /** Stream sequence the local state was reopened at (0: nothing on disk). */
  streamSeq: number;
  batchSeq: number;
  /** The newest checkpoint the ledger lists, if any. */
  checkpoint?: LedgerEntry;
  /** Journal commands the state machine replayed on top of its checkpoint. */
  replayedCommands: number;
}

export const DEFAULT_CHECKPOINT_EVERY = 100;

export class ShardState {
  private headNow: ChainHead;
  private readonly replies = new ReplyCache();
  /** The requests this process saw the chain apply (knowledge starts at the head it opened with). */
  private readonly requests: AppliedRequests;
  private flushing = false;
  private checkpointing = false;
  /** Chain heads of the last records applied, by stream sequence: what a checkpoint at that height covers. */
  private readonly recentHeads = new RecentHeads();
  private flushAgain = false;
  private flushError: LobError | undefined = undefined;
  /** Stream sequence the last completed flush covers: a restart from this member's own state recovers at least this. */
  private flushedSeq: number;
  /** Stream sequence of the last record judged, applied or skipped. */
  private judged: number;
  /** Set for good when a batch failed unexpectedly (runBatch says why). */
  private failure: LobError | undefined = undefined;
  readonly skipped: Record<SkipReason, number> = { malformed: 0, 'other-shard': 0, behind: 0, ahead: 0, 'wrong-link': 0, 'stale-epoch': 0 };
  appliedRecords = 0;
  appliedCommands = 0;

  private constructor(
    private readonly machine: CoreStateMachine,
    private readonly options: Required<Pick<ShardStateOptions, 'shard' | 'checkpointEvery'>> & ShardStateOptions,
    head: ChainHead,
    readonly recovered: RecoveryFromDisk,
  ) {
    this.headNow = head;
    this.judged = head.streamSeq;
    this.flushedSeq = head.streamSeq;
    this.requests = new AppliedRequests(head.streamSeq);
  }

  /** Waits for a checkpoint being stored, so that closing does not cut it short. */
  async idle(): Promise<void> {
    while (this.checkpointing) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /**
   * Opens the member's state. With a directory, the state machine recovers what it flushed, and
   * `recordAt` fetches the stream record at its height to rebuild the chain head.
   */
  static async open(options: ShardStateOptions, recordAt: (streamSeq: number) => Promise<Uint8Array>): Promise<ShardState> {
    const resolved = { ...options, checkpointEvery: options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY };
    if (options.dir !== undefined) mkdirSync(options.dir, { recursive: true });
    // The stream is the durable log; a member's own flushes only shorten its recovery, so no fsync.
    const machine = await CoreStateMachine.open({
      path: options.dir === undefined ? undefined : join(options.dir, 'state'), backend: options.backend, sync: false,
    });
    let head = genesis(options.shard);
    const ledger = options.dir === undefined ? [] : readLedger(ledgerFile(options.dir));
    const recovered: RecoveryFromDisk = {
      streamSeq: machine.height, batchSeq: 0, checkpoint: ledger[ledger.length - 1],
      replayedCommands: machine.recovery?.replayedCommands ?? 0,
    };
    try {
      if (machine.height > 0) {
        const bytes = await recordAt(machine.height);
        const record = decodeRecord(bytes);
        head = { shard: options.shard, batchSeq: record.batchSeq, epoch: record.epoch, leader: record.kind === RecordKind.CLAIM ? record.requestSeq : -1, hash: recordHash(bytes), streamSeq: machine.height };
        recovered.batchSeq = record.batchSeq;
      }
      if (options.dir !== undefined) await checkLedgerAgainstStream(ledgerFile(options.dir), ledger, options.shard, head, recordAt);
    } catch (error) {
      await machine.close();
      throw error;
    }
    return new ShardState(machine, resolved, head, recovered);
  }

  get head(): ChainHead {
    return this.headNow;
  }

  /** The stream sequence of the last record judged: every record up to it was applied or skipped. */
  get judgedThrough(): number {
    return this.judged;
  }

  get shard(): number {
    return this.options.shard;
  }

  stateHash(): string {
    return this.machine.stateHash();
  }

  /** The reply this member gave (or would have given) for the batch at `streamSeq`, while it is remembered. */
  replyFor(streamSeq: number): Uint8Array | undefined {
    return this.replies.get(streamSeq);
  }

  /**
   * Whether the chain applied a request whose message id JetStream reports stored at `storedSeq`
   * (a duplicate ack proves the id was stored, not that the record there was applied).
   */
  requestOutcome(clientId: number, requestSeq: number, storedSeq: number): RequestOutcome {
    return this.requests.outcome(clientId, requestSeq, storedSeq);
  }

  /** The stream sequence this member's knowledge of applied requests starts after. */
  get knownRequestsAfter(): number {
    return this.requests.knownAfter;
  }

  /**
   * Applies the record found at `streamSeq` if it is the chain's next link; skips it otherwise.
   * A leader passes the record's hash, which it computed to link the record after it.
   */
  apply(bytes: Uint8Array, streamSeq: number, hash?: Uint8Array): ApplyOutcome {
    if (this.failure !== undefined) throw this.failure;
    if (streamSeq <= this.headNow.streamSeq) return { applied: false, reason: 'behind', streamSeq };
    // A record judged past a hole could be skipped as 'ahead' for want of the one in the hole.
    if (streamSeq > this.judged + 1) {
      throw invalidArgument('streamSeq', `at most ${this.judged + 1} (the sequence after the last record judged)`, streamSeq);
    }
    this.judged = Math.max(this.judged, streamSeq);
    const verdict = judge(this.headNow, bytes);
    if (!verdict.apply) {
      this.skipped[verdict.reason]++;
      return { applied: false, reason: verdict.reason, streamSeq };
    }
    const record = verdict.record;
    // Journaled before the batch, so that its fills carry the height.
    this.machine.setHeight(streamSeq);
    const position = { shard: this.headNow.shard, streamSeq, batchSeq: record.batchSeq, epoch: record.epoch };
    const ran = record.kind === RecordKind.BATCH ? this.runBatch(record.commands, position) : undefined;
    const head = advance(this.headNow, record, bytes, streamSeq, hash);
    this.headNow = head;
    this.recentHeads.put(head);
    this.appliedRecords++;
    if (ran !== undefined) {
      this.appliedCommands += ran.commands;
      this.replies.put(streamSeq, ran.reply);
      this.requests.record(record.clientId, record.requestSeq, streamSeq);
    }
    this.scheduleFlush();
    const mark = head.batchSeq % this.options.checkpointEvery === 0
      ? { streamSeq, batchSeq: head.batchSeq, epoch: head.epoch, stateHash: this.machine.stateHash() }
      : undefined;
    return {
      applied: true, kind: record.kind === RecordKind.CLAIM ? 'claim' : 'batch', head, clientId: record.clientId,
      requestSeq: record.requestSeq, commands: ran?.commands ?? 0, reply: ran?.reply, mark,
    };
  }

  /** Why this state applies nothing any more, if it does not. */
  get failed(): LobError | undefined {
    return this.failure;
  }

  /**
   * Runs a batch record's commands: its reply, committed or (the engine refused the whole batch,
   * changing nothing, as it does on every member alike) rejected. Any other error fails this
   * state for good. The chain head has not moved yet, but the journal already holds the record's
   * height (setHeight comes first so that fills carry it), and whether the engine changed
   * anything is unknown: going on would skip the record as 'behind' on its redelivery, or
   * apply it on top of a half-applied engine, and either way the books would differ from every
   * other member's under a chain hash that matches. So nothing is applied or committed any more
   * (the machine is abandoned): the member stops, and its restart recovers from the last commit,
   * before this record, and applies it again.
   */
  private runBatch(commands: Uint8Array, position: ReplyPosition): { reply: Uint8Array; commands: number } {
    try {
      const batch = CommandBatch.fromBytes(commands);
      const out = this.machine.submitBatch(batch);
      const r = out.results;
      const reply = encodeReply(ReplyStatus.COMMITTED, position, {
        results: r.results, count: r.count, resultStride: RESULT_STRIDE,
        fills: r.fills, fillCount: r.fillCount, fillStride: FILL_STRIDE,
        events: r.events.records, eventCount: r.events.count, eventStride: EVENT_STRIDE, firstFillSeq: out.firstFillSeq,
      });
      return { reply, commands: batch.count };
    } catch (error) {
      if (error instanceof LobError && error.code === 'INVALID_ARGUMENT') {
        return { reply: encodeReply(ReplyStatus.REJECTED, position, undefined, error.message), commands: 0 };
      }
      this.failure = new LobError('ENGINE_FAILED', `shard ${position.shard}: the batch at stream seq ${position.streamSeq} (chain position ${position.batchSeq}) failed to apply: ${(error as Error).message}; this member applies nothing more and must restart from its disk`, { cause: error });
      // Not one more commit, not even one a checkpoint or a flush had queued: its journal would
      // carry this record's height, and a restart would take the record as applied.
      this.machine.abandon(this.failure);
      throw this.failure;
    }
  }

  /**
   * Starts storing a checkpoint of the current state (unless one is being stored) and lists it
   * in the ledger when it is written. Applying goes on meanwhile: the state machine copies the
   * books out at once and hashes and writes them in the background, so the checkpoint covers
   * the stream up to wherever the copy was taken, which the ledger records exactly. In memory
   * there is nowhere to store it.
   */
  checkpointInBackground(onStored: (entry: LedgerEntry) => void, onError: (error: unknown) => void): void {
    const dir = this.options.dir;
    if (dir === undefined || this.checkpointing || this.failure !== undefined) return;
    this.checkpointing = true;
    this.machine.checkpoint().then((info) => {
      const head = info === undefined ? undefined : this.recentHeads.get(info.height);
      if (info === undefined || head === undefined) return;
      const entry: LedgerEntry = {
        shard: this.options.shard, streamSeq: info.height, batchSeq: head.batchSeq, epoch: head.epoch,
        chainHash: bytesToHex(head.hash), stateHash: info.stateHash, restingOrders: info.restingOrders,
      };
      appendLedgerEntry(ledgerFile(dir), entry);
      onStored(entry);
    }).catch(onError).finally(() => {
      this.checkpointing = false;
    });
  }

  async close(): Promise<void> {
    await this.idle();
    // A failed state's machine commits nothing more (runBatch abandoned it): it closes without
    // writing the height of the batch that failed.
    await this.machine.close();
  }

  /** Stream sequence the last completed flush covers (the machine's height when it was asked for). */
  get flushedStreamSeq(): number {
    return this.flushedSeq;
  }

  /** A failed background flush, if any (the next flush retries it). */
  get lastFlushError(): LobError | undefined {
    return this.flushError;
  }

  private scheduleFlush(): void {
    if (this.options.dir === undefined || this.failure !== undefined) return;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    const height = this.machine.height;
    this.machine.flush().then(() => {
      this.flushedSeq = height;
      this.flushError = undefined;
    }, (error: unknown) => {
      this.flushError = error instanceof LobError ? error : new LobError('IO_ERROR', String(error));
    }).finally(() => {
      this.flushing = false;
      if (this.flushAgain) {
        this.flushAgain = false;
        this.scheduleFlush();
      }
    });
  }
}

/**
 * Throws CORRUPTION unless the stream still holds, where the member's newest checkpoint within
 * its state says, the record the ledger names by its chain hash. The head is rebuilt from
 * whatever record the stream holds at the state's height; a stream deleted and created again,
 * or a directory from another cluster, would otherwise carry this member's old books onward
 * under another chain, a divergence no hash report shows until the next checkpoint.
 */
async function checkLedgerAgainstStream(file: string, ledger: LedgerEntry[], shard: number, head: ChainHead,
                                        recordAt: (streamSeq: number) => Promise<Uint8Array>): Promise<void> {
  let entry: LedgerEntry | undefined;
  for (let i = ledger.length - 1; i >= 0 && entry === undefined; i--) if (ledger[i].streamSeq <= head.streamSeq) entry = ledger[i];
  if (entry === undefined) return;
  if (entry.shard !== shard) throw new LobError('CORRUPTION', `${file}: a checkpoint of shard ${entry.shard} in shard ${shard}'s directory`);
  const hash = bytesToHex(entry.streamSeq === head.streamSeq ? head.hash : recordHash(await recordAt(entry.streamSeq)));
  if (hash !== entry.chainHash) {
    throw new LobError('CORRUPTION', `${file}: the checkpoint at stream seq ${entry.streamSeq} follows chain hash ${entry.chainHash}, but the stream's record there hashes to ${hash}: this member's state is of another stream`);
  }
}

/** A ring of recent chain heads, by stream sequence. */
class RecentHeads {
  private readonly heads: Array<ChainHead | undefined> = new Array<ChainHead | undefined>(4096);

  put(head: ChainHead): void {
    this.heads[head.streamSeq % this.heads.length] = head;
  }

  get(streamSeq: number): ChainHead | undefined {
    const head = this.heads[streamSeq % this.heads.length];
    return head?.streamSeq === streamSeq ? head : undefined;
  }
}

export function ledgerFile(dir: string): string {
  return join(dir, 'checkpoints.ledger');
}
