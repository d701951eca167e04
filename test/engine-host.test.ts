// The host's fault latch: a core that traps must never keep serving a half-changed book.
import { describe, expect, it } from 'vitest';
import { MatchingEngine } from '../src/engine-host.js';
import { LobError } from '../src/errors.js';
import { Out, type MatchingCore } from '../src/core.js';
import { CommandBatch, type BatchStorage } from '../src/batch.js';
import { describeEachBackend, newEngine } from './helpers/backends.js';

/** A core that answers every order with "resting, id 1" until told to trap. */
class ScriptedCore implements MatchingCore {
  readonly backend = 'wasm' as const;
  readonly out = new Float64Array(Out.SLOTS);
  readonly fills = new Float64Array(0);
  readonly batchResults = new Float64Array(0);
  readonly events = new Float64Array(0);
  readonly eventCount = 0;
  nextOrderId = 1;
  restingOrders = 0;
  pendingStops = 0;
  memoryRefusals = 0;
  trapNext = false;
  corruptRestore = false;
  calls = 0;

  private step(): void {
    this.calls++;
    if (this.trapNext) throw new WebAssembly.RuntimeError('unreachable');
    this.out.set([0, this.nextOrderId++, 0, 1, 0]);
  }
  // 0: no common outcome, so the engine reads `out` (MatchingCore.placeLimit).
  placeLimit(): number { this.step(); return 0; }
  placeMarket(): void { this.step(); }
  cancel(): number { this.step(); return 0; }
  reduce(): void { this.step(); }
  modify(): void { this.step(); }
  cancelAll(): void { this.step(); }
  placeStop(): void { this.step(); }
  placeOco(): void { this.step(); }
  runBatch(): number { this.step(); return 0; }
  createBatchStorage(commands: number): BatchStorage {
    const records = new Float64Array(commands * 12);
    return { view: () => records, reserve: () => records };
  }
  levels(): Float64Array { return new Float64Array(0); }
  findOrder(): Float64Array | null { return null; }
  listOrders(): Float64Array { return new Float64Array(0); }
  snapshot(): Uint8Array { return new Uint8Array(24); }
  snapshotPieces(onPiece: (piece: Uint8Array, at: number, total: number) => void): void { onPiece(this.snapshot(), 0, 24); }
  restore(): void {
    if (this.corruptRestore) throw new LobError('CORRUPTION', 'snapshot level 3 is out of order');
  }
  beginRestore(): void {}
  restorePiece(): void {
    if (this.corruptRestore) throw new LobError('CORRUPTION', 'snapshot level 3 is out of order');
  }
  finishRestore(): void { this.step(); }
  memoryBytes(): number { return 0; }
  prepareForGrowth(): void {}
  clearEvents(): void {}
}

const order = { trader: 1, asset: 1, side: 'bid' as const, price: 10, size: 1, timestamp: 0 };

describe('MatchingEngine fault latch', () => {
  it('turns a trap into ENGINE_FAILED and refuses every later call without reaching the core', () => {
    const core = new ScriptedCore();
    const engine = new MatchingEngine(core);
    expect(engine.placeLimit(order).orderId).toBe(1);
    core.trapNext = true;
    expect(() => engine.placeLimit(order)).toThrowError(expect.objectContaining({ code: 'ENGINE_FAILED' }));
    expect(engine.failed).toBe(true);
    const callsAfterTrap = core.calls;
    core.trapNext = false;
    for (const call of [
      () => engine.placeLimit(order),
      () => engine.placeMarket({ trader: 1, asset: 1, side: 'bid', size: 1, timestamp: 0 }),
      () => engine.cancel({ trader: 1, asset: 1, orderId: 1 }),
      () => engine.bestBid(1),
      () => engine.depth(1),
      () => engine.orders(1),
      () => engine.stateHash(),
      () => engine.submitBatch(new CommandBatch().limit(1, 1, 'bid', 10, 1, 0)),
    ]) {
      expect(call).toThrowError(/refuses further calls/);
    }
    expect(core.calls).toBe(callsAfterTrap);
  });

  it('names the operation and the cause', () => {
    const core = new ScriptedCore();
    const engine = new MatchingEngine(core);
    core.trapNext = true;
    try {
      engine.submitBatch(new CommandBatch().limit(1, 1, 'bid', 10, 1, 0));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LobError);
      expect((error as LobError).message).toMatch(/wasm engine failed during submitBatch \(unreachable\)/);
      expect((error as LobError).cause).toBeInstanceOf(WebAssembly.RuntimeError);
    }
  });

  it('passes a deliberate core error through without latching', () => {
    const core = new ScriptedCore();
    const engine = new MatchingEngine(core);
    core.corruptRestore = true;
    expect(() => engine.restore(new Uint8Array(24))).toThrowError(expect.objectContaining({ code: 'CORRUPTION' }));
    expect(engine.failed).toBe(false);
    expect(engine.placeLimit(order).status).toBe('resting');
  });

  it('validates before reaching the core', () => {
    const core = new ScriptedCore();
    const engine = new MatchingEngine(core);
    expect(() => engine.placeLimit({ ...order, price: 1.5 })).toThrowError(/price must be a positive safe integer, got 1\.5/);
    expect(core.calls).toBe(0);
  });
});

