// The binary command batch: the fast path into an engine, one call for many commands.
//
// A batch is a run of command records (src/operations.ts: COMMAND_SLOTS float64 slots each, the
// head packing the op and its enumerations), so the whole batch is one Float64Array. A batch made
// by `engine.createBatch()` lives in the engine's own memory (for the WASM core, its linear
// memory), and submitting it copies nothing; `new CommandBatch()` lives on the JS heap and is
// copied in when submitted, to whichever engine.
//
// Results, written by the engine into memory it reuses between calls:
//   per command, RESULT_SLOTS: status | reason << 4, orderId, filled, remaining, spent
//     (cancelAll: `filled` holds how many orders it cancelled; `spent` is a budget market
//     order's; an OCO's are its limit leg's, its stop leg being orderId + 1)
//   per fill,    FILL_SLOTS:   commandIndex * 2 + takerSide, asset, makerOrderId, takerOrderId,
//                              makerTrader, takerTrader, price, size
//   per event,   EVENT_SLOTS:  see src/events.ts
// A fill's timestamp is its command's timestamp.
import { LobError, invalidArgument } from './errors.js';
import { Head as H, Op as O, Slot as S, Slots } from './js-core/codes.js';
import { Smi, smallInteger } from './js-core/small-integer.js';
import { EventList, outOfRange } from './events.js';
import { ORDER_STATUS, REJECT_REASONS, SIDES, STP_MODES, StatusCode, TIME_IN_FORCE } from './codes.js';
import {
  COMMAND_BYTES, COMMAND_SLOTS, OPERATIONS, RULE_TEXT, Rule, Slot, batchFaultError, checkRequest, checkedRecord, findBatchFault, isNonNegativeSafeInteger, operation,
  type FieldSpec, type OperationSpec, type RequestOf,
} from './operations.js';
import type { Fill, OrderStatus, RejectReason, SelfTradePrevention, Side, TimeInForce } from './types.js';

export { COMMAND_BYTES, COMMAND_SLOTS } from './operations.js';
export const RESULT_SLOTS = 5;
export const FILL_SLOTS = 8;

/**
 * Where a batch keeps its records. The JS heap by default; an engine may hand out storage in its
 * own memory, which it can read without a copy. That memory may grow (a view of an ordinary
 * buffer is then detached) or be emptied by a restore (the records move): `view()` always returns a current one, and a move
 * that leaves an old view attached is announced through `onMove`.
 */
export interface BatchStorage {
  /** The current view of the records. */
  view(): Float64Array;
  /** A view with room for at least `commands` records, the first `keep` records preserved. */
  reserve(commands: number, keep: number): Float64Array;
  /**
   * Set by the batch over this storage: called when the records move without the batch asking
   * (a restore empties the core's heap), so the batch's builders need no per-command check.
   */
  onMove?: () => void;
  /** Set by the batch over this storage: how many records it holds (all others need not survive a move). */
  inUse?: () => number;
  /** The engine whose memory holds the records (undefined: the JS heap). */
  readonly owner?: object;
}

/** @internal What CommandBatch.appendFrom reads: a decoder of whole records (src/state/command-codec.ts). */
export interface RecordSource {
  next(into: Float64Array, o: number): number;
}

const METHOD_NAMES = OPERATIONS.map((spec) => spec.method).join(', ');

/**
 * The most commands a batch holds, 2^27 - 1 (12.9 GB of records; a WASM engine's 4 GiB holds
 * fewer). Below it every slot offset of a batch is under 2^31, and CommandBatch.next masks its
 * count with it: V8 then knows the offset is a small non-negative integer and writes each slot
 * without an overflow check (18 instructions a command fewer in the bench's encoding on steady).
 */
const enum Batch { MAX_COMMANDS = 0x7ffffff }
export const MAX_BATCH_COMMANDS = Batch.MAX_COMMANDS;

/**
 * Room for `commands` records on the JS heap. More than MAX_BATCH_COMMANDS, or a length the
 * process cannot allocate (a RangeError from the typed array), is CAPACITY, the code the WASM core
 * gives a batch its memory cannot hold, so both engines refuse an oversized batch alike.
 */
export function heapCommandRecords(commands: number, outcome: string): Float64Array {
  const refused = (): LobError => new LobError('CAPACITY', `no room for a batch of ${commands} commands in this process's memory; ${outcome}`);
  if (commands > Batch.MAX_COMMANDS) throw refused();
  try {
    return new Float64Array(commands * COMMAND_SLOTS);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw refused();
  }
}

/**
 * Heap records grown to hold `wanted` commands, the first `keep` of `records` copied: twice as
 * many as before where that is more, but never past MAX_BATCH_COMMANDS for the doubling's sake.
 */
export function grownHeapRecords(records: Float64Array, wanted: number, keep: number): Float64Array {
  const doubled = Math.min(Batch.MAX_COMMANDS, (records.length / COMMAND_SLOTS) * 2);
  const grown = heapCommandRecords(Math.max(wanted, doubled), 'the batch is as it was');
  grown.set(records.subarray(0, keep * COMMAND_SLOTS));
  return grown;
}

/** Records on the JS heap, grown by doubling. */
class HeapStorage implements BatchStorage {
  constructor(private records: Float64Array) {}

  view(): Float64Array {
    return this.records;
  }

  reserve(commands: number, keep: number): Float64Array {
    if (commands * COMMAND_SLOTS <= this.records.length) return this.records;
    this.records = grownHeapRecords(this.records, commands, keep);
    return this.records;
  }
}

const NO_RECORDS = new Float64Array(0);

