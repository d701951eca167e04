// What a workload is: the commands every engine runs, generated once per run.
import type { CommandColumns } from '../commands.js';
import type { BookDigest, FillDigest } from '../book-check.js';

export const WORKLOAD_NAMES = ['steady', 'growing', 'sweep', 'wide', 'many-assets', 'lobster', 'stops', 'steady-stops'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export interface Workload {
  readonly name: WorkloadName;
  readonly description: string;
  /** Asset ids used are 1..assets. */
  readonly assets: number;
  /** Untimed: builds the starting book. */
  readonly prelude: CommandColumns;
  /** Timed, in chunks. Its order ids continue from the prelude's. */
  readonly stream: CommandColumns;
  /**
   * 'rewind': the stream is a stationary flow; when a measurement needs more commands than
   * are left, the engine goes back to the state after the prelude and the stream starts again.
   * 'passes': a real flow whose cost changes along the stream (a market's day): a sample that
   * started anywhere would measure whichever stretch it covered, and faster engines' samples
   * would cover other stretches than slower ones', so each sample is one whole pass.
   * 'stop': the stream is a one-way trip (a book that grows), measured exactly once.
   */
  readonly whenExhausted: 'rewind' | 'passes' | 'stop';
  readonly restingAfterPrelude: number;
  /** Resting orders after prelude and whole stream, per the generator's mirror book. */
  readonly restingAtEnd: number;
  /** Lots filled by the stream's takers in one pass, per the mirror book. */
  readonly streamFilledVolume: number;
  /** Per the mirror (reference) book after prelude and whole stream: its levels and orders (book-check.ts). */
  readonly bookAtEnd: BookDigest;
  /** The stream's fills in one pass, per the reference book. */
  readonly streamFills: FillDigest;
  /**
   * Per stream command, what the reference book's pass gave: its fills (those of the stops it
   * triggered included) and the lots they filled. The timed cycles are checked against these
   * (bench/cycle-check.ts).
   */
  readonly streamResults: { readonly fills: Uint32Array; readonly lots: Uint32Array };
  /** Workloads with stop orders: what the reference book saw of them. */
  readonly stops?: StopStats & {
    readonly pendingAfterPrelude: number;
    readonly pendingAtEnd: number;
  };
}

/** Stops in one pass of the stream: placed, triggered, and the most triggered by one command (a cascade). */
export interface StopStats {
  placed: number;
  triggered: number;
  longestCascade: number;
}
