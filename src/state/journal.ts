// The command journal. Every mutating call becomes a command record (src/operations.ts layout),
// every height change an entry of its own; each entry gets the next sequence number. Entries
// wait here until a flush seals them into one journal value keyed by its first sequence.
//
// One value per flush, not per command: measured faster (docs/storage.md, "Keys and values"),
// and replay feeds each run of commands to engine.submitBatch in one call.
import { COMMAND_SLOTS, type RequestEncoder } from '../operations.js';
import { LobError } from '../errors.js';
import { decodeJournal, encodeJournal } from './codecs.js';
import type { JournalEntryRun, JournalSegmentSource } from './codecs.js';
import { Prefix, describeKey, journalKey, keyIntegers } from './keys.js';
import type { Store, StoreBatch } from './store.js';

/** A journal value ready to be written: entries firstSequence .. firstSequence + entryCount - 1. */
export interface SealedRecord {
  readonly firstSequence: number;
  readonly entryCount: number;
  readonly value: Buffer;
}

type Run = { kind: 'commands'; slots: Float64Array; start: number; count: number } | { kind: 'height'; height: number };

export class JournalBuffer {
  private slots = new Float64Array(1024 * COMMAND_SLOTS);
  private commandCount = 0;
  private runs: Run[] = [];
  private openEntries = 0;
  private sealed: SealedRecord[] = [];
  private nextSequence: number;

  constructor(lastSequence: number) {
    this.nextSequence = lastSequence + 1;
  }

  /** Sequence of the newest entry, written or not. */
  get lastSequence(): number {
    return this.nextSequence - 1;
  }

  /** Entries not yet handed to a successful write. */
  get pendingEntries(): number {
    let n = this.openEntries;
    for (const record of this.sealed) n += record.entryCount;
    return n;
  }

  /** Appends a validated per-call request, encoded by its operation's encoder. */
  appendRequest(encode: RequestEncoder, request: unknown): void {
    const offset = this.reserve(1); // first: it may replace this.slots with a larger buffer
    encode(request, this.slots, offset);
  }

  /** Appends `count` encoded commands as they are (the batch path: raw bytes in, raw bytes out). */
  appendCommands(commands: Float64Array, count: number): void {
    const o = this.reserve(count);
    this.slots.set(commands.subarray(0, count * COMMAND_SLOTS), o);
  }

  appendHeight(height: number): void {
    this.runs.push({ kind: 'height', height });
    this.openEntries++;
    this.nextSequence++;
  }

  /** Seals what is open and hands over every sealed record, oldest first. */
  takeRecords(): SealedRecord[] {
    this.seal();
    const records = this.sealed;
    this.sealed = [];
    return records;
  }

  /** Returns records whose write failed to the front of the queue, so the next flush retries them. */
  putBack(records: SealedRecord[]): void {
    if (records.length > 0) this.sealed = records.concat(this.sealed);
  }

  private seal(): void {
    if (this.openEntries === 0) return;
    const source: JournalSegmentSource = { runs: this.runs, entryCount: this.openEntries };
    this.sealed.push({
      firstSequence: this.nextSequence - this.openEntries,
      entryCount: this.openEntries,
      value: encodeJournal(source),
    });
    this.runs = [];
    this.openEntries = 0;
    this.commandCount = 0;
  }

  /** Room for `count` commands at the end of the open run; returns the slot offset. */
  private reserve(count: number): number {
    const needed = (this.commandCount + count) * COMMAND_SLOTS;
    if (needed > this.slots.length) {
      const grown = new Float64Array(Math.max(needed, this.slots.length * 2));
      grown.set(this.slots.subarray(0, this.commandCount * COMMAND_SLOTS));
      this.slots = grown;
      // Runs hold views of the old buffer: point them at the new one.
      for (const run of this.runs) if (run.kind === 'commands') run.slots = grown;
    }
    const last = this.runs[this.runs.length - 1];
    if (last !== undefined && last.kind === 'commands') last.count += count;
    else this.runs.push({ kind: 'commands', slots: this.slots, start: this.commandCount, count });
    const offset = this.commandCount * COMMAND_SLOTS;
    this.commandCount += count;
    this.openEntries += count;
    this.nextSequence += count;
    return offset;
  }
}

export function writeRecords(batch: StoreBatch, records: readonly SealedRecord[]): void {
  for (const record of records) batch.put(journalKey(record.firstSequence), record.value);
}

/** One stored journal value, decoded and checked to continue exactly where the previous one ended. */
export interface JournalRecord {
  readonly key: Buffer;
  readonly firstSequence: number;
  readonly entryCount: number;
  readonly runs: JournalEntryRun[];
}

/**
 * Every journal record after `sequence`, in order. A gap, an overlap or a damaged value is
 * CORRUPTION naming the key: replay never skips what it cannot read.
 */
export async function* readJournalAfter(store: Store, sequence: number): AsyncGenerator<JournalRecord> {
  let expected = sequence + 1;
  const range = { gte: journalKey(expected), lt: Buffer.from([Prefix.JOURNAL + 1]) };
  for await (const page of store.pages(range, 64)) {
    for (const [key, value] of page) {
      const [firstSequence] = keyIntegers(key, Prefix.JOURNAL, 1);
      if (firstSequence !== expected) {
        throw new LobError('CORRUPTION', `journal record ${describeKey(key)} starts at sequence ${firstSequence}, expected ${expected}: records are missing`);
      }
      const { entryCount, runs } = decodeJournal(key, value);
      yield { key, firstSequence, entryCount, runs };
      expected += entryCount;
    }
  }
}

/** Deletes the journal records that end at or before `sequence` (a checkpoint covers them). */
export async function pruneJournalThrough(store: Store, batch: StoreBatch, sequence: number): Promise<number> {
  const keys = await store.keys({ gte: journalKey(0), lt: journalKey(sequence + 1) });
  for (const key of keys) batch.del(key);
  return keys.length;
}
