// The demo's flags, shared by the visible `demo` command and the hidden writer process it
// spawns, so both read the very same flow parameters.
import { Command, Option } from 'commander';
import type { BackendName } from '../types.js';
import { backendOption, positiveInteger, seed } from './flags.js';

export interface DemoFlowFlags {
  blocks: number;
  ordersPerBlock: number;
  assets: number;
  seed: number;
  backend: BackendName;
  checkpointEvery: number;
}

export const DEMO_DEFAULTS = {
  blocks: 2000,
  ordersPerBlock: 100,
  assets: 6,
  seed: 1,
  checkpointEvery: 200,
} as const;

export function addDemoFlowOptions(command: Command): Command {
  return command
    .addOption(new Option('--blocks <n>', 'blocks in the flow; each is matched, then flushed').argParser(positiveInteger(1_000_000)).default(DEMO_DEFAULTS.blocks))
    .addOption(new Option('--orders-per-block <n>', 'commands per block').argParser(positiveInteger(100_000)).default(DEMO_DEFAULTS.ordersPerBlock))
    .addOption(new Option('--assets <n>', 'order books').argParser(positiveInteger(10_000)).default(DEMO_DEFAULTS.assets))
    .addOption(new Option('--seed <n>', 'seed of the order flow and of the kill point').argParser(seed).default(DEMO_DEFAULTS.seed))
    .addOption(new Option('--checkpoint-every <n>', 'blocks between checkpoints').argParser(positiveInteger(1_000_000)).default(DEMO_DEFAULTS.checkpointEvery))
    .addOption(backendOption());
}

/** The writer's argv for the same flow. */
export function demoFlowArguments(flags: DemoFlowFlags): string[] {
  return [
    '--blocks', String(flags.blocks),
    '--orders-per-block', String(flags.ordersPerBlock),
    '--assets', String(flags.assets),
    '--seed', String(flags.seed),
    '--checkpoint-every', String(flags.checkpointEvery),
    '--backend', flags.backend,
  ];
}
