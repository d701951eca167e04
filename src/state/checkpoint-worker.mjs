// The checkpoint worker: a second WebAssembly matching core, on its own thread, that applies the
// same commands as the state machine's engine, in the same order (the journal, as it is built),
// and snapshots itself when asked. A checkpoint of a million orders costs the main thread nothing
// but a message: no copy of the books, no serialisation, no hashing there. Snapshots are
// canonical (src/snapshot.ts), the same bytes from either core, so the shadow serves a state
// machine on the JS core too.
//
// On open it also proves the checkpoint recovery started from: it restores the stored bytes,
// snapshots them again and compares, while the main thread restores its own engine.
//
// Plain JavaScript (a worker cannot load TypeScript under Node 20). It drives the core's raw
// exports (assembly/index.ts) as src/wasm-core.ts does; the host-block offsets come with 'init'.
//
// Requests, in order:
//   init     { module, maxPages, maxOrders, maxLevels, input, inputCapacity, chunkBytes, snapshot?, orders? }
//            -> { verified: boolean | null }  (null: no snapshot to start from)
//   apply    { commands: ArrayBuffer, count }  (no reply; a failure is reported by the next snapshot)
//   snapshot { id, commands, pieceBytes, file? }
//            -> { id, progress: { index, piece: ArrayBuffer } } for each piece of pieceBytes (the last
//               may be shorter), as it is made, then
//            -> { id, result: { byteLength, pieces, sha256: ArrayBuffer, nextOrderId, restingOrders, priceLevels } }
//            commands: how many the shadow must have applied, or the reply is an error.
//            file { path, syncEveryPieces }: no pieces are posted; the snapshot is written into that
//            file here, synced, and the file closed before the reply (on an error it is removed).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';

const COMMAND_BYTES = 96;
/** runBatch's fault when there is no memory for the results (assembly/batch.ts). */
const NO_MEMORY = -2147483648;

/** @type {any} */
let core = null;
let hostBlock = 0;
let inputAt = 0;
let inputCapacityAt = 0;
let applied = 0;
/** @type {string | null} */
let failure = null;

parentPort.on('message', (request) => {
  try {
    switch (request.op) {
      case 'init':
        parentPort.postMessage({ id: request.id, result: init(request) });
        return;
      case 'apply':
        if (failure === null) apply(new Float64Array(request.commands, 0, request.count * (COMMAND_BYTES / 8)), request.count);
        return;
      case 'snapshot': {
        if (failure !== null) throw new Error(failure);
        if (applied !== request.commands) throw new Error(`the shadow applied ${applied} commands, the state machine ${request.commands}`);
        // Made now, in this turn: the commands posted after this request are applied after it.
        const made = request.file === undefined ? postSnapshot(request.id, request.pieceBytes) : writeSnapshot(request.pieceBytes, request.file);
        // A file's last sync finishes while the next commands are applied.
        made.stored.then(
          () => parentPort.postMessage({ id: request.id, result: made.result }, [made.result.sha256]),
          (error) => replyError(request.id, error),
        );
        return;
      }
      default:
        throw new Error(`unknown checkpoint worker request ${request.op}`);
    }
  } catch (error) {
    if (request.op === 'apply') failure = `applying commands failed: ${error?.message ?? error}`;
    else replyError(request.id, error);
  }
});

function replyError(id, error) {
  parentPort.postMessage({ id, error: { message: String(error?.message ?? error) } });
}

function init(request) {
  let memory = null;
  const instance = new WebAssembly.Instance(request.module, {
    env: {
      abort(message, file, line, column) {
        throw new Error(`WASM core aborted at ${line}:${column} (memory ${memory?.buffer.byteLength ?? 0} bytes)`);
      },
    },
  });
  core = instance.exports;
  memory = core.memory;
  hostBlock = core.init(request.maxPages, request.maxOrders, request.maxLevels);
  if (hostBlock === 0) throw new Error('the shadow core has no room for its own structures');
  inputAt = hostBlock + request.input;
  inputCapacityAt = hostBlock + request.inputCapacity;
  applied = 0;
  failure = null;
  if (request.snapshot === undefined) return { verified: null };
  const stored = new Uint8Array(request.snapshot);
  const chunkAt = core.restoreBegin(request.orders);
  if (chunkAt === 0) throw new Error('no memory to restore the snapshot');
  // Piece by piece through the core's chunk, as src/wasm-core.ts restores.
  for (let at = 0; at < stored.byteLength;) {
    const piece = Math.min(request.chunkBytes, stored.byteLength - at);
    new Uint8Array(core.memory.buffer, chunkAt, piece).set(stored.subarray(at, at + piece));
    const used = core.restoreNext(piece);
    if (used < 0) throw new Error('ran out of memory while restoring the snapshot');
    if (used === 0) throw new Error(`the restore stopped at byte ${at} of ${stored.byteLength}`);
    at += used;
  }
  if (!core.restoreDone()) throw new Error('the snapshot ended before its last record');
  return { verified: sameAsSnapshot(stored) };
}

function word(at) {
  return new Uint32Array(core.memory.buffer, at, 1)[0];
}

function apply(commands, count) {
  if (word(inputCapacityAt) < count && !core.reserveInput(count)) throw new Error(`no memory for a batch of ${count} commands`);
  const at = word(inputAt);
  new Float64Array(core.memory.buffer, at, commands.length).set(commands);
  const result = core.runBatch(at, count);
  if (result === NO_MEMORY || result < 0) throw new Error(`the shadow core refused a batch (fault ${result})`);
  applied += count;
}

