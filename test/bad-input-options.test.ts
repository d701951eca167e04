// An options or query argument that is not a plain object (stop 58): an array, a function, a Date
// or a Map passed the old `typeof === 'object'` check (or, for a function, the type), had none of
// the options as its own keys, and was read as no options at all, every default in force without a
// word. Each entry below took one before its fix; each now refuses it with INVALID_ARGUMENT naming
// the parameter, and changes nothing.
import * as fs from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { ClusterClient } from '../src/cluster/client.js';
import { roundRobinLayout } from '../src/cluster/layout.js';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { ShardMember } from '../src/cluster/member.js';
import { NatsCluster } from '../src/cluster/nats/servers.js';
import type { ClusterDescription } from '../src/cluster/nats/description.js';
import { createEngine } from '../src/engine.js';
import { startServer } from '../src/serve/server.js';
import { CoreStateMachine } from '../src/state/state-machine.js';
import { requireOptions } from '../src/validate.js';
import { tempDir } from './fixtures/state-helpers.js';

// What each is called in the message, after "got ".
const NOT_PLAIN: [string, unknown][] = [
  ['an array', []],
  ['a function', () => ({})],
  ['a Date', new Date(0)],
  ['a Map', new Map([['limit', 1]])],
  ['a Set', new Set()],
  ['a Number', Object(5)],
];

function refusal(field: string, described: string): object {
  return expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `${field} must be an object, got ${described}` });
}

describe('requireOptions', () => {
  it('takes a plain object, one without a prototype and a class instance, and refuses what is not one, naming the field', () => {
    class Settings { limit = 5; }
    for (const good of [{}, { limit: 1 }, Object.create(null), new Settings()]) expect(() => requireOptions('query', good)).not.toThrow();
    for (const [described, bad] of [...NOT_PLAIN, ['null', null], ['5', 5], ['"x"', 'x']] as [string, unknown][]) {
      expect(() => requireOptions('query', bad), described).toThrowError(refusal('query', described));
    }
  });
});

describe('createEngine and CoreStateMachine.open', () => {
  it('refuse options that are not a plain object, and an autoFlush that is not one', async () => {
    for (const [described, bad] of NOT_PLAIN) {
      await expect(createEngine(bad as never), described).rejects.toThrowError(refusal('options', described));
      await expect(CoreStateMachine.open(bad as never), described).rejects.toThrowError(refusal('options', described));
      await expect(CoreStateMachine.open({ autoFlush: bad } as never), described).rejects.toThrowError(refusal('autoFlush', described));
    }
  });

  it('refuse them on a path before anything is created there', async () => {
    const dir = tempDir('options-open');
    await expect(CoreStateMachine.open({ path: `${dir}/db`, autoFlush: [] } as never)).rejects.toThrowError(refusal('autoFlush', 'an array'));
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('a state machine\'s subscribe and history queries', () => {
  it('refuse options and queries that are not a plain object, and a fromSeq that is a Map or an array (read as another map)', async () => {
    const machine = await CoreStateMachine.open();
    try {
      machine.placeLimit({ trader: 1, asset: 1, side: 'bid', price: 100, size: 5, timestamp: 1 });
      machine.placeLimit({ trader: 2, asset: 1, side: 'ask', price: 100, size: 2, timestamp: 2 });
      for (const [described, bad] of NOT_PLAIN) {
        expect(() => machine.subscribe(bad as never), described).toThrowError(refusal('options', described));
        await expect(machine.getOrderFills(1, bad as never), described).rejects.toThrowError(refusal('query', described));
        await expect(machine.getTraderFills(1, bad as never), described).rejects.toThrowError(refusal('query', described));
        await expect(machine.getTraderOrders(1, bad as never), described).rejects.toThrowError(refusal('query', described));
        await expect(machine.getOrderEventPage(1, bad as never), described).rejects.toThrowError(refusal('query', described));
      }
      // new Map([[1, 1]]) has no entries as an object (fromSeq was empty: live only, no replay);
      // [1] has the entry 0 -> 1 (asset 0 from seq 1).
      expect(() => machine.subscribe({ assets: [1], fromSeq: new Map([[1, 1]]) } as never)).toThrowError(refusal('fromSeq', 'a Map'));
      expect(() => machine.subscribe({ assets: [0, 1], fromSeq: [1] } as never)).toThrowError(refusal('fromSeq', 'an array'));
      // What is taken still is: a fill page and a replay from seq 1.
      expect(await machine.getOrderFills(1, { limit: 10 })).toHaveLength(1);
      const subscription = machine.subscribe({ assets: [1], fromSeq: { 1: 1 } });
      subscription.close();
    } finally {
      await machine.close();
    }
  });
});

describe('the cluster\'s and the server\'s options', () => {
  it('are refused when not a plain object, before connecting, starting or stopping anything', async () => {
    const description = { layout: roundRobinLayout(1, 2) } as ClusterDescription;
    const connection = { request: () => new Promise(() => {}), close: () => Promise.resolve() } as unknown as NatsConnection;
    const runDir = tempDir('options-cluster');
    for (const [described, bad] of NOT_PLAIN) {
      expect(() => new ClusterClient(connection, description, bad as never), described).toThrowError(refusal('options', described));
      await expect(ClusterClient.connect('/nonexistent-run-dir', description, bad as never), described).rejects.toThrowError(refusal('options', described));
      await expect(LocalCluster.start(bad as never), described).rejects.toThrowError(refusal('options', described));
      await expect(NatsCluster.start(bad as never), described).rejects.toThrowError(refusal('options', described));
      expect(() => new ShardMember(bad as never), described).toThrowError(refusal('options', described));
      await expect(startServer(bad as never), described).rejects.toThrowError(refusal('options', described));
      await expect(startServer({ limits: bad } as never), described).rejects.toThrowError(refusal('limits', described));
      // Before its members stop: on a cluster of nothing, a check that let it through would fail reading them.
      await expect(LocalCluster.prototype.stop.call({} as LocalCluster, bad as never), described).rejects.toThrowError(refusal('options', described));
    }
    expect(fs.readdirSync(runDir)).toEqual([]);
    const stopping = (options: object): Promise<void> => LocalCluster.prototype.stop.call({} as LocalCluster, options as never);
    await expect(stopping({ keepRundir: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'keepRundir is not an option of LocalCluster.stop (keepRunDir)' });
    await expect(stopping({ keepRunDir: 'yes' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'keepRunDir must be a boolean, got "yes"' });
  });
});
