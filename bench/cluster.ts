// The cluster section of the bench report: one shard of three member processes on a 3-node NATS
// JetStream cluster (all on this machine), fed by one client with requests pipelined. Per batch
// size: committed commands/s and commit latency p50/p99 (send to committed answer), beside the
// same batches through a CoreStateMachine in this process doing a member's local state work
// (applied and committed to its own database, sync off), the same run's baseline.
// Then failover: the leader SIGKILLed under traffic, the time to a new leader and the longest
// time no request committed. Runs only where nats-server is installed; says so otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CommandBatch } from '../src/batch.js';
import { ClusterClient } from '../src/cluster/client.js';
import { findNatsServer, NATS_INSTALL_HINT } from '../src/cluster/nats/binary.js';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { failoverStall, type CommitTime } from '../src/cluster/commit-gaps.js';
import type { MemberEvent } from '../src/cluster/member.js';
import { Prng } from '../src/prng.js';
import { CoreStateMachine } from '../src/state/index.js';
import type { ScaleName } from './options.js';
import { quantileOfSorted } from './stats.js';

export interface ClusterThroughput {
  batch: number;
  requests: number;
  window: number;
  seconds: number;
  commandsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** The same batches through a CoreStateMachine in this process, each committed to its own database (sync off), as a member's state does (localRate). */
  localCommandsPerSec: number;
  vsLocal: number;
}

export interface ClusterFailover {
  /** SIGKILL of the leader to the new leader's claim in the stream. */
  electionMs: number;
  /** From the last commit before the kill to the first commit of the new epoch (what a client sees). */
  writeStallMs: number;
}

export type ClusterBenchReport =
  | { status: 'skipped' | 'failed'; reason: string }
  | { status: 'ok'; natsServers: number; shards: number; membersPerShard: number; throughput: ClusterThroughput[]; failover: ClusterFailover[] };

const PLAN: Record<ScaleName, { batches: number[]; commands: number; kills: number }> = {
  full: { batches: [100, 1_000, 10_000], commands: 300_000, kills: 3 },
  quick: { batches: [100, 1_000], commands: 60_000, kills: 1 },
  tiny: { batches: [200], commands: 4_000, kills: 1 },
};
const WINDOW = 8;
const ASSETS = [0, 1, 2, 3];

/** Seeded batches of limits around a mid, crossing IOC takers and market orders. */
function makeBatches(size: number, count: number, seed: number): CommandBatch[] {
  const random = new Prng(seed);
  let timestamp = 1;
  return Array.from({ length: count }, () => {
    const batch = new CommandBatch(size);
    for (let i = 0; i < size; i++) {
      const asset = ASSETS[random.below(ASSETS.length)];
      const side = random.chance(0.5) ? 'bid' : 'ask';
      const roll = random.below(10);
      const trader = random.below(50);
      if (roll < 7) batch.limit(trader, asset, side, side === 'bid' ? 10_000 - random.between(1, 30) : 10_000 + random.between(1, 30), random.between(1, 50), timestamp++);
      else if (roll < 9) batch.limit(trader, asset, side, side === 'bid' ? 10_010 : 9_990, random.between(1, 80), timestamp++, 'IOC');
      else batch.market(trader, asset, side, random.between(1, 60), timestamp++);
    }
    return batch;
  });
}

/**
 * The in-process baseline: the same batches through a CoreStateMachine in this process doing the
 * state work a member does per request (src/cluster/shard-state.ts): each batch at a height of
 * its own, applied, and committed to the member's own RocksDB database (sync off, as a member's
 * is: the stream is the durable log) by a flush that is not awaited before the next request;
 * the clock stops when the last flush is done. Until 2026-12-04 it ran in memory and never
 * flushed inside its timed loop, so it did less work than a member. What it still lacks is the
 * cluster's own durability, the R3 stream append each request waits for: the ratio is what
 * that append, the network and the replication cost over a member's local work.
 */
async function localRate(batches: CommandBatch[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'lobcore-bench-cluster-local-'));
  try {
    const machine = await CoreStateMachine.open({ path: join(dir, 'state'), sync: false });
    const started = performance.now();
    let height = 0;
    let last: Promise<unknown> = Promise.resolve();
    for (const batch of batches) {
      machine.setHeight(++height);
      machine.submitBatch(batch);
      last = machine.flush();
      await nextTurn();
    }
    await last;
    const seconds = (performance.now() - started) / 1000;
    await machine.close();
    return (batches.length * batches[0].count) / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sends every batch, WINDOW at a time; returns the seconds taken, each request's latency, and commit times. */
async function pipeline(client: ClusterClient, batches: CommandBatch[], onCommit?: (commit: CommitTime) => void): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const batch = batches[next++];
      const sent = performance.now();
      const reply = await client.submitBatch(batch);
      const now = performance.now();
      latencies.push(now - sent);
      onCommit?.({ at: Date.now(), epoch: reply.epoch });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  return { seconds: (performance.now() - started) / 1000, latencies };
}

