// CRC-32 (IEEE 802.3, the zlib polynomial). A checksum per stored value is what turns a damaged
// record into a loud CORRUPTION naming its key instead of garbage fed to the engine. Node has
// zlib.crc32 from 20.15 on; older Node 20 releases (allowed by `engines`) get the table version.
import * as zlib from 'node:zlib';
import { sliceBy8Tables } from './crc-tables.mjs';

const TABLES = sliceBy8Tables(0xedb88320);

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  return crc32Portable(bytes, start, end);
}

/** The table-driven fallback; exported so tests can check it against zlib's. */
export function crc32Portable(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = 0xffffffff;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc =
      t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < end; i++) crc = t0[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
