// All memory of the core, carved from linear memory above the static data.
//
// The stub runtime never frees, so the core brings its own allocator: a bump region that grows
// linear memory in fixed steps, plus power-of-two size classes with free lists. A freed block is
// reused whole by its own class or, split in halves, by a smaller one. Blocks are never merged:
// the core frees big blocks only when a growable array moves up a size (index tables, level
// arrays, the fill buffer), and splitting those down serves the record chunks that come next,
// so growth leaves no dead memory behind.
//
// Nothing here traps on exhaustion: alloc returns 0 and every caller turns that into a
// CAPACITY rejection before it has changed anything.

import { noteMemorySize } from './host-block';

const PAGE_BYTES: u64 = 65536;
const MIN_CLASS: u32 = 4; // 16 bytes
const CLASS_COUNT: u32 = 32;
/** Grow linear memory at least this much at a time (2 MiB): few grow calls, little slack. */
const GROW_STEP_PAGES: u64 = 32;

const freeLists: usize = memory.data(CLASS_COUNT * 4, 8);
let heapTop: u64 = 0;
let pageLimit: u64 = 65536;
/**
 * No block has ever reached above this address: linear memory there is still as memory.grow
 * left it, zero, in pages never touched (a reset lowers heapTop, not this).
 */
let neverUsedFrom: u64 = 0;

/** Forgets every allocation; `maxPages` caps linear memory (maxMemoryBytes / 64 KiB). */
export function resetAllocator(maxPages: u32): void {
  heapTop = (<u64>__heap_base + 15) & ~15;
  neverUsedFrom = max<u64>(neverUsedFrom, heapTop);
  pageLimit = min<u64>(<u64>maxPages, 65536);
  memory.fill(freeLists, 0, CLASS_COUNT * 4);
}

@inline export function sizeClass(bytes: usize): u32 {
  return bytes <= (1 << MIN_CLASS) ? MIN_CLASS : 32 - clz<u32>(<u32>bytes - 1);
}

@inline function freeListOf(cls: u32): usize {
  return freeLists + (<usize>cls << 2);
}

@inline function push(cls: u32, block: usize): void {
  store<u32>(block, load<u32>(freeListOf(cls)));
  store<u32>(freeListOf(cls), <u32>block);
}

/** A block of at least `bytes` (rounded up to a power of two, 16-byte aligned), or 0. */
export function alloc(bytes: usize): usize {
  const cls = sizeClass(bytes);
  if (cls >= CLASS_COUNT) return 0;
  const head = <usize>load<u32>(freeListOf(cls));
  if (head != 0) {
    store<u32>(freeListOf(cls), load<u32>(head));
    return head;
  }
  for (let bigger = cls + 1; bigger < CLASS_COUNT; bigger++) {
    const block = <usize>load<u32>(freeListOf(bigger));
    if (block == 0) continue;
    store<u32>(freeListOf(bigger), load<u32>(block));
    // Keep the lower half each time; the upper halves go to their free lists.
    for (let k = bigger; k > cls; k--) push(k - 1, block + (<usize>1 << (k - 1)));
    return block;
  }
  return bump(<u64>1 << cls);
}

/**
 * alloc(bytes), its `bytes` zero. What lies in memory never handed out is zero already and is not
 * written: zeroing it faults in every page there and then, on whichever thread asked. A restore's
 * order index (8 MiB at a million orders) is sized before the worker that touches the restore's
 * pages is given them, and was zeroed there, ahead of it; now its pages are faulted in once that
 * worker is under way (touchEmptyTable, src/prefault.ts).
 */
export function allocZeroed(bytes: usize): usize {
  const zeroFrom = neverUsedFrom;
  const block = alloc(bytes);
  if (block == 0) return 0;
  const used = min<u64>(<u64>block + <u64>bytes, zeroFrom);
  if (used > <u64>block) memory.fill(block, 0, <usize>(used - <u64>block));
  return block;
}

/** Returns a block from alloc(bytes) with the same `bytes`. */
export function free(block: usize, bytes: usize): void {
  if (block != 0) push(sizeClass(bytes), block);
}

function bump(bytes: u64): usize {
  const end = heapTop + bytes;
  if (!growTo(end, GROW_STEP_PAGES)) return 0;
  const block = <usize>heapTop;
  heapTop = end;
  if (end > neverUsedFrom) neverUsedFrom = end;
  return block;
}

/** Grows linear memory to hold `end` bytes, at least `stepPages` at a time within the limit; false if it cannot. */
function growTo(end: u64, stepPages: u64): bool {
  const current = <u64>memory.size();
  if (end <= current * PAGE_BYTES) return true;
  const needed = (end - current * PAGE_BYTES + PAGE_BYTES - 1) / PAGE_BYTES;
  if (current + needed > pageLimit) return false;
  const step = min<u64>(max<u64>(needed, stepPages), pageLimit - current);
  if (memory.grow(<i32>step) < 0 && memory.grow(<i32>needed) < 0) return false;
  noteMemorySize();
  return true;
}

/**
 * Grows linear memory at once so that `bytes` more can be allocated without growing it again
 * (within the page limit); returns the new size in bytes, or 0 if the limit does not allow it.
 * A restore asks for its snapshot's size, so that the host can have the pages touched ahead of it.
 */
export function reserveBytes(bytes: u64): u64 {
  return growTo(heapTop + bytes, 0) ? <u64>memory.size() * PAGE_BYTES : 0;
}
