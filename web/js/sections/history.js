// #history: the value chart for a chosen range, with all-time performance above it.
import { Chart, crosshair, gradientFill, themeColor } from '../charts.js';
import { axisDate, compactLabels, direction, money, pct, PERIOD_WORDS, tooltipDate, toNumber } from '../format.js';
import { h, SectionView, trendClass, withStates } from '../dom.js';

export const PERIODS = ['1D', '1W', '1M', '3M', '6M', 'YTD', '1Y', 'MAX'];

export function mount(root, ctx) {
  const view = new SectionView(root);
  let period = '1M';
  let chart = null;
  let request = null;
  let allTime = null;

  const buttons = PERIODS.map((p) =>
    h('button', { type: 'button', class: 'seg', 'data-period': p, 'aria-pressed': String(p === period), onclick: () => select(p) }, p),
  );
  const rangeGroup = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' }, buttons);
  root.querySelector('.card-head').append(rangeGroup);

  const allTimeEl = h('div', { class: 'all-time', id: 'all-time' });
  root.querySelector('.card-head').after(allTimeEl);

  function renderAllTime() {
    if (!allTime?.all) {
      allTimeEl.replaceChildren();
      return;
    }
    const dir = direction(allTime.all.amount);
    if (!(Number(allTime.deposits) > 0)) {
      allTimeEl.replaceChildren(
        h('span', { class: 'muted' }, 'All-time return'),
        h('span', { class: 'muted small' }, 'Shows how your money has grown once you add some.'),
      );
      return;
    }
    const allPct = allTime.all.pct === null || allTime.all.pct === undefined ? '' : ` (${pct(allTime.all.pct)})`;
    allTimeEl.replaceChildren(
      h('span', { class: 'muted' }, 'All-time return'),
      h('strong', { class: `num ${trendClass(dir)}` }, `${money(allTime.all.amount, { sign: true })}${allPct}`),
      h('span', { class: 'muted small' }, `What you've gained beyond the ${money(allTime.deposits)} you've put in.`),
    );
  }

  const onSummary = (event) => {
    allTime = { all: event.detail.allTime, deposits: event.detail.netDeposits };
    renderAllTime();
  };
  ctx.bus.addEventListener('summary', onSummary);

  function select(p) {
    period = p;
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.period === p));
    load(true);
  }

  function draw(data) {
    const points = [];
    data.timestamp.forEach((t, i) => {
      const v = toNumber(data.equity[i]);
      if (v !== null) points.push({ t, v });
    });
    if (points.length < 2 || points.every((p) => p.v === 0)) {
      chart?.destroy();
      chart = null;
      view.empty(
        'Your chart starts with your first investment',
        'Add funds and buy your first shares; this chart will then show how your portfolio grows.',
        h('a', { class: 'btn btn-secondary', href: '#add-funds' }, 'Add funds'),
      );
      return;
    }
    const first = points[0].v;
    const last = points[points.length - 1].v;
    const up = last >= first;
    const color = themeColor(up ? 'up' : 'down');
    const change = data.change ?? {};
    const dir = direction(change.amount);
    const words = PERIOD_WORDS[period];
    const label = `Portfolio value ${words}: from ${money(first)} to ${money(last)}, ${up ? 'up' : 'down'} ${pct(Math.abs(change.pct ?? 0), { sign: false })}.`;

    const canvas = h('canvas', { role: 'img', 'aria-label': label, id: 'history-chart' });
    const summaryLine = h(
      'p',
      { class: 'range-change' },
      h('strong', { class: `num ${trendClass(dir)}`, id: 'range-change' }, `${money(change.amount, { sign: true })} (${pct(change.pct)})`),
      h('span', { class: 'muted' }, ` ${words}`),
    );
    chart?.destroy();
    view.content(summaryLine, h('div', { class: 'chart-wrap chart-history' }, canvas), h('p', { class: 'visually-hidden' }, label));
    root.dataset.period = period;
    root.dataset.trend = up ? 'up' : 'down';
    chart = new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          {
            data: points.map((p, i) => ({ x: i, y: p.v })),
            borderColor: color,
            backgroundColor: gradientFill(color),
            borderWidth: 2,
            fill: 'start',
            tension: 0.25,
            pointRadius: 0,
            pointHoverRadius: 5,
            pointHoverBackgroundColor: color,
            pointHoverBorderColor: themeColor('surface'),
            pointHoverBorderWidth: 2,
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        layout: { padding: { top: 8 } },
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: points.length - 1,
            grid: { display: false },
            border: { display: false },
            ticks: {
              maxTicksLimit: 6,
              includeBounds: false,
              maxRotation: 0,
              autoSkipPadding: 16,
              callback: (value) => (Number.isInteger(value) && points[value] ? axisDate(points[value].t, period) : ''),
            },
          },
          y: {
            position: 'right',
            grace: '5%',
            border: { display: false },
            grid: { color: themeColor('grid') },
            ticks: {
              maxTicksLimit: 5,
              callback: (value, index, ticks) => compactLabels(ticks.map((t) => t.value))[index],
            },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => tooltipDate(points[items[0].dataIndex].t, period),
              label: (item) => money(item.parsed.y),
            },
          },
        },
      },
      plugins: [crosshair],
    });
  }

  function load(keepOld = false) {
    request?.abort();
    request = new AbortController();
    const { signal } = request;
    const wanted = period;
    if (keepOld && chart) root.classList.add('is-refreshing');
    return withStates(view, {
      skeleton: 'chart',
      what: 'your performance chart',
      quiet: keepOld && Boolean(chart),
      load: async () => {
        try {
          const data = await ctx.api(`/api/portfolio/history?period=${wanted}`, { signal });
          if (wanted === period) draw(data);
        } catch (error) {
          if (keepOld && chart && error.name !== 'AbortError') {
            chart.destroy();
            chart = null;
            view.error(error, () => load(), 'your performance chart');
            return;
          }
          throw error;
        } finally {
          root.classList.remove('is-refreshing');
        }
      },
    });
  }

  const onFunds = () => load(true);
  ctx.bus.addEventListener('funds-changed', onFunds);
  load();

  return {
    destroy() {
      request?.abort();
      chart?.destroy();
      rangeGroup.remove();
      allTimeEl.remove();
      ctx.bus.removeEventListener('summary', onSummary);
      ctx.bus.removeEventListener('funds-changed', onFunds);
    },
  };
}
