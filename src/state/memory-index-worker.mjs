// The index entries of the in-memory stores (memory-index.ts), in a thread of their own. A state
// machine without a path derives 2.5 index operations a command on the steady flow; put into a
// sorted map on the main thread, they took most of its time (docs/storage.md, round 19). Here they
// are put while the main thread goes on matching, as the durable store's index database is
// written by a worker of its own (store.ts), and queries read through what is not written yet in
// both (overlay.ts).
//
// One worker serves every in-memory store of the process, each store's entries in a map of their
// own under the store's number. Requests are answered one at a time in arrival order, so a read
// sees every write posted before it. Plain JavaScript: a worker_threads Worker cannot load
// TypeScript under Node 20, and this file runs unchanged from src/ (vitest) and from dist/.
import { parentPort } from 'node:worker_threads';
import { transferList, unpackByteList } from './byte-list.mjs';
import { INDEX_DEL, INDEX_OP_SLOTS, INDEX_PUT, putUintFrame, uintOfFrame } from './index-wire.mjs';
import { SortedBytesMap } from './sorted-bytes-map.mjs';

/** @type {Map<number, SortedBytesMap>} */
const maps = new Map();

/**
 * A uint value framed as the index writer frames it (index-wire.mjs, codecs.ts).
 * @param {number} value
 */
function uintFrame(value) {
  const bytes = new Uint8Array(14);
  return bytes.subarray(0, putUintFrame(bytes, 0, value));
}

/** @param {number} store */
function mapOf(store) {
  let map = maps.get(store);
  if (map === undefined) {
    // Index entries go in by their numbers (index-wire.mjs): key and value bytes are made only if a query reads them.
    map = new SortedBytesMap(uintFrame);
    maps.set(store, map);
  }
  return map;
}

/**
 * Puts and deletes the first `count` index operations of `ops`.
 * @param {SortedBytesMap} map
 * @param {Float64Array} ops
 * @param {number} count
 */
function applyIndexOps(map, ops, count) {
  for (let o = 0; o < count * INDEX_OP_SLOTS; o += INDEX_OP_SLOTS) {
    const head = ops[o];
    const kind = head & 3;
    const fields = (head >> 2) & 3;
    if (kind === INDEX_PUT) map.setNumeric(head >> 4, fields, ops[o + 1], ops[o + 2], ops[o + 3], ops[o + 4]);
    else if (kind === INDEX_DEL) map.deleteNumeric(head >> 4, fields, ops[o + 1], ops[o + 2], ops[o + 3]);
  }
}

/**
 * What a request asks, and the buffers its answer transfers.
 * @param {{ op: string, store: number, ops?: ArrayBuffer, count?: number, keys?: ArrayBuffer, range?: import('./sorted-bytes-map.mjs').ByteRange }} request
 * @returns {[unknown, ArrayBuffer[]]}
 */
function answer(request) {
  if (request.op === 'clear') {
    maps.delete(request.store);
    return [null, []];
  }
  if (request.op === 'writeIndex') {
    applyIndexOps(mapOf(request.store), new Float64Array(request.ops), request.count);
    return [request.ops, [request.ops]];
  }
  // A read of a store with no entries (none written since its last clear) makes no map.
  const map = maps.get(request.store);
  switch (request.op) {
    case 'getMany':
      return transferList(unpackByteList(request.keys).map((key) => (key === undefined || map === undefined ? undefined : map.get(key))));
    case 'entries': {
      const flat = [];
      for (const [key, value] of map?.range(request.range) ?? []) flat.push(key, value);
      return transferList(flat);
    }
    case 'numbers': {
      /** @type {number[]} */
      const out = [];
      map?.numbersInRange(request.range, out, uintOfFrame);
      const numbers = Float64Array.from(out);
      return [numbers.buffer, [numbers.buffer]];
    }
    case 'keys':
      return transferList((map?.range(request.range) ?? []).map(([key]) => key));
    default:
      throw new Error(`unknown request ${request.op}`);
  }
}

parentPort.on('message', (request) => {
  // A store closed, or collected unclosed: its entries go. No reply.
  if (request.op === 'drop') {
    maps.delete(request.store);
    return;
  }
  try {
    const [result, transfer] = answer(request);
    parentPort.postMessage({ id: request.id, result }, transfer);
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: { message: error instanceof Error ? error.message : String(error) } });
  }
});
