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

export function engineById(id: EngineId): BenchEngine {
  return ENGINES.find((e) => e.id === id)!;
}
