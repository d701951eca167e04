// A deterministic stream of numbers in [0, 1) (xorshift32): every run of a test, and every core in
// it, gets the same flow.
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
