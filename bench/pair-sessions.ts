// The engine process's side of the paired passes (bench/pairs.ts): it opens the sessions a pair
// needs, rewinds them and times one pass at a time as the bench asks. The bench's process
// alternates the two sides; this only runs what it is told, in its main thread's time on a core.
import { readFileSync } from 'node:fs';
import type { BenchEngine, EngineId, EngineSession } from './engines/engine.js';
import { fullGc } from './gc.js';
import type { Workload, WorkloadName } from './workloads/workload.js';

/**
 * What the bench asks of one engine's pair sessions. `pass` answers seconds on a core; the others 0.
 * `open` replaces any session the engine holds on that workload; `release` closes every session
 * but those a later pair still needs (the bench reuses a session across a workload's pairs
 * rather than open it again); `close` closes them all.
 */
export type PairRequest =
  | { op: 'open'; engine: EngineId; workload: Workload; start: number }
  | { op: 'rewind'; engine: EngineId; workload: WorkloadName }
  | { op: 'pass'; engine: EngineId; workload: WorkloadName; from: number; to: number }
  | { op: 'release'; needed: readonly SessionKey[] }
  | { op: 'close' };

/** One session of the pairs: an engine on a workload (a process holds at most one of each). */
export interface SessionKey {
  engine: EngineId;
  workload: WorkloadName;
}

// This thread's: the passes run on the engine process's main thread.
const schedstat = '/proc/thread-self/schedstat';

/**
 * A clock of the main thread's time on a core: wall time less the time it waited, ready, for a
 * core (Linux: its schedstat's second field), else the process's CPU time. Not the schedstat's
 * first field, its CPU time: for a thread that runs without a switch the kernel adds to that only
 * at the scheduler's tick, 4 ms here, so a LOBSTER pass of 15-30 ms read a whole number of ticks
 * and a round's ratio was one of small whole numbers (bench/README.md, stop 55). The wait is
 * counted at each switch onto a core, exactly, and the pass ends on a core. Not the process's CPU
 * time where this can be had: that also counts V8's helper threads (parallel scavenges, concurrent
 * marking and compiling), which on an idle second core cost a single-threaded engine no wall-clock
 * time, so an engine that allocates more would read slower here than in the throughput rows, which
 * time wall clock. What it reads is the wall clock of a quiet machine, less the moments another
 * process held the core.
 */
export function mainThreadOnCoreSeconds(): number {
  try {
    // The wait read on both sides of the wall clock, again until it reads the same: a switch
    // between the two reads of one pair would count its wait against the wrong side of the pass
    // (one such read a pass of a fifth of a millisecond 29 ms less than nothing, at load 9).
    for (;;) {
      const waited = secondsWaited();
      // A schedstat without its second field reads NaN, which never equals itself: fall back.
      if (!(waited >= 0)) break;
      const now = performance.now() / 1e3;
      if (secondsWaited() === waited) return now - waited;
    }
  } catch {
    // No schedstat: the fallback below.
  }
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
}

const secondsWaited = (): number => Number(readFileSync(schedstat, 'latin1').split(' ')[1]) / 1e9;

/**
 * Seconds this thread has waited, ready, for a core since it started (Linux: its schedstat's
 * second field), or null where that cannot be read: time another process held the core, which
 * a wall clock counts as the engine's.
 */
export function threadWaitedSeconds(): number | null {
  try {
    const waited = secondsWaited();
    return waited >= 0 ? waited : null;
  } catch {
    return null;
  }
}

export class PairSessions {
  /** By engine, then workload: a pair across workloads (wide / steady) holds two of one engine. */
  private readonly sessions = new Map<EngineId, Map<WorkloadName, EngineSession>>();
  /**
   * Made after every measured session and never run, by engines whose last-made instance runs
   * faster (BenchEngine.makeSpareInstance): held so that no measured session is the last made.
   */
  private spare: unknown = undefined;

