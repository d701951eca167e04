// vitest's sequencer, set in vitest.config.ts. With two workers the suite ends when the later of
// them runs out of files, so the longest files should start first and the short ones fill in at
// the end. vitest orders by each file's duration in its results cache, but a fresh clone (CI) has
// no cache, and then it orders by the size of the source: package.test.ts, among the longest to
// run, came 57th of 81 (crash-consistency 53rd, cluster-stream-outage 48th). So a file without a
// cached duration is placed by the seconds it took in a recorded whole-suite run (below), and a
// file not listed there after every listed one, in vitest's order.
import * as path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each file took in a whole-suite run (stop 56's, on 68c3ac0, vitest's json reporter, endTime -
 * startTime), every file over 5 s. The order is what matters: refresh it when a file's place
 * among the others changes. (package.test.ts's bench runs two workloads since: about half its 88 s.)
 */
export const RECORDED_SECONDS: Readonly<Record<string, number>> = {
  'cli.test.ts': 138,
  'bench.test.ts': 92,
  'package.test.ts': 88,
  'audit-trail.test.ts': 83,
  'state-machine.test.ts': 76,
  'index-lists.test.ts': 71,
  'crash-consistency.test.ts': 68,
  'cluster-stream-outage.test.ts': 66,
  'state-damage.test.ts': 60,
  'checkpoint-worker.test.ts': 59,
  'cluster-demo.test.ts': 49,
  'cli-orders.test.ts': 42,
  'cluster-retry.test.ts': 32,
  'serve-browser.test.ts': 32,
  'cluster-unknown-outcome.test.ts': 30,
  'history-differential.test.ts': 29,
  'index-database.test.ts': 29,
  'cluster-protocol.test.ts': 28,
  'cluster-failover.test.ts': 27,
  'cluster-stream-limits.test.ts': 21,
  'cli-history.test.ts': 20,
  'serve-cli.test.ts': 18,
  'readme-examples.test.ts': 18,
  'read-only.test.ts': 17,
  'bench-processes.test.ts': 16,
  'feed.test.ts': 13,
  'state-batch.test.ts': 13,
  'index-wire.test.ts': 10,
  'state-engine-fault.test.ts': 9,
  'state-worker-death.test.ts': 8,
  'serve-server.test.ts': 8,
  'index-behind.test.ts': 7,
  'block-lookup.test.ts': 7,
  'wasm-core.test.ts': 7,
  'book-check.test.ts': 6,
  'format-file.test.ts': 6,
  'bench-pairs.test.ts': 5,
};

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // vitest's order first (failed files first where it has a cache), then a stable sort on top.
    const ordered = await super.sort(files);
    const expectedMs = (file: TestSpecification): number => {
      const key = `${file.project.name}:${path.relative(this.ctx.config.root, file.moduleId)}`;
      const cached = this.ctx.cache.getFileTestResults(key);
      if (cached !== undefined) return cached.failed ? Number.POSITIVE_INFINITY : cached.duration;
      return (RECORDED_SECONDS[path.basename(file.moduleId)] ?? 0) * 1000;
    };
    const expected = new Map(ordered.map((file) => [file, expectedMs(file)]));
    return ordered.sort((a, b) => expected.get(b)! - expected.get(a)!);
  }
}
