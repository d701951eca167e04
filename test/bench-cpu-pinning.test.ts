// Holding an engine process's main thread to a CPU (bench/cpu-pinning.ts): this machine's vCPUs
// ran the engines at different speeds, so the bench chooses the CPU of the rows and of each paired
// round. Here on real processes, through util-linux's taskset, as the bench does it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { allowedCpus, benchCpus, holdThread, parseCpuList, pinMainThread, runPinned, threadCpus } from '../bench/cpu-pinning.js';
import { compiledBenchScript } from '../bench/child-script.js';
import { processRunner } from '../bench/engine-process.js';
import { SCALES } from '../bench/options.js';

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

const helperThreads = (pid: number): number[] => readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => tid !== pid);
const cpus = allowedCpus();
const last = cpus[cpus.length - 1];

describe('the CPUs a process may run on', () => {
  it('are read from Linux\'s lists, ranges and single CPUs alike', () => {
    expect(parseCpuList('0-1\n')).toEqual([0, 1]);
    expect(parseCpuList('0,2-4,7')).toEqual([0, 2, 3, 4, 7]);
    expect(parseCpuList('')).toEqual([]);
    expect(allowedCpus('Name:\tnode\nCpus_allowed_list:\t5\n')).toEqual([5]);
    expect(allowedCpus('Name:\tnode\n')).toEqual([]);
    expect(cpus).not.toEqual([]);
  });

  it('that the bench chooses from are every one allowed and online where there are two or more and taskset holds a thread to each, else none', () => {
    const online = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'latin1'));
    const usable = cpus.filter((cpu) => online.includes(cpu));
    expect(benchCpus()).toEqual(usable.length > 1 ? usable : []);
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

describe('holding a process\'s main thread to a CPU', () => {
  it('moves the main thread and leaves the other threads free, and moves it again when asked', async () => {
    const child = await idleNode();
    const pid = child.pid!;
    await pinMainThread(pid, last, cpus);
    expect(threadCpus(pid)).toEqual([last]);
    expect(helperThreads(pid).length).toBeGreaterThan(0);
    for (const tid of helperThreads(pid)) expect([tid, threadCpus(pid, tid)]).toEqual([tid, cpus]);
    await pinMainThread(pid, cpus[0], cpus);
    expect(threadCpus(pid)).toEqual([cpus[0]]);
  });

  it('frees a thread that was made while the main thread was held, which Linux gave the main thread\'s CPU', async () => {
    const child = await idleNode();
    const pid = child.pid!;
    const [helper] = helperThreads(pid);
    await holdThread(helper, [last]);
    expect(threadCpus(pid, helper)).toEqual([last]);
    await pinMainThread(pid, cpus[0], cpus);
    expect(threadCpus(pid, helper)).toEqual(cpus);
  });

  it('refuses a CPU the machine does not have in one line naming the thread and the CPU, the thread left as it was', async () => {
    const child = await idleNode();
    const pid = child.pid!;
    const error = await pinMainThread(pid, 4095, cpus).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(new RegExp(`^taskset could not hold thread ${pid} to CPU 4095: .+`));
    expect(error?.message).not.toContain('\n');
    expect(threadCpus(pid)).toEqual(cpus);
  });

  it('in a new engine process, at once, waits until the process is up: its helper threads, made at its start, stay free', async () => {
    const before = new Set(childPids());
    const runner = processRunner(['js'], { scale: SCALES.tiny, unavailable: {} }, { step() {}, done() {}, tick() {}, stop() {} });
    try {
      await runner.pinMainThread(last);
      const [pid] = childPids().filter((p) => !before.has(p));
      expect(threadCpus(pid)).toEqual([last]);
      expect(helperThreads(pid).length).toBeGreaterThan(0);
      for (const tid of helperThreads(pid)) expect([tid, threadCpus(pid, tid)]).toEqual([tid, cpus]);
    } finally {
      runner.close();
    }
  });
});

describe('a bench script run pinned (runPinned: the growth section\'s passes)', () => {
  it('is held once it is up: its main thread on the CPU, the threads Node and V8 made at its start free', async () => {
    // A script that waits to be pinned, then reports every thread's CPUs.
    const dir = mkdtempSync(join(tmpdir(), 'lobcore-pin-'));
    try {
      const script = join(dir, 'threads.mjs');
      writeFileSync(script, [
        `import { readdirSync, readFileSync } from 'node:fs';`,
        `import { untilPinned } from '${pathToFileURL(compiledBenchScript('cpu-pinning.js')).href}';`,
        `await untilPinned();`,
        `const cpus = (tid) => /^Cpus_allowed_list:\\s*(.*)$/m.exec(readFileSync('/proc/self/task/' + tid + '/status', 'latin1'))[1];`,
        `process.stdout.write(readdirSync('/proc/self/task').map((tid) => (Number(tid) === process.pid ? 'main ' : 'other ') + cpus(tid)).join('\\n'));`,
      ].join('\n'));
      const lines = (await runPinned(script, [], last)).split('\n');
      expect(lines).toContain(`main ${last}`);
      const others = lines.filter((l) => l.startsWith('other '));
      expect(others.length).toBeGreaterThan(0);
      for (const line of others) expect(parseCpuList(line.slice('other '.length))).toEqual(cpus);
      // Not pinned at all when no CPU is given; a script that fails says how, in one line.
      expect((await runPinned(script, [], undefined)).split('\n').filter((l) => l.startsWith('main ')).map((l) => parseCpuList(l.slice(5)))).toEqual([cpus]);
      writeFileSync(script, `throw new Error('no book here');`);
      await expect(runPinned(script, [], last)).rejects.toThrow(/threads\.mjs ended with code 1: .*no book here/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** This process's children that run the bench's engine-process child script. */
function childPids(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes('engine-process-child')) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}