// The builders name slots, op codes and head bits through the JS core's const enums (src/js-core/codes.ts,
// checked against this table by test/codes.test.ts), which tsc writes as number literals: an
// imported binding is a module-cell load with a hole check at every use, and a literal makes the
// bytecode smaller too. V8 inlines a caller's builder calls only up to a total bytecode size
// (920 bytes, each callee counted 1.2x when it is weighed), so the smaller the builders, the more
// of a caller's encoding loop is inlined: at 1,413 bytes for limit, cancel and market with their
// helpers, the bench's loop called market out of line.

// The builders test each numeric argument with typeof and nothing more: the record's Float64Array
// would turn '2', true, null or [4] into a number the core's validation then accepts, where the
// per-call API refuses them. Range and integer rules stay with the core's validation of the batch.
/** A builder's numeric parameters in order: the names the table gives them, and what each must be. */
interface NumericParams {
  readonly names: readonly string[];
  readonly texts: readonly string[];
}
function paramsOf(method: OperationSpec['method'], names: readonly string[]): NumericParams {
  const fields = operation(method).fields;
  return { names, texts: names.map((name) => RULE_TEXT[(fields.find((f) => f.name === name) as FieldSpec).rule]) };
}
const LIMIT_PARAMS = paramsOf('placeLimit', ['trader', 'asset', 'price', 'size', 'timestamp', 'clientOrderId']);
const MARKET_PARAMS = paramsOf('placeMarket', ['trader', 'asset', 'size', 'timestamp', 'protectionPrice', 'clientOrderId']);
const BUDGET_PARAMS = paramsOf('placeMarket', ['trader', 'asset', 'budget', 'timestamp', 'protectionPrice', 'clientOrderId']);
const STOP_PARAMS = paramsOf('placeStop',
  ['trader', 'asset', 'size', 'stopPrice', 'timestamp', 'price', 'protectionPrice', 'clientOrderId']);
const OCO_PARAMS = paramsOf('placeOco',
  ['trader', 'asset', 'size', 'price', 'stopPrice', 'timestamp', 'stopLimitPrice', 'clientOrderId']);
const CANCEL_PARAMS = paramsOf('cancel', ['trader', 'asset', 'orderId']);
const REDUCE_PARAMS = paramsOf('reduce', ['trader', 'asset', 'orderId', 'by']);
const MODIFY_PARAMS = paramsOf('modify', ['trader', 'asset', 'orderId', 'price', 'size', 'timestamp']);
const CANCEL_ALL_PARAMS = paramsOf('cancelAll', ['trader', 'asset']);
// push writes any op, so its slots go by its own parameter names; the core checks the rest.
const PUSH_NAMES = ['head', 'trader', 'asset', 'orderId', 'price', 'size', 'timestamp', 'clientOrderId', 'triggerPrice', 'budget', 'secondPrice'];
const PUSH_PARAMS: NumericParams = { names: PUSH_NAMES, texts: PUSH_NAMES.map(() => 'a number') };

/**
 * The INVALID_ARGUMENT for the first of `values` that is not a number, named as the core's batch
 * validation names it. Out of line and given the values only once one failed, so a builder's
 * common path is its typeof tests alone.
 */
function notANumber(index: number, params: NumericParams, values: readonly unknown[]): LobError {
  const k = values.findIndex((value) => typeof value !== 'number');
  return invalidArgument(`commands[${index}].${params.names[k]}`, params.texts[k], values[k]);
}

// What a builder refused, found out of line from its arguments as given (an optional number left
// out counts as its default 0): each builder's cold path is then one call with its own arguments,
// which is less bytecode than an array of them and a second throw for the enumerations (the
// builders' size decides how many V8 inlines into a caller's loop, above).
function refusal(
  index: number, params: NumericParams, values: readonly unknown[], side: Side, timeInForce: TimeInForce | undefined,
  stp: SelfTradePrevention | undefined,
): LobError {
  return values.some((value) => typeof value !== 'number') ? notANumber(index, params, values) : badEnum(index, side, timeInForce, stp);
}
const orZero = (value: unknown): unknown => (value === undefined ? 0 : value);
function limitRefusal(
  index: number, trader: unknown, asset: unknown, side: Side, price: unknown, size: unknown, timestamp: unknown,
  timeInForce: TimeInForce | undefined, stp: SelfTradePrevention | undefined, clientOrderId: unknown,
): LobError {
  return refusal(index, LIMIT_PARAMS, [trader, asset, price, size, timestamp, orZero(clientOrderId)], side, timeInForce, stp);
}
function marketRefusal(
  index: number, params: NumericParams, trader: unknown, asset: unknown, side: Side, amount: unknown, timestamp: unknown,
  protectionPrice: unknown, stp: SelfTradePrevention | undefined, clientOrderId: unknown,
): LobError {
  return refusal(index, params, [trader, asset, amount, timestamp, orZero(protectionPrice), orZero(clientOrderId)], side, undefined, stp);
}
/**
 * marketBudget's refusal. Besides marketRefusal's, a budget of 0: its record would be a market
 * order given neither size nor budget, which the batch's validation refuses naming size, a
 * field this caller never passed. So it is refused here, naming budget as placeMarket does.
 */
function budgetRefusal(
  index: number, trader: unknown, asset: unknown, side: Side, budget: unknown, timestamp: unknown,
  protectionPrice: unknown, stp: SelfTradePrevention | undefined, clientOrderId: unknown,
): LobError {
  if (budget !== 0 || [trader, asset, timestamp, protectionPrice, clientOrderId].some((value) => typeof value !== 'number')
    || sideBits(side) >= Bad.ENUM || stpBits(stp) >= Bad.ENUM) {
    return marketRefusal(index, BUDGET_PARAMS, trader, asset, side, budget, timestamp, protectionPrice, stp, clientOrderId);
  }
  // Positive, not the record slot's "(0 for none)": this builder's budget is the order's size.
  return invalidArgument(`commands[${index}].budget`, RULE_TEXT[Rule.POSITIVE], budget);
}
function stopRefusal(
  index: number, trader: unknown, asset: unknown, side: Side, size: unknown, stopPrice: unknown, timestamp: unknown,
  price: unknown, timeInForce: TimeInForce | undefined, protectionPrice: unknown, stp: SelfTradePrevention | undefined,
  clientOrderId: unknown,
): LobError {
  return refusal(index, STOP_PARAMS, [trader, asset, size, stopPrice, timestamp, orZero(price), orZero(protectionPrice), orZero(clientOrderId)],
    side, timeInForce, stp);
}
function idRefusal(index: number, params: NumericParams, trader: unknown, asset: unknown, orderId: unknown, by: unknown): LobError {
  return notANumber(index, params, params === CANCEL_PARAMS ? [trader, asset, orderId] : [trader, asset, orderId, by]);
}

