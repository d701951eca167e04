// The package entry: `import { createEngine } from 'lobcore'`.
export { createEngine } from './engine.js';
export type { Engine, EngineOptions, SnapshotRestore } from './engine.js';
export { LobError } from './errors.js';
export type { LobErrorCode } from './errors.js';
export { CommandBatch, BatchResults, COMMAND_BYTES, COMMAND_SLOTS, RESULT_SLOTS, FILL_SLOTS, MAX_BATCH_COMMANDS } from './batch.js';
export { EventList, EVENT_SLOTS, EventSlot, EventHead, decodeEvent } from './events.js';
export { OPERATIONS, Slot, Head } from './operations.js';
export type { RequestOf } from './operations.js';
export * from './types.js';
export * from './state/index.js';
