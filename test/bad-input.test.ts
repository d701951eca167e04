// docs/semantics.md, "Validation": malformed input throws LobError INVALID_ARGUMENT naming the field and the
// value, and changes nothing (state hash, next order id). Every field of every method, every
// wrong kind of value, on both backends.
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, newEngine } from './helpers/backends.js';
import { createEngine } from '../src/engine.js';
import { LobError } from '../src/errors.js';
import type { Engine } from '../src/engine.js';
import { COMMAND_SLOTS, OPERATIONS, Rule, checkRequest, checkedRecord } from '../src/operations.js';
import { CommandBatch, MAX_BATCH_COMMANDS } from '../src/batch.js';
import { CoreStateMachine } from '../src/state/state-machine.js';

type Kind = 'nonNegative' | 'positive' | 'side' | 'timeInForce' | 'stp';
interface FieldSpec {
  field: string;
  kind: Kind;
  optional?: boolean;
}
interface MethodSpec {
  method: 'placeLimit' | 'placeMarket' | 'cancel' | 'reduce' | 'modify' | 'cancelAll' | 'placeStop' | 'placeOco';
  valid: Record<string, unknown>;
  fields: FieldSpec[];
}

const TWO_53 = 2 ** 53;

/** Values wrong for every numeric field; `positive` fields also refuse 0. */
const BAD_NUMBERS: [string, unknown][] = [
  ['null', null],
  ['a string', 'abc'],
  ['a numeric string', '5'],
  ['an empty string', ''],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-1', -1],
  // -0 is 0 to arithmetic, but stored it would hash apart from 0 (src/operations.ts).
  ['-0', -0],
  ['1.5', 1.5],
  ['2^53', TWO_53],
  ['a bigint', 5n],
  ['an object', { value: 5 }],
  ['an array', [5]],
  ['a boolean', true],
];
const BAD_ENUM: [string, unknown][] = [
  ['null', null],
  ['an unknown string', 'sideways'],
  ['a wrong-case string', 'BID'],
  ['an empty string', ''],
  ['a number', 0],
  ['an object', {}],
  ['an array', ['bid']],
];
const MISSING: [string, unknown][] = [
  ['missing', Symbol.for('missing')],
  ['undefined', undefined],
];

function badValuesFor(spec: FieldSpec): [string, unknown][] {
  const values: [string, unknown][] = [];
  if (!spec.optional) values.push(...MISSING);
  if (spec.kind === 'nonNegative' || spec.kind === 'positive') values.push(...BAD_NUMBERS);
  if (spec.kind === 'positive') values.push(['0', 0]);
  if (spec.kind === 'side' || spec.kind === 'timeInForce' || spec.kind === 'stp') {
    values.push(...BAD_ENUM);
    // A valid value of a different enum is still wrong here.
    values.push(['another field\'s enum value', spec.kind === 'side' ? 'GTC' : 'ask']);
  }
  return values;
}