/** Builds a batch; reuse it with clear() to allocate nothing per command. */
export class CommandBatch {
  /**
   * The records as last taken from the storage. Empty (length 0) whenever they must be taken
   * again: growth detached the view, or the storage moved them (onMove). So one length
   * check per command covers every way the records can go stale.
   */
  private records: Float64Array;
  private used = 0;
  /**
   * Whether every record since clear() came from a builder that found its command well formed by
   * the batch validation's own rules (src/operations.ts): the engine then skips that pass, which
   * took 178 instructions a command of the WASM core's ~600 on steady (bench/README.md, stop 62).
   * A builder finding a value it cannot vouch for only clears this; the engine's check then names
   * the field as before. Records anyone else could have written are never trusted: see `exposed`.
   */
  private trusted = true;
  /**
   * Set for good once a view of the records left the batch (view, slots, bytes, the results'
   * `commands`) or the storage is not the batch's or an engine's own: whoever holds such a view
   * may write into records a builder checked, and the engine would run them unchecked.
   */
  private exposed = false;
  /** @internal where the records live; engines look at its owner to skip the copy. */
  readonly storage: BatchStorage;

  constructor(initialCommands = 1024, storage?: BatchStorage) {
    // Unchecked, '5' and 1.5 made a batch of some other size without a word, and 5n threw a
    // TypeError. An engine's createBatch checked its count already (and refuses 0, which here is
    // an empty batch that grows).
    if (storage === undefined && !isNonNegativeSafeInteger(initialCommands)) {
      throw invalidArgument('commands', 'a non-negative safe integer', initialCommands);
    }
    this.storage = storage ?? new HeapStorage(heapCommandRecords(Math.max(1, initialCommands), 'no batch was made'));
    // A caller's own storage hands the caller the records: an engine vouches for its own (ownStorage).
    if (storage !== undefined) this.expose();
    this.records = this.storage.view();
    this.storage.onMove = () => {
      this.records = NO_RECORDS;
    };
    this.storage.inUse = () => this.used;
  }

  /** @internal An engine's createBatch: the storage is the engine's, and no view of it has left. */
  ownStorage(): this {
    this.exposed = false;
    this.trusted = this.used === 0;
    return this;
  }

  /** @internal Whether the engine may skip the batch check: see `trusted`. */
  get checked(): boolean {
    return this.trusted && !this.exposed;
  }

  /** @internal A view handed to the caller: the records are never trusted again. */
  expose(): void {
    this.exposed = true;
    this.trusted = false;
  }

  /** @internal The current records for an engine to read (view() without handing them out). */
  readRecords(): Float64Array {
    if (this.records.length === 0) this.records = this.storage.view();
    return this.records;
  }

  /** Wraps encoded commands (a journal record, bytes from the wire); the bytes are copied. */
  static fromBytes(bytes: Uint8Array): CommandBatch {
    // Another view of the same length would be copied element by element, not byte by byte.
    if (!(bytes instanceof Uint8Array)) throw invalidArgument('batch', 'a Uint8Array', bytes);
    if (bytes.byteLength % COMMAND_BYTES !== 0) {
      throw invalidArgument('batch', `a multiple of ${COMMAND_BYTES} bytes long`, bytes.byteLength);
    }
    const count = bytes.byteLength / COMMAND_BYTES;
    const batch = new CommandBatch(count);
    new Uint8Array(batch.records.buffer, batch.records.byteOffset, bytes.byteLength).set(bytes);
    batch.used = count;
    batch.trusted = false;
    return batch;
  }

  get count(): number {
    return this.used;
  }

  /** Every record's slots, current (the memory behind an engine's batch may have moved); at least count * COMMAND_SLOTS long. */
  view(): Float64Array {
    this.expose();
    return this.readRecords();
  }

  /** The encoded commands; a view, valid until the batch is changed. */
  get slots(): Float64Array {
    return this.view().subarray(0, this.used * COMMAND_SLOTS);
  }

  /** The encoded commands as bytes (a view). */
  bytes(): Uint8Array {
    const view = this.view();
    return new Uint8Array(view.buffer, view.byteOffset, this.used * COMMAND_BYTES);
  }

  /**
   * Makes room for `commands` records now, and moves back records a restore of the engine moved
   * out: the builder calls that follow then do neither (a timed loop's first one would). Unlike
   * view(), it hands out no records, so the engine may still skip its check (see `trusted`).
   */
  reserve(commands: number): this {
    if (!isNonNegativeSafeInteger(commands)) throw invalidArgument('commands', 'a non-negative safe integer', commands);
    this.records = this.storage.reserve(Math.max(commands, this.used, 1), this.used);
    return this;
  }

  clear(): this {
    this.used = 0;
    this.trusted = true;
    this.clears++;
    return this;
  }

  /**
   * @internal How many times clear() ran. Results read their batch's records for timestamps and
   * OCO statuses: once it was cleared, the records they answered may be another batch's.
   */
  clears = 0;

