// The one place in src/cluster that knows how the engine lays out a command and its results.
// Everything else carries command bytes as they are (CommandBatch.bytes() in, fromBytes() out)
// and result slots verbatim with their strides, so a wider command record or new result
// sections change this file only.
import { COMMAND_SLOTS, FILL_SLOTS, RESULT_SLOTS, validateBatch, type CommandBatch } from '../batch.js';
import { EVENT_SLOTS } from '../events.js';
import { Head, Slot } from '../operations.js';

/** Float64 slots per command result, per fill and per event in BatchResults' arrays. */
export const RESULT_STRIDE = RESULT_SLOTS;
export const FILL_STRIDE = FILL_SLOTS;
export const EVENT_STRIDE = EVENT_SLOTS;

/** The asset a command names (the router's key). */
export function commandAsset(batch: CommandBatch, index: number): number {
  return batch.slots[index * COMMAND_SLOTS + Slot.ASSET];
}

/** A command about every asset of a trader (cancelAll without an asset): no one shard can apply it. */
export function commandSpansAssets(batch: CommandBatch, index: number): boolean {
  return (batch.slots[index * COMMAND_SLOTS + Slot.HEAD] & Head.ALL_ASSETS) !== 0;
}

/** Throws INVALID_ARGUMENT naming `commands[i].field`, exactly as the engine would, changing nothing. */
export function validateCommands(batch: CommandBatch): void {
  validateBatch(batch.slots, batch.count);
}
