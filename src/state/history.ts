// Finding and reading event blocks: the one place queries (fills, the audit trail, the feed, book
// history) get at what happened. A block is found by the sequence, order id or fill sequence it
// holds with one reverse seek on the key of where each flush starts; decoded blocks are cached,
// since a page of results usually needs a handful of neighbouring ones, and a pass over many
// traders or orders of one stretch of history needs the same blocks again and again.
import { LobError } from '../errors.js';
import { EventCode } from '../codes.js';
import { EVENT_SLOTS, EventHead } from '../events.js';
import { decodePayload, decodeUint, eventsPayload } from './codecs.js';
import type { BlockLookups } from './block-lookup.js';
import { decodeEventBlock, type EventBlock } from './event-block.js';
import { Prefix, describeKey, eventsKey, keyIntegers, keyOf } from './keys.js';
import { NO_ENTRIES, compareBytes, type KeyRange } from './memory-store.js';

/** What history reads from: the store seen through the index overlay. */
export interface HistoryReader {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  entries(range: KeyRange): Promise<Array<[Uint8Array, Uint8Array]>>;
  keys(range: KeyRange): Promise<Uint8Array[]>;
}

/** A decoded block with each fill's sequence (0 for events that are not fills), and its lookups once built (block-lookup.ts). */
export interface ReadBlock extends EventBlock, BlockLookups {
  fillSeqs: Float64Array;
}

/**
 * What the decoded blocks kept may take, least recently used first out. By memory, not by count:
 * a block holds a whole flush, from a few events to a long run's hundreds of thousands. The most
 * recent block is kept whatever its size.
 */
export const HISTORY_CACHE_BYTES = 32 * 1024 * 1024;
/** A decoded event's share of a block: its slots, height, timestamp and fill sequence, and its part of the lookups (block-lookup.ts). */
export const CACHED_BYTES_PER_EVENT = EVENT_SLOTS * 8 + 3 * 8 + 40;

/** The order traderBlocks walks in: newest first, it starts at the block `last` when given (a cursor's). */
export type BlockOrder = { newestFirst: false } | { newestFirst: true; last?: { startHeight: number; firstSeq: number } };
export const OLDEST_FIRST: BlockOrder = { newestFirst: false };

export class History {
  /** In use order, least recent first. */
  private readonly cache = new Map<number, ReadBlock>();
  private cachedBytes = 0;
  /**
   * Blocks being read and decoded, by first sequence, until settled: readers of one block at once
   * share its read and its decode. A page of a trader's orders asks for up to 256 records at once
   * (audit-trail.ts), and the orders of one flush share its block: each decoded it, 256 times over.
   * A failed read or decode fails every reader sharing it and is not kept: the next read tries again.
   */
  private readonly decoding = new Map<number, Promise<ReadBlock | undefined>>();

  /** cacheBytes: the budget of decoded blocks kept (tests give a small one). */
  constructor(private readonly reader: HistoryReader, private readonly cacheBytes = HISTORY_CACHE_BYTES) {}

  /** The block that starts at journal sequence `firstSeq`, or undefined. */
  async block(firstSeq: number): Promise<ReadBlock | undefined> {
    const cached = this.cached(firstSeq);
    if (cached !== undefined) return cached;
    let pending = this.decoding.get(firstSeq);
    if (pending === undefined) {
      const read = this.read(firstSeq);
      // Registered before any reader awaits it, so gone by the time a failure reaches them.
      const settled = (): void => {
        if (this.decoding.get(firstSeq) === read) this.decoding.delete(firstSeq);
      };
      read.then(settled, settled);
      this.decoding.set(firstSeq, read);
      pending = read;
    }
    return pending;
  }

  /** The block holding journal sequence `seq`, or undefined. */
  async blockAt(seq: number): Promise<ReadBlock | undefined> {
    // The key only, then the block through block(): cached or shared. Its value, megabytes for a
    // long flush, was read from the store again for every rejected order of a page (rejectedAt).
    const [key] = await this.reader.keys({ gte: eventsKey(0), lte: eventsKey(seq), reverse: true, limit: 1 });
    if (key === undefined) return undefined;
    const [firstSeq] = keyIntegers(key, Prefix.EVENTS, 1);
    const block = await this.block(firstSeq);
    return block !== undefined && seq <= block.lastSeq ? block : undefined;
  }

  /** The block in which order `orderId` was placed, found through ORDER_SPAN. */
  async blockOfOrder(orderId: number): Promise<ReadBlock | undefined> {
    return this.blockBySpan(Prefix.ORDER_SPAN, orderId, 'order-span');
  }

