// The lookup tables of a table-driven CRC-32 over bytes, eight of them for slicing by 8: table 0
// is the plain byte-at-a-time table of the (reflected) polynomial, table t the CRC of a byte
// followed by t zero bytes. Shared by CRC-32 (crc32.ts, its fallback) and CRC-32C (crc32c.mjs).

/**
 * @param {number} polynomial the reflected polynomial (0xedb88320 for CRC-32, 0x82f63b78 for CRC-32C)
 * @returns {Uint32Array[]}
 */
export function sliceBy8Tables(polynomial) {
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
