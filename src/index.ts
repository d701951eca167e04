// The package entry: `import { createEngine } from 'lobcore'`.
export { createEngine } from './engine.js';
export type { Engine, EngineOptions } from './engine.js';
export { LobError } from './errors.js';
export type { LobErrorCode } from './errors.js';
export { CommandBatch, BatchResults, COMMAND_BYTES } from './batch.js';
export * from './types.js';
export * from './state/index.js';
