// The WASM core cannot import src/codes.ts, so assembly/codes.ts mirrors it by hand, and the JS
// core keeps its own copy as const enums that compile to literals (src/js-core/codes.ts): this
// keeps the three from drifting apart, name for name and value for value.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FILL_SLOTS, RESULT_SLOTS } from '../src/batch.js';
import { EventCode, Op, OrderTypeCode, ReasonCode, SideCode, StatusCode, StpCode, TifCode } from '../src/codes.js';
import { EVENT_SLOTS, EventHead } from '../src/events.js';
import { COMMAND_SLOTS, Head, Slot } from '../src/operations.js';

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

/** Each `export const enum Name { A = 1, B = 1 << 16 }` of the file, as name -> (member -> value). */
function constEnums(path: string): Map<string, Map<string, number>> {
  const enums = new Map<string, Map<string, number>>();
  for (const [, name, body] of readFileSync(new URL(path, import.meta.url), 'utf8').matchAll(/export const enum (\w+) \{([^}]*)\}/g)) {
    const members = new Map<string, number>();
    for (const [, member, value, shift] of body.matchAll(/(\w+) = (\d+)(?: << (\d+))?/g)) {
      members.set(member, shift === undefined ? Number(value) : Number(value) * 2 ** Number(shift));
    }
    enums.set(name, members);
  }
  return enums;
}

describe('src/js-core/codes.ts mirrors the shared codes and layouts', () => {
  const enums = constEnums('../src/js-core/codes.ts');
  const mirrored: [string, Record<string, number>][] = [
    ['Op', Op], ['SideCode', SideCode], ['TifCode', TifCode], ['StpCode', StpCode], ['StatusCode', StatusCode],
    ['ReasonCode', ReasonCode], ['EventCode', EventCode], ['OrderTypeCode', OrderTypeCode], ['EventHead', EventHead],
    ['Slot', Slot], ['Head', Head],
    ['Slots', { COMMAND: COMMAND_SLOTS, RESULT: RESULT_SLOTS, FILL: FILL_SLOTS, EVENT: EVENT_SLOTS }],
  ];
  it.each(mirrored)('%s agrees', (name, shared) => {
    const members = enums.get(name);
    expect(members, name).toBeDefined();
    expect(Object.fromEntries(members!)).toEqual(shared);
  });
  it('mirrors nothing else (No, the JS core\'s own "no slot", is not shared)', () => {
    expect([...enums.keys()].filter((name) => name !== 'No').sort()).toEqual(mirrored.map(([name]) => name).sort());
  });
});
