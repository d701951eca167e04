// `lobcore orders DIR --order ID | --trader ID`: the order audit trail. One order: its record and
// its whole lifecycle, event by event; one trader: its orders (open, closed or all), a page at a
// time.
import { Command, Option } from 'commander';
import type { CoreStateMachine } from '../state/index.js';
import type { OrderRecord, RecordedEvent } from '../types.js';
import { readDatabase } from './database.js';
import { CliError, ExitCode } from './failure.js';
import { jsonOption, nonEmptyPath, nonNegativeInteger, positiveInteger } from './flags.js';
import { formatCount, printJson, printLine, renderFields, renderTable } from './format.js';
import type { ExitStatus } from './program.js';

interface OrdersFlags {
  order?: number;
  trader?: number;
  status: 'open' | 'closed' | 'all';
  limit: number;
  after?: number;
  newestFirst?: boolean;
  json?: boolean;
}

export function defineOrdersCommand(status: ExitStatus): Command {
  return new Command('orders')
    .summary('the audit trail of an order or a trader')
    .description('What became of an order (its record and every event of its life), or the orders of a trader, from the audit trail.')
    .argument('<dir>', 'database directory', nonEmptyPath)
    .addOption(new Option('--order <id>', 'one order: its record and its events').argParser(positiveInteger()))
    .addOption(new Option('--trader <id>', 'the orders of a trader').argParser(nonNegativeInteger))
    .addOption(new Option('--status <which>', 'with --trader: which orders').choices(['open', 'closed', 'all']).default('all'))
    .addOption(new Option('--limit <n>', 'with --trader: most orders to list (one more where an OCO pair would be split: its legs stay on one page)').argParser(positiveInteger(1_000_000)).default(100))
    .addOption(new Option('--after <seq>', 'with --trader: only orders after the one with this seq (to page on)').argParser(nonNegativeInteger))
    .addOption(new Option('--newest-first', 'with --trader: newest first'))
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  lobcore orders ./db --order 1234\n  lobcore orders ./db --trader 7 --status open --json')
    .action(async (dir: string, flags: OrdersFlags, command: Command) => {
      const given = PAGING_FLAGS.filter(([key]) => command.getOptionValueSource(key) === 'cli').map(([, flag]) => flag);
      status.code = await listOrders(dir, flags, given);
    });
}

/** The flags that shape a trader's page: an order's lifecycle has no page, so they are refused with --order. */
const PAGING_FLAGS: readonly [string, string][] = [['status', '--status'], ['limit', '--limit'], ['after', '--after'], ['newestFirst', '--newest-first']];

async function listOrders(dir: string, flags: OrdersFlags, pagingGiven: readonly string[]): Promise<number> {
  if ((flags.order === undefined) === (flags.trader === undefined)) {
    throw new CliError('orders needs exactly one of --order <id> and --trader <id>');
  }
  if (flags.order !== undefined && pagingGiven.length > 0) {
    throw new CliError(`${pagingGiven.join(', ')} ${pagingGiven.length === 1 ? 'goes' : 'go'} with --trader: --order prints the whole lifecycle of one order`);
  }
  return readDatabase(dir, async (machine): Promise<number> => {
    if (flags.order !== undefined) {
      const record = await machine.getOrder(flags.order);
      if (record === undefined) throw new CliError(`order ${flags.order} does not exist: the next order id is ${machine.nextOrderId}`);
      const events = await machine.getOrderEvents(flags.order);
      if (flags.json) printJson({ order: record, events });
      else printOrder(record, events);
      return ExitCode.OK;
    }
    const trader = flags.trader as number;
    const { records, more } = await traderPage(machine, trader, flags);
    const next = more ? { after: records[records.length - 1].seq } : null;
    if (flags.json) {
      printJson({ trader, status: flags.status, orders: records, more, next });
      return ExitCode.OK;
    }
    const which = flags.status === 'all' ? '' : `${flags.status} `;
    if (records.length === 0) {
      printLine(`no ${which}orders of trader ${trader}${flags.after !== undefined ? ` after seq ${flags.after}` : ''}`);
      return ExitCode.OK;
    }
    printLine(`${formatCount(records.length)} ${which}order${records.length === 1 ? '' : 's'} of trader ${trader}`);
    printLine(renderTable(
      ['seq', 'order', 'asset', 'side', 'type', 'tif', 'price', 'stop', 'size', 'filled', 'left', 'status', 'reason', 'placed', 'closed'],
      records.map((r) => [
        String(r.seq), String(r.orderId), String(r.asset), r.side, r.type, r.timeInForce, String(r.price),
        r.stopPrice === undefined ? '' : String(r.stopPrice), r.budget === undefined ? String(r.size) : `budget ${r.budget}`,
        String(r.filled), String(r.remaining), r.status, r.reason ?? '', String(r.placedHeight), r.closedHeight === undefined ? '' : String(r.closedHeight),
      ]),
    ));
    if (next !== null) {
      const options = `--status ${flags.status} --limit ${flags.limit}${flags.newestFirst === true ? ' --newest-first' : ''}`;
      printLine(`more: lobcore orders ${dir} --trader ${trader} ${options} --after ${next.after}`);
    }
    return ExitCode.OK;
  });
}

