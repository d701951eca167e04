// Reads a shard's stream in order from a given sequence and hands each record to the member.
// JetStream's ordered consumer lives on one server and stalls when that server dies, so this
// watches progress itself: when the stream has records past the last one delivered and none
// arrived for `stallMs`, it drops the consumer and opens a new one after the last applied record.
// A consumer that cannot be opened (the stream deleted, or without a leader for long) is tried
// again with a growing pause, and the log hears when that starts and when it ends.
import { jetstream, type ConsumerMessages, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Backoff } from './backoff.js';
import { isStreamNotFound, managerOf, streamMissing } from './streams.js';

export interface FollowerOptions {
  stream: string;
  /** Called for every message, in stream order; the next is read once it resolves. */
  onRecord: (bytes: Uint8Array, streamSeq: number) => void | Promise<void>;
  /** No delivery for this long while the stream has more: reopen (ms). */
  stallMs?: number;
  log?: (line: string) => void;
  /**
   * The stream has no record at `seq`: reopened consumers kept delivering `next`, a later one
   * (deleted or trimmed). The follower has stopped; nothing past the hole can be applied.
   */
  onMissing?: (seq: number, next: number) => void;
}

/** Consumers reopened at one sequence that each delivered a later one: the record is not there. */
export const GAP_REOPENS_BEFORE_MISSING = 3;

const NANOS_PER_MS = 1_000_000;

/** The pause before opening a consumer again after it ended normally (a stall, a gap), or after the first failure. */
const REOPEN_PAUSE_MS = 100;

/**
 * The longest pause between two attempts to open a consumer that keep failing: a stream made
 * again (or given a leader again) is read within 5 s, about what a stream leader's election costs
 * anyway (docs/scale-out.md), while a stream gone for a night costs each follower one request
 * every 5 s instead of ten a second.
 */
export const REOPEN_MAX_PAUSE_MS = 5_000;

/**
 * A delivered stream sequence against the one due: handed on already, the one due, or past a
 * hole. Records must reach the chain rule without holes: a member fed seq 3 after seq 1 skips it
 * as 'ahead', and once at the stream's end it would claim on a stale head and lead a fork.
 */
export function deliveryOf(seq: number, nextSeq: number): 'old' | 'next' | 'gap' {
  if (seq < nextSeq) return 'old';
  return seq === nextSeq ? 'next' : 'gap';
}

export class StreamFollower {
  private running = false;
  private nextSeq = 1;
  private lastDelivery = 0;
  private messages: ConsumerMessages | undefined = undefined;
  private loop: Promise<void> | undefined = undefined;
  private watchdog: NodeJS.Timeout | undefined = undefined;
  private jsm: JetStreamManager | undefined = undefined;
  /** Consumers opened again after a stall or an error. */
  reopens = 0;
  /** Attempts to open a consumer that failed in a row, and the pause after the last one. */
  readonly openRetry: Backoff;
  /** The sequence the last gaps were found at, and how many consumers in a row found one there. */
  private gapAt = 0;
  private gaps = 0;

  constructor(private readonly nc: NatsConnection, private readonly options: FollowerOptions) {
    this.openRetry = new Backoff(`consumer of ${options.stream}`, { firstMs: REOPEN_PAUSE_MS, maxMs: REOPEN_MAX_PAUSE_MS, log: options.log });
  }

  /** Starts reading at `fromSeq` (the sequence after the last applied record). */
  start(fromSeq: number): void {
    if (this.running) return;
    this.running = true;
    this.nextSeq = fromSeq;
    this.lastDelivery = Date.now();
    this.loop = this.run();
    const stallMs = this.options.stallMs ?? 2_000;
    this.watchdog = setInterval(() => void this.checkProgress(stallMs), Math.max(100, stallMs / 4));
  }

