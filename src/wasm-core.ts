// The WebAssembly matching core (assembly/, built to build/lobcore.wasm) behind the MatchingCore
// interface. This file only moves numbers: it calls the core's exports and keeps typed-array
// views of its linear memory, refreshed whenever the memory has grown.
//
// The memory is shared (a SharedArrayBuffer underneath), for one reason: so that another thread
// can touch the pages a large restore is about to write (prefault.ts). A shared memory never
// detaches a view when it grows, so the core notes its size in its host block and the host
// compares it with the size of its views.
import { readFile } from 'node:fs/promises';
import { LobError } from './errors.js';
import { COMMAND_BYTES, COMMAND_SLOTS, FILL_SLOTS, RESULT_SLOTS, type BatchStorage } from './batch.js';
import { LEVEL_SLOTS, ORDER_SLOTS, Out, type CoreOptions, type MatchingCore } from './core.js';
import { EVENT_SLOTS } from './events.js';
import { mostOrdersIn, openSnapshot, snapshotBytes, writeSnapshotMagic } from './snapshot.js';
import { SnapshotCheck, checkSnapshot } from './snapshot-check.js';
import { prefaultAhead } from './prefault.js';
import { WeakRefSet } from './weak-ref-set.js';

/**
 * The raw exports of build/lobcore.wasm (assembly/index.ts): the per-call commands as MatchingCore
 * has them (cancelAll's flag a number here), and the rest of the core's surface.
 */
interface CoreExports extends Pick<MatchingCore, 'placeLimit' | 'placeMarket' | 'placeStop' | 'placeOco' | 'cancel' | 'reduce' | 'modify'> {
  memory: WebAssembly.Memory;
  init(maxPages: number, maxOrders: number, maxLevels: number, recordEvents: number): number;
  cancelAll(trader: number, asset: number, allAssets: number): void;
  reserveInput(count: number): number;
  allocCommands(capacity: number): number;
  freeCommands(block: number, capacity: number): void;
  runBatch(commands: number, count: number, checked: number): number;
  operationField(op: number, i: number): number;
  operationFlags(op: number): number;
  hostBlockLayout(i: number): number;
  levels(asset: number, side: number, most: number): number;
  findOrder(orderId: number): number;
  listOrders(asset: number): number;
  snapshotBegin(): number;
  snapshotNext(): number;
  snapshotChunkAt(): number;
  restoreBegin(orders: number): number;
  restoreNext(bytes: number): number;
  restoreDone(): number;
  restoreTouchIndex(): void;
  reserveMemory(bytes: number): number;
  nextOrderId(): number;
  restingOrders(): number;
  pendingStopCount(): number;
  memoryRefusals(): number;
  priceLevels(): number;
  orderIndexBytes(): number;
  orderIndexDisplacement(): number;
  orderIndexMostMigrated(): number;
  orderIndexSlots(): number;
  levelMapBytes(): number;
  levelMapSlots(): number;
  levelMapFinds(asset: number, side: number, price: number): number;
  levelMapEntries(): number;
  traderMapBytes(): number;
  traderMapSlots(): number;
  traderMapFinds(trader: number): number;
}

/** The core's snapshot chunk (assembly/snapshot.ts CHUNK_BYTES): a restore is fed at most this much a call. */
export const SNAPSHOT_CHUNK_BYTES = 65536;

/**
 * Host block (assembly/host-block.ts): byte offsets of the u32 buffer pointers after `out`, in
 * the order the core's hostBlockLayout() lists them (test/operations.test.ts compares).
 */
export const HOST_BLOCK = {
  OUT_FILL_COUNT: 40, OUT_EVENT_COUNT: 48, FILLS: 56, FILL_CAPACITY: 60, RESULTS: 64, RESULT_CAPACITY: 68, INPUT: 72,
  INPUT_CAPACITY: 76, QUERY: 80, QUERY_CAPACITY: 84, EVENTS: 88, EVENT_CAPACITY: 92, MEMORY_PAGES: 96,
} as const;
const HB_FILLS = HOST_BLOCK.FILLS;
const HB_FILL_CAPACITY = HOST_BLOCK.FILL_CAPACITY;
const HB_RESULTS = HOST_BLOCK.RESULTS;
const HB_RESULT_CAPACITY = HOST_BLOCK.RESULT_CAPACITY;
const HB_INPUT = HOST_BLOCK.INPUT;
const HB_INPUT_CAPACITY = HOST_BLOCK.INPUT_CAPACITY;
const HB_QUERY = HOST_BLOCK.QUERY;
const HB_EVENTS = HOST_BLOCK.EVENTS;
const HB_EVENT_CAPACITY = HOST_BLOCK.EVENT_CAPACITY;
const HB_MEMORY_PAGES = HOST_BLOCK.MEMORY_PAGES;
/** runBatch's fault for "no memory for the results" (assembly/batch.ts). */
const NO_MEMORY = -2147483648;

