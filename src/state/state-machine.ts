// CoreStateMachine: a matching engine made durable. Commands apply to the engine at once and
// queue in the journal; flush() writes everything since the last flush as one RocksDB batch
// (journal, fills, fill indexes, head); checkpoints copy the books out at an exact journal
// sequence; opening a path recovers the newest good checkpoint plus the journal after it.
// Without a path the same API runs in memory and persists nothing.
import { createEngine } from '../engine.js';
import type { Engine } from '../engine.js';
import type { BatchResults, CommandBatch } from '../batch.js';
import { encodeRequest } from '../operations.js';
import type { CoreLimits } from '../core.js';
import { LobError, invalidArgument } from '../errors.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../validate.js';
import type {
  BackendName, CancelRequest, CancelResult, Depth, Fill, Level, LimitOrderRequest, MarketOrderRequest,
  ModifyRequest, OrderResult, ReduceRequest, RestingOrder,
} from '../types.js';
import { encodeHead } from './codecs.js';
import type { CheckpointManifest, HeadState } from './codecs.js';
import { checkpointInfo, deleteCheckpoint, putCheckpoint, sha256 } from './checkpoints.js';
import type { CheckpointInfo, CheckpointState } from './checkpoints.js';
import { MemoryFillHistory, StoredFillHistory } from './fill-history.js';
import { PendingFills, writeFillTable } from './fill-writer.js';
import type { FillHistory, FillPage, RecordedFill, TraderFillQuery } from './fill-history.js';
import { JournalBuffer, pruneJournalThrough, writeRecords } from './journal.js';
import { refuseWhenReadOnly } from './read-only-guard.js';
import { headKey } from './keys.js';
import { EMPTY_HEAD, recoverFromStore } from './recovery.js';
import type { RecoveryReport } from './recovery.js';
import { SerialQueue } from './serial-queue.js';
import { snapshotAssets } from './snapshot-assets.js';
import { Store } from './store.js';

export interface AutoFlushOptions {
  /** Flush once this many commands are pending. */
  operations?: number;
  /** Flush this long after the first command that follows a flush. */
  milliseconds?: number;
}

export interface StateMachineOptions extends CoreLimits {
  /** Directory of the RocksDB database; without one the state machine runs in memory. */
  path?: string;
  /**
   * Read the database at `path` as it is at open, beside any writer that holds it, and never
   * write it: queries work, commands and checkpoints throw READ_ONLY. Open again to see newer flushes.
   */
  readOnly?: boolean;
  /** checkpointIfNeeded() checkpoints once the height has advanced this far since the last checkpoint. */
  checkpointInterval?: number;
  backend?: BackendName;
  /** fsync each flush (survives a machine crash, not only a killed process). */
  sync?: boolean;
  /** Checkpoints kept; the journal is kept back to the oldest of them. */
  keepCheckpoints?: number;
  /** Group commit: flush on its own after N commands or T milliseconds. */
  autoFlush?: AutoFlushOptions;
  /** Told about a group-commit flush that failed; its records stay pending for the next flush. */
  onAutoFlushError?: (error: LobError) => void;
}

/** An engine result whose fills carry their height and global fill sequence. */
export interface StateOrderResult extends Omit<OrderResult, 'fills'> {
  fills: RecordedFill[];
}

export interface StateBatchResult {
  /** The engine's results, owned by the engine and overwritten by its next batch. */
  results: BatchResults;
  /** fillSeq of results' fill 0; fill j has firstFillSeq + j. */
  firstFillSeq: number;
  height: number;
}

export interface FlushReport {
  /** Journal sequence durable after this flush. */
  sequence: number;
  height: number;
  /** Journal entries and fills this flush wrote. */
  entries: number;
  fills: number;
}

export interface BookView {
  readonly asset: number;
  bestBid(): Level | undefined;
  bestAsk(): Level | undefined;
  depth(levels?: number): Depth;
  orders(): RestingOrder[];
}

