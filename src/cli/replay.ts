// `lobcore replay FILE [--orderbook FILE]`: real NASDAQ order flow (LOBSTER) through the engine,
// optionally checked against LOBSTER's own book after every message, optionally persisted.
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { createEngine, type Engine } from '../engine.js';
import {
  LobsterReplayer, compareDepth, describeMismatch, readMessageFile, readOrderbookFile,
  type DepthMismatch, type OrderbookRows, type ReplayStats,
} from '../lobster/index.js';
import type { BackendName, Level } from '../types.js';
import { openStateMachine, prepareFreshDirectory } from './database.js';
import { CliError, ExitCode, namingFlag } from './failure.js';
import { backendOption, jsonOption, nonEmptyPath, optionPath } from './flags.js';
import { formatCount, formatDuration, formatRate, printJson, printLine, renderFields } from './format.js';
import { progressEnabled, startPhase } from './progress.js';
import type { ExitStatus } from './program.js';

interface ReplayFlags {
  orderbook?: string;
  db?: string;
  backend: BackendName;
  json?: boolean;
}

/** The asset the messages go to (the replayer's default). */
const ASSET = 1;
/** With --db: messages per flush, and per checkpoint. Height N holds message N. */
const MESSAGES_PER_FLUSH = 1000;
const MESSAGES_PER_CHECKPOINT = 20_000;
const PROGRESS_STEP = 1000;

export function defineReplayCommand(status: ExitStatus): Command {
  return new Command('replay')
    .summary('replay a LOBSTER message file, optionally checking every book state')
    .description(
      'Replays a LOBSTER message file through the engine. With --orderbook, the book is compared with the ' +
      'order-book file after every message and the first difference is reported (exit 1). With --db, the ' +
      `replay runs through the persistent state machine, flushing every ${formatCount(MESSAGES_PER_FLUSH)} messages and checkpointing ` +
      `every ${formatCount(MESSAGES_PER_CHECKPOINT)}; the messages go to asset ${ASSET} and height N holds message N, so with --orderbook ` +
      `(which also seeds the book LOBSTER's file starts from) \`lobcore book DIR --asset ${ASSET} --height N\` is the order-book file's row N, ` +
      'for every N back to the older of the two checkpoints the database keeps. ' +
      'Without --orderbook the replay starts from an empty book.',
    )
    .argument('<file>', 'LOBSTER message file (time,type,orderId,size,price,direction)', nonEmptyPath)
    .addOption(new Option('--orderbook <file>', 'the matching LOBSTER order-book file, to check the book after every message').argParser(optionPath))
    .addOption(new Option('--db <dir>', 'persist into a new or empty database directory').argParser(optionPath))
    .addOption(backendOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExample (paths in the lobcore package: in a project that installed it, prefix\nthem with node_modules/lobcore/):\n' +
      '  lobcore replay data/lobster/MSFT_2012-06-21_level50_head1950_message.csv.gz \\\n' +
      '    --orderbook data/lobster/MSFT_2012-06-21_level50_head1950_orderbook.csv.gz --db ./msft\n' +
      '  lobcore book ./msft --asset 1 --height 1')
    .action(async (file: string, flags: ReplayFlags) => {
      status.code = await replay(file, flags);
    });
}

interface ReplaySummary {
  messages: number;
  orders: number;
  fills: number;
  seconds: number;
  messagesPerSecond: number;
  bestBid: Level | null;
  bestAsk: Level | null;
}

