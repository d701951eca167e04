// The table of operations as the core needs it: mirrors src/operations.ts (op codes, the slots
// each op reads with their rules, which enumerations its head carries, its cross-field rule;
// test/operations.test.ts reads this table back through operationField/operationFlags and checks
// it against the host's), and the check every batch passes before any of it is applied.
import { OP_CANCEL_ALL, SIDE_BID } from './codes';

export const COMMAND_SLOTS: u32 = 12;
export const COMMAND_BYTES: usize = 96;

export const SLOT_TRADER: usize = 1 << 3;
export const SLOT_ASSET: usize = 2 << 3;
export const SLOT_ORDER_ID: usize = 3 << 3;
export const SLOT_PRICE: usize = 4 << 3;
export const SLOT_SIZE: usize = 5 << 3;
export const SLOT_TIMESTAMP: usize = 6 << 3;
export const SLOT_CLIENT_ORDER_ID: usize = 7 << 3;
export const SLOT_TRIGGER_PRICE: usize = 8 << 3;
export const SLOT_BUDGET: usize = 9 << 3;
export const SLOT_SECOND_PRICE: usize = 10 << 3;

export const HEAD_ALL_ASSETS: u32 = 1 << 16;
const HEAD_LIMIT: f64 = <f64>(1 << 17);

const RULE_NON_NEGATIVE: u8 = 1;
const RULE_POSITIVE: u8 = 2;
const RULE_OPTIONAL_POSITIVE: u8 = 3;
const RULE_ASSET_OR_ALL: u8 = 4;

const CROSS_CHANGES_SOMETHING: u32 = 1;
const CROSS_SIZE_OR_BUDGET: u32 = 2;
const CROSS_STOP_PRICES: u32 = 3;
const CROSS_OCO_PRICES: u32 = 4;

// Faults that are not a slot (src/operations.ts FaultPart), as the positive codes the host decodes.
const FAULT_HEAD: u32 = 17;
const FAULT_OP: u32 = 18;
const FAULT_SIDE: u32 = 19;
const FAULT_TIF: u32 = 20;
const FAULT_STP: u32 = 21;
const FAULT_CROSS: u32 = 22;
/** A fault is reported as -(1 + index * FAULT_STRIDE + code). */
const FAULT_STRIDE: f64 = 32;

const OPS: u32 = 16;
const MAX_FIELDS: u32 = 8;
// Per op: field count, then (slot, rule) pairs; 32 bytes an op. Op order: 1 limit, 2 market,
// 3 cancel, 4 reduce, 5 modify, 6 cancelAll, 7 stop, 8 OCO.
const FIELDS: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  6, 1, 1, 2, 1, 4, 2, 5, 2, 6, 1, 7, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  7, 1, 1, 2, 1, 5, 3, 9, 3, 6, 1, 4, 3, 7, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  3, 1, 1, 2, 1, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 1, 1, 2, 1, 3, 2, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  6, 1, 1, 2, 1, 3, 2, 4, 3, 5, 3, 6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 1, 1, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  8, 1, 1, 2, 1, 5, 2, 8, 2, 4, 3, 10, 3, 6, 1, 7, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  8, 1, 1, 2, 1, 5, 2, 4, 2, 8, 2, 10, 3, 6, 1, 7, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);
// Per op: side | timeInForce << 1 | stp << 2 | cross << 4 (1 where the head carries it).
const FLAGS: usize = memory.data<u8>([0, 0b0111, 0b100101, 0, 0, 0b10000, 0, 0b110111, 0b1000101]);
const KNOWN_OPS: u32 = 9;

@inline function isSafeInteger(value: f64): bool {
  return value <= 9007199254740991.0 && Math.trunc(value) == value;
}

/** From +0 up, -0 refused (src/operations.ts says why): a clear sign bit and no NaN. */
@inline function isNonNegative(value: f64): bool {
  return reinterpret<i64>(value) >= 0 && value >= 0.0;
}

@inline function meetsRule(rule: u8, value: f64, allAssets: bool): bool {
  if (rule == RULE_POSITIVE) return value >= 1.0 && isSafeInteger(value);
  if (rule == RULE_NON_NEGATIVE) return isNonNegative(value) && isSafeInteger(value);
  if (rule == RULE_OPTIONAL_POSITIVE) return reinterpret<i64>(value) == 0 || (value >= 1.0 && isSafeInteger(value));
  return allAssets || (isNonNegative(value) && isSafeInteger(value)); // RULE_ASSET_OR_ALL
}

