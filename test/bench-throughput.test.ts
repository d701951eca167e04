// A stream applied once (growing) is one pass on a machine whose cores are shared and whose fresh
// pages cost a trip to the hypervisor: its row also carries what its main thread went through
// (bench/throughput.ts, wholeStreamThread), and the report prints it under the rows.
import { describe, expect, it } from 'vitest';
import { emptyTally } from '../bench/engines/engine.js';
import type { EngineSession } from '../bench/engines/engine.js';
import { SCALES } from '../bench/options.js';
import type { Measurement } from '../bench/report.js';
import { wholeStreamThreads } from '../bench/table.js';
import { measureThroughput } from '../bench/throughput.js';
import { buildWorkload } from '../bench/workloads/index.js';
import type { Workload } from '../bench/workloads/workload.js';

const PAGE = 4096;
/** WebAssembly pages (64 KiB) a chunk grows its memory by: 16 fresh 4 KiB pages each. */
const GROWTH_PAGES = 1;

/** A session whose every chunk grows a memory of its own and writes each new 4 KiB page once, as a growing core does. */
function growingSession(): { session: EngineSession; pagesWritten: () => number } {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4096 });
  let written = 0;
  const session: EngineSession = {
    tally: emptyTally(),
    run() {
      const from = memory.buffer.byteLength;
      memory.grow(GROWTH_PAGES);
      const bytes = new Uint8Array(memory.buffer);
      for (let at = from; at < bytes.length; at += PAGE) bytes[at] = 1;
      written += (bytes.length - from) / PAGE;
    },
    rewind() {},
    restingOrders: () => 0,
    pendingStops: () => 0,
    bookDigest: () => { throw new Error('not used'); },
    close() {},
  };
  return { session, pagesWritten: () => written };
}

describe('a stream applied once', () => {
  const workload = buildWorkload('growing', SCALES.tiny, 20120621) as Workload;

  it('records its main thread\'s timed seconds, its waits for a core and the fresh pages it touched', () => {
    const { session, pagesWritten } = growingSession();
    const result = measureThroughput(session, workload, { chunk: 250, minSamples: 5, maxTimeSeconds: 1, minTimeSeconds: 0.002 }, 1e6);
    const thread = result.wholeStreamThread;
    expect(thread).toBeDefined();
    expect(thread!.seconds).toBeGreaterThan(0);
    // The whole-stream rate is the timed cycles' commands over these same seconds.
    const timedCommands = result.wholeStream! * thread!.seconds;
    expect(Math.round(timedCommands) % 250).toBe(0);
    expect(timedCommands).toBeLessThanOrEqual(workload.stream.count);
    expect(thread!.waitedSeconds).toBeGreaterThanOrEqual(0);
    // Every page the stream wrote for the first time was a fault on this thread.
    expect(pagesWritten()).toBeGreaterThan(0);
    expect(thread!.faults).toBeGreaterThanOrEqual(pagesWritten());
  });

  it('is printed under its rows: the rate on a core, the share of the wall clock waited, the MiB first touched', () => {
    const row = (engine: 'wasm' | 'js-batch', rate: number, seconds: number, waited: number, faults: number): Measurement => ({
      workload: 'growing', engine, status: 'ok',
      throughput: { opsPerSec: { median: rate, min: rate, max: rate }, samples: 3, minTimeSeconds: 0.025, wholeStream: rate,
        wholeStreamThread: { seconds, waitedSeconds: waited, faults } },
    });
    const text = wholeStreamThreads([row('wasm', 2_000_000, 2, 0.5, 11_264), row('js-batch', 1_000_000, 4, 0, 25_600)]).join('\n');
    // 4M commands in 2 s less 0.5 s waited: 2.67M on a core; 11,264 pages of 4 KiB: 44 MiB.
    expect(text).toMatch(/^ {4}wasm +2\.67M +25\.0% of 2\.00 s +44\.0 MiB$/m);
    expect(text).toMatch(/^ {4}js-batch +1\.00M +0\.0% of 4\.00 s +100\.0 MiB$/m);
    // A stream applied more than once has no such lines.
    const steady: Measurement = { workload: 'steady', engine: 'wasm', status: 'ok',
      throughput: { opsPerSec: { median: 1, min: 1, max: 1 }, samples: 3, minTimeSeconds: 0.025 } };
    expect(wholeStreamThreads([steady])).toEqual([]);
  });
});
