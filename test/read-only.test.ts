// Read-only opens: a view of a database as it is at open, beside a writer in another process that
// holds it and keeps flushing, never writing to it. Each view must be exactly the state of one
// completed flush: the in-memory replay of the flow up to the height it shows.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import type { BackendName } from '../src/types.js';
import { describeEachBackend } from './helpers/backends.js';
import { ROOT, lobcore, run } from './helpers/cli.js';
import { FLOW_TRADERS, Flow } from './fixtures/flow.mjs';
import { tempDbPath, tempDir } from './fixtures/state-helpers.js';
import { WriterProcess, observed } from './fixtures/writer-process.js';

const SEED = 4242;

/** Every file under a directory with its size, modification time and content hash. */
function snapshotFiles(directory: string): string[] {
  return fs.readdirSync(directory, { recursive: true }).map(String).sort().map((name) => {
    const full = path.join(directory, name);
    const stat = fs.statSync(full);
    if (stat.isDirectory()) return `${name}/`;
    const digest = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    return `${name} ${stat.size} ${stat.mtimeMs} ${digest}`;
  });
}

/** What a view shows, cheaply: enough to pin it to one flush of the flow, history included. */
async function glimpse(sm: CoreStateMachine) {
  return {
    height: sm.height, hash: sm.stateHash(), nextOrderId: sm.nextOrderId, nextFillSeq: sm.nextFillSeq,
    recentFills: await sm.getTraderFills(FLOW_TRADERS[0], { fromHeight: Math.max(0, sm.height - 2), limit: 100 }),
    lastOrder: await sm.getOrder(sm.nextOrderId - 1),
  };
}

/** The same glimpse of an in-memory replay of the flow at each of `heights`, in one pass. */
async function replayed(backend: BackendName, heights: number[]): Promise<Map<number, Awaited<ReturnType<typeof glimpse>>>> {
  const sm = await CoreStateMachine.open({ backend });
  const flow = new Flow(SEED, { makeBatch: () => new CommandBatch() });
  const seen = new Map<number, Awaited<ReturnType<typeof glimpse>>>();
  for (const height of [...new Set(heights)].sort((x, y) => x - y)) {
    while (sm.height < height) flow.runBlock(sm); // each block sets its height
    seen.set(height, await glimpse(sm));
  }
  await sm.close();
  return seen;
}

describeEachBackend('read-only open beside a running writer', (backend) => {
  it('sees exactly the flushes completed before it opened, and refuses commands', async () => {
    const dbPath = tempDbPath('lobcore-read-only');
    const writer = new WriterProcess(dbPath, SEED, backend);
    const views: Array<Awaited<ReturnType<typeof glimpse>>> = [];
    try {
      await writer.waitFor(5);
      for (let i = 0; i < 3; i++) {
        const confirmedBefore = writer.confirmed;
        const view = await CoreStateMachine.open({ path: dbPath, backend, readOnly: true });
        const issuedAfter = writer.issued;
        try {
          expect(view.readOnly).toBe(true);
          // A flush may complete before the writer hears of it: at most what it had issued.
          expect(view.height).toBeGreaterThanOrEqual(confirmedBefore);
          expect(view.height).toBeLessThanOrEqual(issuedAfter);
          views.push(await glimpse(view));

          const refused = { code: 'READ_ONLY', message: expect.stringContaining('readOnly: true') };
          expect(() => view.placeLimitOrder({ trader: 1, asset: 1, side: 'bid', price: 10, size: 1, timestamp: 1 })).toThrow(expect.objectContaining(refused));
          expect(() => view.cancelOrder({ trader: 1, asset: 1, orderId: 1 })).toThrow(expect.objectContaining(refused));
          expect(() => view.setHeight(view.height + 1)).toThrow(expect.objectContaining(refused));
          await expect(view.checkpoint()).rejects.toMatchObject(refused);
          await expect(view.checkpointIfNeeded()).rejects.toMatchObject(refused);
          // Nothing to write, so a flush, a recover and the close are quiet.
          expect(await view.flush()).toMatchObject({ entries: 0, fills: 0 });
          expect((await view.recover()).height).toBe(views[i].height);
        } finally {
          await view.close();
        }
        await writer.waitFor(writer.confirmed + 3);
      }
      expect(writer.failure).toBeNull();
    } finally {
      await writer.kill().catch(() => undefined);
    }
    expect(views[2].height).toBeGreaterThan(views[0].height);
    const expected = await replayed(backend, views.map((v) => v.height));
    for (const view of views) expect(view, `the view at height ${view.height}`).toEqual(expected.get(view.height));

    // The writer's own database, reopened for writing, holds every flush it confirmed.
    const reopened = await CoreStateMachine.open({ path: dbPath, backend });
    expect(reopened.height).toBeGreaterThanOrEqual(writer.confirmed);
    await reopened.close();
  });
});

