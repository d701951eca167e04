// The Engine API on top of a MatchingCore. One host serves both cores, so validation, result
// objects and fault handling are written once and cost the same for WASM and JS.
import { createHash } from 'node:crypto';
import { BatchResults, CommandBatch, assertBatch, decodeFill, ocoStopStatus } from './batch.js';
import { ORDER_STATUS, ORDER_TYPES, REJECT_REASONS, SIDES, STP_MODES, StatusCode, TIME_IN_FORCE } from './codes.js';
import {
  LEVEL_SLOTS, ORDER_SLOTS, ORD_ASSET, ORD_ID, ORD_OCO_SIBLING, ORD_PRICE, ORD_REMAINING, ORD_SIDE, ORD_STOP_PRICE,
  ORD_STOP_TYPE, ORD_STP, ORD_TIMESTAMP, ORD_TRADER, OUT_FILLED, OUT_FILL_COUNT, OUT_HEAD, OUT_ORDER_ID, OUT_REMAINING,
  OUT_SPENT,
} from './core.js';
import type { MatchingCore } from './core.js';
import type { Engine, SnapshotRestore } from './engine.js';
import { LobError, describeValue } from './errors.js';
import { EventList } from './events.js';
import { batchFaultError, decodeFault, readRequest, sideCode, stpCode, tifCode, validateRequest } from './operations.js';
import { requireNonNegative, requirePositive } from './validate.js';
import type {
  BackendName, CancelAllRequest, CancelAllResult, CancelRequest, CancelResult, Depth, Fill, Level, LimitOrderRequest,
  MarketOrderRequest, ModifyRequest, OcoOrderRequest, OrderResult, OrderStatus, ReduceRequest, RestingOrder,
  StopOrderRequest,
} from './types.js';

const validateLimit = validateRequest.placeLimit;
const validateMarket = validateRequest.placeMarket;
const validateCancel = validateRequest.cancel;
const validateReduce = validateRequest.reduce;
const validateModify = validateRequest.modify;
const validateCancelAll = validateRequest.cancelAll;
const validateStop = validateRequest.placeStop;
const validateOco = validateRequest.placeOco;



const BID = 0;
const ASK = 1;

export class MatchingEngine implements Engine {
  private readonly core: MatchingCore;
  private readonly results = new BatchResults();
  private readonly lastEvents = new EventList();
  /**
   * Why calls are refused: a core call failed unexpectedly (ENGINE_FAILED: the book may be
   * half-changed, so nothing more is served), or a restore in pieces is under way.
   */
  private failure: LobError | null = null;

  constructor(core: MatchingCore) {
    this.core = core;
  }

  get backend(): BackendName {
    return this.core.backend;
  }

  get nextOrderId(): number {
    return this.core.nextOrderId;
  }

  get restingOrders(): number {
    return this.core.restingOrders;
  }

  get pendingStops(): number {
    return this.core.pendingStops;
  }

  /** Whether a fault has made this engine refuse calls. */
  get failed(): boolean {
    return this.failure?.code === 'ENGINE_FAILED';
  }

  placeLimit(request: LimitOrderRequest): OrderResult {
    this.ensureUsable();
    // Read once: what is checked is what is applied (operations.ts, readRequest).
    const req = readRequest.placeLimit(request);
    validateLimit(req);
    try {
      this.core.placeLimit(req.trader, req.asset, sideCode(req.side), req.price, req.size, req.timestamp,
        tifCode(req.timeInForce), stpCode(req.stp), req.clientOrderId ?? 0);
    } catch (error) {
      throw this.fail('placeLimit', error);
    }
    const result = this.orderResult(req.timestamp);
    if (req.clientOrderId !== undefined) result.clientOrderId = req.clientOrderId;
    return result;
  }

