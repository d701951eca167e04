// The request types refuse at compile time what the engine refuses with INVALID_ARGUMENT (a
// market order's size and budget both, a stop-market's time in force, a modify of nothing, ...):
// test/fixtures/request-types.ts holds the cases, refused ones under @ts-expect-error. Checked
// here on its own with tsc, where a refusal the types no longer make is an unused directive, and
// run on an engine, where each refusal must be the engine's too.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { createEngine } from '../src/engine.js';
import { LobError } from '../src/errors.js';
import { OPERATIONS } from '../src/operations.js';
import type { RequestField } from '../src/types.js';
import { accepted, refused, type Run } from './fixtures/request-types.js';
import { ROOT, run } from './helpers/cli.js';

async function outcome(call: Run): Promise<unknown> {
  const engine = await createEngine({ backend: 'js' });
  try {
    call(engine, new CommandBatch(1));
    return 'ok';
  } catch (error) {
    return error;
  }
}

/** RequestField as a value: `satisfies` fails the type check if a name is missing or unknown. */
const REQUEST_FIELDS = {
  trader: 0, asset: 0, orderId: 0, side: 0, price: 0, size: 0, budget: 0, by: 0, protectionPrice: 0,
  stopPrice: 0, stopLimitPrice: 0, timestamp: 0, timeInForce: 0, stp: 0, clientOrderId: 0,
} satisfies Record<RequestField, 0>;

describe('request types', () => {
  it('RequestField names every field of the table of operations, and only those', () => {
    const names = new Set(OPERATIONS.flatMap((spec) => [
      ...spec.fields.map((field) => field.name),
      ...(spec.side ? ['side'] : []), ...(spec.timeInForce ? ['timeInForce'] : []), ...(spec.stp ? ['stp'] : []),
    ]));
    expect([...names].sort()).toEqual(Object.keys(REQUEST_FIELDS).sort());
  });

  it('type-check as the cases say: each @ts-expect-error line is an error, no other line is', async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'lobcore-request-types-'));
    try {
      fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
        extends: path.join(ROOT, 'tsconfig.json'),
        compilerOptions: { noEmit: true, rootDir: ROOT, noUnusedLocals: true, typeRoots: [path.join(ROOT, 'node_modules/@types')] },
        include: [],
        files: [path.join(ROOT, 'test/fixtures/request-types.ts')],
      }));
      const result = await run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', project, '--pretty', 'false'], { timeoutMs: 60_000 });
      expect(`${result.stdout}${result.stderr}`).toBe('');
      expect(result.code).toBe(0);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it.each(Object.entries(refused))('%s: refused at run time too, naming the same field', async (_name, [field, call]) => {
    const error = await outcome(call);
    expect(error).toBeInstanceOf(LobError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(new RegExp(`^${field} must be `)) });
  });

  it.each(Object.entries(accepted))('%s: accepted at run time', async (_name, call) => {
    expect(await outcome(call)).toBe('ok');
  });
});
