// The replies of the last 256 batches a member applied, by stream sequence. A client
// that retries a request the previous leader committed but never answered gets a duplicate ack
// from JetStream naming the original stream sequence; the new leader answers from here.
const DEFAULT_SIZE = 256;

export class ReplyCache {
  private readonly seqs: Float64Array;
  private readonly replies: Array<Uint8Array | undefined>;

  constructor(size = DEFAULT_SIZE) {
    this.seqs = new Float64Array(size);
    this.replies = new Array<Uint8Array | undefined>(size);
  }

  put(streamSeq: number, reply: Uint8Array): void {
    const slot = streamSeq % this.seqs.length;
    this.seqs[slot] = streamSeq;
    this.replies[slot] = reply;
  }

  get(streamSeq: number): Uint8Array | undefined {
    const slot = streamSeq % this.seqs.length;
    return this.seqs[slot] === streamSeq ? this.replies[slot] : undefined;
  }
}
