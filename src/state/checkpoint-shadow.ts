// The main thread's side of the checkpoint worker (checkpoint-worker.mjs): a shadow matching core
// on another thread, fed every command the state machine journals, in journal order, that
// snapshots itself for a checkpoint so the books are never copied out on the main thread.
//
// Commands are gathered here as they are applied (a copy of each 96-byte record) and posted in
// runs of POST_COMMANDS once the next write is posted (postHeld()), in buffers the worker gives back to be filled again (a replay's are
// written only once the open is done: laterCommands()); a checkpoint's
// pieces go the other way, and back to the worker once they are written. A shadow that fails
// (its thread dies, a command it cannot apply, a restore it does not reproduce, counts that
// differ from the engine's at a checkpoint, a recovery that started it over and then failed) is
// marked broken; the state machine then checkpoints from its own engine, synchronously, as
// before, and starts the shadow again from that snapshot.
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { WorkerCalls } from './worker-calls.js';
import type { CoreLimits } from '../core.js';
import { COMMAND_SLOTS } from '../operations.js';
import { HOST_BLOCK, SNAPSHOT_CHUNK_BYTES, compileCore, maxPagesFor } from '../wasm-core.js';
import type { BackendName } from '../types.js';

const WORKER_URL = new URL('./checkpoint-worker.mjs', import.meta.url);
/**
 * The shadow is handed commands in runs of this many, as they are applied: it applies a flow (or a
 * long replay) alongside this thread, and a buffer holds about one run. At 16,384 the buffer
 * handed over reached 3 MB and its replacement was allocated inside checkpoint(): that call held
 * matching up 1.5-9.4 ms in four of six runs of the bench's 1M book, against 0.7-1.2 ms in six at
 * 4,096.
 */
const POST_COMMANDS = 4096;
/**
 * Buffers the worker gave back, kept for the next hand-overs. A fresh buffer is zeroed and then
 * faulted in page by page as commands are copied into it: in a profile of a replay, that was more
 * than half of the copy's time (docs/storage.md, round 7). Eight (3 MB): under group commit on a
 * busy machine the shadow falls several buffers behind, and with two kept the rest came back to
 * be dropped, and the next hand-overs faulted in new ones (round 30).
 */
const SPARE_BUFFERS = 8;
/**
 * Full runs held for the next write's posting at most (postHeld()): the second goes at once with
 * the first, so commands applied without a flush keep at most one more buffer back than before.
 */
const HELD_RUNS = 2;
/** Until the first command, or when post() found no spare: makeRoom() allocates a buffer. */
const NO_BUFFER = new Float64Array(0);
/** laterCommands() writes a buffer only while fewer than this many are with the worker (or one came back). */
const LATER_IN_FLIGHT = 4;

/** A message for the worker, queued: `writesCommands` marks laterCommands(), which writes its buffer only when sent. */
interface QueuedMessage {
  send: () => void;
  writesCommands: boolean;
}

/** A snapshot file for the shadow to restore from, with the sha256 recovery proved. */
export interface ShadowSnapshotFile {
  path: string;
  byteLength: number;
  sha256: Buffer;
}

export interface ShadowSnapshot {
  byteLength: number;
  /** How many pieces were handed to `onPiece`. */
  pieces: number;
  /** How many of them the worker made new buffers for, rather than filling pieces given back. */
  newPieces: number;
  sha256: Buffer;
  nextOrderId: number;
  restingOrders: number;
}

