// The market-data feed: one message per command that changed an asset's book, with that
// command's events for the asset and the price levels it changed as absolute values, numbered by
// the asset's feed sequence. Messages are cut from durable event blocks, so a subscriber never
// sees anything a crash could take back; history is the same blocks read back from the store, so
// a subscriber can start from any sequence, replay, and go on live with no gap and no duplicate.
//
// A subscriber that does not keep up is cut off rather than let its queue grow: it gets what was
// queued, then its iteration ends with a LobError (code SLOW_CONSUMER); it can subscribe again
// from one past the last sequence it got. While a subscriber replays history, the live messages
// held behind the replay count against the same bound, and the replay waits for the reader rather
// than queue a whole stored block at once.
import { EVENT_SLOTS, EventHead, EventSlot, readEvent } from '../events.js';
import { parseDecimalInteger } from '../decimal-integer.js';
import { LobError, invalidArgument } from '../errors.js';
import { isNonNegativeSafeInteger, refuseUnknownOptions, requireOptions } from '../validate.js';
import { EventCode, SIDES } from '../codes.js';
import type { FeedMessage, LevelUpdate, SubscribeOptions } from '../types.js';
import type { Commit } from './commit-builder.js';
import type { CommitFollower } from './committer.js';
import type { EventBlock } from './event-block.js';
import { decodeUint } from './codecs.js';
import { History, type HistoryReader } from './history.js';
import { Prefix, keyOf } from './keys.js';

export const DEFAULT_MAX_BUFFERED = 10_000;

/** The feed messages of a block, for `wanted` assets (undefined: all), in order. */
export function messagesOf(block: EventBlock, wanted?: (asset: number) => boolean): FeedMessage[] {
  const out: FeedMessage[] = [];
  const next = new Map(block.feedStarts);
  const events = block.events;
  let k = 0;
  while (k < block.count) {
    // One command's events: [k, end).
    const seq = events[k * EVENT_SLOTS + EventSlot.COMMAND];
    let end = k;
    while (end < block.count && events[end * EVENT_SLOTS + EventSlot.COMMAND] === seq) end++;
    // Its messages, one per asset whose book it changed, in order of first change. Nearly every
    // command changes one book, so the others are listed only when there are any.
    let first = -1;
    let others: number[] | undefined;
    for (let j = k; j < end; j++) {
      const o = j * EVENT_SLOTS;
      if ((events[o] & EventHead.LEVEL) === 0) continue;
      const asset = events[o + EventSlot.ASSET];
      if (first === -1) first = asset;
      else if (asset !== first && !(others ??= []).includes(asset)) others.push(asset);
    }
    if (first !== -1) pushMessage(out, block, k, end, first, next, wanted);
    if (others !== undefined) for (const asset of others) pushMessage(out, block, k, end, asset, next, wanted);
    k = end;
  }
  return out;
}

/**
 * Command [from, end)'s message for one asset, numbered with the asset's next feed sequence (taken
 * whether or not the asset is wanted). Its levels are kept in arrays rather than maps: a message is
 * built for every command, and a command touches a few levels.
 */
function pushMessage(
  out: FeedMessage[], block: EventBlock, from: number, end: number, asset: number, next: Map<number, number>, wanted?: (asset: number) => boolean,
): void {
  const feedSeq = next.get(asset) as number;
  next.set(asset, feedSeq + 1);
  if (wanted !== undefined && !wanted(asset)) return;
  const events = block.events;
  const message: FeedMessage = { asset, seq: feedSeq, height: block.heights[from], events: [], levels: [] };
  let asks: LevelUpdate[] | undefined;
  for (let j = from; j < end; j++) {
    const o = j * EVENT_SLOTS;
    const head = events[o];
    // A pending stop is not market data: it shows in the feed once it triggers.
    if (events[o + EventSlot.ASSET] !== asset || (head & EventHead.PENDING) !== 0) continue;
    message.events.push(readEvent(events, o));
    if ((head & EventHead.LEVEL) === 0) continue;
    const side = (head >> EventHead.SIDE_SHIFT) & 1;
    setLevel(side === 0 ? message.levels : (asks ??= []), side, events[o + EventSlot.PRICE], events[o + EventSlot.LEVEL_SIZE], events[o + EventSlot.LEVEL_ORDERS]);
  }
  // The last value of each level the command touched: bids, then asks.
  if (asks !== undefined) for (const level of asks) message.levels.push(level);
  dropLevelsBornAndGone(message.levels, events, from, end, asset);
  out.push(message);
}

/**
 * Takes out a level the command both made and emptied (a stop cascade can rest an order at a new
 * price and fill it before the command ends): it was not there before and is not there after, so
 * it did not change, and a size-0 update would tell a subscriber to remove a level it never had.
 */
