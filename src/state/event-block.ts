// Event blocks: the events of one flush, in the order they happened, grouped by the journal entry
// (command or height change) that caused them. With the journal they are the truth a commit
// carries: the fill history, the order audit trail and the market-data feed are all read or
// derived from them (src/events.ts has the record layout they encode).
//
// Value payload (inside the usual version + CRC frame, codecs.ts):
//   firstSeq, lastSeq, startHeight, firstOrderId, firstFillSeq, firstEventSeq      uints
//   assetCount, then per asset whose book changed: asset, its first feed seq here  uints
//   groups until the end, each:
//     seqDelta << 1 | isHeight   (seqDelta from the previous group's seq, the first from firstSeq - 1)
//     height change: height
//     command: timestamp delta, eventCount, then each event:
//       head, asset delta, orderId delta, trader, price delta, size, remaining,
//       by kind: accepted/rejected clientOrderId, stop price or budget; triggered stop price, last price;
//       fill takerOrderId delta, takerTrader; modified newPrice delta;
//       with the LEVEL bit: levelSize, levelOrders
// Deltas are from the previous event's (or command's) value in the same block.
import { EventCode } from '../codes.js';
import { EVENT_SLOTS, EventHead, EventSlot } from '../events.js';
import { ByteReader, ByteWriter, MAX_VARINT_BYTES, putInt, putUint, zigzag } from './bytes.js';
import { DIRECT_ASSETS } from './sequencer.js';

/** The most varints an event takes: head, asset, order id, trader, price, size, remaining, two by kind, two with the LEVEL bit. */
const FIELDS_PER_EVENT = 11;

export interface BlockStart {
  firstSeq: number;
  startHeight: number;
  firstOrderId: number;
  firstFillSeq: number;
  firstEventSeq: number;
}

/** Builds one flush's event block as commands are applied. */
export class EventBlockWriter {
  private readonly body = new ByteWriter(16 * 1024);
  private start: BlockStart | null = null;
  private lastSeq = 0;
  private previousGroupSeq = 0;
  private previousTimestamp = 0;
  /** The previous event's asset, order id and price: the next event's are written as differences. */
  private previousAsset = 0;
  private previousOrderId = 0;
  private previousPrice = 0;
  /** asset -> first feed seq in this block, in the order assets first changed. */
  readonly feedStarts = new Map<number, number>();
  /**
   * Per asset below DIRECT_ASSETS, the number of the last block that gave it a feed start: whether
   * this block has one is a typed-array read, not a Map lookup, on every command that changes a book.
   */
  private readonly feedBlock = new Uint32Array(DIRECT_ASSETS);
  private blockNumber = 1;
  /** One record's varints as command() gathers them to write, and its signed fields' differences: kept, not made per event. */
  private readonly fields = new Float64Array(FIELDS_PER_EVENT);
  private readonly differences = new Float64Array(FIELDS_PER_EVENT);

  get isEmpty(): boolean {
    return this.start === null;
  }

  /** Opens the block at the first entry after the previous flush. */
  open(start: BlockStart): void {
    this.start = { ...start };
    this.previousGroupSeq = start.firstSeq - 1;
  }

  height(seq: number, height: number): void {
    this.group(seq, true);
    this.body.uint(height);
    this.lastSeq = seq;
  }

  /** Whether the block holds a feed message of `asset` yet. */
  hasFeed(asset: number): boolean {
    return asset < DIRECT_ASSETS ? this.feedBlock[asset] === this.blockNumber : this.feedStarts.has(asset);
  }

  /** Records that `asset`'s feed message `feedSeq` is in this block (the sequencer numbers them); true if it is the asset's first. */
  feedMessage(asset: number, feedSeq: number): boolean {
    if (this.hasFeed(asset)) return false;
    if (asset < DIRECT_ASSETS) this.feedBlock[asset] = this.blockNumber;
    this.feedStarts.set(asset, feedSeq);
    return true;
  }

