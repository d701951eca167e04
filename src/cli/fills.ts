// `lobcore fills DIR --order ID | --trader ID`: the fill history the state machine indexes by
// order and by trader, a page at a time (--after continues from a fill sequence). The database is
// read read-only, as inspect reads it.
import { Command, Option } from 'commander';
import { readDatabase } from './database.js';
import { CliError, ExitCode } from './failure.js';
import { jsonOption, nonEmptyPath, nonNegativeInteger, positiveInteger } from './flags.js';
import { formatCount, printJson, printLine, renderTable } from './format.js';
import type { ExitStatus } from './program.js';
import type { RecordedFill } from '../state/fill-history.js';

interface FillsFlags {
  order?: number;
  trader?: number;
  limit: number;
  after?: number;
  newestFirst?: boolean;
  json?: boolean;
}

const DEFAULT_LIMIT = 100;

export function defineFillsCommand(status: ExitStatus): Command {
  return new Command('fills')
    .summary('fill history of an order or a trader')
    .description(
      'Lists the fills of one order (as maker or taker) or of one trader, oldest first (a trader\'s newest first ' +
      'with --newest-first). It reads the database ' +
      'read-only, as inspect does, even while another process writes to it.',
    )
    .argument('<dir>', 'database directory', nonEmptyPath)
    .addOption(new Option('--order <id>', 'fills of this order id').argParser(positiveInteger()))
    .addOption(new Option('--trader <id>', 'fills of this trader').argParser(nonNegativeInteger))
    .addOption(new Option('--limit <n>', 'most fills to list').argParser(positiveInteger(1_000_000)).default(DEFAULT_LIMIT))
    .addOption(new Option('--after <seq>', 'only fills after this fill sequence number (to page on)').argParser(nonNegativeInteger))
    .addOption(new Option('--newest-first', 'with --trader: newest first (--after then pages to older fills)'))
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  lobcore fills ./db --order 1234\n  lobcore fills ./db --trader 7 --limit 20 --after 5120 --json\n  lobcore fills ./db --trader 7 --newest-first --limit 20')
    .action(async (dir: string, flags: FillsFlags) => {
      status.code = await listFills(dir, flags);
    });
}

async function listFills(dir: string, flags: FillsFlags): Promise<number> {
  if ((flags.order === undefined) === (flags.trader === undefined)) {
    throw new CliError('fills needs exactly one of --order <id> and --trader <id>');
  }
  if (flags.newestFirst === true && flags.order !== undefined) {
    throw new CliError("--newest-first goes with --trader: an order's fills are listed oldest first");
  }
  let fills = await readDatabase(dir, (machine): Promise<RecordedFill[]> => {
    if (flags.order !== undefined && flags.order >= machine.nextOrderId) {
      const issued = machine.nextOrderId === 1 ? 'no order id has been issued yet' : `ids issued so far run from 1 to ${formatCount(machine.nextOrderId - 1)}`;
      throw new CliError(`order ${flags.order} does not exist in ${dir}: ${issued}`);
    }
    // One more than asked tells whether there is a next page, without a count query.
    const page = { limit: flags.limit + 1, after: flags.after };
    return flags.order !== undefined
      ? machine.getOrderFills(flags.order, page)
      : machine.getTraderFills(flags.trader as number, { ...page, newestFirst: flags.newestFirst === true });
  });
  const more = fills.length > flags.limit;
  if (more) fills = fills.slice(0, flags.limit);
  const subject = flags.order !== undefined ? { order: flags.order } : { trader: flags.trader };

  if (flags.json) {
    printJson({ ...subject, fills, more, next: more ? { after: fills[fills.length - 1].fillSeq } : null });
    return ExitCode.OK;
  }
  const who = flags.order !== undefined ? `order ${flags.order}` : `trader ${flags.trader}`;
  if (fills.length === 0) {
    printLine(`no fills for ${who}${flags.after !== undefined ? ` ${flags.newestFirst === true ? 'before' : 'after'} fill ${flags.after}` : ''}`);
    return ExitCode.OK;
  }
  printLine(`${formatCount(fills.length)} fill${fills.length === 1 ? '' : 's'} of ${who}`);
  printLine(renderTable(
    ['seq', 'height', 'asset', 'taker side', 'price', 'size', 'maker order', 'taker order', 'maker', 'taker', 'timestamp'],
    fills.map((fill) => [
      String(fill.fillSeq), String(fill.height), String(fill.asset), fill.takerSide, String(fill.price), String(fill.size),
      String(fill.makerOrderId), String(fill.takerOrderId), String(fill.makerTrader), String(fill.takerTrader), String(fill.timestamp),
    ]),
  ));
  if (more) {
    const subjectFlag = flags.order !== undefined ? `--order ${flags.order}` : `--trader ${flags.trader}${flags.newestFirst === true ? ' --newest-first' : ''}`;
    printLine(`more: lobcore fills ${dir} ${subjectFlag} --limit ${flags.limit} --after ${fills[fills.length - 1].fillSeq}`);
  }
  return ExitCode.OK;
}
