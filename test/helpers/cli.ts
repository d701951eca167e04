// Running the `lobcore` command as a user does: `node dist/src/cli/main.js ...` in a child
// process, judged by its exit code, stdout and stderr. `npm test` builds dist/ first (pretest).
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = path.join(ROOT, 'dist/src/cli/main.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `lobcore ...args` to its end. */
export function lobcore(...args: string[]): Promise<Run> {
  return finished(start(...args));
}

/** Runs `lobcore ...args` to its end in the given environment (for one without nats-server on PATH, say). */
export function lobcoreIn(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return finished(startIn(env, ...args));
}

/** Starts `lobcore ...args`, its output collected on the child as it comes. */
export function start(...args: string[]): ChildProcess & { out: Run } {
  return startIn(process.env, ...args);
}

function startIn(env: NodeJS.ProcessEnv, ...args: string[]): ChildProcess & { out: Run } {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { out: Run };
  child.out = { code: null, stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { child.out.stdout += chunk; });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { child.out.stderr += chunk; });
  return child;
}

/** Waits for a started command to exit. */
export function finished(child: ChildProcess & { out: Run }): Promise<Run> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ ...child.out, code }));
  });
}

/** A usage error: exit 2, exactly one `lobcore: ...` line on stderr, no stack trace. */
export function expectBadInput(run: Run, message: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^lobcore: /);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}
