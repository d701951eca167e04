// Numbers read from a Float64Array reach JavaScript as heap numbers, even whole ones, while a
// caller's literal 7 is a small integer (a V8 "Smi"). V8 types each object field and each
// function's inputs by what it has seen: a field that has only held small integers changes its
// representation, and its object's hidden class, the first time a heap number is stored in it,
// and every optimized function that saw the old class deoptimizes at once. Restoring a snapshot
// did exactly that after the benchmark's warm-up, so the first timed cycles ran unoptimized
// (samples of 0.2-0.3M commands/s beside medians of 3-4M; issue 9). Values that come out of
// float64 slots and go into object fields, or into the functions the per-call path shares, pass
// through here first, so they look the same as a caller's would.

/** Every V8 build (with or without pointer compression) holds an integer in (-BOUND, BOUND) as a Smi. */
export const enum Smi { MAX = 0x3fffffff, BOUND = MAX + 1 }

/** The same number; a whole one below 2^30 as a small integer. */
export function smallInteger(value: number): number {
  return value < Smi.BOUND && value > -Smi.BOUND ? value | 0 : value;
}
