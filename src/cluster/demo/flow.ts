// The cluster demo's seeded order flow: rounds of one request per shard, each a batch of quotes
// around a drifting mid, crossing IOC takers, market orders and cancels of orders an earlier
// answer showed resting. Round r is built from the answers to rounds up to r - window only, so
// the flow is a function of the seed (and of the engine's answers, which are deterministic)
// however the answers' timing falls, kills and retries included.
import { CommandBatch } from '../../batch.js';
import { Prng } from '../../prng.js';
import type { ClusterReply } from '../wire/reply.js';

export interface FlowOptions {
  seed: number;
  commandsPerRequest: number;
}

const TRADERS = 100;

export interface DemoRequest {
  shard: number;
  batch: CommandBatch;
  /** Each command's trader and asset, so answers can be learned from without reading the batch's layout. */
  traders: Float64Array;
  assets: Float64Array;
}

export class ClusterDemoFlow {
  private readonly random: Prng;
  private readonly assetsOf: number[][];
  private readonly mids = new Map<number, number>();
  /** Per shard: orders learned from answers to be resting, as [orderId, trader, asset]. */
  private readonly live: Array<Array<[number, number, number]>>;
  private timestamp = 1;

  constructor(assetsByShard: number[][], private readonly options: FlowOptions) {
    this.random = new Prng(options.seed);
    this.assetsOf = assetsByShard;
    for (const assets of assetsByShard) for (const asset of assets) this.mids.set(asset, 10_000 + 100 * asset);
    this.live = assetsByShard.map(() => []);
  }

  /** The next request for `shard`. */
  nextRequest(shard: number): DemoRequest {
    const n = this.options.commandsPerRequest;
    const batch = new CommandBatch(n);
    const request: DemoRequest = { shard, batch, traders: new Float64Array(n), assets: new Float64Array(n) };
    const random = this.random;
    const assets = this.assetsOf[shard];
    const live = this.live[shard];
    for (const asset of assets) this.mids.set(asset, Math.max(100, (this.mids.get(asset) as number) + random.between(-2, 2)));
    for (let i = 0; i < this.options.commandsPerRequest; i++) {
      const asset = assets[random.below(assets.length)];
      const mid = this.mids.get(asset) as number;
      const trader = random.below(TRADERS);
      const side = random.chance(0.5) ? 'bid' : 'ask';
      const roll = random.below(100);
      const ts = this.timestamp++;
      request.traders[i] = trader;
      request.assets[i] = asset;
      if (roll < 20 && live.length > 0) {
        // Swap-remove a random known order: O(1), and the pool's order only matters through the seeded pick.
        const slot = random.below(live.length);
        const [orderId, owner, where] = live[slot];
        live[slot] = live[live.length - 1];
        live.pop();
        request.traders[i] = owner;
        request.assets[i] = where;
        batch.cancel(owner, where, orderId);
      } else if (roll < 35) {
        batch.limit(trader, asset, side, side === 'bid' ? mid + random.between(0, 5) : mid - random.between(0, 5), random.between(1, 150), ts, 'IOC');
      } else if (roll < 40) {
        batch.market(trader, asset, side, random.between(1, 200), ts);
      } else {
        batch.limit(trader, asset, side, side === 'bid' ? mid - random.between(1, 20) : mid + random.between(1, 20), random.between(1, 100), ts);
      }
    }
    return request;
  }

  /** Learns which orders of a request rest (the cancels of later rounds pick among them). */
  absorb(request: DemoRequest, reply: ClusterReply): void {
    const live = this.live[request.shard];
    const r = reply.results;
    for (let i = 0; i < r.count; i++) {
      if (r.status(i) === 'resting') live.push([r.orderId(i), request.traders[i], request.assets[i]]);
    }
  }
}