  /**
   * Writes a new record's head and the fields every order command has; the caller adds its own
   * slots at the offset returned. limit, market and stop, the builders a caller's loop calls most,
   * write these out themselves: V8 weighs a callee inlined into an inlined builder at 1.2x its size
   * against the loop's budget (the head of this file), and written out the three fit in the
   * bench's encoding loop together.
   */
  private order(head: number, trader: number, asset: number, price: number, size: number, timestamp: number, clientOrderId: number): number {
    // push, marketBudget and oco: records the builders' checks do not vouch for.
    this.trusted = false;
    const o = this.next();
    const r = this.records;
    r[o] = head;
    r[o + S.TRADER] = trader;
    r[o + S.ASSET] = asset;
    r[o + S.PRICE] = price;
    r[o + S.SIZE] = size;
    r[o + S.TIMESTAMP] = timestamp;
    r[o + S.CLIENT_ORDER_ID] = clientOrderId;
    return o;
  }

  // The optional numbers are `?:` rather than defaults (`= 0`): a default makes the parameter list
  // non-simple, and the bytecode then starts by copying every argument to a register of its own.
  limit(
    trader: number, asset: number, side: Side, price: number, size: number, timestamp: number,
    timeInForce?: TimeInForce, stp?: SelfTradePrevention, clientOrderId?: number,
  ): this {
    const head = O.LIMIT | sideBits(side) | tifBits(timeInForce) | stpBits(stp);
    if (typeof trader !== 'number' || typeof asset !== 'number' || typeof price !== 'number' || typeof size !== 'number'
      || typeof timestamp !== 'number' || (clientOrderId !== undefined && typeof clientOrderId !== 'number') || head >= H.LIMIT) {
      throw limitRefusal(this.used, trader, asset, side, price, size, timestamp, timeInForce, stp, clientOrderId);
    }
    if (!orderSound(trader, asset, price, size, timestamp, clientOrderId)) this.trusted = false;
    const o = this.next();
    const r = this.records;
    r[o] = head;
    r[o + S.TRADER] = trader;
    r[o + S.ASSET] = asset;
    r[o + S.PRICE] = price;
    r[o + S.SIZE] = size;
    r[o + S.TIMESTAMP] = timestamp;
    r[o + S.CLIENT_ORDER_ID] = clientOrderId === undefined ? 0 : clientOrderId;
    return this;
  }

  /** protectionPrice 0 means none. */
  market(
    trader: number, asset: number, side: Side, size: number, timestamp: number,
    protectionPrice?: number, stp?: SelfTradePrevention, clientOrderId?: number,
  ): this {
    const head = O.MARKET | sideBits(side) | stpBits(stp);
    if (typeof trader !== 'number' || typeof asset !== 'number' || typeof size !== 'number' || typeof timestamp !== 'number'
      || (protectionPrice !== undefined && typeof protectionPrice !== 'number')
      || (clientOrderId !== undefined && typeof clientOrderId !== 'number') || head >= H.LIMIT) {
      throw marketRefusal(this.used, MARKET_PARAMS, trader, asset, side, size, timestamp, protectionPrice, stp, clientOrderId);
    }
    // A positive size, as orderSound asks: with the budget 0, the cross rule (size or budget) needs one.
    if (!orderSound(trader, asset, protectionPrice === undefined ? 1 : protectionPrice, size, timestamp, clientOrderId)) this.trusted = false;
    const o = this.next();
    const r = this.records;
    r[o] = head;
    r[o + S.TRADER] = trader;
    r[o + S.ASSET] = asset;
    r[o + S.PRICE] = protectionPrice === undefined ? 0 : protectionPrice;
    r[o + S.SIZE] = size;
    r[o + S.TIMESTAMP] = timestamp;
    r[o + S.CLIENT_ORDER_ID] = clientOrderId === undefined ? 0 : clientOrderId;
    r[o + S.BUDGET] = 0;
    return this;
  }

  /** A market order sized by what it may spend (a buy) or take in (a sell); protectionPrice 0 means none. */
  marketBudget(
    trader: number, asset: number, side: Side, budget: number, timestamp: number,
    protectionPrice = 0, stp?: SelfTradePrevention, clientOrderId = 0,
  ): this {
    const head = O.MARKET | sideBits(side) | stpBits(stp);
    if (typeof trader !== 'number' || typeof asset !== 'number' || typeof budget !== 'number' || typeof timestamp !== 'number'
      || typeof protectionPrice !== 'number' || typeof clientOrderId !== 'number' || head >= H.LIMIT || budget === 0) {
      throw budgetRefusal(this.used, trader, asset, side, budget, timestamp, protectionPrice, stp, clientOrderId);
    }
    const o = this.order(head, trader, asset, protectionPrice, 0, timestamp, clientOrderId);
    this.records[o + S.BUDGET] = budget;
    return this;
  }

  /**
   * A stop order: price 0 makes it a stop-market (protectionPrice 0: none), a price a stop-limit
   * (with its time in force once triggered).
   */
  stop(
    trader: number, asset: number, side: Side, size: number, stopPrice: number, timestamp: number,
    price?: number, timeInForce?: TimeInForce, protectionPrice?: number, stp?: SelfTradePrevention, clientOrderId?: number,
  ): this {
    const head = O.STOP | sideBits(side) | tifBits(timeInForce) | stpBits(stp);
    if (typeof trader !== 'number' || typeof asset !== 'number' || typeof size !== 'number' || typeof stopPrice !== 'number'
      || typeof timestamp !== 'number' || (price !== undefined && typeof price !== 'number')
      || (protectionPrice !== undefined && typeof protectionPrice !== 'number')
      || (clientOrderId !== undefined && typeof clientOrderId !== 'number') || head >= H.LIMIT) {
      throw stopRefusal(this.used, trader, asset, side, size, stopPrice, timestamp, price, timeInForce, protectionPrice, stp, clientOrderId);
    }
    if (!stopSound(trader, asset, size, stopPrice, timestamp, price, protectionPrice, clientOrderId, head)) this.trusted = false;
    const o = this.next();
    const r = this.records;
    r[o] = head;
    r[o + S.TRADER] = trader;
    r[o + S.ASSET] = asset;
    r[o + S.PRICE] = price === undefined ? 0 : price;
    r[o + S.SIZE] = size;
    r[o + S.TIMESTAMP] = timestamp;
    r[o + S.CLIENT_ORDER_ID] = clientOrderId === undefined ? 0 : clientOrderId;
    r[o + S.TRIGGER_PRICE] = stopPrice;
    r[o + S.SECOND_PRICE] = protectionPrice === undefined ? 0 : protectionPrice;
    return this;
  }

