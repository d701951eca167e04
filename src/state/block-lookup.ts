// Finding one order's, one trader's or one command's events inside a decoded event block without
// reading the whole block. A block holds every event of one flush, so a writer that flushes
// rarely, or an in-memory machine queried after a long run, has blocks of hundreds of thousands
// of events; reading one whole for each order a query returns made the demo's check of 200
// traders' fills and audit trails take 39 s on a block of 140,000 commands.
//
// Order and trader lookups are built once per cached block (history.ts keeps 32 MiB), on first use,
// in one pass over its events; a command's events are found by a binary search, since events are
// in journal order.
import { EventCode } from '../codes.js';
import { EVENT_SLOTS, EventHead, EventSlot } from '../events.js';
import type { EventBlock } from './event-block.js';

/** The lookups a decoded block carries once a query has needed them. */
export interface BlockLookups {
  eventsByOrder?: EventsByKey;
  fillsByTrader?: EventsByKey;
}

type LookupBlock = Pick<EventBlock, 'events' | 'count'> & BlockLookups;

/**
 * The block's events that concern order `orderId`, in block order: those naming it (ORDER_ID),
 * other than a refused request's REJECTED, which names the order it refused but is its
 * requester's; and the fills it took part in as taker (OTHER).
 */
export function eventsOfOrder(block: LookupBlock, orderId: number): Int32Array {
  block.eventsByOrder ??= indexEvents(block, (events, o, kind, index, k) => {
    if (kind === EventCode.REJECTED) return;
    index.add(events[o + EventSlot.ORDER_ID], k);
    // (An order never trades with itself, but a lookup lists an event once whatever it holds.)
    if (kind === EventCode.FILL && events[o + EventSlot.OTHER] !== events[o + EventSlot.ORDER_ID]) index.add(events[o + EventSlot.OTHER], k);
  });
  return block.eventsByOrder.eventsOf(orderId);
}

/** The block's fills in which `trader` was maker (TRADER) or taker (OTHER2), in block order. */
export function fillsOfTrader(block: LookupBlock, trader: number): Int32Array {
  block.fillsByTrader ??= indexEvents(block, (events, o, kind, index, k) => {
    if (kind !== EventCode.FILL) return;
    index.add(events[o + EventSlot.TRADER], k);
    // A self-trade (stp allow) names the trader twice: one entry.
    if (events[o + EventSlot.OTHER2] !== events[o + EventSlot.TRADER]) index.add(events[o + EventSlot.OTHER2], k);
  });
  return block.fillsByTrader.eventsOf(trader);
}

/** The first event of journal entry `seq` in the block (block.count if it has none there or after). */
export function firstEventOfCommand(block: LookupBlock, seq: number): number {
  let lo = 0;
  let hi = block.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (block.events[mid * EVENT_SLOTS + EventSlot.COMMAND] < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexEvents(
  block: LookupBlock, addKeys: (events: Float64Array, o: number, kind: number, index: EventsByKey, k: number) => void,
): EventsByKey {
  const index = new EventsByKey(block.count * 2);
  const events = block.events;
  for (let k = 0; k < block.count; k++) {
    const o = k * EVENT_SLOTS;
    addKeys(events, o, events[o] & EventHead.KIND_MASK, index, k);
  }
  return index;
}

const NO_LINK = -1;

/**
 * Event indexes grouped by a key (an id below 2^53), each group in the order added: open
 * addressing over the distinct keys (at most half full), each slot holding the last link of its
 * group, and the links chained backwards in typed arrays. A block's lookup is a few arrays, not
 * an object per key: 12 bytes a slot and 8 a link.
 */
export class EventsByKey {
  private keys: Float64Array;
  /** Per slot: its group's last link, NO_LINK when the slot is empty. */
  private lastLink: Int32Array;
  private distinct = 0;
  private bits: number;
  private readonly linkEvent: Int32Array;
  /** Per link: the link added before it in its group, or NO_LINK. */
  private readonly linkBefore: Int32Array;
  private links = 0;

  /**
   * Room for `maxLinks` additions; the table of keys grows with the keys they bring. It starts with
   * a slot for every two links, about what a block's events bring: grown from 16 slots, it spent as
   * long in its growth as in the additions.
   */
  constructor(maxLinks: number) {
    this.bits = 4;
    while (1 << this.bits < maxLinks / 2) this.bits++;
    this.keys = new Float64Array(1 << this.bits);
    this.lastLink = new Int32Array(1 << this.bits).fill(NO_LINK);
    this.linkEvent = new Int32Array(Math.max(1, maxLinks));
    this.linkBefore = new Int32Array(Math.max(1, maxLinks));
  }

  add(key: number, event: number): void {
    let slot = this.slotOf(key);
    if (this.lastLink[slot] === NO_LINK) {
      if ((this.distinct + 1) * 2 > this.keys.length) {
        this.growTable();
        slot = this.slotOf(key);
      }
      this.keys[slot] = key;
      this.distinct++;
    }
    const link = this.links++;
    this.linkEvent[link] = event;
    this.linkBefore[link] = this.lastLink[slot];
    this.lastLink[slot] = link;
  }

  /** The events added under `key`, in the order added. */
  eventsOf(key: number): Int32Array {
    const last = this.lastLink[this.slotOf(key)];
    let n = 0;
    for (let link = last; link !== NO_LINK; link = this.linkBefore[link]) n++;
    const out = new Int32Array(n);
    for (let link = last; link !== NO_LINK; link = this.linkBefore[link]) out[--n] = this.linkEvent[link];
    return out;
  }

  /** The slot holding `key`, or the empty one where it would go. */
  private slotOf(key: number): number {
    // Both halves of the id: `key >>> 0` is its low 32 bits for any integer below 2^53.
    const h = Math.imul((key >>> 0) ^ Math.imul(Math.floor(key / 4294967296), 0x85ebca6b), 0x9e3779b1);
    const mask = (1 << this.bits) - 1;
    for (let slot = h >>> (32 - this.bits); ; slot = (slot + 1) & mask) {
      if (this.lastLink[slot] === NO_LINK || this.keys[slot] === key) return slot;
    }
  }

  private growTable(): void {
    const keys = this.keys;
    const lastLink = this.lastLink;
    this.bits++;
    this.keys = new Float64Array(1 << this.bits);
    this.lastLink = new Int32Array(1 << this.bits).fill(NO_LINK);
    for (let slot = 0; slot < keys.length; slot++) {
      if (lastLink[slot] === NO_LINK) continue;
      const to = this.slotOf(keys[slot]);
      this.keys[to] = keys[slot];
      this.lastLink[to] = lastLink[slot];
    }
  }
}
