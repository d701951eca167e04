// The `lobcore` command tree: commander parses and validates argv, each command lives in its own
// module, and every failure leaves through reportFailure as one line and an exit code.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
import { ExitCode, reportFailure } from './failure.js';
import { refuseRepeatedValues } from './flags.js';
import { beginStep } from './unfinished.js';

/** Where a command's action leaves the process exit code (commander ignores return values). */
export class ExitStatus {
  code: number = ExitCode.OK;
}

// Commander reports these by printing help or a version, with nothing wrong.
const INFORMATIONAL = new Set(['commander.helpDisplayed', 'commander.version']);

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** Errors go through reportFailure instead of commander's printing and process.exit. */
function failThroughUs(command: Command): Command {
  return command
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(true);
}

/**
 * Each command as the program's help lists it, and where its definition is. A definition is
 * imported only for the command that runs (or whose help is asked for): importing them all, and
 * what they import (the state machine, RocksDB, the cluster, the server), took some 0.3 s of CPU
 * on every call, `lobcore --help` included. test/cli-commands.test.ts holds each line here to the
 * definition it stands for.
 */
export interface CommandEntry {
  readonly name: string;
  /** Its line in the program's help: name, [options] and arguments, as commander writes them. */
  readonly term: string;
  readonly summary: string;
  readonly hidden?: true;
  load(): Promise<(status: ExitStatus) => Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'demo', term: 'demo [options]', summary: 'match, persist, crash, recover and prove it: the whole system in one run', load: async () => (await import('./demo.js')).defineDemoCommand },
  { name: 'replay', term: 'replay [options] <file>', summary: 'replay a LOBSTER message file, optionally checking every book state', load: async () => (await import('./replay.js')).defineReplayCommand },
  { name: 'inspect', term: 'inspect [options] <dir>', summary: 'height, journal, checkpoints, books and size of a database', load: async () => (await import('./inspect.js')).defineInspectCommand },
  { name: 'fills', term: 'fills [options] <dir>', summary: 'fill history of an order or a trader', load: async () => (await import('./fills.js')).defineFillsCommand },
  { name: 'orders', term: 'orders [options] <dir>', summary: 'the audit trail of an order or a trader', load: async () => (await import('./orders.js')).defineOrdersCommand },
  { name: 'book', term: 'book [options] <dir>', summary: 'the price ladder of an asset, now or at a past height', load: async () => (await import('./book.js')).defineBookCommand },
  { name: 'feed', term: 'feed [options] <dir>', summary: 'the feed messages of an asset, from a sequence on', load: async () => (await import('./feed.js')).defineFeedCommand },
  { name: 'bench', term: 'bench [flags...]', summary: 'run the benchmark suite (lobcore bench --help for its flags)', load: async () => (await import('./bench.js')).defineBenchCommand },
  { name: 'serve', term: 'serve [options]', summary: 'a live page of the books: ladder, depth chart, trades, audit trail, order entry', load: async () => (await import('./serve.js')).defineServeCommand },
  { name: 'cluster', term: 'cluster', summary: 'asset shards replicated through NATS JetStream: up, demo', load: async () => (await import('./cluster.js')).defineClusterCommand },
  { name: 'demo-writer', term: 'demo-writer [options] <db>', summary: 'internal: the process `lobcore demo` kills', hidden: true, load: async () => (await import('./demo.js')).defineDemoWriterCommand },
];

const TERMS = new Map(COMMANDS.map((entry) => [entry.name, entry.term]));

/** The command `args` run, or whose help they ask for (`lobcore help fills`). */
function commandNamed(args: readonly string[]): string | undefined {
  return args[0] === 'help' ? args[1] : args[0];
}

/**
 * The program, with the commands `wanted` says loaded in full (by default all of them) and each
 * other one as its name and summary: enough for the program's help and for commander's
 * suggestion of a misspelt name, neither of which reads a command's flags.
 */
export async function buildProgram(status: ExitStatus, wanted: (name: string) => boolean = () => true): Promise<Command> {
  const program = failThroughUs(new Command('lobcore'))
    .description('A limit-order-book matching engine: WASM core, TypeScript twin, RocksDB state machine.')
    .version(packageVersion(), '-V, --version')
    .configureHelp({ subcommandTerm: (command) => TERMS.get(command.name()) ?? new Help().subcommandTerm(command) })
    .addHelpText('after', '\nExit codes: 0 success, 1 a check failed (mismatch), 2 bad input, 3 internal or I/O error.');
  const definitions = await Promise.all(COMMANDS.map(async (entry) => (wanted(entry.name) ? (await entry.load())(status) : new Command(entry.name).summary(entry.summary))));
  COMMANDS.forEach((entry, i) => program.addCommand(failThroughUs(definitions[i]), entry.hidden === true ? { hidden: true } : {}));
  refuseRepeatedValues(program);
  return program;
}

/** Runs the CLI on user arguments (argv without node and the script) and returns the exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  beginStep(`running lobcore ${args[0] ?? ''}`.trimEnd());
  const status = new ExitStatus();
  try {
    const name = commandNamed(args);
    await (await buildProgram(status, (entry) => entry === name)).parseAsync(args, { from: 'user' });
    return status.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (INFORMATIONAL.has(error.code)) return ExitCode.OK;
      // `lobcore help [command]` (exit 0), or bare `lobcore` (help on stderr, a usage error).
      if (error.code === 'commander.help') return error.exitCode === 0 ? ExitCode.OK : ExitCode.BAD_INPUT;
      // Suggestions come on a second line; the contract is one line.
      return reportFailure(new CommanderError(error.exitCode, error.code, error.message.replace(/\s*\n\s*/g, ' ')));
    }
    return reportFailure(error);
  }
}
