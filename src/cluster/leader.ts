// A shard's leader: takes client requests, appends each as a record of the hash chain, and
// answers only once JetStream has stored it on a quorum of servers and the leader has applied
// it. Appends are pipelined (each names the sequence the previous one will get), so a dozen
// requests can be on their way while the first is acknowledged.
//
// Any surprise stops the pipeline: a duplicate of an older request (a client's retry of
// something the previous leader committed), or a refused expected-last-sequence. When every
// append in flight has settled, the leader compares the stream's last sequence with its own
// last record: the same, and it rebuilds the refused appends on the true tail; different, and
// someone else has appended (a new leader's claim): it steps down, answering NOT_LEADER to
// everyone waiting, and the clients send again to whoever leads now. Appends still in flight
// behind the first surprise are not the leader's own any more: one that lands anyway is a stray
// (it names a predecessor that never made it), so it is neither applied nor answered.
//
// A duplicate ack says only that the message id was STORED at some sequence, not that the chain
// APPLIED that record: a deposed leader's pipelined append that landed on a new leader's claim
// used up its id and was skipped everywhere. So the leader asks its own applied chain: applied,
// and it answers with the results it kept; skipped, and the request was never executed, so it
// appends it again under a message id derived from the original and its epoch (a retry in the
// same epoch still dedupes on it).
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { CommandBatch } from '../batch.js';
import { LobError } from '../errors.js';
import { Backoff } from './backoff.js';
import type { ChainHead } from './chain.js';
import { commandAsset, commandSpansAssets, validateCommands } from './engine-layout.js';
import type { ShardSubjects } from './layout.js';
import { BadMessageLog, guardedCallback } from './nats/guard.js';
import { appendBytes, appendRecord, type AppendOutcome } from './publish.js';
import type { ShardRouter } from './router.js';
import type { CheckpointMark, ShardState } from './shard-state.js';
import { streamInfo, streamMissing } from './streams.js';
import { decodeRequest, requestMessageId } from './wire/request.js';
import { encodeRecord, recordHash, RecordKind } from './wire/record.js';
import { duplicateAnswer, encodeReply, replyStatus, ReplyStatus, withoutResults } from './wire/reply.js';
import { encodeHeartbeat } from './wire/signals.js';

export interface LeaderOptions {
  nc: NatsConnection;
  subjects: ShardSubjects;
  state: ShardState;
  router: ShardRouter;
  memberId: number;
  /** Called for every record the leader applied at a checkpoint mark, before the next is applied. */
  onMark: (mark: CheckpointMark) => Promise<void>;
  /** The leader gave up leading (it is told why); the member goes back to following. */
  onStepDown: (reason: string) => void;
  log: (line: string) => void;
  /** Appends on their way at once. */
  window?: number;
  heartbeatMs?: number;
  appendTimeoutMs?: number;
}

interface Pending {
  clientId: number;
  requestSeq: number;
  /** JetStream message id of the append: the request's own, or one derived from it and the epoch. */
  msgId: string;
  commands: Uint8Array;
  replyTo: string[];
  record?: Uint8Array;
  /** sha256 of the record: the link the next record names. */
  hash?: Uint8Array;
  predictedSeq?: number;
  outcome?: Promise<AppendOutcome>;
  /** An attempt of this append went unanswered (a timeout): it may be in the stream. */
  mayBeStored?: boolean;
}

/** A predicted chain tail: where the next record goes if every append on its way succeeds. */
interface Tail {
  streamSeq: number;
  batchSeq: number;
  epoch: number;
  hash: Uint8Array;
}

export class ShardLeader {
  private readonly js: JetStreamClient;
  private readonly queue: Pending[] = [];
  private readonly inFlight: Pending[] = [];
  private readonly refused: Pending[] = [];
  private tail: Tail;
  private resyncing = false;
  private settling = false;
  private leading = true;
  private subscription: Subscription | undefined = undefined;
  private heartbeat: NodeJS.Timeout | undefined = undefined;
  private readonly badMessages: BadMessageLog;
  /** An append sent again while unanswered: a stream without a leader (a lost majority) may stay so for long. */
  private readonly appendRetry: Backoff;
  committedRecords = 0;

  /** Attempts of the append at the head of the pipeline that went unanswered in a row. */
  get appendFailures(): number {
    return this.appendRetry.failures;
  }

