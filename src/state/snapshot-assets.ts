// The assets of a canonical snapshot (snapshot.ts). The engine has no call that enumerates its
// books, but its snapshot lists every book with state, ascending, so walking its headers answers.
import { openSnapshot, snapshotBooks } from '../snapshot.js';

export function snapshotAssets(snapshot: Uint8Array): number[] {
  return snapshotBooks(openSnapshot(snapshot)).map((book) => book.asset);
}
