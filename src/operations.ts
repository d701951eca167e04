// The one table of operations: every command lobcore accepts, with its code, the slots of the
// command record it uses, the request field each slot comes from, the rule the value must meet
// and its default. Everything that reads or writes commands derives from this table: per-call
// validation and encoding (compiled below), batch validation (src/batch.ts for the JS core,
// assembly/operations.ts mirrors the table for the WASM core; test/operations.test.ts checks the
// mirror), the CommandBatch builders, the journal, and the cores' decoders (which read slots by
// the Slot constants). Adding an operation starts here: docs/architecture.md has the checklist.
//
// The command record: COMMAND_SLOTS little-endian float64 slots (every value an integer below
// 2^53, which a float64 holds exactly), so a batch is one Float64Array that the WASM core reads
// with plain loads. Slot 0, the head, packs the operation and its enumerations:
//   op | side << 4 | timeInForce << 8 | stp << 12 | flags << 16
// A slot an operation does not use is ignored (never validated, never read), so a reused buffer
// needs no clearing.
import type { MatchingCore } from './core.js';
import { invalidArgument } from './errors.js';
import { compileFunction } from './compiled-function.js';
import { Op, SIDES, STP_MODES, TIME_IN_FORCE } from './codes.js';
import type {
  CancelAllRequest, CancelRequest, LimitOrderRequest, MarketOrderRequest, ModifyRequest, OcoOrderRequest, ReduceRequest,
  SelfTradePrevention, Side, StopOrderRequest, TimeInForce,
} from './types.js';

export const COMMAND_SLOTS = 12;
export const COMMAND_BYTES = COMMAND_SLOTS * 8;

/** What each slot of the command record holds (per operation, the `fields` below name it). */
export const Slot = {
  HEAD: 0,
  TRADER: 1,
  ASSET: 2,
  ORDER_ID: 3,
  PRICE: 4,
  SIZE: 5,
  TIMESTAMP: 6,
  CLIENT_ORDER_ID: 7,
  TRIGGER_PRICE: 8,
  BUDGET: 9,
  SECOND_PRICE: 10,
  RESERVED: 11,
} as const;

/** Bits of the head. */
export const Head = {
  OP_MASK: 15,
  SIDE_SHIFT: 4,
  TIF_SHIFT: 8,
  STP_SHIFT: 12,
  /** cancelAll: every asset of the trader (the asset slot is ignored). */
  ALL_ASSETS: 1 << 16,
  /** The head is below this. */
  LIMIT: 1 << 17,
} as const;

/** How a slot's value is checked. Codes are shared with assembly/operations.ts. */
export const Rule = {
  /** A safe integer >= 0. */
  NON_NEGATIVE: 1,
  /** A safe integer >= 1. */
  POSITIVE: 2,
  /** Optional: 0 (or, per call, absent) means none, otherwise a safe integer >= 1. */
  OPTIONAL_POSITIVE: 3,
  /** cancelAll's asset: checked as NON_NEGATIVE unless the head's ALL_ASSETS bit is set (per call: absent). */
  ASSET_OR_ALL: 4,
} as const;
export type RuleCode = (typeof Rule)[keyof typeof Rule];

/** Checks between fields. Codes are shared with assembly/operations.ts. */
export const CrossRule = {
  NONE: 0,
  /** modify: a new price, a new size, or both. */
  CHANGES_SOMETHING: 1,
  /** market: a size or a budget, not both. */
  SIZE_OR_BUDGET: 2,
  /** stop: a time in force only with a price (a stop-limit), a protection price only without one (a stop-market). */
  STOP_PRICES: 3,
  /** OCO: the stop leg beyond the limit leg (a buy's stop price above its price, a sell's below). */
  OCO_PRICES: 4,
} as const;
export type CrossRuleCode = (typeof CrossRule)[keyof typeof CrossRule];

export interface FieldSpec {
  /** The request field, and the name an error gives it (`commands[i].<name>` in a batch). */
  readonly name: string;
  readonly slot: number;
  readonly rule: RuleCode;
}

export interface OperationSpec {
  readonly op: number;
  /** The engine method that takes it per call; the state machine's has the same name. */
  readonly method: 'placeLimit' | 'placeMarket' | 'cancel' | 'reduce' | 'modify' | 'cancelAll' | 'placeStop' | 'placeOco';
  /** Which enumerations the head carries. */
  readonly side: boolean;
  readonly timeInForce: boolean;
  readonly stp: boolean;
  readonly fields: readonly FieldSpec[];
  readonly cross: CrossRuleCode;
  /**
   * The arguments of the MatchingCore method of the same name (src/core.ts), in its order: a field's
   * value (0 for an optional one absent), the head's side, timeInForce or stp code, or `allAssets`
   * (cancelAll without an asset). applyRequest passes them to the core as the request gave them.
   */
  readonly core: readonly string[];
}

