// `lobcore inspect DIR`: what a database holds. It opens the database read-only (recovering a
// private copy of it, so a running writer may hold it), reads and closes; it never writes.
import * as path from 'node:path';
import { Command } from 'commander';
import type { Level } from '../types.js';
import type { CheckpointInfo, RecoveryReport } from '../state/index.js';
import { listBooks, type BookCounts } from './book-listing.js';
import { directoryBytes } from '../directories.js';
import { readDatabase } from './database.js';
import { ExitCode } from './failure.js';
import { jsonOption, nonEmptyPath } from './flags.js';
import { formatBytes, formatCount, formatCounted, formatDuration, printJson, printLine, renderFields, renderTable, shortHash } from './format.js';
import type { ExitStatus } from './program.js';

interface AssetSummary extends BookCounts {
  bestBid: Level | null;
  bestAsk: Level | null;
}

interface Inspection {
  path: string;
  height: number;
  /** Journal entries ever written (commands and height changes); older ones are pruned behind checkpoints. */
  journalLength: number;
  nextOrderId: number;
  fills: number;
  recovery: RecoveryReport | null;
  checkpoints: CheckpointInfo[];
  assets: AssetSummary[];
  diskBytes: number;
}

export function defineInspectCommand(status: ExitStatus): Command {
  return new Command('inspect')
    .summary('height, journal, checkpoints, books and size of a database')
    .description(
      'Reports what a lobcore database holds: height, journal, checkpoints, books and size. It reads the database ' +
      'read-only, as it is at that moment (every flush completed by then), even while another process writes to it, ' +
      'and never writes to it.',
    )
    .argument('<dir>', 'database directory', nonEmptyPath)
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  lobcore inspect /tmp/lobcore-demo-Xa81Qz --json')
    .action(async (dir: string, flags: { json?: boolean }) => {
      status.code = await inspect(dir, flags.json === true);
    });
}

async function inspect(dir: string, json: boolean): Promise<number> {
  const inspection = await readDatabase(dir, async (machine): Promise<Inspection> => {
    const assets = listBooks(machine.snapshot()).map((book) => {
      const view = machine.getBook(book.asset);
      return { ...book, bestBid: view.bestBid() ?? null, bestAsk: view.bestAsk() ?? null };
    });
    return {
      path: path.resolve(dir),
      height: machine.height,
      journalLength: machine.sequence,
      nextOrderId: machine.nextOrderId,
      fills: machine.nextFillSeq - 1,
      recovery: machine.recovery,
      checkpoints: await machine.listCheckpoints(),
      assets,
      diskBytes: directoryBytes(dir),
    };
  });
  if (json) printJson(inspection);
  else printLine(renderInspection(inspection));
  return ExitCode.OK;
}

function describeLevel(level: Level | null): string {
  return level === null ? '-' : `${level.price} × ${formatCount(level.size)}`;
}

function renderInspection(inspection: Inspection): string {
  const { recovery } = inspection;
  const recoveredFrom = recovery === null ? 'nothing stored'
    : recovery.checkpointHeight === null
      ? `the journal from the start, ${formatCount(recovery.replayedRecords)} records`
      : `the checkpoint at height ${formatCount(recovery.checkpointHeight)} + ${formatCounted(recovery.replayedRecords, 'journal record')}`;
  const parts = [
    `database ${inspection.path}`,
    renderFields([
      ['height', formatCount(inspection.height)],
      ['journal length', `${formatCount(inspection.journalLength)} entries`],
      ['next order id', formatCount(inspection.nextOrderId)],
      ['fills', formatCount(inspection.fills)],
      ['opened from', `${recoveredFrom}, in ${formatDuration(recovery?.durationMs ?? 0)}`],
      ['size on disk', formatBytes(inspection.diskBytes)],
    ], '  '),
    '',
    `checkpoints (${inspection.checkpoints.length})`,
  ];
  if (inspection.checkpoints.length > 0) {
    parts.push(renderTable(
      ['height', 'sequence', 'size', 'orders', 'state hash'],
      inspection.checkpoints.map((c) => [formatCount(c.height), formatCount(c.sequence), formatBytes(c.bytes), formatCount(c.restingOrders), shortHash(c.stateHash)]),
      '  ',
    ));
  }
  parts.push('', `books (${inspection.assets.length})`);
  if (inspection.assets.length > 0) {
    parts.push(renderTable(
      ['asset', 'best bid', 'best ask', 'bid orders', 'ask orders'],
      inspection.assets.map((a) => [String(a.asset), describeLevel(a.bestBid), describeLevel(a.bestAsk), formatCount(a.bidOrders), formatCount(a.askOrders)]),
      '  ',
    ));
  }
  return parts.join('\n');
}
