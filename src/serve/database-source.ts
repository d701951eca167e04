// The books of a lobcore database: a read-only view (beside its running writer, as of the view's
// open), or, when the page may trade, the database opened for writing and changed only by the
// page's orders.
import { basename } from 'node:path';
import type { MarketMachine } from './feed.js';
import type { MarketSource, SourceInfo } from './source.js';

/** Assets listed in the picker at most (a database may hold many thousands). */
const MAX_LISTED_ASSETS = 1000;

export class DatabaseSource implements MarketSource {
  readonly info: SourceInfo;
  readonly playback = null;
  /** Nothing plays, so nothing fails. */
  readonly failed = new Promise<never>(() => undefined);

  constructor(machine: MarketMachine, directory: string) {
    const assets = machine.assets().slice(0, MAX_LISTED_ASSETS);
    this.info = {
      mode: 'db', title: basename(directory), clock: 'wall',
      assets: assets.map((asset) => ({ asset, name: `asset ${asset}`, priceScale: 1, priceDecimals: 0 })),
    };
  }

  timeOf(): number {
    return Date.now();
  }

  orderTimestamp(): number {
    return Date.now();
  }

  /** Nothing to drive: the book changes only through orders from the page. */
  start(): void {}

  async stop(): Promise<void> {}
}
