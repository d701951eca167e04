// The store worker: owns one RocksDB handle (a store has two such workers: its main database's and
// its index database's, store.ts) and runs every storage call on its own thread.
// @nxtedition/rocksdb performs a batch write (memtable inserts, WAL append, fsync) on the calling
// thread; here that thread is not the one matching orders.
//
// Plain JavaScript on purpose: a worker_threads Worker cannot load TypeScript under Node 20, and
// this file must run unchanged from src/ (vitest) and from dist/ (the build copies it).
// The byte layouts are documented in store-wire.ts and index-wire.mjs.
//
// Requests wait in two queues. Commits, reads and everything else run first, in arrival order;
// writes that follow behind (in the main database, chunks of a checkpoint kept in the store; in
// the index database, the index writer's windows) run when nothing else waits, or after every few
// others, so a steady stream of commits or reads cannot starve them. Each queue keeps its order,
// and nothing in the second queue may be overtaken by anything it depends on: the main thread
// posts an index write only once the commits it indexes are durable. An index window (writeIndex) is folded into posting lists in steps
// (index-window.mjs) and written as several writes of a bounded number of keys, the last carrying
// INDEX_HEAD. Chunks (writeSlices: a checkpoint's snapshot kept in the store rather than in a
// file, checkpoint-chunks.ts) come in one message and are written one per write: a commit waits
// behind one chunk at most.
import { createHash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { RocksLevel } from '@nxtedition/rocksdb';
import { packByteList, transferList, unpackByteList } from './byte-list.mjs';
import { IndexWindow } from './index-window.mjs';
import { describeLogDamage, findLogDamage, liveLogsHoldWrites } from './log-check.mjs';

const OP_PUT = 1;
const OP_DEL = 2;
const NO_OPTIONS = {};

/** @type {RocksLevel | null} */
let db = null;
let location = '';
let openOptions = {};

/**
 * The RocksDB write batch every write fills, cleared after each (null until the first write, and
 * again whenever the database closes or opens). A fresh batch grows its buffer by doubling into
 * memory never touched before, a page fault per 4 KiB and a copy per doubling: writing a flush of
 * 90 KB took this thread 353-369 us of CPU in a fresh batch and 107-122 us in a kept one, 1.5 MB
 * 5.3-5.6 ms against 1.2 ms (sync off, `rk4.cjs` in docs/storage.md round 22). A write larger than
 * KEPT_BATCH_BYTES gets a batch of its own, so one huge flush does not pin its size.
 */
let kept = null;
const KEPT_BATCH_BYTES = 4 * 1024 * 1024;

/** Closes the kept batch (it holds its buffer until closed) before the database closes or opens. */
function dropKept() {
  if (kept === null) return;
  void kept.close();
  kept = null;
}

/** How many first-queue requests may run in a row while a write behind waits. */
const AHEAD_OF_BEHIND = 4;
const ahead = [];
const behind = [];
let draining = false;

/** Index operations folded (or gathered) per step of a window (index-window.mjs), a query's read able to run between two steps. */
const PREPARE_STEP = 2048;
/**
 * Most keys per RocksDB write of an index window: a query's read of the indexes that arrives while
 * one is written waits for it, at about 2 us a key (commits go to the other database's worker and
 * never wait here; docs/storage.md, "The indexes"). Writes of 1,024 keys would cost about 7% less
 * a key (docs/storage.md, round 22) and keep such a read four times longer.
 */
const INDEX_KEYS_PER_WRITE = 256;

parentPort.on('message', (request) => {
  if (request.op === 'writeSlices') behind.push(...slices(request));
  else if (request.op === 'writeIndex') behind.push({ op: 'indexWindow', replyId: request.id, window: new IndexWindow(new Float64Array(request.ops), request.count) });
  else ahead.push(request);
  if (!draining) void drain();
});

/**
 * A writeSlices request as one write per slice, each queued behind like any other write behind, so
 * commits run between them; the last one answers for all (the first failure, or success).
 */
function slices(request) {
  const keys = unpackByteList(request.keys);
  const bytes = new Uint8Array(request.bytes, 0, request.byteLength);
  const outcome = { error: null };
  return keys.map((key, i) => ({
    op: 'writeSlice', outcome, last: i === keys.length - 1, replyId: request.id, key,
    value: bytes.subarray(i * request.sliceBytes, Math.min(bytes.length, (i + 1) * request.sliceBytes)),
  }));
}

/** Runs requests one at a time until both queues are empty. */
async function drain() {
  draining = true;
  let aheadInARow = 0;
  while (ahead.length > 0 || behind.length > 0) {
    // The binding writes synchronously, so this loop never returns to the event loop by itself:
    // with a checkpoint's chunks queued behind, let the messages that arrived meanwhile (a commit)
    // join the queues before each one, or they would wait for every chunk to be written. The same
    // for the steps and writes of an index window.
    if (behind.length > 0) await new Promise(setImmediate);
    const takeBehind = behind.length > 0 && (ahead.length === 0 || aheadInARow >= AHEAD_OF_BEHIND);
    aheadInARow = takeBehind ? 0 : aheadInARow + 1;
    await handle(takeBehind ? behind.shift() : ahead.shift());
  }
  draining = false;
}

async function handle(request) {
  if (request.op === 'writeSlice') return handleSlice(request);
  if (request.op === 'indexWindow' || request.op === 'indexPart') {
    // A failure ends the window: the index writer sends it again whole.
    try {
      await (request.op === 'indexWindow' ? prepareWindow(request) : writePart(request));
    } catch (error) {
      parentPort.postMessage({ id: request.replyId, error: describe(error) });
    }
    return;
  }
  try {
    const [result, transfer] = await run(request);
    parentPort.postMessage({ id: request.id, result }, transfer ?? []);
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: describe(error) });
  }
}

