// What a core (JS or WASM) reports for the command it has just run, in the reference model's
// Outcome shape, so that tests compare the cores with each other and with the model.
import { FILL_SLOTS } from '../../src/batch.js';
import { Out, type MatchingCore } from '../../src/core.js';
import type { Outcome } from './reference-model.js';

export function coreOutcome(core: MatchingCore): Outcome {
  const out = core.out;
  const fills: number[][] = [];
  for (let j = 0; j < out[Out.FILL_COUNT]; j++) {
    const o = j * FILL_SLOTS;
    fills.push([core.fills[o + 2], core.fills[o + 4], core.fills[o + 6], core.fills[o + 7]]);
  }
  return {
    status: out[Out.HEAD] & 15, reason: out[Out.HEAD] >> 4, orderId: out[Out.ORDER_ID], filled: out[Out.FILLED],
    remaining: out[Out.REMAINING], spent: out[Out.SPENT], fills,
  };
}
