// The two small messages that travel on core NATS beside the stream (never stored in it):
//
// Heartbeat, the leader's liveness beacon, 32 bytes:
//   0 u8 version (1) | 1 u8 kind (5) | 2 u16 0 | 4 u32 shard | 8 f64 epoch | 16 f64 memberId | 24 f64 streamSeq
//
// Hash report, a member's state at a checkpoint mark, 80 bytes:
//   0 u8 version (1) | 1 u8 kind (6) | 2 u16 0 | 4 u32 shard | 8 f64 memberId | 16 f64 streamSeq
//   24 f64 batchSeq | 32 f64 epoch | 40 u32 0 | 44 u32 0 | 48 32B state hash (sha256 of the books)
import { LobError } from '../../errors.js';
import { bytesToHex, checkHeader, hexToBytes, viewOf } from './bytes.js';

const SIGNAL_VERSION = 1;
const HEARTBEAT_KIND = 5;
const HASH_REPORT_KIND = 6;
const HEARTBEAT_BYTES = 32;
const HASH_REPORT_BYTES = 80;

export interface Heartbeat {
  shard: number;
  epoch: number;
  memberId: number;
  streamSeq: number;
}

export interface HashReport {
  shard: number;
  memberId: number;
  streamSeq: number;
  batchSeq: number;
  epoch: number;
  /** Hex, as stateHash() gives it. */
  stateHash: string;
}

export function encodeHeartbeat(h: Heartbeat): Uint8Array {
  const bytes = new Uint8Array(HEARTBEAT_BYTES);
  const view = viewOf(bytes);
  bytes[0] = SIGNAL_VERSION;
  bytes[1] = HEARTBEAT_KIND;
  view.setUint32(4, h.shard, true);
  view.setFloat64(8, h.epoch, true);
  view.setFloat64(16, h.memberId, true);
  view.setFloat64(24, h.streamSeq, true);
  return bytes;
}

/** Throws CORRUPTION naming the field for bytes that are not a heartbeat a member could send. */
export function decodeHeartbeat(bytes: Uint8Array): Heartbeat {
  const view = checkHeader(bytes, 'heartbeat', HEARTBEAT_BYTES, SIGNAL_VERSION, HEARTBEAT_KIND);
  // A NaN epoch passes every `<` check, so it would pass for a live leader's beat for good.
  return {
    shard: view.getUint32(4, true),
    epoch: signalInteger('heartbeat', 'epoch', view.getFloat64(8, true), 1),
    memberId: signalInteger('heartbeat', 'memberId', view.getFloat64(16, true), 0),
    streamSeq: signalInteger('heartbeat', 'streamSeq', view.getFloat64(24, true), 0),
  };
}

function signalInteger(what: string, field: string, value: number, least: number): number {
  if (!Number.isSafeInteger(value) || value < least) throw new LobError('CORRUPTION', `${what}: ${field} must be a safe integer >= ${least}, got ${value}`);
  return value;
}

export function encodeHashReport(r: HashReport): Uint8Array {
  const bytes = new Uint8Array(HASH_REPORT_BYTES);
  const view = viewOf(bytes);
  bytes[0] = SIGNAL_VERSION;
  bytes[1] = HASH_REPORT_KIND;
  view.setUint32(4, r.shard, true);
  view.setFloat64(8, r.memberId, true);
  view.setFloat64(16, r.streamSeq, true);
  view.setFloat64(24, r.batchSeq, true);
  view.setFloat64(32, r.epoch, true);
  hexToBytes(r.stateHash, bytes, 48);
  return bytes;
}

export function decodeHashReport(bytes: Uint8Array): HashReport {
  const view = checkHeader(bytes, 'hash report', HASH_REPORT_BYTES, SIGNAL_VERSION, HASH_REPORT_KIND);
  // A NaN position would never meet its own, so a diverged member could hide behind it.
  return {
    shard: view.getUint32(4, true),
    memberId: signalInteger('hash report', 'memberId', view.getFloat64(8, true), 0),
    streamSeq: signalInteger('hash report', 'streamSeq', view.getFloat64(16, true), 1),
    batchSeq: signalInteger('hash report', 'batchSeq', view.getFloat64(24, true), 1),
    epoch: signalInteger('hash report', 'epoch', view.getFloat64(32, true), 1),
    stateHash: bytesToHex(bytes.subarray(48, 80)),
  };
}
