// lobcore's own engines: WASM and JS cores, each driven per call, through submitBatch, and as
// the core alone (commands already encoded in the core's own memory, no host, no results read),
// which shows how much of the public paths' time is the host's.
import { COMMAND_SLOTS, CommandBatch, FILL_SLOTS } from '../../src/batch.js';
import type { BatchResults } from '../../src/batch.js';
import { Op, StatusCode } from '../../src/codes.js';
import type { MatchingCore } from '../../src/core.js';
import type { Engine } from '../../src/engine.js';
import type { BackendName, OrderResult, Side, TimeInForce } from '../../src/types.js';
import type { CommandColumns } from '../commands.js';
import { encodeBatch } from '../batch-encoding.js';
import type { Workload } from '../workloads/workload.js';
import { BookDigester, digestAsset, digestStops } from '../book-check.js';
import type { BookDigest, FillChecksum, ListedLevel, ListedStop } from '../book-check.js';
import { emptyTally } from './engine.js';
import type { BenchEngine, EngineId, EngineSession, Tally } from './engine.js';

const SIDES: readonly Side[] = ['bid', 'ask'];
const TIFS: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK', 'POST_ONLY'];
const PRELUDE_BATCH = 10_000;
/** A fill record's size slot (src/batch.ts). */
const FILL_SIZE = 7;

/** How a session drives the engine. */
export type LobcorePath = 'call' | 'batch' | 'core';

/**
 * The engine over a core the session can also call directly (the core-alone path). It records
 * no events (`events: false`): the baselines it is compared with produce results and fills only,
 * so every engine here does the same work; the events section measures what recording them costs.
 */
async function newEngine(backend: BackendName): Promise<{ engine: Engine; core: MatchingCore }> {
  const { MatchingEngine } = await import('../../src/engine-host.js');
  let core: MatchingCore;
  if (backend === 'wasm') {
    const { WasmCore } = await import('../../src/wasm-core.js');
    core = await WasmCore.create({ events: false });
  } else {
    const { JsCore } = await import('../../src/js-core/index.js');
    core = new JsCore({ events: false });
  }
  return { engine: new MatchingEngine(core), core };
}

const LABELS: Record<LobcorePath, string> = { call: 'per call', batch: 'submitBatch', core: 'core alone' };

export function lobcoreEngine(backend: BackendName, path: LobcorePath): BenchEngine {
  const id = `${backend}${path === 'call' ? '' : `-${path}`}` as EngineId;
  const label = `lobcore ${backend.toUpperCase()} ${LABELS[path]}`;
  return {
    id, label, perCall: path === 'call',
    async unavailable() {
      try {
        await newEngine(backend);
        return undefined;
      } catch (error) {
        return `engine not available: ${(error as Error).message.split('\n')[0]}`;
      }
    },
    cannotRun: () => undefined,
    ...(path === 'core' ? { readsVolume: () => false, caveat: () => 'no results read: book checked' } : {}),
    // A bare engine: the instance is what counts, so no prelude or encoded stream (4M commands on growing).
    ...(backend === 'wasm' ? { makeSpareInstance: () => newEngine(backend) } : {}),
    async open(workload: Workload, chunk: number) {
      const { engine, core } = await newEngine(backend);
      const session = new LobcoreSession(engine, core, workload, path, chunk);
      session.applyPrelude();
      return session;
    },
  };
}

class LobcoreSession implements EngineSession {
  readonly tally: Tally = emptyTally();
  private readonly stream: CommandColumns;
  /** The batched path's batch, in the engine's own memory; sized for one timed chunk, as a user's would be. */
  private readonly batch: CommandBatch | null;
  /** Stream command i carries timestamp firstTimestamp + i. */
  private readonly firstTimestamp: number;
  private afterPrelude: Uint8Array | null = null;
  readonly run: (from: number, to: number) => void;
  readonly runTimed?: (from: number, to: number, into: Float64Array) => void;
  readonly runChecked?: (from: number, to: number, fills: FillChecksum) => void;
  /**
   * Where stops trigger, a command's result counts only its own lots while its fills include
   * the triggered orders' too: the volume is then the sum of the fills.
   */
  private readonly volumeOfFills: boolean;

  /** The core-alone path: the whole stream, encoded once (untimed) in the core's own memory. */
  private readonly encodedStream: CommandBatch | null = null;

