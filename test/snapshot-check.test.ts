// A snapshot checked and restored as it streams (src/snapshot-check.ts, Engine.restoreInPieces):
// the check reaches the same verdict whatever the pieces, and a restore in pieces gives the state
// a whole restore gives, on both backends.
import { describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import { expectSameBytes } from './helpers/bytes.js';
import type { Engine } from '../src/engine.js';
import { LobError } from '../src/errors.js';
import { SnapshotCheck, checkSnapshot } from '../src/snapshot-check.js';
import { SNAPSHOT_HEADER_SLOTS, SNAPSHOT_MAGIC, openSnapshot } from '../src/snapshot.js';

/** A small state with every kind of record: two books, levels of several orders on both sides, stops of both sides, an OCO pair. */
async function everyKind(backend: 'wasm' | 'js' = 'js'): Promise<Engine> {
  const engine = await newEngine(backend);
  for (let i = 0; i < 12; i++) {
    engine.placeLimit({ trader: i % 3, asset: 4, side: i % 2 ? 'ask' : 'bid', price: i % 2 ? 110 + (i % 3) : 100 - (i % 3), size: 1 + i, timestamp: i });
  }
  engine.placeLimit({ trader: 5, asset: 4, side: 'bid', price: 110, size: 2, timestamp: 20 }); // trades: a last price
  engine.placeStop({ trader: 6, asset: 4, side: 'bid', size: 3, stopPrice: 130, timestamp: 21 });
  engine.placeStop({ trader: 6, asset: 4, side: 'bid', size: 3, stopPrice: 125, price: 126, timestamp: 22 });
  engine.placeStop({ trader: 7, asset: 4, side: 'ask', size: 1, stopPrice: 90, protectionPrice: 85, timestamp: 23 });
  engine.placeOco({ trader: 8, asset: 9, side: 'ask', size: 4, price: 300, stopPrice: 200, timestamp: 24 });
  engine.placeLimit({ trader: 9, asset: 9, side: 'bid', price: 250, size: 1, timestamp: 25 });
  return engine;
}

/** What checking says: the counts, or the error's code and message. */
function verdict(check: () => { orders: number; levels: number; stops: number }): string {
  try {
    const { orders, levels, stops } = check();
    return `${orders} orders, ${levels} levels, ${stops} stops`;
  } catch (error) {
    if (!(error instanceof LobError)) throw error;
    return `${error.code}: ${error.message}`;
  }
}

function inPieces(bytes: Uint8Array, pieceBytes: number): string {
  return verdict(() => {
    const check = SnapshotCheck.streamed(bytes.byteLength);
    for (let at = 0; at < bytes.byteLength; at += pieceBytes) check.feedBytes(bytes.subarray(at, Math.min(bytes.byteLength, at + pieceBytes)));
    return check.finish();
  });
}

const PIECE_BYTES = [8, 16, 24, 40, 56, 64, 72, 8 * 13];

describe('a snapshot checked as it streams', () => {
  it('reaches the whole check\'s verdict in pieces of any size, for the sound snapshot and every slot damaged', async () => {
    const engine = await everyKind();
    const good = engine.snapshot();
    expect(engine.pendingStops).toBe(4);
    const levels = [4, 9].reduce((sum, asset) => sum + engine.depth(asset, 100).bids.length + engine.depth(asset, 100).asks.length, 0);
    expect(levels).toBe(8);
    expect(inPieces(good, 8)).toBe(`${engine.restingOrders} orders, ${levels} levels, 4 stops`);
    const slots = good.byteLength / 8;
    const verdicts = new Set<string>();
    for (let slot = 1; slot < slots; slot++) {
      const original = new Float64Array(good.buffer, good.byteOffset, slots)[slot];
      for (const value of [0, -0, -1, 1.5, 2 ** 53, Number.NaN, original + 1, original - 1, 4]) {
        const bad = good.slice();
        new Float64Array(bad.buffer)[slot] = value;
        const whole = verdict(() => checkSnapshot(openSnapshot(bad)));
        verdicts.add(whole.replace(/-?\d[\d.e+]*|NaN/g, '#'));
        for (const pieceBytes of PIECE_BYTES) expect(inPieces(bad, pieceBytes), `slot ${slot} = ${value}, pieces of ${pieceBytes}`).toBe(whole);
      }
    }
    // The damage reached the checks of every kind of record: distinct messages, numbers aside.
    expect(verdicts.size).toBeGreaterThan(50);
    // A core never writes -0 (its commands refuse it), and one read where 0 was would hash apart.
    const passed: number[] = [];
    for (let slot = 1; slot < slots; slot++) {
      if (new Float64Array(good.buffer, good.byteOffset, slots)[slot] !== 0) continue;
      const bad = good.slice();
      new Float64Array(bad.buffer)[slot] = -0;
      if (!verdict(() => checkSnapshot(openSnapshot(bad))).startsWith('CORRUPTION')) passed.push(slot);
    }
    expect(passed).toEqual([]);
  });

  it('refuses a length, a piece or an end that does not fit, and an older version, with the field named', async () => {
    const good = (await everyKind()).snapshot();
    expect(() => SnapshotCheck.streamed(good.byteLength - 3)).toThrowError(/not a whole number of 8-byte slots/);
    expect(() => SnapshotCheck.streamed(SNAPSHOT_HEADER_SLOTS * 8 - 8)).toThrowError(expect.objectContaining({ code: 'CORRUPTION' }));
    const check = SnapshotCheck.streamed(good.byteLength);
    expect(() => check.feedBytes(good.subarray(0, 12))).toThrowError(/snapshot piece must be whole 8-byte slots, got 12 bytes/);
    expect(() => check.feedBytes(new Uint8Array(good.byteLength + 8))).toThrowError(/goes past the snapshot's/);
    check.feedBytes(good.subarray(0, 64));
    expect(() => check.finish()).toThrowError(/the snapshot ended after 64 of its \d+ bytes/);
    const version1 = good.slice();
    version1[7] = 1;
    expect(() => SnapshotCheck.streamed(good.byteLength).feedBytes(version1)).toThrowError(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    // Unaligned pieces are read through a copy.
    const unaligned = new Uint8Array(good.byteLength + 1).subarray(1);
    unaligned.set(good);
    expect(inPieces(unaligned, 40)).toBe(inPieces(good, 40));
  });
});

describeEachBackend('restoreInPieces', (backend) => {
  /** The snapshot of a book of `orders` orders over many levels, with stops. */
  async function bigSnapshot(orders: number): Promise<Uint8Array> {
    const engine = await everyKind(backend);
    for (let i = 0; i < orders; i++) {
      const bid = i % 2 === 0;
      engine.placeLimit({ trader: i % 13, asset: 2, side: bid ? 'bid' : 'ask', price: bid ? 5_000 - (i % 997) : 6_000 + (i % 991), size: 1 + (i % 5), timestamp: i });
    }
    return engine.snapshot();
  }

  function restoreInPieces(engine: Engine, bytes: Uint8Array, pieceBytes: number): void {
    const restore = engine.restoreInPieces(bytes.byteLength);
    for (let at = 0; at < bytes.byteLength; at += pieceBytes) restore.write(bytes.subarray(at, Math.min(bytes.byteLength, at + pieceBytes)));
    restore.end();
  }

  it('refuses a piece cut wrongly (not whole slots, or past the length) without ending the restore, which the right pieces then finish', async () => {
    const source = await everyKind(backend);
    const bytes = source.snapshot();
    const engine = await newEngine(backend);
    const restore = engine.restoreInPieces(bytes.byteLength);
    restore.write(bytes.subarray(0, 16));
    expect(() => restore.write(bytes.subarray(16, 21))).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^piece must be whole 8-byte slots, got 5 bytes/) }));
    const tooLong = new Uint8Array(bytes.byteLength);
    expect(() => restore.write(tooLong)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^piece would take the snapshot past its byteLength/) }));
    expect(() => restore.write('bytes' as unknown as Uint8Array)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    restore.write(bytes.subarray(16));
    restore.end();
    expect(engine.stateHash()).toBe(source.stateHash());
  });

  it('gives the state a whole restore gives, over a busy engine, whatever the pieces', async () => {
    const source = await everyKind(backend);
    const bytes = source.snapshot();
    for (const pieceBytes of [8, 24, 72, bytes.byteLength]) {
      const engine = await newEngine(backend);
      engine.placeLimit({ trader: 1, asset: 77, side: 'bid', price: 5, size: 5, timestamp: 0 });
      restoreInPieces(engine, bytes, pieceBytes);
      expectSameBytes(engine.snapshot(), bytes);
      expect(engine.nextOrderId).toBe(source.nextOrderId);
      expect(engine.pendingStops).toBe(source.pendingStops);
      const next = { trader: 3, asset: 4, side: 'ask' as const, price: 90, size: 50, timestamp: 99 };
      expect(engine.placeLimit(next)).toEqual(source.placeLimit(next));
      expect(engine.stateHash()).toBe(source.stateHash());
      source.restore(bytes);
    }
  });

  it('restores a snapshot of many of the core\'s chunks in pieces that end inside records', async () => {
    const bytes = await bigSnapshot(30_000);
    expect(bytes.byteLength).toBeGreaterThan(16 * 64 * 1024);
    const engine = await newEngine(backend);
    // 1 MiB + 3 slots: every piece ends somewhere else in a record and in the WASM core's 64 KiB chunk.
    restoreInPieces(engine, bytes, 1024 * 1024 + 24);
    expectSameBytes(engine.snapshot(), bytes);
  });

  it('refuses every other call until end(), and any call to the restore after it', async () => {
    const engine = await newEngine(backend);
    const bytes = (await everyKind(backend)).snapshot();
    const restore = engine.restoreInPieces(bytes.byteLength);
    restore.write(bytes.subarray(0, 64));
    expect(() => engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 1, size: 1, timestamp: 0 }))
      .toThrowError(/being restored in pieces: end\(\) the restore before any other call/);
    expect(() => engine.restoreInPieces(bytes.byteLength)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => restore.write('bytes' as unknown as Uint8Array)).toThrowError(/piece must be a Uint8Array/);
    restore.write(bytes.subarray(64));
    restore.end();
    expect(engine.bestBid(4)).toBeDefined();
    expect(() => restore.write(bytes.subarray(0, 8))).toThrowError(/this restore in pieces has ended/);
    expectSameBytes(engine.snapshot(), bytes);
  });

  it('refuses the counts and the events too until end(): the book is then neither the old one nor the new', async () => {
    const source = await everyKind(backend);
    const bytes = source.snapshot();
    const engine = await newEngine(backend);
    engine.placeLimit({ trader: 1, asset: 77, side: 'bid', price: 5, size: 5, timestamp: 0 });
    const reads = {
      nextOrderId: () => engine.nextOrderId, restingOrders: () => engine.restingOrders,
      pendingStops: () => engine.pendingStops, events: () => engine.events,
    };
    const restore = engine.restoreInPieces(bytes.byteLength);
    restore.write(bytes.subarray(0, 64));
    for (const [name, read] of Object.entries(reads)) {
      expect(read, name).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/being restored in pieces/) }));
    }
    restore.write(bytes.subarray(64));
    restore.end();
    expect([engine.nextOrderId, engine.restingOrders, engine.pendingStops, engine.events.count])
      .toEqual([source.nextOrderId, source.restingOrders, source.pendingStops, 0]);
  });

  it('refuses a snapshot beyond maxOrders or maxLevels at the piece that takes it past the limit, not at end(), leaving the engine as end()\'s refusal did', async () => {
    const bytes = await bigSnapshot(5_000);
    for (const limits of [{ maxOrders: 100 }, { maxLevels: 100 }]) {
      const engine = await newEngine(backend, limits);
      engine.placeLimit({ trader: 1, asset: 77, side: 'bid', price: 5, size: 5, timestamp: 0 });
      const restore = engine.restoreInPieces(bytes.byteLength);
      let written = 0;
      let refusal: unknown;
      try {
        for (; written < bytes.byteLength; written += 4096) restore.write(bytes.subarray(written, written + 4096));
      } catch (error) {
        refusal = error;
      }
      const limit = 'maxOrders' in limits ? 'maxOrders 100 / maxLevels Infinity' : 'maxOrders Infinity / maxLevels 100';
      expect(refusal, JSON.stringify(limits)).toEqual(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(new RegExp(`^snapshot holds .*, beyond this engine's ${limit}$`)) }));
      // 100 orders of this book take far less than a tenth of its snapshot.
      expect(written, JSON.stringify(limits)).toBeLessThan(bytes.byteLength / 10);
      // As end()'s refusal left it: the state is gone (the WASM core emptied itself at the start), so calls are refused.
      expect(() => engine.bestBid(77)).toThrowError(expect.objectContaining({ code: 'ENGINE_FAILED', message: expect.stringMatching(/restore in pieces failed \(snapshot holds .*\) and it refuses further calls/) }));
      expect(() => restore.end()).toThrowError(expect.objectContaining({ code: 'ENGINE_FAILED' }));
      // A whole restore refuses it too, and changes nothing.
      const whole = await newEngine(backend, limits);
      whole.placeLimit({ trader: 1, asset: 77, side: 'bid', price: 5, size: 5, timestamp: 0 });
      const before = whole.snapshot();
      expect(() => whole.restore(bytes)).toThrowError(new RegExp(`^snapshot holds .*, beyond this engine's ${limit}$`));
      expectSameBytes(whole.snapshot(), before);
    }
  });

  it('changes nothing for a length that is not whole slots; a snapshot found damaged part way leaves the engine refusing calls', async () => {
    const engine = await everyKind(backend);
    const before = engine.snapshot();
    expect(() => engine.restoreInPieces(before.byteLength + 4)).toThrowError(expect.objectContaining({ code: 'CORRUPTION' }));
    expect(() => engine.restoreInPieces(-1)).toThrowError(/byteLength must be a non-negative safe integer, got -1/);
    expect(() => engine.restoreInPieces(2 ** 50)).toThrowError(expect.objectContaining({ code: 'CAPACITY', message: expect.stringMatching(/^no room for a snapshot of 1125899906842624 bytes in this (engine's|process's) memory/) }));
    expectSameBytes(engine.snapshot(), before);

    const damaged = (await bigSnapshot(5_000)).slice();
    const slots = new Float64Array(damaged.buffer);
    slots[slots.length - 200] = 1.5; // an order near the end: found after most of it is restored
    const restore = engine.restoreInPieces(damaged.byteLength);
    expect(() => {
      for (let at = 0; at < damaged.byteLength; at += 4096) restore.write(damaged.subarray(at, at + 4096));
    }).toThrowError(expect.objectContaining({ code: 'CORRUPTION' }));
    expect(() => engine.bestBid(4)).toThrowError(expect.objectContaining({ code: 'ENGINE_FAILED', message: expect.stringMatching(/restore in pieces failed .*create a new engine/) }));
    expect(() => restore.end()).toThrowError(expect.objectContaining({ code: 'ENGINE_FAILED' }));
  });
});

