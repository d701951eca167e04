// Running `lobcore serve`'s server in the test process over a real state machine, and talking to
// it as a page does: the page's own feed client (web/feed-client.js) over a real WebSocket, or a
// raw socket for what a well-behaved page never sends.
import WebSocket from 'ws';
import { CoreStateMachine, type StateMachineOptions } from '../../src/state/index.js';
import type { MarketMachine } from '../../src/serve/feed.js';
import { startServer, type LobServer, type ServeOptions } from '../../src/serve/server.js';
import type { MarketSource } from '../../src/serve/source.js';
import { openSnapshot, snapshotBooks } from '../../src/snapshot.js';
import type { Level } from '../../src/types.js';
// The page's own module (plain JavaScript, untyped): the tests speak the protocol exactly as the page does.
import { FeedClient } from '../../web/feed-client.js';

export interface PageClient {
  state: string;
  hello: { orders: boolean; source: { assets: { asset: number }[] } } | null;
  status: { playback: { paused: boolean; speed: number | string; position: number; done: boolean } | null } | null;
  asset: number | null;
  book: {
    seq: number;
    synced: boolean;
    depth(most?: number): { bids: Level[]; asks: Level[] };
  };
  trades: number[][];
  /** The watched asset's last trade price, as the page shows it (0: none). */
  lastPrice: number;
  counts: { snapshots: number; deltas: number; gaps: number; reconnects: number };
  closeReason: string | null;
  connect(): void;
  close(): void;
  watch(asset: number): void;
  control(action: string, speed?: string): void;
  request(frame: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** One frame from the server, as the socket hands it over. */
  receive(data: string): void;
  send(frame: Record<string, unknown>): void;
}

/** Polls until `check` holds; fails naming `what` after `ms` (a bound on a hang, not a speed check). */
export async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function originOf(server: LobServer): string {
  return server.url.replace(/\/$/, '');
}

export function feedUrl(server: LobServer): string {
  return `${originOf(server).replace(/^http/, 'ws')}/feed`;
}

export async function openMachine(options: StateMachineOptions = {}): Promise<MarketMachine> {
  return CoreStateMachine.open(options);
}

export function serve(machine: MarketMachine, source: MarketSource, options: Partial<ServeOptions> = {}): Promise<LobServer> {
  return startServer({ machine, source, port: 0, ...options });
}

/** The page's feed client, connected over a real WebSocket with the server's own Origin. */
export function pageClient(server: LobServer): PageClient {
  const client = new FeedClient({
    url: feedUrl(server),
    // ws's WebSocket stands in for the browser's, which the page's client is typed against.
    createSocket: (url: string) => new WebSocket(url, { origin: originOf(server) }) as unknown as globalThis.WebSocket,
    retryMs: [50, 100, 200],
  }) as PageClient;
  client.connect();
  return client;
}

/** A raw socket that records every frame it receives. */
export class RawSocket {
  readonly frames: Record<string, unknown>[] = [];
  closeCode: number | null = null;
  closeReason: string | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
  }

  static open(server: LobServer, options: { origin?: string; headers?: Record<string, string> } = {}): Promise<RawSocket> {
    const origin = 'origin' in options ? options.origin : originOf(server);
    const socket = new WebSocket(feedUrl(server), { origin, headers: options.headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new RawSocket(socket)));
      socket.once('unexpected-response', (_request, response) => reject(Object.assign(new Error(`refused: ${response.statusCode}`), { status: response.statusCode })));
      socket.once('error', reject);
    });
  }

  send(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** The next frame of `type` after the first `from` frames. */
  async next(type: string, from = 0): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await until(`a ${type} frame`, () => (found = this.frames.slice(from).find((f) => f.type === type)) !== undefined);
    return found as Record<string, unknown>;
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Every level of both sides, best first, as the engine has them. */
export function engineDepth(machine: MarketMachine, asset: number): { bids: Level[]; asks: Level[] } {
  return machine.getBook(asset).depth(1_000_000);
}

/** An asset's last trade price as the engine keeps it (what its stops trigger on), 0 before its first trade. */
export function engineLastPrice(machine: MarketMachine, asset: number): number {
  return snapshotBooks(openSnapshot(machine.snapshot())).find((book) => book.asset === asset)?.lastPrice ?? 0;
}
