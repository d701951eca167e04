// Encodes workload commands into a CommandBatch the way a user's code would: one typed builder
// call per command (limit, market, stop, cancel, reduce), sides and times in force as the API's
// strings. The bench's batched rows time this, so they measure what a user of the batch API pays.
import type { CommandBatch } from '../src/batch.js';
import { Op } from '../src/js-core/codes.js';
import type { Side, TimeInForce } from '../src/types.js';
import type { CommandColumns } from './commands.js';

const SIDES: readonly Side[] = ['bid', 'ask'];
const TIFS: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK', 'POST_ONLY'];

/**
 * Clears `batch` and fills it with commands [from, to); command i gets timestamp firstTimestamp + i.
 *
 * The columns are taken into locals once, as a loop over one's own arrays would: read through `s`
 * at every use, each column cost a load and a map check per command, since V8 cannot keep them
 * across the builders' stores into a typed array. The op codes are the JS core's const enum
 * (literals): src/codes.ts's Op is an object, and every case label was a load from it.
 */
export function encodeBatch(batch: CommandBatch, s: CommandColumns, from: number, to: number, firstTimestamp: number): CommandBatch {
  const { op, trader, asset, side, tif, price, size, orderId, stopPrice } = s;
  batch.clear();
  for (let i = from; i < to; i++) {
    switch (op[i]) {
      case Op.LIMIT:
        batch.limit(trader[i], asset[i], SIDES[side[i]], price[i], size[i], firstTimestamp + i, TIFS[tif[i]]);
        break;
      case Op.CANCEL:
        batch.cancel(trader[i], asset[i], orderId[i]);
        break;
      case Op.MARKET:
        batch.market(trader[i], asset[i], SIDES[side[i]], size[i], firstTimestamp + i);
        break;
      case Op.REDUCE:
        batch.reduce(trader[i], asset[i], orderId[i], size[i]);
        break;
      case Op.STOP:
        // price 0: a stop-market, which takes no time in force.
        batch.stop(trader[i], asset[i], SIDES[side[i]], size[i], stopPrice[i], firstTimestamp + i,
          price[i], price[i] === 0 ? undefined : TIFS[tif[i]]);
        break;
      default:
        throw new Error(`bench: no builder for op ${op[i]} (command ${i})`);
    }
  }
  return batch;
}
