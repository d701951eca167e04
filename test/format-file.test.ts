// The format file beside a database (src/state/format-file.ts): a database a newer lobcore wrote
// is refused before RocksDB opens it writable, and found byte for byte as it was; a database made
// before the file existed, or whose file a crash or damage left unreadable, opens as before and
// gains the file. On real RocksDB on disk.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_FORMAT_VERSION, encodeFormat } from '../src/state/codecs.js';
import { FORMAT_FILE, writeFormatFile } from '../src/state/format-file.js';
import { formatKey } from '../src/state/keys.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { Store } from '../src/state/store.js';
import { tempDbPath } from './fixtures/state-helpers.js';

const NEWER = DATABASE_FORMAT_VERSION + 1;

/** A small database with a checkpoint, closed: its RocksDB files, a snapshot file and the index database. */
async function makeDatabase(): Promise<string> {
  const path = tempDbPath('format-file');
  const sm = await CoreStateMachine.open({ path, checkpointOnClose: false });
  sm.setHeight(1);
  for (let i = 0; i < 20; i++) sm.placeLimitOrder({ trader: 1 + (i % 3), asset: 1, side: i % 2 === 0 ? 'bid' : 'ask', price: i % 2 === 0 ? 90 + i : 110 + i, size: 5, timestamp: i });
  await sm.checkpoint();
  sm.placeLimitOrder({ trader: 9, asset: 1, side: 'bid', price: 80, size: 1, timestamp: 99 });
  await sm.flush();
  await sm.indexesReady();
  await sm.close();
  return path;
}

/** What a newer lobcore leaves: its format in the marker inside RocksDB and in the file beside it. */
async function markNewer(path: string, file: boolean): Promise<void> {
  const store = await Store.open(path, { sync: true });
  const batch = store.batch();
  batch.put(formatKey(), encodeFormat(NEWER));
  await store.write(batch, { sync: true });
  await store.close();
  if (file) writeFormatFile(path, NEWER);
}

/** Every file under `dir` (its name relative to it) with the sha256 of its bytes; directories listed too. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (relative: string): void => {
    for (const name of fs.readdirSync(nodePath.join(dir, relative)).sort()) {
      const entry = nodePath.join(relative, name);
      const full = nodePath.join(dir, entry);
      if (fs.statSync(full).isDirectory()) {
        out[`${entry}/`] = 'directory';
        walk(entry);
      } else {
        out[entry] = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
      }
    }
  };
  walk('');
  return out;
}

describe('the format file', () => {
  it('refuses a database of a newer format before RocksDB opens it, leaving every file as it was', async () => {
    const path = await makeDatabase();
    await markNewer(path, true);
    const before = contents(path);
    expect(Object.keys(before)).toEqual(expect.arrayContaining([FORMAT_FILE, 'CURRENT', 'index/', 'snapshots/']));
    const refused = { code: 'UNSUPPORTED_VERSION', message: expect.stringContaining(`format version ${NEWER}, written by a newer lobcore`) };
    await expect(CoreStateMachine.open({ path })).rejects.toMatchObject(refused);
    expect(contents(path)).toEqual(before);
    await expect(CoreStateMachine.open({ path, readOnly: true })).rejects.toMatchObject(refused);
    expect(contents(path)).toEqual(before);
  });

  it('still refuses a newer format found only inside the database (one made before the file existed)', async () => {
    const path = await makeDatabase();
    await markNewer(path, false);
    fs.rmSync(nodePath.join(path, FORMAT_FILE));
    await expect(CoreStateMachine.open({ path })).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION', message: expect.stringContaining('newer lobcore') });
    expect(fs.existsSync(nodePath.join(path, FORMAT_FILE))).toBe(false);
  });

  it('is written by the first open, and left alone by the next', async () => {
    const path = await makeDatabase();
    const file = nodePath.join(path, FORMAT_FILE);
    expect(fs.readFileSync(file)).toEqual(encodeFormat());
    const written = fs.statSync(file);
    const sm = await CoreStateMachine.open({ path });
    await sm.close();
    const after = fs.statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
  });

  it('is given to a database made before it existed, once it has opened', async () => {
    const path = await makeDatabase();
    const file = nodePath.join(path, FORMAT_FILE);
    fs.rmSync(file);
    // A read-only view writes nothing, the format file neither.
    const view = await CoreStateMachine.open({ path, readOnly: true });
    expect(view.height).toBe(1);
    await view.close();
    expect(fs.existsSync(file)).toBe(false);
    const sm = await CoreStateMachine.open({ path });
    expect(sm.height).toBe(1);
    await sm.close();
    expect(fs.readFileSync(file)).toEqual(encodeFormat());
  });

  it('never keeps a database a crash or damage left it beside from opening', async () => {
    const path = await makeDatabase();
    const file = nodePath.join(path, FORMAT_FILE);
    const partial = `${file}.partial`;
    const hash = async (): Promise<string> => {
      const sm = await CoreStateMachine.open({ path });
      const stateHash = sm.stateHash();
      await sm.close();
      return stateHash;
    };
    const expected = await hash();
    // Killed between the temporary file and the rename: part of it written, and no file yet.
    fs.rmSync(file);
    fs.writeFileSync(partial, encodeFormat().subarray(0, 5));
    expect(await hash()).toBe(expected);
    expect(fs.readFileSync(file)).toEqual(encodeFormat());
    // Killed after the temporary file was written whole, beside the old file.
    fs.writeFileSync(partial, encodeFormat(NEWER));
    expect(await hash()).toBe(expected);
    // A file that fails its checksum, or is cut short: the marker inside the database decides, and the file is written again.
    const flipped = encodeFormat(NEWER);
    flipped[3] ^= 1;
    for (const damaged of [flipped, encodeFormat().subarray(0, 4), Buffer.alloc(0)]) {
      fs.writeFileSync(file, damaged);
      expect(await hash()).toBe(expected);
      expect(fs.readFileSync(file)).toEqual(encodeFormat());
    }
  });
});
