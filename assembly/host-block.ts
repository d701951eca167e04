// The block the host reads after each call: the per-call outcome and where the growable
// buffers currently are. One fixed address, so the host keeps one view of it and re-reads
// pointers only when they move (the offsets are mirrored in src/wasm-core.ts; test/operations
// .test.ts checks them through hostLayout()).
//
//   0  out[7]           f64  status | reason << 4, orderId, filled, remaining, spent, fillCount, eventCount
//  56  fills            u32  fill buffer (FILL_SLOTS f64 per fill)
//  60  fillCapacity     u32  in fills
//  64  results          u32  batch results (RESULT_SLOTS f64 per command)
//  68  resultCapacity   u32  in commands
//  72  input            u32  the core's own batch input (COMMAND_SLOTS f64 per command)
//  76  inputCapacity    u32  in commands
//  80  query            u32  query / snapshot output
//  84  queryCapacity    u32  in f64 slots
//  88  events           u32  event buffer (EVENT_SLOTS f64 per event)
//  92  eventCapacity    u32  in events
//  96  memoryPages      u32  linear memory's size in 64 KiB pages (the memory is shared, and a
//                            shared memory's views never detach: the host learns of growth here)
export const HOST_BLOCK_BYTES: usize = 112;
export const hostBlock: usize = memory.data(112, 16);
export const OUT: usize = hostBlock;
export const OUT_SPENT: usize = 32;
export const OUT_FILL_COUNT: usize = 40;
export const OUT_EVENT_COUNT: usize = 48;

@inline export function hostPointer(offset: usize): usize {
  return <usize>load<u32>(hostBlock + offset);
}
@inline export function setHostPointer(offset: usize, value: usize): void {
  store<u32>(hostBlock + offset, <u32>value);
}
export const HB_FILLS: usize = 56;
export const HB_FILL_CAPACITY: usize = 60;
export const HB_RESULTS: usize = 64;
export const HB_RESULT_CAPACITY: usize = 68;
export const HB_INPUT: usize = 72;
export const HB_INPUT_CAPACITY: usize = 76;
export const HB_QUERY: usize = 80;
export const HB_QUERY_CAPACITY: usize = 84;
export const HB_EVENTS: usize = 88;
export const HB_EVENT_CAPACITY: usize = 92;
export const HB_MEMORY_PAGES: usize = 96;

export function resetHostBlock(): void {
  memory.fill(hostBlock, 0, HOST_BLOCK_BYTES);
  noteMemorySize();
}

/** Called whenever linear memory has grown. */
@inline export function noteMemorySize(): void {
  store<u32>(hostBlock + HB_MEMORY_PAGES, <u32>memory.size());
}
