// CoreStateMachine: a matching engine made durable, built as a pipeline over one stream of
// commands. A command is applied by the engine at once; the sequencer numbers it (journal,
// fill, event and feed sequences) into the commit being built (commit-builder.ts: the journal
// entry and its events); group commit (committer.ts) writes commits as one atomic batch each,
// overlapping with matching; once a commit is durable its followers run: the index writer
// (indexer.ts), behind the commits, and the feed (feed.ts). Queries read the committed event
// blocks through the index (history.ts, fill-history.ts, audit-trail.ts).
//
// Without a path the very same pipeline runs on an in-memory store (memory-store.ts), committed
// at the end of each turn of the event loop: "no persistence" is a store, not a branch.
import type { BatchResults, CommandBatch } from '../batch.js';
import { createEngine } from '../engine.js';
import type { Engine } from '../engine.js';
import { LobError, invalidArgument } from '../errors.js';
import type { EventList } from '../events.js';
import { COMMAND_SLOTS, encodeRequest, readRequest, type OperationSpec, type RequestOf } from '../operations.js';
import { isNonNegativeSafeInteger, requireNonNegative, requirePositive } from '../validate.js';
import type {
  BackendName, BookSnapshot, CancelAllRequest, CancelAllResult, CancelRequest, CancelResult, Depth, Level,
  LimitOrderRequest, MarketOrderRequest, ModifyRequest, OcoOrderRequest, OrderRecord, OrderResult, RecordedEvent,
  ReduceRequest, RestingOrder, StopOrderRequest, SubscribeOptions, TraderOrderQuery, OrderEventCursor, OrderEventPage, OrderEventQuery,
} from '../types.js';
import { AuditTrail } from './audit-trail.js';
import { bookAt } from './book-history.js';
import { Checkpointer } from './checkpointer.js';
import { checkpointInfo } from './checkpoints.js';
import { ShadowEngine } from './checkpoint-shadow.js';
import type { CheckpointInfo } from './checkpoints.js';
import type { CheckpointManifest } from './codecs.js';
import { CommitBuilder, type Commit } from './commit-builder.js';
import { Committer, type FlushReport } from './committer.js';
import { FeedPublisher, type Subscription } from './feed.js';
import { FillHistory, type FillPage, type RecordedFill, type TraderFillQuery } from './fill-history.js';
import { History } from './history.js';
import { Indexer } from './indexer.js';
import { MachineBatches } from './machine-batches.js';
import { MemoryStore, type KeyValueStore } from './memory-store.js';
import { OpenOrders } from './open-orders.js';
import { engineOptions, resolveOptions, type ResolvedOptions, type StateMachineOptions } from './options.js';
import { refuseWhenReadOnly } from './read-only-guard.js';
import { recoverFromStore, type RecoveryReport } from './recovery.js';
import { SnapshotFiles } from './checkpoint-files.js';
import { RestoreAhead } from './restore-ahead.js';
import { readyPrefault } from '../prefault.js';
import { SnapshotPlaces } from './snapshot-places.js';
import type { Sequencer } from './sequencer.js';
import { snapshotAssets } from './snapshot-assets.js';
import { forEachSnapshotOrder, openSnapshot } from '../snapshot.js';
import { Store } from './store.js';
import { inspectDirectory } from './database-directory.js';

export type { AutoFlushOptions, StateMachineOptions } from './options.js';

type Method = OperationSpec['method'];
const noFills = (): number => 0;
export type { FlushReport } from './committer.js';

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

export interface BookView {
  readonly asset: number;
  bestBid(): Level | undefined;
  bestAsk(): Level | undefined;
  depth(levels?: number): Depth;
  orders(): RestingOrder[];
}

/** What a recovery builds afresh: the engine and everything that numbers, commits and reads its history. */
interface Pipeline {
  engine: Engine;
  sequencer: Sequencer;
  builder: CommitBuilder;
  committer: Committer;
  indexer: Indexer;
  openOrders: OpenOrders;
  history: History;
  fills: FillHistory;
  audit: AuditTrail;
  manifests: CheckpointManifest[];
}

export class CoreStateMachine {
  private p!: Pipeline;
  /** 'recovering' and 'closing' refuse commands, checkpoints and other recoveries: what they flush first is then all there is. */
  private state: 'open' | 'recovering' | 'closing' | 'closed' = 'open';
  /** The recovery under way, which a close waits for. */
  private recovering: Promise<RecoveryReport> | null = null;
  /** The close under way, which a second close() joins. */
  private closing: Promise<void> | null = null;
  /** History reads under way (read()): a close lets them finish before it closes the store. */
  private readonly reads = new Set<Promise<unknown>>();
  private lastRecovery: RecoveryReport | null = null;
  private readonly checkpoints: Checkpointer;
  private readonly snapshots: SnapshotPlaces;
  /** A per-call command's record, encoded for the journal. */
  private readonly record = new Float64Array(COMMAND_SLOTS);
  private opsSinceFlush = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private commitScheduled = false;
  /** Why the store can never serve again (its worker thread died); null while it can. */
  private storeFailure: LobError | null = null;
  /** The batches createBatch() made: they follow the engine a recovery replaces, and end with the machine. */
  private readonly batches = new MachineBatches();

