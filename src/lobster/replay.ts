// Replays LOBSTER messages into an Engine, rebuilding NASDAQ's visible book order by order.
//
// Mapping (types from the LOBSTER README):
//   1 new limit        -> placeLimit GTC from BOOK trader (LOBSTER lists only the part that rests)
//   2 partial cancel   -> reduce by the size
//   3 delete           -> cancel
//   4 visible execution-> see below
//   5 hidden execution, 6 cross, 7 halt -> no change to the visible book
//
// Executions. A type-4 row names the resting order that traded. Where that order rests at the
// best price of its side with at least the executed size, the replayer sends a real taker: an
// IOC order from the dedicated TAKER trader on the other side, limited to that price, so real
// flow goes through the matching path and not just bookkeeping. The engine's price-time
// priority picks the maker; the replayer checks it picked the order NASDAQ named. NASDAQ does
// not always follow strict time priority within a level (reserve and re-entered orders, and the
// order in which it reports one aggressive order's fills), so when the engine filled another
// order the replayer squares the books: by swapping the two ids when they were the same size
// (`queueSwaps`), else by giving the other orders back their shares and reducing the named one
// (`queueRepairs`). The visible book is then exactly NASDAQ's again. Anywhere else (a book that
// has drifted from the file, or `executions: 'reduce'`) the execution is a reduce of the named
// order.
//
// Liquidity resting before the file starts. Its orders are not in the message file; their ids
// first appear in a cancel or an execution. `seed()` rebuilds it from book row 0 with message 0
// undone, as one SEED order per price level placed before anything else, so it sits at the
// front of its level's queue, where NASDAQ's older orders are. A row naming an unknown id takes
// its shares out of the seed order of that price level.
import type { Engine } from '../engine.js';
import type {
  CancelRequest,
  Fill,
  LimitOrderRequest,
  OrderResult,
  ReduceRequest,
  Side,
} from '../types.js';
import { EMPTY_LEVEL_PRICE, MessageType, messageTimestamp, type MessageColumns } from './parse.js';

/** What the replayer uses of an engine: orders in, and a look at the book to pick takers. */
export type ReplayEngine = Pick<Engine, 'placeLimit' | 'reduce' | 'cancel' | 'modify' | 'order' | 'bestBid' | 'bestAsk'>;

export interface ReplayOptions {
  /** The engine asset the messages go to; default 1. */
  asset?: number;
  /** Trader of the orders from type-1 rows; default 1. */
  bookTrader?: number;
  /** Trader of the synthetic seed orders; default 2. */
  seedTrader?: number;
  /** Trader of the IOC orders that replay executions; default 3. */
  takerTrader?: number;
  /** 'taker' (default): executions as real IOC takers where possible; 'reduce': always a reduce. */
  executions?: 'taker' | 'reduce';
}

export interface ReplayStats {
  /** Messages applied. */
  messages: number;
  /** Seed orders placed by seed(). */
  seedOrders: number;
  /** Type 1 rows placed; `crossed` of them traded on arrival (the book had drifted). */
  placed: number;
  crossed: number;
  partialCancels: number;
  deletes: number;
  /** Type 4 rows, and how they were replayed. */
  executions: number;
  executionsAsTaker: number;
  executionsAsReduce: number;
  /**
   * Taker executions that filled an equal-sized order ahead of the named one in the same level
   * (NASDAQ reported an aggressive order's fills out of queue order); the ids were swapped.
   */
  queueSwaps: number;
  /**
   * Taker executions that filled other orders than the named one, which were then put back (see
   * repair()); the visible book stays exact, the queue order of those orders does not.
   */
  queueRepairs: number;
  /** Orders a queue repair placed again, for makers its taker had emptied; each took an order id. */
  requeued: number;
  /** Executions the replayer could not square with the book at all. */
  queueMismatches: number;
  /** Fills the engine reported for every order the replayer sent. */
  fills: number;
  /** Rows 2, 3, 4 whose order was unknown and came out of a seed order. */
  fromSeed: number;
  /** Rows 2, 3, 4 that matched no resting order (unknown id and no seed at that price, or gone). */
  unresolved: number;
  /** Rows 5, 6, 7: nothing visible changes. */
  unchanged: number;
}

function sideOf(direction: number): Side {
  return direction === 1 ? 'bid' : 'ask';
}

