// Flow control for one client: the bytes sent and not yet acknowledged by the page. The server
// stops sending deltas while the window is full (they coalesce meanwhile), and a client whose
// window stays full too long is cut off. The kernel's socket buffers cannot tell a stalled page
// from a busy network, and can hold megabytes; the page's own acknowledgements can.
export class FlowWindow {
  private readonly frames: number[] = [];
  private readonly bytes: number[] = [];
  private inFlight = 0;
  private fullSince: number | null = null;

  constructor(private readonly limitBytes: number) {}

  get unacknowledged(): number {
    return this.inFlight;
  }

  get full(): boolean {
    return this.inFlight >= this.limitBytes;
  }

  sent(frame: number, bytes: number): void {
    this.frames.push(frame);
    this.bytes.push(bytes);
    this.inFlight += bytes;
  }

  /** The page has processed every frame up to and including `frame`. */
  acknowledged(frame: number): void {
    let released = 0;
    while (released < this.frames.length && this.frames[released] <= frame) this.inFlight -= this.bytes[released++];
    if (released > 0) {
      this.frames.splice(0, released);
      this.bytes.splice(0, released);
    }
  }

  /** How long the window has been full without a break, as of `now` (0 when it is not full). */
  fullFor(now: number): number {
    if (!this.full) {
      this.fullSince = null;
      return 0;
    }
    this.fullSince ??= now;
    return now - this.fullSince;
  }
}