const METHODS: MethodSpec[] = [
  {
    method: 'placeLimit',
    valid: { trader: 1, asset: 1, side: 'bid', price: 100, size: 5, timestamp: 10, timeInForce: 'GTC', stp: 'allow', clientOrderId: 3 },
    fields: [
      { field: 'trader', kind: 'nonNegative' },
      { field: 'asset', kind: 'nonNegative' },
      { field: 'side', kind: 'side' },
      { field: 'price', kind: 'positive' },
      { field: 'size', kind: 'positive' },
      { field: 'timestamp', kind: 'nonNegative' },
      { field: 'timeInForce', kind: 'timeInForce', optional: true },
      { field: 'stp', kind: 'stp', optional: true },
      { field: 'clientOrderId', kind: 'positive', optional: true },
    ],
  },
  {
    method: 'placeMarket',
    valid: { trader: 1, asset: 1, side: 'ask', size: 5, timestamp: 10, protectionPrice: 90, stp: 'cancel_taker', clientOrderId: 4 },
    fields: [
      { field: 'trader', kind: 'nonNegative' },
      { field: 'asset', kind: 'nonNegative' },
      { field: 'side', kind: 'side' },
      { field: 'size', kind: 'positive' },
      { field: 'budget', kind: 'positive', optional: true },
      { field: 'timestamp', kind: 'nonNegative' },
      { field: 'protectionPrice', kind: 'positive', optional: true },
      { field: 'stp', kind: 'stp', optional: true },
      { field: 'clientOrderId', kind: 'positive', optional: true },
    ],
  },
  {
    method: 'cancel',
    valid: { trader: 1, asset: 1, orderId: 1 },
    fields: [
      { field: 'trader', kind: 'nonNegative' },
      { field: 'asset', kind: 'nonNegative' },
      { field: 'orderId', kind: 'positive' },
    ],
  },
  {
    method: 'reduce',
    valid: { trader: 1, asset: 1, orderId: 1, by: 1 },
    fields: [
      { field: 'trader', kind: 'nonNegative' },
      { field: 'asset', kind: 'nonNegative' },
      { field: 'orderId', kind: 'positive' },
      { field: 'by', kind: 'positive' },
    ],
  },
  {
    method: 'modify',
    valid: { trader: 1, asset: 1, orderId: 1, price: 101, size: 9, timestamp: 10 },
    fields: [
      { field: 'trader', kind: 'nonNegative' },
      { field: 'asset', kind: 'nonNegative' },
      { field: 'orderId', kind: 'positive' },
      { field: 'price', kind: 'positive', optional: true },
      { field: 'size', kind: 'positive', optional: true },
      { field: 'timestamp', kind: 'nonNegative' },
    ],
  },
  {
    method: 'cancelAll',
    valid: { trader: 1, asset: 1 },
    fields: [
      { field: 'trader', kind: 'nonNegative' },
      { field: 'asset', kind: 'nonNegative', optional: true },
    ],
  },
  {
    method: 'placeStop',
    valid: { trader: 1, asset: 1, side: 'bid', size: 5, stopPrice: 110, price: 111, timeInForce: 'IOC', stp: 'allow', timestamp: 10, clientOrderId: 5 },
    fields: [
      { field: 'trader', kind: 'nonNegative' },
      { field: 'asset', kind: 'nonNegative' },
      { field: 'side', kind: 'side' },
      { field: 'size', kind: 'positive' },
      { field: 'stopPrice', kind: 'positive' },
      { field: 'price', kind: 'positive', optional: true },
      { field: 'protectionPrice', kind: 'positive', optional: true },
      { field: 'timestamp', kind: 'nonNegative' },
      { field: 'timeInForce', kind: 'timeInForce', optional: true },
      { field: 'stp', kind: 'stp', optional: true },
      { field: 'clientOrderId', kind: 'positive', optional: true },
    ],
  },
  {
    method: 'placeOco',
    valid: { trader: 1, asset: 1, side: 'bid', size: 5, price: 95, stopPrice: 110, stopLimitPrice: 111, stp: 'cancel_both', timestamp: 10, clientOrderId: 6 },
    fields: [
      { field: 'trader', kind: 'nonNegative' },
      { field: 'asset', kind: 'nonNegative' },
      { field: 'side', kind: 'side' },
      { field: 'size', kind: 'positive' },
      { field: 'price', kind: 'positive' },
      { field: 'stopPrice', kind: 'positive' },
      { field: 'stopLimitPrice', kind: 'positive', optional: true },
      { field: 'timestamp', kind: 'nonNegative' },
      { field: 'stp', kind: 'stp', optional: true },
      { field: 'clientOrderId', kind: 'positive', optional: true },
    ],
  },
];

/**
 * Requests whose fields are each fine but do not go together: the field the error must name, per
 * call and (as `commands[1].<field>`) in a batch.
 */
