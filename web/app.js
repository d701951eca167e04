// The page: wires the feed client to the views and renders at most once per animation frame,
// however many frames arrive.
import { AuditPanel } from './audit.js';
import { DepthChart } from './depth-chart.js';
import { FeedClient } from './feed-client.js';
import { Ladder } from './ladder.js';
import { MarketBar } from './market-bar.js';
import { OrderEntry } from './order-entry.js';
import { Tape } from './tape.js';

/** The order-entry token arrives in the link's fragment (never sent to the server); it is kept for the tab only. */
function takeToken() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token !== null) {
    sessionStorage.setItem('lobcore-token', token);
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem('lobcore-token') ?? '';
}

const byId = (id) => document.getElementById(id);
const assetInfo = (id = client.asset) => client.hello?.source.assets.find((a) => a.asset === id);

const client = new FeedClient({ url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/feed`, onChange: changed });
const bar = new MarketBar({ client, onAsset: (asset) => client.watch(asset) });
const entry = new OrderEntry(byId('entry'), { client, asset: () => assetInfo(), token: takeToken(), onDone: (trader) => {
  if (audit.query === null || audit.query.trader !== undefined) void audit.showTrader(Number(trader));
  else void readEntryOrders(trader);
} });

/**
 * The entry trader's open orders, for the ladder's marks, read without the audit panel: it shows an
 * order's trail, which the user opened and which stays, and the order just answered must be marked.
 */
async function readEntryOrders(trader) {
  try {
    const answer = await client.request({ type: 'audit', trader: Number(trader) });
    if (String(answer.trader) !== entry.trader.trim()) return;
    entryOpen = { trader: String(answer.trader), open: answer.open };
    changed('audit');
  } catch {
    // Offline, or no trader typed: the marks stay as they were, as the panel's would.
  }
}
const audit = new AuditPanel(byId('audit'), {
  client,
  asset: (id) => assetInfo(id),
  canCancel: (trader) => client.hello?.orders === true && String(trader) === entry.trader.trim(),
  onCancel: (order) => void entry.cancel(order),
  onTrader: (trader, open) => {
    if (String(trader) !== entry.trader.trim()) return;
    entryOpen = { trader: String(trader), open };
    changed('audit');
  },
});
// The ladder marks the levels of the trader typed: another one typed redraws it.
byId('f-trader').addEventListener('input', () => changed('trader'));
const ladder = new Ladder(byId('ladder'), { onPick: ({ price }) => entry.setPrice(price) });
const depth = new DepthChart(byId('depth'));
const tape = new Tape(byId('tape'), { onPick: (trade) => void audit.showOrder(trade[4]) });

let scheduled = false;
/** The order-entry trader's open orders on every asset (from the last look at that trader). */
let entryOpen = { trader: '', open: [] };
/** The newest trade the audit panel has been checked against. */
let newestSeen;

function changed(reason) {
  if (reason === 'hello') {
    bar.setup(client.hello, client.asset);
    entry.enable(client.hello.orders);
  }
  if (reason === 'delta' && client.trades.at(-1) !== newestSeen) refreshTraderTrail();
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(render);
  }
}

/**
 * The trader shown in the audit panel may have a new trail: they traded, or they have pending
 * stops on this asset, which any trade may have triggered (a triggered stop-limit may rest
 * without trading).
 */
function refreshTraderTrail() {
  const trades = client.trades;
  let index = trades.length - 1;
  const stop = trades.lastIndexOf(newestSeen);
  newestSeen = trades.at(-1);
  const trader = audit.query?.trader;
  if (trader === undefined) return;
  if (audit.hasPendingStops(client.asset)) return void audit.refresh();
  for (; index > stop; index--) {
    if (trades[index][5] === trader || trades[index][6] === trader) return void audit.refresh();
  }
}

/**
 * Prices where the entry trader's orders rest on the asset shown, by side. Worked out at each
 * render, not when the trader was read: the asset shown, or the trader typed, may have changed
 * since, and another asset's or another trader's orders must mark nothing here.
 */
function entryLevels() {
  const mine = { bid: new Set(), ask: new Set() };
  if (entryOpen.trader !== entry.trader.trim()) return mine;
  // Pending stops are off the book: they mark no level.
  for (const order of entryOpen.open) if (order.asset === client.asset && order.status === 'resting') mine[order.side].add(order.price);
  return mine;
}

function render() {
  scheduled = false;
  const info = assetInfo();
  document.body.dataset.state = client.state;
  bar.render(info);
  ladder.render(client.book, info, entryLevels());
  depth.render(client.book, info);
  tape.render(client.trades, info, client.hello?.source.clock ?? 'wall');
}

client.connect();
