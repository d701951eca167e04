// What the demo's writer process tells its parent, one line of JSON per event on stdout. A line
// is written only after the flush it reports has resolved, so the last complete line the parent
// holds is a lower bound on what the database must contain after the kill; the writer lets at most
// MAX_BLOCKS_IN_FLIGHT blocks wait for their flush, so it is also within that many of the upper one.

/** Blocks the writer may have flushed (asked for) but not yet reported. */
export const MAX_BLOCKS_IN_FLIGHT = 32;

export interface BlockReport {
  kind: 'block';
  height: number;
  commands: number;
  fills: number;
  /** Time spent in the block's commands: the state machine's per-call API, matching and journaling them (wall clock). */
  matchMs: number;
  /** From asking for the block's flush to its resolving: how long the block waited to be acknowledged. */
  flushMs: number;
  /** Present when a checkpoint followed this block's flush: how long it took. */
  checkpointMs?: number;
  /** From the writer's first block to this report. */
  elapsedMs: number;
}

/** Every block is flushed; the writer now waits to be killed (the parent decides when). */
export interface FlowEndReport {
  kind: 'end';
}

export type WriterReport = BlockReport | FlowEndReport;

export function encodeReport(report: WriterReport): string {
  return `${JSON.stringify(report)}\n`;
}

/** Parses one line; undefined for anything else (a line cut short by the kill). */
export function decodeReport(line: string): WriterReport | undefined {
  try {
    const value = JSON.parse(line) as WriterReport;
    return value.kind === 'block' || value.kind === 'end' ? value : undefined;
  } catch {
    return undefined;
  }
}
