// Order statistics for samples: medians of throughput samples, percentiles of latencies.

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantileOfSorted(sorted, 0.5), min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Nearest-rank quantile of ascending data (the value a fraction q of samples are at or below). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[rank];
}

export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Summarises nanosecond samples; sorts `samples` in place. */
export function summariseLatency(samples: Float64Array): LatencySummary {
  samples.sort();
  let total = 0;
  for (let i = 0; i < samples.length; i++) total += samples[i];
  return {
    p50: quantileOfSorted(samples, 0.5),
    p99: quantileOfSorted(samples, 0.99),
    p999: quantileOfSorted(samples, 0.999),
    max: samples[samples.length - 1],
    mean: total / samples.length,
  };
}
