// Per-order latency of the per-call paths: each call timed alone with process.hrtime.bigint()
// into a preallocated Float64Array, from the state after the prelude. Several passes over the
// same commands, pooled: on a shared VM a pass can land on a stretch where the machine is not
// ours (a pass of 100,000 once read p99 10.6 us beside a p50 of 120 ns, on per-call code that
// read 0.32 us before), and one pass would then be the whole figure. Each pass's own p99 is
// kept, so the report shows how far the passes disagreed. Each pass is checked against the
// reference as a timed cycle is (cycle-check.ts): a fast call that did the wrong thing is no latency.
import type { TimedCycleCheck } from './cycle-check.js';
import type { EngineSession } from './engines/engine.js';
import { spread, summariseLatency } from './stats.js';
import type { LatencySummary, Spread } from './stats.js';
import type { Workload } from './workloads/workload.js';

export interface LatencyResult extends LatencySummary {
  /** Calls timed in each pass. */
  commands: number;
  passes: number;
  /** The p99 of each pass alone. */
  passP99: Spread;
}

/** `chunk`: the stream totals' chunk, where a pass that stops short of the stream's end must stop. */
export function measureLatency(session: EngineSession, workload: Workload, maxCommands: number, passes: number,
                               check: TimedCycleCheck, chunk: number): LatencyResult {
  if (session.runTimed === undefined) throw new Error('latency needs a per-call session');
  const count = workload.stream.count;
  const n = maxCommands >= count ? count : Math.max(chunk, maxCommands - (maxCommands % chunk));
  const pooled = new Float64Array(n * passes);
  const passP99: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    const samples = pooled.subarray(pass * n, (pass + 1) * n);
    session.rewind();
    check.start(0, 0);
    session.runTimed(0, n, samples);
    check.cycle(n, count);
    // Summarising sorts the pass in place, which leaves the pooled figures unchanged.
    passP99.push(summariseLatency(samples).p99);
  }
  return { ...summariseLatency(pooled), commands: n, passes, passP99: spread(passP99) };
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

/** "500,000 calls in 5 passes": what a latency figure was taken over. */
export function latencyCalls(latency: LatencyResult): string {
  const calls = (latency.commands * latency.passes).toLocaleString('en-US');
  return latency.passes === 1 ? `${calls} calls` : `${calls} calls in ${latency.passes} passes`;
}
