// vitest globalSetup. The CLI, README and package tests run the built package (dist/, build/), so
// it must match the sources. `npm install` has just built it (the `prepare` script), and building
// again on every `npm test` doubled the work; so a build step runs here only when one of its
// outputs is missing or older than the source it comes from (or than the step's config file).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Step {
  script: string;
  config: string;
  /** Each source file with the output built from it. */
  pairs(): Array<[source: string, output: string]>;
}

function filesUnder(directory: string): string[] {
  return fs.readdirSync(path.join(ROOT, directory), { recursive: true }).map((name) => path.join(directory, String(name)))
    .filter((file) => fs.statSync(path.join(ROOT, file)).isFile());
}

const STEPS: Step[] = [
  {
    script: 'build:wasm',
    config: 'asconfig.json',
    pairs: () => filesUnder('assembly').map((source) => [source, 'build/lobcore.wasm']),
  },
  {
    script: 'build:ts',
    config: 'tsconfig.json',
    // tsc writes src/x.ts to dist/src/x.js and copies src/x.mjs; declaration files emit nothing.
    pairs: () => ['src', 'bench'].flatMap(filesUnder)
      .filter((source) => /\.(ts|mjs)$/.test(source) && !source.endsWith('.d.ts'))
      .map((source) => [source, path.join('dist', source.replace(/\.ts$/, '.js'))]),
  },
];

function modifiedMs(file: string): number | undefined {
  try {
    return fs.statSync(path.join(ROOT, file)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The build scripts whose outputs are missing or older than their sources. */
export function staleSteps(): string[] {
  return STEPS.filter((step) => {
    const config = modifiedMs(step.config) ?? 0;
    return step.pairs().some(([source, output]) => {
      const built = modifiedMs(output);
      return built === undefined || built < Math.max(config, modifiedMs(source) ?? 0);
    });
  }).map((step) => step.script);
}

export default function buildIfStale(): void {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  for (const script of staleSteps()) {
    process.stderr.write(`test setup: ${script} is older than its sources; building\n`);
    execFileSync(npm, ['run', '--silent', script], { cwd: ROOT, stdio: 'inherit' });
  }
}
