// Flag value parsers and the options several commands share. Parsers run while commander reads
// argv, so a bad value fails before any command touches a file or a database.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseDecimalInteger } from '../decimal-integer.js';
import { MAX_SEED } from '../prng.js';
import type { BackendName } from '../types.js';

function parseInteger(text: string, minimum: number, maximum: number, expected: string): number {
  const value = parseDecimalInteger(text);
  if (value === undefined || value < minimum || value > maximum) {
    throw new InvalidArgumentError(`expected ${expected}`);
  }
  return value;
}

/** A whole number in [1, maximum]. */
export function positiveInteger(maximum = Number.MAX_SAFE_INTEGER): (text: string) => number {
  const expected = maximum === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${maximum}`;
  return (text) => parseInteger(text, 1, maximum, expected);
}

/** A whole number in [0, 2^53 - 1]: ids, sequence numbers. */
export function nonNegativeInteger(text: string): number {
  return parseInteger(text, 0, Number.MAX_SAFE_INTEGER, 'a non-negative integer');
}

/** The seeded generators keep 32 bits of state: a larger seed would silently alias a smaller one. */
export function seed(text: string): number {
  return parseInteger(text, 0, MAX_SEED, `an integer from 0 to ${MAX_SEED}`);
}

export const BACKENDS: readonly BackendName[] = ['wasm', 'js'];

export function backendOption(): Option {
  return new Option('--backend <name>', 'matching core').choices(BACKENDS).default('wasm');
}

export function jsonOption(): Option {
  return new Option('--json', 'print one JSON document on stdout instead of text (no progress bars)');
}

/** A TCP port; 0 lets the system pick a free one. */
export function port(text: string): number {
  return parseInteger(text, 0, 65_535, 'a port from 0 to 65535');
}

/**
 * Commander gives an option that needs a value whatever word follows it, a flag included: with
 * its value forgotten, `--db --json` named a database --json. No value of ours starts with -.
 */
function refuseFlag(text: string, expected: string, note = ''): void {
  if (text.startsWith('-')) throw new InvalidArgumentError(`expected ${expected}, not the flag ${text}${note}`);
}

/** An address to listen on. Node takes an empty one for every interface: that is 0.0.0.0 or ::, said on purpose. */
export function host(text: string): string {
  if (text.trim() === '') throw new InvalidArgumentError('expected an address (0.0.0.0 or :: for every interface)');
  refuseFlag(text, 'an address');
  return text;
}

/** A file or directory. An empty path resolves to the current directory, which typing nothing does not mean. */
export function nonEmptyPath(text: string): string {
  if (text === '') throw new InvalidArgumentError('expected a path, not an empty string');
  return text;
}

/** A path given as an option's value: not empty, and not the next flag (./-name is a path that starts with -). */
export function optionPath(text: string): string {
  nonEmptyPath(text);
  refuseFlag(text, 'a path', ` (./${text} names a path that starts with -)`);
  return text;
}

/**
 * Commander keeps the last of a flag's values: `replay F --db a --db b` wrote to b without a word.
 * A value given twice is a typing mistake, so it is refused, for every command under `command`,
 * while argv is read (before any action). A boolean flag said twice means what it says once,
 * and is left alone; so would be a variadic one, whose repeats are its values (none of ours is).
 */
export function refuseRepeatedValues(command: Command): void {
  // What each flag was given, as typed; a command is parsed once (runCli builds a new program each time).
  const given = new Map<string, string>();
  for (const option of command.options) {
    if ((!option.required && !option.optional) || option.variadic) continue;
    command.on(`option:${option.name()}`, (value: string | undefined) => {
      const typed = value ?? '';
      const first = given.get(option.name());
      if (first !== undefined) command.error(`option '${option.flags}' given twice ('${first}', then '${typed}'): give it once`, { code: 'lobcore.repeatedOption' });
      given.set(option.name(), typed);
    });
  }
  for (const sub of command.commands) refuseRepeatedValues(sub);
}
