// The binary key layout of a lobcore database. One prefix byte per record kind, then
// big-endian unsigned integers, so RocksDB's bytewise order is numeric order within a kind and
// every query is a key range: no string keys, no scans outside a range.
//
// Written by every commit, atomically (the truth):
//   0x00                                  FORMAT        magic and database format version
//   0x01                                  HEAD          height, last sequence, next ids
//   0x02 firstSeq:u64                     JOURNAL       the commands of one flush (compact)
//   0x05 firstSeq:u64                     EVENTS        the events of the same flush (event-block.ts)
//   0x06 firstOrderId:u64                 ORDER_SPAN    the flush that assigned order ids from here on
//   0x07 firstFillSeq:u64                 FILL_SPAN     the flush whose fills start at this fill sequence
// Written by checkpoints:
//   0x03 seq:u64                          CHECKPOINT    manifest of the checkpoint at that sequence
//   0x04 seq:u64 chunk:u32                CHUNK         a slice of that checkpoint's snapshot
// Derived from the events as commands are applied (index-deriver.ts), written behind the commits (indexer.ts):
//   0x08                                  INDEX_HEAD    the last sequence the indexes cover
//   0x08 1:u64                            INDEX_REACH   the last sequence a window being written
//                                                       reaches (with its first write, index-window.mjs)
//   0x09 orderId:u64 blockSeq:u64         ORDER_TOUCH   the order has events in that flush (after the one placing it)
//   0x0a trader:u64 height:u64 blockSeq:u64  TRADER_TOUCH  the trader has events in that flush (height: the flush's first)
//   0x0b trader:u64 height:u64 seq:u64    TRADER_ORDER  the order the trader placed (accepted or rejected) by
//                                                       that command (an OCO pair: its limit leg)
//   0x0c trader:u64 orderId:u64           TRADER_OPEN   retired: an order's placing seq while it rested or waited,
//                                                       in databases of format 8 and before; a trader's open
//                                                       orders are kept in memory now (open-orders.ts), and such
//                                                       entries are never read
//   0x0d trader:u64 clientOrderId:u64     CLIENT_ID     the sequence of the trader's newest order with that id
//   0x0e asset:u64 firstFeedSeq:u64       FEED_SPAN     the flush whose feed messages for the asset start here
//   0x0f bucket:u64 blockSeq:u64          ORDER_TOUCHES the ORDER_TOUCH postings of one write window for the orders
//                                                       of one bucket (ORDERS_PER_TOUCH_BUCKET ids), the first at
//                                                       blockSeq (index-window.mjs; the durable index's only form of them)
//
// Spans are keyed by where a flush starts, so "the flush holding X" is one reverse seek to the
// greatest key <= X. Integers are below 2^53 (safe integers), written as two big-endian u32 halves.
import { LobError } from '../errors.js';
import { writeU64BE } from './u64.mjs';

export const Prefix = {
  FORMAT: 0x00,
  HEAD: 0x01,
  JOURNAL: 0x02,
  CHECKPOINT: 0x03,
  CHUNK: 0x04,
  EVENTS: 0x05,
  ORDER_SPAN: 0x06,
  FILL_SPAN: 0x07,
  INDEX_HEAD: 0x08,
  ORDER_TOUCH: 0x09,
  TRADER_TOUCH: 0x0a,
  TRADER_ORDER: 0x0b,
  TRADER_OPEN: 0x0c,
  CLIENT_ID: 0x0d,
  FEED_SPAN: 0x0e,
  ORDER_TOUCHES: 0x0f,
} as const;

const PREFIX_NAMES: Record<number, string> = {
  [Prefix.FORMAT]: 'format',
  [Prefix.HEAD]: 'head',
  [Prefix.JOURNAL]: 'journal',
  [Prefix.CHECKPOINT]: 'checkpoint',
  [Prefix.CHUNK]: 'chunk',
  [Prefix.EVENTS]: 'events',
  [Prefix.ORDER_SPAN]: 'order-span',
  [Prefix.FILL_SPAN]: 'fill-span',
  [Prefix.INDEX_HEAD]: 'index-head',
  [Prefix.ORDER_TOUCH]: 'order-touch',
  [Prefix.TRADER_TOUCH]: 'trader-touch',
  [Prefix.TRADER_ORDER]: 'trader-order',
  [Prefix.TRADER_OPEN]: 'trader-open',
  [Prefix.CLIENT_ID]: 'client-id',
  [Prefix.FEED_SPAN]: 'feed-span',
  [Prefix.ORDER_TOUCHES]: 'order-touches',
};

const TWO_32 = 0x1_0000_0000;
/** The largest u64 field value we ever write; used as an inclusive upper bound in ranges. */
export const MAX_KEY_INTEGER = Number.MAX_SAFE_INTEGER;

export { writeU64BE };

export function readU64BE(source: Uint8Array, offset: number): number {
  const high = ((source[offset] << 24) >>> 0) + (source[offset + 1] << 16) + (source[offset + 2] << 8) + source[offset + 3];
  const low = ((source[offset + 4] << 24) >>> 0) + (source[offset + 5] << 16) + (source[offset + 6] << 8) + source[offset + 7];
  return high * TWO_32 + low;
}

