// lobcore's own engines: WASM and JS cores, each driven per call and through submitBatch.
import { CommandBatch, FILL_SLOTS } from '../../src/batch.js';
import type { BatchResults } from '../../src/batch.js';
import { Op, StatusCode } from '../../src/codes.js';
import type { Engine } from '../../src/engine.js';
import type { BackendName, OrderResult, Side, TimeInForce } from '../../src/types.js';
import type { CommandColumns } from '../commands.js';
import { encodeBatch } from '../batch-encoding.js';
import type { Workload } from '../workloads/workload.js';
import { emptyTally } from './engine.js';
import type { BenchEngine, EngineId, EngineSession, Tally } from './engine.js';

const SIDES: readonly Side[] = ['bid', 'ask'];
const TIFS: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK', 'POST_ONLY'];
const PRELUDE_BATCH = 10_000;
/** A fill record's size slot (src/batch.ts). */
const FILL_SIZE = 7;

async function newEngine(backend: BackendName): Promise<Engine> {
  const { createEngine } = await import('../../src/engine.js');
  return createEngine({ backend });
}

export function lobcoreEngine(backend: BackendName, batched: boolean): BenchEngine {
  const id = `${backend}${batched ? '-batch' : ''}` as EngineId;
  const label = `lobcore ${backend.toUpperCase()} ${batched ? 'submitBatch' : 'per call'}`;
  return {
    id, label, perCall: !batched,
    async unavailable() {
      try {
        await newEngine(backend);
        return undefined;
      } catch (error) {
        return `engine not available: ${(error as Error).message.split('\n')[0]}`;
      }
    },
    cannotRun: () => undefined,
    async open(workload: Workload, chunk: number) {
      const engine = await newEngine(backend);
      const session = new LobcoreSession(engine, workload, batched, chunk);
      session.applyPrelude();
      return session;
    },
  };
}

class LobcoreSession implements EngineSession {
  readonly tally: Tally = emptyTally();
  private readonly stream: CommandColumns;
  private readonly batch: CommandBatch;
  /** Stream command i carries timestamp firstTimestamp + i. */
  private readonly firstTimestamp: number;
  private afterPrelude: Uint8Array | null = null;
  readonly run: (from: number, to: number) => void;
  readonly runTimed?: (from: number, to: number, into: Float64Array) => void;
  /**
   * Where stops trigger, a command's result counts only its own lots while its fills include
   * the triggered orders' too: the volume is then the sum of the fills.
   */
  private readonly volumeOfFills: boolean;

  constructor(private readonly engine: Engine, private readonly workload: Workload, batched: boolean, chunk: number) {
    this.stream = workload.stream;
    this.batch = new CommandBatch(Math.max(chunk, PRELUDE_BATCH));
    this.firstTimestamp = workload.prelude.count + 1;
    this.volumeOfFills = workload.stops !== undefined;
    this.run = batched ? this.runBatch : this.runCalls;
    if (!batched) this.runTimed = this.runCallsTimed;
  }

  applyPrelude(): void {
    const prelude = this.workload.prelude;
    for (let from = 0; from < prelude.count; from += PRELUDE_BATCH) {
      const to = Math.min(prelude.count, from + PRELUDE_BATCH);
      encodeBatch(this.batch, prelude, from, to, 1);
      this.engine.submitBatch(this.batch);
    }
    this.afterPrelude = this.engine.snapshot();
  }

  rewind(): void {
    this.engine.restore(this.afterPrelude!);
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

  /** One command through the per-call API, its result read. */
  private call(i: number): void {
    const s = this.stream;
    const engine = this.engine;
    switch (s.op[i]) {
      case Op.LIMIT:
        this.order(i, engine.placeLimit({
          trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], price: s.price[i], size: s.size[i],
          timestamp: this.firstTimestamp + i, timeInForce: TIFS[s.tif[i]],
        }));
        break;
      case Op.MARKET:
        this.order(i, engine.placeMarket({
          trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], size: s.size[i], timestamp: this.firstTimestamp + i,
        }));
        break;
      case Op.STOP:
        this.order(i, s.price[i] === 0
          ? engine.placeStop({
            trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], size: s.size[i], stopPrice: s.stopPrice[i],
            timestamp: this.firstTimestamp + i,
          })
          : engine.placeStop({
            trader: s.trader[i], asset: s.asset[i], side: SIDES[s.side[i]], size: s.size[i], stopPrice: s.stopPrice[i],
            price: s.price[i], timeInForce: TIFS[s.tif[i]], timestamp: this.firstTimestamp + i,
          }));
        break;
      case Op.CANCEL:
        if (!engine.cancel({ trader: s.trader[i], asset: s.asset[i], orderId: s.orderId[i] }).ok) this.tally.rejected++;
        break;
      case Op.REDUCE:
        if (!engine.reduce({ trader: s.trader[i], asset: s.asset[i], orderId: s.orderId[i], by: s.size[i] }).ok) this.tally.rejected++;
        break;
    }
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

  /** Encodes the commands into the reused batch, submits it, and reads every result. */
  private runBatch = (from: number, to: number): void => {
    const results = this.engine.submitBatch(encodeBatch(this.batch, this.stream, from, to, this.firstTimestamp));
    readBatch(results, this.stream, from, this.tally, this.volumeOfFills);
  };
}

function readBatch(results: BatchResults, s: CommandColumns, from: number, tally: Tally, volumeOfFills: boolean): void {
  const count = results.count;
  for (let k = 0; k < count; k++) {
    const op = s.op[from + k];
    if (op === Op.LIMIT || op === Op.MARKET || op === Op.STOP) {
      if (!volumeOfFills) tally.filledVolume += results.filled(k);
      if (results.orderId(k) !== s.orderId[from + k]) tally.idMismatches++;
    } else if (results.statusCode(k) !== StatusCode.OK) {
      tally.rejected++;
    }
  }
  if (volumeOfFills) {
    const fills = results.fills;
    for (let j = 0; j < results.fillCount; j++) tally.filledVolume += fills[j * FILL_SLOTS + FILL_SIZE];
  }
  tally.fills += results.fillCount;
}