  /** An OCO pair: a limit leg at `price` and a stop leg at `stopPrice` (a stop-limit at stopLimitPrice, 0: a stop-market). */
  oco(
    trader: number, asset: number, side: Side, size: number, price: number, stopPrice: number, timestamp: number,
    stopLimitPrice = 0, stp?: SelfTradePrevention, clientOrderId = 0,
  ): this {
    if (typeof trader !== 'number' || typeof asset !== 'number' || typeof size !== 'number' || typeof price !== 'number'
      || typeof stopPrice !== 'number' || typeof timestamp !== 'number' || typeof stopLimitPrice !== 'number'
      || typeof clientOrderId !== 'number') {
      throw notANumber(this.used, OCO_PARAMS, [trader, asset, size, price, stopPrice, timestamp, stopLimitPrice, clientOrderId]);
    }
    const head = O.OCO | sideBits(side) | stpBits(stp);
    if (head >= H.LIMIT) throw badEnum(this.used, side, undefined, stp);
    const o = this.order(head, trader, asset, price, size, timestamp, clientOrderId);
    const r = this.records;
    r[o + S.TRIGGER_PRICE] = stopPrice;
    r[o + S.SECOND_PRICE] = stopLimitPrice;
    return this;
  }

  cancel(trader: number, asset: number, orderId: number): this {
    if (typeof trader !== 'number' || typeof asset !== 'number' || typeof orderId !== 'number') {
      throw idRefusal(this.used, CANCEL_PARAMS, trader, asset, orderId, 0);
    }
    // orderSound's tests for cancel's fields, written out: cancel then stays small enough to be
    // inlined into a caller's loop beside limit.
    if (!(1 / Math.min(trader, asset, orderId - 1) > 0 && whole(trader) && whole(asset) && whole(orderId))) this.trusted = false;
    const o = this.next();
    const r = this.records;
    r[o] = O.CANCEL;
    r[o + S.TRADER] = trader;
    r[o + S.ASSET] = asset;
    r[o + S.ORDER_ID] = orderId;
    return this;
  }

  reduce(trader: number, asset: number, orderId: number, by: number): this {
    if (typeof trader !== 'number' || typeof asset !== 'number' || typeof orderId !== 'number' || typeof by !== 'number') {
      throw idRefusal(this.used, REDUCE_PARAMS, trader, asset, orderId, by);
    }
    if (!orderSound(trader, asset, orderId, by, 0, undefined)) this.trusted = false;
    const o = this.next();
    const r = this.records;
    r[o] = O.REDUCE;
    r[o + S.TRADER] = trader;
    r[o + S.ASSET] = asset;
    r[o + S.ORDER_ID] = orderId;
    r[o + S.SIZE] = by;
    return this;
  }

  /** price or size 0 means unchanged. */
  modify(trader: number, asset: number, orderId: number, price: number, size: number, timestamp: number): this {
    // Tested here too, so an error names the fields as the table has them for modify, not push's
    // slots; once inlined, the compiler drops push's repeat of the same tests.
    if (typeof trader !== 'number' || typeof asset !== 'number' || typeof orderId !== 'number' || typeof price !== 'number'
      || typeof size !== 'number' || typeof timestamp !== 'number') {
      throw notANumber(this.used, MODIFY_PARAMS, [trader, asset, orderId, price, size, timestamp]);
    }
    return this.push(O.MODIFY, trader, asset, orderId, price, size, timestamp);
  }

  /** Cancels every resting order of `trader` in `asset`, or in every asset when `asset` is undefined (not null). */
  cancelAll(trader: number, asset?: number): this {
    if (typeof trader !== 'number' || (typeof asset !== 'number' && asset !== undefined)) {
      throw notANumber(this.used, CANCEL_ALL_PARAMS, [trader, asset === undefined ? 0 : asset]);
    }
    this.trusted = false;
    const o = this.next();
    const r = this.records;
    r[o] = asset === undefined ? O.CANCEL_ALL | H.ALL_ASSETS : O.CANCEL_ALL;
    r[o + S.TRADER] = trader;
    r[o + S.ASSET] = asset ?? 0;
    return this;
  }

  /**
   * Appends a request in the engine's per-call vocabulary (`request('placeStop', { ... })`),
   * checked as the engine checks it: INVALID_ARGUMENT naming the field, and nothing appended.
   */
  request<M extends OperationSpec['method']>(method: M, req: RequestOf[M]): this {
    // checkRequest is a plain object: an inherited name ('toString', 'constructor') is a function
    // that writes nothing into REQUEST and would append the previous request's record again.
    if (!Object.hasOwn(checkRequest, method)) throw invalidArgument('method', `one of ${METHOD_NAMES}`, method);
    // Checked and written in one pass (operations.ts, checkRequest), then put after the last record:
    // a refused request adds nothing, and a getter that adds to this batch meanwhile keeps its record.
    checkRequest[method](req);
    this.trusted = false;
    const o = this.next();
    this.records.set(checkedRecord, o);
    return this;
  }

