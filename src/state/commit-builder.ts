// The next commit, built as commands are applied: the journal entries (compact, command-codec.ts)
// and the event block (event-block.ts) of everything since the last cut, plus the spans that make
// orders and fills findable by id, and the head. cut() seals them into one write batch: the
// whole truth of a flush, and nothing derivable. The index operations derivable from the same
// events (index-deriver.ts) travel with the commit, to be written behind it once it is durable.
// They are derived late: a call's events are read where the engine left them, at the latest
// before its next command, so that a flush awaiting each write derives while the disk works
// (settle(), once the write is posted) rather than before the write starts.
import { ByteWriter, MAX_VARINT_BYTES } from './bytes.js';
import { encodeEventsIn, encodeHead, encodeJournalIn, encodeUint, framedPayload, type HeadState } from './codecs.js';
import { CommandEncoder } from './command-codec.js';
import { EventBlockWriter, decodeEventBlock, type EventBlock } from './event-block.js';
import { IndexDeriver } from './index-deriver.js';
import type { IndexOps, SpareOps } from './index-ops.js';
import type { ShadowEngine } from './checkpoint-shadow.js';
import type { CommitFollower } from './committer.js';
import { Prefix, eventsKey, headKey, journalKey, keyOf } from './keys.js';
import type { SequencedSink, Sequencer } from './sequencer.js';
import { putWireBytes, type StoreBatch } from './store-wire.js';
import { ValueMemory } from './value-memory.js';

/** One cut: what a flush writes, and what its followers need once it is durable. */
export interface Commit {
  firstSeq: number;
  lastSeq: number;
  head: HeadState;
  /** The event block's payload (decode with decodeEventBlock). */
  block: Uint8Array;
  /** Journal entries it holds. */
  entries: number;
  /** Fills it holds. */
  fills: number;
  /** Each asset whose book it changed, with its last feed sequence in it. */
  feedEnds: Array<[number, number]>;
  /** The index operations its events derive, written behind it: complete once the builder settles, before its followers run. */
  index: IndexOps;
  /** Its event block decoded (done once, on first use: only the feed's live subscribers need it). */
  decoded(): EventBlock;
  /** What writeTo adds to a write batch, in bytes (so a write's batch is allocated once, at its size). */
  wireBytes: number;
  /** Puts every key of the commit into a write batch (again, if a write failed). */
  writeTo(batch: StoreBatch): void;
  /**
   * The commit is durable and its followers have run: its values' memory goes back to the builder
   * for the next commits (value-memory.ts). Nothing may write or read its values after this.
   */
  release(): void;
}

export class CommitBuilder implements SequencedSink, CommitFollower {
  private readonly journalBytes = new ByteWriter(64 * 1024);
  /** The journal value's leading entry count. */
  private readonly journalCount = new ByteWriter(MAX_VARINT_BYTES);
  private readonly journal = new CommandEncoder(this.journalBytes);
  private readonly events = new EventBlockWriter();
  private readonly index: IndexDeriver;
  private entries = 0;
  private firstSeq = 0;
  private firstOrderId = 0;
  private firstFillSeq = 0;
  /** Assets whose book changed since the cut. */
  private feedAssets: number[] = [];
  /** The memory of released commits' values. */
  private readonly values = new ValueMemory();
  /**
   * The last call's events, not yet derived: the engine's own output, read in place, which stays
   * as it is until the engine's next command (every command path settles first).
   */
  private deferred: Float64Array | null = null;
  private deferredCount = 0;
  private deferredFirstSeq = 0;
  private deferredHeight = 0;
  /** A cut commit whose index operations are not ended yet (its last sequence; -1: none), and its feed starts. */
  private endingLastSeq = -1;
  private readonly endingFeedStarts = new Map<number, number>();

  /**
   * indexer: the index writer's written operation arrays, which the deriver fills again.
   * shadow: the checkpoint worker's core, given every command too (null in memory mode).
   */
  constructor(private readonly sequencer: Sequencer, indexer: { spares: SpareOps }, private readonly shadow: ShadowEngine | null = null) {
    this.index = new IndexDeriver(indexer.spares);
  }

  /** From the next command on, the deriver lists orders opening and closing (the open-order set is built). */
  listOpenings(): void {
    // What was applied before is in the book the set is built from: derived without listing.
    this.settle();
    this.index.listsOpenings = true;
  }

  /**
   * Derives what is deferred: the last call's events, and the end of a cut commit's operations.
   * Before the engine's next command, before a read of the engine, and before a cut commit's
   * followers read its operations.
   */
  settle(): void {
    const events = this.deferred;
    if (events !== null) {
      this.deferred = null;
      this.index.commands(this.deferredFirstSeq, this.deferredHeight, events, this.deferredCount);
    }
    if (this.endingLastSeq >= 0) {
      const lastSeq = this.endingLastSeq;
      this.endingLastSeq = -1;
      this.index.end(lastSeq, this.endingFeedStarts);
    }
  }