const PAGE_BYTES = 65536;
const MAX_PAGES = 65536;

/** The pages of linear memory a core may grow to under `maxMemoryBytes` (default: all 4 GiB). */
export function maxPagesFor(maxMemoryBytes: number | undefined): number {
  return Math.max(0, Math.min(MAX_PAGES, Math.floor((maxMemoryBytes ?? MAX_PAGES * PAGE_BYTES) / PAGE_BYTES)));
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles build/lobcore.wasm once per process; found next to src/ or dist/src/. */
export function compileCore(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const candidates = [
      new URL('../build/lobcore.wasm', import.meta.url),
      new URL('../../build/lobcore.wasm', import.meta.url),
    ];
    for (const url of candidates) {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = new Uint8Array(await readFile(url));
      } catch {
        continue;
      }
      return WebAssembly.compile(bytes);
    }
    throw new Error(`build/lobcore.wasm not found (looked at ${candidates.map((u) => u.pathname).join(', ')}); run npm run build:wasm`);
  })();
  compiled.catch(() => {
    compiled = undefined;
  });
  return compiled;
}

/** Reads an AssemblyScript string (UTF-16, byte length in the word before it) for abort messages. */
function readAsString(memory: WebAssembly.Memory, pointer: number): string {
  if (pointer === 0 || pointer % 2 !== 0 || pointer < 4 || pointer > memory.buffer.byteLength) return `#${pointer}`;
  const length = new Uint32Array(memory.buffer, pointer - 4, 1)[0];
  if (pointer + length > memory.buffer.byteLength) return `#${pointer}`;
  return String.fromCharCode(...new Uint16Array(memory.buffer, pointer, Math.min(length >>> 1, 1000)));
}

function limitOrInfinity(value: number | undefined): number {
  return value === undefined ? Infinity : value;
}

/**
 * A view of one of the core's output buffers (fills, results, events), whose address and
 * capacity the host block holds. Made again when either changes, or when memory grew (a new
 * `buffer`): a restore resets the heap and may hand the same address back with another capacity.
 */
class BufferView {
  private view = new Float64Array(0);
  private buffer: ArrayBuffer | null = null;
  private at = -1;
  private capacity = -1;

  constructor(private readonly addressWord: number, private readonly capacityWord: number, private readonly slots: number) {}

  of(buffer: ArrayBuffer, words: Uint32Array, hostBlock: number): Float64Array {
    const at = words[(hostBlock + this.addressWord) >>> 2];
    const capacity = words[(hostBlock + this.capacityWord) >>> 2];
    if (at !== this.at || capacity !== this.capacity || buffer !== this.buffer) {
      this.view = at === 0 ? new Float64Array(0) : new Float64Array(buffer, at, capacity * this.slots);
      this.buffer = buffer;
      this.at = at;
      this.capacity = capacity;
    }
    return this.view;
  }
}

export class WasmCore implements MatchingCore {
  readonly backend = 'wasm' as const;
  private readonly x: CoreExports;
  private readonly hostBlock: number;
  private readonly maxOrders: number;
  private readonly maxLevels: number;
  /** The most linear memory the core may have (maxMemoryBytes). */
  private readonly maxBytes: number;

