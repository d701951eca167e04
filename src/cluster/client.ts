// A client of a sharded cluster. It routes every command to the shard that holds its asset,
// sends requests to that shard's leader over NATS request/reply, and retries the very same
// request (same client id and request number, so the same JetStream message id) on a timeout,
// a NOT_LEADER answer or no responder at all: a retry of a committed request is a duplicate in
// the stream, and the answer is the original one. Only a committed answer resolves a call.
// Retries go out in request order, after every earlier request to the shard is settled.
//
// Two ways in: submitBatch() sends a CommandBatch as one request (the fast path: nothing is
// allocated per command); the per-call methods gather the commands of each shard into one
// request while the previous requests to that shard are on their way, and resolve to what the
// local engine's method of the same name returns, plus where it was committed and its events.
import { randomInt } from 'node:crypto';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { assertBatch, type BatchResults, COMMAND_BYTES, COMMAND_SLOTS, CommandBatch } from '../batch.js';
import { ORDER_STATUS, REJECT_REASONS, StatusCode } from '../codes.js';
import { invalidArgument, LobError } from '../errors.js';
import { Slot } from '../operations.js';
import { isPositiveSafeInteger, refuseUnknownOptions, requireTimerMs } from '../validate.js';
import type {
  BookEvent, CancelAllRequest, CancelAllResult, CancelRequest, CancelResult, Fill, LimitOrderRequest, MarketOrderRequest, ModifyRequest,
  OcoOrderRequest, Only, OrderResult, OrderStatus, ReduceRequest, StopOrderRequest,
} from '../types.js';
import { validateCommands } from './engine-layout.js';
import { shardSubjects } from './layout.js';
import { connectAs } from './nats/connect.js';
import type { ClusterDescription } from './nats/description.js';
import { CLIENT_ROLE } from './nats/roles.js';
import { appendBytes } from './publish.js';
import { ShardRouter } from './router.js';
import { DUPLICATE_WINDOW_MS } from './streams.js';
import { encodeRequest } from './wire/request.js';
import { ClusterReply } from './wire/reply.js';

export interface ClusterClientOptions {
  /** One attempt waits this long for an answer (ms). */
  attemptTimeoutMs?: number;
  /** A request is given up (UNAVAILABLE) after this long; at most the streams' duplicate window, 5 minutes (ms). */
  deadlineMs?: number;
  /** Requests on their way per shard for the per-call methods. */
  perShardWindow?: number;
  /** Most commands the per-call methods gather into one request. */
  maxRequestCommands?: number;
}

/** What a per-call method adds to the local engine's result: where the command was committed, and its events. */
export interface ClusterCommit {
  /**
   * What the command changed in its book, in order: what a local engine's `events` holds after
   * the same call (`command` is 0, the command's index in its call).
   */
  events: BookEvent[];
  shard: number;
  /** Where the request that carried the command is in its shard's stream. */
  streamSeq: number;
}

/** placeLimit, placeMarket, placeStop, placeOco, modify: a local engine's OrderResult (spent, stopOrderId and stopStatus included). */
export type ClusterOrderResult = OrderResult & ClusterCommit;
/** cancel, reduce: a local engine's CancelResult. */
export type ClusterCancelResult = CancelResult & ClusterCommit;
/** cancelAll on one asset: a local engine's CancelAllResult. */
export type ClusterCancelAllResult = CancelAllResult & ClusterCommit;

/**
 * cancelAll over every asset: one cancelAll over every asset of each shard, committed in that
 * shard's stream on its own (the shards do not commit together). `cancelled` is their sum; `ok`
 * is false, with the first `reason`, if any shard refused (CAPACITY: nothing cancelled there).
 */
export interface ClusterCancelAllEverywhereResult extends CancelAllResult {
  /** Each shard's own cancelAll, by shard. */
  shards: ClusterCancelAllResult[];
}

export interface ClientStats {
  requests: number;
  /** Attempts beyond the first: timeouts, NOT_LEADER answers, no responders. */
  retries: number;
  duplicates: number;
}

interface Waiter {
  /** The command's index in the request it goes out in. */
  index: number;
  /** Resolves the call from its command's results, fills and events. */
  answer: (reply: ClusterReply, fills: Fill[], events: BookEvent[]) => void;
  reject: (error: unknown) => void;
}

