// Free loopback ports, so that clusters started side by side (parallel test files) do not collide.
import { createServer } from 'node:net';

function onePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `count` distinct ports the OS reports free right now. Another process may still take one before
 * nats-server binds it; the cluster launcher retries on fresh ports when a node fails to start.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await onePort(host));
  return [...ports];
}
