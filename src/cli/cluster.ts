// `lobcore cluster`: asset shards replicated through a NATS JetStream cluster (docs/scale-out.md).
//   cluster up     start NATS (3 nodes), the shards' streams and members, and keep them running
//   cluster demo   the same, driven by a seeded flow while a shard leader and a NATS server are
//                  SIGKILLed, ending in a verdict
//   cluster node   (internal) one shard member, the process the others start and kill
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { stopChildrenOnSignal } from '../cluster/child-processes.js';
import { statOrUndefined } from '../directories.js';
import { NATS_INSTALL_HINT, findNatsServer } from '../cluster/nats/binary.js';
import { DESCRIPTION_FILE, readDescription } from '../cluster/nats/description.js';
import { LocalCluster } from '../cluster/local-cluster.js';
import { runMemberProcess } from '../cluster/member-process.js';
import { runClusterDemo } from '../cluster/demo/run.js';
import { renderClusterDemo } from '../cluster/demo/report.js';
import { CliError, ExitCode } from './failure.js';
import { backendOption, jsonOption, nonNegativeInteger, optionPath, positiveInteger, seed } from './flags.js';
import { formatCounted, printJson, printLine } from './format.js';
import type { ExitStatus } from './program.js';
import type { BackendName } from '../types.js';

interface UpFlags {
  dir?: string;
  shards: number;
  assets: number;
  members: number;
  tls?: boolean;
  memory?: boolean;
  backend: BackendName;
  json?: boolean;
}

interface NodeFlags {
  runDir: string;
  shard: number;
  member: number;
  dir?: string;
  backend: BackendName;
  checkpointEvery?: number;
  leaderTimeout?: number;
}

/** A clear refusal, with the install command, before anything is started: a fault of the environment, exit 3. */
export function requireNatsForCli(): void {
  if (findNatsServer() === undefined) throw new CliError(`nats-server was not found on PATH: ${NATS_INSTALL_HINT}`, ExitCode.INTERNAL);
}

/**
 * A run cannot be resumed: every start draws a new cluster id (so new stream names), new ports
 * and new keys, and members' state left in the directory would point into streams that no
 * longer exist. Nor is a run written among someone's files: the directory is new or empty.
 */
function requireFreshRunDir(dir: string | undefined): void {
  if (dir === undefined) return;
  const stat = statOrUndefined(dir);
  if (stat === undefined) return;
  if (!stat.isDirectory()) throw new CliError(`--dir ${dir} is a file; a cluster run needs a new or empty directory`);
  if (existsSync(join(dir, DESCRIPTION_FILE))) {
    throw new CliError(`--dir ${dir} already holds a cluster run (${DESCRIPTION_FILE}); a run cannot be resumed: give a new or empty directory`);
  }
  if (readdirSync(dir).length > 0) throw new CliError(`--dir ${dir} is not empty; a cluster run needs a new or empty directory`);
}

export function defineClusterCommand(status: ExitStatus): Command {
  const cluster = new Command('cluster')
    .summary('asset shards replicated through NATS JetStream: up, demo')
    .description('Shards own assets; each shard\'s leader appends command batches to a replicated JetStream stream and its replicas apply them in hash-chain order. See docs/scale-out.md.');
  cluster.addCommand(failThroughParent(defineUp(status)));
  cluster.addCommand(failThroughParent(defineDemo(status)));
  cluster.addCommand(failThroughParent(defineNode(status)), { hidden: true });
  return cluster;
}

/** Subcommands report their errors the way program.ts does for every command: through reportFailure. */
function failThroughParent(command: Command): Command {
  return command.exitOverride().configureOutput({ outputError: () => {} }).showSuggestionAfterError(true);
}

