// Encodes workload commands into a CommandBatch the way a user's code would: one typed builder
// call per command (limit, market, stop, cancel, reduce), sides and times in force as the API's
// strings. The bench's batched rows time this, so they measure what a user of the batch API pays.
import type { CommandBatch } from '../src/batch.js';
import { Op } from '../src/codes.js';
import type { Side, TimeInForce } from '../src/types.js';
import type { CommandColumns } from './commands.js';

const SIDES: readonly Side[] = ['bid', 'ask'];
const TIFS: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK', 'POST_ONLY'];

/** Clears `batch` and fills it with commands [from, to); command i gets timestamp firstTimestamp + i. */
export function encodeBatch(batch: CommandBatch, s: CommandColumns, from: number, to: number, firstTimestamp: number): CommandBatch {
  batch.clear();
  for (let i = from; i < to; i++) {
    switch (s.op[i]) {
      case Op.LIMIT:
        batch.limit(s.trader[i], s.asset[i], SIDES[s.side[i]], s.price[i], s.size[i], firstTimestamp + i, TIFS[s.tif[i]]);
        break;
      case Op.CANCEL:
        batch.cancel(s.trader[i], s.asset[i], s.orderId[i]);
        break;
      case Op.MARKET:
        batch.market(s.trader[i], s.asset[i], SIDES[s.side[i]], s.size[i], firstTimestamp + i);
        break;
      case Op.REDUCE:
        batch.reduce(s.trader[i], s.asset[i], s.orderId[i], s.size[i]);
        break;
      case Op.STOP:
        // price 0: a stop-market, which takes no time in force.
        batch.stop(s.trader[i], s.asset[i], SIDES[s.side[i]], s.size[i], s.stopPrice[i], firstTimestamp + i,
          s.price[i], s.price[i] === 0 ? undefined : TIFS[s.tif[i]]);
        break;
      default:
        throw new Error(`bench: no builder for op ${s.op[i]} (command ${i})`);
    }
  }
  return batch;
}
