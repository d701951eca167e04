// The order of the durable operations that publish a file, read from the system calls a real
// process makes (strace): a file's data is synced before the rename that gives it its name, and
// the directory holding that name is synced before anything that refers to it is written, and a
// file is deleted only once what stopped referring to it is synced. Nothing short of a machine
// crash shows these broken (the page cache hides every one of them from a reopen), so the crash
// tests cannot catch a sync dropped or moved; this does.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeEachBackend } from './helpers/backends.js';
import { isRename, isSync, isUnlink, isWrite, parseTrace, traceNode, type Syscall } from './helpers/syscalls.js';
import { tempDbPath } from './fixtures/state-helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/checkpoint-syscalls.mjs', import.meta.url));
const LEDGER_FIXTURE = fileURLToPath(new URL('./fixtures/ledger-syscalls.mjs', import.meta.url));

/** The one call `which` picks, with a message naming what was looked for. */
function one(calls: Syscall[], what: string, which: (call: Syscall) => boolean): Syscall {
  const found = calls.filter(which);
  expect(found.length, `${what}: ${found.length} calls`).toBe(1);
  return found[0];
}

/** A sync of `file` that began after `after` returned and returned before `before` began. */
function syncBetween(calls: Syscall[], file: string, after: Syscall, before: Syscall): Syscall | undefined {
  return calls.find((call) => isSync(call) && call.path === file && call.start > after.end && call.end < before.start);
}

/** `file` published by a rename from `partial`: synced after its last write, before the rename, and its directory synced after. Returns the directory's sync. */
function expectPublished(calls: Syscall[], partial: string, file: string): { rename: Syscall; directorySync: Syscall } {
  const writes = calls.filter((call) => isWrite(call) && call.path === partial);
  expect(writes.length, `writes to ${partial}`).toBeGreaterThan(0);
  const lastWrite = writes.reduce((a, b) => (a.end > b.end ? a : b));
  const rename = one(calls, `rename of ${partial}`, (call) => isRename(call) && call.paths.includes(partial) && call.paths.includes(file));
  expect(syncBetween(calls, partial, lastWrite, rename), `a sync of ${partial} between its last write (trace line ${lastWrite.end}) and its rename (line ${rename.start})`).toBeDefined();
  const directory = path.dirname(file);
  const directorySync = calls.find((call) => isSync(call) && call.path === directory && call.start > rename.end);
  expect(directorySync, `a sync of ${directory} after the rename (line ${rename.end})`).toBeDefined();
  return { rename, directorySync: directorySync! };
}

/** The first write to the main database's write-ahead log (not the index database's) whose data holds `bytes`. */
function logWriteHolding(calls: Syscall[], dbPath: string, bytes: Buffer): Syscall | undefined {
  return calls.find((call) => isWrite(call) && path.dirname(call.path) === dbPath && call.path.endsWith('.log') && call.data.includes(bytes));
}

