// `lobcore serve`'s server: the page over HTTP, the feed and requests over one WebSocket per
// page at /feed. It reads the state machine through one feed subscription (feed-relay.ts) and
// never drives it, except for orders from a page when they are allowed; the source drives it.
// Closing the server leaves the machine and the source running, so a server can be restarted
// over the same book.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { invalidArgument } from '../errors.js';
import { requireOptions } from '../validate.js';
import { CLOSE_GRACE_MS, ClientSession, type SessionLimits } from './client-session.js';
import type { MarketMachine } from './feed.js';
import { FeedRelay } from './feed-relay.js';
import { OrderDesk } from './order-desk.js';
import { OriginPolicy } from './origin-policy.js';
import { CloseCode, PROTOCOL_VERSION, type HelloFrame, type StatusFrame } from './protocol.js';
import type { MarketSource } from './source.js';
import { SECURITY_HEADERS, StaticFiles } from './static-files.js';

export interface ServeLimits extends SessionLimits {
  /** How often pending deltas go out: the most frames a second a page gets is 1000 / this. */
  frameIntervalMs: number;
  statusIntervalMs: number;
  /** Trades per asset a newly connected page gets for its tape. */
  keptTrades: number;
  /** Feed messages the server's one subscription may fall behind before it is cut off (and resubscribes). */
  feedBuffer: number;
  /** Largest frame a page may send; a larger one closes its connection (1009). */
  maxFrameBytes: number;
  /** A page that does not answer a ping within this long is dropped. */
  heartbeatMs: number;
  /**
   * Pages served at once: each holds a window of frames in flight, a pending delta and a share of
   * every tick and feed message. One more is turned away (close 1013) before it is sent anything.
   */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  frameIntervalMs: 50,
  statusIntervalMs: 500,
  windowBytes: 1 << 20,
  stallMs: 10_000,
  snapshotLevels: 1000,
  maxPendingLevels: 20_000,
  maxTradesPerFrame: 200,
  keptTrades: 100,
  feedBuffer: 10_000,
  maxFrameBytes: 16 * 1024,
  heartbeatMs: 15_000,
  maxConnections: 32,
};

export interface ServeOptions {
  machine: MarketMachine;
  source: MarketSource;
  /** Default 127.0.0.1: only this machine. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  allowOrders?: boolean;
  /** The order-entry token; a random one by default. */
  token?: string;
  limits?: Partial<ServeLimits>;
}

export interface ServerStats {
  connected: number;
  /** Pages cut off for not keeping up. */
  cutOff: number;
  /** WebSocket upgrades refused for a foreign Host or Origin, or a wrong path. */
  refused: number;
  /** Pages turned away because maxConnections were connected. */
  turnedAway: number;
}

export interface LobServer {
  /** The page's address (without the token). */
  readonly url: string;
  readonly port: number;
  /** The order-entry token, or null when orders are not allowed. */
  readonly token: string | null;
  readonly stats: ServerStats;
  /** How often the feed subscription fell behind and was reopened. */
  readonly feedRestarts: number;
  close(): Promise<void>;
}

const FEED_PATH = '/feed';

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/**
 * Closes a page's socket, upgraded only so that the page can read why (a browser sees nothing of
 * an HTTP refusal); destroyed a moment later if it does not take the close.
 */
function turnAway(ws: WebSocket, most: number): void {
  ws.on('error', () => undefined);
  ws.close(CloseCode.SERVER_FULL, `server full: ${most} ${most === 1 ? 'page' : 'pages'} connected, the most it serves`);
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
}

function plainResponse(response: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`${text}\n`);
}