async function handleSlice(slice) {
  if (slice.outcome.error === null) {
    try {
      // Not RocksDB's lowPriority: that throttles a write to 1 MB/s (its low-priority rate
      // limiter) whenever compaction is behind, which after building a 1M-order book it is:
      // each 1 MB chunk took 0.9-1.1 s and a checkpoint 3.5-8 s. The queue here already keeps
      // the chunks behind the commits, one write each. (No write here asks for it.)
      writeBatch(slice.key.byteLength + slice.value.byteLength, false, (batch) => {
        batch._put(Buffer.from(slice.key), Buffer.from(slice.value.buffer, slice.value.byteOffset, slice.value.byteLength), NO_OPTIONS);
      });
    } catch (error) {
      slice.outcome.error = describe(error);
    }
  }
  if (!slice.last) return;
  if (slice.outcome.error === null) parentPort.postMessage({ id: slice.replyId, result: null });
  else parentPort.postMessage({ id: slice.replyId, error: slice.outcome.error });
}

/**
 * A step of an index window: fold or gather some of its operations; once all are, its writes follow, first
 * among the writes behind, so the window lands before anything queued after it.
 */
function prepareWindow(request) {
  behind.unshift(request.window.prepare(PREPARE_STEP) ? { op: 'indexPart', replyId: request.replyId, window: request.window } : request);
}

/** The next write of an index window, packed just before it is written; the last (carrying INDEX_HEAD) answers for the window. */
async function writePart(request) {
  const part = request.window.nextPart(INDEX_KEYS_PER_WRITE);
  write(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteOffset + part.bytes.byteLength, false);
  if (!part.last) {
    behind.unshift(request);
    return;
  }
  // Done with here: the window's arrays go to the next window, its operations' array back with the answer.
  request.window.release();
  parentPort.postMessage({ id: request.replyId, result: request.window.ops.buffer }, [request.window.ops.buffer]);
}

