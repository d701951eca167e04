// The event block's and the journal's encoders write their fields' varints in line, not through
// putUint and putInt (src/state/event-block.ts, src/state/command-codec.ts, stop 67): their bytes
// must stay those of the format (docs/storage.md), every field written by putUint or putInt. Here
// both are checked against a reference that writes each field that way, on values around every
// varint length's edge (1, 2 and 3 bytes, 2^21, 2^31, 2^52, 2^53 - 1) and deltas of both signs,
// past -2^52 too.
import { expect, it } from 'vitest';
import { EventCode } from '../src/codes.js';
import { EVENT_SLOTS, EventHead, EventSlot } from '../src/events.js';
import { COMMAND_SLOTS, OPERATIONS, Slot } from '../src/operations.js';
import { ByteWriter, putInt, putUint } from '../src/state/bytes.js';
import { CommandEncoder } from '../src/state/command-codec.js';
import { EventBlockWriter, decodeEventBlock } from '../src/state/event-block.js';
import { Prng } from '../src/prng.js';
import { writeCommand } from './helpers/event-blocks.js';

const EDGES = [0, 1, 0x3f, 0x40, 0x7f, 0x80, 0x1fff, 0x2000, 0x3fff, 0x4000, 0xfffff, 0x100000, 0x1fffff, 0x200000,
  2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 52 - 1, 2 ** 52, 2 ** 52 + 1, 2 ** 53 - 1];

/** A value near an edge, or a small one near `near` (so small deltas occur as in a real flow). */
function value(prng: Prng, near: number): number {
  if (prng.chance(0.3)) return Math.min(2 ** 53 - 1, near + prng.below(3));
  const edge = EDGES[prng.below(EDGES.length)];
  return Math.max(0, Math.min(2 ** 53 - 1, edge + prng.below(3) - 1));
}

function putAll(out: ByteWriter, write: (b: Uint8Array, n: number) => number): void {
  out.reserve(64);
  out.length = write(out.bytes, out.length);
}

/** The body of an event block as the format has it, each field written by putUint or putInt. */
function referenceBody(commands: Array<{ seq: number; timestamp: number; from: number; count: number }>, events: Float64Array): Uint8Array {
  const out = new ByteWriter();
  let previousSeq = commands[0].seq - 1;
  let timestamp = 0;
  let asset = 0;
  let orderId = 0;
  let price = 0;
  for (const command of commands) {
    if (command.count === 0) continue;
    out.uint((command.seq - previousSeq) * 2);
    previousSeq = command.seq;
    out.int(command.timestamp - timestamp);
    timestamp = command.timestamp;
    out.uint(command.count);
    for (let k = command.from; k < command.from + command.count; k++) {
      const e = k * EVENT_SLOTS;
      const head = events[e];
      const kind = head & EventHead.KIND_MASK;
      putAll(out, (b, n) => {
        n = putUint(b, n, head);
        n = putInt(b, n, events[e + EventSlot.ASSET] - asset);
        n = putInt(b, n, events[e + EventSlot.ORDER_ID] - orderId);
        n = putUint(b, n, events[e + EventSlot.TRADER]);
        n = putInt(b, n, events[e + EventSlot.PRICE] - price);
        n = putUint(b, n, events[e + EventSlot.SIZE]);
        return putUint(b, n, events[e + EventSlot.REMAINING]);
      });
      putAll(out, (b, n) => {
        if (kind === EventCode.ACCEPTED || kind === EventCode.REJECTED || kind === EventCode.TRIGGERED) {
          n = putUint(b, n, events[e + EventSlot.OTHER]);
          n = putUint(b, n, events[e + EventSlot.OTHER2]);
        } else if (kind === EventCode.FILL) {
          n = putInt(b, n, events[e + EventSlot.OTHER] - events[e + EventSlot.ORDER_ID]);
          n = putUint(b, n, events[e + EventSlot.OTHER2]);
        } else if (kind === EventCode.MODIFIED) {
          n = putInt(b, n, events[e + EventSlot.OTHER] - events[e + EventSlot.PRICE]);
        }
        if ((head & EventHead.LEVEL) !== 0) {
          n = putUint(b, n, events[e + EventSlot.LEVEL_SIZE]);
          n = putUint(b, n, events[e + EventSlot.LEVEL_ORDERS]);
        }
        return n;
      });
      asset = events[e + EventSlot.ASSET];
      orderId = events[e + EventSlot.ORDER_ID];
      price = events[e + EventSlot.PRICE];
    }
  }
  return out.view().slice();
}

