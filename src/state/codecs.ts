// Binary values of a lobcore database. Every value is framed the same way:
//
//   byte 0          format version of this kind of value
//   bytes 1..n-5    the payload (below; integers as little-endian float64, exact below 2^53)
//   last 4 bytes    CRC-32 of everything before it, little-endian
//
// A value with a bad length or checksum is CORRUPTION, one with a newer version is
// UNSUPPORTED_VERSION; both messages name the key so an operator knows what is damaged.
//
//   format      "LOBCORE" magic (7 bytes), database format version (1 byte)
//   head        height, lastSequence, nextOrderId, nextFillSeq
//   journal     entryCount:u32, then segments in order:
//                 0x01 count:u32 commands (count x COMMAND_BYTES records, src/operations.ts)
//                 0x02 height:f64 (a setHeight)
//   fill-block, order-fills, trader-fills: see fill-codecs.ts
//   checkpoint  sequence, height, nextFillSeq, nextOrderId, restingOrders, byteLength,
//               chunkCount, chunkBytes, sha256 of the snapshot (32 bytes)
//   chunk       raw snapshot bytes (no frame: the manifest's sha256 covers all chunks)
import { LobError } from '../errors.js';
import { COMMAND_BYTES } from '../operations.js';
import { crc32 } from './crc32.js';
import { describeKey } from './keys.js';

/**
 * The layout of the database as a whole; bump when keys or value framing change incompatibly.
 * 1: one key per fill plus four index keys per fill. 2: fill blocks and per-flush postings.
 * 3: command records of 96 bytes (room for trigger prices, budgets and flags).
 */
export const DATABASE_FORMAT_VERSION = 3;
const DATABASE_MAGIC = Buffer.from('LOBCORE', 'latin1');

const HEAD_VERSION = 1;
const JOURNAL_VERSION = 2;
const CHECKPOINT_VERSION = 1;

export const FRAME_BYTES = 1 + 4;

export const JournalSegment = { COMMANDS: 0x01, HEIGHT: 0x02 } as const;

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

// ---------------------------------------------------------------- format

export function encodeFormat(version = DATABASE_FORMAT_VERSION): Buffer {
  const value = frame(version, DATABASE_MAGIC.length);
  DATABASE_MAGIC.copy(value, 1);
  return seal(value);
}

/** The stored database format version; NOT_A_DATABASE when the magic is missing. */
export function decodeFormat(key: Uint8Array, value: Uint8Array): number {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (bytes.length !== DATABASE_MAGIC.length + FRAME_BYTES || !bytes.subarray(1, 1 + DATABASE_MAGIC.length).equals(DATABASE_MAGIC)) {
    throw new LobError('NOT_A_DATABASE', `key ${describeKey(key)} does not hold the lobcore format marker`);
  }
  if (bytes.readUInt32LE(bytes.length - 4) !== crc32(bytes, 0, bytes.length - 4)) {
    throw new LobError('CORRUPTION', `format value at key ${describeKey(key)} fails its checksum`);
  }
  return bytes[0];
}

// ---------------------------------------------------------------- head

export interface HeadState {
  height: number;
  /** Sequence of the last journal entry written; 0 before the first. */
  lastSequence: number;
  nextOrderId: number;
  nextFillSeq: number;
}

export function encodeHead(head: HeadState): Buffer {
  const value = frame(HEAD_VERSION, 32);
  value.writeDoubleLE(head.height, 1);
  value.writeDoubleLE(head.lastSequence, 9);
  value.writeDoubleLE(head.nextOrderId, 17);
  value.writeDoubleLE(head.nextFillSeq, 25);
  return seal(value);
}

export function decodeHead(key: Uint8Array, value: Uint8Array): HeadState {
  const bytes = openFrame(key, value, 'head', HEAD_VERSION, 32);
  return {
    height: bytes.readDoubleLE(1),
    lastSequence: bytes.readDoubleLE(9),
    nextOrderId: bytes.readDoubleLE(17),
    nextFillSeq: bytes.readDoubleLE(25),
  };
}

// ---------------------------------------------------------------- journal

/** One decoded journal segment: a run of commands, or a height change. */
export type JournalEntryRun =
  | { kind: 'commands'; count: number; bytes: Uint8Array }
  | { kind: 'height'; height: number };