  private constructor(
    private readonly store: KeyValueStore,
    private readonly options: ResolvedOptions,
    private readonly feed: FeedPublisher,
    /** The checkpoint worker's shadow core (checkpoint-shadow.ts); null in memory and read-only. */
    private readonly shadow: ShadowEngine | null,
    files: SnapshotFiles | null,
  ) {
    this.snapshots = SnapshotPlaces.of(store, files);
    this.checkpoints = new Checkpointer(store, this.snapshots, shadow, options.keepCheckpoints);
    // A store that fails for good fails the machine at once: a command taken now could never be
    // written, and the book would show it until a reopen took it back.
    store.onFailure?.((failure) => {
      this.storeFailure = failure;
      if (this.p !== undefined) this.p.committer.abandon(failure);
    });
  }

  static async open(options: StateMachineOptions = {}): Promise<CoreStateMachine> {
    const resolved = resolveOptions(options);
    const path = resolved.path;
    if (path === undefined) return CoreStateMachine.openOn(new MemoryStore(), resolved, null, null, null);
    // A read-only view never checkpoints: it needs no shadow. A writable one starts its shadow,
    // and reads and restores the newest snapshot file, while RocksDB opens: side by side.
    const writable = resolved.readOnly !== true;
    // The store's open makes a database at a new path, and the engine is first created after it:
    // the one limit only an engine can judge (maxMemoryBytes must leave the WASM core room for its
    // own structures; resolveOptions checks the others) is judged before, by an engine made for
    // it alone, so that an open refused for it leaves no database behind.
    if (writable && resolved.maxMemoryBytes !== undefined && createsDatabase(path)) await createEngine(engineOptions(resolved));
    const started = performance.now();
    const opening = { storeMs: 0, restoreAheadMs: 0 };
    const files = writable ? new SnapshotFiles(path) : null;
    const creatingShadow = writable ? ShadowEngine.create(resolved.backend ?? 'wasm', engineOptions(resolved)) : Promise.resolve(null);
    // The WASM core's restore has its pages touched ahead by a worker (src/prefault.ts): started
    // now, it is up when the restore begins.
    let releasePrefault = (): void => {};
    const ahead = files === null ? null : RestoreAhead.start(files, () => createEngine(engineOptions(resolved)), (byteLength) => {
      if ((resolved.backend ?? 'wasm') === 'wasm') releasePrefault = readyPrefault(byteLength);
    });
    void ahead?.settled().then(() => {
      opening.restoreAheadMs = performance.now() - started;
    });
    const storeOpened = Store.open(path, { sync: resolved.sync, readOnly: resolved.readOnly }).finally(() => {
      opening.storeMs = performance.now() - started;
    });
    try {
      const [opened, created] = await Promise.allSettled([storeOpened, creatingShadow]);
      if (opened.status === 'rejected' || created.status === 'rejected') {
        ahead?.abandon();
        if (opened.status === 'fulfilled') await opened.value.close().catch(() => undefined);
        if (created.status === 'fulfilled') await created.value?.close();
        throw opened.status === 'rejected' ? opened.reason : (created as PromiseRejectedResult).reason;
      }
      return await CoreStateMachine.openOn(opened.value, resolved, created.value, files, ahead, opening);
    } finally {
      // The restore and the replay after it are over (or the open failed): the page toucher may end.
      releasePrefault();
    }
  }

  private static async openOn(
    store: KeyValueStore, resolved: ResolvedOptions, shadow: ShadowEngine | null, files: SnapshotFiles | null, ahead: RestoreAhead | null,
    opening?: RecoveryReport['opening'],
  ): Promise<CoreStateMachine> {
    try {
      const machine = new CoreStateMachine(store, resolved, new FeedPublisher(), shadow, files);
      const report = await machine.load(ahead);
      if (opening !== undefined) report.opening = opening;
      return machine;
    } catch (error) {
      await store.close().catch(() => undefined);
      await shadow?.close();
      throw error;
    }
  }

