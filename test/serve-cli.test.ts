// `lobcore serve` as a user runs it: flags checked before anything starts (exit 2, one line),
// then a server that prints its page and token, serves the page and the feed, and stops cleanly
// on Ctrl-C.
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePath } from '../src/lobster/index.js';
import { DATABASE_FORMAT_VERSION, encodeFormat } from '../src/state/codecs.js';
import { formatKey } from '../src/state/keys.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { Store } from '../src/state/store.js';
import { ROOT, escapeRegExp, expectBadInput, finished, listTree, lobcore, lobcoreWithin, start, startIn } from './helpers/cli.js';
import { until } from './helpers/serve.js';
import { WriterProcess } from './fixtures/writer-process.js';

const MSFT = samplePath('msftHeadMessages');

let scratch: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-serve-cli-'));
});
afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('lobcore serve: bad input', () => {
  it('refuses every bad combination of flags with one line and exit 2, listening on nothing', async () => {
    expectBadInput(await lobcore('serve'), /choose exactly one source: --replay <file>, --demo or --db <dir>/);
    expectBadInput(await lobcore('serve', '--demo', '--replay', MSFT), /choose exactly one source/);
    expectBadInput(await lobcore('serve', '--demo', '--speed', '3'), /--speed.*'3'.*1, 10, max/);
    expectBadInput(await lobcore('serve', '--demo', '--port', '70000'), /--port.*a port from 0 to 65535/);
    expectBadInput(await lobcore('serve', '--demo', '--orderbook', MSFT), /--orderbook goes with --replay/);
    expectBadInput(await lobcore('serve', '--replay', path.join(scratch, 'missing.csv')), /missing\.csv: no such file or directory/);
    expectBadInput(await lobcore('serve', '--db', path.join(scratch, 'no-db')), /no-db: no such directory/);
    expectBadInput(await lobcore('serve', '--db', scratch), /is not a lobcore database/);
    expectBadInput(await lobcore('serve', '--db', scratch, '--speed', '10'), /--speed goes with --replay or --demo/);
    const bad = path.join(scratch, 'bad_message.csv');
    fs.writeFileSync(bad, '34200.1,1,5,100,300000,1\n34200.2,9,5,100,300000,1\n');
    expectBadInput(await lobcore('serve', '--replay', bad), /bad_message\.csv: .*row 2/);
  });

  it('a --db that holds no lobcore database, or one of a newer format, is refused naming --db, and left as it was', async () => {
    const missing = path.join(scratch, 'no-db-here');
    expectBadInput(await lobcore('serve', '--db', missing), new RegExp(`^lobcore: --db ${escapeRegExp(missing)}: no such directory$`));
    expect(fs.existsSync(missing)).toBe(false);
    const other = path.join(scratch, 'other-files');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
    expectBadInput(await lobcore('serve', '--db', other), new RegExp(`^lobcore: --db ${escapeRegExp(other)} is not a lobcore database`));
    // Named as typed, as every flag is: a relative path stays relative.
    const typed = path.relative(ROOT, other);
    expectBadInput(await lobcore('serve', '--db', typed), new RegExp(`^lobcore: --db ${escapeRegExp(typed)} is not a lobcore database`));
    expect(listTree(other)).toEqual(['notes.txt']);
    const newer = path.join(scratch, 'newer-db');
    await (await CoreStateMachine.open({ path: newer, backend: 'js' })).close();
    const store = await Store.open(newer, { sync: true });
    const batch = store.batch();
    batch.put(formatKey(), encodeFormat(DATABASE_FORMAT_VERSION + 1));
    await store.write(batch);
    await store.close();
    const files = listTree(newer);
    const newerMessage = new RegExp(`^lobcore: --db ${escapeRegExp(newer)} has database format version ${DATABASE_FORMAT_VERSION + 1}, written by a newer lobcore`);
    expectBadInput(await lobcore('serve', '--db', newer, '--port', '0'), newerMessage);
    expect(listTree(newer)).toEqual(files);
    // A writable open (orders from the page) reads the format only once RocksDB has opened the
    // database, which rolls its log and MANIFEST over: the same refusal, but those files renamed.
    expectBadInput(await lobcore('serve', '--db', newer, '--port', '0', '--allow-orders'), newerMessage);
    // That refusal comes from the open itself, and names the path as typed too.
    const typedNewer = path.relative(ROOT, newer);
    expectBadInput(await lobcore('serve', '--db', typedNewer, '--port', '0', '--allow-orders'),
      new RegExp(`^lobcore: --db ${escapeRegExp(typedNewer)} has database format version ${DATABASE_FORMAT_VERSION + 1}, written by a newer lobcore`));
  });

  it('a --replay or --orderbook file that is missing or malformed is refused naming its flag', async () => {
    const missing = path.join(scratch, 'gone_message.csv');
    expectBadInput(await lobcore('serve', '--replay', missing), new RegExp(`^lobcore: --replay ${escapeRegExp(missing)}: no such file or directory$`));
    expectBadInput(await lobcore('serve', '--replay', MSFT, '--orderbook', missing), new RegExp(`^lobcore: --orderbook ${escapeRegExp(missing)}: no such file or directory$`));
    const bad = path.join(scratch, 'hex_message.csv');
    fs.writeFileSync(bad, '34200.1,1,0x5,100,300000,1\n');
    expectBadInput(await lobcore('serve', '--replay', bad), new RegExp(`^lobcore: --replay ${escapeRegExp(bad)}: LOBSTER row 1: orderId "0x5" is not a number$`));
  });

  it('an empty --host is refused, not taken for every interface', async () => {
    for (const host of ['', ' ']) {
      expectBadInput(await lobcoreWithin(20_000, 'serve', '--demo', '--port', '0', '--host', host), /^lobcore: option '--host <address>' argument '.*' is invalid\. expected an address/);
    }
  });

  it('a port in use is bad input, named', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      expectBadInput(await lobcore('serve', '--demo', '--port', String(port)), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    } finally {
      holder.close();
    }
  });
});

