// The paired passes of the ratio targets (bench/pairs.ts): the round logic, the stretch a pass
// runs, and the sessions' start further into a stream (EngineSession.startAt) ending where a
// whole pass does. No speed is asserted: the passes' seconds here are made up or not read.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { alternate, fitStretch, measurePairs, passStretch, round, roundCpu, roundFigures, targetPairs } from '../bench/pairs.js';
import type { EngineRunner } from '../bench/engine-runs.js';
import { PairSessions, mainThreadOnCoreSeconds } from '../bench/pair-sessions.js';
import type { PairRequest } from '../bench/pair-sessions.js';
import type { EngineId } from '../bench/engines/engine.js';
import type { PairSide } from '../bench/pairs.js';
import { ratioTargets } from '../bench/target-pairs.js';
import { SCALES } from '../bench/options.js';
import { buildWorkload } from '../bench/workloads/index.js';
import type { Workload, WorkloadName } from '../bench/workloads/workload.js';
import { WORKLOAD_NAMES } from '../bench/workloads/workload.js';
import { compare } from '../bench/engine-runs.js';
import { engineById } from '../bench/engines/index.js';
import { NaiveStopBook } from '../bench/naive-stop-book.js';
import { evaluateTargets } from '../bench/report.js';
import type { BenchReport, Measurement, PairedRatio, Verification } from '../bench/report.js';

const tiny = (name: WorkloadName): Workload => buildWorkload(name, SCALES.tiny, 20120621) as Workload;

/** A side that logs its calls into `log` and answers each pass with the next of `seconds`. */
function loggedSide(name: string, log: string[], seconds: number[]): PairSide {
  return {
    rewind: async () => {
      log.push(`${name} rewind`);
    },
    pass: async () => {
      log.push(`${name} pass`);
      return seconds.shift()!;
    },
  };
}

describe('alternated rounds', () => {
  it('rewind both sides before each round and swap which passes first every round', async () => {
    const log: string[] = [];
    const seconds = await alternate(loggedSide('a', log, [1, 2, 3]), loggedSide('b', log, [4, 5, 6]), 3, false);
    expect(log).toEqual([
      'a rewind', 'b rewind', 'a pass', 'b pass',
      'a rewind', 'b rewind', 'b pass', 'a pass',
      'a rewind', 'b rewind', 'a pass', 'b pass',
    ]);
    expect(seconds).toEqual({ a: [1, 2, 3], b: [4, 5, 6] });
  });

  it('rewind the two sides at once where they are in two processes, and only then pass', async () => {
    const log: string[] = [];
    const slowRewind: PairSide = {
      rewind: () => new Promise((resolve) => setTimeout(() => {
        log.push('a rewound');
        resolve();
      }, 20)),
      pass: async () => {
        log.push('a pass');
        return 1;
      },
    };
    expect(await round(slowRewind, loggedSide('b', log, [2]), true, true)).toEqual([1, 2]);
    expect(log).toEqual(['b rewind', 'a rewound', 'b pass', 'a pass']);
  });

  it('take the ratio round by round, a\'s rate over b\'s, not as a ratio of the two sides\' medians', () => {
    // a is twice as fast as b in every round while both slow down together: every round's ratio is 2.
    const f = roundFigures(1000, { a: [1, 2, 4], b: [2, 4, 8] });
    expect(f.rounds).toBe(3);
    expect(f.ratio).toEqual({ median: 2, min: 2, max: 2 });
    expect(f.rateA).toEqual({ median: 500, min: 250, max: 1000 });
    expect(f.rateB).toEqual({ median: 250, min: 125, max: 500 });
  });
});

