// A small SVG writer for the report's charts: grouped bars on a log scale. No dependencies;
// the output is plain SVG 1.1 that GitHub renders in a README.

export interface BarSeries {
  name: string;
  color: string;
}

export interface GroupedBarChart {
  title: string;
  /** Axis label, e.g. "commands / s". */
  unit: string;
  groups: string[];
  series: BarSeries[];
  /** values[group][series]; undefined draws "n/a". */
  values: (number | undefined)[][];
  format(value: number): string;
}

export const PALETTE = ['#1f6feb', '#58a6ff', '#d29922', '#e3b341', '#8b949e', '#da3633', '#3fb950', '#a371f7'];

const WIDTH_PER_BAR = 18;
const GROUP_GAP = 26;
const LEFT = 78;
const TOP = 48;
const PLOT_HEIGHT = 260;
const BOTTOM = 60;

export function groupedBarChartSvg(chart: GroupedBarChart): string {
  const positive = chart.values.flat().filter((v): v is number => v !== undefined && v > 0 && Number.isFinite(v));
  const [lo, hi] = positive.length > 0 ? logBounds(Math.min(...positive), Math.max(...positive)) : [1, 10];
  const groupWidth = chart.series.length * WIDTH_PER_BAR;
  const plotWidth = chart.groups.length * (groupWidth + GROUP_GAP) + GROUP_GAP;
  const legendWidth = 230;
  const width = LEFT + plotWidth + legendWidth;
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const y = (v: number): number => TOP + PLOT_HEIGHT - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PLOT_HEIGHT;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold" fill="#24292f">${escapeXml(chart.title)}</text>`);
  parts.push(`<text x="${LEFT}" y="38" fill="#57606a">${escapeXml(chart.unit)}, log scale</text>`);
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    const yy = y(decade).toFixed(1);
    parts.push(`<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${yy}" y2="${yy}" stroke="#d0d7de" stroke-width="1"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#57606a">${escapeXml(chart.format(decade))}</text>`);
  }
  parts.push(`<line x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${TOP + PLOT_HEIGHT}" stroke="#57606a"/>`);
  chart.groups.forEach((group, g) => {
    const x0 = LEFT + GROUP_GAP + g * (groupWidth + GROUP_GAP);
    chart.series.forEach((series, s) => {
      const value = chart.values[g]?.[s];
      const x = x0 + s * WIDTH_PER_BAR;
      if (value === undefined || !(value > 0)) {
        parts.push(`<text x="${x + WIDTH_PER_BAR / 2}" y="${TOP + PLOT_HEIGHT - 4}" text-anchor="middle" font-size="8" fill="#8c959f" transform="rotate(-90 ${x + WIDTH_PER_BAR / 2} ${TOP + PLOT_HEIGHT - 4})">n/a</text>`);
        return;
      }
      const top = y(value);
      parts.push(`<rect x="${x + 1}" y="${top.toFixed(1)}" width="${WIDTH_PER_BAR - 2}" height="${(TOP + PLOT_HEIGHT - top).toFixed(1)}" fill="${series.color}"><title>${escapeXml(`${group} / ${series.name}: ${chart.format(value)}`)}</title></rect>`);
    });
    parts.push(`<text x="${x0 + groupWidth / 2}" y="${TOP + PLOT_HEIGHT + 18}" text-anchor="middle" fill="#24292f">${escapeXml(group)}</text>`);
  });
  const legendX = LEFT + plotWidth + 16;
  chart.series.forEach((series, s) => {
    const yy = TOP + s * 18;
    parts.push(`<rect x="${legendX}" y="${yy}" width="12" height="12" fill="${series.color}"/>`);
    parts.push(`<text x="${legendX + 18}" y="${yy + 10}" fill="#24292f">${escapeXml(series.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Whole decades around the data. */
function logBounds(min: number, max: number): [number, number] {
  const lo = 10 ** Math.floor(Math.log10(min));
  let hi = 10 ** Math.ceil(Math.log10(max));
  if (hi <= lo) hi = lo * 10;
  return [lo, hi];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1.2M, 340k, 12 */
export function formatCount(value: number): string {
  if (value >= 1e9) return `${trim(value / 1e9)}G`;
  if (value >= 1e6) return `${trim(value / 1e6)}M`;
  if (value >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

/** Nanoseconds as ns / us / ms. */
export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${trim(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${trim(ns / 1e3)} us`;
  return `${trim(ns)} ns`;
}

function trim(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