/** Storage state of a persistent state machine; absent in memory mode. */
interface Persistence {
  store: Store;
  journal: JournalBuffer;
  pendingFills: PendingFills;
  history: StoredFillHistory;
  /** What the last successful flush wrote as the head. */
  durableHead: HeadState;
  /** Stored checkpoints, oldest first. */
  manifests: CheckpointManifest[];
}

export class CoreStateMachine {
  private engine: Engine;
  private readonly persistence: Persistence | null;
  private readonly memoryFills: MemoryFillHistory | null;
  private currentHeight = 0;
  private nextFill = 1;
  private lastCheckpointHeight = 0;
  private state: 'open' | 'recovering' | 'closed' = 'open';
  private lastRecovery: RecoveryReport | null = null;

  // Writes run one after another so journal records land in sequence order; a failed one puts
  // its records back before the next starts. Checkpoints queue separately: their big write must
  // not hold up the flushes of commands that arrive meanwhile.
  private readonly writes = new SerialQueue();
  private readonly checkpoints = new SerialQueue();

  private opsSinceFlush = 0;
  private flushTimer: NodeJS.Timeout | null = null;

  private constructor(
    engine: Engine,
    persistence: Persistence | null,
    private readonly options: Required<Pick<StateMachineOptions, 'checkpointInterval' | 'keepCheckpoints' | 'sync'>> & StateMachineOptions,
  ) {
    this.engine = engine;
    this.persistence = persistence;
    this.memoryFills = persistence === null ? new MemoryFillHistory() : null;
  }

