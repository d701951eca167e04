// Table-driven CRC-32 over bytes, sliced by 8 (eight bytes a step through eight lookup tables),
// for a reflected polynomial: CRC-32 (crc32.ts, its fallback) and CRC-32C (crc32c.mjs). Plain
// JavaScript: the store worker runs it, under Node without a TypeScript loader.

/**
 * The checksum function of `polynomial` (reflected: 0xedb88320 for CRC-32, 0x82f63b78 for CRC-32C).
 * Its tables are constants of the closure rather than an array unpacked per call: a log is checked
 * once per open, mostly before the JIT has optimized this, and unpacking cost more than the checksum.
 * @param {number} polynomial
 * @returns {(bytes: Uint8Array, start?: number, end?: number) => number}
 */
export function sliceBy8Crc(polynomial) {
  const [T0, T1, T2, T3, T4, T5, T6, T7] = sliceBy8Tables(polynomial);
  return function crc(bytes, start = 0, end = bytes.length) {
    let crc = 0xffffffff;
    let i = start;
    for (; i + 8 <= end; i += 8) {
      const a = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
      crc =
        T7[a & 0xff] ^ T6[(a >>> 8) & 0xff] ^ T5[(a >>> 16) & 0xff] ^ T4[a >>> 24] ^
        T3[bytes[i + 4]] ^ T2[bytes[i + 5]] ^ T1[bytes[i + 6]] ^ T0[bytes[i + 7]];
    }
    for (; i < end; i++) crc = T0[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  };
}

/**
 * Table 0 is the plain byte-at-a-time table of the polynomial, table t the CRC of a byte followed
 * by t zero bytes.
 * @param {number} polynomial
 * @returns {Uint32Array[]}
 */
function sliceBy8Tables(polynomial) {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? polynomial ^ (c >>> 1) : c >>> 1;
    tables[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0][n];
    for (let t = 1; t < 8; t++) {
      c = tables[0][c & 0xff] ^ (c >>> 8);
      tables[t][n] = c >>> 0;
    }
  }
  return tables;
}
