// One call for many commands: checks the whole batch first (operations.ts), so a malformed one
// changes nothing; then reads COMMAND_SLOTS f64 per command from `commands` (the host's batch,
// wherever in linear memory it lives), writes RESULT_SLOTS f64 per command to the results
// buffer, fills to the fill buffer and events to the event buffer.
import { OP_LIMIT, OP_MARKET, OP_CANCEL, OP_REDUCE, OP_MODIFY, OP_CANCEL_ALL, OP_STOP } from './codes';
import { hostPointer, HB_RESULTS } from './host-block';
import { clearFills, fillCount, reserveResults, RESULT_BYTES } from './buffers';
import { clearEvents, setEventCommand } from './events';
import {
  COMMAND_BYTES, findBatchFault, HEAD_ALL_ASSETS, SLOT_ASSET, SLOT_BUDGET, SLOT_CLIENT_ORDER_ID, SLOT_ORDER_ID,
  SLOT_PRICE, SLOT_SECOND_PRICE, SLOT_SIZE, SLOT_TIMESTAMP, SLOT_TRADER, SLOT_TRIGGER_PRICE,
} from './operations';
import { cancel, hasTraded, modify, placeLimit, placeMarket, reduce } from './matching';
import { cancelAll } from './cancel-all';
import { placeOco, placeStop, runTriggers } from './stops';
import { low32 } from './hashing';

/** Fault for "no memory for the results": the host reports it as an engine that cannot grow. */
const NO_MEMORY: f64 = -2147483648;

/**
 * Runs `count` commands from `commands` (unchecked when `checked`, the host having checked them);
 * returns the number of fills, or a negative fault:
 * findBatchFault's code for a malformed command (nothing applied), NO_MEMORY when there is no
 * room for the results (nothing applied).
 */
export function runCommands(commands: usize, count: u32, checked: bool): f64 {
  // `checked`: the host's builders vouched for every command (src/batch.ts, CommandBatch.trusted).
  const fault = checked ? -1 : findBatchFault(commands, count);
  if (fault != -1) return fault;
  if (!reserveResults(count)) return NO_MEMORY;
  clearFills();
  clearEvents();
  let command = commands;
  let result = hostPointer(HB_RESULTS);
  for (let i: u32 = 0; i < count; i++) {
    setEventCommand(i);
    const head = low32(load<f64>(command));
    const op = head & 15;
    const trader = load<f64>(command, SLOT_TRADER);
    const asset = load<f64>(command, SLOT_ASSET);
    if (op == OP_LIMIT) {
      placeLimit(result, i, trader, asset, (head >> 4) & 15, load<f64>(command, SLOT_PRICE), load<f64>(command, SLOT_SIZE),
        load<f64>(command, SLOT_TIMESTAMP), (head >> 8) & 15, (head >> 12) & 15, load<f64>(command, SLOT_CLIENT_ORDER_ID));
    } else if (op == OP_CANCEL) {
      cancel(result, trader, asset, load<f64>(command, SLOT_ORDER_ID));
    } else if (op == OP_MARKET) {
      placeMarket(result, i, trader, asset, (head >> 4) & 15, load<f64>(command, SLOT_SIZE), load<f64>(command, SLOT_BUDGET),
        load<f64>(command, SLOT_PRICE), (head >> 12) & 15, load<f64>(command, SLOT_CLIENT_ORDER_ID), 0);
    } else if (op == OP_REDUCE) {
      reduce(result, trader, asset, load<f64>(command, SLOT_ORDER_ID), load<f64>(command, SLOT_SIZE));
    } else if (op == OP_MODIFY) {
      modify(result, i, trader, asset, load<f64>(command, SLOT_ORDER_ID), load<f64>(command, SLOT_PRICE),
        load<f64>(command, SLOT_SIZE), load<f64>(command, SLOT_TIMESTAMP));
    } else if (op == OP_CANCEL_ALL) {
      cancelAll(result, trader, asset, (head & HEAD_ALL_ASSETS) != 0);
    } else if (op == OP_STOP) {
      placeStop(result, trader, asset, (head >> 4) & 15, load<f64>(command, SLOT_SIZE), load<f64>(command, SLOT_TRIGGER_PRICE),
        load<f64>(command, SLOT_PRICE), load<f64>(command, SLOT_SECOND_PRICE), load<f64>(command, SLOT_TIMESTAMP),
        (head >> 8) & 15, (head >> 12) & 15, load<f64>(command, SLOT_CLIENT_ORDER_ID));
    } else {
      placeOco(result, i, trader, asset, (head >> 4) & 15, load<f64>(command, SLOT_SIZE), load<f64>(command, SLOT_PRICE),
        load<f64>(command, SLOT_TRIGGER_PRICE), load<f64>(command, SLOT_SECOND_PRICE), load<f64>(command, SLOT_TIMESTAMP),
        (head >> 12) & 15, load<f64>(command, SLOT_CLIENT_ORDER_ID));
    }
    // Stops wait for trades: a command that traded runs the trigger cascade.
    if (hasTraded()) runTriggers(i, load<f64>(command, SLOT_TIMESTAMP));
    command += COMMAND_BYTES;
    result += RESULT_BYTES;
  }
  return <f64>fillCount;
}