  /**
   * Appends one raw record (src/operations.ts layout: the head and then the slots in order); the
   * builders above are the usual way in. Each value must be a number (INVALID_ARGUMENT naming
   * `commands[i].<parameter>` otherwise, nothing appended); the rest is checked when the engine
   * runs the batch.
   */
  push(
    head: number, trader: number, asset: number, orderId: number, price: number, size: number, timestamp: number,
    clientOrderId = 0, triggerPrice = 0, budget = 0, secondPrice = 0,
  ): this {
    if (typeof head !== 'number' || typeof trader !== 'number' || typeof asset !== 'number' || typeof orderId !== 'number'
      || typeof price !== 'number' || typeof size !== 'number' || typeof timestamp !== 'number'
      || typeof clientOrderId !== 'number' || typeof triggerPrice !== 'number' || typeof budget !== 'number'
      || typeof secondPrice !== 'number') {
      throw notANumber(this.used, PUSH_PARAMS,
        [head, trader, asset, orderId, price, size, timestamp, clientOrderId, triggerPrice, budget, secondPrice]);
    }
    const o = this.order(head, trader, asset, price, size, timestamp, clientOrderId);
    const r = this.records;
    r[o + S.ORDER_ID] = orderId;
    r[o + S.TRIGGER_PRICE] = triggerPrice;
    r[o + S.BUDGET] = budget;
    r[o + S.SECOND_PRICE] = secondPrice;
    r[o + S.RESERVED] = 0;
    return this;
  }

  /**
   * @internal Appends a record that `source` writes whole (every slot) at records[o..] and returns
   * -1 for; anything else it returns (a journal's height change) appends nothing and is passed on.
   * A journal replay decodes straight into the batch this way, with no record copied.
   */
  appendFrom(source: RecordSource): number {
    const o = this.used * Slots.COMMAND;
    if (o + Slots.COMMAND > this.records.length) this.grow();
    const result = source.next(this.records, o);
    if (result < 0) this.used++;
    this.trusted = false;
    return result;
  }

  /** The slot offset of a new record at the end. */
  private next(): number {
    // The mask changes nothing (no batch holds more than Batch.MAX_COMMANDS) but what V8 knows.
    const used = this.used & Batch.MAX_COMMANDS;
    const o = used * Slots.COMMAND;
    // Stale records (detached or moved) have length 0 and land here too.
    if (o + Slots.COMMAND > this.records.length) this.grow();
    this.used = used + 1;
    return o;
  }

  /** Out of line, so the builders' common path stays small enough to inline into a caller's loop. */
  private grow(): void {
    this.records = this.storage.reserve(this.used + 1, this.used);
  }
}

// The head's bits for the builders. Orders arrive in any mix of sides, so a branch on the side
// mispredicts about every other command (about 2 ns a command on steady): the bits are computed
// from the comparisons without branching. A value outside its enumeration sets Bad.ENUM, a bit
// above every valid head, so a builder tests its whole head once (`head >= H.LIMIT`, never taken)
// and badEnum, out of line, works out which field it was; the helpers stay small enough for V8 to
// inline without weighing them against its budget. They are constants, not function declarations:
// a module's function declaration is a binding that may be reassigned, and V8 checked at every
// inlined call that it still held the same function (7 instructions a command in the bench's
// encoding on steady).
const enum Bad { ENUM = 1 << 20 }

// The batch check's field rules (src/operations.ts, Rule; assembly/operations.ts meetsRule) as the
// builders test them to vouch for their records (CommandBatch.trusted). Conservative: a value they
// do not vouch for (a market order's explicit protection price 0 among them) only sends the batch
// through the engine's check, which then decides and names the field.
/** Number.isSafeInteger under a name of this module's: a shorter call in the builders' bytecode. */
const whole = Number.isSafeInteger;
/**
 * Whether an order's record meets every field rule of the batch check: trader, asset and timestamp
 * whole from 0, price and size whole from 1, clientOrderId 0 (or absent) or whole from 1 (a market
 * order's absent protection price passed as 1), none above 2^53 - 1 and none -0. One call a builder,
 * and no helper calls in it but the builtin's: every function V8 inlines into a builder counts
 * against the caller loop's inlining budget (the head of this file), and per-field helpers pushed
 * `limit` out of the bench's loop. On the small integers of a typed array V8 folds every test but
 * the first.
 */
function orderSound(trader: number, asset: number, price: number, size: number, timestamp: number, clientOrderId: number | undefined): boolean {
  const cid = clientOrderId === undefined ? 0 : clientOrderId;
  // 1 / -0 is -Infinity, and Math.min takes -0 below 0: one test for the lower bounds and -0; NaN fails it.
  return 1 / Math.min(trader, asset, timestamp, cid, price - 1, size - 1) > 0
    && whole(trader) && whole(asset) && whole(timestamp) && whole(cid) && whole(price) && whole(size);
}
/** stop's record: orderSound's rules (its stop price as the price), its price and protection price, and the cross rule (a stop-limit takes no protection price, a stop-market no time in force). */
function stopSound(
  trader: number, asset: number, size: number, stopPrice: number, timestamp: number, price: number | undefined,
  protectionPrice: number | undefined, clientOrderId: number | undefined, head: number,
): boolean {
  if (price === undefined || price === 0) {
    return ((head >> H.TIF_SHIFT) & 15) === 0 && orderSound(trader, asset, stopPrice, size, timestamp, clientOrderId)
      && orderSound(0, 0, 1, 1, price ?? 0, protectionPrice);
  }
  return (protectionPrice === undefined || protectionPrice === 0) && orderSound(trader, asset, stopPrice, size, timestamp, clientOrderId)
    && orderSound(0, 0, price, 1, 0, protectionPrice);
}
const sideBits = (side: Side): number => {
  const ask = +(side === 'ask');
  return (ask << H.SIDE_SHIFT) | (((ask | +(side === 'bid')) ^ 1) * Bad.ENUM);
};
const tifBits = (timeInForce: TimeInForce | undefined): number => {
  // undefined (GTC, and every stop-market) is answered before any comparison with a string. A
  // comparison that has seen undefined as well as strings has generic feedback: once one
  // stop-market had passed through, the optimized builders deoptimized and then called V8's
  // StrictEqual builtin for each of these comparisons, on every later limit order (1.5 calls a
  // command on steady-stops, whose prelude parks stop-markets). `=== undefined` collects none.
  //
  // GTC, the default, is answered next, by a branch: unlike the side, the time in force is the
  // same on most orders (every limit of the bench's steady, sweep and many-assets), so the branch
  // predicts, and a GTC order skips the three comparisons below and the final test for 'GTC'
  // (a limit order in the bench's encoding on steady took 199 instructions, now 179;
  // bench/README.md, stop 54).
  if (timeInForce === undefined || timeInForce === 'GTC') return 0;
  const code = +(timeInForce === 'IOC') | (+(timeInForce === 'FOK') << 1) | (+(timeInForce === 'POST_ONLY') * 3);
  return code !== 0 ? code << H.TIF_SHIFT : Bad.ENUM;
};
const stpBits = (stp: SelfTradePrevention | undefined): number => (stp === undefined ? 0 : stpCode(stp));
function stpCode(stp: SelfTradePrevention): number {
  const code = typeof stp === 'string' ? STP_MODES.indexOf(stp) : -1;
  return code < 0 ? Bad.ENUM : code << H.STP_SHIFT;
}

