// The market-data feed (issue "Events out of the core"): a subscriber that keeps an L2 copy from a
// snapshot plus messages holds exactly the book's depth; messages come only once durable, replay
// from disk across a restart with no gap and no duplicate; a slow subscriber is cut off while
// matching goes on. And the book at a past height.
import { describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { Subscription } from '../src/state/feed.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { FeedMessage, Level } from '../src/types.js';
import { describeEachBackend } from './helpers/backends.js';
import { FLOW_ASSETS, Flow } from './fixtures/flow.mjs';
import { tempDbPath } from './fixtures/state-helpers.js';

const ALL = 1_000_000;

/** An L2 book kept from a snapshot and the messages after it, as a market-data client keeps it. */
class L2Copy {
  private readonly sides = [new Map<number, Level>(), new Map<number, Level>()];
  seq: number;

  constructor(snapshot: { seq: number; bids: Level[]; asks: Level[] }) {
    this.seq = snapshot.seq;
    for (const level of snapshot.bids) this.sides[0].set(level.price, { ...level });
    for (const level of snapshot.asks) this.sides[1].set(level.price, { ...level });
  }

  /** Applies the messages after the snapshot's seq (earlier ones may still be on their way when it is taken). */
  apply(message: FeedMessage): void {
    if (message.seq <= this.seq) return;
    expect(message.seq, `asset ${message.asset}: no gap, no duplicate`).toBe(this.seq + 1);
    this.seq = message.seq;
    for (const level of message.levels) {
      const side = this.sides[level.side === 'bid' ? 0 : 1];
      if (level.size === 0) side.delete(level.price);
      else side.set(level.price, { price: level.price, size: level.size, orders: level.orders });
    }
  }

  depth(): { bids: Level[]; asks: Level[] } {
    return {
      bids: [...this.sides[0].values()].sort((a, b) => b.price - a.price),
      asks: [...this.sides[1].values()].sort((a, b) => a.price - b.price),
    };
  }
}

/** Holds every replay of `sm`'s feed before its first stored block until the function returned is called. */
function holdReplays(sm: CoreStateMachine): () => void {
  const history = (sm as unknown as { feed: { history: { blocksFrom: (seq: number) => AsyncIterable<unknown> } } }).feed.history;
  const blocksFrom = history.blocksFrom.bind(history);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  history.blocksFrom = async function* held(seq: number) {
    await gate;
    yield* blocksFrom(seq);
  };
  return release;
}

/** Takes what a subscription has delivered so far, without waiting for more. */
async function drain(iterator: AsyncIterator<FeedMessage>, pending: { next?: Promise<IteratorResult<FeedMessage>> }): Promise<FeedMessage[]> {
  const out: FeedMessage[] = [];
  for (;;) {
    pending.next ??= iterator.next();
    const result = await Promise.race([pending.next, new Promise<null>((resolve) => setTimeout(() => resolve(null), 20))]);
    if (result === null) return out;
    pending.next = undefined;
    if (result.done === true) return out;
    out.push(result.value);
  }
}

/**
 * Takes messages until `asset`'s reaches `seq`, however long that takes (a replay from disk reads
 * through the store's worker: on a loaded machine a pause between its messages can outlast
 * drain()'s 20 ms), then whatever else is already there.
 */
async function takeThrough(
  iterator: AsyncIterator<FeedMessage>, pending: { next?: Promise<IteratorResult<FeedMessage>> }, asset: number, seq: number,
): Promise<FeedMessage[]> {
  const out: FeedMessage[] = [];
  for (;;) {
    pending.next ??= iterator.next();
    const result = await pending.next;
    pending.next = undefined;
    if (result.done === true) throw new Error(`the subscription ended before asset ${asset}'s seq ${seq}`);
    out.push(result.value);
    if (result.value.asset === asset && result.value.seq >= seq) return [...out, ...await drain(iterator, pending)];
  }
}

describeEachBackend('the feed', (backend) => {
  it('in memory: snapshot plus messages equal the book after every block, at once', async () => {
    const sm = await CoreStateMachine.open({ backend });
    const flow = new Flow(9, { makeBatch: () => new CommandBatch() });
    for (let b = 0; b < 3; b++) flow.runBlock(sm);
    const copies = new Map(FLOW_ASSETS.map((asset) => [asset, new L2Copy(sm.bookSnapshot(asset, ALL))]));
    const subscription = sm.subscribe();
    const iterator = subscription[Symbol.asyncIterator]();
    const pending = {};
    for (let b = 0; b < 20; b++) {
      flow.runBlock(sm);
      for (const message of await drain(iterator, pending)) copies.get(message.asset)!.apply(message);
      for (const asset of FLOW_ASSETS) expect(copies.get(asset)!.depth(), `block ${b} asset ${asset}`).toEqual(sm.depth(asset, ALL));
    }
    subscription.close();
    await sm.close();
  });

  it('on disk: messages come once durable; after a restart a subscriber replays from an old seq and goes on live', async () => {
    const path = tempDbPath('feed');
    const flow = new Flow(21, { makeBatch: () => new CommandBatch() });
    let sm = await CoreStateMachine.open({ backend, path, checkpointInterval: 4 });
    const asset = FLOW_ASSETS[0];
    const start = sm.bookSnapshot(asset, ALL);
    const copy = new L2Copy(start);
    let subscription = sm.subscribe({ assets: [asset] });
    let iterator = subscription[Symbol.asyncIterator]();
    let pending: { next?: Promise<IteratorResult<FeedMessage>> } = {};
    const seen: FeedMessage[] = [];
    for (let b = 1; b <= 8; b++) {
      flow.runBlock(sm);
      expect(await drain(iterator, pending), 'nothing before the flush').toEqual([]);
      if (b % 4 === 0) await sm.checkpointIfNeeded();
      else await sm.flush();
      for (const message of await drain(iterator, pending)) {
        copy.apply(message);
        seen.push(message);
      }
      expect(copy.depth(), `block ${b}`).toEqual(sm.depth(asset, ALL));
    }
    subscription.close();
    await sm.close();

    // A new process: replay everything from seq 1, then the flow goes on live.
    sm = await CoreStateMachine.open({ backend, path, checkpointInterval: 4 });
    await sm.indexesReady();
    const again = new L2Copy(start);
    subscription = sm.subscribe({ assets: [asset], fromSeq: 1 });
    iterator = subscription[Symbol.asyncIterator]();
    pending = {};
    const replayed = await takeThrough(iterator, pending, asset, seen[seen.length - 1].seq);
    expect(replayed).toEqual(seen);
    for (const message of replayed) again.apply(message);
    for (let b = 9; b <= 12; b++) {
      flow.runBlock(sm);
      await sm.flush();
      for (const message of await drain(iterator, pending)) again.apply(message);
      expect(again.depth(), `block ${b}`).toEqual(sm.depth(asset, ALL));
    }
    // And from the middle of history.
    const middle = seen[Math.floor(seen.length / 2)].seq;
    const late = sm.subscribe({ fromSeq: { [asset]: middle } });
    const tail = await takeThrough(late[Symbol.asyncIterator](), {}, asset, again.seq);
    expect(tail[0].seq).toBe(middle);
    expect(tail.map((m) => m.seq)).toEqual(Array.from({ length: again.seq - middle + 1 }, (_, i) => middle + i));
    late.close();
    subscription.close();
    await sm.close();
  });

  it('on disk: a replay from seq 1 after a restart gives every message of 40 flushes, past the first page of 16 event blocks', async () => {
    const path = tempDbPath('feed');
    let sm = await CoreStateMachine.open({ backend, path });
    for (let i = 1; i <= 40; i++) {
      sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: i, size: 1, timestamp: i });
      await sm.flush();
    }
    await sm.close();
    sm = await CoreStateMachine.open({ backend, path });
    await sm.indexesReady();
    const subscription = sm.subscribe({ assets: [1], fromSeq: 1 });
    const replayed = await takeThrough(subscription[Symbol.asyncIterator](), {}, 1, 40);
    expect(replayed.map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(replayed.map((m) => m.levels[0].price)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    subscription.close();
    await sm.close();
  });

  it('accepts a fromSeq of the asset\'s next seq, and gives the next message first', async () => {
    const sm = await CoreStateMachine.open({ backend });
    sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await sm.flush();
    const subscription = sm.subscribe({ assets: [1], fromSeq: 2 });
    const iterator = subscription[Symbol.asyncIterator]();
    const pending = {};
    expect(await drain(iterator, pending)).toEqual([]);
    sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 11, size: 1, timestamp: 2 });
    await sm.flush();
    expect((await drain(iterator, pending)).map((m) => [m.seq, m.levels[0].price])).toEqual([[2, 11]]);
    subscription.close();
    await sm.close();
  });

  it('a command that changes no book sends no message; each message carries its command\'s events and levels', async () => {
    const sm = await CoreStateMachine.open({ backend });
    const subscription = sm.subscribe();
    const iterator = subscription[Symbol.asyncIterator]();
    sm.placeMarket({ trader: 1, asset: 4, side: 'bid', size: 5, timestamp: 1 }); // empty book: no change
    sm.placeLimit({ trader: 1, asset: 4, side: 'bid', price: 10, size: 5, timestamp: 2, timeInForce: 'FOK' }); // rejected
    sm.placeLimit({ trader: 1, asset: 4, side: 'ask', price: 10, size: 5, timestamp: 3 });
    sm.placeLimit({ trader: 2, asset: 4, side: 'bid', price: 10, size: 2, timestamp: 4 });
    const messages = await drain(iterator, {});
    expect(messages.map((m) => [m.seq, m.events.map((e) => e.kind), m.levels])).toEqual([
      [1, ['accepted', 'rested'], [{ side: 'ask', price: 10, size: 5, orders: 1 }]],
      [2, ['accepted', 'fill'], [{ side: 'ask', price: 10, size: 3, orders: 1 }]],
    ]);
    expect(sm.bookSnapshot(4)).toMatchObject({ seq: 2, asks: [{ price: 10, size: 3, orders: 1 }], bids: [] });
    subscription.close();
    await sm.close();
  });


  it('a message gives each level the command touched once, at its last value, where first touched, bids before asks; a command that changes two books sends two messages', async () => {
    const sm = await CoreStateMachine.open({ backend });
    sm.placeLimit({ trader: 1, asset: 4, side: 'ask', price: 11, size: 2, timestamp: 1 });
    sm.placeLimit({ trader: 2, asset: 4, side: 'ask', price: 11, size: 3, timestamp: 2 });
    sm.placeLimit({ trader: 3, asset: 4, side: 'ask', price: 12, size: 4, timestamp: 3 });
    const bid = sm.placeLimit({ trader: 4, asset: 4, side: 'bid', price: 9, size: 1, timestamp: 4 });
    sm.placeLimit({ trader: 4, asset: 7, side: 'bid', price: 50, size: 1, timestamp: 5 });
    await sm.flush(); // the book so far reaches the feed before the subscription starts
    const subscription = sm.subscribe();
    const iterator = subscription[Symbol.asyncIterator]();
    // Two fills at 11 (the level touched twice, gone at the end), one at 12, the rest rests as a bid at 12.
    sm.placeLimit({ trader: 5, asset: 4, side: 'bid', price: 12, size: 10, timestamp: 6 });
    // The bid at 9 moves to 10: two bid levels, the old one first.
    sm.modify({ trader: 4, asset: 4, orderId: bid.orderId, price: 10, timestamp: 7 });
    // Trader 4's orders in asset 4 (first changed) and asset 7.
    sm.cancelAll({ trader: 4 });
    const messages = await drain(iterator, {});
    expect(messages.map((m) => [m.asset, m.seq, m.levels])).toEqual([
      [4, 5, [{ side: 'bid', price: 12, size: 1, orders: 1 }, { side: 'ask', price: 11, size: 0, orders: 0 }, { side: 'ask', price: 12, size: 0, orders: 0 }]],
      [4, 6, [{ side: 'bid', price: 9, size: 0, orders: 0 }, { side: 'bid', price: 10, size: 1, orders: 1 }]],
      [4, 7, [{ side: 'bid', price: 10, size: 0, orders: 0 }]],
      [7, 2, [{ side: 'bid', price: 50, size: 0, orders: 0 }]],
    ]);
    expect(messages[0].events.map((e) => e.kind)).toEqual(['accepted', 'fill', 'fill', 'fill', 'rested']);
    expect(messages[2].events[0].command).toBe(messages[3].events[0].command);
    subscription.close();
    await sm.close();
  });
  it('answers every next() asked before a message comes, in order, and ends every one still waiting at close()', async () => {
    const sm = await CoreStateMachine.open({ backend });
    const iterator = sm.subscribe()[Symbol.asyncIterator]();
    const asked = [iterator.next(), iterator.next(), iterator.next()];
    sm.placeLimit({ trader: 1, asset: 4, side: 'bid', price: 10, size: 1, timestamp: 1 });
    sm.placeLimit({ trader: 1, asset: 4, side: 'bid', price: 11, size: 1, timestamp: 2 });
    await sm.flush();
    expect((await asked[0]).value?.seq).toBe(1);
    expect((await asked[1]).value?.seq).toBe(2);
    await sm.close();
    expect(await asked[2]).toEqual({ value: undefined, done: true });
  });

  it('close() ends a subscription still replaying history from fromSeq', async () => {
    const sm = await CoreStateMachine.open({ backend, path: tempDbPath('feed-replay-close') });
    for (let block = 0; block < 40; block++) {
      for (let i = 0; i < 50; i++) sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 1 + ((block * 50 + i) % 900), size: 1, timestamp: block * 50 + i });
      await sm.flush();
    }
    // The replay is held at its first block until the close has resolved: still under way at the close.
    const release = holdReplays(sm);
    const subscription = sm.subscribe({ assets: [1], fromSeq: 1 });
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next();
    await sm.close();
    expect(subscription.isClosed).toBe(true);
    release();
    // Ended by the close, not failed by the closed store afterwards, and nothing waits for good.
    const ended = await Promise.race([first, new Promise((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000))]);
    expect(ended).toEqual({ value: undefined, done: true });
  });

  it('a pending stop is not market data: it shows only once it triggers', async () => {
    const sm = await CoreStateMachine.open({ backend });
    const subscription = sm.subscribe({ assets: [4] });
    const iterator = subscription[Symbol.asyncIterator]();
    sm.placeLimit({ trader: 1, asset: 4, side: 'ask', price: 10, size: 5, timestamp: 1 });
    sm.placeStop({ trader: 2, asset: 4, side: 'bid', size: 2, stopPrice: 10, timestamp: 2 }); // waits: nothing in the feed
    sm.placeOco({ trader: 3, asset: 4, side: 'bid', size: 1, price: 8, stopPrice: 12, timestamp: 3 }); // the limit leg rests
    sm.cancel({ trader: 2, asset: 4, orderId: 2 });
    sm.placeStop({ trader: 2, asset: 4, side: 'bid', size: 2, stopPrice: 10, timestamp: 4 });
    sm.placeLimit({ trader: 4, asset: 4, side: 'bid', price: 10, size: 1, timestamp: 5 }); // trades at 10: triggers the stop
    const messages = await drain(iterator, {});
    expect(messages.map((m) => m.events.map((e) => `${e.kind}#${e.orderId}`))).toEqual([
      ['accepted#1', 'rested#1'],
      ['accepted#3', 'rested#3'],
      ['accepted#6', 'fill#1', 'triggered#5', 'fill#1'],
    ]);
    expect(messages.flatMap((m) => m.events).some((e) => e.pending)).toBe(false);
    subscription.close();
    await sm.close();
  });

  it('a level a stop cascade makes and empties within one command is not in its message: it did not change', async () => {
    const sm = await CoreStateMachine.open({ backend });
    sm.placeStop({ trader: 3, asset: 1, side: 'bid', size: 1, stopPrice: 101, price: 105, timestamp: 1 }); // a stop-limit
    sm.placeStop({ trader: 4, asset: 1, side: 'ask', size: 1, stopPrice: 101, timestamp: 1 }); // a stop-market
    sm.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 101, size: 1, timestamp: 1 });
    await sm.flush();
    const subscription = sm.subscribe({ assets: [1] });
    const iterator = subscription[Symbol.asyncIterator]();
    // Trades at 101 and triggers both: the stop-limit rests a bid at 105, the stop-market sells into it.
    sm.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 101, size: 1, timestamp: 2 });
    const [message] = await drain(iterator, {});
    expect(message.events.map((e) => `${e.kind}#${e.orderId}${e.level === undefined ? '' : `@${e.level.price}:${e.level.size}`}`)).toEqual([
      'accepted#4', 'fill#3@101:0', 'triggered#1', 'rested#1@105:1', 'triggered#2', 'fill#1@105:0',
    ]);
    expect(message.levels).toEqual([{ side: 'ask', price: 101, size: 0, orders: 0 }]);
    subscription.close();
    await sm.close();
  });

  it('a subscriber that does not keep up is cut off with SLOW_CONSUMER while matching goes on', async () => {
    const sm = await CoreStateMachine.open({ backend });
    const slow = sm.subscribe({ maxBuffered: 5 });
    const fast = sm.subscribe();
    const fastIterator = fast[Symbol.asyncIterator]();
    for (let i = 0; i < 20; i++) sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100 - i, size: 1, timestamp: i });
    await sm.flush();
    const got: number[] = [];
    await expect((async () => {
      for await (const message of slow) got.push(message.seq);
    })()).rejects.toMatchObject({ code: 'SLOW_CONSUMER' });
    expect(got).toEqual([1, 2, 3, 4, 5]); // what was queued, then the error
    // Matching and the other subscriber went on.
    sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 1, size: 1, timestamp: 99 });
    expect((await drain(fastIterator, {})).map((m) => m.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    fast.close();
    await sm.close();
  });

  it('replays a block of more than maxBuffered messages to a reader that keeps up, without cutting it off', async () => {
    const sm = await CoreStateMachine.open({ backend, path: tempDbPath('feed-replay-big-block') });
    // One flush: one block of 200 messages, four times maxBuffered.
    for (let i = 0; i < 200; i++) sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 1 + i, size: 1, timestamp: i });
    await sm.flush();
    const subscription = sm.subscribe({ assets: [1], fromSeq: 1, maxBuffered: 50 });
    const seqs: number[] = [];
    for await (const message of subscription) {
      seqs.push(message.seq);
      if (seqs.length === 201) break;
      if (seqs.length === 200) { // then live
        sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 500, size: 1, timestamp: 500 });
        void sm.flush();
      }
    }
    expect(seqs).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    await sm.close();
  });

  it('holds live messages within maxBuffered while it replays: past it, the subscriber is cut off with SLOW_CONSUMER', async () => {
    const sm = await CoreStateMachine.open({ backend, path: tempDbPath('feed-replay-bound') });
    for (let i = 0; i < 3; i++) sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10 + i, size: 1, timestamp: i });
    await sm.flush();
    // The replay is held at its first block while live commands arrive.
    const release = holdReplays(sm);
    const replaying = sm.subscribe({ assets: [1], fromSeq: 1, maxBuffered: 5 });
    const other = sm.subscribe({ assets: [2] });
    // Another asset's messages are not this subscriber's to hold: they do not count.
    for (let i = 0; i < 20; i++) sm.placeLimit({ trader: 1, asset: 2, side: 'bid', price: 10 + i, size: 1, timestamp: 10 + i });
    await sm.flush();
    expect(replaying.isClosed).toBe(false);
    for (let i = 0; i < 4; i++) sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 20 + i, size: 1, timestamp: 40 + i });
    await sm.flush();
    expect(replaying.isClosed).toBe(false); // 4 held
    for (let i = 0; i < 20; i++) sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 30 + i, size: 1, timestamp: 50 + i });
    await sm.flush();
    // Cut off while the replay waits, not after it: the live messages had no bound until then.
    expect(replaying.isClosed).toBe(true);
    release();
    const got: number[] = [];
    await expect((async () => {
      for await (const message of replaying) got.push(message.seq);
    })()).rejects.toMatchObject({ code: 'SLOW_CONSUMER' });
    expect(got).toEqual([]); // the replay had given nothing yet: subscribe again from seq 1
    // The feed goes on for the others and for a new subscription from where this one stopped.
    const again = sm.subscribe({ assets: [1], fromSeq: 1 });
    const seqs: number[] = [];
    for await (const message of again) {
      seqs.push(message.seq);
      if (seqs.length === 27) break;
    }
    expect(seqs).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
    expect((await drain(other[Symbol.asyncIterator](), {})).map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    again.close();
    other.close();
    await sm.close();
  });

  it('refuses malformed subscriptions and a fromSeq past the feed', async () => {
    const sm = await CoreStateMachine.open({ backend });
    sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await sm.flush();
    const bad: [string, () => unknown][] = [
      ['assets', () => sm.subscribe({ assets: 'all' as never })],
      ['assets', () => sm.subscribe({ assets: [-1] })],
      ['fromSeq', () => sm.subscribe({ fromSeq: 1 })], // a number needs exactly one asset
      ['fromSeq', () => sm.subscribe({ assets: [1], fromSeq: 0 })],
      ['fromSeq', () => sm.subscribe({ assets: [1], fromSeq: 3 })], // the asset's next seq is 2
      ['fromSeq', () => sm.subscribe({ assets: [1], fromSeq: { 2: 1 } })],
      // Keys are text: only decimal digits name an asset (Number() would read each of these as 1, or '' as 0).
      ['fromSeq', () => sm.subscribe({ assets: [1], fromSeq: { '0x1': 1 } as never })],
      ['fromSeq', () => sm.subscribe({ assets: [1], fromSeq: { '1e0': 1 } as never })],
      ['fromSeq', () => sm.subscribe({ assets: [1], fromSeq: { ' 1': 1 } as never })],
      ['fromSeq', () => sm.subscribe({ assets: [0], fromSeq: { '': 1 } as never })],
      ['maxBuffered', () => sm.subscribe({ maxBuffered: 0 })],
      ['asset', () => sm.bookSnapshot(-1)],
      ['levels', () => sm.bookSnapshot(1, 0)],
    ];
    for (const [field, call] of bad) expect(call, field).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(field) }));
    await sm.close();
  });
});

