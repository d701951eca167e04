import { expect } from 'vitest';

/** Byte equality without a slow element-by-element diff of large arrays. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what = 'snapshot'): void {
  expect(actual.byteLength, what).toBe(expected.byteLength);
  expect(Buffer.compare(actual, expected), what).toBe(0);
}