/** Key of a price level in the seed table: bids by +price, asks by -price. */
function levelKey(side: Side, price: number): number {
  return side === 'bid' ? price : -price;
}

export class LobsterReplayer {
  readonly stats: ReplayStats = {
    messages: 0, seedOrders: 0, placed: 0, crossed: 0, partialCancels: 0, deletes: 0, executions: 0,
    executionsAsTaker: 0, executionsAsReduce: 0, queueSwaps: 0, queueRepairs: 0, requeued: 0, queueMismatches: 0, fills: 0, fromSeed: 0, unresolved: 0, unchanged: 0,
  };
  readonly asset: number;
  readonly bookTrader: number;
  readonly seedTrader: number;
  readonly takerTrader: number;
  private readonly executeAsTaker: boolean;

  /** LOBSTER order id -> engine order id, for orders from type-1 rows still resting. */
  private readonly ids = new Map<number, number>();
  /** The reverse of `ids`. */
  private readonly lobsterIds = new Map<number, number>();
  /** levelKey -> engine id of that level's seed order, while it rests. */
  private readonly seeds = new Map<number, number>();

  // Requests are reused across messages so a replay allocates only what the engine API does.
  private readonly limitReq: LimitOrderRequest;
  private readonly takerReq: LimitOrderRequest;
  private readonly reduceReq: ReduceRequest;
  private readonly cancelReq: CancelRequest;

  // Set by resolve(): the engine order a row refers to, its trader, and where it came from.
  private resolvedId = 0;
  private resolvedTrader = 0;
  private resolvedSeedKey = 0;

  constructor(
    readonly engine: ReplayEngine,
    readonly messages: MessageColumns,
    options: ReplayOptions = {},
  ) {
    this.asset = options.asset ?? 1;
    this.bookTrader = options.bookTrader ?? 1;
    this.seedTrader = options.seedTrader ?? 2;
    this.takerTrader = options.takerTrader ?? 3;
    this.executeAsTaker = (options.executions ?? 'taker') === 'taker';
    const asset = this.asset;
    this.limitReq = { trader: this.bookTrader, asset, side: 'bid', price: 1, size: 1, timestamp: 0, timeInForce: 'GTC' };
    this.takerReq = { trader: this.takerTrader, asset, side: 'bid', price: 1, size: 1, timestamp: 0, timeInForce: 'IOC' };
    this.reduceReq = { trader: 0, asset, orderId: 1, by: 1 };
    this.cancelReq = { trader: 0, asset, orderId: 1 };
  }

  /**
   * Places the liquidity that rested before the first message: book row 0 (the book after
   * message 0) with message 0 undone, one seed order per price level. Call once, before apply(0).
   */
  seed(firstRow: Float64Array): void {
    const levels = firstRow.length >> 2;
    const book = new Map<number, number>(); // levelKey -> size
    for (let k = 0; k < levels; k++) {
      const askSize = firstRow[4 * k + 1];
      const bidSize = firstRow[4 * k + 3];
      if (askSize > 0 && firstRow[4 * k] !== EMPTY_LEVEL_PRICE) book.set(levelKey('ask', firstRow[4 * k]), askSize);
      if (bidSize > 0 && firstRow[4 * k + 2] !== -EMPTY_LEVEL_PRICE) book.set(levelKey('bid', firstRow[4 * k + 2]), bidSize);
    }
    const m = this.messages;
    if (m.count > 0) {
      const type = m.type[0];
      const key = levelKey(sideOf(m.direction[0]), m.price[0]);
      const was = book.get(key) ?? 0;
      if (type === MessageType.NEW_LIMIT) book.set(key, was - m.size[0]);
      else if (type === MessageType.PARTIAL_CANCEL || type === MessageType.DELETE || type === MessageType.EXECUTE_VISIBLE) {
        book.set(key, was + m.size[0]);
      }
    }
    const timestamp = m.count > 0 ? messageTimestamp(m.time[0]) : 0;
    // One order per level, so the placing order decides no priority; price order keeps the
    // engine ids of the seeds reproducible whatever order the file listed the levels in.
    const keys = [...book.keys()].sort((a, b) => a - b);
    for (const key of keys) {
      const size = book.get(key)!;
      if (size <= 0) continue;
      const r = this.place({
        trader: this.seedTrader, asset: this.asset, side: key > 0 ? 'bid' : 'ask',
        price: Math.abs(key), size, timestamp, timeInForce: 'GTC',
      });
      if (r.status === 'resting') {
        this.seeds.set(key, r.orderId);
        this.stats.seedOrders++;
      }
    }
  }