/** What fails in a command's head (an integer below HEAD_LIMIT, a known op, the codes it takes), or 0. */
@inline function headFault(headValue: f64): u32 {
  if (!(headValue >= 0.0 && headValue < HEAD_LIMIT && Math.trunc(headValue) == headValue)) return FAULT_HEAD;
  const head = <u32>headValue;
  const op = head & 15;
  if (op >= KNOWN_OPS || op == 0) return FAULT_OP;
  const flags = <u32>load<u8>(FLAGS + op);
  if (((head >> 4) & 15) > (flags & 1)) return FAULT_SIDE;
  if (((head >> 8) & 15) > ((flags >> 1) & 1) * 3) return FAULT_TIF;
  if (((head >> 12) & 15) > ((flags >> 2) & 1) * 3) return FAULT_STP;
  return 0;
}

/** 0 when the command at `command` is well formed, else the code of what fails. */
function commandFault(command: usize): u32 {
  const headValue = load<f64>(command);
  const fault = headFault(headValue);
  if (fault != 0) return fault;
  const head = <u32>headValue;
  const op = head & 15;
  const flags = <u32>load<u8>(FLAGS + op);
  const allAssets = (head & HEAD_ALL_ASSETS) != 0;
  if (allAssets && op != OP_CANCEL_ALL) return FAULT_HEAD;
  const fields = FIELDS + (<usize>op << 5);
  const count = <usize>load<u8>(fields);
  for (let f: usize = 0; f < count; f++) {
    const slot = load<u8>(fields + 1 + (f << 1));
    if (!meetsRule(load<u8>(fields + 2 + (f << 1)), load<f64>(command + (<usize>slot << 3)), allAssets)) return <u32>slot;
  }
  return crossRuleHolds(command, <i32>head, <i32>(flags >> 4)) ? 0 : FAULT_CROSS;
}

// The fast check, derived from FIELDS and FLAGS at start: per op, the head bits it may set and
// (just below) the lowest value each slot takes. A command passes when its head is an integer with no other
// bits, and every slot 1..10 is an integer from its lowest to 2^53 - 1 (every slot rule is one of
// those; an optional positive integer is a non-negative one). Slots the op has no rule for are
// held to the same bounds (lowest 0): builders leave them 0 or a past command's value, and any
// other value there only sends the command to commandFault's walk, which ignores them. That walk,
// in table order, also names the first failing field of a command that does fail. The slots are
// checked two at a time with SIMD compares and no branch: the walk alone took a quarter of the
// core's time on the steady flow (issue 9). A check that masked out the slots without a rule and
// tested the head field by field took 13.6-23 ns a command; this one takes 9.5-10 ns, about 6 of
// them the head and slots (bench/README.md, "The batch check").
// The lowest value is compared as a bit pattern, one signed 64-bit compare a lane: from +0 up, a
// double's bits order as its value, and every negative double (-0 among them) is a negative i64.
// So each slot holds the bits just below its lowest value, and a lane holds when its value's bits
// are greater.
const FAST_ROW: usize = <usize>COMMAND_SLOTS * 8;
// A row for every op a head can name, so that an unknown op's reads stay in this table (its
// head check fails it whatever they find).
const FAST_BELOW_LOWEST: usize = memory.data(<i32>(OPS * COMMAND_SLOTS * 8), 16);
const HEAD_ALLOWED: usize = memory.data(<i32>(OPS * 4), 16);
const BELOW_ZERO: i64 = -1;
const BELOW_ONE: i64 = reinterpret<i64>(1.0) - 1;

function deriveFastChecks(): void {
  for (let op: u32 = 1; op < KNOWN_OPS; op++) {
    for (let slot: usize = 0; slot < <usize>COMMAND_SLOTS; slot++) store<i64>(FAST_BELOW_LOWEST + <usize>op * FAST_ROW + (slot << 3), BELOW_ZERO);
    const fields = FIELDS + (<usize>op << 5);
    const count = <usize>load<u8>(fields);
    for (let f: usize = 0; f < count; f++) {
      const at = <usize>op * FAST_ROW + (<usize>load<u8>(fields + 1 + (f << 1)) << 3);
      store<i64>(FAST_BELOW_LOWEST + at, load<u8>(fields + 2 + (f << 1)) == RULE_POSITIVE ? BELOW_ONE : BELOW_ZERO);
    }
    // headFault's rules as bits: the op's own, a side (0 or 1), a time in force and a protection (0..3).
    const flags = <u32>load<u8>(FLAGS + op);
    let allowed: u32 = 15 | ((flags & 1) << 4) | (((flags >> 1) & 1) * 0x300) | (((flags >> 2) & 1) * 0x3000);
    if (op == OP_CANCEL_ALL) allowed |= HEAD_ALL_ASSETS;
    store<u32>(HEAD_ALLOWED + (<usize>op << 2), allowed);
  }
}
deriveFastChecks();

/** The lanes of slots (slot, slot + 1) that hold an integer from their lowest to 2^53 - 1 (-0 not), as all-ones lanes. */
@inline function pairHolds(command: usize, row: usize, slot: usize): v128 {
  const value = v128.load(command + (slot << 3));
  return v128.and(
    v128.and(i64x2.gt_s(value, v128.load(FAST_BELOW_LOWEST + row + (slot << 3))), f64x2.le(value, f64x2.splat(9007199254740991.0))),
    f64x2.eq(f64x2.trunc(value), value),
  );
}

