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

@inline function meetsRule(rule: u8, value: f64, allAssets: bool): bool {
  if (rule == RULE_POSITIVE) return value >= 1.0 && isSafeInteger(value);
  if (rule == RULE_NON_NEGATIVE) return value >= 0.0 && isSafeInteger(value);
  if (rule == RULE_OPTIONAL_POSITIVE) return value == 0.0 || (value >= 1.0 && isSafeInteger(value));
  return allAssets || (value >= 0.0 && isSafeInteger(value)); // RULE_ASSET_OR_ALL
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
  const cross = flags >> 4;
  return cross == 0 || crossHolds(cross, command, head) ? 0 : FAULT_CROSS;
}

/** The cross-field rules (src/operations.ts crossFailure states them and names what fails). */
function crossHolds(cross: u32, command: usize, head: u32): bool {
  if (cross == CROSS_CHANGES_SOMETHING) return load<f64>(command, SLOT_PRICE) != 0 || load<f64>(command, SLOT_SIZE) != 0;
  if (cross == CROSS_SIZE_OR_BUDGET) return (load<f64>(command, SLOT_SIZE) != 0) != (load<f64>(command, SLOT_BUDGET) != 0);
  if (cross == CROSS_STOP_PRICES) {
    // A price (stop-limit) takes a time in force and no protection price; no price, the reverse.
    if (load<f64>(command, SLOT_PRICE) != 0) return load<f64>(command, SLOT_SECOND_PRICE) == 0;
    return ((head >> 8) & 15) == 0;
  }
  // CROSS_OCO_PRICES: the stop leg beyond the limit leg.
  const price = load<f64>(command, SLOT_PRICE);
  const stop = load<f64>(command, SLOT_TRIGGER_PRICE);
  return ((head >> 4) & 15) == SIDE_BID ? stop > price : stop < price;
}

// The fast check, derived from FIELDS at start: per op, the lowest value each slot takes and a
// mask of the slots that have a rule. Every slot rule is "an integer from 0 or from 1, at most
// 2^53 - 1" (an optional positive integer is a non-negative one), so slots 1..10 are checked two
// at a time with f64x2 compares and no branch; only a command that fails takes commandFault's
// walk in table order, which names the first failing field. The walk alone took a quarter of
// the core's time on the steady flow (issue 9).
const FAST_ROW: usize = <usize>COMMAND_SLOTS * 8;
const FAST_LOWEST: usize = memory.data(<i32>(KNOWN_OPS * COMMAND_SLOTS * 8), 16);
const FAST_CHECKED: usize = memory.data(<i32>(KNOWN_OPS * COMMAND_SLOTS * 8), 16);

function deriveFastChecks(): void {
  for (let op: u32 = 1; op < KNOWN_OPS; op++) {
    const fields = FIELDS + (<usize>op << 5);
    const count = <usize>load<u8>(fields);
    for (let f: usize = 0; f < count; f++) {
      const at = <usize>op * FAST_ROW + (<usize>load<u8>(fields + 1 + (f << 1)) << 3);
      store<f64>(FAST_LOWEST + at, load<u8>(fields + 2 + (f << 1)) == RULE_POSITIVE ? 1 : 0);
      store<u64>(FAST_CHECKED + at, 0xffffffffffffffff);
    }
  }
}
deriveFastChecks();

/** The lanes of slots (slot, slot + 1) that break their rule, as all-ones lanes. */
@inline function pairFails(command: usize, row: usize, slot: usize): v128 {
  const value = v128.load(command + (slot << 3));
  const fits = v128.and(
    v128.and(f64x2.ge(value, v128.load(FAST_LOWEST + row + (slot << 3))), f64x2.le(value, f64x2.splat(9007199254740991.0))),
    f64x2.eq(f64x2.trunc(value), value),
  );
  return v128.andnot(v128.load(FAST_CHECKED + row + (slot << 3)), fits);
}

/** True when the command's head and slots all meet their rules: commandFault is then its cross rule's alone. */
@inline function slotsHold(command: usize): bool {
  const headValue = load<f64>(command);
  if (headFault(headValue) != 0) return false;
  const head = <u32>headValue;
  if ((head & HEAD_ALL_ASSETS) != 0) return false;
  const row = <usize>(head & 15) * FAST_ROW;
  const failed = v128.or(
    v128.or(v128.or(pairFails(command, row, 1), pairFails(command, row, 3)), v128.or(pairFails(command, row, 5), pairFails(command, row, 7))),
    pairFails(command, row, 9),
  );
  return !v128.any_true(failed);
}

/** commandFault of a command whose head and slots hold. */
@inline function crossFault(command: usize): u32 {
  const head = <u32>load<f64>(command);
  const cross = <u32>load<u8>(FLAGS + (head & 15)) >> 4;
  return cross == 0 || crossHolds(cross, command, head) ? 0 : FAULT_CROSS;
}

/** -1 when every command of the batch at `commands` is well formed, else -(1 + index * 32 + fault code) of the first that is not. */
export function findBatchFault(commands: usize, count: u32): f64 {
  let command = commands;
  for (let i: u32 = 0; i < count; i++) {
    // A cancel-all of every asset (its asset slot unchecked) and any fault take the walk.
    const fault = slotsHold(command) ? crossFault(command) : commandFault(command);
    if (fault != 0) return -(1 + <f64>i * FAULT_STRIDE + <f64>fault);
    command += COMMAND_BYTES;
  }
  return -1;
}

/** The table read back for the mirror test: field i of op as slot << 8 | rule, or 0 past its fields. */
export function operationField(op: u32, i: u32): u32 {
  if (op >= OPS || i >= MAX_FIELDS) return 0;
  const fields = FIELDS + (<usize>op << 5);
  if (i >= <u32>load<u8>(fields)) return 0;
  return (<u32>load<u8>(fields + 1 + (<usize>i << 1)) << 8) | <u32>load<u8>(fields + 2 + (<usize>i << 1));
}

/** The table read back for the mirror test: side | timeInForce << 1 | stp << 2 | cross << 4, or 0xff for an unknown op. */
export function operationFlags(op: u32): u32 {
  return op == 0 || op >= KNOWN_OPS ? 0xff : <u32>load<u8>(FLAGS + op);
}
