// The TypeScript matching core behind the MatchingCore interface (mirrors assembly/index.ts, the
// WASM core's exports, which src/wasm-core.ts wraps): the reference the WebAssembly core is
// tested against and the baseline it is benchmarked against, so it is both exact
// (docs/semantics.md) and a real engine (typed-array pools, intrusive queues, no allocation per
// order). Per-call commands write their outcome to `out`; batches to the results buffer.
import { Out } from '../core.js';
import type { CoreOptions, MatchingCore } from '../core.js';
import { COMMAND_SLOTS } from '../operations.js';
import { grownHeapRecords, heapCommandRecords, type BatchStorage } from '../batch.js';
import { runCommands } from './batch.js';
import { Buffers } from './buffers.js';
import { cancelAll } from './cancel-all.js';
import { TifCode } from './codes.js';
import { CoreState } from './core-state.js';
import { Events } from './events.js';
import { Matching, type Limits } from './matching.js';
import { rehearseNewBooks } from './new-book-rehearsal.js';
import { writeBookOrders, writeLevels, writeOrderById } from './queries.js';
import { LobError } from '../errors.js';
import { SnapshotCheck } from '../snapshot-check.js';
import { rebuildState, restoreSnapshot, writeSnapshot } from './snapshot.js';
import { Stops } from './stops.js';

/**
 * Whether the resident core is made (JsCore's constructor makes it with the first core). V8 holds
 * the hidden classes that a function's optimized code was compiled for weakly: once no instance
 * of the core's classes is left (a process that drops its last JS engine, or a bench's warm-up
 * engine), a full GC collects them and V8 throws away every optimized function of the core
 * ("weak objects" in --trace-deopt), so the next engine starts as cold as a new process, its
 * first thousands of orders in the interpreter and 40-80 ms of recompiling (bench/README.md,
 * "A fresh engine's first batches (stop 63)"). One core (168 KB), kept for the process's life,
 * keeps those classes alive. At its creation it opens 64 books, one resting order each
 * (new-book-rehearsal.ts), so that V8 records a new book's first order before it optimizes the
 * code around it; it is used for nothing else.
 */
let residentMade = false;
const resident: JsCore[] = [];

export class JsCore implements MatchingCore {
  readonly backend = 'js' as const;
  readonly out = new Float64Array(Out.SLOTS);

  private readonly buffers = new Buffers();
  /**
   * The state's events (a restore's new state takes them over), kept here too: beginCall and
   * finishCall, inlined into every per-call method, then reach them in one load.
   */
  private readonly eventWriter: Events;
  private readonly limits: Limits;
  private readonly matching: Matching;
  private readonly stops: Stops;
  /** A restore under way (beginRestore): its check and the bytes gathered so far. */
  private restoring: { check: SnapshotCheck; bytes: Uint8Array; restored: number } | null = null;

  constructor(options: CoreOptions = {}) {
    this.limits = { maxOrders: options.maxOrders ?? Infinity, maxLevels: options.maxLevels ?? Infinity };
    this.eventWriter = new Events(options.events !== false);
    this.matching = new Matching(new CoreState(this.eventWriter), this.buffers, this.limits);
    this.stops = new Stops(this.matching, this.limits);
    if (!residentMade) {
      residentMade = true;
      // With the first core's options, so that the two share their classes' field representations.
      const core = new JsCore(options);
      resident.push(core);
      rehearseNewBooks(core);
    }
  }

  private get state(): CoreState {
    return this.matching.state;
  }

  get fills(): Float64Array {
    return this.buffers.fills;
  }
  get batchResults(): Float64Array {
    return this.buffers.results;
  }
  get events(): Float64Array {
    return this.state.events.records;
  }
  get eventCount(): number {
    return this.state.events.count;
  }
  clearEvents(): void {
    this.state.events.clearEvents();
  }
  get nextOrderId(): number {
    return this.state.nextOrderId;
  }
  get restingOrders(): number {
    return this.state.orders.live - this.state.pending.live;
  }
  get pendingStops(): number {
    return this.state.pending.live;
  }
  /** Its arrays grow or the process runs out of memory (which fails the engine): never a refusal. */
  get memoryRefusals(): number {
    return 0;
  }
  /** Nothing to ready: its arrays grow by doubling, and V8 gives them fresh pages either way. */
  prepareForGrowth(_bytes: number): void {}

  placeLimit(trader: number, asset: number, side: number, price: number, size: number,
             timestamp: number, tif: number, stp: number, clientOrderId: number): number {
    this.beginCall();
    const matching = this.matching;
    // Straight to the resting path, not through Matching.placeLimit: V8 charges every layer
    // between the host and restWithoutCrossing against one inlining budget (bench/README.md,
    // stop 49). An order that rests whole has not traded, so only the general path looks for
    // triggered stops; tested here, not only in runTriggers, so that the cascade is no candidate
    // for inlining into the host's per-call path.
    // Its id is the whole outcome the host needs (src/core.ts, MatchingCore.placeLimit).
    const id = tif === TifCode.GTC ? matching.restWithoutCrossing(this.out, 0, trader, asset, side, price, size, timestamp, stp, clientOrderId) : 0;
    if (id === 0) {
      matching.placeLimitGeneral(this.out, 0, 0, trader, asset, side, price, size, timestamp, tif, stp, clientOrderId, 0, 0);
      if (matching.hasTraded()) this.stops.runTriggers(0, timestamp);
    }
    this.finishCall();
    return id;
  }

