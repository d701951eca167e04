// Checks a RocksDB database's write-ahead logs before RocksDB replays them. The binding opens
// RocksDB with its default WAL recovery mode, point-in-time, and does not let it be changed
// (binding.cc sets no wal_recovery_mode): at the first damaged record RocksDB stops replaying and
// opens with what came before. For a record a crash cut off that is right: it was never
// acknowledged. For a flipped byte in the middle of a log it silently drops every completed flush
// after it, and lobcore's head is written in the same batch as each commit, so what remains looks
// consistent. So a damaged record followed by any intact record, later in that log or in a later
// live one, is refused here; a damaged record with nothing intact after it is a cut-off write, and
// left to RocksDB.
//
// The log format (RocksDB's db/log_format.h, db/log_reader.cc, 9.7): 32 KiB blocks of physical
// records, none crossing a block; a block's last < 7 bytes are a trailer, skipped. A record is
// masked CRC-32C (4, little-endian) | length (2, LE) | type (1) | payload; the CRC covers the type
// byte and the payload. Types: 0 a zero (preallocated) header, skipped to the block's end; 1 a full
// record, 2 first / 3 middle / 4 last fragments of one; 9 sets the log's compression and 10 lists
// user-defined timestamp sizes, both whole records. The recyclable types (5-8, 11: an 11-byte
// header with the log's number) are written only with recycle_log_file_num set, which lobcore
// never sets; like any other type, they are refused rather than guessed at.
//
// Plain JavaScript: it runs in the store worker, before the worker lets RocksDB open the directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32c, unmaskCrc32c } from './crc32c.mjs';

const BLOCK = 32768;
const HEADER = 7;
const ZERO = 0;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;
const SET_COMPRESSION = 9;
const TIMESTAMP_SIZES = 10;
const RECYCLABLE = new Set([5, 6, 7, 8, 11]);
const RECYCLABLE_HEADER = 11;
const LOG_FILE = /^(\d+)\.log$/;
const MANIFEST_FILE = /^MANIFEST-\d+$/;

/**
 * @typedef {{ file: string, offset: number, reason: string, unknownType?: boolean }} LogDamage
 *   `file` a log's name in the directory; `offset` the byte where the damage starts
 */

/**
 * One line for a LogDamage, the directory left for the caller to name.
 * @param {LogDamage} damage
 * @returns {string}
 */
export function describeLogDamage(damage) {
  const what = `write-ahead log ${damage.file} holds ${damage.reason} at byte ${damage.offset}`;
  return damage.unknownType === true ? what : `${what}, with completed writes after it that RocksDB would drop`;
}

/**
 * The damage in the directory's live logs that RocksDB would silently open past, or null. Throws
 * what reading a file throws.
 * @param {string} directory
 * @returns {LogDamage | null}
 */
export function findLogDamage(directory) {
  /** @type {LogDamage | null} */
  let cutOff = null;
  for (const file of liveLogs(directory)) {
    const scan = scanLog(fs.readFileSync(path.join(directory, file)));
    if (scan.unknown !== null) return { file, ...scan.unknown, unknownType: true };
    if (cutOff !== null && scan.intact) return cutOff;
    if (scan.damage !== null) {
      if (scan.intactAfterDamage) return { file, ...scan.damage };
      cutOff ??= { file, ...scan.damage };
    }
  }
  return null;
}

/**
 * Whether a live log holds anything: RocksDB starts each open with a new, empty log, and writes
 * go nowhere else until a memtable flush retires it (the store worker's settle() asks).
 * @param {string} directory
 * @returns {boolean}
 */
export function liveLogsHoldWrites(directory) {
  return liveLogs(directory).some((file) => fs.statSync(path.join(directory, file)).size > 0);
}

/**
 * The names of the directory's live logs, oldest first: those numbered at or after the log number
 * the MANIFEST records (an older one is in table files already).
 * @param {string} directory
 * @returns {string[]}
 */