  /** The sequence the next delivered message should carry. */
  get position(): number {
    return this.nextSeq;
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.watchdog);
    this.messages?.stop();
    await this.loop;
  }

  /** The stream's last sequence, as its current leader server reports it (one attempt: the callers ask again on their own schedule). */
  async streamLastSeq(): Promise<number> {
    this.jsm ??= await managerOf(this.nc, 2_000);
    const info = await this.jsm.streams.info(this.options.stream);
    return info.state.last_seq;
  }

  private async run(): Promise<void> {
    const js = jetstream(this.nc, { timeout: 2_000 });
    // A closed connection never comes back: reopening on it would go on for good.
    while (this.running && !this.nc.isClosed()) {
      let failed = false;
      try {
        // Asks for the stream's info first: answered, the stream is there and has a leader.
        const consumer = await js.consumers.get(this.options.stream, {
          opt_start_seq: this.nextSeq, inactive_threshold: 30_000 * NANOS_PER_MS,
        });
        this.openRetry.succeeded();
        // A stream deleted under the consumer ends it here, to be tried again on this loop's
        // schedule and in its log; the client's own recovery tried it again for good, silently.
        const messages = await consumer.consume({ max_messages: 256, expires: 2_000, abort_on_missing_resource: true });
        this.messages = messages;
        if (!this.running) messages.stop();
        for await (const message of messages) {
          if (!this.running) break;
          const delivery = deliveryOf(message.seq, this.nextSeq);
          // A reopened consumer may hand back what was delivered before the reopen.
          if (delivery === 'old') continue;
          if (delivery === 'gap') {
            this.gaps = this.gapAt === this.nextSeq ? this.gaps + 1 : 1;
            this.gapAt = this.nextSeq;
            if (this.gaps >= GAP_REOPENS_BEFORE_MISSING) {
              this.options.log?.(`${this.options.stream}: no record at seq ${this.nextSeq} (${this.gaps} consumers in a row delivered seq ${message.seq} next): it was deleted or trimmed; stopping`);
              this.running = false;
              clearInterval(this.watchdog);
              this.options.onMissing?.(this.nextSeq, message.seq);
              break;
            }
            this.options.log?.(`${this.options.stream}: seq ${message.seq} delivered while seq ${this.nextSeq} was due: reopening the consumer at seq ${this.nextSeq}`);
            break;
          }
          this.lastDelivery = Date.now();
          await this.options.onRecord(message.data, message.seq);
          this.nextSeq = message.seq + 1;
          this.lastDelivery = Date.now();
        }
      } catch (error) {
        if (this.running) {
          failed = true;
          // A stream deleted under an open consumer ends it as "consumer deleted": the stream's
          // info says which it was, so the log says "missing" once rather than two things.
          if (isStreamNotFound(error) || await streamMissing(this.nc, this.options.stream, 2_000)) this.openRetry.failed('missing', `the stream does not exist (deleted?); reading from seq ${this.nextSeq}`);
          else this.openRetry.failed('failing', `failed at seq ${this.nextSeq}: ${(error as Error).message}`);
        }
      }
      this.messages = undefined;
      if (this.running) {
        this.reopens++;
        await new Promise((resolve) => setTimeout(resolve, failed ? this.openRetry.pauseMs : REOPEN_PAUSE_MS));
      }
    }
    if (this.nc.isClosed()) {
      this.running = false;
      clearInterval(this.watchdog);
    }
  }

  private async checkProgress(stallMs: number): Promise<void> {
    if (!this.running || this.messages === undefined || Date.now() - this.lastDelivery < stallMs) return;
    let last: number;
    try {
      last = await this.streamLastSeq();
    } catch {
      return; // no stream leader right now (an election): nothing to read from anyway
    }
    if (last >= this.nextSeq && Date.now() - this.lastDelivery >= stallMs && this.messages !== undefined) {
      this.options.log?.(`no delivery for ${Date.now() - this.lastDelivery} ms while the stream holds ${last - this.nextSeq + 1} more records: reopening the consumer at seq ${this.nextSeq}`);
      this.lastDelivery = Date.now();
      this.messages.stop();
    }
  }
}