  /** The block holding fill `fillSeq`, found through FILL_SPAN. */
  async blockOfFill(fillSeq: number): Promise<ReadBlock | undefined> {
    return this.blockBySpan(Prefix.FILL_SPAN, fillSeq, 'fill-span');
  }

  /**
   * Every block with events of order `orderId`, in order: the one that placed it, then those its
   * ORDER_TOUCH entries name. Empty for an id never issued.
   */
  async blocksOfOrder(orderId: number): Promise<ReadBlock[]> {
    // Its touches name only later flushes than the placing one, so they need not wait for it:
    // both, and then every touched block, are asked for together (a store in a worker thread
    // answers each group in one round trip).
    const [placed, touches] = await Promise.all([
      this.blockOfOrder(orderId),
      this.reader.entries({ gt: keyOf(Prefix.ORDER_TOUCH, orderId, 0), lt: keyOf(Prefix.ORDER_TOUCH, orderId + 1, 0) }),
    ]);
    if (placed === undefined) return [];
    const later = touches.map(([key]) => ({ key, firstSeq: keyIntegers(key, Prefix.ORDER_TOUCH, 2)[1] })).filter(({ firstSeq }) => firstSeq > placed.firstSeq);
    const blocks = await Promise.all(later.map(({ firstSeq }) => this.block(firstSeq)));
    blocks.forEach((block, i) => {
      if (block === undefined) throw new LobError('CORRUPTION', `order-touch ${describeKey(later[i].key)} names a flush whose event block is missing`);
    });
    return [placed, ...(blocks as ReadBlock[])];
  }

  /**
   * The blocks with events of order `orderId` from the one holding journal sequence `fromSeq` (the
   * placing one when not given): oldest first on to the newest, or newest first back to the
   * placing one. Its ORDER_TOUCH keys are read a page at a time as the caller goes on, 4 at first
   * and doubling up to 1,024, so a page of a long trail reads the blocks it reaches and a few keys
   * past them, not every block of the order (blocksOfOrder).
   */
  async *orderBlocks(orderId: number, newestFirst: boolean, fromSeq?: number): AsyncGenerator<ReadBlock> {
    const placed = await this.blockOfOrder(orderId);
    if (placed === undefined || (fromSeq !== undefined && fromSeq < placed.firstSeq)) return;
    // Touches name only flushes after the placing one (and a touch of the placing one is skipped).
    const low = keyOf(Prefix.ORDER_TOUCH, orderId, placed.firstSeq + 1);
    const high = keyOf(Prefix.ORDER_TOUCH, orderId + 1, 0);
    const atCursor = fromSeq === undefined ? undefined : keyOf(Prefix.ORDER_TOUCH, orderId, fromSeq);
    const touched = async (key: Uint8Array): Promise<ReadBlock> => {
      const block = await this.block(keyIntegers(key, Prefix.ORDER_TOUCH, 2)[1]);
      if (block === undefined) throw new LobError('CORRUPTION', `order-touch ${describeKey(key)} names a flush whose event block is missing`);
      return block;
    };
    let pageSize = 4;
    if (newestFirst) {
      // Every block starting at or before the cursor's sequence: the one holding it, then older ones.
      let range: KeyRange = atCursor === undefined ? { gte: low, lt: high, reverse: true, limit: pageSize } : { gte: low, lte: atCursor, reverse: true, limit: pageSize };
      for (;;) {
        const keys = await this.reader.keys(range);
        for (const key of keys) yield await touched(key);
        if (keys.length < pageSize) break;
        pageSize = Math.min(pageSize * 2, 1024);
        range = { gte: low, lt: keys[keys.length - 1], reverse: true, limit: pageSize };
      }
      yield placed;
      return;
    }
    let range: KeyRange = { gte: low, lt: high, limit: pageSize };
    if (atCursor === undefined || fromSeq! <= placed.lastSeq) {
      yield placed;
      if (atCursor !== undefined) range = { gt: atCursor, lt: high, limit: pageSize };
    } else {
      // The cursor's block is the last to start at or before it; then those starting after it.
      const [holding] = await this.reader.keys({ gte: low, lte: atCursor, reverse: true, limit: 1 });
      if (holding !== undefined) {
        const block = await touched(holding);
        if (block.lastSeq >= fromSeq!) yield block;
      }
      range = { gt: atCursor, lt: high, limit: pageSize };
    }
    for (;;) {
      const keys = await this.reader.keys(range);
      for (const key of keys) yield await touched(key);
      if (keys.length < pageSize) return;
      pageSize = Math.min(pageSize * 2, 1024);
      range = { gt: keys[keys.length - 1], lt: high, limit: pageSize };
    }
  }

