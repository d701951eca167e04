// `lobcore book DIR --asset N`: an asset's ladder, now or at the end of a past height (--height),
// asks above bids, best prices next to each other, with the feed sequence it is consistent with.
import { Command, Option } from 'commander';
import { LobError } from '../errors.js';
import type { CoreStateMachine } from '../state/index.js';
import type { BookSnapshot } from '../types.js';
import { readDatabase } from './database.js';
import { CliError, ExitCode } from './failure.js';
import { jsonOption, nonEmptyPath, nonNegativeInteger, positiveInteger } from './flags.js';
import { formatCount, printJson, printLine, renderTable } from './format.js';
import type { ExitStatus } from './program.js';

interface BookFlags {
  asset: number;
  depth: number;
  height?: number;
  json?: boolean;
}

export function defineBookCommand(status: ExitStatus): Command {
  return new Command('book')
    .summary('the price ladder of an asset, now or at a past height')
    .description('Prints an asset\'s aggregated book (size and orders per price level), now or as it was at the end of a past height.')
    .argument('<dir>', 'database directory', nonEmptyPath)
    .addOption(new Option('--asset <id>', 'the asset').argParser(nonNegativeInteger).makeOptionMandatory())
    .addOption(new Option('--depth <n>', 'levels a side').argParser(positiveInteger(1_000_000)).default(10))
    .addOption(new Option('--height <h>', 'the book at the end of this height').argParser(nonNegativeInteger))
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  lobcore book ./db --asset 1 --depth 5\n  lobcore book ./db --asset 1 --height 120 --json')
    .action(async (dir: string, flags: BookFlags) => {
      status.code = await printBook(dir, flags);
    });
}

async function printBook(dir: string, flags: BookFlags): Promise<number> {
  const book = await readDatabase(dir, async (machine): Promise<BookSnapshot> => (
    flags.height === undefined ? machine.bookSnapshot(flags.asset, flags.depth) : bookAtHeight(machine, flags.asset, flags.height, flags.depth)
  ));
  if (flags.json) {
    printJson(book);
    return ExitCode.OK;
  }
  printLine(`asset ${book.asset} at height ${formatCount(book.height)}, feed seq ${formatCount(book.seq)}`);
  if (book.bids.length === 0 && book.asks.length === 0) {
    printLine('  the book is empty');
    return ExitCode.OK;
  }
  const rows = [
    ...[...book.asks].reverse().map((l) => ['', '', String(l.price), formatCount(l.size), String(l.orders)]),
    ...book.bids.map((l) => [String(l.orders), formatCount(l.size), String(l.price), '', '']),
  ];
  printLine(renderTable(['orders', 'bid size', 'price', 'ask size', 'orders'], rows, '  '));
  if (book.bids.length > 0 && book.asks.length > 0) printLine(`  spread ${book.asks[0].price - book.bids[0].price}`);
  return ExitCode.OK;
}

/**
 * The book at a past height. The library's refusals name its own parameter (height) and option
 * (keepCheckpoints); the user typed --height and has no keepCheckpoints to change, so the height
 * is judged here in the flag's words.
 */
async function bookAtHeight(machine: CoreStateMachine, asset: number, height: number, depth: number): Promise<BookSnapshot> {
  if (height > machine.height) throw new CliError(`--height ${height} is beyond the database's height ${machine.height}`);
  try {
    return await machine.bookAt(asset, height, depth);
  } catch (error) {
    if (!(error instanceof LobError && error.code === 'NOT_RETAINED')) throw error;
    const oldest = Math.min(...(await machine.listCheckpoints()).map((checkpoint) => checkpoint.height));
    throw new LobError('NOT_RETAINED', `--height ${height} is before the oldest checkpoint (height ${oldest}) and the journal before it is pruned: the database keeps no book before height ${oldest}`, { cause: error });
  }
}
