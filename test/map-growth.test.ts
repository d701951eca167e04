// The (side, price) -> level map (both cores) and the WASM core's trader map grow by migration
// once large (assembly/slot-table.ts, assembly/levels.ts, assembly/traders.ts,
// src/js-core/levels.ts): for a stretch after each doubling a lookup may find its entry in the old
// table or the new, and a level may leave either. A price that already has a level must join it,
// never open a second one; a level that empties must leave whichever table holds it; a trader
// seen before must keep its index. The two cores run one stream side by side, checked against
// each other after every command and against a model, with snapshots taken mid-growth restored
// into fresh cores that follow the rest of the stream.
import { describe, expect, it } from 'vitest';
import { JsCore } from '../src/js-core/index.js';
import { WasmCore } from '../src/wasm-core.js';
import { Out, type MatchingCore } from '../src/core.js';
import { ReasonCode, StatusCode } from '../src/codes.js';
import type { Levels } from '../src/js-core/levels.js';
import type { Books } from '../src/js-core/books.js';
import { bookSide } from '../src/js-core/books.js';
import { expectSameBytes } from './helpers/bytes.js';
import { xorshift32 as random } from './helpers/random.js';

const BID = 0;
const ASK = 1;
const ASSET = 1;
/** Bids at 1..PRICES, asks at ASK_BASE + 1..PRICES: nothing crosses, every order rests. */
const PRICES = 30_000;
const ASK_BASE = 40_000;

/** Whether the JS core's level map finds the level at this price (a level the map lost would still be in the ladder). */
function jsMapFinds(core: JsCore, side: number, price: number): boolean {
  const state = (core as unknown as { state: { levels: Levels; books: Books } }).state;
  const book = state.books.findBook(ASSET);
  return book !== -1 && state.levels.findLevel(bookSide(book, side), price) !== -1;
}

interface JsLevelMap {
  oldSlots: Int32Array | null;
  nextSlots: Int32Array | null;
  slots: Int32Array;
}
/** Entries over the JS map's tables: one a level, no more. */
function jsMapEntries(map: JsLevelMap): number {
  let entries = 0;
  for (const table of [map.slots, map.oldSlots ?? new Int32Array(0)]) for (const entry of table) if (entry !== 0) entries++;
  return entries;
}
function jsLevelMap(core: JsCore): JsLevelMap {
  return (core as unknown as { state: { levels: Levels } }).state.levels as unknown as JsLevelMap;
}
/** The WASM map holds a second table: one being emptied or one being readied. */
function wasmTwoTables(core: WasmCore): boolean {
  return core.levelMapBytes() !== core.levelMapSlots() * 4;
}

/**
 * Both cores' snapshots, equal, and (up to two times) restored into a fresh pair of cores that
 * join `cores` and follow the rest of the stream.
 */
async function followFromSnapshot(wasm: WasmCore, js: JsCore, cores: MatchingCore[], step: number): Promise<void> {
  const snapshot = wasm.snapshot();
  expectSameBytes(js.snapshot(), snapshot, `snapshot at step ${step}`);
  if (cores.length >= 6) return;
  const restoredWasm = await WasmCore.create({});
  restoredWasm.restore(snapshot);
  const restoredJs = new JsCore();
  restoredJs.restore(snapshot);
  cores.push(restoredWasm, restoredJs);
}

function outcome(core: MatchingCore): number[] {
  return [core.out[Out.HEAD], core.out[Out.ORDER_ID], core.restingOrders, core.nextOrderId];
}

/** A side's depth as the model has it, best first: price, size, order count per level. */
function modelDepth(levels: Map<number, [number, number]>, side: number): number[] {
  const prices = [...levels.keys()].sort((a, b) => (side === BID ? b - a : a - b));
  return prices.flatMap((price) => [price, ...levels.get(price)!]);
}

