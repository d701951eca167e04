// The numeric interface between the engine host and a matching core. Two cores implement it:
// the WebAssembly one (src/wasm-core.ts over assembly/) and the TypeScript one (src/js-core/index.ts over src/js-core/, which mirrors assembly/ file for file).
// The host (src/engine-host.ts) validates input, builds result objects and guards against
// faults, once, for both: so a benchmark of the two engines measures the cores, not two hosts.
//
// Everything crossing this interface is a number (codes from codes.ts; prices, sizes, ids as
// float64 integers below 2^53) or a Float64Array view. Inputs are already validated.
// Views may be replaced by any call (WASM memory growth replaces them): read them through the
// getters after each call, never keep one across calls.
import type { BatchStorage } from './batch.js';
import type { BackendName } from './types.js';

/**
 * Slots of `out`, the outcome of the last per-call command (its first RESULT_SLOTS are a batch
 * result's; HEAD is status | reason << 4, codes.ts). A const enum, so that the host's per-call path
 * reads `out` at literal indexes rather than through module cells (bench/README.md, stop 49).
 */
export const enum Out { HEAD = 0, ORDER_ID = 1, FILLED = 2, REMAINING = 3, SPENT = 4, FILL_COUNT = 5, EVENT_COUNT = 6, SLOTS = 7 }

/** Slots per level in `levels()`: price, size (sum of remaining), order count. */
export const LEVEL_SLOTS = 3;
/**
 * Slots per order in `listOrders()` and `findOrder()`: a resting order or a pending stop. A
 * pending stop's price is its limit (a stop-market's protection price, 0 for none), and its
 * ORD_STOP_TYPE is its order type | timeInForce << 2 (0 for a resting order). ORD_OCO_SIBLING
 * is the other leg of an OCO pair (0: none).
 */
export const ORDER_SLOTS = 11;
export const ORD_ID = 0;
export const ORD_ASSET = 1;
export const ORD_SIDE = 2;
export const ORD_PRICE = 3;
export const ORD_TRADER = 4;
export const ORD_REMAINING = 5;
export const ORD_TIMESTAMP = 6;
export const ORD_STP = 7;
export const ORD_STOP_PRICE = 8;
export const ORD_STOP_TYPE = 9;
export const ORD_OCO_SIBLING = 10;

export interface CoreLimits {
  /** Most resting orders over all books; default unlimited. */
  maxOrders?: number;
  /** Most price levels over all books and sides; default unlimited. */
  maxLevels?: number;
  /** Most bytes of WASM linear memory; default 4 GiB. Ignored by the JS core. */
  maxMemoryBytes?: number;
}

/** How a core is made: its limits, and whether it records events. */
export interface CoreOptions extends CoreLimits {
  /**
   * Whether the core writes an event record for every change of a book (default true). With
   * false it writes none, so `events` stays empty: results and fills are the same, and a user
   * who reads no events (a backtest, a matching benchmark) does not pay for them.
   */
  events?: boolean;
}

export interface MatchingCore {
  readonly backend: BackendName;

  // Per-call commands. Each writes its outcome into `out`, its fills into `fills` (FILL_SLOTS
  // each, batch.ts layout, command index 0) and its events into `events` (EVENT_SLOTS each,
  // events.ts), including those of the stops its trades trigger. The fill timestamp is the
  // command's. clientOrderId 0: none.
  /**
   * Returns the order's id when it rested whole at once (status resting, nothing filled, `size`
   * remaining, no fills, no reason), 0 otherwise (out holds the outcome): the common result then
   * needs no reads of `out` (bench/README.md, stop 69).
   */
  placeLimit(trader: number, asset: number, side: number, price: number, size: number,
             timestamp: number, tif: number, stp: number, clientOrderId: number): number;
  /** protectionPrice 0: none. size 0: sized by `budget` (the cost it may reach), spent reported in out[Out.SPENT]. */
  placeMarket(trader: number, asset: number, side: number, size: number, budget: number, timestamp: number,
              protectionPrice: number, stp: number, clientOrderId: number): void;
  /** price 0: a stop-market (protectionPrice 0: none); else a stop-limit with its tif. */
  placeStop(trader: number, asset: number, side: number, size: number, stopPrice: number, price: number,
            protectionPrice: number, timestamp: number, tif: number, stp: number, clientOrderId: number): void;
  /** A limit leg at price (id N) and a stop leg at stopPrice (id N + 1; stopLimitPrice 0: a stop-market). */
  placeOco(trader: number, asset: number, side: number, size: number, price: number, stopPrice: number,
           stopLimitPrice: number, timestamp: number, stp: number, clientOrderId: number): void;
  /** Returns 1 when a resting order was cancelled at once (status ok, nothing remaining), 0 otherwise (out holds the outcome). */
  cancel(trader: number, asset: number, orderId: number): number;
  reduce(trader: number, asset: number, orderId: number, by: number): void;
  /** price or size 0: unchanged. */
  modify(trader: number, asset: number, orderId: number, price: number, size: number, timestamp: number): void;
  /** allAssets: every book of the trader (asset ignored). The count cancelled goes to out[Out.FILLED]. */
  cancelAll(trader: number, asset: number, allAssets: boolean): void;

