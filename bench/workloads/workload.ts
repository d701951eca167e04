// What a workload is: the commands every engine runs, generated once per run.
import type { CommandColumns } from '../commands.js';

export const WORKLOAD_NAMES = ['steady', 'growing', 'sweep', 'wide', 'many-assets', 'lobster'] as const;
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
   * 'stop': the stream is a one-way trip (a book that grows), measured exactly once.
   */
  readonly whenExhausted: 'rewind' | 'stop';
  readonly restingAfterPrelude: number;
  /** Resting orders after prelude and whole stream, per the generator's mirror book. */
  readonly restingAtEnd: number;
  /** Lots filled by the stream's takers in one pass, per the mirror book. */
  readonly streamFilledVolume: number;
  /** Per the mirror book, after stream command i: resting orders, and lots filled since the stream began. */
  readonly restingAfter: Uint32Array;
  readonly filledAfter: Float64Array;
}
