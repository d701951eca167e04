// The cluster demo's report: its JSON shape (`--json`) and its rendering for a terminal.
import { formatCount, formatDuration, renderFields, renderTable, shortHash } from '../../cli/format.js';
import type { ShardVerdict } from '../verify.js';

export interface DemoKill {
  kind: 'shard-leader' | 'nats-server';
  target: string;
  round: number;
  atMs: number;
  /** Kill to the new leader's claim (shard leader kills). */
  electionMs?: number;
  /**
   * What the client saw: a leader kill, from the last commit before it (the kill, if none) to the
   * first of the new epoch; a NATS server kill, the longest gap between commits after it, counted up to the server's restart.
   */
  writeStallMs?: number;
  /** When a killed NATS server was started again. */
  restartedAtMs?: number;
}

export interface ClusterDemoReport {
  verdict: 'IDENTICAL' | 'MISMATCH';
  flow: { seed: number; rounds: number; commandsPerRequest: number; window: number; shards: number; membersPerShard: number; assets: number; backend: string };
  runDir: string;
  natsServers: number;
  kills: DemoKill[];
  recovery: { shard: number; member: number; localStreamSeq: number; checkpoint: { streamSeq: number; batchSeq: number } | null; replayedFromStream: number; catchUpMs: number } | null;
  commandsCommitted: number;
  requestsAnswered: number;
  seconds: number;
  throughput: number;
  latencyMs: { p50: number; p99: number; max: number };
  client: { requests: number; retries: number; duplicates: number };
  shards: Array<Omit<ShardVerdict, 'replay'>>;
  divergences: number;
}

function memberMark(m: ShardVerdict['members'][number], chainLength: number): string {
  if (m.equal) return 'equal';
  return m.behind ? `BEHIND: applied ${formatCount(m.batchSeq)} of ${formatCount(chainLength)} records, then stopped` : 'DIFFERENT';
}

export function renderClusterDemo(r: ClusterDemoReport): string {
  const ok = (b: boolean): string => (b ? 'ok' : 'FAILED');
  const lines = [
    'summary',
    renderFields([
      ['committed', `${formatCount(r.commandsCommitted)} commands in ${formatCount(r.requestsAnswered)} requests, ${r.seconds.toFixed(1)} s, ${formatCount(r.throughput)} commands/s`],
      ['commit latency', `p50 ${formatDuration(r.latencyMs.p50)}, p99 ${formatDuration(r.latencyMs.p99)}, max ${formatDuration(r.latencyMs.max)} per request of ${r.flow.commandsPerRequest}`],
      ['client', `${formatCount(r.client.retries)} retries, ${formatCount(r.client.duplicates)} answered as duplicates`],
      ...r.kills.map((k): [string, string] => [
        k.kind === 'shard-leader' ? 'leader killed' : 'NATS killed',
        `${k.target} at round ${k.round}: ${k.electionMs === undefined ? '' : `new leader in ${formatDuration(k.electionMs)}, `}writes stopped ${formatDuration(k.writeStallMs ?? 0)}`,
      ]),
      ...(r.recovery === null ? [] : [['recovered', `shard ${r.recovery.shard} member ${r.recovery.member}: local state at stream seq ${r.recovery.localStreamSeq}${r.recovery.checkpoint === null ? '' : ` (checkpoint at batch ${r.recovery.checkpoint.batchSeq})`}, then ${formatCount(r.recovery.replayedFromStream)} records from the stream in ${formatDuration(r.recovery.catchUpMs)}`] as [string, string]]),
      ['divergences', r.divergences === 0 ? 'none reported' : `${r.divergences} REPORTED`],
    ], '  '),
    '',
    ...r.shards.flatMap((s) => [
      `shard ${s.shard}: ${formatCount(s.chainLength)} records in the chain (${s.claims} epoch claims, ${s.skipped} skipped), stream seq ${formatCount(s.streamLastSeq)}`,
      renderTable(['member', 'role', 'stream seq', 'state hash', ''], [
        ['replay', '-', formatCount(s.streamLastSeq), shortHash(s.replayHash), ''],
        ...s.members.map((m) => [String(m.member), m.role, formatCount(m.streamSeq), shortHash(m.stateHash), memberMark(m, s.chainLength)]),
      ], '  '),
      `  every answered request in the stream: ${ok(s.answeredInStream)}; none twice: ${ok(s.noneTwice)}; in the order sent: ${ok(s.inOrder)}`,
      '',
    ]),
    `verdict: ${r.verdict}`,
  ];
  return lines.join('\n');
}
