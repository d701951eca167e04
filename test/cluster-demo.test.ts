// `lobcore cluster demo` as a user runs it: a child process that starts NATS and six member
// processes, kills a shard leader and a NATS server, and reports its verdict.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClusterClient } from '../src/cluster/client.js';
import { readDescription } from '../src/cluster/nats/description.js';
import { expectBadInput, finished, listTree, lobcore, lobcoreIn, lobcoreWithin, MAIN, ROOT, start, startIn } from './helpers/cli.js';
import { until } from './helpers/cluster.js';

/** Live processes whose command line names `dir`: the run's nats-servers (their configs) and members (--run-dir). */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // it ended meanwhile
    }
  }
  return pids;
}

/** SIGTERMs a started `lobcore cluster ...` once `ready` holds, and checks that it took its servers and members with it. */
async function interrupt(child: ReturnType<typeof start>, runDir: string, ready: () => boolean): Promise<void> {
  await until(ready, 'the cluster to start');
  child.kill('SIGTERM');
  const run = await finished(child);
  expect(run.code, run.stderr).toBe(128 + 15);
  expect(processesUsing(runDir), 'processes left running').toEqual([]);
}

/**
 * Runs `lobcore <args>` without --dir in a temp dir of its own (TMPDIR), interrupts it once
 * `processes` of its processes run from there, and checks that it left nothing in it.
 */
async function interruptWithoutDir(args: string[], processes: number): Promise<void> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'lobcore-cluster-tmp-'));
  try {
    await interrupt(startIn({ ...process.env, TMPDIR: tmp }, ...args), tmp, () => processesUsing(tmp).length >= processes);
    expect(readdirSync(tmp)).toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

describe('lobcore cluster up', () => {
  it('starts a cluster a client can trade on, and stops it on Ctrl-C', async () => {
    const child = spawn(process.execPath, [MAIN, 'cluster', 'up', '--json', '--shards', '2', '--assets', '4'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const info = await new Promise<{ runDir: string; servers: string[]; shards: Array<{ shard: number; assets: number[]; leader: number }> }>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        try {
          resolve(JSON.parse(stdout));
        } catch {
          // not the whole document yet
        }
      });
      child.once('close', () => reject(new Error(`cluster up exited: ${stderr}`)));
    });
    expect(info.servers).toHaveLength(3);
    expect(info.shards.map((s) => s.assets)).toEqual([[0, 2], [1, 3]]);
    const client = await ClusterClient.connect(info.runDir, readDescription(info.runDir));
    const result = await client.placeLimit({ trader: 1, asset: 3, side: 'ask', price: 100, size: 2, timestamp: 1 });
    expect(result).toMatchObject({ status: 'resting', orderId: 1, shard: 1 });
    await client.close();
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
    // A run directory it made for itself goes with it.
    expect(existsSync(info.runDir)).toBe(false);
  }, 120_000);

  it('stops its NATS servers and members when interrupted while starting, and refuses to start again in that run directory', async () => {
    const runDir = path.join(mkdtempSync(path.join(tmpdir(), 'lobcore-up-')), 'run');
    try {
      const child = start('cluster', 'up', '--dir', runDir, '--shards', '1', '--assets', '2');
      // The command and its three nats-servers: well into start-up, not yet up.
      await interrupt(child, runDir, () => processesUsing(runDir).length >= 4);
      const again = await lobcoreWithin(60_000, 'cluster', 'up', '--dir', runDir);
      expectBadInput(again, /--dir .*already holds a cluster run/);
      expect(processesUsing(runDir)).toEqual([]);
    } finally {
      rmSync(path.dirname(runDir), { recursive: true, force: true });
    }
  }, 120_000);

  it('without --dir, interrupted while starting, leaves no run directory behind', async () => {
    // Its three nats-servers run from the run directory it made in the temp dir.
    await interruptWithoutDir(['cluster', 'up', '--shards', '1', '--assets', '2'], 3);
  }, 120_000);

  it('refuses more shards than assets in one line', async () => {
    expectBadInput(await lobcore('cluster', 'up', '--shards', '8', '--assets', '6'), /--shards 8/);
  });
});

describe('lobcore cluster up and demo --dir', () => {
  it('refuses a file and a directory that is not empty in one line, and leaves them as they were', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'lobcore-run-dir-'));
    try {
      const file = path.join(tmp, 'a-file');
      writeFileSync(file, 'mine');
      const full = path.join(tmp, 'full');
      mkdirSync(full);
      writeFileSync(path.join(full, 'notes.txt'), 'mine');
      for (const command of ['up', 'demo']) {
        expectBadInput(await lobcoreWithin(60_000, 'cluster', command, '--dir', file), /--dir .*a-file is a file; a cluster run needs a new or empty directory/);
        expectBadInput(await lobcoreWithin(60_000, 'cluster', command, '--dir', full), /--dir .*full is not empty; a cluster run needs a new or empty directory/);
      }
      expect(readFileSync(file, 'utf8')).toBe('mine');
      expect(listTree(full)).toEqual(['notes.txt']);
      expect(processesUsing(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('lobcore cluster demo', () => {
  it('reaches IDENTICAL through a leader kill and a NATS server kill, and says what it measured', async () => {
    const run = await lobcore('cluster', 'demo', '--json', '--rounds', '60', '--commands', '200', '--seed', '7');
    // On a MISMATCH the report (stdout) says which member differed or stopped short.
    expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
    const report = JSON.parse(run.stdout) as {
      verdict: string; commandsCommitted: number; requestsAnswered: number; throughput: number;
      kills: Array<{ kind: string; electionMs?: number; writeStallMs?: number }>;
      recovery: { checkpoint: unknown; replayedFromStream: number } | null;
      shards: Array<{ hashesEqual: boolean; members: unknown[] }>;
    };
    expect(report.verdict).toBe('IDENTICAL');
    expect(report.commandsCommitted).toBe(60 * 2 * 200);
    expect(report.requestsAnswered).toBe(120);
    expect(report.throughput).toBeGreaterThan(0);
    expect(report.kills.map((k) => k.kind)).toEqual(['shard-leader', 'nats-server']);
    expect(report.kills[0].electionMs).toBeGreaterThan(0);
    expect(report.kills.every((k) => typeof k.writeStallMs === 'number')).toBe(true);
    expect(report.recovery?.replayedFromStream).toBeGreaterThan(0);
    expect(report.shards.every((s) => s.hashesEqual && s.members.length === 3)).toBe(true);
  }, 180_000);

  it('stops its NATS servers and members when interrupted, and leaves no run directory of its own behind', async () => {
    // Its three nats-servers and a member: the demo's one handler covers every phase after.
    await interruptWithoutDir(['cluster', 'demo', '--rounds', '200', '--commands', '100'], 4);
  }, 120_000);

  it('says how to install nats-server when it is missing, and starts nothing', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: path.dirname(process.execPath) };
    delete env.LOBCORE_NATS_SERVER;
    // Exit 3, as the README's exit table has it: the environment lacks something, the input is fine.
    for (const command of ['demo', 'up']) {
      const run = await lobcoreIn(env, 'cluster', command);
      expect(run.code).toBe(3);
      expect(run.stderr.trimEnd().split('\n')).toEqual(['lobcore: nats-server was not found on PATH: install it with `apt-get install -y nats-server` (Debian, as root) or from nats.io']);
      expect(run.stdout).toBe('');
    }
  });

  it('refuses a bad flag in one line', async () => {
    const run = await lobcore('cluster', 'demo', '--rounds', '0');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^lobcore: .*--rounds.*\n$/);
  });
});
