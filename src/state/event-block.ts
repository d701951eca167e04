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
import { COMMAND_SLOTS, Slot } from '../operations.js';
import { ByteReader, ByteWriter, MAX_VARINT_BYTES, compileWriter, fieldWriterSource, slotSource, zigzagSource } from './bytes.js';
import { DIRECT_ASSETS } from './sequencer.js';

/** The most varints an event takes: head, asset, order id, trader, price, size, remaining, two by kind, two with the LEVEL bit. */
const FIELDS_PER_EVENT = 11;

/** An event's field as the block has it: the slot, and what it is written as a difference from (null: itself). */
type EventField = [slot: number, from: string | null];

/**
 * The fields of an event after its head, by what it carries (the format above). `asset`, `orderId`
 * and `price` are the previous event's, `eventOrderId` and `eventPrice` this event's.
 */
const EVENT_FIELDS = {
  every: [[EventSlot.ASSET, 'asset'], [EventSlot.ORDER_ID, 'orderId'], [EventSlot.TRADER, null], [EventSlot.PRICE, 'price'],
    [EventSlot.SIZE, null], [EventSlot.REMAINING, null]] as EventField[],
  placed: [[EventSlot.OTHER, null], [EventSlot.OTHER2, null]] as EventField[],
  fill: [[EventSlot.OTHER, 'eventOrderId'], [EventSlot.OTHER2, null]] as EventField[],
  modified: [[EventSlot.OTHER, 'eventPrice']] as EventField[],
  level: [[EventSlot.LEVEL_SIZE, null], [EventSlot.LEVEL_ORDERS, null]] as EventField[],
};

/** The source of one field: its value (or difference) into locals, then its writer. */
function fieldSource([slot, from]: EventField, name: string): string {
  if (from === null) return `const ${name} = ${slotSource('events', 'e', slot)};\n${fieldWriterSource(name, null)}`;
  return `const ${name}d = ${slotSource('events', 'e', slot)} - ${from};\nconst ${name} = ${zigzagSource(`${name}d`)};\n${fieldWriterSource(name, `${name}d`)}`;
}

function fieldsSource(fields: EventField[], first: number): string {
  return fields.map((field, f) => fieldSource(field, `f${first + f}`)).join('\n');
}

/**
 * The source that writes one command's group: its head (`groupHead`), timestamp difference
 * (`timestampDifference`) and event count (`count`), then its events [k, end), from EVENT_FIELDS:
 * every field written out, each a slot read and fieldWriterSource's lines. Through a loop over an
 * event's fields gathered first (one writer's lines, not fifteen) it counted 85.3M instructions
 * over 50 flushes against 56.2M for the fields written out by hand (docs/storage.md round 54);
 * generated, the lines exist once in the source. `asset`, `orderId` and `price` are the previous
 * event's, in and out.
 */
const GROUP_SOURCE = `
${fieldWriterSource('groupHead', null)}
const timestamp = ${zigzagSource('timestampDifference')};
${fieldWriterSource('timestamp', 'timestampDifference')}
${fieldWriterSource('count', null)}
for (; k < end; k++) {
const e = k * ${EVENT_SLOTS};
const head = events[e];
${fieldWriterSource('head', null)}
const eventOrderId = ${slotSource('events', 'e', EventSlot.ORDER_ID)};
const eventPrice = ${slotSource('events', 'e', EventSlot.PRICE)};
${fieldsSource(EVENT_FIELDS.every, 1)}
switch (head & ${EventHead.KIND_MASK}) {
case ${EventCode.ACCEPTED}: case ${EventCode.REJECTED}: case ${EventCode.TRIGGERED}: {
${fieldsSource(EVENT_FIELDS.placed, 7)}
break;
}
case ${EventCode.FILL}: {
${fieldsSource(EVENT_FIELDS.fill, 7)}
break;
}
case ${EventCode.MODIFIED}: {
${fieldsSource(EVENT_FIELDS.modified, 7)}
break;
}
}
if ((head & ${EventHead.LEVEL}) !== 0) {
${fieldsSource(EVENT_FIELDS.level, 9)}
}
asset = ${slotSource('events', 'e', EventSlot.ASSET)};
orderId = eventOrderId;
price = eventPrice;
}`;