const CROSS_FIELD_CASES: [string, 'placeMarket' | 'placeStop' | 'placeOco' | 'modify', Record<string, unknown>, string][] = [
  ['a market order with a size and a budget', 'placeMarket', { trader: 1, asset: 1, side: 'bid', size: 5, budget: 500, timestamp: 1 }, 'budget'],
  ['a market order with neither a size nor a budget', 'placeMarket', { trader: 1, asset: 1, side: 'bid', timestamp: 1 }, 'size'],
  ['a stop-limit with a protection price', 'placeStop', { trader: 1, asset: 1, side: 'bid', size: 5, stopPrice: 110, price: 111, protectionPrice: 120, timestamp: 1 }, 'protectionPrice'],
  ['a stop-market with a time in force', 'placeStop', { trader: 1, asset: 1, side: 'ask', size: 5, stopPrice: 90, timeInForce: 'IOC', timestamp: 1 }, 'timeInForce'],
  ['a buy OCO whose stop is not above its price', 'placeOco', { trader: 1, asset: 1, side: 'bid', size: 5, price: 110, stopPrice: 110, timestamp: 1 }, 'stopPrice'],
  ['a sell OCO whose stop is not below its price', 'placeOco', { trader: 1, asset: 1, side: 'ask', size: 5, price: 90, stopPrice: 95, timestamp: 1 }, 'stopPrice'],
  ['a modify that changes nothing', 'modify', { trader: 1, asset: 1, orderId: 1, timestamp: 1 }, 'price'],
];

/** How a value should show up in the error message: enough that a person can spot it. */
function renderedValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  return undefined; // objects and arrays: only their kind is required
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectInvalidNaming(error: unknown, field: string): LobError {
  expect(error, `expected a throw for ${field}`).toBeInstanceOf(LobError);
  const e = error as LobError;
  expect(e.code).toBe('INVALID_ARGUMENT');
  expect(e.message).toMatch(new RegExp(`^${field.replace(/[[\].]/g, '\\$&')} `));
  return e;
}

function expectInvalid(error: unknown, field: string, value: unknown): void {
  const e = expectInvalidNaming(error, field);
  const shown = renderedValue(value);
  if (shown !== undefined && shown !== '') expect(e.message).toContain(shown);
}

/** Orders the calls above can touch, so that a wrongly accepted call would visibly change state. */
function seed(engine: Engine): void {
  engine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 10, timestamp: 1 });
  engine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 102, size: 10, timestamp: 2 });
}

