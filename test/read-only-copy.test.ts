// The copy behind a read-only open, with a writer's deletions placed at the instants that matter.
// A real writer (test/read-only.test.ts) cannot be made to delete a snapshot file between the
// copy's listing and its link, so fs.linkSync is wrapped here to do that: everything else is the
// real filesystem and a real RocksDB database.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CopyRaced, copyDatabase } from '../src/state/read-only-copy.js';
import { SNAPSHOT_DIRECTORY } from '../src/state/checkpoint-files.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { tempDbPath } from './fixtures/state-helpers.js';

const hooks = vi.hoisted(() => ({ beforeLink: null as ((from: string) => void) | null }));

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const linkSync = (from: fs.PathLike, to: fs.PathLike): void => {
    hooks.beforeLink?.(String(from));
    actual.linkSync(from, to);
  };
  return { ...actual, default: { ...actual, linkSync }, linkSync };
});

/** A closed database with two checkpoints' snapshot files. */
async function databaseWithSnapshots(): Promise<{ dbPath: string; snapshots: string[] }> {
  const dbPath = tempDbPath('lobcore-read-only-copy');
  const sm = await CoreStateMachine.open({ path: dbPath, backend: 'js' });
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 20; i++) {
      sm.placeLimitOrder({ trader: 1 + (i % 3), asset: 1, side: i % 2 ? 'bid' : 'ask', price: 100 + (i % 5) + (i % 2) * 10, size: 1 + (i % 4), timestamp: round * 20 + i + 1 });
    }
    await sm.flush();
    await sm.checkpoint();
  }
  await sm.close();
  const snapshots = fs.readdirSync(path.join(dbPath, SNAPSHOT_DIRECTORY)).sort();
  expect(snapshots.length).toBeGreaterThanOrEqual(1);
  return { dbPath, snapshots };
}

afterEach(() => {
  hooks.beforeLink = null;
});

describe('a read-only copy beside a writer deleting snapshot files', () => {
  it('passes over a snapshot file deleted between the first listing and its link: its manifest was dropped before', async () => {
    const { dbPath, snapshots } = await databaseWithSnapshots();
    const doomed = path.join(dbPath, SNAPSHOT_DIRECTORY, snapshots[0]);
    hooks.beforeLink = (from) => {
      if (from === doomed && fs.existsSync(doomed)) fs.rmSync(doomed);
    };
    const copy = copyDatabase(dbPath);
    try {
      const copied = fs.readdirSync(path.join(copy.location, SNAPSHOT_DIRECTORY)).sort();
      expect(copied).toEqual(snapshots.slice(1));
      expect(fs.existsSync(path.join(copy.location, 'CURRENT'))).toBe(true);
    } finally {
      copy.remove();
    }
  });

  it('is a race when a snapshot file made during the copy is deleted before its link: the copied manifests may name it', async () => {
    const { dbPath, snapshots } = await databaseWithSnapshots();
    const first = path.join(dbPath, SNAPSHOT_DIRECTORY, snapshots[0]);
    // Made after the first listing (the writer's next checkpoint), then deleted before its link.
    const made = path.join(dbPath, SNAPSHOT_DIRECTORY, 'ffffffffffffff00.snapshot');
    hooks.beforeLink = (from) => {
      if (from === first && !fs.existsSync(made)) fs.writeFileSync(made, 'snapshot bytes');
      if (from === made) fs.rmSync(made);
    };
    expect(() => copyDatabase(dbPath)).toThrow(CopyRaced);
    expect(() => copyDatabase(dbPath)).toThrow(/ffffffffffffff00\.snapshot was deleted/);
  });
});