  /**
   * Recovers the engine from the store and builds the pipeline around it (the feed, and its
   * subscribers, carry over); brings the indexes up to the head.
   */
  private async load(ahead: RestoreAhead | null = null): Promise<RecoveryReport> {
    const { store, options, feed } = this;
    const recovered = await recoverFromStore(store, this.snapshots, () => createEngine(engineOptions(options)), this.shadow, this.readOnly, ahead);
    const { engine, sequencer } = recovered;
    // Indexes lag the commits by design. They start behind the book: the indexer opens them and
    // derives what the last run had not written while this machine already matches; queries wait
    // for that (indexesReady()). The report's index figures are filled in then.
    const indexer = new Indexer(store, sequencer.lastSequence, options.indexGatherMs, !this.readOnly);
    void indexer.ready.then((start) => {
      recovered.report.reindexedEntries = start.reindexedEntries;
      recovered.report.phases.indexMs = start.durationMs;
    }, () => undefined);
    const history = new History(indexer.reader);
    const builder = new CommitBuilder(sequencer, indexer, this.shadow);
    const manifests = recovered.manifests.filter((m) => !recovered.report.skippedCheckpoints.some((s) => s.sequence === m.sequence));
    feed.rebase(history, indexer.reader, sequencer.feedSeqEntries());
    // Built from the book's snapshot, when first asked (open-orders.ts); what was recovered is durable.
    const openOrders = new OpenOrders({
      forEachOpen: (visit) => {
        builder.settle();
        forEachSnapshotOrder(openSnapshot(engine.snapshot()), visit);
      },
      listOpenings: () => builder.listOpenings(),
    }, sequencer.lastSequence);
    const cut = (): Commit | null => {
      const commit = builder.cut(engine.nextOrderId);
      openOrders.cutAt(sequencer.lastSequence);
      return commit;
    };
    // The builder first: its writePosted() ends the commit's index operations, which the others read.
    const committer = new Committer(store, cut, [builder, indexer, feed, openOrders], options.sync,
      { sequence: sequencer.lastSequence, height: sequencer.height });
    if (this.storeFailure !== null) committer.abandon(this.storeFailure);
    // A recovery's new engine (an open has no batches yet): the machine's batches move their records into its memory.
    this.batches.moveTo(engine);
    this.p = {
      engine, sequencer, builder, indexer, openOrders, history, manifests, committer,
      fills: new FillHistory(history),
      audit: new AuditTrail(history, indexer.reader, () => engine.nextOrderId, () => this.openOrderSet()),
    };
    this.lastRecovery = options.path === undefined ? null : recovered.report;
    this.checkpoints.loaded(manifests);
    return recovered.report;
  }

  // ------------------------------------------------------------------ state

  get backend(): BackendName {
    return this.p.engine.backend;
  }

  get height(): number {
    return this.p.sequencer.height;
  }

  /** Sequence of the newest journal entry, written or not. */
  get sequence(): number {
    return this.p.sequencer.lastSequence;
  }

  get nextOrderId(): number {
    return this.openEngine().nextOrderId;
  }

  get nextFillSeq(): number {
    return this.p.sequencer.nextFillSeq;
  }

  /** Journal entries applied but not yet written by a flush. */
  get pendingEntries(): number {
    return this.p.builder.pending + this.p.committer.unwritten;
  }

  get persistent(): boolean {
    return this.options.path !== undefined;
  }

  /** Opened with `readOnly: true`: a view of the database as it was at open, never written. */
  get readOnly(): boolean {
    return this.options.readOnly === true;
  }

  /**
   * Resolves once the indexes are open and what the last run left unindexed is derived, which an
   * open does not wait for (queries do, by themselves); from then on `indexLag` and the recovery
   * report's index figures are exact. Rejects if the indexes could not be opened.
   */
  async indexesReady(): Promise<void> {
    await this.p.indexer.ready;
  }

  /**
   * How many journal entries the indexes are behind the commits (they catch up behind them).
   * Until indexesReady(), every entry whose index is not known to be written counts.
   */
  get indexLag(): number {
    return this.p.sequencer.lastSequence - this.pendingEntries - this.p.indexer.indexedThrough;
  }

  /** What the last recovery (including the one on open) found; null in memory mode. */
  get recovery(): RecoveryReport | null {
    return this.lastRecovery;
  }

  /** Moves the height forward; fills from now on carry it. Journaled, so replay reproduces it. */
  setHeight(height: number): void {
    this.assertWritable('setHeight');
    const p = this.p;
    if (!isNonNegativeSafeInteger(height) || height < p.sequencer.height) {
      throw invalidArgument('height', `a safe integer >= the current height ${p.sequencer.height}`, height);
    }
    if (height === p.sequencer.height) return;
    p.builder.prepare(p.engine.nextOrderId);
    p.sequencer.setHeight(height, p.builder);
    this.afterMutation(1);
  }

  stateHash(): string {
    return this.openEngine().stateHash();
  }