describeEachBackend('malformed input', (backend) => {
  let engine: Engine;
  let hash: string;
  let nextOrderId: number;
  beforeAll(async () => {
    engine = await newEngine(backend);
    seed(engine);
    hash = engine.stateHash();
    nextOrderId = engine.nextOrderId;
  });

  function expectUnchanged(): void {
    expect(engine.stateHash()).toBe(hash);
    expect(engine.nextOrderId).toBe(nextOrderId);
  }

  for (const spec of METHODS) {
    describe(spec.method, () => {
      for (const field of spec.fields) {
        it.each(badValuesFor(field))(`${field.field} = %s throws INVALID_ARGUMENT naming it`, (_label, value) => {
          const request: Record<string, unknown> = { ...spec.valid };
          if (value === Symbol.for('missing')) delete request[field.field];
          else request[field.field] = value;
          const call = (engine[spec.method] as (r: unknown) => unknown).bind(engine);
          expectInvalid(catchError(() => call(request)), field.field, value === Symbol.for('missing') ? undefined : value);
          expectUnchanged();
        });
      }

      it.each([
        ['undefined', undefined],
        ['null', null],
        ['a number', 42],
        ['a string', 'order'],
        ['an array', [spec.valid]],
      ])('a request that is %s throws INVALID_ARGUMENT', (_label, request) => {
        const call = (engine[spec.method] as (r: unknown) => unknown).bind(engine);
        const error = catchError(() => call(request));
        expect(error).toBeInstanceOf(LobError);
        expect((error as LobError).code).toBe('INVALID_ARGUMENT');
        expect((error as LobError).message).toContain('request');
        expectUnchanged();
      });
    });
  }

  it.each(CROSS_FIELD_CASES)('%s throws INVALID_ARGUMENT naming the field, per call and in a batch', (_label, method, request, field) => {
    const call = (engine[method] as (r: unknown) => unknown).bind(engine);
    expectInvalidNaming(catchError(() => call(request)), field);
    expectUnchanged();
    // In a batch the record carries the same values (absent: 0), checked inside the core.
    const spec = OPERATIONS.find((s) => s.method === method)!;
    const record = new Float64Array(COMMAND_SLOTS);
    record[0] = spec.op | (request.side === 'ask' ? 1 << 4 : 0) | (request.timeInForce === 'IOC' ? 1 << 8 : 0);
    for (const f of spec.fields) record[f.slot] = (request[f.name] as number | undefined) ?? 0;
    const batch = new CommandBatch(3);
    batch.limit(2, 1, 'bid', 101, 1, 5);
    batch.push(record[0], record[1], record[2], record[3], record[4], record[5], record[6], record[7], record[8], record[9], record[10]);
    expectInvalidNaming(catchError(() => engine.submitBatch(batch)), `commands[1].${field}`);
    expectUnchanged();
  });

  it('the valid requests above are accepted (so the failures are about the field, not the base request)', async () => {
    const fresh = await newEngine(backend);
    seed(fresh);
    for (const spec of METHODS) {
      const call = (fresh[spec.method] as (r: unknown) => unknown).bind(fresh);
      expect(() => call({ ...spec.valid })).not.toThrow();
    }
  });

  it('a field another operation takes and this one does not (a market order\'s price, a cancel\'s timestamp) throws INVALID_ARGUMENT naming it, per call and through the state machine', async () => {
    const namesOf = (spec: (typeof OPERATIONS)[number]): string[] => [
      ...spec.fields.map((f) => f.name), ...(spec.side ? ['side'] : []), ...(spec.timeInForce ? ['timeInForce'] : []), ...(spec.stp ? ['stp'] : []),
    ];
    const every = new Set(OPERATIONS.flatMap(namesOf));
    const machine = await CoreStateMachine.open({ backend });
    seed(machine as unknown as Engine);
    const machineHash = machine.stateHash();
    let refused = 0;
    for (const spec of METHODS) {
      const own = new Set(namesOf(OPERATIONS.find((o) => o.method === spec.method)!));
      for (const name of every) {
        if (own.has(name)) continue;
        const request = { ...spec.valid, [name]: 1 };
        expect(catchError(() => (engine[spec.method] as (r: unknown) => unknown).call(engine, request)), `${spec.method}.${name}`)
          .toMatchObject({ code: 'INVALID_ARGUMENT', message: `${name} must be absent (${spec.method} takes no ${name}), got 1` });
        expectUnchanged();
        expect(catchError(() => (machine[spec.method] as (r: unknown) => unknown).call(machine, request)), `state machine ${spec.method}.${name}`)
          .toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(new RegExp(`^${name} must be absent`)) });
        refused++;
      }
    }
    expect(machine.stateHash()).toBe(machineHash);
    expect(refused).toBeGreaterThan(40);
    await machine.close();
  });

  it('describes a value that is not a number for what it is: a bigint as 100n, a boxed number as an object', () => {
    const limit = { trader: 1, asset: 1, side: 'bid' as const, price: 100, size: 1, timestamp: 3 };
    expect(catchError(() => engine.placeLimit({ ...limit, price: 100n as unknown as number })))
      .toMatchObject({ message: 'price must be a positive safe integer, got 100n (a bigint)' });
    // eslint-disable-next-line no-new-wrappers
    expect(catchError(() => engine.placeLimit({ ...limit, size: new Number(5) as unknown as number })))
      .toMatchObject({ message: 'size must be a positive safe integer, got an object' });
    expectUnchanged();
  });

  describe('query arguments', () => {
    it.each([['0', 0], ...BAD_NUMBERS])('depth levels = %s throws INVALID_ARGUMENT naming levels', (_label, value) => {
      expectInvalid(catchError(() => engine.depth(1, value as number)), 'levels', value);
      expectUnchanged();
    });

    it.each(BAD_NUMBERS)('bestBid, bestAsk, depth and orders with asset = %s throw INVALID_ARGUMENT', (_label, value) => {
      for (const query of [
        () => engine.bestBid(value as number),
        () => engine.bestAsk(value as number),
        () => engine.depth(value as number),
        () => engine.orders(value as number),
      ]) {
        expectInvalid(catchError(query), 'asset', value);
      }
    });

    it.each(BAD_NUMBERS)('order(id) with id = %s throws INVALID_ARGUMENT', (_label, value) => {
      expectInvalid(catchError(() => engine.order(value as number)), 'orderId', value);
    });
  });
});