  /**
   * The blocks with events of `trader` at heights fromHeight..toHeight (from its TRADER_TOUCH
   * entries), oldest first or, with `newestFirst`, newest first and none after `last` if given.
   */
  async *traderBlocks(trader: number, fromHeight: number, toHeight: number, order: BlockOrder = OLDEST_FIRST, firstPage = 16): AsyncGenerator<ReadBlock> {
    let previous = 0;
    for await (const key of this.traderTouches(trader, fromHeight, toHeight, order, firstPage)) {
      const [, , firstSeq] = keyIntegers(key, Prefix.TRADER_TOUCH, 3);
      if (firstSeq === previous) continue;
      previous = firstSeq;
      const block = await this.block(firstSeq);
      if (block === undefined) throw new LobError('CORRUPTION', `trader-touch ${describeKey(key)} names a flush whose event block is missing`);
      yield block;
    }
  }

  /**
   * The TRADER_TOUCH keys of traderBlocks. Pages of keys start at `firstPage` and double up to
   * 1,024: a query that needs a few blocks reads a few keys, and one that reads a long history
   * takes a round trip per doubling rather than one per 16 blocks.
   */
  private async *traderTouches(trader: number, fromHeight: number, toHeight: number, order: BlockOrder, firstPage: number): AsyncGenerator<Uint8Array> {
    const from = keyOf(Prefix.TRADER_TOUCH, trader, fromHeight, 0);
    let lt = toHeight >= Number.MAX_SAFE_INTEGER ? keyOf(Prefix.TRADER_TOUCH, trader + 1, 0, 0) : keyOf(Prefix.TRADER_TOUCH, trader, toHeight + 1, 0);
    if (order.newestFirst && order.last !== undefined) {
      const pastLast = keyOf(Prefix.TRADER_TOUCH, trader, order.last.startHeight, order.last.firstSeq + 1);
      if (compareBytes(pastLast, lt) < 0) lt = pastLast;
    }
    // A block is keyed by the height it starts at, so one that starts before fromHeight can still
    // reach into it: the last such block (none starts before height 0: no read). Oldest first it
    // comes first, asked for with the first page (one round trip to a store in a worker thread);
    // newest first it comes last, read only if the caller gets that far.
    const before = (): Promise<Array<[Uint8Array, Uint8Array]>> => (fromHeight === 0 ? Promise.resolve(NO_ENTRIES)
      : this.reader.entries({ gte: keyOf(Prefix.TRADER_TOUCH, trader, 0, 0), lt: from, reverse: true, limit: 1 }));
    let pageSize = firstPage;
    const page = (bound: Uint8Array | undefined): KeyRange => (order.newestFirst
      ? { gte: from, lt: bound ?? lt, reverse: true, limit: pageSize }
      : bound === undefined ? { gte: from, lt, limit: pageSize } : { gt: bound, lt, limit: pageSize });
    let stored: Array<[Uint8Array, Uint8Array]>;
    if (order.newestFirst) {
      stored = await this.reader.entries(page(undefined));
    } else {
      const [earlier, first] = await Promise.all([before(), this.reader.entries(page(undefined))]);
      for (const [key] of earlier) yield key;
      stored = first;
    }
    for (;;) {
      for (const [key] of stored) yield key;
      if (stored.length < pageSize) break;
      pageSize = Math.min(pageSize * 2, 1024);
      stored = await this.reader.entries(page(stored[stored.length - 1][0]));
    }
    if (order.newestFirst) for (const [key] of await before()) yield key;
  }

  /**
   * Blocks from the one starting at `firstSeq` on, in order, `pageSize` keys at a time. Each must
   * start where the one before it ended: the indexes derived from them and the feed replayed from
   * them would otherwise skip a flush without a word. The caller checks that the last one reaches
   * as far as it needs (missingBlockAfter).
   */
  async *blocksFrom(firstSeq: number, pageSize = 16): AsyncGenerator<ReadBlock> {
    let range: KeyRange = { gte: eventsKey(firstSeq), lt: Buffer.from([Prefix.EVENTS + 1]), limit: pageSize };
    let expected = firstSeq;
    for (;;) {
      const page = await this.reader.entries(range);
      for (const [key, value] of page) {
        const [start] = keyIntegers(key, Prefix.EVENTS, 1);
        if (start !== expected) {
          throw new LobError('CORRUPTION', `event block ${describeKey(eventsKey(expected))} is missing: the next stored block is ${describeKey(key)}`);
        }
        const block = this.cached(start) ?? (await this.decoded(key, start, value));
        expected = block.lastSeq + 1;
        yield block;
      }
      if (page.length < pageSize) return;
      range = { gt: page[page.length - 1][0], lt: range.lt, limit: pageSize };
    }
  }

