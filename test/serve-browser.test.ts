// The page in a real headless Chromium (Debian's chromium, driven by playwright-core, which never
// downloads a browser): it loads without console errors, shows the ladder of a replayed LOBSTER
// book equal to the engine's at the same sequence, updates while the replay runs, recovers from
// a dropped connection, places and cancels an order, and places a stop and an OCO pair and
// triggers the stop. The replay test takes a screenshot (a stop-limit being composed): in
// the temp dir, or where LOBCORE_SCREENSHOT says (`LOBCORE_SCREENSHOT=docs/serve.png` refreshes
// the README's), so a test run never changes the working tree.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { samplePath } from '../src/lobster/index.js';
import { DemoSource } from '../src/serve/demo-source.js';
import type { CoreStateMachine } from '../src/state/index.js';
import type { MarketMachine } from '../src/serve/feed.js';
import { REPLAY_ASSET, ReplaySource, loadReplay } from '../src/serve/replay-source.js';
import type { LobServer } from '../src/serve/server.js';
import { engineDepth, engineLastPrice, openMachine, serve, until } from './helpers/serve.js';

const CHROMIUM = '/usr/bin/chromium';
// Without these, Chromium on a machine with no network hangs on lookups and update checks.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];
const SCREENSHOT = path.resolve(process.env.LOBCORE_SCREENSHOT ?? path.join(os.tmpdir(), `lobcore-serve-${process.pid}.png`));

let browser: Browser;
let cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  // playwright gives the browser a fresh, temporary user-data-dir of its own and removes it on close.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

interface ShownLevel {
  side: string;
  price: number;
  size: number;
  orders: number;
}

/** A page with every console error and uncaught exception collected. */
async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  cleanups.push(() => page.close());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  return { page, errors };
}

async function shownSeq(page: Page): Promise<number> {
  const text = await page.locator('#seq').getAttribute('data-seq');
  return text === null || text === '' ? -1 : Number(text);
}

async function feedState(page: Page): Promise<string | null> {
  return page.locator('#feed-state').getAttribute('data-state');
}

async function ladder(page: Page): Promise<{ rows: number; bids: ShownLevel[]; asks: ShownLevel[] }> {
  return page.evaluate(() => {
    const read = (row: HTMLElement) => ({
      side: row.dataset.side as string, price: Number(row.dataset.price), size: Number(row.dataset.size), orders: Number(row.dataset.orders),
    });
    const rows = document.querySelectorAll('.ladder .row.bid').length;
    const bids = [...document.querySelectorAll<HTMLElement>('.ladder .row.bid[data-price]')].map(read);
    // Asks are drawn from the top down to the best: best first is the reverse.
    const asks = [...document.querySelectorAll<HTMLElement>('.ladder .row.ask[data-price]')].map(read).reverse();
    return { rows, bids, asks };
  });
}

/** Waits until the page shows the engine's sequence, then compares the ladder with the engine's depth. */
async function expectLadderLikeEngine(page: Page, machine: MarketMachine, asset: number): Promise<void> {
  const seq = machine.bookSnapshot(asset, 1).seq;
  let shown = -1;
  let state: string | null = null;
  await until(`the page at seq ${seq}`, () => {
    void shownSeq(page).then((s) => { shown = s; });
    void feedState(page).then((s) => { state = s; });
    return shown === seq && state === 'live';
  });
  const { rows, bids, asks } = await ladder(page);
  const depth = engineDepth(machine, asset);
  expect(rows).toBeGreaterThanOrEqual(10);
  expect(bids).toEqual(depth.bids.slice(0, rows).map((level) => ({ side: 'bid', ...level })));
  expect(asks).toEqual(depth.asks.slice(0, rows).map((level) => ({ side: 'ask', ...level })));
}

async function served(machine: MarketMachine, source: ReplaySource | DemoSource, options: Parameters<typeof serve>[2] = {}): Promise<LobServer> {
  const server = await serve(machine, source, options);
  cleanups.push(() => server.close());
  return server;
}

/** A page of a server that takes orders, given its token, once its feed is live. */
async function orderDeskPage(machine: MarketMachine, source: ReplaySource | DemoSource): Promise<{ page: Page; errors: string[] }> {
  const server = await served(machine, source, { allowOrders: true });
  const opened = await openPage(`${server.url}#token=${server.token}`);
  await opened.page.locator('#feed-state[data-state="live"]').waitFor();
  return opened;
}

