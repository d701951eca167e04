// Reading postings (ORDER_TOUCH, TRADER_TOUCH, TRADER_ORDER) as if each had its own key, whatever
// lists the index writer stored them in (index-window.mjs) and whatever of them is still queued.
// A query asks for a key range of single postings, with its direction and limit; this answers from
//
//   - the stored keys in the range, each a list whose first posting is the key: expanded, the
//     postings outside the range dropped;
//   - the one stored list that starts before the range and may reach into it: the greatest key at
//     or below the range's low bound within the same group (a list never spans groups: an order
//     touch's is its order, a trader posting's its trader, whose lists may span heights);
//   - for order touches, the buckets (ORDER_TOUCHES) of the range's orders: the index writer stores
//     them there, a bucket of orders a key (a key an order is what the in-memory store and
//     databases of format 7 and before hold); one order's bucket read as far as the range and
//     limit reach (readOrderBucket), many orders' buckets whole;
//   - the queued operations (the overlay: every posting past the index watermark), one posting each.
//
// Postings are only ever added, never deleted, so these merge by key with duplicates dropped: a
// window being written is both queued and partly stored. A crash in the middle of a window leaves
// at most one list per group past the watermark, keyed by the group's first posting past it, as
// the window recovery writes again (it starts at the same sequence) keys it too: overwritten
// then (or, a format-7 order's list, merged with the bucket recovery writes instead), and until
// then every posting in it is queued as well. Lists at or below the watermark are
// disjoint and in order (the windows were), so reading stored keys in key order, every posting up
// to the last key read is known. One page of max(limit, 16) stored keys is enough: every stored key
// in the range is itself a posting in the range (a list's first posting is its key), and keys are
// distinct, so a full page alone gives at least `limit` postings up to its last key, and none past
// it can come before them. Of the page, only the lists up to the one that brings `limit` postings
// are expanded (disjoint, so distinct postings; the lists past it can only add postings after them).
import { LobError } from '../errors.js';
import { EMPTY_VALUE, decodeOrderTouches, decodePostings, encodeUint, type Postings } from './codecs.js';
import { NO_VALUE, inRange, type IndexOps, type OverlayEntry } from './index-ops.js';
import { ORDERS_PER_TOUCH_BUCKET } from './index-wire.mjs';
import { MAX_KEY_INTEGER, Prefix, describeKey, keyOf, readU64BE, writeU64BE } from './keys.js';
import { NO_ENTRIES, compareBytes, type KeyRange, type KeyValueStore } from './memory-store.js';

/**
 * Order touches decoded from buckets since the process started: a test's count of how much of its
 * buckets a read of one order's touches decodes (a bucket holds 1,024 orders' touches).
 */
export const bucketReads = { touchesDecoded: 0 };

const KINDS: Record<number, string> = { [Prefix.ORDER_TOUCH]: 'order-touch', [Prefix.TRADER_TOUCH]: 'trader-touch', [Prefix.TRADER_ORDER]: 'trader-order' };

/** The posting prefix a range lies within, or undefined if it holds no postings; a range that mixes them with other keys is a bug. */
export function postingPrefixOf(range: KeyRange): number | undefined {
  const low = range.gte ?? range.gt;
  const high = range.lt ?? range.lte;
  const lowPrefix = low === undefined || low.length === 0 ? 0 : low[0];
  // An exclusive bound at the very start of a kind ends before it.
  const highPrefix = high === undefined ? 255 : range.lt !== undefined && high.length > 0 && high.subarray(1).every((b) => b === 0) ? high[0] - 1 : high[0];
  const inside = Object.keys(KINDS).map(Number).filter((p) => p >= lowPrefix && p <= highPrefix);
  if (inside.length === 0) return undefined;
  if (inside.length > 1 || lowPrefix !== highPrefix) {
    throw new Error(`lobcore bug: a read of a key range across posting lists (${low === undefined ? 'start' : describeKey(low)} to ${high === undefined ? 'end' : describeKey(high)})`);
  }
  return lowPrefix;
}

