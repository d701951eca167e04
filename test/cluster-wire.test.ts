// The cluster's binary messages and the chain rule, without a network: what a replica applies
// and what it skips is decided here, identically on every member.
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CommandBatch } from '../src/batch.js';
import { LobError } from '../src/errors.js';
import { AppliedRequests } from '../src/cluster/applied-requests.js';
import { ReplyCache } from '../src/cluster/reply-cache.js';
import { advance, genesis, judge } from '../src/cluster/chain.js';
import { failoverStall, longestCommitGap } from '../src/cluster/commit-gaps.js';
import { HashAudit, type Divergence } from '../src/cluster/hash-audit.js';
import { deliveryOf } from '../src/cluster/follower.js';
import { roundRobinLayout, checkLayout } from '../src/cluster/layout.js';
import { ShardRouter } from '../src/cluster/router.js';
import { ShardState } from '../src/cluster/shard-state.js';
import { appendLedgerEntry, readLedger, type LedgerEntry } from '../src/cluster/checkpoint-ledger.js';
import type { CoreStateMachine } from '../src/state/state-machine.js';
import { decodeRecord, encodeRecord, recordHash, RecordKind, ZERO_HASH } from '../src/cluster/wire/record.js';
import { decodeRequest, encodeRequest, requestMessageId } from '../src/cluster/wire/request.js';
import { derivedMessageId } from '../src/cluster/leader.js';
import { ClusterReply, duplicateAnswer, encodeReply, REPLY_HEADER_BYTES, ReplyStatus } from '../src/cluster/wire/reply.js';
import { EVENT_STRIDE, FILL_STRIDE, RESULT_STRIDE } from '../src/cluster/engine-layout.js';
import { EventSlot } from '../src/events.js';
import { decodeHashReport, decodeHeartbeat, encodeHashReport, encodeHeartbeat } from '../src/cluster/wire/signals.js';

function claim(shard: number, epoch: number, batchSeq: number, prevHash: Uint8Array, member = 0): Uint8Array {
  return encodeRecord({ kind: RecordKind.CLAIM, shard, epoch, batchSeq, clientId: 0, requestSeq: member, prevHash });
}

function batchRecord(shard: number, epoch: number, batchSeq: number, prevHash: Uint8Array, commands: CommandBatch, requestSeq = batchSeq): Uint8Array {
  return encodeRecord({ kind: RecordKind.BATCH, shard, epoch, batchSeq, clientId: 7, requestSeq, prevHash }, commands.bytes());
}