  /** Out.SLOTS slots: the outcome of the last per-call command; the same array for the core's life (the host holds it). */
  readonly out: Float64Array;
  /** The fills of the last per-call command or batch; FILL_SLOTS each, at least fillCount of them. */
  readonly fills: Float64Array;
  /** The events of the last per-call command or batch; EVENT_SLOTS each. */
  readonly events: Float64Array;
  /** How many events the last per-call command or batch wrote. */
  readonly eventCount: number;
  /** Forgets the last call's events: a call the host refuses applies nothing, so it leaves none. */
  clearEvents(): void;

  /**
   * Checks the `count` commands of `commands` (src/operations.ts layout), then applies them in
   * order: RESULT_SLOTS per command into `batchResults`, fills into `fills`, events into
   * `events`; returns the number of fills. A malformed command applies nothing and returns a
   * negative fault code (decodeFault in src/operations.ts reads it). `checked`: the commands are
   * known to pass that check (CommandBatch's builders vouched for every one), which is then skipped.
   */
  runBatch(commands: Float64Array, count: number, checked?: boolean): number;
  readonly batchResults: Float64Array;
  /** Storage for a CommandBatch that this core reads without a copy (engine.createBatch). */
  createBatchStorage(commands: number): BatchStorage;

  /** Up to maxLevels levels of one side (0 bid, 1 ask), best first, LEVEL_SLOTS each (a view or a copy). */
  levels(asset: number, side: number, maxLevels: number): Float64Array;
  /** One resting order or pending stop, ORDER_SLOTS, or null when it is neither. */
  findOrder(orderId: number): Float64Array | null;
  /**
   * Every resting order of an asset, bids best first then asks best first, queue order, then its
   * pending stops, buys then sells, each in trigger order; ORDER_SLOTS each.
   */
  listOrders(asset: number): Float64Array;

  /** The canonical snapshot (snapshot.ts), a fresh copy. */
  snapshot(): Uint8Array;
  /**
   * The canonical snapshot handed to `onPiece` front to back, in pieces valid only during the call
   * (`at`: the piece's offset, `total`: the snapshot's length): hashing it needs no copy of it.
   */
  snapshotPieces(onPiece: (piece: Uint8Array, at: number, total: number) => void): void;
  /** Replaces the whole state; throws LobError CORRUPTION on a malformed snapshot, before changing anything. */
  restore(snapshot: Uint8Array): void;
  /**
   * Starts a restore of a snapshot of `byteLength` bytes (the current version) fed piece by piece
   * (restorePiece), each piece checked as it comes (snapshot-check.ts) and restored before the
   * next: a checkpoint file is restored as it is read, never whole in memory. The state is gone
   * from here: a snapshot found unsound part way, or a failure, leaves the core half-restored.
   */
  beginRestore(byteLength: number): void;
  /** The snapshot's next bytes: whole 8-byte slots. */
  restorePiece(piece: Uint8Array): void;
  /** After the last piece: the checks that need the whole snapshot, and the restore's end. */
  finishRestore(): void;

  readonly nextOrderId: number;
  readonly restingOrders: number;
  readonly pendingStops: number;
  /**
   * Commands refused CAPACITY for lack of memory since the core was made (not for maxOrders or
   * maxLevels, which depend on the book alone). Only the WASM core has such refusals: the JS
   * core's arrays grow until the process runs out of memory, which fails the engine.
   */
  readonly memoryRefusals: number;
  memoryBytes(): number;
  /** Readies about `bytes` of growth that is coming (Engine.prepareForGrowth). */
  prepareForGrowth(bytes: number): void;
}
