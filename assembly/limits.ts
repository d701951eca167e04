// The configured capacity of the core (CoreLimits), in the units the checks compare against.
export let maxOrders: f64 = Infinity;
export let maxLevels: f64 = Infinity;

export function setLimits(orders: f64, levels: f64): void {
  maxOrders = orders;
  maxLevels = levels;
}
