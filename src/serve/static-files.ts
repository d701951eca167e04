// The page: plain ES modules, CSS and an icon from the package's web/ folder, read once at
// start and served from memory. Only files that are there can be asked for, so no path reaches
// outside it, and the page needs nothing from the internet.
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { packageDirectory } from '../package-files.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// Scripts, styles and the socket only from this server; no frames, forms or plugins.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

interface StaticFile {
  body: Buffer;
  type: string;
}

export function webDirectory(): string {
  return packageDirectory(import.meta.url, 'web', 'index.html');
}

export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(directory = webDirectory()) {
    for (const name of readdirSync(directory)) {
      const type = CONTENT_TYPES[extname(name)];
      if (type !== undefined) this.files.set(`/${name}`, { body: readFileSync(join(directory, name)), type });
    }
    const index = this.files.get('/index.html');
    if (index !== undefined) this.files.set('/', index);
  }

  /** Answers a GET or HEAD for `path`; false when there is no such file. */
  serve(path: string, head: boolean, response: ServerResponse): boolean {
    const file = this.files.get(path);
    if (file === undefined) return false;
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.type, 'Content-Length': file.body.length });
    response.end(head ? undefined : file.body);
    return true;
  }
}