async function run(request) {
  switch (request.op) {
    case 'open':
      dropKept();
      if (request.nice !== undefined) lowerPriority(request.nice);
      location = request.path;
      openOptions = request.options;
      // Here, not on the main thread: a reopen restores its engine there meanwhile (restore-ahead.ts).
      if (request.checkLogs === true) {
        const damage = findLogDamage(location);
        if (damage !== null) throw Object.assign(new Error(describeLogDamage(damage)), { code: 'LOBCORE_LOG_DAMAGED' });
      }
      db = new RocksLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open(openOptions);
      return [null];
    case 'write': {
      // Timed here, on the thread that does it: what RocksDB's write took (the fsync included
      // when synced), apart from the message passing and the main thread's turn around it.
      const started = performance.now();
      write(request.batch, 0, request.byteLength, request.sync);
      const ms = performance.now() - started;
      // RocksDB has copied it: the buffer goes back, for the next batch to fill.
      return [{ batch: request.batch, ms }, [request.batch]];
    }
    case 'getMany': {
      // The synchronous form, on purpose: this thread exists to block. The binding's async
      // getMany turns a RocksDB read error (a block that fails its checksum) into an uncaught
      // exception and never calls back, which crashed this worker and left the handle unclosable;
      // the sync form throws it here, where the request's reply carries it.
      const values = openDb()._getManySync(unpackByteList(request.keys), NO_OPTIONS);
      return transferList(values);
    }
    case 'entries':
      return transferList(readRange(request.range, true));
    case 'readJoined': {
      // A checkpoint's chunks, joined where the main thread (and the checkpoint worker) read them, hashed on the way.
      const into = new Uint8Array(request.into);
      const hash = createHash('sha256');
      const it = openDb().iterator(toRange(request.range));
      let count = 0;
      let length = 0;
      try {
        for (let page = await it.nextv(64); page.length > 0; page = await it.nextv(64)) {
          for (const [, value] of page) {
            if (length + value.length <= into.length) into.set(value, length);
            hash.update(value);
            length += value.length;
            count++;
          }
        }
      } finally {
        await it.close();
      }
      const digest = hash.digest();
      const sha256 = digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength);
      return [{ count, length, sha256 }, [sha256]];
    }
    case 'keys':
      return transferList(readRange(request.range, false).filter((_, i) => i % 2 === 0));
    case 'clear':
      // One range deletion: RocksDB marks the range deleted, whatever it holds, in one write.
      await openDb().clear(toRange(request.range));
      return [null];
    case 'detach':
      // Test hook: the database goes away under a live store, as a failing disk would make it.
      dropKept();
      await openDb().close();
      return [null];
    case 'attach':
      dropKept();
      if (db === null) throw new Error('the store was never opened');
      await db.open(openOptions);
      return [null];
    case 'close':
      dropKept();
      if (db !== null && db.status !== 'closed') {
        await db.close();
        if (request.settle === true) await settle();
      }
      return [null];
    default:
      throw new Error(`unknown store request ${request.op}`);
  }
}

/**
 * One packed flush (bytes [start, end) of `packed`) becomes one RocksDB write batch: all of it
 * lands, or none. Never with RocksDB's own low priority, whatever queue the write came from: that
 * throttles a write to 1 MB/s whenever compaction is behind (a checkpoint's 1 MB chunks took a
 * second each, see handleSlice), and the queues here already put the writes behind after the
 * commits.
 */
function write(packed, start, end, sync) {
  if (end === start) return; // as the public batch API did: nothing to write, no log record
  const bytes = new Uint8Array(packed, 0, end);
  const view = new DataView(packed, 0, end);
  writeBatch(end - start, sync, (target) => {
    let o = start;
    while (o < end) {
      const kind = bytes[o];
      const keyLength = view.getUint32(o + 1, true);
      if (kind === OP_PUT) {
        const valueLength = view.getUint32(o + 5, true);
        const key = Buffer.from(packed, o + 9, keyLength);
        const value = Buffer.from(packed, o + 9 + keyLength, valueLength);
        // _put, the binding's hook: the public put() validates, re-encodes and keeps a copy of
        // every operation for a 'batch' event nobody listens to.
        target._put(key, value, NO_OPTIONS);
        o += 9 + keyLength + valueLength;
      } else if (kind === OP_DEL) {
        target._del(Buffer.from(packed, o + 5, keyLength), NO_OPTIONS);
        o += 5 + keyLength;
      } else {
        throw new Error(`malformed write batch at byte ${o}`);
      }
    }
  });
}