/** What the writers keep between groups, in `previous`: the last group's sequence and timestamp, the last event's asset, order id and price. */
const Previous = { GROUP_SEQ: 0, TIMESTAMP: 1, ASSET: 2, ORDER_ID: 3, PRICE: 4, SLOTS: 5 } as const;
const LOAD_PREVIOUS = `let asset = previous[${Previous.ASSET}];\nlet orderId = previous[${Previous.ORDER_ID}];\nlet price = previous[${Previous.PRICE}];`;
const STORE_PREVIOUS = `previous[${Previous.ASSET}] = asset;\nprevious[${Previous.ORDER_ID}] = orderId;\nprevious[${Previous.PRICE}] = price;`;

/**
 * Writes the groups of a call's commands numbered from `firstSeq` (records from slot `start` of
 * `commands`): its events [0, eventCount), the command slot holding each one's command's index in
 * the call; a command without events has no group. One call a call, not one a command: with the
 * journal's likewise, about 330 instructions a command fewer (callgrind, docs/storage.md round 55).
 */
type CallWriter = (firstSeq: number, commands: Float64Array, start: number, events: Float64Array, eventCount: number,
  b: Uint8Array, n: number, previous: Float64Array) => number;

const writeCall: CallWriter = compileWriter('writeBlockCall',
  ['firstSeq', 'commands', 'start', 'events', 'eventCount', 'b', 'n', 'previous'], `${LOAD_PREVIOUS}
let groupSeq = previous[${Previous.GROUP_SEQ}];
let groupTimestamp = previous[${Previous.TIMESTAMP}];
let k = 0;
while (k < eventCount) {
const command = events[k * ${EVENT_SLOTS} + ${EventSlot.COMMAND}];
let end = k + 1;
while (end < eventCount && events[end * ${EVENT_SLOTS} + ${EventSlot.COMMAND}] === command) end++;
const seq = firstSeq + command;
const stamp = commands[start + command * ${COMMAND_SLOTS} + ${Slot.TIMESTAMP}];
const groupHead = (seq - groupSeq) * 2;
const timestampDifference = stamp - groupTimestamp;
const count = end - k;
${GROUP_SOURCE}
groupSeq = seq;
groupTimestamp = stamp;
}
${STORE_PREVIOUS}
previous[${Previous.GROUP_SEQ}] = groupSeq;
previous[${Previous.TIMESTAMP}] = groupTimestamp;
return n;`);

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
  /** The previous group's sequence and timestamp, and the previous event's asset, order id and price (Previous): the next ones are written as differences. */
  private readonly previous = new Float64Array(Previous.SLOTS);
  /** asset -> first feed seq in this block, in the order assets first changed. */
  readonly feedStarts = new Map<number, number>();
  /**
   * Per asset below DIRECT_ASSETS, the number of the last block that gave it a feed start: whether
   * this block has one is a typed-array read, not a Map lookup, on every command that changes a book.
   */
  private readonly feedBlock = new Uint32Array(DIRECT_ASSETS);
  private blockNumber = 1;

  get isEmpty(): boolean {
    return this.start === null;
  }

  /** Opens the block at the first entry after the previous flush. */
  open(start: BlockStart): void {
    this.start = { ...start };
    this.previous[Previous.GROUP_SEQ] = start.firstSeq - 1;
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

  /**
   * The `count` commands of one call numbered from `firstSeq` (records from slot `start` of
   * `commands`, each one's timestamp read there) and their events [0, eventCount) of `events`, in
   * order, the command slot holding each one's command's index in the call.
   */
  commands(firstSeq: number, commands: Float64Array, start: number, count: number, events: Float64Array, eventCount: number): void {
    this.lastSeq = firstSeq + count - 1;
    if (eventCount === 0) return;
    const out = this.body;
    // Room for them all at once: a group head, a timestamp and a count a command, at most 11 varints an event.
    out.reserve((3 * count + FIELDS_PER_EVENT * eventCount) * MAX_VARINT_BYTES);
    out.length = writeCall(firstSeq, commands, start, events, eventCount, out.bytes, out.length, this.previous);
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
    this.previous.fill(0);
    return taken;
  }

  private group(seq: number, isHeight: boolean): void {
    this.body.uint((seq - this.previous[Previous.GROUP_SEQ]) * 2 + (isHeight ? 1 : 0));
    this.previous[Previous.GROUP_SEQ] = seq;
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
