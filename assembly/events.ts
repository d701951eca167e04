// Event records: every change of a book, written as it happens into a buffer the host reads after
// each call or batch (layout and kinds: src/events.ts; mirrored by src/js-core/events.ts). The
// buffer grows like the fill buffer, and only in reserveEvents, which every command calls before
// it changes anything.
import { hostBlock, HB_EVENTS, HB_EVENT_CAPACITY } from './host-block';
import { growRecords } from './buffers';

export const EVENT_BYTES: usize = 96; // EVENT_SLOTS f64

const REASON_SHIFT: u32 = 4;
const SIDE_SHIFT: u32 = 9;
const TYPE_SHIFT: u32 = 10;
const TIF_SHIFT: u32 = 12;
const STP_SHIFT: u32 = 14;
export const PRIORITY_LOST: u32 = 1 << 16;
const LEVEL: u32 = 1 << 17;
/** On ACCEPTED events (and a rejected pair's REJECTED): a leg of an OCO pair. */
export const OCO: u32 = 1 << 18;
/** On events about a stop that has not triggered (placed, refused, reduced, removed): not market data. */
export const PENDING: u32 = 1 << 19;

/** false: nothing is written and the count stays 0 (the host's CoreOptions.events); a restore keeps it. */
let recording: bool = true;

/** Events written since the current call or batch began. */
export let eventCount: u32 = 0;
let eventBase: usize = 0;
let eventCapacity: u32 = 0;
/** Index of the command being applied: 0 per call, its place in a batch. */
let command: f64 = 0;

export function resetEvents(): void {
  eventCount = 0;
  eventBase = 0;
  eventCapacity = 0;
  command = 0;
}

export function setRecording(on: bool): void {
  recording = on;
}

/** Whether events are written (a caller that reads fields only for an event can skip the reads). */
@inline export function eventsRecorded(): bool {
  return recording;
}

@inline export function clearEvents(): void {
  eventCount = 0;
}

@inline export function setEventCommand(index: u32): void {
  command = <f64>index;
}

/** Room for `more` events beyond those written; false (nothing lost) when memory cannot grow. */
@inline export function reserveEvents(more: u32): bool {
  return !recording || <u64>eventCount + more <= <u64>eventCapacity || growEvents(more);
}

function growEvents(more: u32): bool {
  const block = growRecords(eventBase, eventCount, eventCapacity, more, EVENT_BYTES, HB_EVENTS);
  if (block == 0) return false;
  eventBase = block;
  eventCapacity = load<u32>(hostBlock + HB_EVENT_CAPACITY);
  return true;
}

/** The head of an event of `kind`. */
@inline export function eventHead(kind: u32, reason: u32, side: u32): u32 {
  return kind | (reason << REASON_SHIFT) | (side << SIDE_SHIFT);
}

/** The head of an ACCEPTED event. */
@inline export function acceptedHead(kind: u32, side: u32, type: u32, tif: u32, stp: u32): u32 {
  return kind | (side << SIDE_SHIFT) | (type << TYPE_SHIFT) | (tif << TIF_SHIFT) | (stp << STP_SHIFT);
}

/** Writes an event whose order's level did not change (accepted, rejected, a taker's rest). */
@inline export function writeEvent(
  head: u32, asset: f64, orderId: f64, trader: f64, price: f64, size: f64, remaining: f64, other: f64, other2: f64,
): void {
  // Tested here, inlined at every call, so a core without events computes nothing per event.
  if (recording) write(head, asset, orderId, trader, price, size, remaining, other, other2, 0, 0);
}

/** Writes an event that changed its order's level, with the level's size and order count after it. */
@inline export function writeLevelEvent(
  head: u32, asset: f64, orderId: f64, trader: f64, price: f64, size: f64, remaining: f64, other: f64, other2: f64,
  levelSize: f64, levelOrders: u32,
): void {
  if (recording) write(head | LEVEL, asset, orderId, trader, price, size, remaining, other, other2, levelSize, <f64>levelOrders);
}

@inline function write(
  head: u32, asset: f64, orderId: f64, trader: f64, price: f64, size: f64, remaining: f64, other: f64, other2: f64,
  levelSize: f64, levelOrders: f64,
): void {
  const e = eventBase + <usize>(eventCount++) * EVENT_BYTES;
  store<f64>(e, <f64>head, 0);
  store<f64>(e, command, 8);
  store<f64>(e, asset, 16);
  store<f64>(e, orderId, 24);
  store<f64>(e, trader, 32);
  store<f64>(e, price, 40);
  store<f64>(e, size, 48);
  store<f64>(e, remaining, 56);
  store<f64>(e, other, 64);
  store<f64>(e, other2, 72);
  store<f64>(e, levelSize, 80);
  store<f64>(e, levelOrders, 88);
}