  static async open(options: StateMachineOptions = {}): Promise<CoreStateMachine> {
    const resolved = resolveOptions(options);
    const newEngine = (): Promise<Engine> => createEngine(engineOptions(resolved));
    if (resolved.path === undefined) return new CoreStateMachine(await newEngine(), null, resolved);

    const store = await Store.open(resolved.path, { sync: resolved.sync, readOnly: resolved.readOnly });
    try {
      const persistence: Persistence = {
        store,
        journal: new JournalBuffer(0),
        pendingFills: new PendingFills(),
        history: new StoredFillHistory(store),
        durableHead: { ...EMPTY_HEAD },
        manifests: [],
      };
      const machine = new CoreStateMachine(await newEngine(), persistence, resolved);
      await machine.loadFromStore();
      return machine;
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
  }

  // ------------------------------------------------------------------ state

  get backend(): BackendName {
    return this.engine.backend;
  }

  get height(): number {
    return this.currentHeight;
  }

  /** Sequence of the newest journal entry (0 in memory mode, which keeps no journal). */
  get sequence(): number {
    return this.persistence?.journal.lastSequence ?? 0;
  }

  get nextOrderId(): number {
    return this.engine.nextOrderId;
  }

  get nextFillSeq(): number {
    return this.nextFill;
  }

  /** Journal entries applied but not yet written by a flush. */
  get pendingEntries(): number {
    return this.persistence?.journal.pendingEntries ?? 0;
  }

  get persistent(): boolean {
    return this.persistence !== null;
  }

  /** Opened with `readOnly: true`: a view of the database as it was at open. */
  get readOnly(): boolean {
    return this.options.readOnly === true;
  }

  /** What the last recovery (including the one on open) found. */
  get recovery(): RecoveryReport | null {
    return this.lastRecovery;
  }

  /** Moves the height forward; fills from now on carry it. Journaled, so replay reproduces it. */
  setHeight(height: number): void {
    this.assertWritable('setHeight');
    if (!isNonNegativeSafeInteger(height) || height < this.currentHeight) {
      throw invalidArgument('height', `a safe integer >= the current height ${this.currentHeight}`, height);
    }
    if (height === this.currentHeight) return;
    this.currentHeight = height;
    this.persistence?.journal.appendHeight(height);
    this.afterMutation(1);
  }

  stateHash(): string {
    this.assertOpen();
    return this.engine.stateHash();
  }

  getBook(asset: number): BookView {
    this.assertOpen();
    if (!isNonNegativeSafeInteger(asset)) throw invalidArgument('asset', 'a non-negative safe integer', asset);
    // The view reads through `this`, so it stays valid when recover() swaps the engine.
    return {
      asset,
      bestBid: () => this.openEngine().bestBid(asset),
      bestAsk: () => this.openEngine().bestAsk(asset),
      depth: (levels = 10) => this.openEngine().depth(asset, levels),
      orders: () => this.openEngine().orders(asset),
    };
  }

  order(orderId: number): RestingOrder | undefined {
    return this.openEngine().order(orderId);
  }

  /** Assets whose book holds at least one resting order, ascending. */
  assets(): number[] {
    return snapshotAssets(this.snapshot());
  }

  /** The engine's canonical snapshot (snapshot.ts): every resting order of every book. A copy. */
  snapshot(): Uint8Array {
    return this.openEngine().snapshot();
  }

  // ------------------------------------------------------------------ commands

  placeLimitOrder(req: LimitOrderRequest): StateOrderResult {
    this.assertWritable('placeLimitOrder');
    const result = this.engine.placeLimit(req);
    this.persistence?.journal.appendRequest(encodeRequest.placeLimit, req);
    return this.recordResult(result);
  }

  placeMarketOrder(req: MarketOrderRequest): StateOrderResult {
    this.assertWritable('placeMarketOrder');
    const result = this.engine.placeMarket(req);
    this.persistence?.journal.appendRequest(encodeRequest.placeMarket, req);
    return this.recordResult(result);
  }

  cancelOrder(req: CancelRequest): CancelResult {
    this.assertWritable('cancelOrder');
    const result = this.engine.cancel(req);
    this.persistence?.journal.appendRequest(encodeRequest.cancel, req);
    this.afterMutation(1);
    return result;
  }

  reduceOrder(req: ReduceRequest): CancelResult {
    this.assertWritable('reduceOrder');
    const result = this.engine.reduce(req);
    this.persistence?.journal.appendRequest(encodeRequest.reduce, req);
    this.afterMutation(1);
    return result;
  }

  modifyOrder(req: ModifyRequest): StateOrderResult {
    this.assertWritable('modifyOrder');
    const result = this.engine.modify(req);
    this.persistence?.journal.appendRequest(encodeRequest.modify, req);
    return this.recordResult(result);
  }

  /**
   * The fast path: applies a binary command batch and journals its bytes as they are. Validated
   * whole first by the engine: a malformed command throws and nothing is applied or journaled.
   */
  submitBatch(batch: CommandBatch): StateBatchResult {
    this.assertWritable('submitBatch');
    const results = this.engine.submitBatch(batch);
    this.persistence?.journal.appendCommands(batch.slots, batch.count);
    const firstFillSeq = this.nextFill;
    const height = this.currentHeight;
    const fills = results.fills;
    const commands = results.commands;
    if (this.persistence !== null) {
      const pending = this.persistence.pendingFills.open;
      for (let j = 0; j < results.fillCount; j++) pending.appendFromSlots(fills, j, commands, 0, this.nextFill++, height);
    } else {
      const memory = this.memoryFills as MemoryFillHistory;
      for (let j = 0; j < results.fillCount; j++) memory.addFromSlots(fills, j, commands, this.nextFill++, height);
    }
    this.afterMutation(batch.count);
    return { results, firstFillSeq, height };
  }

  private recordResult(result: OrderResult): StateOrderResult {
    const fills = result.fills as RecordedFill[];
    for (let i = 0; i < fills.length; i++) {
      const fill: Fill & Partial<RecordedFill> = fills[i];
      fill.height = this.currentHeight;
      fill.fillSeq = this.nextFill++;
      if (this.persistence !== null) this.persistence.pendingFills.open.appendFill(fill as RecordedFill);
      else (this.memoryFills as MemoryFillHistory).addFill(fill as RecordedFill);
    }
    this.afterMutation(1);
    return result as StateOrderResult;
  }

  // ------------------------------------------------------------------ durability

  /**
   * Writes every journal entry, fill and index since the last flush, and the head, as one
   * RocksDB write batch (synced with `sync`). On failure it rejects with a LobError and the
   * records stay pending, so the next flush or close() writes them.
   */
  async flush(): Promise<FlushReport> {
    this.assertOpen();
    this.disarmAutoFlush();
    if (this.persistence === null) return { sequence: 0, height: this.currentHeight, entries: 0, fills: 0 };
    return this.writes.run(() => this.writePending());
  }

  /** Flushes, then checkpoints when the height has moved checkpointInterval past the last checkpoint. */
  async checkpointIfNeeded(): Promise<CheckpointInfo | undefined> {
    refuseWhenReadOnly(this.readOnly, 'checkpointIfNeeded');
    await this.flush();
    if (this.currentHeight - this.lastCheckpointHeight < this.options.checkpointInterval) return undefined;
    return this.checkpoint();
  }

  /**
   * Stores every book at the current journal sequence. The books are copied out synchronously
   * (the only pause matching sees); hashing and writing happen while commands keep flowing, and
   * those commands land in the journal after the checkpoint's sequence. In memory mode there is
   * nowhere to store it: returns undefined.
   */
  async checkpoint(): Promise<CheckpointInfo | undefined> {
    this.assertOpen();
    refuseWhenReadOnly(this.readOnly, 'checkpoint');
    const persistence = this.persistence;
    if (persistence === null) return undefined;
    return this.checkpoints.run(() => this.writeCheckpoint(persistence));
  }

  async listCheckpoints(): Promise<CheckpointInfo[]> {
    this.assertOpen();
    await this.checkpoints.idle();
    return (this.persistence?.manifests ?? []).map(checkpointInfo);
  }

  /**
   * Rebuilds the engine from storage: the newest checkpoint that passes its checks, then the
   * journal after it. Pending commands are flushed first, so recovering never loses or repeats
   * anything and calling it twice gives the same state. In memory mode there is nothing to load.
   */
  async recover(): Promise<RecoveryReport> {
    this.assertOpen();
    if (this.persistence === null) {
      return {
        checkpointSequence: null, checkpointHeight: null, skippedCheckpoints: [], replayedRecords: 0,
        replayedCommands: 0, replayedFills: 0, height: this.currentHeight, sequence: 0,
        nextOrderId: this.engine.nextOrderId, nextFillSeq: this.nextFill, restingOrders: this.engine.restingOrders,
        durationMs: 0,
      };
    }
    await this.flush();
    await this.checkpoints.idle();
    return this.loadFromStore();
  }

  /** Flushes what is pending and closes the database. If that flush fails, it rejects and stays open. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.disarmAutoFlush();
    if (this.persistence !== null) {
      // Commands may arrive while we wait; loop until a flush leaves nothing behind.
      do {
        await this.flush();
        await this.checkpoints.idle();
        await this.writes.idle();
      } while (this.persistence.journal.pendingEntries > 0);
    }
    this.state = 'closed';
    await this.persistence?.store.close();
  }

  // ------------------------------------------------------------------ fill history

  /** Fills of an order as maker or taker, oldest first, after the fillSeq cursor `after`. */
  async getOrderFills(orderId: number, page?: FillPage): Promise<RecordedFill[]> {
    return (await this.readableHistory()).orderFills(orderId, page);
  }

  async getFillCount(orderId: number): Promise<number> {
    return (await this.readableHistory()).fillCount(orderId);
  }

  /** Fills of a trader (maker or taker), oldest first, in a height range, after a fillSeq cursor. */
  async getTraderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]> {
    return (await this.readableHistory()).traderFills(trader, query);
  }

