// The build emits no class field definitions: each field's first store is its constructor's.
// A field defined before the constructor holds undefined first, and V8 then types it as any value,
// so every typed array read through it is map-checked and every integer in it is tagged (stop 68:
// the JS engine ran 6% more instructions a LOBSTER call). tsconfig.json's
// `useDefineForClassFields: false` is what keeps it so; this reads what tsc actually wrote.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Lines of one word that are not fields: statements, and the last operand of a wrapped expression.
const NOT_FIELDS = new Set(['return', 'break', 'continue', 'debugger', 'null', 'undefined', 'true', 'false', 'this']);

function builtFiles(directory: string): string[] {
  return fs.readdirSync(path.join(ROOT, directory), { recursive: true })
    .map((name) => path.join(directory, String(name)))
    .filter((file) => file.endsWith('.js'));
}

/** Lines of `file` that define a field without a value (`    name;`), as define semantics emits. */
function bareFieldDefinitions(file: string): string[] {
  return fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => {
      const match = /^\s+(?:static\s+)?(#?[A-Za-z_$][\w$]*);$/.exec(line);
      return match !== null && !NOT_FIELDS.has(match[1]);
    })
    .map(({ line, index }) => `${file}:${index + 1}: ${line.trim()}`);
}

describe('class fields in the build', () => {
  it('are first stored by their constructors, in the package and in the bench', () => {
    const files = [...builtFiles('dist/src'), ...builtFiles('dist/bench')];
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap(bareFieldDefinitions)).toEqual([]);
  });

  it('include the JS core, whose records hold their typed arrays in fields', () => {
    const orders = fs.readFileSync(path.join(ROOT, 'dist/src/js-core/orders.js'), 'utf8');
    // The constructor's stores are there; the definitions before it are not.
    expect(orders).toMatch(/this\.id = /);
    expect(bareFieldDefinitions('dist/src/js-core/orders.js')).toEqual([]);
  });
});
