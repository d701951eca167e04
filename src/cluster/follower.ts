// Reads a shard's stream in order from a given sequence and hands each record to the member.
// JetStream's ordered consumer lives on one server and stalls when that server dies, so this
// watches progress itself: when the stream has records past the last one delivered and none
// arrived for `stallMs`, it drops the consumer and opens a new one after the last applied record.
import { jetstream, type ConsumerMessages, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { managerOf } from './streams.js';

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
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private jsm: JetStreamManager | undefined;
  /** Consumers opened again after a stall or an error. */
  reopens = 0;
  /** The sequence the last gaps were found at, and how many consumers in a row found one there. */
  private gapAt = 0;
  private gaps = 0;

  constructor(private readonly nc: NatsConnection, private readonly options: FollowerOptions) {}

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
      try {
        const consumer = await js.consumers.get(this.options.stream, {
          opt_start_seq: this.nextSeq, inactive_threshold: 30_000 * NANOS_PER_MS,
        });
        const messages = await consumer.consume({ max_messages: 256, expires: 2_000 });
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
        if (this.running) this.options.log?.(`consumer of ${this.options.stream} failed at seq ${this.nextSeq}: ${(error as Error).message}; reopening`);
      }
      this.messages = undefined;
      if (this.running) {
        this.reopens++;
        await new Promise((resolve) => setTimeout(resolve, 100));
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
