// The audit trail on the page: an order's record and lifecycle, a trader's orders and fills.
import type { MarketMachine } from './feed.js';
import type { ServerFrame } from './protocol.js';

const OPEN_SHOWN = 50;
const CLOSED_SHOWN = 20;
const FILLS_SHOWN = 30;

export async function auditOrder(machine: MarketMachine, id: number, orderId: unknown): Promise<ServerFrame> {
  const order = await machine.getOrder(orderId as number);
  const events = order === undefined ? [] : await machine.getOrderEvents(order.orderId);
  return { type: 'auditOrder', id, orderId: orderId as number, order: order ?? null, events };
}

export async function auditTrader(machine: MarketMachine, id: number, trader: unknown): Promise<ServerFrame> {
  // One more than is shown tells the page there are more: it showed the length as the trader's count.
  const open = await machine.getTraderOrders(trader as number, { status: 'open', limit: OPEN_SHOWN + 1, newestFirst: true });
  const moreOpen = open.length > OPEN_SHOWN;
  if (moreOpen) open.length = OPEN_SHOWN;
  const closed = await machine.getTraderOrders(trader as number, { status: 'closed', limit: CLOSED_SHOWN, newestFirst: true });
  const fills = await machine.getTraderFills(trader as number, { newestFirst: true, limit: FILLS_SHOWN });
  return { type: 'auditTrader', id, trader: trader as number, open, moreOpen, closed, fills };
}