interface ShardQueue {
  batch: CommandBatch;
  waiters: Waiter[];
  inFlight: number;
  scheduled: boolean;
}

export class ClusterClient {
  readonly clientId = randomInt(1, 2 ** 47);
  readonly router: ShardRouter;
  readonly stats: ClientStats = { requests: 0, retries: 0, duplicates: 0 };
  private requestSeq = 0;
  private readonly submitSubjects: string[];
  private readonly queues: ShardQueue[];
  /** Per shard: when every request sent so far is settled, and how many are sending in turn. */
  private readonly lanes: Array<{ settled: Promise<void>; ordered: number }>;
  private readonly scratch = new CommandBatch(1);
  private closed = false;

  constructor(private readonly nc: NatsConnection, description: ClusterDescription, private readonly options: ClusterClientOptions = {}) {
    checkClientOptions(options);
    this.router = new ShardRouter(description.layout);
    this.submitSubjects = description.layout.shards.map((s) => shardSubjects(description.layout.clusterId, s.shard).submit);
    this.queues = description.layout.shards.map(() => ({ batch: new CommandBatch(256), waiters: [], inFlight: 0, scheduled: false }));
    this.lanes = description.layout.shards.map(() => ({ settled: Promise.resolve(), ordered: 0 }));
  }

  static async connect(runDir: string, description: ClusterDescription, options: ClusterClientOptions = {}): Promise<ClusterClient> {
    // Before connecting: a refused client must not leave a connection open behind it.
    checkClientOptions(options);
    return new ClusterClient(await connectAs(runDir, description, CLIENT_ROLE), description, options);
  }

  /**
   * Sends a batch whose commands all belong to one shard as one request. Resolves once the shard's
   * stream holds it (committed, or committed before: a duplicate); INVALID_ARGUMENT for bad input
   * (nothing appended); UNAVAILABLE when no leader answered before the deadline.
   */
  async submitBatch(batch: CommandBatch): Promise<ClusterReply> {
    assertBatch(batch);
    const shard = this.router.shardOfBatch(batch);
    validateCommands(batch);
    return this.send(shard, batch.bytes().slice(), batch.slots.slice());
  }

  placeLimit(req: LimitOrderRequest): Promise<ClusterOrderResult> {
    return this.enqueue(req, (b) => b.request('placeLimit', req), orderResult);
  }

  /** A budget order's result has its `spent`. */
  placeMarket(req: MarketOrderRequest): Promise<ClusterOrderResult> {
    return this.enqueue(req, (b) => b.request('placeMarket', req), marketResult);
  }

  placeStop(req: StopOrderRequest): Promise<ClusterOrderResult> {
    return this.enqueue(req, (b) => b.request('placeStop', req), orderResult);
  }

  /** An OCO pair; the result is the limit leg's, with its stop leg's `stopOrderId` (orderId + 1) and `stopStatus`. */
  placeOco(req: OcoOrderRequest): Promise<ClusterOrderResult> {
    return this.enqueue(req, (b) => b.request('placeOco', req), ocoResult);
  }

  cancel(req: CancelRequest): Promise<ClusterCancelResult> {
    return this.enqueue(req, (b) => b.request('cancel', req), cancelResult);
  }

  reduce(req: ReduceRequest): Promise<ClusterCancelResult> {
    return this.enqueue(req, (b) => b.request('reduce', req), cancelResult);
  }

  /**
   * Cancels the trader's resting orders and pending stops on one asset; without an asset, on
   * every asset, by a cancelAll sent to each shard (each over that shard's assets).
   */
  cancelAll(req: Only<{ trader: number; asset: number }>): Promise<ClusterCancelAllResult>;
  cancelAll(req: Only<{ trader: number; asset?: undefined }>): Promise<ClusterCancelAllEverywhereResult>;
  cancelAll(req: CancelAllRequest): Promise<ClusterCancelAllResult | ClusterCancelAllEverywhereResult> {
    // A request that is not an object goes the every-shard way, whose check refuses it as the engine does.
    if (typeof req === 'object' && req !== null && req.asset !== undefined) return this.enqueue(req, (b) => b.request('cancelAll', req), cancelAllResult);
    const everyShard = this.queues.map((_, shard) => this.enqueueOn(shard, (b) => b.request('cancelAll', req), cancelAllResult));
    return Promise.all(everyShard).then((shards) => {
      const refused = shards.find((s) => !s.ok);
      const cancelled = shards.reduce((sum, s) => sum + s.cancelled, 0);
      return refused === undefined ? { ok: true, cancelled, shards } : { ok: false, cancelled, reason: refused.reason, shards };
    });
  }