it('writes an event block body byte for byte as putUint and putInt would, and decodes it back', () => {
  const prng = new Prng(67);
  const kinds = Object.values(EventCode);
  for (let round = 0; round < 20; round++) {
    const commandCount = 50;
    const events = new Float64Array(commandCount * 4 * EVENT_SLOTS);
    const commands: Array<{ seq: number; timestamp: number; from: number; count: number }> = [];
    let k = 0;
    let seq = 1 + prng.below(1000);
    let timestamp = 0;
    for (let c = 0; c < commandCount; c++) {
      seq += 1 + (prng.chance(0.1) ? value(prng, 0) % 2 ** 40 : 0);
      timestamp = value(prng, timestamp);
      const count = prng.below(5);
      for (let j = 0; j < count; j++, k++) {
        const e = k * EVENT_SLOTS;
        const previous = k === 0 ? e : e - EVENT_SLOTS;
        events[e] = kinds[prng.below(kinds.length)] | (prng.chance(0.5) ? EventHead.LEVEL : 0) | (prng.below(2) << 9);
        events[e + EventSlot.COMMAND] = c;
        for (const slot of [EventSlot.ASSET, EventSlot.ORDER_ID, EventSlot.TRADER, EventSlot.PRICE, EventSlot.SIZE, EventSlot.REMAINING,
          EventSlot.OTHER, EventSlot.OTHER2]) events[e + slot] = value(prng, events[previous + slot]);
        if ((events[e] & EventHead.LEVEL) !== 0) {
          events[e + EventSlot.LEVEL_SIZE] = value(prng, 0);
          events[e + EventSlot.LEVEL_ORDERS] = value(prng, 0);
        }
      }
      commands.push({ seq, timestamp, from: k - count, count });
    }
    const writer = new EventBlockWriter();
    writer.open({ firstSeq: commands[0].seq, startHeight: 0, firstOrderId: 1, firstFillSeq: 1, firstEventSeq: 1 });
    for (const command of commands) writeCommand(writer, command.seq, command.timestamp, events, command.from, command.count);
    const [header, body] = writer.take()!.payload;
    expect(Buffer.from(body).equals(referenceBody(commands, events))).toBe(true);

    const block = decodeEventBlock(Buffer.concat([header, body]));
    expect(block.count).toBe(k);
    for (let n = 0; n < k; n++) {
      const e = n * EVENT_SLOTS;
      const kind = events[e] & EventHead.KIND_MASK;
      const has = (slot: number): boolean =>
        slot === EventSlot.OTHER ? kind !== EventCode.RESTED && kind !== EventCode.REDUCED && kind !== EventCode.REMOVED
          : slot === EventSlot.OTHER2 ? kind === EventCode.ACCEPTED || kind === EventCode.REJECTED || kind === EventCode.TRIGGERED || kind === EventCode.FILL
            : slot === EventSlot.LEVEL_SIZE || slot === EventSlot.LEVEL_ORDERS ? (events[e] & EventHead.LEVEL) !== 0 : true;
      for (let slot = 0; slot < EVENT_SLOTS; slot++) {
        if (slot === EventSlot.COMMAND) continue;
        expect(block.events[e + slot]).toBe(has(slot) ? events[e + slot] : 0);
      }
    }
    // The same events as one call's (consecutive sequences, each command's timestamp in its
    // record), written by commands() in one go: the same bytes as the reference's.
    const records = new Float64Array(commandCount * COMMAND_SLOTS);
    const call = commands.map((command, c) => ({ ...command, seq: commands[0].seq + c }));
    call.forEach((command, c) => { records[c * COMMAND_SLOTS + Slot.TIMESTAMP] = command.timestamp; });
    writer.open({ firstSeq: call[0].seq, startHeight: 0, firstOrderId: 1, firstFillSeq: 1, firstEventSeq: 1 });
    writer.commands(call[0].seq, records, 0, commandCount, events, k);
    const taken = writer.take()!;
    expect(taken.lastSeq).toBe(call[commandCount - 1].seq);
    expect(Buffer.from(taken.payload[1]).equals(referenceBody(call, events))).toBe(true);
  }
});

it('writes journal records byte for byte as putUint and putInt would', () => {
  const prng = new Prng(670);
  const count = 3_000;
  const records = new Float64Array(count * COMMAND_SLOTS);
  const deltaSlots = new Set<number>([Slot.ASSET, Slot.ORDER_ID, Slot.PRICE, Slot.TIMESTAMP, Slot.TRIGGER_PRICE, Slot.SECOND_PRICE]);
  const reference = new ByteWriter();
  const previous = new Float64Array(COMMAND_SLOTS);
  for (let i = 0; i < count; i++) {
    const spec = OPERATIONS[prng.below(OPERATIONS.length)];
    const o = i * COMMAND_SLOTS;
    records[o] = spec.op;
    reference.uint(spec.op);
    for (const field of spec.fields) {
      const v = value(prng, previous[field.slot]);
      records[o + field.slot] = v;
      if (deltaSlots.has(field.slot)) {
        reference.int(v - previous[field.slot]);
        previous[field.slot] = v;
      } else {
        reference.uint(v);
      }
    }
  }
  const out = new ByteWriter();
  const encoder = new CommandEncoder(out);
  // One command a call, then calls of many, as the sequencer hands them over: the same bytes.
  for (let i = 0; i < count; i++) encoder.commands(records, i * COMMAND_SLOTS, 1);
  expect(Buffer.from(out.view()).equals(Buffer.from(reference.view()))).toBe(true);
  out.clear();
  encoder.reset();
  for (let first = 0; first < count; first += 1000) encoder.commands(records, first * COMMAND_SLOTS, Math.min(1000, count - first));
  expect(Buffer.from(out.view()).equals(Buffer.from(reference.view()))).toBe(true);
});
