#!/usr/bin/env node
// What `lobcore serve` costs a replay at full speed: the AAPL hour (91,997 messages, seeded from
// its first book row) replayed into a bare engine, through the state machine and its feed, and through
// the whole serve path with pages attached (live ones, and stalled ones that never read), the
// pages on another thread. Prints messages/s per setup, median of the runs, with the spread and
// the ratio to the bare engine of the same run. `node dist/bench/serve.js [runs]`.
import { Worker } from 'node:worker_threads';
import { createEngine } from '../src/engine.js';
import { LobsterReplayer, readMessageFile, samplePath } from '../src/lobster/index.js';
import { CoreStateMachine } from '../src/state/index.js';
import { REPLAY_ASSET, ReplaySource, loadReplay } from '../src/serve/replay-source.js';
import { startServer } from '../src/serve/server.js';

const runs = Number(process.argv[2] ?? 5);
const file = samplePath('aaplHourMessages');
const seedBook = samplePath('aaplHeadBook');
const input = loadReplay(file, seedBook);
const count = input.messages.count;

async function bare(): Promise<number> {
  const engine = await createEngine();
  const replayer = new LobsterReplayer(engine, readMessageFile(file), { asset: REPLAY_ASSET });
  replayer.seed(input.seedRow as Float64Array);
  const started = performance.now();
  replayer.run();
  return performance.now() - started;
}

async function served(live: number, stalled: number): Promise<{ ms: number; frames: number[] }> {
  const machine = await CoreStateMachine.open();
  const source = new ReplaySource(machine, input, { speed: 'max', paused: true });
  const server = await startServer({ machine, source, port: 0 });
  const origin = server.url.replace(/\/$/, '');
  const pages = new Worker(new URL('./serve-pages.js', import.meta.url), {
    workerData: { url: `${origin.replace('http', 'ws')}/feed`, origin, live, stalled },
  });
  await new Promise((resolve) => pages.once('message', resolve));
  source.start();
  await new Promise((resolve) => setTimeout(resolve, 300)); // every page has its snapshot
  const started = performance.now();
  source.resume();
  while (!source.status().done) await new Promise((resolve) => setTimeout(resolve, 1));
  const ms = performance.now() - started;
  pages.postMessage('report');
  const counts = (await new Promise((resolve) => pages.once('message', resolve))) as { deltas: number }[];
  await pages.terminate();
  await source.stop();
  await server.close();
  await machine.close();
  return { ms, frames: counts.map((c) => c.deltas) };
}

const setups: [string, () => Promise<{ ms: number; frames?: number[] }>][] = [
  ['bare engine, replayer loop', async () => ({ ms: await bare() })],
  ['serve path, no page', () => served(0, 0)],
  ['serve path, 2 live pages', () => served(2, 0)],
  ['serve path, 2 live + 2 stalled pages', () => served(2, 2)],
];
const results = new Map<string, number[]>(setups.map(([name]) => [name, []]));
const ratios = new Map<string, number[]>(setups.map(([name]) => [name, []]));
const frames: number[] = [];
for (let run = 0; run < runs; run++) {
  let baseline = 0;
  for (const [name, setup] of setups) {
    const { ms, frames: pageFrames } = await setup();
    const rate = count / (ms / 1000);
    if (baseline === 0) baseline = rate;
    results.get(name)?.push(rate);
    ratios.get(name)?.push(rate / baseline);
    if (pageFrames !== undefined) frames.push(...pageFrames);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`${file.split('/').pop()}: ${count.toLocaleString('en-US')} messages, ${runs} runs, median (min-max)`);
for (const [name] of setups) {
  const rates = results.get(name) as number[];
  const r = ratios.get(name) as number[];
  console.log(`  ${name.padEnd(38)} ${Math.round(median(rates)).toLocaleString('en-US').padStart(9)} msg/s (${Math.round(Math.min(...rates)).toLocaleString('en-US')}-${Math.round(Math.max(...rates)).toLocaleString('en-US')})  x${median(r).toFixed(2)} of bare (${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})`);
}
console.log(`  delta frames a live page received for the whole replay: ${Math.min(...frames)}-${Math.max(...frames)}`);
