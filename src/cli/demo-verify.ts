// The demo's proof: rebuild the flow in memory up to the height the database recovered to and
// compare the two state machines, then drive both on to the end of the flow and compare again.
import { DemoOrderFlow, TRADERS, type OrderEntry } from './demo-flow.js';
import type { DemoFlowFlags } from './demo-options.js';
import { openStateMachine, type CoreStateMachine } from './database.js';
import type { PhaseProgress } from './progress.js';

export interface FillHistoryCheck {
  /** Fills recorded by each machine (the next fill sequence minus one). */
  recovered: number;
  replayed: number;
  /** Whether every trader's whole fill history, fill sequence and height included, is the same. */
  equal: boolean;
}

/** A fresh in-memory machine fed the seeded flow up to `height`, and the flow, ready for more. */
export async function replayInMemory(
  flags: DemoFlowFlags, height: number, progress: PhaseProgress,
): Promise<{ machine: CoreStateMachine; flow: DemoOrderFlow }> {
  const machine = await openStateMachine({ backend: flags.backend });
  const flow = new DemoOrderFlow(flags);
  for (let block = 1; block <= height; block++) {
    machine.setHeight(block);
    flow.runBlock(block, machine);
    progress.update(block);
  }
  return { machine, flow };
}

export async function compareFillHistory(recovered: CoreStateMachine, replayed: CoreStateMachine): Promise<FillHistoryCheck> {
  const check = { recovered: recovered.nextFillSeq - 1, replayed: replayed.nextFillSeq - 1, equal: true };
  if (check.recovered !== check.replayed) return { ...check, equal: false };
  // Every fill has two traders, so this reads each fill twice: fine at demo sizes.
  const everything = { limit: check.recovered + 1 };
  for (let trader = 0; trader < TRADERS && check.equal; trader++) {
    const onDisk = await recovered.getTraderFills(trader, everything);
    const inMemory = await replayed.getTraderFills(trader, everything);
    // Not a hot path: a structural comparison through JSON is the clearest one.
    check.equal = JSON.stringify(onDisk) === JSON.stringify(inMemory);
  }
  return check;
}

/** Sends every command to both machines; the flow follows the first one's answers. */
function bothMachines(primary: CoreStateMachine, secondary: CoreStateMachine): OrderEntry {
  return {
    placeLimitOrder: (req) => { secondary.placeLimitOrder(req); return primary.placeLimitOrder(req); },
    placeMarketOrder: (req) => { secondary.placeMarketOrder(req); return primary.placeMarketOrder(req); },
    cancelOrder: (req) => { secondary.cancelOrder(req); return primary.cancelOrder(req); },
    reduceOrder: (req) => { secondary.reduceOrder(req); return primary.reduceOrder(req); },
    modifyOrder: (req) => { secondary.modifyOrder(req); return primary.modifyOrder(req); },
  };
}

/**
 * Carries the flow on from the recovered height to its last block on both machines, the one on
 * disk flushing every block and checkpointing on the writer's schedule.
 */
export async function resumeBoth(
  recovered: CoreStateMachine, replayed: CoreStateMachine, flow: DemoOrderFlow,
  flags: DemoFlowFlags, progress: PhaseProgress,
): Promise<void> {
  const both = bothMachines(recovered, replayed);
  const fromHeight = recovered.height;
  for (let block = fromHeight + 1; block <= flags.blocks; block++) {
    recovered.setHeight(block);
    replayed.setHeight(block);
    flow.runBlock(block, both);
    await recovered.flush();
    if (block % flags.checkpointEvery === 0) await recovered.checkpoint();
    progress.update(block - fromHeight);
  }
}
