// `lobcore bench`: the benchmark suite of bench/. The suite owns its flags (bench/options.ts), so
// the arguments after `bench` go to its parser untouched and its usage text is the help.
import { Command } from 'commander';
import { CliError, ExitCode } from './failure.js';
import type { ExitStatus } from './program.js';

// The suite pulls in every engine and baseline: loaded only when `bench` runs.
async function loadSuite(): Promise<typeof import('../../bench/run.js')> {
  return import('../../bench/run.js');
}

export function defineBenchCommand(status: ExitStatus): Command {
  return new Command('bench')
    .summary('run the benchmark suite (lobcore bench --help for its flags)')
    .description('Runs the benchmark suite: the WASM and JS engines beside their baselines, on synthetic and LOBSTER flows.')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[flags...]', 'flags for the benchmark suite')
    .action(async (args: string[]) => {
      status.code = await runBench(args);
    });
}

async function runBench(args: string[]): Promise<number> {
  const { parseArgs, runBenchmarks, runFailed } = await loadSuite();
  if (args.includes('--help') || args.includes('-h')) {
    const { USAGE } = await import('../../bench/options.js');
    process.stdout.write(`${USAGE.replace('npm run bench --', 'lobcore bench')}\n`);
    return ExitCode.OK;
  }
  let options;
  try {
    options = parseArgs(args);
  } catch (error) {
    // The suite's messages end with its usage text; the first line is the complaint.
    throw new CliError((error as Error).message.split('\n')[0]);
  }
  const report = await runBenchmarks(options);
  return runFailed(report) ? ExitCode.CHECK_FAILED : ExitCode.OK;
}