// The machine's two vCPUs ran the engines at different speeds for minutes at a time (bench/README.md,
// stop 57): a pair is only a comparison of engines when both sides' passes of a round ran on one CPU.
describe('rounds held to a CPU', () => {
  it('take two rounds on each CPU in turn, so that on each CPU both sides pass first once', () => {
    expect([0, 1, 2, 3, 4].map((r) => roundCpu([0, 1], r))).toEqual([0, 0, 1, 1, 0]);
    expect([0, 1, 2].map((r) => roundCpu([], r))).toEqual([undefined, undefined, undefined]);
    // Where alternate swaps the order every round, each CPU's two rounds have a first once and b first once.
    expect([0, 1, 2, 3].map((r) => `${roundCpu([0, 1], r)} ${r % 2 === 1 ? 'b' : 'a'} first`))
      .toEqual(['0 a first', '0 b first', '1 a first', '1 b first']);
  });

  it('run both sides of every round, the untimed one too, with their processes\' main threads on the round\'s CPU', async () => {
    const built = [tiny('steady')];
    const engines = ['js', 'naive'] as const;
    const measurements: Measurement[] = engines.map((engine): Measurement => ({
      workload: 'steady', engine, status: 'ok',
      throughput: { opsPerSec: { median: 1e6, min: 1e6, max: 1e6 }, samples: 5, minTimeSeconds: 0.01 },
      verification: { ok: true } as Verification,
    }));
    const passes: string[] = [];
    const runners = new Map<EngineId, EngineRunner>();
    for (const engine of engines) {
      let cpu: number | undefined;
      runners.set(engine, {
        measure: () => Promise.reject(new Error('not here')),
        pendingStopsCost: () => Promise.reject(new Error('not here')),
        async pinMainThread(to) {
          cpu = to;
        },
        close() {},
        async pair(request: PairRequest) {
          if (request.op !== 'pass') return 0;
          passes.push(`${request.engine} on ${cpu}`);
          // js twice as fast as the naive book on CPU 1, three times on CPU 0.
          return request.engine === 'js' ? (cpu === 0 ? 1 : 2) : 4;
        },
      });
    }
    const progress = { step() {}, done() {}, tick() {}, stop() {} };
    const report = await measurePairs((e) => runners.get(e)!, built, measurements, { chunk: SCALES.tiny.chunk, rounds: 4, passSeconds: 0.01, cpus: [0, 1] }, progress);
    if (!('pairs' in report)) throw new Error('no pairs');
    expect(passes).toEqual([
      'naive on 0', 'js on 0', // the untimed round, b first
      'js on 0', 'naive on 0', 'naive on 0', 'js on 0',
      'js on 1', 'naive on 1', 'naive on 1', 'js on 1',
    ]);
    const pair = report.pairs.find((p) => p.engineA === 'js' && p.engineB === 'naive')!;
    expect(pair.byCpu).toEqual([
      { cpu: 0, rounds: 2, ratio: { median: 4, min: 4, max: 4 } },
      { cpu: 1, rounds: 2, ratio: { median: 2, min: 2, max: 2 } },
    ]);
  });

  it('are left where Linux puts them without CPUs to choose from, and then report no CPU', async () => {
    const f = roundFigures(1000, { a: [1, 2], b: [2, 4] });
    expect(f.byCpu).toBeUndefined();
    expect(roundFigures(1000, { a: [1, 2], b: [2, 2] }, [1, 1]).byCpu).toEqual([{ cpu: 1, rounds: 2, ratio: { median: 1, min: 1, max: 2 } }]);
  });
});

describe('the clock a pass is timed by', () => {
  // The schedstat's CPU-time field, the clock before, moved only at the scheduler's 4 ms tick for a
  // thread running without a switch: most spans of a fraction of a millisecond read 0 on it.
  it('reads every short span of work as time on a core, not a whole number of scheduler ticks', () => {
    let sink = 0;
    const spans: number[] = [];
    for (let span = 0; span < 40; span++) {
      const before = mainThreadOnCoreSeconds();
      for (let i = 0; i < 20_000; i++) sink += Math.sqrt(i + span);
      spans.push(mainThreadOnCoreSeconds() - before);
    }
    expect(sink).toBeGreaterThan(0);
    expect(spans.filter((seconds) => seconds <= 0)).toEqual([]);
  });
});

