// Reading LOBSTER files from disk (the parsers themselves take text, for tests and streams).
import { readFileSync } from 'node:fs';
import { LobError } from '../errors.js';
import { parseMessages, parseOrderbook, type MessageColumns, type OrderbookRows } from './parse.js';

function withPath<T>(path: string, parse: (text: string) => T): T {
  const text = readFileSync(path, 'latin1');
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
