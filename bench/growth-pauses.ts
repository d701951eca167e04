// How long the batch that makes a core grow its storage takes, against an ordinary batch: a book
// built from empty in batches of resting orders, each batch timed alone. Until stop 61 a core
// grew its order index (and the JS core its order arrays) in one go, inside whichever command
// filled them, 70-404 ms at a million orders; now the growth is spread over the inserts around it
// (README.md, "Growth is bounded in time on the WASM core"). The throughput rows spread a growth
// over a stream, and a latency pass over a book already grown misses it, so neither shows what
// the one command holding a growth waits.
// Hold it to one CPU (`taskset -c 1 node ...`) and run it more than once: the pauses are mostly
// fresh memory, whose price moves with the machine (bench/README.md, "Growing's whole stream from
// run to run (stop 60)").
//
//   node dist/bench/growth-pauses.js <wasm|js> [orders, default 1300000] [batch, default 1000] [--line] [--levels | --traders]
//
// Prints the median batch and the slowest batches with the resting count each ended at; with
// --line, every batch's milliseconds as one JSON line instead (the full run's growth section,
// bench/growth.ts, reads it). With --levels every order rests at a price of its own, so that the
// book grows its price levels (their records, the ladder and the (side, price) map) as fast as its
// orders: a venue of many books, whose levels share one map, grows the same way. With --traders
// every order comes from a trader of its own, numbered from 2^28, so that the WASM core's trader
// map grows as fast (it keeps smaller traders in the order; the JS core keeps no such map).
import { pathToFileURL } from 'node:url';
import { parseDecimalInteger } from '../src/decimal-integer.js';
import { createEngine } from '../src/engine.js';
import type { BackendName } from '../src/types.js';
import { untilPinned, WAIT_TO_BE_PINNED } from './cpu-pinning.js';
import { exposeGc, fullGc } from './gc.js';
import { quantileOfSorted } from './stats.js';

const SLOWEST = 6;
/** The first trader the WASM core interns in its map (assembly/traders.ts): the --traders shape's traders start here. */
const INTERNED_TRADERS = 2 ** 28;

export interface TimedBatch {
  ms: number;
  /** Resting orders once the batch was applied. */
  resting: number;
}

/**
 * Orders a throwaway engine takes before the timed one is created: the first batches of a process
 * otherwise time V8 compiling (the JS core's functions, the WASM core's tier-up) and read as
 * pauses. A venue's engine runs warm; what this tool times is the growth of a fresh one's storage.
 */
const WARM_UP_ORDERS = 100_000;

/** The milliseconds of each batch, in order: batch i ends with min((i + 1) * batchSize, orders) resting. */
/** What grows with the book besides its orders: nothing else, a price level an order, or a trader an order. */
export type BookShape = 'orders' | 'levels' | 'traders';

export async function batchMilliseconds(backend: BackendName, orders: number, batchSize: number, shape: BookShape = 'orders'): Promise<number[]> {
  await fillBook(backend, Math.min(orders, WARM_UP_ORDERS), batchSize, shape, () => {});
  // The throwaway engine's garbage collected now, not in a timed batch (a full GC of it read as a
  // 25 ms pause at 9,000 orders on the JS engine, in both passes of a full run).
  exposeGc();
  fullGc();
  const timed: number[] = [];
  await fillBook(backend, orders, batchSize, shape, (ms) => timed.push(ms));
  return timed;
}

/** A new engine's book built from empty, `orders` resting orders in batches, each batch's milliseconds handed to `timed`. */
async function fillBook(backend: BackendName, orders: number, batchSize: number, shape: BookShape, timed: (ms: number) => void): Promise<void> {
  const engine = await createEngine({ backend, events: false });
  const batch = engine.createBatch(batchSize);
  let id = 0;
  while (id < orders) {
    batch.clear();
    for (let i = 0; i < batchSize && id < orders; i++) {
      id++;
      // Bids under asks, 2,000 prices a side (or a price each, moving away from the touch):
      // nothing trades, every order rests.
      const bid = (id & 1) === 0;
      const away = shape === 'levels' ? id >> 1 : id % 2_000;
      const touch = shape === 'levels' ? 1_000_000 : 100_000;
      batch.limit(shape === 'traders' ? INTERNED_TRADERS + id : 1 + (id % 50), 1, bid ? 'bid' : 'ask', bid ? touch - away : touch + touch / 10 + away, 1 + (id % 7), id);
    }
    const started = process.hrtime.bigint();
    engine.submitBatch(batch);
    timed(Number(process.hrtime.bigint() - started) / 1e6);
  }
}

/** Each batch's time with the resting count it ended at. */
export function timedBatches(milliseconds: readonly number[], orders: number, batchSize: number): TimedBatch[] {
  return milliseconds.map((ms, i) => ({ ms, resting: Math.min((i + 1) * batchSize, orders) }));
}

/** The `count` slowest batches, slowest first. */
export function slowestBatches(batches: readonly TimedBatch[], count: number): TimedBatch[] {
  return [...batches].sort((a, b) => b.ms - a.ms).slice(0, count);
}

function positiveArgument(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = parseDecimalInteger(text);
  if (value === undefined || value < 1) throw new Error(`${name}: a positive integer in decimal digits, not ${text}`);
  return value;
}

async function main(): Promise<void> {
  if (process.argv.includes(WAIT_TO_BE_PINNED)) await untilPinned();
  const line = process.argv.includes('--line');
  const shape: BookShape = process.argv.includes('--levels') ? 'levels' : process.argv.includes('--traders') ? 'traders' : 'orders';
  const [backendText, ordersText, batchText] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (backendText !== 'wasm' && backendText !== 'js') throw new Error(`backend: wasm or js, not ${backendText ?? 'nothing'}`);
  const orders = positiveArgument(ordersText, 'orders', 1_300_000);
  const batchSize = positiveArgument(batchText, 'batch', 1_000);
  const milliseconds = await batchMilliseconds(backendText, orders, batchSize, shape);
  if (line) {
    process.stdout.write(`${JSON.stringify(milliseconds)}\n`);
    return;
  }
  const timed = timedBatches(milliseconds, orders, batchSize);
  const median = quantileOfSorted([...milliseconds].sort((a, b) => a - b), 0.5);
  const slowest = slowestBatches(timed, SLOWEST);
  console.log(`${backendText}: ${timed.length} batches of ${batchSize} resting orders${shape === 'orders' ? '' : `, a ${shape === 'levels' ? 'price' : 'trader'} each`}, median ${median.toFixed(3)} ms; slowest: `
    + slowest.map((t) => `${t.ms.toFixed(1)} ms at ${t.resting.toLocaleString('en-US')}`).join(', '));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
