// The page's copy of one book: a snapshot, then sequenced deltas. A delta that does not start
// right after the copy's sequence is a gap: the copy stops applying anything until a fresh
// snapshot arrives. No DOM here: the server tests use this same module over a real socket.

/** What apply() made of a delta. */
export const Applied = Object.freeze({ APPLIED: 'applied', STALE: 'stale', GAP: 'gap' });

export class BookReplica {
  constructor() {
    this.reset(null);
  }

  /** Forgets everything; the copy waits for a snapshot of `asset`. */
  reset(asset) {
    this.asset = asset;
    this.seq = 0;
    this.height = 0;
    this.synced = false;
    this.bids = new Map();
    this.asks = new Map();
    // An incomplete side knows nothing beyond its worst snapshot price: updates past it are dropped.
    this.bidLimit = null;
    this.askLimit = null;
    this.sorted = null;
  }

  /** frame: { asset, seq, height, bids: [[price, size, orders]], asks, complete: [bids, asks] } */
  load(frame) {
    this.reset(frame.asset);
    this.seq = frame.seq;
    this.height = frame.height;
    for (const [price, size, orders] of frame.bids) this.bids.set(price, [size, orders]);
    for (const [price, size, orders] of frame.asks) this.asks.set(price, [size, orders]);
    this.bidLimit = frame.complete[0] || frame.bids.length === 0 ? null : frame.bids[frame.bids.length - 1][0];
    this.askLimit = frame.complete[1] || frame.asks.length === 0 ? null : frame.asks[frame.asks.length - 1][0];
    this.synced = true;
  }

  /** frame: { asset, from, to, height, levels: [[side, price, size, orders]] } */
  apply(frame) {
    if (!this.synced || frame.asset !== this.asset || frame.to <= this.seq) return Applied.STALE;
    if (frame.from !== this.seq + 1) {
      this.synced = false;
      return Applied.GAP;
    }
    for (const [side, price, size, orders] of frame.levels) {
      if (side === 0) {
        if (this.bidLimit !== null && price < this.bidLimit) continue;
        if (size === 0) this.bids.delete(price);
        else this.bids.set(price, [size, orders]);
      } else {
        if (this.askLimit !== null && price > this.askLimit) continue;
        if (size === 0) this.asks.delete(price);
        else this.asks.set(price, [size, orders]);
      }
    }
    this.seq = frame.to;
    this.height = frame.height;
    this.sorted = null;
    return Applied.APPLIED;
  }

  /** Levels of both sides, best first: { bids: [{ price, size, orders }], asks }. */
  depth(most = Infinity) {
    if (this.sorted === null) {
      this.sorted = { bids: levelList(this.bids, (a, b) => b - a), asks: levelList(this.asks, (a, b) => a - b) };
    }
    return { bids: this.sorted.bids.slice(0, most), asks: this.sorted.asks.slice(0, most) };
  }

  bestBid() {
    return this.depth(1).bids[0];
  }

  bestAsk() {
    return this.depth(1).asks[0];
  }

  /** An incomplete side that has lost most of what its snapshot held: time for a fresh one. */
  thin(minimum) {
    return (this.bidLimit !== null && this.bids.size < minimum) || (this.askLimit !== null && this.asks.size < minimum);
  }
}

function levelList(levels, order) {
  return [...levels.keys()].sort(order).map((price) => {
    const [size, orders] = levels.get(price);
    return { price, size, orders };
  });
}
