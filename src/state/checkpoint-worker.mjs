// The checkpoint worker: a second WebAssembly matching core, on its own thread, that applies the
// same commands as the state machine's engine, in the same order (the journal, as it is built),
// and snapshots itself when asked. A checkpoint of a million orders costs the main thread nothing
// but a message: no copy of the books, no serialisation, no hashing there. Snapshots are
// canonical (src/snapshot.ts), the same bytes from either core, so the shadow serves a state
// machine on the JS core too.
//
// On open it restores the checkpoint recovery started from (the bytes recovery read, or the
// snapshot file itself, read here piece by piece into the core), and proves its own restore: the
// bytes it restored hash to what recovery proved, and its snapshot of them hashes the same.
//
// Plain JavaScript (a worker cannot load TypeScript under Node 20). It drives the core's raw
// exports (assembly/index.ts) as src/wasm-core.ts does; the host-block offsets come with 'init'.
//
// Requests, in order:
//   init     { module, maxPages, maxOrders, maxLevels, input, inputCapacity, chunkBytes, orders?, and
//              snapshot? (its bytes) or file? { path, byteLength, sha256 } (a snapshot file to read) }
//            -> { verified: boolean | null }  (whether the core snapshots back the bytes it restored,
//               and read from a file, the bytes recovery proved; null: no snapshot)
//   apply    { commands: ArrayBuffer, count }
//            -> { returned: ArrayBuffer }  (the commands' buffer, given back to be filled again, even
//               when not applied; no other reply: a failure is reported by the next snapshot)
//   pieces-back { port }  (a MessagePort the main thread gives a snapshot's written pieces back on)
//   snapshot { id, commands, pieceBytes }
//            -> { id, progress: { index, piece: ArrayBuffer } } for each piece of pieceBytes (the last
//               may be shorter), as it is written, then
//            -> { id, result: { byteLength, pieces, newPieces, sha256: ArrayBuffer, nextOrderId, restingOrders, priceLevels } }
//            (newPieces: how many pieces needed a new buffer rather than one given back)
//            commands: how many the shadow must have applied, or the reply is an error.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';

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
/** The port the main thread gives a snapshot's pieces back on once it has written them. */
let piecesBack = null;
/** Pieces given back, for the next snapshot's pieces: fresh ones are paid for page by page. */
const sparePieces = [];
/** At most this many pieces are kept for reuse. */
const SPARE_PIECES = 8;

parentPort.on('message', (request) => {
  try {
    switch (request.op) {
      case 'init':
        parentPort.postMessage({ id: request.id, result: init(request) });
        return;
      case 'apply':
        try {
          if (failure === null) apply(new Float64Array(request.commands, 0, request.count * (COMMAND_BYTES / 8)), request.count);
        } finally {
          // Given back applied or not: the main thread writes the replay's commands only into buffers that come back.
          parentPort.postMessage({ returned: request.commands }, [request.commands]);
        }
        return;
      case 'pieces-back':
        piecesBack = request.port;
        return;
      case 'snapshot': {
        if (failure !== null) throw new Error(failure);
        if (applied !== request.commands) throw new Error(`the shadow applied ${applied} commands, the state machine ${request.commands}`);
        const result = snapshot(request.id, request.pieceBytes);
        parentPort.postMessage({ id: request.id, result }, [result.sha256]);
        return;
      }
      default:
        throw new Error(`unknown checkpoint worker request ${request.op}`);
    }
  } catch (error) {
    if (request.op === 'apply') failure = `applying commands failed: ${error?.message ?? error}`;
    else parentPort.postMessage({ id: request.id, error: { message: String(error?.message ?? error) } });
  }
});

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
  // It records events as the state machine's engine does, so it needs the memory the engine
  // needed for each command: at maxMemoryBytes the room they take decides which commands fit.
  hostBlock = core.init(request.maxPages, request.maxOrders, request.maxLevels, 1);
  if (hostBlock === 0) throw new Error('the shadow core has no room for its own structures');
  inputAt = hostBlock + request.input;
  inputCapacityAt = hostBlock + request.inputCapacity;
  applied = 0;
  failure = null;
  let restored = null;
  if (request.snapshot !== undefined) {
    const stored = new Uint8Array(request.snapshot);
    restored = restore(stored.byteLength, request.orders, request.chunkBytes, (into, at) => {
      into.set(stored.subarray(at, at + into.length));
      return into.length;
    });
  } else if (request.file !== undefined) {
    const fd = openSync(request.file.path, 'r');
    try {
      restored = restore(request.file.byteLength, request.orders, request.chunkBytes, (into, at) => readSync(fd, into, 0, into.length, at));
    } finally {
      closeSync(fd);
    }
  }
  if (restored === null) return { verified: null };
  // Restored, the bytes must give themselves back; read from a file, they must be those recovery proved.
  const expected = request.file?.sha256;
  return { verified: snapshotHash().equals(restored) && (expected === undefined || restored.equals(Buffer.from(expected))) };
}

