// What a LOBSTER replay drives. The replayer and the depth check take an Engine; a replay goes
// either to an engine in memory or, with --db, through a persistent state machine. Both targets
// here are complete Engines that count the fills passing through them, for the report.
import type { BatchResults, CommandBatch } from '../batch.js';
import type { Engine } from '../engine.js';
import { LobError } from '../errors.js';
import type { EventList } from '../events.js';
import type {
  BackendName, CancelAllRequest, CancelAllResult, CancelRequest, CancelResult, Depth, Level, LimitOrderRequest, MarketOrderRequest, ModifyRequest,
  OrderResult, ReduceRequest, RestingOrder,
} from '../types.js';
import type { CoreStateMachine } from './database.js';

export interface CountingEngine extends Engine {
  /** Fills reported by every order command so far. */
  readonly fills: number;
}

/** An engine in memory, passed through with its fills counted. */
export class CountedEngine implements CountingEngine {
  fills = 0;

  constructor(private readonly engine: Engine) {}

  get backend(): BackendName { return this.engine.backend; }
  get nextOrderId(): number { return this.engine.nextOrderId; }
  get restingOrders(): number { return this.engine.restingOrders; }

  placeLimit(req: LimitOrderRequest): OrderResult { return this.count(this.engine.placeLimit(req)); }
  placeMarket(req: MarketOrderRequest): OrderResult { return this.count(this.engine.placeMarket(req)); }
  modify(req: ModifyRequest): OrderResult { return this.count(this.engine.modify(req)); }
  cancel(req: CancelRequest): CancelResult { return this.engine.cancel(req); }
  reduce(req: ReduceRequest): CancelResult { return this.engine.reduce(req); }
  cancelAll(req: CancelAllRequest): CancelAllResult { return this.engine.cancelAll(req); }
  get events(): EventList { return this.engine.events; }
  createBatch(commands?: number): CommandBatch { return this.engine.createBatch(commands); }
  submitBatch(batch: CommandBatch): BatchResults {
    const results = this.engine.submitBatch(batch);
    this.fills += results.fillCount;
    return results;
  }

  bestBid(asset: number): Level | undefined { return this.engine.bestBid(asset); }
  bestAsk(asset: number): Level | undefined { return this.engine.bestAsk(asset); }
  depth(asset: number, levels?: number): Depth { return this.engine.depth(asset, levels); }
  order(orderId: number): RestingOrder | undefined { return this.engine.order(orderId); }
  orders(asset: number): RestingOrder[] { return this.engine.orders(asset); }
  stateHash(): string { return this.engine.stateHash(); }
  snapshot(): Uint8Array { return this.engine.snapshot(); }
  restore(snapshot: Uint8Array): void { this.engine.restore(snapshot); }
  memoryBytes(): number { return this.engine.memoryBytes(); }

  private count(result: OrderResult): OrderResult {
    this.fills += result.fills.length;
    return result;
  }
}

/**
 * The Engine API over a state machine: every command goes through the machine, so it is journaled
 * and its fills recorded. What only a bare engine can do (swap its whole state, report memory)
 * is refused: the machine owns its engine's state.
 */
export class MachineEngine implements CountingEngine {
  constructor(private readonly machine: CoreStateMachine) {}

  get fills(): number { return this.machine.nextFillSeq - 1; }
  get backend(): BackendName { return this.machine.backend; }
  get nextOrderId(): number { return this.machine.nextOrderId; }
  get restingOrders(): number { return this.refuse('restingOrders'); }

  placeLimit(req: LimitOrderRequest): OrderResult { return this.machine.placeLimitOrder(req); }
  placeMarket(req: MarketOrderRequest): OrderResult { return this.machine.placeMarketOrder(req); }
  modify(req: ModifyRequest): OrderResult { return this.machine.modifyOrder(req); }
  cancel(req: CancelRequest): CancelResult { return this.machine.cancelOrder(req); }
  reduce(req: ReduceRequest): CancelResult { return this.machine.reduceOrder(req); }
  cancelAll(): CancelAllResult { return this.refuse('cancelAll'); }
  get events(): EventList { return this.refuse('events'); }
  createBatch(): CommandBatch { return this.refuse('createBatch'); }
  submitBatch(batch: CommandBatch): BatchResults { return this.machine.submitBatch(batch).results; }

  bestBid(asset: number): Level | undefined { return this.machine.getBook(asset).bestBid(); }
  bestAsk(asset: number): Level | undefined { return this.machine.getBook(asset).bestAsk(); }
  depth(asset: number, levels?: number): Depth { return this.machine.getBook(asset).depth(levels); }
  order(orderId: number): RestingOrder | undefined { return this.machine.order(orderId); }
  orders(asset: number): RestingOrder[] { return this.machine.getBook(asset).orders(); }
  stateHash(): string { return this.machine.stateHash(); }
  snapshot(): Uint8Array { return this.refuse('snapshot'); }
  restore(): void { this.refuse('restore'); }
  memoryBytes(): number { return this.refuse('memoryBytes'); }

  private refuse(what: string): never {
    throw new LobError('INVALID_ARGUMENT', `${what} is not available on a replay through the state machine`);
  }
}
