// The audit trail on the page: an order's record and lifecycle, a trader's orders and fills.
import type { RecordedFill } from '../state/index.js';
import type { MarketMachine } from './feed.js';
import type { ServerFrame } from './protocol.js';

const OPEN_SHOWN = 50;
const CLOSED_SHOWN = 20;
const FILLS_SHOWN = 30;
const FILL_PAGE = 1000;

export async function auditOrder(machine: MarketMachine, id: number, orderId: unknown): Promise<ServerFrame> {
  const order = await machine.getOrder(orderId as number);
  const events = order === undefined ? [] : await machine.getOrderEvents(order.orderId);
  return { type: 'auditOrder', id, orderId: orderId as number, order: order ?? null, events };
}

export async function auditTrader(machine: MarketMachine, id: number, trader: unknown): Promise<ServerFrame> {
  const open = await machine.getTraderOrders(trader as number, { status: 'open', limit: OPEN_SHOWN, newestFirst: true });
  const closed = await machine.getTraderOrders(trader as number, { status: 'closed', limit: CLOSED_SHOWN, newestFirst: true });
  const fills = await newestFills(machine, trader as number);
  return { type: 'auditTrader', id, trader: trader as number, open, closed, fills };
}

/** The trader's newest fills, newest first. */
async function newestFills(machine: MarketMachine, trader: number): Promise<RecordedFill[]> {
  return (await newestBetween(machine, trader, 0, machine.height, FILLS_SHOWN)).reverse();
}

/**
 * The trader's newest `want` fills from `fromHeight` to `toHeight`, oldest first. The history is
 * read oldest first only, so a range with more fills than a page is halved, the newer half first:
 * a few pages a level, however many fills the trader has.
 */
async function newestBetween(machine: MarketMachine, trader: number, fromHeight: number, toHeight: number, want: number): Promise<RecordedFill[]> {
  const fills = await machine.getTraderFills(trader, { fromHeight, toHeight, limit: FILL_PAGE });
  if (fills.length < FILL_PAGE) return fills.slice(-want);
  if (fromHeight === toHeight) return newestOfHeight(machine, trader, fromHeight, fills, want);
  const middle = Math.floor((fromHeight + toHeight) / 2);
  const newer = await newestBetween(machine, trader, middle + 1, toHeight, want);
  if (newer.length >= want) return newer;
  return (await newestBetween(machine, trader, fromHeight, middle, want - newer.length)).concat(newer);
}

/** One height's fills cannot be split further: they are paged through from `firstPage`. */
async function newestOfHeight(machine: MarketMachine, trader: number, height: number, firstPage: RecordedFill[], want: number): Promise<RecordedFill[]> {
  let kept = firstPage.slice(-want);
  for (let fills = firstPage; fills.length === FILL_PAGE;) {
    fills = await machine.getTraderFills(trader, { fromHeight: height, toHeight: height, after: fills[fills.length - 1].fillSeq, limit: FILL_PAGE });
    kept = kept.concat(fills).slice(-want);
  }
  return kept;
}
