// The audit trail on the page: an order's record and lifecycle, a trader's orders and fills.
import type { RecordedFill } from '../state/index.js';
import type { MarketMachine } from './feed.js';
import type { ServerFrame } from './protocol.js';

const OPEN_SHOWN = 50;
const CLOSED_SHOWN = 20;
const FILLS_SHOWN = 30;
const FILL_PAGE = 1000;
/** Fill pages read to find a trader's newest fills (the history is paged oldest first). */
const MAX_FILL_PAGES = 50;

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
  let kept: RecordedFill[] = [];
  let after = 0;
  for (let page = 0; page < MAX_FILL_PAGES; page++) {
    const fills = await machine.getTraderFills(trader, { after, limit: FILL_PAGE });
    kept = kept.concat(fills).slice(-FILLS_SHOWN);
    if (fills.length < FILL_PAGE) break;
    after = fills[fills.length - 1].fillSeq;
  }
  return kept.reverse();
}