describe('the stretch a pass runs', () => {
  const settings = { chunk: 250, passSeconds: 0.1 };

  it('is the first commands of a stream rewound when used up: whole chunks, the slower side\'s pass length, at most the stream', () => {
    const steady = tiny('steady');
    expect(passStretch(steady, steady, 20_000, settings)).toEqual({ from: 0, to: 2000 });
    expect(passStretch(steady, steady, 1e9, settings)).toEqual({ from: 0, to: steady.stream.count - (steady.stream.count % 250) });
    expect(passStretch(steady, steady, 1, settings)).toEqual({ from: 0, to: 250 });
  });

  it('is growing\'s last commands, where the book is near its full size', () => {
    const growing = tiny('growing');
    const whole = growing.stream.count - (growing.stream.count % 250);
    expect(passStretch(growing, growing, 20_000, settings)).toEqual({ from: whole - 2000, to: whole });
  });

  it('is the whole of LOBSTER, as its throughput rows run it', () => {
    const lobster = tiny('lobster');
    expect(passStretch(lobster, lobster, 20_000, settings)).toEqual({ from: 0, to: lobster.stream.count });
  });

  it('is fitted to the slower side\'s CPU time in the untimed round: cut or lengthened, growing\'s keeping its start and end as bounds', () => {
    const steady = tiny('steady');
    const growing = tiny('growing');
    // 2,000 commands took 0.2 s: 10,000 a second, so 0.1 s is 1,000.
    expect(fitStretch({ from: 0, to: 2000 }, 0.2, steady, steady, settings)).toEqual({ from: 0, to: 1000 });
    // 0.04 s: 50,000 a second; steady rewinds, so the stretch grows, up to its whole chunks.
    expect(fitStretch({ from: 0, to: 2000 }, 0.04, steady, steady, settings)).toEqual({ from: 0, to: 5000 });
    expect(fitStretch({ from: 0, to: 2000 }, 0.0001, steady, steady, settings).to).toBe(steady.stream.count - (steady.stream.count % 250));
    expect(fitStretch({ from: 5000, to: 9000 }, 0.8, growing, growing, settings)).toEqual({ from: 5000, to: 5500 });
    expect(fitStretch({ from: 5000, to: 9000 }, 0.001, growing, growing, settings)).toEqual({ from: 5000, to: 9000 });
    const lobster = tiny('lobster');
    expect(fitStretch({ from: 0, to: lobster.stream.count }, 5, lobster, lobster, settings)).toEqual({ from: 0, to: lobster.stream.count });
  });

  it('runs as many commands of each workload in a pair across two (wide / steady)', () => {
    const s = passStretch(tiny('wide'), tiny('steady'), 1e9, settings);
    expect(s.from).toBe(0);
    expect(s.to).toBeLessThanOrEqual(Math.min(tiny('wide').stream.count, tiny('steady').stream.count));
  });
});

describe('the pairs', () => {
  it('are every ratio target\'s pairs, each once', () => {
    const pairs = targetPairs(WORKLOAD_NAMES);
    const all = Object.values(ratioTargets(WORKLOAD_NAMES)).flatMap((t) => t.pairs);
    expect(new Set(pairs.map((p) => p.join(' '))).size).toBe(pairs.length);
    expect(new Set(all.map((p) => p.join(' ')))).toEqual(new Set(pairs.map((p) => p.join(' '))));
  });
});

