// A member's record of its checkpoints in cluster terms: the stream sequence and chain position
// each covers, the epoch, the chain hash there and the state hash. One 120-byte entry per
// checkpoint, appended and fsynced beside the member's RocksDB directory:
//
//   0 u8 version (1) | 1 u8 kind (7) | 2 u16 0 | 4 u32 shard | 8 f64 streamSeq | 16 f64 batchSeq
//   24 f64 epoch | 32 32B chain hash | 64 32B state hash | 96 f64 restingOrders | 104 u32 crc32 of 0..104 | 108..120 0
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from '../state/crc32.js';
import { syncDirectorySync } from '../state/sync-directory.js';
import { LobError } from '../errors.js';
import { bytesToHex, checkHeader, hexToBytes, viewOf } from './wire/bytes.js';

const LEDGER_VERSION = 1;
const LEDGER_KIND = 7;
const ENTRY_BYTES = 120;

export interface LedgerEntry {
  shard: number;
  streamSeq: number;
  batchSeq: number;
  epoch: number;
  chainHash: string;
  stateHash: string;
  restingOrders: number;
}

export function appendLedgerEntry(file: string, entry: LedgerEntry): void {
  const bytes = new Uint8Array(ENTRY_BYTES);
  const view = viewOf(bytes);
  bytes[0] = LEDGER_VERSION;
  bytes[1] = LEDGER_KIND;
  view.setUint32(4, entry.shard, true);
  view.setFloat64(8, entry.streamSeq, true);
  view.setFloat64(16, entry.batchSeq, true);
  view.setFloat64(24, entry.epoch, true);
  hexToBytes(entry.chainHash, bytes, 32);
  hexToBytes(entry.stateHash, bytes, 64);
  view.setFloat64(96, entry.restingOrders, true);
  view.setUint32(104, crc32(bytes, 0, 104), true);
  const created = !existsSync(file);
  const fd = openSync(file, 'a');
  try {
    // A torn last entry (a kill mid-append, a disk that filled up) is dropped by readLedger; left
    // in place, it shifted every entry appended after it off the 120-byte grid, and the ledger
    // read as CORRUPTION from then on: the member could not reopen.
    const size = fstatSync(fd).size;
    if (size % ENTRY_BYTES !== 0) ftruncateSync(fd, size - (size % ENTRY_BYTES));
    const written = writeSync(fd, bytes);
    if (written !== ENTRY_BYTES) throw new LobError('IO_ERROR', `${file}: wrote ${written} of a checkpoint entry's ${ENTRY_BYTES} bytes`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // The first entry made the file: until its directory is synced, a machine crash can lose the
  // name, and the entry with it.
  if (created) syncDirectorySync(dirname(file));
}

/** Every whole entry; a torn last entry (a kill mid-append) is dropped, a damaged one is CORRUPTION. */
export function readLedger(file: string): LedgerEntry[] {
  if (!existsSync(file)) return [];
  const bytes = new Uint8Array(readFileSync(file));
  const entries: LedgerEntry[] = [];
  for (let offset = 0; offset + ENTRY_BYTES <= bytes.byteLength; offset += ENTRY_BYTES) {
    const entry = bytes.subarray(offset, offset + ENTRY_BYTES);
    const view = checkHeader(entry, `${file} entry ${offset / ENTRY_BYTES}`, ENTRY_BYTES, LEDGER_VERSION, LEDGER_KIND);
    if (view.getUint32(104, true) !== crc32(entry, 0, 104)) throw new LobError('CORRUPTION', `${file} entry ${offset / ENTRY_BYTES}: checksum mismatch`);
    entries.push({
      shard: view.getUint32(4, true),
      streamSeq: view.getFloat64(8, true),
      batchSeq: view.getFloat64(16, true),
      epoch: view.getFloat64(24, true),
      chainHash: bytesToHex(entry.subarray(32, 64)),
      stateHash: bytesToHex(entry.subarray(64, 96)),
      restingOrders: view.getFloat64(96, true),
    });
  }
  return entries;
}
