// Checks every timed cycle of a throughput measurement against the reference book, between
// cycles (benchmark.js's cycle event, or after each timed pass), never inside one. A cycle's
// work is read from the session's tally: what it added (fills, lots filled, order ids other
// than predicted, rejections) must be what the reference's own pass gave for the stretch of the
// stream the cycle covered (Workload.streamResults, summed per chunk once per workload, so a
// stretch [a, b) costs a subtraction). The whole-stream check after the measurement sees only
// an untimed pass; this one sees the passes that were timed, where the optimized code ran.
import type { Tally } from './engines/engine.js';
import type { Workload } from './workloads/workload.js';

/** Fills and lots of every stretch of the stream that starts and ends on a chunk boundary (or at its end). */
export class StreamTotals {
  /** Entry k: the sum over commands [0, min(k * chunk, count)). */
  private readonly fillsBefore: Float64Array;
  private readonly lotsBefore: Float64Array;

  constructor(readonly workload: Workload, readonly chunk: number) {
    const { count } = workload.stream;
    const { fills, lots } = workload.streamResults;
    const chunks = Math.ceil(count / chunk);
    this.fillsBefore = new Float64Array(chunks + 1);
    this.lotsBefore = new Float64Array(chunks + 1);
    for (let k = 0; k < chunks; k++) {
      let f = 0;
      let l = 0;
      for (let i = k * chunk, end = Math.min(count, i + chunk); i < end; i++) {
        f += fills[i];
        l += lots[i];
      }
      this.fillsBefore[k + 1] = this.fillsBefore[k] + f;
      this.lotsBefore[k + 1] = this.lotsBefore[k] + l;
    }
  }

  fills(from: number, to: number): number {
    return this.fillsBefore[this.boundary(to)] - this.fillsBefore[this.boundary(from)];
  }

  lots(from: number, to: number): number {
    return this.lotsBefore[this.boundary(to)] - this.lotsBefore[this.boundary(from)];
  }

  private boundary(at: number): number {
    const count = this.workload.stream.count;
    if (at === count) return Math.ceil(count / this.chunk);
    if (at % this.chunk !== 0 || at < 0 || at > count) throw new Error(`cycle check: stream position ${at} is not a chunk boundary`);
    return at / this.chunk;
  }
}

/** The workload's totals for a chunk size, built once per workload (every engine of a run shares them). */
const built = new WeakMap<Workload, StreamTotals>();
export function streamTotals(workload: Workload, chunk: number): StreamTotals {
  let totals = built.get(workload);
  if (totals === undefined || totals.chunk !== chunk) built.set(workload, totals = new StreamTotals(workload, chunk));
  return totals;
}

/** Which of the tally's figures the engine's results tell (the rest are not compared). */
export interface CheckedFigures {
  fills: boolean;
  lots: boolean;
}

/** Differing cycles described in full; the rest are counted. */
const DESCRIBED = 3;

/**
 * Follows a measurement's stream position: `start` at a position with the tally as it stands,
 * `cycle` after each timed cycle with how many commands the measurement has run in all; the
 * commands since the last call ran from the last position on, going back to 0 at `wrapAt` (a
 * rewind inside the cycle, which leaves the tally alone: EngineSession.rewind).
 */
export class TimedCycleCheck {
  private at = 0;
  private commandsRun = 0;
  private readonly last: Tally = { filledVolume: 0, fills: 0, rejected: 0, idMismatches: 0 };
  private cycles = 0;
  private differing = 0;
  private readonly described: string[] = [];

  /** `what` names the cycles in the differences: the throughput's timed cycles, or the latency passes. */
  constructor(private readonly tally: Tally, private readonly totals: StreamTotals, private readonly figures: CheckedFigures,
              private readonly what = 'timed cycles') {}

  /** The engine is at stream position `at` (0: just rewound) after `commandsRun` commands in all. */
  start(at: number, commandsRun: number): void {
    this.at = at;
    this.commandsRun = commandsRun;
    Object.assign(this.last, this.tally);
  }

  /** A timed cycle ended with `commandsRun` commands run in all, the stream going back to 0 at `wrapAt`. */
  cycle(commandsRun: number, wrapAt: number): void {
    const from = this.at;
    let at = from;
    let left = commandsRun - this.commandsRun;
    let fills = 0;
    let lots = 0;
    while (left > 0) {
      const end = Math.min(wrapAt, at + left);
      fills += this.totals.fills(at, end);
      lots += this.totals.lots(at, end);
      left -= end - at;
      at = end === wrapAt ? 0 : end;
    }
    const t = this.tally;
    const found: string[] = [];
    if (this.figures.fills && t.fills - this.last.fills !== fills) found.push(`fills ${t.fills - this.last.fills}, reference ${fills}`);
    if (this.figures.lots && t.filledVolume - this.last.filledVolume !== lots) found.push(`lots filled ${t.filledVolume - this.last.filledVolume}, reference ${lots}`);
    if (t.idMismatches !== this.last.idMismatches) found.push(`order ids other than predicted ${t.idMismatches - this.last.idMismatches}`);
    if (t.rejected !== this.last.rejected) found.push(`commands rejected ${t.rejected - this.last.rejected}`);
    this.cycles++;
    if (found.length > 0) {
      this.differing++;
      if (this.described.length < DESCRIBED) {
        const n = commandsRun - this.commandsRun;
        this.described.push(`cycle ${this.cycles} (${n.toLocaleString('en-US')} commands from stream command ${from.toLocaleString('en-US')}): ${found.join(', ')}`);
      }
    }
    this.start(at, commandsRun);
  }

  /** How many timed cycles were checked. */
  get checked(): number {
    return this.cycles;
  }

  /** What differed from the reference, in one line; empty when every cycle agreed. */
  differences(): string[] {
    if (this.differing === 0) return [];
    const more = this.differing > this.described.length ? `; ${this.differing - this.described.length} more` : '';
    return [`${this.what}: ${this.differing} of ${this.cycles} differ from the reference: ${this.described.join('; ')}${more}`];
  }
}
