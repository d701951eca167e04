// The core's exports: the numeric interface src/wasm-core.ts calls (see src/core.ts).
// Per-call commands write their outcome to the host block's `out` slots; every buffer's
// current address is published in the host block (host-block.ts).
import { resetAllocator } from './allocator';
import { resetOrders } from './orders';
import { resetPending } from './pending';
import { placeOco as placeOcoPair, placeStop as placeStopOrder, runTriggers } from './stops';
import { resetLevels, findLevel, levelMapBytes as mapBytes, levelMapSlots as mapSlots, levelMapEntries as mapEntries } from './levels';
import { resetBooks, findBook, bookSide } from './books';
import { resetTraders, lookupTrader, traderMapBytes as tradersBytes, traderMapSlots as tradersSlots, NO_TRADER } from './traders';
import { resetOrderIndex, indexBytes, indexDisplacement, indexMostMigrated, indexSlots } from './order-index';
import { resetBuffers, clearFills, fillCount, reserveInput as reserveInputBuffer } from './buffers';
import {
  hostBlock, resetHostBlock, OUT, OUT_EVENT_COUNT, OUT_FILL_COUNT, HB_EVENTS, HB_EVENT_CAPACITY, HB_FILLS, HB_MEMORY_PAGES,
  HB_FILL_CAPACITY, HB_INPUT, HB_INPUT_CAPACITY, HB_QUERY, HB_QUERY_CAPACITY, HB_RESULTS, HB_RESULT_CAPACITY,
} from './host-block';
import { clearEvents, eventCount, resetEvents, setEventCommand, setRecording } from './events';
import { cancelAll as cancelAllOrders } from './cancel-all';
import { TIF_GTC } from './codes';
import { COMMAND_BYTES } from './operations';
export { operationField, operationFlags } from './operations';
import { levelsInUse, resetCounters, restingOrders as restingOrderCount } from './resting';
import { pendingStops } from './pending';
import { setLimits } from './limits';
import * as matching from './matching';
import { runCommands } from './batch';
import { writeBookOrders, writeLevels, writeOrderById } from './queries';
import { beginRestore, beginSnapshot, restoreChunk, restoreComplete, snapshotChunk, snapshotChunkAddress, touchRestoredIndex } from './snapshot';
import { alloc, free, reserveBytes } from './allocator';

let memoryPages: u32 = 65536;

/** The highest id placeLimit returns (a Smi in every V8 build); beyond it the host reads `out`. */
const SMALL_ID_LIMIT: f64 = 0x3fffffff;

/** Empties the core; false when even the initial tables do not fit. */
function resetCore(): bool {
  resetAllocator(memoryPages);
  resetHostBlock();
  resetBuffers();
  resetEvents();
  resetOrders();
  resetPending();
  resetLevels();
  resetBooks();
  resetTraders();
  resetCounters();
  matching.setNextOrderId(1);
  return resetOrderIndex();
}

/** Once, before anything else. Limits: Infinity for none. Returns the host block's address, or 0. */
export function init(maxPages: u32, maxOrders: f64, maxLevels: f64, recordEvents: bool): usize {
  memoryPages = maxPages;
  setLimits(maxOrders, maxLevels);
  setRecording(recordEvents);
  return resetCore() ? hostBlock : 0;
}

@inline function beginCall(): void {
  clearFills();
  clearEvents();
  setEventCommand(0);
}

@inline function finishCall(): void {
  store<f64>(OUT, <f64>fillCount, OUT_FILL_COUNT);
  store<f64>(OUT, <f64>eventCount, OUT_EVENT_COUNT);
}

/**
 * finishCall for a fast path that made no fills. A tail of its own rather than one shared with the
 * general path: V8 then no longer reloads the general path's arguments on the way out (placeLimit
 * about 2.6 instructions a call, cancel about 2).
 */
@inline function finishWithoutFills(): void {
  store<f64>(OUT, 0, OUT_FILL_COUNT);
  store<f64>(OUT, <f64>eventCount, OUT_EVENT_COUNT);
}

