// Checkpoints: the canonical snapshot of every book (snapshot.ts) at an exact journal sequence,
// stored as chunks of a few MB under one manifest, all in one write batch. The manifest carries
// the snapshot's sha256, which is both its checksum and the engine's state hash.
import { webcrypto } from 'node:crypto';
import { LobError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from './codecs.js';
import type { CheckpointManifest } from './codecs.js';
import { Prefix, checkpointKey, chunkKey, chunkRange, describeKey, keyIntegers, prefixRange } from './keys.js';
import type { KeyValueStore } from './memory-store.js';
import type { StoreBatch } from './store-wire.js';

/** Small enough to keep RocksDB's value handling cheap, large enough that a big book is a few dozen keys. */
export const CHUNK_BYTES = 4 * 1024 * 1024;

export interface CheckpointInfo {
  /** Journal sequence the checkpoint reflects. */
  sequence: number;
  height: number;
  /** Snapshot length in bytes. */
  bytes: number;
  /** sha256 of the snapshot: equals the engine's stateHash() at that sequence. */
  stateHash: string;
  chunks: number;
  restingOrders: number;
  nextOrderId: number;
  nextFillSeq: number;
}

export function checkpointInfo(m: CheckpointManifest): CheckpointInfo {
  return {
    sequence: m.sequence,
    height: m.height,
    bytes: m.byteLength,
    stateHash: m.sha256.toString('hex'),
    chunks: m.chunkCount,
    restingOrders: m.restingOrders,
    nextOrderId: m.nextOrderId,
    nextFillSeq: m.nextFillSeq,
  };
}

/** sha256 on the thread pool (WebCrypto), so hashing a large snapshot does not block matching. */
export async function sha256(bytes: Uint8Array): Promise<Buffer> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes));
}

export interface CheckpointState {
  sequence: number;
  height: number;
  nextFillSeq: number;
  nextOrderId: number;
  nextEventSeq: number;
  restingOrders: number;
  feedSeqs: Array<[number, number]>;
}

/** Puts the manifest and every chunk of `snapshot` into `batch`; returns the manifest. */
export function putCheckpoint(batch: StoreBatch, state: CheckpointState, snapshot: Uint8Array, digest: Buffer): CheckpointManifest {
  const chunkCount = Math.max(1, Math.ceil(snapshot.byteLength / CHUNK_BYTES));
  for (let i = 0; i < chunkCount; i++) {
    batch.put(chunkKey(state.sequence, i), snapshot.subarray(i * CHUNK_BYTES, Math.min(snapshot.byteLength, (i + 1) * CHUNK_BYTES)));
  }
  const manifest: CheckpointManifest = { ...state, byteLength: snapshot.byteLength, chunkCount, chunkBytes: CHUNK_BYTES, sha256: digest };
  batch.put(checkpointKey(state.sequence), encodeCheckpoint(manifest));
  return manifest;
}

/** Deletes a checkpoint's manifest and chunks. */
export async function deleteCheckpoint(store: KeyValueStore, batch: StoreBatch, sequence: number): Promise<void> {
  for (const key of await store.keys(chunkRange(sequence))) batch.del(key);
  batch.del(checkpointKey(sequence));
}

export type ManifestEntry =
  | { key: Uint8Array; sequence: number; manifest: CheckpointManifest; error?: undefined }
  | { key: Uint8Array; sequence: number; manifest?: undefined; error: LobError };

/** Every stored manifest, oldest first; an unreadable one is listed with its error, not dropped. */
export async function readManifests(store: KeyValueStore): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for (const [key, value] of await store.entries(prefixRange(Prefix.CHECKPOINT))) {
    const [sequence] = keyIntegers(key, Prefix.CHECKPOINT, 1);
    try {
      out.push({ key, sequence, manifest: decodeCheckpoint(key, value) });
    } catch (error) {
      if (!(error instanceof LobError)) throw error;
      out.push({ key, sequence, error });
    }
  }
  return out;
}

/** Reads and verifies a checkpoint's snapshot: every chunk present, the right length, the sha256. */
export async function loadSnapshot(store: KeyValueStore, manifest: CheckpointManifest): Promise<Uint8Array> {
  const key = checkpointKey(manifest.sequence);
  const chunks = await store.entries(chunkRange(manifest.sequence));
  if (chunks.length !== manifest.chunkCount) {
    throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} has ${chunks.length} chunks, its manifest says ${manifest.chunkCount}`);
  }
  const snapshot = new Uint8Array(manifest.byteLength);
  let offset = 0;
  for (const [, chunk] of chunks) {
    if (offset + chunk.length > snapshot.length) {
      throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} chunks are longer than its ${manifest.byteLength} bytes`);
    }
    snapshot.set(chunk, offset);
    offset += chunk.length;
  }
  if (offset !== manifest.byteLength) {
    throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} chunks hold ${offset} bytes, its manifest says ${manifest.byteLength}`);
  }
  const digest = await sha256(snapshot);
  if (!digest.equals(manifest.sha256)) {
    throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} fails its sha256 checksum`);
  }
  return snapshot;
}
