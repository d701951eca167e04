// What events cost, measured in one run on one flow (the steady workload, batches of 1,000):
// the cores write an event record for every change of a book unless the engine is created with
// `events: false` (as the engine comparison runs them); this section measures what writing them
// costs, what reading them, sequencing them into commits (the journal and event blocks that the
// audit trail and the feed are read from) and a feed subscriber add on top, and what the same
// flow does persisted (RocksDB, a synced flush per batch, the audit trail's indexes written behind).
// Each row is repeated and the rows interleaved, so a noisy machine shows as a spread, not a bias.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusCode } from '../src/codes.js';
import { createEngine } from '../src/engine.js';
import { EVENT_SLOTS } from '../src/events.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { BackendName } from '../src/types.js';
import { encodeBatch } from './batch-encoding.js';
import type { CommandColumns } from './commands.js';
import { spread, type Spread } from './stats.js';
import { steadyWorkload } from './workloads/synthetic.js';

const BATCH = 1000;
const REPEATS = 3;

export type EventsRowId = 'engine' | 'engine-no-events' | 'engine-events-read' | 'state-machine' | 'state-machine-subscriber' | 'state-machine-rocksdb';

export interface EventsRow {
  id: EventsRowId;
  label: string;
  commands: number;
  /** Median over the repeats, with the spread. */
  opsPerSec: number;
  spread: Spread;
  /** Events the flow produced (and, where read, that were read). */
  events: number;
}

export type EventsReport =
  | { status: 'skipped' | 'failed'; reason: string }
  | { status: 'ok'; backend: BackendName; workload: string; repeats: number; rows: EventsRow[] };

const LABELS: Record<EventsRowId, string> = {
  engine: 'engine, events written, not read',
  'engine-no-events': 'engine created with events: false (none written)',
  'engine-events-read': 'engine, every event record read',
  'state-machine': 'state machine in memory (journal + event blocks)',
  'state-machine-subscriber': 'state machine in memory + a feed subscriber',
  'state-machine-rocksdb': 'state machine on RocksDB, synced flush per batch',
};