/** The postings in `range` (all of one posting prefix), in its direction, at most its limit. */
export async function readPostings(prefix: number, pending: readonly IndexOps[], base: KeyValueStore, range: KeyRange): Promise<Array<[Uint8Array, Uint8Array]>> {
  const keyLength = prefix === Prefix.ORDER_TOUCH ? 17 : 25;
  const reverse = range.reverse === true;
  const limit = range.limit ?? Infinity;
  const found: Array<[Uint8Array, Uint8Array]> = [];
  const queued: OverlayEntry[] = [];
  for (const ops of pending) ops.collect({ gte: range.gte, gt: range.gt, lt: range.lt, lte: range.lte }, queued);
  for (const [key, value] of queued) if (value !== undefined) found.push([key, value]);

  const low = range.gte ?? range.gt;
  // The group's first key: the low bound with every field after the order or the trader 0.
  const groupStart = low !== undefined && low.length === keyLength ? Uint8Array.from(low).fill(0, 9) : undefined;
  const listBefore = groupStart !== undefined && compareBytes(groupStart, low!) < 0
    ? base.entries({ gte: groupStart, lte: low, reverse: true, limit: 1 }) : NO_ENTRIES;
  const orders = prefix === Prefix.ORDER_TOUCH ? ordersOf(range) : undefined;
  const bucketed: Array<[Uint8Array, Uint8Array]> = [];
  // One order's touches (the audit trail's reads) are read from its bucket as far as the range
  // and limit reach; a range over many orders reads their buckets whole.
  const buckets = orders === undefined || orders.last < orders.first ? NO_ENTRIES
    : orders.first === orders.last ? readOrderBucket(base, orders.first, range, limit, bucketed)
    : base.entries({
      gte: keyOf(Prefix.ORDER_TOUCHES, Math.floor(orders.first / ORDERS_PER_TOUCH_BUCKET), 0),
      lte: keyOf(Prefix.ORDER_TOUCHES, Math.floor(orders.last / ORDERS_PER_TOUCH_BUCKET), MAX_KEY_INTEGER),
    }).then((entries) => {
      for (const entry of entries) expandBucket(entry, orders, range, bucketed);
    });
  // One page of stored keys (see the head of this file): a page that comes back full holds at
  // least `limit` distinct postings up to its last key, all of them known, so no second page is
  // ever needed; one that comes back short holds every stored key of the range.
  const pageKeys = limit === Infinity ? undefined : Math.max(limit, 16);
  // The list before the range, the page and the buckets are asked for together: on a store in a
  // worker thread, one round trip instead of three.
  const [[before], stored] = await Promise.all([listBefore, base.entries({ ...range, limit: pageKeys }), buckets]);
  if (before !== undefined) expand(before, keyLength, range, found);
  for (const touch of bucketed) found.push(touch);
  // The page's lists in its order, until `limit` postings of them are found (the head of this
  // file). A list holds up to a window's postings of its group, so a page of keys for a limit of
  // thousands reaches every list left, and expanding them all cost each read of a trader's placings
  // all of them (docs/storage.md, round 28). Order touches, which buckets hold too, are expanded whole.
  let listed = 0;
  for (const entry of stored) {
    if (orders === undefined && listed >= limit) break;
    const had = found.length;
    expand(entry, keyLength, range, found);
    listed += found.length - had;
  }
  const sorted = distinctSorted(found, reverse);
  return limit < sorted.length ? sorted.slice(0, limit) : sorted;
}

/**
 * Trader placings read by readTraderPlacings since the process started: every posting of each
 * stored list decoded, and the queued ones in the range (a test's count of how far a closed page
 * walks a trader's placings); and the reads whose stored postings did not come in order, so were
 * sorted rather than merged (a test's check that the merge is what answers).
 */