export function liveLogs(directory) {
  const oldestLive = liveLogNumber(directory);
  return fs.readdirSync(directory)
    .map((name) => ({ name, match: LOG_FILE.exec(name) }))
    .filter((log) => log.match !== null && Number(log.match[1]) >= oldestLive)
    .sort((a, b) => Number(a.match?.[1]) - Number(b.match?.[1]))
    .map((log) => log.name);
}

/**
 * @typedef {{ offset: number, reason: string }} Spot
 * @typedef {{ damage: Spot | null, intactAfterDamage: boolean, intact: boolean, unknown: Spot | null }} Scan
 *   `damage` the first damaged record; `intactAfterDamage` an intact record lies after it; `intact`
 *   the log holds any intact record; `unknown` a checksummed record of a type this reader does not know
 */

/**
 * @param {Uint8Array} bytes a whole log
 * @returns {Scan}
 */
export function scanLog(bytes) {
  /** @type {Scan} */
  const scan = { damage: null, intactAfterDamage: false, intact: false, unknown: null };
  let inRecord = false;
  for (let block = 0; block < bytes.length; block += BLOCK) {
    const end = Math.min(block + BLOCK, bytes.length);
    let at = block;
    while (at < end) {
      if (end - at < HEADER) {
        // A block's trailer; at the end of the file, a header the writer did not finish.
        if (end === bytes.length && end - block < BLOCK && !allZero(bytes, at, end)) damaged(scan, at, 'a truncated record header');
        break;
      }
      const length = bytes[at + 4] | (bytes[at + 5] << 8);
      const type = bytes[at + 6];
      if (type === ZERO && length === 0) break;
      const verdict = check(bytes, at, end, length, type);
      if (verdict !== null) {
        if (scan.damage === null) {
          damaged(scan, at, verdict);
          // RocksDB drops the rest of the block; whether a completed write lies in it decides.
          if (findIntact(bytes, at + 1, end)) scan.intactAfterDamage = true;
        }
        break;
      }
      if (type !== FULL && type !== FIRST && type !== MIDDLE && type !== LAST && type !== SET_COMPRESSION && type !== TIMESTAMP_SIZES) {
        scan.unknown ??= { offset: at, reason: `a record of type ${type}, which the RocksDB options lobcore opens with never write` };
        return scan;
      }
      scan.intact = true;
      if (scan.damage !== null) {
        scan.intactAfterDamage = true;
        return scan;
      }
      const continues = type === MIDDLE || type === LAST;
      if (continues !== inRecord) {
        damaged(scan, at, continues ? 'a record fragment without its start' : 'a record started before the one before it ended');
        scan.intactAfterDamage = true;
        return scan;
      }
      inRecord = type === FIRST || type === MIDDLE;
      at += HEADER + length;
    }
  }
  return scan;
}

/**
 * Why the record at `at` is damaged, or null if it is intact.
 * @param {Uint8Array} bytes
 * @param {number} at
 * @param {number} end the end of its block (or of the file)
 * @param {number} length
 * @param {number} type
 * @returns {string | null}
 */
