// The seeded demo flow of `lobcore demo` (several assets, every order type and STP mode), played
// block by block: 4 blocks a second at 1x, 40 at 10x, or as fast as the engine goes. It never ends.
import { DemoOrderFlow } from '../cli/demo-flow.js';
import { Player } from './player.js';
import type { MarketMachine } from './feed.js';
import type { MarketSource, PlaybackStatus, SourceInfo, Speed } from './source.js';

export interface DemoSourceOptions {
  speed: Speed;
  paused?: boolean;
  seed?: number;
  assets?: number;
  ordersPerBlock?: number;
}

const BLOCKS_PER_SECOND = 4;
/** Blocks per step at full speed: a step stays short. */
const BLOCKS_PER_STEP = 10;
/** The flow's timestamps are height × this + command index; orders from the page come after the block's. */
const TIMESTAMPS_PER_BLOCK = 1_000_000;

export class DemoSource extends Player implements MarketSource {
  readonly info: SourceInfo;
  readonly playback = this;
  private readonly flow: DemoOrderFlow;
  private blocks = 0;

  constructor(machine: MarketMachine, options: DemoSourceOptions) {
    super(machine, options.speed, options.paused ?? false);
    const assets = options.assets ?? 6;
    this.flow = new DemoOrderFlow({ seed: options.seed ?? 1, assets, ordersPerBlock: options.ordersPerBlock ?? 40 });
    this.info = {
      mode: 'demo', title: `demo flow, ${assets} assets`, clock: 'wall',
      assets: Array.from({ length: assets }, (_, asset) => ({ asset, name: `DEMO${asset}`, priceScale: 1, priceDecimals: 0 })),
    };
  }

  start(): void {
    this.startPlaying();
  }

  stop(): Promise<void> {
    return this.stopPlaying();
  }

  timeOf(): number {
    return Date.now();
  }

  orderTimestamp(): number {
    return this.machine.height * TIMESTAMPS_PER_BLOCK + TIMESTAMPS_PER_BLOCK - 1;
  }

  status(): PlaybackStatus {
    return { speed: this.speed, paused: this.paused, done: false, position: this.blocks, total: 0, clock: Date.now() };
  }

  protected get finished(): boolean {
    return false;
  }

  protected advance(): void {
    const steps = this.speed === 'max' ? BLOCKS_PER_STEP : 1;
    for (let i = 0; i < steps; i++) {
      const height = this.machine.height + 1;
      this.machine.setHeight(height);
      this.flow.runBlock(height, this.machine);
      this.blocks++;
    }
  }

  protected delayMs(): number {
    return this.speed === 'max' ? 0 : 1000 / (BLOCKS_PER_SECOND * this.speed);
  }

  /** The demo's clock is the wall clock: nothing to fix. */
  protected retime(): void {}
}