describeEachBackend('createEngine limits', (backend) => {
  const bad: [string, unknown][] = [['-1', -1], ['1.5', 1.5], ['NaN', NaN], ['a string', '10'], ['null', null], ['2^53', TWO_53]];
  for (const field of ['maxOrders', 'maxLevels', 'maxMemoryBytes']) {
    it(`${field} that is not a positive safe integer rejects INVALID_ARGUMENT naming it`, async () => {
      for (const [, value] of bad) {
        const error = await createEngine({ backend, [field]: value }).then(() => undefined, (e: unknown) => e);
        expectInvalid(error, field, value);
      }
    });
  }
});

describeEachBackend('createEngine events', (backend) => {
  it.each([['a string', 'false'], ['0', 0], ['null', null], ['an object', {}]])('events = %s rejects INVALID_ARGUMENT naming it', async (_label, value) => {
    const error = await createEngine({ backend, events: value as boolean }).then(() => undefined, (e: unknown) => e);
    expectInvalid(error, 'events', value);
  });
});

describe('createEngine', () => {
  it.each(['WASM', 'native', '', 'rust', null])('with an unknown backend "%s" rejects INVALID_ARGUMENT naming it', async (backend) => {
    const error = await createEngine({ backend: backend as 'wasm' }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(LobError);
    expect((error as LobError).code).toBe('INVALID_ARGUMENT');
    expect((error as LobError).message).toContain('backend');
    if (backend !== '') expect((error as LobError).message).toContain(String(backend));
  });
});

describeEachBackend('unknown options', (backend) => {
  it('a misspelt option of createEngine, CoreStateMachine.open, autoFlush or subscribe rejects INVALID_ARGUMENT naming it', async () => {
    const refusal = (name: string, of: string) => ({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(new RegExp(`^${name} is not an option of ${of} \\(`)) });
    await expect(createEngine({ backend, maxOrdrs: 3 } as never)).rejects.toMatchObject(refusal('maxOrdrs', 'createEngine'));
    await expect(CoreStateMachine.open({ backend, checkpointIntrval: 3 } as never)).rejects.toMatchObject(refusal('checkpointIntrval', 'CoreStateMachine.open'));
    await expect(CoreStateMachine.open({ backend, autoFlush: { operatons: 5 } } as never)).rejects.toMatchObject(refusal('operatons', 'autoFlush'));
    await expect(CoreStateMachine.open({ backend, autoFlush: 5 } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'autoFlush must be an object, got 5' });
    const machine = await CoreStateMachine.open({ backend });
    expect(catchError(() => machine.subscribe({ asset: [1] } as never))).toMatchObject(refusal('asset', 'subscribe'));
    expect(machine.subscribe({ assets: [1], maxBuffered: 5 })).toBeDefined();
    await machine.close();
  });

  it('a misspelt key of a history query (getTraderOrders, getTraderFills, getOrderFills) rejects INVALID_ARGUMENT naming it, and the right keys still answer', async () => {
    const refusal = (name: string, of: string) => ({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(new RegExp(`^${name} is not an option of ${of} \\(`)) });
    const machine = await CoreStateMachine.open({ backend });
    machine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 10, timestamp: 1 });
    machine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 100, size: 4, timestamp: 2 });
    // { open: 'yes' } would have answered with every order, as if no filter were asked for.
    await expect(machine.getTraderOrders(1, { open: 'yes' } as never)).rejects.toMatchObject(refusal('open', 'getTraderOrders'));
    await expect(machine.getTraderOrders(1, { status: 'open', newest: true } as never)).rejects.toMatchObject(refusal('newest', 'getTraderOrders'));
    await expect(machine.getTraderFills(1, { fromHieght: 5 } as never)).rejects.toMatchObject(refusal('fromHieght', 'getTraderFills'));
    await expect(machine.getOrderFills(1, { status: 'all' } as never)).rejects.toMatchObject(refusal('status', 'getOrderFills'));
    expect(await machine.getTraderOrders(1, { status: 'open', newestFirst: true, fromHeight: 0, toHeight: 5, after: 0, limit: 5 })).toHaveLength(1);
    expect(await machine.getTraderFills(1, { newestFirst: false, fromHeight: 0, toHeight: 5, after: 0, limit: 5 })).toHaveLength(1);
    expect(await machine.getOrderFills(1, { after: 0, limit: 5 })).toHaveLength(1);
    await machine.close();
  });
});