/**
 * The cross-field rules, each as a bit (bit `cross`; bit 0, no rule, always set): src/operations.ts
 * crossFailure states them and names what fails. Computed for every command with no branch on its
 * op, so that the fast check can take its op's bit: with ops mixed, a branch on which rule applies
 * mispredicts.
 */
@inline function crossRulesHeld(command: usize, head: i32): i32 {
  const price = load<f64>(command, SLOT_PRICE);
  const size = load<f64>(command, SLOT_SIZE);
  const hasPrice = <i32>(price != 0);
  const hasSize = <i32>(size != 0);
  const changesSomething = hasPrice | hasSize;
  const sizeOrBudget = hasSize ^ <i32>(load<f64>(command, SLOT_BUDGET) != 0);
  // A stop with a price (a stop-limit) takes a time in force and no protection price; without one, the reverse.
  const stopPrices = (hasPrice & <i32>(load<f64>(command, SLOT_SECOND_PRICE) == 0)) | ((hasPrice ^ 1) & <i32>(((head >> 8) & 15) == 0));
  // An OCO's stop leg lies beyond its limit leg.
  const stop = load<f64>(command, SLOT_TRIGGER_PRICE);
  const bid = <i32>(((head >> 4) & 15) == <i32>SIDE_BID);
  const ocoPrices = (bid & <i32>(stop > price)) | ((bid ^ 1) & <i32>(stop < price));
  return 1 | (changesSomething << CROSS_CHANGES_SOMETHING) | (sizeOrBudget << CROSS_SIZE_OR_BUDGET) |
    (stopPrices << CROSS_STOP_PRICES) | (ocoPrices << CROSS_OCO_PRICES);
}

/** Whether the command meets cross rule `cross` (0: none). */
@inline function crossRuleHolds(command: usize, head: i32, cross: i32): bool {
  return ((crossRulesHeld(command, head) >> cross) & 1) != 0;
}

/** True when the command passes the fast check: then commandFault would find nothing. */
@inline function passesFastCheck(command: usize): bool {
  const headValue = load<f64>(command);
  const head = <i32>headValue; // saturating: NaN and anything out of range fail the comparison below
  const op = <usize>(head & 15);
  const allowed = load<i32>(HEAD_ALLOWED + (op << 2)); // 0 for an unknown op, head 0 included
  const headHolds = <f64>head == headValue && (head & ~allowed) == 0 && allowed != 0;
  const row = op * FAST_ROW;
  const held = v128.and(
    v128.and(v128.and(pairHolds(command, row, 1), pairHolds(command, row, 3)), v128.and(pairHolds(command, row, 5), pairHolds(command, row, 7))),
    pairHolds(command, row, 9),
  );
  const crossHolds = crossRuleHolds(command, head, <i32>load<u8>(FLAGS + op) >> 4);
  return headHolds && i64x2.all_true(held) && crossHolds;
}

/**
 * The index of the first command from `i` that the fast check does not pass, or `count`. A loop
 * of its own with no call in it, so V8 keeps its state in registers.
 */
function firstSuspect(commands: usize, i: u32, count: u32): u32 {
  let command = commands + <usize>i * COMMAND_BYTES;
  while (i < count && passesFastCheck(command)) {
    i++;
    command += COMMAND_BYTES;
  }
  return i;
}

/** -1 when every command of the batch at `commands` is well formed, else -(1 + index * 32 + fault code) of the first that is not. */
export function findBatchFault(commands: usize, count: u32): f64 {
  // What the fast check does not pass takes the walk, which decides and names the field.
  for (let i = firstSuspect(commands, 0, count); i < count; i = firstSuspect(commands, i + 1, count)) {
    const fault = commandFault(commands + <usize>i * COMMAND_BYTES);
    if (fault != 0) return -(1 + <f64>i * FAULT_STRIDE + <f64>fault);
  }
  return -1;
}

/** The table read back for the mirror test: field i of op as slot << 8 | rule, or 0 past its fields. */
export function operationField(op: u32, i: u32): u32 {
  // FIELDS holds the known ops only: past them lies other static data.
  if (op >= KNOWN_OPS || i >= MAX_FIELDS) return 0;
  const fields = FIELDS + (<usize>op << 5);
  if (i >= <u32>load<u8>(fields)) return 0;
  return (<u32>load<u8>(fields + 1 + (<usize>i << 1)) << 8) | <u32>load<u8>(fields + 2 + (<usize>i << 1));
}

/** The table read back for the mirror test: side | timeInForce << 1 | stp << 2 | cross << 4, or 0xff for an unknown op. */
export function operationFlags(op: u32): u32 {
  return op == 0 || op >= KNOWN_OPS ? 0xff : <u32>load<u8>(FLAGS + op);
}
