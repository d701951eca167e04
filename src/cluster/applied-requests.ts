// Which client requests a member's chain applied, and at which stream sequence. JetStream's
// duplicate check knows only that a message id was STORED, not that the chain APPLIED the record:
// a deposed leader's pipelined append can land on top of a new leader's claim, be skipped by every
// member, and still use up its request's message id. A leader asked about such a duplicate looks
// the request up here instead of trusting the duplicate ack.
//
// Bounded: the oldest entries are dropped past `capacity`, and `knownAfter` rises to the stream
// sequence of the last one dropped. A lookup is exact for stream sequences above `knownAfter`.
const DEFAULT_CAPACITY = 1 << 17;

export type RequestOutcome =
  /** The chain applied the request at `streamSeq`. */
  | { kind: 'applied'; streamSeq: number }
  /** The chain did not apply it anywhere from `knownAfter` + 1 to the member's head. */
  | { kind: 'not-applied' }
  /** The member cannot tell: the record in question is older than what it has seen. */
  | { kind: 'unknown' };

export class AppliedRequests {
  private readonly byClient = new Map<number, Map<number, number>>();
  private readonly ringClient: Float64Array;
  private readonly ringRequest: Float64Array;
  private readonly ringSeq: Float64Array;
  private size = 0;
  private next = 0;

  /** `knownAfter`: the stream sequence this member's knowledge starts after (its recovered height). */
  constructor(private knownAfterSeq: number, capacity = DEFAULT_CAPACITY) {
    this.ringClient = new Float64Array(capacity);
    this.ringRequest = new Float64Array(capacity);
    this.ringSeq = new Float64Array(capacity);
  }

  get knownAfter(): number {
    return this.knownAfterSeq;
  }

  record(clientId: number, requestSeq: number, streamSeq: number): void {
    const capacity = this.ringSeq.length;
    if (this.size === capacity) this.forget(this.next);
    else this.size++;
    this.ringClient[this.next] = clientId;
    this.ringRequest[this.next] = requestSeq;
    this.ringSeq[this.next] = streamSeq;
    this.next = (this.next + 1) % capacity;
    let requests = this.byClient.get(clientId);
    if (requests === undefined) this.byClient.set(clientId, requests = new Map());
    requests.set(requestSeq, streamSeq);
  }

  /**
   * What became of a request whose message id JetStream reports stored at `storedSeq`. A request
   * is never applied before its message id was first stored, so a `storedSeq` above `knownAfter`
   * means every record that could have applied it was seen here.
   */
  outcome(clientId: number, requestSeq: number, storedSeq: number): RequestOutcome {
    const streamSeq = this.byClient.get(clientId)?.get(requestSeq);
    if (streamSeq !== undefined) return { kind: 'applied', streamSeq };
    return storedSeq > this.knownAfterSeq ? { kind: 'not-applied' } : { kind: 'unknown' };
  }

  private forget(slot: number): void {
    const clientId = this.ringClient[slot];
    const requests = this.byClient.get(clientId);
    const requestSeq = this.ringRequest[slot];
    if (requests !== undefined && requests.get(requestSeq) === this.ringSeq[slot]) {
      requests.delete(requestSeq);
      if (requests.size === 0) this.byClient.delete(clientId);
    }
    this.knownAfterSeq = Math.max(this.knownAfterSeq, this.ringSeq[slot]);
  }
}
