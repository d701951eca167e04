// The checks of the cluster's public options (LocalCluster.start, NatsCluster.start, ShardMember):
// one check a field name, whichever entry takes it, so that a field two entries share is refused
// in the same words, and before anything starts (no server process, no connection).
import { invalidArgument } from '../errors.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger, refuseUnknownOptions, requireOptions, requireTimerMs } from '../validate.js';
import { checkLayout, type ClusterLayout } from './layout.js';

type FieldCheck = (field: string, value: unknown) => void;

const nonEmptyString: FieldCheck = (field, value) => {
  if (typeof value !== 'string' || value === '') throw invalidArgument(field, 'a non-empty string', value);
};
const positive: FieldCheck = (field, value) => {
  if (!isPositiveSafeInteger(value)) throw invalidArgument(field, 'a positive safe integer', value);
};
const nonNegative: FieldCheck = (field, value) => {
  if (!isNonNegativeSafeInteger(value)) throw invalidArgument(field, 'a non-negative safe integer', value);
};
const boolean: FieldCheck = (field, value) => {
  if (typeof value !== 'boolean') throw invalidArgument(field, 'a boolean', value);
};
const timerMs: FieldCheck = (field, value) => requireTimerMs(field, value, 1);
const aFunction: FieldCheck = (field, value) => {
  if (typeof value !== 'function') throw invalidArgument(field, 'a function', value);
};

/** A layout as checkLayout() reads it: its fields are read without a TypeError first. */
export function checkLayoutOption(field: string, value: unknown): ClusterLayout {
  requireOptions(field, value);
  const shards = (value as { shards?: unknown }).shards;
  if (Array.isArray(shards)) {
    shards.forEach((spec: unknown, index) => {
      requireOptions(`${field}.shards[${index}]`, spec);
      const assets = (spec as { assets?: unknown }).assets;
      if (!Array.isArray(assets)) throw invalidArgument(`${field}.shards[${index}].assets`, 'an array', assets);
    });
  }
  return checkLayout(value as ClusterLayout);
}

/** What a member reads of a cluster description (cluster.json): the layout, the servers, the credentials. */
function checkDescription(field: string, value: unknown): void {
  requireOptions(field, value);
  const description = value as { layout?: unknown; servers?: unknown; credentials?: unknown };
  checkLayoutOption(`${field}.layout`, description.layout);
  const servers = description.servers;
  if (!Array.isArray(servers) || servers.length === 0 || !servers.every((s) => typeof s === 'string' && s !== '')) {
    throw invalidArgument(`${field}.servers`, 'a non-empty array of server URLs', servers);
  }
  requireOptions(`${field}.credentials`, description.credentials);
}

const FIELD_CHECKS: Readonly<Record<string, FieldCheck>> = {
  runDir: nonEmptyString, dir: nonEmptyString, host: nonEmptyString,
  members: positive, natsNodes: positive, nodes: positive, checkpointEvery: positive, maxFileStoreBytes: positive,
  shard: nonNegative, memberId: nonNegative,
  leaderTimeoutMs: timerMs, readyTimeoutMs: timerMs,
  tls: boolean, persistent: boolean,
  backend: (field, value) => {
    if (value !== 'wasm' && value !== 'js') throw invalidArgument(field, 'one of wasm, js', value);
  },
  onEvent: aFunction, emit: aFunction,
  layout: checkLayoutOption, description: checkDescription,
};

/**
 * INVALID_ARGUMENT naming the option: `options` is a plain object (requireOptions), names only
 * `known` ones, holds each of `required`, and each it holds passes its field's check. A field
 * without a check here (LocalCluster's shards and assets) is its entry's to check.
 */
export function checkClusterOptions(options: unknown, known: readonly string[], required: readonly string[], of: string): void {
  refuseUnknownOptions('options', options, known, of);
  const fields = options as Record<string, unknown>;
  for (const name of known) {
    const value = fields[name];
    if (value === undefined && !required.includes(name)) continue;
    FIELD_CHECKS[name]?.(name, value);
  }
}
