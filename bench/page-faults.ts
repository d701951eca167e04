// Fresh memory: what a page costs the first time it is written. Linux maps a page of an
// allocation only when it is first touched (a minor page fault), and on a virtual machine each
// fault is a trip to the hypervisor. On the 2-core VM this project is measured on, first writes
// ran at 2.6 ms per MiB (a 400 MB array: 1.05 s, where writing it again took 0.16 s), and two
// threads faulting at once went only 1.3x faster than one. So how much fresh memory a path
// touches is one of its costs, which no amount of threads hides: the persistence report counts
// the faults of each run and of each reopen, and measures the price of one.
import { readFileSync } from 'node:fs';

const PAGE_BYTES = 4096;
const MIB = 1024 * 1024;
/** Each round touches this much fresh memory; the median of the rounds is reported. */
const ROUND_MIB = 64;
const ROUNDS = 3;

/** Minor page faults so far: the whole process (threads that have ended included), and its main thread. Null off Linux. */
export function minorFaults(): { process: number; main: number } | null {
  try {
    return { process: minorFaultsIn('/proc/self/stat'), main: minorFaultsIn(`/proc/self/task/${process.pid}/stat`) };
  } catch {
    return null;
  }
}

/** Page faults as MiB of fresh memory. */
export const faultedMiB = (faults: number): number => (faults * PAGE_BYTES) / MIB;

/**
 * Milliseconds to write fresh memory for the first time, per MiB: one byte per page of a new array
 * (which maps every page, and does nothing else), the median of a few rounds.
 */
export function freshMemoryMsPerMiB(): number {
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    const fresh = new Uint8Array(ROUND_MIB * MIB);
    for (let at = 0; at < fresh.length; at += PAGE_BYTES) fresh[at] = 1;
    rounds.push((performance.now() - started) / ROUND_MIB);
  }
  rounds.sort((a, b) => a - b);
  return rounds[ROUNDS >> 1];
}

function minorFaultsIn(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // minflt is field 10 of stat, the 8th after the command name's closing parenthesis.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}
