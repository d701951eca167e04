// lobcore's stop, stop-limit and OCO orders beside nodejs-order-book's (npm, v10.1.1), command for
// command, on both lobcore backends. docs/stops-vs-nodejs-order-book.md says the same at length.
//
// WHERE THEY AGREE (asserted below: after every command both books hold the same resting orders
// in the same queue order, the same pending stops, the same last trade price, and the command
// triggered the same stops):
// - The trigger price is the price of the asset's most recent fill (nob: OrderBook.processQueue
//   sets _marketPrice to each maker's price), the triggered orders' own fills included.
// - A buy stop triggers at or above its stop price, a sell stop at or below; a stop whose
//   condition already holds at placement is refused (lobcore WOULD_TRIGGER, nob
//   INVALID_CONDITIONAL_ORDER from StopBook.validConditionalOrder), once the asset has traded.
// - A triggered stop-market enters as a market order and a stop-limit as a limit order, and
//   their trades trigger more: cascades run to their end within the command.
// - OCO: a limit leg and a stop-limit leg of one size; a fill of the limit leg, whole or in part,
//   removes the stop leg (nob: processQueue, via the maker's ocoStopPrice); the stop leg
//   triggering removes the limit leg (executeConditionalOrder, isOCO); cancelling the pair
//   through its limit leg removes both (_cancelOrder).
// That holds on flows that keep bids at or below the last trade price and asks at or above it
// (passive quotes, market orders as takers, stop-limits priced at their stop price), where a
// command triggers one stop, or only stop-markets (whose order does not change the book).
//
// WHERE THEY DIFFER (each pinned by a test in "where they differ"):
// 1. Before the first trade: lobcore lets any stop wait; nob's market price starts at 0, so
//    validConditionalOrder refuses every sell stop and validateOCOOrder every OCO pair.
// 2. Which trades trigger: lobcore checks both sides after any command that traded; nob checks
//    only the stops on the taker's side (executeConditionalOrder(side, ...) in _market and
//    createLimitOrder), so a buy that trades down through a sell stop does not trigger it.
// 3. Trigger window: nob triggers the stops between the price before and after the taker's
//    command (StopSide.between, inclusive), and does so after every limit or market command,
//    traded or not; a buy stop whose price a sell reached stays pending until the next buy
//    command, which then triggers it even if it trades nothing.
// 4. Order: lobcore enters the nearest stop first (buys ascending, sells descending, placement
//    order at equal prices, buys before sells), one at a time, re-reading the last price after
//    each. nob takes every stop in the window off the stop book, farthest first (StopSide's
//    price tree), and enters them in that order, each one's own triggers running depth first.
// 5. Timing: lobcore triggers after the command has finished, its rest resting; nob triggers
//    inside createLimitOrder before the taker's rest is appended, so a triggered stop-limit at
//    the same price queues ahead of the order that triggered it.
// 6. An IOC taker that triggers a stop: nob's triggered orders write their quantityLeft into
//    the taker's response (shared in executeConditionalOrder), and createLimitOrder then keeps
//    the IOC's rest on the book when the triggered order's quantityLeft is 0. lobcore cancels it.
// 7. Stop-limit prices: nob requires a buy's stop price at or below its limit price and a
//    sell's at or above (validConditionalOrder); lobcore takes any limit price.
// 8. Cancel: nob cannot cancel (or reduce) a pending stop; OrderBook.cancel looks only at
//    resting orders. lobcore lets the owner cancel or reduce one.
// 9. OCO: nob gives both legs one id and always a stop-limit leg (stopLimitPrice required), and
//    requires price < last < stopPrice for a buy (validateOCOOrder); lobcore gives ids N and
//    N + 1, allows a stop-market leg, and a limit leg at or through the last price (it may take
//    at placement). A limit leg that takes at placement removes lobcore's stop leg; nob's _oco
//    adds the stop leg anyway.
// 10. Snapshots: nob's snapshot() has no market price and its restore leaves it 0, and an OCO
//    limit leg comes back without its link (LimitOrder.toObject has no ocoStopPrice); lobcore's
//    snapshot keeps the last trade price and both legs' link.
import { describe, expect, it } from 'vitest';
import type { OrderBook } from 'nodejs-order-book/dist/types/orderbook.js';
import type { IProcessOrder } from 'nodejs-order-book/dist/types/types.js';
import { loadOrderBook } from '../bench/engines/nodejs-order-book.js';
import type { Engine } from '../src/engine.js';
import { Prng } from '../src/prng.js';
import type { BookEvent, OrderResult, Side } from '../src/types.js';
import { describeEachBackend, newEngine } from './helpers/backends.js';

