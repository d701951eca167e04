// The audit trail: an order's record and lifecycle, or a trader's open orders, recently closed
// orders and fills. Order ids and traders are links to their own trail.
import { formatPrice, formatSize, sideName } from './format.js';

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function link(kind, value) {
  const button = element('button', 'link', `${kind === 'order' ? '#' : 'trader '}${value}`);
  button.type = 'button';
  button.dataset[kind] = String(value);
  return button;
}

function table(headings, rows) {
  const t = element('table');
  const head = element('tr');
  for (const heading of headings) head.append(element('th', '', heading));
  t.append(head);
  for (const cells of rows) {
    const row = element('tr');
    for (const value of cells) {
      const td = element('td');
      if (value instanceof Node) td.append(value);
      else td.textContent = value;
      row.append(td);
    }
    t.append(row);
  }
  return t;
}

export class AuditPanel {
  /** asset(id): an asset's info, for prices. canCancel(trader): whether to offer cancel buttons. onCancel(order). */
  /** onTrader(trader, open): a trader's open orders were just read. */
  constructor(root, { client, asset, canCancel = () => false, onCancel = () => {}, onTrader = () => {} }) {
    this.onTrader = onTrader;
    this.root = root;
    this.client = client;
    this.asset = asset;
    this.canCancel = canCancel;
    this.onCancel = onCancel;
    this.query = null;
    this.busy = false;
    this.hint();
    root.addEventListener('click', (event) => {
      const target = event.target.closest('button');
      if (target === null) return;
      if (target.dataset.order !== undefined) void this.showOrder(Number(target.dataset.order));
      else if (target.dataset.trader !== undefined) void this.showTrader(Number(target.dataset.trader));
      else if (target.dataset.cancel !== undefined) this.onCancel(this.openOrders.get(Number(target.dataset.cancel)));
    });
    this.openOrders = new Map();
  }

  hint() {
    this.root.replaceChildren(element('p', 'muted', 'Click a trade on the tape, or an order id or trader here, to see its audit trail.'));
  }

  async showOrder(orderId) {
    this.query = { orderId };
    await this.run();
  }

  async showTrader(trader) {
    this.query = { trader };
    await this.run();
  }

  /** Runs the current query again (after an order, or a trade of the trader shown). */
  async refresh() {
    if (this.query !== null && !this.busy) await this.run();
  }

  async run() {
    const query = this.query;
    this.busy = true;
    try {
      const answer = await this.client.request({ type: 'audit', ...query });
      if (query !== this.query) return;
      if (answer.type === 'auditOrder') this.renderOrder(answer);
      else this.renderTrader(answer);
    } catch (error) {
      this.root.replaceChildren(element('p', 'error', error.message));
    } finally {
      this.busy = false;
    }
  }

  price(value, assetId) {
    return value === 0 ? '—' : formatPrice(value, this.asset(assetId));
  }

  renderOrder({ orderId, order, events }) {
    const parts = [];
    const title = element('h3', '', `Order #${orderId}`);
    parts.push(title);
    if (order === null) {
      parts.push(element('p', 'muted', 'No record of this order (never placed, or older than the history kept).'));
      this.root.replaceChildren(...parts);
      return;
    }
    const summary = element('p', 'summary');
    summary.append(
      link('trader', order.trader),
      ` ${order.type} ${sideName(order.side)} ${formatSize(order.size)} @ ${this.price(order.price, order.asset)}`,
      element('span', `status ${order.status}`, order.status + (order.reason ? ` · ${order.reason}` : '')),
      ` filled ${formatSize(order.filled)}, remaining ${formatSize(order.remaining)}`,
    );
    parts.push(summary);
    // A fill event carries the maker's remaining size; as the taker, this order's is counted down.
    let left = 0;
    parts.push(table(['height', 'event', 'price', 'size', 'left', ''], events.map((e) => {
      left = e.kind === 'fill' && e.orderId !== orderId ? left - e.size : e.remaining;
      return [formatSize(e.height), e.kind, this.price(e.price, e.asset), formatSize(e.size), formatSize(left), this.detail(e, orderId)];
    })));
    this.root.replaceChildren(...parts);
  }

  detail(event, orderId) {
    if (event.kind === 'fill') {
      const other = event.orderId === orderId ? event.takerOrderId : event.orderId;
      const span = element('span', '', event.orderId === orderId ? 'maker vs ' : 'taker vs ');
      span.append(link('order', other));
      return span;
    }
    if (event.kind === 'modified') return event.priorityLost ? 'lost priority' : 'kept priority';
    return event.reason ?? '';
  }

  renderTrader({ trader, open, closed, fills }) {
    this.openOrders = new Map(open.map((order) => [order.orderId, order]));
    this.onTrader(trader, open);
    const cancel = this.canCancel(trader);
    const parts = [element('h3', '', `Trader ${trader}`)];
    parts.push(element('h4', '', `Open orders (${open.length})`));
    parts.push(open.length === 0 ? element('p', 'muted', 'none') : table(['order', 'side', 'price', 'left', ''], open.map((o) => {
      let action = '';
      if (cancel) {
        action = element('button', 'small-cancel', 'cancel');
        action.type = 'button';
        action.dataset.cancel = String(o.orderId);
      }
      return [link('order', o.orderId), sideName(o.side), this.price(o.price, o.asset), formatSize(o.remaining), action];
    })));
    parts.push(element('h4', '', 'Recently closed'));
    parts.push(closed.length === 0 ? element('p', 'muted', 'none') : table(['order', 'side', 'price', 'filled', 'status'], closed.map((o) => [
      link('order', o.orderId), sideName(o.side), this.price(o.price, o.asset), formatSize(o.filled), o.reason ? `${o.status} · ${o.reason}` : o.status,
    ])));
    parts.push(element('h4', '', 'Recent fills'));
    parts.push(fills.length === 0 ? element('p', 'muted', 'none') : table(['height', 'order', 'side', 'price', 'size', 'vs'], fills.map((f) => {
      const taker = f.takerTrader === trader;
      const own = taker ? f.takerOrderId : f.makerOrderId;
      const side = taker ? f.takerSide : (f.takerSide === 'bid' ? 'ask' : 'bid');
      return [formatSize(f.height), link('order', own), sideName(side), this.price(f.price, f.asset), formatSize(f.size), link('trader', taker ? f.makerTrader : f.takerTrader)];
    })));
    this.root.replaceChildren(...parts);
  }
}