  private constructor(private readonly options: LeaderOptions) {
    this.js = jetstream(options.nc, { timeout: options.appendTimeoutMs ?? 2_000 });
    this.tail = tailOf(options.state.head);
    this.badMessages = new BadMessageLog(options.log);
    // At most a second: clients are waiting, and a stream whose new leader was elected is written to within a second of it.
    this.appendRetry = new Backoff(`shard ${options.state.shard}: appends to ${options.subjects.stream}`, { firstMs: 100, maxMs: 1_000, log: options.log });
  }

  /**
   * Appends an epoch claim right after `streamLastSeq` (which the caller has read up to, so the
   * state's head is the chain's). Exactly one of several members claiming at the same sequence
   * succeeds; the others get undefined and keep following.
   */
  static async claim(options: LeaderOptions, streamLastSeq: number): Promise<ShardLeader | undefined> {
    const head = options.state.head;
    const epoch = head.epoch + 1;
    const record = encodeRecord({
      kind: RecordKind.CLAIM, shard: head.shard, epoch, batchSeq: head.batchSeq + 1, clientId: 0, requestSeq: options.memberId, prevHash: head.hash,
    });
    const js = jetstream(options.nc, { timeout: options.appendTimeoutMs ?? 2_000 });
    const msgId = `claim.${epoch}.${options.memberId}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await appendRecord(js, options.subjects.log, record, msgId, streamLastSeq, options.appendTimeoutMs ?? 2_000);
      if (outcome.kind === 'retry') continue;
      if (outcome.kind !== 'stored' || outcome.seq !== streamLastSeq + 1) return undefined;
      const applied = options.state.apply(record, outcome.seq);
      if (!applied.applied) throw new LobError('CORRUPTION', `shard ${head.shard}: own claim at seq ${outcome.seq} is not the chain's next link (${applied.reason})`);
      const leader = new ShardLeader(options);
      if (applied.mark !== undefined) await options.onMark(applied.mark);
      leader.start();
      return leader;
    }
    return undefined;
  }

  get epoch(): number {
    return this.tail.epoch;
  }

  get isLeading(): boolean {
    return this.leading;
  }

  /** Stops leading: everyone waiting is told NOT_LEADER and will send again. */
  stepDown(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    clearInterval(this.heartbeat);
    this.subscription?.unsubscribe();
    const notLeader = encodeReply(ReplyStatus.NOT_LEADER, undefined, undefined, reason);
    for (const p of [...this.queue, ...this.inFlight, ...this.refused]) this.answer(p, notLeader);
    this.queue.length = 0;
    this.refused.length = 0;
    this.options.log(`shard ${this.options.state.shard}: member ${this.options.memberId} steps down from epoch ${this.tail.epoch}: ${reason}`);
    this.options.onStepDown(reason);
  }

  private start(): void {
    const { nc, subjects } = this.options;
    this.subscription = nc.subscribe(subjects.submit, { callback: guardedCallback('request', this.badMessages, (msg) => this.onRequest(msg)) });
    const beat = (): void => {
      // A throw in a timer would end the process; a closed connection is noticed elsewhere.
      try {
        nc.publish(subjects.heartbeat, encodeHeartbeat({
          shard: this.options.state.shard, epoch: this.tail.epoch, memberId: this.options.memberId, streamSeq: this.options.state.head.streamSeq,
        }));
      } catch (error) {
        this.badMessages.report('heartbeat publish', (error as Error).message);
      }
    };
    beat();
    this.heartbeat = setInterval(beat, this.options.heartbeatMs ?? 200);
  }

  private onRequest(msg: Msg): void {
    if (!this.leading || msg.reply === undefined || msg.reply === '') return;
    let pending: Pending;
    try {
      pending = this.admit(msg.data, msg.reply);
    } catch (error) {
      const message = error instanceof LobError ? error.message : String(error);
      msg.respond(encodeReply(ReplyStatus.REJECTED, undefined, undefined, message));
      return;
    }
    // A retry of a request still on its way joins it: one append, both answered.
    const same = this.findPending(pending.clientId, pending.requestSeq);
    if (same !== undefined) {
      same.replyTo.push(msg.reply);
      return;
    }
    this.queue.push(pending);
    this.pump();
  }

  /** Refuses bad input before anything is appended: a malformed request, a foreign asset, a malformed command. */
  private admit(bytes: Uint8Array, replyTo: string): Pending {
    const request = decodeRequest(bytes);
    const shard = this.options.state.shard;
    if (request.shard !== shard) throw new LobError('INVALID_ARGUMENT', `request.shard ${request.shard} sent to the leader of shard ${shard}`);
    const batch = CommandBatch.fromBytes(request.commands);
    if (batch.count === 0) throw new LobError('INVALID_ARGUMENT', 'request.commands must hold at least one command, got 0');
    // Its append (record header and headers) is larger than the request. One past the servers'
    // max_payload can never be made: it was sent again and again as if unanswered, holding up
    // every request behind it for good while heartbeats kept anyone from taking over.
    const limit = this.options.nc.info?.max_payload;
    const appended = appendBytes(request.commands.byteLength);
    if (limit !== undefined && appended > limit) {
      throw new LobError('INVALID_ARGUMENT', `request.commands: ${batch.count} commands need up to ${appended} bytes as a stream append (record and headers), past the servers' max_payload of ${limit}`);
    }
    for (let i = 0; i < batch.count; i++) {
      // A cancelAll over every asset comes to each shard (ClusterClient.cancelAll), for its own assets.
      if (commandSpansAssets(batch, i)) continue;
      const owner = this.options.router.commandShard(batch, i);
      if (owner !== shard) throw new LobError('INVALID_ARGUMENT', `commands[${i}].asset ${commandAsset(batch, i)} is on shard ${owner}, not on shard ${shard}`);
    }
    validateCommands(batch);
    return {
      clientId: request.clientId, requestSeq: request.requestSeq, msgId: requestMessageId(request.clientId, request.requestSeq),
      commands: new Uint8Array(request.commands), replyTo: [replyTo],
    };
  }

  private findPending(clientId: number, requestSeq: number): Pending | undefined {
    for (const list of [this.inFlight, this.queue, this.refused]) {
      for (const p of list) if (p.clientId === clientId && p.requestSeq === requestSeq) return p;
    }
    return undefined;
  }

  /** Starts appends while the window has room. */
  private pump(): void {
    const window = this.options.window ?? 16;
    while (this.leading && !this.resyncing && this.inFlight.length < window && this.queue.length > 0) {
      const p = this.queue.shift() as Pending;
      const record = encodeRecord({
        kind: RecordKind.BATCH, shard: this.options.state.shard, epoch: this.tail.epoch, batchSeq: this.tail.batchSeq + 1,
        clientId: p.clientId, requestSeq: p.requestSeq, prevHash: this.tail.hash,
      }, p.commands);
      p.record = record;
      p.hash = recordHash(record);
      // Built anew only on the stream's true tail (resync), which an earlier attempt would have moved.
      p.mayBeStored = false;
      p.predictedSeq = this.tail.streamSeq + 1;
      p.outcome = this.append(p);
      this.tail = { streamSeq: p.predictedSeq, batchSeq: this.tail.batchSeq + 1, epoch: this.tail.epoch, hash: p.hash };
      this.inFlight.push(p);
    }
    if (!this.settling && this.inFlight.length > 0) void this.settle();
  }

  private append(p: Pending): Promise<AppendOutcome> {
    return appendRecord(this.js, this.options.subjects.log, p.record as Uint8Array, p.msgId, (p.predictedSeq as number) - 1, this.options.appendTimeoutMs ?? 2_000);
  }

  /** Settles appends in order: apply and answer, or set the pipeline right. */
  private async settle(): Promise<void> {
    this.settling = true;
    try {
      while (this.inFlight.length > 0) {
        const p = this.inFlight[0];
        let outcome = await (p.outcome as Promise<AppendOutcome>);
        // No answer, or no responders while the stream elects a leader: that passes, so send the
        // very same append again (same id, same expected sequence) until it is decided. No
        // responders because the stream was deleted never passes: only the servers' word that it
        // does not exist ends the retrying (a refusal for want of room is an answer: decide()).
        while (outcome.kind === 'retry' && this.leading) {
          if (!outcome.noResponders) p.mayBeStored = true;
          if (outcome.noResponders && await streamMissing(this.options.nc, this.options.subjects.stream, this.options.appendTimeoutMs ?? 2_000)) {
            outcome = { kind: 'stream-missing' };
            break;
          }
          // One kind for both: a stream without a leader answers with either, attempt by attempt.
          this.appendRetry.failed('unanswered', `the append at seq ${p.predictedSeq} ${outcome.noResponders ? 'met no responders' : `went unanswered (${outcome.message})`}`);
          await this.appendRetry.pause();
          outcome = await this.append(p);
        }
        if (outcome.kind !== 'retry') this.appendRetry.succeeded();
        this.inFlight.shift();
        if (!this.leading) continue;
        await this.decide(p, outcome);
      }
      if (this.resyncing && this.leading) await this.resync();
    } catch (error) {
      this.stepDown(`internal error: ${(error as Error).message}`);
    } finally {
      this.settling = false;
    }
    if (this.leading && (this.queue.length > 0 || this.inFlight.length > 0)) this.pump();
  }

  private async decide(p: Pending, outcome: AppendOutcome): Promise<void> {
    const predicted = p.predictedSeq as number;
    // After the first surprise, later appends of the pipeline name a predecessor that is not in
    // the chain: wherever one landed, it is a stray, not this leader's record. Nor is a duplicate
    // ack at the predicted sequence proof that the bytes there are this leader's (a stray of the
    // same request can sit there): onDuplicate steps down, and the member reads it back as a
    // follower, applying it if it links.
    if (outcome.kind === 'stored' && outcome.seq === predicted && !outcome.duplicate && !this.resyncing) {
      const applied = this.options.state.apply(p.record as Uint8Array, outcome.seq, p.hash);
      if (!applied.applied) throw new Error(`own record at seq ${outcome.seq} is not the chain's next link (${applied.reason})`);
      this.committedRecords++;
      this.answer(p, applied.reply as Uint8Array);
      if (applied.mark !== undefined) await this.options.onMark(applied.mark);
      return;
    }
    if (outcome.kind === 'no-room' && outcome.beforeDuplicateCheck && !this.notInStream(p, outcome.message)) return;
    if (outcome.kind === 'no-room' || outcome.kind === 'stream-missing') {
      // Nothing was stored, and the same append would meet the same. The client hears why now;
      // sent again for good, it waited out its deadline while this leader's heartbeats kept
      // the others (who could append no better) from taking over. This leader goes on: once an
      // operator makes room, the next request is appended.
      this.answer(p, refusedByStream(outcome, this.options.subjects.stream));
      // The appends behind it name its predicted sequence as their predecessor's: refused, they
      // are rebuilt on the true tail. A deleted stream has no tail: each of them is answered so too.
      if (outcome.kind === 'no-room') this.resyncing = true;
      return;
    }
    const firstSurprise = !this.resyncing;
    this.resyncing = true;
    if (outcome.kind === 'stored' && outcome.duplicate) {
      this.onDuplicate(p, outcome.seq);
      return;
    }
    if (outcome.kind === 'stored' && !firstSurprise) {
      // A stray of our own making: it uses up its message id, which onDuplicate handles on the
      // retry. The stream has moved past this leader's last record, so the resync steps down.
      this.refused.push(p);
      return;
    }
    if (outcome.kind === 'wrong-last-sequence') {
      this.refused.push(p);
      return;
    }
    // Stored somewhere unexpected, or refused by the servers' permissions: nothing to rebuild on.
    this.refused.push(p);
    throw new Error(outcome.kind === 'stored' ? `record stored at seq ${outcome.seq}, expected ${predicted}` : outcome.message);
  }

  /**
   * Whether a request refused before the servers looked for its message id is not in the stream;
   * when it may be, it is answered here (or the leader steps down) and false is returned. Answered
   * "nothing was appended" as it was, the retry of the request whose record used the servers'
   * storage up was refused so, with its record in the stream: its sender might send it anew.
   */
  private notInStream(p: Pending, refusal: string): boolean {
    if (p.mayBeStored) {
      // This leader cannot tell: the member reads the stream as a follower, and a client's retry
      // at the next leader is answered from the chain.
      this.refused.push(p);
      this.stepDown(`the stream refused an append sent again (${refusal}), which an unanswered attempt before may have stored`);
      return false;
    }
    const state = this.options.state;
    // Stored at seq 1 at the earliest: "not applied" only if this member saw the whole chain.
    const outcome = state.requestOutcome(p.clientId, p.requestSeq, 1);
    if (outcome.kind === 'not-applied') return true;
    this.resyncing = true;
    if (outcome.kind === 'applied') {
      this.answerApplied(p, outcome.streamSeq);
    } else {
      this.answer(p, encodeReply(ReplyStatus.UNKNOWN_OUTCOME, undefined, undefined,
        `the stream refused it (${refusal}) before looking for its message id, which may be stored before anything this member has seen (from seq ${state.knownRequestsAfter + 1}); it cannot tell whether it was applied`));
    }
    return false;
  }

  /** Answers a request the chain applied at `streamSeq` with the results kept for it, while they are. */
  private answerApplied(p: Pending, streamSeq: number): void {
    const cached = this.options.state.replyFor(streamSeq);
    this.answer(p, cached !== undefined
      ? duplicateAnswer(cached)
      : encodeReply(ReplyStatus.DUPLICATE_FORGOTTEN, { shard: this.options.state.shard, streamSeq, batchSeq: 0, epoch: 0 }));
  }

  /**
   * The request's message id is already stored at `storedSeq`. Answer from the chain, not from
   * the ack: only a request the chain applied is a duplicate.
   */
  private onDuplicate(p: Pending, storedSeq: number): void {
    const state = this.options.state;
    const head = state.head;
    const outcome = state.requestOutcome(p.clientId, p.requestSeq, storedSeq);
    if (outcome.kind === 'applied') {
      this.answerApplied(p, outcome.streamSeq);
      return;
    }
    if (storedSeq > head.streamSeq) {
      // Stored past this leader's last record: someone else appended; the resync steps down.
      this.refused.push(p);
      return;
    }
    if (outcome.kind === 'unknown') {
      this.answer(p, encodeReply(ReplyStatus.UNKNOWN_OUTCOME, undefined, undefined,
        `its message id is stored at seq ${storedSeq}, before anything this member has seen (from seq ${state.knownRequestsAfter + 1}); it cannot tell whether it was applied`));
      return;
    }
    const derived = derivedMessageId(p.clientId, p.requestSeq, this.tail.epoch);
    if (p.msgId === derived) {
      throw new Error(`request ${p.msgId} was stored at seq ${storedSeq} under this epoch's message id and not applied`);
    }
    // Skipped everywhere as a stray: the request never executed. Append it again.
    this.options.log(`shard ${head.shard}: request ${p.msgId}'s message id is used by the stray record at seq ${storedSeq}: appending it as ${derived}`);
    p.msgId = derived;
    this.refused.push(p);
  }

  /** Every append settled: rebuild on the true tail, or step down if the stream moved without us. */
  private async resync(): Promise<void> {
    const head = this.options.state.head;
    let last: number;
    try {
      // Heartbeats go on meanwhile, so no member claims while this leader waits out an election.
      last = (await streamInfo(this.options.nc, this.options.subjects.stream)).state.last_seq;
    } catch (error) {
      this.stepDown(`cannot read the stream's last sequence: ${(error as Error).message}`);
      return;
    }
    if (last !== head.streamSeq) {
      this.stepDown(`the stream moved to seq ${last} past this leader's last record at ${head.streamSeq}`);
      return;
    }
    this.tail = tailOf(head);
    this.queue.unshift(...this.refused);
    this.refused.length = 0;
    this.resyncing = false;
  }

  private answer(p: Pending, reply: Uint8Array): void {
    // A batch's results and events can outgrow its commands many times over (40,000 resting
    // orders: 3.8 MB of commands, 9.3 MB of answer). Past the servers' max_payload, publish
    // throws: the leader stepped down over a request it had committed, and so did every leader
    // its retries reached, until the client gave up. The position alone says it is committed.
    const limit = this.options.nc.info?.max_payload;
    const tooLarge = limit !== undefined && reply.byteLength > limit;
    const status = replyStatus(reply);
    const committed = status === ReplyStatus.COMMITTED || status === ReplyStatus.DUPLICATE;
    const sendable = tooLarge && committed ? withoutResults(reply) : reply;
    for (const subject of p.replyTo) this.options.nc.publish(subject, sendable);
    p.replyTo.length = 0;
  }
}

/** The answer to a request the stream would not store: nothing was appended, and the message says why. */
function refusedByStream(outcome: { kind: 'no-room'; message: string } | { kind: 'stream-missing' }, stream: string): Uint8Array {
  return outcome.kind === 'no-room'
    ? encodeReply(ReplyStatus.STREAM_FULL, undefined, undefined, `the stream ${stream} refused the append (${outcome.message}): nothing was appended`)
    : encodeReply(ReplyStatus.STREAM_MISSING, undefined, undefined, `the stream ${stream} does not exist (deleted?): nothing was appended`);
}

/**
 * The message id a request is appended under again when its own is used by a skipped record: one
 * per epoch. The ':' never appears in a request's own id, so no request's id can be another's
 * derived one. Message ids are not stored anywhere but JetStream's duplicate window, so streams
 * written with the older '.e' spelling read the same.
 */
export function derivedMessageId(clientId: number, requestSeq: number, epoch: number): string {
  return `${requestMessageId(clientId, requestSeq)}:e${epoch.toString(36)}`;
}

function tailOf(head: ChainHead): Tail {
  return { streamSeq: head.streamSeq, batchSeq: head.batchSeq, epoch: head.epoch, hash: head.hash };
}
