// The persistent state machine's public surface (re-exported by src/index.ts).
export { CoreStateMachine } from './state-machine.js';
export type {
  AutoFlushOptions, BookView, FlushReport, StateBatchResult, StateMachineOptions, StateOrderResult,
} from './state-machine.js';
export type { CheckpointInfo } from './checkpoints.js';
export type { FillPage, RecordedFill, TraderFillQuery } from './fill-history.js';
export type { Subscription } from './feed.js';
export type { RecoveryReport } from './recovery.js';
