// The bench measures each engine in a process of its own, and this asserts on V8 itself one thing
// that separation was for: run under --trace-protector-invalidation, V8 prints a line when a
// process withdraws its guarantee that no ArrayBuffer was ever detached (after which every
// optimised typed-array access also checks for detachment). A growing WebAssembly memory used to
// detach its buffer, so the WASM engine withdrew it; the core's memory is now shared, which grows
// in place, and no engine or group of engines withdraws it, even with every engine in one process. Every
// engine is still verified against the reference book.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { engineGroups, parseArgs } from '../bench/suite.js';
import { ENGINES } from '../bench/engines/index.js';

const FIXTURE = new URL('./fixtures/bench-engines.mjs', import.meta.url).pathname;

/** What the fixture printed: V8's protector lines and its own "measured ok/all" line. */
function measure(where: 'process' | 'here', engines: readonly string[]): string {
  return execFileSync(process.execPath, ['--trace-protector-invalidation', FIXTURE, where, engines.join(',')], { encoding: 'utf8' });
}

describe('engines, each in a process of its own', () => {
  it('cover every engine exactly once, one to a process, or all in one with --one-process', () => {
    expect(engineGroups(ENGINES, false)).toEqual(ENGINES.map((engine) => [engine]));
    expect(engineGroups(ENGINES, true)).toEqual([[...ENGINES]]);
  });

  it('leave the guarantee in place in the WASM and JS families\' processes: the WASM core\'s memory grows without detaching', () => {
    for (const family of [['wasm', 'wasm-batch', 'wasm-core'], ['js', 'js-batch', 'js-core']]) {
      const out = measure('process', family);
      expect(out).toContain('measured 6/6');
      expect(out).not.toContain('Invalidating protector cell');
    }
  });

  it('leave the baselines\' processes untouched too', () => {
    for (const engine of ['naive', 'nodejs-order-book']) {
      const out = measure('process', [engine]);
      expect(out).toContain('measured 2/2');
      expect(out).not.toContain('Invalidating protector cell');
    }
  });

  it('are what --one-process turns off, and there too the JS engine runs with the guarantee in place', () => {
    expect(parseArgs([]).oneProcess).toBe(false);
    expect(parseArgs(['--one-process']).oneProcess).toBe(true);
    const out = measure('here', ['wasm', 'js']);
    expect(out).toContain('measured 4/4');
    expect(out).not.toContain('Invalidating protector cell ArrayBufferDetaching');
  });
});
