// Encodes workload commands into a CommandBatch (src/operations.ts layout) with its raw push: the
// columns already hold the numeric codes, so no per-command string lookups are needed.
import type { CommandBatch } from '../src/batch.js';
import { Op } from '../src/codes.js';
import type { CommandColumns } from './commands.js';

/** Clears `batch` and fills it with commands [from, to); command i gets timestamp firstTimestamp + i. */
export function encodeBatch(batch: CommandBatch, s: CommandColumns, from: number, to: number, firstTimestamp: number): CommandBatch {
  batch.clear();
  for (let i = from; i < to; i++) {
    const op = s.op[i];
    const isOrder = op === Op.LIMIT || op === Op.MARKET || op === Op.STOP;
    batch.push(op | (s.side[i] << 4) | (s.tif[i] << 8), s.trader[i], s.asset[i], isOrder ? 0 : s.orderId[i],
      s.price[i], s.size[i], isOrder ? firstTimestamp + i : 0, 0, s.stopPrice[i]);
  }
  return batch;
}
