// Where a script the bench runs in a child process is, compiled: beside this module in dist/bench,
// or, when this module is the TypeScript source (the test suite runs bench/ from source), in the
// dist/ the suite's setup builds.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `name`: the script's file in dist/bench, e.g. `reopen-child.js`. */
export function compiledBenchScript(name: string): string {
  for (const candidate of [`./${name}`, `../dist/bench/${name}`]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`lobcore bench: dist/bench/${name} is missing (run npm run build)`);
}
