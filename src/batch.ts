// The binary command batch: the fast path into an engine, one call for many commands.
//
// Layout (little-endian, which is also WebAssembly's byte order): a batch is a run of
// fixed 64-byte records, eight float64 slots each, so the whole batch is one Float64Array and
// the WASM core reads it with plain f64 loads. Every value is an integer below 2^53, which a
// float64 holds exactly.
//
//   slot 0  head      op | side << 4 | timeInForce << 8 | stp << 12   (codes in codes.ts)
//   slot 1  trader
//   slot 2  asset
//   slot 3  orderId   cancel, reduce, modify; 0 otherwise
//   slot 4  price     limit price; market protection price (0 = none); modify new price (0 = keep)
//   slot 5  size      limit and market size; reduce `by`; modify new size (0 = keep)
//   slot 6  timestamp limit, market, modify; 0 for cancel and reduce
//   slot 7  clientOrderId (limit only; 0 otherwise). Echoed, never stored.
//
// Results, written by the engine into memory it reuses between calls:
//   per command, 4 slots: status | reason << 4, orderId, filled, remaining
//   per fill,    8 slots: commandIndex * 2 + takerSide, asset, makerOrderId, takerOrderId,
//                         makerTrader, takerTrader, price, size
// A fill's timestamp is its command's timestamp.
import { LobError, invalidArgument } from './errors.js';
import { Op, ORDER_STATUS, REJECT_REASONS, SIDES, StatusCode, sideCode, stpCode, tifCode } from './codes.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from './validate.js';
import type { Fill, OrderStatus, RejectReason, SelfTradePrevention, Side, TimeInForce } from './types.js';

export const COMMAND_SLOTS = 8;
export const COMMAND_BYTES = COMMAND_SLOTS * 8;
export const RESULT_SLOTS = 4;
export const FILL_SLOTS = 8;

/**
 * Writes one command record at slot `offset` of `slots`: the single encoder of the layout above,
 * shared by CommandBatch and the state machine's journal so the two can never drift apart.
 */
export function writeCommand(
  slots: Float64Array, offset: number, head: number, trader: number, asset: number, orderId: number,
  price: number, size: number, timestamp: number, clientOrderId: number,
): void {
  slots[offset] = head;
  slots[offset + 1] = trader;
  slots[offset + 2] = asset;
  slots[offset + 3] = orderId;
  slots[offset + 4] = price;
  slots[offset + 5] = size;
  slots[offset + 6] = timestamp;
  slots[offset + 7] = clientOrderId;
}

/** Slot 0 of a limit order record. */
export function limitHead(side: Side, timeInForce?: TimeInForce, stp?: SelfTradePrevention): number {
  return Op.LIMIT | (sideCode(side) << 4) | (tifCode(timeInForce) << 8) | (stpCode(stp) << 12);
}

/** Slot 0 of a market order record. */
export function marketHead(side: Side, stp?: SelfTradePrevention): number {
  return Op.MARKET | (sideCode(side) << 4) | (stpCode(stp) << 12);
}

/** Builds a batch in one growable buffer; reuse it with clear() to allocate nothing per command. */
export class CommandBatch {
  private buffer: Float64Array;
  private used = 0;

  constructor(initialCommands = 1024) {
    this.buffer = new Float64Array(Math.max(1, initialCommands) * COMMAND_SLOTS);
  }

  /** Wraps encoded commands (for example a journal record); the bytes are copied. */
  static fromBytes(bytes: Uint8Array): CommandBatch {
    if (bytes.byteLength % COMMAND_BYTES !== 0) {
      throw invalidArgument('batch', `a multiple of ${COMMAND_BYTES} bytes long`, bytes.byteLength);
    }
    const batch = new CommandBatch(bytes.byteLength / COMMAND_BYTES);
    new Uint8Array(batch.buffer.buffer).set(bytes);
    batch.used = bytes.byteLength / COMMAND_BYTES;
    return batch;
  }

