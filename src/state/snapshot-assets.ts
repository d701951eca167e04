// The assets of a canonical snapshot (snapshot.ts). The engine has no call that enumerates its
// books, but its snapshot lists every non-empty one, ascending, so walking its headers answers.
import { SNAPSHOT_BOOK_SLOTS, SNAPSHOT_HEADER_SLOTS, SNAPSHOT_LEVEL_SLOTS, SNAPSHOT_ORDER_SLOTS, openSnapshot } from '../snapshot.js';

export function snapshotAssets(snapshot: Uint8Array): number[] {
  const slots = openSnapshot(snapshot);
  const bookCount = slots[2];
  const assets: number[] = new Array(bookCount);
  let o = SNAPSHOT_HEADER_SLOTS;
  for (let b = 0; b < bookCount; b++) {
    assets[b] = slots[o];
    const levels = slots[o + 1] + slots[o + 2];
    o += SNAPSHOT_BOOK_SLOTS;
    // Levels have variable length (their order count), so each must be stepped over.
    for (let level = 0; level < levels; level++) o += SNAPSHOT_LEVEL_SLOTS + slots[o + 1] * SNAPSHOT_ORDER_SLOTS;
  }
  return assets;
}
