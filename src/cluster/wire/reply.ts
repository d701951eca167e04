// A shard leader's answer to a request. Results travel as the engine wrote them (its result,
// fill and event slots, with their strides in the header), so the client reads them through the
// same BatchResults accessors as a local submitBatch, events included (`results.events`).
//
//   0  u8   format version (1)
//   1  u8   kind (4)
//   2  u8   status (ReplyStatus)
//   3  u8   0
//   4  u32  shard
//   8  f64  streamSeq   where the request's record is in the shard's stream (0: not committed)
//  16  f64  batchSeq    its position in the hash chain
//  24  f64  epoch       the leader's term that committed it
//  32  f64  firstFillSeq
//  40  u32  commands    results that follow, resultStride float64 each
//  44  u32  fills       fills that follow, fillStride float64 each
//  48  u16  resultStride
//  50  u16  fillStride
//  52  u32  events      events that follow, eventStride float64 each
//  56  u32  message bytes (UTF-8, for refusals)
//  60  u16  eventStride
//  62  u16  0
//  64  ...  results, fills, events, message
import { BatchResults } from '../../batch.js';
import { invalidArgument, LobError } from '../../errors.js';
import { EVENT_STRIDE, FILL_STRIDE, RESULT_STRIDE } from '../engine-layout.js';
import { checkHeader, viewOf } from './bytes.js';

export const REPLY_VERSION = 1;
const REPLY_KIND = 4;
export const REPLY_HEADER_BYTES = 64;
/** Where the header keeps the status (ReplyStatus). */
const STATUS_OFFSET = 2;

export const ReplyStatus = {
  /** Appended to the stream (a quorum of servers holds it) and applied: results follow. */
  COMMITTED: 1,
  /** A retry of a request committed earlier: the original results follow. */
  DUPLICATE: 2,
  /**
   * Committed, without its results: a retry of a request committed earlier, whose results this
   * leader no longer holds, or an answer too large for the servers' max_payload.
   */
  DUPLICATE_FORGOTTEN: 3,
  /** Bad input (the message says which field): nothing was appended. */
  REJECTED: 4,
  /** This member does not lead the shard (any more): send the request again. */
  NOT_LEADER: 5,
  /**
   * The request's message id is stored in the stream, but the leader cannot tell whether the
   * chain applied it (the record is older than anything this member has seen): not an answer.
   */
  UNKNOWN_OUTCOME: 6,
  /**
   * The shard's stream refused the append for want of room (its limits, or the servers'
   * storage): nothing was appended, and sending the same again meets the same until an operator
   * makes room. The message says which limit.
   */
  STREAM_FULL: 7,
  /** The shard's stream does not exist (it was deleted): nothing was appended, or ever will be. */
  STREAM_MISSING: 8,
} as const;
export type ReplyStatus = (typeof ReplyStatus)[keyof typeof ReplyStatus];

const STATUS_NAMES = ['', 'committed', 'duplicate', 'duplicate-forgotten', 'rejected', 'not-leader', 'unknown-outcome', 'stream-full', 'stream-missing'] as const;
export type ReplyStatusName = Exclude<(typeof STATUS_NAMES)[number], ''>;

export interface ReplyPosition {
  shard: number;
  streamSeq: number;
  batchSeq: number;
  epoch: number;
}

export interface ReplyResults {
  results: Float64Array;
  count: number;
  resultStride: number;
  fills: Float64Array;
  fillCount: number;
  fillStride: number;
  events: Float64Array;
  eventCount: number;
  eventStride: number;
  firstFillSeq: number;
}

const NO_POSITION: ReplyPosition = { shard: 0, streamSeq: 0, batchSeq: 0, epoch: 0 };

