// The price ladder: asks above, bids below, the touch in the middle with the spread between,
// a bar behind each size scaled to the largest size shown, and a flash where a level changed.
import { formatPrice, formatSize } from './format.js';

function cell(className, parent) {
  const span = document.createElement('span');
  span.className = className;
  parent.append(span);
  return span;
}

class LadderRow {
  constructor(parent, side) {
    this.side = side;
    this.element = document.createElement('div');
    this.element.className = `row ${side}`;
    this.bidOrders = cell('orders', this.element);
    this.bidSize = cell('size bid-size', this.element);
    this.bidBar = cell('bar', this.bidSize);
    this.bidText = cell('num', this.bidSize);
    this.price = cell('price', this.element);
    this.askSize = cell('size ask-size', this.element);
    this.askBar = cell('bar', this.askSize);
    this.askText = cell('num', this.askSize);
    this.askOrders = cell('orders', this.element);
    this.level = null;
    parent.append(this.element);
  }

  show(level, asset, largest, before, mine) {
    this.level = level ?? null;
    const row = this.element;
    row.classList.toggle('mine', level !== undefined && mine.has(level.price));
    const [sizeText, ordersText, bar] = this.side === 'bid'
      ? [this.bidText, this.bidOrders, this.bidBar]
      : [this.askText, this.askOrders, this.askBar];
    if (level === undefined) {
      row.classList.add('empty');
      delete row.dataset.price;
      delete row.dataset.size;
      delete row.dataset.orders;
      this.price.textContent = '';
      sizeText.textContent = '';
      ordersText.textContent = '';
      bar.style.width = '0';
      return;
    }
    row.classList.remove('empty');
    row.dataset.side = this.side;
    row.dataset.price = String(level.price);
    row.dataset.size = String(level.size);
    row.dataset.orders = String(level.orders);
    this.price.textContent = formatPrice(level.price, asset);
    sizeText.textContent = formatSize(level.size);
    ordersText.textContent = String(level.orders);
    bar.style.width = `${Math.max(1, (level.size / largest) * 100).toFixed(1)}%`;
    if (before !== undefined && before !== level.size) {
      row.classList.remove('flash-up', 'flash-down');
      void row.offsetWidth; // restart the animation
      row.classList.add(level.size > before ? 'flash-up' : 'flash-down');
    }
  }
}

/** Heights in px of a level row, the column heads and the spread row (style.css). */
const ROW_HEIGHT = 21;
const CHROME_HEIGHT = 24 + 26 + 8;

export class Ladder {
  /** As many rows as fit, the same number on each side, so the touch stays in the middle. */
  constructor(root, { onPick = () => {} } = {}) {
    this.root = root;
    this.rowsPerSide = 0;
    this.last = null;
    this.build(this.fittingRows());
    new ResizeObserver(() => {
      const rows = this.fittingRows();
      if (rows === this.rowsPerSide) return;
      this.build(rows);
      if (this.last !== null) this.render(...this.last);
    }).observe(root);
    root.addEventListener('click', (event) => {
      const row = event.target.closest('.row[data-price]');
      if (row !== null) onPick({ side: row.dataset.side, price: Number(row.dataset.price) });
    });
  }

  fittingRows() {
    return Math.max(5, Math.floor((this.root.clientHeight - CHROME_HEIGHT) / ROW_HEIGHT / 2));
  }

  build(rowsPerSide) {
    const root = this.root;
    this.rowsPerSide = rowsPerSide;
    root.replaceChildren();
    const head = document.createElement('div');
    head.className = 'row head';
    for (const [text, className] of [['Orders', 'orders'], ['Bid size', 'size'], ['Price', 'price'], ['Ask size', 'size'], ['Orders', 'orders']]) {
      cell(className, head).textContent = text;
    }
    root.append(head);
    this.askRows = Array.from({ length: rowsPerSide }, () => new LadderRow(root, 'ask'));
    this.spread = document.createElement('div');
    this.spread.className = 'row spread';
    root.append(this.spread);
    this.bidRows = Array.from({ length: rowsPerSide }, () => new LadderRow(root, 'bid'));
    this.shown = { bid: new Map(), ask: new Map() };
  }

  /** mine: prices where the order-entry trader has orders of that side resting ({ bid: Set, ask: Set }). */
  render(book, asset, mine = { bid: new Set(), ask: new Set() }) {
    this.last = [book, asset, mine];
    const { bids, asks } = book.depth(this.rowsPerSide);
    let largest = 1;
    for (const level of bids) largest = Math.max(largest, level.size);
    for (const level of asks) largest = Math.max(largest, level.size);
    const shown = { bid: new Map(), ask: new Map() };
    // The best ask sits just above the spread: asks fill the upper rows from the bottom up.
    for (let i = 0; i < this.rowsPerSide; i++) {
      const ask = asks[i];
      this.askRows[this.rowsPerSide - 1 - i].show(ask, asset, largest, ask && this.shown.ask.get(ask.price), mine.ask);
      if (ask) shown.ask.set(ask.price, ask.size);
      const bid = bids[i];
      this.bidRows[i].show(bid, asset, largest, bid && this.shown.bid.get(bid.price), mine.bid);
      if (bid) shown.bid.set(bid.price, bid.size);
    }
    this.shown = shown;
    const bestBid = bids[0];
    const bestAsk = asks[0];
    this.spread.textContent = bestBid && bestAsk
      ? `spread ${formatPrice(bestAsk.price - bestBid.price, asset)}`
      : bestBid || bestAsk ? 'one-sided book' : 'empty book';
  }
}
