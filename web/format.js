// How numbers look on the page. Prices are engine ticks; an asset says how many ticks make one
// display unit (LOBSTER: 10,000 per dollar) and how many decimals to show.

const sizeFormat = new Intl.NumberFormat('en-US');

export function formatSize(size) {
  return sizeFormat.format(size);
}

export function formatPrice(ticks, asset) {
  const scale = asset?.priceScale ?? 1;
  if (scale === 1) return String(ticks);
  let decimals = asset.priceDecimals ?? 2;
  const most = Math.round(Math.log10(scale));
  // A price finer than the usual decimals keeps its precision rather than being rounded away.
  while (decimals < most && Math.abs(Math.round(ticks / scale * 10 ** decimals) * scale / 10 ** decimals - ticks) > 1e-6) decimals++;
  return (ticks / scale).toFixed(decimals);
}

function twoDigits(value) {
  return String(value).padStart(2, '0');
}

/** A time on the source's clock: ms after midnight of a replayed day, or ms since the epoch. */
export function formatTime(time, clock) {
  let h;
  let m;
  let s;
  let ms;
  if (clock === 'session') {
    const total = Math.max(0, Math.floor(time));
    h = Math.floor(total / 3_600_000);
    m = Math.floor(total / 60_000) % 60;
    s = Math.floor(total / 1000) % 60;
    ms = total % 1000;
  } else {
    const date = new Date(time);
    h = date.getHours();
    m = date.getMinutes();
    s = date.getSeconds();
    ms = date.getMilliseconds();
  }
  return `${twoDigits(h)}:${twoDigits(m)}:${twoDigits(s)}.${String(ms).padStart(3, '0')}`;
}

export function sideName(side) {
  return side === 'bid' ? 'buy' : side === 'ask' ? 'sell' : String(side);
}