const trader: FieldSpec = { name: 'trader', slot: Slot.TRADER, rule: Rule.NON_NEGATIVE };
const asset: FieldSpec = { name: 'asset', slot: Slot.ASSET, rule: Rule.NON_NEGATIVE };
const orderId: FieldSpec = { name: 'orderId', slot: Slot.ORDER_ID, rule: Rule.POSITIVE };
const timestamp: FieldSpec = { name: 'timestamp', slot: Slot.TIMESTAMP, rule: Rule.NON_NEGATIVE };
const clientOrderId: FieldSpec = { name: 'clientOrderId', slot: Slot.CLIENT_ORDER_ID, rule: Rule.OPTIONAL_POSITIVE };
const size: FieldSpec = { name: 'size', slot: Slot.SIZE, rule: Rule.POSITIVE };
const stopPrice: FieldSpec = { name: 'stopPrice', slot: Slot.TRIGGER_PRICE, rule: Rule.POSITIVE };

export const OPERATIONS: readonly OperationSpec[] = [
  {
    op: Op.LIMIT, method: 'placeLimit', side: true, timeInForce: true, stp: true, cross: CrossRule.NONE,
    fields: [trader, asset, { name: 'price', slot: Slot.PRICE, rule: Rule.POSITIVE },
      { name: 'size', slot: Slot.SIZE, rule: Rule.POSITIVE }, timestamp, clientOrderId],
    core: ['trader', 'asset', 'side', 'price', 'size', 'timestamp', 'timeInForce', 'stp', 'clientOrderId'],
  },
  {
    op: Op.MARKET, method: 'placeMarket', side: true, timeInForce: false, stp: true, cross: CrossRule.SIZE_OR_BUDGET,
    fields: [trader, asset, { name: 'size', slot: Slot.SIZE, rule: Rule.OPTIONAL_POSITIVE },
      { name: 'budget', slot: Slot.BUDGET, rule: Rule.OPTIONAL_POSITIVE }, timestamp,
      { name: 'protectionPrice', slot: Slot.PRICE, rule: Rule.OPTIONAL_POSITIVE }, clientOrderId],
    core: ['trader', 'asset', 'side', 'size', 'budget', 'timestamp', 'protectionPrice', 'stp', 'clientOrderId'],
  },
  {
    op: Op.CANCEL, method: 'cancel', side: false, timeInForce: false, stp: false, cross: CrossRule.NONE,
    fields: [trader, asset, orderId],
    core: ['trader', 'asset', 'orderId'],
  },
  {
    op: Op.REDUCE, method: 'reduce', side: false, timeInForce: false, stp: false, cross: CrossRule.NONE,
    fields: [trader, asset, orderId, { name: 'by', slot: Slot.SIZE, rule: Rule.POSITIVE }],
    core: ['trader', 'asset', 'orderId', 'by'],
  },
  {
    op: Op.MODIFY, method: 'modify', side: false, timeInForce: false, stp: false, cross: CrossRule.CHANGES_SOMETHING,
    fields: [trader, asset, orderId, { name: 'price', slot: Slot.PRICE, rule: Rule.OPTIONAL_POSITIVE },
      { name: 'size', slot: Slot.SIZE, rule: Rule.OPTIONAL_POSITIVE }, timestamp],
    core: ['trader', 'asset', 'orderId', 'price', 'size', 'timestamp'],
  },
  {
    op: Op.CANCEL_ALL, method: 'cancelAll', side: false, timeInForce: false, stp: false, cross: CrossRule.NONE,
    fields: [trader, { name: 'asset', slot: Slot.ASSET, rule: Rule.ASSET_OR_ALL }],
    core: ['trader', 'asset', 'allAssets'],
  },
  {
    op: Op.STOP, method: 'placeStop', side: true, timeInForce: true, stp: true, cross: CrossRule.STOP_PRICES,
    fields: [trader, asset, size, stopPrice, { name: 'price', slot: Slot.PRICE, rule: Rule.OPTIONAL_POSITIVE },
      { name: 'protectionPrice', slot: Slot.SECOND_PRICE, rule: Rule.OPTIONAL_POSITIVE }, timestamp, clientOrderId],
    core: ['trader', 'asset', 'side', 'size', 'stopPrice', 'price', 'protectionPrice', 'timestamp', 'timeInForce', 'stp', 'clientOrderId'],
  },
  {
    op: Op.OCO, method: 'placeOco', side: true, timeInForce: false, stp: true, cross: CrossRule.OCO_PRICES,
    fields: [trader, asset, size, { name: 'price', slot: Slot.PRICE, rule: Rule.POSITIVE }, stopPrice,
      { name: 'stopLimitPrice', slot: Slot.SECOND_PRICE, rule: Rule.OPTIONAL_POSITIVE }, timestamp, clientOrderId],
    core: ['trader', 'asset', 'side', 'size', 'price', 'stopPrice', 'stopLimitPrice', 'timestamp', 'stp', 'clientOrderId'],
  },
];

