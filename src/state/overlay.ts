// Reads that see index entries before they are written: queries read the store through the index
// writer's queue of derived-but-unwritten operations (index-ops.ts), newest operation of a key
// winning, so an index that lags behind the commits never makes a query miss anything. Nothing is
// kept sorted while commands flow: a query scans the queued buffers, which costs in proportion to
// the lag, and only when someone asks. Postings, which the index writer stores in lists, are read
// through posting-lists.ts.
import { newestByKey, type IndexOps, type OverlayEntry } from './index-ops.js';
import { isIndexRange } from './keys.js';
import { compareBytes, type KeyRange, type KeyValueStore } from './memory-store.js';
import type { Postings } from './codecs.js';
import { postingPrefixOf, readPostings, readTraderPlacings } from './posting-lists.js';

export class OverlayReader {
  /** ready: settles once the index writer's start has queued what the last run left unwritten (indexer.ts). */
  constructor(private readonly pending: readonly IndexOps[], private readonly base: KeyValueStore, private readonly ready: Promise<unknown>) {}

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    await this.ready;
    if (postingPrefixOf({ gte: key, lte: key }) !== undefined) return (await this.entries({ gte: key, lte: key }))[0]?.[1];
    const found: OverlayEntry[] = [];
    const range = { gte: key, lte: key };
    for (let i = this.pending.length - 1; i >= 0 && found.length === 0; i--) this.pending[i].collect(range, found);
    return found.length > 0 ? found[found.length - 1][1] : this.base.get(key);
  }

  async entries(range: KeyRange): Promise<Array<[Uint8Array, Uint8Array]>> {
    await this.ready;
    // Postings may be stored in lists (index-window.mjs): read as one key a posting.
    const postings = postingPrefixOf(range);
    if (postings !== undefined) return readPostings(postings, this.pending, this.base, range);
    const collected: OverlayEntry[] = [];
    for (const ops of this.pending) ops.collect(range, collected);
    const over = newestByKey(collected, range.reverse === true);
    // Deletes may hide base entries: ask the base for enough to fill the limit anyway.
    const baseLimit = range.limit === undefined ? undefined : range.limit + over.length;
    const under = await this.base.entries(over.length === 0 ? range : { ...range, limit: baseLimit });
    if (over.length === 0) return under;
    const direction = range.reverse === true ? -1 : 1;
    const out: Array<[Uint8Array, Uint8Array]> = [];
    const limit = range.limit ?? Infinity;
    let i = 0;
    let j = 0;
    while ((i < over.length || j < under.length) && out.length < limit) {
      const c = i >= over.length ? 1 : j >= under.length ? -1 : compareBytes(over[i][0], under[j][0]) * direction;
      if (c <= 0) {
        const value = over[i][1];
        if (value !== undefined) out.push([over[i][0], value]);
        if (c === 0) j++;
        i++;
      } else {
        out.push(under[j++]);
      }
    }
    return out;
  }

  /** A trader's placings in `range` as numbers (posting-lists.ts, readTraderPlacings): what a closed page walks. */
  async traderPlacings(range: KeyRange): Promise<Postings> {
    await this.ready;
    return readTraderPlacings(this.pending, this.base, range);
  }

  async keys(range: KeyRange): Promise<Uint8Array[]> {
    await this.ready;
    // Outside the indexes (the event blocks' keys, the commits' own), nothing is ever queued: the
    // store's keys alone, their values not read. The same test picks the store's database.
    if (!isIndexRange(range)) return this.base.keys(range);
    return (await this.entries(range)).map(([key]) => key);
  }
}
