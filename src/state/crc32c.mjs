// CRC-32C (Castagnoli), the checksum RocksDB stores, masked, in each record of its write-ahead
// logs and MANIFEST (log-check.mjs reads them). Node has no CRC-32C of its own (zlib's crc32 is the
// IEEE polynomial, crc32.ts). Plain JavaScript: the store worker runs it, under Node without a
// TypeScript loader.
import { sliceBy8Tables } from './crc-tables.mjs';

// Module constants rather than one array unpacked per call: a log is checked once per open,
// mostly before the JIT has optimized this, and unpacking cost more than the checksum.
const [T0, T1, T2, T3, T4, T5, T6, T7] = sliceBy8Tables(0x82f63b78);

/**
 * Slicing by 8: a log of several megabytes is checked on every open.
 * @param {Uint8Array} bytes
 * @param {number} [start]
 * @param {number} [end]
 * @returns {number}
 */
export function crc32c(bytes, start = 0, end = bytes.length) {
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
}

const MASK_DELTA = 0xa282ead8;

/**
 * RocksDB stores a CRC rotated and offset ("masked", util/crc32c.h), since a CRC of bytes that
 * themselves hold CRCs is weak; this undoes it.
 * @param {number} masked
 * @returns {number}
 */
export function unmaskCrc32c(masked) {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
