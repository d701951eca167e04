// Memory for the two large values of each commit, its journal value and its event block, kept
// and filled again rather than allocated afresh. Under group commit a commit's event block runs to
// hundreds of kilobytes, and a new Buffer of that size is fresh memory: on this VM each 4 KiB page
// costs a fault when first written (about 3 ms a MiB, docs/storage.md round 9), which made the copy
// that frames the block 4% of the main thread's samples (round 30). A commit's values are read
// only until it is durable and its followers have run (the write batch copies them; the feed
// decodes the block into arrays of its own): then the committer releases the commit and its
// buffers come back here.

/** Values under this many bytes come from Node's own 8 KiB slabs (Buffer.allocUnsafe): not worth keeping. */
const SMALL_VALUE_BYTES = 4 * 1024;
/** Free buffers kept at most, in bytes. */
const KEPT_BYTES = 32 * 1024 * 1024;

export class ValueMemory {
  private readonly free: ArrayBuffer[] = [];
  private bytes = 0;

  /** A Buffer of `bytes` bytes (contents undefined); a kept buffer taken for it is added to `taken`. */
  take(bytes: number, taken: ArrayBuffer[]): Buffer {
    if (bytes < SMALL_VALUE_BYTES) return Buffer.allocUnsafe(bytes);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const length = this.free[i].byteLength;
      if (length >= bytes && (best < 0 || length < this.free[best].byteLength)) best = i;
    }
    let buffer: ArrayBuffer;
    if (best < 0) {
      // A power of two, so that a buffer serves the commits of about its size that follow.
      buffer = new ArrayBuffer(2 ** Math.ceil(Math.log2(bytes)));
    } else {
      buffer = this.free[best];
      this.free[best] = this.free[this.free.length - 1];
      this.free.pop();
      this.bytes -= buffer.byteLength;
    }
    taken.push(buffer);
    return Buffer.from(buffer, 0, bytes);
  }

  /** Buffers nothing reads any more (a released commit's), kept while under the cap. */
  give(buffers: ArrayBuffer[]): void {
    for (const buffer of buffers) {
      if (this.bytes + buffer.byteLength > KEPT_BYTES) continue;
      this.free.push(buffer);
      this.bytes += buffer.byteLength;
    }
  }
}
