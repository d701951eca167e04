// Running the `lobcore` command as a user does: `node dist/src/cli/main.js ...` in a child
// process, judged by its exit code, stdout and stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = path.join(ROOT, 'dist/src/cli/main.js');

export interface Run {
  /** null when the process was killed (see timedOut). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run outlived its time limit and was killed. */
  timedOut: boolean;
}

export interface RunOptions {
  cwd?: string;
  /** Kill the process after this long: a hang then fails the test instead of holding it up. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command line to its end and collects what it printed. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

export function lobcore(...args: string[]): Promise<Run> {
  return run(process.execPath, [MAIN, ...args]);
}

/** Runs `lobcore ...args` to its end in the given environment (for one without nats-server on PATH, say). */
export function lobcoreIn(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return finished(startIn(env, ...args));
}

/** Starts `lobcore ...args`, its output collected on the child as it comes. */
export function start(...args: string[]): ChildProcess & { out: Run } {
  return startIn(process.env, ...args);
}

export function startIn(env: NodeJS.ProcessEnv, ...args: string[]): ChildProcess & { out: Run } {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { out: Run };
  child.out = { code: null, stdout: '', stderr: '', timedOut: false };
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

/** `lobcore` with a time limit: for inputs that once made it hang. */
export function lobcoreWithin(timeoutMs: number, ...args: string[]): Promise<Run> {
  return run(process.execPath, [MAIN, ...args], { timeoutMs });
}

/** A usage error: exit 2, exactly one `lobcore: ...` line on stderr, no stack trace. */
export function expectBadInput(result: Run, message: RegExp): void {
  expectOneLineFailure(result, 2, message);
}

/** Exit `code`, and exactly one `lobcore: ...` line on stderr matching `message`, no stack trace. */
export function expectOneLineFailure(result: Run, code: number, message: RegExp): void {
  expect(result.timedOut, 'the command had to be killed: it hung').toBe(false);
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^lobcore: /);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

export function listTree(directory: string): string[] {
  return fs.readdirSync(directory, { recursive: true }).map(String).sort();
}

/** `text` matched literally inside a RegExp (a path in an expected message). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
