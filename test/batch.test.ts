// The binary batch (src/batch.ts): same results, fills and state as the per-call API; all-or-
// nothing validation; the BatchResults reader.
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import { call, outcomeOfCall, outcomesOfBatch, toBatch, type Command } from './helpers/commands.js';
import { observe } from './helpers/book.js';
import { BatchResults, COMMAND_BYTES, COMMAND_SLOTS, CommandBatch } from '../src/batch.js';
import { OPERATIONS } from '../src/operations.js';
import { Op } from '../src/codes.js';
import { LobError } from '../src/errors.js';
import type { Engine } from '../src/engine.js';
import { EVENT_SLOTS, EventSlot } from '../src/events.js';

const MAX = Number.MAX_SAFE_INTEGER;

/** Every command kind and outcome: rests, partial and full fills, each TIF, STP, rejections. */
const SCRIPT: Command[] = [
  { op: 'limit', req: { trader: 1, asset: 1, side: 'bid', price: 100, size: 5, timestamp: 1, clientOrderId: 9 } },
  { op: 'limit', req: { trader: 2, asset: 1, side: 'bid', price: 100, size: 3, timestamp: 2, stp: 'cancel_maker' } },
  { op: 'limit', req: { trader: 1, asset: 1, side: 'bid', price: 99, size: 8, timestamp: 3 } },
  { op: 'limit', req: { trader: 3, asset: 1, side: 'ask', price: 103, size: 4, timestamp: 4 } },
  { op: 'limit', req: { trader: 3, asset: 1, side: 'ask', price: 102, size: 6, timestamp: 5, timeInForce: 'POST_ONLY' } },
  { op: 'limit', req: { trader: 3, asset: 1, side: 'ask', price: 99, size: 6, timestamp: 6, timeInForce: 'POST_ONLY' } }, // WOULD_CROSS
  { op: 'limit', req: { trader: 4, asset: 1, side: 'ask', price: 100, size: 6, timestamp: 7 } }, // two fills
  { op: 'limit', req: { trader: 5, asset: 2, side: 'ask', price: 10, size: 10, timestamp: 8 } },
  { op: 'reduce', req: { trader: 3, asset: 1, orderId: 4, by: 1 } },
  { op: 'reduce', req: { trader: 1, asset: 1, orderId: 4, by: 1 } }, // NOT_OWNER
  { op: 'cancel', req: { trader: 5, asset: 1, orderId: 8 } }, // UNKNOWN_ORDER: wrong asset
  { op: 'modify', req: { trader: 3, asset: 1, orderId: 5, price: 101, timestamp: 9 } },
  { op: 'modify', req: { trader: 1, asset: 1, orderId: 3, size: 20, timestamp: 10 } },
  { op: 'modify', req: { trader: 1, asset: 1, orderId: 3, price: 101, timestamp: 11 } }, // crosses #5
  { op: 'market', req: { trader: 4, asset: 1, side: 'bid', size: 2, timestamp: 12 } },
  { op: 'market', req: { trader: 4, asset: 2, side: 'bid', size: 20, timestamp: 13, protectionPrice: 10 } },
  { op: 'market', req: { trader: 4, asset: 3, side: 'ask', size: 1, timestamp: 14 } }, // empty book
  { op: 'limit', req: { trader: 3, asset: 1, side: 'bid', price: 105, size: 9, timestamp: 15, timeInForce: 'FOK' } }, // CANNOT_FILL
  { op: 'limit', req: { trader: 3, asset: 1, side: 'bid', price: 103, size: 1, timestamp: 16, timeInForce: 'IOC', stp: 'cancel_taker' } },
  { op: 'limit', req: { trader: 1, asset: 1, side: 'ask', price: 90, size: 50, timestamp: 17, stp: 'cancel_both' } },
  { op: 'cancel', req: { trader: 3, asset: 1, orderId: 4 } },
  { op: 'reduce', req: { trader: 1, asset: 1, orderId: 3, by: MAX } },
  { op: 'limit', req: { trader: 1, asset: 1, side: 'ask', price: MAX, size: MAX, timestamp: MAX } },
];

/** The table's method of each scripted command kind. */
const METHOD_OF: Record<Command['op'], string> = {
  limit: 'placeLimit', market: 'placeMarket', cancel: 'cancel', reduce: 'reduce', modify: 'modify',
  cancelAll: 'cancelAll', stop: 'placeStop', oco: 'placeOco',
};