describe('lobcore serve: running', () => {
  it('prints the page and the token, serves the page and the feed, and stops on Ctrl-C', async () => {
    const child = start('serve', '--replay', MSFT, '--speed', '10', '--port', '0', '--allow-orders');
    // Each line is its own write, so it may reach us in its own chunk: wait for the last one.
    await until('the whole banner', () => child.out.stdout.includes('press Ctrl-C to stop\n') || child.exitCode !== null);
    expect(child.out.stdout).toMatch(/^lobcore serve: replaying MSFT_2012-06-21_level50_head1950_message\.csv\.gz \(1,950 messages, seeded from MSFT_2012-06-21_level50_head1950_orderbook\.csv\.gz\) at 10x$/m);
    const [, url, token] = /page\s+(http:\/\/127\.0\.0\.1:\d+\/)#token=([0-9a-f]{32})/.exec(child.out.stdout) ?? [];
    expect(child.out.stdout).toContain(`orders  on, with the token ${token}`);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('lobcore');

    const origin = url.replace(/\/$/, '');
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/feed`, { origin });
    const frames: { type: string; source?: { mode: string; assets: { name: string }[] }; orders?: boolean }[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await until('hello', () => frames.length > 0);
    expect(frames[0]).toMatchObject({ type: 'hello', orders: true, source: { mode: 'replay', assets: [{ name: 'MSFT' }] } });
    socket.close();

    child.kill('SIGINT');
    const run = await finished(child);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('orders are off unless asked for, and a wide --host is warned about', async () => {
    const child = start('serve', '--demo', '--port', '0', '--host', '0.0.0.0');
    await until('the whole banner', () => child.out.stdout.includes('press Ctrl-C to stop\n') || child.exitCode !== null);
    expect(child.out.stdout).toMatch(/playing the demo flow, 6 assets at 1x/);
    expect(child.out.stdout).toMatch(/page\s+http:\/\/127\.0\.0\.1:\d+\/\n/);
    expect(child.out.stdout).toContain('orders  off (start with --allow-orders to trade from the page)');
    expect(child.out.stdout).not.toContain('token');
    child.kill('SIGTERM');
    const run = await finished(child);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('lobcore: warning: listening on 0.0.0.0, reachable from other machines\n');
  });

  it('--max-connections bounds the pages served at once; a page past it is turned away with 1013', async () => {
    expectBadInput(await lobcore('serve', '--demo', '--max-connections', '0'), /--max-connections.*a positive integer/);
    const child = start('serve', '--demo', '--port', '0', '--max-connections', '1');
    await until('the whole banner', () => child.out.stdout.includes('press Ctrl-C to stop\n') || child.exitCode !== null);
    const [, url] = /page\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(child.out.stdout) ?? [];
    const origin = url.replace(/\/$/, '');
    const connect = () => {
      const socket = new WebSocket(`${origin.replace('http', 'ws')}/feed`, { origin });
      const seen = { frames: 0, close: null as { code: number; reason: string } | null };
      socket.on('message', () => { seen.frames++; });
      socket.on('close', (code, reason) => { seen.close = { code, reason: reason.toString() }; });
      return { socket, seen };
    };
    const first = connect();
    await until('hello', () => first.seen.frames > 0);
    const second = connect();
    await until('the second page turned away', () => second.seen.close !== null);
    expect(second.seen).toEqual({ frames: 0, close: { code: 1013, reason: 'server full: 1 page connected, the most it serves' } });
    expect(first.seen.close).toBeNull();
    first.socket.close();
    child.kill('SIGINT');
    const run = await finished(child);
    expect(run.code, run.stderr).toBe(0);
  });

  it('--db without --allow-orders is a read-only view, beside the database\'s running writer', async () => {
    const dbPath = path.join(scratch, 'live-db');
    const writer = new WriterProcess(dbPath, 7, 'wasm');
    try {
      await writer.waitFor(5);
      const child = start('serve', '--db', dbPath, '--port', '0');
      await until('the whole banner', () => child.out.stdout.includes('press Ctrl-C to stop\n') || child.exitCode !== null);
      expect(child.out.stdout, child.out.stderr).toMatch(/showing the books of .*live-db at height [\d,]+ \(\d+ with orders; read-only/);
      const [, url] = /page\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(child.out.stdout) ?? [];
      const origin = url.replace(/\/$/, '');
      const socket = new WebSocket(`${origin.replace('http', 'ws')}/feed`, { origin });
      const frames: { type: string; source?: { mode: string; assets: { asset: number }[] }; orders?: boolean; bids?: unknown[]; asks?: unknown[] }[] = [];
      socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
      await until('hello', () => frames.length > 0);
      expect(frames[0]).toMatchObject({ type: 'hello', orders: false, source: { mode: 'db' } });
      socket.send(JSON.stringify({ type: 'subscribe', asset: frames[0].source!.assets[0].asset }));
      await until('a snapshot', () => frames.some((f) => f.type === 'snapshot'));
      const snapshot = frames.find((f) => f.type === 'snapshot')!;
      expect(snapshot.bids!.length + snapshot.asks!.length).toBeGreaterThan(0);
      socket.close();
      child.kill('SIGINT');
      const run = await finished(child);
      expect(run.code, run.stderr).toBe(0);
      // The writer never noticed: it is still flushing.
      const before = writer.confirmed;
      await writer.waitFor(before + 2);
    } finally {
      await writer.kill();
    }
  });

  it('--db stopped by SIGTERM while it opens exits 143, leaving no copy of the database in the temp dir', async () => {
    const dbPath = path.join(scratch, 'stopped-db');
    const writer = new WriterProcess(dbPath, 11, 'js');
    await writer.waitFor(3);
    await writer.kill();
    const tmp = fs.mkdtempSync(path.join(scratch, 'tmp-'));
    const child = startIn({ ...process.env, TMPDIR: tmp }, 'serve', '--db', dbPath, '--port', '0');
    const done = finished(child);
    await until('serve copied the database', () => fs.readdirSync(tmp).length > 0);
    child.kill('SIGTERM');
    const run = await done;
    expect(run.stdout).not.toContain('press Ctrl-C');
    expect(run.code, run.stderr).toBe(143);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});
