// Reads that see index entries before they are written: the index writer keeps what it has
// derived but not yet stored in a SortedBytesMap (puts, and tombstones for deletes), and queries
// read the store through this overlay, so an index that lags behind the commits never makes a
// query miss anything.
import { compareBytes, type KeyRange, type KeyValueStore, type SortedBytesMap } from './memory-store.js';

export class OverlayReader {
  constructor(private readonly pending: SortedBytesMap, private readonly base: KeyValueStore) {}

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const hit = this.pending.lookup(key);
    return hit.present ? hit.value : this.base.get(key);
  }

  async entries(range: KeyRange): Promise<Array<[Uint8Array, Uint8Array]>> {
    const over = this.pending.range({ ...range, limit: undefined });
    // Tombstones may hide base entries: ask the base for enough to fill the limit anyway.
    const baseLimit = range.limit === undefined ? undefined : range.limit + over.length;
    const under = over.length === 0 && range.limit === undefined ? await this.base.entries(range) : await this.base.entries({ ...range, limit: baseLimit });
    if (over.length === 0) return range.limit === undefined ? under : under.slice(0, range.limit);
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

  async keys(range: KeyRange): Promise<Uint8Array[]> {
    return (await this.entries(range)).map(([key]) => key);
  }
}
