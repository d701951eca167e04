// Hashing of arbitrary safe-integer keys (assets, traders, prices) for the open-addressing maps.
// Fibonacci hashing of the key's float64 bits: no float-to-integer conversion (which costs a
// dozen instructions with its range checks), and the multiply spreads nearby keys over the whole
// table. `+ 0.0` folds -0 into +0, so keys that compare equal hash equal.

/** A slot in a table of 2^bits entries. */
@inline export function spread(key: f64, bits: u32): u32 {
  return <u32>((reinterpret<u64>(key + 0.0) * 0x9E3779B97F4A7C15) >> (64 - <u64>bits));
}

/** The low 32 bits of a non-negative integer below 2^52, without a float-to-integer conversion. */
@inline export function low32(value: f64): u32 {
  return <u32>reinterpret<u64>(value + 4503599627370496.0);
}
