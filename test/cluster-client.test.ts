// The cluster client's per-call methods answer as a local engine's do: the same result, field
// for field (a budget order's spent, an OCO's stop leg, a cancelAll's count), plus where the
// command was committed and the events it caused, numbered as in a call of its own.
import { describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { CommandBatch } from '../src/batch.js';
import { ClusterClient, type ClusterClientOptions } from '../src/cluster/client.js';
import { roundRobinLayout } from '../src/cluster/layout.js';
import type { ClusterDescription } from '../src/cluster/nats/description.js';
import { encodeReply, ReplyStatus } from '../src/cluster/wire/reply.js';
import { createEngine, type Engine } from '../src/engine.js';
import type { BookEvent } from '../src/types.js';
import { clusterPerSuite, until } from './helpers/cluster.js';

type Method = 'placeLimit' | 'placeMarket' | 'placeStop' | 'placeOco' | 'cancel' | 'reduce' | 'modify' | 'cancelAll';
/** A step's request, which may name an order placed by an earlier step (by its index). */
type Step = [Method, (id: (step: number) => number) => object];

/** Trades, an OCO pair, a stop, a mass cancel over two orders and a stop, reduce, modify, cancels and refusals on one asset. */
function steps(asset: number): Step[] {
  return [
    ['placeLimit', () => ({ trader: 1, asset, side: 'ask', price: 100, size: 5, timestamp: 1, clientOrderId: 11 })],
    ['placeMarket', () => ({ trader: 2, asset, side: 'bid', budget: 250, timestamp: 2 })],
    ['placeMarket', () => ({ trader: 2, asset, side: 'bid', size: 1, timestamp: 3, clientOrderId: 12 })],
    ['placeOco', () => ({ trader: 4, asset, side: 'ask', size: 1, price: 120, stopPrice: 90, timestamp: 4, clientOrderId: 13 })],
    ['placeLimit', () => ({ trader: 3, asset, side: 'bid', price: 95, size: 1, timestamp: 5 })],
    ['placeStop', () => ({ trader: 3, asset, side: 'bid', size: 1, stopPrice: 110, timestamp: 6 })],
    ['placeLimit', () => ({ trader: 3, asset, side: 'bid', price: 96, size: 2, timestamp: 7 })],
    ['cancelAll', () => ({ trader: 3, asset })],
    ['cancelAll', () => ({ trader: 3, asset })],
    ['placeLimit', () => ({ trader: 5, asset, side: 'bid', price: 90, size: 3, timestamp: 8 })],
    ['reduce', (id) => ({ trader: 5, asset, orderId: id(9), by: 1 })],
    ['modify', (id) => ({ trader: 5, asset, orderId: id(9), price: 91, timestamp: 9 })],
    ['cancel', (id) => ({ trader: 5, asset, orderId: id(9) })],
    ['cancel', (id) => ({ trader: 5, asset, orderId: id(9) })],
    ['placeLimit', () => ({ trader: 6, asset, side: 'bid', price: 120, size: 1, timestamp: 10, timeInForce: 'POST_ONLY' })],
    ['placeOco', () => ({ trader: 4, asset, side: 'ask', size: 1, price: 99, stopPrice: 98, timestamp: 11 })],
    ['placeOco', () => ({ trader: 7, asset, side: 'bid', size: 2, price: 100, stopPrice: 130, timestamp: 12 })],
  ];
}

interface Answer {
  result: object;
  events: BookEvent[];
}

/** Runs the steps on a local engine, one call each: the requests it made and what it answered. */
function runLocally(engine: Engine, list: Step[]): { requests: Array<[Method, object]>; answers: Answer[] } {
  const requests: Array<[Method, object]> = [];
  const answers: Answer[] = [];
  for (const [method, request] of list) {
    const req = request((step) => (answers[step].result as { orderId: number }).orderId);
    const result = (engine[method] as (r: object) => object)(req);
    const events = Array.from({ length: engine.events.count }, (_, k) => engine.events.event(k));
    requests.push([method, req]);
    answers.push({ result, events });
  }
  return { requests, answers };
}

function call(client: ClusterClient, method: Method, request: object): Promise<Answer & { shard: number; streamSeq: number }> {
  return (client[method] as (r: object) => Promise<object>)(request).then((answer) => {
    const { events, shard, streamSeq, ...result } = answer as { events: BookEvent[]; shard: number; streamSeq: number };
    return { result, events, shard, streamSeq };
  });
}

describe('the cluster client, per call', () => {
  const t = clusterPerSuite({ shards: 1, assets: 2, persistent: false });

  it("answers each command with the local engine's result, field for field, one call at a time and gathered into one request", async () => {
    const local = await createEngine();
    const first = runLocally(local, steps(0));
    const second = runLocally(local, steps(1));
    // The same requests, in the same order: one at a time on asset 0, all at once on asset 1.
    const one: Array<Awaited<ReturnType<typeof call>>> = [];
    for (const [method, request] of first.requests) one.push(await call(t.client, method, request));
    const all = await Promise.all(second.requests.map(([method, request]) => call(t.client, method, request)));
    // All at once, they went out as one request: one stream sequence.
    expect(new Set(all.map((a) => a.streamSeq)).size).toBe(1);
    for (const [expected, got] of [[first, one], [second, all]] as const) {
      // Whole lists, so that a failure shows every command that differs.
      const label = ([method, request]: [Method, object]): string => `${method} ${JSON.stringify(request)}`;
      expect(got.map((a, i) => ({ call: label(expected.requests[i]), result: a.result, events: a.events })))
        .toStrictEqual(expected.answers.map((a, i) => ({ call: label(expected.requests[i]), result: a.result, events: a.events })));
      expect(got.map((a) => [a.shard, a.streamSeq > 0])).toEqual(got.map(() => [0, true]));
    }
    // The flow reaches what it is about: a budget order's spend, an OCO's stop leg pending and
    // cancelled (its limit leg traded), a cancelAll of two orders and a stop, a cancel refused.
    const results = one.map((a) => a.result);
    expect(results[1]).toMatchObject({ status: 'filled', filled: 2, spent: 200 });
    expect(results[3]).toMatchObject({ status: 'resting', stopOrderId: (results[3] as { orderId: number }).orderId + 1, stopStatus: 'pending' });
    expect(results[7]).toStrictEqual({ ok: true, cancelled: 3 });
    expect(results[8]).toStrictEqual({ ok: true, cancelled: 0 });
    expect(results[12]).toStrictEqual({ ok: true, remaining: 0 });
    expect(results[13]).toStrictEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
    expect(results[15]).toMatchObject({ status: 'resting', stopStatus: 'pending' });
    expect(results[16]).toMatchObject({ status: 'filled', filled: 2, stopStatus: 'cancelled' });
  }, 120_000);
});

describe('the cluster client, per call, without a network', () => {
  it('refuses as NOT_RETAINED, rather than make up a result, a command committed before whose result the leader no longer keeps', async () => {
    const description = { layout: roundRobinLayout(1, 2) } as ClusterDescription;
    const forgotten = encodeReply(ReplyStatus.DUPLICATE_FORGOTTEN, { shard: 0, streamSeq: 42, batchSeq: 0, epoch: 0 });
    const nc = { request: () => Promise.resolve({ data: forgotten }), close: () => Promise.resolve() } as unknown as NatsConnection;
    const client = new ClusterClient(nc, description);
    const placed = client.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 10, size: 1, timestamp: 1 });
    await expect(placed).rejects.toMatchObject({
      code: 'NOT_RETAINED',
      message: expect.stringMatching(/^shard 0: committed once before \(stream sequence 42\), but its leader no longer keeps the result; do not send the command again/),
    });
    // A batch still hands the reply over as it came: its status says so.
    const reply = await client.submitBatch(new CommandBatch().cancel(1, 0, 1));
    expect([reply.status, reply.results.count, reply.streamSeq]).toEqual(['duplicate-forgotten', 0, 42]);
    await client.close();
  });

  /** A connection that records what it is asked to send and never answers. */
  function silentConnection(sent: unknown[]): NatsConnection {
    return { request: (...args: unknown[]) => { sent.push(args); return new Promise(() => {}); }, close: () => Promise.resolve() } as unknown as NatsConnection;
  }

  it('refuses, naming it, an option that would leave calls unsettled or outrun the duplicate window, before connecting', async () => {
    const description = { layout: roundRobinLayout(1, 2) } as ClusterDescription;
    // 0 and NaN windows sent nothing, a request of at most 0 commands went out empty again and
    // again, and a deadline past the streams' 5-minute duplicate window let a retry be stored as new.
    const refused: Array<[object, string]> = [
      [{ perShardWindow: 0 }, 'perShardWindow must be a positive safe integer, got 0'],
      [{ perShardWindow: NaN }, 'perShardWindow must be a positive safe integer, got NaN'],
      [{ maxRequestCommands: 0 }, 'maxRequestCommands must be a positive safe integer, got 0'],
      [{ maxRequestCommands: 1.5 }, 'maxRequestCommands must be a positive safe integer, got 1.5'],
      [{ attemptTimeoutMs: -1 }, 'attemptTimeoutMs must be a positive safe integer, got -1'],
      [{ deadlineMs: 0 }, 'deadlineMs must be a positive safe integer, got 0'],
      [{ deadlineMs: 300_001 }, "deadlineMs must be at most 300000 (the streams' duplicate window: a retry after it would be a new request), got 300001"],
      [{ deadlineMS: 1_000 }, 'deadlineMS is not an option of ClusterClient (attemptTimeoutMs, deadlineMs, perShardWindow, maxRequestCommands)'],
    ];
    for (const [options, message] of refused) {
      let thrown: unknown;
      try {
        new ClusterClient(silentConnection([]), description, options as ClusterClientOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT', message });
      // Refused before it reads a key or opens a connection: this run directory does not exist.
      await expect(ClusterClient.connect('/nonexistent-run-dir', description, options as ClusterClientOptions)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message });
    }
    const sent: unknown[] = [];
    const longest = new ClusterClient(silentConnection(sent), description, { attemptTimeoutMs: 1, deadlineMs: 300_000, perShardWindow: 1, maxRequestCommands: 1 });
    void longest.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 10, size: 1, timestamp: 1 }).catch(() => undefined);
    await until(() => sent.length === 1, 'the call to be sent');
    await longest.close();
  });

  it("refuses a request that is not an object, and a batch that is not a CommandBatch, as the local engine does, sending nothing", async () => {
    const description = { layout: roundRobinLayout(2, 4) } as ClusterDescription;
    const sent: unknown[] = [];
    const client = new ClusterClient(silentConnection(sent), description);
    const local = await createEngine();
    const methods: Method[] = ['placeLimit', 'placeMarket', 'placeStop', 'placeOco', 'cancel', 'reduce', 'modify', 'cancelAll'];
    for (const method of methods) {
      for (const bad of [null, undefined, 7]) {
        let expected: unknown;
        try {
          (local[method] as (r: unknown) => unknown)(bad);
        } catch (error) {
          expected = error;
        }
        expect(expected).toMatchObject({ code: 'INVALID_ARGUMENT' });
        // Called as is: a TypeError thrown at once (reading `asset` of null) would fail right here.
        const call = (client[method] as (r: unknown) => Promise<unknown>)(bad);
        await expect(call).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: (expected as Error).message });
      }
    }
    for (const bad of [null, undefined, new CommandBatch().limit(1, 0, 'bid', 10, 1, 1).bytes()]) {
      await expect((client.submitBatch as (b: unknown) => Promise<unknown>)(bad))
        .rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'batch must be a CommandBatch (use CommandBatch.fromBytes for raw bytes)' });
    }
    expect(sent).toEqual([]);
    await client.close();
  });
});