export class ShadowEngine {
  private started: WorkerCalls<{ message: string }> | null = null;
  /** Where a snapshot's pieces go back to the worker once written, to be filled again. */
  private piecesBack: MessagePort | null = null;
  private buffer: Float64Array<ArrayBuffer> = NO_BUFFER;
  private buffered = 0;
  /**
   * Full runs not handed over yet: a run that fills as commands are applied waits for the next
   * write to be posted (postHeld()), so that its hand-over overlaps the disk rather than matching.
   */
  private readonly held: Array<Float64Array<ArrayBuffer>> = [];
  private readonly spares: Array<Float64Array<ArrayBuffer>> = [];
  /** Commands given to the shadow since its last reset. */
  private given = 0;
  /** The last reset's proof that the shadow reproduces the snapshot it restored (null: nothing to prove). */
  private proof: Promise<boolean | null> = Promise.resolve(null);
  /**
   * Messages for the worker not sent yet, in order (null: sent as they come): held back by hold(),
   * sent from the turn after release(), those of laterCommands() only as buffers come back.
   */
  private queue: Array<QueuedMessage | null> | null = null;
  /**
   * The next message of the queue to send. An index, not shift(): a reopen may queue a replay of
   * many thousands of journal values, and shifting 200,000 messages one by one took 2.1 s.
   */
  private queueAt = 0;
  /** Between hold() and release(): nothing in the queue goes yet. */
  private holding = false;
  /** Command buffers with the worker, not yet given back. */
  private applying = 0;
  /** The queue waits for a buffer to come back before it writes the next laterCommands(). */
  private waitingForSpare = false;
  /** Why the shadow cannot be used (null: it can). */
  broken: string | null = null;

  private constructor(private readonly module: WebAssembly.Module, private readonly limits: Record<string, number>) {}

  /**
   * The worker, started when it is first sent something: an open holds the shadow until its
   * replay is done (hold()), and a thread started during the open took 60-85 ms of a core there
   * just to load Node.
   */
  private get worker(): WorkerCalls<{ message: string }> {
    if (this.started === null) {
      this.started = new WorkerCalls<{ message: string }>(WORKER_URL, {
        error: (error) => this.gone(`the checkpoint worker failed: ${error.message}`),
        exit: (code) => this.gone(`the checkpoint worker exited (${code})`),
      }, (notice) => {
        if (!(notice.returned instanceof ArrayBuffer)) return;
        this.started?.answered();
        this.applying--;
        if (this.spares.length < SPARE_BUFFERS) this.spares.push(new Float64Array(notice.returned));
        if (this.waitingForSpare) {
          this.waitingForSpare = false;
          this.sendQueued();
        }
      });
      const channel = new MessageChannel();
      channel.port1.unref();
      this.piecesBack = channel.port1;
      this.started.post({ op: 'pieces-back', port: channel.port2 }, [channel.port2]);
    }
    return this.started;
  }

  private gone(why: string): { message: string } {
    this.broken = why;
    // Nothing comes back from a worker that is gone: what waits for a buffer goes now (unwritten).
    if (this.waitingForSpare) {
      this.waitingForSpare = false;
      setImmediate(this.sendQueued);
    }
    return { message: why };
  }

  /** A shadow with the engine's limits (the JS core has no memory limit, so its shadow gets none). */
  static async create(backend: BackendName, limits: CoreLimits): Promise<ShadowEngine> {
    return new ShadowEngine(await compileCore(), {
      maxPages: maxPagesFor(backend === 'wasm' ? limits.maxMemoryBytes : undefined),
      maxOrders: limits.maxOrders ?? Infinity,
      maxLevels: limits.maxLevels ?? Infinity,
    });
  }