  get count(): number {
    return this.used;
  }

  /** The encoded commands; a view, valid until the batch is changed. */
  get slots(): Float64Array {
    return this.buffer.subarray(0, this.used * COMMAND_SLOTS);
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.buffer.buffer, 0, this.used * COMMAND_BYTES);
  }

  clear(): this {
    this.used = 0;
    return this;
  }

  limit(
    trader: number, asset: number, side: Side, price: number, size: number, timestamp: number,
    timeInForce?: TimeInForce, stp?: SelfTradePrevention, clientOrderId = 0,
  ): this {
    return this.push(limitHead(side, timeInForce, stp), trader, asset, 0, price, size, timestamp, clientOrderId);
  }

  /** protectionPrice 0 means none. */
  market(
    trader: number, asset: number, side: Side, size: number, timestamp: number,
    protectionPrice = 0, stp?: SelfTradePrevention,
  ): this {
    return this.push(marketHead(side, stp), trader, asset, 0, protectionPrice, size, timestamp, 0);
  }

  cancel(trader: number, asset: number, orderId: number): this {
    return this.push(Op.CANCEL, trader, asset, orderId, 0, 0, 0, 0);
  }

  reduce(trader: number, asset: number, orderId: number, by: number): this {
    return this.push(Op.REDUCE, trader, asset, orderId, 0, by, 0, 0);
  }

  /** price or size 0 means unchanged. */
  modify(trader: number, asset: number, orderId: number, price: number, size: number, timestamp: number): this {
    return this.push(Op.MODIFY, trader, asset, orderId, price, size, timestamp, 0);
  }

  /** Appends one raw record; the typed builders above are the usual way in. */
  push(
    head: number, trader: number, asset: number, orderId: number,
    price: number, size: number, timestamp: number, clientOrderId: number,
  ): this {
    if ((this.used + 1) * COMMAND_SLOTS > this.buffer.length) this.grow();
    writeCommand(this.buffer, this.used * COMMAND_SLOTS, head, trader, asset, orderId, price, size, timestamp, clientOrderId);
    this.used++;
    return this;
  }

  private grow(): void {
    const next = new Float64Array(this.buffer.length * 2);
    next.set(this.buffer);
    this.buffer = next;
  }
}

function batchField(index: number, name: string): string {
  return `commands[${index}].${name}`;
}

/**
 * Checks every command of a batch before any is applied, so a bad batch changes nothing.
 * Both engines call it; the error names the command index and the field.
 */
export function validateBatch(slots: Float64Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const o = i * COMMAND_SLOTS;
    const head = slots[o];
    if (!(head >= 0 && head < 0x10000 && head === Math.floor(head))) {
      throw invalidArgument(batchField(i, 'head'), 'an integer below 65536', head);
    }
    const op = head & 15;
    const side = (head >> 4) & 15;
    const tif = (head >> 8) & 15;
    const stp = (head >> 12) & 15;
    if (op < Op.LIMIT || op > Op.MODIFY) throw invalidArgument(batchField(i, 'op'), 'an op code 1..5', op);
    if (side > 1) throw invalidArgument(batchField(i, 'side'), 'a side code 0..1', side);
    if (tif > 3) throw invalidArgument(batchField(i, 'timeInForce'), 'a code 0..3', tif);
    if (stp > 3) throw invalidArgument(batchField(i, 'stp'), 'a code 0..3', stp);
    checkNonNegative(slots[o + 1], i, 'trader');
    checkNonNegative(slots[o + 2], i, 'asset');
    switch (op) {
      case Op.LIMIT:
        checkPositive(slots[o + 4], i, 'price');
        checkPositive(slots[o + 5], i, 'size');
        checkNonNegative(slots[o + 6], i, 'timestamp');
        checkNonNegative(slots[o + 7], i, 'clientOrderId');
        break;
      case Op.MARKET:
        checkNonNegative(slots[o + 4], i, 'protectionPrice');
        checkPositive(slots[o + 5], i, 'size');
        checkNonNegative(slots[o + 6], i, 'timestamp');
        break;
      case Op.CANCEL:
        checkPositive(slots[o + 3], i, 'orderId');
        break;
      case Op.REDUCE:
        checkPositive(slots[o + 3], i, 'orderId');
        checkPositive(slots[o + 5], i, 'by');
        break;
      case Op.MODIFY:
        checkPositive(slots[o + 3], i, 'orderId');
        checkNonNegative(slots[o + 4], i, 'price');
        checkNonNegative(slots[o + 5], i, 'size');
        checkNonNegative(slots[o + 6], i, 'timestamp');
        if (slots[o + 4] === 0 && slots[o + 5] === 0) {
          throw invalidArgument(batchField(i, 'price'), 'non-zero when size is zero (a modify changes something)', 0);
        }
        break;
    }
  }
}

