// The audit trail on the page: an order's record and lifecycle, a trader's orders and fills.
import type { MarketMachine } from './feed.js';
import type { ServerFrame } from './protocol.js';
import type { OrderEventCursor } from '../types.js';

const OPEN_SHOWN = 50;
const CLOSED_SHOWN = 20;
const FILLS_SHOWN = 30;
/**
 * An order's events a frame carries: some 24 KB of JSON (a fill is about 240 bytes), 1-4 ms of
 * CPU for a page of them (docs/serve.md), and as many rows as a panel shows without scrolling far.
 */
export const EVENTS_SHOWN = 100;

/**
 * An order's trail: its record, its first event (the acceptance: what the order was) and its newest
 * (where it stands), EVENTS_SHOWN in all, oldest first, with how many between them are left out and
 * the cursor of the oldest sent, from which `olderEvents` goes on. A maker filled 50,000 times was
 * one frame of 12 MB, a quarter of a second's CPU to build (docs/serve.md), drawn as 50,000 rows.
 */
export async function auditOrder(machine: MarketMachine, id: number, orderId: unknown): Promise<ServerFrame> {
  const order = await machine.getOrder(orderId as number);
  if (order === undefined) return { type: 'auditOrder', id, orderId: orderId as number, order: null, events: [], left: 0, next: null };
  const [first, newest] = await Promise.all([
    machine.getOrderEventPage(order.orderId, { limit: 1 }),
    machine.getOrderEventPage(order.orderId, { newestFirst: true, limit: EVENTS_SHOWN - 1 }),
  ]);
  const events = newest.events.reverse();
  // The newest reached back to the acceptance: the trail is whole.
  if (!newest.more) return { type: 'auditOrder', id, orderId: order.orderId, order, events, left: 0, next: null };
  const left = (await machine.getOrderEventCount(order.orderId, newest.next)) - 1;
  return { type: 'auditOrder', id, orderId: order.orderId, order, events: [...first.events, ...events], left, next: left > 0 ? newest.next! : null };
}

/**
 * The EVENTS_SHOWN events of an order before the cursor `before` (an auditOrder frame's `next`, or
 * the previous page's), oldest first, stopping short of the acceptance the first frame gave; `next`
 * null once it reached it. By cursor, not offset: fills landing between the asks are newer than
 * every cursor and move nothing. No count comes with it: the events before a cursor never change,
 * so the page counts the first frame's `left` down by each page's events, and a page reads only
 * the blocks it reaches (counting them reads every older block of the order).
 */
export async function olderEvents(machine: MarketMachine, id: number, orderId: unknown, before: OrderEventCursor): Promise<ServerFrame> {
  // One event more than is sent: when it is the acceptance, nothing is left, and `next` says so
  // rather than point at it.
  const page = await machine.getOrderEventPage(orderId as number, { newestFirst: true, after: before, limit: EVENTS_SHOWN + 1 });
  const events = page.events;
  // A page that reached the oldest event ends with the acceptance, which the first frame carried.
  if (!page.more) {
    events.pop();
    return { type: 'auditOrderPage', id, orderId: orderId as number, events: events.reverse(), next: null };
  }
  const dropped = events.pop()!;
  const oldest = events[events.length - 1];
  // The oldest sent is the event after the dropped one: the next in its command, or its command's first.
  const next = oldest.seq === dropped.seq ? { seq: oldest.seq, index: page.next!.index + 1 } : { seq: oldest.seq, index: 0 };
  return { type: 'auditOrderPage', id, orderId: orderId as number, events: events.reverse(), next };
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