  /** Persistent queries read the database, so pending fills are flushed first: reads see every applied command. */
  private async readableHistory(): Promise<FillHistory> {
    this.assertOpen();
    if (this.persistence === null) return this.memoryFills as MemoryFillHistory;
    await this.flush();
    return this.persistence.history;
  }

  // ------------------------------------------------------------------ internals

  private headNow(): HeadState {
    return {
      height: this.currentHeight,
      lastSequence: (this.persistence as Persistence).journal.lastSequence,
      nextOrderId: this.engine.nextOrderId,
      nextFillSeq: this.nextFill,
    };
  }

  /** Cuts what is pending (synchronously, before the first await) and writes it as one batch. */
  private async writePending(): Promise<FlushReport> {
    const p = this.persistence as Persistence;
    const records = p.journal.takeRecords();
    const fills = p.pendingFills.take();
    const head = this.headNow();
    let entries = 0;
    for (const record of records) entries += record.entryCount;
    let fillCount = 0;
    for (const table of fills) fillCount += table.count;
    const report = { sequence: head.lastSequence, height: head.height, entries, fills: fillCount };
    if (records.length === 0 && fillCount === 0 && sameHead(head, p.durableHead)) return report;

    const batch = p.store.batch();
    writeRecords(batch, records);
    for (const table of fills) writeFillTable(batch, table);
    batch.put(headKey(), encodeHead(head));
    try {
      await p.store.write(batch);
    } catch (error) {
      p.journal.putBack(records);
      p.pendingFills.putBack(fills);
      throw error;
    }
    p.durableHead = head;
    return report;
  }