const OrderBookClass = loadOrderBook();
const ASSET = 1;
type NobSide = Parameters<OrderBook['market']>[0]['side'];
const NOB_SIDE: Record<Side, NobSide> = { bid: 'buy' as NobSide, ask: 'sell' as NobSide };

/** One command sent to both engines: lobcore's result, its events, and nob's result. */
interface Outcome {
  lob: OrderResult;
  events: BookEvent[];
  nob: IProcessOrder;
}

/**
 * The two engines side by side on one asset. Ids: nob takes the id lobcore assigns (a string);
 * an OCO pair is N and N + 1 in lobcore, N for both legs in nob.
 */
class Pair {
  readonly nob: OrderBook = new OrderBookClass();
  /** lobcore's last trade price, read from its fills (it has no getter for it). */
  last = 0;
  /** lobcore ids of OCO stop legs (N + 1): nob knows them as N. */
  readonly ocoStopLegs = new Set<number>();

  constructor(readonly lob: Engine) {}

  limit(trader: number, side: Side, price: number, size: number, timeInForce: 'GTC' | 'IOC' = 'GTC'): Outcome {
    const id = String(this.lob.nextOrderId);
    return this.both(
      () => this.lob.placeLimit({ trader, asset: ASSET, side, price, size, timestamp: 1, timeInForce }),
      () => this.nob.limit({ id, side: NOB_SIDE[side], price, size, ...(timeInForce === 'IOC' ? { timeInForce: 'IOC' as never } : {}) }),
    );
  }

  market(trader: number, side: Side, size: number): Outcome {
    return this.both(
      () => this.lob.placeMarket({ trader, asset: ASSET, side, size, timestamp: 1 }),
      () => this.nob.market({ side: NOB_SIDE[side], size }),
    );
  }

  stopMarket(trader: number, side: Side, size: number, stopPrice: number): Outcome {
    const id = String(this.lob.nextOrderId);
    return this.both(
      () => this.lob.placeStop({ trader, asset: ASSET, side, size, stopPrice, timestamp: 1 }),
      () => this.nob.stopMarket({ id, side: NOB_SIDE[side], size, stopPrice }),
    );
  }

  stopLimit(trader: number, side: Side, size: number, stopPrice: number, price: number): Outcome {
    const id = String(this.lob.nextOrderId);
    return this.both(
      () => this.lob.placeStop({ trader, asset: ASSET, side, size, stopPrice, price, timestamp: 1 }),
      () => this.nob.stopLimit({ id, side: NOB_SIDE[side], size, stopPrice, price }),
    );
  }

  /** An OCO pair whose stop leg is a stop-limit at `stopLimitPrice` (nob has no stop-market leg). */
  oco(trader: number, side: Side, size: number, price: number, stopPrice: number, stopLimitPrice: number): Outcome {
    const id = String(this.lob.nextOrderId);
    const outcome = this.both(
      () => this.lob.placeOco({ trader, asset: ASSET, side, size, price, stopPrice, stopLimitPrice, timestamp: 1 }),
      () => this.nob.oco({ id, side: NOB_SIDE[side], size, price, stopPrice, stopLimitPrice }),
    );
    if (outcome.lob.stopOrderId !== undefined) this.ocoStopLegs.add(outcome.lob.stopOrderId);
    return outcome;
  }