export interface JournalSegmentSource {
  /** Commands as raw batch records, or a height change. */
  readonly runs: readonly (
    | { kind: 'commands'; slots: Float64Array; start: number; count: number }
    | { kind: 'height'; height: number }
  )[];
  readonly entryCount: number;
}

export function encodeJournal(source: JournalSegmentSource): Buffer {
  let payload = 4;
  for (const run of source.runs) payload += run.kind === 'commands' ? 5 + run.count * COMMAND_BYTES : 9;
  const value = frame(JOURNAL_VERSION, payload);
  value.writeUInt32LE(source.entryCount, 1);
  let o = 5;
  for (const run of source.runs) {
    if (run.kind === 'commands') {
      value[o] = JournalSegment.COMMANDS;
      value.writeUInt32LE(run.count, o + 1);
      o += 5;
      const bytes = new Uint8Array(run.slots.buffer, run.slots.byteOffset + run.start * COMMAND_BYTES, run.count * COMMAND_BYTES);
      value.set(bytes, o);
      o += bytes.length;
    } else {
      value[o] = JournalSegment.HEIGHT;
      value.writeDoubleLE(run.height, o + 1);
      o += 9;
    }
  }
  return seal(value);
}

export function decodeJournal(key: Uint8Array, value: Uint8Array): { entryCount: number; runs: JournalEntryRun[] } {
  const bytes = openFrame(key, value, 'journal', JOURNAL_VERSION, 4);
  const end = bytes.length - 4;
  const entryCount = bytes.readUInt32LE(1);
  const runs: JournalEntryRun[] = [];
  let entries = 0;
  let o = 5;
  while (o < end) {
    const tag = bytes[o];
    if (tag === JournalSegment.COMMANDS && o + 5 <= end) {
      const count = bytes.readUInt32LE(o + 1);
      const length = count * COMMAND_BYTES;
      if (o + 5 + length > end) break;
      runs.push({ kind: 'commands', count, bytes: bytes.subarray(o + 5, o + 5 + length) });
      entries += count;
      o += 5 + length;
    } else if (tag === JournalSegment.HEIGHT && o + 9 <= end) {
      runs.push({ kind: 'height', height: bytes.readDoubleLE(o + 1) });
      entries += 1;
      o += 9;
    } else {
      break;
    }
  }
  if (o !== end || entries !== entryCount) {
    throw new LobError('CORRUPTION', `journal value at key ${describeKey(key)} is malformed at byte ${o} (entries ${entries} of ${entryCount})`);
  }
  return { entryCount, runs };
}

// ---------------------------------------------------------------- checkpoint manifest

export interface CheckpointManifest {
  /** The journal sequence the snapshot reflects: every entry up to it, none after. */
  sequence: number;
  height: number;
  nextFillSeq: number;
  nextOrderId: number;
  restingOrders: number;
  /** Snapshot length. */
  byteLength: number;
  chunkCount: number;
  chunkBytes: number;
  /** sha256 of the snapshot: its checksum, and the engine's state hash. */
  sha256: Buffer;
}

const CHECKPOINT_PAYLOAD = 8 * 8 + 32;

export function encodeCheckpoint(m: CheckpointManifest): Buffer {
  const value = frame(CHECKPOINT_VERSION, CHECKPOINT_PAYLOAD);
  const fields = [m.sequence, m.height, m.nextFillSeq, m.nextOrderId, m.restingOrders, m.byteLength, m.chunkCount, m.chunkBytes];
  fields.forEach((field, i) => value.writeDoubleLE(field, 1 + i * 8));
  m.sha256.copy(value, 1 + fields.length * 8);
  return seal(value);
}

export function decodeCheckpoint(key: Uint8Array, value: Uint8Array): CheckpointManifest {
  const bytes = openFrame(key, value, 'checkpoint', CHECKPOINT_VERSION, CHECKPOINT_PAYLOAD);
  const f = (i: number): number => bytes.readDoubleLE(1 + i * 8);
  return {
    sequence: f(0),
    height: f(1),
    nextFillSeq: f(2),
    nextOrderId: f(3),
    restingOrders: f(4),
    byteLength: f(5),
    chunkCount: f(6),
    chunkBytes: f(7),
    sha256: Buffer.from(bytes.subarray(65, 97)),
  };
}