  getBook(asset: number): BookView {
    this.assertUnfailed();
    requireNonNegative('asset', asset);
    // The view reads through `this`, so it stays valid when recover() swaps the engine.
    return {
      asset,
      bestBid: () => this.openEngine().bestBid(asset),
      bestAsk: () => this.openEngine().bestAsk(asset),
      depth: (levels = 10) => this.openEngine().depth(asset, levels),
      orders: () => this.openEngine().orders(asset),
    };
  }

  /** The same queries as the engine's, so the state machine and the engine speak one vocabulary. */
  bestBid(asset: number): Level | undefined {
    return this.openEngine().bestBid(asset);
  }
  bestAsk(asset: number): Level | undefined {
    return this.openEngine().bestAsk(asset);
  }
  depth(asset: number, levels?: number): Depth {
    return this.openEngine().depth(asset, levels);
  }
  orders(asset: number): RestingOrder[] {
    return this.openEngine().orders(asset);
  }
  order(orderId: number): RestingOrder | undefined {
    return this.openEngine().order(orderId);
  }

  /** Assets whose book holds a resting order or a pending stop, or has traded, ascending. */
  assets(): number[] {
    return snapshotAssets(this.snapshot());
  }

  /** The engine's canonical snapshot (snapshot.ts): every resting order and pending stop of every book. A copy. */
  snapshot(): Uint8Array {
    return this.openEngine().snapshot();
  }

  /** The events of the last per-call command (src/events.ts), as the engine reports them. */
  get events(): EventList {
    return this.openEngine().events;
  }

  // ------------------------------------------------------------------ commands

  placeLimit(req: LimitOrderRequest): StateOrderResult {
    return this.applyOrder('placeLimit', req, (engine, copy) => engine.placeLimit(copy));
  }

  placeMarket(req: MarketOrderRequest): StateOrderResult {
    return this.applyOrder('placeMarket', req, (engine, copy) => engine.placeMarket(copy));
  }

  modify(req: ModifyRequest): StateOrderResult {
    return this.applyOrder('modify', req, (engine, copy) => engine.modify(copy));
  }

  placeStop(req: StopOrderRequest): StateOrderResult {
    return this.applyOrder('placeStop', req, (engine, copy) => engine.placeStop(copy));
  }

  placeOco(req: OcoOrderRequest): StateOrderResult {
    return this.applyOrder('placeOco', req, (engine, copy) => engine.placeOco(copy));
  }

  cancel(req: CancelRequest): CancelResult {
    return this.apply('cancel', req, (engine, copy) => engine.cancel(copy), noFills);
  }

  reduce(req: ReduceRequest): CancelResult {
    return this.apply('reduce', req, (engine, copy) => engine.reduce(copy), noFills);
  }

  cancelAll(req: CancelAllRequest): CancelAllResult {
    return this.apply('cancelAll', req, (engine, copy) => engine.cancelAll(copy), noFills);
  }

  /** The longer names for the same calls (placeLimitOrder, ...), as the README's examples use them. */
  placeLimitOrder(req: LimitOrderRequest): StateOrderResult { return this.placeLimit(req); }
  placeMarketOrder(req: MarketOrderRequest): StateOrderResult { return this.placeMarket(req); }
  placeStopOrder(req: StopOrderRequest): StateOrderResult { return this.placeStop(req); }
  placeOcoOrder(req: OcoOrderRequest): StateOrderResult { return this.placeOco(req); }
  modifyOrder(req: ModifyRequest): StateOrderResult { return this.modify(req); }
  cancelOrder(req: CancelRequest): CancelResult { return this.cancel(req); }
  reduceOrder(req: ReduceRequest): CancelResult { return this.reduce(req); }

  /**
   * A batch in this machine's engine's memory, with room for `commands` to start with (it grows):
   * the WASM core reads it where it is, where a `new CommandBatch` is copied into the core's memory
   * at every submit. The engine's createBatch() makes it, with its validation (`commands` a
   * positive safe integer, CAPACITY past what memory holds); submitBatch() takes it as any batch,
   * validated whole and applied all or nothing. It belongs to the machine: after recover(), which
   * builds a new engine, its records move into that engine's memory at its next use; once the
   * machine is closed, any use of it that reads or writes its records (a builder, a submit to any
   * machine or engine) is refused NOT_OPEN. Growth of the core's memory, during a submit too,
   * leaves it where it is. Refused, like a command, on a closed, failed or read-only machine.
   */
  createBatch(commands = 1024): CommandBatch {
    this.assertWritable('createBatch');
    return this.batches.create(this.p.engine, commands);
  }