describeEachBackend('submitBatch', (backend) => {
  let perCall: Engine;
  let batched: Engine;
  beforeEach(async () => {
    perCall = await newEngine(backend);
    batched = await newEngine(backend);
  });

  it('gives the same results, fills and final state as the same commands per call', () => {
    const expected = SCRIPT.map((c) => outcomeOfCall(c, call(perCall, c)));
    const results = batched.submitBatch(toBatch(SCRIPT));
    expect(results.count).toBe(SCRIPT.length);
    expect(outcomesOfBatch(SCRIPT, results)).toEqual(expected);
    expect(batched.stateHash()).toBe(perCall.stateHash());
    expect(batched.nextOrderId).toBe(perCall.nextOrderId);
  });

  it('gives the same results when the script is cut into several batches', () => {
    const expected = SCRIPT.map((c) => outcomeOfCall(c, call(perCall, c)));
    const got = [];
    for (let from = 0; from < SCRIPT.length; from += 5) {
      const part = SCRIPT.slice(from, from + 5);
      got.push(...outcomesOfBatch(part, batched.submitBatch(toBatch(part))));
    }
    expect(got).toEqual(expected);
    expect(batched.stateHash()).toBe(perCall.stateHash());
  });

  it('mixes with per-call commands on the same engine', () => {
    const expected = SCRIPT.map((c) => outcomeOfCall(c, call(perCall, c)));
    const got = [];
    for (let i = 0; i < SCRIPT.length; i++) {
      if (i % 2 === 0) got.push(outcomeOfCall(SCRIPT[i], call(batched, SCRIPT[i])));
      else got.push(...outcomesOfBatch([SCRIPT[i]], batched.submitBatch(toBatch([SCRIPT[i]]))));
    }
    expect(got).toEqual(expected);
    expect(batched.stateHash()).toBe(perCall.stateHash());
  });

  it('an empty batch does nothing', () => {
    const before = observe(batched);
    const results = batched.submitBatch(new CommandBatch());
    expect(results.count).toBe(0);
    expect(results.fillCount).toBe(0);
    expect(observe(batched)).toEqual(before);
  });

  describe('BatchResults', () => {
    it('reads statuses, reasons, ids, sizes and fills with their command index and timestamp', () => {
      const batch = new CommandBatch(1) // grows past its initial size
        .limit(1, 1, 'ask', 100, 5, 11)
        .limit(1, 1, 'ask', 101, 5, 12)
        .limit(2, 1, 'bid', 101, 7, 13, 'IOC')
        .cancel(2, 1, 2)
        .reduce(1, 1, 2, 1)
        .limit(2, 1, 'bid', 101, 1, 14, 'POST_ONLY');
      const r = batched.submitBatch(batch);
      expect(r).toBeInstanceOf(BatchResults);
      expect(r.count).toBe(6);
      expect([0, 1, 2, 3, 4, 5].map((i) => r.status(i))).toEqual(['resting', 'resting', 'filled', 'rejected', 'ok', 'rejected']);
      expect([0, 1, 2, 3, 4, 5].map((i) => r.reason(i))).toEqual([undefined, undefined, undefined, 'NOT_OWNER', undefined, 'WOULD_CROSS']);
      expect([0, 1, 2, 3, 4, 5].map((i) => r.orderId(i))).toEqual([1, 2, 3, 2, 2, 0]);
      expect(r.filled(2)).toBe(7);
      expect(r.remaining(4)).toBe(2);
      expect(r.fillCount).toBe(2);
      expect([r.fillCommand(0), r.fillCommand(1)]).toEqual([2, 2]);
      expect(r.fill(0)).toEqual({
        asset: 1, makerOrderId: 1, takerOrderId: 3, makerTrader: 1, takerTrader: 2, takerSide: 'bid', price: 100, size: 5, timestamp: 13,
      });
      expect(r.fill(1)).toMatchObject({ makerOrderId: 2, price: 101, size: 2, timestamp: 13 });
    });

    it('is one object the engine reuses: the next batch overwrites it', () => {
      const first = batched.submitBatch(new CommandBatch().limit(1, 1, 'bid', 100, 1, 0));
      const second = batched.submitBatch(new CommandBatch().cancel(1, 1, 1).cancel(1, 1, 1));
      expect(second).toBe(first);
      expect(second.count).toBe(2);
      expect([second.status(0), second.status(1)]).toEqual(['ok', 'rejected']);
      expect(second.reason(1)).toBe('UNKNOWN_ORDER');
    });

    it('stopStatus answers for OCO pairs only: undefined for every other command', () => {
      for (const batch of [new CommandBatch(), batched.createBatch()]) {
        batched.restore(perCall.snapshot()); // empty books
        batch.clear()
          .limit(1, 1, 'ask', 10, 1, 1) // rests
          .stop(2, 1, 'bid', 1, 50, 1) // pending
          .market(3, 1, 'bid', 5, 2) // takes the ask, the rest cancelled
          .marketBudget(3, 1, 'bid', 100, 2) // nothing to take
          .oco(4, 1, 'bid', 2, 5, 60, 3) // rests untouched (at placement, when its result is made): its stop leg pending
          .limit(5, 1, 'ask', 5, 1, 4) // fills the OCO's limit leg in part
          .oco(4, 1, 'bid', 2, 2, 4, 5) // rejected: the last trade, 5, is past its stop price
          .cancel(4, 1, 99).reduce(4, 1, 4, 1).modify(4, 1, 4, 6, 0, 6).cancelAll(4).cancelAll(1, 1)
          .limit(1, 1, 'bid', 3, 1, 7).oco(6, 1, 'ask', 1, 3, 2, 8); // takes the bid: its stop leg cancelled
        const r = batched.submitBatch(batch);
        expect(Array.from({ length: r.count }, (_, i) => r.stopStatus(i))).toEqual([
          undefined, undefined, undefined, undefined, 'pending', undefined, undefined,
          undefined, undefined, undefined, undefined, undefined, undefined, 'cancelled',
        ]);
        expect([r.status(4), r.status(6), r.reason(6), r.status(13)]).toEqual(['resting', 'rejected', 'WOULD_TRIGGER', 'filled']);
      }
    });

    it('timestamp(i) is 0 for a cancel, reduce or cancelAll, whatever its record\'s unused slot holds', () => {
      for (const batch of [new CommandBatch(), batched.createBatch()]) {
        batched.restore(perCall.snapshot()); // empty books
        batched.submitBatch(batch.clear().limit(1, 1, 'bid', 10, 5, 71).limit(1, 1, 'bid', 9, 5, 72).limit(1, 1, 'bid', 8, 5, 73));
        // The same records, reused: a builder that has no timestamp leaves the earlier one in the slot.
        const r = batched.submitBatch(batch.clear().cancel(1, 1, 1).reduce(1, 1, 2, 1).cancelAll(1));
        expect([r.status(0), r.status(1), r.status(2)]).toEqual(['ok', 'ok', 'ok']);
        expect([r.timestamp(0), r.timestamp(1), r.timestamp(2)]).toEqual([0, 0, 0]);
        // So does a raw record that puts a number there.
        const raw = batched.submitBatch(new CommandBatch().push(Op.CANCEL, 1, 1, 99, 0, 0, 5));
        expect([raw.reason(0), raw.timestamp(0)]).toEqual(['UNKNOWN_ORDER', 0]);
      }
    });

    it('refuses to read timestamps, OCO statuses and fills from a batch cleared since it ran, which would be another command\'s', () => {
      for (const batch of [new CommandBatch(), batched.createBatch()]) {
        batched.restore(perCall.snapshot()); // empty books
        const r = batched.submitBatch(batch.clear().limit(1, 1, 'ask', 10, 5, 71).oco(2, 1, 'bid', 2, 10, 60, 72));
        expect([r.timestamp(0), r.stopStatus(1), r.fill(0).timestamp, r.fillCount]).toEqual([71, 'cancelled', 72, 1]);
        // More commands after the batch ran leave its records as they were.
        batch.limit(3, 1, 'bid', 1, 1, 73);
        expect([r.timestamp(1), r.fill(0).timestamp]).toEqual([72, 72]);
        // Cleared and built again, the records are the new commands': these results refuse to read them.
        batch.clear().limit(4, 1, 'bid', 1, 1, 99).limit(4, 1, 'bid', 1, 1, 98);
        for (const [accessor, read] of [['timestamp', () => r.timestamp(0)], ['stopStatus', () => r.stopStatus(1)], ['fill', () => r.fill(0)]] as const) {
          expect(read, accessor).toThrow(new LobError('INVALID_ARGUMENT', `results.${accessor}: the batch these results answer was cleared since it ran; read timestamps, OCO stop statuses and fills before clearing it`));
        }
        // What the results hold themselves stays readable.
        expect([r.status(0), r.orderId(0), r.filled(1), r.fillCommand(0)]).toEqual(['resting', 1, 2, 1]);
        // Run again, the batch's new results read it.
        const again = batched.submitBatch(batch);
        expect([again.timestamp(0), again.timestamp(1)]).toEqual([99, 98]);
      }
    });

    it('refuses an index outside its count with INVALID_ARGUMENT naming it and the range, alike on both cores', () => {
      // Earlier batches leave results, fills and events in the engine's memory past the next one's counts.
      batched.submitBatch(new CommandBatch().limit(1, 7, 'ask', 10, 5, 1).limit(2, 7, 'bid', 10, 2, 2).limit(2, 7, 'bid', 10, 2, 3));
      batched.restore(batched.snapshot());
      const r = batched.submitBatch(new CommandBatch().limit(1, 2, 'bid', 10, 1, 1));
      expect([r.count, r.fillCount, r.events.count]).toEqual([1, 0, 2]);
      const refused = (read: () => unknown): string => {
        try {
          read();
        } catch (error) {
          expect(error).toBeInstanceOf(LobError);
          expect((error as LobError).code).toBe('INVALID_ARGUMENT');
          return (error as LobError).message;
        }
        throw new Error('read past the end without an error');
      };
      const perCommand = ['statusCode', 'reasonCode', 'status', 'reason', 'orderId', 'filled', 'remaining', 'cancelled', 'spent', 'stopStatus', 'timestamp'] as const;
      for (const i of [1, 2, 5, -1, 2 ** 32, Number.NaN, 0.5, Infinity]) {
        for (const accessor of perCommand) {
          expect(refused(() => r[accessor](i)), accessor).toBe(`i must be a command index in [0, 1), got ${i}`);
        }
      }
      for (const j of [0, 1, 3, -1, Number.NaN]) {
        for (const accessor of ['fillCommand', 'fill'] as const) {
          expect(refused(() => r[accessor](j)), accessor).toBe(`j must be a fill index in [0, 0), got ${j}`);
        }
      }
      const events = r.events;
      for (const k of [2, 3, -1, 1.5, Number.NaN]) {
        for (const accessor of ['head', 'kindCode', 'kind', 'command', 'asset', 'orderId', 'event'] as const) {
          expect(refused(() => events[accessor](k)), accessor).toBe(`k must be an event index in [0, 2), got ${k}`);
        }
        expect(refused(() => events.slot(k, 0))).toBe(`k must be an event index in [0, 2), got ${k}`);
      }
      for (const slot of [EVENT_SLOTS, -1, 2.5]) {
        expect(refused(() => events.slot(0, slot))).toBe(`slot must be an event slot index in [0, ${EVENT_SLOTS}), got ${slot}`);
      }
      expect(events.slot(1, EventSlot.ORDER_ID)).toBe(events.orderId(1));
      expect([r.status(0), r.orderId(0), r.timestamp(0), r.stopStatus(0)]).toEqual(['resting', 4, 1, undefined]);
      expect(events.toArray().map((e) => e.kind)).toEqual(['accepted', 'rested']);
      // The last per-call command's events are checked the same way.
      batched.cancel({ trader: 1, asset: 2, orderId: 99 });
      expect(refused(() => batched.events.event(1))).toBe('k must be an event index in [0, 1), got 1');
    });

    it('a batch read back from its bytes runs the same', () => {
      const bytes = toBatch(SCRIPT).bytes().slice();
      expect(bytes.byteLength).toBe(SCRIPT.length * COMMAND_BYTES);
      const expected = SCRIPT.map((c) => outcomeOfCall(c, call(perCall, c)));
      expect(outcomesOfBatch(SCRIPT, batched.submitBatch(CommandBatch.fromBytes(bytes)))).toEqual(expected);
    });
  });

  it('slots a command has no field in may hold anything: the batch runs as it does with them 0', () => {
    // The WASM core's fast check holds every slot to integer bounds and leaves what it refuses to
    // the table's walk, which reads only the op's own fields (assembly/operations.ts).
    const clean = toBatch(SCRIPT);
    const dirty = toBatch(SCRIPT);
    const unread = new Set<number>();
    const junk = [NaN, -1, 1.5, Infinity, -Infinity, 2 ** 53, -0.25];
    const records = dirty.view();
    for (let i = 0; i < SCRIPT.length; i++) {
      const spec = OPERATIONS.find((o) => o.method === METHOD_OF[SCRIPT[i].op])!;
      const read = new Set(spec.fields.map((f) => f.slot));
      for (let slot = 1; slot < COMMAND_SLOTS; slot++) {
        if (read.has(slot)) continue;
        records[i * COMMAND_SLOTS + slot] = junk[(i + slot) % junk.length];
        unread.add(slot);
      }
    }
    expect(unread.size).toBeGreaterThan(3);
    const expected = outcomesOfBatch(SCRIPT, perCall.submitBatch(clean));
    expect(outcomesOfBatch(SCRIPT, batched.submitBatch(dirty))).toEqual(expected);
    expect(batched.stateHash()).toBe(perCall.stateHash());
  });

  describe('a malformed command anywhere applies nothing', () => {
    // [label, field named in the error, raw record: head, trader, asset, orderId, price, size, timestamp, clientOrderId]
    const LIMIT = Op.LIMIT;
    const bad: [string, string, number[]][] = [
      ['op 0', 'op', [0, 1, 1, 0, 100, 1, 0, 0]],
      ['op 9', 'op', [9, 1, 1, 0, 100, 1, 0, 0]],
      ['a side on a cancel', 'side', [Op.CANCEL | (1 << 4), 1, 1, 1, 0, 0, 0, 0]],
      ['a time in force on a market order', 'timeInForce', [Op.MARKET | (1 << 8), 1, 1, 0, 0, 1, 0, 0]],
      ['the all-assets flag on a limit', 'head', [LIMIT | (1 << 16), 1, 1, 0, 100, 1, 0, 0]],
      ['a cancelAll with a fractional asset', 'asset', [Op.CANCEL_ALL, 1, 1.5, 0, 0, 0, 0, 0]],
      ['a cancelAll with a negative trader', 'trader', [Op.CANCEL_ALL | (1 << 16), -3, 0, 0, 0, 0, 0, 0]],
      ['a fractional clientOrderId', 'clientOrderId', [LIMIT, 1, 1, 0, 100, 1, 0, 0.5]],
      ['side 2', 'side', [LIMIT | (2 << 4), 1, 1, 0, 100, 1, 0, 0]],
      ['timeInForce 4', 'timeInForce', [LIMIT | (4 << 8), 1, 1, 0, 100, 1, 0, 0]],
      ['stp 4', 'stp', [LIMIT | (4 << 12), 1, 1, 0, 100, 1, 0, 0]],
      ['a NaN head', 'head', [NaN, 1, 1, 0, 100, 1, 0, 0]],
      ['a fractional head', 'head', [1.5, 1, 1, 0, 100, 1, 0, 0]],
      ['a negative trader', 'trader', [LIMIT, -1, 1, 0, 100, 1, 0, 0]],
      ['a fractional asset', 'asset', [LIMIT, 1, 1.5, 0, 100, 1, 0, 0]],
      ['a limit price 0', 'price', [LIMIT, 1, 1, 0, 0, 1, 0, 0]],
      ['a limit price 2^53', 'price', [LIMIT, 1, 1, 0, 2 ** 53, 1, 0, 0]],
      ['a limit size 0', 'size', [LIMIT, 1, 1, 0, 100, 0, 0, 0]],
      ['a limit size Infinity', 'size', [LIMIT, 1, 1, 0, 100, Infinity, 0, 0]],
      ['a NaN timestamp', 'timestamp', [LIMIT, 1, 1, 0, 100, 1, NaN, 0]],
      ['a negative clientOrderId', 'clientOrderId', [LIMIT, 1, 1, 0, 100, 1, 0, -1]],
      ['a negative protection price', 'protectionPrice', [Op.MARKET, 1, 1, 0, -1, 1, 0, 0]],
      ['a market size 0', 'size', [Op.MARKET, 1, 1, 0, 0, 0, 0, 0]],
      ['a cancel of order 0', 'orderId', [Op.CANCEL, 1, 1, 0, 0, 0, 0, 0]],
      ['a reduce by 0', 'by', [Op.REDUCE, 1, 1, 1, 0, 0, 0, 0]],
      ['a modify changing nothing', 'price', [Op.MODIFY, 1, 1, 1, 0, 0, 5, 0]],
      ['a modify with a fractional size', 'size', [Op.MODIFY, 1, 1, 1, 0, 2.5, 5, 0]],
      ['a modify with a negative timestamp', 'timestamp', [Op.MODIFY, 1, 1, 1, 101, 0, -5, 0]],
    ];

    for (const [label, field, record] of bad) {
      for (const [where, index] of [['first', 0], ['middle', 3], ['last', 6]] as const) {
        it(`${label}, ${where} in the batch, throws INVALID_ARGUMENT naming commands[${index}].${field}`, () => {
          batched.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 5, timestamp: 0 });
          const before = observe(batched);
          const batch = new CommandBatch();
          for (let i = 0; i < 7; i++) {
            if (i === index) batch.push(record[0], record[1], record[2], record[3], record[4], record[5], record[6], record[7]);
            else batch.limit(2, 1, 'ask', 100, 1, i); // would trade with the resting bid if applied
          }
          let error: unknown;
          try {
            batched.submitBatch(batch);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(LobError);
          expect((error as LobError).code).toBe('INVALID_ARGUMENT');
          expect((error as LobError).message).toContain(`commands[${index}].${field}`);
          expect(observe(batched)).toEqual(before);
        });
      }
    }

    it('a value that is not a CommandBatch throws INVALID_ARGUMENT', () => {
      const before = observe(batched);
      for (const notABatch of [undefined, null, new Float64Array(8), toBatch(SCRIPT).bytes(), { slots: new Float64Array(8), count: 1 }]) {
        let error: unknown;
        try {
          batched.submitBatch(notABatch as unknown as CommandBatch);
        } catch (e) {
          error = e;
        }
        expect((error as LobError).code).toBe('INVALID_ARGUMENT');
      }
      expect(observe(batched)).toEqual(before);
    });

    it('CommandBatch.fromBytes refuses a length that is not whole records', () => {
      expect(() => CommandBatch.fromBytes(new Uint8Array(COMMAND_BYTES + 1))).toThrow(LobError);
    });

    it('CommandBatch.fromBytes refuses anything but bytes, naming the batch', () => {
      for (const notBytes of [new Float64Array(COMMAND_BYTES / 8), new Uint8Array(COMMAND_BYTES).buffer, null]) {
        expect(() => CommandBatch.fromBytes(notBytes as never)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^batch must be a Uint8Array, got /) }));
      }
    });
  });
});