export async function measureEvents(commands: number, seed: number, backend: BackendName, onStep: (label: string) => void): Promise<EventsReport> {
  const root = mkdtempSync(join(tmpdir(), 'lobcore-bench-events-'));
  try {
    const flow = steadyWorkload({ resting: 10_000, commands }, seed + 12);
    const samples = new Map<EventsRowId, number[]>();
    const events = new Map<EventsRowId, number>();
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      // Rows in a different order each repeat, so drift over the run lands on every row.
      const order = (Object.keys(LABELS) as EventsRowId[]);
      for (let k = 0; k < repeat; k++) order.push(order.shift() as EventsRowId);
      for (const id of order) {
        onStep(`events: ${LABELS[id]} (${repeat + 1}/${REPEATS})`);
        const run = await runRow(id, backend, flow.prelude, flow.stream, join(root, `${id}-${repeat}`));
        samples.set(id, [...(samples.get(id) ?? []), flow.stream.count / run.seconds]);
        events.set(id, run.events);
      }
    }
    const rows = (Object.keys(LABELS) as EventsRowId[]).map((id): EventsRow => {
      const rates = samples.get(id) as number[];
      const summary = spread(rates);
      return { id, label: LABELS[id], commands: flow.stream.count, opsPerSec: summary.median, spread: summary, events: events.get(id) as number };
    });
    return { status: 'ok', backend, workload: `steady flow, ${flow.stream.count.toLocaleString('en-US')} commands, batches of ${BATCH}`, repeats: REPEATS, rows };
  } catch (error) {
    return { status: 'failed', reason: (error as Error).stack ?? String(error) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

interface Run {
  seconds: number;
  events: number;
}

async function runRow(id: EventsRowId, backend: BackendName, prelude: CommandColumns, stream: CommandColumns, path: string): Promise<Run> {
  const firstTimestamp = prelude.count + 1;
  // Each row builds its batch in its own engine's memory (createBatch), which the WASM core reads
  // in place: a `new CommandBatch` is copied into it at every submit.
  if (id === 'engine' || id === 'engine-no-events' || id === 'engine-events-read') {
    const engine = await createEngine({ backend, events: id !== 'engine-no-events' });
    const batch = engine.createBatch(BATCH);
    for (let from = 0; from < prelude.count; from += BATCH) engine.submitBatch(encodeBatch(batch, prelude, from, Math.min(prelude.count, from + BATCH), 1));
    const readEvents = id === 'engine-events-read';
    let volume = 0;
    let events = 0;
    let kinds = 0;
    const t0 = process.hrtime.bigint();
    for (let from = 0; from < stream.count; from += BATCH) {
      const results = engine.submitBatch(encodeBatch(batch, stream, from, Math.min(stream.count, from + BATCH), firstTimestamp));
      for (let k = 0; k < results.count; k++) if (results.statusCode(k) !== StatusCode.REJECTED) volume += results.filled(k);
      const list = results.events;
      events += list.count;
      if (readEvents) {
        // What a consumer of events does at the least: look at each record.
        const records = list.records;
        for (let o = 0, end = list.count * EVENT_SLOTS; o < end; o += EVENT_SLOTS) kinds += records[o] & 15;
      }
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (volume < 0 || kinds < 0) throw new Error('unreachable: keeps the reads alive');
    return { seconds, events };
  }
  const persisted = id === 'state-machine-rocksdb';
  const sm = await CoreStateMachine.open({ backend, ...(persisted ? { path, sync: true } : {}), checkpointInterval: Number.MAX_SAFE_INTEGER });
  const batch = sm.createBatch(BATCH);
  try {
    for (let from = 0; from < prelude.count; from += BATCH) {
      sm.submitBatch(encodeBatch(batch, prelude, from, Math.min(prelude.count, from + BATCH), 1));
      await sm.flush();
    }
    let received = 0;
    let lastSeq = 0;
    const subscription = id === 'state-machine-subscriber' ? sm.subscribe({ maxBuffered: Number.MAX_SAFE_INTEGER }) : undefined;
    const t0 = process.hrtime.bigint();
    const consumer = subscription === undefined ? undefined : (async () => {
      for await (const message of subscription) {
        received += message.events.length;
        lastSeq = message.seq;
      }
    })();
    let events = 0;
    for (let from = 0; from < stream.count; from += BATCH) {
      const { results } = sm.submitBatch(encodeBatch(batch, stream, from, Math.min(stream.count, from + BATCH), firstTimestamp));
      events += results.events.count;
      await sm.flush();
    }
    if (subscription !== undefined) {
      // The subscriber is done when it has the feed's last message (one asset in this flow).
      const last = sm.bookSnapshot(1).seq;
      while (lastSeq < last) await new Promise((resolve) => setImmediate(resolve));
      subscription.close();
      await consumer;
      if (received === 0) throw new Error('the subscriber received no message');
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { seconds, events };
  } finally {
    await sm.close();
  }
}

/** The rows as a table for the report. */
export function renderEventsSection(report: EventsReport | undefined): string {
  if (report === undefined) return '';
  if (report.status !== 'ok') return `\n\nEVENTS: ${report.status} (${report.reason.split('\n')[0]})`;
  const base = report.rows.find((r) => r.id === 'engine') as EventsRow;
  const lines = [
    '',
    '',
    `EVENTS (${report.workload}, ${report.backend} core, median of ${report.repeats} with the spread, commands/s)`,
  ];
  for (const row of report.rows) {
    lines.push(`  ${row.label.padEnd(52)} ${Math.round(row.opsPerSec).toLocaleString('en-US').padStart(11)}` +
      `  (${Math.round(row.spread.min).toLocaleString('en-US')}..${Math.round(row.spread.max).toLocaleString('en-US')})` +
      `  ${(row.opsPerSec / base.opsPerSec).toFixed(2)}x`);
  }
  lines.push(`  ${report.rows[0].events.toLocaleString('en-US')} events for ${report.rows[0].commands.toLocaleString('en-US')} commands`);
  return lines.join('\n');
}
