// The report as text tables for stdout.
import { formatCount, formatNs } from './charts.js';
import { latencyCalls } from './latency.js';
import { checkpointPauseText, longestGapSplitText, type IndexCatchUp } from './persistence.js';
import { failedChecks, rowFigure, rowRate } from './report.js';
import { faultedMiB } from './page-faults.js';
import type { BenchReport, Measurement, PairedRatio } from './report.js';

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => (row[c] ?? '').length)));
  return cells.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

const ratio = (x: number | undefined): string => (x === undefined ? '-' : `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}x`);

function throughputRow(report: BenchReport, m: Measurement): string[] {
  const label = report.engines.find((e) => e.id === m.engine)?.label ?? m.engine;
  if (m.status !== 'ok' || !m.throughput) return [label, m.status === 'n/a' ? 'n/a' : m.status, '', '', '', '', (m.reason ?? '').split('\n')[0]];
  const t = m.throughput;
  const v = m.verification;
  const check = v === undefined ? 'NOT VERIFIED' : !v.ok ? 'MISMATCH: not comparable' : v.reference ? 'reference' : v.fillsChecked ? 'ok' : 'ok (book)';
  return [label, formatCount(rowRate(t)) + (t.wholeStream === undefined ? '' : ' *'), `${formatCount(t.opsPerSec.min)}-${formatCount(t.opsPerSec.max)}`, String(t.samples), ratio(t.vsJs), ratio(t.vsNodejsOrderBook), check + (m.caveat ? ` (${m.caveat})` : '')];
}

/**
 * Under a stream applied once: what each row's single pass went through besides its engine
 * (bench/throughput.ts, wholeStreamThread), so that a row taken while another process held the
 * core, or one that touched much fresh memory, says so.
 */
export function wholeStreamThreads(measurements: readonly Measurement[]): string[] {
  const rows = [['    engine', 'on a core', 'waited', 'first touched']];
  for (const m of measurements) {
    const t = m.throughput;
    const thread = t?.wholeStreamThread;
    if (t?.wholeStream === undefined || thread === undefined) continue;
    const onCore = (t.wholeStream * thread.seconds) / Math.max(1e-9, thread.seconds - thread.waitedSeconds);
    rows.push([`    ${m.engine}`, formatCount(onCore), `${((100 * thread.waitedSeconds) / thread.seconds).toFixed(1)}% of ${thread.seconds.toFixed(2)} s`,
      `${faultedMiB(thread.faults).toFixed(1)} MiB`]);
  }
  if (rows.length === 1) return [];
  return ['  * the whole stream\'s main thread: its rate on a core (the wall clock less its waits for one, which another process held), how long it waited, the fresh memory it touched first (page faults)', pad(rows)];
}

