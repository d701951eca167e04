// The child side of engine-process.ts: runs its group of engines with the local runner and
// answers one request at a time. It exits when the bench disconnects.
import type { ChildReply, ChildRequest } from './engine-process.js';
import { localRunner } from './engine-runs.js';
import type { EngineRunner } from './engine-runs.js';
import { engineById } from './engines/index.js';
import { exposeGc } from './gc.js';
import type { Progress } from './progress.js';

/** Benchmark.js cycles tick many times a second; the bar redraws a few times a second at most. */
const TICK_EVERY_MS = 250;

const send = (reply: ChildReply): void => {
  process.send!(reply);
};

function forwardedProgress(): Progress {
  let lastTick = 0;
  return {
    step: (label) => send({ kind: 'progress', event: 'step', label }),
    done: () => send({ kind: 'progress', event: 'done' }),
    tick() {
      const now = Date.now();
      if (now - lastTick < TICK_EVERY_MS) return;
      lastTick = now;
      send({ kind: 'progress', event: 'tick' });
    },
    stop() {},
  };
}

let runner: EngineRunner | undefined;

process.on('message', (request: ChildRequest) => {
  void answer(request);
});
process.on('disconnect', () => runner?.close());

async function answer(request: ChildRequest): Promise<void> {
  try {
    switch (request.kind) {
      case 'start':
        exposeGc();
        runner = localRunner(request.engines.map(engineById), request.settings, forwardedProgress());
        send({ kind: 'result', result: 0 });
        return;
      case 'measure':
        send({ kind: 'result', result: await runner!.measure(request.workload) });
        return;
      case 'pending-stops-cost':
        send({ kind: 'result', result: await runner!.pendingStopsCost(request.steady, request.steadyStops, request.measured) });
        return;
      case 'pair':
        send({ kind: 'result', result: await runner!.pair(request.request) });
        return;
    }
  } catch (error) {
    send({ kind: 'error', message: (error as Error).stack ?? String(error) });
  }
}