describe('read-only open of a closed database', () => {
  it('answers every query and never writes a byte to the database', async () => {
    const dbPath = tempDbPath('lobcore-read-only');
    const sm = await CoreStateMachine.open({ path: dbPath, checkpointInterval: 2 });
    const flow = new Flow(SEED);
    for (let block = 0; block < 6; block++) {
      flow.runBlock(sm);
      await sm.checkpointIfNeeded();
    }
    flow.runBlock(sm); // journaled after the last checkpoint
    const expected = { ...(await observed(sm)), checkpoints: await sm.listCheckpoints(), depth: sm.getBook(1).depth(5) };
    await sm.close();

    const files = snapshotFiles(dbPath);
    const view = await CoreStateMachine.open({ path: dbPath, readOnly: true });
    expect({ ...(await observed(view)), checkpoints: await view.listCheckpoints(), depth: view.getBook(1).depth(5) }).toEqual(expected);
    expect(await view.getFillCount(1)).toBeGreaterThanOrEqual(0);
    expect(view.recovery?.replayedRecords).toBeGreaterThan(0);
    await view.close();
    expect(snapshotFiles(dbPath)).toEqual(files);
  });

  it('never creates a database: a missing path or an empty directory is NOT_A_DATABASE', async () => {
    const missing = tempDbPath('lobcore-read-only');
    await expect(CoreStateMachine.open({ path: missing, readOnly: true })).rejects.toMatchObject({ code: 'NOT_A_DATABASE', message: `${missing}: no such directory` });
    expect(fs.existsSync(missing)).toBe(false);
    const empty = tempDir('lobcore-read-only');
    await expect(CoreStateMachine.open({ path: empty, readOnly: true })).rejects.toMatchObject({ code: 'NOT_A_DATABASE' });
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it('refuses readOnly without a path, or with a value that is not a boolean', async () => {
    await expect(CoreStateMachine.open({ readOnly: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^path must be/) });
    await expect(CoreStateMachine.open({ path: tempDbPath(), readOnly: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^readOnly must be a boolean/) });
  });

  it('removes its private copy on close, and at exit when never closed', async () => {
    const dbPath = tempDbPath('lobcore-read-only');
    await (await CoreStateMachine.open({ path: dbPath })).close();
    const index = JSON.stringify(path.join(ROOT, 'dist/src/index.js'));
    for (const ending of ['await view.close();', '']) {
      const scratch = tempDir('lobcore-tmpdir');
      const script = `const { CoreStateMachine } = await import(${index});
        const fs = await import('node:fs');
        const view = await CoreStateMachine.open({ path: ${JSON.stringify(dbPath)}, readOnly: true });
        console.log(fs.readdirSync(${JSON.stringify(scratch)}).length);
        ${ending}`;
      const result = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: scratch } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim(), 'a copy while open').toBe('1');
      expect(fs.readdirSync(scratch), ending || 'no close').toEqual([]);
    }
  });
});

describe('lobcore inspect and fills beside a running writer', () => {
  it('read the database while the writer keeps flushing, exit 0', async () => {
    const dbPath = tempDbPath('lobcore-read-only');
    const writer = new WriterProcess(dbPath, SEED, 'wasm');
    try {
      await writer.waitFor(5);
      const confirmedBefore = writer.confirmed;
      const inspected = await lobcore('inspect', dbPath, '--json');
      expect(inspected.code, inspected.stderr).toBe(0);
      const report = JSON.parse(inspected.stdout);
      expect(report.height).toBeGreaterThanOrEqual(confirmedBefore);
      expect(report.height).toBeLessThanOrEqual(writer.issued);
      expect(report.checkpoints.length).toBeGreaterThan(0);

      const fills = await lobcore('fills', dbPath, '--trader', String(FLOW_TRADERS[0]), '--json');
      expect(fills.code, fills.stderr).toBe(0);
      expect(JSON.parse(fills.stdout).fills.length).toBeGreaterThan(0);
      expect(writer.failure).toBeNull();
    } finally {
      await writer.kill().catch(() => undefined);
    }
  });
});
