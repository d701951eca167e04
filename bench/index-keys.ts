#!/usr/bin/env node
// How many index keys a command costs, and how fast the indexes catch up, on the persistence
// section's steady flow: `node dist/bench/index-keys.js [group|await] [commands]`. Runs the flow
// through a state machine on disk (sync on; group commit: a flush a turn, never awaited; await:
// each flush of 1,000 awaited), waits for the indexes, and counts the keys stored of each index
// kind. Posting keys are written once (a list is one key), so the stored count is the count
// written; open-order entries are put and deleted, so only those still open are counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { CommandBatch } from '../src/batch.js';
import { CoreStateMachine } from '../src/state/index.js';
import { Prefix } from '../src/state/keys.js';
import { Store } from '../src/state/store.js';
import { encodeBatch } from './batch-encoding.js';
import type { CommandColumns } from './commands.js';
import { BATCH } from './persistence.js';
import { steadyWorkload } from './workloads/synthetic.js';

const KINDS: Array<[number, string]> = [
  [Prefix.ORDER_TOUCH, 'order touch'], [Prefix.TRADER_TOUCH, 'trader touch'], [Prefix.TRADER_ORDER, 'trader order'],
  [Prefix.CLIENT_ID, 'client id'], [Prefix.FEED_SPAN, 'feed span'],
  [Prefix.ORDER_TOUCHES, 'order touches'],
];
const POSTING_KINDS: readonly number[] = [Prefix.ORDER_TOUCH, Prefix.TRADER_TOUCH, Prefix.TRADER_ORDER, Prefix.ORDER_TOUCHES];

/** The flow in batches of the machine's own (createBatch: in its core's memory, read there), encoded before the timing. */
function batches(sm: CoreStateMachine, columns: CommandColumns, firstTimestamp: number): CommandBatch[] {
  const out: CommandBatch[] = [];
  for (let from = 0; from < columns.count; from += BATCH) {
    out.push(encodeBatch(sm.createBatch(BATCH), columns, from, Math.min(columns.count, from + BATCH), firstTimestamp));
  }
  return out;
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'group';
  const commands = Number(process.argv[3] ?? 200_000);
  if (mode !== 'group' && mode !== 'await') throw new Error(`mode: group or await, not ${mode}`);
  if (!Number.isSafeInteger(commands) || commands < BATCH) throw new Error(`commands: at least ${BATCH}, not ${process.argv[3]}`);
  const steady = steadyWorkload({ resting: 10_000, commands }, 42 + 10);
  const dir = mkdtempSync(join(tmpdir(), 'lobcore-index-keys-'));
  try {
    const path = join(dir, 'db');
    const sm = await CoreStateMachine.open({ path, sync: true, backend: 'wasm', checkpointInterval: Number.MAX_SAFE_INTEGER });
    const prelude = batches(sm, steady.prelude, 1);
    const stream = batches(sm, steady.stream, steady.prelude.count + 1);
    for (const batch of prelude) sm.submitBatch(batch);
    await sm.flush();
    while (sm.indexLag > 0) await sleep(1);
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    if (mode === 'await') {
      for (const batch of stream) {
        sm.submitBatch(batch);
        await sm.flush();
      }
    } else {
      let last: Promise<unknown> = Promise.resolve();
      for (const batch of stream) {
        sm.submitBatch(batch);
        last = sm.flush();
        await nextTurn();
      }
      await last;
    }
    const seconds = (performance.now() - t0) / 1000;
    const lag = sm.indexLag;
    const caughtUp = performance.now();
    while (sm.indexLag > 0) await sleep(1);
    const catchUpSeconds = (performance.now() - caughtUp) / 1000;
    const used = process.cpuUsage(cpu);
    await sm.close();
    const store = await Store.open(path, { sync: false });
    const total = steady.stream.count + steady.prelude.count;
    const lines = [`${mode}, ${commands.toLocaleString('en-US')} commands (+ ${steady.prelude.count.toLocaleString('en-US')} prelude)`];
    lines.push(`  commits ${Math.round(commands / seconds).toLocaleString('en-US')} commands/s; index lag at the end ${lag.toLocaleString('en-US')}, caught up in ${catchUpSeconds.toFixed(2)} s (${Math.round(lag / catchUpSeconds).toLocaleString('en-US')} commands/s)`);
    lines.push(`  CPU of the process, flow and catch-up: ${((used.user + used.system) / total).toFixed(2)} us a command`);
    let postings = 0;
    for (const [prefix, name] of KINDS) {
      const keys = (await store.keys({ gte: Buffer.from([prefix]), lt: Buffer.from([prefix + 1]) })).length;
      if (POSTING_KINDS.includes(prefix)) postings += keys;
      lines.push(`  ${name.padEnd(13)} ${keys.toLocaleString('en-US').padStart(9)} keys, ${(keys / total).toFixed(3)} a command`);
    }
    lines.push(`  postings      ${postings.toLocaleString('en-US').padStart(9)} keys, ${(postings / total).toFixed(3)} a command`);
    await store.close();
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`lobcore: ${(error as Error).message}\n`);
    process.exitCode = 2;
  });
}