describe('stream records', () => {
  it('round-trip every field and carry the commands untouched', () => {
    const commands = new CommandBatch().limit(1, 2, 'bid', 100, 5, 9).cancel(1, 2, 3);
    const bytes = batchRecord(3, 4, 5, new Uint8Array(32).fill(9), commands, 11);
    const record = decodeRecord(bytes);
    expect(record).toMatchObject({ kind: RecordKind.BATCH, shard: 3, epoch: 4, batchSeq: 5, clientId: 7, requestSeq: 11 });
    expect([...record.prevHash]).toEqual(new Array(32).fill(9));
    expect(Buffer.from(record.commands).equals(Buffer.from(commands.bytes()))).toBe(true);
  });

  it('hash the whole record: its prevHash, epoch and batchSeq as well as its commands', () => {
    const commands = new CommandBatch().limit(1, 2, 'bid', 100, 5, 9);
    const hex = (bytes: Uint8Array) => Buffer.from(recordHash(bytes)).toString('hex');
    const base = hex(batchRecord(0, 1, 2, new Uint8Array(32).fill(1), commands));
    expect(hex(batchRecord(0, 1, 2, new Uint8Array(32).fill(1), commands))).toBe(base);
    expect(hex(batchRecord(0, 1, 2, new Uint8Array(32).fill(2), commands))).not.toBe(base);
    expect(hex(batchRecord(0, 2, 2, new Uint8Array(32).fill(1), commands))).not.toBe(base);
    expect(hex(batchRecord(0, 1, 3, new Uint8Array(32).fill(1), commands))).not.toBe(base);
  });

  it('refuse a truncated record, a newer version and a length that does not add up', () => {
    const bytes = claim(0, 1, 1, ZERO_HASH);
    expect(() => decodeRecord(bytes.subarray(0, 40))).toThrow(/shorter than its header/);
    const newer = bytes.slice();
    newer[0] = 9;
    expect(() => decodeRecord(newer)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    const longer = new Uint8Array(bytes.byteLength + 8);
    longer.set(bytes);
    expect(() => decodeRecord(longer)).toThrow(/command bytes/);
  });
});

describe('the chain rule', () => {
  const commands = new CommandBatch().limit(1, 0, 'bid', 100, 5, 1);
  const c1 = claim(0, 1, 1, ZERO_HASH);
  const h0 = genesis(0);
  const h1 = advance(h0, decodeRecord(c1), c1, 1);
  const b2 = batchRecord(0, 1, 2, recordHash(c1), commands);

  it('applies the next link: one position on, naming the head, from the epoch in power', () => {
    expect(judge(h0, c1).apply).toBe(true);
    expect(judge(h1, b2).apply).toBe(true);
    expect(h1).toMatchObject({ batchSeq: 1, epoch: 1, leader: 0, streamSeq: 1 });
  });

  it('skips a duplicate, a stray, a foreign shard, a record ahead and a stale epoch, each by name', () => {
    const h2 = advance(h1, decodeRecord(b2), b2, 2);
    expect(judge(h2, b2)).toEqual({ apply: false, reason: 'behind' });
    expect(judge(h1, batchRecord(0, 1, 2, new Uint8Array(32).fill(1), commands))).toEqual({ apply: false, reason: 'wrong-link' });
    expect(judge(h1, batchRecord(1, 1, 2, recordHash(c1), commands))).toEqual({ apply: false, reason: 'other-shard' });
    expect(judge(h1, batchRecord(0, 1, 3, recordHash(c1), commands))).toEqual({ apply: false, reason: 'ahead' });
    // A batch of an epoch not in power, and a claim that does not raise the epoch.
    expect(judge(h1, batchRecord(0, 2, 2, recordHash(c1), commands))).toEqual({ apply: false, reason: 'stale-epoch' });
    expect(judge(h1, claim(0, 1, 2, recordHash(c1)))).toEqual({ apply: false, reason: 'stale-epoch' });
    expect(judge(h1, new Uint8Array([1, 2, 3]))).toEqual({ apply: false, reason: 'malformed' });
  });

  it('applies only a claim of exactly the next epoch, so a later honest claim is never stale', () => {
    expect(judge(h1, claim(0, 3, 2, recordHash(c1)))).toEqual({ apply: false, reason: 'stale-epoch' });
    const c2 = claim(0, 2, 2, recordHash(c1), 1);
    expect(judge(h1, c2).apply).toBe(true);
    // What ShardLeader.claim appends next: head.epoch + 1.
    const h2 = advance(h1, decodeRecord(c2), c2, 2);
    expect(judge(h2, claim(0, h2.epoch + 1, 3, recordHash(c2), 2)).apply).toBe(true);
  });

  it('finds a record malformed when an epoch, position, client id or request number is not a safe integer in range', () => {
    for (const epoch of [Infinity, 2 ** 53, 1e300, 0.5, 1.5, NaN, 0, -1]) {
      expect(judge(h0, claim(0, epoch, 1, ZERO_HASH, 9)), `claim epoch ${epoch}`).toEqual({ apply: false, reason: 'malformed' });
    }
    for (const batchSeq of [NaN, 1.5, 2 ** 53, -2]) {
      expect(judge(h0, claim(0, 1, batchSeq, ZERO_HASH)), `batchSeq ${batchSeq}`).toEqual({ apply: false, reason: 'malformed' });
    }
    const withIds = (clientId: number, requestSeq: number): Uint8Array =>
      encodeRecord({ kind: RecordKind.BATCH, shard: 0, epoch: 1, batchSeq: 2, clientId, requestSeq, prevHash: recordHash(c1) }, commands.bytes());
    for (const [clientId, requestSeq] of [[NaN, 1], [1, -3.25], [1.5, 1], [1, Infinity], [0, 1], [1, 0], [2 ** 53, 1]]) {
      expect(judge(h1, withIds(clientId, requestSeq)), `clientId ${clientId} requestSeq ${requestSeq}`).toEqual({ apply: false, reason: 'malformed' });
    }
    expect(judge(h1, withIds(2 ** 47, 3)).apply).toBe(true);
    expect(() => decodeRecord(claim(0, Infinity, 1, ZERO_HASH))).toThrow('stream record: epoch must be an integer from 1 to 9007199254740990, got Infinity');
    // A claim names no client.
    expect(judge(h0, encodeRecord({ kind: RecordKind.CLAIM, shard: 0, epoch: 1, batchSeq: 1, clientId: 5, requestSeq: 0, prevHash: ZERO_HASH }))).toEqual({ apply: false, reason: 'malformed' });
  });

  it('gives every member the same state whatever duplicates and strays sit in the stream', async () => {
    const clean = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    const noisy = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    const b3 = batchRecord(0, 1, 3, recordHash(b2), new CommandBatch().limit(2, 0, 'ask', 100, 3, 2));
    clean.apply(c1, 1);
    clean.apply(b2, 2);
    clean.apply(b3, 3);
    noisy.apply(c1, 1);
    noisy.apply(b2, 2);
    expect(noisy.apply(b2, 3)).toMatchObject({ applied: false, reason: 'behind' });
    expect(noisy.apply(new Uint8Array(100).fill(7), 4)).toMatchObject({ applied: false, reason: 'malformed' });
    const outcome = noisy.apply(b3, 5);
    expect(outcome.applied).toBe(true);
    expect(noisy.stateHash()).toBe(clean.stateHash());
    expect(noisy.head.batchSeq).toBe(clean.head.batchSeq);
    expect(Buffer.from(noisy.head.hash).equals(Buffer.from(clean.head.hash))).toBe(true);
    await clean.close();
    await noisy.close();
  });

  it('fails for good when a batch fails other than as bad input, rather than skip it on redelivery', async () => {
    const b3 = batchRecord(0, 1, 3, recordHash(b2), new CommandBatch().limit(2, 0, 'ask', 100, 2, 2));
    const state = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    state.apply(c1, 1);
    const machine = (state as unknown as { machine: { submitBatch: (batch: CommandBatch) => unknown } }).machine;
    machine.submitBatch = () => {
      throw new LobError('CAPACITY', 'no room for the results of 1 commands in this engine\'s memory; nothing was applied');
    };
    const failure = /^shard 0: the batch at stream seq 2 \(chain position 2\) failed to apply: no room for the results .*; this member applies nothing more and must restart from its disk$/;
    expect(() => state.apply(b2, 2)).toThrow(failure);
    expect(state.failed?.code).toBe('ENGINE_FAILED');
    // Nothing says the record was applied: not the head, not the requests, not the replies.
    expect([state.head.streamSeq, state.head.batchSeq, state.appliedRecords]).toEqual([1, 1, 1]);
    expect(state.requestOutcome(7, 2, 2)).toEqual({ kind: 'not-applied' });
    expect(state.replyFor(2)).toBeUndefined();
    // Its redelivery, and every record after it, is refused the same way instead of skipped.
    expect(() => state.apply(b2, 2)).toThrow(failure);
    expect(() => state.apply(b3, 3)).toThrow(expect.objectContaining({ code: 'ENGINE_FAILED' }));
    expect(state.head.streamSeq).toBe(1);
    await state.close();
  });

  it('commits nothing after a batch failed, not even a flush queued before it, so a restart applies the record again', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lobcore-shard-failed-'));
    try {
      const state = await ShardState.open({ shard: 0, dir }, () => Promise.reject(new Error('no stream')));
      const machine = (state as unknown as { machine: CoreStateMachine }).machine;
      state.apply(c1, 1);
      await machine.flush();
      // A write under way, and a flush queued behind it before the failure (as a checkpoint's is).
      machine.placeLimit({ trader: 9, asset: 5, side: 'bid', price: 10, size: 1, timestamp: 1 });
      const first = machine.flush();
      const queued = machine.flush();
      machine.submitBatch = () => {
        throw new LobError('CAPACITY', 'no room for the results of 1 commands in this engine\'s memory; nothing was applied');
      };
      expect(() => state.apply(b2, 2)).toThrow(expect.objectContaining({ code: 'ENGINE_FAILED' }));
      await first;
      await expect(queued).rejects.toMatchObject({ code: 'ENGINE_FAILED' });
      await state.close();
      const reopened = await ShardState.open({ shard: 0, dir }, (seq) => (seq === 1 ? Promise.resolve(c1) : Promise.reject(new Error(`record ${seq}`))));
      expect(reopened.head.streamSeq).toBe(1);
      expect(reopened.apply(b2, 2)).toMatchObject({ applied: true });
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to reopen on a stream whose record at its newest checkpoint is not the one its ledger names, and reopens on its own", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lobcore-shard-ledger-'));
    const chain = (price: number): Uint8Array[] => {
      const records = [c1];
      for (let seq = 2; seq <= 4; seq++) {
        records.push(batchRecord(0, 1, seq, recordHash(records[seq - 2]), new CommandBatch().limit(seq, 0, 'bid', price + seq, 5, seq)));
      }
      return records;
    };
    const ours = chain(100);
    const theirs = chain(200);
    const from = (records: Uint8Array[]) => (seq: number): Promise<Uint8Array> => Promise.resolve(records[seq - 1]);
    try {
      const state = await ShardState.open({ shard: 0, dir }, from(ours));
      for (let seq = 1; seq <= 3; seq++) state.apply(ours[seq - 1], seq);
      let stored: LedgerEntry | undefined;
      state.checkpointInBackground((entry) => { stored = entry; }, (error) => { throw error; });
      await state.idle();
      expect(stored?.streamSeq).toBe(3);
      state.apply(ours[3], 4);
      await state.close();
      // The stream made again with other records: the head's record at 4 alone would pass.
      await expect(ShardState.open({ shard: 0, dir }, from(theirs))).rejects.toThrow(expect.objectContaining({
        code: 'CORRUPTION',
        message: expect.stringMatching(/checkpoints\.ledger: the checkpoint at stream seq 3 follows chain hash [0-9a-f]{64}, but the stream's record there hashes to [0-9a-f]{64}: this member's state is of another stream$/),
      }));
      // Refused without keeping the database locked.
      const reopened = await ShardState.open({ shard: 0, dir }, from(ours));
      expect([reopened.head.streamSeq, reopened.head.batchSeq]).toEqual([4, 4]);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a record handed over past a hole in the stream, so a member cannot claim on a stale head', async () => {
    const b3 = batchRecord(0, 1, 3, recordHash(b2), new CommandBatch().limit(2, 0, 'bid', 101, 5, 2));
    const b4 = batchRecord(0, 1, 4, recordHash(b3), new CommandBatch().limit(3, 0, 'bid', 102, 5, 3));
    const good = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    const gapped = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    for (const [record, seq] of [[c1, 1], [b2, 2], [b3, 3], [b4, 4]] as const) good.apply(record, seq);
    gapped.apply(c1, 1);
    // Seq 2 never arrived: seq 3 is refused, not skipped as 'ahead', and nothing moves.
    expect(() => gapped.apply(b3, 3)).toThrow('streamSeq must be at most 2 (the sequence after the last record judged), got 3');
    expect(() => gapped.apply(b4, 4)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect([gapped.head.streamSeq, gapped.judgedThrough, gapped.skipped.ahead]).toEqual([1, 1, 0]);
    // Fed again from the hole, it ends where every other member does.
    for (const [record, seq] of [[b2, 2], [b3, 3], [b4, 4]] as const) expect(gapped.apply(record, seq).applied).toBe(true);
    expect(gapped.stateHash()).toBe(good.stateHash());
    expect(Buffer.from(gapped.head.hash).equals(Buffer.from(good.head.hash))).toBe(true);
    expect(gapped.judgedThrough).toBe(4);
    await good.close();
    await gapped.close();
  });

  it('tells a follower a delivery past a hole from the one due and one handed on already', () => {
    expect([deliveryOf(2, 3), deliveryOf(3, 3), deliveryOf(4, 3), deliveryOf(900, 3)]).toEqual(['old', 'next', 'gap', 'gap']);
  });

  it('tells a request the chain applied from one whose record it skipped as a stray', async () => {
    const state = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    const c1 = claim(0, 1, 1, ZERO_HASH);
    const b2 = batchRecord(0, 1, 2, recordHash(c1), new CommandBatch().limit(1, 0, 'bid', 100, 5, 1), 2);
    // A deposed leader's append of request 3, naming a predecessor that is not in the chain.
    const stray = batchRecord(0, 1, 3, new Uint8Array(32).fill(4), new CommandBatch().limit(1, 0, 'bid', 90, 5, 2), 3);
    state.apply(c1, 1);
    state.apply(b2, 2);
    expect(state.apply(stray, 3)).toMatchObject({ applied: false, reason: 'wrong-link' });
    expect(state.requestOutcome(7, 2, 2)).toEqual({ kind: 'applied', streamSeq: 2 });
    expect(state.requestOutcome(7, 3, 3)).toEqual({ kind: 'not-applied' });
    // Request 3 appended again (under a derived message id) is found wherever it landed.
    state.apply(batchRecord(0, 1, 3, recordHash(b2), new CommandBatch().limit(1, 0, 'bid', 90, 5, 2), 3), 4);
    expect(state.requestOutcome(7, 3, 3)).toEqual({ kind: 'applied', streamSeq: 4 });
    await state.close();
  });

  it('cannot tell about a record older than what it has seen, nor after forgetting', () => {
    const reopened = new AppliedRequests(100, 2);
    expect(reopened.outcome(1, 1, 100)).toEqual({ kind: 'unknown' });
    expect(reopened.outcome(1, 1, 101)).toEqual({ kind: 'not-applied' });
    reopened.record(1, 1, 101);
    reopened.record(1, 2, 102);
    reopened.record(1, 3, 103); // forgets request 1, applied at 101
    expect(reopened.knownAfter).toBe(101);
    expect(reopened.outcome(1, 1, 101)).toEqual({ kind: 'unknown' });
    expect(reopened.outcome(1, 2, 102)).toEqual({ kind: 'applied', streamSeq: 102 });
    expect(reopened.outcome(1, 9, 104)).toEqual({ kind: 'not-applied' });
  });
});

describe('the checkpoint ledger', () => {
  const entry = (streamSeq: number): LedgerEntry => ({
    shard: 0, streamSeq, batchSeq: streamSeq, epoch: 1, chainHash: 'ab'.repeat(32), stateHash: 'cd'.repeat(32), restingOrders: 3,
  });

  it('drops a torn last entry (a kill mid-append), and the entries appended after it read back', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lobcore-ledger-'));
    try {
      const file = path.join(dir, 'checkpoints.ledger');
      appendLedgerEntry(file, entry(10));
      appendFileSync(file, new Uint8Array(50).fill(1)); // the first 50 of an entry's 120 bytes
      expect(readLedger(file).map((e) => e.streamSeq)).toEqual([10]);
      // The member restarts, and its next checkpoint is listed: the torn bytes must not shift it.
      appendLedgerEntry(file, entry(20));
      expect(readLedger(file).map((e) => e.streamSeq)).toEqual([10, 20]);
      expect(statSync(file).size).toBe(240);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('requests, replies and signals', () => {
  it('keeps a request recorded again at a later stream sequence when its older entry is forgotten', () => {
    const applied = new AppliedRequests(0, 2);
    applied.record(1, 5, 10);
    applied.record(1, 5, 11);
    applied.record(2, 1, 12); // forgets (1, 5) at 10, not at 11
    expect(applied.outcome(1, 5, 11)).toEqual({ kind: 'applied', streamSeq: 11 });
    applied.record(3, 1, 13); // forgets (1, 5) at 11
    expect(applied.outcome(1, 5, 11)).toEqual({ kind: 'unknown' });
  });

  it('keeps the replies of the last batches put, however far apart their stream sequences are', () => {
    const cache = new ReplyCache(4);
    for (const seq of [1, 5, 6, 9]) cache.put(seq, new Uint8Array([seq]));
    expect([1, 5, 6, 9].map((seq) => cache.get(seq)?.[0])).toEqual([1, 5, 6, 9]);
    expect([0, 2, 7, 10].map((seq) => cache.get(seq))).toEqual([undefined, undefined, undefined, undefined]);
    cache.put(13, new Uint8Array([13])); // the fifth: the oldest goes
    expect([1, 5, 6, 9, 13].map((seq) => cache.get(seq)?.[0])).toEqual([undefined, 5, 6, 9, 13]);
  });

  it('keeps the answers of a member\'s last 256 batches, with claims and strays between them (docs/scale-out.md)', async () => {
    const state = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    state.apply(claim(0, 1, 1, ZERO_HASH), 1);
    const batchSeqs: number[] = [];
    // 255 batches at stream seqs 2..256, a stray at 257, a new leader's claim at 258, one more batch at 259.
    for (let seq = 2; seq <= 259; seq++) {
      const position = state.head.batchSeq + 1;
      const record = seq === 257 ? batchRecord(0, 1, position, new Uint8Array(32).fill(3), new CommandBatch().limit(1, 0, 'bid', 90, 1, seq), seq)
        : seq === 258 ? claim(0, 2, position, state.head.hash, 1)
          : batchRecord(0, seq < 258 ? 1 : 2, position, state.head.hash, new CommandBatch().limit(1, 0, 'bid', 90, 1, seq), seq);
      const outcome = state.apply(record, seq);
      expect(outcome.applied).toBe(seq !== 257);
      if (outcome.applied && outcome.kind === 'batch') batchSeqs.push(seq);
    }
    expect(batchSeqs.length).toBe(256);
    // A retry of the oldest of them is answered with its results, not duplicate-forgotten.
    expect(batchSeqs.filter((seq) => state.replyFor(seq) === undefined)).toEqual([]);
    await state.close();
  });
  it('carry a request and its commands', () => {
    const commands = new CommandBatch().market(1, 4, 'ask', 10, 3);
    const decoded = decodeRequest(encodeRequest(1, 123456789, 42, commands.bytes()));
    expect(decoded).toMatchObject({ shard: 1, clientId: 123456789, requestSeq: 42 });
    expect(decoded.commands.byteLength).toBe(commands.bytes().byteLength);
  });

  it('read a reply through the same accessors as a local batch, even from an unaligned buffer', async () => {
    const state = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    const c1 = claim(0, 1, 1, ZERO_HASH);
    state.apply(c1, 1);
    const commands = new CommandBatch().limit(1, 0, 'ask', 100, 5, 1).limit(2, 0, 'bid', 101, 3, 2);
    const outcome = state.apply(batchRecord(0, 1, 2, recordHash(c1), commands), 2);
    if (!outcome.applied || outcome.reply === undefined) throw new Error('not applied');
    const shifted = new Uint8Array(outcome.reply.byteLength + 3);
    shifted.set(outcome.reply, 3);
    const reply = new ClusterReply(shifted.subarray(3), commands.slots);
    expect(reply).toMatchObject({ status: 'committed', shard: 0, streamSeq: 2, batchSeq: 2, epoch: 1, firstFillSeq: 1 });
    expect(reply.results.status(0)).toBe('resting');
    expect(reply.results.status(1)).toBe('filled');
    expect(reply.results.fill(0)).toMatchObject({ makerOrderId: 1, takerOrderId: 2, price: 100, size: 3, timestamp: 2 });
    // The engine's events travel too: order 1 accepted and rested, order 2 accepted and filled against it.
    expect(reply.results.events.toArray().map((e) => [e.kind, e.orderId, e.command])).toEqual(
      [['accepted', 1, 0], ['rested', 1, 0], ['accepted', 2, 1], ['fill', 1, 1]],
    );
    expect(reply.results.events.event(3)).toMatchObject({ takerOrderId: 2, price: 100, size: 3, remaining: 2 });
    await state.close();
  });

  it("refuse, as the client reads them, a reply for another shard, another request's count, or fills and events naming a command not sent", async () => {
    const state = await ShardState.open({ shard: 3 }, () => Promise.reject(new Error('memory')));
    const c1 = claim(3, 1, 1, ZERO_HASH);
    state.apply(c1, 1);
    const commands = new CommandBatch().limit(1, 5, 'ask', 100, 5, 1).limit(2, 5, 'bid', 101, 3, 2);
    const outcome = state.apply(batchRecord(3, 1, 2, recordHash(c1), commands), 2);
    if (!outcome.applied || outcome.reply === undefined) throw new Error('not applied');
    const good = outcome.reply;
    new ClusterReply(good, commands.slots).requireAnswerTo(3, 2);
    new ClusterReply(duplicateAnswer(good), commands.slots).requireAnswerTo(3, 2);
    const refuse = (bytes: Uint8Array, shard: number, count: number): string => {
      try {
        new ClusterReply(bytes, commands.slots).requireAnswerTo(shard, count);
      } catch (error) {
        expect((error as LobError).code).toBe('CORRUPTION');
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refuse(good, 4, 2)).toBe('reply to a request of 2 command(s) on shard 4: it names shard 3');
    expect(refuse(good, 3, 3)).toBe('reply to a request of 3 command(s) on shard 3: committed with 2 result(s), expected 3');
    // Move the fill's tag (command * 2 + side) and the fourth event's command past the end.
    const fillsAt = REPLY_HEADER_BYTES + 8 * 2 * RESULT_STRIDE;
    const badFill = good.slice();
    new DataView(badFill.buffer).setFloat64(fillsAt, 2 * 2 + 1, true);
    expect(refuse(badFill, 3, 2)).toBe('reply to a request of 2 command(s) on shard 3: fill 0 names command 2');
    const eventsAt = fillsAt + 8 * new ClusterReply(good, commands.slots).results.fillCount * FILL_STRIDE;
    const badEvent = good.slice();
    new DataView(badEvent.buffer).setFloat64(eventsAt + 8 * (3 * EVENT_STRIDE + EventSlot.COMMAND), 7, true);
    expect(refuse(badEvent, 3, 2)).toBe('reply to a request of 2 command(s) on shard 3: event 3 names command 7');
    // A forgotten duplicate carries no results, and says so for its own shard only.
    const forgotten = encodeReply(ReplyStatus.DUPLICATE_FORGOTTEN, { shard: 3, streamSeq: 2, batchSeq: 0, epoch: 0 });
    new ClusterReply(forgotten, commands.slots).requireAnswerTo(3, 2);
    expect(refuse(forgotten, 1, 2)).toBe('reply to a request of 2 command(s) on shard 1: it names shard 3');
    // Refusals and redirections carry no position at all: nothing to check.
    new ClusterReply(encodeReply(ReplyStatus.NOT_LEADER, undefined, undefined, 'no'), commands.slots).requireAnswerTo(3, 2);
    await state.close();
  });

  it('carry a refusal with its message and no results', () => {
    const reply = new ClusterReply(encodeReply(ReplyStatus.REJECTED, undefined, undefined, 'commands[0].asset 9 is not routed'), new Float64Array(0));
    expect(reply).toMatchObject({ status: 'rejected', committed: false, message: 'commands[0].asset 9 is not routed' });
  });

  it('refuse a client id or request number that is not a positive safe integer, naming it', () => {
    const commands = new CommandBatch().limit(1, 0, 'bid', 100, 5, 1).bytes();
    expect(() => decodeRequest(encodeRequest(0, 1.5, 18, commands))).toThrow('request.clientId must be a positive safe integer, got 1.5');
    expect(() => decodeRequest(encodeRequest(0, 1, 18.5, commands))).toThrow('request.requestSeq must be a positive safe integer, got 18.5');
    for (const [clientId, requestSeq] of [[NaN, 1], [-5, 1], [0, 1], [Infinity, 1], [2 ** 53, 1], [1, -Infinity], [1, NaN], [1, 0]]) {
      expect(() => decodeRequest(encodeRequest(0, clientId, requestSeq, commands)), `${clientId}, ${requestSeq}`).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => requestMessageId(1, 18.5)).toThrow('request.requestSeq must be a positive safe integer, got 18.5');
    expect(decodeRequest(encodeRequest(0, 2 ** 47 - 1, Number.MAX_SAFE_INTEGER, commands))).toMatchObject({ clientId: 2 ** 47 - 1, requestSeq: Number.MAX_SAFE_INTEGER });
  });

  it('keep derived message ids apart from every request\'s own', () => {
    // The review's forgery: a plain id spelled like (12345, 7)'s derived id in epoch 81.
    expect(() => requestMessageId(12345, 7.390625)).toThrow(/request\.requestSeq/);
    fc.assert(fc.property(
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: 2 ** 40 }),
      (c1, r1, c2, r2, epoch) => {
        const plain = requestMessageId(c2, r2);
        expect(plain).toMatch(/^[0-9a-z]+\.[0-9a-z]+$/);
        expect(derivedMessageId(c1, r1, epoch)).not.toBe(plain);
        expect(plain === requestMessageId(c1, r1)).toBe(c1 === c2 && r1 === r2);
      },
    ));
  });

  it('answer a retry of a batch the engine refused with that refusal, and of a committed one as a duplicate', async () => {
    const state = await ShardState.open({ shard: 0 }, () => Promise.reject(new Error('memory')));
    const c1 = claim(0, 1, 1, ZERO_HASH);
    state.apply(c1, 1);
    // Past admission, only the engine can refuse it: here an order of a trader id it does not take.
    const refusedBatch = new CommandBatch().limit(-1, 0, 'bid', 100, 5, 1);
    const refused = batchRecord(0, 1, 2, recordHash(c1), refusedBatch);
    expect(state.apply(refused, 2).applied).toBe(true);
    const first = new ClusterReply(state.replyFor(2) as Uint8Array, refusedBatch.slots);
    expect(first.status).toBe('rejected');
    const again = new ClusterReply(duplicateAnswer(state.replyFor(2) as Uint8Array), refusedBatch.slots);
    expect([again.status, again.committed, again.message]).toEqual(['rejected', false, first.message]);
    const committedBatch = new CommandBatch().limit(1, 0, 'bid', 100, 5, 2);
    state.apply(batchRecord(0, 1, 3, recordHash(refused), committedBatch), 3);
    const duplicate = new ClusterReply(duplicateAnswer(state.replyFor(3) as Uint8Array), committedBatch.slots);
    expect([duplicate.status, duplicate.committed, duplicate.results.status(0)]).toEqual(['duplicate', true, 'resting']);
    await state.close();
  });

  it('carry heartbeats and hash reports', () => {
    expect(decodeHeartbeat(encodeHeartbeat({ shard: 1, epoch: 3, memberId: 2, streamSeq: 99 }))).toEqual({ shard: 1, epoch: 3, memberId: 2, streamSeq: 99 });
    const report = { shard: 0, memberId: 1, streamSeq: 40, batchSeq: 20, epoch: 2, stateHash: 'ab'.repeat(32) };
    expect(decodeHashReport(encodeHashReport(report))).toEqual(report);
  });

  it('refuse a heartbeat whose epoch, member or stream sequence is not a safe integer in range, naming it', () => {
    const beat = (epoch: number, memberId = 2, streamSeq = 9): Uint8Array => encodeHeartbeat({ shard: 0, epoch, memberId, streamSeq });
    expect(() => decodeHeartbeat(beat(NaN))).toThrow('heartbeat: epoch must be a safe integer >= 1, got NaN');
    for (const epoch of [Infinity, 2 ** 53, 1.5, 0]) expect(() => decodeHeartbeat(beat(epoch))).toThrow(/^heartbeat: epoch must be/);
    expect(() => decodeHeartbeat(beat(1, -1))).toThrow('heartbeat: memberId must be a safe integer >= 0, got -1');
    expect(() => decodeHeartbeat(beat(1, 2, 0.5))).toThrow('heartbeat: streamSeq must be a safe integer >= 0, got 0.5');
  });

  it('refuse a hash report whose member, position or epoch is not a safe integer in range, naming it', () => {
    const report = { shard: 0, memberId: 1, streamSeq: 40, batchSeq: 20, epoch: 2, stateHash: 'ab'.repeat(32) };
    expect(() => decodeHashReport(encodeHashReport({ ...report, batchSeq: NaN }))).toThrow('hash report: batchSeq must be a safe integer >= 1, got NaN');
    expect(() => decodeHashReport(encodeHashReport({ ...report, streamSeq: 0 }))).toThrow('hash report: streamSeq must be a safe integer >= 1, got 0');
    expect(() => decodeHashReport(encodeHashReport({ ...report, epoch: 2 ** 53 }))).toThrow(/^hash report: epoch must be a safe integer >= 1/);
    expect(() => decodeHashReport(encodeHashReport({ ...report, memberId: -1 }))).toThrow('hash report: memberId must be a safe integer >= 0, got -1');
  });
});

describe('the hash audit', () => {
  const own = { shard: 0, memberId: 1, streamSeq: 40, batchSeq: 20, epoch: 2, stateHash: 'ab'.repeat(32) };

  it('agrees with a peer at the same position, whichever reports first, and reports a different hash', () => {
    const found: Divergence[] = [];
    const audit = new HashAudit(1, (d) => found.push(d));
    audit.recordPeer({ ...own, memberId: 2 });
    audit.recordOwn(own);
    audit.recordPeer({ ...own, memberId: 3 });
    audit.recordPeer({ ...own, memberId: 1, stateHash: 'cd'.repeat(32) });
    expect([audit.agreements, found.length]).toEqual([2, 0]);
    audit.recordPeer({ ...own, memberId: 4, stateHash: 'cd'.repeat(32) });
    expect(found).toEqual([{ shard: 0, batchSeq: 20, streamSeq: 40, ownMember: 1, ownHash: own.stateHash, otherMember: 4, otherHash: 'cd'.repeat(32), otherStreamSeq: 40, epoch: 2, otherEpoch: 2 }]);
  });

  it('reports a peer that reached the position at another stream sequence or in another epoch: a fork, even under equal books', () => {
    const found: Divergence[] = [];
    const audit = new HashAudit(1, (d) => found.push(d));
    audit.recordOwn(own);
    audit.recordPeer({ ...own, memberId: 2, streamSeq: 41 });
    audit.recordPeer({ ...own, memberId: 3, epoch: 3 });
    expect(found.map((d) => [d.otherMember, d.otherStreamSeq, d.otherEpoch])).toEqual([[2, 41, 2], [3, 40, 3]]);
    expect(audit.agreements).toBe(0);
  });
});

describe('routing', () => {
  const layout = roundRobinLayout(2, 6, 'abcdef012345');
  const router = new ShardRouter(layout);

  it('sends an asset at the dense limit (2^20) and one past it to their shards', () => {
    const sparse = new ShardRouter({ ...layout, shards: [{ ...layout.shards[0], assets: [0, 2 ** 20] }, { ...layout.shards[1], assets: [1, 2 ** 20 + 1] }] });
    expect([0, 1, 2 ** 20, 2 ** 20 + 1, 2].map((a) => sparse.shardOf(a))).toEqual([0, 1, 0, 1, -1]);
  });

  it('sends each asset to the shard that holds it', () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => router.shardOf(a))).toEqual([0, 1, 0, 1, 0, 1]);
    expect(router.shardOfBatch(new CommandBatch().limit(1, 2, 'bid', 1, 1, 1).cancel(1, 4, 9))).toBe(0);
  });

  it('refuses an unrouted asset and a batch that spans shards, naming the command', () => {
    expect(() => router.requireShard(17)).toThrow(new LobError('INVALID_ARGUMENT', 'asset 17 is not routed to any shard of this cluster'));
    expect(() => router.shardOfBatch(new CommandBatch().limit(1, 0, 'bid', 1, 1, 1).limit(1, 1, 'bid', 1, 1, 1)))
      .toThrow(/commands\[1\]\.asset 1 is on shard 1, but commands\[0\] is on shard 0/);
    expect(() => router.shardOfBatch(new CommandBatch().limit(1, 99, 'bid', 1, 1, 1))).toThrow(/commands\[0\]\.asset 99 is not routed/);
    expect(() => router.shardOfBatch(new CommandBatch().cancelAll(1, 0).cancelAll(1))).toThrow('commands[1] is a cancelAll over every asset, which spans shards: send one cancelAll per asset, or call ClusterClient.cancelAll without an asset');
    expect(router.shardOfBatch(new CommandBatch().cancelAll(1, 3))).toBe(1);
  });

  it('refuses a layout that gives one asset to two shards', () => {
    expect(() => checkLayout({ clusterId: 'abcdef012345', shards: [{ shard: 0, assets: [1] }, { shard: 1, assets: [1] }] }))
      .toThrow(/shards\[1\]\.assets\[0\] must be an asset no other shard holds/);
  });
});

describe('write stalls', () => {
  const at = (times: number[], epoch: number) => times.map((t) => ({ at: t, epoch }));

  it('after a leader kill: from the last commit before it to the first of the new epoch', () => {
    // Commits every 10 ms in epoch 1, a kill at 100, one answer the dead leader had already sent at 105,
    // then the new epoch's first commit at 1,600.
    const commits = [...at([10, 20, 90, 100, 105], 1), ...at([1_600, 1_610], 2)];
    expect(failoverStall(commits, 100)).toBe(1_500);
    expect(failoverStall(at([10, 20], 1), 100)).toBe(0);
  });

  it('after a leader kill before anything was committed: from the kill to the first commit of a later epoch than the killed leader\'s', () => {
    // A short demo (--rounds 20 --window 8) kills shard 0's leader at round 6, before any answer came back.
    const commits = [...at([105], 1), ...at([1_600, 1_610], 2)];
    expect(failoverStall(commits, 100, 1)).toBe(1_500);
  });

  it('after a NATS server kill: the longest gap between commits until its restart', () => {
    const commits = at([10, 20, 100, 900, 950, 5_000], 1);
    expect(longestCommitGap(commits, 50, 1_000)).toBe(800);
    expect(longestCommitGap(commits, 50, 6_000)).toBe(4_050);
    expect(longestCommitGap(commits, 50, 900)).toBe(800); // a commit at the restart itself counts
  });

  it('after a NATS server kill: a write stop still going on at its restart, counted up to the restart', () => {
    // The demo restarts the server after a number of rounds, not of commits: with a window as wide
    // as those rounds (--rounds 20 --window 8) it can restart it before anything was committed again.
    expect(longestCommitGap(at([10, 20, 30, 5_000], 1), 50, 1_000)).toBe(970);
    expect(longestCommitGap(at([10, 20, 30, 600, 5_000], 1), 50, 1_000)).toBe(570);
  });
});
