// LOBSTER sample data (lobsterdata.com): parsing, replay into an Engine, and book comparison.
// Shared by the tests, the CLI and the benchmarks.
export {
  EMPTY_LEVEL_PRICE,
  MessageType,
  parseMessages,
  parseOrderbook,
  type MessageColumns,
  type OrderbookRows,
} from './parse.js';
export { readLobsterText, readMessageFile, readOrderbookFile } from './files.js';
export { LOBSTER_SAMPLES, sampleDirectory, samplePath, type LobsterSample } from './samples.js';
export { LobsterReplayer, messageTimestamp, type ReplayEngine, type ReplayOptions, type ReplayStats } from './replay.js';
export { compareDepth, describeMismatch, type DepthMismatch } from './compare.js';
