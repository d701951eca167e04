// Holding an engine process's main thread to a CPU (bench/cpu-pinning.ts): this machine's vCPUs
// ran the engines at different speeds, so the bench chooses the CPU of each workload's rows and of
// each paired round. Here on real processes, through util-linux's taskset, as the bench does it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { allowedCpus, benchCpus, pinThread, threadCpuList } from '../bench/cpu-pinning.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A Node process that idles, with V8's helper threads started. */
async function idleNode(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); process.stdout.write("up")'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  return child;
}

describe('the CPUs a process may run on', () => {
  it('are read from Linux\'s list, ranges and single CPUs alike', () => {
    expect(allowedCpus('Name:\tnode\nCpus_allowed_list:\t0-1\n')).toEqual([0, 1]);
    expect(allowedCpus('Cpus_allowed_list:\t0,2-4,7\n')).toEqual([0, 2, 3, 4, 7]);
    expect(allowedCpus('Cpus_allowed_list:\t5\n')).toEqual([5]);
    expect(allowedCpus('Name:\tnode\n')).toEqual([]);
    expect(allowedCpus()).not.toEqual([]);
  });
});

describe('the CPUs the bench chooses from', () => {
  it('are every CPU allowed where there are two or more and taskset is there to hold a thread, else none', () => {
    const cpus = allowedCpus();
    expect(benchCpus()).toEqual(cpus.length > 1 ? cpus : []);
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      // No taskset: the bench runs unpinned rather than fail every row.
      expect(benchCpus()).toEqual([]);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('holding a thread to a CPU', () => {
  it('moves only the thread named: a process\'s main thread, its helper threads left free', async () => {
    const child = await idleNode();
    const pid = child.pid!;
    const all = threadCpuList(pid);
    const cpus = allowedCpus();
    const cpu = cpus[cpus.length - 1];
    await pinThread(pid, cpu);
    expect(threadCpuList(pid)).toBe(String(cpu));
    const helpers = readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => tid !== pid);
    expect(helpers.length).toBeGreaterThan(0);
    for (const tid of helpers) expect([tid, threadCpuList(pid, tid)]).toEqual([tid, all]);
    // And again elsewhere: the bench moves it round by round.
    await pinThread(pid, cpus[0]);
    expect(threadCpuList(pid)).toBe(String(cpus[0]));
  });

  it('refuses a CPU the machine does not have in one line naming the thread and the CPU, the thread left as it was', async () => {
    const child = await idleNode();
    const pid = child.pid!;
    const before = threadCpuList(pid);
    const error = await pinThread(pid, 4095).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(new RegExp(`^taskset could not hold thread ${pid} to CPU 4095: .+`));
    expect(error?.message).not.toContain('\n');
    expect(threadCpuList(pid)).toBe(before);
  });
});
