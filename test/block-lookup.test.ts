// The lookups inside a decoded event block (src/state/block-lookup.ts) against a scan of every
// event with the rules they replace: an order's events (its own, less a refused request's
// REJECTED, plus the fills it took as taker), a trader's fills (as maker or taker, a self-trade
// once), a command's first event. Blocks are random: every event kind, ids above 2^32 (the
// hash reads both halves), orders and traders named many times or never. And the cache of
// decoded blocks those lookups live in (src/state/history.ts): by bytes, least recently used out,
// a block's read and decode shared by the readers asking for it at once.
// And the decoding itself (src/state/event-block.ts), which fills reused or counted arrays: every slot of
// every event as written, or 0 where its kind carries nothing, whatever block came before.
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { EventCode } from '../src/codes.js';
import { EVENT_SLOTS, EventHead, EventSlot } from '../src/events.js';
import { EventsByKey, eventsOfOrder, fillsOfTrader, firstEventOfCommand, type BlockLookups } from '../src/state/block-lookup.js';
import { encodeEvents } from '../src/state/codecs.js';
import { EventBlockWriter, decodeEventBlock, type EventBlock } from '../src/state/event-block.js';
import { CACHED_BYTES_PER_EVENT, History } from '../src/state/history.js';
import { eventsKey } from '../src/state/keys.js';
import type { KeyRange } from '../src/state/memory-store.js';
import type { LobError } from '../src/errors.js';
import { Prng } from '../src/prng.js';
import { writeCommand } from './helpers/event-blocks.js';

const KINDS = Object.values(EventCode);

interface Block {
  events: Float64Array;
  count: number;
}

interface EventSpec {
  kind: number;
  orderId: number;
  other: number;
  trader: number;
  other2: number;
  commandStep: number;
}

const eventArb: fc.Arbitrary<EventSpec> = fc.record({
  kind: fc.constantFrom(...KINDS),
  orderId: fc.integer({ min: 0, max: 6 }),
  other: fc.integer({ min: 0, max: 6 }),
  trader: fc.integer({ min: 0, max: 4 }),
  other2: fc.integer({ min: 0, max: 4 }),
  commandStep: fc.integer({ min: 0, max: 2 }),
});

/** Ids 0..6 and traders 0..4 spread over `base` + ..., so small pools collide often. */
function buildBlock(specs: readonly EventSpec[], base: number): Block {
  const events = new Float64Array(Math.max(1, specs.length) * EVENT_SLOTS);
  let seq = 1000;
  specs.forEach((spec, k) => {
    const o = k * EVENT_SLOTS;
    seq += spec.commandStep;
    events[o] = spec.kind | (1 << EventHead.SIDE_SHIFT);
    events[o + EventSlot.COMMAND] = seq;
    events[o + EventSlot.ORDER_ID] = spec.orderId === 0 ? 0 : base + spec.orderId;
    events[o + EventSlot.OTHER] = base + spec.other;
    events[o + EventSlot.TRADER] = base + spec.trader;
    events[o + EventSlot.OTHER2] = base + spec.other2;
  });
  return { events, count: specs.length };
}

function scanOrder(block: Block, orderId: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < block.count; k++) {
    const o = k * EVENT_SLOTS;
    const kind = block.events[o] & EventHead.KIND_MASK;
    const own = kind !== EventCode.REJECTED && block.events[o + EventSlot.ORDER_ID] === orderId;
    const taker = kind === EventCode.FILL && block.events[o + EventSlot.OTHER] === orderId;
    if (own || taker) out.push(k);
  }
  return out;
}

function scanTraderFills(block: Block, trader: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < block.count; k++) {
    const o = k * EVENT_SLOTS;
    const fill = (block.events[o] & EventHead.KIND_MASK) === EventCode.FILL;
    if (fill && (block.events[o + EventSlot.TRADER] === trader || block.events[o + EventSlot.OTHER2] === trader)) out.push(k);
  }
  return out;
}