function defineUp(status: ExitStatus): Command {
  return new Command('up')
    .summary('a 3-node NATS cluster and every shard\'s members, running until Ctrl-C')
    .description('Starts a 3-node NATS JetStream cluster on loopback ports, one stream per shard and every shard\'s members, prints how to reach them, and keeps them running until interrupted (Ctrl-C).')
    .addOption(new Option('--dir <dir>', 'run directory: configs, keys, NATS stores, member state, kept (default: a new temp directory, removed on exit)').argParser(optionPath))
    .addOption(new Option('--shards <n>', 'shards').argParser(positiveInteger(64)).default(2))
    .addOption(new Option('--assets <n>', 'assets, dealt round-robin over the shards').argParser(positiveInteger(1_000_000)).default(6))
    .addOption(new Option('--members <n>', 'members per shard (one leads)').argParser(positiveInteger(9)).default(3))
    .addOption(new Option('--tls', 'TLS for clients and routes, with a CA made for this run (openssl)'))
    .addOption(new Option('--memory', 'members keep their state in memory instead of RocksDB'))
    .addOption(backendOption())
    .addOption(jsonOption())
    .action(async (flags: UpFlags) => {
      requireNatsForCli();
      if (flags.shards > flags.assets) throw new CliError(`--shards ${flags.shards}: more shards than the ${flags.assets} assets (--assets), some would hold none`);
      requireFreshRunDir(flags.dir);
      const stopStartingOnSignal = stopChildrenOnSignal();
      const local = await LocalCluster.start({
        runDir: flags.dir, shards: flags.shards, assets: flags.assets, members: flags.members, tls: flags.tls === true,
        persistent: flags.memory !== true, backend: flags.backend,
      });
      // Up and reported: from here Ctrl-C is the way to stop it, and stops it in order.
      stopStartingOnSignal();
      const d = local.description;
      const leaders = d.layout.shards.map((s) => ({ shard: s.shard, assets: s.assets, leader: local.supervisor.leaderOf(s.shard) }));
      if (flags.json === true) {
        printJson({ runDir: local.runDir, servers: d.servers, clusterId: d.layout.clusterId, shards: leaders, credentials: d.credentials });
      } else {
        printLine(`lobcore cluster ${d.layout.clusterId} is up in ${local.runDir}`);
        printLine(`  NATS      ${d.servers.join(' ')}${d.tlsCa === undefined ? '' : ` (TLS, CA ${d.tlsCa})`}`);
        for (const s of leaders) printLine(`  shard ${s.shard}   assets ${s.assets.join(',')}, ${formatCounted(flags.members, 'member')}, member ${s.leader} leads`);
        printLine(`  clients   ClusterClient.connect('${local.runDir}', readDescription(...)) with credentials/client.nk`);
        printLine('Ctrl-C stops it.');
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await local.stop();
      status.code = ExitCode.OK;
    });
}

interface DemoFlags {
  seed: number;
  rounds: number;
  commands: number;
  assets: number;
  window: number;
  dir?: string;
  backend: BackendName;
  json?: boolean;
}

function defineDemo(status: ExitStatus): Command {
  return new Command('demo')
    .summary('shards on a 3-node NATS cluster, a leader and a NATS server SIGKILLed mid-flow, a verdict')
    .description(
      'Starts a 3-node NATS JetStream cluster and 2 shards of 3 member processes, drives a seeded order flow, ' +
      'SIGKILLs shard 0\'s leader (and restarts it: it recovers from its checkpoint) and the NATS server leading ' +
      'shard 1\'s stream (and restarts it), then checks that every member\'s state hash equals an in-memory replay ' +
      'of the committed stream and that every answered request is in it exactly once. Exit 1 on a mismatch.',
    )
    .addOption(new Option('--seed <n>', 'seed of the order flow').argParser(seed).default(1))
    .addOption(new Option('--rounds <n>', 'rounds: one request per shard each').argParser(positiveInteger(1_000_000)).default(300))
    .addOption(new Option('--commands <n>', 'commands per request').argParser(positiveInteger(50_000)).default(500))
    .addOption(new Option('--assets <n>', 'assets, dealt over the 2 shards').argParser(positiveInteger(10_000)).default(6))
    .addOption(new Option('--window <n>', 'rounds on their way at once').argParser(positiveInteger(64)).default(4))
    .addOption(new Option('--dir <dir>', 'run directory, kept (default: a new temp directory, removed after an IDENTICAL run)').argParser(optionPath))
    .addOption(backendOption())
    .addOption(jsonOption())
    .action(async (flags: DemoFlags) => {
      requireNatsForCli();
      if (flags.assets < 2) throw new CliError('--assets must be at least 2: one per shard');
      requireFreshRunDir(flags.dir);
      stopChildrenOnSignal();
      const json = flags.json === true;
      if (!json) printLine(`lobcore cluster demo: ${flags.rounds} rounds × 2 shards × ${flags.commands} commands, seed ${flags.seed}, ${flags.backend} core`);
      const report = await runClusterDemo({
        seed: flags.seed, rounds: flags.rounds, commandsPerRequest: flags.commands, assets: flags.assets, window: flags.window,
        backend: flags.backend, runDir: flags.dir, say: json ? () => {} : printLine,
      });
      if (json) printJson(report);
      else printLine(`\n${renderClusterDemo(report)}`);
      status.code = report.verdict === 'IDENTICAL' ? ExitCode.OK : ExitCode.CHECK_FAILED;
    });
}

function defineNode(status: ExitStatus): Command {
  return new Command('node')
    .description('internal: one shard member (started by cluster up, the demo and the tests)')
    .addOption(new Option('--run-dir <dir>', 'the cluster\'s run directory (cluster.json)').argParser(optionPath).makeOptionMandatory())
    .addOption(new Option('--shard <n>', 'shard').argParser(nonNegativeInteger).makeOptionMandatory())
    .addOption(new Option('--member <n>', 'member id, also its rank in elections').argParser(nonNegativeInteger).makeOptionMandatory())
    .addOption(new Option('--dir <dir>', 'the member\'s own state directory (default: in memory)').argParser(optionPath))
    .addOption(new Option('--checkpoint-every <n>', 'chain positions between checkpoints').argParser(positiveInteger()))
    .addOption(new Option('--leader-timeout <ms>', 'leader silence before the first-ranked member claims').argParser(positiveInteger()))
    .addOption(backendOption())
    .action(async (flags: NodeFlags) => {
      const description = readDescription(flags.runDir);
      if (description.layout.shards[flags.shard] === undefined) throw new CliError(`--shard ${flags.shard}: the cluster has shards 0..${description.layout.shards.length - 1}`);
      await runMemberProcess({
        runDir: flags.runDir, description, shard: flags.shard, memberId: flags.member, dir: flags.dir, backend: flags.backend,
        checkpointEvery: flags.checkpointEvery, leaderTimeoutMs: flags.leaderTimeout,
      });
      status.code = ExitCode.OK;
    });
}
