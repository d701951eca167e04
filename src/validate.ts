// Checks of single values for the calls that are not operations (queries, options, history
// pages). Operations are checked from the table in src/operations.ts.
import { invalidArgument } from './errors.js';
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from './operations.js';

export { isNonNegativeSafeInteger, isPositiveSafeInteger } from './operations.js';

export function requireNonNegative(field: string, value: unknown): void {
  if (!isNonNegativeSafeInteger(value)) throw invalidArgument(field, 'a non-negative safe integer', value);
}

export function requirePositive(field: string, value: unknown): void {
  if (!isPositiveSafeInteger(value)) throw invalidArgument(field, 'a positive safe integer', value);
}
