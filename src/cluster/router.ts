// Which shard holds an asset's book. Built once from the layout; a lookup is one typed-array
// read for dense asset ids, a Map read for sparse ones.
import type { CommandBatch } from '../batch.js';
import { invalidArgument, LobError } from '../errors.js';
import { isNonNegativeSafeInteger } from '../validate.js';
import { commandAsset, commandSpansAssets } from './engine-layout.js';
import type { ClusterLayout } from './layout.js';

const DENSE_LIMIT = 1 << 20;
const NO_SHARD = -1;

export class ShardRouter {
  private readonly dense: Int32Array;
  private readonly sparse = new Map<number, number>();
  readonly shardCount: number;

  constructor(layout: ClusterLayout) {
    this.shardCount = layout.shards.length;
    let maxDense = -1;
    for (const spec of layout.shards) for (const asset of spec.assets) if (asset < DENSE_LIMIT) maxDense = Math.max(maxDense, asset);
    this.dense = new Int32Array(maxDense + 1).fill(NO_SHARD);
    for (const spec of layout.shards) {
      for (const asset of spec.assets) {
        if (asset < DENSE_LIMIT) this.dense[asset] = spec.shard;
        else this.sparse.set(asset, spec.shard);
      }
    }
  }

  /** The shard of `asset`, or -1 when no shard holds it. */
  shardOf(asset: number): number {
    if (asset < this.dense.length) return this.dense[asset];
    return this.sparse.get(asset) ?? NO_SHARD;
  }

  /** The shard of an asset named by a caller; INVALID_ARGUMENT naming `field` when none holds it. */
  requireShard(asset: number, field = 'asset'): number {
    if (!isNonNegativeSafeInteger(asset)) throw invalidArgument(field, 'a non-negative safe integer', asset);
    const shard = this.shardOf(asset);
    if (shard === NO_SHARD) throw new LobError('INVALID_ARGUMENT', `${field} ${asset} is not routed to any shard of this cluster`);
    return shard;
  }

  /**
   * The one shard every command of `batch` belongs to. A batch is applied atomically by one shard,
   * so a batch that spans shards, or names an unrouted asset, is refused whole.
   */
  shardOfBatch(batch: CommandBatch): number {
    if (batch.count === 0) throw invalidArgument('batch', 'at least one command', 0);
    const shard = this.commandShard(batch, 0);
    for (let i = 1; i < batch.count; i++) {
      const other = this.commandShard(batch, i);
      if (other !== shard) {
        throw new LobError('INVALID_ARGUMENT', `commands[${i}].asset ${commandAsset(batch, i)} is on shard ${other}, but commands[0] is on shard ${shard}: a batch goes to one shard`);
      }
    }
    return shard;
  }

  /** The shard of command i; INVALID_ARGUMENT naming it when no one shard holds what it names. */
  commandShard(batch: CommandBatch, index: number): number {
    if (commandSpansAssets(batch, index)) {
      throw new LobError('INVALID_ARGUMENT', `commands[${index}] is a cancelAll over every asset, which spans shards: send one cancelAll per asset, or call ClusterClient.cancelAll without an asset`);
    }
    return this.requireShard(commandAsset(batch, index), `commands[${index}].asset`);
  }
}