describeEachBackend('a crafted snapshot', (backend) => {
  /** A snapshot's bytes from its slots, its magic and version written over slot 0. */
  function withVersion(slots: number[], version: number): Uint8Array {
    const bytes = new Uint8Array(new Float64Array(slots).buffer);
    bytes.set(SNAPSHOT_MAGIC);
    bytes[7] = version;
    return bytes;
  }

  it('a stop whose flags do not fit in their five bits is refused, the engine unchanged (a 32-bit shift saw only the low bits)', async () => {
    const source = await newEngine(backend);
    source.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 100, size: 5, timestamp: 1 });
    source.placeLimit({ trader: 2, asset: 0, side: 'ask', price: 100, size: 1, timestamp: 2 });
    source.placeStop({ trader: 3, asset: 0, side: 'bid', size: 2, stopPrice: 103, price: 104, timestamp: 3 });
    const good = source.snapshot();
    const slots = new Float64Array(good.buffer.slice(good.byteOffset, good.byteOffset + good.byteLength));
    const flagsSlot = slots.length - 4;
    expect(slots[flagsSlot - 4]).toBe(3); // the stop's id, its record the last
    const engine = await newEngine(backend);
    engine.placeLimit({ trader: 9, asset: 1, side: 'ask', price: 7, size: 7, timestamp: 0 });
    const before = engine.stateHash();
    for (const flags of [32, 2 ** 31, 2 ** 32 + 1, 2 ** 35 + 3, 2 ** 53 - 1]) {
      const bad = slots.slice();
      bad[flagsSlot] = flags;
      const bytes = new Uint8Array(bad.buffer);
      expect(() => engine.restore(bytes), `flags ${flags}`).toThrowError(expect.objectContaining({
        code: 'CORRUPTION', message: `snapshot: book 0 (asset 0) buy stops 0 (id 3) flags is ${flags}, expected stp 0..3 | OCO_LEG 4 | timeInForce 0..3 << 3`,
      }));
      expect(engine.stateHash()).toBe(before);
    }
  });

  it('a version-1 snapshot whose level or order counts are not whole is refused, not walked forever', async () => {
    const engine = await newEngine(backend);
    const before = engine.stateHash();
    // Header (nextOrderId 2, one book), the book (asset 0, bid levels, ask levels), a level (price, orders).
    for (const [bidLevels, orders, field] of [
      [Number.POSITIVE_INFINITY, -0.4, 'level counts Infinity and 0'],
      [2 ** 53, 1, 'level counts 9007199254740992 and 0'],
      [1, -0.4, 'level 0 order count -0.4'],
      [1, 0, 'level 0 order count 0'],
    ] as const) {
      const bytes = withVersion([0, 2, 1, 0, bidLevels, 0, 100, orders], 1);
      expect(() => engine.restore(bytes), field).toThrowError(expect.objectContaining({ code: 'CORRUPTION', message: expect.stringContaining(`book 0 ${field}`) }));
      expect(engine.stateHash()).toBe(before);
    }
  });

  /** A sound snapshot's slots, to be damaged; the engine that a damaged one is restored into is left as it was. */
  function slotsOf(engine: Engine): Float64Array {
    const good = engine.snapshot();
    return new Float64Array(good.buffer.slice(good.byteOffset, good.byteOffset + good.byteLength));
  }
  async function expectRefused(slots: Float64Array, message: string): Promise<void> {
    const engine = await newEngine(backend);
    engine.placeLimit({ trader: 9, asset: 1, side: 'ask', price: 7, size: 7, timestamp: 0 });
    const before = engine.stateHash();
    expect(() => engine.restore(new Uint8Array(slots.buffer))).toThrowError(expect.objectContaining({ code: 'CORRUPTION', message }));
    expect(engine.stateHash()).toBe(before);
  }
  // Header (3 slots), then the one book: asset, last price, bid and ask level counts, buy and sell stop counts.
  const BOOK = SNAPSHOT_HEADER_SLOTS;

  it('an OCO whose stop leg is listed among the other side\'s stops is refused', async () => {
    const source = await newEngine(backend);
    source.placeOco({ trader: 1, asset: 0, side: 'bid', size: 2, price: 100, stopPrice: 110, timestamp: 1 });
    const slots = slotsOf(source);
    expect(Array.from(slots.subarray(BOOK, BOOK + 6))).toEqual([0, 0, 1, 0, 1, 0]);
    // The stop leg, the last record, moved from the buy stops to the sell stops: with no last price it is a sound sell stop.
    slots[BOOK + 4] = 0;
    slots[BOOK + 5] = 1;
    await expectRefused(slots, 'snapshot: OCO limit leg 1 has no pending stop leg 2 beside it');
  });

  it('a buy stop at the book\'s last price is refused: it should have triggered', async () => {
    const source = await newEngine(backend);
    source.placeLimit({ trader: 1, asset: 0, side: 'bid', price: 100, size: 5, timestamp: 1 });
    source.placeLimit({ trader: 2, asset: 0, side: 'ask', price: 100, size: 1, timestamp: 2 });
    source.placeStop({ trader: 3, asset: 0, side: 'bid', size: 2, stopPrice: 101, timestamp: 3 });
    const slots = slotsOf(source);
    expect(Array.from(slots.subarray(BOOK, BOOK + 6))).toEqual([0, 100, 1, 0, 1, 0]);
    const stopPriceSlot = slots.length - 3; // the stop's record, the last: id, trader, size, timestamp, flags, stop price, price, protection price
    expect(slots[stopPriceSlot - 5]).toBe(3);
    expect(slots[stopPriceSlot]).toBe(101);
    slots[stopPriceSlot] = 100;
    await expectRefused(slots, 'snapshot: book 0 (asset 0) buy stops 0 (id 3) at stop price 100 should have triggered at the last price 100');
  });

  it('names the same fault whole and in pieces when a repeated id comes before an unsound order', async () => {
    const bytes = withVersion([0, 10, 1, /* book */ 0, 0, 1, 0, 0, 0, /* bid level */ 100, 3,
      /* id 1 */ 1, 1, 5, 1, 0, /* id 1 again */ 1, 1, 5, 2, 0, /* id 0 */ 0, 1, 5, 3, 0], 2);
    const whole = await newEngine(backend);
    expect(() => whole.restore(bytes)).toThrowError('snapshot: order id 1 appears more than once');
    const pieces = await newEngine(backend);
    const restore = pieces.restoreInPieces(bytes.byteLength);
    expect(() => {
      for (let at = 0; at < bytes.byteLength; at += 8) restore.write(bytes.slice(at, at + 8));
      restore.end();
    }).toThrowError('snapshot: order id 1 appears more than once');
  });
});
