// Connects to a cluster as one role: its nkey, its own inbox prefix, every server as a seed so a
// dead server is simply skipped, and reconnects that never give up (the watchdogs decide when
// something is really wrong).
import { join } from 'node:path';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { LobError } from '../../errors.js';
import { readSeed } from './credentials.js';
import type { ClusterDescription } from './description.js';
import { inboxPrefix } from './roles.js';

export interface ConnectOptions {
  /** Shown in the servers' connection lists. */
  name?: string;
  /** How long the first connection may take (ms). */
  timeoutMs?: number;
}

export async function connectAs(runDir: string, description: ClusterDescription, role: string, options: ConnectOptions = {}): Promise<NatsConnection> {
  const seedFile = description.credentials[role];
  if (seedFile === undefined) throw new LobError('INVALID_ARGUMENT', `role must be one of ${Object.keys(description.credentials).join(', ')}, got "${role}"`);
  const seed = readSeed(runDir, seedFile);
  try {
    return await connect({
      servers: description.servers,
      authenticator: nkeyAuthenticator(seed),
      inboxPrefix: inboxPrefix(role),
      name: options.name ?? role,
      timeout: options.timeoutMs ?? 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 200,
      reconnectJitter: 100,
      pingInterval: 2_000,
      maxPingOut: 2,
      ...(description.tlsCa === undefined ? {} : { tls: { caFile: join(runDir, description.tlsCa) } }),
    });
  } catch (error) {
    throw new LobError('UNAVAILABLE', `cannot connect to the NATS cluster at ${description.servers.join(', ')} as ${role}: ${(error as Error).message}`, { cause: error });
  }
}
