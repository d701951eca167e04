// Heartbeats a member cannot use, on a real cluster: a newer format, a truncated one, fields that
// are not safe integers, another shard's. nats.js runs subscription callbacks in the connection's
// reader loop, so one that throws would silence the member's whole follow connection; one that
// takes a NaN epoch for a live leader's beat would keep every member from ever claiming.
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { shardSubjects } from '../src/cluster/layout.js';
import { connectAs } from '../src/cluster/nats/connect.js';
import { leaderRole } from '../src/cluster/nats/roles.js';
import { encodeHeartbeat } from '../src/cluster/wire/signals.js';
import { streamInfo } from '../src/cluster/streams.js';
import { clusterPerSuite, drive, verify } from './helpers/cluster.js';

/** What a newer member, a torn message or a confused peer could put on the heartbeat subject. */
function badHeartbeats(): Uint8Array[] {
  const beat = (shard: number, epoch: number, memberId = 7, streamSeq = 0): Uint8Array => encodeHeartbeat({ shard, epoch, memberId, streamSeq });
  const newer = beat(0, 1);
  newer[0] = 2;
  return [
    newer, beat(0, 1).subarray(0, 20), beat(0, NaN), beat(0, Infinity), beat(0, 1.5), beat(0, 1, NaN), beat(0, 1, 7, -1),
    // Another shard's leader of a far later epoch: taken for this shard's, it would depose the leader.
    beat(1, 1_000_000),
  ];
}

describe('cluster signals', () => {
  const t = clusterPerSuite({ shards: 1, persistent: false });
  let bad: NatsConnection | undefined;
  let noise: NodeJS.Timeout | undefined;

  afterAll(async () => {
    clearInterval(noise);
    await bad?.close().catch(() => undefined);
  });

  async function everyLiveMemberAt(seq: number): Promise<boolean> {
    for (let m = 0; m < 3; m++) {
      if (!t.local.supervisor.running(0, m)) continue;
      if ((await t.local.supervisor.status(0, m)).streamSeq < seq) return false;
    }
    return true;
  }

  async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('keeps following and electing while bad heartbeats arrive, ignoring them with a log line', async () => {
    const subjects = shardSubjects(t.local.description.layout.clusterId, 0);
    await drive(t, 0, 3, 1);
    bad = await connectAs(t.local.runDir, t.local.description, leaderRole(0));
    const beats = badHeartbeats();
    let sent = 0;
    const publish = (): void => {
      for (const b of beats) (bad as NatsConnection).publish(subjects.heartbeat, b);
      sent += beats.length;
    };
    publish();
    await bad.flush();
    noise = setInterval(publish, 50);

    // The followers go on applying what the leader commits.
    await drive(t, 0, 10, 2);
    const last = (await streamInfo(t.admin, subjects.stream)).state.last_seq;
    await eventually(() => everyLiveMemberAt(last), `every member to apply the stream through seq ${last}`);

    // The leader dies: the others still notice its silence and one of them claims.
    const before = t.local.supervisor.leaderOf(0) as number;
    await t.local.supervisor.kill(0, before);
    await t.local.supervisor.waitFor(() => {
      const now = t.local.supervisor.leaderOf(0);
      return now !== undefined && now !== before;
    }, 60_000, 'a new leader of shard 0');
    await drive(t, 0, 5, 2);
    clearInterval(noise);

    const shard0 = (await verify(t))[0];
    expect(shard0.members.map((m) => ({ member: m.member, equal: m.equal }))).toEqual(shard0.members.map((m) => ({ member: m.member, equal: true })));
    expect(shard0.answeredInStream && shard0.noneTwice).toBe(true);
    // Each member said why it ignored them, and did not print a line per message.
    for (let m = 0; m < 3; m++) {
      const lines = t.events.filter((e) => e.member === m && e.event.kind === 'log' && e.event.line.includes('ignored a bad heartbeat'));
      expect(lines.length, `member ${m}'s log lines about bad heartbeats`).toBeGreaterThan(0);
      expect(lines.length).toBeLessThan(sent / 10);
    }
  }, 240_000);
});
