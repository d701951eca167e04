// Request and reply over a worker thread, matched by id: the store worker (store.ts) and the
// checkpoint worker (checkpoint-shadow.ts) are both driven this way. An idle worker does not keep
// the process alive; one with a request in flight does, or a process with nothing else to do would
// exit mid-write, and so does one with a message in hand that it answers with a notice. Once the worker fails or exits, every request in flight and every later one is
// rejected with what `failed` makes of its first failure: a worker that dies of an error exits
// next, and the error, not the exit, is what it died of.
import { Worker } from 'node:worker_threads';
import type { TransferListItem } from 'node:worker_threads';

/**
 * A worker gets the process's flags (so `--cpu-prof` profiles it too), less `--input-type`: under
 * `node --input-type=module -e ...` that flag without its -e makes the worker refuse to start.
 * Flags a worker may not be given (V8 options such as `--expose-gc`) make Node refuse the list;
 * the worker then starts with none.
 */
function startWorker(url: URL): Worker {
  try {
    return new Worker(url, { execArgv: process.execArgv.filter((arg) => !arg.startsWith('--input-type')) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return new Worker(url, { execArgv: [] });
  }
}

export class WorkerCalls<E> {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: E) => void; progress?: (message: unknown) => void }>();
  /** Messages sent with postAwaitingNotice() whose notice has not come (answered() not yet called). */
  private awaitingNotices = 0;
  private nextId = 1;
  /** Why the worker is gone (null: it runs): its first failure. */
  failure: E | null = null;
  /** terminate() was called: the exit that follows is asked for, not a failure. */
  private ending = false;
  /** Told once, of the first failure, unless the worker was ending by terminate() (set by the owner). */
  onFailure: ((failure: E) => void) | null = null;

  /** `notice` hears the messages the worker posts of its own accord (without an id). */
  constructor(url: URL, failed: { error: (error: Error) => E; exit: (code: number) => E }, notice?: (message: Record<string, unknown>) => void) {
    this.worker = startWorker(url);
    this.worker.unref();
    this.worker.on('message', (reply: { id?: number; result?: unknown; error?: E; progress?: unknown }) => {
      if (reply.id === undefined) {
        notice?.(reply);
        return;
      }
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      if (reply.progress !== undefined) {
        waiter.progress?.(reply.progress);
        return;
      }
      this.pending.delete(reply.id);
      if (this.inHand === 0) this.worker.unref();
      if (reply.error !== undefined) waiter.reject(reply.error);
      else waiter.resolve(reply.result);
    });
    const fail = (error: E): void => {
      const first = this.failure === null;
      if (first) this.failure = error;
      for (const waiter of this.pending.values()) waiter.reject(this.failure!);
      this.pending.clear();
      this.awaitingNotices = 0;
      if (first && !this.ending) this.onFailure?.(error);
    };
    this.worker.on('error', (error: Error) => fail(failed.error(error)));
    this.worker.on('exit', (code) => fail(failed.exit(code)));
  }

  /** `progress` hears the messages a request posts before its reply (`{ id, progress }`). */
  call<T>(request: Record<string, unknown>, transfer: Array<ArrayBuffer | SharedArrayBuffer> = [], progress?: (message: unknown) => void): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, progress });
      if (this.inHand === 1) this.worker.ref();
      this.worker.postMessage({ ...request, id }, transfer as ArrayBuffer[]);
    });
  }

  /** A message that gets no reply. */
  post(message: Record<string, unknown>, transfer: TransferListItem[] = []): void {
    if (this.failure === null) this.worker.postMessage(message, transfer);
  }

  /**
   * A message the worker answers with a notice rather than a reply: until the owner, hearing it,
   * calls answered(), it keeps the process alive as a request in flight does. (The checkpoint
   * worker's command buffers: a snapshot queued behind them waited for them, unsent, and a
   * process with nothing else to do exited there, its checkpoint pending.)
   */
  postAwaitingNotice(message: Record<string, unknown>, transfer: TransferListItem[] = []): void {
    if (this.failure !== null) return;
    this.awaitingNotices++;
    if (this.inHand === 1) this.worker.ref();
    this.worker.postMessage(message, transfer);
  }

  /** The notice for one postAwaitingNotice() message has come. */
  answered(): void {
    if (this.awaitingNotices === 0) return;
    this.awaitingNotices--;
    if (this.inHand === 0) this.worker.unref();
  }

  /** Requests and messages the worker has yet to answer. */
  private get inHand(): number {
    return this.pending.size + this.awaitingNotices;
  }

  async terminate(): Promise<void> {
    this.ending = true;
    // An idle worker is unref'd, and a worker being terminated is still an idle one: the event loop
    // could run dry before its 'exit', leaving whoever awaits this (a close) pending for good, which
    // Node ends as a silent exit 13 (`lobcore serve --db` beside a writer did it twice in full test
    // runs, in its state machine's close). Held until it has exited.
    this.worker.ref();
    await this.worker.terminate();
  }
}