export const placingReads = { decoded: 0, sortedStored: 0 };

/**
 * A trader's placings (TRADER_ORDER postings) in `range`, as readPostings reads them (the head of
 * this file: the list before the range, one page of stored keys, the queued operations), in its
 * direction, at most its limit, but as numbers: each posting's height, sequence and order id, one
 * index each, with no key copied, no value framed and no pair made for one. A closed page walks
 * every placing of a trader with many open orders to find the few closed (docs/storage.md, rounds
 * 41 and 43), and a key, a value framed by encodeUint only for the page to check and decode it
 * again, and a pair a posting were most of that walk's CPU and of its garbage. The range is within
 * one trader: its low bound is a TRADER_ORDER key (the trader's first, or a cursor), its high bound
 * one of the same trader or the next trader's first key.
 */
export async function readTraderPlacings(pending: readonly IndexOps[], base: KeyValueStore, range: KeyRange): Promise<Postings> {
  const bounds = placingBounds(range);
  const reverse = range.reverse === true;
  const limit = range.limit ?? Infinity;
  const queued: Postings = { heights: [], seqs: [], values: [] };
  for (const ops of pending) {
    ops.eachPut(Prefix.TRADER_ORDER, (trader, height, seq, orderId) => {
      if (orderId === NO_VALUE) throw new LobError('CORRUPTION', `a queued trader-order posting (trader ${trader}, seq ${seq}) has no order id`);
      if (!bounds.holds(trader, height, seq)) return;
      queued.heights.push(height);
      queued.seqs.push(seq);
      queued.values.push(orderId);
      placingReads.decoded++;
    });
  }
  // The stored postings come in the range's direction already (the head of this file): appended in
  // it, they need a merge with the queued ones, not a sort of them all (docs/storage.md, round 43).
  const stored = new PlacingRun(reverse);
  const pageKeys = limit === Infinity ? undefined : Math.max(limit, 16);
  if (base.indexNumbers !== undefined) {
    // A store that keeps postings as numbers (in memory) keeps each under a key of its own: no list
    // before the range reaches into it, and the page's every key is a posting.
    const numbers = await base.indexNumbers({ ...range, limit: pageKeys });
    for (let i = 0; i < numbers.length; i += 4) {
      if (numbers[i + 3] === NO_VALUE) throw new LobError('CORRUPTION', `a trader-order posting (trader ${numbers[i]}, seq ${numbers[i + 2]}) has no order id`);
      if (!bounds.holds(numbers[i], numbers[i + 1], numbers[i + 2])) continue;
      stored.push(numbers[i + 1], numbers[i + 2], numbers[i + 3]);
      placingReads.decoded++;
    }
    return settlePlacings(queued, stored, reverse, limit);
  }
  const low = (range.gte ?? range.gt)!;
  const groupStart = Uint8Array.from(low).fill(0, 9);
  const listBefore = compareBytes(groupStart, low) < 0 ? base.entries({ gte: groupStart, lte: low, reverse: true, limit: 1 }) : NO_ENTRIES;
  const [[found], page] = await Promise.all([listBefore, base.entries({ ...range, limit: pageKeys })]);
  // The list at the low bound itself, of an inclusive range, is the page's too: read once, from the page.
  const before = found !== undefined && !(range.gte !== undefined && compareBytes(found[0], range.gte) === 0) ? found : undefined;
  const expandList = ([key, value]: [Uint8Array, Uint8Array]): number => {
    if (key.length !== 25) throw new LobError('CORRUPTION', `key ${describeKey(key)} is not a trader-order key`);
    if (readU64BE(key, 1) !== bounds.trader) return 0;
    // A list is in order: only its ends may lie outside the range, so only they are tested.
    const { heights, seqs, values } = decodedList(key, value);
    let first = 0;
    let end = seqs.length;
    while (first < end && !bounds.atOrPastLow(heights[first], seqs[first])) first++;
    while (end > first && !bounds.atOrBeforeHigh(heights[end - 1], seqs[end - 1])) end--;
    // No more than the answer can hold: a list may hold tens of thousands of the trader's placings
    // (a window's), of which a page of 4,096 takes the end nearest it. Exact as the break below is:
    // the lists are disjoint and in order, so the postings left out come after those taken.
    const room = limit - stored.seqs.length;
    if (reverse) for (let i = end - 1; i >= first && i >= end - room; i--) stored.push(heights[i], seqs[i], values[i]);
    else for (let i = first; i < end && i < first + room; i++) stored.push(heights[i], seqs[i], values[i]);
    return end - first;
  };
  // Oldest first, the list before the range comes first; newest first, last.
  if (before !== undefined && !reverse) expandList(before);
  // The page's lists in its order until `limit` postings of them are found, as readPostings.
  let listed = 0;
  for (const entry of page) {
    if (listed >= limit) break;
    listed += expandList(entry);
  }
  if (before !== undefined && reverse) expandList(before);
  return settlePlacings(queued, stored, reverse, limit);
}