function dropLevelsBornAndGone(levels: LevelUpdate[], events: Float64Array, from: number, end: number, asset: number): void {
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i];
    if (level.size === 0 && bornInCommand(events, from, end, asset, level.side === 'bid' ? 0 : 1, level.price)) levels.splice(i, 1);
  }
}

/**
 * Whether the level at `price` did not exist before command [from, end): the command's first event
 * at that level rested an order and left it one order, which only a new level has.
 */
function bornInCommand(events: Float64Array, from: number, end: number, asset: number, side: number, price: number): boolean {
  for (let j = from; j < end; j++) {
    const o = j * EVENT_SLOTS;
    const head = events[o];
    if (events[o + EventSlot.ASSET] !== asset || (head & EventHead.LEVEL) === 0 || ((head >> EventHead.SIDE_SHIFT) & 1) !== side ||
      events[o + EventSlot.PRICE] !== price) continue;
    return (head & EventHead.KIND_MASK) === EventCode.RESTED && events[o + EventSlot.LEVEL_ORDERS] === 1;
  }
  return false;
}

/** The level at `price` takes the new values where the command touched it first, or is added. */
function setLevel(levels: LevelUpdate[], side: number, price: number, size: number, orders: number): void {
  // From the end: a command's events at one level come together, so the match is usually the last.
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i];
    if (level.price === price) {
      level.size = size;
      level.orders = orders;
      return;
    }
  }
  levels.push({ side: SIDES[side], price, size, orders });
}

/** Where the publisher hands messages. */
interface FeedSink {
  wants(asset: number): boolean;
  offer(message: FeedMessage): void;
}

/** One subscriber's stream: bounded, closable, an async iterable. */
export class Subscription implements AsyncIterable<FeedMessage>, FeedSink {
  // A queue read from `head`: Array.prototype.shift moves every element of a large array, so a
  // subscriber draining a long queue took time quadratic in its length (200,000 queued messages
  // held a state machine to 7k commands/s).
  private queue: FeedMessage[] = [];
  private head = 0;
  /**
   * The next() calls waiting for a message, oldest first (there are some only while the queue is
   * empty). An iterator may be asked again before it answers, and each ask must be answered.
   */
  private waiting: Array<{ resolve: (result: IteratorResult<FeedMessage>) => void; reject: (error: unknown) => void }> = [];
  private error: LobError | null = null;
  private closed = false;
  /** The last seq handed out or queued, per asset (to skip what a replay already gave). */
  private readonly last = new Map<number, number>();
  /** A replay waiting for the reader to take messages (whenFewerThan), and how few it waits for. */
  private room: { below: number; resolve: () => void } | null = null;

  constructor(
    private readonly wanted: ((asset: number) => boolean) | undefined,
    private readonly maxBuffered: number,
    private readonly onClose: (subscription: Subscription) => void,
  ) {}

  wants(asset: number): boolean {
    return this.wanted === undefined || this.wanted(asset);
  }

