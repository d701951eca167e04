// One call for many commands: reads COMMAND_SLOTS f64 per command from the input buffer,
// writes RESULT_SLOTS f64 per command to the results buffer, fills to the fill buffer.
// The host validated the batch (src/batch.ts validateBatch) and reserved both buffers.
import { OP_LIMIT, OP_MARKET, OP_CANCEL, OP_REDUCE } from './codes';
import { hostPointer, HB_INPUT, HB_RESULTS } from './host-block';
import { clearFills, fillCount, COMMAND_BYTES, RESULT_BYTES } from './buffers';
import { cancel, modify, placeLimit, placeMarket, reduce } from './matching';
import { low32 } from './hashing';

export function runCommands(count: u32): u32 {
  clearFills();
  let command = hostPointer(HB_INPUT);
  let result = hostPointer(HB_RESULTS);
  for (let i: u32 = 0; i < count; i++) {
    const head = low32(load<f64>(command, 0));
    const op = head & 15;
    const trader = load<f64>(command, 8);
    const asset = load<f64>(command, 16);
    if (op == OP_LIMIT) {
      placeLimit(result, i, trader, asset, (head >> 4) & 15, load<f64>(command, 32), load<f64>(command, 40),
        load<f64>(command, 48), (head >> 8) & 15, (head >> 12) & 15);
    } else if (op == OP_CANCEL) {
      cancel(result, trader, asset, load<f64>(command, 24));
    } else if (op == OP_MARKET) {
      placeMarket(result, i, trader, asset, (head >> 4) & 15, load<f64>(command, 40), load<f64>(command, 32),
        (head >> 12) & 15);
    } else if (op == OP_REDUCE) {
      reduce(result, trader, asset, load<f64>(command, 24), load<f64>(command, 40));
    } else {
      modify(result, i, trader, asset, load<f64>(command, 24), load<f64>(command, 32), load<f64>(command, 40),
        load<f64>(command, 48));
    }
    command += COMMAND_BYTES;
    result += RESULT_BYTES;
  }
  return fillCount;
}