/**
 * The last trader-order list decoded, with its key and value. A page's reads of a trader's placings
 * come one after another, each from where the last ended, so each starts in the list the last one
 * ended in; a window's list holds thousands to tens of thousands of the trader's placings, and was
 * decoded again by every read of the page. Its bytes compared equal, it is the same list: a compare
 * is cheaper than the checksum and the decode it saves.
 */
let lastList: { key: Buffer; value: Buffer; postings: Postings } | undefined;

function decodedList(key: Uint8Array, value: Uint8Array): Postings {
  const keyBytes = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const valueBytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (lastList !== undefined && lastList.key.equals(keyBytes) && lastList.value.equals(valueBytes)) return lastList.postings;
  const postings: Postings = { heights: [], seqs: [], values: [] };
  decodePostings(key, value, 'trader-order', true, postings);
  placingReads.decoded += postings.seqs.length;
  // Copied: the value's bytes may be a view of a buffer the store reuses.
  lastList = { key: Buffer.from(keyBytes), value: Buffer.from(valueBytes), postings };
  return postings;
}

/**
 * Placings appended in a direction's order, each once (a repeat of the last dropped), and whether
 * they did come in that order: stored lists are sorted and disjoint, so they do, and then a merge
 * settles them; if ever they did not, a sort still does (settlePlacings).
 */
class PlacingRun implements Postings {
  readonly heights: number[] = [];
  readonly seqs: number[] = [];
  readonly values: number[] = [];
  inOrder = true;
  constructor(private readonly reverse: boolean) {}

  push(height: number, seq: number, value: number): void {
    const k = this.seqs.length - 1;
    if (k >= 0) {
      const lastHeight = this.heights[k];
      const lastSeq = this.seqs[k];
      if (lastHeight === height && lastSeq === seq) return;
      const after = height !== lastHeight ? height > lastHeight : seq > lastSeq;
      if (after === this.reverse) this.inOrder = false;
    }
    this.heights.push(height);
    this.seqs.push(seq);
    this.values.push(value);
  }
}

/**
 * The queued placings and the stored ones (a PlacingRun) as one answer: sorted by (height, sequence)
 * in the direction, each once (a queued one first), at most `limit`. The queued ones, few, are
 * sorted; the stored ones, in order already, merged with them.
 */
