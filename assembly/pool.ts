// Fixed-size record pools (orders, levels, books): records are carved from 64 KiB chunks and
// recycled through a free list threaded through their first word, so taking or giving a
// record is a couple of loads and stores, and a resting order costs exactly its record size.
import { alloc } from './allocator';

const CHUNK_BYTES: usize = 65536;

// A pool descriptor lives in static memory: free-list head, carve cursor, chunk end, record size.
const FREE = 0;
const CURSOR = 4;
const END = 8;
const SIZE = 12;
export const POOL_DESCRIPTOR_BYTES = 16;

export function poolReset(pool: usize, recordBytes: u32): void {
  store<u32>(pool, 0, FREE);
  store<u32>(pool, 0, CURSOR);
  store<u32>(pool, 0, END);
  store<u32>(pool, recordBytes, SIZE);
}

/** Makes sure the next poolTake succeeds; false when memory cannot grow. */
@inline export function poolReserve(pool: usize): bool {
  if (load<u32>(pool, FREE) != 0) return true;
  if (load<u32>(pool, CURSOR) + load<u32>(pool, SIZE) <= load<u32>(pool, END)) return true;
  return newChunk(pool);
}

function newChunk(pool: usize): bool {
  const chunk = alloc(CHUNK_BYTES);
  if (chunk == 0) return false;
  store<u32>(pool, <u32>chunk, CURSOR);
  store<u32>(pool, <u32>(chunk + CHUNK_BYTES), END);
  return true;
}

/** A record; only after poolReserve returned true. */
@inline export function poolTake(pool: usize): usize {
  const head = <usize>load<u32>(pool, FREE);
  if (head != 0) {
    store<u32>(pool, load<u32>(head), FREE);
    return head;
  }
  const record = <usize>load<u32>(pool, CURSOR);
  store<u32>(pool, <u32>(record + load<u32>(pool, SIZE)), CURSOR);
  return record;
}

@inline export function poolGive(pool: usize, record: usize): void {
  store<u32>(record, load<u32>(pool, FREE));
  store<u32>(pool, <u32>record, FREE);
}
