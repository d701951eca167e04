// The growth section: how long a batch waits when the core grows its storage inside it, against
// the median batch. A book is built from empty in batches of resting orders (growth-pauses.ts),
// each batch timed, in a fresh process per engine and pass. The throughput rows cannot show this:
// they spread a growth over a stream, and the latency passes time a book already grown
// (bench/README.md, "Growth pauses (stop 60)").
//
// Each batch's figure is the lower of its passes: a pause the code makes falls on the same batch
// in every pass, one the machine makes (another tenant, the scheduler) falls on one pass only.
import type { BackendName } from '../src/types.js';
import { compiledBenchScript } from './child-script.js';
import { runPinned } from './cpu-pinning.js';
import type { Progress } from './progress.js';
import { slowestBatches, timedBatches, type TimedBatch } from './growth-pauses.js';
import { quantileOfSorted } from './stats.js';

export const GROWTH_BACKENDS: readonly BackendName[] = ['wasm', 'js'];
/** Passes per engine, each in a process of its own. */
export const GROWTH_PASSES = 2;
/** The goal: no batch waits more than this many median batches while the book grows. */
export const GROWTH_PAUSE_GOAL = 10;
const SLOWEST_SHOWN = 3;

export interface GrowthRow {
  backend: BackendName;
  medianMs: number;
  /** The slowest batches (lower of the passes), slowest first, with the resting count each ended at. */
  slowest: TimedBatch[];
  /** Each pass's own slowest batch, to show what the lower of the passes took away. */
  passLongestMs: number[];
}

export type GrowthReport =
  | { status: 'ok'; orders: number; batchSize: number; passes: number; cpu: number | null; rows: GrowthRow[] }
  | { status: 'skipped' | 'failed'; reason: string };

/** Per batch, the least time any pass took. */
export function lowerOfPasses(passes: readonly (readonly number[])[]): number[] {
  return passes[0].map((_, i) => Math.min(...passes.map((pass) => pass[i])));
}

export function growthRow(backend: BackendName, passes: readonly (readonly number[])[], orders: number, batchSize: number): GrowthRow {
  const lower = lowerOfPasses(passes);
  return {
    backend,
    medianMs: quantileOfSorted([...lower].sort((a, b) => a - b), 0.5),
    slowest: slowestBatches(timedBatches(lower, orders, batchSize), SLOWEST_SHOWN),
    passLongestMs: passes.map((pass) => Math.max(...pass)),
  };
}

/** The longest batch over the median: what the goal judges. */
export function pauseRatio(row: GrowthRow): number {
  return row.slowest[0].ms / row.medianMs;
}

/**
 * Runs every pass of every engine, one process at a time, each main thread held to `cpu` when the
 * bench chooses CPUs (as the engine processes' are: cpu-pinning.ts says why).
 */
export async function measureGrowth(orders: number, batchSize: number, cpu: number | undefined, progress: Pick<Progress, 'step' | 'done'>): Promise<GrowthReport> {
  const rows: GrowthRow[] = [];
  try {
    for (const backend of GROWTH_BACKENDS) {
      const passes: number[][] = [];
      for (let pass = 1; pass <= GROWTH_PASSES; pass++) {
        progress.step(`growth pauses: ${backend}, pass ${pass} of ${GROWTH_PASSES}`);
        passes.push(await passInChild(backend, orders, batchSize, cpu));
        progress.done();
      }
      rows.push(growthRow(backend, passes, orders, batchSize));
    }
  } catch (error) {
    return { status: 'failed', reason: (error as Error).message.split('\n')[0] };
  }
  return { status: 'ok', orders, batchSize, passes: GROWTH_PASSES, cpu: cpu ?? null, rows };
}

/**
 * One pass in a new node process. Only its main thread is held to `cpu`, once the process is up
 * (runPinned): with the whole process held there, V8's background compiles took the main thread's
 * CPU, and a late recompile (20-30 ms of TurboFan on one function) read as a pause of the JS engine
 * at 2,000-9,000 orders, and its first compiles as one in its first batch (bench/README.md, "The
 * growth section's pin (stop 67)").
 */
async function passInChild(backend: BackendName, orders: number, batchSize: number, cpu: number | undefined): Promise<number[]> {
  const out = await runPinned(compiledBenchScript('growth-pauses.js'), [backend, String(orders), String(batchSize), '--line'], cpu);
  return JSON.parse(out.trim().split('\n').pop()!) as number[];
}

const ms = (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(1));

export function renderGrowthSection(report: GrowthReport | undefined): string {
  if (report === undefined) return '';
  if (report.status !== 'ok') return `\n\nGROWTH PAUSES: ${report.status} (${report.reason})`;
  const lines = [
    '',
    '',
    `GROWTH PAUSES (a book built from empty to ${report.orders.toLocaleString('en-US')} resting orders in batches of ${report.batchSize.toLocaleString('en-US')}; `
      + `each batch the lower of ${report.passes} passes${report.cpu === null ? '' : `, on CPU ${report.cpu}`}; goal: no batch over ${GROWTH_PAUSE_GOAL}x the median)`,
  ];
  for (const row of report.rows) {
    lines.push(`  ${row.backend.padEnd(5)} median ${ms(row.medianMs)} ms; slowest ${row.slowest.map((b) => `${ms(b.ms)} ms at ${b.resting.toLocaleString('en-US')}`).join(', ')}`
      + `  (${pauseRatio(row).toFixed(1)}x the median; each pass's slowest ${row.passLongestMs.map(ms).join(', ')} ms)`);
  }
  return lines.join('\n');
}
