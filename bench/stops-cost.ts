// What pending stops cost the common path: steady-stops over steady, engine by engine. The suite
// measures each engine on the two back to back (measurementOrder), so the ratio compares
// figures taken moments apart on a shared machine.
import type { EngineId } from './engines/engine.js';
import type { Measurement, PendingStopsCost, WorkloadInfo } from './report.js';
import type { WorkloadName } from './workloads/workload.js';

/** The workloads each engine runs back to back: a baseline and its variant. */
const PAIRED: readonly (readonly [WorkloadName, WorkloadName])[] = [['steady', 'steady-stops']];

/**
 * The selected workloads in groups: a workload alone, or a pair whose two members every engine
 * measures one after the other. The order is the selection's, a pair taking its first member's place.
 */
export function measurementOrder(selected: readonly WorkloadName[]): WorkloadName[][] {
  const groups: WorkloadName[][] = [];
  const placed = new Set<WorkloadName>();
  for (const name of selected) {
    if (placed.has(name)) continue;
    const pair = PAIRED.find((p) => p.includes(name) && p.every((member) => selected.includes(member)));
    const group = pair === undefined ? [name] : [...pair];
    for (const member of group) placed.add(member);
    groups.push(group);
  }
  return groups;
}

export function pendingStopsCost(
  measurements: readonly Measurement[], workloads: readonly WorkloadInfo[],
): PendingStopsCost | { status: 'not run'; reason: string } {
  const info = workloads.find((w) => w.name === 'steady-stops');
  if (info?.stops === undefined || !workloads.some((w) => w.name === 'steady')) {
    return { status: 'not run', reason: 'needs the steady and steady-stops workloads' };
  }
  const ok = (workload: WorkloadName, engine: EngineId) =>
    measurements.find((m) => m.workload === workload && m.engine === engine && m.status === 'ok')?.throughput?.opsPerSec;
  const engines: PendingStopsCost['engines'] = [];
  for (const m of measurements) {
    if (m.workload !== 'steady') continue;
    const steady = ok('steady', m.engine);
    const steadyStops = ok('steady-stops', m.engine);
    if (steady !== undefined && steadyStops !== undefined) engines.push({ engine: m.engine, steady, steadyStops, ratio: steadyStops.median / steady.median });
  }
  return { pendingStops: info.stops.pendingAfterPrelude, triggered: info.stops.triggered, engines };
}
