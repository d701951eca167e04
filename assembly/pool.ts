// Fixed-size record pools (orders, levels, books): records are carved from 64 KiB chunks and
// recycled through a free list threaded through their first word, so taking or giving a
// record is a couple of loads and stores, and a resting order costs exactly its record size.
//
// A pool can also list its live records (poolForEach), which is how the order index rebuilds
// itself in place instead of keeping an old table beside the new one (order-index.ts). For that,
// a chunk's last word links it to the chunk carved before it, and a freed record is marked by
// FREE_MARK in its second word: pooled records start with a float64 that is never that NaN
// pattern (an order id, a price, an asset).
import { alloc } from './allocator';

const CHUNK_BYTES: usize = 65536;
/** Where a chunk keeps the previous chunk's address. */
const CHUNK_LINK: usize = CHUNK_BYTES - 4;
const FREE_MARK: u32 = 0xffffffff;

// A pool descriptor lives in static memory: free-list head, carve cursor, chunk end, record size,
// newest chunk.
const FREE = 0;
const CURSOR = 4;
const END = 8;
const SIZE = 12;
const CHUNKS = 16;
export const POOL_DESCRIPTOR_BYTES = 20;

export function poolReset(pool: usize, recordBytes: u32): void {
  store<u32>(pool, 0, FREE);
  store<u32>(pool, 0, CURSOR);
  store<u32>(pool, 0, END);
  store<u32>(pool, recordBytes, SIZE);
  store<u32>(pool, 0, CHUNKS);
}

/** Makes sure the next poolTake succeeds; false when memory cannot grow. */
@inline export function poolReserve(pool: usize): bool {
  if (load<u32>(pool, FREE) != 0) return true;
  if (load<u32>(pool, CURSOR) + load<u32>(pool, SIZE) <= load<u32>(pool, END)) return true;
  return newChunk(pool);
}

/**
 * Makes sure the next two poolTakes succeed (an OCO pair's records); false when memory cannot grow.
 * A new chunk may only follow one carved to its end (poolForEach walks older chunks to their end),
 * so a last record left at the cursor is carved and freed first: the pool holds the same records.
 */
export function poolReserveTwo(pool: usize): bool {
  const head = <usize>load<u32>(pool, FREE);
  const freed: u32 = head == 0 ? 0 : load<u32>(head) == 0 ? 1 : 2;
  const cursor = load<u32>(pool, CURSOR);
  const size = load<u32>(pool, SIZE);
  const carvable: u32 = cursor + size <= load<u32>(pool, END) ? (cursor + 2 * size <= load<u32>(pool, END) ? 2 : 1) : 0;
  if (freed + carvable >= 2) return true;
  if (carvable == 1) poolGive(pool, poolTake(pool));
  return newChunk(pool);
}

function newChunk(pool: usize): bool {
  const chunk = alloc(CHUNK_BYTES);
  if (chunk == 0) return false;
  store<u32>(chunk + CHUNK_LINK, load<u32>(pool, CHUNKS));
  store<u32>(pool, <u32>chunk, CHUNKS);
  store<u32>(pool, <u32>chunk, CURSOR);
  store<u32>(pool, <u32>(chunk + CHUNK_LINK), END);
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
  store<u32>(record, FREE_MARK, 4);
  store<u32>(pool, <u32>record, FREE);
}

/** Hands every record taken and not given back to `visit`. */
export function poolForEach(pool: usize, visit: (record: usize) => void): void {
  const size = <usize>load<u32>(pool, SIZE);
  const newest = <usize>load<u32>(pool, CHUNKS);
  for (let chunk = newest; chunk != 0; chunk = <usize>load<u32>(chunk + CHUNK_LINK)) {
    // The newest chunk is carved up to the cursor, every older one to its end.
    const end = chunk == newest ? <usize>load<u32>(pool, CURSOR) : chunk + CHUNK_LINK;
    for (let record = chunk; record + size <= end; record += size) {
      if (load<u32>(record, 4) != FREE_MARK) visit(record);
    }
  }
}