  /** Every order goes through here, so the fills are counted whatever the target is. */
  private place(req: LimitOrderRequest): OrderResult {
    const r = this.engine.placeLimit(req);
    this.stats.fills += r.fills.length;
    return r;
  }

  /** Applies messages [from, to). */
  run(from = 0, to = this.messages.count): void {
    for (let i = from; i < to; i++) this.apply(i);
  }

  /** Applies message i. */
  apply(i: number): void {
    const m = this.messages;
    this.stats.messages++;
    switch (m.type[i]) {
      case MessageType.NEW_LIMIT:
        this.placeNew(i);
        break;
      case MessageType.PARTIAL_CANCEL:
        this.stats.partialCancels++;
        if (this.resolve(i)) this.reduceResolved(m.orderId[i], m.size[i], false);
        break;
      case MessageType.DELETE:
        this.stats.deletes++;
        if (!this.resolve(i)) break;
        if (this.resolvedSeedKey !== 0) this.reduceResolved(m.orderId[i], m.size[i], false);
        else this.cancelResolved(m.orderId[i]);
        break;
      case MessageType.EXECUTE_VISIBLE:
        this.stats.executions++;
        if (this.resolve(i)) this.execute(i);
        break;
      default:
        this.stats.unchanged++;
    }
  }

  private placeNew(i: number): void {
    const m = this.messages;
    const req = this.limitReq;
    req.side = sideOf(m.direction[i]);
    req.price = m.price[i];
    req.size = m.size[i];
    req.timestamp = messageTimestamp(m.time[i]);
    const r = this.place(req);
    this.stats.placed++;
    if (r.filled > 0) this.stats.crossed++;
    if (r.status === 'resting') this.map(m.orderId[i], r.orderId);
  }

  /** Finds the engine order of row i: the mapped order, or else the seed of its price level. */
  private resolve(i: number): boolean {
    const m = this.messages;
    const known = this.ids.get(m.orderId[i]);
    if (known !== undefined) {
      this.resolvedId = known;
      this.resolvedTrader = this.bookTrader;
      this.resolvedSeedKey = 0;
      return true;
    }
    const key = levelKey(sideOf(m.direction[i]), m.price[i]);
    const seed = this.seeds.get(key);
    if (seed !== undefined) {
      this.resolvedId = seed;
      this.resolvedTrader = this.seedTrader;
      this.resolvedSeedKey = key;
      this.stats.fromSeed++;
      return true;
    }
    this.stats.unresolved++;
    return false;
  }

  private reduceResolved(lobsterId: number, by: number, isExecution: boolean): void {
    const req = this.reduceReq;
    req.trader = this.resolvedTrader;
    req.orderId = this.resolvedId;
    req.by = by;
    const r = this.engine.reduce(req);
    if (!r.ok) {
      this.stats.unresolved++;
      this.forget(lobsterId);
      return;
    }
    if (isExecution) this.stats.executionsAsReduce++;
    if (r.remaining === 0) this.forget(lobsterId);
  }

  private cancelResolved(lobsterId: number): void {
    const req = this.cancelReq;
    req.trader = this.resolvedTrader;
    req.orderId = this.resolvedId;
    if (!this.engine.cancel(req).ok) this.stats.unresolved++;
    this.forget(lobsterId);
  }

  private execute(i: number): void {
    const m = this.messages;
    const size = m.size[i];
    const price = m.price[i];
    const makerSide = sideOf(m.direction[i]);
    const lobsterId = m.orderId[i];
    if (this.executeAsTaker) {
      const maker = this.engine.order(this.resolvedId);
      const best = makerSide === 'bid' ? this.engine.bestBid(this.asset) : this.engine.bestAsk(this.asset);
      if (maker !== undefined && maker.price === price && maker.remaining >= size && best !== undefined && best.price === price) {
        const req = this.takerReq;
        req.side = makerSide === 'bid' ? 'ask' : 'bid';
        req.price = price;
        req.size = size;
        req.timestamp = messageTimestamp(m.time[i]);
        const r = this.place(req);
        this.stats.executionsAsTaker++;
        const hit = r.fills.length === 1 && r.filled === size ? r.fills[0].makerOrderId : 0;
        if (hit === this.resolvedId) {
          if (maker.remaining === size) this.forget(lobsterId);
        } else if (hit !== 0 && this.swapIdentities(lobsterId, maker.remaining, hit, size)) {
          this.stats.queueSwaps++;
        } else {
          this.repair(r.fills, lobsterId, maker.remaining, size, req.timestamp);
        }
        return;
      }
    }
    this.reduceResolved(lobsterId, size, true);
  }

