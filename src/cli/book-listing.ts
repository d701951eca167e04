// Per-book order and level counts, read from a canonical snapshot (src/snapshot.ts; a state
// machine's comes from CoreStateMachine.snapshot()): one pass, where asking the book of each
// asset for its orders would build every resting order as an object.
import { openSnapshot, snapshotBooks, type SnapshotBook } from '../snapshot.js';

export type BookCounts = SnapshotBook;

/** Per book with state, ascending by asset: how many orders and levels rest on each side, and its pending stops. */
export function listBooks(snapshot: Uint8Array): BookCounts[] {
  return snapshotBooks(openSnapshot(snapshot));
}