describe('the page in headless Chromium', () => {
  it('shows a replayed LOBSTER book equal to the engine, updates while it runs, and recovers from a dropped connection', async () => {
    const machine = await openMachine();
    cleanups.push(() => machine.close());
    const source = new ReplaySource(machine, loadReplay(samplePath('msftHeadMessages')), { speed: 1 });
    cleanups.push(() => source.stop());
    // Orders allowed (with a fixed token, so the page's stays good across the outage) for the
    // picture's order entry only: the test sends none, so the book stays LOBSTER's.
    let server = await served(machine, source, { allowOrders: true, token: 'picture' });
    const { page, errors } = await openPage(`${server.url}#token=picture`);
    // The replay starts once the page is there: however long Chromium takes to start, the outage
    // below then falls where the file still has trades to come (its last few hundred messages have
    // hardly any), so the new server's tape fills.
    await page.locator('#feed-state[data-state="live"]').waitFor();
    source.start();

    // Updates while the replay runs: the sequence shown moves on, and so does the ladder.
    let seen = -1;
    const sequences = new Set<number>();
    await until('the page to follow the replay', () => {
      void shownSeq(page).then((s) => { seen = s; });
      if (seen > 0) sequences.add(seen);
      return sequences.size >= 4;
    });
    expect(source.status().done).toBe(false);

    // Paused from the page: the ladder is the engine's at the same sequence.
    await page.click('#pause');
    await until('the replay to pause', () => source.status().paused);
    await expectLadderLikeEngine(page, machine, REPLAY_ASSET);
    await expect.poll(() => page.locator('#pause').textContent()).toBe('Resume');

    // The connection drops (the server goes away) while the replay moves on; the page reconnects
    // to the new server on the same port and resynchronises.
    const port = server.port;
    const beforeOutage = errors.length;
    await server.close();
    await until('the page to notice', () => {
      void feedState(page).then((s) => { seen = s === 'offline' ? 1 : 0; });
      return seen === 1;
    });
    const position = source.status().position;
    source.resume();
    await until('the replay to move on', () => source.status().position > position + 50);
    source.pause();
    server = await served(machine, source, { port, allowOrders: true, token: 'picture' });
    await expectLadderLikeEngine(page, machine, REPLAY_ASSET);
    // While the server was away, Chromium itself logs each refused reconnection attempt; nothing else.
    for (const error of errors.splice(beforeOutage)) expect(error).toMatch(/^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/feed' failed: .*ERR_CONNECTION_REFUSED$/);

    // Resumed from the page; the new server's tape fills as trades happen, and a trade on it
    // opens the taker order's audit trail.
    await page.click('#pause');
    await until('the replay to resume', () => !source.status().paused);
    await page.locator('.tape .trade:not(.head):not([hidden])').first().click();
    await page.locator('.audit h3', { hasText: 'Order #' }).waitFor();
    await expect.poll(() => page.locator('.audit td', { hasText: 'fill' }).count()).toBeGreaterThan(0);

    // For the picture: a sell stop-limit composed below the market, its limit picked on the ladder.
    await page.click('#entry [data-kind="stop"]');
    await page.click('#entry [data-side="ask"]');
    // The fields take ticks; the button says the prices as the ladder shows them.
    await page.click('#pause');
    await until('the replay to pause', () => source.status().paused);
    // Frames already on their way when it paused still move the ladder: read it once it has settled.
    await expectLadderLikeEngine(page, machine, REPLAY_ASSET);
    const bids = page.locator('.ladder .row.bid[data-price]');
    await page.fill('#f-stop', String(await bids.nth(2).getAttribute('data-price')));
    await bids.nth(4).click();
    expect(await page.inputValue('#f-price')).toBe(await bids.nth(4).getAttribute('data-price'));
    const shown = async (n: number) => bids.nth(n).locator('.price').textContent();
    expect(await page.locator('#entry button[type=submit]').textContent()).toBe(`Sell 100 on a trade ≤ ${await shown(2)}, then @ ${await shown(4)}`);
    await page.waitForTimeout(500);
    await page.screenshot({ path: SCREENSHOT });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    if (process.env.LOBCORE_SCREENSHOT === undefined) fs.rmSync(SCREENSHOT);
    // Text the server reads as no number (decimal digits only) is shown as typed, not as a price it will not be.
    for (const typed of ['0x10', '1e3', '+5']) {
      await page.fill('#f-price', typed);
      expect(await page.locator('#f-price').locator('..').locator('.price-preview').textContent(), typed).toBe('');
      expect(await page.locator('#entry button[type=submit]').textContent()).toBe(`Sell 100 on a trade ≤ ${await shown(2)}, then @ ${typed}`);
    }
    expect(errors).toEqual([]);
  });

  it('places and cancels an order, with the engine\'s errors next to the fields', async () => {
    const machine = await openMachine();
    cleanups.push(() => machine.close());
    const source = new DemoSource(machine, { speed: 10, assets: 3 });
    cleanups.push(() => source.stop());
    const server = await served(machine, source, { allowOrders: true });
    source.start();
    const { page, errors } = await openPage(`${server.url}#token=${server.token}`);
    await page.locator('#feed-state[data-state="live"]').waitFor();
    expect(page.url()).not.toContain('token'); // taken out of the address bar
    await until('some book to build', () => machine.getBook(0).depth(20).bids.length >= 8);
    await page.click('#pause');
    await until('the demo to pause', () => source.status().paused);
    await expectLadderLikeEngine(page, machine, 0);

    // A bid price picked on the ladder, a size and a trader typed, and Buy.
    const row = page.locator('.ladder .row.bid[data-price]').nth(3);
    const price = Number(await row.getAttribute('data-price'));
    await row.click();
    expect(await page.inputValue('#f-price')).toBe(String(price));
    await page.fill('#f-trader', '4242');
    await page.fill('#f-size', 'abc');
    await page.click('#entry button[type=submit]');
    await expect.poll(() => page.locator('.field-error[data-for="size"]').textContent()).toBe('size must be a positive safe integer, got "abc"');
    await page.fill('#f-size', '7');
    await page.fill('#f-token', '');
    await page.click('#entry button[type=submit]');
    await expect.poll(() => page.locator('.field-error[data-for="token"]').textContent()).toMatch(/token/);
    await page.fill('#f-token', server.token as string);
    await page.click('#entry button[type=submit]');
    await expect.poll(() => page.locator('.result').textContent()).toMatch(/^order \d+ resting: filled 0, 7 resting$/);
    const orderId = Number(await page.locator('.result').getAttribute('data-order-id'));
    expect(machine.order(orderId)).toMatchObject({ trader: 4242, asset: 0, side: 'bid', price, remaining: 7 });

    // The trader's open orders show it, and the ladder marks its level and counts its size.
    await page.locator(`.audit button[data-cancel="${orderId}"]`).waitFor();
    await expectLadderLikeEngine(page, machine, 0);
    expect(await page.locator(`.ladder .row.bid.mine[data-price="${price}"]`).count()).toBe(1);

    await page.click(`.audit button[data-cancel="${orderId}"]`);
    await until('the order to be cancelled', () => machine.order(orderId) === undefined);
    await page.locator(`.audit button[data-cancel="${orderId}"]`).waitFor({ state: 'detached' });
    await expect.poll(() => page.locator('.result').textContent()).toBe('cancelled');
    await expectLadderLikeEngine(page, machine, 0);
    expect(errors).toEqual([]);
  });

  it('marks the entry trader\'s levels on the asset shown only, across a switch of asset or of trader', async () => {
    // Assets 0 and 1 with the same prices: a bid at 99 and an ask at 101 each, of trader 1.
    const machine = await openMachine();
    cleanups.push(() => machine.close());
    const source = new DemoSource(machine, { speed: 1, paused: true, assets: 3 });
    machine.setHeight(1);
    let timestamp = 1;
    for (const asset of [0, 1]) {
      for (const [side, price] of [['bid', 99], ['ask', 101]] as const) {
        machine.placeLimitOrder({ trader: 1, asset, side, price, size: 10, timestamp: timestamp++ });
      }
    }
    await machine.flush();
    const { page, errors } = await orderDeskPage(machine, source);
    await expectLadderLikeEngine(page, machine, 0);

    // Trader 4242 joins the bid at 99 on asset 0: the ladder marks that level.
    await page.fill('#f-trader', '4242');
    await page.fill('#f-price', '99');
    await page.fill('#f-size', '5');
    await page.click('#entry button[type=submit]');
    await expect.poll(() => page.locator('#entry .result').textContent()).toMatch(/^order \d+ resting: filled 0, 5 resting$/);
    await page.locator('.ladder .row.bid.mine[data-price="99"]').waitFor();

    // Asset 1 has a bid at 99 too, but none of 4242's: nothing of asset 1 is marked.
    await page.selectOption('#asset', '1');
    await expectLadderLikeEngine(page, machine, 1);
    expect(await page.locator('.ladder .row.mine').count()).toBe(0);
    // Back on asset 0, the order's level is marked again.
    await page.selectOption('#asset', '0');
    await expectLadderLikeEngine(page, machine, 0);
    await page.locator('.ladder .row.bid.mine[data-price="99"]').waitFor();
    expect(await page.locator('.ladder .row.mine').count()).toBe(1);
    // Another trader typed in the entry form: 4242's level is not theirs, and it is 4242's again
    // once typed back.
    await page.fill('#f-trader', '5555');
    await page.locator('.ladder .row.mine').waitFor({ state: 'detached' });
    await page.fill('#f-trader', '4242');
    await page.locator('.ladder .row.bid.mine[data-price="99"]').waitFor();

    // With an order's trail in the audit panel rather than the trader's, a new order's level is
    // marked all the same.
    await page.locator('.audit button[data-order]').first().click();
    await page.locator('.audit h3', { hasText: 'Order #' }).waitFor();
    await page.fill('#f-price', '98');
    await page.click('#entry button[type=submit]');
    await expect.poll(() => page.locator('#entry .result').textContent()).toMatch(/^order \d+ resting: filled 0, 5 resting$/);
    await page.locator('.ladder .row.bid.mine[data-price="98"]').waitFor();
    expect(await page.locator('.audit h3').textContent()).toMatch(/^Order #/);
    expect(errors).toEqual([]);
  });

  it('a double click on the order button sends one order', async () => {
    const machine = await openMachine();
    cleanups.push(() => machine.close());
    const source = new DemoSource(machine, { speed: 1, paused: true, assets: 3 });
    machine.setHeight(1);
    machine.placeLimitOrder({ trader: 1, asset: 0, side: 'ask', price: 101, size: 10, timestamp: 1 });
    await machine.flush();
    const { page, errors } = await orderDeskPage(machine, source);
    await page.fill('#f-trader', '4242');
    await page.fill('#f-price', '99');
    await page.fill('#f-size', '5');
    await page.dblclick('#entry button[type=submit]');
    await expect.poll(() => page.locator('#entry .result').textContent()).toMatch(/^order \d+ resting: filled 0, 5 resting$/);
    // Both clicks' requests, had there been two, are answered by now: the audit panel has read the trader after the answer.
    await page.locator('.audit h3', { hasText: 'Trader 4242' }).waitFor();
    await machine.flush();
    expect((await machine.getTraderOrders(4242, { status: 'open' })).length).toBe(1);
    // Once answered, the button sends again.
    await page.click('#entry button[type=submit]');
    await expect.poll(async () => (await machine.getTraderOrders(4242, { status: 'open' })).length).toBe(2);
    expect(errors).toEqual([]);
  });

  it('a trader with more open orders than the trail lists says so, rather than a count it does not have', async () => {
    const machine = await openMachine();
    cleanups.push(() => machine.close());
    const source = new DemoSource(machine, { speed: 1, paused: true, assets: 3 });
    machine.setHeight(1);
    for (let price = 1; price <= 60; price++) machine.placeLimitOrder({ trader: 4242, asset: 0, side: 'bid', price, size: 1, timestamp: price });
    await machine.flush();
    const { page, errors } = await orderDeskPage(machine, source);
    // One more from the page: its answer shows the trader's trail, 61 open orders.
    await page.fill('#f-trader', '4242');
    await page.fill('#f-price', '61');
    await page.fill('#f-size', '1');
    await page.click('#entry button[type=submit]');
    await page.locator('.audit h3', { hasText: 'Trader 4242' }).waitFor();
    expect(await page.locator('.audit h4').first().textContent()).toBe('Open orders (the newest 50; more are open)');
    expect(await page.locator('.audit tr[data-status="resting"]').count()).toBe(50);
    expect(errors).toEqual([]);
  });

  it("an order's long trail shows its acceptance, its newest events and how many are left out; \"more\" brings the page before, until it is whole", async () => {
    const machine = await openMachine();
    cleanups.push(() => machine.close());
    const source = new DemoSource(machine, { speed: 1, paused: true, assets: 3 });
    machine.setHeight(1);
    const maker = machine.placeLimitOrder({ trader: 31, asset: 0, side: 'ask', price: 500, size: 10_000, timestamp: 1 }).orderId;
    let timestamp = 2;
    const fill = async (count: number) => {
      for (let i = 0; i < count; i++) {
        if (i % 10 === 0) machine.setHeight(machine.height + 1);
        machine.placeMarketOrder({ trader: 32, asset: 0, side: 'bid', size: 1, timestamp: timestamp++ });
      }
      await machine.flush();
    };
    await fill(250);
    const whole = await (machine as CoreStateMachine).getOrderEvents(maker);
    expect(whole.length).toBe(252);
    const { page, errors } = await orderDeskPage(machine, source);
    // An order of the maker's trader from the page lists the maker among its open orders: a link to its trail.
    await page.fill('#f-trader', '31');
    await page.fill('#f-price', '1');
    await page.fill('#f-size', '1');
    await page.click('#entry button[type=submit]');
    await page.locator(`.audit button[data-order="${maker}"]`).first().click();
    await page.locator('.audit h3', { hasText: `Order #${maker}` }).waitFor();
    const rows = () => page.locator('.audit tr[data-kind]');
    const shown = () => rows().evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.kind, tr.querySelector('td')!.textContent]));
    const expected = (events: typeof whole) => events.map((e) => [e.kind, String(e.height)]);
    await expect.poll(() => rows().count()).toBe(100);
    expect(await shown()).toEqual(expected([whole[0], ...whole.slice(-99)]));
    expect(await page.locator('.audit tr.gap').textContent()).toBe('152 earlier events not shown more');

    // Fills landing meanwhile are newer than every page asked for: each "more" is the 100 before.
    await fill(5);
    await page.click('.audit button[data-more]');
    await expect.poll(() => rows().count()).toBe(200);
    expect(await shown()).toEqual(expected([whole[0], ...whole.slice(-199)]));
    expect(await page.locator('.audit tr.gap').textContent()).toBe('52 earlier events not shown more');
    await page.click('.audit button[data-more]');
    await expect.poll(() => rows().count()).toBe(252);
    expect(await shown()).toEqual(expected(whole));
    expect(await page.locator('.audit tr.gap').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('Enter pressed in the order form before the page\'s script has run leaves the page working', async () => {
    const machine = await openMachine();
    cleanups.push(() => machine.close());
    const source = new DemoSource(machine, { speed: 1, paused: true, assets: 3 });
    const server = await served(machine, source, { allowOrders: true });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    cleanups.push(() => page.close());
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    // The script held back, as a slow load would: the form is there with nothing behind it yet.
    // A plain form submission then (refused by the page's form-action 'none') stopped the
    // document's loading: the script never ran and the page stayed "connecting…".
    let release = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    await page.route('**/app.js', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(server.url, { waitUntil: 'commit' });
    await page.locator('#f-token').fill(server.token as string);
    await page.locator('#f-token').focus();
    await page.keyboard.press('Enter');
    release();
    await page.locator('#feed-state[data-state="live"]').waitFor();
    expect(errors).toEqual([]);
  });

  it('places a stop and an OCO pair, shows them pending, and a budget order\'s trade triggers the stop onto the tape', async () => {
    // A book on asset 0 that has never traded: asks 101, 102, 103 and bids 99, 98, ten lots each.
    const machine = await openMachine();
    cleanups.push(() => machine.close());
    const source = new DemoSource(machine, { speed: 1, paused: true, assets: 3 });
    machine.setHeight(1);
    let timestamp = 1;
    for (const [side, price] of [['ask', 101], ['ask', 102], ['ask', 103], ['bid', 99], ['bid', 98]] as const) {
      machine.placeLimitOrder({ trader: 1, asset: 0, side, price, size: 10, timestamp: timestamp++ });
    }
    await machine.flush();
    const { page, errors } = await orderDeskPage(machine, source);
    await expectLadderLikeEngine(page, machine, 0);
    await page.fill('#f-trader', '4242');
    const result = page.locator('#entry .result');

    // A buy stop-market: no limit price, so the engine makes it a stop-market.
    await page.click('#entry [data-kind="stop"]');
    await page.fill('#f-stop', '102');
    await page.fill('#f-price', '');
    await page.fill('#f-size', '5');
    await expect.poll(() => page.locator('#entry button[type=submit]').textContent()).toBe('Buy 5 on a trade ≥ 102, then at market');
    await page.click('#entry button[type=submit]');
    await expect.poll(() => result.textContent()).toMatch(/^order \d+ pending: 5 waiting for its stop price$/);
    const stopId = Number(await result.getAttribute('data-order-id'));
    expect(machine.order(stopId)).toMatchObject({ trader: 4242, status: 'pending', type: 'stop_market', stopPrice: 102 });

    // A sell OCO pair, first with its stop leg on the wrong side: the engine's message under the field.
    await page.click('#entry [data-kind="oco"]');
    await page.click('#entry [data-side="ask"]');
    await page.fill('#f-price', '110');
    await page.fill('#f-stop', '111');
    await page.fill('#f-size', '3');
    await page.click('#entry button[type=submit]');
    await expect.poll(() => page.locator('.field-error[data-for="stopPrice"]').textContent())
      .toBe('stopPrice must be below price 110 (a sell OCO\'s stop leg sits below its limit leg), got 111');
    await page.fill('#f-stop', '97');
    await page.click('#entry button[type=submit]');
    await expect.poll(() => result.textContent()).toMatch(/^order \d+ resting: filled 0, 3 resting; stop leg \d+ pending$/);
    const legId = Number(await result.getAttribute('data-order-id'));
    expect(machine.order(legId + 1)).toMatchObject({ status: 'pending', ocoSiblingId: legId });

    // The trader's open orders: the stop and the OCO's stop leg pending, the limit leg resting,
    // the legs pointing at each other. Only the limit leg is on the ladder.
    const row = (orderId: number, status: string) => page.locator(`.audit tr[data-order="${orderId}"][data-status="${status}"]`);
    await row(stopId, 'pending').waitFor();
    expect(await row(stopId, 'pending').locator('.tag.pending').textContent()).toBe('stop ≥ 102');
    expect(await row(legId, 'resting').getAttribute('data-oco')).toBe(String(legId + 1));
    expect(await row(legId + 1, 'pending').getAttribute('data-oco')).toBe(String(legId));
    expect(await row(legId + 1, 'pending').locator('.tag.pending').textContent()).toBe('stop ≤ 97');
    await expectLadderLikeEngine(page, machine, 0);
    // The ladder marks the trader's levels once it has redrawn after the trail was read.
    await page.locator('.ladder .row.ask.mine[data-price="110"]').waitFor();
    expect(await page.locator('.ladder .row.mine').count()).toBe(1);
    expect(await page.locator('#last').textContent()).toBe('—');

    // A budget buy that pays for 10 at 101 and 5 at 102: its last trade, at 102, triggers the stop.
    await page.click('#entry [data-kind="budget"]');
    await page.click('#entry [data-side="bid"]');
    await page.fill('#f-budget', String(10 * 101 + 5 * 102));
    await page.click('#entry button[type=submit]');
    await expect.poll(() => result.textContent()).toMatch(/^order \d+ filled: filled 15, spent 1520; 1 fill by the stops it triggered$/);
    expect(machine.order(stopId)).toBeUndefined();

    // The stop leaves the pending list for the closed one, and its fill is on the tape as any trade.
    await row(stopId, 'pending').waitFor({ state: 'detached' });
    await row(stopId, 'filled').waitFor();
    await row(legId + 1, 'pending').waitFor();
    const stopTrade = page.locator(`.tape .trade[data-taker="${stopId}"]`);
    await stopTrade.waitFor();
    expect(await stopTrade.locator('.price').textContent()).toBe('102');
    expect(await stopTrade.locator('.size').textContent()).toBe('5');
    expect(engineLastPrice(machine, 0)).toBe(102);
    await expect.poll(() => page.locator('#last').getAttribute('data-price')).toBe('102');
    await expectLadderLikeEngine(page, machine, 0);

    // Its trail: placed pending, triggered by the last trade, filled.
    await row(stopId, 'filled').locator(`button[data-order="${stopId}"]`).click();
    await page.locator('.audit h3', { hasText: `Order #${stopId}` }).waitFor();
    expect(await page.locator('.audit .summary .what').textContent()).toBe('stop-market buy 5, stop ≥ 102 then at market, triggered at height 1');
    expect(await page.locator('.audit tr[data-kind]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.kind))).toEqual(['accepted', 'triggered', 'fill']);
    expect(await page.locator('.audit tr[data-kind="triggered"] td').last().textContent()).toBe('by last trade 102');

    // Cancelling the limit leg from the trader's list cancels the stop leg with it.
    await page.locator('.audit .summary button[data-trader="4242"]').click();
    await page.click(`.audit button[data-cancel="${legId}"]`);
    await row(legId + 1, 'cancelled').waitFor();
    expect(await row(legId + 1, 'cancelled').locator('td').last().textContent()).toBe('cancelled · OCO_SIBLING');
    expect(machine.order(legId)).toBeUndefined();
    expect(machine.order(legId + 1)).toBeUndefined();
    await expectLadderLikeEngine(page, machine, 0);
    expect(errors).toEqual([]);
  });
});
