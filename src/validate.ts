// Checks of single values for the calls that are not operations (queries, options, history
// pages). Operations are checked from the table in src/operations.ts.
import { describeValue, invalidArgument, LobError } from './errors.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from './operations.js';

export { isNonNegativeSafeInteger, isPositiveSafeInteger } from './operations.js';

export function requireNonNegative(field: string, value: unknown): void {
  if (!isNonNegativeSafeInteger(value)) throw invalidArgument(field, 'a non-negative safe integer', value);
}

export function requirePositive(field: string, value: unknown): void {
  if (!isPositiveSafeInteger(value)) throw invalidArgument(field, 'a positive safe integer', value);
}

/**
 * The longest delay setTimeout keeps, 2^31 - 1 ms (24.8 days): a longer one fires after 1 ms, with
 * a warning of several lines on stderr.
 */
export const MAX_TIMER_MS = 0x7fff_ffff;

/** A delay in milliseconds that a timer holds: a safe integer from `least` up to MAX_TIMER_MS. */
export function requireTimerMs(field: string, value: unknown, least: 0 | 1): void {
  const whole = least === 0 ? isNonNegativeSafeInteger(value) : isPositiveSafeInteger(value);
  if (!whole || (value as number) > MAX_TIMER_MS) {
    throw invalidArgument(field, `a ${least === 0 ? 'non-negative' : 'positive'} safe integer at most ${MAX_TIMER_MS} (what a timer holds)`, value);
  }
}

/**
 * An optional field's value, or `fallback` when it is absent. Only undefined is absent: a null is
 * a value like any other, and the field's own check refuses it, as the per-call requests do
 * (`??` would have taken null for absent).
 */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/**
 * An options (or query) object `field` (requireOptions) carrying no name but one of `known`: a
 * misspelt option (`maxOrdrs`) would otherwise leave its default in force without a word. For
 * options, read once; not for the per-call requests, where walking the keys would cost every call.
 */
export function refuseUnknownOptions(field: string, options: unknown, known: readonly string[], of: string): asserts options is object {
  requireOptions(field, options);
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new LobError('INVALID_ARGUMENT', `${name} is not an option of ${of} (${known.join(', ')})`);
  }
}

/**
 * An options (or query) object: a plain `{ ... }`. An array, a function, a Date or a Map passes
 * `typeof value === 'object'` (or is called an object by the type), has none of the options as
 * own keys, and was read as no options at all, its defaults in force without a word. The tag is
 * asked rather than the prototype so that an object from another realm (a vm context, a worker's
 * structured clone) still counts; a class instance counts too, as its fields are read as options.
 */
export function requireOptions(field: string, value: unknown): asserts value is object {
  if (typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object Object]') return;
  throw new LobError('INVALID_ARGUMENT', `${field} must be an object, got ${describeOptions(value)}`);
}

function describeOptions(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return describeValue(value);
  const kind = Object.prototype.toString.call(value).slice(8, -1);
  return `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind}`;
}
