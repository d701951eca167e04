// `lobcore demo`: the whole system in one run. A writer process matches a seeded flow and
// flushes every block to RocksDB, checkpointing as it goes; it is killed with SIGKILL mid-flow;
// the database is reopened and its recovered state is proven identical to an in-memory replay
// of the same flow, and the recovered machine then carries the flow on to its end.
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { Prng } from '../prng.js';
import { directoryBytes } from '../directories.js';
import { openStateMachine, prepareFreshDirectory, type CoreStateMachine } from './database.js';
import type { RecoveryReport } from '../state/index.js';
import { addDemoFlowOptions, type DemoFlowFlags } from './demo-options.js';
import { renderDemoReport, type DemoReport } from './demo-report.js';
import { compareAuditTrail, compareFillHistory, followFeed, replayInMemory, resumeBoth } from './demo-verify.js';
import { MAX_BLOCKS_IN_FLIGHT } from './demo-protocol.js';
import { runAndKillWriter } from './demo-writer-run.js';
import { runDemoWriter } from './demo-writer.js';
import { ExitCode } from './failure.js';
import { jsonOption, optionPath } from './flags.js';
import { formatCount, formatCounted, formatDuration, printJson, printLine } from './format.js';
import { progressEnabled, startPhase } from './progress.js';
import type { ExitStatus } from './program.js';

interface DemoFlags extends DemoFlowFlags {
  db?: string;
  json?: boolean;
}

/** The writer is killed once it reports a block between these fractions of the flow. */
const KILL_WINDOW = [0.55, 0.8] as const;

export function killHeightFor(flags: DemoFlowFlags): number {
  // A stream of its own, so the kill point does not shift the order flow.
  const random = new Prng(flags.seed ^ 0x6b696c6c);
  const fraction = KILL_WINDOW[0] + (KILL_WINDOW[1] - KILL_WINDOW[0]) * random.next();
  const height = Math.min(flags.blocks, Math.max(1, Math.floor(flags.blocks * fraction)));
  // Right after a checkpoint there is no journal to replay; a block earlier, recovery shows both halves.
  return height > 1 && height % flags.checkpointEvery === 0 ? height - 1 : height;
}

export function defineDemoCommand(status: ExitStatus): Command {
  const command = new Command('demo')
    .summary('match, persist, crash, recover and prove it: the whole system in one run')
    .description(
      'Plays a seeded order flow over several assets into a RocksDB database (flush per block, periodic ' +
      'checkpoints) in a child process, kills it with SIGKILL mid-flow, reopens the database and compares ' +
      'the recovered state with an in-memory replay of the same flow. Exit 1 on a mismatch.',
    )
    .addOption(new Option('--db <dir>', 'database directory, new or empty (default: a new directory under the system temp dir)').argParser(optionPath));
  addDemoFlowOptions(command)
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  lobcore demo --blocks 500 --assets 8 --backend js');
  return command.action(async (flags: DemoFlags) => {
    status.code = await runDemo(flags);
  });
}

export function defineDemoWriterCommand(status: ExitStatus): Command {
  const command = new Command('demo-writer')
    .description('internal: the process `lobcore demo` kills')
    .argument('<db>', 'database directory');
  return addDemoFlowOptions(command).action(async (db: string, flags: DemoFlowFlags) => {
    await runDemoWriter(db, flags);
    status.code = ExitCode.OK;
  });
}

function createDatabaseDirectory(requested: string | undefined): string {
  if (requested === undefined) return fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-demo-'));
  prepareFreshDirectory(requested, '--db');
  return path.resolve(requested);
}