async function replay(file: string, flags: ReplayFlags): Promise<number> {
  // Everything that can be wrong with the input is found before a database is touched.
  const messages = readMessageFile(file);
  const book = flags.orderbook === undefined ? undefined : readNamed('--orderbook', flags.orderbook, readOrderbookFile);
  if (book !== undefined && book.rows !== messages.count) {
    throw new CliError(`--orderbook ${flags.orderbook} has ${formatCount(book.rows)} rows but ${file} has ${formatCount(messages.count)} messages; they must pair row by row`);
  }
  if (flags.db !== undefined) prepareFreshDirectory(flags.db, '--db');

  const machine = flags.db === undefined ? undefined : await openStateMachine({ path: path.resolve(flags.db), backend: flags.backend, checkpointInterval: MESSAGES_PER_CHECKPOINT });
  try {
    // The engine and the state machine take the same calls: the replay drives whichever it was given.
    const engine = machine ?? await createEngine({ backend: flags.backend });
    const replayer = new LobsterReplayer(engine, messages, { asset: ASSET });
    if (book !== undefined && book.rows > 0) replayer.seed(book.row(0));

    const progress = startPhase('replaying', messages.count, progressEnabled(flags.json === true));
    const started = performance.now();
    let mismatch: DepthMismatch | null = null;
    for (let i = 0; i < messages.count && mismatch === null; i++) {
      // Message i + 1 is journaled at height i + 1 (the seed stays at height 0), as `serve --replay`
      // does, so `book --height N` is the book after message N, LOBSTER's order-book row N.
      machine?.setHeight(i + 1);
      replayer.apply(i);
      // 1-based row numbers, as the parser reports them and as a text editor shows them.
      if (book !== undefined) mismatch = compareDepth(engine, ASSET, book.row(i), i + 1);
      if (machine !== undefined && (i + 1) % MESSAGES_PER_FLUSH === 0) await machine.checkpointIfNeeded();
      if ((i + 1) % PROGRESS_STEP === 0) progress.update(i + 1);
    }
    const applied = replayer.stats.messages;
    if (machine !== undefined) await machine.checkpointIfNeeded();
    const seconds = (performance.now() - started) / 1000;
    progress.finish();

    const summary = summarize(applied, engine, replayer.stats.fills, seconds);
    report(file, flags, summary, replayer.stats, book, mismatch);
    return mismatch === null ? ExitCode.OK : ExitCode.CHECK_FAILED;
  } finally {
    await machine?.close();
  }
}

/** Reads the file a flag gave; a refusal names the flag. */
function readNamed<T>(flag: string, file: string, read: (file: string) => T): T {
  try {
    return read(file);
  } catch (error) {
    throw namingFlag(flag, file, error);
  }
}

function summarize(messages: number, engine: Pick<Engine, 'nextOrderId' | 'bestBid' | 'bestAsk'>, fills: number, seconds: number): ReplaySummary {
  return {
    messages,
    // Ids go to accepted orders only: book orders, seed levels, execution takers, and orders a queue repair put back.
    orders: engine.nextOrderId - 1,
    fills,
    seconds,
    messagesPerSecond: seconds > 0 ? messages / seconds : 0,
    bestBid: engine.bestBid(ASSET) ?? null,
    bestAsk: engine.bestAsk(ASSET) ?? null,
  };
}

/** LOBSTER prices are dollars × 10,000; the engine's ticks are those units. */
function describeLevel(level: Level | null): string {
  if (level === null) return 'none';
  return `${level.price} ($${(level.price / 10_000).toFixed(4)}) × ${formatCount(level.size)} in ${level.orders} order${level.orders === 1 ? '' : 's'}`;
}

function report(
  file: string, flags: ReplayFlags, summary: ReplaySummary, stats: ReplayStats,
  book: OrderbookRows | undefined, mismatch: DepthMismatch | null,
): void {
  if (flags.json) {
    printJson({
      file, orderbook: flags.orderbook ?? null, db: flags.db === undefined ? null : path.resolve(flags.db), backend: flags.backend,
      ...summary, stats,
      bookCheck: book === undefined ? null : { levels: book.levels, rowsChecked: summary.messages, mismatch },
    });
    return;
  }
  printLine(`replayed ${path.basename(file)} (${flags.backend} core${flags.db === undefined ? '' : `, persisted to ${path.resolve(flags.db)}`})`);
  printLine(renderFields([
    ['messages', formatCount(summary.messages)],
    ['orders', `${formatCount(summary.orders)} (${formatCount(stats.placed)} new, ${formatCount(stats.seedOrders)} seed levels, ${formatCount(stats.executionsAsTaker)} executions as takers, ${formatCount(stats.requeued)} put back by queue repairs)`],
    ['fills', formatCount(summary.fills)],
    ['rate', `${formatRate(summary.messagesPerSecond)} messages in ${formatDuration(summary.seconds * 1000)}${book === undefined ? '' : ' (book checked after each)'}`],
    ['best bid', describeLevel(summary.bestBid)],
    ['best ask', describeLevel(summary.bestAsk)],
  ], '  '));
  if (book === undefined) return;
  if (mismatch === null) {
    printLine(`book check: ${formatCount(summary.messages)} rows × ${book.levels} level${book.levels === 1 ? '' : 's'} of ${path.basename(flags.orderbook as string)}: no mismatch`);
  } else {
    printLine(`book check: MISMATCH after message row ${mismatch.row}`);
    if (book.levels === 1) {
      // LOBSTER's README: at level 1, the level that becomes best when the best one empties was
      // never in the message file, so no replay can rebuild it.
      printLine('note: a level-1 file only sees the best level; a level that becomes best from outside it cannot be replayed');
    }
    process.stderr.write(`lobcore: first mismatch at ${describeMismatch(mismatch)}\n`);
  }
}
