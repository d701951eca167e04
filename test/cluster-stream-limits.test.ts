// A shard's stream that will not take an append however often it is sent: full (its max_msgs or
// max_bytes reached under the discard-new policy, as an operator may set them), or deleted. The
// leader sent such an append again every 100 ms for good while its heartbeats kept the others
// from taking over: every request of the shard waited out its client's deadline. Now the request
// fails at once with a code, nothing is appended, and the same leader goes on once there is room.
import { DiscardPolicy, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../src/cluster/client.js';
import { shardSubjects } from '../src/cluster/layout.js';
import { connectAs } from '../src/cluster/nats/connect.js';
import { CLIENT_ROLE } from '../src/cluster/nats/roles.js';
import { encodeRequest } from '../src/cluster/wire/request.js';
import { ClusterReply } from '../src/cluster/wire/reply.js';
import { appendRecord } from '../src/cluster/publish.js';
import { managerOf, streamInfo } from '../src/cluster/streams.js';
import { verifyCluster } from '../src/cluster/verify.js';
import { clusterPerSuite, restingBatch } from './helpers/cluster.js';

describe('a shard whose stream refuses appends for good', () => {
  const t = clusterPerSuite({ shards: 1, assets: 2, persistent: false });
  /** A client that gives up soon: before the fix, its requests ended UNAVAILABLE at this deadline. */
  let client: ClusterClient;
  let stream: string;

  beforeAll(async () => {
    client = await ClusterClient.connect(t.local.runDir, t.local.description, { attemptTimeoutMs: 1_000, deadlineMs: 15_000 });
    stream = shardSubjects(t.local.description.layout.clusterId, 0).stream;
  }, 90_000);

  afterAll(async () => {
    await client?.close();
  });

  /** Sets the stream's limits, with the discard-new policy: an append past them is refused, nothing dropped. */
  async function limitStream(limits: { max_msgs?: number; max_bytes?: number }): Promise<number> {
    const info = await streamInfo(t.admin, stream);
    const jsm = await managerOf(t.admin);
    await jsm.streams.update(stream, { ...info.config, max_msgs: -1, max_bytes: -1, discard: DiscardPolicy.New, ...limits });
    return info.state.last_seq;
  }

  async function commitOne(timestamp: number): Promise<void> {
    const reply = await client.submitBatch(restingBatch(0, 3, timestamp));
    expect(reply.status).toBe('committed');
    t.answered.push({ shard: 0, streamSeq: reply.streamSeq });
  }

  it('fails a request at once as CAPACITY when the stream is full, appends nothing, and takes requests again once it has room', async () => {
    await commitOne(1);
    for (const limits of [(last: number) => ({ max_msgs: last }), (last: number, bytes: number) => ({ max_bytes: bytes })]) {
      const info = await streamInfo(t.admin, stream);
      const last = await limitStream(limits(info.state.last_seq, info.state.bytes));
      // Pipelined: the ones behind the first refused append are refused for its sake, and rebuilt.
      const outcomes = await Promise.allSettled([1, 2, 3].map((i) => client.submitBatch(restingBatch(0, 3, 100 * i))));
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toMatchObject({
          code: 'CAPACITY', message: expect.stringMatching(/^shard 0: request \d+: the stream LOBCORE_\w+_S0 refused the append \(maximum (messages|bytes) exceeded\): nothing was appended$/),
        });
      }
      expect((await streamInfo(t.admin, stream)).state.last_seq).toBe(last);
      await limitStream({});
      await commitOne(1_000);
    }
    // The refusals stepped no leader down (it went on leading; a busy machine may still change leaders for its own reasons).
    const stepDowns = t.events.filter((e) => e.event.kind === 'follower').map((e) => (e.event as { reason: string }).reason);
    expect(stepDowns.filter((reason) => /internal error|exceeded|refused/.test(reason))).toEqual([]);
    // Every member applied the same chain, and of this client's requests the stream holds exactly the three committed.
    const [shard0] = await verifyCluster(t.local, t.admin, t.answered, client.clientId);
    expect(shard0.hashesEqual && shard0.answeredInStream && shard0.noneTwice).toBe(true);
  }, 120_000);

  it('fails a request as UNAVAILABLE naming the stream when it was deleted', async () => {
    const jsm = await managerOf(t.admin);
    await jsm.streams.delete(stream);
    await expect(client.submitBatch(restingBatch(0, 3, 5_000))).rejects.toMatchObject({
      code: 'UNAVAILABLE', message: expect.stringMatching(/^shard 0: request \d+: the stream LOBCORE_\w+_S0 does not exist \(deleted\?\): nothing was appended$/),
    });
  }, 60_000);
});

