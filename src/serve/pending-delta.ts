// Coalescing for one client: the feed messages that arrived since its last frame, merged into
// one delta. Levels are absolute, so a later update of a price replaces an earlier one and the
// merged delta leaves the page's book exactly where applying every message would.
import type { FeedMessage, LevelUpdate } from './feed.js';
import type { DeltaFrame, LevelChangeTuple, TradeTuple } from './protocol.js';

export class PendingDelta {
  private first = 0;
  private last = 0;
  private height = 0;
  private readonly bids = new Map<number, LevelUpdate>();
  private readonly asks = new Map<number, LevelUpdate>();
  private trades: TradeTuple[] = [];
  private dropped = 0;

  constructor(private readonly maxTrades: number) {}

  get empty(): boolean {
    return this.last === 0;
  }

  /** Distinct levels waiting: bounded by the caller, which falls back to a snapshot. */
  get levelCount(): number {
    return this.bids.size + this.asks.size;
  }

  /** Whether a message continues what is pending (a message after a gap must not be merged). */
  follows(seq: number): boolean {
    return this.empty || seq === this.last + 1;
  }

  add(message: FeedMessage, trades: readonly TradeTuple[]): void {
    if (this.empty) this.first = message.seq;
    this.last = message.seq;
    this.height = message.height;
    for (const level of message.levels) (level.side === 'bid' ? this.bids : this.asks).set(level.price, level);
    for (const trade of trades) this.trades.push(trade);
    const excess = this.trades.length - this.maxTrades;
    if (excess > 0) {
      this.trades = this.trades.slice(excess);
      this.dropped += excess;
    }
  }

  /** The merged delta, and empty again. */
  take(asset: number, head: number, now: number): DeltaFrame {
    const levels: LevelChangeTuple[] = [];
    for (const level of this.bids.values()) levels.push([0, level.price, level.size, level.orders]);
    for (const level of this.asks.values()) levels.push([1, level.price, level.size, level.orders]);
    const frame: DeltaFrame = {
      type: 'delta', asset, from: this.first, to: this.last, height: this.height, levels, trades: this.trades,
      dropped: this.dropped, head, t: now,
    };
    this.clear();
    return frame;
  }

  clear(): void {
    this.first = 0;
    this.last = 0;
    this.bids.clear();
    this.asks.clear();
    this.trades = [];
    this.dropped = 0;
  }
}
