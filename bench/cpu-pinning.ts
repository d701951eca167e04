// Which CPU an engine process's main thread runs on. This machine's two vCPUs do not run at one
// speed: for minutes at a time one of them ran the engines at 0.65-0.77x the other (the JS core
// alone on LOBSTER 3.7-4.2M commands/s against 5.4-6.0M, the WASM core 7.8-8.5M against
// 10.4-11.7M), while a dependent chain of ALU operations ran alike on both (the host's other
// tenants share some of that vCPU's core, most likely; bench/README.md, "The two speeds are the
// two vCPUs (stop 57)"). Linux keeps a single-threaded process on the CPU it started on, so a
// process drew one speed for its life: the "two speeds" of stop 56. A ratio of two engines is only
// a ratio of engines when both ran on the same CPU, so the bench holds each engine process's main
// thread to a CPU it chooses, leaves its other threads free, and says which.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** `0-1`, `0,2-4`: Linux's way of listing CPUs, as numbers in order. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [first, last = first] = part.split('-').map(Number);
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs a task may run on (its status's `Cpus_allowed_list`); `[]` where Linux does not say. */
export function allowedCpus(status: string = readText('/proc/self/status')): number[] {
  const line = /^Cpus_allowed_list:\s*(.*)$/m.exec(status);
  return line === null ? [] : parseCpuList(line[1]);
}

/** The CPUs thread `tid` of process `pid` may run on. */
export function threadCpus(pid: number, tid: number = pid): number[] {
  return allowedCpus(readText(`/proc/${pid}/task/${tid}/status`));
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/**
 * Holds thread `tid` (a process's main thread has its pid for id) to `cpus`, through util-linux's
 * `taskset`: Node has no call for it. Run from the bench's process, never from the engine's own: a
 * fork of a process with a large heap would leave its pages to be faulted back on their next write,
 * inside a timed pass.
 */
export function holdThread(tid: number, cpus: readonly number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('taskset', ['-p', '-c', cpus.join(','), String(tid)], (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`taskset could not hold thread ${tid} to CPU ${cpus.join(',')}: ${(stderr || error.message).trim().split('\n')[0]}`));
    });
  });
}

/**
 * Holds process `pid`'s main thread to `cpu`, and every other thread of it to `free`. Linux gives a
 * new thread the CPUs of the thread that made it, so a thread the main thread makes while held
 * (libuv's pool starts at its first use) would share its CPU; each pin frees any such thread
 * again. A thread that ends while this runs is passed over.
 */
export async function pinMainThread(pid: number, cpu: number, free: readonly number[]): Promise<void> {
  await holdThread(pid, [cpu]);
  let tids: number[];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return;
  }
  for (const tid of tids) {
    if (tid === pid || sameCpus(threadCpus(pid, tid), free)) continue;
    try {
      await holdThread(tid, free);
    } catch (error) {
      if (existsSync(`/proc/${pid}/task/${tid}`)) throw error;
    }
  }
}

/** The line a script started by runPinned writes once it is up (untilPinned). */
const UP_LINE = 'pin me\n';
/** The flag runPinned passes a script: wait to be pinned before the work. */
export const WAIT_TO_BE_PINNED = '--wait-to-be-pinned';

/**
 * Runs a bench script in a new node process with its main thread held to `cpu` (none: not held),
 * and resolves with what it wrote after it was pinned. The script calls untilPinned() first, when
 * given WAIT_TO_BE_PINNED: held as it starts, the main thread would pass its CPU on to every thread
 * Node and V8 make after it (their compilers among them), which would then take the main thread's
 * time; held once it is up, they stay free.
 */
export function runPinned(script: string, args: readonly string[], cpu: number | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args, WAIT_TO_BE_PINNED], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let errors = '';
    let up = false;
    child.stderr.setEncoding('utf8').on('data', (text: string) => { errors += text; });
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const at = up ? -1 : out.indexOf(UP_LINE);
      if (at < 0) return;
      up = true;
      out = out.slice(at + UP_LINE.length);
      const pinned = cpu === undefined ? Promise.resolve() : pinMainThread(child.pid!, cpu, allowedCpus());
      pinned.then(() => child.stdin.end('\n'), (error: unknown) => {
        child.kill();
        reject(error);
      });
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${script} ended with ${signal ?? `code ${code}`}: ${errorLine(errors)}`));
    });
  });
}

/** The line of a child's stderr that says what failed: an uncaught error's own, after the source line Node shows. */
function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines.find((line) => /^\w*Error\b/.test(line)) ?? lines[0];
}

/** In a script run by runPinned: says it is up and waits until the parent has pinned it. */
export function untilPinned(): Promise<void> {
  process.stdout.write(UP_LINE);
  return new Promise((resolve) => {
    process.stdin.once('data', () => {
      process.stdin.destroy();
      resolve();
    });
  });
}

const sameCpus = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((cpu, i) => cpu === b[i]);

/**
 * The CPUs the bench chooses from: those this process may run on that are online, each checked
 * once by holding a `taskset` to it (a CPU listed but offline, a policy that refuses, a `taskset`
 * without `-c`). Fewer than two leave nothing to choose: the bench then runs as before, unpinned.
 */
export function benchCpus(): number[] {
  const online = parseCpuList(readText('/sys/devices/system/cpu/online'));
  const cpus = allowedCpus().filter((cpu) => online.length === 0 || online.includes(cpu));
  if (cpus.length < 2) return [];
  try {
    for (const cpu of cpus) execFileSync('taskset', ['-c', String(cpu), 'true'], { stdio: 'ignore' });
  } catch {
    return [];
  }
  return cpus;
}