function settlePlacings(queued: Postings, stored: PlacingRun, reverse: boolean, limit: number): Postings {
  if (!stored.inOrder) {
    placingReads.sortedStored++;
    for (let i = 0; i < stored.seqs.length; i++) {
      queued.heights.push(stored.heights[i]);
      queued.seqs.push(stored.seqs[i]);
      queued.values.push(stored.values[i]);
    }
    return distinctPlacings(queued, reverse, limit);
  }
  if (queued.seqs.length === 0) {
    if (stored.seqs.length <= limit) return { heights: stored.heights, seqs: stored.seqs, values: stored.values };
    return { heights: stored.heights.slice(0, limit), seqs: stored.seqs.slice(0, limit), values: stored.values.slice(0, limit) };
  }
  const a = distinctPlacings(queued, reverse, limit);
  const b = stored;
  const out: Postings = { heights: [], seqs: [], values: [] };
  let i = 0;
  let j = 0;
  while (out.seqs.length < limit && (i < a.seqs.length || j < b.seqs.length)) {
    let from: Postings;
    if (j >= b.seqs.length) from = a;
    else if (i >= a.seqs.length) from = b;
    else {
      const order = a.heights[i] !== b.heights[j] ? a.heights[i] - b.heights[j] : a.seqs[i] - b.seqs[j];
      if (order === 0) j++; // the same posting both queued and stored: the queued one kept
      from = order === 0 || (order < 0) !== reverse ? a : b;
    }
    const k = from === a ? i++ : j++;
    out.heights.push(from.heights[k]);
    out.seqs.push(from.seqs[k]);
    out.values.push(from.values[k]);
  }
  return out;
}

/** A TRADER_ORDER range of one trader as numbers: its trader, and whether a posting (height, seq) of it lies past its low bound, before its high one, in it. */
function placingBounds(range: KeyRange): {
  trader: number;
  atOrPastLow(height: number, seq: number): boolean;
  atOrBeforeHigh(height: number, seq: number): boolean;
  holds(trader: number, height: number, seq: number): boolean;
} {
  const low = range.gte ?? range.gt;
  const high = range.lt ?? range.lte;
  const isPlacingKey = (key: Uint8Array | undefined): key is Uint8Array => key !== undefined && key.length === 25 && key[0] === Prefix.TRADER_ORDER;
  if (!isPlacingKey(low) || !isPlacingKey(high)) throw new Error('lobcore bug: a read of a trader\'s placings needs both bounds as trader-order keys');
  const trader = readU64BE(low, 1);
  const lowHeight = readU64BE(low, 9);
  const lowSeq = readU64BE(low, 17);
  // The low bound's side: at or past it (gte), past it (gt).
  const lowFloor = range.gte !== undefined ? 0 : 1;
  let highHeight = readU64BE(high, 9);
  let highSeq = readU64BE(high, 17);
  let highCeiling = range.lte !== undefined ? 0 : -1;
  const highTrader = readU64BE(high, 1);
  if (highTrader === trader + 1 && highHeight === 0 && highSeq === 0 && range.lt !== undefined) {
    // The next trader's first key: every posting of this trader.
    highHeight = Infinity;
    highSeq = Infinity;
    highCeiling = 0;
  } else if (highTrader !== trader) {
    throw new Error(`lobcore bug: a read of trader ${trader}'s placings up to trader ${highTrader}'s`);
  }
  const compare = (height: number, seq: number, h: number, s: number): number => (height !== h ? (height < h ? -1 : 1) : seq < s ? -1 : seq > s ? 1 : 0);
  const atOrPastLow = (height: number, seq: number): boolean => compare(height, seq, lowHeight, lowSeq) >= lowFloor;
  const atOrBeforeHigh = (height: number, seq: number): boolean => compare(height, seq, highHeight, highSeq) <= highCeiling;
  return {
    trader,
    atOrPastLow,
    atOrBeforeHigh,
    holds: (t, height, seq) => t === trader && atOrPastLow(height, seq) && atOrBeforeHigh(height, seq),
  };
}