  constructor(
    private readonly engine: Engine, private readonly core: MatchingCore, private readonly workload: Workload, path: LobcorePath,
    private readonly chunk: number,
  ) {
    this.stream = workload.stream;
    // The batched path builds in the engine's own memory, as the README's fast path has it (the
    // WASM core reads it in place).
    this.batch = path === 'batch' ? engine.createBatch(chunk) : null;
    this.firstTimestamp = workload.prelude.count + 1;
    this.volumeOfFills = workload.stops !== undefined;
    this.run = path === 'call' ? this.runCalls : path === 'batch' ? this.runBatch : this.runCore;
    if (path === 'call') this.runTimed = this.runCallsTimed;
    if (path === 'call') this.runChecked = this.runCallsChecked;
    if (path === 'batch') this.runChecked = this.runBatchChecked;
    if (path === 'core') {
      this.encodedStream = encodeBatch(engine.createBatch(this.stream.count), this.stream, 0, this.stream.count, this.firstTimestamp);
    }
  }

  /** Untimed, through a batch on the JS heap: the engine's memory then holds nothing of it (the memory figures). */
  applyPrelude(): void {
    const prelude = this.workload.prelude;
    const batch = new CommandBatch(PRELUDE_BATCH);
    for (let from = 0; from < prelude.count; from += PRELUDE_BATCH) {
      const to = Math.min(prelude.count, from + PRELUDE_BATCH);
      this.engine.submitBatch(encodeBatch(batch, prelude, from, to, 1));
    }
    this.afterPrelude = this.engine.snapshot();
  }

  startAt(commands: number): void {
    this.rewind();
    for (let from = 0; from < commands; from += this.chunk) this.run(from, Math.min(commands, from + this.chunk));
    // The engine's own snapshot, as after the prelude: a rewind to it costs a restore, not a replay.
    this.afterPrelude = this.engine.snapshot();
    Object.assign(this.tally, emptyTally());
  }

  rewind(): void {
    this.engine.restore(this.afterPrelude!);
    // A restore empties the WASM core's heap, so batches there are copied out and move back on
    // their next use: do that here, untimed, rather than in the first timed cycle (for the
    // core-alone path, the whole encoded stream).
    this.encodedStream?.view();
    // reserve, not view: a view handed out would have the engine check every later batch.
    this.batch?.reserve(this.chunk);
  }

  restingOrders(): number {
    return this.engine.restingOrders;
  }

  pendingStops(): number {
    return this.engine.pendingStops;
  }

  memoryBytes(): number {
    return this.engine.memoryBytes();
  }

  /** The engine's own level totals (depth), its resting orders in queue order and its pending stops in trigger order (orders), per asset. */
  bookDigest(): BookDigest {
    const digest = new BookDigester();
    for (let asset = 1; asset <= this.workload.assets; asset++) {
      const depth = this.engine.depth(asset, 1_000_000_000);
      const bySide = { bid: new Map<number, ListedLevel>(), ask: new Map<number, ListedLevel>() };
      for (const [side, levels] of [['bid', depth.bids], ['ask', depth.asks]] as const) {
        for (const l of levels) bySide[side].set(l.price, { price: l.price, size: l.size, count: l.orders, orders: [] });
      }
      const stops: ListedStop[] = [];
      for (const o of this.engine.orders(asset)) {
        if (o.status === 'pending') {
          // A stop-market's price is its protection price (none in the workloads: 0, as the reference's).
          stops.push({
            id: o.orderId, side: o.side, stopPrice: o.stopPrice!, size: o.remaining, price: o.price,
            ioc: o.type === 'stop_limit' && o.timeInForce === 'IOC',
          });
          continue;
        }
        let level = bySide[o.side].get(o.price);
        // An order on no level depth reports: a level of its own with no totals, so the digests differ.
        if (level === undefined) bySide[o.side].set(o.price, level = { price: o.price, size: 0, count: 0, orders: [] });
        level.orders.push({ id: o.orderId, remaining: o.remaining });
      }
      digestAsset(digest, asset, [...bySide.bid.values()], [...bySide.ask.values()]);
      digestStops(digest, asset, stops);
    }
    return digest.finish();
  }

  close(): void {
    this.afterPrelude = null;
  }

  private runCalls = (from: number, to: number): void => {
    for (let i = from; i < to; i++) this.call(i);
  };

  private runCallsTimed = (from: number, to: number, into: Float64Array): void => {
    const hrtime = process.hrtime.bigint;
    for (let i = from; i < to; i++) {
      const t0 = hrtime();
      this.call(i);
      into[i - from] = Number(hrtime() - t0);
    }
  };

  /** The verification pass of the per-call path: the same calls, tallied the same way, each fill also summed into `fills`. */
  private runCallsChecked = (from: number, to: number, fills: FillChecksum): void => {
    for (let i = from; i < to; i++) {
      const result = this.call(i);
      if (result === undefined) continue;
      for (const fill of result.fills) fills.add(fill);
    }
  };