export function encodeReply(status: ReplyStatus, position: ReplyPosition = NO_POSITION, results?: ReplyResults, message = ''): Uint8Array {
  const text = new TextEncoder().encode(message);
  const resultSlots = results === undefined ? 0 : results.count * results.resultStride;
  const fillSlots = results === undefined ? 0 : results.fillCount * results.fillStride;
  const eventSlots = results === undefined ? 0 : results.eventCount * results.eventStride;
  const bytes = new Uint8Array(REPLY_HEADER_BYTES + 8 * (resultSlots + fillSlots + eventSlots) + text.byteLength);
  const view = viewOf(bytes);
  bytes[0] = REPLY_VERSION;
  bytes[1] = REPLY_KIND;
  bytes[STATUS_OFFSET] = status;
  view.setUint32(4, position.shard, true);
  view.setFloat64(8, position.streamSeq, true);
  view.setFloat64(16, position.batchSeq, true);
  view.setFloat64(24, position.epoch, true);
  if (results !== undefined) {
    view.setFloat64(32, results.firstFillSeq, true);
    view.setUint32(40, results.count, true);
    view.setUint32(44, results.fillCount, true);
    view.setUint16(48, results.resultStride, true);
    view.setUint16(50, results.fillStride, true);
    view.setUint32(52, results.eventCount, true);
    view.setUint16(60, results.eventStride, true);
    // The header is 64 bytes, so the sections start 8-byte aligned: plain float64 copies.
    const slots = new Float64Array(bytes.buffer, REPLY_HEADER_BYTES, resultSlots + fillSlots + eventSlots);
    slots.set(results.results.subarray(0, resultSlots), 0);
    slots.set(results.fills.subarray(0, fillSlots), resultSlots);
    slots.set(results.events.subarray(0, eventSlots), resultSlots + fillSlots);
  }
  view.setUint32(56, text.byteLength, true);
  bytes.set(text, REPLY_HEADER_BYTES + 8 * (resultSlots + fillSlots + eventSlots));
  return bytes;
}

/** An encoded reply's status, read without decoding the rest. */
export function replyStatus(reply: Uint8Array): ReplyStatus {
  return reply[STATUS_OFFSET] as ReplyStatus;
}

/** The same reply with another status (a cached answer handed out again as a duplicate). */
export function withStatus(reply: Uint8Array, status: ReplyStatus): Uint8Array {
  const copy = reply.slice();
  copy[STATUS_OFFSET] = status;
  return copy;
}

/**
 * The answer to a retry of a request the chain applied, from the reply it got then. A batch the
 * engine refused is answered with that refusal again: as a 'duplicate' with no results, the
 * client would count it committed.
 */
export function duplicateAnswer(cached: Uint8Array): Uint8Array {
  return replyStatus(cached) === ReplyStatus.REJECTED ? cached : withStatus(cached, ReplyStatus.DUPLICATE);
}

/**
 * A committed reply without its results (DUPLICATE_FORGOTTEN, same position), for one the servers
 * would refuse to carry: past max_payload, publishing it throws.
 */
export function withoutResults(reply: Uint8Array): Uint8Array {
  const view = viewOf(reply);
  return encodeReply(ReplyStatus.DUPLICATE_FORGOTTEN, {
    shard: view.getUint32(4, true), streamSeq: view.getFloat64(8, true), batchSeq: view.getFloat64(16, true), epoch: view.getFloat64(24, true),
  });
}

/** A decoded reply; `results` reads like a local submitBatch's results. */
export class ClusterReply {
  readonly status: ReplyStatusName;
  readonly shard: number;
  readonly streamSeq: number;
  readonly batchSeq: number;
  readonly epoch: number;
  readonly firstFillSeq: number;
  /** Results, fills and events (`results.events`), read as after a local submitBatch. */
  readonly results = new BatchResults();
  readonly message: string;

