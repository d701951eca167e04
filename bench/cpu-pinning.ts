// Which CPU an engine process's main thread runs on. This machine's two vCPUs do not run at one
// speed: for minutes at a time one of them ran the engines at 0.65-0.75x the other (the JS core
// alone on LOBSTER 3.7-4.2M commands/s against 5.4-6.0M, the WASM core 7.8-8.5M against
// 10.4-11.7M), while a dependent chain of ALU operations ran alike on both (the host's other
// tenants share some of that vCPU's core, most likely; bench/README.md, "The two speeds are the
// two vCPUs (stop 57)"). Linux keeps a single-threaded process on the CPU it started on, so a
// process drew one speed for its life: the "two speeds" of stop 56. A ratio of two engines is only
// a ratio of engines when both ran on the same CPU, so the bench holds each engine process's main
// thread to a CPU it chooses (its helper threads stay free) and says which.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The CPUs this process may run on (its `Cpus_allowed_list`), in order; `[]` where Linux does not say. */
export function allowedCpus(status: string = readStatus('/proc/self/status')): number[] {
  const line = /^Cpus_allowed_list:\s*(.*)$/m.exec(status);
  if (line === null) return [];
  const cpus: number[] = [];
  for (const part of line[1].trim().split(',')) {
    const [first, last = first] = part.split('-').map(Number);
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs thread `tid` of process `pid` may run on, as Linux lists them (`0-1`, `1`). */
export function threadCpuList(pid: number, tid: number = pid): string {
  return /^Cpus_allowed_list:\s*(.*)$/m.exec(readStatus(`/proc/${pid}/task/${tid}/status`))?.[1].trim() ?? '';
}

function readStatus(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/**
 * Holds thread `tid` (a process's main thread has its pid for id) to `cpu`, through util-linux's
 * `taskset`: Node has no call for it. Run from the bench's process, never from the engine's own: a
 * fork of a process with a large heap would leave its pages to be faulted back on their next write,
 * inside a timed pass.
 */
export function pinThread(tid: number, cpu: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('taskset', ['-p', '-c', String(cpu), String(tid)], (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`taskset could not hold thread ${tid} to CPU ${cpu}: ${(stderr || error.message).trim().split('\n')[0]}`));
    });
  });
}

/**
 * The CPUs the bench spreads its engine processes over: each workload's rows on one of them, each
 * paired round on one, in turn. One CPU (or none known) leaves nothing to choose, and a machine
 * without `taskset` nothing to choose with: the bench then runs as before, unpinned.
 */
export function benchCpus(): number[] {
  const cpus = allowedCpus();
  if (cpus.length < 2) return [];
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
  } catch {
    return [];
  }
  return cpus;
}
