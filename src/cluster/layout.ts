// Names in a cluster: one JetStream stream per shard and the subjects around it. Every name
// carries the cluster id, drawn at random when a cluster is created, so a stream name is never
// used twice (nats-server 2.9.10 can leave a replica of a deleted-and-recreated stream behind
// for good: see docs/scale-out.md).
import { randomBytes } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../validate.js';

export interface ShardSpec {
  shard: number;
  /** The assets whose books this shard holds. */
  assets: number[];
}

export interface ClusterLayout {
  /** 12 hex digits, fresh for every cluster. */
  clusterId: string;
  shards: ShardSpec[];
}

export interface ShardSubjects {
  stream: string;
  /** The stream's only subject: leaders append command batches and epoch claims here. */
  log: string;
  /** Clients send requests here; only the shard's leader listens. */
  submit: string;
  /** The leader's liveness beacon (core NATS, not stored). */
  heartbeat: string;
  /** Members' state hashes at checkpoints (core NATS). */
  hashes: string;
}

export function newClusterId(): string {
  return randomBytes(6).toString('hex');
}

export function shardSubjects(clusterId: string, shard: number): ShardSubjects {
  const base = `lobcore.${clusterId}.s${shard}`;
  return {
    stream: `LOBCORE_${clusterId}_S${shard}`,
    log: `${base}.log`,
    submit: `${base}.submit`,
    heartbeat: `${base}.leader`,
    hashes: `${base}.hashes`,
  };
}

/** The subject pattern every shard's submit subject matches (what a client may publish to). */
export function submitPattern(clusterId: string): string {
  return `lobcore.${clusterId}.*.submit`;
}

/** The most assets a dealt layout lists (each by id, in the description every member reads): what `cluster up --assets` takes. */
export const MAX_LAYOUT_ASSETS = 1_000_000;

/** Assets 0..assets-1 dealt round-robin over `shards` shards. */
export function roundRobinLayout(shards: number, assets: number, clusterId = newClusterId()): ClusterLayout {
  // Checked before anything is dealt: Infinity assets filled memory until V8 aborted the process,
  // and NaN shards threw a TypeError. A shard with no asset would lead nothing (the CLI refuses it too).
  if (!isPositiveSafeInteger(assets) || assets > MAX_LAYOUT_ASSETS) throw invalidArgument('assets', `a positive safe integer at most ${MAX_LAYOUT_ASSETS}`, assets);
  if (!isPositiveSafeInteger(shards) || shards > assets) throw invalidArgument('shards', `a positive safe integer at most the assets (${assets})`, shards);
  const specs: ShardSpec[] = Array.from({ length: shards }, (_, shard) => ({ shard, assets: [] }));
  for (let asset = 0; asset < assets; asset++) specs[asset % shards].assets.push(asset);
  return checkLayout({ clusterId, shards: specs });
}

/** Shards numbered 0..n-1, each asset on exactly one shard. */
export function checkLayout(layout: ClusterLayout): ClusterLayout {
  if (!/^[0-9a-f]{12}$/.test(layout.clusterId)) throw invalidArgument('clusterId', '12 lowercase hex digits', layout.clusterId);
  if (!Array.isArray(layout.shards) || layout.shards.length === 0) throw invalidArgument('shards', 'a non-empty array', layout.shards);
  const owner = new Map<number, number>();
  layout.shards.forEach((spec, index) => {
    if (spec.shard !== index) throw invalidArgument(`shards[${index}].shard`, `${index}`, spec.shard);
    spec.assets.forEach((asset, j) => {
      if (!isNonNegativeSafeInteger(asset)) throw invalidArgument(`shards[${index}].assets[${j}]`, 'a non-negative safe integer', asset);
      if (owner.has(asset)) throw invalidArgument(`shards[${index}].assets[${j}]`, `an asset no other shard holds (shard ${owner.get(asset)} has it)`, asset);
      owner.set(asset, index);
    });
  });
  return layout;
}