  /**
   * Starts the shadow over: empty, or from a checked snapshot: its bytes (shared memory is read
   * in place, anything else is copied), or a snapshot file the shadow reads itself, named with
   * the length and sha256 recovery proved. `orders`, its resting orders and pending stops,
   * presizes the shadow's order index. Resolves with whether the shadow snapshots back exactly
   * the bytes it restored and, from a file, read those very bytes (null: no snapshot).
   */
  async reset(snapshot: Uint8Array | ShadowSnapshotFile | null, orders = 0): Promise<boolean | null> {
    this.buffered = 0;
    this.held.length = 0;
    this.given = 0;
    if (this.started?.failure != null) return null;
    this.broken = null;
    let from = {};
    if (snapshot instanceof Uint8Array) {
      from = {
        snapshot: snapshot.buffer instanceof SharedArrayBuffer && snapshot.byteOffset === 0 && snapshot.byteLength === snapshot.buffer.byteLength
          ? snapshot.buffer
          : new Uint8Array(snapshot).buffer,
      };
    } else if (snapshot !== null) {
      from = { file: { path: snapshot.path, byteLength: snapshot.byteLength, sha256: new Uint8Array(snapshot.sha256).buffer } };
    }
    const init = {
      op: 'init', module: this.module, ...this.limits, input: HOST_BLOCK.INPUT, inputCapacity: HOST_BLOCK.INPUT_CAPACITY, chunkBytes: SNAPSHOT_CHUNK_BYTES,
      orders, ...from,
    };
    const proving = new Promise<{ verified: boolean | null }>((resolve) => {
      this.send(() => resolve(this.worker.call<{ verified: boolean | null }>(init)));
    }).then(({ verified }) => verified, (error: unknown) => {
      this.broken = `the checkpoint worker could not start: ${(error as Error).message}`;
      return null;
    });
    this.proof = proving;
    return proving;
  }

  /**
   * Holds back everything for the worker until release(): recovery holds the shadow's restore and
   * the replay's commands until the replay is done, so that the restore does not compete with the
   * replay for the cores. Then the worker gets them in the order they were given.
   */
  hold(): void {
    this.holding = true;
    this.queue ??= [];
  }

  /**
   * Sends what was held back, in order, from the next turn on: the open that held it does not
   * wait. Commands given with laterCommands() are written as their turn comes, into buffers the
   * worker gives back (at most LATER_IN_FLIGHT out at once), so the shadow catches up at its own
   * pace without a fresh buffer for each run; anything given meanwhile queues behind them.
   */
  release(): void {
    this.holding = false;
    setImmediate(this.sendQueued);
  }

  private readonly sendQueued = (): void => {
    const queue = this.queue;
    if (queue === null || this.holding) return;
    while (this.queueAt < queue.length) {
      const message = queue[this.queueAt]!;
      if (message.writesCommands && this.broken === null && this.spares.length === 0 && this.applying >= LATER_IN_FLIGHT) {
        this.waitingForSpare = true; // a buffer coming back sends the rest (see the notice handler)
        return;
      }
      queue[this.queueAt++] = null; // what it holds (a journal value) goes with it
      message.send();
    }
    this.queue = null;
    this.queueAt = 0;
  };

  private send(message: () => void, writesCommands = false): void {
    if (this.queue === null) message();
    else this.queue.push({ send: message, writesCommands });
  }

  /**
   * `count` commands applied now, in order, whose records `write` puts into a buffer when they are
   * sent: the replay's, decoded again from their journal values. Copied as they were replayed and
   * held until the replay was done, they took a fresh buffer a run, and a reopen of a million
   * orders that replayed 175,000 commands spent 71-130 ms more in its replay (docs/storage.md,
   * round 11).
   */
  laterCommands(count: number, write: (into: Float64Array) => void): void {
    this.post();
    if (count === 0 || this.broken !== null) return;
    this.given += count;
    this.send(() => {
      if (this.broken !== null) return;
      // A value longer than a spare (a flush of more than POST_COMMANDS) gets a buffer of its own.
      const spare = this.spares.at(-1);
      const records = spare !== undefined && spare.length >= count * COMMAND_SLOTS ? this.spares.pop()! : new Float64Array(Math.max(count, POST_COMMANDS) * COMMAND_SLOTS);
      write(records);
      this.apply(records, count);
    }, true);
  }

  private apply(records: Float64Array<ArrayBuffer>, count: number): void {
    this.applying++;
    this.worker.postAwaitingNotice({ op: 'apply', commands: records.buffer, count }, [records.buffer]);
  }

