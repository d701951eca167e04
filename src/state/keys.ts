// The binary key layout of a lobcore database. One prefix byte per record kind, then
// big-endian unsigned integers, so RocksDB's bytewise order is numeric order within a kind and
// every query is a key range: no string keys, no scans outside a range.
//
//   0x00                                     FORMAT      magic and database format version
//   0x01                                     HEAD        height, last sequence, next ids
//   0x02 seq:u64                             JOURNAL     one record per flush, keyed by its first sequence
//   0x03 seq:u64                             CHECKPOINT  manifest of the checkpoint at that sequence
//   0x04 seq:u64 chunk:u32                   CHUNK       a slice of that checkpoint's snapshot
//   0x05 firstFillSeq:u64                    FILL_BLOCK  up to FILLS_PER_BLOCK consecutive fills of one flush
//   0x06 orderId:u64 lastFillSeq:u64         ORDER_FILLS an order's fills (maker or taker) in one flush
//   0x07 trader:u64 height:u64 lastFillSeq:u64
//                                            TRADER_FILLS a trader's fills at one height in one flush
//
// The two indexes are postings: one key per (order or trader, flush), whose value lists the fill
// sequences. They are keyed by the LAST sequence they hold so that a fillSeq cursor is a key:
// every posting holding a fill after `after` sorts after (id, [height,] after). Heights never
// decrease as sequences grow, so within a trader (height, lastFillSeq) order is sequence order.
//
// Integers are below 2^53 (safe integers), written as two big-endian u32 halves.
import { LobError } from '../errors.js';

export const Prefix = {
  FORMAT: 0x00,
  HEAD: 0x01,
  JOURNAL: 0x02,
  CHECKPOINT: 0x03,
  CHUNK: 0x04,
  FILL_BLOCK: 0x05,
  ORDER_FILLS: 0x06,
  TRADER_FILLS: 0x07,
} as const;

const PREFIX_NAMES: Record<number, string> = {
  [Prefix.FORMAT]: 'format',
  [Prefix.HEAD]: 'head',
  [Prefix.JOURNAL]: 'journal',
  [Prefix.CHECKPOINT]: 'checkpoint',
  [Prefix.CHUNK]: 'chunk',
  [Prefix.FILL_BLOCK]: 'fill-block',
  [Prefix.ORDER_FILLS]: 'order-fills',
  [Prefix.TRADER_FILLS]: 'trader-fills',
};

const TWO_32 = 0x1_0000_0000;
/** The largest u64 field value we ever write; used as an inclusive upper bound in ranges. */
export const MAX_KEY_INTEGER = Number.MAX_SAFE_INTEGER;

export function writeU64BE(target: Uint8Array, offset: number, value: number): void {
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

function keyOf(prefix: number, ...integers: number[]): Buffer {
  const key = Buffer.allocUnsafe(1 + integers.length * 8);
  key[0] = prefix;
  for (let i = 0; i < integers.length; i++) writeU64BE(key, 1 + i * 8, integers[i]);
  return key;
}

export const formatKey = (): Buffer => Buffer.from([Prefix.FORMAT]);
export const headKey = (): Buffer => Buffer.from([Prefix.HEAD]);
export const journalKey = (firstSequence: number): Buffer => keyOf(Prefix.JOURNAL, firstSequence);
export const checkpointKey = (sequence: number): Buffer => keyOf(Prefix.CHECKPOINT, sequence);
export const fillBlockKey = (firstFillSeq: number): Buffer => keyOf(Prefix.FILL_BLOCK, firstFillSeq);
export const orderFillsKey = (orderId: number, lastFillSeq: number): Buffer => keyOf(Prefix.ORDER_FILLS, orderId, lastFillSeq);
export const traderFillsKey = (trader: number, height: number, lastFillSeq: number): Buffer =>
  keyOf(Prefix.TRADER_FILLS, trader, height, lastFillSeq);

export function chunkKey(sequence: number, chunk: number): Buffer {
  const key = Buffer.allocUnsafe(13);
  key[0] = Prefix.CHUNK;
  writeU64BE(key, 1, sequence);
  writeU32BE(key, 9, chunk);
  return key;
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