  // Views of linear memory; all rebuilt when it has grown.
  private buffer!: ArrayBuffer;
  /**
   * Every buffer object this memory has had: a shared memory that grows hands out a new one,
   * while views made before still read the same bytes.
   */
  private readonly ownBuffers = new WeakSet<ArrayBufferLike>();
  private words!: Uint32Array;
  /** Where `words` holds the core's page count, and the page count the views were made for. */
  private readonly pagesWord: number;
  private viewPages = 0;
  /**
   * The per-call outcome, made once: the host block is a static segment (assembly/host-block.ts,
   * one fixed address) and a shared memory's views never detach, so this view reads it for the
   * core's life, growth and restores included. `out` is read after every per-call command, and
   * the growth check there cost more than the read (bench/README.md, stop 55).
   */
  private readonly outView: Float64Array;
  private readonly fillView = new BufferView(HB_FILLS, HB_FILL_CAPACITY, FILL_SLOTS);
  private readonly resultView = new BufferView(HB_RESULTS, HB_RESULT_CAPACITY, RESULT_SLOTS);
  private readonly eventView = new BufferView(HB_EVENTS, HB_EVENT_CAPACITY, EVENT_SLOTS);
  /** Batches whose records live in linear memory, to carry them across a restore (which resets the heap). */
  private readonly boundBatches = new WeakRefSet<LinearStorage>();
  private readonly batchRegistry = new FinalizationRegistry<{ block: number; capacity: number; generation: number }>((held) => {
    if (held.generation === this.generation && held.block !== 0) this.x.freeCommands(held.block, held.capacity);
  });
  /** Bumped by every restore: blocks handed out before it are gone. */
  generation = 0;
  /**
   * A restore under way: its check (null: checked whole before it began), the core's chunk, how
   * many bytes at its start are a record still cut off, and how many bytes the core has taken.
   */
  private restoring: { check: SnapshotCheck | null; chunkAt: number; held: number; restored: number } | null = null;

  private constructor(instance: WebAssembly.Instance, options: CoreOptions) {
    this.x = instance.exports as unknown as CoreExports;
    const maxBytes = options.maxMemoryBytes ?? MAX_PAGES * PAGE_BYTES;
    this.maxBytes = maxBytes;
    const maxPages = maxPagesFor(options.maxMemoryBytes);
    this.maxOrders = limitOrInfinity(options.maxOrders);
    this.maxLevels = limitOrInfinity(options.maxLevels);
    this.hostBlock = this.x.init(maxPages, this.maxOrders, this.maxLevels, options.events === false ? 0 : 1);
    if (this.hostBlock === 0) {
      throw new LobError('INVALID_ARGUMENT', `maxMemoryBytes must leave room for the WASM core's own structures, got ${maxBytes}`);
    }
    this.pagesWord = (this.hostBlock + HB_MEMORY_PAGES) >>> 2;
    this.outView = new Float64Array(this.x.memory.buffer, this.hostBlock, Out.SLOTS);
    this.refresh();
  }

  static async create(options: CoreOptions = {}): Promise<WasmCore> {
    const module = await compileCore();
    let memory: WebAssembly.Memory | undefined;
    const imports = {
      env: {
        abort(message: number, file: number, line: number, column: number): never {
          const text = memory ? `${readAsString(memory, message)} at ${readAsString(memory, file)}:${line}:${column}` : `${message} at ${file}:${line}:${column}`;
          throw new Error(`WASM core aborted: ${text}`);
        },
      },
    };
    const instance = await WebAssembly.instantiate(module, imports);
    memory = (instance.exports as unknown as CoreExports).memory;
    return new WasmCore(instance, options);
  }

  /**
   * Re-creates the views after memory growth. When nothing changed this is one read of the page
   * count the core keeps in its host block (the old views still read it: a shared memory grows in
   * place): reading `memory.buffer` instead is a call into the runtime that cost more than a
   * whole command.
   */
  private refresh(): void {
    if (this.words !== undefined && this.words[this.pagesWord] === this.viewPages) return;
    const buffer = this.x.memory.buffer;
    this.buffer = buffer as ArrayBuffer;
    this.ownBuffers.add(buffer);
    this.viewPages = buffer.byteLength / PAGE_BYTES;
    this.words = new Uint32Array(buffer);
  }

  private word(offset: number): number {
    return this.words[(this.hostBlock + offset) >>> 2];
  }

