// Per-order latency of the per-call paths: each call timed alone with process.hrtime.bigint()
// into a preallocated Float64Array, from the state after the prelude.
import type { EngineSession } from './engines/engine.js';
import { summariseLatency } from './stats.js';
import type { LatencySummary } from './stats.js';
import type { Workload } from './workloads/workload.js';

export interface LatencyResult extends LatencySummary {
  commands: number;
}

export function measureLatency(session: EngineSession, workload: Workload, maxCommands: number): LatencyResult {
  if (session.runTimed === undefined) throw new Error('latency needs a per-call session');
  const n = Math.min(workload.stream.count, maxCommands);
  const samples = new Float64Array(n);
  session.rewind();
  session.runTimed(0, n, samples);
  return { ...summariseLatency(samples), commands: n };
}

/**
 * What timing costs by itself: the median of back-to-back hrtime.bigint() pairs, in ns.
 * It is included in every latency figure; printed so the reader can subtract it.
 */
export function timerFloorNs(): number {
  const n = 100_000;
  const samples = new Float64Array(n);
  const hrtime = process.hrtime.bigint;
  for (let i = 0; i < n; i++) {
    const t0 = hrtime();
    samples[i] = Number(hrtime() - t0);
  }
  return summariseLatency(samples).p50;
}