  modify(req: ModifyRequest): Promise<ClusterOrderResult> {
    return this.enqueue(req, (b) => b.request('modify', req), orderResult);
  }

  /** Calls on their way, and those queued, end as NOT_OPEN. */
  async close(): Promise<void> {
    this.closed = true;
    await this.nc.close();
  }

  private requireOpen(): void {
    if (this.closed) throw new LobError('NOT_OPEN', 'the cluster client is closed');
  }

  /**
   * One request, sent until a leader commits it, refuses it, or the deadline passes. Requests to
   * a shard go out at once, pipelined; once one needs sending again (its leader died), it waits
   * until every earlier request to that shard is settled, and so do new requests while any is
   * being sent again, so the retries of a failover keep the requests' order. (A request sent
   * before any failure was noticed may still reach a new leader first: docs/scale-out.md.)
   */
  private async send(shard: number, commands: Uint8Array, slots: Float64Array): Promise<ClusterReply> {
    this.requireOpen();
    // The servers refuse a message past their max_payload, and the leader a request whose stream
    // append (larger than the request) would be: asking again, as the client did until its
    // deadline (UNAVAILABLE a minute later), cannot change that.
    const limit = this.nc.info?.max_payload;
    const bytes = appendBytes(commands.byteLength);
    if (limit !== undefined && bytes > limit) {
      throw new LobError('INVALID_ARGUMENT', `batch of ${commands.byteLength / COMMAND_BYTES} commands needs up to ${bytes} bytes as a stream append, past the servers' max_payload of ${limit}: send it in smaller batches`);
    }
    const requestSeq = ++this.requestSeq;
    const request = encodeRequest(shard, this.clientId, requestSeq, commands);
    const deadline = Date.now() + (this.options.deadlineMs ?? 60_000);
    const timeout = this.options.attemptTimeoutMs ?? 2_000;
    const lane = this.lanes[shard];
    const earlier = lane.settled;
    let settle = (): void => {};
    lane.settled = new Promise<void>((resolve) => { settle = resolve; });
    this.stats.requests++;
    let lastProblem = 'no attempt';
    // Once a request has to wait for its turn, it stays counted until it settles: new requests
    // queue behind it instead of overtaking it.
    let ordered = false;
    const waitForTurn = async (): Promise<void> => {
      if (ordered) return;
      ordered = true;
      lane.ordered++;
      await earlier;
    };
    try {
      if (lane.ordered > 0) await waitForTurn();
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) {
          this.stats.retries++;
          await waitForTurn();
          if (Date.now() >= deadline) {
            throw new LobError('UNAVAILABLE', `shard ${shard}: request ${requestSeq} not committed within ${this.options.deadlineMs ?? 60_000} ms (last: ${lastProblem})`);
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(500, 50 * attempt)));
          // A closed client would otherwise go on retrying on a closed connection until the deadline.
          this.requireOpen();
        }
        let answer: Msg;
        try {
          answer = await this.nc.request(this.submitSubjects[shard], request, { timeout });
        } catch (error) {
          this.requireOpen();
          lastProblem = (error as Error).message;
          continue;
        }
        const reply = new ClusterReply(answer.data, slots);
        reply.requireAnswerTo(shard, commands.byteLength / COMMAND_BYTES);
        if (reply.status === 'not-leader') {
          lastProblem = `not leader: ${reply.message}`;
          continue;
        }
        if (reply.status === 'rejected') throw new LobError('INVALID_ARGUMENT', reply.message);
        if (reply.status === 'unknown-outcome') throw new LobError('UNAVAILABLE', `shard ${shard}: request ${requestSeq}: ${reply.message}`);
        // Nothing was appended, and sending it again meets the same refusal until an operator acts.
        if (reply.status === 'stream-full') throw new LobError('CAPACITY', `shard ${shard}: request ${requestSeq}: ${reply.message}`);
        if (reply.status === 'stream-missing') throw new LobError('UNAVAILABLE', `shard ${shard}: request ${requestSeq}: ${reply.message}`);
        if (reply.status !== 'committed') this.stats.duplicates++;
        return reply;
      }
    } finally {
      if (ordered) lane.ordered--;
      // Settled in order: the next request's turn comes after this one's and all before it.
      void earlier.then(settle);
    }
  }

  /**
   * Queues one command for the shard of `req.asset`; `read` makes the call's result from the
   * command's results in the answer, as the local engine's method does from its own.
   */
  private enqueue<T>(req: { asset?: number }, encode: (batch: CommandBatch) => void, read: (r: BatchResults, i: number, fills: Fill[]) => T): Promise<T & ClusterCommit> {
    let shard: number;
    try {
      // Checked before it is routed: a request that is not an object has no asset to read.
      this.check(encode);
      shard = this.router.requireShard(req.asset as number);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.queueOn(shard, encode, read);
  }

  /** Queues one command for `shard` (enqueue: the shard of its asset). */
  private enqueueOn<T>(shard: number, encode: (batch: CommandBatch) => void, read: (r: BatchResults, i: number, fills: Fill[]) => T): Promise<T & ClusterCommit> {
    try {
      this.check(encode);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.queueOn(shard, encode, read);
  }

  /** Throws what the engine's method would for the request `encode` writes, as a call's error (no `commands[0].`). */
  private check(encode: (batch: CommandBatch) => void): void {
    try {
      encode(this.scratch.clear());
      validateCommands(this.scratch);
    } catch (error) {
      if (error instanceof LobError) throw new LobError(error.code, error.message.replace(/^commands\[0\]\./, ''));
      throw error;
    }
  }

  private queueOn<T>(shard: number, encode: (batch: CommandBatch) => void, read: (r: BatchResults, i: number, fills: Fill[]) => T): Promise<T & ClusterCommit> {
    const queue = this.queues[shard];
    encode(queue.batch);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        index: queue.batch.count - 1,
        answer: (reply, fills, events) => resolve({ ...read(reply.results, waiter.index, fills), events, shard: reply.shard, streamSeq: reply.streamSeq }),
        reject,
      };
      queue.waiters.push(waiter);
      this.schedule(shard);
    });
  }

  private schedule(shard: number): void {
    const queue = this.queues[shard];
    if (queue.scheduled) return;
    queue.scheduled = true;
    queueMicrotask(() => {
      queue.scheduled = false;
      this.flushShard(shard);
    });
  }

  private flushShard(shard: number): void {
    const queue = this.queues[shard];
    const window = this.options.perShardWindow ?? 4;
    while (queue.waiters.length > 0 && queue.inFlight < window) {
      const limit = this.options.maxRequestCommands ?? 4_096;
      const take = Math.min(limit, queue.batch.count);
      const commands = queue.batch.bytes().slice(0, take * (queue.batch.bytes().byteLength / queue.batch.count));
      const slots = queue.batch.slots.slice(0, take * (queue.batch.slots.length / queue.batch.count));
      const waiters = queue.waiters.splice(0, take);
      const rest = CommandBatch.fromBytes(queue.batch.bytes().slice(commands.byteLength));
      queue.batch = rest;
      for (const w of queue.waiters) w.index -= take;
      queue.inFlight++;
      this.send(shard, commands, slots).then((reply) => settleWaiters(reply, waiters), (error: unknown) => {
        for (const w of waiters) w.reject(error);
      }).finally(() => {
        queue.inFlight--;
        this.flushShard(shard);
      });
    }
  }
}