/** The spec of each op code; undefined for codes that are not operations. */
export const OPERATION_BY_CODE: readonly (OperationSpec | undefined)[] = (() => {
  const byCode: (OperationSpec | undefined)[] = new Array(Head.OP_MASK + 1).fill(undefined);
  for (const spec of OPERATIONS) byCode[spec.op] = spec;
  return byCode;
})();

export function operation(method: OperationSpec['method']): OperationSpec {
  return OPERATIONS.find((spec) => spec.method === method) as OperationSpec;
}

// ------------------------------------------------------------------ values and enumerations

// -0 is refused wherever 0 is allowed: the cores store what they are given, and a -0 kept where
// another command gave 0 would make two equal books hash apart.
export function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && (value > 0 || Object.is(value, 0));
}
export function isPositiveSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

export const RULE_TEXT: Record<RuleCode, string> = {
  [Rule.NON_NEGATIVE]: 'a non-negative safe integer',
  [Rule.POSITIVE]: 'a positive safe integer',
  [Rule.OPTIONAL_POSITIVE]: 'a positive safe integer (0 for none)',
  [Rule.ASSET_OR_ALL]: 'a non-negative safe integer',
};

/**
 * Whether a slot value meets its rule (ASSET_OR_ALL given whether the head says "all assets").
 * Batches run it per field of every command, so the common case, a positive integer, which meets
 * every rule, is tested first with plain comparisons on the float64.
 */
export function meetsRule(rule: RuleCode, value: number, allAssets: boolean): boolean {
  if (value >= 1 && value <= Number.MAX_SAFE_INTEGER && Math.floor(value) === value) return true;
  if (Object.is(value, 0)) return rule !== Rule.POSITIVE;
  return rule === Rule.ASSET_OR_ALL && allAssets;
}

/** The code of an enumeration value, or an INVALID_ARGUMENT naming the field and the value. */
function enumCode<T extends string>(field: string, value: T | undefined, allowed: readonly T[], fallback: number): number {
  if (value === undefined) return fallback;
  const code = allowed.indexOf(value);
  if (code < 0 || typeof value !== 'string') throw invalidArgument(field, `one of ${allowed.join(', ')}`, value);
  return code;
}

export function sideCode(side: Side): number {
  if (side === 'bid') return 0;
  if (side === 'ask') return 1;
  throw invalidArgument('side', `one of ${SIDES.join(', ')}`, side);
}
// Compared one by one rather than looked up: builders run these per command, and a string
// literal compares by pointer against the interned strings callers usually pass.
export function tifCode(tif: TimeInForce | undefined): number {
  if (tif === undefined || tif === 'GTC') return 0;
  if (tif === 'IOC') return 1;
  if (tif === 'FOK') return 2;
  return enumCode('timeInForce', tif, TIME_IN_FORCE, 0);
}
export function stpCode(stp: SelfTradePrevention | undefined): number {
  if (stp === undefined || stp === 'allow') return 0;
  if (stp === 'cancel_taker') return 1;
  return enumCode('stp', stp, STP_MODES, 0);
}

/** The head of a command record. */
export function encodeHead(op: number, side: number, tif: number, stp: number, flags = 0): number {
  return op | (side << Head.SIDE_SHIFT) | (tif << Head.TIF_SHIFT) | (stp << Head.STP_SHIFT) | flags;
}

// ------------------------------------------------------------------ cross-field rules

/** A broken cross-field rule: the field to name, what it must be, and its value (undefined: absent). */
export interface CrossFailure {
  field: string;
  text: string;
  value: number | string | undefined;
}

/**
 * The cross-field rule of the command record at slot offset `o`, or null when it holds. Written
 * once, over records: a per-call request is checked by encoding it first (every field has passed
 * its own rule by then, so an optional field is given exactly when its slot is not 0). Allocates
 * only to report a failure: batches run it per command.
 */