async function runDemo(flags: DemoFlags): Promise<number> {
  const json = flags.json === true;
  const bars = progressEnabled(json);
  const say = json ? () => {} : printLine;
  const db = createDatabaseDirectory(flags.db);
  const killHeight = killHeightFor(flags);

  say(`lobcore demo: ${formatCounted(flags.blocks, 'block')} × ${formatCounted(flags.ordersPerBlock, 'order')} over ${formatCounted(flags.assets, 'asset')}, seed ${flags.seed}, ${flags.backend} core`);
  say(`database ${db}`);

  const writing = startPhase('writing', flags.blocks, bars);
  const writer = await runAndKillWriter(db, flags, killHeight, (height) => writing.update(height));
  writing.finish();
  say(`writer pid ${writer.pid}: ${formatCounted(writer.commands, 'order')} matched, ${formatCounted(writer.reportedHeight, 'block')} flushed, killed with SIGKILL ${writer.killedAt}`);

  const recovering = startPhase('recovering', 1, bars);
  const openStart = performance.now();
  const recovered = await openStateMachine({ path: db, backend: flags.backend, sync: true });
  const openMs = performance.now() - openStart;
  recovering.finish();
  const recovery = recovered.recovery as RecoveryReport;
  say(`reopened at height ${formatCount(recovered.height)} in ${formatDuration(openMs)}`);

  let replayed: CoreStateMachine | undefined;
  try {
    const recoveredHeight = recovered.height;
    const replaying = startPhase('replaying', recoveredHeight, bars);
    const replayStart = performance.now();
    const replay = await replayInMemory(flags, recoveredHeight, replaying);
    const replayMs = performance.now() - replayStart;
    replaying.finish();
    replayed = replay.machine;

    const recoveredHash = recovered.stateHash();
    const replayedHash = replayed.stateHash();
    const fillHistory = await compareFillHistory(recovered, replayed);
    const audit = await compareAuditTrail(recovered, replayed);
    say(`compared with an in-memory replay of ${formatCounted(recoveredHeight, 'block')}: state hash ${recoveredHash === replayedHash ? 'equal' : 'DIFFERENT'}`);

    // A market-data subscriber follows the recovered database from here on.
    const feed = followFeed(recovered, Array.from({ length: flags.assets }, (_, asset) => asset));
    const resuming = startPhase('resuming', flags.blocks - recoveredHeight, bars);
    await resumeBoth(recovered, replayed, replay.flow, flags, resuming);
    resuming.finish();
    const feedCheck = await feed.finish();
    const finalOnDisk = recovered.stateHash();
    const finalInMemory = replayed.stateHash();
    await recovered.close();
    const resumedTo = recoveredHeight >= flags.blocks
      ? `nothing left to resume after block ${formatCount(flags.blocks)}`
      : `resumed on the recovered database to block ${formatCount(flags.blocks)}`;
    say(`${resumedTo}: state hash ${finalOnDisk === finalInMemory ? 'equal' : 'DIFFERENT'}`);

    // Flushes the writer asked for but was killed before reporting may be on disk: MAX_BLOCKS_IN_FLIGHT at most.
    const heightInRange = recoveredHeight >= writer.reportedHeight && recoveredHeight <= writer.reportedHeight + MAX_BLOCKS_IN_FLIGHT;
    const identical = heightInRange && recoveredHash === replayedHash && fillHistory.equal && audit.equal && feedCheck.equal &&
      finalOnDisk === finalInMemory;
    const report: DemoReport = {
      flow: {
        blocks: flags.blocks, ordersPerBlock: flags.ordersPerBlock, assets: flags.assets, seed: flags.seed,
        backend: flags.backend, checkpointEvery: flags.checkpointEvery,
      },
      database: db,
      writer: { ...writer, killHeight },
      recovery: { ...recovery, openMs, heightInRange },
      replay: { ms: replayMs, height: recoveredHeight },
      stateHash: { recovered: recoveredHash, replayed: replayedHash, equal: recoveredHash === replayedHash },
      fillHistory,
      audit,
      feed: feedCheck,
      resumed: {
        fromHeight: recoveredHeight, toHeight: flags.blocks,
        stateHash: { onDisk: finalOnDisk, inMemory: finalInMemory, equal: finalOnDisk === finalInMemory },
      },
      diskBytes: directoryBytes(db),
      verdict: identical ? 'IDENTICAL' : 'MISMATCH',
    };
    if (json) printJson(report);
    else printLine(`\n${renderDemoReport(report)}`);
    return identical ? ExitCode.OK : ExitCode.CHECK_FAILED;
  } finally {
    // Both are closed on the way out of a failure too: an open RocksDB handle keeps the process alive.
    await recovered.close();
    await replayed?.close();
  }
}
