// Binary values of a lobcore database. Every value is framed the same way:
//
//   byte 0          format version of this kind of value
//   bytes 1..n-5    the payload (below)
//   last 4 bytes    CRC-32 of everything before it, little-endian
//
// A value with a bad length or checksum is CORRUPTION, one with a newer version is
// UNSUPPORTED_VERSION; both messages name the key so an operator knows what is damaged.
//
//   format      "LOBCORE" magic (7 bytes), database format version (1 byte)
//   head        height, lastSequence, nextOrderId, nextFillSeq, nextEventSeq   (float64 LE)
//   journal     entryCount:uint, then the entries (command-codec.ts)           (varints)
//   events      an event block (event-block.ts)                                 (varints)
//   spans, index-head, trader-open, client-id, feed-span: one uint
//   order-touch, trader-touch, trader-order: postings (the key's last field is the first one's
//               sequence). Version 1, one posting: nothing (touches), its orderId (trader-order).
//               Version 2, a posting list (index-window.mjs): the further postings' sequences as
//               varint deltas from the one before; trader-order first the first orderId, then
//               (delta, orderId) pairs.
//   checkpoint  sequence, height, nextFillSeq, nextOrderId, restingOrders, byteLength, chunkCount,
//               chunkBytes (float64 LE), sha256 of the snapshot (32 bytes), nextEventSeq:uint,
//               feed seqs: count:uint, then asset:uint, seq:uint pairs, then (version 3) where the
//               snapshot lives: 1 = chunks in the store, 2 = a snapshot file (checkpoints.ts)
//   chunk       raw snapshot bytes (no frame: the manifest's sha256 covers all chunks)
import { LobError } from '../errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { crc32 } from './crc32.js';
import { ORDERS_PER_TOUCH_BUCKET, ORDER_TOUCHES_VERSION, TRADER_LIST_VERSION } from './index-wire.mjs';
import { Prefix, describeKey, keyIntegers, readU64BE } from './keys.js';

/**
 * The layout of the database as a whole; bump when keys or value framing change incompatibly.
 * 1: one key per fill plus four index keys per fill. 2: fill blocks and per-flush postings.
 * 3: compact journal and event blocks as the commit; fills, the audit trail and the feed derived
 * from the event blocks; indexes written behind the commits. 4: stop and OCO commands and market
 * budgets in the journal (the table of operations grew), snapshot version 2 in checkpoints.
 * 5: posting lists (a posting key's value may list further postings, frame version 2). A version-4
 * database is a version-5 one whose lists all hold one posting: it opens, and its marker is
 * raised to 5 on the first writable open (an older build would read a list as its first posting
 * alone). 6: a checkpoint's snapshot may live in a file beside the database (manifest version 3);
 * a version-5 database opens, its chunked checkpoints are read as before, and its marker is raised
 * (an older build would find no chunks for a checkpoint kept in a file). 7: the indexes in a
 * database of their own (store.ts); a version 4-6 database opens, the indexes it kept are deleted
 * from it and derived again into the index database, and its marker is raised. 8: order touches
 * stored a bucket of orders a key (ORDER_TOUCHES); a version-7 database opens as it is, the
 * one-order lists it stored read beside the buckets, and its marker is raised (an older build
 * would not see the touches in buckets). 9: no open-order entries (TRADER_OPEN): a trader's open
 * orders are kept in memory (open-orders.ts); a version-8 database opens, the entries it holds are
 * never read, and its marker is raised (an older build would read entries nothing keeps any more).
 * 10: a trader's postings of one index window are one list across heights (frame version 3); a
 * database of version 9 or older opens; opened to write, its marker is raised (an older build
 * would refuse the new frames, and look for a list reaching into a range only at the range's first
 * height), and first its indexes are derived again whole, since lists a height at a time that a
 * crash left past the index head would overlap the new ones (store.ts).
 */
export const DATABASE_FORMAT_VERSION = 10;
/** The oldest layout this build opens as it is. */
export const OLDEST_READABLE_FORMAT_VERSION = 4;
const DATABASE_MAGIC = Buffer.from('LOBCORE', 'latin1');

