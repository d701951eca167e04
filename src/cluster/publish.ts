// One JetStream append with the two guards every leader write carries: a message id (a second
// append of the same id is answered as a duplicate and stored once) and the stream's expected
// last sequence (an append on top of anything but what this writer last saw is refused, which
// is how a deposed leader is stopped). The outcome is sorted into what the leader acts on.
import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { RECORD_HEADER_BYTES } from './wire/record.js';

export type AppendOutcome =
  | { kind: 'stored'; seq: number; duplicate: boolean }
  /** The stream's last sequence was not the expected one: someone else appended, or an earlier append of ours failed. */
  | { kind: 'wrong-last-sequence'; message: string }
  /** The servers refuse this connection the subject: its credentials may not append here. */
  | { kind: 'refused'; message: string }
  /** No answer or no stream leader (an election, a dead server): the same append may be tried again. */
  | { kind: 'retry'; message: string };

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

export async function appendRecord(
  js: JetStreamClient, subject: string, record: Uint8Array, msgId: string, expectedLastSeq: number, timeoutMs: number,
): Promise<AppendOutcome> {
  try {
    const ack = await js.publish(subject, record, { msgID: msgId, expect: { lastSequence: expectedLastSeq }, timeout: timeoutMs, retries: 1 });
    return { kind: 'stored', seq: ack.seq, duplicate: ack.duplicate };
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE) return { kind: 'wrong-last-sequence', message: error.message };
    const message = (error as Error).message;
    if (/permissions violation/i.test(message)) return { kind: 'refused', message };
    return { kind: 'retry', message };
  }
}