export function crossFailure(rule: CrossRuleCode, slots: Float64Array, o: number): CrossFailure | null {
  switch (rule) {
    case CrossRule.NONE:
      return null;
    case CrossRule.CHANGES_SOMETHING:
      return slots[o + Slot.PRICE] !== 0 || slots[o + Slot.SIZE] !== 0 ? null
        : { field: 'price', text: 'given when size is not (a modify changes the price, the size or both)', value: undefined };
    case CrossRule.SIZE_OR_BUDGET: {
      const size = slots[o + Slot.SIZE];
      const budget = slots[o + Slot.BUDGET];
      if (size !== 0 && budget !== 0) {
        return { field: 'budget', text: 'absent when size is given (a market order takes a size or a budget)', value: budget };
      }
      return size !== 0 || budget !== 0 ? null
        : { field: 'size', text: 'given, or a budget instead (a market order takes one of them)', value: undefined };
    }
    case CrossRule.STOP_PRICES: {
      const limited = slots[o + Slot.PRICE] !== 0;
      if (limited && slots[o + Slot.SECOND_PRICE] !== 0) {
        return { field: 'protectionPrice', text: 'absent on a stop-limit (only a stop-market, without price, takes one)', value: slots[o + Slot.SECOND_PRICE] };
      }
      const tif = (slots[o] >> Head.TIF_SHIFT) & 15;
      return limited || tif === 0 ? null
        : { field: 'timeInForce', text: 'GTC on a stop-market (only a stop-limit, with price, takes one)', value: TIME_IN_FORCE[tif] ?? tif };
    }
    case CrossRule.OCO_PRICES: {
      const price = slots[o + Slot.PRICE];
      const stop = slots[o + Slot.TRIGGER_PRICE];
      const buy = ((slots[o] >> Head.SIDE_SHIFT) & 15) === 0;
      if (buy ? stop > price : stop < price) return null;
      return {
        field: 'stopPrice',
        text: buy ? `above price ${price} (a buy OCO's stop leg sits above its limit leg)` : `below price ${price} (a sell OCO's stop leg sits below its limit leg)`,
        value: stop,
      };
    }
  }
}

// ------------------------------------------------------------------ batch validation

/** Which part of a command failed validation when it is not a slot: the head's parts, or a cross-field rule. */
export const FaultPart = { HEAD: -1, OP: -2, SIDE: -3, TIME_IN_FORCE: -4, STP: -5, CROSS: -6 } as const;

/**
 * The first malformed command of a batch, or null: the reference implementation of the check
 * both cores run before applying a batch (src/js-core/batch.ts calls it; assembly/operations.ts
 * is its mirror). `at` is the failing slot (or a FaultPart).
 */
export interface BatchFault {
  index: number;
  at: number;
}

export function findBatchFault(slots: Float64Array, count: number): BatchFault | null {
  for (let i = 0, o = 0; i < count; i++, o += COMMAND_SLOTS) {
    // The straight-line check passes only commands the walk passes; the walk decides the others.
    if (commandIsWellFormed(slots, o)) continue;
    const at = commandFault(slots, o);
    if (at !== 0) return { index: i, at };
  }
  return null;
}

/**
 * The table flattened for batch validation, one row of BATCH_CHECK_STRIDE int32 per op code:
 * the highest side, time-in-force and stp codes the op takes, its cross rule, its field count (-1:
 * not an op), then (slot, rule) per field. Walking the specs and their field objects instead took
 * a fifth of the JS core's time on a batch (issue 9).
 */
const BATCH_CHECK_STRIDE = 5 + 2 * Math.max(...OPERATIONS.map((spec) => spec.fields.length));
const BATCH_CHECKS: Int32Array = (() => {
  const rows = new Int32Array((Head.OP_MASK + 1) * BATCH_CHECK_STRIDE);
  for (let op = 0; op <= Head.OP_MASK; op++) rows[op * BATCH_CHECK_STRIDE + 4] = -1;
  for (const spec of OPERATIONS) {
    const r = spec.op * BATCH_CHECK_STRIDE;
    rows.set([spec.side ? 1 : 0, spec.timeInForce ? 3 : 0, spec.stp ? 3 : 0, spec.cross, spec.fields.length], r);
    spec.fields.forEach((field, k) => rows.set([field.slot, field.rule], r + 5 + 2 * k));
  }
  return rows;
})();

/** 0 when the command at slot offset `o` is well formed, else the failing slot or FaultPart. */
function commandFault(slots: Float64Array, o: number): number {
  const head = slots[o];
  if (!(head >= 0 && head < Head.LIMIT && head === Math.floor(head))) return FaultPart.HEAD;
  const checks = BATCH_CHECKS;
  const r = (head & Head.OP_MASK) * BATCH_CHECK_STRIDE;
  const fields = checks[r + 4];
  if (fields < 0) return FaultPart.OP;
  if (((head >> Head.SIDE_SHIFT) & 15) > checks[r]) return FaultPart.SIDE;
  if (((head >> Head.TIF_SHIFT) & 15) > checks[r + 1]) return FaultPart.TIME_IN_FORCE;
  if (((head >> Head.STP_SHIFT) & 15) > checks[r + 2]) return FaultPart.STP;
  const allAssets = (head & Head.ALL_ASSETS) !== 0;
  if (allAssets && (head & Head.OP_MASK) !== Op.CANCEL_ALL) return FaultPart.HEAD;
  for (let f = r + 5, end = r + 5 + 2 * fields; f < end; f += 2) {
    if (!meetsRule(checks[f + 1] as RuleCode, slots[o + checks[f]], allAssets)) return checks[f];
  }
  const cross = checks[r + 3] as CrossRuleCode;
  return cross === CrossRule.NONE || crossFailure(cross, slots, o) === null ? 0 : FaultPart.CROSS;
}