  /** The events `from` .. `from + count - 1` of `events` (EVENT_SLOTS each), all of command `seq`. */
  command(seq: number, timestamp: number, events: Float64Array, from: number, count: number): void {
    this.lastSeq = seq;
    if (count === 0) return;
    // The record layout as locals, read once a command: each use of an imported object's field is a
    // module-variable load, a hole check and a map check in optimized code, a tenth of this loop.
    const SLOTS = EVENT_SLOTS;
    const ASSET = EventSlot.ASSET;
    const ORDER_ID = EventSlot.ORDER_ID;
    const TRADER = EventSlot.TRADER;
    const PRICE = EventSlot.PRICE;
    const SIZE = EventSlot.SIZE;
    const REMAINING = EventSlot.REMAINING;
    const OTHER = EventSlot.OTHER;
    const OTHER2 = EventSlot.OTHER2;
    const LEVEL_SIZE = EventSlot.LEVEL_SIZE;
    const LEVEL_ORDERS = EventSlot.LEVEL_ORDERS;
    const KIND_MASK = EventHead.KIND_MASK;
    const LEVEL = EventHead.LEVEL;
    const ACCEPTED = EventCode.ACCEPTED;
    const REJECTED = EventCode.REJECTED;
    const TRIGGERED = EventCode.TRIGGERED;
    const FILL = EventCode.FILL;
    const MODIFIED = EventCode.MODIFIED;
    const out = this.body;
    // Room for the whole command at once: a group head, a timestamp, a count, and at most 11 varints an event.
    out.reserve((3 + FIELDS_PER_EVENT * count) * MAX_VARINT_BYTES);
    const b = out.bytes;
    const fields = this.fields;
    const differences = this.differences;
    let n = out.length;
    let asset = this.previousAsset;
    let orderId = this.previousOrderId;
    let price = this.previousPrice;
    const end = from + count;
    // Each pass gathers one record's varints into `fields` and one loop writes them, so the varint
    // writing exists once: the first pass the command's group head, timestamp difference and event
    // count, each later pass one event. A signed difference is in `fields` in its zigzag form, in
    // `differences` as itself, and its bit is set in `signed`. Fifteen copies of the writer, one a
    // field, counted 56.2M instructions over 50 flushes against this loop's 85.3M (101.3M through
    // putUint/putInt, docs/storage.md round 54); a writer function called at each site was not
    // inlined at most of them (106.9M).
    for (let k = from - 1; k < end; k++) {
      let fieldCount: number;
      let signed: number;
      if (k < from) {
        fields[0] = (seq - this.previousGroupSeq) * 2;
        differences[1] = timestamp - this.previousTimestamp;
        fields[1] = zigzag(differences[1]);
        fields[2] = count;
        fieldCount = 3;
        signed = 0b010;
      } else {
        const e = k * SLOTS;
        const head = events[e];
        const kind = head & KIND_MASK;
        const eventAsset = events[e + ASSET];
        const eventOrderId = events[e + ORDER_ID];
        const eventPrice = events[e + PRICE];
        fields[0] = head;
        differences[1] = eventAsset - asset;
        fields[1] = zigzag(differences[1]);
        differences[2] = eventOrderId - orderId;
        fields[2] = zigzag(differences[2]);
        fields[3] = events[e + TRADER];
        differences[4] = eventPrice - price;
        fields[4] = zigzag(differences[4]);
        fields[5] = events[e + SIZE];
        fields[6] = events[e + REMAINING];
        fieldCount = 7;
        signed = 0b10110;
        if (kind === ACCEPTED || kind === REJECTED || kind === TRIGGERED) {
          fields[7] = events[e + OTHER];
          fields[8] = events[e + OTHER2];
          fieldCount = 9;
        } else if (kind === FILL) {
          differences[7] = events[e + OTHER] - eventOrderId;
          fields[7] = zigzag(differences[7]);
          fields[8] = events[e + OTHER2];
          fieldCount = 9;
          signed = 0b10010110;
        } else if (kind === MODIFIED) {
          differences[7] = events[e + OTHER] - eventPrice;
          fields[7] = zigzag(differences[7]);
          fieldCount = 8;
          signed = 0b10010110;
        }
        if ((head & LEVEL) !== 0) {
          fields[fieldCount++] = events[e + LEVEL_SIZE];
          fields[fieldCount++] = events[e + LEVEL_ORDERS];
        }
        asset = eventAsset;
        orderId = eventOrderId;
        price = eventPrice;
      }
      // Each field as putUint or putInt would write it, a value below 2^21 (all but a few in a
      // steady flow) in up to three bytes without a call, which costs 70-130 instructions against
      // the field's 10-20 (callgrind). Past 2^21, putInt is handed the difference itself, as the
      // zigzag of one past 2^52 is not exact in a double. This is bytes.ts's putField written out:
      // called here, inlined, from this loop or from a small function of its own, it counted
      // 105.7-106.3M instructions over the 50 flushes against this loop's 85.3M (the journal's
      // encoder, which calls it, counted 34.8M against 38.5M for the same lines written out).
      for (let i = 0; i < fieldCount; i++) {
        const v = fields[i];
        if (v < 0x80) b[n++] = v;
        else if (v < 0x4000) {
          b[n++] = (v & 0x7f) | 0x80;
          b[n++] = v >>> 7;
        } else if (v < 0x200000) {
          b[n++] = (v & 0x7f) | 0x80;
          b[n++] = ((v >>> 7) & 0x7f) | 0x80;
          b[n++] = v >>> 14;
        } else n = ((signed >>> i) & 1) !== 0 ? putInt(b, n, differences[i]) : putUint(b, n, v);
      }
    }
    out.length = n;
    this.previousGroupSeq = seq;
    this.previousTimestamp = timestamp;
    this.previousAsset = asset;
    this.previousOrderId = orderId;
    this.previousPrice = price;
  }

