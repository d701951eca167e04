// What pending stops cost the common path: steady-stops (steady's commands over its book plus
// parked stops) against steady, engine by engine. The throughput table measures the two minutes
// apart, which on a shared machine can differ by more than the cost itself; here each engine
// runs the same prefix of both streams in alternation, a pair of passes per round, and a
// round's ratio compares two passes taken moments apart. Time is this process's CPU time
// (process.cpuUsage), so the moments another process holds the core count for neither.
import type { BenchEngine, EngineSession } from './engines/engine.js';
import { fullGc } from './gc.js';
import type { Measurement, PendingStopsCost } from './report.js';
import { spread } from './stats.js';
import type { Workload } from './workloads/workload.js';

/**
 * A pass is the whole stream: what the pending stops cost can grow along it (the JS core's id
 * index slows as new ids wrap round onto the parked stops' buckets). Only an engine too slow
 * for that (nodejs-order-book) runs a prefix, of about this long at its steady rate.
 */
const MAX_PASS_SECONDS = 1;

/** A row per engine; every engine given must be runnable here. */
export async function measurePendingStopsCost(
  engines: readonly BenchEngine[], measurements: readonly Measurement[],
  steady: Workload, steadyStops: Workload, settings: { chunk: number; rounds: number },
): Promise<PendingStopsCost['engines']> {
  const stops = steadyStops.stops!;
  const rows: PendingStopsCost['engines'] = [];
  for (const engine of engines) {
    // The fastest sample: the rate least slowed by whatever else shares the machine.
    const opsPerSec = measurements.find((m) => m.workload === 'steady' && m.engine === engine.id)?.throughput?.opsPerSec.max;
    const commands = passLength(opsPerSec, Math.min(steady.stream.count, steadyStops.stream.count), settings.chunk);
    const plain = await engine.open(steady, settings.chunk);
    const parked = await engine.open(steadyStops, settings.chunk);
    // Opened after both and never run: in one process the WebAssembly instance made last runs
    // faster than those made before it (bench/README.md, "Which session opens first"), and it
    // would otherwise be the parked session's.
    const madeLast = await engine.open(steady, settings.chunk);
    try {
      pass(plain, commands, settings.chunk);
      pass(parked, commands, settings.chunk);
      const steadyRates: number[] = [];
      const parkedRates: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < settings.rounds; round++) {
        const a = commands / pass(plain, commands, settings.chunk);
        const b = commands / pass(parked, commands, settings.chunk);
        steadyRates.push(a);
        parkedRates.push(b);
        ratios.push(b / a);
      }
      rows.push({
        engine: engine.id, commands, triggered: stops.pendingAfterPrelude - parked.pendingStops(),
        steady: spread(steadyRates), steadyStops: spread(parkedRates), ratio: spread(ratios),
      });
    } finally {
      plain.close();
      parked.close();
      madeLast.close();
    }
  }
  return rows;
}

/** Commands in one pass: the stream, or what the engine's best steady rate runs in MAX_PASS_SECONDS; whole chunks. */
function passLength(opsPerSec: number | undefined, streamLength: number, chunk: number): number {
  const wanted = opsPerSec === undefined ? streamLength : opsPerSec * MAX_PASS_SECONDS;
  const chunks = Math.max(1, Math.min(Math.floor(streamLength / chunk), Math.round(wanted / chunk)));
  return chunks * chunk;
}

/** CPU seconds for the first `commands` of the stream from the post-prelude state (rewind and GC untimed). */
function pass(session: EngineSession, commands: number, chunk: number): number {
  session.rewind();
  fullGc();
  const before = process.cpuUsage();
  for (let at = 0; at < commands; at += chunk) session.run(at, Math.min(commands, at + chunk));
  const used = process.cpuUsage(before);
  return Math.max(1, used.user + used.system) / 1e6;
}