  /** Queues a message unless it is one the subscriber already has; cuts the subscriber off when its queue is full. */
  offer(message: FeedMessage): void {
    if (this.closed || this.error !== null || !this.wants(message.asset)) return;
    const last = this.last.get(message.asset);
    if (last !== undefined && message.seq <= last) return;
    this.last.set(message.asset, message.seq);
    const waiter = this.waiting.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: message, done: false });
      return;
    }
    if (this.buffered >= this.maxBuffered) {
      this.cutOff();
      return;
    }
    this.queue.push(message);
  }

  /** Messages queued and not yet taken. */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  /**
   * Resolves once fewer than `below` messages are queued, or the subscription has ended: how a
   * replay hands history no faster than the reader takes it. Undefined when that is so already.
   */
  whenFewerThan(below: number): Promise<void> | undefined {
    if (this.buffered < below || this.isClosed) return undefined;
    return new Promise((resolve) => {
      this.room = { below, resolve };
    });
  }

  private wakeReplay(): void {
    const room = this.room;
    if (room === null || (this.buffered >= room.below && !this.isClosed)) return;
    this.room = null;
    room.resolve();
  }

  /** The subscriber holds maxBuffered messages: it gets what was queued, then SLOW_CONSUMER. */
  cutOff(): void {
    this.fail(new LobError('SLOW_CONSUMER', `the feed subscriber fell ${this.maxBuffered} messages behind and was cut off after the messages it was given; subscribe again with fromSeq one past the last seq it got`));
  }

  /** Ends the iteration with `error` after what is queued. */
  fail(error: LobError): void {
    if (this.closed || this.error !== null) return;
    this.error = error;
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) waiter.reject(error);
    this.wakeReplay();
    this.onClose(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.head = 0;
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) waiter.resolve({ value: undefined, done: true });
    this.wakeReplay();
    this.onClose(this);
  }

  private take(): FeedMessage {
    const message = this.queue[this.head];
    this.queue[this.head++] = undefined as unknown as FeedMessage;
    // Drop what was read once it is most of the array: amortised O(1) a message.
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.room !== null) this.wakeReplay();
    return message;
  }

  get isClosed(): boolean {
    return this.closed || this.error !== null;
  }

  [Symbol.asyncIterator](): AsyncIterator<FeedMessage> {
    return {
      next: () => {
        if (this.head < this.queue.length) return Promise.resolve({ value: this.take(), done: false });
        if (this.error !== null) return Promise.reject(this.error);
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiting.push({ resolve, reject });
        });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** Delivers the messages of each durable block to the subscribers, and replays history for new ones. */
export class FeedPublisher implements CommitFollower {
  /** Where live messages go: subscriptions, and the holding queues of those still replaying. */
  private readonly subscriptions = new Set<FeedSink>();
  /** Every subscription not yet ended, replaying or live: what a close or a failure must end. */
  private readonly unended = new Set<Subscription>();
  /** Each asset's last durable feed sequence. */
  private durable = new Map<number, number>();
  private history!: History;
  private reader!: HistoryReader;

  /** Points the feed at a (re)loaded store: its history, and each asset's durable feed sequence. */
  rebase(history: History, reader: HistoryReader, durable: Array<[number, number]>): void {
    this.history = history;
    this.reader = reader;
    this.durable = new Map(durable);
  }

  /** Ends every subscription (the state machine is closing). */
  closeAll(): void {
    for (const subscription of [...this.unended]) subscription.close();
    this.subscriptions.clear();
  }

  /** Nothing more will be durable: every subscription gets what it was given, then `failure`. */
  failed(failure: LobError): void {
    for (const subscription of [...this.unended]) subscription.fail(failure);
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  /** The asset's last durable feed sequence (0: none). */
  durableSeq(asset: number): number {
    return this.durable.get(asset) ?? 0;
  }

  committed(commit: Commit): void {
    for (const [asset, seq] of commit.feedEnds) this.durable.set(asset, seq);
    if (this.subscriptions.size === 0) return;
    for (const message of messagesOf(commit.decoded(), (asset) => this.anyWants(asset))) {
      for (const subscription of this.subscriptions) subscription.offer(message);
    }
  }

  /**
   * A new subscription. With `fromSeq`, history from that sequence is replayed from the store
   * first; live messages that arrive meanwhile wait behind it.
   */
  subscribe(options: SubscribeOptions): Subscription {
    const durableSeq = (asset: number): number => this.durableSeq(asset);
    const { wanted, from, maxBuffered } = parseOptions(options);
    for (const [asset, fromSeq] of from) {
      if (fromSeq > durableSeq(asset) + 1) {
        throw invalidArgument('fromSeq', `at most the next sequence of asset ${asset} (${durableSeq(asset) + 1})`, fromSeq);
      }
    }
    const subscription: Subscription = new Subscription(wanted, maxBuffered, (s) => {
      this.subscriptions.delete(s);
      this.unended.delete(s);
    });
    this.unended.add(subscription);
    if (from.size === 0) {
      this.subscriptions.add(subscription);
      return subscription;
    }
    // Live messages queue behind the replay; offer() drops those the replay already delivered.
    // What is held counts against maxBuffered with what is queued, as it would once the replay is
    // done: a replay slower than the live feed cuts the subscriber off as a slow reader is cut off,
    // rather than hold the live messages without bound meanwhile.
    const held: FeedMessage[] = [];
    const live: FeedSink = {
      wants: (asset) => subscription.wants(asset),
      offer: (message) => {
        if (subscription.isClosed || !subscription.wants(message.asset)) return;
        if (subscription.buffered + held.length >= maxBuffered) {
          this.subscriptions.delete(live);
          held.length = 0;
          subscription.cutOff();
          return;
        }
        held.push(message);
      },
    };
    this.subscriptions.add(live);
    void this.replay(subscription, from, durableSeq, maxBuffered)
      .then(() => {
        this.subscriptions.delete(live);
        for (const message of held) subscription.offer(message);
        if (!subscription.isClosed) this.subscriptions.add(subscription);
      })
      .catch((error: unknown) => {
        this.subscriptions.delete(live);
        subscription.fail(error instanceof LobError ? error : new LobError('IO_ERROR', String(error), { cause: error }));
      });
    return subscription;
  }

  /** Replays each asset's messages from its fromSeq up to what is durable now. */
  private async replay(subscription: Subscription, from: Map<number, number>, durableSeq: (asset: number) => number, maxBuffered: number): Promise<void> {
    const replayQueued = Math.max(1, Math.floor(maxBuffered / 2));
    for (const [asset, fromSeq] of from) {
      const through = durableSeq(asset);
      if (fromSeq > through) continue;
      const [span] = await this.reader.entries({ gte: keyOf(Prefix.FEED_SPAN, asset, 0), lte: keyOf(Prefix.FEED_SPAN, asset, fromSeq), reverse: true, limit: 1 });
      if (span === undefined) throw new LobError('CORRUPTION', `no feed history for asset ${asset} at seq ${fromSeq}`);
      const firstSeq = decodeUint(span[0], span[1], 'feed-span');
      let reached = false;
      let lastSeq = firstSeq - 1;
      for await (const block of this.history.blocksFrom(firstSeq)) {
        if (subscription.isClosed) return;
        let last = 0;
        for (const message of messagesOf(block, (a) => a === asset)) {
          last = message.seq;
          if (message.seq < fromSeq || message.seq > through) continue;
          // One block may hold more than maxBuffered messages: offered at once, they cut off a
          // reader that keeps up. The replay waits for the reader instead, filling half the bound
          // so that live messages held meanwhile have the other half.
          const room = subscription.whenFewerThan(replayQueued);
          if (room !== undefined) {
            await room;
            if (subscription.isClosed) return;
          }
          subscription.offer(message);
        }
        lastSeq = block.lastSeq;
        reached = last >= through;
        if (reached) break;
      }
      // Durable messages past the last stored block: a block is missing at the end.
      if (!reached && !subscription.isClosed) throw History.missingBlockAfter(lastSeq, `asset ${asset}'s durable feed message ${through}`);
    }
  }

  private anyWants(asset: number): boolean {
    for (const subscription of this.subscriptions) if (subscription.wants(asset)) return true;
    return false;
  }
}

function parseOptions(options: SubscribeOptions): { wanted?: (asset: number) => boolean; from: Map<number, number>; maxBuffered: number } {
  refuseUnknownOptions('options', options, ['assets', 'fromSeq', 'maxBuffered'], 'subscribe');
  const { assets, fromSeq, maxBuffered = DEFAULT_MAX_BUFFERED } = options;
  let wanted: ((asset: number) => boolean) | undefined;
  if (assets !== undefined) {
    if (!Array.isArray(assets)) throw invalidArgument('assets', 'an array of asset ids', assets);
    for (const asset of assets) {
      // -0 too, as every other asset argument: the Set below would have taken it for asset 0.
      if (!isNonNegativeSafeInteger(asset)) throw invalidArgument('assets', 'an array of non-negative safe integers', asset);
    }
    const set = new Set(assets);
    wanted = (asset) => set.has(asset);
  }
  if (!Number.isSafeInteger(maxBuffered) || maxBuffered < 1) throw invalidArgument('maxBuffered', 'a positive safe integer', maxBuffered);
  const from = new Map<number, number>();
  if (typeof fromSeq === 'number') {
    if (assets === undefined || assets.length !== 1) {
      throw invalidArgument('fromSeq', 'a per-asset map ({ [asset]: seq }) unless exactly one asset is subscribed', fromSeq);
    }
    from.set(assets[0], fromSeq);
  } else if (fromSeq !== undefined) {
    // A Map's entries are not its keys, and an array's are its indexes: either read as another map.
    if (typeof fromSeq !== 'object' || fromSeq === null) throw invalidArgument('fromSeq', 'a number or a map of asset to seq', fromSeq);
    requireOptions('fromSeq', fromSeq);
    // An object's keys are text: Number() would read '0x1' and '1e0' as asset 1, and '' as asset 0.
    for (const [key, seq] of Object.entries(fromSeq)) {
      const asset = parseDecimalInteger(key);
      if (asset === undefined) throw invalidArgument('fromSeq', 'keyed by non-negative safe integer assets in decimal digits', key);
      from.set(asset, seq);
    }
  }
  for (const [asset, seq] of from) {
    if (!Number.isSafeInteger(asset) || asset < 0) throw invalidArgument('fromSeq', 'keyed by non-negative safe integer assets', asset);
    if (!Number.isSafeInteger(seq) || seq < 1) throw invalidArgument('fromSeq', 'a positive safe integer', seq);
    if (wanted !== undefined && !wanted(asset)) throw invalidArgument('fromSeq', `for a subscribed asset (not ${asset})`, asset);
  }
  return { wanted, from, maxBuffered };
}
