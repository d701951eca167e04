// Reading the command journal back. Each flush wrote one journal value keyed by its first
// sequence (commit-builder.ts); recovery replays them in order, and a checkpoint lets the values
// it covers go. The event blocks of the same flushes stay: they are the audit trail.
import type { CommandBatch } from '../batch.js';
import { LobError } from '../errors.js';
import { COMMAND_SLOTS } from '../operations.js';
import { ByteReader } from './bytes.js';
import { journalPayload } from './codecs.js';
import { CommandDecoder } from './command-codec.js';
import { Prefix, describeKey, journalKey, keyIntegers } from './keys.js';
import type { KeyValueStore } from './memory-store.js';
import type { StoreBatch } from './store-wire.js';
import type { Store } from './store.js';

/** What a replay does with the journal's entries, in order. */
export interface JournalReplayer {
  /**
   * A run of commands from the journal value at `key`, decoded into the replay's batch: valid until
   * this returns (the batch is reused).
   */
  commands(batch: CommandBatch, key: Uint8Array): void;
  /** A height change; false ends the replay before it. */
  height(height: number): boolean;
  /**
   * The journal value just replayed whole held `commands` commands; `writeCommands` decodes them
   * again, in order, into `into` from slot 0 (heights left out). The value is kept only while the
   * function is.
   */
  replayed?(commands: number, writeCommands: (into: Float64Array) => void): void;
}

/**
 * Commands a run holds at most: runs end at height changes and at this many commands, so the
 * replay's batch (best created by the engine, in its own memory: createBatch) stays this size.
 */
export const REPLAY_RUN_COMMANDS = 4096;

/** One stored journal value, checked to continue exactly where the previous one ended. */
interface JournalRecord {
  readonly key: Uint8Array;
  readonly entryCount: number;
  /** The value's entries, after their count. */
  readonly entries: ByteReader;
}

/** Journal values a read asks the store for at once. */
const JOURNAL_PAGE = 64;
/** The first key past the journal's. */
const JOURNAL_END = Buffer.from([Prefix.JOURNAL + 1]);

/**
 * The journal after `sequence`, its first values asked for from the store at once, before the
 * replay starts: recovery makes it before it proves a checkpoint's engine, so that the store's
 * thread reads while this one hashes.
 */
export class JournalAfter {
  readonly firstPage: Promise<Array<[Uint8Array, Uint8Array]>>;

  constructor(readonly store: Store | KeyValueStore, readonly sequence: number) {
    this.firstPage = store.entries({ gte: journalKey(sequence + 1), lt: JOURNAL_END, limit: JOURNAL_PAGE });
    this.firstPage.catch(() => undefined); // seen when replayed; a proof that fails leaves it unread
  }
}

/**
 * Replays every entry of `journal`: commands are decoded straight into `batch` and
 * handed over in runs, so a replay allocates and copies nothing per command. A gap, an overlap or
 * a damaged value is CORRUPTION naming the key (replay never skips what it cannot read); a value
 * found damaged part way has had its runs before the damage replayed, so a caller that gets the
 * error must drop what it replayed into. Returns how many values and commands it replayed.
 */
export async function replayJournal(
  journal: JournalAfter, batch: CommandBatch, replayer: JournalReplayer,
): Promise<{ records: number; commands: number }> {
  const replay = new Replay(batch, replayer);
  let records = 0;
  for await (const record of readJournal(journal)) {
    records++;
    if (!replay.record(record)) break;
  }
  return { records, commands: replay.commands };
}

/** One replay: its reused batch, and how many commands it has handed over. */
class Replay {
  commands = 0;

  constructor(private readonly batch: CommandBatch, private readonly replayer: JournalReplayer) {}

  /** Decodes one journal value's entries into runs; false when the replayer ended the replay. */
  record(record: JournalRecord): boolean {
    const batch = this.batch;
    const entriesAt = record.entries.offset;
    const commandsBefore = this.commands;
    const decoder = new CommandDecoder(record.entries);
    batch.clear();
    for (let n = 0; n < record.entryCount; n++) {
      const height = decodeEntry(record, decoder, batch);
      if (height < 0) {
        if (batch.count === REPLAY_RUN_COMMANDS) this.handOver(record.key);
        continue;
      }
      this.handOver(record.key);
      if (!this.replayer.height(height)) return false;
    }
    if (!record.entries.done) {
      throw malformed(record.key, `${record.entries.end - record.entries.offset} bytes left after ${record.entryCount} entries`);
    }
    this.handOver(record.key);
    const { bytes, end } = record.entries;
    const entryCount = record.entryCount;
    this.replayer.replayed?.(this.commands - commandsBefore, (into) => writeCommands(new ByteReader(bytes, entriesAt, end), entryCount, into));
    return true;
  }

  /** Hands the run in the batch over, if it holds one, and empties the batch. */
  private handOver(key: Uint8Array): void {
    const batch = this.batch;
    if (batch.count === 0) return;
    this.commands += batch.count;
    this.replayer.commands(batch, key);
    batch.clear();
  }
}

/** A journal value's entries decoded again, its commands into `into` one after another; already replayed, so sound. */
function writeCommands(entries: ByteReader, entryCount: number, into: Float64Array): void {
  const decoder = new CommandDecoder(entries);
  let o = 0;
  for (let n = 0; n < entryCount; n++) {
    if (decoder.next(into, o) < 0) o += COMMAND_SLOTS;
  }
}

/** The next entry: a command appended to `batch` (-1), or a height change's height. */
function decodeEntry(record: JournalRecord, decoder: CommandDecoder, batch: CommandBatch): number {
  try {
    return batch.appendFrom(decoder);
  } catch (error) {
    throw malformed(record.key, (error as Error).message, error);
  }
}

function malformed(key: Uint8Array, detail: string, cause?: unknown): LobError {
  return new LobError('CORRUPTION', `journal value at key ${describeKey(key)} is malformed: ${detail}`, { cause });
}

/** Every journal value after the journal's sequence, in order, each checked to continue where the one before it ended. */
async function* readJournal(journal: JournalAfter): AsyncGenerator<JournalRecord> {
  const store = journal.store;
  let expected = journal.sequence + 1;
  let reading = journal.firstPage;
  for (;;) {
    const page = await reading;
    // The next page is read while this one is decoded and replayed: the store's thread and this
    // one take turns otherwise, each idle while the other works.
    const full = page.length === JOURNAL_PAGE;
    if (full) {
      reading = store.entries({ gt: page[page.length - 1][0], lt: JOURNAL_END, limit: JOURNAL_PAGE });
      reading.catch(() => undefined); // seen when awaited; a replay that stops early leaves it unread
    }
    for (const [key, value] of page) {
      const [firstSequence] = keyIntegers(key, Prefix.JOURNAL, 1);
      if (firstSequence !== expected) {
        throw new LobError('CORRUPTION', `journal record ${describeKey(key)} starts at sequence ${firstSequence}, expected ${expected}: records are missing`);
      }
      const entries = new ByteReader(journalPayload(key, value));
      let entryCount: number;
      try {
        entryCount = entries.uint();
      } catch (error) {
        throw malformed(key, (error as Error).message, error);
      }
      yield { key, entryCount, entries };
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
