// Who may talk to the server. Any web page a user visits can open a WebSocket to a port on
// localhost, and a DNS-rebinding page can even send requests whose Host names its own domain
// but that reach 127.0.0.1. So every request must name one of this server's own hosts, and
// every WebSocket and every request that could change something must come from a page this
// server served (its Origin is one of those hosts).
import { networkInterfaces, hostname } from 'node:os';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const HTTP_DEFAULT_PORT = 80;

function hostName(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** A browser leaves the scheme's default port out of Host and Origin: on it, the bare name is this server too. */
function hostsOf(name: string, port: number): string[] {
  return port === HTTP_DEFAULT_PORT ? [name, `${name}:${port}`] : [`${name}:${port}`];
}

export class OriginPolicy {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;

  /** `bindHost` as given to listen(); `port` the port actually bound. */
  constructor(bindHost: string, port: number) {
    const names = new Set(LOOPBACK_NAMES);
    if (WILDCARDS.has(bindHost)) {
      // Bound to every interface: the page may be opened through any of their addresses.
      names.add(hostname().toLowerCase());
      for (const addresses of Object.values(networkInterfaces())) {
        for (const address of addresses ?? []) names.add(hostName(address.address.toLowerCase()));
      }
    } else {
      names.add(hostName(bindHost.toLowerCase()));
    }
    this.hosts = new Set([...names].flatMap((name) => hostsOf(name, port)));
    this.origins = new Set([...this.hosts].map((host) => `http://${host}`));
  }

  /** The Host header names this server (not a rebound domain). */
  hostAllowed(host: string | undefined): boolean {
    return host !== undefined && this.hosts.has(host.toLowerCase());
  }

  /** The Origin header is a page of this server. A missing Origin is refused: browsers always send it here. */
  originAllowed(origin: string | undefined): boolean {
    return origin !== undefined && this.origins.has(origin.toLowerCase());
  }
}
