// One connected page: the asset it watches, the feed coalesced since its last frame, its flow
// window, and its requests. Feed messages only ever go into the pending delta (bounded); frames
// leave on the server's tick. So a slow page costs the engine nothing, and a page that stops
// acknowledging is cut off once its window has stayed full for `stallMs`.
import type { WebSocket } from 'ws';
import { LobError } from '../errors.js';
import { auditOrder, auditTrader, olderEvents } from './audit-desk.js';
import type { FeedMessage, MarketMachine } from './feed.js';
import type { FeedRelay } from './feed-relay.js';
import { FlowWindow } from './flow-window.js';
import type { OrderDesk } from './order-desk.js';
import { PendingDelta } from './pending-delta.js';
import {
  BadFrame, CloseCode, parseClientFrame, type ClientFrame, type HelloFrame, type LevelTuple, type ServerFrame,
  type SnapshotFrame, type StatusFrame, type TradeTuple,
} from './protocol.js';
import { parseSpeed, type Playback } from './source.js';
import type { Level } from '../types.js';

export interface SessionLimits {
  /** Unacknowledged bytes a page may have in flight; past it, deltas wait and coalesce. */
  windowBytes: number;
  /** How long a full window is tolerated before the page is cut off. */
  stallMs: number;
  /** Levels per side in a snapshot; a deeper book is sent in part, marked incomplete. */
  snapshotLevels: number;
  /** Distinct levels a pending delta may hold before it is dropped for a fresh snapshot. */
  maxPendingLevels: number;
  /** Trades per delta frame; older ones are dropped and counted. */
  maxTradesPerFrame: number;
}

export interface SessionContext {
  machine: MarketMachine;
  relay: FeedRelay;
  playback: Playback | null;
  orders: OrderDesk;
  limits: SessionLimits;
  hello: HelloFrame;
  /** The newest feed sequence of an asset (what the page would be at if it were not behind). */
  head(asset: number): number;
  cutOff(session: ClientSession): void;
  /** Sends every page a status frame now (after a playback change, so every page shows it at once). */
  broadcastStatus(): void;
}

/**
 * Requests (orders, audits) of one page running at once. An audit holds a trader's pages while it
 * runs, and a frame asking for one is 40 bytes: a page's burst of them, all run at once, took the
 * server gigabytes. Past this many, the session stops reading the page's socket until one ends, so
 * the rest wait in the socket's buffers and then in the page's own.
 */
export const REQUESTS_AT_ONCE = 4;

const OPEN = 1;
/** How long a page that was cut off (or turned away: server.ts) gets to take the close frame before its socket is destroyed. */
export const CLOSE_GRACE_MS = 1000;

function levelTuples(levels: readonly Level[], most: number): LevelTuple[] {
  const tuples: LevelTuple[] = [];
  for (let i = 0; i < levels.length && i < most; i++) tuples.push([levels[i].price, levels[i].size, levels[i].orders]);
  return tuples;
}

export class ClientSession {
  private asset: number | null = null;
  /** The feed sequence the page's book is at, as far as this session has sent. */
  private seq = 0;
  private needSnapshot = false;
  /**
   * A snapshot taken while the flush of commands it holds was under way, waiting for that flush to
   * bring their feed messages, whose trades it lacks (null: none waits). Deltas wait behind it.
   */
  private held: SnapshotFrame | null = null;
  /** The last feed sequence whose trades the held snapshot has: those after it are added as they come. */
  private heldTradesThrough = 0;
  private readonly pending: PendingDelta;
  private readonly window: FlowWindow;
  private frames = 0;
  private ended = false;
  /** Requests running, and those that arrived past REQUESTS_AT_ONCE (the socket is paused meanwhile). */
  private running = 0;
  private readonly queued: Array<{ id: number; run: () => Promise<ServerFrame> }> = [];

  constructor(private readonly socket: WebSocket, private readonly context: SessionContext) {
    this.pending = new PendingDelta(context.limits.maxTradesPerFrame);
    this.window = new FlowWindow(context.limits.windowBytes);
    this.send(context.hello);
  }

  get closed(): boolean {
    return this.ended;
  }

  end(): void {
    this.ended = true;
    this.pending.clear();
    this.queued.length = 0;
  }

