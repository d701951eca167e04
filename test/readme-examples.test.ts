// The README's examples, run the way a reader runs them: each code block that imports 'lobcore'
// is saved as one script in an empty project whose node_modules/lobcore is this package, run
// there with node, and type-checked there with tsc. What a `console.log(...)` line prints must be
// what its `// comment` says. The README's `npx lobcore ...` commands run as written too.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run } from './helpers/cli.js';

interface Example {
  /** The heading the block sits under. */
  heading: string;
  code: string;
  /** What each console.log line's comment says it prints, in order. */
  expected: string[];
}

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function examples(): Example[] {
  const found: Example[] = [];
  let heading = '';
  const lines = README.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('#')) heading = lines[i].replace(/^#+\s*/, '');
    if (!/^```(ts|js)$/.test(lines[i])) continue;
    const end = lines.indexOf('```', i + 1);
    const code = lines.slice(i + 1, end).join('\n');
    i = end;
    if (!code.includes("from 'lobcore'")) continue;
    const expected: string[] = [];
    const codeLines = code.split('\n');
    codeLines.forEach((line, k) => {
      if (!line.includes('console.log(')) return;
      const comment = /\);\s*\/\/ (.*)$/.exec(line);
      if (comment !== null) return expected.push(comment[1].trim());
      // A console.log in a loop: the comment lines right after it, one per line it prints.
      const printed = [];
      for (let next = k + 1; next < codeLines.length && /^\s*\/\/ /.test(codeLines[next]); next++) printed.push(codeLines[next].replace(/^\s*\/\/ /, '').trim());
      if (printed.length === 0) throw new Error(`README, "${heading}": every console.log needs a // comment saying what it prints: ${line}`);
      expected.push(...printed);
    });
    found.push({ heading, code: `${code}\n`, expected });
  }
  return found;
}

/**
 * The commands a reader can paste as they are and that end on their own (`lobcore serve` runs
 * until stopped: test/serve-cli.test.ts starts it on the same file and stops it).
 */
function commands(): string[] {
  const found: string[] = [];
  for (const block of README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const joined = block[1].replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command.startsWith('npx lobcore ') && !command.startsWith('npx lobcore serve ')) found.push(command);
    }
  }
  return found;
}

describe('README examples, as a reader runs them', () => {
  const all = examples();
  let project: string;

  beforeAll(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-readme-'));
    fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'readme-reader', private: true, type: 'module' })}\n`);
    fs.mkdirSync(path.join(project, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'lobcore'), 'dir');
    all.forEach((example, i) => {
      fs.writeFileSync(path.join(project, `example-${i + 1}.mjs`), example.code);
      fs.writeFileSync(path.join(project, `example-${i + 1}.ts`), example.code);
    });
  });

  afterAll(() => {
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('has the examples this test expects', () => {
    expect(all.map((e) => e.heading)).toEqual(['Embedding the engine', 'Stops, OCO pairs and budgets', 'The batch API: the fast path', 'Durability', 'Events, the audit trail and the feed']);
  });

  it.each(all.map((example, i) => [example.heading, i] as const))('%s: runs as one script and prints what its comments say', async (_heading, i) => {
    const result = await run(process.execPath, [`example-${i + 1}.mjs`], { cwd: project, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual(all[i].expected);
  });

  it('the durability example runs again on the database it left, with the same output', async () => {
    const i = all.findIndex((e) => e.heading === 'Durability');
    const result = await run(process.execPath, [`example-${i + 1}.mjs`], { cwd: project, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual(all[i].expected);
  });

  it('type-checks under strict TypeScript, with @types/node as the README asks', async () => {
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')],
      },
      include: ['example-*.ts'],
    }));
    const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
    const result = await run(tsc, ['-p', project], { cwd: project, timeoutMs: 60_000 });
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it.each(commands())('`%s` runs as written, in this repository', async (command) => {
    const [npx, ...args] = command.split(/\s+/);
    // The demo's database goes under TMPDIR: the project's, removed with it. npx runs this
    // repository's own bin by installing the directory into its cache, and the first time in a
    // checkout that install runs the package's `prepare`, a whole build: dist/ rewritten while
    // the other test files run the CLI from it (one failed in CI with a half-written module).
    // ignore-scripts keeps the command as written and the build as the test setup left it.
    const env = { ...process.env, TMPDIR: project, npm_config_ignore_scripts: 'true' };
    const result = await run(process.platform === 'win32' ? `${npx}.cmd` : npx, args, { cwd: ROOT, env, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
  });
});