describe('the table of operations', () => {
  it('every operation and every field it takes has its bad-input cases above', () => {
    for (const spec of OPERATIONS) {
      const method = METHODS.find((m) => m.method === spec.method);
      expect(method, spec.method).toBeDefined();
      const tested = new Set(method!.fields.map((f) => f.field));
      for (const field of spec.fields) expect(tested.has(field.name), `${spec.method}.${field.name}`).toBe(true);
      if (spec.side) expect(tested.has('side'), `${spec.method}.side`).toBe(true);
      if (spec.timeInForce) expect(tested.has('timeInForce'), `${spec.method}.timeInForce`).toBe(true);
      if (spec.stp) expect(tested.has('stp'), `${spec.method}.stp`).toBe(true);
    }
  });
});

/** Slot values wrong for a rule (a batch carries only numbers). */
function badSlotValues(rule: number): number[] {
  const values = [NaN, Infinity, -Infinity, -1, -0, 1.5, TWO_53];
  if (rule === Rule.POSITIVE) values.push(0);
  return values;
}

describeEachBackend('malformed batches, checked inside the core', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await newEngine(backend);
    seed(engine);
  });

  for (const spec of OPERATIONS) {
    const valid = METHODS.find((m) => m.method === spec.method)!.valid;
    for (const field of spec.fields) {
      for (const value of badSlotValues(field.rule)) {
        it(`${spec.method} with ${field.name} = ${value}, second of three, throws naming commands[1].${field.name}`, () => {
          checkRequest[spec.method](valid);
          const record = checkedRecord.slice();
          record[field.slot] = value;
          const batch = new CommandBatch(3);
          batch.limit(2, 1, 'bid', 101, 1, 5); // would trade if applied
          batch.push(record[0], record[1], record[2], record[3], record[4], record[5], record[6], record[7], record[8], record[9], record[10]);
          batch.cancel(1, 1, 1);
          const hash = engine.stateHash();
          const next = engine.nextOrderId;
          const error = catchError(() => engine.submitBatch(batch));
          expectInvalid(error, `commands[1].${field.name}`, value);
          expect(engine.stateHash()).toBe(hash);
          expect(engine.nextOrderId).toBe(next);
        });
      }
    }
  }
});

/** A request whose `field` answers `values[k]` on its k-th read (the last one after that), or throws an Error given there. */
function changingField<T extends object>(base: T, field: keyof T & string, values: unknown[]): T {
  const request = { ...base };
  let reads = 0;
  Object.defineProperty(request, field, {
    enumerable: true,
    get() {
      const value = values[Math.min(reads++, values.length - 1)];
      if (value instanceof Error) throw value;
      return value;
    },
  });
  return request;
}

