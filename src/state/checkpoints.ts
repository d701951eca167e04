// Checkpoints: the canonical snapshot of every book (snapshot.ts) at an exact journal sequence,
// stored as chunks of a megabyte under one manifest. The chunks are written first, a few at a
// time behind the commits (a write of tens of MB would hold the next commit up for as long), and
// the manifest last: a checkpoint exists once its manifest does, and chunks a crash left without
// one are deleted on open. The manifest carries the snapshot's sha256, which is both its checksum
// and the engine's state hash.
import { LobError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from './codecs.js';
import type { CheckpointManifest } from './codecs.js';
import { Prefix, checkpointKey, chunkKey, chunkRange, describeKey, keyIntegers, prefixRange, readU64BE } from './keys.js';
import type { KeyValueStore } from './memory-store.js';
import type { StoreBatch } from './store-wire.js';

/** Small enough that writing one holds a commit up for about a millisecond, large enough that a big book is a few dozen keys. */
export const CHUNK_BYTES = 1024 * 1024;

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

export interface CheckpointState {
  sequence: number;
  height: number;
  nextFillSeq: number;
  nextOrderId: number;
  nextEventSeq: number;
  restingOrders: number;
  feedSeqs: Array<[number, number]>;
}

/** The keys of a snapshot's chunks: chunk i holds bytes [i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES). */
export function checkpointChunkKeys(sequence: number, byteLength: number): Buffer[] {
  const chunkCount = Math.max(1, Math.ceil(byteLength / CHUNK_BYTES));
  const out: Buffer[] = [];
  for (let i = 0; i < chunkCount; i++) out.push(chunkKey(sequence, i));
  return out;
}

/** Puts the manifest of a checkpoint whose chunks are written (or go in the same batch) into `batch`; returns it. */
export function putManifest(batch: StoreBatch, state: CheckpointState, byteLength: number, digest: Buffer): CheckpointManifest {
  const chunkCount = Math.max(1, Math.ceil(byteLength / CHUNK_BYTES));
  const manifest: CheckpointManifest = { ...state, byteLength, chunkCount, chunkBytes: CHUNK_BYTES, sha256: digest };
  batch.put(checkpointKey(state.sequence), encodeCheckpoint(manifest));
  return manifest;
}

/** Deletes chunks a crash left without their manifest (a checkpoint cut off while being written). */
export async function deleteOrphanChunks(store: KeyValueStore, manifests: readonly ManifestEntry[]): Promise<number> {
  const kept = new Set(manifests.map((m) => m.sequence));
  const batch = store.batch();
  for (const key of await store.keys(prefixRange(Prefix.CHUNK))) {
    if (!kept.has(readU64BE(key, 1))) batch.del(key);
  }
  const deleted = batch.length;
  if (deleted > 0) await store.write(batch, { sync: false });
  return deleted;
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

/**
 * Reads and verifies a checkpoint's snapshot: every chunk present, the right length, the sha256.
 * The store joins the chunks into one shared buffer and hashes them on its own thread.
 */
export async function loadSnapshot(store: KeyValueStore, manifest: CheckpointManifest): Promise<Uint8Array> {
  const key = checkpointKey(manifest.sequence);
  const joined = await store.readJoined(chunkRange(manifest.sequence), manifest.byteLength);
  if (joined.count !== manifest.chunkCount) {
    throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} has ${joined.count} chunks, its manifest says ${manifest.chunkCount}`);
  }
  if (joined.length !== manifest.byteLength) {
    throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} chunks hold ${joined.length} bytes, its manifest says ${manifest.byteLength}`);
  }
  if (!joined.sha256.equals(manifest.sha256)) {
    throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} fails its sha256 checksum`);
  }
  return joined.bytes;
}
