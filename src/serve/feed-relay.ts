// One subscription to the state machine's feed for the whole server, fanned out to the client
// sessions. It also keeps, per asset, what a newly connected page needs besides the book: the
// recent trades for its tape and the last trade price.
//
// The last trade price is the engine's (the one its stops trigger on): read from the engine's
// snapshot whenever the subscription opens, since trades before it (a database's, or those lost
// while a subscription was cut off) never reach the feed, then followed through the feed's fills.
import { openSnapshot, snapshotBooks } from '../snapshot.js';
import type { FeedMessage, FeedSubscription, MarketMachine } from './feed.js';
import type { TradeTuple } from './protocol.js';

export interface FeedListener {
  message(message: FeedMessage, trades: readonly TradeTuple[]): void;
  /**
   * The subscription fell behind and was opened again: messages of any asset may be lost, and a
   * copy of a book built from the messages so far may be wrong for good. Nothing later needs to
   * arrive to reveal it, so whoever keeps such a copy must replace it now.
   */
  lost(): void;
}

interface AssetTape {
  seq: number;
  lastPrice: number;
  trades: TradeTuple[];
}

/** The fills of a message as tape rows; `time` is when they happened on the source's clock. */
export function tradesOf(message: FeedMessage, time: number): TradeTuple[] {
  const trades: TradeTuple[] = [];
  for (const event of message.events) {
    if (event.kind !== 'fill') continue;
    // The event's side is the maker's; the aggressor is on the other side.
    trades.push([
      event.price, event.size, event.side === 'ask' ? 0 : 1, event.orderId, event.takerOrderId ?? 0, event.trader,
      event.takerTrader ?? 0, message.height, time,
    ]);
  }
  return trades;
}

export class FeedRelay {
  private subscription: FeedSubscription | null = null;
  private stopped = false;
  private readonly tapes = new Map<number, AssetTape>();
  private readonly listeners = new Set<FeedListener>();
  /** Times the subscription ended with an error (it fell behind) and was opened again. */
  restarts = 0;

  constructor(
    private readonly machine: MarketMachine,
    private readonly timeOf: (height: number) => number,
    private readonly keptTrades: number,
    private readonly feedBuffer: number,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.subscription?.close();
  }

  listen(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  lastPrice(asset: number): number {
    return this.tapes.get(asset)?.lastPrice ?? 0;
  }

  lastSeq(asset: number): number {
    return this.tapes.get(asset)?.seq ?? 0;
  }

  recentTrades(asset: number): TradeTuple[] {
    return this.tapes.get(asset)?.trades.slice(-this.keptTrades) ?? [];
  }

  private async run(): Promise<void> {
    let cutOff = false;
    while (!this.stopped) {
      let subscription: FeedSubscription | undefined;
      try {
        // Together, with nothing in between: a command applied after the snapshot reaches the
        // subscription, and one applied before it but not yet delivered reaches it too, setting
        // the price it already has.
        subscription = this.machine.subscribe({ maxBuffered: this.feedBuffer });
        this.readLastPrices();
      } catch {
        subscription?.close();
        return; // the machine is closed: there is no feed to follow
      }
      this.subscription = subscription;
      // Only once the new subscription is open: a book snapshot taken from now on is followed by
      // every message after it.
      if (cutOff) for (const listener of this.listeners) listener.lost();
      try {
        for await (const message of subscription) this.deliver(message);
        return; // ended without an error: the machine closed
      } catch {
        if (this.stopped) return;
        // Messages were lost while it was cut off. It resubscribes at once: a live subscription
        // starts from now, so any wait loses every flush made meanwhile (all of them, when the
        // flushes never yield to the event loop). Then the pages get fresh snapshots.
        this.restarts++;
        cutOff = true;
      }
    }
  }

  private tape(asset: number): AssetTape {
    let tape = this.tapes.get(asset);
    if (tape === undefined) this.tapes.set(asset, (tape = { seq: 0, lastPrice: 0, trades: [] }));
    return tape;
  }

  /** Every book's last trade price, from the engine's own state (one pass over its snapshot). */
  private readLastPrices(): void {
    for (const book of snapshotBooks(openSnapshot(this.machine.snapshot()))) {
      if (book.lastPrice !== 0) this.tape(book.asset).lastPrice = book.lastPrice;
    }
  }

  private deliver(message: FeedMessage): void {
    const trades = tradesOf(message, this.timeOf(message.height));
    const tape = this.tape(message.asset);
    tape.seq = message.seq;
    if (trades.length > 0) {
      tape.lastPrice = trades[trades.length - 1][0];
      tape.trades.push(...trades);
      if (tape.trades.length > this.keptTrades * 2) tape.trades.splice(0, tape.trades.length - this.keptTrades);
    }
    for (const listener of this.listeners) listener.message(message, trades);
  }
}