/**
 * A page of the trader's orders and whether there is another. The cursor is a seq, which an OCO
 * pair's two legs share: a page ending between them would make the next page skip the second, so
 * the page takes every row of its last seq, even past the limit. A row beyond those says there is
 * more; the rows are asked for until one is seen or the orders run out.
 */
async function traderPage(machine: CoreStateMachine, trader: number, flags: OrdersFlags): Promise<{ records: OrderRecord[]; more: boolean }> {
  for (let ask = flags.limit + 1; ; ) {
    const records = await machine.getTraderOrders(trader, { status: flags.status, limit: ask, after: flags.after, newestFirst: flags.newestFirst === true });
    let end = Math.min(flags.limit, records.length);
    while (end < records.length && records[end].seq === records[end - 1].seq) end++;
    if (end < records.length) return { records: records.slice(0, end), more: true };
    if (records.length < ask) return { records, more: false };
    ask = records.length + 1;
  }
}

function printOrder(r: OrderRecord, events: RecordedEvent[]): void {
  printLine(`order ${r.orderId} of trader ${r.trader}: ${r.type} ${r.side} ${r.size} @ ${r.price} on asset ${r.asset}, ${r.status}${r.reason === undefined ? '' : ` (${r.reason})`}`);
  printLine(renderFields([
    ['filled', formatCount(r.filled)],
    ['remaining', formatCount(r.remaining)],
    ['time in force', r.timeInForce],
    ['self-trade', r.stp],
    ['client order id', r.clientOrderId === undefined ? '-' : String(r.clientOrderId)],
    ...(r.stopPrice === undefined ? [] : [['stop price', String(r.stopPrice)] as [string, string]]),
    ...(r.triggeredHeight === undefined ? [] : [['triggered', `height ${r.triggeredHeight}`] as [string, string]]),
    ...(r.budget === undefined ? [] : [['budget', `${r.budget}, spent ${r.spent ?? 0}`] as [string, string]]),
    ...(r.ocoSiblingId === undefined ? [] : [['OCO with', `order ${r.ocoSiblingId}`] as [string, string]]),
    ['placed', `height ${r.placedHeight}, seq ${r.seq}, timestamp ${r.timestamp}`],
    ['closed', r.closedHeight === undefined ? '-' : `height ${r.closedHeight}`],
  ], '  '));
  printLine();
  const left = leftAfterEach(r, events);
  printLine(renderTable(
    ['height', 'seq', 'event', 'price', 'size', 'left', 'detail'],
    events.map((e, i) => [String(e.height), String(e.seq), e.kind, String(e.price), String(e.size), left[i], eventDetail(e, r.orderId)]),
  ));
}

/**
 * What the order has left after each of its events. An event's `remaining` is its order's, and a
 * fill's order is the maker: where this order took, its own is what it had less what traded. A
 * budget order's size is 0 (its budget bounds it), so its taking leaves no size to show.
 */
function leftAfterEach(r: OrderRecord, events: readonly RecordedEvent[]): string[] {
  let left = 0;
  return events.map((e) => {
    if (e.orderId === r.orderId) {
      left = e.remaining;
      return String(left);
    }
    if (r.budget !== undefined) return '-';
    left -= e.size;
    return String(left);
  });
}

function eventDetail(e: RecordedEvent, orderId: number): string {
  if (e.kind === 'fill') return e.orderId === orderId ? `maker, taker order ${e.takerOrderId} of trader ${e.takerTrader}` : `taker, maker order ${e.orderId} of trader ${e.trader}`;
  if (e.kind === 'modified') return `to ${e.newPrice}${e.priorityLost === true ? ', priority lost' : ', priority kept'}`;
  if (e.kind === 'triggered') return `stop ${e.stopPrice}, last trade ${e.lastPrice}`;
  return e.reason ?? '';
}