function writeU32BE(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

export function keyOf(prefix: number, ...integers: number[]): Buffer {
  const key = Buffer.allocUnsafe(1 + integers.length * 8);
  key[0] = prefix;
  for (let i = 0; i < integers.length; i++) writeU64BE(key, 1 + i * 8, integers[i]);
  return key;
}

export const formatKey = (): Buffer => Buffer.from([Prefix.FORMAT]);
export const headKey = (): Buffer => Buffer.from([Prefix.HEAD]);
export const indexHeadKey = (): Buffer => Buffer.from([Prefix.INDEX_HEAD]);
export const indexReachKey = (): Buffer => keyOf(Prefix.INDEX_HEAD, 1);
export const journalKey = (firstSequence: number): Buffer => keyOf(Prefix.JOURNAL, firstSequence);
export const eventsKey = (firstSequence: number): Buffer => keyOf(Prefix.EVENTS, firstSequence);
export const checkpointKey = (sequence: number): Buffer => keyOf(Prefix.CHECKPOINT, sequence);

export function chunkKey(sequence: number, chunk: number): Buffer {
  const key = Buffer.allocUnsafe(13);
  key[0] = Prefix.CHUNK;
  writeU64BE(key, 1, sequence);
  writeU32BE(key, 9, chunk);
  return key;
}

/**
 * The index database (a RocksDB database of its own, in INDEX_DIRECTORY under the database's
 * directory) holds the kinds INDEX_HEAD to ORDER_TOUCHES; the main database holds every other kind.
 */
export const INDEX_DIRECTORY = 'index';
const FIRST_INDEX_PREFIX = Prefix.INDEX_HEAD;
const PAST_INDEX_PREFIX = Prefix.ORDER_TOUCHES + 1;
/** Every index key: [gte, lt). */
export const INDEX_KEYS = { gte: Buffer.from([FIRST_INDEX_PREFIX]), lt: Buffer.from([PAST_INDEX_PREFIX]) };

export function isIndexKey(key: Uint8Array): boolean {
  return key[0] >= FIRST_INDEX_PREFIX && key[0] < PAST_INDEX_PREFIX;
}

/** Whether every key a range can hold is an index key (a range with an open end is not). */
export function isIndexRange(range: { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array }): boolean {
  const low = range.gte ?? range.gt;
  if (low === undefined || low.length === 0 || low[0] < FIRST_INDEX_PREFIX) return false;
  if (range.lte !== undefined) return range.lte.length > 0 && range.lte[0] < PAST_INDEX_PREFIX;
  const lt = range.lt;
  // [.., [0x10]) ends with the last index kind; anything past 0x10 with more bytes reaches beyond it.
  return lt !== undefined && lt.length > 0 && (lt[0] < PAST_INDEX_PREFIX || (lt[0] === PAST_INDEX_PREFIX && lt.subarray(1).every((b) => b === 0)));
}

/** Every key of one kind: [gte, lt). */
export function prefixRange(prefix: number): { gte: Buffer; lt: Buffer } {
  return { gte: Buffer.from([prefix]), lt: Buffer.from([prefix + 1]) };
}

/** Keys that start with `prefix` followed by the given u64 fields: [gte, lt). */
export function subRange(prefix: number, ...integers: number[]): { gte: Buffer; lt: Buffer } {
  const gte = keyOf(prefix, ...integers);
  const lt = Buffer.from(gte);
  // Increment the byte string as a big number: the first key past every extension of gte.
  for (let i = lt.length - 1; i >= 0; i--) {
    if (lt[i] !== 0xff) {
      lt[i]++;
      break;
    }
    lt[i] = 0;
  }
  return { gte, lt };
}

export const chunkRange = (sequence: number) => subRange(Prefix.CHUNK, sequence);

/** The integer fields of a key, after checking its kind and length. */
export function keyIntegers(key: Uint8Array, prefix: number, count: number): number[] {
  if (key.length !== 1 + count * 8 || key[0] !== prefix) {
    throw new LobError('CORRUPTION', `key ${describeKey(key)} is not a ${PREFIX_NAMES[prefix]} key`);
  }
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(readU64BE(key, 1 + i * 8));
  return out;
}

/** A key as people read it in error messages: its kind, its integers, and its hex bytes. */
export function describeKey(key: Uint8Array): string {
  const hex = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
  const kind = PREFIX_NAMES[key[0]] ?? 'unknown';
  const fields: number[] = [];
  if (key[0] === Prefix.CHUNK && key.length === 13) {
    fields.push(readU64BE(key, 1), ((key[9] << 24) >>> 0) + (key[10] << 16) + (key[11] << 8) + key[12]);
  } else {
    for (let o = 1; o + 8 <= key.length; o += 8) fields.push(readU64BE(key, o));
  }
  return fields.length > 0 ? `${kind}/${fields.join('/')} (0x${hex})` : `${kind} (0x${hex})`;
}
