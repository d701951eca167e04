// The suite's file order (test/setup/slowest-first.ts): the longest files first, by the results
// cache where it has the file, by the recorded seconds where it does not (a fresh clone).
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import SlowestFirst from './setup/slowest-first.js';

const ROOT = '/project';

function file(name: string): TestSpecification {
  return { moduleId: `${ROOT}/test/${name}`, project: { name: '', config: { sequence: { groupOrder: 0 }, isolate: true } } } as unknown as TestSpecification;
}

/** A vitest whose results cache holds `cached` (file name -> duration in ms) and whose every source is `sizes[name]` bytes. */
function vitestWith(cached: Record<string, number>, sizes: Record<string, number>): Vitest {
  const name = (key: string): string => key.slice(key.lastIndexOf('/') + 1);
  return {
    config: { root: ROOT },
    cache: {
      getFileTestResults: (key: string) => (name(key) in cached ? { duration: cached[name(key)], failed: false } : undefined),
      getFileStats: (key: string) => ({ size: sizes[name(key)] ?? 1 }),
    },
  } as unknown as Vitest;
}

const order = async (vitest: Vitest, names: string[]): Promise<string[]> =>
  (await new SlowestFirst(vitest).sort(names.map(file))).map((f) => f.moduleId.slice(`${ROOT}/test/`.length));

describe('the order test files run in', () => {
  it('without a results cache: the recorded longest first, the files not recorded after them, largest source first', async () => {
    const sizes = { 'varint.test.ts': 50_000, 'codes.test.ts': 900, 'package.test.ts': 5_000, 'cli.test.ts': 40_000, 'bench-pairs.test.ts': 8_000 };
    expect(await order(vitestWith({}, sizes), Object.keys(sizes))).toEqual(['cli.test.ts', 'package.test.ts', 'bench-pairs.test.ts', 'varint.test.ts', 'codes.test.ts']);
  });

  it('with one: the cached durations, where the cache has the file', async () => {
    const cached = { 'codes.test.ts': 200_000, 'cli.test.ts': 1_000 };
    expect(await order(vitestWith(cached, {}), ['cli.test.ts', 'package.test.ts', 'codes.test.ts'])).toEqual(['codes.test.ts', 'package.test.ts', 'cli.test.ts']);
  });
});
