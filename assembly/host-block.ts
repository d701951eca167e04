// The block the host reads after each call: the per-call outcome and where the growable
// buffers currently are. One fixed address, so the host keeps one view of it and re-reads
// pointers only when they move.
//
//   0  out[5]           f64  status | reason << 4, orderId, filled, remaining, fillCount
//  40  fills            u32  fill buffer (FILL_SLOTS f64 per fill)
//  44  fillCapacity     u32  in fills
//  48  results          u32  batch results (RESULT_SLOTS f64 per command)
//  52  resultCapacity   u32  in commands
//  56  input            u32  batch commands (COMMAND_SLOTS f64 per command)
//  60  inputCapacity    u32  in commands
//  64  query            u32  query / snapshot output
//  68  queryCapacity    u32  in f64 slots
export const hostBlock: usize = memory.data(80, 16);
export const OUT: usize = hostBlock;
export const OUT_FILL_COUNT: usize = 32;

@inline export function hostPointer(offset: usize): usize {
  return <usize>load<u32>(hostBlock + offset);
}
@inline export function setHostPointer(offset: usize, value: usize): void {
  store<u32>(hostBlock + offset, <u32>value);
}
export const HB_FILLS: usize = 40;
export const HB_FILL_CAPACITY: usize = 44;
export const HB_RESULTS: usize = 48;
export const HB_RESULT_CAPACITY: usize = 52;
export const HB_INPUT: usize = 56;
export const HB_INPUT_CAPACITY: usize = 60;
export const HB_QUERY: usize = 64;
export const HB_QUERY_CAPACITY: usize = 68;

export function resetHostBlock(): void {
  memory.fill(hostBlock, 0, 80);
}