/** The fault code a core's runBatch returns: -(1 + index * 32 + part), part a slot or 16 - FaultPart. */
export function encodeFault(fault: BatchFault): number {
  return -(1 + fault.index * 32 + (fault.at > 0 ? fault.at : 16 - fault.at));
}

export function decodeFault(code: number): BatchFault {
  const n = -code - 1;
  const part = n % 32;
  return { index: (n - part) / 32, at: part > 16 ? 16 - part : part };
}

/** The INVALID_ARGUMENT a batch fault becomes: `commands[i].<field> must be ..., got <value>`. */
export function batchFaultError(slots: Float64Array, fault: BatchFault): Error {
  const o = fault.index * COMMAND_SLOTS;
  const head = slots[o];
  const where = (name: string): string => `commands[${fault.index}].${name}`;
  switch (fault.at) {
    case FaultPart.HEAD:
      return invalidArgument(where('head'), `an integer below ${Head.LIMIT} (flags only where the op takes them)`, head);
    case FaultPart.OP:
      return invalidArgument(where('op'), `an op code (${OPERATIONS.map((s) => s.op).join(', ')})`, head & Head.OP_MASK);
    case FaultPart.SIDE:
      return invalidArgument(where('side'), 'a side code 0..1 (0 where the op has no side)', (head >> Head.SIDE_SHIFT) & 15);
    case FaultPart.TIME_IN_FORCE:
      return invalidArgument(where('timeInForce'), 'a code 0..3 (0 where the op has none)', (head >> Head.TIF_SHIFT) & 15);
    case FaultPart.STP:
      return invalidArgument(where('stp'), 'a code 0..3 (0 where the op has none)', (head >> Head.STP_SHIFT) & 15);
  }
  const spec = OPERATION_BY_CODE[head & Head.OP_MASK] as OperationSpec;
  if (fault.at === FaultPart.CROSS) {
    const failure = crossFailure(spec.cross, slots, o) as CrossFailure;
    return invalidArgument(where(failure.field), failure.text, failure.value ?? 0);
  }
  const field = spec.fields.find((f) => f.slot === fault.at) as FieldSpec;
  return invalidArgument(where(field.name), RULE_TEXT[field.rule], slots[o + field.slot]);
}

// ------------------------------------------------------------------ per-call validation and encoding

/** Writes a validated request as a command record at `offset` of `slots`. */
export type RequestEncoder = (request: unknown, slots: Float64Array, offset: number) => void;
/** Checks a request and writes it as a command record into `checkedRecord`. */
export type RequestChecker = (request: unknown) => void;

/**
 * The record every per-call request is checked into (checkRequest), read by the engine's per-call
 * methods and copied by CommandBatch.request. One record, a constant of the checkers' closures, so
 * that their stores are at fixed addresses with no bounds checks: a record and an offset passed in
 * cost a bounds and an overflow check a slot, 12 slots a call (bench/README.md, stop 50). Nothing
 * runs between a check and the read of its record: a getter that checks another request meanwhile
 * has finished with the record before the first check stores anything (compileChecker).
 */
export const checkedRecord = new Float64Array(COMMAND_SLOTS);

/**
 * What an applier (applyRequest) throws when the core call itself throws, around what the core
 * threw: the engine then knows the core failed (ENGINE_FAILED), where whatever the check threw, a
 * refusal or a getter's own error, is the caller's and changes nothing.
 */
export class CoreCallFailure {
  constructor(readonly cause: unknown) {}
}

/**
 * Checks a request, writes into `checkedRecord` the slots the engine reads back (storedWhenApplying),
 * then calls the core's method of the same name with the values checked, as the request held them;
 * returns what the core's method returns where it returns its common outcome (OUTCOME_METHODS:
 * placeLimit's id, cancel's 1; MatchingCore), 0 for the others. The engine's per-call methods call
 * these: one call where a check and then a core call read back from the record took two, and the
 * core gets the caller's small integers, where numbers read from the record are doubles to convert
 * at the core's calls (bench/README.md, stop 50). A core call that throws is rethrown as a
 * CoreCallFailure.
 */
export type RequestApplier = (request: unknown, core: MatchingCore) => number;

/** The core methods that return their common outcome (src/core.ts), so the engine need not read `out` for it. */
const OUTCOME_METHODS: ReadonlySet<OperationSpec['method']> = new Set(['placeLimit', 'cancel']);

const helpers = {
  invalidArgument, isNonNegativeSafeInteger, isPositiveSafeInteger, sideCode, tifCode, stpCode, RULE_TEXT, crossFailure,
  CoreCallFailure,
};