describe('a subscription', () => {
  it('delivers a message offered twice (by a replay and live) once', async () => {
    const subscription = new Subscription(undefined, 10, () => {});
    const message = (seq: number): FeedMessage => ({ asset: 1, seq, height: 0, events: [], levels: [] });
    subscription.offer(message(1));
    subscription.offer(message(2));
    subscription.offer(message(2));
    subscription.offer(message(1));
    subscription.offer(message(3));
    const iterator = subscription[Symbol.asyncIterator]();
    expect((await drain(iterator, {})).map((m) => m.seq)).toEqual([1, 2, 3]);
    subscription.close();
  });
});

describeEachBackend('the book at a past height', (backend) => {
  it('equals an in-memory replay to that height, from a checkpoint and the journal', async () => {
    const path = tempDbPath('book-at');
    const sm = await CoreStateMachine.open({ backend, path, checkpointInterval: 3, keepCheckpoints: 3 });
    const flow = new Flow(5, { makeBatch: () => new CommandBatch() });
    for (let b = 1; b <= 9; b++) {
      flow.runBlock(sm);
      await sm.checkpointIfNeeded();
    }
    for (const height of [3, 5, 8, 9]) {
      const replay = await CoreStateMachine.open({ backend });
      const again = new Flow(5, { makeBatch: () => new CommandBatch() });
      for (let b = 1; b <= height; b++) again.runBlock(replay);
      for (const asset of FLOW_ASSETS) {
        expect(await sm.bookAt(asset, height, 50), `asset ${asset} at ${height}`).toEqual(replay.bookSnapshot(asset, 50));
      }
      await replay.close();
    }
    // The journal before the oldest kept checkpoint is pruned: that far back is not kept.
    await expect(sm.bookAt(1, 1)).rejects.toMatchObject({ code: 'NOT_RETAINED', message: expect.stringContaining('keepCheckpoints') });
    await expect(sm.bookAt(1, 10)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('height') });
    await sm.close();
  });
});

