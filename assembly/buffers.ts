// The growable buffers shared with the host (fills, batch input and results, query output).
// Each grows to the next power of two by moving; its new address is published in the host
// block. Growing is the only thing that can fail, and it happens before any book changes.
import { alloc, free } from './allocator';
import { COMMAND_BYTES } from './operations';
import {
  hostBlock, hostPointer, setHostPointer, HB_FILLS, HB_FILL_CAPACITY, HB_INPUT, HB_RESULTS, HB_QUERY,
} from './host-block';

export const FILL_BYTES: usize = 64; // FILL_SLOTS f64
export const RESULT_BYTES: usize = 40; // RESULT_SLOTS f64

/** Fills written since the current call or batch began. */
export let fillCount: u32 = 0;
export let fillBase: usize = 0;
let fillCapacity: u32 = 0;

export function resetBuffers(): void {
  fillCount = 0;
  fillBase = 0;
  fillCapacity = 0;
}

@inline export function clearFills(): void {
  fillCount = 0;
}

/** The slot of the next fill; after reserveFills. */
@inline export function nextFill(): usize {
  return fillBase + <usize>(fillCount++) * FILL_BYTES;
}

/** Room for `more` fills beyond those written; false (nothing lost) when memory cannot grow. */
@inline export function reserveFills(more: u32): bool {
  return <u64>fillCount + more <= <u64>fillCapacity || growFills(more);
}

function growFills(more: u32): bool {
  const block = growRecords(fillBase, fillCount, fillCapacity, more, FILL_BYTES);
  if (block == 0) return false;
  fillBase = block;
  fillCapacity = load<u32>(hostBlock + HB_FILL_CAPACITY);
  return true;
}

/**
 * Moves a buffer of `count` records (capacity `capacity`) to a block with room for `more`
 * beyond them, publishes it in the host block (pointer at `at`, capacity at `at + 4`) and
 * returns it; 0 when memory cannot grow (the old buffer stays as it was).
 */
export function growRecords(base: usize, count: u32, capacity: u32, more: u32, recordBytes: usize, at: usize = HB_FILLS): usize {
  const wanted = <u64>count + more;
  if (wanted * <u64>recordBytes > 0x80000000) return 0; // 2 GiB: beyond wasm32 anyway
  let next: u32 = max<u32>(capacity, 256);
  while (<u64>next < wanted) next <<= 1;
  const block = alloc(<usize>next * recordBytes);
  if (block == 0) return 0;
  if (base != 0) {
    memory.copy(block, base, <usize>count * recordBytes);
    free(base, <usize>capacity * recordBytes);
  }
  setHostPointer(at, block);
  setHostPointer(at + 4, next);
  return block;
}

/** Grows a host-visible buffer (pointer at `at`, capacity in units at `at + 4`); keeps nothing. */
function reserveHostBuffer(at: usize, units: u32, unitBytes: usize): bool {
  const capacity = load<u32>(at + 4);
  if (units <= capacity) return true;
  let next: u32 = max<u32>(capacity, 64);
  while (next < units) next <<= 1;
  if (<u64>next * unitBytes > 0x80000000) return false;
  const block = alloc(<usize>next * unitBytes);
  if (block == 0) return false;
  free(<usize>load<u32>(at), <usize>capacity * unitBytes);
  store<u32>(at, <u32>block);
  store<u32>(at + 4, next);
  return true;
}

/** The core's own input space for `count` commands (a batch the host copies in). */
export function reserveInput(count: u32): bool {
  return reserveHostBuffer(hostBlock + HB_INPUT, count, COMMAND_BYTES);
}

/** Result space for a batch of `count` commands. */
export function reserveResults(count: u32): bool {
  return reserveHostBuffer(hostBlock + HB_RESULTS, count, RESULT_BYTES);
}

/** Query output space of `bytes`; its address, or 0 when memory cannot grow. */
export function reserveQuery(bytes: usize): usize {
  if (!reserveHostBuffer(hostBlock + HB_QUERY, <u32>((bytes + 7) >> 3), 8)) return 0;
  return hostPointer(HB_QUERY);
}