describe('the sessions across pairs', () => {
  it('are opened once per engine, workload and start, reused by the later pairs, and released after the last that runs them', async () => {
    const built = [tiny('steady'), tiny('sweep')];
    const engines = ['wasm-batch', 'wasm-core', 'js', 'js-batch', 'naive'] as const;
    const measurements: Measurement[] = built.flatMap((w) => engines.map((engine): Measurement => ({
      workload: w.name, engine, status: 'ok',
      throughput: { opsPerSec: { median: 1e6, min: 1e6, max: 1e6 }, samples: 5, minTimeSeconds: 0.01 },
      verification: { ok: true } as Verification,
    })));
    const opened: string[] = [];
    const used: string[] = [];
    const runners = new Map<EngineId, EngineRunner>();
    const held = new Map<EngineId, Set<string>>();
    for (const engine of engines) {
      // One process per engine, as the bench has it: what it holds, and what it is asked.
      const holds = new Set<string>();
      runners.set(engine, {
        measure: () => Promise.reject(new Error('not here')),
        pendingStopsCost: () => Promise.reject(new Error('not here')),
        pinMainThread: async () => {},
        close() {},
        async pair(request: PairRequest) {
          if (request.op === 'open') {
            opened.push(`${request.engine} ${request.workload.name} ${request.start}`);
            holds.add(`${request.engine} ${request.workload.name}`);
          } else if (request.op === 'release') {
            for (const k of holds) if (!request.needed.some((n) => `${n.engine} ${n.workload}` === k)) holds.delete(k);
          } else if (request.op === 'close') {
            holds.clear();
          } else {
            if (!holds.has(`${request.engine} ${request.workload}`)) throw new Error(`${request.engine} ${request.workload} is not open`);
            if (request.op === 'pass') {
              used.push(`${request.engine} ${request.workload}`);
              return 0.01;
            }
          }
          return 0;
        },
      });
      held.set(engine, holds);
    }
    const progress = { step() {}, done() {}, tick() {}, stop() {} };
    const report = await measurePairs((e) => runners.get(e)!, built, measurements, { chunk: SCALES.tiny.chunk, rounds: 2, passSeconds: 0.01 }, progress);
    if (!('pairs' in report)) throw new Error('no pairs');
    // Every pair of these engines on these workloads measured (no side found closed)...
    expect(report.notMeasured.filter((n) => n.reason.startsWith('failed'))).toEqual([]);
    expect(report.pairs.length).toBe(8);
    // ...each session opened once though most run in two or three pairs.
    expect(new Set(opened).size).toBe(opened.length);
    expect(new Set(used).size).toBeLessThan(used.length);
    expect(opened.length).toBe(new Set(used).size);
    // Nothing is held once the last pair is done.
    for (const [engine, holds] of held) expect([engine, [...holds]]).toEqual([engine, []]);
  });

  it('are followed by a spare instance only where the last one made runs faster: the WASM engines', async () => {
    const steady = tiny('steady');
    for (const id of ['wasm-core', 'wasm', 'js', 'naive'] as const) {
      const sessions = new PairSessions([engineById(id)], SCALES.tiny.chunk);
      await sessions.handle({ op: 'open', engine: id, workload: steady, start: 0 });
      expect(sessions.holdsSpare).toBe(id.startsWith('wasm'));
      await sessions.handle({ op: 'release', needed: [{ engine: id, workload: 'steady' }] });
      expect(sessions.holdsSpare).toBe(id.startsWith('wasm'));
      await sessions.handle({ op: 'close' });
      expect(sessions.holdsSpare).toBe(false);
      await expect(sessions.handle({ op: 'pass', engine: id, workload: 'steady', from: 0, to: 1000 })).rejects.toThrow(/no open session/);
    }
  });

  // A released session's garbage left to V8 stayed in the heap through the next pairs: growing's
  // naive book, 1.8 GB, made every scavenge of sweep's naive passes 3-8x slower (README, stop 55).
  it('are collected after a release that closed one, and only then, for every engine alike', async () => {
    const steady = tiny('steady');
    const sweep = tiny('sweep');
    for (const id of ['wasm', 'js', 'naive'] as const) {
      let collections = 0;
      const sessions = new PairSessions([engineById(id)], SCALES.tiny.chunk, () => collections++);
      await sessions.handle({ op: 'open', engine: id, workload: steady, start: 0 });
      await sessions.handle({ op: 'open', engine: id, workload: sweep, start: 0 });
      await sessions.handle({ op: 'release', needed: [{ engine: id, workload: 'steady' }, { engine: id, workload: 'sweep' }] });
      expect(collections).toBe(0);
      await sessions.handle({ op: 'release', needed: [{ engine: id, workload: 'sweep' }] });
      expect(collections).toBe(1);
      await sessions.handle({ op: 'close' });
      expect(collections).toBe(2);
      await sessions.handle({ op: 'close' });
      expect(collections).toBe(2);
    }
  });
});

describe('a session started further into the stream (startAt)', () => {
  for (const id of ['wasm-batch', 'wasm-core', 'js', 'naive'] as const) {
    it(`${id}: rewinds to that point, and the rest of the stream from there ends where a whole pass does`, async () => {
      const growing = tiny('growing');
      const chunk = SCALES.tiny.chunk;
      const start = (growing.stream.count - (growing.stream.count % chunk)) - 4 * chunk;
      const session = await engineById(id).open(growing, chunk);
      try {
        session.startAt!(start);
        const resting = session.restingOrders();
        // Run past the start, then back: the rewind returns to the start, not to the prelude.
        session.run(start, start + chunk);
        session.rewind();
        expect(session.restingOrders()).toBe(resting);
        // Twice: a pass to the end must leave the start state (the naive book's snapshot) as it was.
        for (let pass = 0; pass < 2; pass++) {
          session.rewind();
          for (let at = start; at < growing.stream.count; at += chunk) session.run(at, Math.min(growing.stream.count, at + chunk));
          // The book, not the counts: the tally holds only the stretch run from the start.
          const v = compare(session, growing, false, undefined, false);
          expect(v.differences).toEqual([]);
        }
      } finally {
        session.close();
      }
    });
  }
});