  /**
   * The block's payload in two parts, header and body, and the writer emptied for the next flush;
   * null when nothing was recorded. The body is a view of the writer's buffer, valid until the
   * next entry is written: the caller frames it at once, so the body is copied once, not three times.
   */
  take(): { firstSeq: number; lastSeq: number; payload: [Uint8Array, Uint8Array] } | null {
    const start = this.start;
    if (start === null) return null;
    const out = new ByteWriter(7 * MAX_VARINT_BYTES + this.feedStarts.size * 2 * MAX_VARINT_BYTES);
    out.uint(start.firstSeq);
    out.uint(this.lastSeq);
    out.uint(start.startHeight);
    out.uint(start.firstOrderId);
    out.uint(start.firstFillSeq);
    out.uint(start.firstEventSeq);
    out.uint(this.feedStarts.size);
    for (const [asset, feedSeq] of this.feedStarts) {
      out.uint(asset);
      out.uint(feedSeq);
    }
    const taken = { firstSeq: start.firstSeq, lastSeq: this.lastSeq, payload: [out.view(), this.body.view()] as [Uint8Array, Uint8Array] };
    this.start = null;
    this.body.clear();
    this.feedStarts.clear();
    if (++this.blockNumber === 0xffffffff) {
      this.feedBlock.fill(0);
      this.blockNumber = 1;
    }
    this.previousAsset = 0;
    this.previousOrderId = 0;
    this.previousPrice = 0;
    this.previousTimestamp = 0;
    return taken;
  }

  private group(seq: number, isHeight: boolean): void {
    this.body.uint((seq - this.previousGroupSeq) * 2 + (isHeight ? 1 : 0));
    this.previousGroupSeq = seq;
  }
}

/** One flush's events, decoded: EVENT_SLOTS records (the command slot holds the command's journal seq). */
export interface EventBlock extends BlockStart {
  lastSeq: number;
  count: number;
  events: Float64Array;
  /** Per event: the height and the command timestamp at which it happened. */
  heights: Float64Array;
  timestamps: Float64Array;
  /** asset -> the feed seq of its first message in this block. */
  feedStarts: Map<number, number>;
  /** Heights set by the entries in this block, as [seq, height] pairs. */
  heightChanges: Array<[number, number]>;
}

