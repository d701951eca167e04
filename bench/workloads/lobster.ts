// Real NASDAQ order flow (LOBSTER samples, 21 June 2012): AAPL and AMZN message files merged
// by time into one two-asset stream. Type 1 -> a resting limit, 2 -> reduce, 3 -> cancel,
// 4 -> an IOC limit at the executed order's price for the executed size (the aggressor that
// hit it); 5, 6, 7 do not change the visible book and are skipped. Orders resting before
// the file starts are unknown to it: messages about them are skipped.
import { MessageType } from '../../src/lobster/parse.js';
import { readMessageFile } from '../../src/lobster/files.js';
import { samplePath } from '../../src/lobster/samples.js';
import type { MessageColumns } from '../../src/lobster/parse.js';
import { SideCode, TifCode } from '../commands.js';
import { FlowBuilder } from './flow-builder.js';
import type { Workload } from './workload.js';

/** The two sample files of the workload, from the package's data/lobster. */
export const LOBSTER_FILES = [
  { asset: 1, symbol: 'AAPL', sample: 'aaplHourMessages' },
  { asset: 2, symbol: 'AMZN', sample: 'amznDayMessages' },
] as const;

/** LOBSTER does not name traders: each order gets one derived from its id, the aggressors trader 0. */
const traderOf = (lobsterId: number): number => 1 + (lobsterId % 997);
const AGGRESSOR = 0;

export interface LobsterScale {
  /** At most this many messages of the merged feed (0: all). */
  messages: number;
}

export function lobsterWorkload(scale: LobsterScale): Workload {
  const feeds = LOBSTER_FILES.map((f) => {
    const messages = readMessageFile(samplePath(f.sample));
    return { asset: f.asset, messages, tick: tickOf(messages) };
  });
  const flow = new FlowBuilder();
  flow.endPrelude();
  /** LOBSTER order id -> engine order id, per asset. */
  const ids = feeds.map(() => new Map<number, number>());
  const limit = scale.messages > 0 ? scale.messages : Infinity;
  const cursor = feeds.map(() => 0);
  for (let taken = 0; taken < limit; taken++) {
    const f = earliest(feeds.map((feed) => feed.messages), cursor);
    if (f < 0) break;
    const m = feeds[f].messages;
    const i = cursor[f]++;
    const asset = feeds[f].asset;
    const lobsterId = m.orderId[i];
    const side = m.direction[i] === 1 ? SideCode.BID : SideCode.ASK;
    switch (m.type[i]) {
      case MessageType.NEW_LIMIT:
        ids[f].set(lobsterId, flow.limit(traderOf(lobsterId), asset, side, m.price[i] / feeds[f].tick, m.size[i]).orderId);
        break;
      case MessageType.PARTIAL_CANCEL: {
        const id = ids[f].get(lobsterId);
        if (id !== undefined) flow.reduce(id, m.size[i]);
        break;
      }
      case MessageType.DELETE: {
        const id = ids[f].get(lobsterId);
        if (id !== undefined) flow.cancel(id);
        break;
      }
      case MessageType.EXECUTE_VISIBLE: {
        const id = ids[f].get(lobsterId);
        if (id !== undefined && flow.isLive(id)) {
          flow.limit(AGGRESSOR, asset, side === SideCode.BID ? SideCode.ASK : SideCode.BID, m.price[i] / feeds[f].tick, m.size[i], TifCode.IOC);
        }
        break;
      }
      default:
        break;
    }
  }
  const total = feeds.reduce((n, feed) => n + feed.messages.count, 0);
  return flow.finish('lobster',
    `NASDAQ AAPL + AMZN (LOBSTER, 2012-06-21), ${Math.min(total, limit).toLocaleString('en-US')} messages merged by time -> ${flow.written.toLocaleString('en-US')} commands`,
    LOBSTER_FILES.length, 'passes');
}

/**
 * LOBSTER prices are dollars x 10000; where every price is a whole cent, the engines get
 * cents (a tick of $0.01, as the exchange quoted), otherwise the raw unit.
 */
function tickOf(m: MessageColumns): number {
  for (let i = 0; i < m.count; i++) {
    if (m.type[i] !== MessageType.HALT && m.price[i] % 100 !== 0) return 1;
  }
  return 100;
}

/** Index of the feed whose next message is earliest, or -1 when all are consumed. */
function earliest(feeds: MessageColumns[], cursor: number[]): number {
  let best = -1;
  for (let f = 0; f < feeds.length; f++) {
    if (cursor[f] >= feeds[f].count) continue;
    if (best < 0 || feeds[f].time[cursor[f]] < feeds[best].time[cursor[best]]) best = f;
  }
  return best;
}
