// vitest globalSetup. The CLI, README and package tests run the built package (dist/, build/), so
// it must match the sources. `npm install` has just built it (the `prepare` script), and building
// again on every `npm test` doubled the work; so the build runs here only when an output is
// missing or older than a source it comes from.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Step {
  script: string;
  sources: string[];
  outputs: string[];
}

const STEPS: Step[] = [
  { script: 'build:wasm', sources: ['assembly', 'asconfig.json'], outputs: ['build/lobcore.wasm'] },
  { script: 'build:ts', sources: ['src', 'bench', 'tsconfig.json'], outputs: ['dist'] },
];

/** Newest (or oldest) modification time of the files under the given paths; undefined when none exist. */
function modified(paths: string[], pick: (a: number, b: number) => number): number | undefined {
  let result: number | undefined;
  const visit = (target: string): void => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(target);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(target)) visit(path.join(target, entry));
    } else {
      result = result === undefined ? stat.mtimeMs : pick(result, stat.mtimeMs);
    }
  };
  for (const p of paths) visit(path.join(ROOT, p));
  return result;
}

export function staleSteps(): string[] {
  return STEPS.filter((step) => {
    const oldestOutput = modified(step.outputs, Math.min);
    const newestSource = modified(step.sources, Math.max) ?? 0;
    return oldestOutput === undefined || oldestOutput < newestSource;
  }).map((step) => step.script);
}

export default function buildIfStale(): void {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  for (const script of staleSteps()) {
    process.stderr.write(`test setup: ${script} is older than its sources; building\n`);
    execFileSync(npm, ['run', '--silent', script], { cwd: ROOT, stdio: 'inherit' });
  }
}