const CLIENT_OPTIONS = ['attemptTimeoutMs', 'deadlineMs', 'perShardWindow', 'maxRequestCommands'] as const;

/**
 * INVALID_ARGUMENT naming the option. Unchecked, a window or request size of 0 (or NaN) sent
 * nothing, or empty requests for ever, and the calls never settled; and a deadline past the
 * streams' duplicate window let a retry of a request committed but never answered be stored,
 * and applied, a second time.
 */
function checkClientOptions(options: ClusterClientOptions): void {
  refuseUnknownOptions('options', options, CLIENT_OPTIONS, 'ClusterClient');
  for (const name of CLIENT_OPTIONS) {
    const value = options[name];
    if (value !== undefined && !isPositiveSafeInteger(value)) throw invalidArgument(name, 'a positive safe integer', value);
  }
  // The request's timer (setTimeout) fires a longer delay after 1 ms: every attempt would time out at once.
  if (options.attemptTimeoutMs !== undefined) requireTimerMs('attemptTimeoutMs', options.attemptTimeoutMs, 1);
  if (options.deadlineMs !== undefined && options.deadlineMs > DUPLICATE_WINDOW_MS) {
    throw invalidArgument('deadlineMs', `at most ${DUPLICATE_WINDOW_MS} (the streams' duplicate window: a retry after it would be a new request)`, options.deadlineMs);
  }
}