  onText(text: string): void {
    let frame: ClientFrame;
    try {
      frame = parseClientFrame(text);
    } catch (error) {
      if (!(error instanceof BadFrame)) throw error;
      this.send({ type: 'error', code: 'BAD_FRAME', message: error.message });
      return;
    }
    this.handle(frame);
  }

  onBinary(): void {
    this.send({ type: 'error', code: 'BAD_FRAME', message: 'binary frames are not part of the protocol; send JSON text' });
  }

  onFeed(message: FeedMessage, trades: readonly TradeTuple[]): void {
    if (this.ended || message.asset !== this.asset || this.needSnapshot) return;
    if (this.held !== null && message.seq > this.heldTradesThrough && message.seq <= this.held.seq) {
      this.addHeldTrades(this.held, trades);
      return;
    }
    if (message.seq <= this.seq) return;
    if (!this.pending.follows(message.seq)) {
      // A gap upstream: what is pending goes out unmerged, and the page, seeing the gap, asks
      // for a snapshot. If the window is full it cannot go out: the page will need one anyway.
      if (this.window.full) return this.resync();
      this.sendDelta();
    }
    this.pending.add(message, trades);
    if (this.pending.levelCount > this.context.limits.maxPendingLevels) this.resync();
  }

  /**
   * The server's feed lost messages: the page's book may be missing some, and a gap in the
   * sequence would only show if more came. It gets a fresh snapshot on the next tick instead.
   */
  onFeedLost(): void {
    if (!this.ended && this.asset !== null) this.resync();
  }

  /** The server's tick: cut off a stalled page, or send what waits. */
  tick(now: number): void {
    if (this.ended) return;
    if (this.window.fullFor(now) > this.context.limits.stallMs) {
      this.cutOff();
      return;
    }
    if (this.window.full || this.asset === null || this.held !== null) return;
    if (this.needSnapshot) this.sendSnapshot(now);
    else if (!this.pending.empty) this.sendDelta();
  }

  /** Status frames are dropped rather than queued when the page is behind: the next one says the same. */
  status(frame: StatusFrame): void {
    if (!this.ended && !this.window.full) this.send(frame);
  }

  private handle(frame: ClientFrame): void {
    switch (frame.type) {
      case 'subscribe':
        this.asset = frame.asset;
        this.resync();
        this.tick(Date.now());
        return;
      case 'resync':
        if (frame.asset !== this.asset) return;
        this.resync();
        this.tick(Date.now());
        return;
      case 'ack':
        // An ack of a frame not yet sent would empty the window ahead of time: a page that stops
        // reading and acks ahead would never be cut off, while its frames pile up in the socket.
        if (frame.n > this.frames) {
          this.send({ type: 'error', code: 'BAD_FRAME', message: `ack.n must be at most the last frame sent (${this.frames}), got ${frame.n}` });
          return;
        }
        this.window.acknowledged(frame.n);
        return;
      case 'control':
        return this.control(frame.action, frame.speed);
      case 'order':
        return this.answer(frame.id, () => this.context.orders.place(frame));
      case 'audit':
        return this.answer(frame.id, () => this.audit(frame));
    }
  }

  /** An order's trail (its first frame, or the page before a cursor), or a trader's. */
  private audit(frame: Extract<ClientFrame, { type: 'audit' }>): Promise<ServerFrame> {
    const machine = this.context.machine;
    if (frame.orderId === undefined) return auditTrader(machine, frame.id, frame.trader);
    return frame.before === undefined ? auditOrder(machine, frame.id, frame.orderId) : olderEvents(machine, frame.id, frame.orderId, frame.before);
  }

  private control(action: 'pause' | 'resume' | 'speed', speed: string | undefined): void {
    const playback = this.context.playback;
    if (playback === null) {
      this.send({ type: 'error', code: 'NO_PLAYBACK', message: 'this source has no playback to pause or speed up (it is a database)' });
      return;
    }
    if (action === 'pause') playback.pause();
    else if (action === 'resume') playback.resume();
    else playback.setSpeed(parseSpeed(speed as string));
    this.context.broadcastStatus();
  }

  /** Runs a request, REQUESTS_AT_ONCE at most, in the order they came. */
  private answer(id: number, run: () => Promise<ServerFrame>): void {
    this.queued.push({ id, run });
    this.startRequests();
  }