describe('event block lookups', () => {
  it('find exactly the events a scan of the block finds, in block order', () => {
    fc.assert(fc.property(
      fc.array(eventArb, { maxLength: 300 }),
      fc.constantFrom(0, 2 ** 32 - 3, 2 ** 45 + 17),
      (specs, base) => {
        const block = buildBlock(specs, base);
        for (let id = 0; id <= 7; id++) {
          const orderId = base + id;
          expect([...eventsOfOrder(block, orderId)]).toEqual(scanOrder(block, orderId));
        }
        for (let trader = 0; trader <= 5; trader++) {
          expect([...fillsOfTrader(block, base + trader)]).toEqual(scanTraderFills(block, base + trader));
        }
        // An id that shares its low 32 bits with one in the block is a different key.
        expect([...eventsOfOrder(block, base + 1 + 2 ** 32)]).toEqual(scanOrder(block, base + 1 + 2 ** 32));
      },
    ), { numRuns: 200 });
  });

  it('keep every group whole as the table of keys grows', () => {
    const wide = fc.record({
      kind: fc.constantFrom(...KINDS), orderId: fc.integer({ min: 0, max: 400 }), other: fc.integer({ min: 0, max: 400 }),
      trader: fc.integer({ min: 0, max: 150 }), other2: fc.integer({ min: 0, max: 150 }), commandStep: fc.constant(1),
    });
    fc.assert(fc.property(fc.array(wide, { minLength: 100, maxLength: 1500 }), (specs) => {
      const block = buildBlock(specs, 2 ** 33);
      for (let id = 0; id <= 401; id++) expect([...eventsOfOrder(block, 2 ** 33 + id)]).toEqual(scanOrder(block, 2 ** 33 + id));
      for (let trader = 0; trader <= 151; trader++) {
        expect([...fillsOfTrader(block, 2 ** 33 + trader)]).toEqual(scanTraderFills(block, 2 ** 33 + trader));
      }
    }), { numRuns: 30 });
  });

  it('keep the group of key 0 (trader 0) as the table of keys grows', () => {
    // Room for 32 links: a table of 16 slots, grown to 32 and 64 by the keys after key 0.
    const index = new EventsByKey(32);
    index.add(0, 0);
    for (let key = 1; key <= 20; key++) index.add(key, key);
    index.add(0, 21);
    expect([...index.eventsOf(0)]).toEqual([0, 21]);
    for (let key = 1; key <= 20; key++) expect([...index.eventsOf(key)]).toEqual([key]);
    expect([...index.eventsOf(99)]).toEqual([]);
  });

  it("find a command's first event by its journal sequence", () => {
    fc.assert(fc.property(fc.array(eventArb, { maxLength: 200 }), (specs) => {
      const block = buildBlock(specs, 0);
      const last = block.count === 0 ? 1000 : block.events[(block.count - 1) * EVENT_SLOTS + EventSlot.COMMAND];
      for (let seq = 999; seq <= last + 1; seq++) {
        let first = 0;
        while (first < block.count && block.events[first * EVENT_SLOTS + EventSlot.COMMAND] < seq) first++;
        expect(firstEventOfCommand(block, seq)).toBe(first);
      }
    }), { numRuns: 100 });
  });

  it('build each lookup once per block and keep it with the block', () => {
    const block: Block & BlockLookups = buildBlock(
      [{ kind: EventCode.FILL, orderId: 1, other: 2, trader: 3, other2: 3, commandStep: 1 }], 0);
    expect([...eventsOfOrder(block, 2)]).toEqual([0]);
    const byOrder = block.eventsByOrder;
    expect([...eventsOfOrder(block, 1)]).toEqual([0]);
    expect(block.eventsByOrder).toBe(byOrder);
    // A self-trade names its trader on both sides: listed once.
    expect([...fillsOfTrader(block, 3)]).toEqual([0]);
    expect(block.fillsByTrader).toBeDefined();
  });
});

