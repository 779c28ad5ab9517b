// Chart.js, loaded after the page's own modules (the figures come first: a phone on a slow
// network paints the Total value before a chart library arrives), registered once with the
// parts the page uses and themed from the CSS properties.
let loading = null;
let ChartClass = null;

/** Resolves once Chart.js is loaded, registered and themed; the first call starts loading. */
export function loadCharts() {
  loading ??= import('chart.js').then((lib) => {
    const { ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Filler, LinearScale, LineController, LineElement, PointElement, Tooltip } = lib;
    Chart.register(ArcElement, BarController, BarElement, CategoryScale, DoughnutController, Filler, LinearScale, LineController, LineElement, PointElement, Tooltip);
    applyTheme(Chart);
    ChartClass = Chart;
    return Chart;
  });
  loading.catch(() => {
    loading = null; // a failed load is tried again by the next chart (its "Try again")
  });
  return loading;
}

/**
 * Resolves once a chart can be drawn, each caller in a task of its own: the sections that
 * waited for Chart.js then draw one after the other, not all in one long task that would
 * hold the page (and a phone's taps) for the time of all of them.
 */
export async function chartsReady() {
  await loadCharts();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Whether `newChart` can draw yet. */
export function chartsLoaded() {
  return ChartClass !== null;
}

/** A Chart.js chart on `canvas`; once `loadCharts()` has resolved. */
export function newChart(canvas, config) {
  if (!ChartClass) throw new Error('Chart.js is not loaded yet: await loadCharts() first.');
  return new ChartClass(canvas, config);
}

/** A theme colour from the CSS custom properties (`--up`, `--text-muted`, …). */
export function themeColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
}

function applyTheme(Chart) {
  const d = Chart.defaults;
  d.color = themeColor('text-muted');
  d.borderColor = themeColor('grid');
  d.font.family = getComputedStyle(document.body).fontFamily;
  d.font.size = 12;
  d.animation.duration = matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 400;
  const t = d.plugins.tooltip;
  t.backgroundColor = themeColor('surface-3');
  t.borderColor = themeColor('border-strong');
  t.borderWidth = 1;
  t.titleColor = themeColor('text-muted');
  t.bodyColor = themeColor('text');
  t.padding = 10;
  t.cornerRadius = 8;
  t.displayColors = false;
  t.titleFont = { weight: '500' };
  t.bodyFont = { weight: '600', size: 14 };
}

/** A vertical guide line at the hovered point (line charts). */
export const crosshair = {
  id: 'crosshair',
  afterDatasetsDraw(chart) {
    const active = chart.tooltip?.getActiveElements?.() ?? [];
    if (!active.length) return;
    const { ctx, chartArea } = chart;
    const x = active[0].element.x;
    ctx.save();
    ctx.strokeStyle = themeColor('border-strong');
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(x, chartArea.top);
    ctx.lineTo(x, chartArea.bottom);
    ctx.stroke();
    ctx.restore();
  },
};

/** A vertical gradient fill from `color` at the top to transparent at the bottom. */
export function gradientFill(color, strength = 0.32) {
  return (context) => {
    const { chart } = context;
    const area = chart.chartArea;
    if (!area) return 'transparent';
    const g = chart.ctx.createLinearGradient(0, area.top, 0, area.bottom);
    g.addColorStop(0, withAlpha(color, strength));
    g.addColorStop(1, withAlpha(color, 0));
    return g;
  };
}

/** `#rrggbb` or `hsl(h s% l%)` with an alpha. */
export function withAlpha(color, alpha) {
  if (color.startsWith('#') && color.length === 7) {
    const n = parseInt(color.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  if (color.startsWith('hsl(')) return color.replace(')', ` / ${alpha})`);
  return color;
}