const HEAD_VERSION = 2;
const JOURNAL_VERSION = 3;
const EVENTS_VERSION = 1;
const UINT_VERSION = 1;
const CHECKPOINT_VERSION = 3;

export const FRAME_BYTES = 1 + 4;

/** A value frame: allocates version byte + payload + checksum; the caller fills the payload. */
export function frame(version: number, payloadBytes: number): Buffer {
  const value = Buffer.allocUnsafe(payloadBytes + FRAME_BYTES);
  value[0] = version;
  return value;
}

export function seal(value: Buffer): Buffer {
  value.writeUInt32LE(crc32(value, 0, value.length - 4), value.length - 4);
  return value;
}

/** Frames a payload given in parts (copied once, end to end): version byte in front, checksum behind. */
export function framed(version: number, ...payload: Uint8Array[]): Buffer {
  return framedIn(null, version, payload);
}

/** Where a value's bytes come from: `bytes` of them, its contents ignored (null: a new Buffer). */
export type ValueMemory = ((bytes: number) => Buffer) | null;

/** `framed`, its value's bytes taken from `memory`. */
export function framedIn(memory: ValueMemory, version: number, payload: Uint8Array[]): Buffer {
  let bytes = 0;
  for (const part of payload) bytes += part.length;
  const value = memory === null ? frame(version, bytes) : memory(bytes + FRAME_BYTES);
  value[0] = version;
  let at = 1;
  for (const part of payload) {
    value.set(part, at);
    at += part.length;
  }
  return seal(value);
}

/** What `framed` wraps: the payload of a value it made, as a view. */
export const framedPayload = (value: Buffer): Buffer => value.subarray(1, value.length - 4);

/** Checks frame, version and checksum; returns the value as a Buffer view. */
export function openFrame(key: Uint8Array, value: Uint8Array, kind: string, supportedVersion: number, minPayload: number): Buffer {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (bytes.length < FRAME_BYTES + minPayload) {
    throw new LobError('CORRUPTION', `${kind} value at key ${describeKey(key)} is ${bytes.length} bytes, too short`);
  }
  const stored = bytes.readUInt32LE(bytes.length - 4);
  if (stored !== crc32(bytes, 0, bytes.length - 4)) {
    throw new LobError('CORRUPTION', `${kind} value at key ${describeKey(key)} fails its checksum`);
  }
  if (bytes[0] > supportedVersion || bytes[0] === 0) {
    throw new LobError(
      'UNSUPPORTED_VERSION',
      `${kind} value at key ${describeKey(key)} has format version ${bytes[0]}; this build reads up to ${supportedVersion}`,
    );
  }
  return bytes;
}

/** The payload of a framed value, checked. */
export function payloadOf(key: Uint8Array, value: Uint8Array, kind: string, supportedVersion: number): Uint8Array {
  const bytes = openFrame(key, value, kind, supportedVersion, 0);
  return bytes.subarray(1, bytes.length - 4);
}

/** Runs a decoder over a payload; a malformed payload is CORRUPTION naming the key. */
export function decodePayload<T>(key: Uint8Array, kind: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof LobError) throw error;
    throw new LobError('CORRUPTION', `${kind} value at key ${describeKey(key)} is malformed: ${(error as Error).message}`, { cause: error });
  }
}

// ---------------------------------------------------------------- format

export function encodeFormat(version = DATABASE_FORMAT_VERSION): Buffer {
  const value = frame(version, DATABASE_MAGIC.length);
  DATABASE_MAGIC.copy(value, 1);
  return seal(value);
}

/**
 * The stored database format version; NOT_A_DATABASE when the magic is missing. The checksum is
 * checked first: a marker of the right length whose checksum fails is a damaged lobcore marker
 * (a flipped byte in its magic too), not some other program's key.
 */
