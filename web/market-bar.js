// The bar across the top: the asset picker, last trade, best bid and ask, spread, the feed's
// sequence and height, the link state (live, behind, resyncing, reconnecting), and the
// playback controls of a replay or the demo.
import { formatPrice, formatSize, formatTime } from './format.js';

const SPEED_LABELS = { 1: '1×', 10: '10×', max: 'max' };

function byId(id) {
  return document.getElementById(id);
}

export class MarketBar {
  constructor({ client, onAsset }) {
    this.client = client;
    this.picker = byId('asset');
    this.picker.addEventListener('change', () => onAsset(Number(this.picker.value)));
    byId('pause').addEventListener('click', () => {
      const paused = this.client.status?.playback?.paused;
      this.client.control(paused ? 'resume' : 'pause');
    });
    for (const button of document.querySelectorAll('[data-speed]')) {
      button.addEventListener('click', () => this.client.control('speed', button.dataset.speed));
    }
    this.lastAsset = null;
    this.lastPrice = null;
    this.lastDirection = '';
  }

  /** A new hello: the assets and the source. */
  setup(hello, asset) {
    this.picker.replaceChildren(...hello.source.assets.map((info) => {
      const option = document.createElement('option');
      option.value = String(info.asset);
      option.textContent = `${info.name} · ${info.asset}`;
      return option;
    }));
    if (asset !== null) this.picker.value = String(asset);
    byId('source').textContent = hello.source.title;
    byId('playback').hidden = hello.source.mode === 'db';
  }

  render(info) {
    const client = this.client;
    const book = client.book;
    const bid = book.bestBid();
    const ask = book.bestAsk();
    const text = (id, value) => {
      byId(id).textContent = value;
    };
    text('bid', bid ? `${formatPrice(bid.price, info)} × ${formatSize(bid.size)}` : '—');
    text('ask', ask ? `${formatPrice(ask.price, info)} × ${formatSize(ask.size)}` : '—');
    text('spread', bid && ask ? formatPrice(ask.price - bid.price, info) : '—');
    // The engine's last trade price (what stops trigger on), not the tape's newest row: a
    // database's book may have traded before the page, or the server, ever saw a trade.
    const last = client.lastPrice;
    if (client.asset !== this.lastAsset) {
      this.lastAsset = client.asset;
      this.lastPrice = null;
      this.lastDirection = '';
    }
    if (last !== 0 && last !== this.lastPrice) {
      if (this.lastPrice !== null) this.lastDirection = last > this.lastPrice ? 'up' : 'down';
      this.lastPrice = last;
    }
    const lastCell = byId('last');
    lastCell.textContent = last !== 0 ? `${formatPrice(last, info)} ${this.lastDirection === 'up' ? '▲' : this.lastDirection === 'down' ? '▼' : ''}` : '—';
    lastCell.dataset.price = String(last);
    lastCell.className = `value ${this.lastDirection}`;
    const seq = byId('seq');
    seq.textContent = book.synced ? formatSize(book.seq) : '—';
    seq.dataset.seq = book.synced ? String(book.seq) : '';
    text('height', book.synced ? formatSize(book.height) : '—');
    this.renderLink();
    this.renderPlayback();
  }

  renderLink() {
    const client = this.client;
    const link = byId('feed-state');
    let state = client.state;
    let label;
    if (state === 'live' && client.isBehind) {
      state = 'behind';
      const parts = [];
      if (client.behind.messages > 0) parts.push(`${formatSize(client.behind.messages)} msgs`);
      if (client.behind.ms > 1000) parts.push(`${(client.behind.ms / 1000).toFixed(1)} s`);
      label = `behind ${parts.join(' · ')}`;
    } else {
      label = { connecting: 'connecting…', syncing: 'resyncing…', live: 'live', offline: 'reconnecting…', closed: 'closed' }[state];
      if (state === 'offline' && client.closeReason) label = `reconnecting… (${client.closeReason})`;
    }
    link.dataset.state = state;
    link.textContent = label;
  }

  renderPlayback() {
    const playback = this.client.status?.playback;
    const clockKind = this.client.hello?.source.clock;
    if (!playback) return;
    const pause = byId('pause');
    pause.textContent = playback.done ? 'Finished' : playback.paused ? 'Resume' : 'Pause';
    pause.disabled = playback.done;
    pause.dataset.paused = String(playback.paused);
    for (const button of document.querySelectorAll('[data-speed]')) {
      button.setAttribute('aria-pressed', String(button.dataset.speed === String(playback.speed)));
      button.title = `play at ${SPEED_LABELS[button.dataset.speed]}`;
    }
    const clock = byId('clock');
    clock.textContent = clockKind === 'session'
      ? `${formatTime(playback.clock, 'session')} · ${formatSize(playback.position)} / ${formatSize(playback.total)}`
      : `block ${formatSize(playback.position)}`;
    const progress = byId('progress');
    progress.style.width = playback.total > 0 ? `${((playback.position / playback.total) * 100).toFixed(1)}%` : '100%';
    progress.parentElement.classList.toggle('endless', playback.total === 0);
  }
}