describeEachBackend('a request read once', (backend) => {
  const limit = { trader: 1, asset: 7, side: 'ask' as const, price: 100, size: 5, timestamp: 1 };

  it('applies what it checked, whatever a getter answers the next time, and a getter that throws later fails nothing', async () => {
    for (const [field, later] of [['price', Number.NaN], ['price', -5], ['size', 0.5], ['size', 2 ** 60], ['trader', -0], ['price', new Error('second read')]] as const) {
      const engine = await newEngine(backend);
      const result = engine.placeLimit(changingField(limit, field, [limit[field], later]));
      expect(result.status, `${field} then ${String(later)}`).toBe('resting');
      expect(engine.orders(7).map((o) => [o.trader, o.price, o.remaining])).toEqual([[1, 100, 5]]);
      expect(engine.placeLimit({ ...limit, side: 'bid', trader: 2 }).status).toBe('filled');
    }
  });

  it('refuses a getter that throws on its first read with its own error, and changes nothing', async () => {
    const engine = await newEngine(backend);
    const before = engine.stateHash();
    expect(() => engine.placeLimit(changingField(limit, 'price', [new Error('first read')]))).toThrowError('first read');
    expect(engine.stateHash()).toBe(before);
    expect(engine.placeLimit(limit).status).toBe('resting');
  });

  it('keeps each request its own when a getter places another one meanwhile, per call and in a batch', async () => {
    const engine = await newEngine(backend);
    const inner = { trader: 99, asset: 2, side: 'ask' as const, price: 500, size: 1, timestamp: 2 };
    const outer = { ...limit, side: 'bid' as const, get price() { engine.placeLimit(inner); return 100; } };
    engine.placeLimit(outer);
    expect(engine.orders(7).map((o) => [o.trader, o.side, o.price])).toEqual([[1, 'bid', 100]]);
    expect(engine.orders(2).map((o) => [o.trader, o.side, o.price])).toEqual([[99, 'ask', 500]]);
    const batch = new CommandBatch(1);
    batch.request('placeLimit', { ...limit, get price() { batch.request('placeLimit', inner); return 100; } });
    expect(batch.count).toBe(2);
    const other = await newEngine(backend);
    other.submitBatch(batch);
    expect(other.orders(2).map((o) => o.trader)).toEqual([99]);
    expect(other.orders(7).map((o) => o.trader)).toEqual([1]);
  });

  it('refuses a batch too big for memory CAPACITY, not with a RangeError, and serves on', async () => {
    const engine = await newEngine(backend);
    const noRoom = (commands: number) =>
      expect.objectContaining({ code: 'CAPACITY', message: expect.stringMatching(new RegExp(`^no room for a batch of ${commands} commands .*; no batch was made$`)) });
    // One past the most a batch holds is refused before anything is allocated.
    for (const commands of [MAX_BATCH_COMMANDS + 1, 2 ** 31, 2 ** 40]) {
      expect(() => engine.createBatch(commands)).toThrowError(noRoom(commands));
      expect(() => new CommandBatch(commands)).toThrowError(noRoom(commands));
    }
    expect(engine.placeLimit(limit).status).toBe('resting');
  });

  it('builds a batch from what it checked, and a refused request adds no record', async () => {
    const engine = await newEngine(backend);
    const batch = new CommandBatch(4).limit(9, 7, 'bid', 50, 3, 1);
    batch.clear();
    batch.request('placeLimit', changingField(limit, 'side', ['ask', 'sideways']));
    expect(() => batch.request('placeLimit', changingField(limit, 'price', [new Error('first read')]))).toThrowError('first read');
    expect(batch.count).toBe(1);
    engine.submitBatch(batch);
    expect(engine.orders(7).map((o) => [o.side, o.price, o.remaining])).toEqual([['ask', 100, 5]]);
  });
});