// An order result's counts and a cancel's or reduce's remaining go in as small integers when they are below
// 2^30 (one test for the three, then `| 0`): on each side of that bound, and past 2^31 and 2^32,
// where `| 0` alone would wrap, every number is the core's own.
describeEachBackend('per-call results near the small-integer bound', (backend) => {
  const SIZES = [2 ** 30 - 1, 2 ** 30, 2 ** 31 + 5, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER];
  for (const size of SIZES) {
    it(`are exact for ${size} lots`, async () => {
      const engine = await newEngine(backend);
      const maker = engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size, timestamp: 1 });
      expect(maker).toEqual({ orderId: 1, status: 'resting', filled: 0, remaining: size, fills: [] });
      const taker = engine.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 100, size: size - 1, timestamp: 2 });
      expect(taker).toMatchObject({ orderId: 2, status: 'filled', filled: size - 1, remaining: 0 });
      expect(taker.fills.map((f) => f.size)).toEqual([size - 1]);
      expect(engine.reduce({ trader: 1, asset: 1, orderId: 1, by: 1 })).toEqual({ ok: true, remaining: 0 });
      const big = engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 100, size, timestamp: 3 });
      expect(engine.reduce({ trader: 1, asset: 1, orderId: big.orderId, by: 1 })).toEqual({ ok: true, remaining: size - 1 });
      const partial = engine.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 100, size, timestamp: 4 });
      expect(partial).toMatchObject({ status: 'resting', filled: size - 1, remaining: 1 });
    });
  }
});

// The host holds the core's `out` from its creation (the per-call results read it one load
// sooner): the array must be the one the core writes through restores and memory growth.
describeEachBackend('per-call results after a restore and memory growth', (backend) => {
  it('describe the call just made', async () => {
    const engine = await newEngine(backend);
    engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 101, size: 5, timestamp: 1 });
    const snapshot = engine.snapshot();
    engine.placeLimit({ trader: 1, asset: 1, side: 'ask', price: 102, size: 5, timestamp: 2 });
    engine.restore(snapshot);
    expect(engine.placeLimit({ trader: 2, asset: 1, side: 'bid', price: 101, size: 2, timestamp: 3 }))
      .toMatchObject({ orderId: 2, status: 'filled', filled: 2, remaining: 0 });
    const before = engine.memoryBytes();
    // Enough resting orders at new prices to grow the core's memory.
    for (let i = 0; i < 40_000; i++) {
      engine.placeLimit({ trader: 3, asset: 2, side: 'bid', price: 1 + i, size: 1, timestamp: 4 + i });
    }
    expect(engine.memoryBytes()).toBeGreaterThan(before);
    expect(engine.placeLimit({ trader: 4, asset: 1, side: 'bid', price: 100, size: 7, timestamp: 50_000 }))
      .toEqual({ orderId: 40_003, status: 'resting', filled: 0, remaining: 7, fills: [] });
    expect(engine.cancel({ trader: 1, asset: 1, orderId: 1 })).toEqual({ ok: true, remaining: 0 });
    // A rested order and a cancel are returned by the core's call (MatchingCore), not read from
    // `out`: fills, a refused cancel and a reduce are, and must describe these calls.
    expect(engine.placeLimit({ trader: 5, asset: 1, side: 'ask', price: 100, size: 3, timestamp: 50_001 }))
      .toMatchObject({ orderId: 40_004, status: 'filled', filled: 3, remaining: 0 });
    expect(engine.placeLimit({ trader: 5, asset: 2, side: 'ask', price: 39_999, size: 3, timestamp: 50_002 }))
      .toMatchObject({ orderId: 40_005, status: 'resting', filled: 2, remaining: 1 });
    expect(engine.cancel({ trader: 1, asset: 1, orderId: 1 })).toEqual({ ok: false, reason: 'UNKNOWN_ORDER' });
    expect(engine.reduce({ trader: 4, asset: 1, orderId: 40_003, by: 1 })).toEqual({ ok: true, remaining: 3 });
  });
});
