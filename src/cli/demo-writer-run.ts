// The parent's side of the writer process: start it, follow its reports, SIGKILL it once it has
// reported the kill height, and collect what it said before it died.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CliError, ExitCode } from './failure.js';
import { demoFlowArguments, type DemoFlowFlags } from './demo-options.js';
import { decodeReport, type BlockReport } from './demo-protocol.js';
import { percentile } from './format.js';

const MAIN_SCRIPT = fileURLToPath(new URL('./main.js', import.meta.url));

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  totalMs: number;
}

export interface WriterRun {
  pid: number;
  /** The last block whose flush the writer reported complete; 0 if none. */
  reportedHeight: number;
  killedAt: 'mid-flow' | 'after the last block';
  commands: number;
  fills: number;
  /**
   * Commands per second of the writer's time in its blocks (the state machine's per-call API:
   * matching, and the journal, event block and index entries of each command; wall clock), and of
   * the whole run up to the last block acknowledged durable.
   */
  matchOpsPerSecond: number;
  persistedOpsPerSecond: number;
  flush: LatencySummary;
  checkpoint: LatencySummary;
}

class ReportTally {
  commands = 0;
  fills = 0;
  matchMs = 0;
  elapsedMs = 0;
  reportedHeight = 0;
  reachedEnd = false;
  readonly flushMs: number[] = [];
  readonly checkpointMs: number[] = [];

  add(report: BlockReport): void {
    this.reportedHeight = report.height;
    this.commands += report.commands;
    this.fills += report.fills;
    this.matchMs += report.matchMs;
    this.elapsedMs = report.elapsedMs;
    this.flushMs.push(report.flushMs);
    if (report.checkpointMs !== undefined) this.checkpointMs.push(report.checkpointMs);
  }
}

function perSecond(count: number, milliseconds: number): number {
  return milliseconds > 0 ? (count * 1000) / milliseconds : 0;
}

function summarize(samples: number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const sample of samples) total += sample;
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length === 0 ? 0 : sorted[sorted.length - 1],
    totalMs: total,
  };
}

/**
 * The writer's own failure reads "lobcore: <message>"; that message is passed on. A crash ends in
 * lines that say nothing (the stack, Node's version): its `SomeError: message` line then.
 */
function writerMessage(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const own = lines.filter((line) => line.startsWith('lobcore: ')).pop();
  if (own !== undefined) return own.slice('lobcore: '.length);
  return lines.find((line) => /^\w*Error\b/.test(line)) ?? (lines.pop() || 'no message');
}

/**
 * Runs the writer on `db` and kills it with SIGKILL as soon as it reports `killHeight`.
 * `onBlock` sees each reported height (for a progress bar).
 */
export async function runAndKillWriter(
  db: string, flags: DemoFlowFlags, killHeight: number, onBlock: (height: number) => void,
): Promise<WriterRun> {
  const child = spawn(process.execPath, [MAIN_SCRIPT, 'demo-writer', db, ...demoFlowArguments(flags)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const tally = new ReportTally();
  let killSent = false;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });

  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  lines.on('line', (line) => {
    // Lines still in the pipe after the kill report flushes that did complete: count them too.
    const report = decodeReport(line);
    if (report === undefined) return;
    if (report.kind === 'end') tally.reachedEnd = true;
    else {
      tally.add(report);
      onBlock(report.height);
    }
    if (!killSent && (tally.reportedHeight >= killHeight || tally.reachedEnd)) {
      killSent = true;
      child.kill('SIGKILL');
    }
  });

  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve([code, sig]));
  });
  if (signal !== 'SIGKILL' || !killSent) {
    throw new CliError(
      `the demo writer stopped before it was killed (exit ${exitCode ?? signal}): ${writerMessage(stderr)}`,
      exitCode === ExitCode.BAD_INPUT ? ExitCode.BAD_INPUT : ExitCode.INTERNAL,
    );
  }
  const flush = summarize(tally.flushMs);
  const checkpoint = summarize(tally.checkpointMs);
  return {
    pid: child.pid ?? 0,
    reportedHeight: tally.reportedHeight,
    killedAt: tally.reachedEnd ? 'after the last block' : 'mid-flow',
    commands: tally.commands,
    fills: tally.fills,
    matchOpsPerSecond: perSecond(tally.commands, tally.matchMs),
    persistedOpsPerSecond: perSecond(tally.commands, tally.elapsedMs),
    flush,
    checkpoint,
  };
}