  /** Whether a spare instance is held (for the tests). */
  get holdsSpare(): boolean {
    return this.spare !== undefined;
  }

  /** `collect`: a full collection, run after a release that closed a session (for the tests to count). */
  constructor(private readonly engines: readonly BenchEngine[], private readonly chunk: number, private readonly collect: () => void = fullGc) {}

  async handle(request: PairRequest): Promise<number> {
    switch (request.op) {
      case 'open': {
        const engine = this.engines.find((e) => e.id === request.engine);
        if (engine === undefined) throw new Error(`pair: engine ${request.engine} is not in this process`);
        const session = await engine.open(request.workload, this.chunk);
        if (request.start > 0) {
          if (session.startAt === undefined) throw new Error(`pair: ${engine.id} cannot start a pass at command ${request.start}`);
          session.startAt(request.start);
        }
        let byWorkload = this.sessions.get(engine.id);
        if (byWorkload === undefined) this.sessions.set(engine.id, byWorkload = new Map());
        byWorkload.get(request.workload.name)?.close();
        byWorkload.set(request.workload.name, session);
        if (engine.makeSpareInstance !== undefined) this.spare = await engine.makeSpareInstance();
        return 0;
      }
      case 'rewind': {
        // No full collection here: one shrinks V8's young generation, and the pass after it then
        // scavenges far more often until it has grown back. The naive book on sweep ran 1.0-1.4M
        // commands/s after a full collection and 2.8-3.3M without (naivepass.mjs, 5 passes each),
        // which read the JS engine at 3.3-4.2x the naive book where the throughput rows, which
        // collect once before their warm-up, read about 1x. Garbage a rewind leaves is collected
        // in the passes, as it is in the throughput rows' cycles.
        this.session(request.engine, request.workload).rewind();
        return 0;
      }
      case 'pass': {
        const session = this.session(request.engine, request.workload);
        const { from, to } = request;
        const chunk = this.chunk;
        const before = mainThreadOnCoreSeconds();
        for (let at = from; at < to; at += chunk) session.run(at, Math.min(to, at + chunk));
        return Math.max(1e-6, mainThreadOnCoreSeconds() - before);
      }
      case 'release': {
        const closed = this.closeAllBut(request.needed);
        if (this.sessions.size === 0) this.spare = undefined;
        // The closed sessions' garbage collected now, untimed, as the throughput rows collect
        // before each engine's row. Left to V8, growing's released naive book (1.5-1.8 GB of
        // heap) was still there through sweep's pairs, and every scavenge there took several
        // times as long as in a lean heap: the naive book's sweep passes read 1.8-2.1M commands/s,
        // 3.8-4.3M with this, 5.1-5.6M without growing's pairs before them (bench/README.md,
        // stop 55). The untimed round of the next pair regrows what a full collection shrinks.
        if (closed > 0) this.collect();
        return 0;
      }
      case 'close':
        return this.handle({ op: 'release', needed: [] });
    }
  }

  /**
   * Closes every session but `needed`'s; returns how many it closed. A method of its own so that
   * the closed sessions are out of every live frame when the caller collects: the loop's variables
   * in the caller's own frame kept the last one reachable through the collection.
   */
  private closeAllBut(needed: readonly SessionKey[]): number {
    let closed = 0;
    for (const [engine, byWorkload] of this.sessions) {
      for (const [workload, session] of byWorkload) {
        if (needed.some((k) => k.engine === engine && k.workload === workload)) continue;
        session.close();
        byWorkload.delete(workload);
        closed++;
      }
      if (byWorkload.size === 0) this.sessions.delete(engine);
    }
    return closed;
  }

  private session(engine: EngineId, workload: WorkloadName): EngineSession {
    const session = this.sessions.get(engine)?.get(workload);
    if (session === undefined) throw new Error(`pair: no open session of ${engine} on ${workload}`);
    return session;
  }
}
