// The order index grows by migration (assembly/order-index.ts, src/js-core/order-index.ts): for a
// stretch after each growth a lookup, cancel, reduce, modify or OCO leg may find its order in
// the old table or the new, and a snapshot may be taken with both. The two cores run one command
// stream side by side, checked against each other after every command, with snapshots taken
// mid-migration restored into fresh cores that then follow the rest of the stream.
import { describe, expect, it } from 'vitest';
import { JsCore } from '../src/js-core/index.js';
import { WasmCore } from '../src/wasm-core.js';
import { Out, type MatchingCore } from '../src/core.js';
import type { OrderIndex } from '../src/js-core/order-index.js';
import { expectSameBytes } from './helpers/bytes.js';
import { xorshift32 as random } from './helpers/random.js';

const BID = 0;
const ASK = 1;

function jsIndex(core: JsCore): OrderIndex {
  return (core as unknown as { state: { index: OrderIndex } }).state.index;
}
function jsMigrating(core: JsCore): boolean {
  return (jsIndex(core) as unknown as { migrating: boolean }).migrating;
}
/** The WASM index holds a second table: one being emptied or one being readied. */
function wasmTwoTables(core: WasmCore): boolean {
  return core.orderIndexBytes() !== core.orderIndexSlots() * 4;
}

function outcome(core: MatchingCore): number[] {
  return [core.out[Out.HEAD], core.out[Out.ORDER_ID], core.restingOrders, core.pendingStops, core.nextOrderId];
}

function found(core: MatchingCore, id: number): number[] | null {
  const order = core.findOrder(id);
  return order === null ? null : Array.from(order);
}

describe('order index growth by migration', () => {
  it('answers every command alike in both cores, and restores snapshots taken mid-migration', async () => {
    const wasm = await WasmCore.create({});
    const js = new JsCore();
    const cores: MatchingCore[] = [wasm, js];
    const next = random(0x2545f491);
    const pick = (below: number) => Math.floor(next() * below);
    let wasmCheckpoints = 0;
    let jsCheckpoints = 0;
    let wasWasmTwo = false;
    let wasJsMigrating = false;
    for (let step = 1; step <= 240_000; step++) {
      const live = wasm.nextOrderId - 1;
      const roll = next();
      const id = 1 + pick(Math.max(live, 1));
      for (const core of cores) {
        if (roll < 0.74) {
          // Bids 1..999 under asks 2001..2999: nothing trades, the order rests.
          const side = step & 1 ? BID : ASK;
          core.placeLimit(1 + (step % 5), 1, side, side === BID ? 1 + (step % 999) : 2001 + (step % 999), 1 + (step % 9), step, 0, 0, 0);
        } else if (roll < 0.78) {
          // An OCO pair: its limit leg rests, its stop leg (never reached) waits.
          const side = step & 1 ? BID : ASK;
          core.placeOco(1 + (step % 5), 1, side, 2, side === BID ? 500 : 2500, side === BID ? 2900 : 100, 0, step, 0, 0);
        } else if (roll < 0.93) {
          core.cancel(1 + (id % 5), 1, id);
        } else if (roll < 0.96) {
          core.reduce(1 + (id % 5), 1, id, 1);
        } else if (roll < 0.99) {
          core.modify(1 + (id % 5), 1, id, id & 1 ? 1 + (step % 999) : 2001 + (step % 999), 1 + (step % 4), step);
        } else {
          // Fills take resting orders (and OCO limit legs, with their stop legs) out of the index.
          core.placeMarket(9, 1, step & 1 ? ASK : BID, 6, 0, step, 0, 0, 0);
        }
      }
      const [a, b] = [outcome(js), outcome(wasm)];
      if (a.some((v, k) => v !== b[k])) expect(a, `step ${step}`).toEqual(b);
      const probe = 1 + pick(live + 2);
      const [p, q] = [found(js, probe), found(wasm, probe)];
      if (p === null || q === null ? p !== q : p.some((v, k) => v !== q[k])) expect(p, `order ${probe} at step ${step}`).toEqual(q);

      // Once into each migration of either core (and once more halfway through), a snapshot of
      // both, restored into fresh cores that follow the rest of the stream.
      const wasmTwo = wasmTwoTables(wasm);
      const jsNow = jsMigrating(js);
      if ((wasmTwo && !wasWasmTwo) || (jsNow && !wasJsMigrating) || step % 60_000 === 0) {
        if (wasmTwo) wasmCheckpoints++;
        if (jsNow) jsCheckpoints++;
        const snapshot = wasm.snapshot();
        expectSameBytes(js.snapshot(), snapshot, `snapshot at step ${step}`);
        if (cores.length < 6) {
          const restoredWasm = await WasmCore.create({});
          restoredWasm.restore(snapshot);
          const restoredJs = new JsCore();
          restoredJs.restore(js.snapshot());
          cores.push(restoredWasm, restoredJs);
        }
      }
      wasWasmTwo = wasmTwo;
      wasJsMigrating = jsNow;
    }
    expect(wasmCheckpoints).toBeGreaterThanOrEqual(2);
    expect(jsCheckpoints).toBeGreaterThanOrEqual(1);
    expect(wasm.restingOrders).toBeGreaterThan(150_000);
    const end = wasm.snapshot();
    for (const core of cores) expectSameBytes(core.snapshot(), end);
    for (const core of cores) {
      for (let id = 1; id < wasm.nextOrderId; id += 97) expect(found(core, id)).toEqual(found(wasm, id));
    }
  }, 60_000);

  it('moves a bounded number of old entries with any one insert, through many growths', async () => {
    const wasm = await WasmCore.create({});
    const js = new JsCore();
    // 600,000 orders, one in five cancelled: the WASM table grows compactly 6 times (65,536
    // slots to 638,976), the JS one doubles 9 times (2,048 buckets to 1,048,576), each growth a
    // migration.
    for (let id = 1; id <= 600_000; id++) {
      for (const core of [wasm, js] as MatchingCore[]) {
        core.placeLimit(1, 1, BID, 1 + (id % 1000), 1, id, 0, 0, 0);
        if (id % 5 === 0) core.cancel(1, 1, id - 3);
      }
    }
    expect(wasm.restingOrders).toBe(480_000);
    expect(js.restingOrders).toBe(480_000);
    expect(wasm.orderIndexSlots()).toBe(638_976);
    // An insert walks a fixed share of the old table's slots (its slots over a quarter of the
    // inserts to the next growth: 12 at these loads for WASM, 4 for JS), then on to the end of
    // the run it stopped in; a growth in one go moved every entry at once.
    expect(wasm.orderIndexMostMigrated()).toBeGreaterThan(0);
    expect(wasm.orderIndexMostMigrated()).toBeLessThanOrEqual(32);
    expect(jsIndex(js).mostMigrated).toBeGreaterThan(0);
    expect(jsIndex(js).mostMigrated).toBeLessThanOrEqual(16);
    for (let id = 4; id <= 600_000; id += 997) {
      expect(found(js, id)).toEqual(found(wasm, id));
    }
  }, 60_000);
});

