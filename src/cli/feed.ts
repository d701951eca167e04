// `lobcore feed DIR --asset N`: the market-data feed of an asset as the database keeps it, from a
// feed sequence on: each message (one per command that changed the book) with its events and the
// price levels it changed.
import { Command, Option } from 'commander';
import type { FeedMessage } from '../types.js';
import { readDatabase } from './database.js';
import { ExitCode } from './failure.js';
import { jsonOption, nonEmptyPath, nonNegativeInteger, positiveInteger } from './flags.js';
import { formatCount, printJson, printLine } from './format.js';
import type { ExitStatus } from './program.js';

interface FeedFlags {
  asset: number;
  fromSeq: number;
  limit: number;
  json?: boolean;
}

export function defineFeedCommand(status: ExitStatus): Command {
  return new Command('feed')
    .summary('the feed messages of an asset, from a sequence on')
    .description('Prints the feed messages the database holds for an asset: one per command that changed its book, with the events and the changed price levels.')
    .argument('<dir>', 'database directory', nonEmptyPath)
    .addOption(new Option('--asset <id>', 'the asset').argParser(nonNegativeInteger).makeOptionMandatory())
    .addOption(new Option('--from-seq <seq>', 'first feed sequence to print').argParser(positiveInteger()).default(1))
    .addOption(new Option('--limit <n>', 'most messages to print').argParser(positiveInteger(1_000_000)).default(100))
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  lobcore feed ./db --asset 1 --from-seq 500 --limit 20\n  lobcore feed ./db --asset 1 --json')
    .action(async (dir: string, flags: FeedFlags) => {
      status.code = await printFeed(dir, flags);
    });
}

async function printFeed(dir: string, flags: FeedFlags): Promise<number> {
  const messages: FeedMessage[] = [];
  const last = await readDatabase(dir, async (machine): Promise<number> => {
    const lastSeq = machine.bookSnapshot(flags.asset).seq;
    if (flags.fromSeq <= lastSeq) {
      const subscription = machine.subscribe({ assets: [flags.asset], fromSeq: flags.fromSeq });
      for await (const message of subscription) {
        messages.push(message);
        if (messages.length >= flags.limit || message.seq >= lastSeq) break;
      }
      subscription.close();
    }
    return lastSeq;
  });
  const more = messages.length > 0 && messages[messages.length - 1].seq < last;
  const next = more ? { fromSeq: messages[messages.length - 1].seq + 1 } : null;
  if (flags.json) {
    printJson({ asset: flags.asset, lastSeq: last, messages, more, next });
    return ExitCode.OK;
  }
  if (messages.length === 0) {
    printLine(`no feed messages for asset ${flags.asset} from seq ${flags.fromSeq} (its last seq is ${last})`);
    return ExitCode.OK;
  }
  printLine(`asset ${flags.asset}: messages ${formatCount(messages[0].seq)}..${formatCount(messages[messages.length - 1].seq)} of ${formatCount(last)}`);
  for (const m of messages) {
    const events = m.events.map((e) => (e.reason === undefined ? `${e.kind} #${e.orderId}` : `${e.kind} #${e.orderId} ${e.reason}`)).join(', ');
    const levels = m.levels.map((l) => `${l.side} ${l.price}: ${l.size === 0 ? 'gone' : `${formatCount(l.size)} in ${l.orders}`}`).join('; ');
    printLine(`  seq ${m.seq}  height ${m.height}  ${events}  |  ${levels}`);
  }
  if (next !== null) printLine(`more: lobcore feed ${dir} --asset ${flags.asset} --from-seq ${next.fromSeq} --limit ${flags.limit}`);
  return ExitCode.OK;
}