  /**
   * The verification pass of the batched path: runBatch, and every fill record summed into
   * `fills`, each read through the results' own decoder (an object a fill: untimed only).
   */
  private runBatchChecked = (from: number, to: number, fills: FillChecksum): void => {
    const results = this.engine.submitBatch(encodeBatch(this.batch!, this.stream, from, to, this.firstTimestamp));
    readBatch(results, this.stream, from, this.tally, this.volumeOfFills);
    for (let j = 0; j < results.fillCount; j++) fills.add(results.fill(j));
  };

  /** One command through the per-call API, its result read and tallied; an order command's result is returned too. */
  private call(i: number): OrderResult | undefined {
    const s = this.stream;
    const engine = this.engine;
    let result: OrderResult;
    switch (s.op[i]) {
      case Op.LIMIT:
        result = engine.placeLimit({
          trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], price: s.price[i], size: s.size[i],
          timestamp: this.firstTimestamp + i, timeInForce: TIFS[s.tif[i]],
        });
        break;
      case Op.MARKET:
        result = engine.placeMarket({
          trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], size: s.size[i], timestamp: this.firstTimestamp + i,
        });
        break;
      case Op.STOP:
        result = s.price[i] === 0
          ? engine.placeStop({
            trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], size: s.size[i], stopPrice: s.stopPrice[i],
            timestamp: this.firstTimestamp + i,
          })
          : engine.placeStop({
            trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], size: s.size[i], stopPrice: s.stopPrice[i],
            price: s.price[i], timeInForce: TIFS[s.tif[i]], timestamp: this.firstTimestamp + i,
          });
        break;
      case Op.CANCEL:
        if (!engine.cancel({ trader: s.trader[i], asset: s.asset[i], orderId: s.orderId[i] }).ok) this.tally.rejected++;
        return undefined;
      case Op.REDUCE:
        if (!engine.reduce({ trader: s.trader[i], asset: s.asset[i], orderId: s.orderId[i], by: s.size[i] }).ok) this.tally.rejected++;
        return undefined;
      default:
        return undefined;
    }
    this.order(i, result);
    return result;
  }

  private order(i: number, result: OrderResult): void {
    const tally = this.tally;
    const fills = result.fills;
    if (this.volumeOfFills) {
      for (let j = 0; j < fills.length; j++) tally.filledVolume += fills[j].size;
    } else {
      tally.filledVolume += result.filled;
    }
    tally.fills += fills.length;
    if (result.orderId !== this.stream.orderId[i]) tally.idMismatches++;
  }

  /** The commands, already in the core's memory, straight into the core: nothing read back but the fill count. */
  private runCore = (from: number, to: number): void => {
    // view() each time: a restore (rewind) may move the records.
    const fills = this.core.runBatch(this.encodedStream!.view().subarray(from * COMMAND_SLOTS, to * COMMAND_SLOTS), to - from);
    if (fills < 0) throw new Error(`the core refused commands ${from}..${to} (fault ${fills})`);
    this.tally.fills += fills;
  };

  /** Encodes the commands into the reused batch, submits it, and reads every result. */
  private runBatch = (from: number, to: number): void => {
    const results = this.engine.submitBatch(encodeBatch(this.batch!, this.stream, from, to, this.firstTimestamp));
    readBatch(results, this.stream, from, this.tally, this.volumeOfFills);
  };
}

/**
 * Reads every command's status, order id and lots filled. Summed without a branch on the command's
 * type (a cancel's result has 0 filled and its target's id), since the types come in random order
 * and a branch on them would mispredict on about every other command.
 */
function readBatch(results: BatchResults, s: CommandColumns, from: number, tally: Tally, volumeOfFills: boolean): void {
  const count = results.count;
  let filled = 0;
  let idMismatches = 0;
  let rejected = 0;
  for (let k = 0; k < count; k++) {
    filled += results.filled(k);
    idMismatches += Number(results.orderId(k) !== s.orderId[from + k]);
    rejected += Number(results.statusCode(k) === StatusCode.REJECTED);
  }
  tally.idMismatches += idMismatches;
  tally.rejected += rejected;
  if (volumeOfFills) {
    const fills = results.fills;
    for (let j = 0; j < results.fillCount; j++) tally.filledVolume += fills[j * FILL_SLOTS + FILL_SIZE];
  } else {
    tally.filledVolume += filled;
  }
  tally.fills += results.fillCount;
}