function settleWaiters(reply: ClusterReply, waiters: Waiter[]): void {
  const r = reply.results;
  if (r.count === 0) {
    // Committed before, but the leader no longer holds the answer: the command is in the stream
    // once, and its result is not known here. A made-up one would read as an outcome.
    const error = new LobError('NOT_RETAINED', `shard ${reply.shard}: committed once before (stream sequence ${reply.streamSeq}), but its leader no longer keeps the result; do not send the command again: its outcome is in the shard's state`);
    for (const w of waiters) w.reject(error);
    return;
  }
  const fills: Fill[][] = waiters.map(() => []);
  const events: BookEvent[][] = waiters.map(() => []);
  for (let j = 0; j < r.fillCount; j++) fills[r.fillCommand(j)]?.push(r.fill(j));
  for (let k = 0; k < r.events.count; k++) {
    // Numbered as in a call of its own, as a local engine's events after the same call.
    const event = r.events.event(k);
    events[event.command]?.push({ ...event, command: 0 });
  }
  for (const w of waiters) w.answer(reply, fills[w.index], events[w.index]);
}

// The per-call results of the cluster's commands, made as src/engine-host.ts makes the local
// engine's from the same result slots (src/batch.ts): test/cluster-client.test.ts compares them.

function orderResult(r: BatchResults, i: number, fills: Fill[]): OrderResult {
  const result: OrderResult = {
    orderId: r.orderId(i),
    status: ORDER_STATUS[r.statusCode(i)] as OrderStatus,
    filled: r.filled(i),
    remaining: r.remaining(i),
    fills,
  };
  const reason = r.reason(i);
  if (reason !== undefined) result.reason = reason;
  // 0 is no client order id: one given is positive.
  const clientOrderId = r.commands[i * COMMAND_SLOTS + Slot.CLIENT_ORDER_ID];
  if (clientOrderId !== 0) result.clientOrderId = clientOrderId;
  return result;
}

function marketResult(r: BatchResults, i: number, fills: Fill[]): OrderResult {
  const result = orderResult(r, i, fills);
  if (r.commands[i * COMMAND_SLOTS + Slot.BUDGET] !== 0) result.spent = r.spent(i);
  return result;
}

function ocoResult(r: BatchResults, i: number, fills: Fill[]): OrderResult {
  const result = orderResult(r, i, fills);
  const stopStatus = r.stopStatus(i);
  if (stopStatus !== undefined) {
    result.stopOrderId = result.orderId + 1;
    result.stopStatus = stopStatus;
  }
  return result;
}

function cancelResult(r: BatchResults, i: number): CancelResult {
  if (r.statusCode(i) === StatusCode.OK) return { ok: true, remaining: r.remaining(i) };
  return { ok: false, reason: REJECT_REASONS[r.reasonCode(i)] };
}

function cancelAllResult(r: BatchResults, i: number): CancelAllResult {
  if (r.statusCode(i) === StatusCode.OK) return { ok: true, cancelled: r.cancelled(i) };
  return { ok: false, cancelled: 0, reason: REJECT_REASONS[r.reasonCode(i)] };
}
