// Writes one command's events into an event block as the sequencer hands a call over: a call of
// that one command, its record holding the timestamp, each event's command slot its index (0).
// Tests that build blocks command by command, with any gaps between sequences, use it.
import { EVENT_SLOTS, EventSlot } from '../../src/events.js';
import { COMMAND_SLOTS, Slot } from '../../src/operations.js';
import type { EventBlockWriter } from '../../src/state/event-block.js';

/** The events `from` .. `from + count - 1` of `events` (EVENT_SLOTS each), all of command `seq`. */
export function writeCommand(writer: EventBlockWriter, seq: number, timestamp: number, events: Float64Array, from: number, count: number): void {
  const record = new Float64Array(COMMAND_SLOTS);
  record[Slot.TIMESTAMP] = timestamp;
  const own = events.slice(from * EVENT_SLOTS, (from + count) * EVENT_SLOTS);
  for (let k = 0; k < count; k++) own[k * EVENT_SLOTS + EventSlot.COMMAND] = 0;
  writer.commands(seq, record, 0, 1, own, count);
}
