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
 * Engines measured in one process (engine-process.ts says why each family gets its own): the
 * WASM engine's paths share one, as an application using WASM would; so do the JS engine's; each
 * baseline has its own.
 */
export const ENGINE_FAMILIES: readonly (readonly EngineId[])[] = [
  ['wasm', 'wasm-batch', 'wasm-core'],
  ['js', 'js-batch', 'js-core'],
  ['naive'],
  ['nodejs-order-book'],
];

export function engineById(id: EngineId): BenchEngine {
  return ENGINES.find((e) => e.id === id)!;
}