/**
 * Restores a snapshot of `byteLength` bytes piece by piece through the core's chunk, as
 * src/wasm-core.ts restores: `read(into, at)` fills the chunk's free part with bytes from `at`
 * and says how many it gave; a record cut off at the chunk's end is moved to its start. Returns
 * the sha256 of the bytes restored.
 */
function restore(byteLength, orders, chunkBytes, read) {
  const hash = createHash('sha256');
  const chunkAt = core.restoreBegin(orders);
  if (chunkAt === 0) throw new Error('no memory to restore the snapshot');
  let held = 0;
  for (let at = 0; at < byteLength;) {
    const into = new Uint8Array(core.memory.buffer, chunkAt + held, Math.min(chunkBytes - held, byteLength - at));
    const got = read(into, at);
    if (got === 0) throw new Error(`the snapshot ended at byte ${at} of ${byteLength}`);
    hash.update(into.subarray(0, got));
    at += got;
    const present = held + got;
    const used = core.restoreNext(present);
    if (used < 0) throw new Error('ran out of memory while restoring the snapshot');
    if (used === 0 && present === chunkBytes) throw new Error(`the restore stopped at byte ${at - present}`);
    held = present - used;
    if (held > 0) new Uint8Array(core.memory.buffer).copyWithin(chunkAt, chunkAt + used, chunkAt + present);
  }
  if (held !== 0 || !core.restoreDone()) throw new Error('the snapshot ended before its last record');
  return hash.digest();
}

function word(at) {
  return new Uint32Array(core.memory.buffer, at, 1)[0];
}

function apply(commands, count) {
  if (word(inputCapacityAt) < count && !core.reserveInput(count)) throw new Error(`no memory for a batch of ${count} commands`);
  const at = word(inputAt);
  new Float64Array(core.memory.buffer, at, commands.length).set(commands);
  const refusals = core.memoryRefusals();
  const result = core.runBatch(at, count);
  if (result === NO_MEMORY || result < 0) throw new Error(`the shadow core refused a batch (fault ${result})`);
  // The state machine journals no command its engine refused for lack of memory: one refused here
  // was accepted there (this heap's history differs), and the shadow no longer follows the engine.
  if (core.memoryRefusals() !== refusals) throw new Error('the shadow core refused a command for lack of memory that the engine applied');
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
 * Streams the snapshot to the main thread in pieces of `pieceBytes` (a checkpoint's chunks), each
 * posted as soon as it is full so the store writes it while the rest is produced; hashes it on
 * the way.
 */
function snapshot(id, pieceBytes) {
  const hash = createHash('sha256');
  let newPieces = 0;
  /** The piece being filled; null until bytes come for it. */
  let piece = null;
  let filled = 0;
  let pieces = 0;
  const send = () => {
    const buffer = filled === pieceBytes ? piece.buffer : piece.buffer.slice(0, filled);
    parentPort.postMessage({ id, progress: { index: pieces, piece: buffer } }, [buffer]);
    // The last piece goes as a copy of its length: the whole buffer stays for the next snapshot.
    if (buffer !== piece.buffer && sparePieces.length < SPARE_PIECES) sparePieces.push(piece.buffer);
    pieces++;
    piece = null;
    filled = 0;
  };
  let byteLength = 0;
  streamSnapshot((length) => (byteLength = length), (bytes) => {
    hash.update(bytes);
    for (let from = 0; from < bytes.length;) {
      if (piece === null) {
        piece = nextPiece(pieceBytes);
        if (piece === null) {
          piece = new Uint8Array(pieceBytes);
          newPieces++;
        }
      }
      const n = Math.min(bytes.length - from, pieceBytes - filled);
      piece.set(bytes.subarray(from, from + n), filled);
      filled += n;
      from += n;
      if (filled === pieceBytes) send();
    }
  });
  if (filled > 0) send();
  const digest = hash.digest();
  const sha256 = digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength);
  return {
    byteLength, pieces, newPieces, sha256, nextOrderId: core.nextOrderId(), restingOrders: core.restingOrders(), priceLevels: core.priceLevels(),
  };
}

/**
 * A piece the main thread has given back, written, if there is one (taken from its port without
 * waiting, while the snapshot is streamed out); null: none. At a million orders a snapshot is 40
 * pieces of 1 MiB, and on a machine where a fresh page costs a trip to the hypervisor, a new
 * buffer for each costs the checkpoint about 0.1 s.
 */
function nextPiece(pieceBytes) {
  for (let back = piecesBack && receiveMessageOnPort(piecesBack); back; back = receiveMessageOnPort(piecesBack)) {
    if (back.message.byteLength === pieceBytes && sparePieces.length < SPARE_PIECES) sparePieces.push(back.message);
  }
  const spare = sparePieces.pop();
  return spare === undefined ? null : new Uint8Array(spare);
}

/** The sha256 of the core's snapshot, streamed through the hash without a copy. */
function snapshotHash() {
  const hash = createHash('sha256');
  streamSnapshot(() => undefined, (piece) => hash.update(piece));
  return hash.digest();
}
