// One JetStream append with the two guards every leader write carries: a message id (a second
// append of the same id is answered as a duplicate and stored once) and the stream's expected
// last sequence (an append on top of anything but what this writer last saw is refused, which
// is how a deposed leader is stopped). The outcome is sorted into what the leader acts on.
import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { RequestError } from '@nats-io/transport-node';
import { RECORD_HEADER_BYTES } from './wire/record.js';

export type AppendOutcome =
  | { kind: 'stored'; seq: number; duplicate: boolean }
  /** The stream's last sequence was not the expected one: someone else appended, or an earlier append of ours failed. */
  | { kind: 'wrong-last-sequence'; message: string }
  /** The servers refuse this connection the subject: its credentials may not append here. */
  | { kind: 'refused'; message: string }
  /**
   * The stream will not store it, and would say the same to the same append sent again: its
   * limits are reached (max_msgs, max_bytes under the discard-new policy; or a record past its
   * max_msg_size), or the servers' JetStream storage is (max_file_store). This append was not
   * stored. `beforeDuplicateCheck`: the servers refused it before looking for its message id (the
   * storage and size checks come first), so the id may still be stored, by an earlier attempt or
   * an earlier record of the same request; a stream's own limits are checked after the id, whose
   * earlier record would have been answered as a duplicate instead.
   */
  | { kind: 'no-room'; message: string; beforeDuplicateCheck: boolean }
  /** The stream does not exist (deleted): the leader's finding, from the stream's info, after no responders. */
  | { kind: 'stream-missing' }
  /**
   * No answer, or no server took it (`noResponders`: no server listens on the subject, as while
   * the stream elects a leader, or for good once it was deleted): the same append may be tried again.
   */
  | { kind: 'retry'; message: string; noResponders: boolean };

/**
 * Room for an append's headers (its message id, at most 35 characters, and expected last
 * sequence), which count against the servers' max_payload together with the record.
 */
const APPEND_HEADER_ROOM = 256;

/** The most an append of `commandBytes` of commands counts against the servers' max_payload. */
export function appendBytes(commandBytes: number): number {
  return RECORD_HEADER_BYTES + commandBytes + APPEND_HEADER_ROOM;
}

/** JetStream's error code for a failed expected-last-sequence check. */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * An append refused for want of room, which the same append sent again meets again: the servers'
 * JetStream storage is used up (10023, "insufficient resources"), the record is past the stream's
 * max_msg_size (10054), or the stream's store refused it for its limits (10077 with "maximum
 * messages exceeded", "maximum bytes exceeded", "maximum messages per subject exceeded"; 10077
 * also carries store errors that can pass, a store closed while the stream changes leader, which
 * are tried again). Sending these again was the leader's answer: every 100 ms for good, its
 * heartbeats keeping the others from taking over, every request of the shard waiting.
 */
function isNoRoom(error: JetStreamApiError): boolean {
  return isRefusedBeforeDuplicateCheck(error) || (error.code === 10077 && /maximum .*exceeded/i.test(error.message));
}

/** The servers' storage (10023) and the stream's max_msg_size (10054) are checked before the message id (nats-server's processClusteredInboundMsg). */
function isRefusedBeforeDuplicateCheck(error: JetStreamApiError): boolean {
  return error.code === 10023 || error.code === 10054;
}

export async function appendRecord(
  js: JetStreamClient, subject: string, record: Uint8Array, msgId: string, expectedLastSeq: number, timeoutMs: number,
): Promise<AppendOutcome> {
  try {
    const ack = await js.publish(subject, record, { msgID: msgId, expect: { lastSequence: expectedLastSeq }, timeout: timeoutMs, retries: 1 });
    return { kind: 'stored', seq: ack.seq, duplicate: ack.duplicate };
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE) return { kind: 'wrong-last-sequence', message: error.message };
    if (error instanceof JetStreamApiError && isNoRoom(error)) return { kind: 'no-room', message: error.message, beforeDuplicateCheck: isRefusedBeforeDuplicateCheck(error) };
    const message = (error as Error).message;
    if (/permissions violation/i.test(message)) return { kind: 'refused', message };
    // The JetStream client reports no responders as "jetstream is not enabled", the request's error its cause.
    const cause = (error as Error).cause;
    return { kind: 'retry', message, noResponders: cause instanceof RequestError && cause.isNoResponders() };
  }
}
