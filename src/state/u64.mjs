// Big-endian u64 fields of keys (keys.ts): integers below 2^53 as two u32 halves, so key order is
// numeric order. Plain JavaScript, shared by the key layout and the store worker's expansion of
// index operations (index-wire.mjs).

const TWO_32 = 0x1_0000_0000;

/**
 * @param {Uint8Array} target
 * @param {number} offset
 * @param {number} value a safe integer >= 0
 */
export function writeU64BE(target, offset, value) {
  const high = Math.floor(value / TWO_32);
  const low = value >>> 0;
  target[offset] = high >>> 24;
  target[offset + 1] = (high >>> 16) & 0xff;
  target[offset + 2] = (high >>> 8) & 0xff;
  target[offset + 3] = high & 0xff;
  target[offset + 4] = low >>> 24;
  target[offset + 5] = (low >>> 16) & 0xff;
  target[offset + 6] = (low >>> 8) & 0xff;
  target[offset + 7] = low & 0xff;
}