  /** `commands`: the request's command slots (fills take their command's timestamp). */
  constructor(bytes: Uint8Array, commands: Float64Array) {
    // Exported: a caller's undefined would otherwise be a TypeError from deep in the header's read.
    if (!(bytes instanceof Uint8Array)) throw invalidArgument('bytes', 'a Uint8Array (a reply as it arrived)', bytes);
    if (!(commands instanceof Float64Array)) throw invalidArgument('commands', "a Float64Array (the request's command slots)", commands);
    const view = checkHeader(bytes, 'reply', REPLY_HEADER_BYTES, REPLY_VERSION, REPLY_KIND);
    const code = bytes[STATUS_OFFSET];
    const status = STATUS_NAMES[code];
    if (status === undefined || status === '') throw new LobError('CORRUPTION', `reply: unknown status ${code}`);
    this.status = status;
    this.shard = view.getUint32(4, true);
    this.streamSeq = view.getFloat64(8, true);
    this.batchSeq = view.getFloat64(16, true);
    this.epoch = view.getFloat64(24, true);
    this.firstFillSeq = view.getFloat64(32, true);
    const count = view.getUint32(40, true);
    const fillCount = view.getUint32(44, true);
    const eventCount = view.getUint32(52, true);
    const resultStride = view.getUint16(48, true);
    const fillStride = view.getUint16(50, true);
    const eventStride = view.getUint16(60, true);
    if ((count > 0 && resultStride !== RESULT_STRIDE) || (fillCount > 0 && fillStride !== FILL_STRIDE) || (eventCount > 0 && eventStride !== EVENT_STRIDE)) {
      throw new LobError('UNSUPPORTED_VERSION', `reply: results, fills and events of ${resultStride}, ${fillStride} and ${eventStride} slots; this engine reads ${RESULT_STRIDE}, ${FILL_STRIDE} and ${EVENT_STRIDE}`);
    }
    const resultSlots = count * resultStride;
    const fillSlots = fillCount * fillStride;
    const eventSlots = eventCount * eventStride;
    const messageBytes = view.getUint32(56, true);
    const sectionsEnd = REPLY_HEADER_BYTES + 8 * (resultSlots + fillSlots + eventSlots);
    if (sectionsEnd + messageBytes !== bytes.byteLength) {
      throw new LobError('CORRUPTION', `reply: its sections add up to ${sectionsEnd + messageBytes} bytes, ${bytes.byteLength} arrived`);
    }
    // Float64Array views need 8-byte alignment; a message buffer gives no such promise. (A copy
    // through the Uint8Array constructor: a Node Buffer's slice() would be another view.)
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
    const slots = new Float64Array(aligned.buffer, aligned.byteOffset + REPLY_HEADER_BYTES, resultSlots + fillSlots + eventSlots);
    this.results.set(commands, slots.subarray(0, resultSlots), count, slots.subarray(resultSlots, resultSlots + fillSlots), fillCount,
      slots.subarray(resultSlots + fillSlots), eventCount);
    this.message = new TextDecoder().decode(aligned.subarray(sectionsEnd));
  }

  /** Committed now or before: the commands are in the stream exactly once. */
  get committed(): boolean {
    return this.status === 'committed' || this.status === 'duplicate' || this.status === 'duplicate-forgotten';
  }

  /**
   * Throws CORRUPTION unless this reply can be the answer to a request of `commands` commands
   * sent to `shard`: a committed answer names that shard and carries one result per command (a
   * forgotten duplicate none), and every fill and event names one of them. Trusted as it came,
   * another shard's or another request's answer would hand callers outcomes that are not theirs,
   * and a fill naming a command past the end would vanish without a word.
   */
  requireAnswerTo(shard: number, commands: number): void {
    if (!this.committed) return;
    const what = `reply to a request of ${commands} command(s) on shard ${shard}`;
    if (this.shard !== shard) throw new LobError('CORRUPTION', `${what}: it names shard ${this.shard}`);
    const expected = this.status === 'duplicate-forgotten' ? 0 : commands;
    const r = this.results;
    if (r.count !== expected) throw new LobError('CORRUPTION', `${what}: ${this.status} with ${r.count} result(s), expected ${expected}`);
    for (let j = 0; j < r.fillCount; j++) {
      if (!(r.fillCommand(j) < r.count)) throw new LobError('CORRUPTION', `${what}: fill ${j} names command ${r.fillCommand(j)}`);
    }
    for (let k = 0; k < r.events.count; k++) {
      const command = r.events.command(k);
      if (!(Number.isInteger(command) && command >= 0 && command < r.count)) throw new LobError('CORRUPTION', `${what}: event ${k} names command ${command}`);
    }
  }
}
