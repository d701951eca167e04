// The demo's summary: the same report printed as JSON with --json, or as this text.
import type { BackendName } from '../types.js';
import type { RecoveryReport } from '../state/index.js';
import type { AuditCheck, FeedCheck, FillHistoryCheck } from './demo-verify.js';
import { MAX_BLOCKS_IN_FLIGHT } from './demo-protocol.js';
import type { LatencySummary, WriterRun } from './demo-writer-run.js';
import { formatBytes, formatCount, formatCounted, formatDuration, formatRate, renderFields, shortHash } from './format.js';

export interface DemoReport {
  flow: { blocks: number; ordersPerBlock: number; assets: number; seed: number; backend: BackendName; checkpointEvery: number };
  database: string;
  writer: WriterRun & { killHeight: number };
  /** What recovery did (from the state machine), the whole open's time, and the height check. */
  recovery: RecoveryReport & { openMs: number; heightInRange: boolean };
  replay: { ms: number; height: number };
  stateHash: { recovered: string; replayed: string; equal: boolean };
  fillHistory: FillHistoryCheck;
  audit: AuditCheck;
  feed: FeedCheck;
  resumed: { fromHeight: number; toHeight: number; stateHash: { onDisk: string; inMemory: string; equal: boolean } };
  diskBytes: number;
  verdict: 'IDENTICAL' | 'MISMATCH';
}

function latency(summary: LatencySummary): string {
  if (summary.count === 0) return 'none';
  return `${formatCount(summary.count)} × p50 ${formatDuration(summary.p50Ms)}, p99 ${formatDuration(summary.p99Ms)}, max ${formatDuration(summary.maxMs)}`;
}

function describeRecoveryStart(recovery: RecoveryReport): string {
  return recovery.checkpointHeight === null ? 'no checkpoint' : `checkpoint at height ${formatCount(recovery.checkpointHeight)}`;
}

function verdictMark(ok: boolean): string {
  return ok ? 'ok' : 'DIFFERENT';
}

// A kill after the last block, or flushes that landed up to it, leave nothing to resume: a short
// flow's report read `blocks 2..1`.
function describeResumed(resumed: DemoReport['resumed']): string {
  if (resumed.fromHeight >= resumed.toHeight) return `nothing left: the recovered database reached the flow's last block, ${formatCount(resumed.toHeight)}`;
  return `blocks ${formatCount(resumed.fromHeight + 1)}..${formatCount(resumed.toHeight)} on the recovered database`;
}

export function renderDemoReport(report: DemoReport): string {
  const { writer, recovery, stateHash, fillHistory, audit, feed, resumed } = report;
  const lines = renderFields([
    ['orders', `${formatCount(writer.commands)} in ${formatCounted(writer.reportedHeight, 'block')} before the kill`],
    ['fills', formatCount(writer.fills)],
    // Not the core's own rate (lobcore bench measures that): about a third of this time is the
    // core, the rest the state machine's bookkeeping and the flow's own making of orders, in a
    // process that starts cold (docs/storage.md, round 35).
    ['matching', `${formatRate(writer.matchOpsPerSecond)} in the writer's blocks (${report.flow.backend} core through the state machine's per-call API, which journals and indexes each command; wall clock, cold process)`],
    ['with persistence', `${formatRate(writer.persistedOpsPerSecond)} (every block acknowledged once synced; group commit, up to ${MAX_BLOCKS_IN_FLIGHT} blocks in flight)`],
    ['acks', latency(writer.flush)],
    ['checkpoints', `${latency(writer.checkpoint)} (every ${formatCount(report.flow.checkpointEvery)} blocks)`],
    ['recovery', `${formatDuration(recovery.durationMs)}: ${describeRecoveryStart(recovery)}` +
      ` + ${formatCounted(recovery.replayedRecords, 'journal record')} (${formatCounted(recovery.replayedCommands, 'command')});` +
      ` open ${formatDuration(recovery.openMs)} in all, RocksDB's own log replay after the kill included`],
    ['recovered height', `${formatCount(recovery.height)}, last flush the writer reported: ${formatCount(writer.reportedHeight)} ${verdictMark(recovery.heightInRange)}`],
    ['in-memory replay', `${formatCounted(recovery.height, 'block')} in ${formatDuration(report.replay.ms)}`],
    ['state hash', `${shortHash(stateHash.recovered)} recovered, ${shortHash(stateHash.replayed)} replayed ${verdictMark(stateHash.equal)}`],
    ['fill history', `${formatCount(fillHistory.recovered)} fills recovered, ${formatCount(fillHistory.replayed)} replayed, every trader's history compared ${verdictMark(fillHistory.equal)}`],
    ['audit trail', audit.removed === null
      ? 'no order was removed by self-trade prevention in this flow'
      : `order ${formatCount(audit.removed.orderId)} of trader ${audit.removed.trader}, removed by self-trade prevention at height ${formatCount(audit.removed.height)}: record and lifecycle recovered as replayed ${verdictMark(audit.removed.equal)}`],
    ['stop orders', audit.triggered === null
      ? 'no stop triggered in this flow'
      : `stop ${formatCount(audit.triggered.orderId)} of trader ${audit.triggered.trader}, triggered at height ${formatCount(audit.triggered.height)}: record and lifecycle recovered as replayed ${verdictMark(audit.triggered.equal)}`],
    ['feed', `a subscriber's books (snapshot + ${formatCount(feed.messages)} messages over ${feed.assets} assets) equal the engine's ${verdictMark(feed.equal)}`],
    ['resumed', `${describeResumed(resumed)}, final hash ${shortHash(resumed.stateHash.onDisk)} ${verdictMark(resumed.stateHash.equal)}`],
    ['on disk', `${formatBytes(report.diskBytes)} in ${report.database}`],
  ], '  ');
  return `summary\n${lines}\n\nverdict: ${report.verdict}\n` +
    (report.verdict === 'IDENTICAL' ? `\nlook inside: lobcore inspect ${report.database}\n` : '');
}