export function placeLimit(
  trader: f64, asset: f64, side: u32, price: f64, size: f64, timestamp: f64, tif: u32, stp: u32, clientOrderId: f64,
): i32 {
  beginCall();
  // Straight to the resting path, as the JS core's placeLimit (src/js-core/index.ts) goes: an
  // order that rests whole has not traded, so only the general path looks for triggered stops.
  // Its id is the whole outcome the host needs (src/core.ts, MatchingCore.placeLimit), returned as
  // an i32 while it is a small integer: an f64 result is a number V8 boxes at every call.
  if (tif == TIF_GTC) {
    const id = matching.restWithoutCrossing(OUT, trader, asset, side, price, size, timestamp, stp, clientOrderId);
    if (id != 0) {
      finishWithoutFills();
      return id <= SMALL_ID_LIMIT ? <i32>id : 0;
    }
  }
  matching.placeLimitGeneral(OUT, 0, trader, asset, side, price, size, timestamp, tif, stp, clientOrderId, 0, 0);
  runTriggers(0, timestamp);
  finishCall();
  return 0;
}

/** size 0: sized by `budget` instead. */
export function placeMarket(
  trader: f64, asset: f64, side: u32, size: f64, budget: f64, timestamp: f64, protectionPrice: f64, stp: u32,
  clientOrderId: f64,
): void {
  beginCall();
  matching.placeMarket(OUT, 0, trader, asset, side, size, budget, protectionPrice, stp, clientOrderId, 0);
  runTriggers(0, timestamp);
  finishCall();
}

/** price 0: a stop-market (protectionPrice 0: none); otherwise a stop-limit with its tif. */
export function placeStop(
  trader: f64, asset: f64, side: u32, size: f64, stopPrice: f64, price: f64, protectionPrice: f64, timestamp: f64,
  tif: u32, stp: u32, clientOrderId: f64,
): void {
  beginCall();
  placeStopOrder(OUT, trader, asset, side, size, stopPrice, price, protectionPrice, timestamp, tif, stp, clientOrderId);
  finishCall();
}

/** stopLimitPrice 0: the stop leg is a stop-market. */
export function placeOco(
  trader: f64, asset: f64, side: u32, size: f64, price: f64, stopPrice: f64, stopLimitPrice: f64, timestamp: f64,
  stp: u32, clientOrderId: f64,
): void {
  beginCall();
  placeOcoPair(OUT, 0, trader, asset, side, size, price, stopPrice, stopLimitPrice, timestamp, stp, clientOrderId);
  runTriggers(0, timestamp);
  finishCall();
}

export function cancel(trader: f64, asset: f64, orderId: f64): i32 {
  beginCall();
  // The common case first, as the JS core's cancel goes.
  if (matching.cancelResting(OUT, trader, asset, orderId)) {
    finishWithoutFills();
    return 1;
  }
  matching.cancel(OUT, trader, asset, orderId);
  finishCall();
  return 0;
}

export function reduce(trader: f64, asset: f64, orderId: f64, by: f64): void {
  beginCall();
  matching.reduce(OUT, trader, asset, orderId, by);
  finishCall();
}

export function modify(trader: f64, asset: f64, orderId: f64, price: f64, size: f64, timestamp: f64): void {
  beginCall();
  matching.modify(OUT, 0, trader, asset, orderId, price, size, timestamp);
  runTriggers(0, timestamp);
  finishCall();
}

/** allAssets: every book (asset is ignored). */
export function cancelAll(trader: f64, asset: f64, allAssets: bool): void {
  beginCall();
  cancelAllOrders(OUT, trader, asset, allAssets);
  finishCall();
}

/** The core's own input space for `count` commands (for a batch the host copies in); false when memory cannot grow. */
export function reserveInput(count: u32): bool {
  return reserveInputBuffer(count);
}

/**
 * A block for a batch of `capacity` commands that the host writes in place (CommandBatch storage),
 * zeroed; 0 when memory cannot grow. A builder writes only its op's slots, and the batch check's
 * fast path wants the others to be numbers in range (operations.ts): a reused block could hold
 * any bytes.
 */
export function allocCommands(capacity: u32): usize {
  const bytes = <usize>capacity * COMMAND_BYTES;
  const block = alloc(bytes);
  if (block != 0) memory.fill(block, 0, bytes);
  return block;
}
export function freeCommands(block: usize, capacity: u32): void {
  free(block, <usize>capacity * COMMAND_BYTES);
}

/**
 * Checks, then runs, `count` commands at `commands`; returns the number of fills, or a negative
 * fault (batch.ts) when nothing was applied.
 */
export function runBatch(commands: usize, count: u32, checked: bool): f64 {
  const result = runCommands(commands, count, checked);
  store<f64>(OUT, <f64>eventCount, OUT_EVENT_COUNT);
  return result;
}