export function renderReport(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(`lobcore benchmark (${report.run.scale}) - ${m.date}`);
  out.push(`${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node} (V8 ${m.v8}), ${m.os}`);
  out.push(`seed ${report.run.seed}; ${report.run.chunk} commands per benchmark.js operation (= per batch); timer floor ${report.run.timerFloorNs} ns (included in latencies); ${report.run.seconds.toFixed(0)} s`);
  out.push(report.run.engineProcesses === 'one per engine'
    ? 'engines measured each in a process of its own, new for each workload, so no engine pays for what another does to V8 or gains from opening after it, and no workload for what an earlier one left (wide / steady\'s pairs run steady in wide\'s processes)'
    : 'engines measured all in one process: an engine session opened after another runs faster (bench/README.md, "Which session opens first")');
  for (const engine of report.engines) {
    if (engine.unavailable) out.push(`note: ${engine.label} not measured: ${engine.unavailable}`);
  }
  out.push('');
  const failed = failedChecks(report);
  if (failed.length > 0) {
    out.push(`!!! ${failed.length} CHECK(S) FAILED: these figures are not comparable and feed no ratio or target`);
    for (const f of failed) out.push(`!!! ${f}`);
    out.push('');
  }
  out.push('THROUGHPUT - commands/s: median of benchmark.js samples [min-max]; * a stream applied once (growing): over the whole stream, its cycles\' [min-max] beside, and so in every ratio to it; vs JS = over the JS engine on the same path (per call or batched), between verified runs only');
  out.push('verified: every timed cycle and latency pass added what the reference\'s pass gives for the stretch it ran (fills, lots filled, predicted ids, no rejection; checked between cycles and passes), and an untimed pass of the whole stream ends with the reference book\'s levels (price, size, order count), resting orders (id, remaining, queue order), pending stops (id, side, stop price, size, limit price), lots filled and fills (count, sum of price x size, maker, taker and taker side fill by fill); "ok (book)": the engine reports no fill records, so all but the fills (the cores alone: their count only, and no lots filled); "reference": the naive engine is the reference book\'s own code, checked instead against lobcore JS (below)');
  const refs = report.referenceChecks ?? [];
  if (refs.length > 0) {
    const bad = refs.filter((r) => !r.ok);
    out.push(bad.length === 0
      ? `reference book checked against lobcore JS (submitBatch) on every workload: agrees on ${refs.map((r) => r.workload).join(', ')}`
      : `REFERENCE BOOK DISAGREES WITH lobcore JS on ${bad.map((r) => r.workload).join(', ')}: engine checks there cannot be trusted`);
  }
  for (const w of report.workloads) {
    out.push('');
    out.push(`${w.name}: ${w.description}`);
    out.push(`  ${w.streamCommands.toLocaleString('en-US')} timed commands (limit ${pct(w.mix.limit)}, cancel ${pct(w.mix.cancel)}, marketable ${pct(w.mix.marketable)}${w.mix.reduce > 0 ? `, reduce ${pct(w.mix.reduce)}` : ''}${w.mix.stop > 0 ? `, stop ${pct(w.mix.stop)}` : ''}); ${w.restingAfterPrelude.toLocaleString('en-US')} resting at start, ${w.restingAtEnd.toLocaleString('en-US')} at end`);
    if (w.stops) {
      const st = w.stops;
      out.push(`  stops per pass: ${st.pendingAfterPrelude.toLocaleString('en-US')} pending at start, ${st.placed.toLocaleString('en-US')} placed, ${st.triggered.toLocaleString('en-US')} triggered (at most ${st.longestCascade.toLocaleString('en-US')} by one command), ${st.pendingAtEnd.toLocaleString('en-US')} pending at end`);
    }
    const cpu = report.measurements.find((x) => x.workload === w.name && x.cpu !== undefined)?.cpu;
    if (cpu !== undefined) out.push(`  every engine's process ran these rows with its main thread held to CPU ${cpu}, as every workload's`);
    const rows = [['  engine', 'median', 'min-max', 'samples', 'vs JS', 'vs nob', 'verified']];
    for (const meas of report.measurements.filter((x) => x.workload === w.name)) {
      const row = throughputRow(report, meas);
      row[0] = `  ${row[0]}`;
      rows.push(row);
    }
    out.push(pad(rows));
    out.push(...wholeStreamThreads(report.measurements.filter((x) => x.workload === w.name)));
  }
  out.push('');
  out.push('LATENCY per call (hrtime.bigint around each call; includes the timer floor)');
  const latencyRows = [['  workload / engine', 'p50', 'p99', 'p99.9', 'max', 'p99 of each pass', 'calls']];
  for (const meas of report.measurements) {
    if (!meas.latencyNs) continue;
    const l = meas.latencyNs;
    latencyRows.push([`  ${meas.workload} / ${meas.engine}`, formatNs(l.p50), formatNs(l.p99), formatNs(l.p999), formatNs(l.max),
      `${formatNs(l.passP99.min)}-${formatNs(l.passP99.max)}`, latencyCalls(l)]);
  }
  out.push(latencyRows.length > 1 ? pad(latencyRows) : '  (no per-call engine ran)');
  out.push('');
  out.push('MEMORY at the end of the growing workload');
  if ('results' in report.memory) {
    const rows = [['  engine', 'resting', 'engine bytes/order', 'heap bytes/order', 'ArrayBuffer bytes/order']];
    for (const r of report.memory.results) {
      const b = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(1));
      rows.push([`  ${r.engine}`, r.restingOrders.toLocaleString('en-US'), b(r.engineBytesPerOrder), b(r.heapBytesPerOrder), b(r.arrayBufferBytesPerOrder)]);
    }
    out.push(pad(rows));
  } else {
    out.push(`  ${report.memory.status}: ${report.memory.reason}`);
  }
  out.push('');
  out.push(...renderPendingStopsCost(report));
  out.push('');
  out.push('PERSISTENCE (CoreStateMachine + RocksDB)');
  const p = report.persistence;
  if (p.status !== 'ok') {
    out.push(`  ${p.status}: ${p.reason.split('\n')[0]}`);
  } else {
    out.push(`  backend ${p.backend}; ${p.workload}`);
    out.push(`  fresh memory costs ${p.freshMemoryMsPerMiB.toFixed(2)} ms/MiB the first time it is written (page faults): counted for each run below`);
    const engineRate = p.inMemory.find((m) => m.path === 'engine.submitBatch')?.opsPerSec ?? NaN;
    out.push('  ack: paced runs from when the batch was due on the clock until durable (unpaced: from its flush() call); flush-to-durable: from the flush() call; late: the flush() call after its due time');
    const rates = [['  path', 'commands/s', 'vs engine', 'ack p50/p99/max ms', 'flush-to-durable p50/p99/max ms', 'late p50/p99/max ms', 'RocksDB write p50/p99/max ms', 'index lag, catch-up', 'durable+indexed/s', 'CPU ns/cmd main+other', 'faults/1k cmd main+other', 'disk B/cmd']];
    const ms = (x: { p50: number; p99: number; max: number } | undefined): string => (x === undefined ? '-' : `${x.p50.toFixed(1)}/${x.p99.toFixed(1)}/${x.max.toFixed(1)}`);
    for (const m of p.inMemory) {
      rates.push([`  ${m.path}`, formatCount(m.opsPerSec), pct(m.opsPerSec / engineRate), '-', '-', '-', '-', ...indexColumns(m.index), '-', '-', '-']);
    }
    for (const d of p.durable) {
      rates.push([
        `  ${d.pacedPerSec !== undefined ? `group commit paced at ${formatCount(d.pacedPerSec)}/s` : d.mode === 'sustained group commit' ? `group commit sustained over ${formatCount(d.commands)} commands` : d.mode}, sync ${d.sync ? 'on' : 'off'}`,
        formatCount(d.opsPerSec), pct(d.opsPerSec / engineRate),
        ms(d.ackMs), ms(d.flushToDurableMs), ms(d.sendLatenessMs),
        `${d.writeMs.p50.toFixed(1)}/${d.writeMs.p99.toFixed(1)}/${d.writeMs.max.toFixed(1)}`,
        ...indexColumns(d),
        `${d.mainCpuNsPerCommand.toFixed(0)}+${d.otherCpuNsPerCommand.toFixed(0)}`,
        d.faultsPerThousand === null ? '-' : `${d.faultsPerThousand.main.toFixed(1)}+${d.faultsPerThousand.other.toFixed(1)}`, d.bytesOnDiskPerCommand.toFixed(1),
      ]);
    }
    out.push(pad(rates));
    for (const d of p.durable) {
      const rocksdb = d.rocksdbUntilIdle;
      if (rocksdb === undefined || rocksdb === null) continue;
      out.push(`  the sustained run cost RocksDB's own threads (memtable flushes, compactions) ${rocksdb.cpuNsPerCommand.toFixed(0)} ns of CPU a command, counted until `
        + (rocksdb.idle ? `they fell idle ${rocksdb.seconds} s after it` : `the wait gave up ${rocksdb.seconds} s after it, still busy`)
        + ' (its disk B/cmd counted then)');
    }
    const books = [['  resting orders', 'checkpoint', 'call held main thread (waiting for a core)', 'longest gap during (median around), its split; outside submitBatch', 'longest gap, same flow, no checkpoint; outside submitBatch', 'close', 'reopen, fresh process (indexes ready)', 'reopen in-process', 'reopen fresh MiB', 'recovery phases (ms)', 'replayed', 'after a kill instead: reopen (indexes ready), replayed, phases (ms)', 'disk B/order']];
    for (const b of p.books) {
      books.push([
        `  ${b.restingOrders.toLocaleString('en-US')}`, `${b.checkpointSeconds.toFixed(3)} s`, checkpointPauseText(b),
        `${b.longestGapMs.toFixed(1)} (${b.medianGapMs.toFixed(1)}) ms, ${longestGapSplitText(b)}; outside submitBatch ${b.longestOutsideSubmitMs.toFixed(1)} ms`,
        `${b.longestGapWithoutCheckpointMs.toFixed(1)} ms over ${b.baselineBatches} batches; outside submitBatch ${b.longestOutsideSubmitWithoutCheckpointMs.toFixed(1)} ms`,
        `${b.closeSeconds.toFixed(3)} s`, `${b.openSeconds.toFixed(3)} s (indexes ${b.indexesReadySeconds.toFixed(3)} s)`, `${b.openInProcessSeconds.toFixed(3)} s`,
        b.reopenFreshMiB === null ? '-' : b.reopenFreshMiB.toFixed(0), phasesText(b.phases), b.replayedCommands.toLocaleString('en-US'),
        `${b.afterKill.openSeconds.toFixed(3)} s (indexes ${b.afterKill.indexesReadySeconds.toFixed(3)} s), ${b.afterKill.replayedCommands.toLocaleString('en-US')}; ${phasesText(b.afterKill.phases)}`,
        b.bytesOnDiskPerOrder.toFixed(1),
      ]);
    }
    out.push(pad(books));
  }
  out.push('');
  out.push(...renderPairs(report));
  out.push('');
  out.push('TARGETS');
  const rows = [['  target', 'goal', 'actual', '']];
  for (const t of report.targets) rows.push([`  ${t.name}`, t.goal, t.actual, t.met === null ? 'not measured' : t.met ? 'MET' : 'MISSED']);
  out.push(pad(rows));
  return out.join('\n');
}