describe('the cache of decoded blocks', () => {
  /** A store of encoded blocks of the given event counts, one command each, counting its reads. */
  function blockStore(sizes: number[]) {
    const values = new Map<string, { firstSeq: number; value: Uint8Array }>();
    sizes.forEach((count, i) => {
      const firstSeq = i + 1;
      const writer = new EventBlockWriter();
      writer.open({ firstSeq, startHeight: 0, firstOrderId: 1, firstFillSeq: 1, firstEventSeq: 1 });
      const events = new Float64Array(count * EVENT_SLOTS);
      for (let k = 0; k < count; k++) events[k * EVENT_SLOTS] = EventCode.ACCEPTED;
      writeCommand(writer, firstSeq, 1, events, 0, count);
      values.set(Buffer.from(eventsKey(firstSeq)).toString('hex'), { firstSeq, value: encodeEvents(...writer.take()!.payload) });
    });
    const reads: number[] = [];
    return {
      reads,
      values,
      reader: {
        async get(key: Uint8Array) {
          const found = values.get(Buffer.from(key).toString('hex'));
          if (found !== undefined) reads.push(found.firstSeq);
          return found?.value;
        },
        // Only what blockAt might ask: the last block starting at or before a sequence (one command a
        // block), with its value (a read of the block) or without.
        async entries(range: KeyRange): Promise<Array<[Uint8Array, Uint8Array]>> {
          const found = values.get(Buffer.from(range.lte!).toString('hex'));
          if (found !== undefined) reads.push(found.firstSeq);
          return found === undefined ? [] : [[eventsKey(found.firstSeq), found.value]];
        },
        async keys(range: KeyRange): Promise<Uint8Array[]> {
          const found = values.get(Buffer.from(range.lte!).toString('hex'));
          return found === undefined ? [] : [eventsKey(found.firstSeq)];
        },
      },
    };
  }

  /** Counts History's decodes (a spy on its private remember, which decodes a block and caches it). */
  function countDecodes(): { readonly count: number; restore(): void } {
    const spy = vi.spyOn(History.prototype as unknown as { remember(...a: unknown[]): unknown }, 'remember');
    return { get count() { return spy.mock.calls.length; }, restore: () => spy.mockRestore() };
  }

  it('shares one read and one decode of a block among the readers that ask for it at once', async () => {
    const { reader, reads } = blockStore([100, 100]);
    const decodes = countDecodes();
    try {
      const history = new History(reader);
      // By its first sequence, and by a sequence in it (blockAt seeks the key, then finds the read in flight).
      const blocks = await Promise.all([...Array.from({ length: 50 }, () => history.block(1)), history.blockAt(1), history.block(2)]);
      expect(reads).toEqual([1, 2]);
      expect(decodes.count).toBe(2);
      expect(new Set(blocks.slice(0, 51)).size).toBe(1);
      // By sequence alone (a page of rejected orders): the block's value is read once, not per reader.
      const fresh = new History(reader);
      const byBlockAt = await Promise.all(Array.from({ length: 20 }, () => fresh.blockAt(2)));
      expect(reads).toEqual([1, 2, 2]);
      expect(decodes.count).toBe(3);
      expect(new Set(byBlockAt).size).toBe(1);
      expect(blocks[0]!.count).toBe(100);
      // Settled: the next reader is the cache's.
      expect(await history.block(1)).toBe(blocks[0]);
      expect(decodes.count).toBe(3);
    } finally {
      decodes.restore();
    }
  });

  it('fails every reader sharing a damaged block with CORRUPTION, keeps nothing, and reads it again next time', async () => {
    const { reader, reads, values } = blockStore([100]);
    const stored = [...values.values()][0];
    const good = stored.value;
    const damaged = Uint8Array.from(good);
    damaged[damaged.length - 3] ^= 0xff;
    stored.value = damaged;
    const decodes = countDecodes();
    try {
      const history = new History(reader);
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => history.block(1)));
      expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as LobError).code === 'CORRUPTION')).toBe(true);
      expect(reads).toEqual([1]);
      expect(decodes.count).toBe(1);
      // Still damaged: read and failed again, not a failure kept from before.
      await expect(history.block(1)).rejects.toMatchObject({ code: 'CORRUPTION' });
      expect(reads).toEqual([1, 1]);
      stored.value = good;
      const [a, b] = await Promise.all([history.block(1), history.block(1)]);
      expect(a!.count).toBe(100);
      expect(b).toBe(a);
      expect(reads).toEqual([1, 1, 1]);
    } finally {
      decodes.restore();
    }
  });

  it('keeps the most recently used blocks within its bytes, and the last one read whatever its size', async () => {
    const { reader, reads } = blockStore([100, 100, 100, 1000]);
    // Room for two of the small blocks.
    const history = new History(reader, 250 * CACHED_BYTES_PER_EVENT);
    for (const firstSeq of [1, 2, 3, 2, 1, 3, 2]) expect((await history.block(firstSeq))!.count).toBe(100);
    // 1, 2, 3 (1 out), 2 (kept), 1 (3 out), 3 (2 out), 2 (1 out).
    expect(reads).toEqual([1, 2, 3, 1, 3, 2]);
    expect((await history.block(4))!.count).toBe(1000);
    expect((await history.block(4))!.count).toBe(1000);
    expect(reads).toEqual([1, 2, 3, 1, 3, 2, 4]);
    // The big block pushed every other out.
    await history.block(3);
    expect(reads).toEqual([1, 2, 3, 1, 3, 2, 4, 3]);
  });
});