  placeMarket(request: MarketOrderRequest): OrderResult {
    this.ensureUsable();
    // Read once: what is checked is what is applied (operations.ts, readRequest).
    const req = readRequest.placeMarket(request);
    validateMarket(req);
    try {
      this.core.placeMarket(req.trader, req.asset, sideCode(req.side), req.size ?? 0, req.budget ?? 0, req.timestamp,
        req.protectionPrice ?? 0, stpCode(req.stp), req.clientOrderId ?? 0);
    } catch (error) {
      throw this.fail('placeMarket', error);
    }
    const result = this.orderResult(req.timestamp);
    if (req.clientOrderId !== undefined) result.clientOrderId = req.clientOrderId;
    if (req.budget !== undefined) result.spent = this.core.out[OUT_SPENT];
    return result;
  }

  placeStop(request: StopOrderRequest): OrderResult {
    this.ensureUsable();
    // Read once: what is checked is what is applied (operations.ts, readRequest).
    const req = readRequest.placeStop(request);
    validateStop(req);
    try {
      this.core.placeStop(req.trader, req.asset, sideCode(req.side), req.size, req.stopPrice, req.price ?? 0,
        req.protectionPrice ?? 0, req.timestamp, tifCode(req.timeInForce), stpCode(req.stp), req.clientOrderId ?? 0);
    } catch (error) {
      throw this.fail('placeStop', error);
    }
    const result = this.orderResult(req.timestamp);
    if (req.clientOrderId !== undefined) result.clientOrderId = req.clientOrderId;
    return result;
  }

  placeOco(request: OcoOrderRequest): OrderResult {
    this.ensureUsable();
    // Read once: what is checked is what is applied (operations.ts, readRequest).
    const req = readRequest.placeOco(request);
    validateOco(req);
    try {
      this.core.placeOco(req.trader, req.asset, sideCode(req.side), req.size, req.price, req.stopPrice,
        req.stopLimitPrice ?? 0, req.timestamp, stpCode(req.stp), req.clientOrderId ?? 0);
    } catch (error) {
      throw this.fail('placeOco', error);
    }
    const result = this.orderResult(req.timestamp);
    if (req.clientOrderId !== undefined) result.clientOrderId = req.clientOrderId;
    const stopStatus = ocoStopStatus(this.core.out[OUT_HEAD] & 15, result.filled);
    if (stopStatus !== undefined) {
      result.stopOrderId = result.orderId + 1;
      result.stopStatus = stopStatus;
    }
    return result;
  }

  cancel(request: CancelRequest): CancelResult {
    this.ensureUsable();
    // Read once: what is checked is what is applied (operations.ts, readRequest).
    const req = readRequest.cancel(request);
    validateCancel(req);
    try {
      this.core.cancel(req.trader, req.asset, req.orderId);
    } catch (error) {
      throw this.fail('cancel', error);
    }
    return this.cancelResult();
  }

  reduce(request: ReduceRequest): CancelResult {
    this.ensureUsable();
    // Read once: what is checked is what is applied (operations.ts, readRequest).
    const req = readRequest.reduce(request);
    validateReduce(req);
    try {
      this.core.reduce(req.trader, req.asset, req.orderId, req.by);
    } catch (error) {
      throw this.fail('reduce', error);
    }
    return this.cancelResult();
  }

  modify(request: ModifyRequest): OrderResult {
    this.ensureUsable();
    // Read once: what is checked is what is applied (operations.ts, readRequest).
    const req = readRequest.modify(request);
    validateModify(req);
    try {
      this.core.modify(req.trader, req.asset, req.orderId, req.price ?? 0, req.size ?? 0, req.timestamp);
    } catch (error) {
      throw this.fail('modify', error);
    }
    return this.orderResult(req.timestamp);
  }

  cancelAll(request: CancelAllRequest): CancelAllResult {
    this.ensureUsable();
    // Read once: what is checked is what is applied (operations.ts, readRequest).
    const req = readRequest.cancelAll(request);
    validateCancelAll(req);
    try {
      this.core.cancelAll(req.trader, req.asset ?? 0, req.asset === undefined);
    } catch (error) {
      throw this.fail('cancelAll', error);
    }
    const out = this.core.out;
    const head = out[OUT_HEAD];
    if ((head & 15) === StatusCode.OK) return { ok: true, cancelled: out[OUT_FILLED] };
    return { ok: false, cancelled: 0, reason: REJECT_REASONS[head >> 4] };
  }