function checkNonNegative(value: number, index: number, name: string): void {
  if (!isNonNegativeSafeInteger(value)) throw invalidArgument(batchField(index, name), 'a non-negative safe integer', value);
}
function checkPositive(value: number, index: number, name: string): void {
  if (!isPositiveSafeInteger(value)) throw invalidArgument(batchField(index, name), 'a positive safe integer', value);
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
  /** The commands these results answer (for fill timestamps). */
  commands: Float64Array = new Float64Array(0);

  /** Engines call this after writing the arrays. */
  set(commands: Float64Array, results: Float64Array, count: number, fills: Float64Array, fillCount: number): void {
    this.commands = commands;
    this.results = results;
    this.count = count;
    this.fills = fills;
    this.fillCount = fillCount;
  }

  statusCode(i: number): number {
    return this.results[i * RESULT_SLOTS] & 15;
  }
  reasonCode(i: number): number {
    return this.results[i * RESULT_SLOTS] >> 4;
  }
  /** 'ok' for a successful cancel or reduce. */
  status(i: number): OrderStatus | 'ok' {
    const code = this.statusCode(i);
    return code === StatusCode.OK ? 'ok' : ORDER_STATUS[code];
  }
  reason(i: number): RejectReason | undefined {
    return REJECT_REASONS[this.reasonCode(i)];
  }
  orderId(i: number): number {
    return this.results[i * RESULT_SLOTS + 1];
  }
  filled(i: number): number {
    return this.results[i * RESULT_SLOTS + 2];
  }
  remaining(i: number): number {
    return this.results[i * RESULT_SLOTS + 3];
  }

  fillCommand(j: number): number {
    return Math.floor(this.fills[j * FILL_SLOTS] / 2);
  }
  /** A fill as an object: allocates, so meant for tests and tools rather than hot loops. */
  fill(j: number): Fill {
    const command = this.fillCommand(j);
    return decodeFill(this.fills, j, this.commands[command * COMMAND_SLOTS + 6]);
  }
}

/** Fill j of a fill buffer (FILL_SLOTS layout) as an object; the timestamp is its command's. */
export function decodeFill(fills: Float64Array, j: number, timestamp: number): Fill {
  const o = j * FILL_SLOTS;
  return {
    asset: fills[o + 1],
    makerOrderId: fills[o + 2],
    takerOrderId: fills[o + 3],
    makerTrader: fills[o + 4],
    takerTrader: fills[o + 5],
    // Slot 0 is an integer below 2^53; ToInt32 keeps its parity, so & 1 is exact and cheaper than %.
    takerSide: SIDES[fills[o] & 1],
    price: fills[o + 6],
    size: fills[o + 7],
    timestamp,
  };
}

export function assertBatch(batch: unknown): asserts batch is CommandBatch {
  if (!(batch instanceof CommandBatch)) {
    throw new LobError('INVALID_ARGUMENT', 'batch must be a CommandBatch (use CommandBatch.fromBytes for raw bytes)');
  }
}
