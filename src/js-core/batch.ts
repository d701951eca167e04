// One call for many commands (mirrors assembly/batch.ts): checks the whole batch first, so a
// malformed one changes nothing; then reads COMMAND_SLOTS per command, writes RESULT_SLOTS per
// command to the results buffer, fills to the fill buffer and events to the event buffer.
import { encodeFault, findBatchFault } from '../operations.js';
import { Head, Op, Slot, Slots } from './codes.js';
import type { Buffers } from './buffers.js';
import { cancelAll } from './cancel-all.js';
import type { Matching } from './matching.js';
import type { Stops } from './stops.js';

/** Runs `count` commands; returns the number of fills, or a negative fault (operations.ts encodeFault) when nothing was applied. */
export function runCommands(
  matching: Matching, stops: Stops, buffers: Buffers, commands: Float64Array, count: number, checked: boolean,
): number {
  // `checked`: the host's builders vouched for every command (src/batch.ts, CommandBatch.trusted).
  const fault = checked ? null : findBatchFault(commands, count);
  if (fault !== null) return encodeFault(fault);
  buffers.reserveBatch(count);
  buffers.clearFills();
  const events = matching.state.events;
  events.clearEvents();
  const results = buffers.results;
  for (let i = 0; i < count; i++) {
    events.command = i;
    const c = i * Slots.COMMAND;
    const at = i * Slots.RESULT;
    const head = commands[c];
    const op = head & Head.OP_MASK;
    const trader = commands[c + Slot.TRADER];
    const asset = commands[c + Slot.ASSET];
    if (op === Op.LIMIT) {
      matching.placeLimit(results, at, i, trader, asset, (head >> 4) & 15, commands[c + Slot.PRICE], commands[c + Slot.SIZE],
        commands[c + Slot.TIMESTAMP], (head >> 8) & 15, (head >> 12) & 15, commands[c + Slot.CLIENT_ORDER_ID]);
    } else if (op === Op.CANCEL) {
      matching.cancel(results, at, trader, asset, commands[c + Slot.ORDER_ID]);
    } else if (op === Op.MARKET) {
      matching.placeMarket(results, at, i, trader, asset, (head >> 4) & 15, commands[c + Slot.SIZE], commands[c + Slot.BUDGET],
        commands[c + Slot.PRICE], (head >> 12) & 15, commands[c + Slot.CLIENT_ORDER_ID], 0);
    } else if (op === Op.REDUCE) {
      matching.reduce(results, at, trader, asset, commands[c + Slot.ORDER_ID], commands[c + Slot.SIZE]);
    } else if (op === Op.MODIFY) {
      matching.modify(results, at, i, trader, asset, commands[c + Slot.ORDER_ID], commands[c + Slot.PRICE],
        commands[c + Slot.SIZE], commands[c + Slot.TIMESTAMP]);
    } else if (op === Op.CANCEL_ALL) {
      cancelAll(matching.state, results, at, trader, asset, (head & Head.ALL_ASSETS) !== 0);
    } else if (op === Op.STOP) {
      stops.placeStop(results, at, trader, asset, (head >> 4) & 15, commands[c + Slot.SIZE], commands[c + Slot.TRIGGER_PRICE],
        commands[c + Slot.PRICE], commands[c + Slot.SECOND_PRICE], commands[c + Slot.TIMESTAMP], (head >> 8) & 15,
        (head >> 12) & 15, commands[c + Slot.CLIENT_ORDER_ID]);
    } else {
      stops.placeOco(results, at, i, trader, asset, (head >> 4) & 15, commands[c + Slot.SIZE], commands[c + Slot.PRICE],
        commands[c + Slot.TRIGGER_PRICE], commands[c + Slot.SECOND_PRICE], commands[c + Slot.TIMESTAMP], (head >> 12) & 15,
        commands[c + Slot.CLIENT_ORDER_ID]);
    }
    // Stops wait for trades: a command that traded runs the trigger cascade.
    if (matching.hasTraded()) stops.runTriggers(i, commands[c + Slot.TIMESTAMP]);
  }
  return buffers.fillCount;
}
