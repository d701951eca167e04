// The demo's proof: rebuild the flow in memory up to the height the database recovered to and
// compare the two state machines, then drive both on to the end of the flow and compare again.
import { isDeepStrictEqual } from 'node:util';
import { DemoOrderFlow, TRADERS, type OrderEntry } from './demo-flow.js';
import type { DemoFlowFlags } from './demo-options.js';
import { openStateMachine, type CoreStateMachine } from './database.js';
import type { PhaseProgress } from './progress.js';
import type { FeedMessage, Level, OrderRecord } from '../types.js';

export interface FillHistoryCheck {
  /** Fills recorded by each machine (the next fill sequence minus one). */
  recovered: number;
  replayed: number;
  /** Whether every trader's whole fill history, fill sequence and height included, is the same. */
  equal: boolean;
}

/** A fresh in-memory machine fed the seeded flow up to `height`, and the flow, ready for more. */
export async function replayInMemory(
  flags: DemoFlowFlags, height: number, progress: PhaseProgress,
): Promise<{ machine: CoreStateMachine; flow: DemoOrderFlow }> {
  const machine = await openStateMachine({ backend: flags.backend });
  const flow = new DemoOrderFlow(flags);
  for (let block = 1; block <= height; block++) {
    machine.setHeight(block);
    flow.runBlock(block, machine);
    progress.update(block);
  }
  return { machine, flow };
}

/**
 * Heights a pass of the fill comparison covers: every trader's fills in them are read before the
 * next, so the blocks they span stay in the history's cache for all 200 traders (at 100 orders a
 * height, 256 heights of blocks take about 15 MB of its 32). A pass per trader over the whole
 * history read every block again for each trader (docs/storage.md round 15).
 */
const HEIGHTS_A_PASS = 256;

export async function compareFillHistory(recovered: CoreStateMachine, replayed: CoreStateMachine): Promise<FillHistoryCheck> {
  const check = { recovered: recovered.nextFillSeq - 1, replayed: replayed.nextFillSeq - 1, equal: true };
  if (check.recovered !== check.replayed) return { ...check, equal: false };
  // Every fill has two traders, so this reads each fill twice: fine at demo sizes.
  const limit = check.recovered + 1;
  let compared = 0;
  for (let fromHeight = 0; fromHeight <= recovered.height && check.equal; fromHeight += HEIGHTS_A_PASS) {
    const heights = { fromHeight, toHeight: fromHeight + HEIGHTS_A_PASS - 1, limit };
    for (let trader = 0; trader < TRADERS && check.equal; trader++) {
      const onDisk = await recovered.getTraderFills(trader, heights);
      const inMemory = await replayed.getTraderFills(trader, heights);
      // Not a hot path: a structural comparison through JSON is the clearest one.
      check.equal = JSON.stringify(onDisk) === JSON.stringify(inMemory);
      compared += onDisk.length;
    }
  }
  // Each fill once as its maker's and once as its taker's (twice when one trader was both).
  if (compared < check.recovered) check.equal = false;
  return check;
}

/** One order's audit trail, looked up on both machines. */
export interface AuditedOrder {
  orderId: number;
  trader: number;
  /** When what it was picked for happened: its removal, its trigger. */
  height: number;
  /** Whether its record and every event of its life are the same recovered and replayed. */
  equal: boolean;
}

export interface AuditCheck {
  /** An order that self-trade prevention took off the book later than it was placed; null if the flow had none. */
  removed: AuditedOrder | null;
  /** A stop that triggered later than it was placed, a leg of an OCO pair if there is one; null if none did. */
  triggered: AuditedOrder | null;
  equal: boolean;
}

/**
 * Finds, in the replay, an order removed by self-trade prevention and a stop that triggered
 * (preferably one of an OCO pair), and compares their audit trails on both machines.
 */
export async function compareAuditTrail(recovered: CoreStateMachine, replayed: CoreStateMachine): Promise<AuditCheck> {
  let removed: OrderRecord | undefined;
  let triggered: OrderRecord | undefined;
  for (let trader = 0; trader < TRADERS && (removed === undefined || triggered?.ocoSiblingId === undefined); trader++) {
    const orders = await replayed.getTraderOrders(trader, { limit: 1_000 });
    removed ??= orders.find((order) => order.reason === 'SELF_TRADE' && order.remaining === 0 && order.closedHeight !== order.placedHeight);
    const stops = orders.filter((order) => order.triggeredHeight !== undefined && order.triggeredHeight !== order.placedHeight);
    if (triggered?.ocoSiblingId === undefined) triggered = stops.find((order) => order.ocoSiblingId !== undefined) ?? triggered ?? stops[0];
  }
  const audited = async (order: OrderRecord | undefined, height: number | undefined): Promise<AuditedOrder | null> => order === undefined ? null : {
    orderId: order.orderId,
    trader: order.trader,
    height: height as number,
    equal: isDeepStrictEqual(await recovered.getOrder(order.orderId), order) &&
      isDeepStrictEqual(await recovered.getOrderEvents(order.orderId), await replayed.getOrderEvents(order.orderId)),
  };
  const check = { removed: await audited(removed, removed?.closedHeight), triggered: await audited(triggered, triggered?.triggeredHeight) };
  return { ...check, equal: (check.removed?.equal ?? true) && (check.triggered?.equal ?? true) };
}

