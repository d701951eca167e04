// A new book's first order, rehearsed once per process on the resident core (index.ts), so that
// V8 has recorded what that path does before it optimizes the code around it.
//
// V8 gives a function its feedback vector (where its property loads and calls note what they
// met) only after some eight calls' worth of bytecode; what the function does before then is
// not recorded. A new book's first order takes branches no later order in that book takes
// (findBook's miss, the general limit path, the book's creation), and an engine that trades one
// asset took them once, in its first command, before those functions had a vector. Code
// optimized later holds, at each such branch, an exit to the interpreter ("Insufficient type
// feedback" in --trace-deopt): the next engine's first command, or the first order in a new asset,
// threw away the optimized batch path with everything inlined into it, and the next 4-5 batches
// ran unoptimized (bench/README.md, "A fresh JS engine's first command (stop 66)").
import { Head, Op, SideCode, Slot, Slots, StpCode, TifCode } from './codes.js';

/** New books a path opens: past the eight or so calls before a vector, twice over. */
const BOOKS = 32;

/** What the rehearsal calls: the batch path and the per-call limit order. */
export interface RehearsedCore {
  runBatch(commands: Float64Array, count: number, checked?: boolean): number;
  placeLimit(trader: number, asset: number, side: number, price: number, size: number,
             timestamp: number, tif: number, stp: number, clientOrderId: number): void;
}

/** Opens BOOKS books through a batch and as many through per-call orders: one resting bid each. */
export function rehearseNewBooks(core: RehearsedCore): void {
  const commands = new Float64Array(BOOKS * Slots.COMMAND);
  for (let i = 0; i < BOOKS; i++) {
    const c = i * Slots.COMMAND;
    commands[c + Slot.HEAD] = Op.LIMIT | (SideCode.BID << Head.SIDE_SHIFT) | (TifCode.GTC << Head.TIF_SHIFT) | (StpCode.ALLOW << Head.STP_SHIFT);
    commands[c + Slot.TRADER] = 1;
    commands[c + Slot.ASSET] = 1 + i;
    commands[c + Slot.PRICE] = 1;
    commands[c + Slot.SIZE] = 1;
  }
  core.runBatch(commands, BOOKS, true);
  for (let i = 0; i < BOOKS; i++) core.placeLimit(1, 1 + BOOKS + i, SideCode.BID, 1, 1, 0, TifCode.GTC, StpCode.ALLOW, 0);
}
