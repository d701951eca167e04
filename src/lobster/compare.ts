// Checks an engine's aggregated book against a row of a LOBSTER order-book file.
import type { Engine } from '../engine.js';
import type { Side } from '../types.js';

/** The first place an engine's book differs from an order-book row. Absent levels are null. */
export interface DepthMismatch {
  /** The order-book row compared (0-based, as passed in). */
  row: number;
  side: Side;
  /** 1-based, best first. */
  level: number;
  expectedPrice: number | null;
  expectedSize: number;
  foundPrice: number | null;
  foundSize: number;
}

/**
 * Compares the first `levels` levels of both sides (all the row holds by default) with the
 * engine's depth of `asset`, asks before bids at each level, best level first. A LOBSTER level
 * of size 0 is an empty level and must be absent from the engine. Returns null when they agree.
 */
export function compareDepth(
  engine: Pick<Engine, 'depth'>,
  asset: number,
  bookRow: Float64Array,
  rowIndex: number,
  levels: number = bookRow.length >> 2,
): DepthMismatch | null {
  const depth = engine.depth(asset, levels);
  for (let k = 0; k < levels; k++) {
    for (let s = 0; s < 2; s++) {
      const side: Side = s === 0 ? 'ask' : 'bid';
      const expectedPrice = bookRow[4 * k + 2 * s];
      const expectedSize = bookRow[4 * k + 2 * s + 1];
      const found = (s === 0 ? depth.asks : depth.bids)[k];
      const expectEmpty = expectedSize === 0;
      if (expectEmpty && found === undefined) continue;
      if (!expectEmpty && found !== undefined && found.price === expectedPrice && found.size === expectedSize) continue;
      return {
        row: rowIndex,
        side,
        level: k + 1,
        expectedPrice: expectEmpty ? null : expectedPrice,
        expectedSize,
        foundPrice: found === undefined ? null : found.price,
        foundSize: found === undefined ? 0 : found.size,
      };
    }
  }
  return null;
}

export function describeMismatch(m: DepthMismatch): string {
  const show = (price: number | null, size: number) => (price === null ? 'no level' : `${size} @ ${price}`);
  return `book row ${m.row}, ${m.side} level ${m.level}: expected ${show(m.expectedPrice, m.expectedSize)}, found ${show(m.foundPrice, m.foundSize)}`;
}
