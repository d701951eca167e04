// Files that ship inside the lobcore package (data/lobster, web/), found relative to the module
// asking, so they resolve the same from a clone (src/, dist/src/) and from an installed package.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory `relative` of the package that `moduleUrl` belongs to: the nearest one above it holding `marker`. */
export function packageDirectory(moduleUrl: string, relative: string, marker: string): string {
  for (let dir = dirname(fileURLToPath(moduleUrl)); ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(join(candidate, marker))) return candidate;
    if (dirname(dir) === dir) throw new Error(`lobcore: ${relative} is missing from the package`);
  }
}