  /** The error for event blocks that end at `lastSeq` short of what was committed (`short`: of what). */
  static missingBlockAfter(lastSeq: number, short: string): LobError {
    return new LobError('CORRUPTION', `event block ${describeKey(eventsKey(lastSeq + 1))} is missing: the event blocks end at sequence ${lastSeq}, short of ${short}`);
  }

  /** The height in effect at journal sequence `seq` of a block. */
  static heightAt(block: EventBlock, seq: number): number {
    let height = block.startHeight;
    for (const [at, h] of block.heightChanges) if (at <= seq) height = h;
    return height;
  }

  private async blockBySpan(prefix: number, id: number, kind: string): Promise<ReadBlock | undefined> {
    const [entry] = await this.reader.entries({ gte: keyOf(prefix, 0), lte: keyOf(prefix, id), reverse: true, limit: 1 });
    if (entry === undefined) return undefined;
    const firstSeq = decodeUint(entry[0], entry[1], kind);
    const block = await this.block(firstSeq);
    if (block === undefined) {
      throw new LobError('CORRUPTION', `${kind} ${describeKey(entry[0])} points at flush ${firstSeq}, whose event block ${describeKey(eventsKey(firstSeq))} is missing`);
    }
    return block;
  }

  /** The block starting at `firstSeq` read from the store, decoded and cached (block() shares it). */
  private async read(firstSeq: number): Promise<ReadBlock | undefined> {
    const key = eventsKey(firstSeq);
    const value = await this.reader.get(key);
    // (blocksFrom may have decoded it meanwhile from a value of its own.)
    return value === undefined ? undefined : this.cached(firstSeq) ?? this.remember(key, firstSeq, value);
  }

  /**
   * The block `value` read at `key`: cached, or the one a read in flight is decoding (the same
   * stored value: blocks are never rewritten), or decoded now.
   */
  private async decoded(key: Uint8Array, firstSeq: number, value: Uint8Array): Promise<ReadBlock> {
    const cached = this.cached(firstSeq);
    if (cached !== undefined) return cached;
    const pending = this.decoding.get(firstSeq);
    const shared = pending === undefined ? undefined : await pending;
    return shared ?? this.cached(firstSeq) ?? this.remember(key, firstSeq, value);
  }

  /** Decodes a block and caches it; only read() and decoded() call it, so one block is decoded once at a time. */
  private remember(key: Uint8Array, firstSeq: number, value: Uint8Array): ReadBlock {
    const payload = eventsPayload(key, value);
    const block = decodePayload(key, 'events', () => decodeEventBlock(payload)) as ReadBlock;
    if (block.firstSeq !== firstSeq) {
      throw new LobError('CORRUPTION', `events value at key ${describeKey(key)} says it starts at sequence ${block.firstSeq}`);
    }
    block.fillSeqs = new Float64Array(block.count);
    let fillSeq = block.firstFillSeq;
    for (let k = 0; k < block.count; k++) {
      if ((block.events[k * EVENT_SLOTS] & EventHead.KIND_MASK) === EventCode.FILL) block.fillSeqs[k] = fillSeq++;
    }
    // Only a block not cached is decoded (read and decoded look first); were it cached, its bytes would not count twice.
    const earlier = this.cache.get(firstSeq);
    if (earlier !== undefined) this.cachedBytes -= earlier.count * CACHED_BYTES_PER_EVENT;
    this.cache.delete(firstSeq);
    this.cache.set(firstSeq, block);
    this.cachedBytes += block.count * CACHED_BYTES_PER_EVENT;
    for (const [oldest, old] of this.cache) {
      if (this.cachedBytes <= this.cacheBytes || old === block) break;
      this.cache.delete(oldest);
      this.cachedBytes -= old.count * CACHED_BYTES_PER_EVENT;
    }
    return block;
  }

  /** A cached block, now the most recently used. */
  private cached(firstSeq: number): ReadBlock | undefined {
    const block = this.cache.get(firstSeq);
    if (block !== undefined) {
      this.cache.delete(firstSeq);
      this.cache.set(firstSeq, block);
    }
    return block;
  }
}
