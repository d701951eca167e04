// Real NASDAQ order flow (LOBSTER samples): the parsers, and a replay that must rebuild the
// published 50-level book after every message, on each backend; full-file replays must leave
// both backends in the same state.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReplay } from '../src/serve/replay-source.js';
import { BACKENDS, BOTH_BACKENDS, describeEachBackend, newEngine } from './helpers/backends.js';
import { LobError } from '../src/errors.js';
import {
  EMPTY_LEVEL_PRICE,
  LobsterReplayer,
  compareDepth,
  describeMismatch,
  messageTimestamp,
  parseMessages,
  parseOrderbook,
  readMessageFile,
  readLobsterText,
  readOrderbookFile,
  samplePath,
  type DepthMismatch,
  type MessageColumns,
  type OrderbookRows,
  type ReplayOptions,
} from '../src/lobster/index.js';
import type { Engine } from '../src/engine.js';

const AAPL_HEAD = { messages: samplePath('aaplHeadMessages'), book: samplePath('aaplHeadBook') };
const MSFT_HEAD = { messages: samplePath('msftHeadMessages'), book: samplePath('msftHeadBook') };
const AAPL_FULL = samplePath('aaplHourMessages');
const AMZN = { messages: samplePath('amznDayMessages'), book: samplePath('amznDayBook') };

function parseError(fn: () => unknown): LobError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LobError);
    expect((e as LobError).code).toBe('INVALID_ARGUMENT');
    return e as LobError;
  }
  throw new Error('expected a LobError');
}