  /** The events of the last per-call command, read in place (overwritten by the next call). */
  get events(): EventList {
    this.lastEvents.set(this.core.events, this.core.eventCount);
    return this.lastEvents;
  }

  createBatch(commands = 1024): CommandBatch {
    this.ensureUsable();
    requirePositive('commands', commands);
    return new CommandBatch(commands, this.core.createBatchStorage(commands));
  }

  submitBatch(batch: CommandBatch): BatchResults {
    this.ensureUsable();
    assertBatch(batch);
    const commands = batch.view();
    const count = batch.count;
    let fillCount: number;
    try {
      fillCount = count === 0 ? 0 : this.core.runBatch(commands, count);
    } catch (error) {
      throw this.fail('submitBatch', error);
    }
    // Validation runs inside the core, before anything is applied: a fault means nothing changed.
    if (fillCount < 0) throw batchFaultError(commands, decodeFault(fillCount));
    const core = this.core;
    this.results.set(commands, core.batchResults, count, core.fills, fillCount, core.events, count === 0 ? 0 : core.eventCount);
    return this.results;
  }

  bestBid(asset: number): Level | undefined {
    return this.bestLevel(asset, BID);
  }

  bestAsk(asset: number): Level | undefined {
    return this.bestLevel(asset, ASK);
  }

  depth(asset: number, levels = 10): Depth {
    this.ensureUsable();
    requireNonNegative('asset', asset);
    requirePositive('levels', levels);
    return { bids: this.levelList(asset, BID, levels), asks: this.levelList(asset, ASK, levels) };
  }

  order(orderId: number): RestingOrder | undefined {
    this.ensureUsable();
    requirePositive('orderId', orderId);
    const found = this.query('order', () => this.core.findOrder(orderId));
    return found === null ? undefined : restingOrderAt(found, 0);
  }

  orders(asset: number): RestingOrder[] {
    this.ensureUsable();
    requireNonNegative('asset', asset);
    const list = this.query('orders', () => this.core.listOrders(asset));
    const orders: RestingOrder[] = [];
    for (let o = 0; o < list.length; o += ORDER_SLOTS) orders.push(restingOrderAt(list, o));
    return orders;
  }

  stateHash(): string {
    this.ensureUsable();
    const hash = createHash('sha256');
    this.query('snapshot', () => this.core.snapshotPieces((piece) => hash.update(piece)));
    return hash.digest('hex');
  }

  snapshot(): Uint8Array {
    this.ensureUsable();
    return this.query('snapshot', () => this.core.snapshot());
  }

  restore(snapshot: Uint8Array): void {
    this.ensureUsable();
    if (!(snapshot instanceof Uint8Array)) {
      throw new LobError('INVALID_ARGUMENT', 'snapshot must be a Uint8Array');
    }
    this.query('restore', () => this.core.restore(snapshot));
  }

  restoreInPieces(byteLength: number): SnapshotRestore {
    this.ensureUsable();
    if (!Number.isSafeInteger(byteLength) || byteLength < 0) {
      throw new LobError('INVALID_ARGUMENT', `byteLength must be a non-negative safe integer, got ${describeValue(byteLength)}`);
    }
    // A core checks the length before it empties itself: a CORRUPTION here has changed nothing.
    this.query('restore', () => this.core.beginRestore(byteLength));
    const underWay = new LobError('INVALID_ARGUMENT', 'the engine is being restored in pieces: end() the restore before any other call');
    this.failure = underWay;
    const step = (run: () => void): void => {
      if (this.failure !== underWay) throw this.failure ?? new LobError('INVALID_ARGUMENT', 'this restore in pieces has ended');
      this.restoreStep(run);
    };
    return {
      write: (piece: Uint8Array) => {
        if (!(piece instanceof Uint8Array)) throw new LobError('INVALID_ARGUMENT', 'piece must be a Uint8Array');
        step(() => this.core.restorePiece(piece));
      },
      end: () => {
        step(() => this.core.finishRestore());
        this.failure = null;
      },
    };
  }

  memoryBytes(): number {
    return this.core.memoryBytes();
  }

