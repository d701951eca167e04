// Cumulative depth, drawn on a canvas: at each price, the size resting at it or better. Bids
// step up to the left of the mid, asks to the right; the range is symmetric around the mid and
// covers the nearest levels of both sides.
import { formatPrice, formatSize } from './format.js';

/** Levels per side that set the price range (the nearer side's reach decides, so both show). */
const RANGE_LEVELS = 25;
const PAD = { left: 58, right: 12, top: 14, bottom: 26 };

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export class DepthChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.last = null;
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = this.canvas.getBoundingClientRect();
    this.canvas.width = Math.max(1, Math.round(width * ratio));
    this.canvas.height = Math.max(1, Math.round(height * ratio));
    this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (this.last !== null) this.render(...this.last);
  }

  render(book, asset) {
    this.last = [book, asset];
    const ctx = this.context;
    const { width, height } = this.canvas.getBoundingClientRect();
    ctx.clearRect(0, 0, width, height);
    const { bids, asks } = book.depth();
    const font = css('--mono');
    ctx.font = `11px ${font}`;
    if (bids.length === 0 && asks.length === 0) {
      ctx.fillStyle = css('--muted');
      ctx.textAlign = 'center';
      ctx.fillText('no orders', width / 2, height / 2);
      return;
    }
    const mid = bids.length && asks.length ? (bids[0].price + asks[0].price) / 2 : (bids[0] ?? asks[0]).price;
    const reaches = [];
    if (bids.length > 0) reaches.push(mid - bids[Math.min(bids.length, RANGE_LEVELS) - 1].price);
    if (asks.length > 0) reaches.push(asks[Math.min(asks.length, RANGE_LEVELS) - 1].price - mid);
    const half = Math.max(1, Math.min(...reaches));
    const low = mid - half;
    const high = mid + half;
    const cumulative = (levels, inRange) => {
      let sum = 0;
      return levels.filter(inRange).map((level) => ({ price: level.price, total: (sum += level.size) }));
    };
    const bidSteps = cumulative(bids, (l) => l.price >= low);
    const askSteps = cumulative(asks, (l) => l.price <= high);
    const top = Math.max(1, bidSteps.at(-1)?.total ?? 0, askSteps.at(-1)?.total ?? 0) * 1.08;
    const plot = { x: PAD.left, y: PAD.top, w: width - PAD.left - PAD.right, h: height - PAD.top - PAD.bottom };
    const x = (price) => plot.x + ((price - low) / (high - low)) * plot.w;
    const y = (total) => plot.y + plot.h - (total / top) * plot.h;

    // Grid and axes.
    ctx.strokeStyle = css('--grid');
    ctx.fillStyle = css('--muted');
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const total = (top / 1.08) * (i / 4);
      const yy = Math.round(y(total)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(plot.x, yy);
      ctx.lineTo(plot.x + plot.w, yy);
      ctx.stroke();
      ctx.fillText(formatSize(Math.round(total)), plot.x - 6, yy);
    }
    ctx.textBaseline = 'top';
    for (let i = 0; i <= 4; i++) {
      const price = low + ((high - low) * i) / 4;
      ctx.textAlign = i === 0 ? 'left' : i === 4 ? 'right' : 'center';
      ctx.fillText(formatPrice(Math.round(price), asset), x(price), plot.y + plot.h + 8);
    }
    ctx.textAlign = 'center';

    this.area(bidSteps, -1, x, y, plot, css('--bid'), css('--bid-fill'));
    this.area(askSteps, 1, x, y, plot, css('--ask'), css('--ask-fill'));

    // The mid.
    ctx.setLineDash([3, 3]);
    ctx.strokeStyle = css('--muted');
    ctx.beginPath();
    ctx.moveTo(Math.round(x(mid)) + 0.5, plot.y);
    ctx.lineTo(Math.round(x(mid)) + 0.5, plot.y + plot.h);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = css('--text');
    ctx.textBaseline = 'top';
    ctx.fillText(`mid ${formatPrice(Math.round(mid), asset)}`, x(mid), plot.y);
  }

  /** One side's staircase, from its best price outwards (direction -1: left, 1: right), to the edge. */
  area(steps, direction, x, y, plot, line, fill) {
    if (steps.length === 0) return;
    const ctx = this.context;
    const edge = direction < 0 ? plot.x : plot.x + plot.w;
    ctx.beginPath();
    ctx.moveTo(x(steps[0].price), y(0));
    let previous = 0;
    for (const step of steps) {
      ctx.lineTo(x(step.price), y(previous));
      ctx.lineTo(x(step.price), y(step.total));
      previous = step.total;
    }
    ctx.lineTo(edge, y(previous));
    ctx.strokeStyle = line;
    ctx.lineWidth = 1.5;
    ctx.stroke();
    ctx.lineTo(edge, y(0));
    ctx.closePath();
    ctx.fillStyle = fill;
    ctx.fill();
  }
}
