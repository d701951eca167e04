// Growth of the typed arrays behind every pool: a larger copy, the old contents first
// (length is always at least the old length).

export function growFloat64(old: Float64Array, length: number): Float64Array {
  const next = new Float64Array(length);
  next.set(old);
  return next;
}

export function growInt32(old: Int32Array, length: number): Int32Array {
  const next = new Int32Array(length);
  next.set(old);
  return next;
}

export function growUint8(old: Uint8Array, length: number): Uint8Array {
  const next = new Uint8Array(length);
  next.set(old);
  return next;
}
