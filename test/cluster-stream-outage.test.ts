// A shard's stream deleted under a running shard, and made again by an operator from a copy of its
// records. While it was gone, every member asked for it every 100 ms for good, and said so in its
// log as often: the followers' consumers (a member restarted meanwhile, or once the client
// library gave up on its own retries) and, once the leader was gone too, every member's claims:
// ten lines a second each. Now each of them pauses
// twice as long after every failure up to a cap, logs the outage once when it starts and once
// when it ends, and the shard commits again once the stream is back.
import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { ClusterClient } from '../src/cluster/client.js';
import { REOPEN_MAX_PAUSE_MS } from '../src/cluster/follower.js';
import { shardSubjects } from '../src/cluster/layout.js';
import type { MemberStatus } from '../src/cluster/member.js';
import { createShardStreams, managerOf, storedRecord, streamInfo } from '../src/cluster/streams.js';
import { verifyCluster } from '../src/cluster/verify.js';
import { clusterPerSuite, restingBatch, until, verify } from './helpers/cluster.js';

describe('a shard whose stream is deleted and made again', () => {
  const t = clusterPerSuite({ shards: 1, assets: 2, persistent: false });

  /** The member's log lines since `since` (ms since the epoch) that match `pattern`. */
  const logLines = (member: number, since: number, pattern: RegExp): string[] => t.events
    .filter((e) => e.shard === 0 && e.member === member && e.event.kind === 'log' && e.at >= since)
    .map((e) => (e.event as { line: string }).line).filter((line) => pattern.test(line));

  /** Asks the member for its state until `done` holds for it, keeping every answer. */
  async function watchStatus(member: number, done: (st: MemberStatus) => boolean, seen: MemberStatus[]): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const st = await t.local.supervisor.status(0, member);
      seen.push(st);
      if (done(st)) return;
      if (Date.now() > deadline) throw new Error(`member ${member} never got there: last ${JSON.stringify(st)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('backs off to the cap, logs the outage once, and commits again once the stream is back', async () => {
    for (let i = 1; i <= 3; i++) {
      const reply = await t.client.submitBatch(restingBatch(i % 2, 5, 100 * i));
      expect(reply.status).toBe('committed');
      t.answered.push({ shard: 0, streamSeq: reply.streamSeq });
    }
    const subjects = shardSubjects(t.local.description.layout.clusterId, 0);
    // The operator's copy of the stream, from which it is made again below.
    const info = await streamInfo(t.admin, subjects.stream);
    const copy: Uint8Array[] = [];
    for (let seq = 1; seq <= info.state.last_seq; seq++) copy.push(await storedRecord(t.admin, subjects.stream, seq) as Uint8Array);
    const leader = t.local.supervisor.leaderOf(0) as number;
    const followers = [0, 1, 2].filter((m) => m !== leader);

    const deletedAt = Date.now();
    await (await managerOf(t.admin)).streams.delete(subjects.stream);
    // A member restarted meanwhile cannot open a consumer at all (its first attempt already fails).
    const restarted = followers[1];
    await t.local.supervisor.kill(0, restarted);
    const restartedAt = Date.now();
    await t.local.supervisor.start(0, restarted);
    const since = (member: number): number => (member === restarted ? restartedAt : deletedAt);

    // Over the follower's first ten failed attempts, the pause after each doubles from 100 ms to the cap.
    const schedule = (failures: number): number => Math.min(100 * 2 ** (failures - 1), REOPEN_MAX_PAUSE_MS);
    for (const member of followers) {
      const seen: MemberStatus[] = [];
      await watchStatus(member, (st) => st.consumerFailures >= 10, seen);
      const pauses = new Map<number, number>();
      for (const st of seen) if (st.consumerFailures > 0) pauses.set(st.consumerFailures, st.consumerPauseMs);
      for (const [failures, pause] of pauses) expect([failures, pause]).toEqual([failures, schedule(failures)]);
      expect(pauses.get(10)).toBe(REOPEN_MAX_PAUSE_MS);
      // Ten attempts, one line: the stream is missing.
      expect(logLines(member, since(member), /consumer of /)).toEqual([expect.stringMatching(/consumer of LOBCORE_\w+_S0: the stream does not exist \(deleted\?\); reading from seq \d+; trying again after 100 ms/)]);
    }

    // The leader dies too: the others' claims cannot read the stream, and back off the same way.
    await t.local.supervisor.kill(0, leader);
    for (const member of followers) await watchStatus(member, (st) => st.claimFailures >= 6, []);
    for (const member of followers) expect(logLines(member, since(member), /claim/)).toEqual([expect.stringMatching(/claiming the leadership: claim failed: stream not found; trying again after 100 ms/)]);

    // Made again as the operator would: the same config, then the copy of its records, in order.
    await createShardStreams(t.admin, t.local.description);
    const js = jetstream(t.admin);
    for (let i = 0; i < copy.length; i++) await js.publish(subjects.log, copy[i], { expect: { lastSequence: i } });

    const reply = await t.client.submitBatch(restingBatch(0, 5, 10_000));
    expect(reply.status).toBe('committed');
    t.answered.push({ shard: 0, streamSeq: reply.streamSeq });
    const newLeader = t.local.supervisor.leaderOf(0) as number;
    expect(followers).toContain(newLeader);
    const follower = followers.find((m) => m !== newLeader) as number;
    // The follower that goes on following reads again, and says once how long the stream was gone.
    await until(() => logLines(follower, since(follower), /consumer of .*succeeded again/).length > 0, 'the follower reading the stream again');
    expect(logLines(follower, since(follower), /consumer of /)).toEqual([
      expect.stringMatching(/does not exist/),
      expect.stringMatching(/succeeded again after \d+ ms and \d+ failed attempts \(last: missing\)$/),
    ]);

    const [shard0] = await verify(t);
    expect(shard0.hashesEqual && shard0.answeredInStream && shard0.noneTwice).toBe(true);
  }, 240_000);
});

describe('a shard whose stream loses its majority of servers for a while', () => {
  const t = clusterPerSuite({ shards: 1, assets: 2, persistent: false });

  it('the leader sends its unanswered append again less and less often, logs it once, and commits once the servers are back', async () => {
    const first = await t.client.submitBatch(restingBatch(0, 5, 1));
    t.answered.push({ shard: 0, streamSeq: first.streamSeq });
    const leader = t.local.supervisor.leaderOf(0) as number;
    // A client that waits as long as the duplicate window allows: the request must outlive the outage.
    const patient = await ClusterClient.connect(t.local.runDir, t.local.description, { attemptTimeoutMs: 1_000, deadlineMs: 240_000 });
    try {
      const lostAt = Date.now();
      await t.local.nats.kill(1);
      await t.local.nats.kill(2);
      const pending = patient.submitBatch(restingBatch(1, 5, 100));
      pending.catch(() => undefined); // awaited below; a failure before that must not surface as unhandled once the client closes
      // Eight attempts in a row unanswered: 100 ms to the 1 s cap (the unit test holds the schedule).
      while ((await t.local.supervisor.status(0, leader)).appendFailures < 8) await new Promise((resolve) => setTimeout(resolve, 50));
      const appendLines = (): string[] => t.events
        .filter((e) => e.member === leader && e.event.kind === 'log' && e.at >= lostAt)
        .map((e) => (e.event as { line: string }).line).filter((line) => /appends to /.test(line));
      expect(appendLines()).toEqual([expect.stringMatching(/appends to LOBCORE_\w+_S0: the append at seq \d+ (met no responders|went unanswered \(.*\)); trying again after 100 ms, then twice as long after each failure \(at most 1000 ms\)/)]);

      t.local.nats.restart(1);
      t.local.nats.restart(2);
      const reply = await pending;
      // An attempt that went unanswered may have been stored once the servers were back: its
      // retry is then acknowledged as a duplicate, the leader steps down, and the request is
      // answered from the chain, committed once either way.
      expect(['committed', 'duplicate']).toContain(reply.status);
      expect(appendLines()).toEqual([expect.anything(), expect.stringMatching(/succeeded again after \d+ ms and \d+ failed attempts \(last: unanswered\)$/)]);
      const [shard0] = await verifyCluster(t.local, t.admin, [{ shard: 0, streamSeq: reply.streamSeq }], patient.clientId);
      expect(shard0).toMatchObject({ hashesEqual: true, answeredInStream: true, noneTwice: true });
    } finally {
      await patient.close();
    }
  }, 300_000);
});