  /**
   * NASDAQ reports the executions of one aggressive order in its own sequence, which can differ
   * from the queue order of equal-time makers. When the engine filled order `hit` where the row
   * named the resolved order, and both had the same size before, the two are interchangeable:
   * swapping which LOBSTER id maps to which engine order leaves every visible size exactly as
   * NASDAQ's. Returns false when the swap would not be exact.
   */
  private swapIdentities(namedLobsterId: number, namedBefore: number, hit: number, size: number): boolean {
    const hitLobsterId = this.lobsterIds.get(hit);
    if (hitLobsterId === undefined || this.resolvedSeedKey !== 0) return false;
    const hitAfter = this.engine.order(hit)?.remaining ?? 0;
    if (hitAfter + size !== namedBefore) return false;
    const named = this.resolvedId;
    this.unmap(namedLobsterId);
    this.unmap(hitLobsterId);
    this.map(hitLobsterId, named);
    if (hitAfter > 0) this.map(namedLobsterId, hit);
    return true;
  }

  /**
   * The taker filled orders other than the named one (NASDAQ let an order jump the queue, which
   * reserve and re-entered orders do). Puts back what those orders lost, as the same order with a
   * larger size (at the back of its level: its exact place is NASDAQ's secret) or as a new order
   * if it left the book, then takes the rest of the execution off the named order. The visible
   * book ends exactly as NASDAQ's.
   */
  private repair(fills: readonly Fill[], lobsterId: number, namedBefore: number, size: number, timestamp: number): void {
    this.stats.queueRepairs++;
    const named = this.resolvedId;
    const namedTrader = this.resolvedTrader;
    const namedSeedKey = this.resolvedSeedKey;
    let fromNamed = 0;
    for (const f of fills) {
      if (f.makerOrderId === named) {
        fromNamed += f.size;
        continue;
      }
      const still = this.engine.order(f.makerOrderId);
      if (still !== undefined) {
        this.stats.fills += this.engine.modify({ trader: f.makerTrader, asset: this.asset, orderId: f.makerOrderId, size: still.remaining + f.size, timestamp }).fills.length;
        continue;
      }
      const side: Side = f.takerSide === 'bid' ? 'ask' : 'bid';
      const back = this.place({
        trader: f.makerTrader, asset: this.asset, side, price: f.price, size: f.size, timestamp, timeInForce: 'GTC',
      });
      if (back.orderId !== 0) this.stats.requeued++;
      if (back.status !== 'resting') {
        this.stats.queueMismatches++;
        continue;
      }
      const lob = this.lobsterIds.get(f.makerOrderId);
      if (lob !== undefined) {
        this.unmap(lob);
        this.map(lob, back.orderId);
      } else if (f.makerTrader === this.seedTrader) {
        this.seeds.set(levelKey(side, f.price), back.orderId);
      }
    }
    this.resolvedId = named;
    this.resolvedTrader = namedTrader;
    this.resolvedSeedKey = namedSeedKey;
    const rest = size - fromNamed;
    if (rest > 0) {
      const req = this.reduceReq;
      req.trader = namedTrader;
      req.orderId = named;
      req.by = rest;
      if (!this.engine.reduce(req).ok) this.stats.queueMismatches++;
    }
    if (namedBefore === size) this.forget(lobsterId);
  }

  private map(lobsterId: number, engineId: number): void {
    this.ids.set(lobsterId, engineId);
    this.lobsterIds.set(engineId, lobsterId);
  }

  private unmap(lobsterId: number): void {
    const engineId = this.ids.get(lobsterId);
    if (engineId === undefined) return;
    this.ids.delete(lobsterId);
    this.lobsterIds.delete(engineId);
  }

  /** Drops the mapping of an order that no longer rests (a seed when it was the one resolved). */
  private forget(lobsterId: number): void {
    if (this.resolvedSeedKey !== 0) this.seeds.delete(this.resolvedSeedKey);
    else this.unmap(lobsterId);
  }
}
