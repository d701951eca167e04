// The check of every timed cycle against the reference (bench/cycle-check.ts): its stream
// arithmetic, and end to end an engine that misbehaves only in one timed cycle, once warm, and
// is right again in the untimed pass after the measurement (all the check saw before stop 52).
import { describe, expect, it } from 'vitest';
import { streamTotals, TimedCycleCheck } from '../bench/cycle-check.js';
import { compare, localRunner } from '../bench/engine-runs.js';
import { emptyTally } from '../bench/engines/engine.js';
import type { Tally } from '../bench/engines/engine.js';
import { engineById } from '../bench/engines/index.js';
import type { BenchEngine, EngineId, EngineSession } from '../bench/engines/index.js';
import { SCALES } from '../bench/options.js';
import { createProgress } from '../bench/progress.js';
import { buildWorkload } from '../bench/workloads/index.js';
import type { Workload, WorkloadName } from '../bench/workloads/workload.js';

const SEED = 20120621;
const workloads = new Map<WorkloadName, Workload>();
function workload(name: WorkloadName): Workload {
  if (!workloads.has(name)) workloads.set(name, buildWorkload(name, SCALES.tiny, SEED) as Workload);
  return workloads.get(name)!;
}

describe('the reference\'s totals over stretches of the stream', () => {
  it('sum to the whole stream\'s fills and lots, at any chunk size (the last chunk short)', () => {
    const w = workload('steady');
    for (const chunk of [250, 1000, 7]) {
      const totals = streamTotals(w, chunk);
      expect(totals.fills(0, w.stream.count)).toBe(w.streamFills.fills);
      expect(totals.lots(0, w.stream.count)).toBe(w.streamFilledVolume);
      const split = chunk * 3;
      expect(totals.fills(0, split) + totals.fills(split, w.stream.count)).toBe(w.streamFills.fills);
    }
    expect(() => streamTotals(w, 250).fills(0, 100)).toThrow(/not a chunk boundary/);
  });

  it('a cycle that runs past the end and on from 0 (a rewind inside it) is checked as the two stretches it covered', () => {
    const w = workload('steady');
    const chunk = 250;
    const totals = streamTotals(w, chunk);
    const length = w.stream.count - (w.stream.count % chunk);
    const tally = emptyTally();
    const check = new TimedCycleCheck(tally, totals, { fills: true, lots: true });
    const at = length - 2 * chunk;
    check.start(at, 0);
    // What an engine that agrees with the reference adds over [at, length) and then [0, 3 chunks).
    tally.fills += totals.fills(at, length) + totals.fills(0, 3 * chunk);
    tally.filledVolume += totals.lots(at, length) + totals.lots(0, 3 * chunk);
    check.cycle(5 * chunk, length);
    expect(check.differences()).toEqual([]);
    // The next cycle starts at 3 chunks: one fill more than the reference's there is reported.
    tally.fills += totals.fills(3 * chunk, 4 * chunk) + 1;
    tally.filledVolume += totals.lots(3 * chunk, 4 * chunk);
    check.cycle(6 * chunk, length);
    expect(check.checked).toBe(2);
    expect(check.differences()).toEqual([expect.stringMatching(/^timed cycles: 1 of 2 differ from the reference: cycle 2 \(250 commands from stream command 750\): fills \d+, reference \d+$/)]);
  });

  it.each(['naive', 'nodejs-order-book', 'js'] as const)('%s: a rewind leaves the tally as it was (the check counts across rewinds)', async (id) => {
    const engine = engineById(id);
    if ((await engine.unavailable()) !== undefined) return;
    const session = await engine.open(workload('steady'), 250);
    try {
      session.run(0, 1000);
      const before = { ...session.tally };
      expect(before.fills).toBeGreaterThan(0);
      session.rewind();
      expect(session.tally).toEqual(before);
    } finally {
      session.close();
    }
  });
});

describe('the core alone\'s untimed pass', () => {
  it('is checked on its fill count, the one figure it reads (one fill more is a difference)', async () => {
    const w = workload('steady');
    const session = await engineById('js-core').open(w, 250);
    try {
      session.rewind();
      for (let at = 0; at < w.stream.count; at += 250) session.run(at, Math.min(w.stream.count, at + 250));
      expect(compare(session, w, false, undefined, true).differences).toEqual([]);
      session.tally.fills += 1;
      expect(compare(session, w, false, undefined, true).differences).toEqual([`fills counted: ${w.streamFills.fills + 1}, reference ${w.streamFills.fills}`]);
    } finally {
      session.close();
    }
  });
});

