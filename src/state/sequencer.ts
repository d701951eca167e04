// The sequencer: numbers everything the state machine applies, in one place and the same way live
// and on replay. Each journal entry (a command, or a height change) gets the next sequence; each
// fill and each event its global sequence; each command that changed an asset's book the
// asset's next feed sequence. What it numbers goes to the sinks it is given (the commit being
// built); a replay gives none and only recounts.
import { EVENT_SLOTS, EventHead, EventSlot } from '../events.js';

/** Where numbered entries go: the journal and the event block of the next commit. */
export interface SequencedSink {
  height(seq: number, height: number): void;
  /** The records of `count` applied commands from slot `start` of `commands`, before each is numbered. */
  applied(commands: Float64Array, start: number, count: number): void;
  /**
   * The events [0, eventCount) of the commands about to be numbered from `firstSeq`, all applied at
   * `height` (the command slot holding each one's index in the call), before any is numbered.
   */
  callEvents(firstSeq: number, height: number, events: Float64Array, eventCount: number): void;
  /**
   * The `count` commands numbered from `firstSeq` (records from slot `start` of `commands`) and
   * their events [0, eventCount) of `events`, the command slot holding each one's index in the
   * call, once all are numbered and their feed messages given.
   */
  commands(firstSeq: number, commands: Float64Array, start: number, count: number, events: Float64Array, eventCount: number): void;
  /** Command `seq` produced `asset`'s feed message `feedSeq`. */
  feedMessage(asset: number, feedSeq: number): void;
}

export interface SequencerState {
  height: number;
  lastSequence: number;
  nextFillSeq: number;
  nextEventSeq: number;
  feedSeqs: Array<[number, number]>;
}

/** Assets below this are numbered in a typed array (nearly all): a Map lookup and update per command was 1-2% of the main thread. */
export const DIRECT_ASSETS = 4096;

/** Each asset's last feed sequence (0: none): a typed array for the assets below DIRECT_ASSETS, a Map beyond. */
class FeedSeqs {
  private readonly direct = new Float64Array(DIRECT_ASSETS);
  private readonly others = new Map<number, number>();

  constructor(entries: Array<[number, number]>) {
    for (const [asset, seq] of entries) this.set(asset, seq);
  }

  get(asset: number): number {
    return asset < DIRECT_ASSETS ? this.direct[asset] : this.others.get(asset) ?? 0;
  }

  set(asset: number, seq: number): void {
    if (asset < DIRECT_ASSETS) this.direct[asset] = seq;
    else this.others.set(asset, seq);
  }

  /** Every asset given a sequence, by ascending asset. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let asset = 0; asset < DIRECT_ASSETS; asset++) if (this.direct[asset] !== 0) out.push([asset, this.direct[asset]]);
    return out.concat([...this.others].sort((a, b) => a[0] - b[0]));
  }
}

// The record layout numberFeedMessages reads, as this module's own consts, which TurboFan folds
// into its code (index-deriver.ts says why not the imports or locals copied from them).
const SLOTS = EVENT_SLOTS;
const { LEVEL } = EventHead;
const { ASSET, COMMAND } = EventSlot;

export class Sequencer {
  height: number;
  lastSequence: number;
  nextFillSeq: number;
  nextEventSeq: number;
  private readonly feedSeqs: FeedSeqs;
  /** Assets already given a feed message by the command being numbered. */
  private readonly messaged: number[] = [];

  constructor(state: SequencerState) {
    this.height = state.height;
    this.lastSequence = state.lastSequence;
    this.nextFillSeq = state.nextFillSeq;
    this.nextEventSeq = state.nextEventSeq;
    this.feedSeqs = new FeedSeqs(state.feedSeqs);
  }

  static empty(): Sequencer {
    return new Sequencer({ height: 0, lastSequence: 0, nextFillSeq: 1, nextEventSeq: 1, feedSeqs: [] });
  }

  /** The last feed sequence given to an asset (0: none yet). */
  feedSeq(asset: number): number {
    return this.feedSeqs.get(asset);
  }

  /** Every asset's feed sequence, by ascending asset (for a checkpoint). */
  feedSeqEntries(): Array<[number, number]> {
    return this.feedSeqs.entries();
  }

  state(): SequencerState {
    return {
      height: this.height, lastSequence: this.lastSequence, nextFillSeq: this.nextFillSeq, nextEventSeq: this.nextEventSeq,
      feedSeqs: this.feedSeqEntries(),
    };
  }

  setHeight(height: number, sink: SequencedSink | null): void {
    this.height = height;
    this.lastSequence++;
    sink?.height(this.lastSequence, height);
  }

  /**
   * Numbers `count` applied commands (records from slot offset `start` of `commands`) with their
   * fills and events (EVENT_SLOTS each, the command slot holding the index within the call or
   * batch, in order).
   */
  commands(commands: Float64Array, start: number, count: number, events: Float64Array, eventCount: number,
           fillCount: number, sink: SequencedSink | null): void {
    sink?.applied(commands, start, count);
    sink?.callEvents(this.lastSequence + 1, this.height, events, eventCount);
    const firstSeq = this.lastSequence + 1;
    this.numberFeedMessages(events, eventCount, sink);
    this.lastSequence += count;
    // The commands go to the sink in one call, not one a command: a call a command (and the
    // writers' call and room check for each) cost about 330 instructions a command (callgrind,
    // docs/storage.md round 55).
    sink?.commands(firstSeq, commands, start, count, events, eventCount);
    this.nextFillSeq += fillCount;
    this.nextEventSeq += eventCount;
  }

  /**
   * One feed message per asset whose book a command changed (an event with a level), in order of
   * first change within the command: one pass over the call's events, each command's own found by
   * its command slot as it goes.
   */
  private numberFeedMessages(events: Float64Array, eventCount: number, sink: SequencedSink | null): void {
    // Nearly every command changes one book: the first asset is kept aside, the list is for the rest.
    const messaged = this.messaged;
    let command = -1;
    let first = -1;
    let others = 0;
    for (let k = 0; k < eventCount; k++) {
      const o = k * SLOTS;
      if ((events[o] & LEVEL) === 0) continue;
      if (events[o + COMMAND] !== command) {
        command = events[o + COMMAND];
        first = -1;
        others = 0;
      }
      const asset = events[o + ASSET];
      if (asset === first) continue;
      if (first === -1) {
        first = asset;
      } else {
        let seen = false;
        for (let m = 0; m < others && !seen; m++) seen = messaged[m] === asset;
        if (seen) continue;
        messaged[others++] = asset;
      }
      const feedSeq = this.feedSeqs.get(asset) + 1;
      this.feedSeqs.set(asset, feedSeq);
      sink?.feedMessage(asset, feedSeq);
    }
  }
}
