// LOBSTER sample data (lobsterdata.com): parsing, replay into an Engine, and book comparison.
// Shared by the tests, the CLI and the benchmarks.
export {
  EMPTY_LEVEL_PRICE,
  MessageType,
  messageTimestamp,
  parseMessages,
  parseOrderbook,
  type MessageColumns,
  type OrderbookRows,
} from './parse.js';
export { readLobsterText, readMessageFile, readOrderbookFile, readOrderbookSeedRow } from './files.js';
export { LOBSTER_SAMPLES, sampleDirectory, samplePath, type LobsterSample } from './samples.js';
export { LobsterReplayer, type ReplayEngine, type ReplayOptions, type ReplayStats } from './replay.js';
export { compareDepth, describeMismatch, type DepthMismatch } from './compare.js';
