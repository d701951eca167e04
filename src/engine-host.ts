// The Engine API on top of a MatchingCore. One host serves both cores, so validation, result
// objects and fault handling are written once and cost the same for WASM and JS.
import { createHash } from 'node:crypto';
import { BatchResults, CommandBatch, assertBatch, decodeFill, ocoStopStatus } from './batch.js';
import { ORDER_STATUS, ORDER_TYPES, REJECT_REASONS, SIDES, STP_MODES, TIME_IN_FORCE } from './codes.js';
import {
  LEVEL_SLOTS, ORDER_SLOTS, ORD_ASSET, ORD_ID, ORD_OCO_SIBLING, ORD_PRICE, ORD_REMAINING, ORD_SIDE, ORD_STOP_PRICE,
  ORD_STOP_TYPE, ORD_STP, ORD_TIMESTAMP, ORD_TRADER, Out,
} from './core.js';
import type { MatchingCore } from './core.js';
import type { Engine, SnapshotRestore } from './engine.js';
import { LobError, describeValue } from './errors.js';
import { Smi, smallInteger } from './js-core/small-integer.js';
import { EventList } from './events.js';
// The record's slots, head bits and status codes as const enums (the mirrors test/codes.test.ts
// checks), so that the per-call path reads literals: operations.ts's Slot and codes.ts's
// StatusCode are objects, read through their module cells at every use (bench/README.md, stop 49).
import { Slot, StatusCode } from './js-core/codes.js';
import { CoreCallFailure, applyRequest, batchFaultError, checkedRecord, decodeFault } from './operations.js';
import { requireNonNegative, requirePositive } from './validate.js';
import type {
  BackendName, CancelAllRequest, CancelAllResult, CancelRequest, CancelResult, Depth, Fill, Level, LimitOrderRequest,
  MarketOrderRequest, ModifyRequest, OcoOrderRequest, OrderResult, OrderStatus, ReduceRequest, RestingOrder,
  StopOrderRequest,
} from './types.js';

const applyLimit = applyRequest.placeLimit;
const applyMarket = applyRequest.placeMarket;
const applyCancel = applyRequest.cancel;
const applyReduce = applyRequest.reduce;
const applyModify = applyRequest.modify;
const applyCancelAll = applyRequest.cancelAll;
const applyStop = applyRequest.placeStop;
const applyOco = applyRequest.placeOco;

/**
 * The record a per-call request is checked into (operations.ts, applyRequest), which writes the
 * slots read here (the client order id, the budget, the timestamp, a limit order's size): each
 * field read once, so what is checked is what is applied. One serves every engine: nothing runs
 * between a check and the reads of its record here. A module constant, so that the reads below are
 * at fixed addresses (an import is read through its module cell at every use).
 */
const REQUEST = checkedRecord;

const BID = 0;
const ASK = 1;


/**
 * What the per-call results read, as module constants: an import is read through its module cell
 * with a hole check at every use, and an imported function's inlined call checks as well that the
 * cell still holds that function, where a constant is folded (bench/README.md, stop 50).
 */
const STATUS_NAMES = ORDER_STATUS;
const REASON_NAMES = REJECT_REASONS;
const small = smallInteger;
const fillAt = decodeFill;

export class MatchingEngine implements Engine {
  private readonly core: MatchingCore;
  /**
   * The core's `out`, the same array for the core's life (src/core.ts): held here, a per-call
   * result reads it one load sooner than through the core, right after the core's call returns.
   */
  private readonly out: Float64Array;
  private readonly results = new BatchResults();
  private readonly lastEvents = new EventList();
  /**
   * Why calls are refused: a core call failed unexpectedly (ENGINE_FAILED: the book may be
   * half-changed, so nothing more is served), or a restore in pieces is under way.
   */
  private failure: LobError | null = null;

  constructor(core: MatchingCore) {
    this.core = core;
    this.out = core.out;
  }

  get backend(): BackendName {
    return this.core.backend;
  }

  get nextOrderId(): number {
    this.ensureNotRestoring();
    return this.core.nextOrderId;
  }

  get restingOrders(): number {
    this.ensureNotRestoring();
    return this.core.restingOrders;
  }

  get pendingStops(): number {
    this.ensureNotRestoring();
    return this.core.pendingStops;
  }