/**
 * Fills a write batch (`fill` adds its operations through the binding's hooks) and writes it at
 * once, all of it or nothing; the kept batch (see `kept`) when the write is at most
 * KEPT_BATCH_BYTES. The binding writes synchronously; its hooks skip the checks and the copy of
 * every operation that the public batch API makes, so the database's state is checked here.
 */
function writeBatch(bytes, sync, fill) {
  const database = openDb();
  const target = bytes <= KEPT_BATCH_BYTES ? (kept ??= database.batch()) : database.batch();
  try {
    fill(target);
    target._writeSync({ sync });
  } finally {
    // Cleared whether it landed or not: a failed write leaves nothing behind for the next. A batch
    // of its own is closed through the public API, which also lets the database forget it.
    if (target === kept) target._clear();
    else void target.close();
  }
}

/** How long a close waits at most for the compactions its settling open starts (settle()). */
const SETTLE_COMPACTION_MS = 1000;

/**
 * Leaves a closed database quick to open again (docs/storage.md, round 33). The binding has no
 * memtable flush, and RocksDB flushes none at close while its log holds the writes; so the next
 * open would read the log (log-check.mjs), replay it into memtables and write them out as a table
 * file, all before the open resolves: after the bench's 1M-order book, 3.6 MB of log and about
 * half of what the store's side of a reopen took alone. Opening once more here does that now, and
 * RocksDB starts its new log empty. The compactions that open starts (and those a close broke off) are let run a while,
 * or the next open starts them again, on cores its restore and replay need. Nothing here is
 * needed for durability: the log was synced before; a failure leaves the log for the next open,
 * and a crash in the middle is a crash during an open, which RocksDB and the log check handle.
 * A log with damage in it is left as it is, for the next open to refuse (CORRUPTION).
 */
async function settle() {
  try {
    if (!liveLogsHoldWrites(location) || findLogDamage(location) !== null) return;
    await db.open(openOptions);
    const until = performance.now() + SETTLE_COMPACTION_MS;
    while (performance.now() < until && compacting()) await new Promise((resolve) => setTimeout(resolve, 5));
  } catch {
    // As it was closed: the next open replays the log.
  } finally {
    if (db.status === 'open') await db.close().catch(() => undefined);
  }
}

function compacting() {
  return db.getProperty('rocksdb.compaction-pending') !== '0' || db.getProperty('rocksdb.num-running-compactions') !== '0';
}

/**
 * Gives this thread a nice value of its own. Linux keeps one per thread, set through the thread's
 * id (/proc/thread-self names it); elsewhere there is no such id, and the thread keeps the process's.
 */
function lowerPriority(nice) {
  let tid;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return;
  }
  setPriority(tid, nice);
}

function openDb() {
  if (db === null || db.status !== 'open') {
    throw Object.assign(new Error('Database is not open'), { code: 'LEVEL_DATABASE_NOT_OPEN' });
  }
  return db;
}

/**
 * A range's keys and values as [key, value, key, value, ...], read in one synchronous call: this
 * thread exists to block, and the binding's asynchronous iterator took each page through libuv's
 * thread pool and back, a hop per page on every query.
 */
function readRange(range, values) {
  return openDb().querySync({ ...toRange(range), values, keyEncoding: 'buffer', valueEncoding: 'buffer' }).rows;
}

function toRange(range) {
  const out = {};
  for (const bound of ['gt', 'gte', 'lt', 'lte']) if (range[bound] !== undefined) out[bound] = Buffer.from(range[bound]);
  if (range.reverse !== undefined) out.reverse = range.reverse;
  // The binding reads the limit as an int32: 2^32 (a caller's page limit, doubled) became 0 and
  // read nothing. No range holds 2^31 - 1 keys that one call could return, so that is no limit.
  if (range.limit !== undefined) out.limit = Math.min(range.limit, MAX_INT32);
  return out;
}

const MAX_INT32 = 0x7fff_ffff;

/** Errors cross as plain data: the code the binding gave and the cause RocksDB reported. */
function describe(error) {
  return {
    code: error?.code,
    message: error?.message ?? String(error),
    cause: error?.cause === undefined ? undefined : { code: error.cause.code, message: error.cause.message },
  };
}
