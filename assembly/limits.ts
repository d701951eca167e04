// The configured capacity of the core (CoreLimits), in the units the checks compare against.

/**
 * The last order id a core hands out: every id stays a safe integer, and so does the next id a
 * snapshot carries. A new order past it is rejected CAPACITY (an OCO pair needs two ids).
 */
export const LAST_ORDER_ID: f64 = 9007199254740990;
export let maxOrders: f64 = Infinity;
export let maxLevels: f64 = Infinity;

/** The same limits as u32 counts for the hot path: `count < maxOrdersU32` iff `count < maxOrders`. */
export let maxOrdersU32: u32 = 0xffffffff;
export let maxLevelsU32: u32 = 0xffffffff;

export function setLimits(orders: f64, levels: f64): void {
  maxOrders = orders;
  maxLevels = levels;
  maxOrdersU32 = asCount(orders);
  maxLevelsU32 = asCount(levels);
}

/** ceil(limit) clamped to 0..2^32-1 (counts are u32, so a larger limit never binds). */
function asCount(limit: f64): u32 {
  if (!(limit > 0)) return 0;
  if (limit >= 4294967295) return 0xffffffff;
  return <u32>Math.ceil(limit);
}
