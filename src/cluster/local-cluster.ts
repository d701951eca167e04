// A whole cluster on one machine: three nats-server processes on loopback ports, one stream per
// shard, and every shard's members as processes of their own. `lobcore cluster up`, the demo,
// the tests and the benchmark all start it this way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendName } from '../types.js';
import { invalidArgument } from '../errors.js';
import { refuseUnknownOptions } from '../validate.js';
import { roundRobinLayout } from './layout.js';
import type { MemberEvent } from './member.js';
import { connectAs } from './nats/connect.js';
import type { ClusterDescription } from './nats/description.js';
import { ADMIN_ROLE } from './nats/roles.js';
import { NatsCluster } from './nats/servers.js';
import { checkClusterOptions } from './option-checks.js';
import { createShardStreams } from './streams.js';
import { ClusterSupervisor } from './supervisor.js';

export interface LocalClusterOptions {
  /** Where configs, keys, NATS stores and member state go (default: a new temp directory). */
  runDir?: string;
  shards?: number;
  assets?: number;
  /** Members per shard: one leads, the others replicate and stand by. */
  members?: number;
  natsNodes?: number;
  tls?: boolean;
  /** Members keep their state in RocksDB under runDir/members (default true); false: in memory. */
  persistent?: boolean;
  backend?: BackendName;
  checkpointEvery?: number;
  leaderTimeoutMs?: number;
  /** Each NATS server's JetStream file storage limit (bytes; default 8 GB). */
  maxFileStoreBytes?: number;
  onEvent?: (shard: number, member: number, event: MemberEvent) => void;
}

export class LocalCluster {
  private constructor(
    readonly runDir: string,
    readonly nats: NatsCluster,
    readonly supervisor: ClusterSupervisor,
    readonly membersPerShard: number,
    /** Removes the run directory when it was made for this cluster (a temp directory); null when the caller named it. */
    private readonly removeRunDir: (() => void) | null,
  ) {}

  get description(): ClusterDescription {
    return this.nats.description;
  }

  /** NATS up, streams made, every member started and every shard led. */
  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    checkOptions(options);
    // Before the run directory: a layout refused (shards, assets) must leave nothing behind.
    const layout = roundRobinLayout(options.shards ?? 2, options.assets ?? 6);
    const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), 'lobcore-cluster-'));
    // A run ended by a signal (stopChildrenOnSignal ends the process) never reaches stop(): a temp
    // run directory goes at exit then, unless stop() kept it or removed it first.
    const removeRunDir = options.runDir === undefined ? (): void => rmSync(runDir, { recursive: true, force: true }) : null;
    if (removeRunDir !== null) process.once('exit', removeRunDir);
    const nats = await NatsCluster.start({ runDir, layout, nodes: options.natsNodes ?? 3, tls: options.tls, maxFileStoreBytes: options.maxFileStoreBytes });
    const supervisor = new ClusterSupervisor({
      runDir,
      stateDir: options.persistent === false ? undefined : join(runDir, 'members'),
      backend: options.backend, checkpointEvery: options.checkpointEvery, leaderTimeoutMs: options.leaderTimeoutMs, onEvent: options.onEvent,
    });
    const cluster = new LocalCluster(runDir, nats, supervisor, options.members ?? 3, removeRunDir);
    try {
      const admin = await connectAs(runDir, nats.description, ADMIN_ROLE);
      try {
        await createShardStreams(admin, nats.description);
      } finally {
        await admin.close();
      }
      const starting: Promise<unknown>[] = [];
      for (const spec of layout.shards) for (let m = 0; m < cluster.membersPerShard; m++) starting.push(supervisor.start(spec.shard, m));
      await Promise.all(starting);
      await cluster.waitForLeaders();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Every shard has a live leader. */
  async waitForLeaders(timeoutMs = 30_000): Promise<void> {
    const shards = this.description.layout.shards.map((s) => s.shard);
    await this.supervisor.waitFor(() => shards.every((s) => this.supervisor.leaderOf(s) !== undefined), timeoutMs, 'every shard to elect a leader');
  }

  /** Stops every member and server; a temp run directory goes too unless `keepRunDir` (to look into a failure). */
  async stop(options: { keepRunDir?: boolean } = {}): Promise<void> {
    // Checked before anything stops: refused, the cluster is still whole to stop properly.
    refuseUnknownOptions('options', options, ['keepRunDir'], 'LocalCluster.stop');
    // Anything but true removes the run directory: a 'yes' meant to keep it would lose it.
    if (options.keepRunDir !== undefined && typeof options.keepRunDir !== 'boolean') throw invalidArgument('keepRunDir', 'a boolean', options.keepRunDir);
    await this.supervisor.stopAll();
    await this.nats.stop();
    if (this.removeRunDir === null) return;
    process.off('exit', this.removeRunDir);
    if (options.keepRunDir !== true) this.removeRunDir();
  }
}

const LOCAL_CLUSTER_OPTIONS: readonly (keyof LocalClusterOptions)[] = [
  'runDir', 'shards', 'assets', 'members', 'natsNodes', 'tls', 'persistent', 'backend', 'checkpointEvery', 'leaderTimeoutMs', 'maxFileStoreBytes', 'onEvent',
];

/**
 * INVALID_ARGUMENT naming the option, before a server starts. Unchecked, 0 members started NATS and
 * waited 30 s for leaders none could be; a bad number for the members' own flags ended each member
 * process the same way; a misspelt option left its default in force without a word.
 * (shards and assets: roundRobinLayout.)
 */
function checkOptions(options: LocalClusterOptions): void {
  checkClusterOptions(options, LOCAL_CLUSTER_OPTIONS, [], 'LocalCluster.start');
}