describe('a shard whose servers\' JetStream storage is used up', () => {
  const t = clusterPerSuite({ shards: 1, assets: 2, persistent: false, maxFileStoreBytes: 1 << 20 });

  it('answers a retry of a committed request as a duplicate, not as refused for want of room', async () => {
    // The servers check their storage before they look for a duplicate message id: the retry of
    // the request whose record used the storage up is refused as "insufficient resources", though
    // its record is in the stream. Answered "nothing was appended", its sender might send it anew.
    const nc = await connectAs(t.local.runDir, t.local.description, CLIENT_ROLE);
    const submit = shardSubjects(t.local.description.layout.clusterId, 0).submit;
    const send = async (requestSeq: number): Promise<ClusterReply | undefined> => {
      const batch = restingBatch(0, 1_000, requestSeq * 1_000);
      try {
        const answer = await nc.request(submit, encodeRequest(0, 4_242, requestSeq, batch.bytes()), { timeout: 10_000 });
        return new ClusterReply(answer.data, batch.slots);
      } catch {
        return undefined; // no answer: the servers turned JetStream off (nats-server 2.9), the leader sends it again
      }
    };
    let refused = false;
    try {
      for (let requestSeq = 1; requestSeq <= 40 && !refused; requestSeq++) {
        const first = await send(requestSeq);
        if (first?.status !== 'committed') {
          refused = true;
          // Refused for want of room, its first attempt: nothing of it was appended.
          if (first !== undefined) expect(first).toMatchObject({ status: 'stream-full', message: expect.stringMatching(/insufficient resources/) });
          break;
        }
        const retry = await send(requestSeq);
        if (retry !== undefined) expect([retry.status, retry.streamSeq, retry.results.count]).toEqual(['duplicate', first.streamSeq, 1_000]);
        refused = retry === undefined;
      }
    } finally {
      await nc.close();
    }
    expect(refused).toBe(true);
  }, 120_000);
});

describe('an append refused by the servers, sorted', () => {
  /** The outcome of an append whose publish fails with `error`. */
  const outcomeOf = (error: Error) => appendRecord({ publish: () => Promise.reject(error) } as unknown as JetStreamClient, 'log', new Uint8Array(1), 'id', 0, 1_000);
  const apiError = (err_code: number, description: string) => new JetStreamApiError({ code: 503, err_code, description });

  it('for want of room: the stream\'s limits, its max_msg_size, the servers\' storage', async () => {
    // The stream's limits are checked after the message id, the servers' storage and the size before it.
    for (const [code, description, beforeDuplicateCheck] of [[10077, 'maximum messages exceeded', false], [10077, 'maximum bytes exceeded', false],
      [10077, 'maximum messages per subject exceeded', false], [10054, 'message size exceeds maximum allowed', true], [10023, 'insufficient resources', true]] as const) {
      expect(await outcomeOf(apiError(code, description))).toEqual({ kind: 'no-room', message: description, beforeDuplicateCheck });
    }
  });

  it('sent again: a store error that can pass, a timeout, no responders (told apart)', async () => {
    expect(await outcomeOf(apiError(10077, 'store closed'))).toEqual({ kind: 'retry', message: 'store closed', noResponders: false });
    expect(await outcomeOf(new TimeoutError())).toMatchObject({ kind: 'retry', noResponders: false });
    // As the JetStream client reports no responders: "jetstream is not enabled", the request's error its cause.
    const noResponders = new Error('jetstream is not enabled', { cause: new RequestError('no responders', { cause: new NoRespondersError('log') }) });
    expect(await outcomeOf(noResponders)).toMatchObject({ kind: 'retry', noResponders: true });
  });

  it('a wrong last sequence and a permissions violation keep their own kinds', async () => {
    expect(await outcomeOf(apiError(10071, 'wrong last sequence: 4'))).toEqual({ kind: 'wrong-last-sequence', message: 'wrong last sequence: 4' });
    expect(await outcomeOf(new Error("Permissions Violation for Publish to \"log\""))).toMatchObject({ kind: 'refused' });
  });
});
