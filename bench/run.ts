#!/usr/bin/env node
// `npm run bench -- [options]`: see USAGE in options.ts.
import { pathToFileURL } from 'node:url';
import { parseArgs } from './options.js';
import { runBenchmarks } from './suite.js';
import type { BenchReport } from './suite.js';
import { failedChecks } from './report.js';

export { runBenchmarks } from './suite.js';
export { parseArgs } from './options.js';

/**
 * A run fails when an engine failed, or when a check failed: an engine that did not end where the
 * reference did, or a reference book that disagrees with lobcore's JS engine. One rule for
 * `npm run bench` and `lobcore bench`, which exited 0 on a MISMATCH.
 */
export function runFailed(report: BenchReport): boolean {
  return report.measurements.some((m) => m.status === 'failed') || failedChecks(report).length > 0;
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await runBenchmarks(options);
  if (runFailed(report)) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
