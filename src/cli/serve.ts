// `lobcore serve`: a live page of the books (ladder, depth chart, trades, audit trail, order
// entry) fed over a WebSocket, from a LOBSTER replay, the demo flow, or a database.
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { DatabaseSource } from '../serve/database-source.js';
import { DemoSource } from '../serve/demo-source.js';
import type { MarketMachine } from '../serve/feed.js';
import { CoreStateMachine } from '../state/index.js';
import { ReplaySource, loadReplay, type ReplayInput } from '../serve/replay-source.js';
import { DEFAULT_LIMITS, startServer, type LobServer } from '../serve/server.js';
import { SPEEDS, parseSpeed, type MarketSource } from '../serve/source.js';
import type { BackendName } from '../types.js';
import { exitThroughHooksOnSignals, requireDatabaseDirectory } from './database.js';
import { CliError, ExitCode, namingFlag, namingFlagOfPath } from './failure.js';
import { backendOption, host, optionPath, port, positiveInteger } from './flags.js';
import { formatCount, printLine } from './format.js';
import type { ExitStatus } from './program.js';
import { beginStep } from './unfinished.js';

interface ServeFlags {
  replay?: string;
  orderbook?: string;
  demo?: boolean;
  db?: string;
  speed: string;
  port: number;
  host: string;
  allowOrders?: boolean;
  maxConnections: number;
  backend: BackendName;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function defineServeCommand(status: ExitStatus): Command {
  return new Command('serve')
    .summary('a live page of the books: ladder, depth chart, trades, audit trail, order entry')
    .description(
      'Serves a page that shows a book being built, replayed or traded, fed by snapshots and sequenced ' +
      'deltas over a WebSocket. Exactly one source: --replay a LOBSTER message file, --demo (the seeded ' +
      'demo flow over several assets) or --db a lobcore database. Listens on 127.0.0.1 unless told ' +
      'otherwise; order entry is off unless --allow-orders, and then needs the token printed at start.',
    )
    .addOption(new Option('--replay <file>', 'replay a LOBSTER message file').argParser(optionPath))
    .addOption(new Option('--orderbook <file>', 'with --replay: the LOBSTER order-book file whose first row seeds the book (default: the file named like the messages, if present)').argParser(optionPath))
    .addOption(new Option('--demo', 'play the seeded demo flow over several assets'))
    .addOption(new Option('--db <dir>', 'show the books of a lobcore database (read-only, beside its writer, unless --allow-orders)').argParser(optionPath))
    .addOption(new Option('--speed <speed>', 'replay or demo speed; the page can pause and change it').choices(SPEEDS).default('1'))
    .addOption(new Option('--port <port>', 'TCP port (0: any free port)').argParser(port).default(8080))
    .addOption(new Option('--host <address>', 'address to listen on').argParser(host).default('127.0.0.1'))
    .addOption(new Option('--allow-orders', 'let the page place and cancel orders (with the token printed at start)'))
    .addOption(new Option('--max-connections <n>', 'pages served at once; one more is turned away until a page leaves').argParser(positiveInteger()).default(DEFAULT_LIMITS.maxConnections))
    .addOption(backendOption())
    .addHelpText('after', '\nExamples (the sample files are in the lobcore package: in a project that installed it, prefix\ntheir paths with node_modules/lobcore/):\n  lobcore serve --replay data/lobster/MSFT_2012-06-21_level50_head1950_message.csv.gz\n  lobcore serve --demo --speed 10 --allow-orders')
    .action(async (flags: ServeFlags, command: Command) => {
      status.code = await serve(flags, command.getOptionValueSource('speed') === 'cli');
    });
}

/** Checks the flags and reads the inputs: everything that can be wrong is found before anything starts. */
function checkFlags(flags: ServeFlags, speedGiven: boolean): void {
  const sources = [flags.replay !== undefined, flags.demo === true, flags.db !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new CliError('choose exactly one source: --replay <file>, --demo or --db <dir>');
  if (flags.orderbook !== undefined && flags.replay === undefined) throw new CliError('--orderbook goes with --replay');
  if (speedGiven && flags.db !== undefined) throw new CliError('--speed goes with --replay or --demo; a database is shown as it is');
  if (flags.db !== undefined) requireDatabaseDirectory(flags.db, '--db');
}

async function openSource(flags: ServeFlags): Promise<{ machine: MarketMachine; source: MarketSource; description: string }> {
  const speed = parseSpeed(flags.speed);
  if (flags.replay !== undefined) {
    const input = loadReplayFiles(flags.replay, flags.orderbook);
    const machine = await CoreStateMachine.open({ backend: flags.backend });
    const seeded = input.seedFile === null ? 'not seeded: no order-book file' : `seeded from ${path.basename(input.seedFile)}`;
    return {
      machine, source: new ReplaySource(machine, input, { speed }),
      description: `replaying ${path.basename(flags.replay)} (${formatCount(input.messages.count)} messages, ${seeded}) at ${speed === 'max' ? 'full speed' : `${speed}x`}`,
    };
  }
  if (flags.demo === true) {
    const machine = await CoreStateMachine.open({ backend: flags.backend });
    const source = new DemoSource(machine, { speed });
    return { machine, source, description: `playing the ${source.info.title} at ${speed === 'max' ? 'full speed' : `${speed}x`}` };
  }
  // Opened as typed, so that a refusal while opening (LOCKED, a newer format) names the path as
  // the user gave it; shown resolved once open.
  const typed = flags.db as string;
  const directory = path.resolve(typed);
  // Without orders from the page nothing is written: a read-only view, which works beside the
  // database's running writer and shows what its flushes had made durable when the view opened.
  const readOnly = flags.allowOrders !== true;
  const machine = await CoreStateMachine.open({ path: typed, backend: flags.backend, readOnly }).catch((error: unknown) => {
    throw namingFlag('--db', typed, error);
  });
  const source = new DatabaseSource(machine, directory);
  const books = `${formatCount(source.info.assets.length)} with orders`;
  return {
    machine, source,
    description: readOnly
      ? `showing the books of ${directory} at height ${formatCount(machine.height)} (${books}; read-only: a running writer is left alone, and later flushes show after a restart)`
      : `showing the books of ${directory} (${books})`,
  };
}

/** The replay's files; a refusal names the flag that gave the file it is about. */
function loadReplayFiles(replay: string, orderbook: string | undefined): ReplayInput {
  try {
    return loadReplay(replay, orderbook);
  } catch (error) {
    throw namingFlagOfPath([['--replay', replay], ['--orderbook', orderbook]], error);
  }
}

async function listen(flags: ServeFlags, machine: MarketMachine, source: MarketSource): Promise<LobServer> {
  try {
    return await startServer({
      machine, source, host: flags.host, port: flags.port, allowOrders: flags.allowOrders === true, limits: { maxConnections: flags.maxConnections },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${flags.port} on ${flags.host} is in use; choose another with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`--host ${flags.host} is not an address of this machine`);
    throw error;
  }
}

function untilSignalled(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function serve(flags: ServeFlags, speedGiven: boolean): Promise<number> {
  checkFlags(flags, speedGiven);
  // Until the server runs, a signal ends the process at once, through the exit hooks that remove
  // a read-only open's copy of the database; from then on it stops the server in order.
  const restoreSignals = exitThroughHooksOnSignals();
  const { machine, source, description } = await openSource(flags).catch((error: unknown) => {
    restoreSignals();
    throw error;
  });
  let server: LobServer | null = null;
  try {
    server = await listen(flags, machine, source);
    source.start();
    // Listen for Ctrl-C before the page line is printed: whoever reads that line may stop us at once.
    const signalled = untilSignalled();
    restoreSignals();
    printLine(`lobcore serve: ${description}`);
    if (server.token === null) {
      printLine(`  page    ${server.url}`);
      printLine('  orders  off (start with --allow-orders to trade from the page)');
    } else {
      printLine(`  page    ${server.url}#token=${server.token}`);
      printLine(`  orders  on, with the token ${server.token} (the link above carries it)`);
    }
    if (!LOOPBACK.has(flags.host)) process.stderr.write(`lobcore: warning: listening on ${flags.host}, reachable from other machines\n`);
    printLine('press Ctrl-C to stop');
    // A flow that fails (a replay the engine refuses) ends the server, its error reported in one line.
    await Promise.race([signalled, source.failed]);
    return ExitCode.OK;
  } finally {
    restoreSignals();
    // Each step named: a full test run once saw this shutdown never finish (exit 3, `unfinished.ts`)
    // without saying which part waited.
    beginStep('stopping lobcore serve\'s source');
    await source.stop();
    beginStep('closing lobcore serve\'s server and its sockets');
    await server?.close();
    beginStep('closing the state machine lobcore serve showed');
    await machine.close();
  }
}