  placeLimit(trader: number, asset: number, side: number, price: number, size: number,
             timestamp: number, tif: number, stp: number, clientOrderId: number): number {
    return this.x.placeLimit(trader, asset, side, price, size, timestamp, tif, stp, clientOrderId);
  }
  placeMarket(trader: number, asset: number, side: number, size: number, budget: number, timestamp: number,
              protectionPrice: number, stp: number, clientOrderId: number): void {
    this.x.placeMarket(trader, asset, side, size, budget, timestamp, protectionPrice, stp, clientOrderId);
  }
  placeStop(trader: number, asset: number, side: number, size: number, stopPrice: number, price: number,
            protectionPrice: number, timestamp: number, tif: number, stp: number, clientOrderId: number): void {
    this.x.placeStop(trader, asset, side, size, stopPrice, price, protectionPrice, timestamp, tif, stp, clientOrderId);
  }
  placeOco(trader: number, asset: number, side: number, size: number, price: number, stopPrice: number,
           stopLimitPrice: number, timestamp: number, stp: number, clientOrderId: number): void {
    this.x.placeOco(trader, asset, side, size, price, stopPrice, stopLimitPrice, timestamp, stp, clientOrderId);
  }
  cancel(trader: number, asset: number, orderId: number): number {
    return this.x.cancel(trader, asset, orderId);
  }
  reduce(trader: number, asset: number, orderId: number, by: number): void {
    this.x.reduce(trader, asset, orderId, by);
  }
  modify(trader: number, asset: number, orderId: number, price: number, size: number, timestamp: number): void {
    this.x.modify(trader, asset, orderId, price, size, timestamp);
  }
  cancelAll(trader: number, asset: number, allAssets: boolean): void {
    this.x.cancelAll(trader, asset, allAssets ? 1 : 0);
  }

  get out(): Float64Array {
    return this.outView;
  }

  get fills(): Float64Array {
    // refresh()'s test written out: an order result reads the fills here only when it traded, a
    // call site too rare for V8 to inline refresh() into, and the call cost more than the test.
    if (this.words[this.pagesWord] !== this.viewPages) this.refresh();
    return this.fillView.of(this.buffer, this.words, this.hostBlock);
  }

  get batchResults(): Float64Array {
    this.refresh();
    return this.resultView.of(this.buffer, this.words, this.hostBlock);
  }

  get events(): Float64Array {
    this.refresh();
    return this.eventView.of(this.buffer, this.words, this.hostBlock);
  }

  get eventCount(): number {
    // `| 0`: read from a Float64Array the count is a heap number, and stored into the host's
    // EventList it would change that object's hidden class (test/hidden-classes.test.ts).
    return this.out[Out.EVENT_COUNT] | 0;
  }

  clearEvents(): void {
    // The host reads the count from its block; the core's own count starts again at every call.
    this.out[Out.EVENT_COUNT] = 0;
  }

  /** @internal how many commands the input block holds: batches from the heap are copied there. */
  get inputCapacity(): number {
    this.refresh();
    return this.word(HB_INPUT_CAPACITY);
  }

  runBatch(commands: Float64Array, count: number, checked = false): number {
    let at: number;
    this.refresh();
    if (commands.buffer === this.buffer || this.ownBuffers.has(commands.buffer)) {
      // A batch from createBatch(): the core reads it where it is, also when it was made before
      // the memory grew (its view is then of an earlier buffer object of the same memory).
      at = commands.byteOffset;
    } else {
      if (this.word(HB_INPUT_CAPACITY) < count) {
        if (!this.x.reserveInput(count)) {
          throw this.noRoom(`a batch of ${count} commands`, 'nothing was applied');
        }
        this.refresh();
      }
      at = this.word(HB_INPUT);
      const slots = count * COMMAND_SLOTS;
      new Float64Array(this.buffer, at, slots).set(commands.length === slots ? commands : commands.subarray(0, slots));
    }
    const result = this.x.runBatch(at, count, checked ? 1 : 0);
    if (result === NO_MEMORY) throw this.noRoom(`the results of ${count} commands`, 'nothing was applied');
    return result;
  }

  createBatchStorage(commands: number): BatchStorage {
    const storage = new LinearStorage(this, Math.max(1, commands));
    this.boundBatches.add(storage);
    return storage;
  }

  /** @internal for LinearStorage: a block for `capacity` commands, tracked so it is freed with its batch. */
  allocCommands(capacity: number): number {
    // Checked here: the core counts the block's bytes in 32 bits, and more than memory may hold would wrap.
    const block = capacity * COMMAND_BYTES > this.maxBytes ? 0 : this.x.allocCommands(capacity);
    if (block === 0) throw this.noRoom(`a batch of ${capacity} commands`, 'no batch was made');
    return block;
  }

  /** @internal */
  freeCommands(block: number, capacity: number): void {
    this.x.freeCommands(block, capacity);
  }

  /** @internal once a batch's storage is collected, frees whatever block its `held` names then (none: block 0). */
  freeWhenCollected(storage: LinearStorage): void {
    this.batchRegistry.register(storage, storage.held);
  }

