import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/setup/slowest-first.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ and build/ only when they are older than their sources (npm install built them).
    globalSetup: ['./test/setup/build-if-stale.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A file per core. Vitest's default leaves one core idle (cores - 1), which on a 2-core
    // machine runs the files one at a time, while many of them spend their time waiting on disk
    // syncs, child processes, nats-server and Chromium. The whole suite, both ways, on 2 cores
    // with other work beside it: 952 s one at a time, 764 s two at a time.
    maxWorkers: availableParallelism(),
    // The longest files first, also on a fresh clone with no results cache (test/setup/slowest-first.ts).
    sequence: { sequencer: SlowestFirst },
  },
});
