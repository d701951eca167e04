// The engine contract that both backends implement, and the factory that picks one.
import { LobError, invalidArgument } from './errors.js';
import { orDefault, refuseUnknownOptions, requirePositive } from './validate.js';
import type { BatchResults, CommandBatch } from './batch.js';
import type { EventList } from './events.js';
import type { CoreOptions } from './core.js';
import type {
  BackendName,
  CancelAllRequest,
  CancelAllResult,
  CancelRequest,
  CancelResult,
  Depth,
  Level,
  LimitOrderRequest,
  MarketOrderRequest,
  ModifyRequest,
  OcoOrderRequest,
  StopOrderRequest,
  OrderResult,
  ReduceRequest,
  RestingOrder,
} from './types.js';

export interface EngineOptions extends CoreOptions {
  backend?: BackendName;
}

/** A restore in pieces under way (Engine.restoreInPieces). */
export interface SnapshotRestore {
  /** The snapshot's next bytes, in order: whole 8-byte slots. */
  write(piece: Uint8Array): void;
  /** After the last piece: the checks that need the whole snapshot; then the engine serves calls again. */
  end(): void;
}

export interface Engine {
  readonly backend: BackendName;
  placeLimit(req: LimitOrderRequest): OrderResult;
  /** A market order for a size, or (`budget`) for as many lots as the budget pays for. */
  placeMarket(req: MarketOrderRequest): OrderResult;
  /** A stop or stop-limit order: pending (status 'pending') until the last trade price reaches its stop price. */
  placeStop(req: StopOrderRequest): OrderResult;
  /** An OCO pair: the result is the limit leg's, with the stop leg's id and status. */
  placeOco(req: OcoOrderRequest): OrderResult;
  cancel(req: CancelRequest): CancelResult;
  reduce(req: ReduceRequest): CancelResult;
  modify(req: ModifyRequest): OrderResult;
  /** Cancels every resting order and pending stop of a trader, in one asset or (asset omitted) in all. */
  cancelAll(req: CancelAllRequest): CancelAllResult;
  /**
   * The events of the last per-call command (src/events.ts), read in place: overwritten by the
   * next call. Always empty for an engine created with `events: false`.
   */
  readonly events: EventList;
  bestBid(asset: number): Level | undefined;
  bestAsk(asset: number): Level | undefined;
  /** Aggregated levels, best first on each side. */
  depth(asset: number, levels?: number): Depth;
  /** A resting order or a pending stop (status 'pending'). */
  order(orderId: number): RestingOrder | undefined;
  /**
   * Resting orders of one asset: bids best first, then asks best first, each level in queue
   * order; then its pending stops, buys then sells, each in trigger order.
   */
  orders(asset: number): RestingOrder[];
  /** sha256 of the canonical snapshot: same commands, same hash, on both backends. */
  stateHash(): string;
  /**
   * Applies every command of the batch in order. The whole batch is validated first: a malformed
   * command throws INVALID_ARGUMENT naming `commands[i].field` and nothing is applied. The
   * returned object is owned by the engine and overwritten by the next call.
   */
  submitBatch(batch: CommandBatch): BatchResults;
  /**
   * A batch that lives in the engine's own memory: submitting it copies nothing (for the WASM
   * engine, it is written straight into linear memory). Any engine accepts any batch.
   */
  createBatch(commands?: number): CommandBatch;
  /** The id the next accepted order will get. */
  readonly nextOrderId: number;
  /** Resting orders across all books. */
  readonly restingOrders: number;
  /** Stops waiting for their trigger across all books. */
  readonly pendingStops: number;
  /**
   * How many commands the WASM engine has refused CAPACITY for lack of memory (maxMemoryBytes, or
   * WebAssembly's 4 GiB): unlike a refusal for maxOrders or maxLevels, whether one happens depends
   * on how fragmented the heap has become, not on the book alone, so an engine restored from a
   * snapshot may accept the command. Always 0 for the JS engine. The state machine fails on one
   * rather than journal it (docs/semantics.md, Capacity).
   */
  readonly memoryRefusals: number;
  /** The canonical snapshot (see snapshot.ts). */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot's; throws CORRUPTION on a malformed one and changes nothing. */
  restore(snapshot: Uint8Array): void;
  /**
   * Replaces the whole state with a snapshot of `byteLength` bytes (the current format version)
   * handed over in pieces, each checked as it comes and restored before the next, so the
   * snapshot is never whole in memory (a checkpoint file restored as it is read). Unlike
   * restore(), the state is gone from this call on: a snapshot found malformed part way throws
   * CORRUPTION from write() or end(), one beyond maxOrders or maxLevels INVALID_ARGUMENT from the
   * write() that takes it past them, and the engine then refuses every call (ENGINE_FAILED).
   * Until end() returns, other calls throw INVALID_ARGUMENT, and so do reads of nextOrderId,
   * restingOrders, pendingStops and events.
   */
  restoreInPieces(byteLength: number): SnapshotRestore;
  /** Bytes the engine holds for its books: linear memory for wasm, typed arrays for js. */
  memoryBytes(): number;
  /**
   * A hint that about `bytes` more memory is coming (many orders about to be placed, a journal
   * replayed): the WASM engine grows its memory at once to hold that much more than it has
   * allocated, and has another thread touch the new pages, which on a VM cost about 3 ms a MiB on the thread that first writes
   * them. It changes nothing else (within maxMemoryBytes; beyond it, nothing is done). The JS
   * engine does nothing.
   */
  prepareForGrowth(bytes: number): void;
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  validateEngineOptions(options);
  const backend = orDefault(options.backend, 'wasm');
  const { MatchingEngine } = await import('./engine-host.js');
  if (backend === 'wasm') {
    const { WasmCore } = await import('./wasm-core.js');
    return new MatchingEngine(await WasmCore.create(options));
  }
  if (backend === 'js') {
    const { JsCore } = await import('./js-core/index.js');
    return new MatchingEngine(new JsCore(options));
  }
  throw new LobError('INVALID_ARGUMENT', `backend must be one of wasm, js, got ${String(backend)}`);
}

const ENGINE_OPTIONS: readonly (keyof EngineOptions)[] = ['backend', 'events', 'maxOrders', 'maxLevels', 'maxMemoryBytes'];

function validateEngineOptions(options: EngineOptions): void {
  refuseUnknownOptions('options', options, ENGINE_OPTIONS, 'createEngine');
  for (const field of ['maxOrders', 'maxLevels', 'maxMemoryBytes'] as const) {
    if (options[field] !== undefined) requirePositive(field, options[field]);
  }
  if (options.events !== undefined && typeof options.events !== 'boolean') throw invalidArgument('events', 'a boolean', options.events);
}