function renderPairs(report: BenchReport): string[] {
  const pairs = report.pairs;
  if (pairs === undefined || !('pairs' in pairs)) return ['TARGET RATIOS FROM ALTERNATED PASSES', `  not run: ${pairs?.reason ?? 'not in this results file'}`];
  const out = [
    `TARGET RATIOS FROM ALTERNATED PASSES (bench/pairs.ts): ${pairs.rounds} rounds of one pass of each side, the order swapped every round,`,
    `  each pass in its process's main thread's time on a core; commands per second on a core (median [min-max]); ratio = a over b round by round; ${pairs.seconds.toFixed(0)} s`,
  ];
  const pinned = pairs.pairs.some((p) => p.byCpu !== undefined);
  if (pinned) out.push('  each round with both sides\' main threads held to one CPU, two rounds on each CPU in turn; ratio by CPU = the median of that CPU\'s rounds (of two, the lower) [min-max]');
  const rows = [['  a / b', 'commands', 'a', 'min-max', 'b', 'min-max', 'ratio', 'min-max', 'ratio of medians', ...(pinned ? ['ratio by CPU'] : [])]];
  for (const p of pairs.pairs) {
    const a = rowFigure(report.measurements, p.workloadA, p.engineA);
    const b = rowFigure(report.measurements, p.workloadB, p.engineB);
    rows.push([
      `  ${p.workloadA === p.workloadB ? `${p.workloadA}, ${p.engineA} / ${p.engineB}` : `${p.engineA}, ${p.workloadA} / ${p.workloadB}`}`,
      `${p.from === 0 ? '' : `${p.from.toLocaleString('en-US')}+`}${(p.to - p.from).toLocaleString('en-US')}`,
      formatCount(p.rateA.median), `${formatCount(p.rateA.min)}-${formatCount(p.rateA.max)}`,
      formatCount(p.rateB.median), `${formatCount(p.rateB.min)}-${formatCount(p.rateB.max)}`,
      `${p.ratio.median.toFixed(2)}x`, `${p.ratio.min.toFixed(2)}-${p.ratio.max.toFixed(2)}`,
      a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`,
      ...(pinned ? [ratioByCpu(p)] : []),
    ]);
  }
  out.push(pad(rows));
  for (const n of pairs.notMeasured) {
    out.push(`  not measured: ${n.workloadA === n.workloadB ? `${n.workloadA}, ${n.engineA} / ${n.engineB}` : `${n.engineA}, ${n.workloadA} / ${n.workloadB}`}: ${n.reason}`);
  }
  return out;
}

/**
 * `0: 1.62x [1.60-1.66], 1: 1.58x [1.51-1.58]`: each CPU's median and range. With the range beside
 * it, a CPU's median of two rounds (the lower) reads as one round, not as the CPU's: stop 57's
 * "CPU 1: 0.60x" on steady-stops was one round of 0.60x beside one of 0.77x.
 */
const ratioByCpu = (p: PairedRatio): string =>
  p.byCpu?.map((c) => `${c.cpu}: ${c.ratio.median.toFixed(2)}x [${c.ratio.min.toFixed(2)}-${c.ratio.max.toFixed(2)}]`).join(', ') ?? '-';

function renderPendingStopsCost(report: BenchReport): string[] {
  const cost = report.pendingStopsCost;
  if (!('engines' in cost)) return ['PENDING STOPS on the steady flow', `  ${cost.status}: ${cost.reason}`];
  const out = [
    `PENDING STOPS on the steady flow: steady-stops (steady's commands, ${cost.pendingStops.toLocaleString('en-US')} stops pending) over steady;`,
    `  commands per CPU second, ${cost.rounds} rounds of one pass of each, alternating (median [min-max]); ratio = round by round`,
  ];
  const rows = [['  engine', 'commands', 'triggered', 'steady', 'min-max', 'steady-stops', 'min-max', 'ratio', 'min-max']];
  for (const e of cost.engines) {
    rows.push([`  ${e.engine}`, e.commands.toLocaleString('en-US'), e.triggered.toLocaleString('en-US'),
      formatCount(e.steady.median), `${formatCount(e.steady.min)}-${formatCount(e.steady.max)}`,
      formatCount(e.steadyStops.median), `${formatCount(e.steadyStops.min)}-${formatCount(e.steadyStops.max)}`,
      `${e.ratio.median.toFixed(2)}x`, `${e.ratio.min.toFixed(2)}-${e.ratio.max.toFixed(2)}`]);
  }
  out.push(pad(rows));
  return out;
}

/** The persistence table's "index lag, catch-up" and "durable+indexed/s" cells ('-' for a run without indexes). */
function indexColumns(index: IndexCatchUp | undefined): [string, string] {
  if (index === undefined) return ['-', '-'];
  return [`${index.indexLagAtEnd.toLocaleString('en-US')}, ${index.indexCatchUpSeconds.toFixed(2)} s`, formatCount(index.indexedOpsPerSec)];
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** A recovery's phases, `opening 312, rocksdb 250, ...`, in ms. */
function phasesText(phases: Record<string, number>): string {
  return Object.entries(phases).map(([k, v]) => `${k.replace(/Ms$/, '')} ${v.toFixed(0)}`).join(', ');
}
