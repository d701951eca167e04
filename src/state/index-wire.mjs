// Index operations in their compact form, and their expansion into RocksDB keys and values.
// The main thread derives index entries as commands are applied; writing each one's key bytes,
// value frame and checksum there cost more than matching the command. So an operation is kept as
// INDEX_OP_SLOTS numbers, and the thread that writes it (the store worker, through
// index-window.mjs, or the in-memory store) expands it just before the write. Plain JavaScript,
// like byte-list.mjs, because the worker imports it too.
//
// An operation: head (kind | fieldCount << 2 | prefix << 4), then up to three key fields, then the
// value: -1 for the empty frame, otherwise a uint. Keys are the prefix byte and the fields as
// big-endian u64 (keys.ts); values are framed as codecs.ts frames a uint: format version 1, the
// varint, CRC-32 of both (little-endian). test/index-wire.test.ts checks the bytes against keys.ts
// and codecs.ts.

import { sliceBy8Crc } from './crc-slice-by-8.mjs';
import { writeU64BE } from './u64.mjs';

export const INDEX_OP_SLOTS = 5;
export const INDEX_PUT = 1;
export const INDEX_DEL = 2;
/** The value of a put whose key says everything. */
export const NO_VALUE = -1;

const UINT_VERSION = 1;
/** The frame version of a posting list (index-window.mjs writes them, codecs.ts reads them). */
export const POSTING_LIST_VERSION = 2;
/** The frame version of a trader's posting list across heights: each further posting led by its height's delta. */
export const TRADER_LIST_VERSION = 3;
/** The frame version of an order-touch bucket (ORDER_TOUCHES, keys.ts): the order touches of one window for one bucket of order ids. */
export const ORDER_TOUCHES_VERSION = 1;
/**
 * How many consecutive order ids share a bucket. A window touches orders all over the ids that
 * still rest, one key an order made order touches two thirds of the index's keys, and each key
 * costs its writer a memtable insert (docs/storage.md, round 20); a reader of one order's touches
 * reads its bucket's lists whole, a few thousand postings at most.
 */
export const ORDERS_PER_TOUCH_BUCKET = 1024;

/**
 * CRC-32 of a value's frame, eight bytes a step: a window's posting lists are most of the bytes the
 * index worker packs, and a byte at a time their checksum cost it as much as their varints.
 */
const crc32 = sliceBy8Crc(0xedb88320);
/**
 * @param {number} kind INDEX_PUT or INDEX_DEL
 * @param {number} prefix the key's prefix byte
 * @param {number} fields how many u64 fields follow it (0-3)
 */
export function indexOpHead(kind, prefix, fields) {
  return kind | (fields << 2) | (prefix << 4);
}

/**
 * Writes operation `i` of `ops` as key bytes into `key` (at least 25 bytes); returns the key length.
 * @param {Float64Array} ops
 * @param {number} i
 * @param {Uint8Array} key
 */
export function indexKeyInto(ops, i, key) {
  const o = i * INDEX_OP_SLOTS;
  const head = ops[o];
  const fields = (head >> 2) & 3;
  key[0] = head >> 4;
  for (let f = 0; f < fields; f++) writeU64BE(key, 1 + f * 8, ops[o + 1 + f]);
  return 1 + fields * 8;
}

/**
 * Writes the framed value of a uint (NO_VALUE: the empty frame) at `at`; returns the offset after it.
 * @param {Uint8Array} bytes
 * @param {number} at
 * @param {number} value
 */
export function putUintFrame(bytes, at, value) {
  const start = at;
  bytes[at++] = UINT_VERSION;
  if (value !== NO_VALUE) at = putVarint(bytes, at, value);
  return sealFrame(bytes, start, at);
}

/**
 * The uint of a frame putUintFrame wrote (NO_VALUE for the empty frame): its varint, read back
 * without checking the CRC, for a reader that holds only frames it made itself (the in-memory
 * index worker); a value read from a store is checked (codecs.ts, decodeUint).
 * @param {Uint8Array} bytes
 */
export function uintOfFrame(bytes) {
  // Version byte, varint, 4 bytes of CRC.
  if (bytes.length === 5) return NO_VALUE;
  let value = 0;
  let scale = 1;
  for (let at = 1; at < bytes.length - 4; at++) {
    value += (bytes[at] & 0x7f) * scale;
    scale *= 128;
  }
  return value;
}

/**
 * Writes a varint (7 bits a byte, low first, as ByteWriter.uint writes it) at `at`; returns the offset after it.
 * @param {Uint8Array} bytes
 * @param {number} at
 * @param {number} value a safe non-negative integer
 */
export function putVarint(bytes, at, value) {
  // Below 2^31, nearly every value (sequence deltas, order ids, offsets), with integer shifts: the
  // division below is a floating-point one, several times the cost of a shift.
  if (value < 0x80000000) {
    let v = value | 0;
    while (v >= 0x80) {
      bytes[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    bytes[at++] = v;
    return at;
  }
  while (value >= 0x80) {
    bytes[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  bytes[at++] = value;
  return at;
}

/**
 * Appends the CRC-32 of bytes [start, end) at `end`, little-endian, closing a value frame that
 * starts at `start` (codecs.ts); returns the offset after it.
 * @param {Uint8Array} bytes
 * @param {number} start
 * @param {number} end
 */
export function sealFrame(bytes, start, end) {
  const crc = crc32(bytes, start, end);
  bytes[end] = crc & 0xff;
  bytes[end + 1] = (crc >>> 8) & 0xff;
  bytes[end + 2] = (crc >>> 16) & 0xff;
  bytes[end + 3] = crc >>> 24;
  return end + 4;
}
