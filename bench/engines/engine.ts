// One small interface over every engine the benchmark drives, so each measurement is written
// once and every engine runs exactly the same commands through it.
import type { Workload } from '../workloads/workload.js';
import type { BookDigest, FillChecksum } from '../book-check.js';

export const ENGINE_IDS = ['wasm', 'wasm-batch', 'wasm-core', 'js', 'js-batch', 'js-core', 'naive', 'nodejs-order-book'] as const;
export type EngineId = (typeof ENGINE_IDS)[number];

/** What the engine reported back, summed: reading results is part of every timed call. */
export interface Tally {
  /** Lots filled by takers. */
  filledVolume: number;
  /** Fills, those of triggered stops included (nodejs-order-book: orders done; BenchEngine.countsFills). */
  fills: number;
  /** Cancels, reduces and orders the engine refused. */
  rejected: number;
  /** Order results whose id differs from the one the generator predicted (should stay 0). */
  idMismatches: number;
}

export function emptyTally(): Tally {
  return { filledVolume: 0, fills: 0, rejected: 0, idMismatches: 0 };
}

/** One engine instance bound to one workload: its prelude applied, ready for the stream. */
export interface EngineSession {
  /** Applies stream commands [from, to): per call, or as one batch for the batched paths. */
  run(from: number, to: number): void;
  /**
   * Per-call paths only: applies stream commands [from, to), timing each call (request in,
   * result read) and storing nanoseconds into `into[i - from]`.
   */
  runTimed?(from: number, to: number, into: Float64Array): void;
  /**
   * Back to the state right after the prelude (used between measurements, and inside a timed
   * cycle that reaches the stream's end). The tally is left as it is: the timed cycles' check
   * (cycle-check.ts) counts across rewinds.
   */
  rewind(): void;
  /**
   * Untimed: applies the first `commands` of the stream and makes that state the one rewind()
   * returns to, so that passes can time a stretch far into a stream applied once (growing's last
   * stretch, where the book is near its full size). Absent where no paired pass needs it.
   */
  startAt?(commands: number): void;
  readonly tally: Tally;
  restingOrders(): number;
  /** Stops waiting for their trigger (untimed callers only). */
  pendingStops(): number;
  /**
   * Untimed verification only: applies stream commands [from, to) as run() does (the tally
   * included) and passes every fill to `fills`. Absent where the engine's results carry no
   * fill records (the cores alone, nodejs-order-book): there the book alone is checked.
   */
  runChecked?(from: number, to: number, fills: FillChecksum): void;
  /** Untimed: the resting book over assets 1..assets, digested in book-check.ts's canonical order. */
  bookDigest(): BookDigest;
  /** Bytes the engine itself reports holding (lobcore engines only). */
  memoryBytes?(): number;
  close(): void;
}

export interface BenchEngine {
  readonly id: EngineId;
  readonly label: string;
  /** Per-call API (latency is measured) or batched. */
  readonly perCall: boolean;
  /** True for the engine that is the reference book's own code (naive): its check is labelled 'reference'. */
  readonly isReference?: boolean;
  /** Undefined when the engine can run here; otherwise why not (for example, not built yet). */
  unavailable(): Promise<string | undefined>;
  /** Undefined when the engine can express the workload; otherwise why not (reported as n/a). */
  cannotRun(workload: Workload): string | undefined;
  /** Differences from lobcore semantics that the workload exercises, printed beside the figure. */
  caveat?(workload: Workload): string | undefined;
  /** False when the engine's results do not tell the lots filled on this workload (then only its book is checked). */
  readsVolume?(workload: Workload): boolean;
  /** False when the tally's `fills` is not the number of fills (nodejs-order-book counts orders done): not compared. */
  readonly countsFills?: boolean;
  open(workload: Workload, chunk: number): Promise<EngineSession>;
  /**
   * Where the instance made last in a process runs faster than those made before it (the WASM
   * engines: bench/README.md, "Which session opens first: the instance made last"): makes one
   * more, bare and never run, for the caller to hold after opening the sessions it measures, so
   * that none of them is the last made. Absent where the effect is not seen (the JS engines, the
   * baselines).
   */
  makeSpareInstance?(): Promise<unknown>;
}
