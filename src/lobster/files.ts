// Reading LOBSTER files from disk (the parsers themselves take text, for tests and streams).
// A file may be plain or gzipped (the samples in data/lobster are): the gzip magic decides,
// not the name. A path that is not a readable LOBSTER file is INVALID_ARGUMENT naming the path.
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { LobError } from '../errors.js';
import { parseMessages, parseOrderbook, type MessageColumns, type OrderbookRows } from './parse.js';

/** The text of a LOBSTER CSV file, gunzipped when it is gzip. */
export function readLobsterText(path: string): string {
  // Reading a directory fails with EISDIR and no path in the error: say which path it was.
  if (statSync(path).isDirectory()) throw new LobError('INVALID_ARGUMENT', `${path} is a directory, not a LOBSTER file`);
  const bytes = readFileSync(path);
  if (!(bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes.toString('latin1');
  try {
    return gunzipSync(bytes).toString('latin1');
  } catch (error) {
    throw new LobError('INVALID_ARGUMENT', `${path} starts like a gzip file but does not unzip: ${(error as Error).message}`, { cause: error });
  }
}

/** Parses a file; an error names the path, and a file without a single row is bad input too. */
function parseFile<T>(path: string, parse: (text: string) => T, rows: (parsed: T) => number): T {
  const text = readLobsterText(path);
  let parsed: T;
  try {
    parsed = parse(text);
  } catch (e) {
    if (e instanceof LobError) throw new LobError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
  if (rows(parsed) === 0) throw new LobError('INVALID_ARGUMENT', `${path} holds no LOBSTER rows (${text.length === 0 ? 'the file is empty' : 'only line endings'})`);
  return parsed;
}

export function readMessageFile(path: string): MessageColumns {
  return parseFile(path, parseMessages, (messages) => messages.count);
}

export function readOrderbookFile(path: string, levels?: number): OrderbookRows {
  return parseFile(path, (text) => parseOrderbook(text, levels), (book) => book.rows);
}

/** The first row of an order-book file, what a replay is seeded from: the rest is not read. */
export function readOrderbookSeedRow(path: string): OrderbookRows {
  return parseFile(path, (text) => {
    const end = text.indexOf('\n');
    return parseOrderbook(end < 0 ? text : text.slice(0, end));
  }, (book) => book.rows);
}
