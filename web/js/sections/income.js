// #income: dividends received, by month (a small bar chart of the last 12 months) and by holding.
import { chartsReady, newChart, themeColor } from '../charts.js';
import { compactLabels, money, pct } from '../format.js';
import { h, SectionView, sectionLoader } from '../dom.js';

const MONTHS = 12;

/** The last `n` calendar months ending with `today`'s, as "YYYY-MM", oldest first. */
export function lastMonths(today, n = MONTHS) {
  const out = [];
  for (let k = n - 1; k >= 0; k -= 1) {
    const d = new Date(today.getFullYear(), today.getMonth() - k, 1);
    out.push(`${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`);
  }
  return out;
}

const monthName = (ym, style = 'short') => {
  const [y, m] = ym.split('-').map(Number);
  return new Intl.DateTimeFormat('en-US', { month: style, year: style === 'long' ? 'numeric' : undefined }).format(new Date(y, m - 1, 1));
};

export function mount(root, ctx) {
  const view = new SectionView(root);
  let chart = null;

  function draw(data) {
    const byMonth = new Map((data.by_month ?? []).map((r) => [r.month, Number(r.amount)]));
    chart?.destroy();
    chart = null;
    if (!byMonth.size) {
      view.empty(
        'No dividends yet',
        'Some funds and shares pay you part of their profits, usually every few months. Buy a dividend-paying fund such as a broad index fund and the payments will show up here.',
        h('a', { class: 'btn btn-secondary', href: '#add-funds' }, 'Add funds'),
      );
      return;
    }
    const months = lastMonths(new Date());
    const values = months.map((m) => byMonth.get(m) ?? 0);
    const label = `Dividends by month, last 12 months: ${months.map((m, i) => `${monthName(m, 'long')} ${money(values[i])}`).join(', ')}.`;
    const canvas = h('canvas', { role: 'img', 'aria-label': label, id: 'income-chart' });
    const yoc = data.yield_on_cost_pct;
    const holdings = (data.by_holding ?? []).slice(0, 6);
    view.content(
      h(
        'div',
        { class: 'income-figures' },
        h('div', { class: 'stat' }, h('span', { class: 'muted small' }, 'Last 12 months'), h('strong', { class: 'num', id: 'income-12m' }, money(data.trailing_12m))),
        h(
          'div',
          { class: 'stat' },
          h('span', { class: 'muted small' }, 'Yield on what you paid'),
          h('strong', { class: 'num', id: 'income-yield' }, yoc === null || yoc === undefined ? '—' : pct(yoc, { sign: false })),
        ),
      ),
      h('div', { class: 'chart-wrap chart-income' }, canvas),
      h('p', { class: 'visually-hidden' }, label),
      holdings.length
        ? h(
            'ul',
            { class: 'income-holdings', 'aria-label': 'All-time dividends by holding' },
            holdings.map((r) => h('li', {}, h('span', { class: 'ticker' }, r.symbol), h('span', { class: 'num' }, money(r.amount)))),
          )
        : null,
      h('p', { class: 'muted small' }, 'Dividends are part of your gain. Yield on what you paid is the last 12 months’ dividends divided by what your current holdings cost.'),
    );
    const bar = themeColor('up');
    chart = newChart(canvas, {
      type: 'bar',
      data: {
        labels: months.map((m) => monthName(m).charAt(0)),
        datasets: [{ data: values, backgroundColor: bar, borderRadius: 4, maxBarThickness: 22 }],
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          x: { grid: { display: false }, border: { display: false } },
          y: {
            position: 'right',
            beginAtZero: true,
            border: { display: false },
            grid: { color: themeColor('grid') },
            ticks: { maxTicksLimit: 4, callback: (value, index, ticks) => compactLabels(ticks.map((t) => t.value))[index] },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => monthName(months[items[0].dataIndex], 'long'),
              label: (item) => money(item.parsed.y),
            },
          },
        },
      },
    });
  }

  const loader = sectionLoader(ctx, view, {
    skeleton: 'chart',
    what: 'your dividend income',
    fetchAndDraw: async (signal) => {
      const data = await ctx.api('/api/portfolio/income', { signal });
      await chartsReady();
      draw(data);
    },
  });
  loader.load();

  return {
    destroy() {
      loader.stop();
      chart?.destroy();
    },
  };
}