  /** @internal the current buffer of linear memory, known from now on as this memory's (see runBatch). */
  memoryBuffer(): ArrayBuffer {
    const buffer = this.x.memory.buffer;
    // A batch's view is made on it, and the memory may grow again (another buffer object) before
    // refresh() sees this one: unknown, runBatch took the batch for another core's and copied it
    // in, as it did for most batches of a flow encoded ahead into blocks that grew the memory.
    this.ownBuffers.add(buffer);
    return buffer as ArrayBuffer;
  }

  /** Before a restore empties the heap: every bound batch copies its records out. */
  private evacuateBatches(): void {
    this.boundBatches.forEachAlive((storage) => storage.evacuate());
    this.generation++;
  }

  /** The core's table of operations, read back for the mirror test. */
  operationTable(): { fields: number[][]; flags: number[]; hostBlock: number[] } {
    const fields: number[][] = [];
    const flags: number[] = [];
    for (let op = 0; op < 16; op++) {
      const list: number[] = [];
      for (let i = 0; i < 8; i++) {
        const field = this.x.operationField(op, i);
        if (field !== 0) list.push(field);
      }
      fields.push(list);
      flags.push(this.x.operationFlags(op));
    }
    const hostBlock: number[] = [];
    for (let i = 0; ; i++) {
      const offset = this.x.hostBlockLayout(i) >>> 0; // a u32 comes back as an i32
      if (offset === 0xffffffff) break;
      hostBlock.push(offset);
    }
    return { fields, flags, hostBlock };
  }

  /** maxMemoryBytes leaves no room for `what`: an error that leaves the engine serving. */
  private noRoom(what: string, outcome: string): LobError {
    return new LobError('CAPACITY', `no room for ${what} in this engine's memory (maxMemoryBytes ${this.maxBytes}); ${outcome}`);
  }

  /** Copies `count` entries of `slots` f64 from the query buffer. */
  private query(count: number, slots: number, what: string): Float64Array {
    if (count < 0) throw this.noRoom(`the answer to ${what}`, 'nothing changed');
    if (count === 0) return new Float64Array(0);
    this.refresh();
    const at = this.word(HB_QUERY);
    // A copy on an ordinary buffer: the caller may keep or transfer it.
    return new Float64Array(this.buffer, at, count * slots).slice();
  }

  levels(asset: number, side: number, maxLevels: number): Float64Array {
    return this.query(this.x.levels(asset, side, maxLevels), LEVEL_SLOTS, 'a depth query');
  }

  findOrder(orderId: number): Float64Array | null {
    const found = this.x.findOrder(orderId);
    return found === 0 ? null : this.query(found, ORDER_SLOTS, 'an order query');
  }

  listOrders(asset: number): Float64Array {
    return this.query(this.x.listOrders(asset), ORDER_SLOTS, 'an orders query');
  }

  snapshot(): Uint8Array {
    let bytes = new Uint8Array(0);
    this.snapshotPieces((piece, at, total) => {
      if (at === 0) bytes = new Uint8Array(total);
      bytes.set(piece, at);
    });
    return bytes;
  }

  snapshotPieces(onPiece: (piece: Uint8Array, at: number, total: number) => void): void {
    // Streamed through a fixed chunk in the core: a snapshot needs no memory the core lacks, and
    // a hash of it none at all (a copy of a million orders' 41 MB is mostly page faults).
    const total = this.x.snapshotBegin();
    const chunkAt = this.x.snapshotChunkAt();
    let at = 0;
    for (let n = this.x.snapshotNext(); n > 0; n = this.x.snapshotNext()) {
      this.refresh();
      const piece = new Uint8Array(this.buffer, chunkAt, n);
      // The chunk is the core's scratch: the first piece's header word takes the magic in place.
      if (at === 0) writeSnapshotMagic(piece);
      onPiece(piece, at, total);
      at += n;
    }
    if (at !== total) throw new Error(`WASM core: snapshot wrote ${at} of ${total} bytes`);
  }

  restore(snapshot: Uint8Array): void {
    const slots = openSnapshot(snapshot);
    const counts = checkSnapshot(slots, this.maxOrders, this.maxLevels);
    const bytes = snapshotBytes(slots);
    this.startRestore(counts.orders + counts.stops, null, bytes.byteLength);
    // The current version's bytes (an older snapshot was upgraded by openSnapshot).
    this.restoreBytes(bytes);
    this.finishRestore();
  }

