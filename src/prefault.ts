// The pages a large restore of the WASM core is about to write (or the long replay after it),
// touched ahead of it by a thread of their own.
//
// Why: on the 2-core VM lobcore is measured on, memory a process writes for the first time costs
// about 15 us a 4 KiB page, and restoring a million resting orders writes about 48 MiB of it: a
// third of a reopen, all on the thread that restores. Page faults taken on another thread run
// beside it, so the core's memory is grown to the snapshot's size up front (the core's memory is
// shared, so another thread can write it) and a worker touches each page while the restore fills
// them. Restoring the 1M-order snapshot took 297-313 ms alone and 252-263 ms with the pages
// touched ahead; reopening the database that holds it, 435-482 ms and 395-431 ms
// (docs/storage.md, round 16). The worker is told only the pages just reserved, past the order
// index the restore has sized, and is told them before that index is faulted in: this thread
// faults the index (its inserts hash all over it) while the worker starts on the records' pages.
// Until stop 63 the index was zeroed, and so faulted in, before the worker was told anything
// (docs/storage.md, round 50).
//
// The worker ends once it has nothing left to touch and no open holds it (readyPrefault): an idle
// worker would never collect, and the memories it was given (a restored core's, tens of MB) would
// stay alive as long as it did.
import { Worker, isMainThread } from 'node:worker_threads';

/** Below this a restore or a growth is over before another thread could help much. */
const PREFAULT_MIN_BYTES = 8 * 1024 * 1024;

let toucher: Toucher | null = null;

/** The worker; the ranges it has been given and not yet touched; the opens that keep it (readyPrefault). */
interface Toucher {
  worker: Worker;
  owed: number;
  holds: number;
}

/**
 * For `bytes` about to be written into `memory` beyond what it holds (a restore of that many
 * snapshot bytes, or the growth a long replay after it brings): `reserve` grows the memory to
 * hold them (returning its new size in bytes, 0 if the core's limit does not allow it), and a
 * worker touches every page up to there. Only on the main thread: a worker restoring (the
 * checkpoint shadow, behind an open) has the main thread beside it, which needs the other core.
 * Best effort: a worker that cannot start changes nothing but the time.
 */
export function prefaultAhead(memory: WebAssembly.Memory, bytes: number, reserve: (bytes: number) => number): void {
  if (bytes < PREFAULT_MIN_BYTES || !isMainThread) return;
  const end = reserve(bytes);
  if (end === 0) return;
  // Only the pages just reserved: those below are the core's own, present already or about to be
  // faulted in by the thread that asked (a restore's order index), and a worker walking through
  // them would start behind the restore rather than ahead of it. The reserve ends on a 64 KiB
  // page, so the new bytes start less than one of those below `end - bytes`.
  const from = Math.max(0, Math.floor((end - bytes - 65536) / 4096) * 4096);
  try {
    toucher ??= startToucher();
    toucher.worker.postMessage({ memory, from, end });
    toucher.owed++;
  } catch {
    toucher = null;
  }
}

/**
 * Starts the worker ahead of a restore of `byteLength` bytes that is coming (a reopen knows its
 * snapshot file's size before it has an engine): a worker takes about 50 ms to start here, a
 * sixth of the restore it would otherwise join late. It is kept until the returned function is
 * called, which a reopen does once its replay is over: the replay asks it to touch what it will
 * grow into (prefaultAhead), and a worker started again for that took those 50 ms out of a
 * 160 ms replay (docs/storage.md, round 31).
 */
export function readyPrefault(byteLength: number): () => void {
  if (byteLength < PREFAULT_MIN_BYTES || !isMainThread) return () => {};
  try {
    toucher ??= startToucher();
  } catch {
    toucher = null;
    return () => {};
  }
  const held = toucher;
  held.holds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.holds === 0 && held.owed === 0) {
      if (toucher === held) toucher = null;
      void held.worker.terminate();
    }
  };
}

function startToucher(): Toucher {
  const started: Toucher = { worker: new Worker(new URL('./prefault-worker.mjs', import.meta.url)), owed: 0, holds: 0 };
  // It never keeps a process alive: a restore does not wait for it.
  started.worker.unref();
  const forget = (): void => {
    if (toucher === started) toucher = null;
  };
  started.worker.on('message', () => {
    if (--started.owed > 0 || started.holds > 0) return;
    forget();
    void started.worker.terminate();
  });
  started.worker.on('error', forget);
  started.worker.on('exit', forget);
  return started;
}
