// The state machine's own batches (CoreStateMachine.createBatch): records in its engine's memory,
// which the WASM core reads where they are, as it reads a batch of engine.createBatch(). They
// belong to the machine, not to one engine: a recovery replaces the engine (recovery.ts builds a
// new one), so a batch copies its records out then and places them in the new engine's memory at
// its next use, and never keeps a replaced engine's whole memory alive. A close ends them: any
// later use that would read or write their records is refused NOT_OPEN, naming the machine,
// rather than read memory of an engine that is gone (or submit commands into a database that is).
import { CommandBatch, type BatchStorage } from '../batch.js';
import type { Engine } from '../engine.js';
import { LobError } from '../errors.js';
import { COMMAND_SLOTS } from '../operations.js';
import { WeakRefSet } from '../weak-ref-set.js';

/** The records of one machine batch, in the memory of whichever engine the machine has now. */
class MachineBatchStorage implements BatchStorage {
  onMove: (() => void) | undefined = undefined;
  inUse: (() => number) | undefined = undefined;
  /** The records in the current engine's memory; null while moved out (or once closed). */
  private inner: BatchStorage | null;
  /** The records in use, copied out by a move, placed again at the next use. */
  private moved: Float64Array | null = null;
  /** The capacity, in commands, the records had when moved out: placed again with as much room. */
  private movedCapacity = 0;
  /** Why the batch can no longer be used (its machine closed); null while it can. */
  private ended: LobError | null = null;

  /** The machine's engine, whose memory the records are placed in; null once ended, so that no batch keeps it alive. */
  private engine: Engine | null;

  constructor(engine: Engine, commands: number) {
    this.engine = engine;
    this.inner = this.storageIn(engine, commands);
  }

  get owner(): object | undefined {
    return this.inner?.owner;
  }

  view(): Float64Array {
    return this.current().view();
  }

  reserve(commands: number, keep: number): Float64Array {
    return this.current().reserve(commands, keep);
  }

  /** The machine has a new engine: the records leave the old one's memory now, and go into the new one's at the next use. */
  moveTo(engine: Engine): void {
    this.engine = engine;
    const inner = this.inner;
    // Not used since an earlier move: the records copied out then go into this engine instead.
    if (inner === null) return;
    const records = inner.view();
    this.movedCapacity = records.length / COMMAND_SLOTS;
    // Only the records the batch holds: a big batch, cleared, costs a move nothing.
    this.moved = records.slice(0, Math.min(this.inUse?.() ?? this.movedCapacity, this.movedCapacity) * COMMAND_SLOTS);
    this.inner = null;
    this.onMove?.();
  }

  /** The machine closed: the records go with its engine, and every later use is refused with `reason`. */
  end(reason: LobError): void {
    this.inner = null;
    this.moved = null;
    this.engine = null;
    this.ended = reason;
    this.onMove?.();
  }

  private current(): BatchStorage {
    if (this.inner !== null) return this.inner;
    if (this.ended !== null) throw this.ended;
    // Placed before the copy is dropped: an engine without room for them (CAPACITY) leaves the
    // records copied out, to be placed at a later use.
    const inner = this.storageIn(this.engine!, Math.max(1, this.movedCapacity));
    const moved = this.moved;
    if (moved !== null) inner.view().set(moved);
    this.inner = inner;
    this.moved = null;
    return inner;
  }

  /**
   * Storage in `engine`'s memory, made by engine.createBatch(), so with its validation and its
   * CAPACITY; the batch it comes in is only its wrapping, and this storage answers for it from
   * now on (a restore of that engine moving the records is told to the machine's batch).
   */
  private storageIn(engine: Engine, commands: number): BatchStorage {
    const storage = engine.createBatch(commands).storage;
    storage.onMove = () => this.onMove?.();
    storage.inUse = () => this.inUse?.() ?? 0;
    return storage;
  }
}

/** Every batch a machine made and still has a use for, to move with its engine and end with it. */
export class MachineBatches {
  private readonly batches = new WeakRefSet<MachineBatchStorage>();

  /** A batch of room for `commands`, in `engine`'s memory (engine.createBatch validates `commands`). */
  create(engine: Engine, commands: number): CommandBatch {
    const storage = new MachineBatchStorage(engine, commands);
    this.batches.add(storage);
    // The machine's own storage: its records reach the caller only through the batch.
    return new CommandBatch(commands, storage).ownStorage();
  }

  /** The machine recovered into a new engine. */
  moveTo(engine: Engine): void {
    this.batches.forEachAlive((storage) => storage.moveTo(engine));
  }

  /** The machine closed: every batch it made is refused from now on, with `reason`. */
  end(reason: LobError): void {
    this.batches.forEachAlive((storage) => storage.end(reason));
    this.batches.clear();
  }
}
