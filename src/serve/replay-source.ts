// A LOBSTER message file replayed into the book at 1x, 10x or full speed: the same replayer as
// `lobcore replay`, seeded from the first row of the matching order-book file when there is one
// (LOBSTER names it like the message file, with `orderbook` for `message`).
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  LobsterReplayer, messageTimestamp, readMessageFile, readOrderbookSeedRow, type MessageColumns, type ReplayEngine,
} from '../lobster/index.js';
import type { MarketMachine } from './feed.js';
import { Player } from './player.js';
import type { AssetInfo, MarketSource, PlaybackStatus, SourceInfo, Speed } from './source.js';

/** The asset the messages go to (the replayer's default, as in `lobcore replay`). */
export const REPLAY_ASSET = 1;
/** Messages applied per step at most, so a step stays well under a frame interval. */
const MESSAGES_PER_STEP = 2000;
/** LOBSTER prices are dollars × 10,000; NASDAQ quotes cents. */
const LOBSTER_PRICE_SCALE = 10_000;

export interface ReplayInput {
  file: string;
  messages: MessageColumns;
  /** Book row 0 (the book after message 0), to seed what rested before the file starts. */
  seedRow: Float64Array | null;
  seedFile: string | null;
}

/** The order-book file LOBSTER pairs with a message file, if it is there. */
export function siblingOrderbook(messageFile: string): string | null {
  const name = basename(messageFile);
  const at = name.lastIndexOf('message');
  if (at < 0) return null;
  const candidate = join(dirname(messageFile), `${name.slice(0, at)}orderbook${name.slice(at + 'message'.length)}`);
  return existsSync(candidate) ? candidate : null;
}

/** Reads the messages, and the seed row from `orderbook` or the sibling order-book file. */
export function loadReplay(file: string, orderbook?: string): ReplayInput {
  const messages = readMessageFile(file);
  const seedFile = orderbook ?? siblingOrderbook(file);
  if (seedFile === null) return { file, messages, seedRow: null, seedFile };
  return { file, messages, seedRow: readOrderbookSeedRow(seedFile).row(0), seedFile };
}

/** The replayer's engine API over the machine, so every command goes through it (and its feed). */
function replayEngine(machine: MarketMachine): ReplayEngine {
  return {
    placeLimit: (req) => machine.placeLimitOrder(req),
    reduce: (req) => machine.reduceOrder(req),
    cancel: (req) => machine.cancelOrder(req),
    modify: (req) => machine.modifyOrder(req),
    order: (orderId) => machine.order(orderId),
    bestBid: (asset) => machine.getBook(asset).bestBid(),
    bestAsk: (asset) => machine.getBook(asset).bestAsk(),
  };
}

export class ReplaySource extends Player implements MarketSource {
  readonly info: SourceInfo;
  readonly playback = this;
  private readonly replayer: LobsterReplayer;
  private readonly times: Float64Array;
  private next = 0;
  /** The replayed clock (seconds after midnight) at `anchorWall` (performance.now() ms). */
  private anchorClock = 0;
  private anchorWall = 0;

  constructor(machine: MarketMachine, private readonly input: ReplayInput, options: { speed: Speed; paused?: boolean }) {
    super(machine, options.speed, options.paused ?? false);
    const asset: AssetInfo = {
      asset: REPLAY_ASSET, name: /^[A-Za-z.]+/.exec(basename(input.file))?.[0].toUpperCase() ?? 'LOBSTER',
      priceScale: LOBSTER_PRICE_SCALE, priceDecimals: 2,
    };
    this.info = { mode: 'replay', title: basename(input.file), assets: [asset], clock: 'session' };
    this.replayer = new LobsterReplayer(replayEngine(machine), input.messages, { asset: REPLAY_ASSET });
    this.times = input.messages.time;
    this.anchorClock = input.messages.count > 0 ? this.times[0] : 0;
  }

  get position(): number {
    return this.next;
  }

  start(): void {
    if (this.input.seedRow !== null) this.replayer.seed(this.input.seedRow);
    this.anchorWall = performance.now();
    this.startPlaying();
  }

  stop(): Promise<void> {
    return this.stopPlaying();
  }

  /** Heights count the messages applied, as in `lobcore replay --db`. */
  timeOf(height: number): number {
    const index = Math.min(Math.max(height - 1, 0), this.times.length - 1);
    return index < 0 ? 0 : Math.round(this.times[index] * 1000);
  }

  orderTimestamp(): number {
    return this.next === 0 ? 0 : messageTimestamp(this.times[this.next - 1]);
  }

  status(): PlaybackStatus {
    return {
      speed: this.speed, paused: this.paused, done: this.finished, position: this.next, total: this.input.messages.count,
      clock: Math.round(this.clock() * 1000),
    };
  }

  protected get finished(): boolean {
    return this.next >= this.input.messages.count;
  }

  protected advance(): void {
    const due = this.speed === 'max' ? Infinity : this.clock();
    const end = Math.min(this.input.messages.count, this.next + MESSAGES_PER_STEP);
    while (this.next < end && this.times[this.next] <= due) {
      this.machine.setHeight(this.next + 1);
      this.replayer.apply(this.next++);
    }
  }

  protected delayMs(): number {
    if (this.speed === 'max') return 0;
    return Math.max(0, ((this.times[this.next] - this.clock()) * 1000) / this.speed);
  }

  protected retime(): void {
    this.anchorClock = this.clock();
    this.anchorWall = performance.now();
  }

  /** Where the replay is, in seconds after midnight: the last message's time at full speed or at the end. */
  private clock(): number {
    if (this.speed === 'max' || this.finished) return this.next > 0 ? this.times[this.next - 1] : this.anchorClock;
    if (this.paused) return this.anchorClock;
    return this.anchorClock + ((performance.now() - this.anchorWall) / 1000) * this.speed;
  }
}
