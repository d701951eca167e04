// Why the bench measures each engine family in a process of its own, asserted on V8 itself: run
// under --trace-protector-invalidation, V8 prints a line when a process withdraws its guarantee
// that no ArrayBuffer was ever detached (after which every optimised typed-array access also
// checks for detachment). The WASM engine withdraws it (its memory grows); measured in its own
// process, the JS engine never pays for that, and every engine is still verified against the reference book.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../bench/suite.js';
import { ENGINE_FAMILIES, ENGINE_IDS } from '../bench/engines/index.js';

const FIXTURE = new URL('./fixtures/bench-engines.mjs', import.meta.url).pathname;

/** What the fixture printed: V8's protector lines and its own "measured ok/all" line. */
function measure(where: 'process' | 'here', engines: readonly string[]): string {
  return execFileSync(process.execPath, ['--trace-protector-invalidation', FIXTURE, where, engines.join(',')], { encoding: 'utf8' });
}

describe('engine families, each in a process of its own', () => {
  it('cover every engine exactly once', () => {
    expect(ENGINE_FAMILIES.flat().slice().sort()).toEqual([...ENGINE_IDS].sort());
  });

  it('keep the WASM engine\'s detached buffers out of the JS engine\'s process', () => {
    const js = measure('process', ['js', 'js-batch', 'js-core']);
    expect(js).toContain('measured 6/6');
    expect(js).not.toContain('ArrayBufferDetaching');
    const wasm = measure('process', ['wasm', 'wasm-batch', 'wasm-core']);
    expect(wasm).toContain('measured 6/6');
    expect(wasm).toContain('Invalidating protector cell ArrayBufferDetaching');
  });

  it('leave the baselines\' processes untouched too', () => {
    for (const engine of ['naive', 'nodejs-order-book']) {
      const out = measure('process', [engine]);
      expect(out).toContain('measured 2/2');
      expect(out).not.toContain('Invalidating protector cell');
    }
  });

  it('are what --one-process turns off: there the JS engine runs after the guarantee is gone', () => {
    expect(parseArgs([]).oneProcess).toBe(false);
    expect(parseArgs(['--one-process']).oneProcess).toBe(true);
    expect(measure('here', ['wasm', 'js'])).toMatch(/Invalidating protector cell ArrayBufferDetaching\n(.|\n)*measured 4\/4/);
  });
});