export async function measureCluster(scale: ScaleName, seed: number, onStep: (label: string) => void): Promise<ClusterBenchReport> {
  if (findNatsServer() === undefined) return { status: 'skipped', reason: `nats-server is not installed: ${NATS_INSTALL_HINT}` };
  const plan = PLAN[scale];
  const leaderEvents: Array<{ at: number; member: number }> = [];
  let local: LocalCluster | undefined;
  let client: ClusterClient | undefined;
  try {
    onStep('cluster: starting NATS and a shard of 3 members');
    local = await LocalCluster.start({
      shards: 1, assets: ASSETS.length, members: 3, checkpointEvery: 100, leaderTimeoutMs: 1_000,
      onEvent: (_shard: number, member: number, event: MemberEvent) => { if (event.kind === 'leader') leaderEvents.push({ at: Date.now(), member }); },
    });
    client = await ClusterClient.connect(local.runDir, local.description, { attemptTimeoutMs: 2_000, deadlineMs: 120_000 });
    const throughput: ClusterThroughput[] = [];
    for (const size of plan.batches) {
      onStep(`cluster: batches of ${size}`);
      const batches = makeBatches(size, Math.max(2 * WINDOW, Math.ceil(plan.commands / size)), seed + size);
      const run = await pipeline(client, batches);
      const localCommandsPerSec = await localRate(batches);
      run.latencies.sort((a, b) => a - b);
      const commandsPerSec = (batches.length * size) / run.seconds;
      throughput.push({
        batch: size, requests: batches.length, window: WINDOW, seconds: run.seconds, commandsPerSec,
        p50Ms: quantileOfSorted(run.latencies, 0.5), p99Ms: quantileOfSorted(run.latencies, 0.99),
        localCommandsPerSec, vsLocal: commandsPerSec / localCommandsPerSec,
      });
    }
    const failover: ClusterFailover[] = [];
    for (let k = 0; k < plan.kills; k++) {
      onStep(`cluster: failover ${k + 1} of ${plan.kills}`);
      failover.push(await measureFailover(local, client, leaderEvents, seed + 1_000 + k));
    }
    return { status: 'ok', natsServers: local.description.nodes.length, shards: 1, membersPerShard: 3, throughput, failover };
  } catch (error) {
    return { status: 'failed', reason: (error as Error).stack ?? String(error) };
  } finally {
    await client?.close().catch(() => undefined);
    await local?.stop();
  }
}

async function measureFailover(local: LocalCluster, client: ClusterClient, leaderEvents: Array<{ at: number; member: number }>, seed: number): Promise<ClusterFailover> {
  const leader = local.supervisor.leaderOf(0) as number;
  const commits: CommitTime[] = [];
  let killedAt = 0;
  const traffic = pipeline(client, makeBatches(500, 160, seed), (commit) => commits.push(commit));
  await new Promise((resolve) => setTimeout(resolve, 800));
  killedAt = Date.now();
  await local.supervisor.kill(0, leader);
  await traffic;
  const elected = leaderEvents.find((e) => e.at > killedAt);
  // Back to three members for the next measurement: the killed one recovers and follows.
  await local.supervisor.start(0, leader);
  const writeStallMs = failoverStall(commits, killedAt);
  // The new leader has committed by the time the traffic is done, so its claim has been reported.
  return { electionMs: (elected?.at ?? killedAt + writeStallMs) - killedAt, writeStallMs };
}

export function renderClusterSection(report: ClusterBenchReport | undefined): string {
  if (report === undefined) return '';
  if (report.status !== 'ok') return `\nCluster (NATS JetStream): ${report.status}: ${report.reason.split('\n')[0]}`;
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const lines = [
    `\nCluster: 1 shard, ${report.membersPerShard} member processes, ${report.natsServers} NATS servers (R3 stream), one client, ${report.throughput[0]?.window ?? WINDOW} requests on their way`,
    '  in-process: the same batches through one CoreStateMachine here, each applied and committed to its own database (sync off) as a member\'s state is; not the R3 stream append the cluster waits for',
    '  batch   requests   committed cmd/s   p50 ms   p99 ms   in-process cmd/s   cluster/in-process',
    ...report.throughput.map((t) => `  ${String(t.batch).padStart(5)}   ${String(t.requests).padStart(8)}   ${fmt(t.commandsPerSec).padStart(15)}   ${t.p50Ms.toFixed(1).padStart(6)}   ${t.p99Ms.toFixed(1).padStart(6)}   ${fmt(t.localCommandsPerSec).padStart(16)}   ${t.vsLocal.toFixed(3).padStart(18)}`),
    `  failover (leader SIGKILL): ${report.failover.map((f) => `new leader in ${fmt(f.electionMs)} ms, writes stopped ${fmt(f.writeStallMs)} ms`).join('; ')}`,
  ];
  return lines.join('\n');
}
