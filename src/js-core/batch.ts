// One call for many commands (mirrors assembly/batch.ts): reads COMMAND_SLOTS per command,
// writes RESULT_SLOTS per command to the results buffer and the fills to the fill buffer.
// The host validated the batch before this runs.
import { COMMAND_SLOTS, RESULT_SLOTS } from '../batch.js';
import { Op } from '../codes.js';
import type { Buffers } from './buffers.js';
import type { Matching } from './matching.js';

export function runCommands(matching: Matching, buffers: Buffers, commands: Float64Array, count: number): number {
  buffers.reserveBatch(count);
  buffers.clearFills();
  const results = buffers.results;
  for (let i = 0; i < count; i++) {
    const c = i * COMMAND_SLOTS;
    const at = i * RESULT_SLOTS;
    const head = commands[c];
    const op = head & 15;
    const trader = commands[c + 1];
    const asset = commands[c + 2];
    if (op === Op.LIMIT) {
      matching.placeLimit(results, at, i, trader, asset, (head >> 4) & 15, commands[c + 4], commands[c + 5],
        commands[c + 6], (head >> 8) & 15, (head >> 12) & 15);
    } else if (op === Op.CANCEL) {
      matching.cancel(results, at, trader, asset, commands[c + 3]);
    } else if (op === Op.MARKET) {
      matching.placeMarket(results, at, i, trader, asset, (head >> 4) & 15, commands[c + 5], commands[c + 4], (head >> 12) & 15);
    } else if (op === Op.REDUCE) {
      matching.reduce(results, at, trader, asset, commands[c + 3], commands[c + 5]);
    } else {
      matching.modify(results, at, i, trader, asset, commands[c + 3], commands[c + 4], commands[c + 5], commands[c + 6]);
    }
  }
  return buffers.fillCount;
}
