// A program's file system calls, in the order they happened, from strace: what a test of the
// order of durable operations (a file synced before the rename that publishes it, a directory
// synced before anything refers to the name) reads. Only a machine crash shows that order broken,
// so the calls themselves are what is asserted on.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** The calls traced: the opens, writes, syncs, renames and deletes of files. */
const TRACED = 'openat,write,pwrite64,writev,pwritev,pwritev2,fsync,fdatasync,sync_file_range,rename,renameat,renameat2,unlink,unlinkat';

export interface Syscall {
  name: string;
  /** The file the call acts on: its file descriptor's path, or its first path argument. */
  path: string;
  /** Every path argument, decoded (a rename's two). */
  paths: string[];
  /** A write's data (the first `STRING_BYTES` bytes). */
  data: Buffer;
  result: number;
  /** Line of the trace where the call began, and where it returned: one call is before another when it returned before the other began. */
  start: number;
  end: number;
}

/** How late each sync starts, in microseconds (44 syncs in a run of the checkpoint fixture: about 0.9 s in all). */
const SYNC_DELAY = 20_000;

/** Bytes of a write's data kept: enough for a RocksDB write-ahead-log record of a few keys. */
const STRING_BYTES = 4096;

/** Runs `node args` under strace; throws with its output when it fails. */
export function traceNode(args: string[], traceFile: string): { calls: Syscall[]; stdout: string } {
  // -xx: every string in hex, so no path or data can break the parse; -y: a descriptor's path.
  // Every sync starts SYNC_DELAY late, as on a slow disk: a sync nobody waits for then
  // returns after whatever it should have preceded has begun, rather than in time by luck.
  const run = spawnSync('strace', [
    '-f', '-qq', '-y', '-xx', '-s', String(STRING_BYTES), '--seccomp-bpf', '-e', `trace=${TRACED}`,
    `--inject=fsync,fdatasync:delay_enter=${SYNC_DELAY}`, '-o', traceFile, process.execPath, ...args,
  ], { encoding: 'utf8' });
  if (run.error !== undefined) throw new Error(`strace could not be run (install it: apt-get install strace): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} under strace exited with ${run.status}: ${run.stderr}`);
  return { calls: parseTrace(fs.readFileSync(traceFile, 'latin1')), stdout: run.stdout };
}

const hexBytes = (hex: string): Buffer => Buffer.from(hex.replace(/\\x/g, ''), 'hex');

export function parseTrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const unfinished = new Map<string, Syscall>();
  text.split('\n').forEach((line, index) => {
    // strace pads the pid to five columns: `123   write(...`.
    const match = /^(\d+) +(.*)$/.exec(line);
    if (match === null) return;
    const [, pid, rest] = match;
    const resumed = /^<\.\.\. (\w+) resumed>.*= (-?\d+)/.exec(rest);
    if (resumed !== null) {
      const call = unfinished.get(`${pid} ${resumed[1]}`);
      if (call === undefined) return;
      unfinished.delete(`${pid} ${resumed[1]}`);
      call.end = index;
      call.result = Number(resumed[2]);
      return;
    }
    const begun = /^(\w+)\((.*)$/.exec(rest);
    if (begun === null) return;
    const [, name, args] = begun;
    const strings = [...args.matchAll(/"((?:\\x[0-9a-f]{2})*)"/g)].map((m) => hexBytes(m[1]));
    const descriptor = /^\d+<((?:\\x[0-9a-f]{2})*)>/.exec(args);
    const paths = name.startsWith('write') || name.startsWith('pwrite') ? [] : strings.map((s) => s.toString('latin1'));
    const call: Syscall = {
      name, path: descriptor !== null ? hexBytes(descriptor[1]).toString('latin1') : paths[0] ?? '', paths,
      data: descriptor !== null && strings.length > 0 ? strings[0] : Buffer.alloc(0), result: 0, start: index, end: index,
    };
    calls.push(call);
    if (args.endsWith('<unfinished ...>')) unfinished.set(`${pid} ${name}`, call);
    else call.result = Number(/= (-?\d+)/.exec(args.slice(args.lastIndexOf(') = ')))?.[1] ?? NaN);
  });
  return calls;
}

export const isWrite = (call: Syscall): boolean => /^p?writev?\d*$|^pwrite64$/.test(call.name);
export const isSync = (call: Syscall): boolean => call.name === 'fsync' || call.name === 'fdatasync';
export const isRename = (call: Syscall): boolean => call.name.startsWith('rename');
export const isUnlink = (call: Syscall): boolean => call.name.startsWith('unlink');
