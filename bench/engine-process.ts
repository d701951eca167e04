// An `EngineRunner` whose engines run in a child process of their own (engine-process-child.ts).
// V8 keeps process-wide guarantees that one engine can withdraw for every other: the first
// ArrayBuffer detached in a process (a WebAssembly memory growing detaches its old buffer) makes
// every optimised typed-array access check for detachment from then on. Measured by instruction
// counts on LOBSTER, that cost the JS engine about 400 instructions a command when it ran after the
// WASM engines in one process. The WASM core's memory has since become shared, and a shared memory
// grows without detaching (src/wasm-core.ts), so no engine withdraws that guarantee now
// (test/bench-processes.test.ts). The engines still run apart, each in a process of its own: it
// measures each as an application that uses only it would run it, with its own JIT feedback and
// heap, and in one process an engine session opened after another runs faster (the WASM core
// alone 1.15-1.26x on its second opening; bench/README.md, "Which session opens first").
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { compiledBenchScript } from './child-script.js';
import { allowedCpus, pinMainThread } from './cpu-pinning.js';
import type { EngineId } from './engines/index.js';
import type { EngineRunner, RunnerSettings, WorkloadResults } from './engine-runs.js';
import type { Progress } from './progress.js';
import type { Measurement, PendingStopsCost } from './report.js';
import type { PairRequest } from './pair-sessions.js';
import type { Workload } from './workloads/index.js';

/** What the bench sends the child: the group to run first (answered once it is made), then one request at a time. */
export type ChildRequest =
  | { kind: 'start'; engines: readonly EngineId[]; settings: RunnerSettings }
  | { kind: 'measure'; workload: Workload }
  | { kind: 'pending-stops-cost'; steady: Workload; steadyStops: Workload; measured: readonly Measurement[] }
  | { kind: 'pair'; request: PairRequest };

/** What the child sends back: progress while it works, then the request's result. */
export type ChildReply =
  | { kind: 'progress'; event: 'step' | 'done' | 'tick'; label?: string }
  | { kind: 'result'; result: WorkloadResults | PendingStopsCost['engines'] | number }
  | { kind: 'error'; message: string };

/** Kept of the child's stderr for the error that reports its death. */
const STDERR_TAIL_BYTES = 4096;

export function processRunner(engines: readonly EngineId[], settings: RunnerSettings, progress: Progress): EngineRunner {
  // Structured clone (the 'advanced' serialization) carries the workloads' typed arrays as they are.
  const child: ChildProcess = fork(compiledBenchScript('engine-process-child.js'), [], {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    execArgv: process.execArgv.filter((arg) => !arg.startsWith('--input-type')),
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_BYTES);
  });
  let died: Error | undefined;
  let waiter: { resolve: (result: unknown) => void; reject: (error: Error) => void } | undefined;
  // 'close', not 'exit': by then its stderr has been read to the end.
  child.on('close', (code, signal) => {
    died = new Error(`the engine process for ${engines.join(', ')} exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`);
    waiter?.reject(died);
    waiter = undefined;
  });
  // A send to a child that has just died fails here, not where it was called.
  child.on('error', (error) => {
    died ??= error;
    waiter?.reject(error);
    waiter = undefined;
  });
  child.on('message', (reply: ChildReply) => {
    if (reply.kind === 'progress') {
      if (reply.event === 'step') progress.step(reply.label!);
      else if (reply.event === 'done') progress.done();
      else progress.tick();
      return;
    }
    const w = waiter;
    waiter = undefined;
    if (reply.kind === 'result') w?.resolve(reply.result);
    else w?.reject(new Error(reply.message));
  });
  const send = <T>(request: ChildRequest): Promise<T> => {
    if (died) return Promise.reject(died);
    return new Promise<T>((resolve, reject) => {
      waiter = { resolve: resolve as (result: unknown) => void, reject };
      child.send(request);
    });
  };
  // The child answers `start` once its engines are made: Node, V8 and their threads are up, so a
  // pin after it leaves them free (a thread made after a pin would share the main thread's CPU).
  const started = send<number>({ kind: 'start', engines, settings });
  // Its failure is every later call's, through `died`.
  started.catch(() => {});
  const call = async <T>(request: ChildRequest): Promise<T> => {
    await started;
    return send<T>(request);
  };
  const free = allowedCpus();
  return {
    measure: (workload) => call<WorkloadResults>({ kind: 'measure', workload }),
    pendingStopsCost: (steady, steadyStops, measured) => call<PendingStopsCost['engines']>({ kind: 'pending-stops-cost', steady, steadyStops, measured }),
    pair: (request) => call<number>({ kind: 'pair', request }),
    // Between requests, when the child is idle: its main thread's id is its pid. A child that died
    // meanwhile reports its own end, not taskset's.
    async pinMainThread(cpu) {
      await started;
      try {
        await pinMainThread(child.pid!, cpu, free);
      } catch (error) {
        throw died ?? error;
      }
    },
    close() {
      if (child.connected) child.disconnect();
    },
  };
}