  get memoryRefusals(): number {
    return this.core.memoryRefusals;
  }

  prepareForGrowth(bytes: number): void {
    // A hint still takes only a byte count: the WASM core took '100000000' as one and grew by 95 MiB.
    requireNonNegative('bytes', bytes);
    this.core.prepareForGrowth(bytes);
  }

  /** Whether a fault has made this engine refuse calls. */
  get failed(): boolean {
    return this.failure?.code === 'ENGINE_FAILED';
  }

  placeLimit(request: LimitOrderRequest): OrderResult {
    this.ensureUsable();
    let restedId: number;
    try {
      restedId = applyLimit(request, this.core);
    } catch (error) {
      throw this.callError('placeLimit', error);
    }
    // The core returns the id of an order that rested whole, the common outcome, which is then
    // the whole result: nothing of `out` is read (MatchingCore.placeLimit).
    return restedId === 0 ? this.orderResult(REQUEST) : restedResult(restedId, REQUEST);
  }

  placeMarket(request: MarketOrderRequest): OrderResult {
    this.ensureUsable();
    try {
      applyMarket(request, this.core);
    } catch (error) {
      throw this.callError('placeMarket', error);
    }
    const result = this.orderResult(REQUEST);
    if (REQUEST[Slot.BUDGET] !== 0) result.spent = small(this.out[Out.SPENT]);
    return result;
  }

  placeStop(request: StopOrderRequest): OrderResult {
    this.ensureUsable();
    try {
      applyStop(request, this.core);
    } catch (error) {
      throw this.callError('placeStop', error);
    }
    return this.orderResult(REQUEST);
  }

  placeOco(request: OcoOrderRequest): OrderResult {
    this.ensureUsable();
    try {
      applyOco(request, this.core);
    } catch (error) {
      throw this.callError('placeOco', error);
    }
    const result = this.orderResult(REQUEST);
    const stopStatus = ocoStopStatus(this.out[Out.HEAD] & 15, result.filled);
    if (stopStatus !== undefined) {
      result.stopOrderId = result.orderId + 1;
      result.stopStatus = stopStatus;
    }
    return result;
  }

  cancel(request: CancelRequest): CancelResult {
    this.ensureUsable();
    let cancelled: number;
    try {
      cancelled = applyCancel(request, this.core);
    } catch (error) {
      throw this.callError('cancel', error);
    }
    // 1: the order was cancelled, the common outcome, whose result holds nothing of `out` (MatchingCore.cancel).
    return cancelled === 1 ? { ok: true, remaining: 0 } : this.cancelResult();
  }

  reduce(request: ReduceRequest): CancelResult {
    this.ensureUsable();
    try {
      applyReduce(request, this.core);
    } catch (error) {
      throw this.callError('reduce', error);
    }
    return this.cancelResult();
  }

  modify(request: ModifyRequest): OrderResult {
    this.ensureUsable();
    try {
      applyModify(request, this.core);
    } catch (error) {
      throw this.callError('modify', error);
    }
    return this.orderResult(REQUEST);
  }

  cancelAll(request: CancelAllRequest): CancelAllResult {
    this.ensureUsable();
    try {
      applyCancelAll(request, this.core);
    } catch (error) {
      throw this.callError('cancelAll', error);
    }
    const out = this.out;
    const head = out[Out.HEAD];
    if ((head & 15) === StatusCode.OK) return { ok: true, cancelled: small(out[Out.FILLED]) };
    return { ok: false, cancelled: 0, reason: REASON_NAMES[head >> 4] };
  }

  /**
   * The events of the last per-call command or batch, read in place (overwritten by the next call).
   * A call refused with an error, and an empty batch, applied nothing and leave none.
   */
  get events(): EventList {
    this.ensureNotRestoring();
    this.lastEvents.set(this.core.events, this.core.eventCount);
    return this.lastEvents;
  }

  createBatch(commands = 1024): CommandBatch {
    this.ensureUsable();
    requirePositive('commands', commands);
    return new CommandBatch(commands, this.core.createBatchStorage(commands)).ownStorage();
  }