/** The placings found, sorted by (height, sequence) in the direction, each once, at most `limit`. */
function distinctPlacings(found: Postings, reverse: boolean, limit: number): Postings {
  const { heights, seqs, values } = found;
  const order = new Uint32Array(seqs.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  // Stored lists come in key order already (each sorted, disjoint): a sort of a sorted run is one pass.
  order.sort((a, b) => (heights[a] !== heights[b] ? heights[a] - heights[b] : seqs[a] - seqs[b] || a - b));
  const out: Postings = { heights: [], seqs: [], values: [] };
  const n = order.length;
  for (let j = 0; j < n && out.seqs.length < limit; j++) {
    const i = order[reverse ? n - 1 - j : j];
    const k = out.seqs.length - 1;
    if (k >= 0 && out.seqs[k] === seqs[i] && out.heights[k] === heights[i]) continue;
    out.heights.push(heights[i]);
    out.seqs.push(seqs[i]);
    out.values.push(values[i]);
  }
  return out;
}

/** A stored posting key's postings that lie in `range`, each as [its own key, its single value], into `out`. */
function expand([key, value]: [Uint8Array, Uint8Array], keyLength: number, range: KeyRange, out: Array<[Uint8Array, Uint8Array]>): void {
  const kind = KINDS[key[0]];
  if (key.length !== keyLength) throw new LobError('CORRUPTION', `key ${describeKey(key)} is not a ${kind} key`);
  const withValues = key[0] === Prefix.TRADER_ORDER;
  const postings: Postings = { heights: [], seqs: [], values: [] };
  decodePostings(key, value, kind, withValues, postings);
  const { heights, seqs, values } = postings;
  for (let i = 0; i < seqs.length; i++) {
    const posting = i === 0 ? key : Uint8Array.from(key);
    if (i > 0) {
      if (keyLength === 25) writeU64BE(posting, 9, heights[i]);
      writeU64BE(posting, keyLength - 8, seqs[i]);
    }
    if (inRange(posting, range)) out.push([posting, withValues ? encodeUint(values[i]) : EMPTY_VALUE]);
  }
}

/**
 * The order ids an ORDER_TOUCH range may hold postings of: its bounds' order field where a bound is
 * an order-touch key that has one; any other bound (an open end, a bare prefix, the next kind's
 * first key) reaches every order on its side. A range over many orders reads all their buckets
 * whole; one order's (the audit trail's reads) is read by range (readOrderBucket).
 */
function ordersOf(range: KeyRange): { first: number; last: number } {
  const hasOrder = (bound: Uint8Array | undefined): bound is Uint8Array => bound !== undefined && bound.length >= 9 && bound[0] === Prefix.ORDER_TOUCH;
  const low = range.gte ?? range.gt;
  let last = MAX_KEY_INTEGER;
  if (hasOrder(range.lte)) last = readU64BE(range.lte, 1);
  else if (hasOrder(range.lt)) {
    // Below (order, 0) lies nothing of that order: every touch's sequence is at least 1.
    const order = readU64BE(range.lt, 1);
    last = range.lt.length === 17 && readU64BE(range.lt, 9) === 0 ? order - 1 : order;
  }
  return { first: hasOrder(low) ? readU64BE(low, 1) : 0, last };
}

/**
 * Order `orderId`'s touches in `range` from its bucket's keys, into `out`: the keys the range's
 * sequences reach, in its direction, a page at a time (16 keys and more, doubling up to 1,024), until
 * `limit` touches are found. A bucket key holds one window's touches of the bucket, so at or below
 * the index head the keys are disjoint and in order (a key's touches come before the next key's
 * first); a key a crash left past the head holds only touches stored again, or queued, elsewhere.
 * So every touch found is settled: read newest first, no unread key (all starting before the last
 * read) holds a later one; oldest first, none an earlier one. A page of an order touched by 50,000
 * commits read every key of its bucket, some of them holding its touches, each page (round 40).
 */
async function readOrderBucket(base: KeyValueStore, orderId: number, range: KeyRange, limit: number, out: Array<[Uint8Array, Uint8Array]>): Promise<void> {
  const bucket = Math.floor(orderId / ORDERS_PER_TOUCH_BUCKET);
  const seqOf = (bound: Uint8Array | undefined, otherwise: number): number =>
    (bound !== undefined && bound.length === 17 && bound[0] === Prefix.ORDER_TOUCH && readU64BE(bound, 1) === orderId ? readU64BE(bound, 9) : otherwise);
  const lowSeq = seqOf(range.gte ?? range.gt, 0);
  const highSeq = seqOf(range.lt ?? range.lte, MAX_KEY_INTEGER);
  const orders = { first: orderId, last: orderId };
  const first = keyOf(Prefix.ORDER_TOUCHES, bucket, 0);
  const low = keyOf(Prefix.ORDER_TOUCHES, bucket, lowSeq);
  const high = keyOf(Prefix.ORDER_TOUCHES, bucket, highSeq);
  let found = 0;
  // A read with no limit (an order's whole trail) takes the range's keys in one read.
  let pageKeys = limit === Infinity ? Infinity : 16;
  const limited = (page: KeyRange): KeyRange => (pageKeys === Infinity ? page : { ...page, limit: pageKeys });
  if (range.reverse === true) {
    let page: KeyRange = limited({ gte: first, lte: high, reverse: true });
    for (;;) {
      const entries = await base.entries(page);
      for (const entry of entries) found += expandBucket(entry, orders, range, out);
      // Short, or the last key starts at or below the range: no unread key holds a touch in it.
      if (entries.length < pageKeys || found >= limit || compareBytes(entries[entries.length - 1][0], low) <= 0) return;
      pageKeys = Math.min(pageKeys * 2, 1024);
      page = limited({ gte: first, lt: entries[entries.length - 1][0], reverse: true });
    }
  }
  // Of the keys starting at or below the range, only the last may reach into it.
  const [[before], firstPage] = await Promise.all([
    base.entries({ gte: first, lte: low, reverse: true, limit: 1 }),
    base.entries(limited({ gt: low, lte: high })),
  ]);
  if (before !== undefined) found += expandBucket(before, orders, range, out);
  let entries = firstPage;
  for (;;) {
    for (const entry of entries) found += expandBucket(entry, orders, range, out);
    if (entries.length < pageKeys || found >= limit) return;
    pageKeys = Math.min(pageKeys * 2, 1024);
    entries = await base.entries(limited({ gt: entries[entries.length - 1][0], lte: high }));
  }
}

/** A stored bucket's order touches that lie in `range`, each as [its ORDER_TOUCH key, the empty value], into `out`; how many. */
function expandBucket([key, value]: [Uint8Array, Uint8Array], orders: { first: number; last: number }, range: KeyRange, out: Array<[Uint8Array, Uint8Array]>): number {
  const orderIds: number[] = [];
  const seqs: number[] = [];
  let found = 0;
  decodeOrderTouches(key, value, orderIds, seqs);
  bucketReads.touchesDecoded += orderIds.length;
  for (let i = 0; i < orderIds.length; i++) {
    // Most of a bucket is other orders: checked before a key is made for one.
    if (orderIds[i] < orders.first || orderIds[i] > orders.last) continue;
    const posting = keyOf(Prefix.ORDER_TOUCH, orderIds[i], seqs[i]);
    if (inRange(posting, range)) {
      out.push([posting, EMPTY_VALUE]);
      found++;
    }
  }
  return found;
}

/** Entries sorted by key in the direction, each key once. */
function distinctSorted(entries: Array<[Uint8Array, Uint8Array]>, reverse: boolean): Array<[Uint8Array, Uint8Array]> {
  const sorted = entries.slice().sort((a, b) => compareBytes(a[0], b[0]));
  const out: Array<[Uint8Array, Uint8Array]> = [];
  for (const entry of sorted) if (out.length === 0 || compareBytes(out[out.length - 1][0], entry[0]) !== 0) out.push(entry);
  if (reverse) out.reverse();
  return out;
}