export async function startServer(options: ServeOptions): Promise<LobServer> {
  requireOptions('options', options);
  if (options.limits !== undefined) requireOptions('limits', options.limits);
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const host = options.host ?? '127.0.0.1';
  const { machine, source } = options;
  const allowOrders = options.allowOrders ?? false;
  const token = options.token ?? randomBytes(16).toString('hex');
  const files = new StaticFiles();
  if (!Number.isSafeInteger(limits.maxConnections) || limits.maxConnections < 1) {
    throw invalidArgument('limits.maxConnections', 'a positive integer', limits.maxConnections);
  }
  const stats: ServerStats = { connected: 0, cutOff: 0, refused: 0, turnedAway: 0 };
  let policy: OriginPolicy | null = null;

  const http = createServer((request, response) => {
    if (policy === null || !policy.hostAllowed(request.headers.host)) {
      plainResponse(response, 403, 'lobcore serve: unknown Host');
      return;
    }
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (!files.serve(path, request.method === 'HEAD', response)) plainResponse(response, 404, 'not found');
      return;
    }
    // Nothing here changes state over plain HTTP; a request that tries still has to come from our page.
    if (!policy.originAllowed(request.headers.origin)) plainResponse(response, 403, 'lobcore serve: foreign Origin');
    else plainResponse(response, 405, 'lobcore serve: only GET and HEAD; everything else goes over the WebSocket', { Allow: 'GET, HEAD' });
  });
  await listen(http, options.port ?? 8080, host);
  const port = (http.address() as AddressInfo).port;
  policy = new OriginPolicy(host, port);
  const origins = policy;

  const relay = new FeedRelay(machine, (height) => source.timeOf(height), limits.keptTrades, limits.feedBuffer);
  const orders = new OrderDesk(machine, { allowOrders, token, timestamp: () => source.orderTimestamp() });
  const hello: HelloFrame = { type: 'hello', version: PROTOCOL_VERSION, source: source.info, orders: allowOrders, snapshotLevels: limits.snapshotLevels };
  const sessions = new Set<ClientSession>();
  const statusFrame = (now: number): StatusFrame => ({
    type: 'status', playback: source.playback?.status() ?? null,
    assets: source.info.assets.map(({ asset }) => [asset, relay.lastSeq(asset), relay.lastPrice(asset)]), t: now,
  });
  const alive = new WeakMap<WebSocket, boolean>();
  const heads = new Map<number, number>();
  const context = {
    machine, relay, playback: source.playback, orders, limits, hello,
    head(asset: number): number {
      let head = heads.get(asset);
      if (head === undefined) heads.set(asset, (head = machine.bookSnapshot(asset, 1).seq));
      return head;
    },
    cutOff(): void {
      stats.cutOff++;
    },
    broadcastStatus(): void {
      const status = statusFrame(Date.now());
      for (const session of sessions) session.status(status);
    },
  };

  const sockets = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes });
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== FEED_PATH || !origins.hostAllowed(request.headers.host) || !origins.originAllowed(request.headers.origin)) {
      stats.refused++;
      refuseUpgrade(socket, path === FEED_PATH ? '403 Forbidden' : '404 Not Found');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      if (sessions.size >= limits.maxConnections) {
        turnAway(ws, limits.maxConnections);
        stats.turnedAway++;
        return;
      }
      stats.connected++;
      alive.set(ws, true);
      const session = new ClientSession(ws, context);
      sessions.add(session);
      ws.on('message', (data, isBinary) => {
        if (isBinary) session.onBinary();
        else session.onText(data.toString());
      });
      ws.on('pong', () => alive.set(ws, true));
      // Protocol errors (an oversized frame) close the socket; there is nothing else to do.
      ws.on('error', () => undefined);
      ws.on('close', () => {
        session.end();
        sessions.delete(session);
        stats.connected--;
      });
    });
  });

  const unlisten = relay.listen({
    message(message, trades) {
      for (const session of sessions) session.onFeed(message, trades);
    },
    lost() {
      for (const session of sessions) session.onFeedLost();
    },
  });
  relay.start();

  let ticks = 0;
  const statusEvery = Math.max(1, Math.round(limits.statusIntervalMs / limits.frameIntervalMs));
  const ticker = setInterval(() => {
    const now = Date.now();
    heads.clear();
    for (const session of sessions) session.tick(now);
    if (++ticks % statusEvery === 0 && sessions.size > 0) context.broadcastStatus();
  }, limits.frameIntervalMs);
  const heartbeat = setInterval(() => {
    for (const ws of sockets.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, limits.heartbeatMs);

  const shownHost = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    token: allowOrders ? token : null,
    stats,
    get feedRestarts() {
      return relay.restarts;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        clearInterval(ticker);
        clearInterval(heartbeat);
        unlisten();
        relay.stop();
        for (const session of sessions) session.end();
        for (const ws of sockets.clients) {
          ws.close(CloseCode.SERVER_CLOSING, 'server closing');
          ws.terminate();
        }
        await new Promise<void>((resolve) => sockets.close(() => resolve()));
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })();
      return closing;
    },
  };
}
