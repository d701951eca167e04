// The page's end of the feed: one WebSocket to the server, reconnected when it drops. It keeps
// the book of the watched asset (snapshot plus deltas, resynchronised on a gap), the recent
// trades, and how far behind it is; it acknowledges every frame, which is the server's flow
// control. No DOM here: the server tests drive this same module with Node's `ws` socket.
import { Applied, BookReplica } from './book.js';

const OPEN = 1;
const TRADES_KEPT = 200;
/** Levels an incomplete side of the book may shrink to before a fresh snapshot is asked for. */
const MIN_KNOWN_LEVELS = 40;
/** Lag beyond the best seen, in ms, past which the page counts as behind. */
const BEHIND_MS = 1000;

export class FeedClient {
  /**
   * url: ws://host/feed. onChange(reason) is called after every change. createSocket(url) makes the
   * socket (the browser's WebSocket by default).
   */
  constructor({ url, onChange = () => {}, createSocket = (address) => new WebSocket(address), retryMs = [250, 500, 1000, 2000, 4000] }) {
    this.url = url;
    this.onChange = onChange;
    this.createSocket = createSocket;
    this.retryMs = retryMs;
    /** 'connecting' | 'syncing' | 'live' | 'offline' | 'closed' */
    this.state = 'connecting';
    this.hello = null;
    this.status = null;
    this.asset = null;
    this.book = new BookReplica();
    this.trades = [];
    /** The asset's last trade price as the engine has it (0: it has not traded). */
    this.lastPrice = 0;
    /** { messages, ms }: how far the book is behind the feed, and the extra delay of the last frame. */
    this.behind = { messages: 0, ms: 0 };
    this.lastError = null;
    this.closeReason = null;
    this.counts = { snapshots: 0, deltas: 0, gaps: 0, reconnects: 0 };
    this.socket = null;
    this.pending = new Map();
    this.nextId = 1;
    this.failures = 0;
    this.minOffset = Infinity;
    this.timer = null;
  }

  connect() {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    const socket = this.createSocket(this.url);
    this.socket = socket;
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.lost(socket, event);
    // Errors are followed by close, which is where they are handled.
    socket.onerror = () => {};
  }

  close() {
    this.state = 'closed';
    clearTimeout(this.timer);
    this.socket?.close();
    this.failAll('the page closed its connection');
  }

  /** Watches another asset: its snapshot, then its deltas. */
  watch(asset) {
    this.asset = asset;
    this.book.reset(asset);
    this.trades = [];
    this.lastPrice = 0;
    this.state = this.socket?.readyState === OPEN ? 'syncing' : this.state;
    this.send({ type: 'subscribe', asset });
    this.onChange('watch');
  }

  control(action, speed) {
    this.send(speed === undefined ? { type: 'control', action } : { type: 'control', action, speed });
  }

  /** An order or an audit query; resolves with the server's answer frame, rejects with an error frame. */
  request(frame) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.socket?.readyState !== OPEN) {
        reject(Object.assign(new Error('not connected'), { code: 'OFFLINE' }));
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.send({ ...frame, id });
    });
  }

  send(frame) {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  receive(data) {
    const frame = JSON.parse(data);
    switch (frame.type) {
      case 'hello':
        // The backoff starts over once a server serves the page, not when a socket opens: a full
        // server opens it only to close it (1013), and a page starting over on that came back
        // every quarter of a second.
        this.failures = 0;
        this.hello = frame;
        if (this.asset === null || !frame.source.assets.some((a) => a.asset === this.asset)) this.asset = frame.source.assets[0]?.asset ?? null;
        if (this.asset !== null) {
          this.book.reset(this.asset);
          this.state = 'syncing';
          this.send({ type: 'subscribe', asset: this.asset });
        } else {
          this.state = 'live';
        }
        break;
      case 'snapshot':
        if (frame.asset !== this.asset) break;
        this.book.load(frame);
        this.trades = frame.trades.slice(-TRADES_KEPT);
        this.lastPrice = frame.last;
        this.counts.snapshots++;
        this.state = 'live';
        this.measure(frame);
        break;
      case 'delta':
        this.delta(frame);
        break;
      case 'status':
        this.status = frame;
        this.measure(frame);
        break;
      default:
        this.answer(frame);
    }
    this.send({ type: 'ack', n: frame.n });
    this.onChange(frame.type);
  }

  delta(frame) {
    const outcome = this.book.apply(frame);
    if (outcome === Applied.GAP) {
      // A message never arrived: this copy is wrong from here on, so ask for a fresh one.
      this.counts.gaps++;
      this.state = 'syncing';
      this.send({ type: 'resync', asset: this.asset });
      return;
    }
    if (outcome !== Applied.APPLIED) return;
    this.counts.deltas++;
    for (const trade of frame.trades) this.trades.push(trade);
    // A delta keeps its newest trades when it drops some: the last one is the asset's last trade.
    if (frame.trades.length > 0) this.lastPrice = frame.trades[frame.trades.length - 1][0];
    if (this.trades.length > TRADES_KEPT) this.trades.splice(0, this.trades.length - TRADES_KEPT);
    this.measure(frame);
    if (this.book.thin(MIN_KNOWN_LEVELS)) {
      this.state = 'syncing';
      this.book.synced = false;
      this.send({ type: 'resync', asset: this.asset });
    }
  }

  /** Messages behind the feed's head, and the delay of this frame beyond the smallest seen (clock offsets cancel). */
  measure(frame) {
    if (frame.head !== undefined) this.behind.messages = Math.max(0, frame.head - this.book.seq);
    const offset = Date.now() - frame.t;
    this.minOffset = Math.min(this.minOffset, offset);
    this.behind.ms = offset - this.minOffset;
  }

  get isBehind() {
    return this.state === 'live' && (this.behind.messages > 0 || this.behind.ms > BEHIND_MS);
  }

  answer(frame) {
    const waiting = frame.id === undefined ? undefined : this.pending.get(frame.id);
    if (waiting === undefined) {
      if (frame.type === 'error') this.lastError = frame;
      return;
    }
    this.pending.delete(frame.id);
    if (frame.type === 'error') waiting.reject(Object.assign(new Error(frame.message), { code: frame.code }));
    else waiting.resolve(frame);
  }

  lost(socket, event) {
    if (socket !== this.socket) return;
    this.socket = null;
    this.failAll('the connection dropped');
    if (this.state === 'closed') return;
    // 1013: turned away by a server that serves as many pages as it may; it says how many. The
    // page tries again as after any drop, and gets in once another page leaves.
    this.closeReason = event.code === 4008 ? 'cut off: the page fell too far behind' : event.code === 1013 ? event.reason || 'the server is full' : null;
    this.state = 'offline';
    this.book.synced = false;
    this.minOffset = Infinity;
    const delay = this.retryMs[Math.min(this.failures++, this.retryMs.length - 1)];
    this.timer = setTimeout(() => {
      this.counts.reconnects++;
      this.connect();
    }, delay);
    this.onChange('offline');
  }

  failAll(message) {
    for (const { reject } of this.pending.values()) reject(Object.assign(new Error(message), { code: 'OFFLINE' }));
    this.pending.clear();
  }
}