  /**
   * The fast path: applies a binary command batch; its records go to the journal as they are.
   * Validated whole first by the engine: a malformed command throws and nothing is applied or journaled.
   */
  submitBatch(batch: CommandBatch): StateBatchResult {
    this.assertWritable('submitBatch');
    const p = this.p;
    p.builder.prepare(p.engine.nextOrderId);
    const refusals = p.engine.memoryRefusals;
    const results = p.engine.submitBatch(batch);
    if (p.engine.memoryRefusals !== refusals) throw this.refusedForMemory();
    const firstFillSeq = p.sequencer.nextFillSeq;
    const events = results.events;
    p.sequencer.commands(batch.readRecords(), 0, results.count, events.records, events.count, results.fillCount, p.builder);
    this.afterMutation(results.count);
    return { results, firstFillSeq, height: p.sequencer.height };
  }

  /** Applies one per-call command and numbers it, its fills and its events. */
  /**
   * Applies one request and journals it. Both read one copy of it (each field read once), so the
   * journal holds what the engine applied, whatever getters or a Proxy would answer the next time.
   */
  private apply<M extends Method, R>(method: M, req: RequestOf[M], run: (engine: Engine, copy: RequestOf[M]) => R, fillsOf: (result: R) => number): R {
    this.assertWritable();
    const p = this.p;
    const copy = readRequest[method](req) as RequestOf[M];
    p.builder.prepare(p.engine.nextOrderId);
    const refusals = p.engine.memoryRefusals;
    const result = run(p.engine, copy); // validates; a throw leaves everything as it was
    if (p.engine.memoryRefusals !== refusals) throw this.refusedForMemory();
    encodeRequest[method](copy, this.record, 0);
    const events = p.engine.events;
    p.sequencer.commands(this.record, 0, 1, events.records, events.count, fillsOf(result), p.builder);
    this.afterMutation(1);
    return result;
  }

  private applyOrder<M extends Method>(method: M, req: RequestOf[M], run: (engine: Engine, copy: RequestOf[M]) => OrderResult): StateOrderResult {
    const firstFillSeq = this.p.sequencer.nextFillSeq;
    const height = this.p.sequencer.height;
    const result = this.apply(method, req, run, (r) => r.fills.length);
    const fills = result.fills as RecordedFill[];
    for (let i = 0; i < fills.length; i++) {
      fills[i].height = height;
      fills[i].fillSeq = firstFillSeq + i;
    }
    return result as StateOrderResult;
  }

  // ------------------------------------------------------------------ durability

  /**
   * Makes everything applied so far durable: resolves once it is, in one RocksDB write batch per
   * commit (synced with `sync`). Called while a write is in flight, it joins the next one. On
   * failure it rejects with a LobError and the commits stay pending for the next flush or close().
   * While the indexes are more than `maxIndexLag` entries behind, it also waits until they are
   * not (back-pressure: a flow faster than they can follow slows to their pace), and rejects if
   * they cannot be written (the commits are durable; each such flush tries the indexes again). Until
   * indexesReady(), only entries committed since the open count for this.
   */
  async flush(): Promise<FlushReport> {
    this.assertOpen();
    this.disarmAutoFlush();
    const p = this.p;
    const report = await p.committer.flush();
    await p.indexer.within(this.options.maxIndexLag);
    // In memory a flush would settle within the caller's turn, and a loop of submits and flushes
    // would never let the event loop turn: the index worker's answers (memory-index.ts), which
    // let the next window go, would wait for the loop's end, as would every timer and socket.
    if (!this.persistent) await new Promise((resolve) => setImmediate(resolve));
    return report;
  }

  /**
   * Flushes, then checkpoints when the height has moved checkpointInterval past the last checkpoint,
   * one still under way included: a call before that one lands resolves with it.
   */
  async checkpointIfNeeded(): Promise<CheckpointInfo | undefined> {
    refuseWhenReadOnly(this.readOnly, 'checkpointIfNeeded');
    const flushed = this.flush();
    // One on its way is the last checkpoint already: a call before it lands joins it, rather than
    // taking a second one inside the interval (or, with nothing applied since, of the same height).
    const underWay = this.checkpoints.underWay;
    if (underWay !== null && this.p.sequencer.height - underWay.height < this.options.checkpointInterval) {
      const [, joined] = await Promise.all([flushed, underWay.taking]);
      return joined;
    }
    if (this.p.sequencer.height - this.checkpoints.lastHeight < this.options.checkpointInterval) {
      await flushed;
      return undefined;
    }
    // Taken now, at the flush's boundary: a close() called after this call must not refuse it.
    const [, checkpoint] = await Promise.all([flushed, this.checkpoint()]);
    return checkpoint;
  }

