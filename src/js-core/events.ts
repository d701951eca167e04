// Event records (mirrors assembly/events.ts; layout and kinds in src/events.ts): every change of a
// book, written as it happens into a buffer the host reads after each call or batch. The buffer
// grows by doubling and is reused, so steady flow allocates nothing.
import { EventHead, Slots } from './codes.js';

/** The head of an event of `kind`. */
export function eventHead(kind: number, reason: number, side: number): number {
  return kind | (reason << EventHead.REASON_SHIFT) | (side << EventHead.SIDE_SHIFT);
}

/** The head of an ACCEPTED event. */
export function acceptedHead(kind: number, side: number, type: number, tif: number, stp: number): number {
  return kind | (side << EventHead.SIDE_SHIFT) | (type << EventHead.TYPE_SHIFT) | (tif << EventHead.TIF_SHIFT) |
    (stp << EventHead.STP_SHIFT);
}

export const PRIORITY_LOST = EventHead.PRIORITY_LOST;
/** On ACCEPTED events (and a rejected pair's REJECTED): a leg of an OCO pair. */
export const OCO = EventHead.OCO;
/** On events about a stop that has not triggered (placed, refused, reduced, removed): not market data. */
export const PENDING = EventHead.PENDING;

export class Events {
  /** `recording` false: nothing is written and the count stays 0 (CoreOptions.events). */
  constructor(readonly recording = true) {}

  /** EVENT_SLOTS per event since the current call or batch began. */
  records: Float64Array = new Float64Array(Slots.EVENT * 256);
  count = 0;
  /** Index of the command being applied: 0 per call, its place in a batch. */
  command = 0;

  clearEvents(): void {
    this.count = 0;
  }

  /** Writes an event whose order's level did not change (accepted, rejected, a taker's rest). */
  writeEvent(head: number, asset: number, orderId: number, trader: number, price: number, size: number,
             remaining: number, other: number, other2: number): void {
    // Tested here, where V8 inlines the call, and not only in write(), which it does not inline:
    // a core without events then makes no call and passes no arguments per event.
    if (this.recording) this.write(head, asset, orderId, trader, price, size, remaining, other, other2, 0, 0);
  }

  /** Writes an event that changed its order's level, with the level's size and order count after it. */
  writeLevelEvent(head: number, asset: number, orderId: number, trader: number, price: number, size: number,
                  remaining: number, other: number, other2: number, levelSize: number, levelOrders: number): void {
    if (this.recording) this.write(head | EventHead.LEVEL, asset, orderId, trader, price, size, remaining, other, other2, levelSize, levelOrders);
  }

  private write(head: number, asset: number, orderId: number, trader: number, price: number, size: number,
                remaining: number, other: number, other2: number, levelSize: number, levelOrders: number): void {
    const e = this.count++ * Slots.EVENT;
    let r = this.records;
    if (e + Slots.EVENT > r.length) r = this.grow();
    r[e] = head;
    r[e + 1] = this.command;
    r[e + 2] = asset;
    r[e + 3] = orderId;
    r[e + 4] = trader;
    r[e + 5] = price;
    r[e + 6] = size;
    r[e + 7] = remaining;
    r[e + 8] = other;
    r[e + 9] = other2;
    r[e + 10] = levelSize;
    r[e + 11] = levelOrders;
  }

  bytes(): number {
    return this.records.byteLength;
  }

  private grow(): Float64Array {
    const grown = new Float64Array(this.records.length * 2);
    grown.set(this.records);
    this.records = grown;
    return grown;
  }
}
