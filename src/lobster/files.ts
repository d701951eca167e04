// Reading LOBSTER files from disk (the parsers themselves take text, for tests and streams).
// A file may be plain or gzipped (the samples in data/lobster are): the gzip magic decides,
// not the name.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { LobError } from '../errors.js';
import { parseMessages, parseOrderbook, type MessageColumns, type OrderbookRows } from './parse.js';

/** The text of a LOBSTER CSV file, gunzipped when it is gzip. */
export function readLobsterText(path: string): string {
  const bytes = readFileSync(path);
  const plain = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return plain.toString('latin1');
}

function withPath<T>(path: string, parse: (text: string) => T): T {
  const text = readLobsterText(path);
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof LobError) throw new LobError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

export function readMessageFile(path: string): MessageColumns {
  return withPath(path, parseMessages);
}

export function readOrderbookFile(path: string, levels?: number): OrderbookRows {
  return withPath(path, (text) => parseOrderbook(text, levels));
}
