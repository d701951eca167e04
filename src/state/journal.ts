// Reading the command journal back. Each flush wrote one journal value keyed by its first
// sequence (commit-builder.ts); recovery replays them in order, and a checkpoint lets the values
// it covers go. The event blocks of the same flushes stay: they are the audit trail.
import { CommandBatch } from '../batch.js';
import { LobError } from '../errors.js';
import { COMMAND_SLOTS } from '../operations.js';
import { ByteReader } from './bytes.js';
import { journalPayload } from './codecs.js';
import { CommandDecoder } from './command-codec.js';
import { Prefix, describeKey, journalKey, keyIntegers } from './keys.js';
import type { KeyValueStore } from './memory-store.js';
import type { StoreBatch } from './store-wire.js';
import type { Store } from './store.js';

/** A run of a journal value: commands to submit as one batch, or a height change. */
export type JournalRun = { kind: 'commands'; batch: CommandBatch } | { kind: 'height'; height: number };

/** One stored journal value, checked to continue exactly where the previous one ended. */
export interface JournalRecord {
  readonly key: Uint8Array;
  readonly firstSequence: number;
  readonly entryCount: number;
  readonly runs: JournalRun[];
}

/** Decodes a journal value into runs; a malformed one is CORRUPTION naming the key. */
export function decodeJournalRecord(key: Uint8Array, value: Uint8Array): { entryCount: number; runs: JournalRun[] } {
  const payload = journalPayload(key, value);
  try {
    const reader = new ByteReader(payload);
    const entryCount = reader.uint();
    const decoder = new CommandDecoder(reader);
    const runs: JournalRun[] = [];
    const record = new Float64Array(COMMAND_SLOTS);
    let batch: CommandBatch | null = null;
    for (let n = 0; n < entryCount; n++) {
      const height = decoder.next(record, 0);
      if (height >= 0) {
        runs.push({ kind: 'height', height });
        batch = null;
        continue;
      }
      if (batch === null) {
        batch = new CommandBatch(Math.min(entryCount - n, 4096));
        runs.push({ kind: 'commands', batch });
      }
      batch.push(record[0], record[1], record[2], record[3], record[4], record[5], record[6], record[7], record[8], record[9], record[10]);
    }
    if (!reader.done) throw new Error(`${reader.end - reader.offset} bytes left after ${entryCount} entries`);
    return { entryCount, runs };
  } catch (error) {
    if (error instanceof LobError) throw error;
    throw new LobError('CORRUPTION', `journal value at key ${describeKey(key)} is malformed: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Every journal record after `sequence`, in order. A gap, an overlap or a damaged value is
 * CORRUPTION naming the key: replay never skips what it cannot read.
 */
export async function* readJournalAfter(store: Store | KeyValueStore, sequence: number): AsyncGenerator<JournalRecord> {
  let expected = sequence + 1;
  let range = { gte: journalKey(expected), lt: Buffer.from([Prefix.JOURNAL + 1]), limit: 64 } as { gte?: Uint8Array; gt?: Uint8Array; lt: Uint8Array; limit: number };
  let reading = store.entries(range);
  for (;;) {
    const page = await reading;
    // The next page is read while this one is decoded and replayed: the store's thread and this
    // one take turns otherwise, each idle while the other works.
    const full = page.length === range.limit;
    if (full) {
      range = { gt: page[page.length - 1][0], lt: range.lt, limit: range.limit };
      reading = store.entries(range);
      reading.catch(() => undefined); // seen when awaited; a replay that stops early leaves it unread
    }
    for (const [key, value] of page) {
      const [firstSequence] = keyIntegers(key, Prefix.JOURNAL, 1);
      if (firstSequence !== expected) {
        throw new LobError('CORRUPTION', `journal record ${describeKey(key)} starts at sequence ${firstSequence}, expected ${expected}: records are missing`);
      }
      const { entryCount, runs } = decodeJournalRecord(key, value);
      yield { key, firstSequence, entryCount, runs };
      expected += entryCount;
    }
    if (!full) return;
  }
}

/** Deletes the journal records that end at or before `sequence` (a checkpoint covers them). */
export async function pruneJournalThrough(store: KeyValueStore, batch: StoreBatch, sequence: number): Promise<number> {
  const keys = await store.keys({ gte: journalKey(0), lt: journalKey(sequence + 1) });
  for (const key of keys) batch.del(key);
  return keys.length;
}