export function decodeFormat(key: Uint8Array, value: Uint8Array): number {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const notOurs = (): LobError => new LobError('NOT_A_DATABASE', `key ${describeKey(key)} does not hold the lobcore format marker`);
  if (bytes.length !== DATABASE_MAGIC.length + FRAME_BYTES) throw notOurs();
  if (bytes.readUInt32LE(bytes.length - 4) !== crc32(bytes, 0, bytes.length - 4)) {
    throw new LobError('CORRUPTION', `format value at key ${describeKey(key)} fails its checksum`);
  }
  if (!bytes.subarray(1, 1 + DATABASE_MAGIC.length).equals(DATABASE_MAGIC)) throw notOurs();
  return bytes[0];
}

// ---------------------------------------------------------------- head

export interface HeadState {
  height: number;
  /** Sequence of the last journal entry written; 0 before the first. */
  lastSequence: number;
  nextOrderId: number;
  nextFillSeq: number;
  nextEventSeq: number;
}

export function encodeHead(head: HeadState): Buffer {
  const value = frame(HEAD_VERSION, 40);
  value.writeDoubleLE(head.height, 1);
  value.writeDoubleLE(head.lastSequence, 9);
  value.writeDoubleLE(head.nextOrderId, 17);
  value.writeDoubleLE(head.nextFillSeq, 25);
  value.writeDoubleLE(head.nextEventSeq, 33);
  return seal(value);
}

export function decodeHead(key: Uint8Array, value: Uint8Array): HeadState {
  const bytes = openFrame(key, value, 'head', HEAD_VERSION, 40);
  if (bytes[0] < HEAD_VERSION) {
    throw new LobError('UNSUPPORTED_VERSION', `head value at key ${describeKey(key)} has format version ${bytes[0]}, older than this build reads`);
  }
  return {
    height: bytes.readDoubleLE(1),
    lastSequence: bytes.readDoubleLE(9),
    nextOrderId: bytes.readDoubleLE(17),
    nextFillSeq: bytes.readDoubleLE(25),
    nextEventSeq: bytes.readDoubleLE(33),
  };
}

// ---------------------------------------------------------------- journal and events

/** entries: the journal payload, in parts. */
export function encodeJournal(...entries: Uint8Array[]): Buffer {
  return framed(JOURNAL_VERSION, ...entries);
}

/** A journal value of `entries` (its parts), its bytes from `memory`. */
export function encodeJournalIn(memory: ValueMemory, entries: Uint8Array[]): Buffer {
  return framedIn(memory, JOURNAL_VERSION, entries);
}

export function journalPayload(key: Uint8Array, value: Uint8Array): Uint8Array {
  const bytes = openFrame(key, value, 'journal', JOURNAL_VERSION, 1);
  if (bytes[0] < JOURNAL_VERSION) {
    throw new LobError('UNSUPPORTED_VERSION', `journal value at key ${describeKey(key)} has format version ${bytes[0]}, older than this build reads`);
  }
  return bytes.subarray(1, bytes.length - 4);
}

/** block: the event block's payload, in parts. */
export function encodeEvents(...block: Uint8Array[]): Buffer {
  return framed(EVENTS_VERSION, ...block);
}

/** An event block's value (its parts), its bytes from `memory`. */
export function encodeEventsIn(memory: ValueMemory, block: Uint8Array[]): Buffer {
  return framedIn(memory, EVENTS_VERSION, block);
}

export function eventsPayload(key: Uint8Array, value: Uint8Array): Uint8Array {
  return payloadOf(key, value, 'events', EVENTS_VERSION);
}

// ---------------------------------------------------------------- one-number values

export function encodeUint(n: number): Buffer {
  const out = new ByteWriter(10);
  out.uint(n);
  return framed(UINT_VERSION, out.view());
}

export function decodeUint(key: Uint8Array, value: Uint8Array, kind: string): number {
  const payload = payloadOf(key, value, kind, UINT_VERSION);
  return decodePayload(key, kind, () => new ByteReader(payload).uint());
}

/** An index entry whose key says everything. */
export const EMPTY_VALUE = framed(UINT_VERSION, new Uint8Array(0));