/** Where the host block keeps each pointer, for the host's mirror check (test/operations.test.ts). */
export function hostBlockLayout(i: u32): u32 {
  switch (i) {
    case 0: return <u32>OUT_FILL_COUNT;
    case 1: return <u32>OUT_EVENT_COUNT;
    case 2: return <u32>HB_FILLS;
    case 3: return <u32>HB_FILL_CAPACITY;
    case 4: return <u32>HB_RESULTS;
    case 5: return <u32>HB_RESULT_CAPACITY;
    case 6: return <u32>HB_INPUT;
    case 7: return <u32>HB_INPUT_CAPACITY;
    case 8: return <u32>HB_QUERY;
    case 9: return <u32>HB_QUERY_CAPACITY;
    case 10: return <u32>HB_EVENTS;
    case 11: return <u32>HB_EVENT_CAPACITY;
    case 12: return <u32>HB_MEMORY_PAGES;
    default: return 0xffffffff;
  }
}

export function levels(asset: f64, side: u32, most: f64): i32 {
  return writeLevels(asset, side, most);
}
export function findOrder(orderId: f64): i32 {
  return writeOrderById(orderId);
}
export function listOrders(asset: f64): i32 {
  return writeBookOrders(asset);
}

/** Starts a snapshot and returns its byte length; snapshotChunk() then yields it piece by piece. */
export function snapshotBegin(): f64 {
  return beginSnapshot();
}
export function snapshotNext(): u32 {
  return snapshotChunk();
}
export function snapshotChunkAt(): usize {
  return snapshotChunkAddress();
}

/**
 * Empties the core and starts a restore of a snapshot holding `orders` resting orders and
 * pending stops; returns the chunk the host copies each piece into (restoreNext), or 0 when
 * memory ran out (the core is then empty).
 */
export function restoreBegin(orders: u32): usize {
  if (!resetCore() || !beginRestore(orders)) return 0;
  return snapshotChunkAddress();
}
/** Faults in the pages of the order index restoreBegin sized, before the restore's hashed inserts reach them. */
export function restoreTouchIndex(): void {
  touchRestoredIndex();
}
/** Restores the whole records among the chunk's first `bytes`: the bytes they took, or -1 when memory ran out part way. */
export function restoreNext(bytes: u32): i32 {
  return restoreChunk(bytes);
}
/** Whether the restore has read the snapshot's last record. */
export function restoreDone(): bool {
  return restoreComplete();
}
/**
 * Grows linear memory at once for `bytes` more (a restore asks for its snapshot's size), so that
 * the host can have its pages touched ahead of the restore; the memory's size in bytes, or 0 when
 * the limit does not allow it.
 */
export function reserveMemory(bytes: f64): f64 {
  return <f64>reserveBytes(<u64>bytes);
}

export function nextOrderId(): f64 {
  return matching.nextOrderId;
}
export function restingOrders(): u32 {
  return restingOrderCount;
}
export function priceLevels(): u32 {
  return levelsInUse;
}
export function pendingStopCount(): u32 {
  return pendingStops;
}
export function memoryRefusals(): u32 {
  return matching.memoryRefusals;
}
export function orderIndexBytes(): usize {
  return indexBytes();
}
export function orderIndexDisplacement(): f64 {
  return indexDisplacement();
}
export function orderIndexSlots(): u32 {
  return indexSlots();
}
export function orderIndexMostMigrated(): u32 {
  return indexMostMigrated();
}
export function levelMapBytes(): usize {
  return mapBytes();
}
export function levelMapSlots(): u32 {
  return mapSlots();
}
export function levelMapEntries(): u32 {
  return mapEntries();
}
export function traderMapBytes(): usize {
  return tradersBytes();
}
export function traderMapSlots(): u32 {
  return tradersSlots();
}
/** Whether the trader map finds a trader (for the tests: one it lost would be interned again). */
export function traderMapFinds(trader: f64): bool {
  return lookupTrader(trader) != NO_TRADER;
}
/** Whether the level map finds a level at this price of a book's side (for the tests: a level the map lost would still be in the ladder). */
export function levelMapFinds(asset: f64, side: u32, price: f64): bool {
  const book = findBook(asset);
  return book != 0 && findLevel(bookSide(book, side), price) != 0;
}