/**
 * Streams the snapshot out of the core's fixed chunk: `begin` gets its length, `take` each piece
 * (a view valid until the next) with its offset.
 */
function streamSnapshot(begin, take) {
  const length = core.snapshotBegin();
  begin(length);
  const chunkAt = core.snapshotChunkAt();
  let total = 0;
  for (let n = core.snapshotNext(); n > 0; n = core.snapshotNext()) {
    take(Buffer.from(core.memory.buffer, chunkAt, n), total);
    total += n;
  }
  if (total !== length) throw new Error(`the shadow core wrote ${total} of ${length} snapshot bytes`);
}

/**
 * Makes the snapshot in pieces of `pieceBytes` (a checkpoint's chunks), each handed to `take` as
 * soon as it is full (its own buffer, with its index and offset) so it is stored while the rest
 * is made; hashes it on the way. Returns the reply's result.
 */
function snapshotInPieces(pieceBytes, take) {
  const hash = createHash('sha256');
  let piece = new Uint8Array(pieceBytes);
  let filled = 0;
  let pieces = 0;
  const send = () => {
    take(filled === pieceBytes ? piece : piece.subarray(0, filled), pieces, pieces * pieceBytes);
    pieces++;
    piece = new Uint8Array(pieceBytes);
    filled = 0;
  };
  let byteLength = 0;
  streamSnapshot((length) => (byteLength = length), (bytes) => {
    hash.update(bytes);
    for (let from = 0; from < bytes.length;) {
      const n = Math.min(bytes.length - from, pieceBytes - filled);
      piece.set(bytes.subarray(from, from + n), filled);
      filled += n;
      from += n;
      if (filled === pieceBytes) send();
    }
  });
  if (filled > 0) send();
  return madeSnapshot(byteLength, pieces, hash);
}

/** The snapshot's pieces posted to the main thread, which stores them. */
function postSnapshot(id, pieceBytes) {
  const result = snapshotInPieces(pieceBytes, (piece, index) => {
    const buffer = piece.byteLength === piece.buffer.byteLength ? piece.buffer : piece.buffer.slice(0, piece.byteLength);
    parentPort.postMessage({ id, progress: { index, piece: buffer } }, [buffer]);
  });
  return { result, stored: Promise.resolve() };
}

/**
 * The snapshot written here into a snapshot file's `.partial` (checkpoint-files.ts names it and,
 * once `stored` resolves, renames it). Each piece is written at its offset on libuv's threads
 * while the rest is made, and a sync is started every `syncEveryPieces`, so the last one has
 * little left to do. (Forty megabytes of a 1M-order book posted to the main thread, to be written
 * from there, cost that thread a message, a buffer and a write per megabyte.)
 */
function writeSnapshot(pieceBytes, { path, syncEveryPieces }) {
  const directory = dirname(path);
  // Made once in a database's life: its entry in the database's directory is synced then.
  const made = fs.mkdirSync(directory, { recursive: true });
  if (made !== undefined) syncDirectory(dirname(made));
  const fd = fs.openSync(path, 'w');
  const writes = [];
  const keep = (writing) => {
    writing.catch(() => undefined); // looked at once the snapshot is made
    writes.push(writing);
  };
  let result;
  try {
    result = snapshotInPieces(pieceBytes, (piece, index, at) => {
      keep(writeAll(fd, piece, at));
      // Started now, beside the writes still running: it syncs what has reached the file so far.
      if ((index + 1) % syncEveryPieces === 0) keep(datasync(fd));
    });
  } catch (error) {
    removeFile(fd, path, writes).catch(() => undefined); // the error thrown is what is reported
    throw error;
  }
  const stored = Promise.all(writes).then(() => datasync(fd)).then(
    () => fs.closeSync(fd),
    (error) => removeFile(fd, path, writes).then(() => Promise.reject(error)),
  );
  return { result, stored };
}

/** What a snapshot reply carries: read from the core when the snapshot was made, before any later command. */
function madeSnapshot(byteLength, pieces, hash) {
  const digest = hash.digest();
  const sha256 = digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength);
  return {
    byteLength, pieces, sha256, nextOrderId: core.nextOrderId(), restingOrders: core.restingOrders(), priceLevels: core.priceLevels(),
  };
}

async function writeAll(fd, bytes, position) {
  for (let done = 0; done < bytes.byteLength;) {
    done += await new Promise((resolve, reject) => {
      fs.write(fd, bytes, done, bytes.byteLength - done, position + done, (error, n) => (error ? reject(error) : resolve(n)));
    });
  }
}

function datasync(fd) {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

/** A snapshot file that will not be whole: closed once its writes are done, and removed. */
async function removeFile(fd, path, writes) {
  await Promise.allSettled(writes);
  fs.closeSync(fd);
  await fs.promises.rm(path, { force: true });
}

function syncDirectory(directory) {
  const fd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether the core snapshots to exactly `stored`, compared piece by piece without a second copy. */
function sameAsSnapshot(stored) {
  let same = true;
  streamSnapshot((length) => (same = length === stored.length), (piece, at) => {
    same &&= at + piece.length <= stored.length && piece.equals(Buffer.from(stored.buffer, stored.byteOffset + at, piece.length));
  });
  return same;
}
