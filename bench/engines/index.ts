// Every engine the benchmark knows, in report order.
import type { BenchEngine, EngineId } from './engine.js';
import { lobcoreEngine } from './lobcore.js';
import { naiveEngine } from './naive.js';
import { nodejsOrderBookEngine } from './nodejs-order-book.js';

export { ENGINE_IDS } from './engine.js';
export type { BenchEngine, EngineId, EngineSession } from './engine.js';

export const ENGINES: readonly BenchEngine[] = [
  lobcoreEngine('wasm', 'call'),
  lobcoreEngine('wasm', 'batch'),
  lobcoreEngine('wasm', 'core'),
  lobcoreEngine('js', 'call'),
  lobcoreEngine('js', 'batch'),
  lobcoreEngine('js', 'core'),
  naiveEngine,
  nodejsOrderBookEngine,
];

/**
 * Engines measured in one process: each engine alone (engine-process.ts says why a process of its
 * own). The WASM engine's three paths shared one until 2026-12-05, and in one process the engine
 * session opened later ran faster whichever path it was, so the core alone, opened last, was
 * favoured over submitBatch (bench/README.md, "Which session opens first").
 */
export const ENGINE_PROCESSES: readonly (readonly EngineId[])[] = ENGINES.map((e) => [e.id]);

export function engineById(id: EngineId): BenchEngine {
  return ENGINES.find((e) => e.id === id)!;
}