/**
 * The INVALID_ARGUMENT for command `index` whose head came out with Bad.ENUM: the first of its
 * side, time in force and STP that is outside its enumeration, named as the batch's validation
 * names a field (`commands[i].side`).
 */
function badEnum(index: number, side: Side, timeInForce: TimeInForce | undefined, stp: SelfTradePrevention | undefined): LobError {
  if (sideBits(side) >= Bad.ENUM) return enumError(index, 'side', SIDES, side);
  if (tifBits(timeInForce) >= Bad.ENUM) return enumError(index, 'timeInForce', TIME_IN_FORCE, timeInForce);
  return enumError(index, 'stp', STP_MODES, stp);
}

function enumError(index: number, field: string, allowed: readonly string[], value: unknown): LobError {
  return invalidArgument(`commands[${index}].${field}`, `one of ${allowed.join(', ')}`, value);
}

/** Throws the INVALID_ARGUMENT of the first malformed command, if any: the JS statement of the cores' check. */
export function validateBatch(slots: Float64Array, count: number): void {
  const fault = findBatchFault(slots, count);
  if (fault !== null) throw batchFaultError(slots, fault);
}

/**
 * What a submitBatch call produced. The engine owns one instance and overwrites it on the next
 * call, so reading it allocates nothing; copy out what must outlive the next batch.
 */
export class BatchResults {
  /** RESULT_SLOTS per command. */
  results: Float64Array = new Float64Array(0);
  /** FILL_SLOTS per fill, in the order the fills happened. */
  fills: Float64Array = new Float64Array(0);
  count = 0;
  fillCount = 0;
  /** Every change of a book the batch made, in order (src/events.ts). */
  readonly events = new EventList();
  /** The records of the commands these results answer (for fill timestamps). */
  private records: Float64Array = new Float64Array(0);
  /**
   * The commands these results answer. A view of their batch's records: once taken, the batch is
   * checked by the engine on every later submit (CommandBatch.trusted), as the view can write them.
   */
  get commands(): Float64Array {
    this.batch?.expose();
    return this.records;
  }
  /** The batch the commands are the records of, and its clear() count when they ran: see batchRecords. */
  private batch: CommandBatch | undefined = undefined;
  private clearsAtRun = 0;

  /** Engines call this after a batch ran; `batch`: the caller's batch whose records `commands` are, if any. */
  set(commands: Float64Array, results: Float64Array, count: number, fills: Float64Array, fillCount: number,
      events: Float64Array, eventCount: number, batch?: CommandBatch): void {
    this.records = commands;
    this.batch = batch;
    this.clearsAtRun = batch?.clears ?? 0;
    this.results = results;
    this.count = count;
    this.fills = fills;
    this.fillCount = fillCount;
    this.events.set(events, eventCount);
  }

  // Every accessor checks its index: past count (or fillCount) the engine's memory still holds an
  // earlier batch's records, or none at all, and each core answered differently. `i >>> 0 === i`
  // as well as `< count`: the one unsigned comparison alone lets NaN read command 0 and 1.5 command 1.
  /** The slot offset of command i's result, or INVALID_ARGUMENT naming i and the valid range. */
  private at(i: number): number {
    if (!((i >>> 0) === i && i < this.count)) throw outOfRange('i', 'a command', i, this.count);
    // A batch's count is at most Batch.MAX_COMMANDS: the mask changes nothing, and tells V8 that
    // the slot offsets need no overflow checks (as in CommandBatch.next).
    return (i & Batch.MAX_COMMANDS) * Slots.RESULT;
  }

