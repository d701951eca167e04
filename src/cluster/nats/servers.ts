// Starts, kills and restarts the nats-server processes of one cluster, on loopback ports picked
// per run, from configs rendered into the run directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { LobError } from '../../errors.js';
import type { ClusterLayout } from '../layout.js';
import { requireNatsServer } from './binary.js';
import { renderNodeConfig, type NodePorts } from './config.js';
import { connectAs } from './connect.js';
import { generateRoleKeys } from './credentials.js';
import { writeDescription, type ClusterDescription, type NodeDescription } from './description.js';
import { freePorts } from './ports.js';
import { ADMIN_ROLE, allRoles, rolePermissions } from './roles.js';
import { untilAnswered } from './retry.js';
import { checkClusterOptions } from '../option-checks.js';
import { makeLoopbackCertificates, type TlsFiles } from './tls.js';
import { killOnExit, terminate } from '../child-processes.js';

export interface NatsClusterOptions {
  runDir: string;
  layout: ClusterLayout;
  /** Servers in the cluster (3: a stream survives the loss of one). */
  nodes?: number;
  host?: string;
  /** TLS between clients and servers and between servers, with a CA made for this run. */
  tls?: boolean;
  /** How long the cluster may take to elect its JetStream meta leader (ms). */
  readyTimeoutMs?: number;
  /** Each node's JetStream file storage limit (bytes; default 8 GB): the tests fill a small one. */
  maxFileStoreBytes?: number;
}

const NATS_CLUSTER_OPTIONS: readonly (keyof NatsClusterOptions)[] = ['runDir', 'layout', 'nodes', 'host', 'tls', 'readyTimeoutMs', 'maxFileStoreBytes'];

const START_ATTEMPTS = 3;

export class NatsCluster {
  private readonly processes: Array<ChildProcess | undefined>;

  private constructor(
    readonly runDir: string,
    readonly description: ClusterDescription,
    private readonly binary: string,
  ) {
    this.processes = description.nodes.map(() => undefined);
  }

  /** Writes the run directory (keys, configs, cluster.json) and starts every node. */
  static async start(options: NatsClusterOptions): Promise<NatsCluster> {
    // Checked before a directory, a key or a server is made: unchecked, a layout that was no object
    // ended in a TypeError, and nodes: 0 wrote a run directory for a cluster of no server.
    checkClusterOptions(options, NATS_CLUSTER_OPTIONS, ['runDir', 'layout'], 'NatsCluster.start');
    const binary = requireNatsServer();
    const count = options.nodes ?? 3;
    const host = options.host ?? '127.0.0.1';
    mkdirSync(options.runDir, { recursive: true, mode: 0o700 });
    const keys = generateRoleKeys(options.runDir, allRoles(options.layout));
    const tls = options.tls === true ? makeLoopbackCertificates(options.runDir, host) : undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const ports = await freePorts(2 * count, host);
      const nodes: NodePorts[] = Array.from({ length: count }, (_, i) => ({ name: `n${i + 1}`, clientPort: ports[2 * i], routePort: ports[2 * i + 1] }));
      const description = writeConfigs(options, nodes, keys, host, tls);
      const cluster = new NatsCluster(options.runDir, description, binary);
      try {
        for (let i = 0; i < count; i++) cluster.launch(i);
        await cluster.waitReady(options.readyTimeoutMs ?? 30_000);
        return cluster;
      } catch (error) {
        lastError = error;
        await cluster.stop();
      }
    }
    throw lastError;
  }

  get servers(): string[] {
    return this.description.servers;
  }

  pid(node: number): number | undefined {
    return this.processes[node]?.pid;
  }

  running(node: number): boolean {
    const child = this.processes[node];
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGKILL: the node vanishes mid-write, as in a power cut. */
  async kill(node: number): Promise<void> {
    const child = this.processes[node];
    if (child === undefined || !this.running(node)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a stopped or killed node again on the same ports and store. */
  restart(node: number): void {
    if (this.running(node)) throw new Error(`node ${this.description.nodes[node].name} is running`);
    this.launch(node);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((child) => (child === undefined ? undefined : terminate(child))));
  }

  private launch(node: number): void {
    const spec = this.description.nodes[node];
    const log = openSync(join(this.runDir, spec.log), 'a');
    try {
      const child = spawn(this.binary, ['-c', join(this.runDir, spec.config)], { stdio: ['ignore', log, log] });
      this.processes[node] = child;
      killOnExit(child);
    } finally {
      closeSync(log);
    }
  }

  /** Every node up and a JetStream meta leader elected: the cluster can create streams. */
  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => this.checkAlive();
    const nc = await untilAnswered('NATS cluster start-up: a first connection', () => connectAs(this.runDir, this.description, ADMIN_ROLE, { timeoutMs: 1_000 }), { deadlineMs: timeoutMs, check });
    try {
      // jetstreamManager() asks for the account's JetStream info, which needs the meta leader.
      await untilAnswered('NATS cluster start-up: a JetStream meta leader', () => jetstreamManager(nc, { timeout: 2_000 }), { deadlineMs: Math.max(0, deadline - Date.now()), check });
    } finally {
      await nc.close();
    }
  }

  private checkAlive(): void {
    this.description.nodes.forEach((node, i) => {
      if (!this.running(i)) throw new LobError('UNAVAILABLE', `nats-server ${node.name} exited during start-up (see ${join(this.runDir, node.log)})`);
    });
  }
}

function writeConfigs(options: NatsClusterOptions, nodes: NodePorts[], keys: ReturnType<typeof generateRoleKeys>, host: string, tls: TlsFiles | undefined): ClusterDescription {
  const runDir = options.runDir;
  mkdirSync(join(runDir, 'nats'), { recursive: true, mode: 0o700 });
  const routePassword = randomBytes(18).toString('base64url');
  const absoluteTls = tls === undefined ? undefined : { ca: join(runDir, tls.ca), cert: join(runDir, tls.cert), key: join(runDir, tls.key) };
  const users = keys.map((key) => ({ key, permissions: rolePermissions(options.layout, key.role) }));
  const described: NodeDescription[] = nodes.map((node) => {
    const config = join('nats', `${node.name}.conf`);
    const storeDir = join(runDir, 'nats', node.name);
    writeFileSync(join(runDir, config), renderNodeConfig({
      node, all: nodes, host, clusterName: `lobcore-${options.layout.clusterId}`, storeDir, routePassword, users, tls: absoluteTls,
      maxFileStoreBytes: options.maxFileStoreBytes,
    }), { mode: 0o600 });
    return { ...node, config, log: join('nats', `${node.name}.log`) };
  });
  const scheme = tls === undefined ? 'nats' : 'tls';
  const description: ClusterDescription = {
    version: 1,
    layout: options.layout,
    host,
    servers: nodes.map((n) => `${scheme}://${host}:${n.clientPort}`),
    nodes: described,
    credentials: Object.fromEntries(keys.map((k) => [k.role, k.seedFile])),
    ...(tls === undefined ? {} : { tlsCa: tls.ca }),
    streamReplicas: Math.min(3, nodes.length),
  };
  writeDescription(runDir, description);
  return description;
}
