// A record of a shard's stream: what the leader appends and every replica applies.
//
//   0  u8   format version (1)
//   1  u8   kind: 1 claim (an epoch begins), 2 batch (commands)
//   2  u16  0
//   4  u32  shard
//   8  f64  epoch: the leader's term; a claim raises it, a batch repeats it
//  16  f64  batchSeq: position in the shard's hash chain, 1, 2, 3, ...
//  24  f64  clientId    batch: the requesting client; claim: 0
//  32  f64  requestSeq  batch: the client's request number; claim: the claiming member's id
//  40  32B  prevHash: sha256 of the whole previous record (zeros before the first)
//  72  u32  command bytes that follow (CommandBatch.bytes(), opaque here)
//  76  u32  0
//  80  ...  commands
//
// A record's own hash is sha256 of all its bytes, so each record names its predecessor and
// every replica can tell the next record of the chain from a duplicate or a stray.
import { createHash } from 'node:crypto';
import { LobError } from '../../errors.js';
import { checkHeader, viewOf } from './bytes.js';

export const RECORD_VERSION = 1;
export const RECORD_HEADER_BYTES = 80;
export const HASH_BYTES = 32;
export const ZERO_HASH = new Uint8Array(HASH_BYTES);

export const RecordKind = { CLAIM: 1, BATCH: 2 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export interface RecordFields {
  kind: RecordKind;
  shard: number;
  epoch: number;
  batchSeq: number;
  clientId: number;
  requestSeq: number;
  prevHash: Uint8Array;
}

export interface DecodedRecord extends RecordFields {
  /** A view into the record's bytes. */
  commands: Uint8Array;
}

export function encodeRecord(fields: RecordFields, commands: Uint8Array = new Uint8Array(0)): Uint8Array {
  const bytes = new Uint8Array(RECORD_HEADER_BYTES + commands.byteLength);
  const view = viewOf(bytes);
  bytes[0] = RECORD_VERSION;
  bytes[1] = fields.kind;
  view.setUint32(4, fields.shard, true);
  view.setFloat64(8, fields.epoch, true);
  view.setFloat64(16, fields.batchSeq, true);
  view.setFloat64(24, fields.clientId, true);
  view.setFloat64(32, fields.requestSeq, true);
  bytes.set(fields.prevHash, 40);
  view.setUint32(72, commands.byteLength, true);
  bytes.set(commands, RECORD_HEADER_BYTES);
  return bytes;
}

/**
 * Throws CORRUPTION (or UNSUPPORTED_VERSION) for bytes that are not a whole record, or whose
 * numbers are not what a member writes: a NaN or fractional position would compare its way past
 * the chain rule, and an epoch of Infinity or 2^53 would leave no epoch for the next claim.
 */
export function decodeRecord(bytes: Uint8Array): DecodedRecord {
  if (bytes.byteLength < RECORD_HEADER_BYTES) throw new LobError('CORRUPTION', `stream record: ${bytes.byteLength} bytes, shorter than its header`);
  const kind = bytes[1];
  const view = checkHeader(bytes, 'stream record', RECORD_HEADER_BYTES, RECORD_VERSION, kind);
  if (kind !== RecordKind.CLAIM && kind !== RecordKind.BATCH) throw new LobError('CORRUPTION', `stream record: unknown kind ${kind}`);
  const length = view.getUint32(72, true);
  if (RECORD_HEADER_BYTES + length !== bytes.byteLength) {
    throw new LobError('CORRUPTION', `stream record: header says ${length} command bytes, ${bytes.byteLength - RECORD_HEADER_BYTES} follow`);
  }
  const batch = kind === RecordKind.BATCH;
  return {
    kind,
    shard: view.getUint32(4, true),
    epoch: recordInteger('epoch', view.getFloat64(8, true), 1),
    batchSeq: recordInteger('batchSeq', view.getFloat64(16, true), 1),
    // A claim has no client; its requestSeq is the claiming member's id, which may be 0.
    clientId: batch ? recordInteger('clientId', view.getFloat64(24, true), 1) : recordInteger('clientId', view.getFloat64(24, true), 0, 0),
    requestSeq: recordInteger('requestSeq', view.getFloat64(32, true), batch ? 1 : 0),
    prevHash: bytes.subarray(40, 40 + HASH_BYTES),
    commands: bytes.subarray(RECORD_HEADER_BYTES),
  };
}

/** Leaves one epoch and one position free above any value, so a successor always exists. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER - 1;

function recordInteger(field: string, value: number, least: number, most = MAX_COUNTER): number {
  if (!Number.isSafeInteger(value) || value < least || value > most) {
    throw new LobError('CORRUPTION', `stream record: ${field} must be an integer from ${least} to ${most}, got ${value}`);
  }
  return value;
}

export function recordHash(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}