it('reads strace lines: pids padded or not, a call begun on one line and returned on another, paths and data in hex', () => {
  const hex = (text: string): string => [...Buffer.from(text, 'latin1')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  const calls = parseTrace([
    `812   fdatasync(36<${hex('/d/a.partial')}> <unfinished ...>`,
    `12345 pwrite64(37<${hex('/d/b')}>, "${hex('AB"\n')}", 4, 0) = 4`,
    `812   <... fdatasync resumed>)         = 0`,
    `90 rename("${hex('/d/a.partial')}", "${hex('/d/a')}") = 0`,
  ].join('\n'));
  expect(calls.map(({ name, path: file, start, end, result }) => [name, file, start, end, result])).toEqual([
    ['fdatasync', '/d/a.partial', 0, 2, 0], ['pwrite64', '/d/b', 1, 1, 4], ['rename', '/d/a.partial', 3, 3, 0],
  ]);
  expect(calls[1].data.toString('latin1')).toBe('AB"\n');
  expect(calls[2].paths).toEqual(['/d/a.partial', '/d/a']);
});

describeEachBackend('the order of durable operations', (backend) => {
  // One traced run of the fixture (about a second) serves every test of the backend.
  let traced: { dbPath: string; calls: Syscall[]; stdout: string } | undefined;
  const trace = (): { dbPath: string; calls: Syscall[]; stdout: string } => {
    if (traced === undefined) {
      const dbPath = path.resolve(tempDbPath('lobcore-durable-order'));
      traced = { dbPath, ...traceNode([FIXTURE, dbPath, backend], `${path.dirname(dbPath)}/trace.txt`) };
    }
    return traced;
  };

  it('syncs a snapshot file before its rename, and its directory before the manifest naming it; deletes a dropped one after the synced batch that drops its manifest', () => {
    const { dbPath, calls, stdout } = trace();
    const checkpoints = stdout.trim().split('\n').map((line) => {
      const [, sequence, stateHash] = line.split(' ');
      return { sequence: Number(sequence), digest: Buffer.from(stateHash, 'hex') };
    });
    expect(checkpoints.length).toBe(2);
    const snapshotOf = (sequence: number): string => path.join(dbPath, 'snapshots', `${sequence.toString(16).padStart(16, '0')}.snapshot`);
    const manifests = checkpoints.map(({ sequence, digest }) => {
      const file = snapshotOf(sequence);
      const { directorySync } = expectPublished(calls, `${file}.partial`, file);
      // The manifest records the snapshot's sha256: the log write holding it is the manifest's.
      const manifest = logWriteHolding(calls, dbPath, digest);
      expect(manifest, `the write of checkpoint ${sequence}'s manifest`).toBeDefined();
      expect(directorySync.end, `checkpoint ${sequence}: the snapshot directory synced (line ${directorySync.end}) before the manifest is written (line ${manifest!.start})`).toBeLessThan(manifest!.start);
      return manifest!;
    });
    // keepCheckpoints 1: the second manifest's batch deletes the first, whose file goes only once that batch is synced.
    const dropped = snapshotOf(checkpoints[0].sequence);
    const unlink = one(calls, `delete of ${dropped}`, (call) => isUnlink(call) && call.path === dropped);
    expect(syncBetween(calls, manifests[1].path, manifests[1], unlink), `a sync of ${manifests[1].path} between the batch dropping the manifest and the delete of its file`).toBeDefined();
  });

  it('syncs the format file before its rename, and its directory before the open commits anything', () => {
    const { dbPath, calls } = trace();
    const file = path.join(dbPath, 'LOBCORE-FORMAT');
    const { rename, directorySync } = expectPublished(calls, `${file}.partial`, file);
    const nextCommit = calls.find((call) => isWrite(call) && path.dirname(call.path) === dbPath && call.path.endsWith('.log') && call.start > rename.end);
    expect(nextCommit, 'a commit after the format file').toBeDefined();
    expect(directorySync.end, `the database directory synced (line ${directorySync.end}) before the next commit is written (line ${nextCommit!.start})`).toBeLessThan(nextCommit!.start);
  });

  it("lists a cluster member's checkpoint in its ledger only once the manifest is synced, and syncs the ledger", () => {
    const dir = path.resolve(path.dirname(tempDbPath('lobcore-durable-order')), 'member');
    const { calls, stdout } = traceNode([LEDGER_FIXTURE, dir, backend], `${dir}.trace.txt`);
    const [, stateHash] = stdout.trim().split(' ');
    const digest = Buffer.from(stateHash, 'hex');
    // The member's commits are not synced (the stream is its log); the manifest's write is.
    const manifest = logWriteHolding(calls, path.join(dir, 'state'), digest);
    expect(manifest, "the write of the checkpoint's manifest").toBeDefined();
    const ledger = path.join(dir, 'checkpoints.ledger');
    const entry = one(calls, 'the ledger entry', (call) => isWrite(call) && call.path === ledger);
    expect(entry.data.includes(digest)).toBe(true);
    expect(syncBetween(calls, manifest!.path, manifest!, entry), `a sync of ${manifest!.path} between the manifest's write and the ledger entry's`).toBeDefined();
    const ledgerSync = calls.find((call) => isSync(call) && call.path === ledger && call.start > entry.end);
    expect(ledgerSync, 'a sync of the ledger after its entry').toBeDefined();
    // The first entry created the file: its directory is synced too, or a machine crash can lose the name.
    expect(calls.find((call) => isSync(call) && call.path === dir && call.start > ledgerSync!.end), "a sync of the ledger's directory after the entry's").toBeDefined();
  });
});
