// `lobcore cluster demo`: a 3-node NATS cluster, 2 shards of 3 member processes, a seeded flow
// from one client, a shard leader SIGKILLed and later restarted (it recovers from its own
// checkpoint), a NATS server SIGKILLed and restarted, and at the end a verdict: every member's
// state hash equals an in-memory replay of the committed stream, and every answered request is
// in the stream exactly once, in the order the client sent it.
import { ClusterClient } from '../client.js';
import { LocalCluster } from '../local-cluster.js';
import { shardSubjects } from '../layout.js';
import type { MemberEvent } from '../member.js';
import { connectAs } from '../nats/connect.js';
import { ADMIN_ROLE } from '../nats/roles.js';
import { failoverStall, longestCommitGap, type CommitTime } from '../commit-gaps.js';
import { streamInfo } from '../streams.js';
import { verifyCluster } from '../verify.js';
import type { ClusterReply } from '../wire/reply.js';
import type { BackendName } from '../../types.js';
import { percentile } from '../../cli/format.js';
import { ClusterDemoFlow, type DemoRequest } from './flow.js';
import type { ClusterDemoReport, DemoKill } from './report.js';

export interface ClusterDemoOptions {
  seed: number;
  rounds: number;
  commandsPerRequest: number;
  assets: number;
  /** Rounds on their way at once (round r is built from the answers up to r - window). */
  window: number;
  backend: BackendName;
  runDir?: string;
  say: (line: string) => void;
}

const SHARDS = 2;
const MEMBERS = 3;

