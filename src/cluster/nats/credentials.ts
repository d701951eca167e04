// One nkey per role, made fresh for every cluster: the servers' configs hold only the public
// keys, and each seed is written to a file only its owner (mode 0600) can read.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser, fromSeed } from '@nats-io/nkeys';
import { LobError } from '../../errors.js';

export interface RoleKey {
  role: string;
  publicKey: string;
  /** The seed file, relative to the run directory. */
  seedFile: string;
}

export function generateRoleKeys(runDir: string, roles: readonly string[]): RoleKey[] {
  mkdirSync(join(runDir, 'credentials'), { recursive: true, mode: 0o700 });
  return roles.map((role) => {
    const pair = createUser();
    const seedFile = join('credentials', `${role}.nk`);
    writeFileSync(join(runDir, seedFile), `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600 });
    return { role, publicKey: pair.getPublicKey(), seedFile };
  });
}

/** The seed bytes nats.js's nkey authenticator signs with. */
export function readSeed(runDir: string, seedFile: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(join(runDir, seedFile), 'utf8').trim();
  } catch (error) {
    throw new LobError('INVALID_ARGUMENT', `credentials file ${join(runDir, seedFile)} cannot be read: ${(error as Error).message}`);
  }
  const seed = new TextEncoder().encode(text);
  try {
    fromSeed(seed);
  } catch {
    throw new LobError('INVALID_ARGUMENT', `credentials file ${join(runDir, seedFile)} does not hold an nkey seed`);
  }
  return seed;
}
