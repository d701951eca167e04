// The cores' per-call outcome returned by placeLimit and cancel (MatchingCore, src/core.ts): the
// common result the engine builds without reading `out`, so it must say what `out` says.
import { describe, expect, it } from 'vitest';
import { JsCore } from '../src/js-core/index.js';
import { WasmCore } from '../src/wasm-core.js';
import { MatchingEngine } from '../src/engine-host.js';
import { Out, type MatchingCore } from '../src/core.js';
import { StatusCode } from '../src/codes.js';

const CORES: [string, () => Promise<MatchingCore>][] = [
  ['js', async () => new JsCore()],
  ['wasm', async () => WasmCore.create({})],
];

/** Order 1: trader 1's and asset 1's first, away from the prices below; trader 2 comes in as a taker. */
function openBook(core: MatchingCore): void {
  core.placeLimit(1, 1, 0, 1, 1, 0, 0, 0, 0);
}

describe.each(CORES)('%s core: the outcome placeLimit and cancel return', (_name, open) => {
  it('placeLimit returns the id of an order that rests whole, as out holds it, and 0 for any other outcome', async () => {
    const core = await open();
    // trader, asset, side (0 bid, 1 ask), price, size, timestamp, tif (0 GTC, 1 IOC), stp, clientOrderId.
    // The first order of a book and of a trader opens them on the general path: its return may be 0.
    openBook(core);
    const id = core.placeLimit(1, 1, 0, 100, 5, 1, 0, 0, 7);
    expect(id).toBe(2);
    expect([core.out[Out.HEAD], core.out[Out.ORDER_ID], core.out[Out.FILLED], core.out[Out.REMAINING], core.out[Out.FILL_COUNT]])
      .toEqual([StatusCode.RESTING, 2, 0, 5, 0]);
    expect(core.placeLimit(1, 1, 0, 99, 5, 2, 0, 0, 0)).toBe(3);
    // Crosses: fills, so the general path, and 0.
    expect(core.placeLimit(2, 1, 1, 100, 2, 3, 0, 0, 0)).toBe(0);
    expect(core.out[Out.FILL_COUNT]).toBe(1);
    expect(core.out[Out.ORDER_ID]).toBe(4);
    // Not GTC: 0, whatever becomes of it.
    expect(core.placeLimit(2, 1, 1, 200, 1, 4, 1, 0, 0)).toBe(0);
    expect(core.out[Out.HEAD] & 15).not.toBe(StatusCode.RESTING);
  });

  it('cancel returns 1 when a resting order is cancelled and 0 when the cancel is refused', async () => {
    const core = await open();
    openBook(core);
    const id = core.placeLimit(1, 1, 0, 100, 5, 1, 0, 0, 0);
    expect(id).toBe(2);
    expect(core.cancel(1, 1, id)).toBe(1);
    expect([core.out[Out.HEAD], core.out[Out.REMAINING]]).toEqual([StatusCode.OK, 0]);
    expect(core.cancel(1, 1, id)).toBe(0);
    expect(core.out[Out.HEAD] & 15).not.toBe(StatusCode.OK);
    // Another trader's order: refused, 0.
    const other = core.placeLimit(1, 1, 0, 100, 5, 2, 0, 0, 0);
    expect(core.cancel(2, 1, other)).toBe(0);
  });
});

describe.each(CORES)('%s engine: the result built from the returned outcome', (_name, open) => {
  it('is the result out would give: id, status, sizes beyond a small integer, the client order id', async () => {
    const engine = new MatchingEngine(await open());
    engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 1, size: 1, timestamp: 0 });
    const big = 2 ** 40;
    const rested = engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: big, timestamp: 1, clientOrderId: 9 });
    expect(rested).toEqual({ orderId: 2, status: 'resting', filled: 0, remaining: big, fills: [], clientOrderId: 9 });
    const ts = 2 ** 45;
    const taker = engine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 100, size: 3, timestamp: ts });
    expect(taker).toMatchObject({ orderId: 3, status: 'filled', filled: 3, remaining: 0 });
    expect(taker.fills.map((fill) => fill.timestamp)).toEqual([ts]);
    expect(engine.cancel({ trader: 1, asset: 1, orderId: 2 })).toEqual({ ok: true, remaining: 0 });
    expect(engine.cancel({ trader: 1, asset: 1, orderId: 2 })).toMatchObject({ ok: false });
  });
});
