// The replies of the last 256 batches a member applied, found by stream sequence. A client
// that retries a request the previous leader committed but never answered gets a duplicate ack
// from JetStream naming the original stream sequence; the new leader answers from here.
//
// A ring in the order the batches were applied, not a slot per stream sequence: claims, strays
// and duplicates take stream sequences too, and in slots by sequence each of them let a batch
// among the last 256 be overwritten by a later one, answered duplicate-forgotten on its retry.
const DEFAULT_SIZE = 256;

export class ReplyCache {
  private readonly seqs: Float64Array;
  private readonly replies: Array<Uint8Array | undefined>;
  /** The slot the next put writes: the oldest reply once the ring is full. */
  private next = 0;
  private count = 0;

  constructor(size = DEFAULT_SIZE) {
    this.seqs = new Float64Array(size);
    this.replies = new Array<Uint8Array | undefined>(size);
  }

  /** `streamSeq` must be above every one put before (a member applies the stream in order): get() searches them as sorted. */
  put(streamSeq: number, reply: Uint8Array): void {
    this.seqs[this.next] = streamSeq;
    this.replies[this.next] = reply;
    this.next = (this.next + 1) % this.seqs.length;
    if (this.count < this.seqs.length) this.count++;
  }

  get(streamSeq: number): Uint8Array | undefined {
    const size = this.seqs.length;
    const oldest = (this.next - this.count + size) % size;
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const slot = (oldest + middle) % size;
      const seq = this.seqs[slot];
      if (seq === streamSeq) return this.replies[slot];
      if (seq < streamSeq) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }
}
