// Files of the lobcore package itself (the NATS config template, the built CLI the member
// processes run), found from this module whether it runs from dist/ or from src/ under a test
// runner: the package root is the nearest directory above holding lobcore's package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'lobcore') return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error('the lobcore package root was not found above src/cluster');
    dir = parent;
  }
}

export function packageFile(relative: string): string {
  return join(packageRoot(), relative);
}

/** The built CLI entry that member processes run (`npm run build` makes it). */
export function cliEntry(): string {
  return packageFile(join('dist', 'src', 'cli', 'main.js'));
}
