// What feeds the books that `lobcore serve` shows: a LOBSTER replay, the seeded demo flow, or a
// database. A source drives the state machine; the server only reads the feed it produces.

export type Speed = 1 | 10 | 'max';
export const SPEEDS: readonly string[] = ['1', '10', 'max'];

export function parseSpeed(text: string): Speed {
  return text === 'max' ? 'max' : text === '10' ? 10 : 1;
}

export interface AssetInfo {
  asset: number;
  name: string;
  /** Ticks per display unit (LOBSTER prices are dollars × 10,000) and decimals to show. */
  priceScale: number;
  priceDecimals: number;
}

export interface SourceInfo {
  mode: 'replay' | 'demo' | 'db';
  title: string;
  assets: AssetInfo[];
  /** 'session': trade times are ms after midnight of the replayed day; 'wall': ms since the epoch. */
  clock: 'session' | 'wall';
}

export interface PlaybackStatus {
  speed: Speed;
  paused: boolean;
  done: boolean;
  /** Steps taken and in all (messages of a replay; blocks of the demo, which has no end: total 0). */
  position: number;
  total: number;
  /** Where the flow is, on the source's clock (see SourceInfo.clock). */
  clock: number;
}

/** Pause, resume and speed, for the sources that play a flow. */
export interface Playback {
  status(): PlaybackStatus;
  pause(): void;
  resume(): void;
  setSpeed(speed: Speed): void;
}

export interface MarketSource {
  readonly info: SourceInfo;
  readonly playback: Playback | null;
  /** The time of a trade at this height, on the source's clock. */
  timeOf(height: number): number;
  /** The timestamp an order from the page gets (the engine's timestamps are the caller's). */
  orderTimestamp(): number;
  start(): void;
  stop(): Promise<void>;
  /** Rejects with the error that stopped the flow it plays (a step that failed); a source that plays nothing never settles it. */
  readonly failed: Promise<never>;
}