  /** A step of a restore in pieces: the state is gone by then, so whatever fails leaves the engine refusing calls. */
  private restoreStep(run: () => void): void {
    try {
      run();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.failure = new LobError('ENGINE_FAILED', `the ${this.core.backend} engine's restore in pieces failed (${detail}) and it refuses further calls: create a new engine`, { cause: error });
      throw error instanceof LobError ? error : this.failure;
    }
  }

  private bestLevel(asset: number, side: number): Level | undefined {
    this.ensureUsable();
    requireNonNegative('asset', asset);
    const levels = this.query('bestLevel', () => this.core.levels(asset, side, 1));
    return levels.length === 0 ? undefined : { price: levels[0], size: levels[1], orders: levels[2] };
  }

  private levelList(asset: number, side: number, max: number): Level[] {
    const levels = this.query('depth', () => this.core.levels(asset, side, max));
    const list: Level[] = [];
    for (let o = 0; o < levels.length; o += LEVEL_SLOTS) {
      list.push({ price: levels[o], size: levels[o + 1], orders: levels[o + 2] });
    }
    return list;
  }

  /** Builds the result of the last per-call order command from the core's outputs. */
  private orderResult(timestamp: number): OrderResult {
    const out = this.core.out;
    const head = out[OUT_HEAD];
    const status = ORDER_STATUS[head & 15] as OrderStatus;
    const fillCount = out[OUT_FILL_COUNT];
    const fills: Fill[] = new Array(fillCount);
    if (fillCount > 0) {
      const buffer = this.core.fills;
      for (let j = 0; j < fillCount; j++) fills[j] = decodeFill(buffer, j, timestamp);
    }
    const result: OrderResult = {
      orderId: out[OUT_ORDER_ID],
      status,
      filled: out[OUT_FILLED],
      remaining: out[OUT_REMAINING],
      fills,
    };
    const reason = REJECT_REASONS[head >> 4];
    if (reason !== undefined) result.reason = reason;
    return result;
  }

  private cancelResult(): CancelResult {
    const out = this.core.out;
    const head = out[OUT_HEAD];
    if ((head & 15) === StatusCode.OK) return { ok: true, remaining: out[OUT_REMAINING] };
    return { ok: false, reason: REJECT_REASONS[head >> 4] };
  }

  private ensureUsable(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Runs a read or a restore; a LobError from the core is deliberate and leaves the state as it was. */
  private query<T>(what: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof LobError) throw error;
      throw this.fail(what, error);
    }
  }

  private fail(operation: string, error: unknown): LobError {
    if (error instanceof LobError && error.code !== 'ENGINE_FAILED') return error;
    const detail = error instanceof Error ? error.message : String(error);
    this.failure = new LobError(
      'ENGINE_FAILED',
      `the ${this.core.backend} engine failed during ${operation} (${detail}) and refuses further calls: ` +
        'its book may be half-changed; recover from storage or create a new engine',
      { cause: error },
    );
    return this.failure;
  }
}

function restingOrderAt(slots: Float64Array, o: number): RestingOrder {
  const order: RestingOrder = {
    orderId: slots[o + ORD_ID],
    trader: slots[o + ORD_TRADER],
    asset: slots[o + ORD_ASSET],
    side: SIDES[slots[o + ORD_SIDE]],
    price: slots[o + ORD_PRICE],
    remaining: slots[o + ORD_REMAINING],
    timestamp: slots[o + ORD_TIMESTAMP],
    stp: STP_MODES[slots[o + ORD_STP]],
  };
  const stopType = slots[o + ORD_STOP_TYPE];
  if (stopType !== 0) {
    order.status = 'pending';
    order.type = ORDER_TYPES[stopType & 3] as 'stop_limit' | 'stop_market';
    order.stopPrice = slots[o + ORD_STOP_PRICE];
    order.timeInForce = TIME_IN_FORCE[stopType >> 2];
  }
  if (slots[o + ORD_OCO_SIBLING] !== 0) order.ocoSiblingId = slots[o + ORD_OCO_SIBLING];
  return order;
}