  /**
   * Stores every book at the current journal sequence. The checkpoint worker's shadow core, which
   * has applied every command up to here, snapshots and hashes the books on its own thread; the
   * main thread only cuts the commit boundary and goes on matching, and the commands it applies
   * meanwhile land in the journal after the checkpoint's sequence. Without a working shadow the
   * books are copied out here, synchronously. Asked for again while one is under way with nothing
   * applied since, it resolves with that one. In memory mode there is nowhere to keep a
   * checkpoint: returns undefined.
   */
  async checkpoint(): Promise<CheckpointInfo | undefined> {
    this.assertUnfailed();
    refuseWhenReadOnly(this.readOnly, 'checkpoint');
    // A recovery replaces the pipeline a checkpoint would be taken from, a close the store it writes to.
    this.refuseWhileChanging('checkpoint');
    if (!this.persistent) return undefined;
    return this.checkpoints.take(this.p);
  }

  async listCheckpoints(): Promise<CheckpointInfo[]> {
    this.assertOpen();
    await this.checkpoints.idle();
    return this.p.manifests.map(checkpointInfo);
  }

  /**
   * Rebuilds the engine from storage: the newest checkpoint that passes its checks, then the
   * journal after it. Pending commands are flushed first, so recovering never loses or repeats
   * anything and calling it twice gives the same state. In memory mode there is nothing to load.
   */
  async recover(): Promise<RecoveryReport> {
    this.assertOpen();
    const p = this.p;
    if (!this.persistent) {
      return {
        checkpointSequence: null, checkpointHeight: null, skippedCheckpoints: [], replayedRecords: 0, replayedCommands: 0,
        replayedFills: 0, height: p.sequencer.height, sequence: p.sequencer.lastSequence, nextOrderId: p.engine.nextOrderId,
        nextFillSeq: p.sequencer.nextFillSeq, restingOrders: p.engine.restingOrders, orphansDeleted: 0, reindexedEntries: 0, durationMs: 0, restoredAhead: false,
        opening: { storeMs: 0, restoreAheadMs: 0 }, phases: { readMs: 0, restoreMs: 0, verifyMs: 0, replayMs: 0, indexMs: 0 },
      };
    }
    this.refuseWhileChanging('recover');
    // Commands are refused from here on: one applied while the flush below is under way would be
    // answered, then dropped by the load.
    this.state = 'recovering';
    this.recovering = this.flushAndLoad();
    try {
      return await this.recovering;
    } finally {
      this.recovering = null;
      // A close asked for meanwhile refuses commands from its call on, so not 'open' in between.
      if (this.state === 'recovering') this.state = this.closing !== null ? 'closing' : 'open';
    }
  }

  private async flushAndLoad(): Promise<RecoveryReport> {
    this.disarmAutoFlush();
    await this.commitAll();
    // The indexes being replaced must not go on reading beside the new ones.
    await this.p.indexer.idle();
    try {
      return await this.load();
    } catch (error) {
      // The shadow was started over for a recovery that did not finish: it no longer follows the
      // engine, which goes on as it was. The next checkpoint is taken here and starts it again.
      if (this.shadow !== null) this.shadow.broken = `a recovery failed part way (${(error as Error).message})`;
      throw error;
    }
  }

  /**
   * @internal Commits nothing more, for `reason`: what was applied since the last commit is never
   * written (a write already under way still lands), and the next open recovers to before it.
   * For a caller that cannot tell what its last commands did (the cluster's ShardState, when a
   * batch fails part way): every later flush, command and checkpoint is refused with `reason`,
   * and close() still closes.
   */
  abandon(reason: LobError): void {
    this.p.committer.abandon(reason);
  }