function check(bytes, at, end, length, type) {
  // A recycled log's record carries the log's number after the type, under the checksum.
  const header = RECYCLABLE.has(type) ? RECYCLABLE_HEADER : HEADER;
  if (at + header + length > end) {
    return end === bytes.length ? 'a record cut off by the end of the file' : `a length (${length}) that runs past its 32 KiB block`;
  }
  const stored = unmaskCrc32c((bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0);
  if (crc32c(bytes, at + 6, at + header + length) !== stored) return type === ZERO ? 'a zero-type record with a length' : 'a checksum mismatch';
  return null;
}

/**
 * Whether an intact record starts anywhere in [from, end): after a damaged record its length
 * cannot be trusted, so every offset that could hold a header is tried.
 * @param {Uint8Array} bytes
 * @param {number} from
 * @param {number} end
 * @returns {boolean}
 */
function findIntact(bytes, from, end) {
  for (let at = from; at + HEADER <= end; at++) {
    const type = bytes[at + 6];
    if (type === ZERO || type > TIMESTAMP_SIZES || RECYCLABLE.has(type)) continue;
    const length = bytes[at + 4] | (bytes[at + 5] << 8);
    if (at + HEADER + length > end) continue;
    if (check(bytes, at, end, length, type) === null) return true;
  }
  return false;
}

/**
 * @param {Scan} scan
 * @param {number} offset
 * @param {string} reason
 */
function damaged(scan, offset, reason) {
  scan.damage ??= { offset, reason };
}

/**
 * @param {Uint8Array} bytes
 * @param {number} from
 * @param {number} end
 */
function allZero(bytes, from, end) {
  for (let i = from; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * The oldest log RocksDB still replays: the greatest log number its MANIFEST records (lobcore uses
 * the default column family only; RocksDB replays no log numbered below it). Logs below it are obsolete, their writes already in table
 * files, and a crash may leave one behind with a cut-off record. 0 (every log live) when the
 * MANIFEST cannot be read: RocksDB itself then refuses the directory.
 * @param {string} directory
 * @returns {number}
 */
export function liveLogNumber(directory) {
  let bytes;
  try {
    const manifest = fs.readFileSync(path.join(directory, 'CURRENT'), 'latin1').trim();
    if (!MANIFEST_FILE.test(manifest)) return 0;
    bytes = fs.readFileSync(path.join(directory, manifest));
  } catch {
    return 0;
  }
  let logNumber = 0;
  for (const edit of logicalRecords(bytes)) logNumber = Math.max(logNumber, editLogNumber(edit));
  return logNumber;
}

/**
 * The whole records of a log-format file (the MANIFEST), up to the first damaged one.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array[]}
 */
function logicalRecords(bytes) {
  /** @type {Uint8Array[]} */
  const records = [];
  /** @type {Uint8Array[]} */
  let parts = [];
  for (let block = 0; block < bytes.length; block += BLOCK) {
    const end = Math.min(block + BLOCK, bytes.length);
    for (let at = block; end - at >= HEADER;) {
      const length = bytes[at + 4] | (bytes[at + 5] << 8);
      const type = bytes[at + 6];
      if (type === ZERO || check(bytes, at, end, length, type) !== null) break;
      const payload = bytes.subarray(at + HEADER, at + HEADER + length);
      if (type === FULL) records.push(payload);
      else if (type === FIRST) parts = [payload];
      else if (type === MIDDLE) parts.push(payload);
      else if (type === LAST) records.push(Buffer.concat([...parts, payload]));
      at += HEADER + length;
    }
  }
  return records;
}

const DB_ID_TAG = (1 << 13) + 1;
const COMPARATOR_TAG = 1;
const LOG_NUMBER_TAG = 2;
const MIN_LOG_NUMBER_TO_KEEP_TAG = 10;
/** Tags written before any file in an edit (db/version_edit.cc EncodeTo), each with one varint. */
const NUMBER_TAGS = new Set([LOG_NUMBER_TAG, 3, 4, 9, MIN_LOG_NUMBER_TO_KEEP_TAG, 203]);

/**
 * The oldest live log a version edit names (its log number, or its minimum log number to keep),
 * 0 if it names none. Both come among the edit's leading fields, before the files it adds or
 * deletes, so only those are parsed.
 * @param {Uint8Array} edit
 * @returns {number}
 */
function editLogNumber(edit) {
  const cursor = { at: 0 };
  let logNumber = 0;
  while (cursor.at < edit.length) {
    const tag = varint(edit, cursor);
    if (tag === DB_ID_TAG || tag === COMPARATOR_TAG) cursor.at += varint(edit, cursor);
    else if (!NUMBER_TAGS.has(tag)) break;
    else {
      const value = varint(edit, cursor);
      if (tag === LOG_NUMBER_TAG || tag === MIN_LOG_NUMBER_TO_KEEP_TAG) logNumber = Math.max(logNumber, value);
    }
  }
  return logNumber;
}

/**
 * @param {Uint8Array} bytes
 * @param {{ at: number }} cursor
 * @returns {number}
 */
function varint(bytes, cursor) {
  let value = 0;
  let scale = 1;
  while (cursor.at < bytes.length) {
    const byte = bytes[cursor.at++];
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value;
    scale *= 128;
  }
  return value;
}
