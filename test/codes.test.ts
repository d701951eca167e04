// The WASM core cannot import src/codes.ts, so assembly/codes.ts mirrors it by hand: this keeps
// the two from drifting apart, name for name and value for value.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventCode, Op, OrderTypeCode, ReasonCode, SideCode, StatusCode, StpCode, TifCode } from '../src/codes.js';

const assemblyCodes = new Map<string, number>();
for (const match of readFileSync(new URL('../assembly/codes.ts', import.meta.url), 'utf8')
  .matchAll(/export const (\w+): u32 = (\d+);/g)) {
  assemblyCodes.set(match[1], Number(match[2]));
}

const families: [string, Record<string, number>][] = [
  ['OP', Op], ['SIDE', SideCode], ['TIF', TifCode], ['STP', StpCode], ['STATUS', StatusCode], ['REASON', ReasonCode],
  ['EVENT', EventCode], ['ORDER_TYPE', OrderTypeCode],
];

describe('assembly/codes.ts mirrors src/codes.ts', () => {
  it.each(families)('%s codes agree', (prefix, codes) => {
    const mirrored = [...assemblyCodes].filter(([name]) => name.startsWith(`${prefix}_`));
    expect(mirrored.length).toBe(Object.keys(codes).length);
    for (const [name, value] of Object.entries(codes)) {
      expect(assemblyCodes.get(`${prefix}_${name}`), `${prefix}_${name}`).toBe(value);
    }
  });
});
