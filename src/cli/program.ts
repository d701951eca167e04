// The `lobcore` command tree: commander parses and validates argv, each command lives in its own
// module, and every failure leaves through reportFailure as one line and an exit code.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, reportFailure } from './failure.js';
import { refuseRepeatedValues } from './flags.js';
import { beginStep } from './unfinished.js';
import { defineBenchCommand } from './bench.js';
import { defineClusterCommand } from './cluster.js';
import { defineDemoCommand, defineDemoWriterCommand } from './demo.js';
import { defineFillsCommand } from './fills.js';
import { defineInspectCommand } from './inspect.js';
import { defineOrdersCommand } from './orders.js';
import { defineBookCommand } from './book.js';
import { defineFeedCommand } from './feed.js';
import { defineReplayCommand } from './replay.js';
import { defineServeCommand } from './serve.js';

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

export function buildProgram(status: ExitStatus): Command {
  const program = failThroughUs(new Command('lobcore'))
    .description('A limit-order-book matching engine: WASM core, TypeScript twin, RocksDB state machine.')
    .version(packageVersion(), '-V, --version')
    .addHelpText('after', '\nExit codes: 0 success, 1 a check failed (mismatch), 2 bad input, 3 internal or I/O error.');
  for (const command of [
    defineDemoCommand(status),
    defineReplayCommand(status),
    defineInspectCommand(status),
    defineFillsCommand(status),
    defineOrdersCommand(status),
    defineBookCommand(status),
    defineFeedCommand(status),
    defineBenchCommand(status),
    defineServeCommand(status),
    defineClusterCommand(status),
  ]) {
    program.addCommand(failThroughUs(command));
  }
  program.addCommand(failThroughUs(defineDemoWriterCommand(status)), { hidden: true });
  refuseRepeatedValues(program);
  return program;
}

/** Runs the CLI on user arguments (argv without node and the script) and returns the exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  beginStep(`running lobcore ${args[0] ?? ''}`.trimEnd());
  const status = new ExitStatus();
  try {
    await buildProgram(status).parseAsync(args, { from: 'user' });
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