describe('the typed builders', () => {
  const SIDE_VALUES = ['bid', 'ask'] as const;
  const TIF_VALUES = [undefined, 'GTC', 'IOC', 'FOK', 'POST_ONLY'] as const;
  const STP_VALUES = [undefined, 'allow', 'cancel_taker', 'cancel_maker', 'cancel_both'] as const;

  function sameRecord(built: CommandBatch, requested: CommandBatch): void {
    expect(built.count).toBe(1);
    expect(Array.from(built.slots)).toEqual(Array.from(requested.slots));
  }

  it('encode every side, time in force and stp as the request encoder does', () => {
    for (const side of SIDE_VALUES) {
      for (const stp of STP_VALUES) {
        for (const timeInForce of TIF_VALUES) {
          sameRecord(new CommandBatch(1).limit(1, 2, side, 100, 5, 7, timeInForce, stp, 3),
            new CommandBatch(1).request('placeLimit', { trader: 1, asset: 2, side, price: 100, size: 5, timestamp: 7, timeInForce, stp, clientOrderId: 3 }));
          sameRecord(new CommandBatch(1).stop(1, 2, side, 5, 90, 7, 95, timeInForce, 0, stp, 3),
            new CommandBatch(1).request('placeStop', { trader: 1, asset: 2, side, size: 5, stopPrice: 90, price: 95, timestamp: 7, timeInForce, stp, clientOrderId: 3 }));
        }
        sameRecord(new CommandBatch(1).market(1, 2, side, 5, 7, 80, stp, 3),
          new CommandBatch(1).request('placeMarket', { trader: 1, asset: 2, side, size: 5, timestamp: 7, protectionPrice: 80, stp, clientOrderId: 3 }));
        sameRecord(new CommandBatch(1).marketBudget(1, 2, side, 500, 7, 0, stp),
          new CommandBatch(1).request('placeMarket', { trader: 1, asset: 2, side, budget: 500, timestamp: 7, stp }));
        const [price, stopPrice] = side === 'bid' ? [100, 110] : [110, 100];
        sameRecord(new CommandBatch(1).oco(1, 2, side, 5, price, stopPrice, 7, 0, stp),
          new CommandBatch(1).request('placeOco', { trader: 1, asset: 2, side, size: 5, price, stopPrice, timestamp: 7, stp }));
      }
    }
  });

  it('request() keeps every command when the batch grows, in the engine\'s memory and on the heap', async () => {
    for (const backend of ['wasm', 'js'] as const) {
      const engine = await newEngine(backend);
      for (const batch of [new CommandBatch(1), engine.createBatch(1)]) {
        for (let i = 0; i < 5; i++) batch.request('placeLimit', { trader: 1 + i, asset: 2, side: 'bid', price: 100 - i, size: 5, timestamp: 7 + i });
        expect(batch.count).toBe(5);
        const results = engine.submitBatch(batch);
        expect(Array.from({ length: 5 }, (_, k) => results.status(k))).toEqual(Array(5).fill('resting'));
      }
      expect(engine.restingOrders).toBe(10);
    }
  });

  it('market() after clear() is a plain market order, though the batch held a budget market order in its slot', async () => {
    for (const backend of ['wasm', 'js'] as const) {
      const engine = await newEngine(backend);
      for (const batch of [new CommandBatch(1), engine.createBatch(1)]) {
        engine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 10, size: 5, timestamp: 1 });
        batch.marketBudget(1, 1, 'bid', 30, 2);
        batch.clear();
        batch.market(1, 1, 'bid', 5, 3);
        const results = engine.submitBatch(batch);
        expect([results.status(0), results.filled(0), results.remaining(0)]).toEqual(['filled', 5, 0]);
        expect(engine.restingOrders).toBe(0);
      }
    }
  });

  const BAD: unknown[] = [null, 'sideways', 'BID', '', 0, {}, ['bid']];
  const CASES: { field: string; build: (batch: CommandBatch, bad: never) => void; missingIsBad: boolean }[] = [
    { field: 'side', build: (b, bad) => b.limit(1, 1, bad, 100, 5, 1), missingIsBad: true },
    { field: 'side', build: (b, bad) => b.market(1, 1, bad, 5, 1), missingIsBad: true },
    { field: 'side', build: (b, bad) => b.stop(1, 1, bad, 5, 90, 1), missingIsBad: true },
    { field: 'side', build: (b, bad) => b.oco(1, 1, bad, 5, 100, 110, 1), missingIsBad: true },
    { field: 'timeInForce', build: (b, bad) => b.limit(1, 1, 'bid', 100, 5, 1, bad), missingIsBad: false },
    { field: 'timeInForce', build: (b, bad) => b.stop(1, 1, 'bid', 5, 90, 1, 95, bad), missingIsBad: false },
    { field: 'stp', build: (b, bad) => b.limit(1, 1, 'bid', 100, 5, 1, 'GTC', bad), missingIsBad: false },
    { field: 'stp', build: (b, bad) => b.market(1, 1, 'ask', 5, 1, 0, bad), missingIsBad: false },
  ];

  it('refuse a bad side, time in force or stp with a one-line INVALID_ARGUMENT naming it, appending nothing', () => {
    for (const { field, build, missingIsBad } of CASES) {
      for (const bad of missingIsBad ? [...BAD, undefined] : BAD) {
        const batch = new CommandBatch(4).cancel(1, 1, 1);
        let error: unknown;
        try {
          build(batch, bad as never);
        } catch (e) {
          error = e;
        }
        expect(error, `${field} = ${String(bad)}`).toBeInstanceOf(LobError);
        expect((error as LobError).code).toBe('INVALID_ARGUMENT');
        // Named as the batch's validation names a field: the record it would have been, then the field.
        expect((error as LobError).message).toMatch(new RegExp(`^commands\\[1\\]\\.${field} must be one of `));
        expect((error as LobError).message).not.toContain('\n');
        expect(batch.count).toBe(1);
      }
    }
  });
});