// ---------------------------------------------------------------- postings

/** A posting key's postings, one per index in each array (values: trader-order's orderIds only). */
export interface Postings {
  /** A trader posting's height (an order touch has none: 0). */
  heights: number[];
  seqs: number[];
  values: number[];
}

/**
 * The postings a posting key holds, as index-window.mjs writes them, appended to `out`: the key's
 * own posting first (a trader key is trader, height, seq; an order touch's, order, seq), then
 * those its list frame holds (frame version 2: at the key's height; 3: a trader's list across
 * heights, each further posting led by its height's delta).
 */
export function decodePostings(key: Uint8Array, value: Uint8Array, kind: string, withValues: boolean, out: Postings): void {
  const trader = key.length === 25;
  const firstHeight = trader ? readU64BE(key, 9) : 0;
  const firstSeq = readU64BE(key, key.length - 8);
  const bytes = openFrame(key, value, kind, TRADER_LIST_VERSION, 0);
  decodePayload(key, kind, () => {
    const r = new ByteReader(bytes, 1, bytes.length - 4);
    out.heights.push(firstHeight);
    out.seqs.push(firstSeq);
    if (withValues) out.values.push(r.uint());
    if (bytes[0] === UINT_VERSION) {
      if (!r.done) throw new Error(`${r.end - r.offset} bytes left over`);
      return;
    }
    const acrossHeights = bytes[0] === TRADER_LIST_VERSION;
    if (acrossHeights && !trader) throw new Error('a list across heights on a key without a height');
    let height = firstHeight;
    let seq = firstSeq;
    while (!r.done) {
      if (acrossHeights) height += r.uint();
      const delta = r.uint();
      if (delta < 1) throw new Error('postings out of order');
      seq += delta;
      out.heights.push(height);
      out.seqs.push(seq);
      if (withValues) out.values.push(r.uint());
    }
  });
}

/**
 * The order touches an ORDER_TOUCHES key (bucket, first sequence) holds, as index-window.mjs
 * writes them, into `orderIds` and `seqs`: in order of sequence, then of order id.
 */
export function decodeOrderTouches(key: Uint8Array, value: Uint8Array, orderIds: number[], seqs: number[]): void {
  const kind = 'order-touches';
  const [bucket, firstSeq] = keyIntegers(key, Prefix.ORDER_TOUCHES, 2);
  const firstOrderId = bucket * ORDERS_PER_TOUCH_BUCKET;
  const bytes = openFrame(key, value, kind, ORDER_TOUCHES_VERSION, 1);
  decodePayload(key, kind, () => {
    const r = new ByteReader(bytes, 1, bytes.length - 4);
    let seq = firstSeq;
    let offset = r.uint();
    for (;;) {
      if (offset >= ORDERS_PER_TOUCH_BUCKET) throw new Error(`order offset ${offset} is outside its bucket`);
      orderIds.push(firstOrderId + offset);
      seqs.push(seq);
      if (r.done) return;
      const delta = r.uint();
      const next = r.uint();
      if (delta === 0 && next <= offset) throw new Error('touches out of order');
      if (delta > Number.MAX_SAFE_INTEGER - seq) throw new Error(`sequence ${seq} + ${delta} is past 2^53`);
      seq += delta;
      offset = next;
    }
  });
}

// ---------------------------------------------------------------- checkpoint manifest

export interface CheckpointManifest {
  /** The journal sequence the snapshot reflects: every entry up to it, none after. */
  sequence: number;
  height: number;
  nextFillSeq: number;
  nextOrderId: number;
  nextEventSeq: number;
  restingOrders: number;
  /** Snapshot length. */
  byteLength: number;
  chunkCount: number;
  chunkBytes: number;
  /** sha256 of the snapshot: its checksum, and the engine's state hash. */
  sha256: Buffer;
  /** Each asset's feed sequence at `sequence` (assets never in the feed are left out). */
  feedSeqs: Array<[number, number]>;
  /** Where the snapshot's bytes are: chunks in the store, or a file beside the database. */
  where: SnapshotWhere;
}

