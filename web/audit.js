// The audit trail: an order's record and lifecycle, or a trader's open orders, recently closed
// orders and fills. Order ids and traders are links to their own trail. A long trail comes as its
// acceptance and newest events with a count of those between; "more" asks for them a page at a
// time, and the panel holds only the pages asked for. Pending stops (off the book until they
// trigger) and the legs of OCO pairs are marked as such wherever they appear.
import { formatPrice, formatSize, sideName } from './format.js';

const TYPE_NAMES = { limit: 'limit', market: 'market', stop_limit: 'stop-limit', stop_market: 'stop-market' };

/** An order's kind as a trader says it: a market order placed with a budget is a budget order. */
function typeName(order) {
  return order.type === 'market' && order.budget !== undefined ? 'budget' : TYPE_NAMES[order.type] ?? order.type;
}

/** The trigger of a stop: a buy stop waits for a trade at or above its stop price, a sell stop at or below. */
function triggerText(side, stopPrice, price) {
  return `stop ${side === 'bid' ? '≥' : '≤'} ${price(stopPrice)}`;
}

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

/** decorate(row, index): marks a row (its data attributes, its class). */
function table(headings, rows, decorate = () => {}) {
  const t = element('table');
  const head = element('tr');
  for (const heading of headings) head.append(element('th', '', heading));
  t.append(head);
  for (const [index, cells] of rows.entries()) {
    const row = element('tr');
    decorate(row, index);
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
      else if (target.dataset.more !== undefined) void this.showMore();
    });
    this.openOrders = new Map();
    /**
     * The order shown: its record, the events the server gave, and what it left out. `head` is the
     * acceptance when events are left out after it, `tail` the newest and every older page asked for.
     */
    this.trail = null;
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
    this.trail = null;
    try {
      const answer = await this.client.request({ type: 'audit', ...query });
      if (query !== this.query) return;
      if (answer.type === 'auditOrder') {
        const { orderId, order, events, left, next } = answer;
        const gap = left > 0;
        this.trail = { orderId, order, head: gap ? events.slice(0, 1) : events, tail: gap ? events.slice(1) : [], left, next };
        this.renderOrder(this.trail);
      } else {
        this.renderTrader(answer);
      }
    } catch (error) {
      this.root.replaceChildren(element('p', 'error', error.message));
    } finally {
      this.busy = false;
    }
  }

  /** The page of events before the oldest of the tail (the server's next), the gap shrinking by what it brings. */
  async showMore() {
    const trail = this.trail;
    if (trail === null || trail.next === null || this.busy) return;
    this.busy = true;
    try {
      const answer = await this.client.request({ type: 'audit', orderId: trail.orderId, before: trail.next });
      if (trail !== this.trail) return;
      // What lies before a cursor never changes: the first frame's count, less what each page brought.
      trail.tail = [...answer.events, ...trail.tail];
      trail.left = answer.next === null ? 0 : trail.left - answer.events.length;
      trail.next = trail.left > 0 ? answer.next : null;
      this.renderOrder(trail);
    } catch (error) {
      this.root.replaceChildren(element('p', 'error', error.message));
    } finally {
      this.busy = false;
    }
  }

  price(value, assetId) {
    return value === 0 || value === undefined ? '—' : formatPrice(value, this.asset(assetId));
  }

  /** What an order is, in a line: its kind, side, size and prices; a stop's trigger; a budget; its OCO sibling. */
  describe(order) {
    const price = (value) => this.price(value, order.asset);
    const side = sideName(order.side);
    const parts = [];
    switch (order.type) {
      case 'market':
        parts.push(order.budget !== undefined
          ? `budget market ${side}, budget ${formatSize(order.budget)}, spent ${formatSize(order.spent ?? 0)}`
          : `market ${side} ${formatSize(order.size)}`);
        if (order.price !== 0) parts.push(`, protection ${price(order.price)}`);
        break;
      case 'stop_limit':
        parts.push(`stop-limit ${side} ${formatSize(order.size)}, ${triggerText(order.side, order.stopPrice, price)} then @ ${price(order.price)}`);
        break;
      case 'stop_market':
        parts.push(`stop-market ${side} ${formatSize(order.size)}, ${triggerText(order.side, order.stopPrice, price)} then at market`);
        if (order.price !== 0) parts.push(`, protection ${price(order.price)}`);
        break;
      default:
        parts.push(`${order.type} ${side} ${formatSize(order.size)} @ ${price(order.price)}`);
    }
    if (order.triggeredHeight !== undefined) parts.push(`, triggered at height ${formatSize(order.triggeredHeight)}`);
    if (order.ocoSiblingId !== undefined) parts.push(' · OCO with ', link('order', order.ocoSiblingId));
    return parts;
  }

  /** Whether the trader shown has pending stops on an asset: any trade there may trigger them. */
  hasPendingStops(asset) {
    for (const order of this.openOrders.values()) if (order.status === 'pending' && order.asset === asset) return true;
    return false;
  }

  renderOrder({ orderId, order, head = [], tail = [], left = 0 }) {
    const parts = [];
    const title = element('h3', '', `Order #${orderId}`);
    parts.push(title);
    if (order === null) {
      parts.push(element('p', 'muted', 'No record of this order (never placed, or older than the history kept).'));
      this.root.replaceChildren(...parts);
      return;
    }
    const summary = element('p', 'summary');
    summary.append(link('trader', order.trader), ' ');
    const what = element('span', 'what');
    what.append(...this.describe(order));
    summary.append(
      what,
      element('span', `status ${order.status}`, order.status + (order.reason ? ` · ${order.reason}` : '')),
      ` filled ${formatSize(order.filled)}, remaining ${formatSize(order.remaining)}`,
    );
    parts.push(summary);
    // A fill event carries the maker's remaining size; as the taker, this order's is counted down.
    // A budget order has no size to count down: what it has left is money, not lots.
    // Past events left out, a taker's count is not known until an event states it again.
    const sized = order.budget === undefined;
    const events = [...head, ...tail];
    let remaining = 0;
    const t = table(['height', 'event', 'price', 'size', 'left', ''], events.map((e, index) => {
      if (index === head.length && left > 0) remaining = null;
      const taking = e.kind === 'fill' && e.orderId !== orderId;
      remaining = taking ? (remaining === null ? null : remaining - e.size) : e.remaining;
      return [formatSize(e.height), e.kind, this.price(e.price, e.asset), formatSize(e.size), sized && remaining !== null ? formatSize(remaining) : '', this.detail(e, orderId)];
    }), (row, index) => {
      row.dataset.kind = events[index].kind;
      if (events[index].pending) row.classList.add('pending');
    });
    if (left > 0) {
      // Between the acceptance and the newest: the server's count of what it has not sent.
      const gap = element('tr', 'gap');
      const cell = element('td', 'muted', `${formatSize(left)} earlier ${left === 1 ? 'event' : 'events'} not shown `);
      cell.colSpan = 6;
      const more = element('button', 'small-more', 'more');
      more.type = 'button';
      more.dataset.more = '';
      cell.append(more);
      gap.append(cell);
      t.rows[head.length + 1].before(gap);
    }
    parts.push(t);
    this.root.replaceChildren(...parts);
  }

  detail(event, orderId) {
    const price = (value) => this.price(value, event.asset);
    if (event.kind === 'fill') {
      const other = event.orderId === orderId ? event.takerOrderId : event.orderId;
      const span = element('span', '', event.orderId === orderId ? 'maker vs ' : 'taker vs ');
      span.append(link('order', other));
      return span;
    }
    if (event.kind === 'modified') return event.priorityLost ? 'lost priority' : 'kept priority';
    if (event.kind === 'triggered') return `by last trade ${price(event.lastPrice)}`;
    if (event.kind === 'accepted') {
      const notes = [];
      if (event.type === 'stop_limit' || event.type === 'stop_market') notes.push(triggerText(event.side, event.stopPrice, price));
      if (event.budget !== undefined) notes.push(`budget ${formatSize(event.budget)}`);
      if (event.pending) notes.push('pending');
      const span = element('span', '', notes.join(' · '));
      if (event.ocoSiblingId !== undefined) span.append(`${notes.length > 0 ? ' · ' : ''}OCO with `, link('order', event.ocoSiblingId));
      return span;
    }
    return event.reason ?? '';
  }

  /** An open order's kind: a pending stop with its trigger, an OCO leg with its sibling. */
  typeCell(order) {
    const cell = element('span', 'type');
    if (order.status === 'pending') {
      const tag = element('span', 'tag pending', triggerText(order.side, order.stopPrice, (v) => this.price(v, order.asset)));
      tag.title = `${typeName(order)}: pending, off the book until it triggers`;
      cell.append(tag);
    } else {
      cell.append(typeName(order));
    }
    if (order.ocoSiblingId !== undefined) {
      const tag = element('span', 'tag oco', 'OCO ');
      tag.append(link('order', order.ocoSiblingId));
      cell.append(' ', tag);
    }
    return cell;
  }

  mark(row, order) {
    row.dataset.order = String(order.orderId);
    row.dataset.status = order.status;
    if (order.status === 'pending') row.classList.add('pending');
    if (order.ocoSiblingId !== undefined) row.dataset.oco = String(order.ocoSiblingId);
  }

  renderTrader({ trader, open, moreOpen, closed, fills }) {
    this.openOrders = new Map(open.map((order) => [order.orderId, order]));
    this.onTrader(trader, open);
    const cancel = this.canCancel(trader);
    const parts = [element('h3', '', `Trader ${trader}`)];
    // The server lists the newest open orders only: past them, their number is not a count.
    parts.push(element('h4', '', moreOpen ? `Open orders (the newest ${open.length}; more are open)` : `Open orders (${open.length})`));
    parts.push(open.length === 0 ? element('p', 'muted', 'none') : table(['order', 'type', 'side', 'price', 'left', ''], open.map((o) => {
      let action = '';
      if (cancel) {
        action = element('button', 'small-cancel', 'cancel');
        action.type = 'button';
        action.dataset.cancel = String(o.orderId);
      }
      return [link('order', o.orderId), this.typeCell(o), sideName(o.side), this.price(o.price, o.asset), formatSize(o.remaining), action];
    }), (row, index) => this.mark(row, open[index])));
    parts.push(element('h4', '', 'Recently closed'));
    parts.push(closed.length === 0 ? element('p', 'muted', 'none') : table(['order', 'type', 'side', 'price', 'filled', 'status'], closed.map((o) => [
      link('order', o.orderId), typeName(o), sideName(o.side), this.price(o.price, o.asset), formatSize(o.filled), o.reason ? `${o.status} · ${o.reason}` : o.status,
    ]), (row, index) => this.mark(row, closed[index])));
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
