// The cluster demo's report as a terminal shows it: a member that stopped short of the chain is
// told apart from one whose state differs.
import { describe, expect, it } from 'vitest';
import { renderClusterDemo, type ClusterDemoReport } from '../src/cluster/demo/report.js';

function report(members: ClusterDemoReport['shards'][number]['members']): ClusterDemoReport {
  return {
    verdict: 'MISMATCH',
    flow: { seed: 7, rounds: 60, commandsPerRequest: 200, window: 4, shards: 1, membersPerShard: 3, assets: 6, backend: 'wasm' },
    runDir: '/tmp/run', natsServers: 3, kills: [], recovery: null,
    commandsCommitted: 12_000, requestsAnswered: 60, seconds: 10, throughput: 1_200,
    latencyMs: { p50: 5, p99: 20, max: 30 }, client: { requests: 60, retries: 0, duplicates: 0 },
    shards: [{
      shard: 0, streamLastSeq: 64, chainLength: 62, epochs: 2, claims: 2, skipped: 0, replayHash: 'a'.repeat(64),
      members, hashesEqual: false, answeredInStream: true, noneTwice: true, inOrder: true,
    }],
    divergences: 0,
  };
}

const member = { role: 'follower', streamSeq: 64, batchSeq: 62, stateHash: 'a'.repeat(64), equal: true, behind: false, skipped: 0 };

describe('the cluster demo report', () => {
  it('marks each member equal, DIFFERENT, or BEHIND with how far it got', () => {
    const text = renderClusterDemo(report([
      { ...member, member: 0, role: 'leader' },
      { ...member, member: 1, stateHash: 'b'.repeat(64), equal: false },
      { ...member, member: 2, streamSeq: 61, batchSeq: 59, stateHash: 'c'.repeat(64), equal: false, behind: true },
    ]));
    const rows = text.split('\n').filter((line) => /^\s+[012]\s/.test(line));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/equal$/);
    expect(rows[1]).toMatch(/DIFFERENT$/);
    expect(rows[2]).toMatch(/BEHIND: applied 59 of 62 records, then stopped$/);
    expect(text).toMatch(/verdict: MISMATCH$/);
  });
});