  beginRestore(byteLength: number): void {
    const check = SnapshotCheck.streamed(byteLength, this.maxOrders, this.maxLevels);
    // The order index is sized once, for as many orders as the length can hold.
    this.startRestore(mostOrdersIn(byteLength), check, byteLength);
  }

  restorePiece(piece: Uint8Array): void {
    const restoring = this.restoring;
    if (restoring === null) throw new Error('WASM core: restorePiece without beginRestore');
    restoring.check?.feedBytes(piece);
    this.restoreBytes(piece);
  }

  finishRestore(): void {
    const restoring = this.restoring;
    if (restoring === null) throw new Error('WASM core: finishRestore without beginRestore');
    this.restoring = null;
    restoring.check?.finish();
    this.refresh();
    if (restoring.held !== 0 || !this.x.restoreDone()) throw new Error('WASM core: the snapshot ended before its last record');
  }

  /** Refuses a snapshot larger than memory may hold; else empties the core (from here a failure leaves it empty, and its host treats it as failed) and starts a restore. */
  private startRestore(orders: number, check: SnapshotCheck | null, byteLength: number): void {
    // Restored, a snapshot takes at least its own size: refused before the core is emptied.
    if (byteLength > this.maxBytes) throw this.noRoom(`a snapshot of ${byteLength} bytes`, 'nothing changed');
    this.restoring = null;
    this.evacuateBatches();
    const chunkAt = this.x.restoreBegin(orders);
    if (chunkAt === 0) throw new Error('WASM core: no memory to restore the snapshot');
    this.restoring = { check, chunkAt, held: 0, restored: 0 };
    // Beyond the order index just sized, the restored core takes its snapshot's size again and a
    // little more (a record is as long as in the snapshot; levels, traders and part-filled chunks
    // add to it: 3 MiB over 49 MiB at 1.27M orders): grown now, those pages can be touched by
    // another thread (prefault.ts) while this one faults in the index's and then fills them.
    prefaultAhead(this.x.memory, byteLength + byteLength / 12, (bytes) => this.x.reserveMemory(bytes));
    this.x.restoreTouchIndex();
  }

  /**
   * Feeds snapshot bytes through the core's chunk (assembly/snapshot.ts says why). The core takes
   * the whole records among what the chunk holds; a record cut off at its end is moved to its
   * start, to be completed by what comes next.
   */
  private restoreBytes(bytes: Uint8Array): void {
    const restoring = this.restoring!;
    const { chunkAt } = restoring;
    for (let at = 0; at < bytes.byteLength;) {
      const take = Math.min(SNAPSHOT_CHUNK_BYTES - restoring.held, bytes.byteLength - at);
      this.refresh();
      new Uint8Array(this.buffer, chunkAt + restoring.held, take).set(bytes.subarray(at, at + take));
      at += take;
      const present = restoring.held + take;
      const used = this.x.restoreNext(present);
      if (used < 0) throw new Error('WASM core: ran out of memory while restoring the snapshot');
      if (used === 0 && present === SNAPSHOT_CHUNK_BYTES) throw new Error(`WASM core: the restore stopped at byte ${restoring.restored}`);
      restoring.restored += used;
      restoring.held = present - used;
      if (restoring.held > 0) {
        this.refresh();
        new Uint8Array(this.buffer).copyWithin(chunkAt, chunkAt + used, chunkAt + present);
      }
    }
  }

