// The books a state machine holds, read from the canonical snapshot (src/snapshot.ts), which
// lists every non-empty book: CoreStateMachine has no call that enumerates assets.
import type { Engine } from '../engine.js';
import { openSnapshot, SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_ORDER_SLOTS } from '../snapshot.js';
import type { CoreStateMachine } from './database.js';
import { CliError, ExitCode } from './failure.js';

export interface BookCounts {
  asset: number;
  bidOrders: number;
  askOrders: number;
  bidLevels: number;
  askLevels: number;
}

/** Per non-empty book, ascending by asset: how many orders and levels rest on each side. */
export function listBooks(snapshot: Uint8Array): BookCounts[] {
  const slots = openSnapshot(snapshot);
  const bookCount = slots[2];
  const books: BookCounts[] = [];
  let o = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    const book: BookCounts = { asset: slots[o], bidOrders: 0, askOrders: 0, bidLevels: slots[o + 1], askLevels: slots[o + 2] };
    o += SNAPSHOT_BOOK_SLOTS;
    for (let level = 0; level < book.bidLevels + book.askLevels; level++) {
      const orders = slots[o + 1];
      if (level < book.bidLevels) book.bidOrders += orders;
      else book.askOrders += orders;
      o += SNAPSHOT_LEVEL_SLOTS + orders * SNAPSHOT_ORDER_SLOTS;
    }
    books.push(book);
  }
  return books;
}

/**
 * The machine's current snapshot. CoreStateMachine does not expose one (yet), so this reaches its
 * engine: the only place the CLI depends on the state machine's internals.
 */
export function machineSnapshot(machine: CoreStateMachine): Uint8Array {
  const engine = (machine as unknown as { engine?: Engine }).engine;
  if (engine === undefined || typeof engine.snapshot !== 'function') {
    throw new CliError('this build of CoreStateMachine does not let the CLI read its books', ExitCode.INTERNAL);
  }
  return engine.snapshot();
}
