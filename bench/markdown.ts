// The README's benchmark tables, rendered from full runs' latest.json files rather than copied by
// hand, so that every figure there can be traced to a file and regenerated:
//
//   node dist/bench/markdown.js bench/results/latest.json [another/latest.json ...]
//
// Two tables: the issues' targets, a column a run; and the throughput medians of the first run
// (a stream applied once: its whole-stream rate, so marked), the other runs' figures of the same
// cell after it in small type, so a reader sees the spread from run to run beside each figure.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatCount } from './charts.js';
import { rowFigure, type BenchReport } from './report.js';

/** The engines in the order of the README's table, with its column heads. */
const COLUMNS: readonly (readonly [engine: string, head: string])[] = [
  ['wasm', 'WASM per call'],
  ['wasm-batch', 'WASM submitBatch'],
  ['wasm-core', 'WASM core alone'],
  ['js', 'JS per call'],
  ['js-batch', 'JS submitBatch'],
  ['js-core', 'JS core alone'],
  ['naive', 'naive JS book'],
  ['nodejs-order-book', 'nodejs-order-book'],
];

/** A run's column head: when it started, in UTC to the minute. */
export function runLabel(report: BenchReport): string {
  return `${report.machine.date.slice(0, 16).replace('T', ' ')} UTC`;
}

export function targetsTable(runs: readonly BenchReport[]): string {
  const first = runs[0].targets;
  const lines = [
    `| target | goal | ${runs.map(runLabel).join(' | ')} |`,
    `| --- | --- | ${runs.map(() => '---').join(' | ')} |`,
  ];
  for (const target of first) {
    const cells = runs.map((run) => {
      const same = run.targets.find((t) => t.name === target.name);
      return same === undefined ? 'not measured' : `${same.actual}${same.met ? ', **met**' : ''}`;
    });
    lines.push(`| ${target.name} | ${target.goal} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A cell's figure: the median of the engine's samples, or a stream applied once's whole-stream rate (rowFigure). */
function cellFigure(run: BenchReport, workload: string, engine: string): number | undefined {
  return rowFigure(run.measurements, workload, engine, (m) => m.status === 'ok');
}

const figure = (value: number | undefined): string => (value === undefined ? 'n/a' : formatCount(value));

export function mediansTable(runs: readonly BenchReport[]): string {
  const lines = [
    `| workload | ${COLUMNS.map(([, head]) => head).join(' | ')} |`,
    `| --- | ${COLUMNS.map(() => '---:').join(' | ')} |`,
  ];
  for (const { name } of runs[0].workloads) {
    const cells = COLUMNS.map(([engine]) => {
      const own = cellFigure(runs[0], name, engine);
      const later = runs.slice(1).map((run) => cellFigure(run, name, engine));
      // A cell the first run has no figure for keeps the later runs' figures (a reader would lose
      // a measured median otherwise); only a cell no run measured is a bare n/a.
      if (own === undefined && later.every((m) => m === undefined)) return figure(own);
      if (later.length === 0) return figure(own);
      return `${figure(own)} <sub>${later.map(figure).join(', ')}</sub>`;
    });
    // Its figures are rates over the whole stream, not medians (bench/throughput.ts, wholeStream).
    const wholeStream = runs[0].measurements.some((m) => m.workload === name && m.throughput?.wholeStream !== undefined);
    lines.push(`| ${name}${wholeStream ? ' (whole stream)' : ''} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function readReport(file: string): BenchReport {
  let report: Partial<BenchReport>;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchReport>;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new Error(`${file}: ${reason}`);
  }
  // JSON null, or a report without its date, would otherwise fail later as a TypeError naming neither the file nor the field.
  if (typeof report !== 'object' || report === null || !Array.isArray(report.targets) || !Array.isArray(report.measurements) || !Array.isArray(report.workloads)) {
    throw new Error(`${file}: not a bench report (no targets, measurements or workloads)`);
  }
  if (typeof report.machine?.date !== 'string') throw new Error(`${file}: not a bench report (no machine.date)`);
  return report as BenchReport;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node dist/bench/markdown.js <latest.json> [more latest.json ...]');
    process.exit(2);
  }
  try {
    const runs = files.map(readReport);
    console.log(`${targetsTable(runs)}\n\nMedians, commands/s, the ${runLabel(runs[0])} run${runs.length > 1 ? ` (${runs.slice(1).map(runLabel).join(', ')} below each)` : ''}:\n\n${mediansTable(runs)}`);
  } catch (error) {
    console.error(`markdown: ${(error as Error).message}`);
    process.exit(1);
  }
}
