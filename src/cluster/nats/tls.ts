// A private certificate authority and one server certificate for loopback, made with openssl
// for a run that asks for TLS (clients to servers, and servers to each other). A deployment on
// several machines brings its own certificates instead: docs/scale-out.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LobError } from '../../errors.js';

export interface TlsFiles {
  /** Relative to the run directory. */
  ca: string;
  cert: string;
  key: string;
}

export function makeLoopbackCertificates(runDir: string, host: string): TlsFiles {
  const dir = join(runDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string): string => join(dir, name);
  const openssl = (args: string[]): void => {
    try {
      execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new LobError('UNAVAILABLE', `openssl ${args[0]} failed: ${(error as Error).message.split('\n')[0]}`);
    }
  };
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=lobcore test CA',
    '-keyout', file('ca-key.pem'), '-out', file('ca.pem')]);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=lobcore nats', '-keyout', file('server-key.pem'), '-out', file('server.csr')]);
  const san = /^[0-9.]+$/.test(host) ? `IP:${host}` : `DNS:${host}`;
  writeFileSync(file('server.ext'), `subjectAltName=${san},DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'), '-CAcreateserial',
    '-days', '2', '-extfile', file('server.ext'), '-out', file('server.pem')]);
  return { ca: join('tls', 'ca.pem'), cert: join('tls', 'server.pem'), key: join('tls', 'server-key.pem') };
}
