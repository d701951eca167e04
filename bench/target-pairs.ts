// Which figures each of the headline ratio targets compares: one list, read both by the report
// (ratios of the throughput rows' medians) and by the paired passes (bench/pairs.ts).
import type { EngineId } from './engines/engine.js';
import type { WorkloadName } from './workloads/workload.js';

/** Side a's rate over side b's: [workload a, engine a, workload b, engine b]. */
export type TargetPair = readonly [WorkloadName, EngineId, WorkloadName, EngineId];

export type RatioTargetId = 'wasm-vs-js-batched' | 'wasm-vs-js-per-call' | 'submit-batch-vs-core' | 'wide-vs-steady' | 'js-vs-naive';

export interface RatioTarget {
  id: RatioTargetId;
  name: string;
  /** The lowest ratio over the pairs must reach this. */
  goal: number;
  pairs: TargetPair[];
}

/** The ratio targets, their pairs restricted to the workloads selected where a target spans every workload. */
export function ratioTargets(workloads: readonly WorkloadName[]): Record<RatioTargetId, RatioTarget> {
  return {
    'wasm-vs-js-batched': {
      id: 'wasm-vs-js-batched', name: 'WASM batched vs JS batched: steady, growing, sweep', goal: 3,
      pairs: (['steady', 'growing', 'sweep'] as const).map((w) => [w, 'wasm-batch', w, 'js-batch']),
    },
    'wasm-vs-js-per-call': {
      id: 'wasm-vs-js-per-call', name: 'WASM per call vs JS per call: steady, lobster', goal: 1.5,
      pairs: (['steady', 'lobster'] as const).map((w) => [w, 'wasm', w, 'js']),
    },
    'submit-batch-vs-core': {
      id: 'submit-batch-vs-core', name: 'WASM submitBatch vs the WASM core alone, every workload', goal: 0.8,
      pairs: workloads.map((w) => [w, 'wasm-batch', w, 'wasm-core']),
    },
    'wide-vs-steady': {
      id: 'wide-vs-steady', name: 'wide vs steady, both cores, per call and batched', goal: 0.5,
      pairs: (['wasm', 'wasm-batch', 'js', 'js-batch'] as const).map((e) => ['wide', e, 'steady', e]),
    },
    // The JS engine is a real engine, so the afternoon-project book must never beat it.
    'js-vs-naive': {
      id: 'js-vs-naive', name: 'JS vs naive JS, per call and batched, every workload', goal: 1,
      pairs: workloads.flatMap((w) => (['js', 'js-batch'] as const).map((e): TargetPair => [w, e, w, 'naive'])),
    },
  };
}

/** Where a pair is, in words: `steady, wasm-batch / js-batch` or `wasm, wide / steady`. */
export function pairText([wa, ea, wb, eb]: TargetPair): string {
  return wa === wb ? `${wa}, ${ea} / ${eb}` : `${ea}, ${wa} / ${wb}`;
}

export function samePair(x: TargetPair, y: TargetPair): boolean {
  return x[0] === y[0] && x[1] === y[1] && x[2] === y[2] && x[3] === y[3];
}
