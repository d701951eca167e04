// The CLI imports a command's definition only for the command that runs (src/cli/program.ts's
// COMMANDS): `lobcore --help` imported every command and all they import (the state machine,
// RocksDB, the cluster, the server) for a list of names. These hold the list to the definitions,
// and count what a run really imports.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, ExitStatus } from '../src/cli/program.js';
import { tempDir } from './fixtures/state-helpers.js';
import { MAIN, ROOT, run } from './helpers/cli.js';

describe('the program\'s list of commands', () => {
  it('names each command with the term, summary and visibility its own definition gives', async () => {
    for (const entry of COMMANDS) {
      const command = (await entry.load())(new ExitStatus());
      expect(command.name()).toBe(entry.name);
      expect(new Help().subcommandTerm(command), entry.name).toBe(entry.term);
      // A definition without a summary is listed by its description's first line.
      expect(command.summary() || command.description(), entry.name).toBe(entry.summary);
      expect(entry.hidden === true, entry.name).toBe(entry.name.startsWith('demo-'));
    }
  });
});

/** The modules under dist/src a `lobcore ...args` run imported, relative to dist/src. */
async function modulesImported(...args: string[]): Promise<string[]> {
  const log = path.join(tempDir('lobcore-cli-commands'), `${args.join('-') || 'bare'}.log`);
  const hooks = pathToFileURL(path.join(ROOT, 'test/fixtures/module-log-hooks.mjs')).href;
  const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hooks)})`;
  const result = await run(process.execPath, ['--no-warnings', '--import', register, MAIN, ...args], { env: { ...process.env, LOBCORE_MODULE_LOG: log } });
  expect(result.code, result.stderr).toBe(0);
  const prefix = pathToFileURL(path.join(ROOT, 'dist/src')).href + '/';
  return fs.readFileSync(log, 'utf8').split('\n').filter((url) => url.startsWith(prefix)).map((url) => url.slice(prefix.length)).sort();
}

describe('what a run imports', () => {
  it('--help and --version import no command\'s module, and nothing of the engine, state machine, cluster or server', async () => {
    for (const args of [['--help'], ['--version'], ['help']]) {
      const modules = await modulesImported(...args);
      expect(modules, args.join(' ')).toEqual(['cli/failure.js', 'cli/flags.js', 'cli/main.js', 'cli/program.js', 'cli/unfinished.js', 'decimal-integer.js', 'errors.js', 'prng.js']);
    }
  });

  it('a command\'s help imports that command\'s module and no other command\'s', async () => {
    const commandModules = ['bench', 'book', 'cluster', 'demo', 'feed', 'fills', 'inspect', 'orders', 'replay', 'serve'].map((name) => `cli/${name}.js`);
    for (const [args, own] of [[['fills', '--help'], 'cli/fills.js'], [['help', 'book'], 'cli/book.js'], [['cluster', 'up', '--help'], 'cli/cluster.js']] as const) {
      const modules = await modulesImported(...args);
      expect(modules.filter((name) => commandModules.includes(name)), args.join(' ')).toEqual([own]);
    }
  });
});