export const SnapshotWhere = { CHUNKS: 1, FILE: 2 } as const;
export type SnapshotWhere = (typeof SnapshotWhere)[keyof typeof SnapshotWhere];

export function encodeCheckpoint(m: CheckpointManifest): Buffer {
  const out = new ByteWriter(128 + m.feedSeqs.length * 8);
  for (const field of [m.sequence, m.height, m.nextFillSeq, m.nextOrderId, m.restingOrders, m.byteLength, m.chunkCount, m.chunkBytes]) out.f64(field);
  out.raw(m.sha256);
  out.uint(m.nextEventSeq);
  out.uint(m.feedSeqs.length);
  for (const [asset, seq] of m.feedSeqs) {
    out.uint(asset);
    out.uint(seq);
  }
  out.byte(m.where);
  return framed(CHECKPOINT_VERSION, out.view());
}

export function decodeCheckpoint(key: Uint8Array, value: Uint8Array): CheckpointManifest {
  const bytes = openFrame(key, value, 'checkpoint', CHECKPOINT_VERSION, 8 * 8 + 32);
  if (bytes[0] < 2) {
    throw new LobError('UNSUPPORTED_VERSION', `checkpoint value at key ${describeKey(key)} has format version ${bytes[0]}, older than this build reads`);
  }
  const version = bytes[0];
  return decodePayload(key, 'checkpoint', () => {
    const r = new ByteReader(bytes, 1, bytes.length - 4);
    const f = (): number => r.f64();
    const manifest: CheckpointManifest = {
      sequence: f(), height: f(), nextFillSeq: f(), nextOrderId: f(), restingOrders: f(), byteLength: f(), chunkCount: f(),
      chunkBytes: f(), sha256: Buffer.from(r.raw(32)), nextEventSeq: 0, feedSeqs: [], where: SnapshotWhere.CHUNKS,
    };
    manifest.nextEventSeq = r.uint();
    for (let n = r.uint(); n > 0; n--) manifest.feedSeqs.push([r.uint(), r.uint()]);
    if (version >= 3) {
      const where = r.byte();
      if (where !== SnapshotWhere.CHUNKS && where !== SnapshotWhere.FILE) throw new Error(`its snapshot is in an unknown place (${where})`);
      manifest.where = where;
    }
    if (!r.done) throw new Error(`${r.end - r.offset} bytes left over`);
    checkManifestFields(manifest, keyIntegers(key, Prefix.CHECKPOINT, 1)[0]);
    return manifest;
  });
}

/**
 * Past a snapshot's largest possible size: the WebAssembly core's memory is at most 4 GiB, and a
 * snapshot is read into one buffer of its length (a forged length must not ask for more).
 */
const MAX_SNAPSHOT_BYTES = 2 ** 32;

/**
 * A manifest's numbers must be what a checkpoint writes: they become a file's name, a buffer's
 * length, a loop's count, and where the replay starts. The checksum only says they were stored
 * as written, not that they were written by a checkpoint of this key.
 */
function checkManifestFields(m: CheckpointManifest, keySequence: number): void {
  const counts = { sequence: m.sequence, height: m.height, nextFillSeq: m.nextFillSeq, nextOrderId: m.nextOrderId, restingOrders: m.restingOrders, chunkCount: m.chunkCount };
  for (const [field, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`its ${field} (${value}) is not a non-negative integer`);
  }
  for (const [field, value] of Object.entries({ byteLength: m.byteLength, chunkBytes: m.chunkBytes })) {
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SNAPSHOT_BYTES) throw new Error(`its ${field} (${value}) is not a byte length from 0 to ${MAX_SNAPSHOT_BYTES}`);
  }
  if (m.chunkCount > MAX_SNAPSHOT_BYTES) throw new Error(`its chunkCount (${m.chunkCount}) is more than a snapshot's bytes could be`);
  if (m.sequence !== keySequence) throw new Error(`its sequence (${m.sequence}) is not its key's (${keySequence})`);
}