describeEachBackend('CommandBatch refuses bad input, appending nothing', (backend) => {
  const limit = { trader: 1, asset: 7, side: 'bid' as const, price: 100, size: 5, timestamp: 1 };

  /** The message of the one-line INVALID_ARGUMENT `build` throws; the batch must still hold `count` records. */
  function refusal(batch: CommandBatch, count: number, build: () => unknown): string {
    let error: unknown;
    try {
      build();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LobError);
    expect((error as LobError).code).toBe('INVALID_ARGUMENT');
    expect((error as LobError).message).not.toContain('\n');
    expect(batch.count).toBe(count);
    return (error as LobError).message;
  }

  it('request() takes only the names of operations: any other name, an inherited one too, is refused naming method', async () => {
    const engine = await newEngine(backend);
    for (const batch of [new CommandBatch(4), engine.createBatch(4)]) {
      batch.request('placeLimit', limit);
      for (const method of ['placeLimt', 'toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__', '', 'limit']) {
        for (const req of [{ ...limit, price: 200 }, null]) {
          expect(refusal(batch, 1, () => batch.request(method as never, req as never)))
            .toBe(`method must be one of ${OPERATIONS.map((s) => s.method).join(', ')}, got "${method}"`);
        }
      }
      expect(refusal(batch, 1, () => batch.request(undefined as never, limit as never))).toMatch(/^method must be one of .*, got undefined \(missing\)$/);
      const results = engine.submitBatch(batch);
      expect([results.count, results.status(0)]).toEqual([1, 'resting']);
    }
    expect(engine.orders(7).map((o) => [o.trader, o.price, o.remaining])).toEqual([[1, 100, 5], [1, 100, 5]]);
  });

  // Per builder: valid arguments, and per argument the field an error names (null: an enumeration,
  // tested with the typed builders above; a trailing '?': optional, so undefined is its default).
  const BUILDERS: { builder: string; args: unknown[]; fields: (string | null)[] }[] = [
    { builder: 'limit', args: [1, 7, 'bid', 100, 5, 1, 'GTC', 'allow', 3],
      fields: ['trader', 'asset', null, 'price', 'size', 'timestamp', null, null, 'clientOrderId?'] },
    { builder: 'market', args: [1, 7, 'bid', 5, 1, 120, 'allow', 3],
      fields: ['trader', 'asset', null, 'size', 'timestamp', 'protectionPrice?', null, 'clientOrderId?'] },
    { builder: 'marketBudget', args: [1, 7, 'bid', 500, 1, 120, 'allow', 3],
      fields: ['trader', 'asset', null, 'budget', 'timestamp', 'protectionPrice?', null, 'clientOrderId?'] },
    { builder: 'stop', args: [1, 7, 'bid', 5, 150, 1, 0, undefined, 160, 'allow', 3],
      fields: ['trader', 'asset', null, 'size', 'stopPrice', 'timestamp', 'price?', null, 'protectionPrice?', null, 'clientOrderId?'] },
    { builder: 'oco', args: [1, 7, 'bid', 5, 100, 150, 1, 155, 'allow', 3],
      fields: ['trader', 'asset', null, 'size', 'price', 'stopPrice', 'timestamp', 'stopLimitPrice?', null, 'clientOrderId?'] },
    { builder: 'cancel', args: [1, 7, 1], fields: ['trader', 'asset', 'orderId'] },
    { builder: 'reduce', args: [1, 7, 1, 1], fields: ['trader', 'asset', 'orderId', 'by'] },
    { builder: 'modify', args: [1, 7, 1, 101, 0, 2], fields: ['trader', 'asset', 'orderId', 'price', 'size', 'timestamp'] },
    { builder: 'cancelAll', args: [1, 7], fields: ['trader', 'asset?'] },
    { builder: 'push', args: [Op.LIMIT, 1, 7, 0, 100, 5, 1, 3, 0, 0, 0],
      fields: ['head', 'trader', 'asset', 'orderId', 'price', 'size', 'timestamp', 'clientOrderId?', 'triggerPrice?', 'budget?', 'secondPrice?'] },
  ];
  // What a Float64Array would coerce to a number the core accepts (2, 1, 0, 4, 60, 10, 16, 0), and more.
  const NOT_NUMBERS: unknown[] = ['2', true, null, [4], ' 60 ', '1e1', '0x10', '', {}, 5n, Symbol('x')];

  it('the builders take only numbers for numeric arguments, naming commands[i].<field> otherwise', async () => {
    const engine = await newEngine(backend);
    for (const batch of [new CommandBatch(1), engine.createBatch(1)]) {
      batch.limit(1, 7, 'ask', 200, 1, 0);
      for (const { builder, args, fields } of BUILDERS) {
        const build = (batch as unknown as Record<string, (...a: unknown[]) => unknown>)[builder].bind(batch);
        fields.forEach((field, k) => {
          if (field === null) return;
          const optional = field.endsWith('?');
          const name = optional ? field.slice(0, -1) : field;
          for (const bad of optional ? NOT_NUMBERS : [...NOT_NUMBERS, undefined]) {
            const message = refusal(batch, 1, () => build(...args.slice(0, k), bad, ...args.slice(k + 1)));
            expect(message, `${builder} ${name} = ${String(bad)}`).toMatch(new RegExp(`^commands\\[1\\]\\.${name} must be a .*, got `));
          }
        });
        build(...args);
        expect(batch.count, builder).toBe(2);
        batch.clear().limit(1, 7, 'ask', 200, 1, 0);
      }
      const results = engine.submitBatch(batch);
      expect([results.count, results.status(0)]).toEqual([1, 'resting']);
    }
    expect(engine.orders(7).map((o) => [o.trader, o.side, o.price, o.remaining])).toEqual([[1, 'ask', 200, 1], [1, 'ask', 200, 1]]);
  });

  it('an optional numeric argument given as undefined takes its default', async () => {
    for (const { builder, args, fields } of BUILDERS) {
      const lastRequired = fields.findLastIndex((field) => field === null || !field.endsWith('?'));
      const defaulted = [...args.slice(0, lastRequired + 1), ...args.slice(lastRequired + 1).map(() => undefined)];
      const batch = new CommandBatch(2);
      const build = (batch as unknown as Record<string, (...a: unknown[]) => unknown>)[builder].bind(batch);
      build(...defaulted);
      build(...args.slice(0, lastRequired + 1));
      expect(batch.count, builder).toBe(2);
      expect(Array.from(batch.slots.subarray(0, COMMAND_SLOTS)), builder).toEqual(Array.from(batch.slots.subarray(COMMAND_SLOTS)));
    }
  });

  it('marketBudget with a budget of 0 is refused naming commands[i].budget, the argument given, as placeMarket names budget', async () => {
    const engine = await newEngine(backend);
    engine.placeLimit({ trader: 2, asset: 7, side: 'ask', price: 100, size: 5, timestamp: 0 });
    for (const batch of [new CommandBatch(1), engine.createBatch(1)]) {
      batch.limit(1, 7, 'bid', 90, 1, 1);
      // The record of a budget of 0 is a market order given neither size nor budget: the core named size.
      for (const [budget, shown] of [[0, '0'], [-0, '-0']] as const) {
        expect(refusal(batch, 1, () => batch.marketBudget(1, 7, 'bid', budget, 2))).toBe(`commands[1].budget must be a positive safe integer, got ${shown}`);
      }
      expect(() => engine.submitBatch(batch.marketBudget(1, 7, 'bid', -5, 2))).toThrowError(/^commands\[1\]\.budget must be a positive safe integer/);
      expect(engine.restingOrders).toBe(1);
    }
    expect(() => engine.placeMarket({ trader: 1, asset: 7, side: 'bid', budget: 0, timestamp: 2 })).toThrowError('budget must be a positive safe integer, got 0');
    expect(engine.restingOrders).toBe(1);
  });

  it('cancelAll(trader, null) is refused naming commands[i].asset; undefined cancels in every asset', async () => {
    const engine = await newEngine(backend);
    for (const asset of [0, 4]) engine.placeLimit({ trader: 5, asset, side: 'bid', price: 1, size: 1, timestamp: 0 });
    const batch = engine.createBatch(2).cancel(5, 0, 99);
    expect(refusal(batch, 1, () => batch.cancelAll(5, null as never))).toBe('commands[1].asset must be a non-negative safe integer, got null');
    expect(() => engine.cancelAll({ trader: 5, asset: null as never })).toThrowError('asset must be a non-negative safe integer, got null');
    batch.cancelAll(5, undefined);
    const results = engine.submitBatch(batch);
    expect([results.count, results.status(1), results.cancelled(1)]).toEqual([2, 'ok', 2]);
    expect(engine.restingOrders).toBe(0);
  });
});