describe('LOBSTER message parser', () => {
  const text = '34200.004241176,1,16113575,18,5853300,1\n34200.5,4,7,100,5853300,-1\n36000,7,0,0,-1,-1\n';

  it('reads every column into typed arrays', () => {
    const m = parseMessages(text);
    expect(m.count).toBe(3);
    expect(Array.from(m.time)).toEqual([34200.004241176, 34200.5, 36000]);
    expect(Array.from(m.type)).toEqual([1, 4, 7]);
    expect(Array.from(m.orderId)).toEqual([16113575, 7, 0]);
    expect(Array.from(m.size)).toEqual([18, 100, 0]);
    expect(Array.from(m.price)).toEqual([5853300, 5853300, -1]);
    expect(Array.from(m.direction)).toEqual([1, -1, -1]);
    expect(m.time).toBeInstanceOf(Float64Array);
    expect(m.type).toBeInstanceOf(Uint8Array);
    expect(m.direction).toBeInstanceOf(Int8Array);
  });

  it('accepts CRLF line endings and a missing final newline', () => {
    expect(parseMessages(text.replace(/\n/g, '\r\n')).count).toBe(3);
    expect(parseMessages(text.trimEnd()).count).toBe(3);
    expect(parseMessages('').count).toBe(0);
  });

  it('reads a cross trade\'s negative pseudo order id (LOBSTER: -1 opening, -2 closing, -3 and -4 other crosses)', () => {
    const m = parseMessages('34200.5,6,-1,1500,5853300,-1\n57599.9,6,-2,900,5853400,-1\n');
    expect(Array.from(m.orderId)).toEqual([-1, -2]);
  });

  it('turns times into integer nanoseconds for engine timestamps', () => {
    expect(messageTimestamp(34200.004241176)).toBe(34_200_004_241_176);
  });

  it.each([
    ['a missing field', '34200,1,1,18,5853300', 2, 'missing field direction'],
    ['an extra field', '34200,1,1,18,5853300,1,9', 2, 'more than 6 fields'],
    ['an empty field', '34200,1,,18,5853300,1', 2, 'empty field orderId'],
    ['a trailing comma', '34200,1,1,18,5853300,1,', 2, 'more than 6 fields'],
    ['a non-numeric size', '34200,1,1,1x8,5853300,1', 2, 'size "1x8" is not a number'],
    ['a hex number', '34200,1,0x1,18,5853300,1', 2, 'orderId "0x1" is not a number'],
    ['a fractional price', '34200,1,1,18,585330.5,1', 2, 'price "585330.5" is not a number'],
    ['a bad time', '34200.1.2,1,1,18,5853300,1', 2, 'time "34200.1.2" is not a number'],
    ['an unknown type', '34200,8,1,18,5853300,1', 2, 'type 8'],
    ['a zero direction', '34200,1,1,18,5853300,0', 2, 'direction 0'],
    ['a zero size', '34200,1,1,0,5853300,1', 2, 'size 0 is not positive'],
    ['a negative price', '34200,3,1,18,-5,1', 2, 'price -5 is not positive'],
    ['a negative order id', '34200,3,-1,18,5,1', 2, 'orderId -1 is negative'],
    ['a zero price on a new limit order', '34200,1,1,18,0,1', 2, 'price 0 is not positive'],
    ['a halt with size -1', '34200,7,0,-1,-1,1', 2, 'size -1 is negative'],
    ['a blank line in the middle', '\n34200,1,1,18,5853300,1', 2, 'empty line'],
    ['a huge integer', '34200,1,99999999999999999,18,5853300,1', 2, 'beyond 2^53-1'],
    ['a huge integer of 5,000 digits, cut short', `34200,1,${'9'.repeat(5_000)},18,5853300,1`, 2, 'orderId "999999999999999999999999..." (5000 bytes) is beyond 2^53-1'],
    ['a time past 2^53 nanoseconds (epoch seconds)', '1700000000.5,1,1,18,5853300,1', 2, 'time 1700000000.5 is beyond 2^53-1 nanoseconds'],
    ['a time before the row above', '34199.999999999,1,2,18,5853300,1', 2, 'time 34199.999999999 is before row 1\'s 34200: a message file\'s time never goes back'],
  ])('rejects %s, naming the 1-based row and the reason', (_what, bad, row, reason) => {
    const error = parseError(() => parseMessages(`34200,1,1,18,5853300,1\n${bad}\n34201,3,1,18,5853300,1\n`));
    expect(error.message).toContain(`row ${row}`);
    expect(error.message).toContain(reason);
  });

  it('takes equal times (messages of one nanosecond), and refuses a time that goes back, naming the file, the row and time', () => {
    expect(Array.from(parseMessages('34200.5,1,1,18,5853300,1\n34200.5,1,2,18,5853300,1\n34200.50,3,1,18,5853300,1\n').time)).toEqual([34200.5, 34200.5, 34200.5]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lobster-time-'));
    try {
      // Two days' files joined: the second one's first time is the morning again.
      const head = readLobsterText(MSFT_HEAD.messages).trimEnd();
      const rows = head.split('\n').length;
      const joined = path.join(dir, 'joined_message.csv');
      fs.writeFileSync(joined, `${head}\n${head}\n`);
      const firstTime = head.slice(0, head.indexOf(','));
      const lastTime = head.slice(head.lastIndexOf('\n') + 1).split(',')[0];
      expect(() => readMessageFile(joined)).toThrow(`joined_message.csv: LOBSTER row ${rows + 1}: time ${Number(firstTime)} is before row ${rows}'s ${Number(lastTime)}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file when reading from disk fails to parse', () => {
    expect(() => readMessageFile(AAPL_HEAD.book)).toThrow(/head672_orderbook\.csv\.gz: LOBSTER row 1: more than 6 fields/);
  });

  it('names the order-book file a replay is seeded from when it fails to parse, and refuses an empty one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lobster-seed-'));
    try {
      const bad = path.join(dir, 'bad_orderbook.csv');
      fs.writeFileSync(bad, '5853300,x,5853200,18\n');
      expect(() => loadReplay(MSFT_HEAD.messages, bad)).toThrow(/bad_orderbook\.csv: LOBSTER row 1: askSize1 "x" is not a number$/);
      const empty = path.join(dir, 'empty_orderbook.csv');
      fs.writeFileSync(empty, '');
      expect(() => loadReplay(MSFT_HEAD.messages, empty)).toThrow(/empty_orderbook\.csv holds no LOBSTER rows \(the file is empty\)$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LOBSTER order-book parser', () => {
  it('reads 4 columns per level, infers the level count, and gives rows as views', () => {
    const book = parseOrderbook(`101,5,99,7,102,1,-${EMPTY_LEVEL_PRICE},0\n101,4,99,7,${EMPTY_LEVEL_PRICE},0,-${EMPTY_LEVEL_PRICE},0\n`);
    expect(book.rows).toBe(2);
    expect(book.levels).toBe(2);
    expect(Array.from(book.row(1))).toEqual([101, 4, 99, 7, EMPTY_LEVEL_PRICE, 0, -EMPTY_LEVEL_PRICE, 0]);
    expect(book.row(1).buffer).toBe(book.values.buffer);
    expect(() => book.row(2)).toThrow(LobError);
  });

  it.each([
    ['a short row', '101,5,99,7\n101,5,99\n', 'row 2', 'missing field bidSize1'],
    ['a long row', '101,5,99,7\n101,5,99,7,1\n', 'row 2', 'more than 4 fields'],
    ['a column count not a multiple of 4', '101,5,99\n', 'row 1', '3 columns is not 4 per level'],
    ['a negative size', '101,-5,99,7\n', 'row 1', 'askSize1 -5 is negative'],
    ['a zero price with size', '101,5,0,7\n', 'row 1', 'bidPrice1 0'],
    ['a word', '101,5,99,seven\n', 'row 1', 'bidSize1 "seven" is not a number'],
    ['shares at the empty-level padding', `101,5,99,7,${EMPTY_LEVEL_PRICE},3,-${EMPTY_LEVEL_PRICE},0\n`, 'row 1', `askSize2 3 at the empty-level price ${EMPTY_LEVEL_PRICE}`],
    ['a price level with no shares', '101,5,99,0\n', 'row 1', 'bidSize1 0 at bidPrice1 99'],
  ])('rejects %s, naming the row and the column', (_what, text, row, reason) => {
    const error = parseError(() => parseOrderbook(text));
    expect(error.message).toContain(row);
    expect(error.message).toContain(reason);
  });

  it('checks every row against an explicit level count', () => {
    expect(parseError(() => parseOrderbook('101,5,99,7\n', 2)).message).toContain('missing field askPrice2');
  });
});

/** Replays messages, comparing the book with every row; returns the first mismatch or null. */
function replayAgainstBook(engine: Engine, messages: MessageColumns, book: OrderbookRows, options?: ReplayOptions): {
  mismatch: DepthMismatch | null;
  replayer: LobsterReplayer;
} {
  const replayer = new LobsterReplayer(engine, messages, options);
  replayer.seed(book.row(0));
  for (let i = 0; i < messages.count; i++) {
    replayer.apply(i);
    const mismatch = compareDepth(engine, replayer.asset, book.row(i), i);
    if (mismatch !== null) return { mismatch, replayer };
  }
  return { mismatch: null, replayer };
}

describe('LOBSTER replay', () => {
  const files = {
    aapl: { messages: readMessageFile(AAPL_HEAD.messages), book: readOrderbookFile(AAPL_HEAD.book) },
    msft: { messages: readMessageFile(MSFT_HEAD.messages), book: readOrderbookFile(MSFT_HEAD.book) },
  };

  it('the sample files parse to their documented sizes', () => {
    expect(files.aapl.messages.count).toBe(672);
    expect(files.aapl.book.rows).toBe(672);
    expect(files.aapl.book.levels).toBe(50);
    expect(files.msft.messages.count).toBe(1950);
    expect(files.msft.book.rows).toBe(1950);
  });

  describeEachBackend('rebuilds the 50-level book after every message', (backend) => {
    for (const [name, pick] of [['AAPL', 'aapl'], ['MSFT', 'msft']] as const) {
      for (const executions of ['taker', 'reduce'] as const) {
        it(`${name}, executions as ${executions === 'taker' ? 'IOC takers' : 'reduces'}`, async () => {
          const { messages, book } = files![pick];
          const engine = await newEngine(backend);
          const { mismatch, replayer } = replayAgainstBook(engine, messages, book, { executions });
          expect(mismatch && describeMismatch(mismatch)).toBeNull();
          const stats = replayer.stats;
          expect(stats.messages).toBe(messages.count);
          expect(stats.unresolved).toBe(0);
          expect(stats.crossed).toBe(0);
          expect(stats.queueMismatches).toBe(0);
          if (executions === 'reduce') expect(stats.queueSwaps).toBe(0);
          if (executions === 'taker') expect(stats.executionsAsTaker).toBe(stats.executions);
          else expect(stats.executionsAsReduce).toBe(stats.executions);
        });
      }
    }
  });

  it('compareDepth reports the first difference precisely', async () => {
    const engine = await newEngine(BACKENDS[0]);
    const { book, messages } = files.aapl;
    const replayer = new LobsterReplayer(engine, messages);
    replayer.seed(book.row(0));
    replayer.apply(0);
    expect(compareDepth(engine, 1, book.row(0), 0)).toBeNull();
    const altered = book.row(0).slice();
    altered[4 * 2 + 3] += 1; // bid level 3 size
    expect(compareDepth(engine, 1, altered, 0)).toEqual({
      row: 0, side: 'bid', level: 3,
      expectedPrice: altered[4 * 2 + 2], expectedSize: altered[4 * 2 + 3],
      foundPrice: altered[4 * 2 + 2], foundSize: altered[4 * 2 + 3] - 1,
    });
    const missing = book.row(0).slice();
    missing[0] -= 100; // ask level 1 price moves: the engine's level is not the one expected
    expect(compareDepth(engine, 1, missing, 0)).toMatchObject({ side: 'ask', level: 1, expectedPrice: missing[0], foundPrice: book.row(0)[0] });
    expect(compareDepth(engine, 2, book.row(0), 0)).toMatchObject({ side: 'ask', level: 1, foundPrice: null, foundSize: 0 });
  });
});

describe.skipIf(!BOTH_BACKENDS)('LOBSTER full-file replays agree across backends', () => {
  const SAMPLE_EVERY = 5_000;

  async function replayBoth(messages: MessageColumns, firstRow: Float64Array, check?: (engine: Engine, i: number) => void) {
    const engines = await Promise.all(BACKENDS.map((b) => newEngine(b)));
    const replayers = engines.map((e) => new LobsterReplayer(e, messages));
    for (const r of replayers) r.seed(firstRow);
    for (let i = 0; i < messages.count; i++) {
      for (const r of replayers) r.apply(i);
      if (check) for (const e of engines) check(e, i);
      if (i % SAMPLE_EVERY === 0 || i === messages.count - 1) {
        const hashes = engines.map((e) => e.stateHash());
        if (hashes[0] !== hashes[1]) throw new Error(`state hashes differ after message ${i}: ${BACKENDS.join(' vs ')}`);
      }
    }
    expect(replayers[0].stats).toEqual(replayers[1].stats);
    expect(engines[0].nextOrderId).toBe(engines[1].nextOrderId);
    return { engines, stats: replayers[0].stats };
  }

  it('AAPL, 92k messages at 50 levels (its first 672 rows checked against the published book)', async () => {
    const messages = readMessageFile(AAPL_FULL);
    const head = readOrderbookFile(AAPL_HEAD.book);
    expect(messages.count).toBe(91_997);
    let mismatch: DepthMismatch | null = null;
    const { stats, engines } = await replayBoth(messages, head.row(0), (engine, i) => {
      if (mismatch === null && i < head.rows) mismatch = compareDepth(engine, 1, head.row(i), i);
    });
    expect(mismatch && describeMismatch(mismatch)).toBeNull();
    expect(stats.messages).toBe(91_997);
    expect(stats.executions).toBe(4_067);
    expect(stats.unchanged).toBe(2_201);
    expect(engines[0].restingOrders).toBeGreaterThan(0);
  });

  it('AMZN, a whole day at level 1', async () => {
    const messages = readMessageFile(AMZN.messages);
    const book = readOrderbookFile(AMZN.book);
    expect(messages.count).toBe(57_515);
    expect(book.levels).toBe(1);
    const { stats } = await replayBoth(messages, book.row(0));
    expect(stats.messages).toBe(57_515);
    expect(stats.executions).toBe(8_974);
  });
});