  /**
   * Applied commands' records, `count` of them from slot `start` of `records`: copied a run at a
   * time (slot by slot, a command at a time, it was 5% of the main thread under group commit).
   */
  commands(records: Float64Array, start: number, count: number): void {
    for (let done = 0; done < count;) {
      const run = Math.min(count - done, POST_COMMANDS - this.buffered);
      this.makeRoom(run);
      const from = start + done * COMMAND_SLOTS;
      this.buffer.set(records.subarray(from, from + run * COMMAND_SLOTS), this.buffered * COMMAND_SLOTS);
      this.buffered += run;
      done += run;
      if (this.buffered === POST_COMMANDS) this.holdRun();
    }
  }

  /** The full run is kept for postHeld(); the next fills a spare. */
  private holdRun(): void {
    this.held.push(this.buffer as Float64Array<ArrayBuffer>);
    this.buffered = 0;
    this.buffer = this.spares.pop() ?? NO_BUFFER;
    if (this.held.length >= HELD_RUNS) this.postHeld();
  }

  /** Hands the full runs over (a write has just been posted, or everything is to go now). */
  postHeld(): void {
    const held = this.held;
    for (let i = 0; i < held.length; i++) {
      const commands = held[i];
      if (this.broken !== null) continue;
      this.send(() => this.apply(commands, POST_COMMANDS));
      this.given += POST_COMMANDS;
    }
    held.length = 0;
  }

  private makeRoom(count: number): void {
    if ((this.buffered + count) * COMMAND_SLOTS <= this.buffer.length) return;
    let length = Math.max(this.buffer.length * 2, POST_COMMANDS * COMMAND_SLOTS);
    while ((this.buffered + count) * COMMAND_SLOTS > length) length *= 2;
    const grown = new Float64Array(length);
    grown.set(this.buffer.subarray(0, this.buffered * COMMAND_SLOTS));
    this.buffer = grown;
  }

  /** Hands the gathered commands to the shadow (the buffer goes with them). */
  post(): void {
    this.postHeld();
    if (this.buffered === 0 || this.broken !== null) {
      this.buffered = 0;
      return;
    }
    const commands = this.buffer;
    const count = this.buffered;
    this.send(() => this.apply(commands, count));
    this.given += this.buffered;
    this.buffered = 0;
    // No buffer is allocated here: post() runs inside checkpoint(), which must not hold matching up.
    this.buffer = this.spares.pop() ?? NO_BUFFER;
  }

  /**
   * The shadow's snapshot once it has applied every command given so far: handed to `onPiece` in
   * pieces of `pieceBytes` as the shadow writes them (piece i holds bytes [i * pieceBytes, ...)),
   * then resolved with its length and sha256. A piece for which `onPiece` returns a promise goes
   * back to the worker once that resolves, for a later piece to fill.
   */
  async snapshot(pieceBytes: number, onPiece: (index: number, piece: Uint8Array) => Promise<void> | undefined): Promise<ShadowSnapshot> {
    const proof = this.proof;
    if (this.broken !== null) throw new Error(this.broken);
    this.post();
    type Reply = { byteLength: number; pieces: number; newPieces: number; sha256: ArrayBuffer; nextOrderId: number; restingOrders: number };
    const request = { op: 'snapshot', commands: this.given, pieceBytes };
    // In turn, behind any commands still queued for the worker (release()).
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.send(() => this.worker.call<Reply>(request, [], (progress) => {
        const { index, piece } = progress as { index: number; piece: ArrayBuffer };
        onPiece(index, new Uint8Array(piece))?.then(() => this.piecesBack?.postMessage(piece, [piece]), () => undefined);
      }).then(resolve, reject));
    });
    // Its reset's answer came before this one: a shadow that did not reproduce what it restored gives no checkpoint.
    if ((await proof) === false) throw new Error('the shadow restored a snapshot that it does not reproduce');
    return { ...reply, sha256: Buffer.from(reply.sha256) };
  }

  async close(): Promise<void> {
    this.queue = null;
    this.queueAt = 0;
    this.piecesBack?.close();
    await this.started?.terminate();
  }
}