  submitBatch(batch: CommandBatch): BatchResults {
    this.ensureUsable();
    assertBatch(batch);
    const commands = batch.readRecords();
    const count = batch.count;
    let fillCount: number;
    if (count === 0) this.core.clearEvents();
    try {
      // A batch its builders vouched for skips the core's check (CommandBatch.trusted).
      fillCount = count === 0 ? 0 : this.core.runBatch(commands, count, batch.checked);
    } catch (error) {
      // Refused (CAPACITY: no room for its records or results) or failed, the batch leaves no
      // events, as a refused per-call command does: the last call's would be read as its own.
      this.core.clearEvents();
      throw this.fail('submitBatch', error);
    }
    // Validation runs inside the core, before anything is applied: a fault means nothing changed.
    if (fillCount < 0) {
      this.core.clearEvents();
      throw batchFaultError(commands, decodeFault(fillCount));
    }
    const core = this.core;
    this.results.set(commands, core.batchResults, count, core.fills, fillCount, core.events, count === 0 ? 0 : core.eventCount, batch);
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
    let written = 0;
    return {
      write: (piece: Uint8Array) => {
        // A piece the caller cut wrongly is refused here, before the core sees it: the restore goes
        // on, and the right piece may follow. Only what the core finds in a piece ends it.
        if (this.failure !== underWay) throw this.failure ?? new LobError('INVALID_ARGUMENT', 'this restore in pieces has ended');
        if (!(piece instanceof Uint8Array)) throw new LobError('INVALID_ARGUMENT', `piece must be a Uint8Array, got ${describeValue(piece)}`);
        if (piece.byteLength % 8 !== 0) {
          throw new LobError('INVALID_ARGUMENT', `piece must be whole 8-byte slots, got ${piece.byteLength} bytes; the restore goes on`);
        }
        if (written + piece.byteLength > byteLength) {
          throw new LobError('INVALID_ARGUMENT', `piece would take the snapshot past its byteLength ${byteLength} (${written} written, the piece has ${piece.byteLength}); the restore goes on`);
        }
        step(() => this.core.restorePiece(piece));
        written += piece.byteLength;
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
    return levels.length === 0 ? undefined : { price: smallInteger(levels[0]), size: smallInteger(levels[1]), orders: smallInteger(levels[2]) };
  }

  private levelList(asset: number, side: number, max: number): Level[] {
    const levels = this.query('depth', () => this.core.levels(asset, side, max));
    const list: Level[] = [];
    for (let o = 0; o < levels.length; o += LEVEL_SLOTS) {
      list.push({ price: smallInteger(levels[o]), size: smallInteger(levels[o + 1]), orders: smallInteger(levels[o + 2]) });
    }
    return list;
  }

  /**
   * Builds the result of the last per-call order command (its record `r`) from the core's outputs.
   * Numbers read from the core's slots go into results as small integers where they are (decodeFill
   * says why), and so do those of the other results and queries here.
   */
  private orderResult(r: Float64Array): OrderResult {
    const out = this.out;
    const head = out[Out.HEAD];
    const status = STATUS_NAMES[head & 15] as OrderStatus;
    const fillCount = out[Out.FILL_COUNT];
    // Most orders do not trade: the decoding is a call of its own, which V8 does not inline here.
    const fills: Fill[] = fillCount === 0 ? [] : decodeFills(this.core.fills, fillCount, small(r[Slot.TIMESTAMP]));
    const orderId = out[Out.ORDER_ID];
    const filled = out[Out.FILLED];
    const remaining = out[Out.REMAINING];
    // The core's counts are non-negative integers: one test for the three, then `| 0` on each, as
    // decodeFill does, where smallInteger on each was some 19 instructions (a range test, the
    // truncation and TurboFan's re-check of it; bench/README.md, stop 63).
    const result: OrderResult = orderId <= Smi.MAX && filled <= Smi.MAX && remaining <= Smi.MAX
      ? { orderId: orderId | 0, status, filled: filled | 0, remaining: remaining | 0, fills }
      : { orderId: small(orderId), status, filled: small(filled), remaining: small(remaining), fills };
    // Code 0 is no reason: most results have none, and the test spares them the table's load.
    if (head >= 16) {
      const reason = REASON_NAMES[head >> 4];
      if (reason !== undefined) result.reason = reason;
    }
    // 0 is no client order id: one given is positive.
    if (r[Slot.CLIENT_ORDER_ID] !== 0) result.clientOrderId = r[Slot.CLIENT_ORDER_ID];
    return result;
  }

  private cancelResult(): CancelResult {
    const out = this.out;
    const head = out[Out.HEAD];
    if ((head & 15) === StatusCode.OK) {
      const remaining = out[Out.REMAINING];
      return { ok: true, remaining: remaining <= Smi.MAX ? remaining | 0 : small(remaining) };
    }
    return { ok: false, reason: REASON_NAMES[head >> 4] };
  }

  private ensureUsable(): void {
    if (this.failure !== null) throw this.failure;
  }

  /**
   * For the counts and the events, which answer after a fault (a state machine reports them as it
   * recovers) but not while a restore in pieces is under way: the book is then neither the old one
   * nor the new, and the cores would disagree (the WASM core has emptied it, the JS core not yet).
   */
  private ensureNotRestoring(): void {
    if (this.failure !== null && this.failure.code !== 'ENGINE_FAILED') throw this.failure;
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

  /** What a per-call method throws: a refusal or an error of the request's own as it is, a core call's failure as fail() makes it. */
  private callError(operation: string, error: unknown): unknown {
    // Refused or failed, the call leaves no events: the last call's would be read as its own.
    this.core.clearEvents();
    return error instanceof CoreCallFailure ? this.fail(operation, error.cause) : error;
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

/**
 * The result of a limit order that rested whole (its id from the core, its record `r`): orderResult's
 * literal, in its order, so that both make one shape.
 */
function restedResult(id: number, r: Float64Array): OrderResult {
  const size = r[Slot.SIZE];
  const result: OrderResult = id <= Smi.MAX && size <= Smi.MAX
    ? { orderId: id | 0, status: 'resting', filled: 0, remaining: size | 0, fills: [] }
    : { orderId: small(id), status: 'resting', filled: 0, remaining: small(size), fills: [] };
  if (r[Slot.CLIENT_ORDER_ID] !== 0) result.clientOrderId = r[Slot.CLIENT_ORDER_ID];
  return result;
}

/**
 * The `count` (at least 1) fills of a per-call command as objects; `timestamp` is the command's.
 * The first in an array literal, which is made at its size, the rest pushed: a first push to an
 * empty array grew its store to 17 elements, a call into V8 and 152 bytes for the scavenger, where
 * most orders that trade take one fill (bench/README.md, stop 63). A second literal for two fills
 * saved no more: decodeFill, at three call sites, was then no longer inlined. Not
 * `new Array(count)`: this function's first calls run before V8 gives it feedback, and a holey
 * array made there without an allocation site withdraws V8's ArrayConstructor protector for the
 * whole process (test/bench-processes.test.ts).
 */
function decodeFills(buffer: Float64Array, count: number, timestamp: number): Fill[] {
  const fills: Fill[] = [fillAt(buffer, 0, timestamp)];
  for (let j = 1; j < count; j++) fills.push(fillAt(buffer, j, timestamp));
  return fills;
}

function restingOrderAt(slots: Float64Array, o: number): RestingOrder {
  const order: RestingOrder = {
    orderId: smallInteger(slots[o + ORD_ID]),
    trader: smallInteger(slots[o + ORD_TRADER]),
    asset: smallInteger(slots[o + ORD_ASSET]),
    side: SIDES[slots[o + ORD_SIDE]],
    price: smallInteger(slots[o + ORD_PRICE]),
    remaining: smallInteger(slots[o + ORD_REMAINING]),
    timestamp: smallInteger(slots[o + ORD_TIMESTAMP]),
    stp: STP_MODES[slots[o + ORD_STP]],
  };
  const stopType = slots[o + ORD_STOP_TYPE];
  if (stopType !== 0) {
    order.status = 'pending';
    order.type = ORDER_TYPES[stopType & 3] as 'stop_limit' | 'stop_market';
    order.stopPrice = smallInteger(slots[o + ORD_STOP_PRICE]);
    order.timeInForce = TIME_IN_FORCE[stopType >> 2];
  }
  if (slots[o + ORD_OCO_SIBLING] !== 0) order.ocoSiblingId = smallInteger(slots[o + ORD_OCO_SIBLING]);
  return order;
}
