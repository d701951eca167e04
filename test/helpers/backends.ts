// Every engine suite runs once per backend: the WASM core and its TypeScript twin must both
// meet the whole contract, not just agree with each other.
import { describe } from 'vitest';
import { createEngine } from '../../src/engine.js';
import type { Engine, EngineOptions } from '../../src/engine.js';
import type { BackendName } from '../../src/types.js';

export const ALL_BACKENDS: readonly BackendName[] = ['wasm', 'js'];

/**
 * The backends under test. LOBCORE_BACKENDS=js (comma-separated) narrows the run by hand, e.g.
 * while one core is being built; CI leaves it unset and tests both.
 */
export const BACKENDS: readonly BackendName[] = selectBackends(process.env.LOBCORE_BACKENDS);

function selectBackends(spec: string | undefined): readonly BackendName[] {
  if (spec === undefined || spec.trim() === '') return ALL_BACKENDS;
  const wanted = spec.split(',').map((s) => s.trim());
  for (const name of wanted) {
    if (!ALL_BACKENDS.includes(name as BackendName)) {
      throw new Error(`LOBCORE_BACKENDS names an unknown backend "${name}" (known: ${ALL_BACKENDS.join(', ')})`);
    }
  }
  return ALL_BACKENDS.filter((b) => wanted.includes(b));
}

/** Both backends are needed to compare them; with one selected, differential suites skip. */
export const BOTH_BACKENDS = BACKENDS.length === ALL_BACKENDS.length;

export function newEngine(backend: BackendName, options: Omit<EngineOptions, 'backend'> = {}): Promise<Engine> {
  return createEngine({ ...options, backend });
}

/** describe(`${title} [backend]`) once per backend under test. */
export function describeEachBackend(title: string, body: (backend: BackendName) => void): void {
  describe.each(BACKENDS.map((backend) => ({ backend })))(`${title} [$backend]`, ({ backend }) => body(backend));
}