describe('order index leaving its first segment', () => {
  // A table of one segment (16,384 slots) addresses its slots from that segment, not through the
  // directory (assembly/order-index.ts, singleSegment); doubling to two segments goes back to the
  // directory. Orders placed on either side of the doubling are found, cancelled and snapshotted
  // alike in both cores, and a restore into a fresh core starts from one segment again.
  it('finds and cancels every order placed before and after the table doubles', async () => {
    const wasm = await WasmCore.create({});
    const js = new JsCore();
    const cores: MatchingCore[] = [wasm, js];
    const place = (id: number) => {
      for (const core of cores) core.placeLimit(1 + (id % 3), 1, BID, 1 + (id % 500), 1, id, 0, 0, 0);
    };
    for (let id = 1; id <= 15_000; id++) place(id);
    expect(wasm.orderIndexSlots()).toBe(16_384);
    // Cancel a third of the first segment's orders while it is the only one.
    for (let id = 3; id <= 15_000; id += 3) {
      for (const core of cores) {
        core.cancel(1 + (id % 3), 1, id);
        expect(core.out[Out.ORDER_ID]).toBe(id);
      }
    }
    for (let id = 15_001; id <= 30_000; id++) place(id);
    expect(wasm.orderIndexSlots()).toBe(32_768);
    for (let id = 1; id <= 30_000; id += 7) expect(found(wasm, id), `order ${id}`).toEqual(found(js, id));
    expect(found(wasm, 3)).toBeNull();
    expect(found(wasm, 2)).not.toBeNull();
    // Cancels on both sides of the doubling, then a wrong owner's cancel, refused.
    for (const id of [1, 14_999, 15_001, 29_999]) {
      for (const core of cores) core.cancel(1 + (id % 3), 1, id);
      expect(found(wasm, id)).toBeNull();
      expect(found(js, id)).toBeNull();
    }
    for (const core of cores) core.cancel(1 + ((2 + 1) % 3), 1, 2);
    expect(found(wasm, 2)).toEqual(found(js, 2));
    expect(found(wasm, 2)).not.toBeNull();
    expect(wasm.restingOrders).toBe(js.restingOrders);
    const snapshot = wasm.snapshot();
    expectSameBytes(js.snapshot(), snapshot, 'snapshot after the doubling');

    // A fresh core of one segment, then a restore that sizes its table anew.
    const fresh = await WasmCore.create({});
    fresh.placeLimit(1, 1, BID, 1, 1, 1, 0, 0, 0);
    expect(fresh.orderIndexSlots()).toBe(16_384);
    expect(found(fresh, 1)).not.toBeNull();
    fresh.restore(snapshot);
    expectSameBytes(fresh.snapshot(), snapshot, 'restored');
    for (let id = 1; id <= 30_000; id += 11) expect(found(fresh, id), `restored order ${id}`).toEqual(found(wasm, id));
    for (const id of [2, 15_002, 29_998]) {
      fresh.cancel(1 + (id % 3), 1, id);
      expect(found(fresh, id)).toBeNull();
    }
  }, 60_000);
});