  /** The id nob knows a lobcore order by. */
  nobId(lobId: number): number {
    return this.ocoStopLegs.has(lobId) ? lobId - 1 : lobId;
  }

  cancel(trader: number, orderId: number): { lob: boolean; nob: boolean } {
    return { lob: this.lob.cancel({ trader, asset: ASSET, orderId }).ok, nob: this.nob.cancel(String(this.nobId(orderId))) !== undefined };
  }

  private both(lob: () => OrderResult, nob: () => IProcessOrder): Outcome {
    const result = lob();
    const events = this.lob.events.toArray();
    if (result.fills.length > 0) this.last = result.fills[result.fills.length - 1].price;
    return { lob: result, events, nob: nob() };
  }
}

/**
 * A book in words both engines can be read into: resting orders best first per side, each level
 * in queue order (`bid 99 #3 5` = order 3 resting at 99 with 5 left), then the pending stops by
 * id (`stop bid 105 #7 2 stop_market`, an OCO's stop leg under its pair's nob id), then the last price.
 */
function lobBook(pair: Pair): string[] {
  const lines: string[] = [];
  const stops: [number, string][] = [];
  for (const o of pair.lob.orders(ASSET)) {
    if (o.status !== 'pending') {
      // A triggered OCO stop leg rests under its own id; nob gave it the pair's.
      lines.push(`${o.side} ${o.price} #${pair.nobId(o.orderId)} ${o.remaining}`);
    } else {
      const id = pair.nobId(o.orderId);
      stops.push([id, `stop ${o.side} ${o.stopPrice} #${id} ${o.remaining} ${o.type}`]);
    }
  }
  return [...lines, ...stops.sort((a, b) => a[0] - b[0]).map((s) => s[1]), `last ${pair.last}`];
}

function nobBook(pair: Pair): string[] {
  const snapshot = pair.nob.snapshot();
  const lines: string[] = [];
  const sides = [['bid', [...snapshot.bids].sort((a, b) => b.price - a.price)], ['ask', [...snapshot.asks].sort((a, b) => a.price - b.price)]] as const;
  for (const [side, levels] of sides) {
    for (const level of levels) for (const o of level.orders) lines.push(`${side} ${level.price} #${o.id} ${o.size}`);
  }
  const stops: [number, string][] = [];
  for (const [side, levels] of [['bid', snapshot.stopBook.bids], ['ask', snapshot.stopBook.asks]] as const) {
    for (const level of levels) {
      for (const o of level.orders) stops.push([Number(o.id), `stop ${side} ${o.stopPrice} #${o.id} ${o.size} ${o.type}`]);
    }
  }
  return [...lines, ...stops.sort((a, b) => a[0] - b[0]).map((s) => s[1]), `last ${pair.nob.marketPrice}`];
}

/** The stops a command triggered, in lobcore (by nob id) and in nob, as sorted id lists. */
function triggered(pair: Pair, outcome: Outcome): { lob: number[]; nob: number[] } {
  const lob = outcome.events.filter((e) => e.kind === 'triggered').map((e) => pair.nobId(e.orderId));
  const nob = outcome.nob.activated.map((o) => Number(o.id));
  return { lob: lob.sort((a, b) => a - b), nob: nob.sort((a, b) => a - b) };
}

async function openedPair(backend: Parameters<typeof newEngine>[0], price = 100): Promise<Pair> {
  const pair = new Pair(await newEngine(backend));
  // The asset's first trade, so both have a last price (difference 1).
  pair.limit(1, 'ask', price, 1);
  pair.limit(2, 'bid', price, 1);
  return pair;
}

function expectSameBooks(pair: Pair, context = ''): void {
  expect(nobBook(pair), context).toEqual(lobBook(pair));
}

