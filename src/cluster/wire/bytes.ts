// Shared helpers of the cluster's binary messages: every message starts with a format version
// byte and a kind byte; numbers are float64 little-endian (integers below 2^53, as in batches).
import { LobError } from '../../errors.js';

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Throws CORRUPTION naming `what` unless `bytes` is at least `minimum` long with the expected version and kind. */
export function checkHeader(bytes: Uint8Array, what: string, minimum: number, version: number, kind: number): DataView {
  if (bytes.byteLength < minimum) throw new LobError('CORRUPTION', `${what}: ${bytes.byteLength} bytes, shorter than its ${minimum}-byte header`);
  if (bytes[0] !== version) {
    throw new LobError(bytes[0] > version ? 'UNSUPPORTED_VERSION' : 'CORRUPTION', `${what}: format version ${bytes[0]}, expected ${version}`);
  }
  if (bytes[1] !== kind) throw new LobError('CORRUPTION', `${what}: kind ${bytes[1]}, expected ${kind}`);
  return viewOf(bytes);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hexToBytes(hex: string, into: Uint8Array, offset: number): void {
  for (let i = 0; i < hex.length / 2; i++) into[offset + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
