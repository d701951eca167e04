// The run directory's cluster.json: everything a process needs to join a running cluster
// (server URLs, the layout, where its role's seed lives). Written once by the launcher; a
// configuration file, never on the batch path.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LobError } from '../../errors.js';
import { checkLayout, type ClusterLayout } from '../layout.js';
import type { NodePorts } from './config.js';

export const DESCRIPTION_FILE = 'cluster.json';
const DESCRIPTION_VERSION = 1;

export interface NodeDescription extends NodePorts {
  config: string;
  log: string;
}

export interface ClusterDescription {
  version: number;
  layout: ClusterLayout;
  host: string;
  servers: string[];
  nodes: NodeDescription[];
  /** role -> seed file, relative to the run directory. */
  credentials: Record<string, string>;
  /** The CA certificate clients trust, relative to the run directory, when the run uses TLS. */
  tlsCa?: string;
  /** Replicas per stream (3 on a 3-node cluster). */
  streamReplicas: number;
}

export function writeDescription(runDir: string, description: ClusterDescription): void {
  writeFileSync(join(runDir, DESCRIPTION_FILE), `${JSON.stringify(description, null, 2)}\n`, { mode: 0o600 });
}

export function readDescription(runDir: string): ClusterDescription {
  const file = join(runDir, DESCRIPTION_FILE);
  let parsed: ClusterDescription;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as ClusterDescription;
  } catch (error) {
    throw new LobError('INVALID_ARGUMENT', `${file} is not a lobcore cluster description: ${(error as Error).message}`);
  }
  if (parsed.version !== DESCRIPTION_VERSION) {
    throw new LobError('UNSUPPORTED_VERSION', `${file} has version ${String(parsed.version)}, this lobcore reads ${DESCRIPTION_VERSION}`);
  }
  checkLayout(parsed.layout);
  return parsed;
}