export async function runClusterDemo(options: ClusterDemoOptions): Promise<ClusterDemoReport> {
  const events: Array<{ at: number; shard: number; member: number; event: MemberEvent }> = [];
  const divergences: MemberEvent[] = [];
  const local = await LocalCluster.start({
    runDir: options.runDir, shards: SHARDS, assets: options.assets, members: MEMBERS, backend: options.backend,
    checkpointEvery: 20, leaderTimeoutMs: 1_000,
    onEvent: (shard, member, event) => {
      events.push({ at: Date.now(), shard, member, event });
      if (event.kind === 'divergence') divergences.push(event);
    },
  });
  const say = options.say;
  const layout = local.description.layout;
  say(`NATS cluster of ${local.description.nodes.length} servers up (${local.description.servers.join(' ')}), run directory ${local.runDir}`);
  for (const s of layout.shards) say(`shard ${s.shard}: assets ${s.assets.join(',')}, ${MEMBERS} members, member ${local.supervisor.leaderOf(s.shard)} leads`);
  const admin = await connectAs(local.runDir, local.description, ADMIN_ROLE);
  const client = await ClusterClient.connect(local.runDir, local.description, { attemptTimeoutMs: 1_500, deadlineMs: 90_000 });
  let keepRunDir = true;
  try {
    const flow = new ClusterDemoFlow(layout.shards.map((s) => s.assets), { seed: options.seed, commandsPerRequest: options.commandsPerRequest });
    const rounds: Array<Array<Promise<{ request: DemoRequest; reply: ClusterReply }>>> = [];
    const commitTimes: CommitTime[][] = layout.shards.map(() => []);
    const answered: Array<{ shard: number; streamSeq: number; commands: number }> = [];
    const latencies: number[] = [];
    const kills: DemoKill[] = [];
    const plan = {
      killLeader: Math.floor(options.rounds * 0.3),
      restartMember: Math.floor(options.rounds * 0.5),
      killNats: Math.floor(options.rounds * 0.6),
      restartNats: Math.floor(options.rounds * 0.8),
    };
    let killedMember: { shard: number; member: number } | undefined;
    let killedNode = -1;
    const started = Date.now();
    for (let round = 0; round < options.rounds; round++) {
      const absorbed = round - options.window;
      if (absorbed >= 0) for (const done of await Promise.all(rounds[absorbed])) flow.absorb(done.request, done.reply);
      if (round === plan.killLeader) {
        const member = local.supervisor.leaderOf(0) as number;
        await local.supervisor.kill(0, member);
        killedMember = { shard: 0, member };
        kills.push({ kind: 'shard-leader', target: `shard 0 member ${member}`, round, atMs: Date.now() - started });
        say(`round ${round}: SIGKILL shard 0's leader, member ${member}`);
      } else if (round === plan.restartMember && killedMember !== undefined) {
        await local.supervisor.start(killedMember.shard, killedMember.member);
        say(`round ${round}: shard 0 member ${killedMember.member} restarted: it recovers from its checkpoint and replays the stream after it`);
      } else if (round === plan.killNats) {
        const leaderName = (await streamInfo(admin, shardSubjects(layout.clusterId, 1).stream)).cluster?.leader;
        killedNode = Math.max(0, local.description.nodes.findIndex((n) => n.name === leaderName));
        await local.nats.kill(killedNode);
        kills.push({ kind: 'nats-server', target: `${local.description.nodes[killedNode].name} (leader of shard 1's stream)`, round, atMs: Date.now() - started });
        say(`round ${round}: SIGKILL NATS server ${local.description.nodes[killedNode].name}, the Raft leader of shard 1's stream`);
      } else if (round === plan.restartNats && killedNode >= 0) {
        local.nats.restart(killedNode);
        kills[kills.length - 1].restartedAtMs = Date.now() - started;
        say(`round ${round}: NATS server ${local.description.nodes[killedNode].name} restarted`);
      }
      rounds[round] = layout.shards.map((s) => {
        const request = flow.nextRequest(s.shard);
        const sent = Date.now();
        return client.submitBatch(request.batch).then((reply) => {
          const now = Date.now();
          latencies.push(now - sent);
          commitTimes[s.shard].push({ at: now - started, epoch: reply.epoch });
          answered.push({ shard: s.shard, streamSeq: reply.streamSeq, commands: request.batch.count });
          return { request, reply };
        });
      });
    }
    for (const round of rounds.slice(Math.max(0, options.rounds - options.window))) await Promise.all(round);
    const flowMs = Date.now() - started;
    measureKills(kills, events, commitTimes, started);
    say(`flow done: ${answered.length} requests answered in ${(flowMs / 1000).toFixed(1)} s; verifying`);

    const shards = await verifyCluster(local, admin, answered, client.clientId, options.backend);
    for (const s of shards) s.epochs = events.filter((e) => e.shard === s.shard && e.event.kind === 'leader').length;
    const identical = shards.every((s) => s.hashesEqual && s.answeredInStream && s.noneTwice && s.inOrder) && divergences.length === 0;
    // A temp run directory is removed after a clean run and kept (with every server's log) after a mismatch.
    keepRunDir = !identical;
    const committed = answered.reduce((sum, a) => sum + a.commands, 0);
    latencies.sort((a, b) => a - b);
    const restarted = killedMember === undefined ? undefined : events.filter((e) => e.shard === killedMember?.shard && e.member === killedMember.member);
    const ready = restarted?.filter((e) => e.event.kind === 'ready').pop()?.event;
    const caughtUp = restarted?.filter((e) => e.event.kind === 'caught-up').pop()?.event;
    return {
      verdict: identical ? 'IDENTICAL' : 'MISMATCH',
      flow: { seed: options.seed, rounds: options.rounds, commandsPerRequest: options.commandsPerRequest, window: options.window, shards: SHARDS, membersPerShard: MEMBERS, assets: options.assets, backend: options.backend },
      runDir: local.runDir,
      natsServers: local.description.nodes.length,
      kills,
      recovery: ready?.kind === 'ready' && caughtUp?.kind === 'caught-up' && killedMember !== undefined
        ? { shard: killedMember.shard, member: killedMember.member, localStreamSeq: ready.recovered.streamSeq, checkpoint: ready.recovered.checkpoint === undefined ? null : { streamSeq: ready.recovered.checkpoint.streamSeq, batchSeq: ready.recovered.checkpoint.batchSeq }, replayedFromStream: caughtUp.records, catchUpMs: caughtUp.ms }
        : null,
      commandsCommitted: committed,
      requestsAnswered: answered.length,
      seconds: flowMs / 1000,
      throughput: committed / (flowMs / 1000),
      latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1] ?? 0 },
      client: { ...client.stats },
      shards: shards.map(({ replay: _replay, ...rest }) => rest),
      divergences: divergences.length,
    };
  } finally {
    await client.close().catch(() => undefined);
    await admin.close().catch(() => undefined);
    await local.stop({ keepRunDir });
  }
}

/** Election time from the members' own reports, write stalls from the client's commit times. */
function measureKills(kills: DemoKill[], events: Array<{ at: number; shard: number; event: MemberEvent }>, commitTimes: CommitTime[][], started: number): void {
  for (const kill of kills) {
    // The killed leader's epoch: the last claim on shard 0 before the kill.
    const claimed = events.filter((e) => e.shard === 0 && e.event.kind === 'leader' && e.at - started <= kill.atMs).pop()?.event;
    kill.writeStallMs = kill.kind === 'shard-leader'
      ? failoverStall(commitTimes[0], kill.atMs, claimed?.kind === 'leader' ? claimed.epoch : 0)
      : Math.max(...commitTimes.map((times) => longestCommitGap(times, kill.atMs, kill.restartedAtMs ?? Infinity)));
    if (kill.kind === 'shard-leader') {
      const elected = events.find((e) => e.shard === 0 && e.event.kind === 'leader' && e.at - started > kill.atMs);
      kill.electionMs = elected === undefined ? undefined : elected.at - started - kill.atMs;
    }
  }
}