describe('an engine that misbehaves in one timed cycle only fails its verification', () => {
  const settings = { scale: SCALES.tiny, unavailable: {} };

  /**
   * `id`'s engine, its tally changed by `fault` once: after the third chunk it runs past the
   * warm-up (whose two rounds end in the two rewinds counted here), that is inside the first
   * timed cycle or benchmark.js's pretest of it. Nothing else changes; the untimed pass that
   * follows the measurement is right.
   */
  const warmFault = (id: EngineId, fault: (tally: Tally) => void): BenchEngine => {
    const real = engineById(id);
    return {
      ...real, isReference: false,
      async open(w, chunk) {
        const session = await real.open(w, chunk);
        const run = session.run.bind(session);
        const rewind = session.rewind.bind(session);
        let rewinds = 0;
        let runsAfterWarmUp = 0;
        return Object.assign(session, {
          run(from: number, to: number) {
            run(from, to);
            if (rewinds >= 2 && ++runsAfterWarmUp === 3) fault(session.tally);
          },
          rewind() {
            rewinds++;
            rewind();
          },
        } satisfies Partial<EngineSession>);
      },
    };
  };
  const verify = async (engine: BenchEngine, on: WorkloadName) => {
    const runner = localRunner([engine], settings, createProgress(false, 1));
    try {
      const m = (await runner.measure(workload(on))).measurements[0];
      expect(m.status).toBe('ok');
      return m.verification!;
    } finally {
      runner.close();
    }
  };

  it('the seam itself changes nothing: the same engines with no fault are verified', async () => {
    for (const id of ['js', 'js-core', 'js-batch'] as const) {
      expect((await verify(warmFault(id, () => {}), 'steady')).differences).toEqual([]);
    }
  });

  it.each([
    ['js', 'steady', 'one fill more', (t: Tally) => { t.fills += 1; }, /fills \d+, reference \d+/],
    ['js-core', 'steady', 'one fill more (the core alone reads only its fill count)', (t: Tally) => { t.fills += 1; }, /fills \d+, reference \d+/],
    ['js-batch', 'steady', 'one lot filled more', (t: Tally) => { t.filledVolume += 1; }, /lots filled \d+, reference \d+/],
    ['js', 'sweep', 'one command rejected', (t: Tally) => { t.rejected += 1; }, /commands rejected 1/],
    ['js-batch', 'stops', 'one order id other than predicted', (t: Tally) => { t.idMismatches += 1; }, /order ids other than predicted 1/],
    ['js', 'lobster', 'one fill fewer, in a timed whole pass', (t: Tally) => { t.fills -= 1; }, /fills \d+, reference \d+/],
    ['naive', 'steady', 'one fill more', (t: Tally) => { t.fills += 1; }, /fills \d+, reference \d+/],
    ['nodejs-order-book', 'steady', 'one lot filled more', (t: Tally) => { t.filledVolume += 1; }, /lots filled \d+, reference \d+/],
  ] as const)('%s on %s: %s', async (id, on, _, fault, said) => {
    const engine = warmFault(id, fault);
    if ((await engine.unavailable()) !== undefined) return;
    const v = await verify(engine, on);
    expect(v.ok).toBe(false);
    expect(v.differences).toEqual([expect.stringMatching(/^timed cycles: 1 of \d+ differ from the reference: cycle \d+ /)]);
    expect(v.differences[0]).toMatch(said);
  });
});

describe('the latency passes are checked as the timed cycles are', () => {
  it.each([
    ['js', 'one fill more', (t: Tally) => { t.fills += 1; }, /fills \d+, reference \d+/],
    ['naive', 'one command rejected', (t: Tally) => { t.rejected += 1; }, /commands rejected 1/],
  ] as const)('%s: %s in the second latency pass fails the verification', async (id, _, fault, said) => {
    const real = engineById(id);
    const engine: BenchEngine = {
      ...real, isReference: false,
      async open(w, chunk) {
        const session = await real.open(w, chunk);
        const runTimed = session.runTimed!.bind(session);
        let passes = 0;
        return Object.assign(session, {
          runTimed(from: number, to: number, into: Float64Array) {
            runTimed(from, to, into);
            if (++passes === 2) fault(session.tally);
          },
        } satisfies Partial<EngineSession>);
      },
    };
    const runner = localRunner([engine], { scale: SCALES.tiny, unavailable: {} }, createProgress(false, 1));
    try {
      const m = (await runner.measure(workload('steady'))).measurements[0];
      expect(m.status).toBe('ok');
      expect(m.latencyNs!.passes).toBe(SCALES.tiny.latencyPasses);
      expect(m.verification!.ok).toBe(false);
      expect(m.verification!.differences).toEqual([expect.stringMatching(/^latency passes: 1 of 2 differ from the reference: cycle 2 \(2,000 commands from stream command 0\): /)]);
      expect(m.verification!.differences[0]).toMatch(said);
    } finally {
      runner.close();
    }
  });
});
