// Starts shard members as child processes (`lobcore cluster node`), follows what they report,
// asks them for their state, and kills or restarts them: what `cluster up`, the demo and the
// tests use to run real members.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LobError } from '../errors.js';
import type { BackendName } from '../types.js';
import type { MemberEvent, MemberStatus } from './member.js';
import { decodeMemberEvent } from './member-process.js';
import { cliEntry } from './package-files.js';
import { FAILOVER_DEADLINE_MS } from './nats/retry.js';
import { killOnExit } from './child-processes.js';

export interface SupervisorOptions {
  runDir: string;
  /** Members keep their RocksDB state under this directory; none: in memory. */
  stateDir?: string;
  backend?: BackendName;
  checkpointEvery?: number;
  leaderTimeoutMs?: number;
  /** Every event of every member, as it arrives. */
  onEvent?: (shard: number, member: number, event: MemberEvent) => void;
}

/**
 * What the supervisor keeps of a member's reports: only what it asks about, so that a member that
 * runs for days (a checkpoint mark now and then, log lines)
 * grows nothing here. Every event goes to `onEvent` as it arrives.
 */
export interface MemberHandle {
  shard: number;
  member: number;
  child: ChildProcess;
  /** Incarnations started so far (1 for the first). */
  starts: number;
  /** It has opened its state and joined the shard. */
  ready: boolean;
  /** The epoch of its leadership while it leads (its last role event was `leader`). */
  leaderEpoch?: number;
  /** Its latest answer to `state`, and how many it has given. */
  lastStatus?: MemberStatus;
  statusReports: number;
}


export class ClusterSupervisor {
  private readonly members = new Map<string, MemberHandle>();
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly options: SupervisorOptions) {}

  /** Starts (or starts again) one member; resolves when it has opened its state and joined. */
  async start(shard: number, member: number): Promise<MemberHandle> {
    const key = memberKey(shard, member);
    const previous = this.members.get(key);
    if (previous !== undefined && alive(previous.child)) throw new Error(`shard ${shard} member ${member} is running`);
    const args = [cliEntry(), 'cluster', 'node', '--run-dir', this.options.runDir, '--shard', String(shard), '--member', String(member)];
    if (this.options.stateDir !== undefined) args.push('--dir', join(this.options.stateDir, `s${shard}-m${member}`));
    if (this.options.backend !== undefined) args.push('--backend', this.options.backend);
    if (this.options.checkpointEvery !== undefined) args.push('--checkpoint-every', String(this.options.checkpointEvery));
    if (this.options.leaderTimeoutMs !== undefined) args.push('--leader-timeout', String(this.options.leaderTimeoutMs));
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    killOnExit(child);
    // A member that has gone (killed, or ended by a signal) closes its stdin: a 'stop' written to it
    // then fails with EPIPE, which unhandled would end this process.
    child.stdin?.on('error', () => undefined);
    const handle: MemberHandle = { shard, member, child, starts: (previous?.starts ?? 0) + 1, ready: false, statusReports: 0 };
    this.members.set(key, handle);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
      if (process.env.LOBCORE_DEBUG) process.stderr.write(chunk);
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const event = decodeMemberEvent(line);
      if (event === undefined) return;
      follow(handle, event);
      this.options.onEvent?.(shard, member, event);
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.once('exit', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
    await this.waitFor(() => {
      if (!alive(child)) throw new LobError('UNAVAILABLE', `shard ${shard} member ${member} exited while starting: ${stderr.trim().split('\n').pop() ?? ''}`);
      return handle.ready;
    }, FAILOVER_DEADLINE_MS, `shard ${shard} member ${member} to start`);
    return handle;
  }

  handle(shard: number, member: number): MemberHandle | undefined {
    return this.members.get(memberKey(shard, member));
  }

  all(): MemberHandle[] {
    return [...this.members.values()];
  }

  running(shard: number, member: number): boolean {
    const handle = this.handle(shard, member);
    return handle !== undefined && alive(handle.child);
  }

  /** The live member that most recently claimed the shard's leadership, if any. */
  leaderOf(shard: number): number | undefined {
    let best: { member: number; epoch: number } | undefined;
    for (const handle of this.members.values()) {
      if (handle.shard !== shard || !alive(handle.child) || handle.leaderEpoch === undefined) continue;
      if (best === undefined || handle.leaderEpoch > best.epoch) best = { member: handle.member, epoch: handle.leaderEpoch };
    }
    return best?.member;
  }

  /** SIGKILL: no chance to flush, close or say goodbye. */
  async kill(shard: number, member: number): Promise<void> {
    const handle = this.handle(shard, member);
    if (handle === undefined || !alive(handle.child)) return;
    const exited = new Promise<void>((resolve) => handle.child.once('exit', () => resolve()));
    handle.child.kill('SIGKILL');
    await exited;
  }

  /** Asks a member for its chain head and state hash. */
  async status(shard: number, member: number, timeoutMs = 10_000): Promise<MemberStatus> {
    const handle = this.handle(shard, member);
    if (handle === undefined || !alive(handle.child)) throw new LobError('UNAVAILABLE', `shard ${shard} member ${member} is not running`);
    const before = handle.statusReports;
    handle.child.stdin?.write('state\n');
    await this.waitFor(() => handle.statusReports > before, timeoutMs, `shard ${shard} member ${member} to report its state`);
    return handle.lastStatus as MemberStatus;
  }

  /** Resolves once `ready()` holds (it is asked again after every event); rejects after the timeout. */
  async waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new LobError('UNAVAILABLE', `timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Asks every member to stop, and kills those that have not within a few seconds. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.members.values()].map(async (handle) => {
      if (!alive(handle.child)) return;
      const exited = new Promise<void>((resolve) => handle.child.once('exit', () => resolve()));
      handle.child.stdin?.end('stop\n');
      const timer = setTimeout(() => handle.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }));
  }
}

/** Takes from one event what the handle keeps. */
function follow(handle: MemberHandle, event: MemberEvent): void {
  switch (event.kind) {
    case 'ready':
      handle.ready = true;
      handle.leaderEpoch = undefined;
      break;
    case 'leader':
      handle.leaderEpoch = event.epoch;
      break;
    case 'follower':
      handle.leaderEpoch = undefined;
      break;
    case 'state': {
      const { kind: _kind, ...status } = event;
      handle.lastStatus = status;
      handle.statusReports++;
      break;
    }
    default:
      break;
  }
}

function memberKey(shard: number, member: number): string {
  return `${shard}/${member}`;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}
