// The canonical snapshot: every resting order of every book, in one binary layout that both
// engines write byte for byte the same. Checkpoints store it; stateHash() hashes it.
//
// Layout (little-endian). Bytes 0..6 are the magic "LOBSNAP", byte 7 the format version. Then
// float64 slots only, so the body reads as one Float64Array:
//   header:  nextOrderId, bookCount
//   per non-empty book, assets ascending:   asset, bidLevelCount, askLevelCount
//     per level, bids best (highest) first, then asks best (lowest) first:  price, orderCount
//       per order, in queue (time priority) order:  orderId, trader, remaining, timestamp, stp
import { createHash } from 'node:crypto';
import { LobError } from './errors.js';

export const SNAPSHOT_MAGIC = [0x4c, 0x4f, 0x42, 0x53, 0x4e, 0x41, 0x50]; // "LOBSNAP"
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_HEADER_SLOTS = 3; // magic+version word, nextOrderId, bookCount
export const SNAPSHOT_BOOK_SLOTS = 3;
export const SNAPSHOT_LEVEL_SLOTS = 2;
export const SNAPSHOT_ORDER_SLOTS = 5;

/** Writes the magic and version into the first 8 bytes of a snapshot buffer. */
export function writeSnapshotMagic(bytes: Uint8Array): void {
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) bytes[i] = SNAPSHOT_MAGIC[i];
  bytes[7] = SNAPSHOT_VERSION;
}

/** Checks magic, version and length; returns the body as float64 slots (slot 0 is the magic word). */
export function openSnapshot(bytes: Uint8Array): Float64Array {
  if (bytes.byteLength < SNAPSHOT_HEADER_SLOTS * 8 || bytes.byteLength % 8 !== 0) {
    throw new LobError('CORRUPTION', `snapshot is ${bytes.byteLength} bytes long, not a whole number of 8-byte slots with a header`);
  }
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw new LobError('CORRUPTION', 'snapshot does not start with LOBSNAP');
  }
  if (bytes[7] !== SNAPSHOT_VERSION) {
    throw new LobError('UNSUPPORTED_VERSION', `snapshot format version ${bytes[7]} is not supported (this build reads ${SNAPSHOT_VERSION})`);
  }
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  return new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8);
}

/** sha256 of the canonical snapshot, hex: equal on both backends after the same commands. */
export function hashSnapshot(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
