// The core's exports: the numeric interface src/wasm-core.ts calls (see src/core.ts).
// Per-call commands write their outcome to the host block's `out` slots; every buffer's
// current address is published in the host block (host-block.ts).
import { resetAllocator } from './allocator';
import { resetOrders } from './orders';
import { resetLevels } from './levels';
import { resetBooks } from './books';
import { resetTraders } from './traders';
import { resetOrderIndex, indexBytes } from './order-index';
import { resetBuffers, clearFills, fillCount, reserveBatch as reserveBatchBuffers } from './buffers';
import { hostBlock, resetHostBlock, OUT, OUT_FILL_COUNT } from './host-block';
import { levelsInUse, resetCounters, restingOrders as restingOrderCount } from './resting';
import { setLimits } from './limits';
import * as matching from './matching';
import { runCommands } from './batch';
import { writeBookOrders, writeLevels, writeOrderById } from './queries';
import { beginSnapshot, restoreSnapshot, snapshotChunk, snapshotChunkAddress } from './snapshot';
import { alloc } from './allocator';

let memoryPages: u32 = 65536;

/** Empties the core; false when even the initial tables do not fit. */
function resetCore(): bool {
  resetAllocator(memoryPages);
  resetHostBlock();
  resetBuffers();
  resetOrders();
  resetLevels();
  resetBooks();
  resetTraders();
  resetCounters();
  matching.setNextOrderId(1);
  return resetOrderIndex();
}

/** Once, before anything else. Limits: Infinity for none. Returns the host block's address, or 0. */
export function init(maxPages: u32, maxOrders: f64, maxLevels: f64): usize {
  memoryPages = maxPages;
  setLimits(maxOrders, maxLevels);
  return resetCore() ? hostBlock : 0;
}

@inline function finishCall(): void {
  store<f64>(OUT, <f64>fillCount, OUT_FILL_COUNT);
}

export function placeLimit(
  trader: f64, asset: f64, side: u32, price: f64, size: f64, timestamp: f64, tif: u32, stp: u32,
): void {
  clearFills();
  matching.placeLimit(OUT, 0, trader, asset, side, price, size, timestamp, tif, stp);
  finishCall();
}

export function placeMarket(
  trader: f64, asset: f64, side: u32, size: f64, timestamp: f64, protectionPrice: f64, stp: u32,
): void {
  clearFills();
  matching.placeMarket(OUT, 0, trader, asset, side, size, protectionPrice, stp);
  finishCall();
}

export function cancel(trader: f64, asset: f64, orderId: f64): void {
  clearFills();
  matching.cancel(OUT, trader, asset, orderId);
  finishCall();
}

export function reduce(trader: f64, asset: f64, orderId: f64, by: f64): void {
  clearFills();
  matching.reduce(OUT, trader, asset, orderId, by);
  finishCall();
}

export function modify(trader: f64, asset: f64, orderId: f64, price: f64, size: f64, timestamp: f64): void {
  clearFills();
  matching.modify(OUT, 0, trader, asset, orderId, price, size, timestamp);
  finishCall();
}

/** Input and result space for `count` commands; false when memory cannot grow. */
export function reserveBatch(count: u32): bool {
  return reserveBatchBuffers(count);
}

/** Runs `count` commands from the input buffer; returns the number of fills. */
export function runBatch(count: u32): u32 {
  return runCommands(count);
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

/** Empties the core and returns room for a snapshot of `bytes`, or 0 (the core is then empty). */
export function restoreBegin(bytes: u32): usize {
  if (!resetCore()) return 0;
  return alloc(bytes);
}
/** Rebuilds from the snapshot copied to `at`; false when memory ran out part way. */
export function restoreApply(at: usize, orders: u32): bool {
  return restoreSnapshot(at, orders);
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
export function orderIndexBytes(): usize {
  return indexBytes();
}
