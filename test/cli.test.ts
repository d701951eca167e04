// The `lobcore` command as a user runs it: `node dist/src/cli/main.js ...` in a child process,
// judged by its exit code, stdout and stderr. The test setup builds dist/ when it is stale.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { EMPTY_LEVEL_PRICE, readLobsterText, readOrderbookFile, sampleDirectory, samplePath } from '../src/lobster/index.js';
import { LobError, type LobErrorCode } from '../src/errors.js';
import { EXIT_CODE_OF, describeFailure } from '../src/cli/failure.js';
import { MAIN, ROOT, escapeRegExp, expectBadInput, expectOneLineFailure, finished, listTree, lobcore, lobcoreWithin, run, startIn } from './helpers/cli.js';
import { until } from './helpers/serve.js';

const DATA = sampleDirectory();
const AAPL_MESSAGES = samplePath('aaplHeadMessages');
const AAPL_BOOK = samplePath('aaplHeadBook');
const MSFT_MESSAGES = samplePath('msftHeadMessages');
const MSFT_BOOK = samplePath('msftHeadBook');
/** Rows in the MSFT files (the last one has no line ending). */
const MSFT_ROWS = 1950;
/** Long enough for any of these commands on a loaded machine; a hang is killed at this point. */
const PROMPTLY_MS = 20_000;

let scratch: string;
beforeAll(() => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test builds it when stale)`);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-cli-test-'));
});
afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('help and usage errors', () => {
  it('prints help for the program and for every command, exit 0', async () => {
    const root = await lobcore('--help');
    expect(root.code).toBe(0);
    for (const name of ['demo', 'replay', 'inspect', 'fills', 'bench', 'serve']) expect(root.stdout).toContain(name);
    expect(root.stdout).not.toContain('demo-writer');
    for (const name of ['demo', 'replay', 'inspect', 'fills', 'bench', 'serve']) {
      const run = await lobcore(name, '--help');
      expect(run.code, `${name} --help: ${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/usage/i);
    }
  });

  it('every flag a command\'s --help lists is named in that command\'s row of the README\'s table of commands', async () => {
    // --help is every command's, and the paragraph above the table says which commands take --json.
    const everywhere = new Set(['--help', '--json']);
    const rows = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').filter((line) => line.startsWith('| `lobcore '));
    const missing: Record<string, string[]> = {};
    let flags = 0;
    for (const name of ['demo', 'replay', 'inspect', 'fills', 'orders', 'book', 'feed', 'serve', 'cluster up', 'cluster demo', 'bench']) {
      const row = rows.find((line) => line.startsWith(`| \`lobcore ${name.split(' ')[0]}`));
      expect(row, name).toBeDefined();
      // An option line of commander's help or of the bench's usage: two spaces, then the flag (`-h, --help`, `--progress / --no-progress`).
      const listed = (await lobcore(...name.split(' '), '--help')).stdout.split('\n')
        .flatMap((line) => /^ {2}(?:-[a-zA-Z], )?(--[a-z][a-z-]*)(?: \/ (--[a-z][a-z-]*))?/.exec(line)?.slice(1) ?? [])
        .filter((flag): flag is string => flag !== undefined && !everywhere.has(flag));
      flags += listed.length;
      const absent = listed.filter((flag) => !new RegExp(`(?<![\\w-])${flag}(?![\\w-])`).test(row!));
      if (absent.length > 0) missing[name] = absent;
    }
    expect(flags).toBeGreaterThan(40);
    expect(missing).toEqual({});
  });

  it('`help <command>` is help too; a bare `lobcore` is a usage error with the help on stderr', async () => {
    const help = await lobcore('help', 'fills');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--trader/);
    const bare = await lobcore();
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/Usage: lobcore/);
  });

  it('wraps each description once, greedily, at the help width: no line breaks of our own', async () => {
    const HELP_WIDTH = 80; // commander's width when stdout is not a terminal
    for (const name of ['demo', 'replay', 'inspect', 'fills', 'orders', 'book', 'feed', 'serve', 'cluster', 'cluster up', 'cluster demo']) {
      const lines = (await lobcore(...name.split(' '), '--help')).stdout.split('\n');
      const start = lines.findIndex((line) => line.startsWith('Usage:')) + 2;
      const paragraph = lines.slice(start, lines.indexOf('', start));
      expect(paragraph.length, name).toBeGreaterThan(0);
      for (let i = 0; i + 1 < paragraph.length; i++) {
        const nextWord = paragraph[i + 1].split(' ')[0];
        expect(paragraph[i].length + 1 + nextWord.length, `${name}: "${paragraph[i]}" ends early`).toBeGreaterThan(HELP_WIDTH);
      }
    }
  });

  it('refuses an unknown command', async () => {
    expectBadInput(await lobcore('frobnicate'), /unknown command 'frobnicate'/);
  });

  it('refuses an unknown flag', async () => {
    expectBadInput(await lobcore('inspect', scratch, '--colour'), /unknown option '--colour'/);
  });

  it('refuses bad flag values before touching anything', async () => {
    const db = path.join(scratch, 'never-created');
    expectBadInput(await lobcore('demo', '--db', db, '--blocks', '0'), /--blocks.*'0'.*an integer from 1/);
    expectBadInput(await lobcore('demo', '--db', db, '--assets', 'many'), /--assets.*'many'/);
    expectBadInput(await lobcore('demo', '--db', db, '--backend', 'gpu'), /--backend.*'gpu'.*wasm, js/);
    expectBadInput(await lobcore('fills', db, '--order', '-3'), /--order/);
    expect(fs.existsSync(db)).toBe(false);
  });
});