  private async writeCheckpoint(p: Persistence): Promise<CheckpointInfo> {
    // Phase 1, in the write queue: cut the journal and copy the books out in one synchronous run,
    // so the snapshot is exactly the state after the last entry that flush writes.
    let snapshot: Uint8Array = new Uint8Array(0);
    let state: CheckpointState = { sequence: 0, height: 0, nextFillSeq: 0, nextOrderId: 0, restingOrders: 0 };
    await this.writes.run(() => {
      const flushing = this.writePending();
      snapshot = this.engine.snapshot();
      state = {
        sequence: p.journal.lastSequence,
        height: this.currentHeight,
        nextFillSeq: this.nextFill,
        nextOrderId: this.engine.nextOrderId,
        restingOrders: this.engine.restingOrders,
      };
      return flushing;
    });

    const newest = p.manifests[p.manifests.length - 1];
    if (newest !== undefined && newest.sequence === state.sequence) {
      this.lastCheckpointHeight = Math.max(this.lastCheckpointHeight, newest.height);
      return checkpointInfo(newest);
    }

    // Phase 2, off the write queue: flushes of newer commands go on meanwhile.
    const digest = await sha256(snapshot);
    const batch = p.store.batch(snapshot.byteLength + 64 * 1024);
    const manifest = putCheckpoint(batch, state, snapshot, digest);
    const kept = [...p.manifests, manifest];
    const dropped = kept.splice(0, Math.max(0, kept.length - this.options.keepCheckpoints));
    for (const old of dropped) await deleteCheckpoint(p.store, batch, old.sequence);
    await pruneJournalThrough(p.store, batch, kept[0].sequence);
    await p.store.write(batch);
    p.manifests = kept;
    this.lastCheckpointHeight = state.height;
    return checkpointInfo(manifest);
  }

  private async loadFromStore(): Promise<RecoveryReport> {
    const p = this.persistence as Persistence;
    this.state = 'recovering';
    try {
      const recovered = await recoverFromStore(p.store, () => createEngine(engineOptions(this.options)));
      this.engine = recovered.engine;
      this.currentHeight = recovered.head.height;
      this.nextFill = recovered.head.nextFillSeq;
      p.durableHead = recovered.head;
      p.journal = new JournalBuffer(recovered.head.lastSequence);
      p.pendingFills = new PendingFills();
      p.manifests = recovered.manifests.filter((m) => !recovered.report.skippedCheckpoints.some((s) => s.sequence === m.sequence));
      this.lastCheckpointHeight = p.manifests[p.manifests.length - 1]?.height ?? 0;
      this.lastRecovery = recovered.report;
      return recovered.report;
    } finally {
      if (this.state === 'recovering') this.state = 'open';
    }
  }

