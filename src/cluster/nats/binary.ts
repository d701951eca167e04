// Where the nats-server executable is, and what to tell someone who has none.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LobError } from '../../errors.js';

export const NATS_INSTALL_HINT = 'install it with `apt-get install -y nats-server` (Debian, as root) or from nats.io';

/** The nats-server on PATH (or LOBCORE_NATS_SERVER), or undefined. */
export function findNatsServer(): string | undefined {
  const explicit = process.env.LOBCORE_NATS_SERVER;
  if (explicit !== undefined && explicit !== '') return isExecutable(explicit) ? explicit : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'nats-server');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function requireNatsServer(): string {
  const found = findNatsServer();
  if (found === undefined) throw new LobError('UNAVAILABLE', `nats-server was not found on PATH: ${NATS_INSTALL_HINT}`);
  return found;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