describe('a command that can never finish', () => {
  // What Node does with a top-level await left pending when nothing else runs: exit 13, silently.
  // The executable's guard (src/cli/unfinished.ts) turns that into an internal error that names
  // the step under way. Here the command awaits a promise nothing settles, in a real process.
  it('ends with exit 3 and one line naming the step, not a silent exit 13', async () => {
    const unfinished = JSON.stringify(path.join(ROOT, 'dist/src/cli/unfinished.js'));
    const script = `const { beginStep, runToTheEnd } = await import(${unfinished});
      process.exitCode = await runToTheEnd(async () => { beginStep('reading /tmp/db'); return new Promise(() => {}); });`;
    const result = await run(process.execPath, ['--input-type=module', '-e', script], { timeoutMs: PROMPTLY_MS });
    expectOneLineFailure(result, 3, /^lobcore: internal error: the command stopped while reading \/tmp\/db: nothing left running could finish it/);
    const finished = await run(process.execPath, ['--input-type=module', '-e', `const { runToTheEnd } = await import(${unfinished});
      process.exitCode = await runToTheEnd(async () => 0);`], { timeoutMs: PROMPTLY_MS });
    expect([finished.code, finished.stderr]).toEqual([0, '']);
  });
});

describe('demo', () => {
  let db: string;
  let report: {
    verdict: string;
    flow: { blocks: number };
    writer: { commands: number; fills: number; reportedHeight: number; killHeight: number; flush: { count: number }; checkpoint: { count: number } };
    recovery: { height: number; heightInRange: boolean };
    stateHash: { recovered: string; replayed: string; equal: boolean };
    fillHistory: { equal: boolean; recovered: number; replayed: number };
    resumed: { stateHash: { equal: boolean } };
    diskBytes: number;
  };

  beforeAll(async () => {
    db = path.join(scratch, 'demo-db');
    const run = await lobcore('demo', '--db', db, '--blocks', '60', '--orders-per-block', '40', '--assets', '3',
      '--checkpoint-every', '10', '--seed', '7', '--json');
    expect(run.code, run.stderr).toBe(0);
    report = JSON.parse(run.stdout);
  });

  it('kills the writer mid-flow, recovers, and proves the state identical', () => {
    expect(report.verdict).toBe('IDENTICAL');
    expect(report.writer.reportedHeight).toBeGreaterThanOrEqual(report.writer.killHeight);
    expect(report.writer.killHeight).toBeLessThan(report.flow.blocks);
    expect(report.recovery.heightInRange).toBe(true);
    expect(report.recovery.height).toBeGreaterThanOrEqual(report.writer.reportedHeight);
    expect(report.stateHash.recovered).toMatch(/^[0-9a-f]{64}$/);
    expect(report.stateHash.equal).toBe(true);
    expect(report.stateHash.recovered).toBe(report.stateHash.replayed);
    expect(report.fillHistory.equal).toBe(true);
    expect(report.fillHistory.recovered).toBeGreaterThan(0);
    expect(report.fillHistory.replayed).toBe(report.fillHistory.recovered);
    expect(report.resumed.stateHash.equal).toBe(true);
  });

  it('reports orders, fills, flushes, checkpoints and bytes on disk', () => {
    expect(report.writer.commands).toBe(report.writer.reportedHeight * 40);
    expect(report.writer.fills).toBeGreaterThan(0);
    expect(report.writer.flush.count).toBe(report.writer.reportedHeight);
    expect(report.writer.checkpoint.count).toBe(Math.floor(report.writer.reportedHeight / 10));
    expect(report.diskBytes).toBeGreaterThan(0);
  });

  it('says there is nothing to resume when the recovered database holds every block, rather than a range that runs backwards', async () => {
    // One block: the writer is killed after it, so the open recovers the whole flow.
    const run = await lobcore('demo', '--db', path.join(scratch, 'demo-one-block'), '--blocks', '1', '--orders-per-block', '10', '--assets', '1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^nothing left to resume after block 1: state hash equal$/m);
    expect(run.stdout).toMatch(/^ {2}resumed +nothing left: the recovered database reached the flow's last block, 1, final hash [0-9a-f]{16}… ok$/m);
    expect(run.stdout).not.toMatch(/blocks 2\.\.1/);
    // A count of one is singular, in the heading as everywhere a count names its noun.
    expect(run.stdout).toMatch(/^lobcore demo: 1 block × 10 orders over 1 asset, seed 1, wasm core$/m);
  });

  it('prints a readable summary with the verdict (js core)', async () => {
    const run = await lobcore('demo', '--db', path.join(scratch, 'demo-js'), '--blocks', '30', '--orders-per-block', '30',
      '--assets', '2', '--backend', 'js');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/killed with SIGKILL/);
    expect(run.stdout).toMatch(/^verdict: IDENTICAL$/m);
    expect(run.stderr).toBe('');
  });

  it('refuses a directory that already holds something', async () => {
    const used = path.join(scratch, 'used');
    fs.mkdirSync(used);
    fs.writeFileSync(path.join(used, 'notes.txt'), 'mine');
    expectBadInput(await lobcore('demo', '--db', used, '--blocks', '5'), /not empty/);
    expect(listTree(used)).toEqual(['notes.txt']);
  });

  it('an empty path is refused naming its flag or argument, not taken for the current directory', async () => {
    const cwd = path.join(scratch, 'empty-cwd');
    fs.mkdirSync(cwd);
    const inCwd = (...args: string[]) => run(process.execPath, [MAIN, ...args], { cwd });
    expectBadInput(await inCwd('demo', '--db', '', '--blocks', '2'), /^lobcore: option '--db <dir>' argument '' is invalid\. expected a path/);
    expectBadInput(await inCwd('replay', MSFT_MESSAGES, '--db', ''), /^lobcore: option '--db <dir>' argument '' is invalid\. expected a path/);
    expectBadInput(await inCwd('replay', MSFT_MESSAGES, '--orderbook', ''), /^lobcore: option '--orderbook <file>' argument '' is invalid\. expected a path/);
    expectBadInput(await inCwd('serve', '--db', ''), /^lobcore: option '--db <dir>' argument '' is invalid\. expected a path/);
    expectBadInput(await inCwd('serve', '--replay', ''), /^lobcore: option '--replay <file>' argument '' is invalid\. expected a path/);
    expectBadInput(await inCwd('cluster', 'up', '--dir', ''), /^lobcore: option '--dir <dir>' argument '' is invalid\. expected a path/);
    for (const command of [['inspect'], ['fills'], ['orders'], ['book', '--asset', '1'], ['feed', '--asset', '1']]) {
      expectBadInput(await inCwd(command[0], '', ...command.slice(1)), new RegExp(`^lobcore: command-argument value '' is invalid for argument 'dir'\\. expected a path`));
    }
    expectBadInput(await inCwd('replay', ''), /^lobcore: command-argument value '' is invalid for argument 'file'\. expected a path/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('a path flag whose value is missing does not take the next flag for its path', async () => {
    const cwd = path.join(scratch, 'flag-cwd');
    fs.mkdirSync(cwd);
    const inCwd = (...args: string[]) => run(process.execPath, [MAIN, ...args], { cwd });
    // Commander hands a flag that needs a value whatever comes next: here a database named --json.
    expectBadInput(await inCwd('replay', MSFT_MESSAGES, '--db', '--json'), /^lobcore: option '--db <dir>' argument '--json' is invalid\. expected a path, not the flag --json \(\.\/--json names a path that starts with -\)$/);
    expectBadInput(await inCwd('demo', '--db', '--json', '--blocks', '2'), /^lobcore: option '--db <dir>' argument '--json' is invalid/);
    expectBadInput(await inCwd('replay', MSFT_MESSAGES, '--orderbook', '--json'), /^lobcore: option '--orderbook <file>' argument '--json' is invalid/);
    expectBadInput(await inCwd('serve', '--replay', '--allow-orders'), /^lobcore: option '--replay <file>' argument '--allow-orders' is invalid/);
    expectBadInput(await inCwd('serve', '--demo', '--host', '--allow-orders'), /^lobcore: option '--host <address>' argument '--allow-orders' is invalid/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('a flag that takes a value, given twice, is refused naming it, and nothing is written', async () => {
    const cwd = path.join(scratch, 'twice-cwd');
    fs.mkdirSync(cwd);
    const inCwd = (...args: string[]) => run(process.execPath, [MAIN, ...args], { cwd });
    // Commander keeps the last value: this replay wrote to b without a word.
    expectBadInput(await inCwd('replay', MSFT_MESSAGES, '--db', 'a', '--db', 'b'), /^lobcore: option '--db <dir>' given twice \('a', then 'b'\): give it once$/);
    expectBadInput(await inCwd('replay', MSFT_MESSAGES, '--db=a', '--json', '--db=a'), /^lobcore: option '--db <dir>' given twice \('a', then 'a'\)/);
    expectBadInput(await inCwd('demo', '--db', 'a', '--blocks', '2', '--blocks', '3'), /^lobcore: option '--blocks <n>' given twice \('2', then '3'\)/);
    expectBadInput(await inCwd('cluster', 'up', '--dir', 'a', '--dir', 'b'), /^lobcore: option '--dir <dir>' given twice/);
    // bench's flags are the suite's own (bench/options.ts), refused there alike.
    expectBadInput(await inCwd('bench', '--seed', '1', '--seed', '2'), /^lobcore: --seed given twice \("1", then "2"\): give it once$/);
    expect(fs.readdirSync(cwd)).toEqual([]);
    // A boolean flag said twice means what it means once.
    const twiceJson = await lobcore('replay', MSFT_MESSAGES, '--orderbook', MSFT_BOOK, '--json', '--json');
    expect(twiceJson.code, twiceJson.stderr).toBe(0);
  });

  it('every flag of every command that takes a value is refused when given twice', async () => {
    // The built CLI, as the process runs it: it finds package.json from dist/.
    const { buildProgram, ExitStatus } = await import(new URL('../dist/src/cli/program.js', import.meta.url).href) as typeof import('../src/cli/program.js');
    // Parsed in this process with every action a no-op: a parse that took both values starts nothing.
    const inertProgram = async (): Promise<Command> => {
      const program = await buildProgram(new ExitStatus());
      const silence = (command: Command): void => {
        command.action(() => {});
        command.commands.forEach(silence);
      };
      program.commands.forEach(silence);
      return program;
    };
    const program = await inertProgram();
    const checked: string[] = [];
    const visit = async (command: Command, words: string[]): Promise<void> => {
      for (const option of command.options) {
        if (!option.required && !option.optional) continue;
        // A value every parser of ours takes: 1 is a count, a seed, a port, an id and a path.
        const value = option.argChoices?.[0] ?? '1';
        const flag = option.long ?? option.short as string;
        const parsed = (await inertProgram()).parseAsync([...words, flag, value, flag, value], { from: 'user' });
        await expect(parsed, `${words.join(' ')} ${flag}`).rejects.toThrow(new RegExp(`^option '${escapeRegExp(option.flags)}' given twice`));
        checked.push(`${words.join(' ')} ${flag}`);
      }
      for (const sub of command.commands) await visit(sub, [...words, sub.name()]);
    };
    await visit(program, []);
    expect(checked).toContain('replay --db');
    expect(checked).toContain('cluster up --dir');
    expect(checked.length).toBeGreaterThan(20);
  });

  it('a --db that is not empty, or a file, is refused naming --db, by demo and replay alike', async () => {
    const used = path.join(scratch, 'used-by-someone');
    fs.mkdirSync(used);
    fs.writeFileSync(path.join(used, 'notes.txt'), 'mine');
    const file = path.join(scratch, 'a-plain-file');
    fs.writeFileSync(file, 'x');
    for (const command of [['demo', '--blocks', '5'], ['replay', MSFT_MESSAGES]]) {
      expectBadInput(await lobcore(...command, '--db', used), new RegExp(`^lobcore: --db ${escapeRegExp(used)} is not empty; a new database needs a new or empty directory$`));
      expectBadInput(await lobcore(...command, '--db', file), new RegExp(`^lobcore: --db ${escapeRegExp(file)} is a file; a new database needs a new or empty directory$`));
      // Named as it was typed, as every other flag is: a relative path stays relative.
      const typed = path.relative(ROOT, used);
      expectBadInput(await lobcore(...command, '--db', typed), new RegExp(`^lobcore: --db ${escapeRegExp(typed)} is not empty; a new database needs a new or empty directory$`));
    }
    expect(listTree(used)).toEqual(['notes.txt']);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  it('inspect shows height, checkpoints, books and fills', async () => {
    const run = await lobcore('inspect', db, '--json');
    expect(run.code, run.stderr).toBe(0);
    const inspected = JSON.parse(run.stdout);
    expect(inspected.height).toBe(report.flow.blocks);
    expect(inspected.checkpoints.length).toBeGreaterThan(0);
    for (const checkpoint of inspected.checkpoints) {
      expect(checkpoint.stateHash).toMatch(/^[0-9a-f]{64}$/);
      expect(checkpoint.bytes).toBeGreaterThan(0);
    }
    expect(inspected.assets.map((a: { asset: number }) => a.asset)).toEqual([0, 1, 2]);
    expect(inspected.fills).toBeGreaterThan(0);
    expect(inspected.diskBytes).toBeGreaterThan(0);

    const text = await lobcore('inspect', db);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/height\s+60/);
    expect(text.stdout).toMatch(/checkpoints/);
  });

  it("a writer whose writes the system refuses (a file-size limit, failing as a full disk does): exit 3, one line quoting the writer's own", async () => {
    const limited = path.join(scratch, 'file-size-limited-db');
    // Node ignores SIGXFSZ, so a write past the limit fails with EFBIG, in RocksDB's write-ahead log.
    const result = await run('/bin/sh', ['-c', 'ulimit -f 200 && exec "$@"', 'sh', process.execPath, MAIN,
      'demo', '--db', limited, '--blocks', '200', '--orders-per-block', '200']);
    expectOneLineFailure(result, 3, /the demo writer stopped before it was killed \(exit 3\): writing .* failed: IO error: .*File too large$/);
  });

  it('a read-only command stopped by SIGINT or SIGTERM exits 128 + the signal, leaving no copy of the database in the temp dir', async () => {
    const tmp = fs.mkdtempSync(path.join(scratch, 'tmp-'));
    for (const [command, signal, code] of [['inspect', 'SIGINT', 130], ['book', 'SIGTERM', 143]] as const) {
      const child = startIn({ ...process.env, TMPDIR: tmp }, command, db, ...(command === 'book' ? ['--asset', '0'] : []));
      const done = finished(child);
      await until(`${command} copied the database`, () => fs.readdirSync(tmp).length > 0);
      child.kill(signal);
      const result = await done;
      expect(result.code, `${command}: ${result.stderr}`).toBe(code);
      expect(fs.readdirSync(tmp), command).toEqual([]);
    }
  });

  it('fills lists a trader\'s and an order\'s history, and pages', async () => {
    const byTrader = await lobcore('fills', db, '--trader', '3', '--limit', '5', '--json');
    expect(byTrader.code, byTrader.stderr).toBe(0);
    const page = JSON.parse(byTrader.stdout);
    expect(page.fills.length).toBeGreaterThan(0);
    expect(page.fills.length).toBeLessThanOrEqual(5);
    for (const fill of page.fills) expect([fill.makerTrader, fill.takerTrader]).toContain(3);

    const order = page.fills[0].takerOrderId;
    const byOrder = await lobcore('fills', db, '--order', String(order), '--json');
    expect(byOrder.code, byOrder.stderr).toBe(0);
    const orderFills = JSON.parse(byOrder.stdout).fills;
    expect(orderFills.length).toBeGreaterThan(0);
    for (const fill of orderFills) expect([fill.makerOrderId, fill.takerOrderId]).toContain(order);

    if (page.more) {
      const next = await lobcore('fills', db, '--trader', '3', '--limit', '5', '--after', String(page.next.after), '--json');
      expect(JSON.parse(next.stdout).fills[0].fillSeq).toBeGreaterThan(page.next.after);
    }

    const text = await lobcore('fills', db, '--order', String(order));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`fills? of order ${order}`));
  });

  it('fills needs exactly one of --order and --trader', async () => {
    expectBadInput(await lobcore('fills', db), /exactly one of --order/);
    expectBadInput(await lobcore('fills', db, '--order', '1', '--trader', '1'), /exactly one of --order/);
    expectBadInput(await lobcore('fills', db, '--order', '1', '--newest-first'), /--newest-first goes with --trader/);
  });

  it('fills --newest-first lists a trader\'s fills newest first, and its next page goes on to older ones', async () => {
    const all = JSON.parse((await lobcore('fills', db, '--trader', '3', '--limit', '1000000', '--json')).stdout).fills;
    expect(all.length).toBeGreaterThan(4);
    const first = await lobcore('fills', db, '--trader', '3', '--newest-first', '--limit', '2', '--json');
    expect(first.code, first.stderr).toBe(0);
    const page = JSON.parse(first.stdout);
    const second = JSON.parse((await lobcore('fills', db, '--trader', '3', '--newest-first', '--limit', '2', '--after', String(page.next.after), '--json')).stdout);
    expect([...page.fills, ...second.fills]).toEqual(all.slice(-4).reverse());
    const text = await lobcore('fills', db, '--trader', '3', '--newest-first', '--limit', '2');
    expect(text.stdout).toContain(`more: lobcore fills ${db} --trader 3 --newest-first --limit 2 --after ${page.next.after}`);
  });

  it('inspect and fills read a database another process holds open', async () => {
    // What the database holds, whatever RocksDB's files look like after another open.
    const holdings = (json: string) => ({ ...JSON.parse(json), recovery: null, diskBytes: null });
    const before = await lobcore('inspect', db, '--json');
    const holder = await holdOpen(db);
    try {
      const inspected = await lobcore('inspect', db, '--json');
      expect(inspected.code, inspected.stderr).toBe(0);
      expect(holdings(inspected.stdout)).toEqual(holdings(before.stdout));
      const fills = await lobcore('fills', db, '--trader', '3', '--limit', '5', '--json');
      expect(fills.code, fills.stderr).toBe(0);
      expect(JSON.parse(fills.stdout).fills.length).toBeGreaterThan(0);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('fills for an order id never issued says the order does not exist: exit 2', async () => {
    const inspected = JSON.parse((await lobcore('inspect', db, '--json')).stdout);
    const never = inspected.nextOrderId + 10;
    expectBadInput(await lobcore('fills', db, '--order', String(never)), new RegExp(`order ${never} does not exist in .*ids issued so far run from 1 to [0-9,]+$`));
    expectBadInput(await lobcore('fills', db, '--order', String(never), '--json'), /does not exist/);
    // An id that was issued but never traded has no fills: a normal, empty answer.
    const quiet = await lobcore('fills', db, '--order', String(inspected.nextOrderId - 1), '--json');
    expect(quiet.code, quiet.stderr).toBe(0);
  });

  it('fills --json always has next: null on the last page, { after } before it', async () => {
    const all = JSON.parse((await lobcore('fills', db, '--trader', '3', '--limit', '1000000', '--json')).stdout);
    expect(all.more).toBe(false);
    expect(all).toHaveProperty('next', null);
    const first = JSON.parse((await lobcore('fills', db, '--trader', '3', '--limit', '1', '--json')).stdout);
    expect(first.more).toBe(true);
    expect(first.next).toEqual({ after: first.fills[0].fillSeq });
  });
});

/** A child process that opens the database and keeps it open until killed. */
async function holdOpen(db: string): Promise<ChildProcess> {
  const stateModule = path.join(ROOT, 'dist/src/state/index.js');
  const script = `const { CoreStateMachine } = await import(${JSON.stringify(stateModule)});
    await CoreStateMachine.open({ path: ${JSON.stringify(db)} });
    process.stdout.write('open\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}

describe('inspect and fills on things that are not databases', () => {
  it('a missing directory: exit 2, nothing created', async () => {
    const missing = path.join(scratch, 'no-such-db');
    expectBadInput(await lobcore('inspect', missing), /no such directory/);
    expectBadInput(await lobcore('fills', missing, '--trader', '1'), /no such directory/);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('a directory of other files, or an empty one: exit 2, left as it was', async () => {
    const foreign = path.join(scratch, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'photo.jpg'), 'jpeg');
    expectBadInput(await lobcore('inspect', foreign), /not a lobcore database/);
    expect(listTree(foreign)).toEqual(['photo.jpg']);

    const empty = path.join(scratch, 'empty');
    fs.mkdirSync(empty);
    expectBadInput(await lobcore('inspect', empty, '--json'), /not a lobcore database/);
    expect(listTree(empty)).toEqual([]);
  });

  it('a file: exit 2', async () => {
    expectBadInput(await lobcore('inspect', MSFT_MESSAGES), /is a file/);
  });
});

describe('replay', () => {
  it('AAPL level 50 with its order book: no mismatch', async () => {
    const run = await lobcore('replay', AAPL_MESSAGES, '--orderbook', AAPL_BOOK);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/messages\s+672/);
    expect(run.stdout).toMatch(/no mismatch/);
    expect(run.stdout).toMatch(/best bid\s+\d+/);
    expect(run.stdout).toMatch(/best ask\s+\d+/);
  });

  it('MSFT level 50 with its order book, JSON: no mismatch on either core', async () => {
    for (const backend of ['wasm', 'js']) {
      const run = await lobcore('replay', MSFT_MESSAGES, '--orderbook', MSFT_BOOK, '--backend', backend, '--json');
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.messages).toBe(MSFT_ROWS);
      expect(summary.bookCheck).toEqual({ levels: 50, rowsChecked: MSFT_ROWS, mismatch: null });
      expect(summary.orders).toBeGreaterThan(0);
      expect(summary.fills).toBeGreaterThan(0);
      expect(summary.bestBid.price).toBeLessThan(summary.bestAsk.price);
    }
  });

  it('the orders line adds up: its parts sum to the order ids the replay issued, on either core', async () => {
    // MSFT's replay repairs queues (NASDAQ filled orders out of time priority), which places orders too.
    for (const backend of ['wasm', 'js']) {
      const run = await lobcore('replay', MSFT_MESSAGES, '--orderbook', MSFT_BOOK, '--backend', backend);
      expect(run.code, run.stderr).toBe(0);
      const line = /^ {2}orders\s+(.*)$/m.exec(run.stdout)?.[1] ?? '';
      const [total, ...parts] = [...line.matchAll(/([\d,]+)/g)].map((m) => Number(m[1].replace(/,/g, '')));
      expect(parts.length, line).toBeGreaterThan(2);
      expect(parts.reduce((a, b) => a + b, 0), line).toBe(total);
    }
  });

  it('reports the exact first difference from an altered order book, exit 1', async () => {
    // Row 100, level 3 of the bids: one more share than NASDAQ had.
    const lines = readLobsterText(MSFT_BOOK).split('\n');
    const cells = lines[99].split(',');
    const bidPrice3 = Number(cells[4 * 2 + 2]);
    const bidSize3 = Number(cells[4 * 2 + 3]);
    cells[4 * 2 + 3] = String(bidSize3 + 1);
    lines[99] = cells.join(',');
    const altered = path.join(scratch, 'altered_orderbook.csv');
    fs.writeFileSync(altered, lines.join('\n'));

    const run = await lobcore('replay', MSFT_MESSAGES, '--orderbook', altered);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `lobcore: first mismatch at book row 100, bid level 3: expected ${bidSize3 + 1} @ ${bidPrice3}, found ${bidSize3} @ ${bidPrice3}`,
    );
    const json = JSON.parse((await lobcore('replay', MSFT_MESSAGES, '--orderbook', altered, '--json')).stdout);
    expect(json.bookCheck.mismatch).toEqual({
      row: 100, side: 'bid', level: 3, expectedPrice: bidPrice3, expectedSize: bidSize3 + 1, foundPrice: bidPrice3, foundSize: bidSize3,
    });
  });

  it('persists with --db, and inspect reads what it wrote', async () => {
    const db = path.join(scratch, 'replay-db');
    const run = await lobcore('replay', MSFT_MESSAGES, '--orderbook', MSFT_BOOK, '--db', db, '--json');
    expect(run.code, run.stderr).toBe(0);
    const replayed = JSON.parse(run.stdout);
    const inspected = JSON.parse((await lobcore('inspect', db, '--json')).stdout);
    expect(inspected.height).toBe(MSFT_ROWS);
    const asset = inspected.assets.find((a: { asset: number }) => a.asset === 1);
    expect(asset.bestBid).toEqual(replayed.bestBid);
    expect(asset.bestAsk).toEqual(replayed.bestAsk);
    // Height N holds message N, so the book at its end is LOBSTER's order-book row N (1-based).
    const rows = readOrderbookFile(MSFT_BOOK);
    const heights = [1, 500, 1001];
    const books = await Promise.all(heights.map((height) => lobcore('book', db, '--asset', '1', '--height', String(height), '--depth', '10', '--json')));
    books.forEach((book, i) => {
      expect(book.code, book.stderr).toBe(0);
      const { bids, asks } = JSON.parse(book.stdout);
      expect({ bids: bids.map(priceAndSize), asks: asks.map(priceAndSize) }, `height ${heights[i]}`).toEqual(lobsterLevels(rows.row(heights[i] - 1), 10));
    });
  });

  it('a message file whose time goes back (two files joined) is refused naming the file, row and time; no database is made', async () => {
    const head = readLobsterText(MSFT_MESSAGES).trimEnd();
    const joined = path.join(scratch, 'joined_message.csv');
    fs.writeFileSync(joined, `${head}\n${head}\n`);
    const db = path.join(scratch, 'joined-db');
    expectBadInput(await lobcore('replay', joined, '--db', db),
      new RegExp(`^lobcore: ${escapeRegExp(joined)}: LOBSTER row ${MSFT_ROWS + 1}: time [0-9.]+ is before row ${MSFT_ROWS}'s [0-9.]+: a message file's time never goes back`));
    expect(fs.existsSync(db)).toBe(false);
  });

  it('replays every LOBSTER message file on its own', async () => {
    const messageFiles = fs.readdirSync(DATA).filter((name) => /message.*\.csv\.gz$/.test(name));
    expect(messageFiles.length).toBeGreaterThanOrEqual(4);
    for (const name of messageFiles) {
      const run = await lobcore('replay', path.join(DATA, name), '--json');
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.messages).toBeGreaterThan(0);
      expect(summary.bookCheck).toBeNull();
    }
  });

  it('checks the one level a level-1 order book has, and explains the first row it cannot rebuild', async () => {
    const run = await lobcore('replay', samplePath('amznDayMessages'),
      '--orderbook', samplePath('amznDayBook'));
    expect(run.code).toBe(1);
    // Row 3: the best bid empties and the next one was never in the message file.
    expect(run.stderr.trim()).toBe('lobcore: first mismatch at book row 3, bid level 1: expected 100 @ 2237500, found 100 @ 2231800');
    expect(run.stdout).toMatch(/level-1 file only sees the best level/);
  });

  it('a cross trade (type 6) with its negative pseudo order id is replayed as no change to the book', async () => {
    // LOBSTER gives a cross trade (opening -1, closing -2, other crosses -3, -4) a negative order
    // id, and repeats the book before it: an opening cross just after 09:30 is in the file.
    const messages = readLobsterText(MSFT_MESSAGES).split('\n').slice(0, 5);
    const books = readLobsterText(MSFT_BOOK).split('\n').slice(0, 5);
    const time = messages[2].split(',')[0];
    messages.splice(3, 0, `${time},6,-1,1500,311900,-1`);
    books.splice(3, 0, books[2]);
    const crossMessages = path.join(scratch, 'cross_message.csv');
    const crossBook = path.join(scratch, 'cross_orderbook.csv');
    fs.writeFileSync(crossMessages, messages.join('\n'));
    fs.writeFileSync(crossBook, books.join('\n'));
    const run = await lobcore('replay', crossMessages, '--orderbook', crossBook, '--json');
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.messages).toBe(6);
    expect(summary.bookCheck).toEqual({ levels: 50, rowsChecked: 6, mismatch: null });
  });

  it('a missing file: exit 2', async () => {
    expectBadInput(await lobcore('replay', path.join(scratch, 'nope.csv')), /nope\.csv: no such file/);
  });

  it('a bad --orderbook file is refused naming --orderbook, before a --db is made', async () => {
    const missing = path.join(scratch, 'nope_orderbook.csv');
    const db = path.join(scratch, 'orderbook-refused-db');
    expectBadInput(await lobcore('replay', MSFT_MESSAGES, '--orderbook', missing, '--db', db), new RegExp(`^lobcore: --orderbook ${escapeRegExp(missing)}: no such file or directory$`));
    expectBadInput(await lobcore('replay', MSFT_MESSAGES, '--orderbook', DATA), new RegExp(`^lobcore: --orderbook ${escapeRegExp(DATA)} is a directory, not a LOBSTER file$`));
    const bad = path.join(scratch, 'bad_orderbook.csv');
    fs.writeFileSync(bad, '5859400,200,5853300,18,x\n');
    expectBadInput(await lobcore('replay', MSFT_MESSAGES, '--orderbook', bad, '--db', db), new RegExp(`^lobcore: --orderbook ${escapeRegExp(bad)}: LOBSTER row 1: `));
    expect(fs.existsSync(db)).toBe(false);
  });

  it('a malformed row: exit 2 naming the row and the reason, nothing written', async () => {
    const bad = path.join(scratch, 'bad_message.csv');
    const rows = readLobsterText(MSFT_MESSAGES).split('\n').slice(0, 5);
    rows[2] = '34200.1,1,16116658,100,31O400,-1';
    fs.writeFileSync(bad, rows.join('\n'));
    const db = path.join(scratch, 'bad-replay-db');
    expectBadInput(await lobcore('replay', bad, '--db', db), /bad_message\.csv: LOBSTER row 3: price "31O400" is not a number/);
    expect(fs.existsSync(db)).toBe(false);
  });

  it('an order book whose level has a price but no shares: exit 2 naming the row and column, nothing written', async () => {
    // LOBSTER pads an empty level with its dummy price and size 0; a real price with size 0 is
    // a damaged file, which the book check would otherwise blame on the replay.
    const messages = readLobsterText(MSFT_MESSAGES).split('\n').slice(0, 5);
    const books = readLobsterText(MSFT_BOOK).split('\n').slice(0, 5);
    const cells = books[2].split(',');
    cells[1] = '0';
    books[2] = cells.join(',');
    const someMessages = path.join(scratch, 'five_message.csv');
    const damaged = path.join(scratch, 'no_shares_orderbook.csv');
    fs.writeFileSync(someMessages, messages.join('\n'));
    fs.writeFileSync(damaged, books.join('\n'));
    const db = path.join(scratch, 'no-shares-db');
    expectBadInput(await lobcore('replay', someMessages, '--orderbook', damaged, '--db', db),
      new RegExp(`^lobcore: --orderbook ${escapeRegExp(damaged)}: LOBSTER row 3: askSize1 0 at askPrice1 ${cells[0]}`));
    expect(fs.existsSync(db)).toBe(false);
  });

  it('an order book that does not pair with the messages: exit 2', async () => {
    expectBadInput(await lobcore('replay', MSFT_MESSAGES, '--orderbook', AAPL_BOOK), new RegExp(`^lobcore: --orderbook ${escapeRegExp(AAPL_BOOK)} has 672 rows but .* 1,950 messages`));
  });

  it('a directory instead of a file: exit 2 naming the path', async () => {
    expectBadInput(await lobcore('replay', DATA), new RegExp(`^lobcore: ${escapeRegExp(DATA)} is a directory, not a LOBSTER file$`));
    expectBadInput(await lobcore('replay', MSFT_MESSAGES, '--orderbook', DATA), /is a directory, not a LOBSTER file/);
  });

  it('an empty file, or one with only a line ending: exit 2, nothing replayed', async () => {
    const empty = path.join(scratch, 'empty_message.csv');
    fs.writeFileSync(empty, '');
    expectBadInput(await lobcore('replay', empty), /empty_message\.csv holds no LOBSTER rows \(the file is empty\)/);
    const newline = path.join(scratch, 'newline_message.csv');
    fs.writeFileSync(newline, '\n');
    expectBadInput(await lobcore('replay', newline), /holds no LOBSTER rows/);
    expectBadInput(await lobcore('replay', MSFT_MESSAGES, '--orderbook', empty), /empty_message\.csv holds no LOBSTER rows/);
  });

  it('a binary file: the bytes are described in escapes, never sent to the terminal', async () => {
    const binary = path.join(scratch, 'binary_message.csv');
    const bytes = Buffer.alloc(300);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 7) & 0xff; // control codes, escape, high bytes
    bytes[0] = 0x1b;
    fs.writeFileSync(binary, bytes);
    const result = await lobcore('replay', binary);
    expectBadInput(result, /binary_message\.csv: LOBSTER row 1: time "\\x1b.*\.\.\." \(\d+ bytes\) is not a number$/);
    expect(result.stderr).toMatch(/^[\x20-\x7e]*\n$/);
  });
});

describe('paths that cannot be created end promptly', () => {
  // Node's recursive mkdir (and so RocksDB's open) spins forever on these; each run is killed
  // after PROMPTLY_MS, so a return of the hang fails here instead of holding the suite up.
  it('replay --db /proc/nope/db: exit 2, one line', async () => {
    expectBadInput(await lobcoreWithin(PROMPTLY_MS, 'replay', MSFT_MESSAGES, '--db', '/proc/nope/db'),
      /--db \/proc\/nope\/db cannot be created: \/proc\/nope: no such file or directory/);
  });

  it('demo --db /proc/nope/db: exit 2, one line', async () => {
    expectBadInput(await lobcoreWithin(PROMPTLY_MS, 'demo', '--db', '/proc/nope/db', '--blocks', '10'), /--db \/proc\/nope\/db cannot be created/);
  });

  it('a --db under a file: exit 2, one line', async () => {
    const file = path.join(scratch, 'plain-file');
    fs.writeFileSync(file, 'x');
    expectBadInput(await lobcoreWithin(PROMPTLY_MS, 'demo', '--db', path.join(file, 'db'), '--blocks', '10'), /cannot be created: .*plain-file: not a directory/);
  });
});

describe('damaged databases', () => {
  let healthy: string;
  beforeAll(async () => {
    healthy = path.join(scratch, 'to-damage');
    const made = await lobcore('replay', MSFT_MESSAGES, '--db', healthy, '--json');
    expect(made.code, made.stderr).toBe(0);
    await rawStore(healthy, ''); // reopening moves RocksDB's log into a table file
  });

  /** A copy of the healthy database, changed by `damage`. */
  function damaged(name: string, damage: (dir: string) => void): string {
    const dir = path.join(scratch, name);
    fs.cpSync(healthy, dir, { recursive: true });
    damage(dir);
    return dir;
  }

  it('CURRENT deleted: says what is there, exit 2, nothing written', async () => {
    const dir = damaged('no-current', (d) => fs.rmSync(path.join(d, 'CURRENT')));
    const files = listTree(dir);
    expect(files.some((f) => /^MANIFEST-\d+$/.test(f))).toBe(true);
    for (const command of [['inspect', dir], ['fills', dir, '--trader', '1']]) {
      expectBadInput(await lobcore(...command), /is a damaged RocksDB database: it holds .*MANIFEST-\d+.* but no CURRENT file/);
    }
    expect(listTree(dir)).toEqual(files);
  });

  it('a truncated table file: RocksDB\'s two-line complaint becomes one line, exit 2', async () => {
    const dir = damaged('truncated-sst', (d) => {
      const sst = fs.readdirSync(d).find((f) => f.endsWith('.sst'));
      expect(sst, 'the replayed database has a table file').toBeDefined();
      fs.truncateSync(path.join(d, sst!), 100);
    });
    const result = await lobcore('inspect', dir);
    expectBadInput(result, new RegExp(`${escapeRegExp(dir)} is damaged: RocksDB cannot open it: Corruption: .*MANIFEST`));
    expect(result.stderr).not.toContain('lobcore-read-only-'); // it names the database, not the private copy read
  });

  it('a read that fails after the open: that read is what is reported, not the close after it', async () => {
    // The AAPL hour's replay: trader 3 takes every fill, so its history reads every event block with a fill.
    // A table file of its own holding only event blocks (which fill queries read) rewritten, the
    // first megabyte of them (less than a memtable, so they land in one table): an open reads at
    // most its first and last data blocks, and those are left whole. RocksDB may compact level 0
    // in the background while the rewrite lands, leaving its output beside the table: then the
    // database is made again (at most three times).
    let dir = '';
    let newTables: string[] = [];
    for (let attempt = 1; attempt <= 3 && newTables.length !== 1; attempt++) {
      dir = path.join(scratch, `damaged-event-table-${attempt}`);
      const made = await lobcore('replay', samplePath('aaplHourMessages'), '--db', dir, '--json');
      expect(made.code, made.stderr).toBe(0);
      await rawStore(dir, ''); // RocksDB's log into a table file
      const tablesBefore = fs.readdirSync(dir).filter((f) => f.endsWith('.sst'));
      await rawStore(dir, `
        const batch = store.batch();
        let bytes = 0;
        for (const [key, value] of await store.entries(prefixRange(Prefix.EVENTS))) {
          if ((bytes += value.length) > 1024 * 1024) break;
          batch.put(key, value);
        }
        await store.write(batch);`);
      newTables = fs.readdirSync(dir).filter((f) => f.endsWith('.sst') && !tablesBefore.includes(f));
    }
    expect(newTables, 'the rewrite landed in a table file of its own').toHaveLength(1);
    const table = path.join(dir, newTables[0]);
    const bytes = fs.readFileSync(table);
    bytes.fill(0, Math.floor(bytes.length * 0.4), Math.floor(bytes.length * 0.6)); // event blocks in the middle
    fs.writeFileSync(table, bytes);

    const inspected = await lobcore('inspect', dir, '--json');
    expect(inspected.code, inspected.stderr).toBe(0);
    const result = await lobcore('fills', dir, '--trader', '3', '--limit', '1000000');
    expectOneLineFailure(result, EXIT_CODE_OF.CORRUPTION,
      new RegExp(`^lobcore: ${escapeRegExp(dir)} is damaged: reading (a key|\\d+ keys) failed: Corruption: .*${newTables[0]}`));
    expect(result.stderr).not.toMatch(/clos/);
  });
});

/**
 * Opens a closed database's raw store in another process, runs `work` (script text using `store`
 * and the key helpers), closes it, and opens and closes it once more: each open moves what
 * RocksDB's log holds into a table file of its own. The first close is made as a kill would:
 * RocksDB's handle closed first, so the store's close does not open it again itself and let the
 * compactions that starts merge the new table into others (the store worker's settle()).
 */
async function rawStore(dir: string, work: string): Promise<void> {
  const script = `
    const { Store } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/state/store.js'))});
    const { prefixRange, Prefix } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/state/keys.js'))});
    const store = await Store.open(${JSON.stringify(dir)}, { sync: true });
    ${work}
    await store.underlying.close();
    await store.close();
    await (await Store.open(${JSON.stringify(dir)}, { sync: true })).close();`;
  const result = await run(process.execPath, ['--input-type=module', '-e', script]);
  expect(result.code, result.stderr).toBe(0);
}

describe('exit codes', () => {
  it('are the ones the README\'s exit-code table gives for each error code', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = new Map<string, number>();
    for (const match of readme.matchAll(/^\| `(\d)` \| (.*) \|$/gm)) {
      for (const code of match[2].matchAll(/`([A-Z_]{4,})`/g)) table.set(code[1], Number(match[1]));
    }
    const codes = Object.keys(EXIT_CODE_OF) as LobErrorCode[];
    expect([...table.keys()].sort()).toEqual([...codes].sort());
    for (const code of codes) {
      expect(describeFailure(new LobError(code, 'x')).exitCode, code).toBe(table.get(code));
    }
  });
});

describe('bench', () => {
  it('has help', async () => {
    const run = await lobcore('bench', '--help');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/--quick/);
  });

  it('refuses an unknown bench flag', async () => {
    expectBadInput(await lobcore('bench', '--warp-speed'), /unknown option --warp-speed/);
  });

  it('refuses --persistence-only with --no-persistence, in either order, rather than measure nothing', async () => {
    for (const flags of [['--persistence-only', '--no-persistence'], ['--no-persistence', '--persistence-only']]) {
      const result = await lobcoreWithin(60_000, 'bench', ...flags, '--tiny', '--no-progress');
      expectBadInput(result, /--persistence-only and --no-persistence together would measure nothing/);
      expect(result.stdout).toBe('');
    }
  });
});

function priceAndSize(level: { price: number; size: number }): [number, number] {
  return [level.price, level.size];
}

/** The first `depth` non-empty levels a side of a LOBSTER order-book row (ask price, size, bid price, size, ...). */
function lobsterLevels(row: Float64Array, depth: number): { bids: [number, number][]; asks: [number, number][] } {
  const bids: [number, number][] = [];
  const asks: [number, number][] = [];
  for (let level = 0; level < depth; level++) {
    const at = level * 4;
    if (Math.abs(row[at]) !== EMPTY_LEVEL_PRICE) asks.push([row[at], row[at + 1]]);
    if (Math.abs(row[at + 2]) !== EMPTY_LEVEL_PRICE) bids.push([row[at + 2], row[at + 3]]);
  }
  return { bids, asks };
}