  private afterMutation(commands: number): void {
    const auto = this.options.autoFlush;
    if (auto === undefined || this.persistence === null) return;
    this.opsSinceFlush += commands;
    if (auto.operations !== undefined && this.opsSinceFlush >= auto.operations) {
      this.autoFlush();
    } else if (auto.milliseconds !== undefined && this.flushTimer === null) {
      this.flushTimer = setTimeout(() => this.autoFlush(), auto.milliseconds);
    }
  }

  private autoFlush(): void {
    if (this.state !== 'open') return;
    this.flush().catch((error: unknown) => {
      const lobError = error instanceof LobError ? error : new LobError('IO_ERROR', String(error), { cause: error });
      this.options.onAutoFlushError?.(lobError);
    });
  }

  private disarmAutoFlush(): void {
    this.opsSinceFlush = 0;
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
  }

  private assertOpen(): void {
    if (this.state === 'closed') throw new LobError('NOT_OPEN', 'the state machine is closed');
  }

  private assertWritable(operation: string): void {
    this.assertOpen();
    refuseWhenReadOnly(this.readOnly, operation);
    if (this.state === 'recovering') throw new LobError('NOT_OPEN', 'the state machine is recovering; commands are refused until recover() resolves');
  }

  private openEngine(): Engine {
    this.assertOpen();
    return this.engine;
  }
}

function sameHead(a: HeadState, b: HeadState): boolean {
  return a.height === b.height && a.lastSequence === b.lastSequence && a.nextOrderId === b.nextOrderId && a.nextFillSeq === b.nextFillSeq;
}

function engineOptions(options: StateMachineOptions): CoreLimits & { backend?: BackendName } {
  return { backend: options.backend, maxOrders: options.maxOrders, maxLevels: options.maxLevels, maxMemoryBytes: options.maxMemoryBytes };
}

type ResolvedOptions = Required<Pick<StateMachineOptions, 'checkpointInterval' | 'keepCheckpoints' | 'sync'>> & StateMachineOptions;

function resolveOptions(options: StateMachineOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const resolved: ResolvedOptions = { ...options, checkpointInterval: options.checkpointInterval ?? 100, keepCheckpoints: options.keepCheckpoints ?? 2, sync: options.sync ?? true };
  if (resolved.path !== undefined && (typeof resolved.path !== 'string' || resolved.path === '')) {
    throw invalidArgument('path', 'a non-empty string', resolved.path);
  }
  if (!isPositiveSafeInteger(resolved.checkpointInterval)) throw invalidArgument('checkpointInterval', 'a positive safe integer', resolved.checkpointInterval);
  if (!isPositiveSafeInteger(resolved.keepCheckpoints)) throw invalidArgument('keepCheckpoints', 'a positive safe integer', resolved.keepCheckpoints);
  if (typeof resolved.sync !== 'boolean') throw invalidArgument('sync', 'a boolean', resolved.sync);
  if (resolved.readOnly !== undefined && typeof resolved.readOnly !== 'boolean') throw invalidArgument('readOnly', 'a boolean', resolved.readOnly);
  if (resolved.readOnly === true && resolved.path === undefined) throw invalidArgument('path', 'a database directory when readOnly is true', resolved.path);
  if (resolved.readOnly === true && resolved.autoFlush !== undefined) throw invalidArgument('autoFlush', 'absent when readOnly is true', resolved.autoFlush);
  const auto = resolved.autoFlush;
  if (auto !== undefined) {
    if (auto.operations !== undefined && !isPositiveSafeInteger(auto.operations)) throw invalidArgument('autoFlush.operations', 'a positive safe integer', auto.operations);
    if (auto.milliseconds !== undefined && !isPositiveSafeInteger(auto.milliseconds)) throw invalidArgument('autoFlush.milliseconds', 'a positive safe integer', auto.milliseconds);
  }
  return resolved;
}
