// Hashing of arbitrary safe-integer keys (assets, traders) for the small open-addressing maps.
// Fibonacci hashing: the multiply spreads nearby keys (asset 1, 2, 3...) over the whole table.

/** A slot in a table of 2^bits entries. */
@inline export function spread(key: f64, bits: u32): u32 {
  return <u32>((<u64>key * 0x9E3779B97F4A7C15) >> (64 - <u64>bits));
}