  private startRequests(): void {
    while (this.running < REQUESTS_AT_ONCE && this.queued.length > 0 && !this.ended) {
      const { id, run } = this.queued.shift() as { id: number; run: () => Promise<ServerFrame> };
      this.running++;
      void this.respond(id, run).finally(() => {
        this.running--;
        this.startRequests();
      });
    }
    // Frames the socket had already read may still arrive while it is paused: they wait in `queued`.
    if (this.ended || this.socket.readyState !== OPEN) return;
    if (this.queued.length > 0 || this.running >= REQUESTS_AT_ONCE) {
      if (!this.socket.isPaused) this.socket.pause();
    } else if (this.socket.isPaused) {
      this.socket.resume();
    }
  }

  /** Sends a request's answer; an INVALID_ARGUMENT from the machine is an error frame with its message. */
  private respond(id: number, run: () => Promise<ServerFrame>): Promise<void> {
    return run().then(
      (frame) => this.send(frame),
      (error: unknown) => {
        const code = error instanceof LobError ? error.code : 'INTERNAL';
        const message = error instanceof Error ? error.message : String(error);
        this.send({ type: 'error', id, code, message });
      },
    );
  }

  private resync(): void {
    this.needSnapshot = true;
    this.held = null;
    this.pending.clear();
  }

  private sendSnapshot(now: number): void {
    const asset = this.asset as number;
    const most = this.context.limits.snapshotLevels;
    // One level more than is sent tells whether the side is complete.
    const book = this.context.machine.bookSnapshot(asset, most + 1);
    const frame: SnapshotFrame = {
      type: 'snapshot', asset, seq: book.seq, height: book.height,
      bids: levelTuples(book.bids, most), asks: levelTuples(book.asks, most),
      complete: [book.bids.length <= most, book.asks.length <= most],
      trades: this.context.relay.recentTrades(asset), last: this.context.relay.lastPrice(asset),
      head: Math.max(book.seq, this.context.head(asset)), t: now,
    };
    this.seq = book.seq;
    this.needSnapshot = false;
    const tradesThrough = this.context.relay.lastSeq(asset);
    if (tradesThrough >= book.seq) {
      this.send(frame);
      return;
    }
    // The engine applies a command at once, the feed has it once its flush is durable: this book
    // may hold trades the relay's tape and last price do not have yet, and their messages, at or
    // below the snapshot's sequence, would reach this page as nothing. Once a flush of everything
    // applied so far is done (and the relay has read what it brought), they have come: the
    // snapshot goes out with them. (None may come: a database's stored history never reaches the
    // feed; the flush says so.)
    this.held = frame;
    this.heldTradesThrough = tradesThrough;
    const release = () => {
      if (this.held !== frame) return;
      this.held = null;
      frame.head = Math.max(frame.head, this.context.head(asset));
      frame.t = Date.now();
      this.send(frame);
    };
    this.context.machine.flush().then(
      () => setImmediate(release),
      () => release(),
    );
  }

  /** The trades of a message the held snapshot's book already has, on its tape and as its last price. */
  private addHeldTrades(frame: SnapshotFrame, trades: readonly TradeTuple[]): void {
    if (trades.length === 0) return;
    frame.trades.push(...trades);
    const excess = frame.trades.length - this.context.limits.maxTradesPerFrame;
    if (excess > 0) frame.trades.splice(0, excess);
    frame.last = trades[trades.length - 1][0];
  }

  private sendDelta(): void {
    const asset = this.asset as number;
    const frame = this.pending.take(asset, this.context.head(asset), Date.now());
    this.seq = frame.to;
    this.send(frame);
  }

  private cutOff(): void {
    this.end();
    this.context.cutOff(this);
    const socket = this.socket;
    socket.close(CloseCode.TOO_SLOW, 'too slow: the page stopped acknowledging frames');
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  private send(frame: ServerFrame): void {
    if (this.ended || this.socket.readyState !== OPEN) return;
    const n = ++this.frames;
    const text = `{"n":${n},${JSON.stringify(frame).slice(1)}`;
    this.window.sent(n, text.length);
    this.socket.send(text);
  }
}
