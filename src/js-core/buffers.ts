// The buffers a JS core writes its outputs to (mirrors assembly/buffers.ts): fills of the current
// command or batch, and batch results. Each grows by doubling and is reused, so steady flow
// allocates nothing; the host reads them in place after each call.
import { Slots } from './codes.js';

export class Buffers {
  /** Slots.FILL per fill since the current command or batch began. */
  fills: Float64Array = new Float64Array(Slots.FILL * 256);
  fillCount = 0;
  /** Slots.RESULT per command of the last batch. */
  results: Float64Array = new Float64Array(Slots.RESULT * 256);

  clearFills(): void {
    this.fillCount = 0;
  }

  /** Twice the room for fills, the ones written kept; returns the new buffer. */
  growFills(): Float64Array {
    const grown = new Float64Array(this.fills.length * 2);
    grown.set(this.fills);
    this.fills = grown;
    return grown;
  }

  /** Result space for a batch of `count` commands. */
  reserveBatch(count: number): void {
    if (count * Slots.RESULT <= this.results.length) return;
    let length = this.results.length;
    while (length < count * Slots.RESULT) length *= 2;
    this.results = new Float64Array(length);
  }

  bytes(): number {
    return this.fills.byteLength + this.results.byteLength;
  }
}
