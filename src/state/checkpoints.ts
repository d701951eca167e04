// Checkpoints: the canonical snapshot of every book (snapshot.ts) at an exact journal sequence,
// under one manifest in the store. The snapshot is stored first, in a place of its own (a file
// beside the database, or chunks of a megabyte in the store), and the manifest last: a checkpoint
// exists once its manifest does, and what a crash left without one is deleted on open. The
// manifest carries the snapshot's sha256, which is both its checksum and the engine's state hash.
import { LobError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from './codecs.js';
import type { CheckpointManifest, SnapshotWhere } from './codecs.js';
import { Prefix, checkpointKey, describeKey, keyIntegers, prefixRange } from './keys.js';
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

/** What a checkpoint records of the machine: its manifest's fields, less those about the snapshot's bytes. */
export type CheckpointState = Pick<CheckpointManifest,
  'sequence' | 'height' | 'nextFillSeq' | 'nextOrderId' | 'nextEventSeq' | 'restingOrders' | 'feedSeqs'>;

/** How many CHUNK_BYTES pieces a snapshot of `byteLength` comes in (one at least). */
export const pieceCount = (byteLength: number): number => Math.max(1, Math.ceil(byteLength / CHUNK_BYTES));

/**
 * Where checkpoints keep their snapshots' bytes: chunks in the key-value store (checkpoint-chunks.ts:
 * the in-memory state machine, and checkpoints written before snapshot files) or a file each beside
 * the database (checkpoint-files.ts). The manifest, always in the store, records which.
 */
export interface SnapshotPlace {
  readonly where: SnapshotWhere;
  /** Starts storing the snapshot of `sequence`: pieces of CHUNK_BYTES, or the whole snapshot at once. */
  sink(sequence: number): SnapshotSink;
  /** The snapshot a manifest names, every byte of it, with the sha256 of what was read and how many pieces it was stored in. */
  read(manifest: CheckpointManifest): Promise<StoredSnapshot>;
  /**
   * Deletes the snapshot of `sequence`: what lives in the store goes into `batch`; the returned
   * function deletes the rest once `batch` is written (a file goes only after its manifest).
   */
  drop(batch: StoreBatch, sequence: number): Promise<() => Promise<void>>;
  /** Deletes what a crash left of snapshots whose manifest was never written; returns how many pieces or files. */
  dropOrphans(kept: ReadonlySet<number>): Promise<number>;
}

export interface SnapshotSink {
  /**
   * Piece `index` (bytes [index * CHUNK_BYTES, ...)): stored in any order, while the rest is still
   * being made. A promise, if one is returned, resolves once `bytes` are written and may be used
   * again; otherwise the place keeps them.
   */
  piece(index: number, bytes: Uint8Array): Promise<void> | undefined;
  /** The whole snapshot in one go (taken over: the caller must not touch it again). */
  whole(snapshot: Uint8Array): void;
  /** Resolves once every piece given is stored (durably where the place is a file). */
  complete(): Promise<void>;
  /** Removes whatever was stored of it. */
  discard(): Promise<void>;
}

export interface StoredSnapshot {
  /** manifest.byteLength bytes (those found beyond them are counted in `length`, not kept). */
  bytes: Uint8Array;
  /** How many bytes were found. */
  length: number;
  sha256: Buffer;
  /** How many chunks it was stored in (null: one file, which its length says all about). */
  pieces: number | null;
}

/** Puts the manifest of a checkpoint whose snapshot is stored at `where` into `batch`; returns it. */
export function putManifest(batch: StoreBatch, state: CheckpointState, byteLength: number, digest: Buffer, where: SnapshotWhere): CheckpointManifest {
  const manifest: CheckpointManifest = { ...state, byteLength, chunkCount: pieceCount(byteLength), chunkBytes: CHUNK_BYTES, sha256: digest, where };
  batch.put(checkpointKey(state.sequence), encodeCheckpoint(manifest));
  return manifest;
}

/** Deletes a checkpoint: its manifest in `batch`, its snapshot from `place` (the returned function finishes once `batch` is written). */
export async function dropCheckpoint(place: SnapshotPlace, batch: StoreBatch, sequence: number): Promise<() => Promise<void>> {
  batch.del(checkpointKey(sequence));
  return place.drop(batch, sequence);
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

/** Reads a checkpoint's snapshot from where its manifest says and checks it: every piece, the right length, the sha256. */
export async function loadSnapshot(place: SnapshotPlace, manifest: CheckpointManifest): Promise<Uint8Array> {
  const key = checkpointKey(manifest.sequence);
  const stored = await place.read(manifest);
  if (stored.pieces !== null && stored.pieces !== manifest.chunkCount) {
    throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} has ${stored.pieces} chunks, its manifest says ${manifest.chunkCount}`);
  }
  if (stored.length !== manifest.byteLength) {
    throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} holds ${stored.length} bytes, its manifest says ${manifest.byteLength}`);
  }
  if (!stored.sha256.equals(manifest.sha256)) {
    throw new LobError('CORRUPTION', `checkpoint ${describeKey(key)} fails its sha256 checksum`);
  }
  return stored.bytes;
}