describeEachBackend('nodejs-order-book: where the semantics agree', (backend) => {
  it('a buy stop-market triggers at its stop price, a sell stop-market at its own, and both books agree', async () => {
    const pair = await openedPair(backend);
    for (const p of [101, 102, 103]) pair.limit(3, 'ask', p, 2);
    for (const p of [99, 98, 97]) pair.limit(4, 'bid', p, 2);
    pair.stopMarket(5, 'bid', 3, 102);
    pair.stopMarket(6, 'ask', 3, 98);
    expectSameBooks(pair);
    const up = pair.market(7, 'bid', 2); // takes 101: not yet
    expect(triggered(pair, up)).toEqual({ lob: [], nob: [] });
    const atStop = pair.market(7, 'bid', 1); // trades at 102: at the stop price, triggers
    expect(triggered(pair, atStop)).toEqual({ lob: [9], nob: [9] });
    expectSameBooks(pair);
    const down = pair.market(8, 'ask', 4); // 99, 99, 98: the last at 98 triggers the sell stop
    expect(triggered(pair, down)).toEqual({ lob: [10], nob: [10] });
    expectSameBooks(pair);
  });

  it('refuses a stop whose condition already holds, once the asset has traded', async () => {
    const pair = await openedPair(backend);
    const buy = pair.stopMarket(3, 'bid', 1, 100);
    const sell = pair.stopLimit(3, 'ask', 1, 100, 100);
    expect([buy.lob.reason, sell.lob.reason]).toEqual(['WOULD_TRIGGER', 'WOULD_TRIGGER']);
    expect([buy.nob.err?.message, sell.nob.err?.message]).toEqual([expect.stringContaining('Stop-Limit Order'), expect.stringContaining('Stop-Limit Order')]);
    expectSameBooks(pair);
  });

  it('a triggered stop-limit rests at its price when it cannot fill there', async () => {
    const pair = await openedPair(backend);
    pair.limit(3, 'ask', 101, 1);
    pair.limit(3, 'ask', 103, 5);
    pair.stopLimit(4, 'bid', 4, 101, 101);
    const trade = pair.market(5, 'bid', 1);
    expect(triggered(pair, trade)).toEqual({ lob: [5], nob: [5] });
    expectSameBooks(pair);
    expect(pair.lob.order(5)).toMatchObject({ side: 'bid', price: 101, remaining: 4 });
  });

  it('a chain of stop-markets cascades within one command', async () => {
    const pair = await openedPair(backend);
    for (let p = 101; p <= 106; p++) pair.limit(3, 'ask', p, 1);
    for (let stop = 101; stop <= 104; stop++) pair.stopMarket(4, 'bid', 1, stop); // each takes the next level
    const first = pair.market(5, 'bid', 1);
    expect(triggered(pair, first)).toEqual({ lob: [9, 10, 11, 12], nob: [9, 10, 11, 12] });
    expectSameBooks(pair);
    expect(pair.last).toBe(105);
  });

  it('stop-markets triggered together leave the same book, whatever order each engine enters them in', async () => {
    const pair = await openedPair(backend);
    for (let p = 101; p <= 110; p++) pair.limit(3, 'ask', p, 3);
    pair.stopMarket(4, 'bid', 5, 103);
    pair.stopMarket(5, 'bid', 2, 101);
    pair.stopMarket(6, 'bid', 4, 102);
    pair.stopMarket(7, 'bid', 1, 107);
    const sweep = pair.market(8, 'bid', 9);
    expect(triggered(pair, sweep).lob).toEqual(triggered(pair, sweep).nob);
    expectSameBooks(pair);
  });

  describe('OCO', () => {
    it('a fill of the limit leg, whole or in part, removes the stop leg', async () => {
      const pair = await openedPair(backend);
      const placed = pair.oco(3, 'ask', 4, 105, 95, 95);
      expect([placed.lob.status, placed.lob.stopStatus, placed.nob.err]).toEqual(['resting', 'pending', null]);
      expectSameBooks(pair);
      pair.market(4, 'bid', 1);
      expectSameBooks(pair);
      expect(pair.lob.pendingStops).toBe(0);
      pair.market(4, 'bid', 3);
      expectSameBooks(pair);
    });

    it('the stop leg triggering removes the limit leg', async () => {
      const pair = await openedPair(backend);
      pair.oco(3, 'bid', 2, 95, 103, 103);
      pair.limit(4, 'ask', 103, 5);
      const trade = pair.market(5, 'bid', 1);
      expect(triggered(pair, trade)).toEqual({ lob: [3], nob: [3] });
      expectSameBooks(pair);
      expect(pair.lob.orders(ASSET).map((o) => o.orderId)).toEqual([5]);
    });

    it('cancelling the limit leg cancels the pair', async () => {
      const pair = await openedPair(backend);
      pair.oco(3, 'ask', 2, 104, 97, 97);
      expect(pair.cancel(3, 3)).toEqual({ lob: true, nob: true });
      expectSameBooks(pair);
      expect(pair.lob.orders(ASSET)).toEqual([]);
    });
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('a random flow (seed %i) of quotes, market orders, stops and OCO pairs keeps the books equal after every command', async (seed) => {
    const pair = await openedPair(backend, 1000);
    const flow = new AgreeingFlow(pair, new Prng(seed));
    for (let step = 0; step < 400; step++) {
      const { description, outcome } = flow.next();
      const context = `seed ${seed}, step ${step}: ${description}`;
      if (outcome !== undefined) {
        expect(outcome.nob.err === null, context).toBe(outcome.lob.status !== 'rejected');
        const fired = triggered(pair, outcome);
        expect(fired.nob, context).toEqual(fired.lob);
      }
      expectSameBooks(pair, context);
    }
    // The flow reached what it is for: stops of both kinds triggered, cascades, OCO legs removed by their sibling.
    for (const count of [flow.triggeredStops, flow.triggeredStopLimits, flow.cascades, flow.ocoSiblingRemovals]) expect(count).toBeGreaterThan(0);
  });
});

/**
 * Commands inside the domain where the two engines agree: passive quotes on the right side of
 * the last trade price, market orders as the only takers, stops a few ticks beyond the last
 * price, cancels of resting orders. Quotes sit on even prices, buy stop-limits (and OCO stop
 * legs) on prices 1 mod 4 and sell stop-limits on 3 mod 4, each a limit at its stop price: a
 * triggered stop-limit then never meets a maker at its price and rests, so the order in which
 * each engine enters the stops of one command (difference 4) cannot change the book.
 */
class AgreeingFlow {
  /** What the flow exercised: stops triggered (of them stop-limits), commands that triggered more than one, OCO legs removed by their sibling. */
  triggeredStops = 0;
  triggeredStopLimits = 0;
  cascades = 0;
  ocoSiblingRemovals = 0;

  constructor(private readonly pair: Pair, private readonly prng: Prng) {}

  next(): { description: string; outcome?: Outcome } {
    const { pair, prng } = this;
    const lob = pair.lob;
    const last = pair.last;
    const side: Side = prng.chance(0.5) ? 'bid' : 'ask';
    const trader = 1 + prng.below(6);
    const size = prng.between(1, 6);
    const draw = prng.next();
    const bestBid = lob.bestBid(ASSET)?.price;
    const bestAsk = lob.bestAsk(ASSET)?.price;
    if (draw < 0.3) {
      // A bid at or below the last price and below the best ask; an ask at or above, above the best bid.
      const behind = prng.geometric(0.5);
      const price = side === 'bid'
        ? evenAtOrBelow(Math.min(last, (bestAsk ?? last + 1) - 1) - behind)
        : evenAtOrAbove(Math.max(last, (bestBid ?? last - 1) + 1) + behind);
      return { description: `limit ${side} ${price} x${size}`, outcome: pair.limit(trader, side, price, size) };
    }
    if (draw < 0.45) {
      const resting = lob.orders(ASSET).filter((o) => o.status !== 'pending');
      if (resting.length === 0) return { description: 'nothing to cancel' };
      const order = resting[prng.below(resting.length)];
      const cancelled = pair.cancel(order.trader, order.orderId);
      expect(cancelled, `cancel #${order.orderId}`).toEqual({ lob: true, nob: true });
      return { description: `cancel #${order.orderId}` };
    }
    if (draw < 0.7) {
      const lots = prng.chance(0.3) ? prng.between(10, 40) : size;
      const outcome = pair.market(trader, side, lots);
      const fired = outcome.events.filter((e) => e.kind === 'triggered');
      this.triggeredStops += fired.length;
      this.triggeredStopLimits += fired.filter((e) => e.type === 'stop_limit').length;
      if (fired.length > 1) this.cascades++;
      this.ocoSiblingRemovals += outcome.events.filter((e) => e.reason === 'OCO_SIBLING').length;
      return { description: `market ${side} x${lots}`, outcome };
    }
    const stopLimitPrice = side === 'bid' ? beyond(last, 1, 1) + 4 * prng.below(2) : beyond(last, 3, -1) - 4 * prng.below(2);
    if (draw < 0.82) {
      const stopPrice = side === 'bid' ? last + 1 + prng.below(3) : last - 1 - prng.below(3);
      return { description: `stop-market ${side} at ${stopPrice} x${size}`, outcome: pair.stopMarket(trader, side, size, stopPrice) };
    }
    if (draw < 0.92) {
      return { description: `stop-limit ${side} at ${stopLimitPrice} x${size}`, outcome: pair.stopLimit(trader, side, size, stopLimitPrice, stopLimitPrice) };
    }
    // An OCO pair: a buy's limit leg below the last price, its stop above; a sell's the other way.
    const price = side === 'bid'
      ? evenAtOrBelow(Math.min(last, bestAsk ?? last) - 1 - prng.below(2))
      : evenAtOrAbove(Math.max(last, bestBid ?? last) + 1 + prng.below(2));
    return {
      description: `oco ${side} ${price} stop ${stopLimitPrice} x${size}`,
      outcome: pair.oco(trader, side, size, price, stopLimitPrice, stopLimitPrice),
    };
  }
}

const evenAtOrBelow = (price: number): number => price - (price % 2);
const evenAtOrAbove = (price: number): number => price + (price % 2);

/** The nearest price beyond `last` (above for direction 1, below for -1) that is `residue` mod 4. */
function beyond(last: number, residue: number, direction: 1 | -1): number {
  let price = last + direction;
  while (price % 4 !== residue) price += direction;
  return price;
}

describeEachBackend('nodejs-order-book: where they differ', (backend) => {
  it('1. before the first trade: lobcore lets a sell stop and an OCO pair wait, nob refuses them', async () => {
    const pair = new Pair(await newEngine(backend));
    const buy = pair.stopMarket(1, 'bid', 1, 90);
    const sell = pair.stopMarket(1, 'ask', 1, 90);
    const oco = pair.oco(1, 'bid', 1, 80, 95, 95);
    expect([buy.lob.status, sell.lob.status, oco.lob.status]).toEqual(['pending', 'pending', 'resting']);
    expect([buy.nob.err, sell.nob.err?.message.slice(0, 16), oco.nob.err?.message.slice(0, 16)]).toEqual([null, 'Stop-Limit Order', 'Stop-Limit Order']);
  });

  it('2. a buy that trades down through a sell stop triggers it in lobcore, not in nob', async () => {
    const pair = await openedPair(backend);
    pair.stopMarket(3, 'ask', 1, 98); // #3
    pair.limit(4, 'bid', 90, 5);
    pair.limit(5, 'ask', 97, 1); // below the last price
    const buy = pair.market(6, 'bid', 1); // trades at 97 <= 98
    expect(triggered(pair, buy)).toEqual({ lob: [3], nob: [] });
    expect(pair.lob.pendingStops).toBe(0);
    expect(nobBook(pair)).toContain('stop ask 98 #3 1 stop_market');
  });

  it('3. nob triggers a buy stop the price reached through a sell only at the next buy command, even one that trades nothing', async () => {
    const pair = await openedPair(backend);
    pair.stopMarket(3, 'bid', 1, 102); // #3
    pair.limit(4, 'ask', 105, 5); // #4
    pair.limit(5, 'bid', 102, 1); // #5: a bid above the last price
    const sell = pair.market(6, 'ask', 1); // trades at 102: lobcore triggers #3 at once, and it buys at 105
    expect(triggered(pair, sell)).toEqual({ lob: [3], nob: [] });
    const quote = pair.limit(7, 'bid', 90, 1); // a passive bid: now nob triggers #3
    expect(triggered(pair, quote)).toEqual({ lob: [], nob: [3] });
    expectSameBooks(pair);
  });

  it('4. several stops at once: lobcore enters the nearest first, nob the farthest', async () => {
    const pair = await openedPair(backend);
    pair.limit(3, 'ask', 102, 1); // #3
    pair.limit(3, 'ask', 103, 1); // #4: room for one of the two stop-limits
    pair.stopLimit(4, 'bid', 1, 101, 103); // #5
    pair.stopLimit(5, 'bid', 1, 102, 103); // #6
    const trade = pair.market(6, 'bid', 1); // trades at 102: both trigger
    expect(triggered(pair, trade)).toEqual({ lob: [5, 6], nob: [5, 6] });
    expect(trade.events.filter((e) => e.kind === 'triggered').map((e) => e.orderId)).toEqual([5, 6]);
    expect(trade.nob.activated.map((o) => o.id)).toEqual(['6', '5']);
    // #5 took #4 in lobcore and #6 rests; the other way round in nob.
    expect(lobBook(pair).filter((l) => l.startsWith('bid'))).toEqual(['bid 103 #6 1']);
    expect(nobBook(pair).filter((l) => l.startsWith('bid'))).toEqual(['bid 103 #5 1']);
  });

  it('5. a limit order that triggers a stop: lobcore rests the taker first, nob the triggered stop-limit', async () => {
    const pair = await openedPair(backend);
    pair.limit(3, 'ask', 105, 1); // #3
    pair.stopLimit(4, 'bid', 1, 105, 105); // #4
    pair.limit(5, 'bid', 105, 3); // #5 takes #3 at 105 and rests 2; #4 triggers and rests
    expect(lobBook(pair).filter((l) => l.startsWith('bid'))).toEqual(['bid 105 #5 2', 'bid 105 #4 1']);
    expect(nobBook(pair).filter((l) => l.startsWith('bid'))).toEqual(['bid 105 #4 1', 'bid 105 #5 2']);
  });

  it('6. an IOC limit that triggers a stop: lobcore cancels its rest, nob leaves it on the book', async () => {
    const pair = await openedPair(backend);
    pair.limit(3, 'ask', 101, 1); // #3
    pair.limit(3, 'ask', 105, 5); // #4
    pair.stopMarket(4, 'bid', 1, 101); // #5
    const ioc = pair.limit(5, 'bid', 101, 3, 'IOC'); // #6 takes #3; #5 triggers and buys at 105
    expect(ioc.lob).toMatchObject({ status: 'cancelled', filled: 1 });
    expect(ioc.nob.quantityLeft).toBe(0); // #5's, not the IOC's 2
    expect(lobBook(pair).filter((l) => l.startsWith('bid'))).toEqual([]);
    expect(nobBook(pair).filter((l) => l.startsWith('bid'))).toEqual(['bid 101 #6 2']);
  });

  it('7. a buy stop-limit priced below its stop price: lobcore takes it, nob refuses it', async () => {
    const pair = await openedPair(backend);
    const buy = pair.stopLimit(3, 'bid', 1, 105, 104);
    const sell = pair.stopLimit(3, 'ask', 1, 95, 96);
    expect([buy.lob.status, sell.lob.status]).toEqual(['pending', 'pending']);
    expect([buy.nob.err?.code, sell.nob.err?.code]).toEqual([1108, 1108]);
  });

  it('8. a pending stop: its owner cancels it in lobcore; nob cannot find it', async () => {
    const pair = await openedPair(backend);
    pair.stopLimit(3, 'bid', 2, 105, 106); // #3
    expect(pair.cancel(3, 3)).toEqual({ lob: true, nob: false });
    expect(lobBook(pair).some((l) => l.startsWith('stop'))).toBe(false);
    expect(nobBook(pair)).toContain('stop bid 105 #3 2 stop_limit');
  });

  it('9. OCO: one id or two; a stop-market leg; a limit leg at the last price', async () => {
    const pair = await openedPair(backend);
    const placed = pair.oco(3, 'bid', 1, 95, 105, 106);
    expect([placed.lob.orderId, placed.lob.stopOrderId]).toEqual([3, 4]);
    expect(placed.nob.done.map((o) => [o.id, o.type])).toEqual([['3', 'stop_limit']]);
    expect(pair.nob.order('3')).toMatchObject({ id: '3', price: 95 });
    // A stop-market leg, and a limit leg at the last price: lobcore takes both; nob has no
    // stop-market leg, and wants price < last < stopPrice.
    expect(pair.lob.placeOco({ trader: 3, asset: ASSET, side: 'bid', size: 1, price: 96, stopPrice: 105, timestamp: 1 }).stopStatus).toBe('pending');
    const atLast = pair.oco(3, 'bid', 1, 100, 105, 105);
    expect([atLast.lob.status, atLast.nob.err?.code]).toEqual(['resting', 1108]);
  });

  it('9. OCO: a limit leg that takes at placement removes lobcore\'s stop leg; nob keeps it', async () => {
    const pair = await openedPair(backend);
    pair.limit(3, 'ask', 95, 1); // #3, below the last price
    const placed = pair.oco(4, 'bid', 2, 96, 105, 105); // #4 takes #3 at 95 and rests 1
    expect(placed.lob).toMatchObject({ status: 'resting', filled: 1, stopStatus: 'cancelled' });
    expect(placed.nob.err).toBeNull();
    expect(lobBook(pair).some((l) => l.startsWith('stop'))).toBe(false);
    expect(nobBook(pair)).toContain('stop bid 105 #4 2 stop_limit');
  });

  it('10. snapshots: nob forgets the last price and an OCO limit leg\'s link; lobcore keeps both', async () => {
    const pair = await openedPair(backend);
    pair.oco(3, 'ask', 2, 105, 95, 95); // #3 limit leg, its stop leg (#4 in lobcore)
    const lob = await newEngine(backend);
    lob.restore(pair.lob.snapshot());
    const nob = new OrderBookClass({ snapshot: pair.nob.snapshot() });
    expect(nob.marketPrice).toBe(0);
    // A buy stop at 99 would trigger at once: lobcore refuses it; restored nob takes it.
    expect(lob.placeStop({ trader: 4, asset: ASSET, side: 'bid', size: 1, stopPrice: 99, timestamp: 1 }).reason).toBe('WOULD_TRIGGER');
    expect(nob.stopMarket({ id: '5', side: NOB_SIDE.bid, size: 1, stopPrice: 99 }).err).toBeNull();
    // A fill of the limit leg: lobcore removes the stop leg; restored nob keeps it.
    lob.placeMarket({ trader: 5, asset: ASSET, side: 'bid', size: 1, timestamp: 1 });
    nob.market({ side: NOB_SIDE.bid, size: 1 });
    expect(lob.pendingStops).toBe(0);
    expect(nob.snapshot().stopBook.asks.flatMap((l) => l.orders.map((o) => o.id))).toEqual(['3']);
  });
});