  get nextOrderId(): number {
    return this.x.nextOrderId();
  }
  get restingOrders(): number {
    return this.x.restingOrders();
  }
  get pendingStops(): number {
    return this.x.pendingStopCount();
  }
  get memoryRefusals(): number {
    return this.x.memoryRefusals();
  }
  /** Grows linear memory by about `bytes` now, and has another thread touch the new pages (prefault.ts). */
  prepareForGrowth(bytes: number): void {
    prefaultAhead(this.x.memory, bytes, (wanted) => this.x.reserveMemory(wanted));
  }
  /** Price levels over all books and sides. */
  get priceLevels(): number {
    return this.x.priceLevels();
  }
  /** Bytes of the id -> order index table (for memory reports). */
  orderIndexBytes(): number {
    return this.x.orderIndexBytes();
  }
  /** The id index's entries' distances from their homes, summed (the probes its lookups pay; for the tests). */
  orderIndexDisplacement(): number {
    return this.x.orderIndexDisplacement();
  }
  /** The most entries one insert has moved from the id index's old table to its grown one (for the tests). */
  orderIndexMostMigrated(): number {
    return this.x.orderIndexMostMigrated();
  }
  /** The id index's current table's slots (orderIndexBytes also counts a table being emptied or readied; for the tests). */
  orderIndexSlots(): number {
    return this.x.orderIndexSlots();
  }
  /** Bytes of the (side, price) -> level map: its current table, and one being emptied or readied (for the tests). */
  levelMapBytes(): number {
    return this.x.levelMapBytes();
  }
  /** The level map's current table's slots (for the tests). */
  levelMapSlots(): number {
    return this.x.levelMapSlots();
  }
  /** The level map's entries over its tables: one a level (for the tests). */
  levelMapEntries(): number {
    return this.x.levelMapEntries();
  }
  /** Whether the level map finds the level at this price of an asset's side (for the tests). */
  levelMapFinds(asset: number, side: number, price: number): boolean {
    return this.x.levelMapFinds(asset, side, price) !== 0;
  }
  /** Bytes of the trader -> index map: its current table, and one being emptied or readied (for the tests). */
  traderMapBytes(): number {
    return this.x.traderMapBytes();
  }
  /** The trader map's current table's slots (for the tests). */
  traderMapSlots(): number {
    return this.x.traderMapSlots();
  }
  /** Whether the trader map finds a trader (for the tests). */
  traderMapFinds(trader: number): boolean {
    return this.x.traderMapFinds(trader) !== 0;
  }
  memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }
}

/**
 * CommandBatch records in the core's linear memory (engine.createBatch): the batch writes where
 * the core reads, so a submit copies nothing. Growth of linear memory leaves the view valid (a
 * shared memory grows in place); more commands than fit move the records to a bigger block; a
 * restore, which empties the core's heap, first copies them out, and they move back on next use.
 */
export class LinearStorage implements BatchStorage {
  /** What the finalizer frees (same object, updated in place). */
  readonly held = { block: 0, capacity: 0, generation: 0 };
  private records = new Float64Array(0);
  /** Records copied out by a restore, waiting to move back in. */
  private evacuated: Float64Array | null = null;
  onMove: (() => void) | undefined = undefined;
  inUse: (() => number) | undefined = undefined;

  constructor(readonly owner: WasmCore, capacity: number) {
    this.place(capacity, null, 0);
    owner.freeWhenCollected(this);
  }

  view(): Float64Array {
    if (this.evacuated !== null) {
      // Kept until placed: a CAPACITY here leaves the records copied out, to move in on a later use.
      this.place(this.held.capacity, this.evacuated, this.evacuated.length / COMMAND_SLOTS);
      this.evacuated = null;
    } else if (this.records.length === 0) {
      this.records = new Float64Array(this.owner.memoryBuffer(), this.held.block, this.held.capacity * COMMAND_SLOTS);
    }
    return this.records;
  }

  reserve(commands: number, keep: number): Float64Array {
    const current = this.view();
    if (commands <= this.held.capacity) return current;
    // The bigger block is taken before the old one is given back: without room for it (CAPACITY),
    // the batch keeps the block and the records it has. (Its allocation may grow memory, which
    // detaches `current`: the records to keep are copied out first.)
    const kept = current.slice(0, keep * COMMAND_SLOTS);
    const { block, capacity } = this.held;
    this.place(Math.max(commands, capacity * 2), kept, keep);
    this.owner.freeCommands(block, capacity);
    return this.records;
  }

  /** @internal a restore is about to empty the core's heap. */
  evacuate(): void {
    if (this.evacuated !== null || this.held.block === 0) return;
    // Only the records the batch holds: a big batch, cleared, costs a restore nothing.
    this.evacuated = this.view().slice(0, (this.inUse?.() ?? this.held.capacity) * COMMAND_SLOTS);
    this.owner.freeCommands(this.held.block, this.held.capacity);
    this.held.block = 0;
    this.onMove?.();
  }

  private place(capacity: number, copy: Float64Array | null, count: number): void {
    this.held.block = this.owner.allocCommands(capacity);
    this.held.capacity = capacity;
    this.held.generation = this.owner.generation;
    this.records = new Float64Array(this.owner.memoryBuffer(), this.held.block, capacity * COMMAND_SLOTS);
    if (copy !== null) this.records.set(copy.subarray(0, count * COMMAND_SLOTS));
  }
}
