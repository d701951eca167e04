// Renders cluster/nats-node.conf.template for one node: ports, routes, the route password and
// every role's public nkey with its permissions.
import { readFileSync } from 'node:fs';
import { packageFile } from '../package-files.js';
import type { RoleKey } from './credentials.js';
import type { RolePermissions } from './roles.js';
import type { TlsFiles } from './tls.js';

export interface NodePorts {
  name: string;
  clientPort: number;
  routePort: number;
}

export interface NodeConfigInput {
  node: NodePorts;
  all: readonly NodePorts[];
  host: string;
  clusterName: string;
  storeDir: string;
  routePassword: string;
  users: ReadonlyArray<{ key: RoleKey; permissions: RolePermissions }>;
  /** Absolute paths, when the run uses TLS. */
  tls?: TlsFiles;
  /** The node's JetStream file storage limit (bytes); default 8 GB. */
  maxFileStoreBytes?: number;
}

const DEFAULT_MAX_FILE_STORE = '8GB';

function quoteList(values: readonly string[]): string {
  return `[${values.map((v) => `"${v}"`).join(', ')}]`;
}

function userEntry(key: RoleKey, p: RolePermissions): string {
  const responses = p.allowResponses ? ', allow_responses: true' : '';
  return `    { nkey: ${key.publicKey}, permissions: { publish: { allow: ${quoteList(p.publish)} }, subscribe: { allow: ${quoteList(p.subscribe)} }${responses} } } # ${key.role}`;
}

function tlsBlock(tls: TlsFiles, indent: string): string {
  return `${indent}tls {\n${indent}  cert_file: "${tls.cert}"\n${indent}  key_file: "${tls.key}"\n${indent}  ca_file: "${tls.ca}"\n${indent}  timeout: 5\n${indent}}`;
}

export function renderNodeConfig(input: NodeConfigInput): string {
  const template = readFileSync(packageFile('cluster/nats-node.conf.template'), 'utf8');
  const scheme = 'nats-route';
  const routes = input.all
    .filter((other) => other.name !== input.node.name)
    .map((other) => `    ${scheme}://route:${input.routePassword}@${input.host}:${other.routePort}`)
    .join('\n');
  const values: Record<string, string> = {
    serverName: input.node.name,
    host: input.host,
    clientPort: String(input.node.clientPort),
    routePort: String(input.node.routePort),
    storeDir: input.storeDir,
    maxFileStore: input.maxFileStoreBytes === undefined ? DEFAULT_MAX_FILE_STORE : String(input.maxFileStoreBytes),
    clusterName: input.clusterName,
    routePassword: input.routePassword,
    routes,
    routeTls: input.tls === undefined ? '' : tlsBlock(input.tls, '  '),
    clientTls: input.tls === undefined ? '' : tlsBlock(input.tls, ''),
    users: input.users.map((u) => userEntry(u.key, u.permissions)).join('\n'),
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nats-node.conf.template: unknown placeholder {{${name}}}`);
    return value;
  });
}