/** Decodes a block payload; throws a plain Error on a malformed one (the caller names the key). */
export function decodeEventBlock(payload: Uint8Array): EventBlock {
  const r = new ByteReader(payload);
  const firstSeq = r.uint();
  const lastSeq = r.uint();
  const startHeight = r.uint();
  const firstOrderId = r.uint();
  const firstFillSeq = r.uint();
  const firstEventSeq = r.uint();
  const feedStarts = new Map<number, number>();
  for (let n = r.uint(); n > 0; n--) {
    const asset = r.uint();
    feedStarts.set(asset, r.uint());
  }
  // Every event takes 7 varints at least, so the body's bytes bound its events. A block that may
  // need more than the kept scratch arrays (SCRATCH_KEPT_EVENTS) has its events counted first, and
  // its arrays are made once at their size and filled in place. Grown by doubling from the scratch
  // arrays and then copied out, one block of 398,000 events (a writer's 199 flushes made without
  // awaiting them) allocated 155 MB and copied 100 MB a decode: 0.4-2.4 s on a busy 2-core machine.
  const maxEvents = Math.floor((payload.length - r.offset) / MIN_EVENT_BYTES);
  const inScratch = maxEvents <= SCRATCH_KEPT_EVENTS;
  if (inScratch && scratch.heights.length < maxEvents) scratch = eventArrays(Math.min(SCRATCH_KEPT_EVENTS, 2 ** Math.ceil(Math.log2(maxEvents))));
  const total = inScratch ? scratch.heights.length : countEvents(payload, r.offset);
  const { events, heights, timestamps } = inScratch ? scratch : eventArrays(total);
  const heightChanges: Array<[number, number]> = [];
  let count = 0;
  let seq = firstSeq - 1;
  let height = startHeight;
  let timestamp = 0;
  let asset = 0;
  let orderId = 0;
  let price = 0;
  while (!r.done) {
    const group = r.uint();
    seq += Math.floor(group / 2);
    if (group % 2 === 1) {
      height = r.uint();
      heightChanges.push([seq, height]);
      continue;
    }
    timestamp += r.int();
    for (let n = r.uint(); n > 0; n--) {
      if (count === total) throw new Error(`more events than the ${total} made room for`);
      const e = count * EVENT_SLOTS;
      const head = r.uint();
      const kind = head & EventHead.KIND_MASK;
      asset += r.int();
      orderId += r.int();
      events[e] = head;
      events[e + EventSlot.COMMAND] = seq;
      events[e + EventSlot.ASSET] = asset;
      events[e + EventSlot.ORDER_ID] = orderId;
      events[e + EventSlot.TRADER] = r.uint();
      price += r.int();
      events[e + EventSlot.PRICE] = price;
      events[e + EventSlot.SIZE] = r.uint();
      events[e + EventSlot.REMAINING] = r.uint();
      // Every slot is written, those a kind leaves out as 0: the scratch arrays hold the last block's.
      let other = 0;
      let other2 = 0;
      if (kind === EventCode.ACCEPTED || kind === EventCode.REJECTED || kind === EventCode.TRIGGERED) {
        other = r.uint();
        other2 = r.uint();
      } else if (kind === EventCode.FILL) {
        other = orderId + r.int();
        other2 = r.uint();
      } else if (kind === EventCode.MODIFIED) {
        other = price + r.int();
      }
      events[e + EventSlot.OTHER] = other;
      events[e + EventSlot.OTHER2] = other2;
      const level = (head & EventHead.LEVEL) !== 0;
      events[e + EventSlot.LEVEL_SIZE] = level ? r.uint() : 0;
      events[e + EventSlot.LEVEL_ORDERS] = level ? r.uint() : 0;
      heights[count] = height;
      timestamps[count] = timestamp;
      count++;
    }
  }
  if (seq > lastSeq) throw new Error(`groups run to seq ${seq}, past the block's last seq ${lastSeq}`);
  return {
    firstSeq, lastSeq, startHeight, firstOrderId, firstFillSeq, firstEventSeq, feedStarts, heightChanges, count,
    ...(inScratch ? { events: events.slice(0, count * EVENT_SLOTS), heights: heights.slice(0, count), timestamps: timestamps.slice(0, count) } : { events, heights, timestamps }),
  };
}

/** The fewest bytes an event takes: head, asset, order id, trader, price, size, remaining. */
const MIN_EVENT_BYTES = 7;

/**
 * Blocks that fit are decoded into these and copied out at their size: made for each block, the
 * arrays of group commit's blocks (about 15,000 events each) cost a third of their decoding. Made
 * large enough before a decode starts, never grown during one, and kept only up to
 * SCRATCH_KEPT_EVENTS (3.7 MB): a larger block is counted and decoded into arrays of its own.
 */
const SCRATCH_KEPT_EVENTS = 32_768;
let scratch = eventArrays(1024);

function eventArrays(events: number): { events: Float64Array; heights: Float64Array; timestamps: Float64Array } {
  return { events: new Float64Array(events * EVENT_SLOTS), heights: new Float64Array(events), timestamps: new Float64Array(events) };
}

/**
 * How many events the groups from `offset` on hold: their fields skipped, not decoded, an event's
 * count of them known from its head. A malformed block throws here or in the decoding that
 * follows, which checks what this skips.
 */
function countEvents(payload: Uint8Array, offset: number): number {
  const r = new ByteReader(payload, offset);
  let count = 0;
  while (!r.done) {
    if (r.uint() % 2 === 1) {
      r.skip(1); // height
      continue;
    }
    r.skip(1); // timestamp
    for (let n = r.uint(); n > 0; n--) {
      const head = r.uint();
      const kind = head & EventHead.KIND_MASK;
      // asset, order id, trader, price, size, remaining; then what the kind and the LEVEL bit add.
      let fields = 6;
      if (kind === EventCode.ACCEPTED || kind === EventCode.REJECTED || kind === EventCode.TRIGGERED || kind === EventCode.FILL) fields += 2;
      else if (kind === EventCode.MODIFIED) fields += 1;
      if ((head & EventHead.LEVEL) !== 0) fields += 2;
      r.skip(fields);
      count++;
    }
  }
  return count;
}