describe('decoding a block', () => {
  const CARRIES_OTHERS = new Set<number>([EventCode.ACCEPTED, EventCode.REJECTED, EventCode.TRIGGERED, EventCode.FILL]);

  /** A block of `commands` commands of random events of every kind, a height change now and then; and what decoding it must give. */
  function randomBlock(prng: Prng, commands: number, firstSeq: number): { payload: Uint8Array; expected: EventBlock } {
    const writer = new EventBlockWriter();
    const startHeight = prng.below(1000);
    writer.open({ firstSeq, startHeight, firstOrderId: 1, firstFillSeq: 1, firstEventSeq: 1 });
    const events: number[] = [];
    const heights: number[] = [];
    const timestamps: number[] = [];
    const heightChanges: Array<[number, number]> = [];
    let height = startHeight;
    let timestamp = prng.between(1, 1e6);
    let seq = firstSeq;
    for (let c = 0; c < commands; c++, seq++) {
      if (prng.chance(0.05)) {
        height += prng.between(1, 3);
        heightChanges.push([seq, height]);
        writer.height(seq++, height);
      }
      timestamp += prng.below(5);
      const count = prng.below(6);
      const command = new Float64Array(Math.max(1, count) * EVENT_SLOTS);
      for (let k = 0; k < count; k++) {
        const kind = KINDS[prng.below(KINDS.length)];
        const head = kind | (prng.below(2) << EventHead.SIDE_SHIFT) | (prng.chance(0.5) ? EventHead.LEVEL : 0);
        const slots = [head, seq, prng.between(1, 5), prng.chance(0.1) ? 2 ** 40 + prng.below(100) : prng.between(1, 1e6),
          prng.between(1, 1e4), prng.chance(0.1) ? 2 ** 45 + prng.below(100) : prng.between(1, 1e6), prng.between(0, 1e4),
          prng.between(0, 1e4), prng.between(1, 1e6), prng.between(1, 1e4), prng.between(0, 1e5), prng.between(0, 100)];
        command.set(slots, k * EVENT_SLOTS);
        // Decoded: the others only for the kinds whose events carry them, the level's only with LEVEL.
        if (!CARRIES_OTHERS.has(kind)) slots[EventSlot.OTHER2] = 0;
        if (!CARRIES_OTHERS.has(kind) && kind !== EventCode.MODIFIED) slots[EventSlot.OTHER] = 0;
        if ((head & EventHead.LEVEL) === 0) slots[EventSlot.LEVEL_SIZE] = slots[EventSlot.LEVEL_ORDERS] = 0;
        events.push(...slots);
        heights.push(height);
        timestamps.push(timestamp);
      }
      writeCommand(writer, seq, timestamp, command, 0, count);
    }
    const payload = new Uint8Array(Buffer.concat(writer.take()!.payload));
    return {
      payload,
      expected: {
        firstSeq, lastSeq: seq - 1, startHeight, firstOrderId: 1, firstFillSeq: 1, firstEventSeq: 1, count: heights.length,
        events: new Float64Array(events), heights: new Float64Array(heights), timestamps: new Float64Array(timestamps),
        feedStarts: new Map(), heightChanges,
      },
    };
  }

  /**
   * toEqual on arrays of a million numbers, as a block of 30,000 commands decodes to, took most of
   * the file's time: the numbers are compared as toEqual compares them (Object.is), and toEqual
   * runs only where they differ, for its message.
   */
  function expectSameNumbers(actual: Float64Array, expected: Float64Array, what: string): void {
    if (actual.length === expected.length && actual.every((value, i) => Object.is(value, expected[i]))) return;
    expect(Array.from(actual), what).toEqual(Array.from(expected));
  }

  function expectDecoded(block: EventBlock, expected: EventBlock): void {
    expect(block.count).toBe(expected.count);
    expectSameNumbers(block.events, expected.events, 'events');
    expectSameNumbers(block.heights, expected.heights, 'heights');
    expectSameNumbers(block.timestamps, expected.timestamps, 'timestamps');
    expect(block.lastSeq).toBe(expected.lastSeq);
    expect(block.heightChanges).toEqual(expected.heightChanges);
  }

  it('gives every event as written, the slots its kind leaves out 0, after blocks large and small', () => {
    const prng = new Prng(41);
    // Sizes below and past what the kept scratch arrays take (32,768 events): a block that may need more is counted first and decoded into arrays of its own.
    const sizes = [3000, 10, 1, 25_000, 40, 30_000, 7];
    const decoded: Array<{ block: EventBlock; expected: EventBlock }> = [];
    sizes.forEach((commands, i) => {
      const { payload, expected } = randomBlock(prng, commands, 1 + i * 100_000);
      const block = decodeEventBlock(payload);
      expectDecoded(block, expected);
      expect(block.events.length).toBe(block.count * EVENT_SLOTS);
      decoded.push({ block, expected });
    });
    // Each block's arrays are its own: decoding the next ones left them as they were.
    for (const { block, expected } of decoded) expectDecoded(block, expected);
  });
});