  placeMarket(trader: number, asset: number, side: number, size: number, budget: number, timestamp: number,
              protectionPrice: number, stp: number, clientOrderId: number): void {
    this.beginCall();
    this.matching.placeMarket(this.out, 0, 0, trader, asset, side, size, budget, protectionPrice, stp, clientOrderId, 0);
    if (this.matching.hasTraded()) this.stops.runTriggers(0, timestamp);
    this.finishCall();
  }

  placeStop(trader: number, asset: number, side: number, size: number, stopPrice: number, price: number,
            protectionPrice: number, timestamp: number, tif: number, stp: number, clientOrderId: number): void {
    this.beginCall();
    this.stops.placeStop(this.out, 0, trader, asset, side, size, stopPrice, price, protectionPrice, timestamp, tif, stp, clientOrderId);
    this.finishCall();
  }

  placeOco(trader: number, asset: number, side: number, size: number, price: number, stopPrice: number,
           stopLimitPrice: number, timestamp: number, stp: number, clientOrderId: number): void {
    this.beginCall();
    this.stops.placeOco(this.out, 0, 0, trader, asset, side, size, price, stopPrice, stopLimitPrice, timestamp, stp, clientOrderId);
    if (this.matching.hasTraded()) this.stops.runTriggers(0, timestamp);
    this.finishCall();
  }

  cancel(trader: number, asset: number, orderId: number): number {
    this.beginCall();
    const matching = this.matching;
    // The common case first, as placeLimit does: its tree fits V8's inlining budget, the general one does not.
    if (matching.cancelResting(this.out, 0, trader, asset, orderId)) {
      this.finishCall();
      return 1;
    }
    matching.cancel(this.out, 0, trader, asset, orderId);
    this.finishCall();
    return 0;
  }

  reduce(trader: number, asset: number, orderId: number, by: number): void {
    this.beginCall();
    this.matching.reduce(this.out, 0, trader, asset, orderId, by);
    this.finishCall();
  }

  modify(trader: number, asset: number, orderId: number, price: number, size: number, timestamp: number): void {
    this.beginCall();
    this.matching.modify(this.out, 0, 0, trader, asset, orderId, price, size, timestamp);
    if (this.matching.hasTraded()) this.stops.runTriggers(0, timestamp);
    this.finishCall();
  }

  cancelAll(trader: number, asset: number, allAssets: boolean): void {
    this.beginCall();
    cancelAll(this.state, this.out, 0, trader, asset, allAssets);
    this.finishCall();
  }

  runBatch(commands: Float64Array, count: number, checked = false): number {
    return runCommands(this.matching, this.stops, this.buffers, commands, count, checked);
  }

  createBatchStorage(commands: number): BatchStorage {
    // The JS core reads any Float64Array where it is: the heap is its own memory.
    let records = heapCommandRecords(commands, 'no batch was made');
    return {
      owner: this,
      view: () => records,
      reserve: (wanted: number, keep: number) => {
        if (wanted * COMMAND_SLOTS > records.length) records = grownHeapRecords(records, wanted, keep);
        return records;
      },
    };
  }

  levels(asset: number, side: number, maxLevels: number): Float64Array {
    return writeLevels(this.state, asset, side, maxLevels);
  }
  findOrder(orderId: number): Float64Array | null {
    return writeOrderById(this.state, orderId);
  }
  listOrders(asset: number): Float64Array {
    return writeBookOrders(this.state, asset);
  }

  snapshot(): Uint8Array {
    return writeSnapshot(this.state);
  }

  snapshotPieces(onPiece: (piece: Uint8Array, at: number, total: number) => void): void {
    const bytes = this.snapshot();
    onPiece(bytes, 0, bytes.byteLength);
  }

  restore(snapshot: Uint8Array): void {
    // Built aside and swapped in whole: a corrupt snapshot throws before anything changes.
    this.matching.state = restoreSnapshot(snapshot, this.limits.maxOrders, this.limits.maxLevels, this.state);
    this.forgetLastCall();
  }

  beginRestore(byteLength: number): void {
    // The pieces are checked as they come and gathered; the state is built from them at the end.
    const check = SnapshotCheck.streamed(byteLength, this.limits.maxOrders, this.limits.maxLevels);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(byteLength);
    } catch {
      throw new LobError('CAPACITY', `no room for a snapshot of ${byteLength} bytes in this process's memory; nothing changed`);
    }
    this.restoring = { check, bytes, restored: 0 };
  }

  restorePiece(piece: Uint8Array): void {
    const restoring = this.restoring;
    if (restoring === null) throw new Error('JS core: restorePiece without beginRestore');
    restoring.check.feedBytes(piece);
    restoring.bytes.set(piece, restoring.restored);
    restoring.restored += piece.byteLength;
  }

  finishRestore(): void {
    const restoring = this.restoring;
    if (restoring === null) throw new Error('JS core: finishRestore without beginRestore');
    this.restoring = null;
    const totals = restoring.check.finish();
    const { bytes } = restoring;
    this.matching.state = rebuildState(new Float64Array(bytes.buffer, 0, bytes.byteLength / 8), totals, this.state);
    this.forgetLastCall();
  }

  /** A restore is no command: the last call's fills and events go, as the WASM core's restore resets them. */
  private forgetLastCall(): void {
    this.beginCall();
    this.finishCall();
  }

  memoryBytes(): number {
    return this.state.bytes() + this.out.byteLength + this.buffers.bytes() + this.state.events.bytes();
  }

  private beginCall(): void {
    this.buffers.clearFills();
    const events = this.eventWriter;
    events.clearEvents();
    events.command = 0;
  }

  private finishCall(): void {
    this.out[Out.FILL_COUNT] = this.buffers.fillCount;
    this.out[Out.EVENT_COUNT] = this.eventWriter.count;
  }
}