/**
 * Per-call validators and encoders are compiled from the table into straight-line functions:
 * a loop over field names would make every property read a keyed, megamorphic load, several
 * times slower than `request.price` on a hot path that runs once per order. Each is named
 * (`check_placeLimit`), so that V8's traces (`--print-bytecode-filter`, `--trace-turbo-inlining`)
 * and stack traces can tell them apart.
 */
function compile<T>(name: string, params: string[], body: string, c?: object): T {
  return compileFunction<T>(name, params, body, { h: helpers, c });
}

/** A string literal for generated code (the table's names and texts hold no quotes or backslashes). */
function quote(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

function fieldCheck(field: FieldSpec, value = `r.${field.name}`): string {
  const fail = (text: string): string => `throw h.invalidArgument(${quote(field.name)}, ${quote(text)}, ${value});`;
  switch (field.rule) {
    case Rule.NON_NEGATIVE:
      return `if (!h.isNonNegativeSafeInteger(${value})) ${fail(RULE_TEXT[Rule.NON_NEGATIVE])}`;
    case Rule.POSITIVE:
      return `if (!h.isPositiveSafeInteger(${value})) ${fail(RULE_TEXT[Rule.POSITIVE])}`;
    case Rule.OPTIONAL_POSITIVE:
    case Rule.ASSET_OR_ALL: {
      const inner = field.rule === Rule.OPTIONAL_POSITIVE
        ? `!h.isPositiveSafeInteger(${value})` : `!h.isNonNegativeSafeInteger(${value})`;
      const text = field.rule === Rule.OPTIONAL_POSITIVE ? RULE_TEXT[Rule.POSITIVE] : RULE_TEXT[Rule.NON_NEGATIVE];
      return `if (${value} !== undefined && ${inner}) ${fail(text)}`;
    }
  }
}

/** The first line of a compiled reader or checker: a request is an object. */
function objectCheck(spec: OperationSpec): string {
  return `if (typeof r !== 'object' || r === null || Array.isArray(r)) throw h.invalidArgument(${quote(`${spec.method} request`)}, 'an object', r);`;
}

/** The names a request of `spec` may carry: its fields, then its enumerations. */
function requestNames(spec: OperationSpec): string[] {
  const names = spec.fields.map((field) => field.name);
  if (spec.side) names.push('side');
  if (spec.timeInForce) names.push('timeInForce');
  if (spec.stp) names.push('stp');
  return names;
}

/** Every name some request carries. */
const REQUEST_NAMES = [...new Set(OPERATIONS.flatMap(requestNames))];

/**
 * Refusals of the names other operations take and `spec` does not: a market order given a
 * `price`, a stop given a `budget` would otherwise be carried out as if the field were not there.
 * One load of an absent property each, on the per-call path. (A misspelt name is not caught: that
 * would take a walk over the request's keys on every call.)
 */
function foreignFieldChecks(spec: OperationSpec): string[] {
  const own = new Set(requestNames(spec));
  return REQUEST_NAMES.filter((name) => !own.has(name)).map((name) =>
    `if (r.${name} !== undefined) throw h.invalidArgument(${quote(name)}, ${quote(`absent (${spec.method} takes no ${name})`)}, r.${name});`);
}

function compileReader(spec: OperationSpec): (request: unknown) => unknown {
  const names = requestNames(spec);
  // Every field into a local before any is stored: a getter that places another request (re-entering
  // this reader) has finished with the copy by the time this read stores into it. The copy holds the
  // method's own names only, so the names of other operations are refused here, before they are lost.
  const lines = [
    objectCheck(spec),
    ...foreignFieldChecks(spec),
    ...names.map((name) => `const v_${name} = r.${name};`),
    ...names.map((name) => `c.${name} = v_${name};`),
    'return c;',
  ];
  const copy = Object.fromEntries(names.map((name) => [name, undefined]));
  return compile<(request: unknown) => unknown>(`read_${spec.method}`, ['r'], lines.join('\n'), copy);
}

/**
 * A request checked and encoded in one pass, each field read once into a local: what is checked
 * is what is written, whatever a getter or Proxy would answer the next time, and the hot per-call
 * path reads each property once instead of once to check it and again to use it. Checks run in
 * the order people read a request in (who and where, the side, the amounts, then the options),
 * and the first failing field is the one named. Nothing is stored until every field is read and
 * checked: a getter that places another request meanwhile (re-entering with the same record) has
 * finished with the record by then.
 */
function compileChecker(spec: OperationSpec, applies: false): RequestChecker;
function compileChecker(spec: OperationSpec, applies: true): RequestApplier;
function compileChecker(spec: OperationSpec, applies: boolean): RequestChecker | RequestApplier {
  const lines = [
    objectCheck(spec),
  ];
  const head = [`${spec.op}`];
  const enums: string[] = [];
  if (spec.timeInForce) {
    enums.push('const tif = h.tifCode(r.timeInForce);');
    head.push(`(tif << ${Head.TIF_SHIFT})`);
  }
  if (spec.stp) {
    enums.push('const stp = h.stpCode(r.stp);');
    head.push(`(stp << ${Head.STP_SHIFT})`);
  }
  // By slot, the value each store writes.
  const stores = new Map<number, string>();
  for (const field of spec.fields) {
    if (field.name === 'clientOrderId') lines.push(...enums.splice(0));
    const local = `v_${field.name}`;
    lines.push(`const ${local} = r.${field.name};`, fieldCheck(field, local));
    const optional = field.rule === Rule.OPTIONAL_POSITIVE || field.rule === Rule.ASSET_OR_ALL;
    stores.set(field.slot, optional ? `${local} ?? 0` : local);
    if (field.rule === Rule.ASSET_OR_ALL) head.push(`(${local} === undefined ? ${Head.ALL_ASSETS} : 0)`);
    if (field.name === 'asset' && spec.side) {
      lines.push('const side = h.sideCode(r.side);');
      head.push(`(side << ${Head.SIDE_SHIFT})`);
    }
  }
  lines.push(...foreignFieldChecks(spec));
  // Every slot written by a checker, 0 where the op has no field: a record reused for another op
  // keeps nothing of it. An applier writes only what is read after it (storedWhenApplying).
  stores.set(Slot.HEAD, head.join(' | '));
  for (let slot = 1; slot < COMMAND_SLOTS; slot++) if (!stores.has(slot)) stores.set(slot, '0');
  lines.push(...enums);
  for (const [slot, value] of stores) if (!applies || storedWhenApplying(spec, slot)) lines.push(`c[${slot}] = ${value};`);
  if (spec.cross !== CrossRule.NONE) {
    lines.push(`const failure = h.crossFailure(${spec.cross}, c, 0);`, 'if (failure !== null) throw h.invalidArgument(failure.field, failure.text, failure.value);');
  }
  if (applies) {
    const args = spec.core.map((name) => {
      if (name === 'side') return 'side';
      if (name === 'timeInForce') return 'tif';
      if (name === 'stp') return 'stp';
      if (name === 'allAssets') return 'v_asset === undefined';
      const field = spec.fields.find((f) => f.name === name) as FieldSpec;
      return field.rule === Rule.OPTIONAL_POSITIVE || field.rule === Rule.ASSET_OR_ALL ? `v_${name} ?? 0` : `v_${name}`;
    });
    const call = `core.${spec.method}(${args.join(', ')})`;
    lines.push(`try {\n${OUTCOME_METHODS.has(spec.method) ? `return ${call}` : call};\n} catch (error) {\nthrow new h.CoreCallFailure(error);\n}`);
    lines.push('return 0;');
  }
  return applies
    ? compile<RequestApplier>(`apply_${spec.method}`, ['r', 'core'], lines.join('\n'), checkedRecord)
    : compile<RequestChecker>(`check_${spec.method}`, ['r'], lines.join('\n'), checkedRecord);
}

/**
 * The slots an applier writes: all of them where its cross-field rule reads the record, otherwise
 * only those the engine reads back after the core call (src/engine-host.ts: an order result's
 * clientOrderId and size, a fill's timestamp, a market order's budget), 0 where the op has none. Nobody else reads an applier's
 * record, and the ten stores nobody read were some 18 instructions of every limit order
 * (bench/README.md, stop 60).
 */
function storedWhenApplying(spec: OperationSpec, slot: number): boolean {
  return spec.cross !== CrossRule.NONE || slot === Slot.CLIENT_ORDER_ID || slot === Slot.BUDGET ||
    (slot === Slot.TIMESTAMP && spec.fields.includes(timestamp)) || (slot === Slot.SIZE && spec.method === 'placeLimit');
}

function compileEncoder(spec: OperationSpec): RequestEncoder {
  const head = [`${spec.op}`];
  if (spec.side) head.push(`(h.sideCode(r.side) << ${Head.SIDE_SHIFT})`);
  if (spec.timeInForce) head.push(`(h.tifCode(r.timeInForce) << ${Head.TIF_SHIFT})`);
  if (spec.stp) head.push(`(h.stpCode(r.stp) << ${Head.STP_SHIFT})`);
  if (spec.fields.some((f) => f.rule === Rule.ASSET_OR_ALL)) head.push(`(r.asset === undefined ? ${Head.ALL_ASSETS} : 0)`);
  const lines = [`s[o] = ${head.join(' | ')};`];
  for (const field of spec.fields) {
    const optional = field.rule === Rule.OPTIONAL_POSITIVE || field.rule === Rule.ASSET_OR_ALL;
    lines.push(`s[o + ${field.slot}] = ${optional ? `r.${field.name} ?? 0` : `r.${field.name}`};`);
  }
  return compile<RequestEncoder>(`encode_${spec.method}`, ['r', 's', 'o'], lines.join('\n'));
}

/** The request type each method takes. */
export interface RequestOf {
  placeLimit: LimitOrderRequest; placeMarket: MarketOrderRequest; cancel: CancelRequest; reduce: ReduceRequest;
  modify: ModifyRequest; cancelAll: CancelAllRequest; placeStop: StopOrderRequest; placeOco: OcoOrderRequest;
}

/**
 * Whether the command record at slot offset `o` is well formed, by straight-line code compiled
 * from the table: a switch on the op, then for that op one mask test of the head and one test
 * per field. It answers true only where commandFault answers 0, and false on any doubt (the
 * walk then decides and names the fault). Batches run it on every command: the walk, with its
 * loop over a row of the table, took 20-21 ns a command in the JS core (a fifth of its time on
 * sweep, a sixth on LOBSTER), this 11-18 (`vbench.mjs`, a scratch driver over each workload's
 * encoded stream, in chunks of 1,000).
 */
const commandIsWellFormed = compileBatchCheck();

function compileBatchCheck(): (slots: Float64Array, o: number) => boolean {
  const cases: string[] = [];
  for (const spec of OPERATIONS) {
    // The head's bits the op may set: its code, then 0..1 sides, 0..3 times in force and stp modes.
    let allowed = Head.OP_MASK | (spec.side ? 1 << Head.SIDE_SHIFT : 0) | (spec.timeInForce ? 3 << Head.TIF_SHIFT : 0) |
      (spec.stp ? 3 << Head.STP_SHIFT : 0);
    if (spec.fields.some((field) => field.rule === Rule.ASSET_OR_ALL)) allowed |= Head.ALL_ASSETS;
    const lines = [`case ${spec.op}: {`, `if ((head & ${~allowed}) !== 0) return false;`];
    for (const field of spec.fields) {
      const v = `v${field.slot}`;
      const positive = `${v} >= 1 && ${v} <= ${Number.MAX_SAFE_INTEGER} && Math.floor(${v}) === ${v}`;
      // 0 but not -0 (1 / -0 is -Infinity).
      const nonNegative = `(${v} >= 1 ? ${v} <= ${Number.MAX_SAFE_INTEGER} && Math.floor(${v}) === ${v} : ${v} === 0 && 1 / ${v} > 0)`;
      const meets = field.rule === Rule.POSITIVE ? positive
        : field.rule === Rule.ASSET_OR_ALL ? `(head & ${Head.ALL_ASSETS}) !== 0 || ${nonNegative}` : nonNegative;
      lines.push(`const ${v} = s[o + ${field.slot}];`, `if (!(${meets})) return false;`);
    }
    lines.push(spec.cross === CrossRule.NONE ? 'return true;' : `return h.crossFailure(${spec.cross}, s, o) === null;`, '}');
    cases.push(lines.join('\n'));
  }
  const body = [
    'const head = s[o];',
    `if (!(head >= 0 && head < ${Head.LIMIT} && Math.floor(head) === head)) return false;`,
    `switch (head & ${Head.OP_MASK}) {`, ...cases, 'default: return false;', '}',
  ].join('\n');
  return compile<(slots: Float64Array, o: number) => boolean>('commandIsWellFormed', ['s', 'o'], body);
}

/**
 * Per-call readers, by method: each field of a request read once, into the method's one copy (a
 * plain object with every name the method takes, in one order: one hidden class), which they
 * return. The state machine reads a request with it, so that the engine applies and the journal
 * records the same values, whatever a getter or Proxy would answer the next time. One copy a
 * method serves every caller: every field is read before any is stored (compileReader), and
 * nothing runs between the store and the copy's last use.
 */
export const readRequest = Object.fromEntries(OPERATIONS.map((spec) => [spec.method, compileReader(spec)])) as
  { [M in OperationSpec['method']]: (request: unknown) => RequestOf[M] };
/** Per-call checkers, by method: each request checked and written as a command record in one pass (compileChecker). */
export const checkRequest = Object.fromEntries(OPERATIONS.map((spec) => [spec.method, compileChecker(spec, false)])) as
  Record<OperationSpec['method'], RequestChecker>;
/** Per-call appliers, by method: each request checked, the slots the engine reads back written, and passed to the core (RequestApplier). */
export const applyRequest = Object.fromEntries(OPERATIONS.map((spec) => [spec.method, compileChecker(spec, true)])) as
  Record<OperationSpec['method'], RequestApplier>;
/** Per-call encoders into command records (the journal's), by method. */
export const encodeRequest = Object.fromEntries(OPERATIONS.map((spec) => [spec.method, compileEncoder(spec)])) as
  Record<OperationSpec['method'], RequestEncoder>;