describe('level map growth by migration', () => {
  it('keeps one level a price, in both cores and in snapshots taken mid-growth', async () => {
    const wasm = await WasmCore.create({});
    const js = new JsCore();
    const cores: MatchingCore[] = [wasm, js];
    const next = random(0x9e3779b9);
    // The model: per side, price -> [size, orders]; per live order, its side, price and size.
    const depth = [new Map<number, [number, number]>(), new Map<number, [number, number]>()];
    const live = new Map<number, [number, number, number]>();
    const liveIds: number[] = [];
    let migrations = 0;
    let readyings = 0;
    let wasGrowing = false;
    let mostLevels = 0;
    /** A cancel's side and price, that the next step places at again half the time (a cancel and replace). */
    let replace: [number, number] | null = null;
    for (let step = 1; step <= 120_000; step++) {
      const roll = next();
      if (roll < 0.8 || liveIds.length === 0) {
        const replaced = replace;
        replace = null;
        // A new order, at a new price or, one time in four, at the price of a live order (which
        // may sit in the old table).
        let side = next() < 0.5 ? BID : ASK;
        let price = (side === BID ? 0 : ASK_BASE) + 1 + Math.floor(next() * PRICES);
        if (roll < 0.2 && liveIds.length > 0) [side, price] = live.get(liveIds[Math.floor(next() * liveIds.length)])!;
        // Or at the price of the order the last step cancelled: where that emptied its level, the
        // level was freed, and a map that kept its entry would hand the freed record back.
        if (replaced !== null && roll < 0.4) [side, price] = replaced;
        const size = 1 + Math.floor(next() * 9);
        for (const core of cores) core.placeLimit(1, ASSET, side, price, size, step, 0, 0, 0);
        const id = wasm.nextOrderId - 1;
        live.set(id, [side, price, size]);
        liveIds.push(id);
        const level = depth[side].get(price) ?? [0, 0];
        depth[side].set(price, [level[0] + size, level[1] + 1]);
      } else {
        const k = Math.floor(next() * liveIds.length);
        const id = liveIds[k];
        liveIds[k] = liveIds[liveIds.length - 1];
        liveIds.pop();
        for (const core of cores) core.cancel(1, ASSET, id);
        const [side, price, size] = live.get(id)!;
        live.delete(id);
        replace = [side, price];
        const level = depth[side].get(price)!;
        if (level[1] === 1) depth[side].delete(price);
        else depth[side].set(price, [level[0] - size, level[1] - 1]);
      }
      const [a, b] = [outcome(js), outcome(wasm)];
      if (a.some((v, k) => v !== b[k])) expect(a, `step ${step}`).toEqual(b);
      const levels = depth[BID].size + depth[ASK].size;
      mostLevels = Math.max(mostLevels, levels);
      if (wasm.priceLevels !== levels) expect(wasm.priceLevels, `WASM levels at step ${step}`).toBe(levels);

      const map = jsLevelMap(js);
      const growing = wasmTwoTables(wasm) || map.oldSlots !== null || map.nextSlots !== null;
      if (map.oldSlots !== null) migrations++;
      if (map.nextSlots !== null) readyings++;
      // While an old table empties, every 25 steps: each core's map finds every live price. An
      // insert that stopped its migration inside a run would leave that run's later entries
      // where a lookup starting in its emptied part no longer reaches them.
      if (map.oldSlots !== null && step % 25 === 0) {
        for (const side of [BID, ASK]) {
          for (const price of depth[side].keys()) {
            if (!wasm.levelMapFinds(ASSET, side, price)) expect.fail(`WASM map lost ${price} on side ${side} at step ${step}`);
            if (!jsMapFinds(js, side, price)) expect.fail(`JS map lost ${price} on side ${side} at step ${step}`);
          }
        }
      }
      // Into each growth (and every 20,000 steps): the whole depth against the model, and a
      // snapshot of both cores restored into fresh ones that follow the rest of the stream.
      if ((growing && !wasGrowing) || step % 20_000 === 0) {
        // A map that kept a removed level's entry holds more entries than levels.
        expect(wasm.levelMapEntries(), `WASM map entries at step ${step}`).toBe(levels);
        expect(jsMapEntries(map), `JS map entries at step ${step}`).toBe(levels);
        for (const core of cores) {
          for (const side of [BID, ASK]) {
            expect(Array.from(core.levels(ASSET, side, PRICES + 1)), `side ${side} at step ${step}`).toEqual(modelDepth(depth[side], side));
          }
        }
        await followFromSnapshot(wasm, js, cores, step);
      }
      wasGrowing = growing;
    }
    // The map doubled past 2^16 slots (at 16,384 levels) and 2^17 (32,768) by readying and then
    // migration, in both cores.
    expect(mostLevels).toBeGreaterThan(32_768);
    expect(wasm.levelMapSlots()).toBe(1 << 18);
    expect(jsLevelMap(js).slots.length).toBe(1 << 18);
    expect(migrations).toBeGreaterThan(0);
    expect(readyings).toBeGreaterThan(0);
    expect(wasm.levelMapEntries()).toBe(wasm.priceLevels);
    expect(jsMapEntries(jsLevelMap(js))).toBe(wasm.priceLevels);
    const end = wasm.snapshot();
    for (const core of cores) {
      expectSameBytes(core.snapshot(), end);
      for (const side of [BID, ASK]) expect(Array.from(core.levels(ASSET, side, PRICES + 1))).toEqual(modelDepth(depth[side], side));
    }
  }, 60_000);

  it('keeps one index a trader while the trader map grows, in both cores and in snapshots taken mid-growth', async () => {
    const wasm = await WasmCore.create({});
    const js = new JsCore();
    const cores: MatchingCore[] = [wasm, js];
    const next = random(0x7f4a7c15);
    // Per live order: its trader. Traders 1..TRADERS past 2^28, a new one for most orders at first
    // (the WASM core keeps traders below 2^28 in the order, with no map).
    const TRADERS = 80_000;
    const INTERNED = 2 ** 28;
    const traderOf = new Map<number, number>();
    const liveIds: number[] = [];
    let seen = 0;
    let migrating = 0;
    let wasTwo = false;
    for (let step = 1; step <= 110_000; step++) {
      const roll = next();
      if (roll < 0.85 || liveIds.length === 0) {
        // Mostly a trader never seen, else one seen before (whose entry may sit in the old table).
        const trader = INTERNED + (seen < TRADERS && roll < 0.78 ? ++seen : 1 + Math.floor(next() * Math.max(seen, 1)));
        const side = next() < 0.5 ? BID : ASK;
        const price = side === BID ? 1 + (step % 500) : ASK_BASE + 1 + (step % 500);
        for (const core of cores) core.placeLimit(trader, ASSET, side, price, 1 + (step % 5), step, 0, 0, 0);
        if (wasm.out[Out.HEAD] !== js.out[Out.HEAD]) expect(js.out[Out.HEAD], `step ${step}`).toBe(wasm.out[Out.HEAD]);
        const id = wasm.nextOrderId - 1;
        traderOf.set(id, trader);
        liveIds.push(id);
      } else {
        // A cancel names its trader: the core looks the trader up before the order.
        const k = Math.floor(next() * liveIds.length);
        const id = liveIds[k];
        liveIds[k] = liveIds[liveIds.length - 1];
        liveIds.pop();
        for (const core of cores) core.cancel(traderOf.get(id)!, ASSET, id);
        traderOf.delete(id);
      }
      const [a, b] = [outcome(js), outcome(wasm)];
      if (a.some((v, k) => v !== b[k])) expect(a, `step ${step}`).toEqual(b);
      const two = wasm.traderMapBytes() !== wasm.traderMapSlots() * 4;
      // While an old table empties or a next one is readied, every 25 steps: every trader seen is found.
      if (two && step % 25 === 0) {
        migrating++;
        for (let trader = INTERNED + 1; trader <= INTERNED + seen; trader++) {
          if (!wasm.traderMapFinds(trader)) expect.fail(`WASM trader map lost trader ${trader} at step ${step}`);
        }
      }
      if ((two && !wasTwo) || step % 20_000 === 0) {
        await followFromSnapshot(wasm, js, cores, step);
      }
      wasTwo = two;
    }
    // 80,000 traders: the map doubled from 2^16 slots (at 32,768 traders) and from 2^17 (65,536),
    // each by readying and migration.
    expect(seen).toBe(TRADERS);
    expect(wasm.traderMapSlots()).toBe(1 << 18);
    expect(migrating).toBeGreaterThan(0);
    const end = wasm.snapshot();
    for (const core of cores) expectSameBytes(core.snapshot(), end);
  }, 60_000);

  it('keeps traders below 2^28 in the order with no map, and tells each from the interned traders past it', async () => {
    const wasm = await WasmCore.create({});
    const js = new JsCore();
    const cores: MatchingCore[] = [wasm, js];
    const direct = [0, 1, 2 ** 28 - 1];
    const interned = [2 ** 28, 2 ** 28 + 1, Number.MAX_SAFE_INTEGER];
    let timestamp = 0;
    const same = (what: string): void => {
      const [a, b] = [outcome(js), outcome(wasm)];
      expect(b, what).toEqual(a);
    };
    // One resting bid each, at prices of their own.
    for (const [k, trader] of [...direct, ...interned].entries()) {
      timestamp++;
      for (const core of cores) core.placeLimit(trader, ASSET, BID, 100 + k, 5, timestamp, 0, 0, 0);
      same(`bid of trader ${trader}`);
      expect(wasm.traderMapFinds(trader)).toBe(true);
      if (k === direct.length - 1) expect(wasm.traderMapSlots()).toBe(0);
    }
    expect(wasm.traderMapSlots()).toBeGreaterThan(0);
    expect(wasm.traderMapFinds(2 ** 28 + 2)).toBe(false);
    // Each order is its own trader's, no other's: a cancel by its neighbour across 2^28 is refused.
    const firstId = wasm.nextOrderId - 6;
    for (const core of cores) core.cancel(2 ** 28, ASSET, firstId + 2);
    same('a cancel of trader 2^28 - 1\'s order by trader 2^28');
    expect(wasm.out[Out.HEAD]).toBe(StatusCode.REJECTED | (ReasonCode.NOT_OWNER << 4));
    // Self-trade prevention meets its own trader only: an ask of trader 2^28 (cancel_taker) takes
    // the bids of 2^53 - 1 at 105 and 2^28 + 1 at 104, and stops at its own at 103.
    for (const core of cores) core.placeLimit(2 ** 28, ASSET, ASK, 100, 10, timestamp + 1, 0, 1, 0);
    same('an ask of trader 2^28 with cancel_taker');
    expect(wasm.restingOrders).toBe(4);
    expectSameBytes(js.snapshot(), wasm.snapshot(), 'the snapshots');
    const restored = await WasmCore.create({});
    restored.restore(wasm.snapshot());
    expectSameBytes(restored.snapshot(), wasm.snapshot(), 'the restored snapshot');
    for (const core of [...cores, restored]) core.cancel(2 ** 28 - 1, ASSET, firstId + 2);
    expect(restored.out[Out.HEAD]).toBe(wasm.out[Out.HEAD]);
    expect(js.out[Out.HEAD]).toBe(wasm.out[Out.HEAD]);
    expect(wasm.out[Out.HEAD]).toBe(StatusCode.OK);
    for (const core of [...cores, restored]) expect(core.restingOrders).toBe(3);
  });

  it('keeps the JS level map\'s next table through a restore into the same core, and grows into it exactly', () => {
    const js = new JsCore();
    const levels = (): Levels => (js as unknown as { state: { levels: Levels } }).state.levels;
    // 15,000 prices: past 14,336 levels, where a map of 2^16 slots takes its next table.
    for (let price = 1; price <= 15_000; price++) js.placeLimit(1, ASSET, BID, price, 1, price, 0, 0, 0);
    expect(levels().nextMapsTaken).toBe(1);
    const snapshot = js.snapshot();
    // A restore that fits empties the core's arrays and refills them past that point again.
    for (let round = 0; round < 3; round++) js.restore(snapshot);
    expect(levels().nextMapsTaken).toBe(1);
    expectSameBytes(js.snapshot(), snapshot, 'snapshot after the restores');
    // On past the doubling (16,384 levels) into the kept table: every price still found.
    for (let price = 15_001; price <= 20_000; price++) js.placeLimit(1, ASSET, BID, price, 1, price, 0, 0, 0);
    for (let price = 1; price <= 20_000; price++) expect(jsMapFinds(js, BID, price)).toBe(true);
    expect(jsMapFinds(js, BID, 20_001)).toBe(false);
    expect((levels() as unknown as JsLevelMap).slots.length).toBe(2 ** 17);
    expect(levels().nextMapsTaken).toBe(1);
  });
});
