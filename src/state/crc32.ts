// CRC-32 (IEEE 802.3, the zlib polynomial). A checksum per stored value is what turns a damaged
// record into a loud CORRUPTION naming its key instead of garbage fed to the engine. Node has
// zlib.crc32 from 20.15 on; older Node 20 releases (allowed by `engines`) get the table version.
import * as zlib from 'node:zlib';
import { sliceBy8Crc } from './crc-slice-by-8.mjs';

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  return crc32Portable(bytes, start, end);
}

/** The table-driven fallback; exported so tests can check it against zlib's. */
export const crc32Portable = sliceBy8Crc(0xedb88320);
