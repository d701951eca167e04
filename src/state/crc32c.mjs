// CRC-32C (Castagnoli), the checksum RocksDB stores, masked, in each record of its write-ahead
// logs and MANIFEST (log-check.mjs reads them). Node has no CRC-32C of its own (zlib's crc32 is the
// IEEE polynomial, crc32.ts). Plain JavaScript: the store worker runs it, under Node without a
// TypeScript loader.
import { sliceBy8Crc } from './crc-slice-by-8.mjs';

/**
 * CRC-32C of bytes[start..end).
 * @type {(bytes: Uint8Array, start?: number, end?: number) => number}
 */
export const crc32c = sliceBy8Crc(0x82f63b78);

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