  statusCode(i: number): number {
    return this.results[this.at(i)] & 15;
  }
  reasonCode(i: number): number {
    return this.results[this.at(i)] >> 4;
  }
  /** 'ok' for a successful cancel, reduce or cancelAll. */
  status(i: number): OrderStatus | 'ok' {
    const code = this.statusCode(i);
    return code === StatusCode.OK ? 'ok' : ORDER_STATUS[code] as OrderStatus;
  }
  reason(i: number): RejectReason | undefined {
    return REJECT_REASONS[this.reasonCode(i)];
  }
  orderId(i: number): number {
    return this.results[this.at(i) + 1];
  }
  filled(i: number): number {
    return this.results[this.at(i) + 2];
  }
  remaining(i: number): number {
    return this.results[this.at(i) + 3];
  }
  /** cancelAll: how many orders (resting and pending) it cancelled. */
  cancelled(i: number): number {
    return this.results[this.at(i) + 2];
  }
  /** A budget market order: what its fills cost. */
  spent(i: number): number {
    return this.results[this.at(i) + 4];
  }
  /**
   * An OCO: its stop leg's status ('pending', or 'cancelled' once the limit leg traded or left);
   * undefined when rejected, and for every command that is not an OCO.
   */
  stopStatus(i: number): OrderStatus | undefined {
    const o = this.at(i);
    // A limit order's result looks like an OCO's limit leg's: only the command tells them apart.
    if ((this.batchRecords('stopStatus')[i * Slots.COMMAND] & H.OP_MASK) !== O.OCO) return undefined;
    return ocoStopStatus(this.results[o] & 15, this.results[o + 2]);
  }
  /** The command's timestamp (0 for operations without one). */
  timestamp(i: number): number {
    this.at(i);
    // A cancel, reduce or cancelAll has no timestamp, and its record's slot is not cleared: a
    // builder writes only its own slots, so a reused batch still holds an earlier command's there.
    const commands = this.batchRecords('timestamp');
    const op = commands[i * Slots.COMMAND] & H.OP_MASK;
    if (op === O.CANCEL || op === O.REDUCE || op === O.CANCEL_ALL) return 0;
    return commands[i * COMMAND_SLOTS + Slot.TIMESTAMP];
  }

  /**
   * The commands' records, or INVALID_ARGUMENT if their batch was cleared since it ran: a
   * cleared batch's records are overwritten by the next commands built in it, and a timestamp
   * or OCO status read from them would be another command's, without a word.
   */
  private batchRecords(accessor: string): Float64Array {
    if (this.batch !== undefined && this.batch.clears !== this.clearsAtRun) {
      throw new LobError('INVALID_ARGUMENT', `results.${accessor}: the batch these results answer was cleared since it ran; read timestamps, OCO stop statuses and fills before clearing it`);
    }
    return this.records;
  }

  fillCommand(j: number): number {
    return Math.floor(this.fills[this.fillAt(j)] / 2);
  }
  /** A fill as an object: allocates, so meant for tests and tools rather than hot loops. */
  fill(j: number): Fill {
    const o = this.fillAt(j);
    return decodeFill(this.fills, j, this.batchRecords('fill')[Math.floor(this.fills[o] / 2) * COMMAND_SLOTS + Slot.TIMESTAMP]);
  }
  /** The slot offset of fill j, or INVALID_ARGUMENT naming j and the valid range. */
  private fillAt(j: number): number {
    if (!((j >>> 0) === j && j < this.fillCount)) throw outOfRange('j', 'a fill', j, this.fillCount);
    return j * Slots.FILL;
  }
}

/**
 * An OCO's stop leg status, which follows from its limit leg's outcome: the stop leg stays
 * pending only while the limit leg rests untouched (any fill, or the limit leg leaving, cancels it).
 */
export function ocoStopStatus(limitStatus: number, limitFilled: number): OrderStatus | undefined {
  if (limitStatus === StatusCode.REJECTED) return undefined;
  return limitStatus === StatusCode.RESTING && limitFilled === 0 ? 'pending' : 'cancelled';
}

/** SIDES as a module constant, which a fill's decoding reads without the import's cell and hole check. */
const SIDE_NAMES = SIDES;

/**
 * Fill j of a fill buffer (FILL_SLOTS layout) as an object; the timestamp is its command's. Its
 * numbers go in as small integers where they are: a field that first held a heap number (what a
 * Float64Array read gives, whole or not) keeps each value in a heap number of its own, seven more
 * allocations a fill (src/js-core/small-integer.ts). One test for all seven, then `| 0` on each:
 * 14 ns a fill where smallInteger on each took 19 (a scratch loop of 70-fill results).
 */
export function decodeFill(fills: Float64Array, j: number, timestamp: number): Fill {
  // Slots.FILL, a literal: FILL_SLOTS, an exported constant, is a module cell load, a hole check
  // and a small-integer check at every fill (bench/README.md, stop 53).
  const o = j * Slots.FILL;
  const asset = fills[o + 1];
  const makerOrderId = fills[o + 2];
  const takerOrderId = fills[o + 3];
  const makerTrader = fills[o + 4];
  const takerTrader = fills[o + 5];
  const price = fills[o + 6];
  const size = fills[o + 7];
  // Slot 0 is an integer below 2^53; ToInt32 keeps its parity, so & 1 is exact and cheaper than %.
  const takerSide = SIDE_NAMES[fills[o] & 1];
  // Every value of a fill is a non-negative integer.
  if (asset <= Smi.MAX && makerOrderId <= Smi.MAX && takerOrderId <= Smi.MAX && makerTrader <= Smi.MAX && takerTrader <= Smi.MAX &&
      price <= Smi.MAX && size <= Smi.MAX) {
    return {
      asset: asset | 0, makerOrderId: makerOrderId | 0, takerOrderId: takerOrderId | 0, makerTrader: makerTrader | 0,
      takerTrader: takerTrader | 0, takerSide, price: price | 0, size: size | 0, timestamp,
    };
  }
  return {
    asset: smallInteger(asset), makerOrderId: smallInteger(makerOrderId), takerOrderId: smallInteger(takerOrderId),
    makerTrader: smallInteger(makerTrader), takerTrader: smallInteger(takerTrader), takerSide, price: smallInteger(price),
    size: smallInteger(size), timestamp,
  };
}

export function assertBatch(batch: unknown): asserts batch is CommandBatch {
  if (!(batch instanceof CommandBatch)) {
    throw new LobError('INVALID_ARGUMENT', 'batch must be a CommandBatch (use CommandBatch.fromBytes for raw bytes)');
  }
}
