// Builds the selected workloads for a scale preset; every engine then runs these same commands.
import type { Scale } from '../options.js';
import { lobsterWorkload } from './lobster.js';
import { steadyStopsWorkload, stopsWorkload } from './stops.js';
import { growingWorkload, manyAssetsWorkload, steadyWorkload, sweepWorkload, wideWorkload } from './synthetic.js';
import type { Workload, WorkloadName } from './workload.js';

export { WORKLOAD_NAMES } from './workload.js';
export type { Workload, WorkloadName } from './workload.js';

/** The workload, or why it cannot be built here (missing data files). */
export function buildWorkload(name: WorkloadName, scale: Scale, seed: number): Workload | string {
  switch (name) {
    case 'steady': return steadyWorkload(scale.steady, seed);
    case 'growing': return growingWorkload(scale.growing, seed + 1);
    case 'sweep': return sweepWorkload(scale.sweep, seed + 2);
    case 'wide': return wideWorkload(scale.wide, seed + 3);
    case 'many-assets': return manyAssetsWorkload(scale.manyAssets, seed + 4);
    case 'lobster': return lobsterWorkload(scale.lobster);
    case 'stops': return stopsWorkload(scale.stops, seed + 5);
    // steady's seed: the same stream as steady up to the first trigger.
    case 'steady-stops': return steadyStopsWorkload({ ...scale.steady, ...scale.steadyStops }, seed);
  }
}