  /**
   * Flushes what is pending, checkpoints if the next open would otherwise replay at least
   * options.checkpointOnClose commands, lets the indexes catch up, and closes the store; commands
   * are refused from the call on. If that flush fails, it rejects and stays open. A recovery under way is
   * waited for; a second call joins the first.
   */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.closing ??= this.closeOnce().finally(() => {
      this.closing = null;
    });
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    if (this.recovering !== null) await this.recovering.catch(() => undefined);
    this.disarmAutoFlush();
    this.state = 'closing';
    try {
      await this.commitAll();
      const checkpointed = this.checkpointForTheNextOpen();
      // A database keeps its indexes, so a close writes what they lack; in memory they go with the
      // store, and after a failure what they derived is incomplete (a reopen derives it again).
      if (!this.persistent || this.p.committer.failure !== null) this.p.indexer.stop();
      else if (!this.readOnly) await this.p.indexer.idle();
      await checkpointed;
    } catch (error) {
      this.state = 'open';
      throw error;
    }
    await this.readsDone();
    // Nothing of the indexes may run once the store closes: a read-only view's start, still
    // deriving what its copy's indexes lack, stops at its next read (queries asked before the close
    // have had their answers), and anything else under way ends first.
    await this.p.indexer.halt();
    this.feed.closeAll();
    this.state = 'closed';
    const where = this.persistent ? `the database ${this.options.path}` : 'in memory';
    this.batches.end(new LobError('NOT_OPEN', `this batch was made by createBatch() of a state machine (${where}) that is closed, and its ` +
      'records went with that machine\'s engine: make a batch with an open machine\'s createBatch() (or new CommandBatch())'));
    try {
      await this.store.close();
    } finally {
      await this.shadow?.close();
    }
  }

  /**
   * close()'s checkpoint (options.checkpointOnClose), once everything applied is durable: the next
   * open restores it and replays nothing. Never rejects: the journal already holds every command,
   * and without this checkpoint the next open replays them, as it would after a kill.
   */
  private async checkpointForTheNextOpen(): Promise<void> {
    const p = this.p;
    const after = this.options.checkpointOnClose;
    if (!this.persistent || this.readOnly || after === false || p.committer.failure !== null) return;
    const newest = p.manifests[p.manifests.length - 1]?.sequence ?? 0;
    if (p.sequencer.lastSequence - newest < after) return;
    await this.checkpoints.take(p).catch(() => undefined);
  }

  /**
   * Makes everything applied durable, a checkpoint's commit included, for a close or a recovery.
   * Not flush(): neither waits for the indexes' lag (they settle on their own failure, and a reopen
   * derives what they lack), so failing indexes cannot keep the database open. After a failure for
   * good, what is durable already is all there is.
   */
  private async commitAll(): Promise<void> {
    try {
      do {
        await this.p.committer.flush();
        await this.checkpoints.idle();
      } while (this.pendingEntries > 0);
    } catch (error) {
      if (this.p.committer.failure === null) throw error;
      await this.checkpoints.idle();
    }
  }

  // ------------------------------------------------------------------ history

  /** Fills of an order as maker or taker, oldest first, after the fillSeq cursor `after`. */
  async getOrderFills(orderId: number, page?: FillPage): Promise<RecordedFill[]> {
    return this.read((p) => p.fills.orderFills(orderId, page));
  }

  async getFillCount(orderId: number): Promise<number> {
    return this.read((p) => p.fills.fillCount(orderId));
  }

  /** Fills of a trader (maker or taker) in a height range, oldest first after a fillSeq cursor or, with `newestFirst`, newest first before it. */
  async getTraderFills(trader: number, query?: TraderFillQuery): Promise<RecordedFill[]> {
    return this.read((p) => p.fills.traderFills(trader, query));
  }

  /** What became of an order: any order ever accepted, resting or finished; undefined for an id never issued. */
  async getOrder(orderId: number): Promise<OrderRecord | undefined> {
    return this.read((p) => p.audit.getOrder(orderId));
  }

  /** An order's whole lifecycle, each event with its height and sequence. */
  async getOrderEvents(orderId: number): Promise<RecordedEvent[]> {
    return this.read((p) => p.audit.getOrderEvents(orderId));
  }

  /** A page of an order's events, oldest or newest first, past a cursor: only the blocks the page reaches are read. */
  async getOrderEventPage(orderId: number, query?: OrderEventQuery): Promise<OrderEventPage> {
    return this.read((p) => p.audit.getOrderEventPage(orderId, query));
  }

  /** How many events an order has, or has before a cursor (a page's next). */
  async getOrderEventCount(orderId: number, before?: OrderEventCursor): Promise<number> {
    return this.read((p) => p.audit.getOrderEventCount(orderId, before));
  }

  /** A trader's orders (accepted and rejected), oldest first, paginated by `after` (a record's seq). */
  async getTraderOrders(trader: number, query?: TraderOrderQuery): Promise<OrderRecord[]> {
    return this.read((p) => p.audit.getTraderOrders(trader, query));
  }

  /** The trader's newest order placed with this client order id. */
  async getOrderByClientId(trader: number, clientOrderId: number): Promise<OrderRecord | undefined> {
    return this.read((p) => p.audit.getOrderByClientId(trader, clientOrderId));
  }

  /** An asset's aggregated book, best first, with the feed sequence it is consistent with. */
  bookSnapshot(asset: number, levels = 10): BookSnapshot {
    const engine = this.openEngine();
    requireNonNegative('asset', asset);
    requirePositive('levels', levels);
    const depth = engine.depth(asset, levels);
    return { asset, seq: this.p.sequencer.feedSeq(asset), height: this.p.sequencer.height, bids: depth.bids, asks: depth.asks };
  }

  /**
   * The feed: one message per command that changed a subscribed asset's book, delivered once the
   * flush covering it is durable (in memory mode at once). With `fromSeq`, history is replayed
   * first, then it goes on live.
   */
  subscribe(options: SubscribeOptions = {}): Subscription {
    this.assertUnfailed();
    return this.feed.subscribe(options);
  }

  /** The book of `asset` at the end of a past height. */
  async bookAt(asset: number, height: number, levels = 10): Promise<BookSnapshot> {
    // The manifests are read once the checkpoints asked for so far are written, and none is
    // dropped (nor the journal after it pruned) while the book is rebuilt from it.
    return this.read((p) => this.checkpoints.keeping(async () => bookAt(this.store, this.snapshots, p.manifests,
      () => createEngine(engineOptions(this.options)), p.sequencer.height, p.sequencer.lastSequence,
      asset, height, levels)));
  }

  /**
   * A history read: what is applied is committed first, so it sees every applied command. A close
   * waits for the reads under way before it closes the store, so none fails halfway through.
   */
  private async read<T>(run: (p: Pipeline) => Promise<T>): Promise<T> {
    this.assertOpen();
    const reading = this.p.committer.flush().then(() => run(this.p));
    this.reads.add(reading);
    try {
      return await reading;
    } finally {
      this.reads.delete(reading);
    }
  }

  /** Until no history read is under way (those that start meanwhile included). */
  private async readsDone(): Promise<void> {
    while (this.reads.size > 0) await Promise.allSettled([...this.reads]);
  }

  /**
   * The open-order set, once it may be read: from then on it is what the durable commits leave. It
   * is built on first use, at the cut of the flush awaited here (a flush with nothing to write still
   * cuts), and read once the commit it was built at is durable.
   */
  private async openOrderSet(): Promise<OpenOrders> {
    const { openOrders, committer } = this.p;
    // Each flush cuts (building the set, if asked) and writes what was cut before it, the build's commit among them, or fails.
    while (!openOrders.ready) {
      if (!openOrders.built) openOrders.requestBuildAtCut();
      await committer.flush();
      const failed = openOrders.takeBuildError();
      if (failed !== null) throw failed;
    }
    return openOrders;
  }

  // ------------------------------------------------------------------ internals

  /**
   * The WASM core refused the command just applied (or one of the batch) for lack of memory. Such
   * a refusal depends on the heap's history, which recovery does not rebuild: journaled, it would
   * be replayed on a compact heap that may accept the command, and the database would no longer
   * open. So the machine fails for good here, before the command is journaled: nothing after the
   * last flush is written, and a reopen recovers to it.
   */
  private refusedForMemory(): LobError {
    const limit = this.options.maxMemoryBytes === undefined ? 'the WebAssembly 4 GiB ceiling' : `maxMemoryBytes ${this.options.maxMemoryBytes}`;
    const failure = new LobError('ENGINE_FAILED', `the WASM core refused a command for lack of memory (${limit}): such a refusal ` +
      'depends on the heap\'s history, which a replay does not reproduce, so nothing after the last flush is committed; reopen with a larger maxMemoryBytes');
    this.abandon(failure);
    return failure;
  }

  private afterMutation(commands: number): void {
    if (!this.persistent) {
      // In memory, commits are free: one at the end of this turn, so subscribers hear at once.
      if (!this.commitScheduled) {
        this.commitScheduled = true;
        queueMicrotask(() => {
          this.commitScheduled = false;
          // In memory no write fails; a follower's failure is kept and told to every later flush.
          if (this.state === 'open') this.p.committer.flush().catch(() => undefined);
        });
      }
      return;
    }
    const auto = this.options.autoFlush;
    if (auto === undefined) return;
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

  private assertWritable(operation = 'a command'): void {
    this.assertUnfailed();
    refuseWhenReadOnly(this.readOnly, operation);
    this.refuseWhileChanging(operation);
  }

  /**
   * Open, and not failed for good. After a failure nothing more is written: a command now would be
   * answered and then lost, and the engine's book holds what no commit will carry (a reopen comes
   * back without it), so reading it would show what is about to be taken back.
   */
  private assertUnfailed(): void {
    this.assertOpen();
    const failure = this.p.committer.failure;
    if (failure !== null) throw failure;
  }

  private refuseWhileChanging(operation: string): void {
    if (this.state === 'recovering') throw new LobError('NOT_OPEN', `the state machine is recovering; ${operation} is refused until recover() resolves`);
    if (this.state === 'closing') throw new LobError('NOT_OPEN', `the state machine is closing; ${operation} is refused`);
  }

  private openEngine(): Engine {
    this.assertUnfailed();
    // The last call's events are read in place, and a read of the engine may be followed by anything.
    this.p.builder.settle();
    return this.p.engine;
  }
}

/** Whether a writable open of `path` creates the database (nothing, or an empty directory, is there). */
function createsDatabase(path: string): boolean {
  const kind = inspectDirectory(path).kind;
  return kind === 'missing' || kind === 'empty';
}
