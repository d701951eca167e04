// Who may do what on the NATS cluster. Every process connects as one role with the nkey
// generated for it; the servers enforce these permissions (docs/scale-out.md, "Security").
//   admin            creates the streams; the demo's verifier reads them
//   leader-s<N>      a member of shard N that may lead it: appends to N's log, answers N's requests
//   replica-s<N>     reads shard N's stream and hears its leader: a replica's follow path
//   client           sends requests to the submit subjects, nothing else
import type { ClusterLayout } from '../layout.js';
import { shardSubjects, submitPattern } from '../layout.js';

export interface RolePermissions {
  publish: string[];
  subscribe: string[];
  /** May answer a request it received (the reply subject is not otherwise allowed). */
  allowResponses: boolean;
}

export function leaderRole(shard: number): string {
  return `leader-s${shard}`;
}

export function replicaRole(shard: number): string {
  return `replica-s${shard}`;
}

export const ADMIN_ROLE = 'admin';
export const CLIENT_ROLE = 'client';

/** Replies to a role's requests arrive under its own prefix, so no role can read another's replies. */
export function inboxPrefix(role: string): string {
  return `_INBOX_${role.replace(/-/g, '_')}`;
}

export function allRoles(layout: ClusterLayout): string[] {
  return [ADMIN_ROLE, CLIENT_ROLE, ...layout.shards.flatMap((s) => [leaderRole(s.shard), replicaRole(s.shard)])];
}

/** The JetStream API calls that read one stream: ordered consumers, stream info, message get. */
function readStreamApi(stream: string): string[] {
  return [
    '$JS.API.INFO',
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
  ];
}

export function rolePermissions(layout: ClusterLayout, role: string): RolePermissions {
  const own = (extra: string[]): string[] => [`${inboxPrefix(role)}.>`, ...extra];
  if (role === ADMIN_ROLE) return { publish: ['>'], subscribe: ['>'], allowResponses: false };
  if (role === CLIENT_ROLE) return { publish: [submitPattern(layout.clusterId)], subscribe: own([]), allowResponses: false };
  const match = /^(leader|replica)-s(\d+)$/.exec(role);
  const spec = match === null ? undefined : layout.shards[Number(match[2])];
  if (match === null || spec === undefined) throw new Error(`no such role ${role}`);
  const subjects = shardSubjects(layout.clusterId, spec.shard);
  if (match[1] === 'leader') {
    return {
      publish: [subjects.log, subjects.heartbeat, '$JS.API.INFO', `$JS.API.STREAM.INFO.${subjects.stream}`],
      subscribe: own([subjects.submit]),
      allowResponses: true,
    };
  }
  return {
    publish: [...readStreamApi(subjects.stream), subjects.hashes],
    subscribe: own([subjects.heartbeat, subjects.hashes]),
    allowResponses: false,
  };
}