describe('the feed in memory costs no durability', () => {
  it('delivers within the turn of the event loop that applied the command', async () => {
    const sm = await CoreStateMachine.open({ backend: 'js' });
    const subscription = sm.subscribe();
    const iterator = subscription[Symbol.asyncIterator]();
    const next = iterator.next();
    sm.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await expect(next).resolves.toMatchObject({ value: { asset: 1, seq: 1 } });
    subscription.close();
    await sm.close();
  });

  it('lets a subscriber in the same process keep up with a loop of batches and flushes: never cut off, nothing piled up', async () => {
    const sm = await CoreStateMachine.open({ backend: 'js' });
    // The default buffer: 10,000 messages, half of what the loop below sends.
    const subscription = sm.subscribe({ assets: [1] });
    let received = 0;
    let lastSeq = 0;
    const consumer = (async () => {
      for await (const message of subscription) {
        received++;
        lastSeq = message.seq;
      }
    })();
    const batch = new CommandBatch(1000);
    let timestamp = 0;
    const backlogs: number[] = [];
    for (let b = 0; b < 20; b++) {
      batch.clear();
      // Each order rests at a price of its own or joins one: every command changes the book, one message each.
      for (let i = 0; i < 1000; i++) batch.limit(1 + (i % 7), 1, i % 2 === 0 ? 'bid' : 'ask', i % 2 === 0 ? 1000 - (i % 500) : 2000 + (i % 500), 1, ++timestamp);
      sm.submitBatch(batch);
      await sm.flush();
      backlogs.push(sm.bookSnapshot(1).seq - lastSeq);
    }
    expect(subscription.isClosed).toBe(false);
    // Before each flush resolved, the subscriber's loop had taken what the flush delivered.
    expect(Math.max(...backlogs)).toBe(0);
    subscription.close();
    await consumer;
    expect(received).toBe(20_000);
    await sm.close();
  });
});