describe('the naive book\'s snapshot (its rewind to a start further in)', () => {
  it('is refused by the stop book, whose stops it would lose', () => {
    expect(() => new NaiveStopBook().snapshot()).toThrow(/stops/);
  });

  // Its numbers come out of Float64Arrays as heap numbers; stored as they are, they moved the
  // orders' shared hidden class to boxed double fields for the rest of the process, and every naive
  // book after growing's pairs allocated a box per field (README, stop 56). V8 alone can tell, so
  // this asks it, in a process of its own run with --allow-natives-syntax (from dist/, built by the
  // suite's setup): an order placed before a restore keeps the class of those placed after it.
  it('restores orders of the same hidden class as placeLimit makes, leaving the process\'s others as they were', () => {
    const naiveBook = new URL('../dist/bench/naive-book.js', import.meta.url).href;
    const script = `
      const { NaiveOrderBook } = await import(${JSON.stringify(naiveBook)});
      const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');
      const book = new NaiveOrderBook();
      book.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 5, timestamp: 1 });
      const restored = NaiveOrderBook.fromSnapshot(book.snapshot());
      const later = new NaiveOrderBook();
      later.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 101, size: 3, timestamp: 2 });
      process.stdout.write(JSON.stringify([sameMap(book.order(1), later.order(1)), sameMap(book.order(1), restored.order(1))]));
    `;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([true, true]);
  });
});

describe('the ratio targets\' verdicts', () => {
  const figure = (median: number): PairedRatio => ({
    workloadA: 'steady', engineA: 'wasm-batch', workloadB: 'steady', engineB: 'wasm-core', from: 0, to: 1000, rounds: 5,
    rateA: { median: 1, min: 1, max: 1 }, rateB: { median: 1, min: 1, max: 1 }, ratio: { median, min: median - 0.25, max: median + 0.25 }, seconds: 1,
  });
  const report = (pairs: BenchReport['pairs'], coreMedian: number): BenchReport => ({
    workloads: [{ name: 'steady' }],
    measurements: [
      { workload: 'steady', engine: 'wasm-batch', status: 'ok', throughput: { opsPerSec: { median: 0.5, min: 0.5, max: 0.5 }, samples: 5, minTimeSeconds: 0 }, verification: { ok: true } },
      { workload: 'steady', engine: 'wasm-core', status: 'ok', throughput: { opsPerSec: { median: coreMedian, min: 1, max: 1 }, samples: 5, minTimeSeconds: 0 }, verification: { ok: true } },
    ],
    memory: { status: 'not run', reason: '' },
    persistence: { status: 'skipped', reason: '' },
    run: { timerFloorNs: 0 },
    pairs,
  }) as unknown as BenchReport;
  const target = (r: BenchReport, on?: 'medians' | 'paired') => evaluateTargets(r, on).find((t) => t.name.startsWith('WASM submitBatch'))!;

  it('are taken on the ratio of medians with that setting, the paired median printed beside it', () => {
    const t = target(report({ rounds: 5, passSeconds: 0.1, seconds: 1, pairs: [figure(0.85)], notMeasured: [] }, 1), 'medians');
    expect(t.met).toBe(false);
    expect(t.paired).toEqual({ at: 'steady, wasm-batch / wasm-core', ratio: { median: 0.85, min: 0.6, max: 1.1 }, rounds: 5, pairsMeasured: 1, pairs: 1 });
    expect(t.ratioOfMedians).toEqual({ at: 'steady, wasm-batch / wasm-core', ratio: 0.5 });
    expect(t.actual).toBe('ratio of medians 0.50x at worst (steady, wasm-batch / wasm-core); paired 0.85x at worst (steady, wasm-batch / wasm-core; rounds 0.60-1.10, 5 rounds)');
  });

  it('are taken on the paired median by default (since stop 57), and only where every pair of the target has one', () => {
    const t = target(report({ rounds: 5, passSeconds: 0.1, seconds: 1, pairs: [figure(0.85)], notMeasured: [] }, 1));
    expect(t.met).toBe(true);
    expect(t.actual).toContain('(verdict on the paired figure)');
    const none = target(report({ status: 'not run', reason: 'not selected (--no-pairs)' }, 1));
    expect(none.met).toBe(false);
  });

  it('say why there is no paired figure (--no-pairs, or a file of schema 1)', () => {
    const skipped = target(report({ status: 'not run', reason: 'not selected (--no-pairs)' }, 0.5));
    expect(skipped.met).toBe(true);
    expect(skipped.paired).toBeUndefined();
    expect(skipped.actual).toBe('ratio of medians 1.00x at worst (steady, wasm-batch / wasm-core) (no paired figure: not selected (--no-pairs))');
    expect(target(report(undefined, 0.5)).actual).toContain('no paired figure: not in this results file (schema 1)');
  });
});