  /** The next write is posted: what is deferred is derived, and the shadow's full runs handed over, while the disk works. */
  writePosted(): void {
    this.settle();
    this.shadow?.postHeld();
  }

  /** Its operations were ended when its write was posted (this follower runs first); a cut meanwhile is not. */
  committed(commit: Commit): void {
    if (this.endingLastSeq >= 0 && this.endingLastSeq <= commit.lastSeq) this.settle();
  }

  /** Journal entries applied since the last cut. */
  get pending(): number {
    return this.entries;
  }

  /** Called by the sequencer before it numbers the first entry after a cut. */
  private open(seq: number, nextOrderId: number): void {
    const s = this.sequencer;
    this.firstSeq = seq;
    this.firstOrderId = nextOrderId;
    this.firstFillSeq = s.nextFillSeq;
    this.journalBytes.clear();
    this.journal.reset();
    this.events.open({ firstSeq: seq, startHeight: s.height, firstOrderId: nextOrderId, firstFillSeq: s.nextFillSeq, firstEventSeq: s.nextEventSeq });
    this.index.begin(seq, s.height, nextOrderId);
  }

  /** The state machine calls this before each apply, with the engine's next order id. */
  prepare(nextOrderId: number): void {
    this.settle();
    if (this.entries === 0) this.open(this.sequencer.lastSequence + 1, nextOrderId);
  }

  height(seq: number, height: number): void {
    this.journal.height(height);
    this.events.height(seq, height);
    this.entries++;
  }

  applied(commands: Float64Array, start: number, count: number): void {
    this.shadow?.commands(commands, start, count);
  }

  callEvents(firstSeq: number, height: number, events: Float64Array, eventCount: number): void {
    this.deferred = events;
    this.deferredFirstSeq = firstSeq;
    this.deferredHeight = height;
    this.deferredCount = eventCount;
  }

  commands(firstSeq: number, commands: Float64Array, start: number, count: number, events: Float64Array, eventCount: number): void {
    this.journal.commands(commands, start, count);
    this.events.commands(firstSeq, commands, start, count, events, eventCount);
    this.entries += count;
  }

  feedMessage(asset: number, feedSeq: number): void {
    if (this.events.feedMessage(asset, feedSeq)) this.feedAssets.push(asset);
  }

  /** Seals everything since the last cut, with the head as it stands; null when nothing is pending. */
  cut(nextOrderId: number): Commit | null {
    if (this.entries === 0) return null;
    const s = this.sequencer;
    const head: HeadState = {
      height: s.height, lastSequence: s.lastSequence, nextOrderId, nextFillSeq: s.nextFillSeq, nextEventSeq: s.nextEventSeq,
    };
    const firstSeq = this.firstSeq;
    const entries = this.entries;
    // Each value is framed straight from its writers' buffers: one copy, into a buffer of its size.
    this.journalCount.clear();
    this.journalCount.uint(entries);
    const memory: ArrayBuffer[] = [];
    const values = this.values;
    const take = (bytes: number): Buffer => values.take(bytes, memory);
    const journal = encodeJournalIn(take, [this.journalCount.view(), this.journalBytes.view()]);
    // Its operations are ended by settle(), once its last events are derived.
    const index = this.index.operations;
    this.endingLastSeq = head.lastSequence;
    this.endingFeedStarts.clear();
    for (const [asset, feedSeq] of this.events.feedStarts) this.endingFeedStarts.set(asset, feedSeq);
    const taken = this.events.take();
    const events = encodeEventsIn(take, taken === null ? [] : taken.payload);
    const block = framedPayload(events);
    let decoded: EventBlock | null = null;
    const firstOrderId = this.firstOrderId;
    const firstFillSeq = this.firstFillSeq;
    const feedEnds = this.feedAssets.map((asset): [number, number] => [asset, s.feedSeq(asset)]);
    this.feedAssets = [];
    this.entries = 0;
    const puts: Array<[Uint8Array, Uint8Array]> = [[journalKey(firstSeq), journal], [eventsKey(firstSeq), events]];
    if (head.nextOrderId > firstOrderId) puts.push([keyOf(Prefix.ORDER_SPAN, firstOrderId), encodeUint(firstSeq)]);
    if (head.nextFillSeq > firstFillSeq) puts.push([keyOf(Prefix.FILL_SPAN, firstFillSeq), encodeUint(firstSeq)]);
    puts.push([headKey(), encodeHead(head)]);
    let wireBytes = 0;
    for (const [key, value] of puts) wireBytes += putWireBytes(key, value);
    return {
      firstSeq, lastSeq: head.lastSequence, head, block, entries, feedEnds, fills: head.nextFillSeq - firstFillSeq, index, wireBytes,
      decoded: () => (decoded ??= decodeEventBlock(block)),
      writeTo(batch: StoreBatch): void {
        for (const [key, value] of puts) batch.put(key, value);
      },
      release(): void {
        values.give(memory);
        memory.length = 0;
      },
    };
  }
}
