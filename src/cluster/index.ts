// `import { ... } from 'lobcore/cluster'`: asset shards replicated through NATS JetStream.
export { ClusterClient } from './client.js';
export type {
  ClusterCancelAllResult, ClusterCancelResult, ClusterClientOptions, ClusterCommit, ClusterOrderResult, ClientStats,
} from './client.js';
export { ClusterReply } from './wire/reply.js';
export type { ReplyStatusName } from './wire/reply.js';
export { ShardRouter } from './router.js';
export { checkLayout, roundRobinLayout, shardSubjects } from './layout.js';
export type { ClusterLayout, ShardSpec, ShardSubjects } from './layout.js';
export { LocalCluster } from './local-cluster.js';
export type { LocalClusterOptions } from './local-cluster.js';
export { NatsCluster } from './nats/servers.js';
export { readDescription } from './nats/description.js';
export type { ClusterDescription } from './nats/description.js';
export { findNatsServer, NATS_INSTALL_HINT } from './nats/binary.js';
export { ShardMember } from './member.js';
export type { MemberEvent, MemberOptions, MemberStatus } from './member.js';