export interface FeedCheck {
  /** Messages the subscriber applied. */
  messages: number;
  assets: number;
  /** Whether its books, kept from snapshots and messages, equal the engine's at the end. */
  equal: boolean;
}

/**
 * A market-data subscriber on a machine: a snapshot of each asset's book, then every message after
 * it, as a client keeps an L2 copy. finish() waits for the messages of the last flush and compares.
 */
export function followFeed(machine: CoreStateMachine, assets: number[]): { finish(): Promise<FeedCheck> } {
  const ALL = Number.MAX_SAFE_INTEGER;
  const books = new Map(assets.map((asset) => {
    const snapshot = machine.bookSnapshot(asset, ALL);
    const sides = [new Map(snapshot.bids.map((l) => [l.price, l])), new Map(snapshot.asks.map((l) => [l.price, l]))];
    return [asset, { seq: snapshot.seq, sides }];
  }));
  let messages = 0;
  let gap = false;
  const subscription = machine.subscribe({ assets, maxBuffered: ALL });
  const apply = (message: FeedMessage): void => {
    const book = books.get(message.asset)!;
    if (message.seq <= book.seq) return;
    if (message.seq !== book.seq + 1) gap = true;
    book.seq = message.seq;
    messages++;
    for (const level of message.levels) {
      const side = book.sides[level.side === 'bid' ? 0 : 1];
      if (level.size === 0) side.delete(level.price);
      else side.set(level.price, { price: level.price, size: level.size, orders: level.orders });
    }
  };
  const reading = (async () => {
    for await (const message of subscription) apply(message);
  })();
  return {
    async finish(): Promise<FeedCheck> {
      await machine.flush();
      // The flush hands the feed every message it covers before it resolves (a commit's followers
      // come before its waiters), so once the reader has emptied the queue nothing more is coming:
      // a book short of the engine's sequence then lost a message. Waiting for that sequence
      // instead waited forever when the feed lost the last block's messages.
      do {
        await new Promise((resolve) => setImmediate(resolve));
      } while (subscription.buffered > 0);
      const behind = assets.some((asset) => books.get(asset)!.seq < machine.bookSnapshot(asset).seq);
      subscription.close();
      await reading;
      const sorted = (side: Map<number, Level>, descending: boolean): Level[] =>
        [...side.values()].sort((a, b) => (descending ? b.price - a.price : a.price - b.price));
      const equal = !gap && !behind && assets.every((asset) => {
        const book = books.get(asset)!;
        return isDeepStrictEqual({ bids: sorted(book.sides[0], true), asks: sorted(book.sides[1], false) }, machine.depth(asset, ALL));
      });
      return { messages, assets: assets.length, equal };
    },
  };
}

/** Sends every command to both machines; the flow follows the first one's answers. */
function bothMachines(primary: CoreStateMachine, secondary: CoreStateMachine): OrderEntry {
  return {
    placeLimitOrder: (req) => { secondary.placeLimitOrder(req); return primary.placeLimitOrder(req); },
    placeMarketOrder: (req) => { secondary.placeMarketOrder(req); return primary.placeMarketOrder(req); },
    placeStopOrder: (req) => { secondary.placeStopOrder(req); return primary.placeStopOrder(req); },
    placeOcoOrder: (req) => { secondary.placeOcoOrder(req); return primary.placeOcoOrder(req); },
    cancelOrder: (req) => { secondary.cancelOrder(req); return primary.cancelOrder(req); },
    reduceOrder: (req) => { secondary.reduceOrder(req); return primary.reduceOrder(req); },
    modifyOrder: (req) => { secondary.modifyOrder(req); return primary.modifyOrder(req); },
  };
}

/**
 * Carries the flow on from the recovered height to its last block on both machines, the one on
 * disk flushing every block and checkpointing on the writer's schedule.
 */
export async function resumeBoth(
  recovered: CoreStateMachine, replayed: CoreStateMachine, flow: DemoOrderFlow,
  flags: DemoFlowFlags, progress: PhaseProgress,
): Promise<void> {
  const both = bothMachines(recovered, replayed);
  const fromHeight = recovered.height;
  for (let block = fromHeight + 1; block <= flags.blocks; block++) {
    recovered.setHeight(block);
    replayed.setHeight(block);
    flow.runBlock(block, both);
    await recovered.flush();
    if (block % flags.checkpointEvery === 0) await recovered.checkpoint();
    progress.update(block - fromHeight);
  }
}
