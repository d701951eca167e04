// The trade tape: newest on top, coloured by the aggressor (a buyer lifting the offer is green,
// a seller hitting the bid red), with the tick against the trade before it.
import { formatPrice, formatSize, formatTime } from './format.js';

const ROWS = 80;

export class Tape {
  constructor(root, { onPick = () => {} } = {}) {
    this.root = root;
    root.replaceChildren();
    const head = document.createElement('div');
    head.className = 'trade head';
    for (const text of ['Time', 'Price', 'Size', '']) {
      const span = document.createElement('span');
      span.textContent = text;
      head.append(span);
    }
    this.body = document.createElement('div');
    this.body.className = 'trades';
    root.append(head, this.body);
    this.rows = Array.from({ length: ROWS }, () => {
      const row = document.createElement('div');
      row.className = 'trade';
      row.append(...['time', 'price', 'size', 'tick'].map((name) => {
        const span = document.createElement('span');
        span.className = name;
        return span;
      }));
      this.body.append(row);
      return row;
    });
    this.trades = [];
    this.body.addEventListener('click', (event) => {
      const row = event.target.closest('.trade');
      const trade = row === null ? undefined : this.trades[Number(row.dataset.index)];
      if (trade !== undefined) onPick(trade);
    });
  }

  /** trades: [price, size, takerSide, makerOrderId, takerOrderId, makerTrader, takerTrader, height, time], oldest first. */
  render(trades, asset, clock) {
    this.trades = trades;
    for (let i = 0; i < ROWS; i++) {
      const row = this.rows[i];
      const index = trades.length - 1 - i;
      const trade = trades[index];
      if (trade === undefined) {
        row.hidden = true;
        row.className = 'trade';
        continue;
      }
      row.hidden = false;
      row.dataset.index = String(index);
      row.dataset.maker = String(trade[3]);
      row.dataset.taker = String(trade[4]);
      const [price, size, takerSide] = trade;
      const before = trades[index - 1];
      row.className = `trade ${takerSide === 0 ? 'buy' : 'sell'}`;
      row.title = `taker order ${trade[4]} (trader ${trade[6]}) ${takerSide === 0 ? 'bought from' : 'sold to'} maker order ${trade[3]} (trader ${trade[5]}) at height ${trade[7]}`;
      const [time, priceCell, sizeCell, tick] = row.children;
      time.textContent = formatTime(trade[8], clock);
      priceCell.textContent = formatPrice(price, asset);
      sizeCell.textContent = formatSize(size);
      tick.textContent = before === undefined || before[0] === price ? '' : price > before[0] ? '▲' : '▼';
    }
  }
}
